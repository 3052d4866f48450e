//! `round-robin`: each request starts one worker further along; the others
//! follow in rotation as the failover order.

use std::sync::atomic::{AtomicUsize, Ordering};

use super::{Candidate, Policy, PolicyKind};

#[derive(Debug, Default)]
pub struct RoundRobin {
    next: AtomicUsize,
}

impl Policy for RoundRobin {
    fn kind(&self) -> PolicyKind {
        PolicyKind::RoundRobin
    }

    fn rank(&self, candidates: &[Candidate], order: &mut Vec<Candidate>) {
        if candidates.is_empty() {
            return;
        }
        let start = self.next.fetch_add(1, Ordering::Relaxed) % candidates.len();
        order.extend_from_slice(&candidates[start..]);
        order.extend_from_slice(&candidates[..start]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::function::Tier::{Cloud, Edge};
    use crate::routing::{candidates, ranked};

    #[test]
    fn rotates_through_every_worker() {
        let c = candidates(&[(Edge, None, true), (Cloud, None, true), (Cloud, None, true)]);
        let rr = RoundRobin::default();
        let firsts: Vec<usize> = (0..6).map(|_| ranked(&rr, &c)[0]).collect();
        assert_eq!(firsts, vec![0, 1, 2, 0, 1, 2]);
        assert_eq!(ranked(&rr, &c), vec![0, 1, 2]);
    }
}
