//! The function model: what an app developer deploys, and the rules it must
//! follow before any platform sees it (SPEC section 3).
//!
//! Validation lives here, not in the HTTP layer, so that every way in
//! (the API, the CLI, a scenario) rejects the same things with the same words.

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

/// Largest accepted memory limit; Lambda's own ceiling.
const MAX_MEMORY_MB: u32 = 10_240;
/// Longest accepted handler timeout; Lambda's own ceiling.
const MAX_TIMEOUT_S: u32 = 900;

/// A function as submitted by its developer.
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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Tier {
    Edge,
    Cloud,
}

impl Tier {
    pub fn as_str(self) -> &'static str {
        match self {
            Tier::Edge => "edge",
            Tier::Cloud => "cloud",
        }
    }
}

/// Lifecycle of a function after `POST /functions` (SPEC section 7).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase", tag = "state", content = "reason")]
pub enum FunctionState {
    Deploying,
    Training,
    Ready,
    Failed(String),
}

impl FunctionState {
    pub fn label(&self) -> &'static str {
        match self {
            FunctionState::Deploying => "deploying",
            FunctionState::Training => "training",
            FunctionState::Ready => "ready",
            FunctionState::Failed(_) => "failed",
        }
    }
}

/// Validates an event and returns its input size: the number of elements
/// of a JSON array payload, 1 for anything else (SPEC section 3,
/// dissertation 3.4.2).
///
/// One pass, without building a `Value`, because this runs on every
/// invocation. Deep nesting is not refused here: the scan is iterative, and
/// the handler's runtime reports what it cannot decode.
pub fn event_size(event: &str) -> Result<u64, serde_json::Error> {
    if event.trim_start().starts_with('[') {
        serde_json::from_str::<Vec<&RawValue>>(event).map(|items| items.len() as u64)
    } else {
        serde_json::from_str::<&RawValue>(event).map(|_| 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_the_knative_and_lambda_rule() {
        for ok in ["a", "digits-count", "f1", &format!("a{}", "b".repeat(62))] {
            assert_eq!(validate_name(ok), Ok(()), "{ok}");
        }
        for bad in ["", "1abc", "Abc", "a_b", "a.b", "-a", &format!("a{}", "b".repeat(63))] {
            assert!(validate_name(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn input_size_counts_top_level_array_elements() {
        assert_eq!(event_size("[1, [2, 3], {\"a\": [4]}]").unwrap(), 3);
        assert_eq!(event_size(" []").unwrap(), 0);
        assert_eq!(event_size("{\"n\": [1,2,3]}").unwrap(), 1);
        assert_eq!(event_size("42").unwrap(), 1);
    }

    #[test]
    fn malformed_events_are_refused_and_deep_ones_left_to_the_handler() {
        assert!(event_size("[1, 2").is_err());
        assert!(event_size("{\"a\": }").is_err());
        assert!(event_size("").is_err());
        // Nesting is not limited here (the scan is iterative): the handler's
        // runtime decides what it can decode (tests/bad_input.rs).
        let deep = |n: usize| format!("{}{}", "[".repeat(n), "]".repeat(n));
        assert_eq!(event_size(&deep(100_000)).unwrap(), 1);
        assert_eq!(event_size(&format!("[{}, 2]", deep(100_000))).unwrap(), 2);
        assert!(event_size(&format!("{}{}", "[".repeat(100_000), "]".repeat(99_999))).is_err(), "one bracket short");
    }

    #[test]
    fn a_function_must_run_somewhere() {
        let spec = FunctionSpec {
            name: "f".into(),
            source_code: "def handler(e, c): return e".into(),
            edge_supported: false,
            cloud_supported: false,
            example_inputs: vec![],
            memory_mb: 128,
            timeout_s: 30,
            allow_transfer: true,
        };
        assert_eq!(spec.validate(), Err(InvalidFunction::NoTier("f".into())));
    }
}
