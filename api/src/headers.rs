//! The `x-hetfaas-*` header names, spelled once, and the placement an
//! invoke answer carries in them, formatted and parsed in one place.

use http::HeaderMap;

use crate::{CallProfile, PolicyKind};

/// Where the invocation ran (a worker name).
pub const WORKER: &str = "x-hetfaas-worker";
/// The measured duration: orchestrator → worker → orchestrator, network included.
pub const DURATION_MS: &str = "x-hetfaas-duration-ms";
/// The predictions behind the choice: `worker=ms` pairs, comma-separated.
pub const PREDICTED_MS: &str = "x-hetfaas-predicted-ms";
/// The policy that placed it; on a request, the policy to place it by.
pub const POLICY: &str = "x-hetfaas-policy";
/// Whether a new instance had to start for it.
pub const COLD: &str = "x-hetfaas-cold";
/// From a `hetfaas node`: which kind of function error a Lambda error body
/// is (`raised`, `timeout`, `exited`, `out_of_memory`).
pub const ERROR_KIND: &str = "x-hetfaas-error-kind";
/// The call's resource use ([`CallProfile`]) as JSON, where the worker
/// measures it: on an invoke answer, and from a `hetfaas node`.
pub const PROFILE: &str = "x-hetfaas-profile";

/// Where and how one invocation was placed, as its answer's headers say.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Placement {
    pub worker: String,
    pub duration_ms: f64,
    /// Each candidate worker's prediction, in configuration order.
    pub predicted_ms: Vec<(String, f64)>,
    pub policy: Option<PolicyKind>,
    pub cold: bool,
    pub profile: Option<CallProfile>,
}

impl Placement {
    /// Reads the placement headers; absent ones leave their defaults (an
    /// error before any worker ran has no worker).
    pub fn from_headers(headers: &HeaderMap) -> Placement {
        let text = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or_default();
        Placement {
            worker: text(WORKER).to_owned(),
            duration_ms: text(DURATION_MS).parse().unwrap_or(f64::NAN),
            predicted_ms: parse_predictions(text(PREDICTED_MS)),
            policy: PolicyKind::parse(text(POLICY)),
            cold: text(COLD) == "true",
            profile: serde_json::from_str(text(PROFILE)).ok(),
        }
    }

    /// The prediction for the worker that ran it, if there was one.
    pub fn predicted_for_worker(&self) -> Option<f64> {
        self.predicted_for(&self.worker)
    }

    pub fn predicted_for(&self, worker: &str) -> Option<f64> {
        self.predicted_ms.iter().find(|(w, _)| w == worker).map(|(_, ms)| *ms)
    }
}

/// `worker=ms,worker=ms`, three decimals; empty when there is no model.
pub fn format_predictions<'a>(predictions: impl IntoIterator<Item = (&'a str, f64)>) -> String {
    let mut text = String::new();
    for (i, (worker, ms)) in predictions.into_iter().enumerate() {
        if i > 0 {
            text.push(',');
        }
        text.push_str(&format!("{worker}={ms:.3}"));
    }
    text
}

/// Reads [`format_predictions`]'s text; malformed pairs are skipped.
pub fn parse_predictions(text: &str) -> Vec<(String, f64)> {
    text.split(',')
        .filter_map(|pair| {
            let (worker, ms) = pair.split_once('=')?;
            Some((worker.to_owned(), ms.parse().ok()?))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn predictions_round_trip() {
        let text = format_predictions([("edge", 5.1234), ("cloud", 52.0)]);
        assert_eq!(text, "edge=5.123,cloud=52.000");
        assert_eq!(parse_predictions(&text), vec![("edge".to_owned(), 5.123), ("cloud".to_owned(), 52.0)]);
        assert!(parse_predictions("").is_empty());
        assert_eq!(parse_predictions("edge=1,junk,cloud=x"), vec![("edge".to_owned(), 1.0)]);
    }

    #[test]
    fn placement_is_read_from_headers() {
        let mut headers = HeaderMap::new();
        headers.insert(WORKER, "cloud".parse().unwrap());
        headers.insert(DURATION_MS, "12.5".parse().unwrap());
        headers.insert(PREDICTED_MS, "edge=30.000,cloud=10.000".parse().unwrap());
        headers.insert(POLICY, "round-robin".parse().unwrap());
        headers.insert(COLD, "true".parse().unwrap());
        let p = Placement::from_headers(&headers);
        assert_eq!((p.worker.as_str(), p.duration_ms, p.policy, p.cold), ("cloud", 12.5, Some(PolicyKind::RoundRobin), true));
        assert_eq!(p.predicted_for_worker(), Some(10.0));
    }
}
