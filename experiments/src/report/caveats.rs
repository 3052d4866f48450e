//! What the policy verdicts of the targets section rest on, said under
//! its table: how often luck alone reads a level policy as worse, and that
//! a closed loop offers each policy as much load as it serves, so not the
//! same load.

use hetfaas_api::PolicyKind;

use super::policies::{CLOSED, rows_of, throughput};
use crate::results::PolicyRow;
use crate::scenario::Router;

/// What luck alone does to the policy verdicts: with `k` repetitions each,
/// two policies that perform exactly alike (their repetitions exchangeable)
/// still have all of one's above all of the other's with probability
/// 1 / C(2k, k), whatever the latency distribution.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Luck {
    pub repetitions: usize,
    pub comparisons: usize,
}

impl Luck {
    /// The chance that one comparison of equal policies reads *worse*.
    fn chance(&self) -> f64 {
        let k = self.repetitions as f64;
        // C(2k, k) = Π (k + i) / i for i in 1..=k.
        1.0 / (1..=self.repetitions).map(|i| (k + i as f64) / i as f64).product::<f64>()
    }

    pub(super) fn sentence(&self) -> Option<String> {
        (self.repetitions > 1 && self.comparisons > 0).then(|| {
            format!(
                "*Luck:* with {} repetitions, a policy exactly as good as another reads *worse* than it with probability \
                 1/C({}, {}) = {:.1}%, by the order its repetitions happened to fall in. The policy targets above rest on {} \
                 such comparisons, so if every baseline were in truth level with the default, about {:.1} of them would \
                 read *worse* by chance.",
                self.repetitions,
                2 * self.repetitions,
                self.repetitions,
                100.0 * self.chance(),
                self.comparisons,
                self.comparisons as f64 * self.chance()
            )
        })
    }
}

/// What the closed loop offered the default and the single platforms: as
/// much load as each served, so not the same load.
pub(super) fn closed_load(rows: &[PolicyRow], default: PolicyKind) -> Option<String> {
    let served = |p: PolicyKind| throughput(&rows_of(rows, CLOSED, Router::Policy(p)));
    let own = served(default)?;
    let singles: Vec<String> =
        [PolicyKind::EdgeOnly, PolicyKind::CloudOnly].into_iter().filter_map(|p| Some(format!("`{p}` {:.1}", served(p)?))).collect();
    Some(format!(
        "*Closed-loop load:* each user sends its next request when its last is answered, so each policy is offered as much \
         load as it serves: `{default}` completed {own:.1} requests/s, {} (the policy table's throughput column). Where the \
         default served more, its closed-loop percentiles are over more work than theirs; the open loops offer every policy \
         the same arrivals.",
        singles.join(", ")
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn luck_is_one_in_the_number_of_ways_to_interleave_the_repetitions() {
        let chance = |repetitions| Luck { repetitions, comparisons: 1 }.chance();
        assert!((chance(3) - 1.0 / 20.0).abs() < 1e-12);
        assert!((chance(5) - 1.0 / 252.0).abs() < 1e-12);
        assert_eq!(Luck { repetitions: 1, comparisons: 9 }.sentence(), None, "one repetition has no ranges to compare");
    }

    #[test]
    fn the_closed_loop_load_is_each_repetitions_requests_over_its_span() {
        let row = |policy, repetition, sent_s, latency_ms| PolicyRow {
            load: "closed".into(),
            policy: Router::Policy(policy),
            repetition,
            function: "f".into(),
            input_size: 1,
            worker: "edge".into(),
            latency_ms,
            duration_ms: latency_ms,
            predicted_ms: f64::NAN,
            status: 200,
            sent_s,
            cold: false,
            run_started_s: 0.0,
        };
        let lec = PolicyKind::LeastExpectedCompletion;
        let mut rows = vec![row(lec, 0, 0.0, 500.0), row(lec, 0, 0.5, 500.0), row(lec, 1, 3.0, 1000.0)];
        assert_eq!(throughput(&rows_of(&rows, "closed", Router::Policy(lec))), Some(1.5), "3 requests over 1 s + 1 s");
        rows.push(row(PolicyKind::CloudOnly, 0, 0.0, 5000.0));
        let sentence = closed_load(&rows, lec).unwrap();
        assert!(sentence.contains("completed 1.5 requests/s, `cloud-only` 0.2"), "{sentence}");
        assert_eq!(closed_load(&rows, PolicyKind::Random), None, "a default that did not run the closed loop");
    }
}
