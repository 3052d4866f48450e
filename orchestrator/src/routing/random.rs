//! `random`: a uniformly random order from a seeded generator, so the same
//! seed and request sequence give the same placements.

use std::sync::Mutex;

use rand::SeedableRng;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;

use super::{Candidate, Policy, PolicyKind};

#[derive(Debug)]
pub struct Random {
    rng: Mutex<StdRng>,
}

impl Random {
    pub fn new(seed: u64) -> Random {
        Random { rng: Mutex::new(StdRng::seed_from_u64(seed)) }
    }
}

impl Policy for Random {
    fn kind(&self) -> PolicyKind {
        PolicyKind::Random
    }

    fn rank(&self, candidates: &[Candidate], order: &mut Vec<Candidate>) {
        order.extend_from_slice(candidates);
        order.shuffle(&mut *self.rng.lock().expect("random policy lock poisoned"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::function::Tier::{Cloud, Edge};
    use crate::routing::{candidates, ranked};

    #[test]
    fn same_seed_same_choices_and_both_workers_used() {
        let c = candidates(&[(Edge, None, true), (Cloud, None, true)]);
        let firsts = |seed| {
            let policy = Random::new(seed);
            (0..200).map(|_| ranked(&policy, &c)[0]).collect::<Vec<_>>()
        };
        let a = firsts(11);
        assert_eq!(a, firsts(11));
        let edge_share = a.iter().filter(|&&w| w == 0).count();
        assert!((60..140).contains(&edge_share), "edge chosen {edge_share} of 200 times");
    }
}
