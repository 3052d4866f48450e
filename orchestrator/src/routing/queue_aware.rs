//! The policies that count the work already on each worker, from what
//! this orchestrator itself sent there ([`Wait`]), so no worker has to
//! report its queue.
//!
//! `least-expected-completion`: the worker expected to *finish* the call
//! first wins: predicted service time + [`Wait::queued_ms`] (the work in
//! flight, less its network transit, shared as processor sharing shares
//! it, over the worker's parallelism, scaled by how much longer than
//! expected, sharing included, the worker's recent calls took). `predicted` ranks by service
//! time alone, learned from calls made one at a time, so under concurrency
//! it keeps choosing a fast worker that is already busy. Scaling the queue
//! by the worker's speed is what shortest-expected-delay and
//! least-work-left routing do for servers of different speeds (plain
//! join-shortest-queue does poorly there), and C3 (NSDI '15) and Prequal
//! (NSDI '24) rank by service time and requests in flight together for the
//! same reason.
//!
//! `least-marginal-delay` adds [`Wait::imposed_ms`], what the work in
//! flight would then wait beside the call: the worker where the call adds
//! least to the summed latency of every call there, its own included.
//! Each call choosing for itself is not the best for the crowd (routing
//! games: Wardrop's equilibrium against the system optimum, whose price of
//! anarchy Roughgarden and Tardos bound; routing each unit by its marginal
//! cost reaches the optimum, Beckmann et al.). The policies stage has not
//! shown it better than `least-expected-completion` (the README has the
//! count), so it is offered beside it, not as the default.
//!
//! Workers without a model come last, edge first, as under `predicted`.

#[cfg(doc)]
use super::Wait;
use super::{Candidate, Policy, PolicyKind, by_estimate};

#[derive(Debug)]
pub struct QueueAware {
    /// Whether the delay the call would give the work in flight counts.
    counts_imposed: bool,
}

impl QueueAware {
    pub const EXPECTED_COMPLETION: QueueAware = QueueAware { counts_imposed: false };
    pub const MARGINAL_DELAY: QueueAware = QueueAware { counts_imposed: true };

    fn estimate(&self, c: &Candidate) -> Option<f64> {
        let imposed = if self.counts_imposed { c.wait.imposed_ms } else { 0.0 };
        Some(c.predicted_ms? + c.wait.queued_ms + imposed)
    }
}

impl Policy for QueueAware {
    fn kind(&self) -> PolicyKind {
        if self.counts_imposed { PolicyKind::LeastMarginalDelay } else { PolicyKind::LeastExpectedCompletion }
    }

    fn rank(&self, candidates: &[Candidate], order: &mut Vec<Candidate>) {
        by_estimate(candidates, order, |c| self.estimate(c));
    }

    fn reads_queue(&self) -> bool {
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::function::Tier::{Cloud, Edge};
    use crate::routing::{Wait, candidates, ranked};

    const BOTH: [QueueAware; 2] = [QueueAware::EXPECTED_COMPLETION, QueueAware::MARGINAL_DELAY];

    #[test]
    fn idle_workers_rank_by_service_time() {
        let c = candidates(&[(Edge, Some(10.0), true), (Cloud, Some(30.0), true), (Edge, None, true)]);
        for policy in BOTH {
            assert_eq!(ranked(&policy, &c), vec![0, 1, 2], "{:?}", policy.kind());
        }
    }

    #[test]
    fn a_fast_worker_with_work_queued_loses_to_a_slower_idle_one() {
        let mut c = candidates(&[(Edge, Some(10.0), true), (Cloud, Some(30.0), true)]);
        let lec = QueueAware::EXPECTED_COMPLETION;
        c[0].wait.queued_ms = 25.0;
        assert_eq!(ranked(&lec, &c), vec![1, 0], "10 + 25 ms on the edge, 30 ms on the cloud");
        c[0].wait.queued_ms = 15.0;
        assert_eq!(ranked(&lec, &c), vec![0, 1], "10 + 15 ms on the edge still beats 30");
    }

    #[test]
    fn a_call_that_would_slow_the_work_in_flight_goes_where_it_slows_none() {
        let mut c = candidates(&[(Edge, Some(10.0), true), (Cloud, Some(30.0), true)]);
        let (lec, lmd) = (QueueAware::EXPECTED_COMPLETION, QueueAware::MARGINAL_DELAY);
        c[0].wait = Wait { queued_ms: 15.0, imposed_ms: 15.0 };
        assert_eq!(ranked(&lec, &c), vec![0, 1], "10 + 15 ms beats 30 for the call itself");
        assert_eq!(ranked(&lmd, &c), vec![1, 0], "but it would add 15 ms to the calls in flight");
        c[0].wait = Wait { queued_ms: 5.0, imposed_ms: 5.0 };
        assert_eq!(ranked(&lmd, &c), vec![0, 1], "10 + 5 + 5 ms still beats 30");
    }
}
