//! `edge-only` and `cloud-only`: baselines that never leave one tier, not
//! even to fail over, so an experiment measures the tier and nothing else.

use super::{Candidate, Policy, PolicyKind};
use crate::function::Tier;

#[derive(Debug)]
pub struct SingleTier(pub Tier);

impl Policy for SingleTier {
    fn kind(&self) -> PolicyKind {
        match self.0 {
            Tier::Edge => PolicyKind::EdgeOnly,
            Tier::Cloud => PolicyKind::CloudOnly,
        }
    }

    fn rank(&self, candidates: &[Candidate], order: &mut Vec<Candidate>) {
        order.extend(candidates.iter().filter(|c| c.tier == self.0));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::function::Tier::{Cloud, Edge};
    use crate::routing::{candidates, ranked};

    #[test]
    fn stays_on_its_tier() {
        let c = candidates(&[(Edge, Some(1.0), true), (Cloud, Some(0.5), true), (Edge, None, true)]);
        assert_eq!(ranked(&SingleTier(Edge), &c), vec![0, 2]);
        assert_eq!(ranked(&SingleTier(Cloud), &c), vec![1]);
    }
}
