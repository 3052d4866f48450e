//! Routing: which worker runs a request, and which to try next if it fails.
//!
//! A [`Policy`] sees one [`Candidate`] per worker that supports the function
//! and returns them in the order to try. [`decide`] is the whole decision
//! the invoke path makes: the policy's order, then candidates that are
//! unhealthy or, on the edge, above the utilisation guard moved behind the
//! others: they are tried only when everything else has failed, so a
//! saturated edge still serves when it is all there is.

mod backlog;
mod predicted;
mod queue_aware;
mod random;
mod round_robin;
mod tier;

use std::collections::HashMap;
use std::sync::Arc;

pub use backlog::{Backlog, InFlight, Wait, now_us};
pub use hetfaas_api::PolicyKind;

use crate::function::Tier;
use crate::worker::WorkerId;

/// What a policy may know about one worker for one request.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Candidate {
    pub worker: WorkerId,
    pub tier: Tier,
    /// The learned duration for this input size, if a model exists.
    pub predicted_ms: Option<f64>,
    /// How much longer than predicted a call sent now would take beside the
    /// work already on the worker, and how much longer it would make that
    /// work take ([`Backlog::wait`]); 0 for workers that scale out.
    pub wait: Wait,
    /// Healthy and, on the edge, under the utilisation guard.
    pub usable: bool,
}

pub trait Policy: Send + Sync + std::fmt::Debug {
    fn kind(&self) -> PolicyKind;

    /// Writes into `order` the candidates to try, first choice first.
    /// Candidates left out are never tried for this request.
    fn rank(&self, candidates: &[Candidate], order: &mut Vec<Candidate>);

    /// Whether it reads `Candidate::wait`: the invoke path estimates
    /// the wait only for policies that do.
    fn reads_queue(&self) -> bool {
        false
    }
}

/// Builds the policy of a kind; `seed` makes `random` reproducible.
fn build(kind: PolicyKind, seed: u64) -> Arc<dyn Policy> {
    match kind {
        PolicyKind::Predicted => Arc::new(predicted::Predicted),
        PolicyKind::LeastExpectedCompletion => Arc::new(queue_aware::QueueAware::EXPECTED_COMPLETION),
        PolicyKind::LeastMarginalDelay => Arc::new(queue_aware::QueueAware::MARGINAL_DELAY),
        PolicyKind::EdgeOnly => Arc::new(tier::SingleTier(Tier::Edge)),
        PolicyKind::CloudOnly => Arc::new(tier::SingleTier(Tier::Cloud)),
        PolicyKind::RoundRobin => Arc::new(round_robin::RoundRobin::default()),
        PolicyKind::Random => Arc::new(random::Random::new(seed)),
    }
}

/// The order to try the candidates in: `policy`'s, with unusable ones
/// moved behind the usable (stably, so the policy's order holds within
/// each group). A pinned request (`policy` = `None`) keeps the candidates'
/// own order. Writes into `order`, which the caller may reuse.
pub fn decide(policy: Option<&dyn Policy>, candidates: &[Candidate], order: &mut Vec<Candidate>) {
    order.clear();
    match policy {
        Some(policy) => policy.rank(candidates, order),
        None => order.extend_from_slice(candidates),
    }
    order.sort_by_key(|c| !c.usable);
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
        Policies { default, all: PolicyKind::ALL.into_iter().map(|k| (k, build(k, seed))).collect() }
    }

    pub fn get(&self, kind: Option<PolicyKind>) -> &dyn Policy {
        self.all[&kind.unwrap_or(self.default)].as_ref()
    }
}

/// Orders the candidates by an estimate, smallest first; candidates without
/// one (no model) after those with, and ties and the rest edge first.
fn by_estimate(candidates: &[Candidate], order: &mut Vec<Candidate>, estimate: impl Fn(&Candidate) -> Option<f64>) {
    order.extend_from_slice(candidates);
    order.sort_by(|a, b| match (estimate(a), estimate(b)) {
        (Some(x), Some(y)) => x.total_cmp(&y).then_with(|| edge_first(a, b)),
        (Some(_), None) => std::cmp::Ordering::Less,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (None, None) => edge_first(a, b),
    });
}

/// The documented order when nothing else decides: edge workers before
/// cloud workers (use the cloud only when necessary, dissertation 3.1),
/// then configuration order.
fn edge_first(a: &Candidate, b: &Candidate) -> std::cmp::Ordering {
    (a.tier == Tier::Cloud, a.worker).cmp(&(b.tier == Tier::Cloud, b.worker))
}

/// Candidates from (tier, prediction, usable), numbered in order: for the
/// policies' unit tests and the routing bench.
pub fn candidates(spec: &[(Tier, Option<f64>, bool)]) -> Vec<Candidate> {
    spec.iter()
        .enumerate()
        .map(|(i, &(tier, predicted_ms, usable))| Candidate {
            worker: WorkerId(i as u16),
            tier,
            predicted_ms,
            wait: Wait::default(),
            usable,
        })
        .collect()
}

#[cfg(test)]
pub(crate) fn ranked(policy: &dyn Policy, cands: &[Candidate]) -> Vec<usize> {
    let mut order = Vec::new();
    policy.rank(cands, &mut order);
    order.iter().map(|c| c.worker.index()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::function::Tier::{Cloud, Edge};

    #[test]
    fn unusable_workers_go_last_in_the_policys_order() {
        let c = candidates(&[(Edge, Some(1.0), false), (Cloud, Some(50.0), true), (Edge, Some(2.0), true)]);
        let mut order = Vec::new();
        decide(Some(&predicted::Predicted), &c, &mut order);
        assert_eq!(order.iter().map(|c| c.worker.index()).collect::<Vec<_>>(), vec![2, 1, 0]);
        decide(None, &c[..1], &mut order);
        assert_eq!(order.len(), 1, "a pinned request keeps its one candidate, usable or not");
    }
}
