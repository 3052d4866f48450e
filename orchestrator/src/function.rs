//! Functions inside the orchestrator: the developer's [`FunctionSpec`] and
//! its rules come from the wire contract (`hetfaas-api`); what lives here is
//! what only the orchestrator needs: a function's lifecycle with its
//! failure reason, and the input size of an event.

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

pub use hetfaas_api::{FunctionSpec, InvalidFunction, State, Tier, validate_name};

/// Lifecycle of a function after `POST /functions`, as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase", tag = "state", content = "reason")]
pub enum FunctionState {
    Deploying,
    Training,
    Ready,
    Failed(String),
}

impl FunctionState {
    /// The state as the API shows it, and the reason of a failure.
    pub fn shown(&self) -> (State, Option<String>) {
        match self {
            FunctionState::Deploying => (State::Deploying, None),
            FunctionState::Training => (State::Training, None),
            FunctionState::Ready => (State::Ready, None),
            FunctionState::Failed(reason) => (State::Failed, Some(reason.clone())),
        }
    }
}

/// Validates an event and returns its input size: the number of elements
/// of a JSON array payload, 1 for anything else (dissertation 3.4.2).
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
}
