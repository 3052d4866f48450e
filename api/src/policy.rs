//! The routing policies a configuration or a request can name
//! (`x-hetfaas-policy`).

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PolicyKind {
    /// Shortest predicted duration (the dissertation's rule, 3.4.2).
    Predicted,
    /// Shortest predicted duration plus the wait behind the work this
    /// orchestrator has in flight on the worker.
    LeastExpectedCompletion,
    /// Shortest predicted duration plus that wait plus the delay the call
    /// adds to the calls in flight there.
    LeastMarginalDelay,
    EdgeOnly,
    CloudOnly,
    RoundRobin,
    /// Uniformly random, from the configured seed.
    Random,
}

impl PolicyKind {
    pub const ALL: [PolicyKind; 7] = [
        PolicyKind::Predicted,
        PolicyKind::LeastExpectedCompletion,
        PolicyKind::LeastMarginalDelay,
        PolicyKind::EdgeOnly,
        PolicyKind::CloudOnly,
        PolicyKind::RoundRobin,
        PolicyKind::Random,
    ];

    /// The name used in configuration, headers and reports.
    pub fn as_str(self) -> &'static str {
        match self {
            PolicyKind::Predicted => "predicted",
            PolicyKind::LeastExpectedCompletion => "least-expected-completion",
            PolicyKind::LeastMarginalDelay => "least-marginal-delay",
            PolicyKind::EdgeOnly => "edge-only",
            PolicyKind::CloudOnly => "cloud-only",
            PolicyKind::RoundRobin => "round-robin",
            PolicyKind::Random => "random",
        }
    }

    pub fn parse(name: &str) -> Option<PolicyKind> {
        PolicyKind::ALL.into_iter().find(|k| k.as_str() == name)
    }

    /// Every name, for error messages.
    pub fn names() -> String {
        PolicyKind::ALL.map(PolicyKind::as_str).join(", ")
    }
}

impl std::fmt::Display for PolicyKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::PolicyKind;

    #[test]
    fn names_round_trip_through_serde_and_parse() {
        for kind in PolicyKind::ALL {
            assert_eq!(PolicyKind::parse(kind.as_str()), Some(kind));
            assert_eq!(serde_json::to_value(kind).unwrap(), kind.as_str());
        }
        assert_eq!(PolicyKind::parse("fastest"), None);
    }
}
