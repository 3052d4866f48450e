//! What an app developer deploys, and the rules it must follow before any
//! platform sees it. Validation lives with the type so that every way in
//! (the API, the CLI, a scenario) refuses the same things with the same
//! words.

use serde::{Deserialize, Serialize};

/// Largest accepted memory limit; Lambda's own ceiling.
pub const MAX_MEMORY_MB: u32 = 10_240;
/// Longest accepted handler timeout; Lambda's own ceiling.
pub const MAX_TIMEOUT_S: u32 = 900;
/// Largest example element, as JSON: training builds events of up to a
/// thousand of them.
pub const MAX_EXAMPLE_ELEMENT_BYTES: usize = 64 * 1024;
/// Largest `example_inputs` as a whole, as JSON.
pub const MAX_EXAMPLE_BYTES: usize = 1024 * 1024;

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
    /// Transfer from this function rather than the most similar one, if it
    /// is trained on the same workers and its code differs (else similarity
    /// chooses as usual); for experiments that fix the source.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transfer_from: Option<String>,
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
    #[error("example_inputs: an element of {0} bytes exceeds the limit of {MAX_EXAMPLE_ELEMENT_BYTES} bytes per element")]
    ExampleElement(usize),
    #[error("example_inputs: {0} bytes in all exceed the limit of {MAX_EXAMPLE_BYTES} bytes")]
    Examples(usize),
}

/// The length of a value as JSON, counted without building the text.
fn json_len(value: &serde_json::Value) -> usize {
    struct Count(usize);
    impl std::io::Write for Count {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0 += bytes.len();
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut count = Count(0);
    serde_json::to_writer(&mut count, value).expect("counting cannot fail");
    count.0
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
            transfer_from: None,
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
        self.validate_examples()
    }

    /// Caps the examples training draws events from, element by element
    /// (array examples contribute their items) and as a whole.
    fn validate_examples(&self) -> Result<(), InvalidFunction> {
        let mut total = 0;
        for example in &self.example_inputs {
            let elements: Vec<&serde_json::Value> = match example {
                serde_json::Value::Array(items) => items.iter().collect(),
                other => vec![other],
            };
            if let Some(big) = elements.iter().map(|e| json_len(e)).find(|&n| n > MAX_EXAMPLE_ELEMENT_BYTES) {
                return Err(InvalidFunction::ExampleElement(big));
            }
            total += json_len(example);
        }
        if total > MAX_EXAMPLE_BYTES { Err(InvalidFunction::Examples(total)) } else { Ok(()) }
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
    fn examples_are_capped_per_element_and_in_all() {
        let big = serde_json::Value::String("x".repeat(MAX_EXAMPLE_ELEMENT_BYTES));
        let spec = FunctionSpec { example_inputs: vec![serde_json::json!([1, big])], ..FunctionSpec::new("f", "x") };
        assert!(spec.validate().unwrap_err().to_string().contains("65536 bytes per element"));
        let many = vec![serde_json::Value::String("x".repeat(60_000)); 20];
        let spec = FunctionSpec { example_inputs: vec![serde_json::Value::Array(many)], ..FunctionSpec::new("f", "x") };
        assert!(matches!(spec.validate(), Err(InvalidFunction::Examples(n)) if n > MAX_EXAMPLE_BYTES));
        assert_eq!(json_len(&serde_json::json!({"a": [1, "b"]})), r#"{"a":[1,"b"]}"#.len());
    }

    #[test]
    fn a_function_must_run_somewhere() {
        let spec = FunctionSpec { edge_supported: false, cloud_supported: false, ..FunctionSpec::new("f", "def handler(e, c): return e") };
        assert_eq!(spec.validate(), Err(InvalidFunction::NoTier("f".into())));
    }
}
