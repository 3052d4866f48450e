//! `predicted`: the worker predicted to finish first wins (dissertation
//! 3.4.2). Workers without a model for the function come after those with
//! one, edge first; with no model at all this is the documented fallback.

use super::{Candidate, Policy, PolicyKind, by_estimate};

#[derive(Debug)]
pub struct Predicted;

impl Policy for Predicted {
    fn kind(&self) -> PolicyKind {
        PolicyKind::Predicted
    }

    fn rank(&self, candidates: &[Candidate], order: &mut Vec<Candidate>) {
        by_estimate(candidates, order, |c| c.predicted_ms);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::function::Tier::{Cloud, Edge};
    use crate::routing::{candidates, ranked};

    #[test]
    fn shortest_prediction_first_then_the_rest() {
        let c = candidates(&[(Edge, Some(40.0), true), (Cloud, Some(12.0), true), (Edge, None, true)]);
        assert_eq!(ranked(&Predicted, &c), vec![1, 0, 2]);
    }

    #[test]
    fn without_models_the_edge_goes_first() {
        let c = candidates(&[(Cloud, None, true), (Edge, None, true)]);
        assert_eq!(ranked(&Predicted, &c), vec![1, 0]);
    }
}
