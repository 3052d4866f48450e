//! Routing: which worker runs a request, and which to try next if it fails.
//!
//! A [`Policy`] sees one [`Candidate`] per worker that supports the function
//! and returns them in the order to try. The router (in the resource
//! manager) moves candidates that are unhealthy or, on the edge, above the
//! utilisation guard behind the others: they are tried only when everything
//! else has failed, so a saturated edge still serves when it is all there is.

mod predicted;
mod random;
mod round_robin;
mod tier;

use std::collections::HashMap;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::function::Tier;

/// What a policy may know about one worker for one request.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Candidate {
    /// Position of the worker in the configuration.
    pub worker: usize,
    pub tier: Tier,
    /// The learned duration for this input size, if a model exists.
    pub predicted_ms: Option<f64>,
    /// Healthy and, on the edge, under the utilisation guard.
    pub usable: bool,
}

pub trait Policy: Send + Sync + std::fmt::Debug {
    fn kind(&self) -> PolicyKind;

    /// Writes into `order` the candidates to try, first choice first.
    /// Candidates left out are never tried for this request.
    fn rank(&self, candidates: &[Candidate], order: &mut Vec<Candidate>);
}

/// The policies a configuration or a request can name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PolicyKind {
    /// Shortest predicted duration (the dissertation's rule, 3.4.2).
    Predicted,
    EdgeOnly,
    CloudOnly,
    RoundRobin,
    /// Uniformly random, from the configured seed.
    Random,
}

impl PolicyKind {
    pub const ALL: [PolicyKind; 5] =
        [PolicyKind::Predicted, PolicyKind::EdgeOnly, PolicyKind::CloudOnly, PolicyKind::RoundRobin, PolicyKind::Random];

    pub fn as_str(self) -> &'static str {
        match self {
            PolicyKind::Predicted => "predicted",
            PolicyKind::EdgeOnly => "edge-only",
            PolicyKind::CloudOnly => "cloud-only",
            PolicyKind::RoundRobin => "round-robin",
            PolicyKind::Random => "random",
        }
    }

    pub fn parse(name: &str) -> Option<PolicyKind> {
        PolicyKind::ALL.into_iter().find(|k| k.as_str() == name)
    }

    fn build(self, seed: u64) -> Arc<dyn Policy> {
        match self {
            PolicyKind::Predicted => Arc::new(predicted::Predicted),
            PolicyKind::EdgeOnly => Arc::new(tier::SingleTier(Tier::Edge)),
            PolicyKind::CloudOnly => Arc::new(tier::SingleTier(Tier::Cloud)),
            PolicyKind::RoundRobin => Arc::new(round_robin::RoundRobin::default()),
            PolicyKind::Random => Arc::new(random::Random::new(seed)),
        }
    }
}

/// Every policy, built once, with the configured default. Requests may pick
/// another by name (`x-hetfaas-policy`), which is how one running server
/// compares policies under the same load.
#[derive(Debug, Clone)]
pub struct Policies {
    default: PolicyKind,
    all: HashMap<PolicyKind, Arc<dyn Policy>>,
}

impl Policies {
    pub fn new(default: PolicyKind, seed: u64) -> Policies {
        Policies { default, all: PolicyKind::ALL.into_iter().map(|k| (k, k.build(seed))).collect() }
    }

    pub fn get(&self, kind: Option<PolicyKind>) -> &dyn Policy {
        self.all[&kind.unwrap_or(self.default)].as_ref()
    }
}

/// The documented order when nothing else decides: edge workers before
/// cloud workers (use the cloud only when necessary, dissertation 3.1),
/// then configuration order.
fn edge_first(a: &Candidate, b: &Candidate) -> std::cmp::Ordering {
    (a.tier == Tier::Cloud, a.worker).cmp(&(b.tier == Tier::Cloud, b.worker))
}

#[cfg(test)]
pub(crate) fn candidates(spec: &[(Tier, Option<f64>, bool)]) -> Vec<Candidate> {
    spec.iter().enumerate().map(|(worker, &(tier, predicted_ms, usable))| Candidate { worker, tier, predicted_ms, usable }).collect()
}

#[cfg(test)]
pub(crate) fn ranked(policy: &dyn Policy, cands: &[Candidate]) -> Vec<usize> {
    let mut order = Vec::new();
    policy.rank(cands, &mut order);
    order.iter().map(|c| c.worker).collect()
}
