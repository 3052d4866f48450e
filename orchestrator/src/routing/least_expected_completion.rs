//! `least-expected-completion`: the worker expected to *finish* the call
//! first wins, counting the wait behind what this orchestrator already has
//! in flight there: predicted service time + [`Backlog::wait_ms`] (the work
//! in flight, less its network transit, shared as processor sharing shares
//! it, over the worker's parallelism, scaled by how much longer than
//! predicted the worker's recent calls took).
//!
//! `predicted` ranks by service time alone, learned from calls made one at
//! a time, so under concurrency it keeps choosing a fast worker that is
//! already busy. Scaling the queue by the worker's speed is what
//! shortest-expected-delay and least-work-left routing do for servers of
//! different speeds (plain join-shortest-queue does poorly there), and
//! C3 (NSDI '15) and Prequal (NSDI '24) rank by service time and requests
//! in flight together for the same reason. The work in flight is what the
//! orchestrator itself sent, so no worker has to report its queue.
//! Workers without a model come last, edge first, as under `predicted`.

#[cfg(doc)]
use super::Backlog;
use super::{Candidate, Policy, PolicyKind, by_estimate};

#[derive(Debug)]
pub struct LeastExpectedCompletion;

fn completion(c: &Candidate) -> Option<f64> {
    Some(c.predicted_ms? + c.queued_ms)
}

impl Policy for LeastExpectedCompletion {
    fn kind(&self) -> PolicyKind {
        PolicyKind::LeastExpectedCompletion
    }

    fn rank(&self, candidates: &[Candidate], order: &mut Vec<Candidate>) {
        by_estimate(candidates, order, completion);
    }

    fn reads_queue(&self) -> bool {
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::function::Tier::{Cloud, Edge};
    use crate::routing::{candidates, ranked};

    #[test]
    fn idle_workers_rank_by_service_time() {
        let c = candidates(&[(Edge, Some(10.0), true), (Cloud, Some(30.0), true), (Edge, None, true)]);
        assert_eq!(ranked(&LeastExpectedCompletion, &c), vec![0, 1, 2]);
    }

    #[test]
    fn a_fast_worker_with_work_queued_loses_to_a_slower_idle_one() {
        let mut c = candidates(&[(Edge, Some(10.0), true), (Cloud, Some(30.0), true)]);
        c[0].queued_ms = 25.0;
        assert_eq!(ranked(&LeastExpectedCompletion, &c), vec![1, 0], "10 + 25 ms on the edge, 30 ms on the cloud");
        c[0].queued_ms = 15.0;
        assert_eq!(ranked(&LeastExpectedCompletion, &c), vec![0, 1], "10 + 15 ms on the edge still beats 30");
    }
}
