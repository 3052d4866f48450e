//! What an app developer deploys, and the rules it must follow before any
//! platform sees it. Validation lives with the type so that every way in
//! (the API, the CLI, a scenario) refuses the same things with the same
//! words.

use serde::{Deserialize, Serialize};

/// Largest accepted memory limit; Lambda's own ceiling.
pub const MAX_MEMORY_MB: u32 = 10_240;
/// Longest accepted handler timeout; Lambda's own ceiling.
pub const MAX_TIMEOUT_S: u32 = 900;

/// A function as submitted by its developer (`POST /functions`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct FunctionSpec {
    pub name: String,
    /// Python 3 source of `main.py`; must define `handler(event, context)`.
    pub source_code: String,
    pub edge_supported: bool,
    pub cloud_supported: bool,
    /// Events used to generate training invocations; each is usually an array.
    #[serde(default)]
    pub example_inputs: Vec<serde_json::Value>,
    #[serde(default = "default_memory_mb")]
    pub memory_mb: u32,
    #[serde(default = "default_timeout_s")]
    pub timeout_s: u32,
    /// Whether training may transfer models from a similar function; false
    /// forces full training (experiments compare the two).
    #[serde(default = "default_allow_transfer")]
    pub allow_transfer: bool,
}

fn default_allow_transfer() -> bool {
    true
}

fn default_memory_mb() -> u32 {
    128
}

fn default_timeout_s() -> u32 {
    30
}

/// Why a function spec was refused; the message is shown to the developer.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum InvalidFunction {
    #[error(
        "invalid function name {0:?}: it must match ^[a-z][a-z0-9-]{{0,62}}$ \
         (a lowercase letter, then up to 62 lowercase letters, digits or '-')"
    )]
    Name(String),
    #[error("function {0:?} supports neither edge nor cloud: set edge_supported or cloud_supported")]
    NoTier(String),
    #[error("source_code is empty")]
    EmptySource,
    #[error("memory_mb must be between 16 and {MAX_MEMORY_MB}, got {0}")]
    Memory(u32),
    #[error("timeout_s must be between 1 and {MAX_TIMEOUT_S}, got {0}")]
    Timeout(u32),
}

/// Checks a name against `^[a-z][a-z0-9-]{0,62}$`, valid for both a Knative
/// service and a Lambda function.
pub fn validate_name(name: &str) -> Result<(), InvalidFunction> {
    let mut chars = name.chars();
    let first_ok = chars.next().is_some_and(|c| c.is_ascii_lowercase());
    let rest_ok = chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if first_ok && rest_ok && name.len() <= 63 { Ok(()) } else { Err(InvalidFunction::Name(name.to_owned())) }
}

impl FunctionSpec {
    /// A function for both tiers with the default limits and no examples.
    pub fn new(name: &str, source_code: &str) -> FunctionSpec {
        FunctionSpec {
            name: name.to_owned(),
            source_code: source_code.to_owned(),
            edge_supported: true,
            cloud_supported: true,
            example_inputs: Vec::new(),
            memory_mb: default_memory_mb(),
            timeout_s: default_timeout_s(),
            allow_transfer: default_allow_transfer(),
        }
    }

    pub fn validate(&self) -> Result<(), InvalidFunction> {
        validate_name(&self.name)?;
        if !self.edge_supported && !self.cloud_supported {
            return Err(InvalidFunction::NoTier(self.name.clone()));
        }
        if self.source_code.trim().is_empty() {
            return Err(InvalidFunction::EmptySource);
        }
        if !(16..=MAX_MEMORY_MB).contains(&self.memory_mb) {
            return Err(InvalidFunction::Memory(self.memory_mb));
        }
        if !(1..=MAX_TIMEOUT_S).contains(&self.timeout_s) {
            return Err(InvalidFunction::Timeout(self.timeout_s));
        }
        Ok(())
    }

    /// Whether this function may run on a worker of the given tier.
    pub fn supports(&self, tier: Tier) -> bool {
        match tier {
            Tier::Edge => self.edge_supported,
            Tier::Cloud => self.cloud_supported,
        }
    }
}

/// Where a worker sits in the continuum. Policies and the utilisation guard
/// reason about tiers, never about worker names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Tier {
    Edge,
    Cloud,
}

/// Where a function is in its life after `POST /functions`; a `failed`
/// function's reason is beside it in the view.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum State {
    Deploying,
    Training,
    Ready,
    Failed,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_the_knative_and_lambda_rule() {
        for ok in ["a", "digits-count", "f1", &format!("a{}", "b".repeat(62))] {
            assert_eq!(validate_name(ok), Ok(()), "{ok}");
        }
        for bad in ["", "1abc", "Abc", "a_b", "a.b", "-a", "../x", "/etc", &format!("a{}", "b".repeat(63))] {
            assert!(validate_name(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_function_must_run_somewhere() {
        let spec = FunctionSpec { edge_supported: false, cloud_supported: false, ..FunctionSpec::new("f", "def handler(e, c): return e") };
        assert_eq!(spec.validate(), Err(InvalidFunction::NoTier("f".into())));
    }
}
