//! The run held against the project's targets (SPEC section 12: prediction
//! error, transfer cost, the default policy against the baselines, the
//! scenario's wall time): each target this run's rows can measure, what
//! they measured, and whether it was met, by a rule stated in the report.
//! A reader then checks one verdict against the tables below instead of
//! deriving every verdict from them, and the report cannot imply a claim
//! its own rows do not support.

use std::collections::BTreeMap;
use std::fmt::Write;

use hetfaas_api::PolicyKind;

use super::caveats::{Luck, closed_load};
use super::policies::{CLOSED, Spread, Stat, groups, repetitions, rows_of};
use crate::results::{AccuracyRow, OracleRow, PolicyRow, RunDir, TransferAccuracyRow, TransferRow};
use crate::scenario::Router;

/// SPEC's end-to-end limits, in seconds from a built binary, by scenario.
const WALL_LIMITS: [(&str, f64); 2] = [("quick", 180.0), ("paper", 2700.0)];
/// Warm MAPE limits (%) on seen and on unseen sizes.
const MAPE_LIMITS: [(&str, f64); 2] = [("seen", 10.0), ("unseen", 20.0)];
/// A transferred function's invocations at most this share of full training's.
const TRANSFER_SHARE: f64 = 0.25;
/// A transferred model's MAPE at most this multiple of a fully trained one's.
const TRANSFER_MAPE: f64 = 1.25;
/// How much lower than `predicted`'s the default's p99 must be with the edge saturated.
const SATURATED: f64 = 2.0;
/// The load that can saturate the edge: the closed loop.
const SATURATING_LOAD: &str = CLOSED;
/// The single-platform policies.
const SINGLE: [PolicyKind; 2] = [PolicyKind::EdgeOnly, PolicyKind::CloudOnly];
/// What the default policy must be no worse than: either single platform
/// (which of them is better is often unclear within their spread, so the
/// default answers to both), and the two placements that ignore predictions.
const BASELINES: [PolicyKind; 4] = [PolicyKind::EdgeOnly, PolicyKind::CloudOnly, PolicyKind::RoundRobin, PolicyKind::Random];
/// The edge counts as saturated when, with every call on it, its calls
/// took at least this many times their isolated duration: at least half of
/// each call's time went to waiting behind the others.
const SATURATION: f64 = 2.0;

/// One target: what it asks, what the run measured, whether that meets it
/// (`None` when the run's conditions are not the target's).
#[derive(Debug)]
struct Target {
    asks: String,
    measured: String,
    met: Option<bool>,
}

/// How one policy's statistic compares with another's across repetitions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Verdict {
    Better,
    Level,
    Worse,
}

impl Verdict {
    /// Lower is better: worse only when the ranges do not overlap (or, with
    /// no range, when the value is higher).
    fn of(own: &Spread, other: &Spread) -> Verdict {
        let (own_range, other_range) = match (own.range, other.range) {
            (Some(a), Some(b)) => (a, b),
            _ => ((own.pooled, own.pooled), (other.pooled, other.pooled)),
        };
        if own_range.0 > other_range.1 {
            Verdict::Worse
        } else if own_range.1 < other_range.0 {
            Verdict::Better
        } else {
            Verdict::Level
        }
    }

    /// How the first policy stands to the second, as a phrase before its name.
    fn as_str(self) -> &'static str {
        match self {
            Verdict::Better => "better than",
            Verdict::Level => "level with",
            Verdict::Worse => "worse than",
        }
    }
}

/// The section, when the run measured any target.
pub fn table(run: &RunDir, out: &mut String) -> anyhow::Result<()> {
    let mut targets = wall_time(run);
    targets.extend(prediction(&run.read()?));
    targets.extend(transfer(&run.read()?, &run.read()?));
    let (rows, default) = (run.read()?, default_policy(run));
    let (policy_targets, luck) = policies(&rows, &run.read()?, default);
    targets.extend(policy_targets);
    if targets.is_empty() {
        return Ok(());
    }
    let met = targets.iter().filter(|t| t.met == Some(true)).count();
    let judged = targets.iter().filter(|t| t.met.is_some()).count();
    let _ = writeln!(out, "## Targets (new)\n");
    let _ = writeln!(
        out,
        "What this run's rows show of the project's targets (SPEC section 12), each with what was measured and whether \
         it met the target. Policies are compared by their spread over the repetitions (the brackets of the policy table): \
         one is *worse* on a statistic when even its lowest repetition is above the other's highest, *better* when even its \
         highest is below the other's lowest, and *level* when the two ranges overlap (with one repetition: a bootstrap \
         95% interval for a percentile, the value itself for a mean). The default policy answers to both single platforms \
         (`edge-only` and `cloud-only`: which of them is better is often unclear within their spread), and to be strictly \
         better somewhere it must beat both. The routing decision's time, the latency the \
         orchestrator adds and the incremental update's cost are measured by `cargo bench` and the `overhead` scenario, \
         not here.\n"
    );
    let _ = writeln!(out, "**{met} of {judged} met.**\n");
    let _ = writeln!(out, "| target | this run | met |\n|---|---|---|");
    for t in &targets {
        let met = match t.met {
            Some(true) => "yes",
            Some(false) => "**no**",
            None => "not judged",
        };
        let _ = writeln!(out, "| {} | {} | {met} |", t.asks, t.measured);
    }
    out.push('\n');
    if let Some(luck) = luck.sentence() {
        let _ = writeln!(out, "{luck}\n");
    }
    if let Some(load) = closed_load(&rows, default) {
        let _ = writeln!(out, "{load}\n");
    }
    Ok(())
}

/// The scenario's wall time against SPEC's limit for it, if it has one.
fn wall_time(run: &RunDir) -> Vec<Target> {
    let summary = run.read_json("summary.json").unwrap_or_default();
    let seconds = summary["wall_seconds"].as_f64();
    let scenario = summary["scenario"].as_str().unwrap_or_default();
    let limit = WALL_LIMITS.iter().find(|(name, _)| *name == scenario).map(|(_, s)| *s);
    let (Some(seconds), Some(limit)) = (seconds, limit) else { return Vec::new() };
    vec![Target {
        asks: format!("`{scenario}` end to end under {:.0} minutes from a built binary", limit / 60.0),
        measured: format!("{seconds:.0} s"),
        met: Some(seconds < limit),
    }]
}

/// Mean absolute percentage error (%) of `(predicted, actual)` pairs.
fn mape(pairs: impl Iterator<Item = (f64, f64)>) -> (f64, usize) {
    let (sum, n) = pairs.fold((0.0, 0), |(sum, n), (p, a)| (sum + (p - a).abs() / a, n + 1));
    (100.0 * sum / n.max(1) as f64, n)
}

/// A warm call with a prediction and a measured duration to score it by.
fn scored(predicted_ms: f64, actual_ms: f64, cold: bool) -> bool {
    predicted_ms.is_finite() && actual_ms > 0.0 && !cold
}

/// Warm MAPE per worker, seen and unseen sizes, incremental learning off
/// and on, against its limit.
fn prediction(rows: &[AccuracyRow]) -> Vec<Target> {
    // (worker, kind of size, incremental) → (predicted, actual) pairs.
    type Cell<'a> = (&'a str, &'a str, &'a str);
    let mut cells: BTreeMap<Cell, Vec<(f64, f64)>> = BTreeMap::new();
    for r in rows.iter().filter(|r| r.status == 200 && scored(r.predicted_ms, r.actual_ms, r.cold)) {
        cells.entry((&r.worker, &r.kind, &r.incremental)).or_default().push((r.predicted_ms, r.actual_ms));
    }
    let mut targets = Vec::new();
    for ((worker, kind, incremental), pairs) in cells {
        let Some(&(_, limit)) = MAPE_LIMITS.iter().find(|(k, _)| *k == kind) else { continue };
        let (error, n) = mape(pairs.into_iter());
        targets.push(Target {
            asks: format!("prediction on `{worker}`, {kind} sizes, incremental learning {incremental}: warm MAPE under {limit:.0}%"),
            measured: format!("{error:.1}% ({n} calls)"),
            met: Some(error < limit),
        });
    }
    targets
}

/// Transfer's cost and accuracy against full training's, over the pairs
/// whose transfer arm found a source (the others trained in full).
fn transfer(arms: &[TransferRow], accuracy: &[TransferAccuracyRow]) -> Vec<Target> {
    if arms.is_empty() {
        return Vec::new();
    }
    let pairs: Vec<usize> = arms.iter().filter(|a| a.arm == "transfer" && a.path == "transfer").map(|a| a.pair).collect();
    if pairs.is_empty() {
        let asks = "transfer: a new function ready with a similar one's models".to_owned();
        return vec![Target { asks, measured: "no transfer arm found a source".to_owned(), met: Some(false) }];
    }
    let invocations = |arm: &str| {
        let of: Vec<u64> = arms.iter().filter(|a| a.arm == arm && pairs.contains(&a.pair)).map(|a| a.invocations).collect();
        of.iter().sum::<u64>() as f64 / of.len().max(1) as f64
    };
    let (transferred, own) = (invocations("transfer"), invocations("own"));
    let error = |arm: &str| {
        let rows = accuracy.iter().filter(|r| r.arm == arm && pairs.contains(&r.pair) && scored(r.predicted_ms, r.actual_ms, r.cold));
        mape(rows.map(|r| (r.predicted_ms, r.actual_ms))).0
    };
    let (transferred_error, own_error) = (error("transfer"), error("own"));
    vec![
        Target {
            asks: format!("transfer: ready with at most {:.0}% of full training's invocations", 100.0 * TRANSFER_SHARE),
            measured: format!("{transferred:.0} against {own:.0} ({:.0}%; mean of {} pair(s))", 100.0 * transferred / own, pairs.len()),
            met: Some(transferred <= TRANSFER_SHARE * own),
        },
        Target {
            asks: format!("transfer: MAPE at most {TRANSFER_MAPE}× full training's"),
            measured: format!("{transferred_error:.1}% against {own_error:.1}% ({:.2}×)", transferred_error / own_error),
            met: Some(transferred_error <= TRANSFER_MAPE * own_error),
        },
    ]
}

/// The orchestrator's policy in the run's scenario, or the server's default.
fn default_policy(run: &RunDir) -> PolicyKind {
    let text = std::fs::read_to_string(run.path("scenario.toml")).unwrap_or_default();
    let scenario: toml::Table = toml::from_str(&text).unwrap_or_default();
    let named = scenario.get("orchestrator").and_then(|o| o.get("policy")).cloned();
    named.and_then(|p| p.try_into().ok()).unwrap_or_else(|| hetfaas::config::Config::default().policy)
}

/// `stat` of one (load, policy) group, if the policy ran that load.
fn spread(rows: &[PolicyRow], load: &str, policy: PolicyKind, stat: Stat) -> Option<Spread> {
    let group = rows_of(rows, load, Router::Policy(policy));
    (!group.is_empty()).then(|| Spread::of(&group, stat))
}

/// The default policy against each baseline on every load and statistic,
/// strictly better than both single platforms somewhere, and against
/// `predicted` with the edge saturated.
fn policies(rows: &[PolicyRow], profile: &[OracleRow], default: PolicyKind) -> (Vec<Target>, Luck) {
    let own = Router::Policy(default);
    let loads: Vec<&str> = groups(rows).into_iter().filter(|&(_, p)| p == own).map(|(load, _)| load).collect();
    let mut targets = Vec::new();
    let mut better = Vec::new();
    let mut luck = Luck { repetitions: repetitions(rows.iter().filter(|r| r.policy == own)).len(), comparisons: 0 };
    for load in &loads {
        for (name, stat) in [("mean", Stat::Mean), ("p95", Stat::Percentile(0.95)), ("p99", Stat::Percentile(0.99))] {
            let Some(mine) = spread(rows, load, default, stat) else { continue };
            let compared: Vec<(PolicyKind, Spread, Verdict)> = BASELINES
                .into_iter()
                .filter(|&p| p != default)
                .filter_map(|p| spread(rows, load, p, stat).map(|s| (p, s, Verdict::of(&mine, &s))))
                .collect();
            if compared.is_empty() {
                continue;
            }
            luck.comparisons += compared.len();
            let single: Vec<Verdict> = compared.iter().filter(|(p, _, _)| SINGLE.contains(p)).map(|(_, _, v)| *v).collect();
            if !single.is_empty() && single.iter().all(|v| *v == Verdict::Better) {
                better.push(format!("{load} {name}"));
            }
            let against: Vec<String> = compared.iter().map(|(p, s, v)| format!("{} `{p}` {s}", v.as_str())).collect();
            targets.push(Target {
                asks: format!("`{default}`, {load} load, {name}: no worse than either single platform, `round-robin` or `random`"),
                measured: format!("{mine}; {}", against.join("; ")),
                met: Some(compared.iter().all(|(_, _, v)| *v != Verdict::Worse)),
            });
        }
    }
    if !targets.is_empty() {
        targets.push(Target {
            asks: format!("`{default}`: strictly better than both single platforms on at least one load and statistic"),
            measured: if better.is_empty() { "on none".to_owned() } else { format!("on {}", better.join(", ")) },
            met: Some(!better.is_empty()),
        });
    }
    targets.extend(saturated(rows, profile, default));
    (targets, luck)
}

/// The default's p99 against `predicted`'s in the closed loop, judged only
/// when that loop saturated the edge.
fn saturated(rows: &[PolicyRow], profile: &[OracleRow], default: PolicyKind) -> Option<Target> {
    if default == PolicyKind::Predicted {
        return None;
    }
    let p99 = |policy| spread(rows, SATURATING_LOAD, policy, Stat::Percentile(0.99)).map(|s| s.pooled);
    let (mine, predicted) = (p99(default)?, p99(PolicyKind::Predicted)?);
    let slowdown = edge_slowdown(rows, profile)?;
    Some(Target {
        asks: format!(
            "`{default}`, {SATURATING_LOAD} load, if it saturates the edge: p99 at least {SATURATED:.0}× lower than `predicted`'s"
        ),
        measured: format!(
            "{predicted:.1} / {mine:.1} = {:.2}×; under `edge-only` the edge's calls took {slowdown:.2}× their isolated time ({})",
            predicted / mine,
            if slowdown >= SATURATION { "saturated" } else { "not saturated" }
        ),
        met: (slowdown >= SATURATION).then_some(predicted >= SATURATED * mine),
    })
}

/// The closed loop's pressure on the edge: with every call on it
/// (`edge-only`), its calls' total duration over what the same calls took
/// one at a time in the isolated profile.
fn edge_slowdown(rows: &[PolicyRow], profile: &[OracleRow]) -> Option<f64> {
    let (mut took, mut alone) = (0.0, 0.0);
    for r in rows_of(rows, SATURATING_LOAD, Router::Policy(PolicyKind::EdgeOnly)).into_iter().filter(|r| r.status == 200) {
        let isolated = profile.iter().find(|p| p.function == r.function && p.input_size == r.input_size && p.worker == r.worker)?;
        (took, alone) = (took + r.duration_ms, alone + isolated.median_ms);
    }
    (alone > 0.0).then(|| took / alone)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(load: &str, policy: PolicyKind, repetition: usize, latency_ms: f64) -> PolicyRow {
        PolicyRow {
            load: load.to_owned(),
            policy: Router::Policy(policy),
            repetition,
            function: "f".to_owned(),
            input_size: 1,
            worker: "edge".to_owned(),
            latency_ms,
            duration_ms: latency_ms,
            predicted_ms: f64::NAN,
            status: 200,
            sent_s: 0.0,
            cold: false,
            run_started_s: 0.0,
        }
    }

    /// Three repetitions of twenty requests each, at `base` ms plus one per
    /// repetition, but for one slow request per repetition, at its `tails`
    /// (each repetition's p99; its p95 is the base).
    fn policy(load: &str, p: PolicyKind, base: f64, tails: [f64; 3]) -> Vec<PolicyRow> {
        (0..3).flat_map(|k| (0..20).map(move |i| row(load, p, k, if i == 19 { tails[k] } else { base + k as f64 }))).collect()
    }

    #[test]
    fn overlapping_ranges_are_level_and_separate_ones_decide() {
        let spread = |pooled, lo, hi| Spread { pooled, range: Some((lo, hi)) };
        assert_eq!(Verdict::of(&spread(10.0, 9.0, 12.0), &spread(11.0, 11.5, 13.0)), Verdict::Level);
        assert_eq!(Verdict::of(&spread(10.0, 9.0, 11.0), &spread(13.0, 12.0, 14.0)), Verdict::Better);
        assert_eq!(Verdict::of(&spread(13.0, 12.0, 14.0), &spread(10.0, 9.0, 11.0)), Verdict::Worse);
        let value = |pooled| Spread { pooled, range: None };
        assert_eq!(Verdict::of(&value(10.0), &value(10.5)), Verdict::Better);
    }

    #[test]
    fn a_default_worse_than_a_baseline_anywhere_fails_that_target_only() {
        let rows: Vec<PolicyRow> = [
            policy("closed", PolicyKind::LeastExpectedCompletion, 10.0, [50.0; 3]),
            policy("closed", PolicyKind::EdgeOnly, 30.0, [60.0; 3]),
            policy("closed", PolicyKind::CloudOnly, 40.0, [70.0; 3]),
            policy("closed", PolicyKind::RoundRobin, 20.0, [45.0; 3]),
            policy("closed", PolicyKind::Predicted, 30.0, [200.0; 3]),
            // The poisson load's tail: level with cloud-only, and worse than
            // edge-only in every repetition.
            policy("poisson", PolicyKind::LeastExpectedCompletion, 10.0, [130.0, 150.0, 170.0]),
            policy("poisson", PolicyKind::EdgeOnly, 10.0, [75.0, 128.0, 128.0]),
            policy("poisson", PolicyKind::CloudOnly, 50.0, [117.0, 124.0, 136.0]),
        ]
        .concat();
        // Alone, the edge-only calls took 10 ms: 30 to 60 under the closed
        // loop is a saturated edge.
        let profile =
            |median_ms| vec![OracleRow { function: "f".to_owned(), input_size: 1, worker: "edge".to_owned(), median_ms, calls: 3 }];
        let (targets, luck) = policies(&rows, &profile(10.0), PolicyKind::LeastExpectedCompletion);
        // Closed: three statistics against four baselines; poisson: against two.
        assert_eq!(luck, Luck { repetitions: 3, comparisons: 3 * 3 + 3 * 2 });
        let met = |asks: &str| targets.iter().find(|t| t.asks.contains(asks)).unwrap_or_else(|| panic!("{asks}: {targets:?}")).met;
        assert_eq!(met("closed load, mean"), Some(true), "{targets:?}");
        assert_eq!(met("closed load, p95"), Some(true), "{targets:?}");
        assert_eq!(met("closed load, p99"), Some(false), "round-robin's tail is lower in every repetition: {targets:?}");
        assert_eq!(met("strictly better"), Some(true), "{targets:?}");
        assert_eq!(met("at least 2×"), Some(true), "200 against 50: {targets:?}");
        assert_eq!(met("poisson load, mean"), Some(true), "{targets:?}");
        let tail = targets.iter().find(|t| t.asks.contains("poisson load, p99")).unwrap();
        assert_eq!(tail.met, Some(false), "level with one single platform and worse than the other is not met: {tail:?}");
        assert!(tail.measured.contains("level with `cloud-only`") && tail.measured.contains("worse than `edge-only`"), "{tail:?}");
        let (unsaturated, _) = policies(&rows, &profile(30.0), PolicyKind::LeastExpectedCompletion);
        let judged = unsaturated.iter().find(|t| t.asks.contains("at least 2×")).unwrap();
        assert_eq!(judged.met, None, "an edge whose calls took about their isolated time was not saturated: {judged:?}");
        let worse = targets.iter().find(|t| t.asks.contains("p99:")).unwrap();
        assert!(worse.measured.contains("worse than `round-robin` 45.0 [45.0, 45.0]"), "{}", worse.measured);
        assert!(worse.measured.contains("better than `edge-only`"), "{}", worse.measured);
    }

    #[test]
    fn prediction_targets_use_warm_calls_and_the_limit_of_their_kind() {
        let call = |kind: &str, predicted_ms, actual_ms, cold| AccuracyRow {
            incremental: "off".to_owned(),
            function: "f".to_owned(),
            worker: "edge".to_owned(),
            kind: kind.to_owned(),
            input_size: 1,
            predicted_ms,
            actual_ms,
            latency_ms: actual_ms,
            status: 200,
            cold,
            cpu_ms: None,
            throttled_ms: None,
        };
        let rows = [
            call("seen", 10.0, 9.0, false),
            call("seen", 10.0, 11.0, false),
            call("seen", 10.0, 100.0, true),
            call("unseen", 10.0, 8.5, false),
            call("between", 1.0, 9.0, false),
        ];
        let targets = prediction(&rows);
        assert_eq!(targets.len(), 2, "between sizes have no target: {targets:?}");
        assert!(targets[0].met == Some(false) && targets[0].measured == "10.1% (2 calls)", "the cold call is left out: {targets:?}");
        assert!(targets[1].met == Some(true) && targets[1].asks.contains("under 20%"), "{targets:?}");
    }

    #[test]
    fn transfer_is_judged_on_the_pairs_that_found_a_source() {
        let arm = |pair, arm: &str, path: &str, invocations| TransferRow {
            pair,
            arm: arm.to_owned(),
            function: format!("f{pair}-{arm}"),
            path: path.to_owned(),
            source: String::new(),
            source_choice: "nearest".to_owned(),
            invocations,
            wall_ms: 1.0,
        };
        let call = |pair, arm: &str, predicted_ms, actual_ms| TransferAccuracyRow {
            pair,
            arm: arm.to_owned(),
            path: String::new(),
            function: format!("f{pair}-{arm}"),
            worker: "edge".to_owned(),
            kind: "seen".to_owned(),
            input_size: 1,
            predicted_ms,
            actual_ms,
            cold: false,
        };
        // Pair 1's transfer arm found no source and trained in full: its
        // cost and its error say nothing of transfer.
        let arms =
            [arm(0, "transfer", "transfer", 20), arm(0, "own", "full", 100), arm(1, "transfer", "full", 100), arm(1, "own", "full", 100)];
        let calls =
            [call(0, "transfer", 11.0, 10.0), call(0, "own", 10.5, 10.0), call(1, "transfer", 50.0, 10.0), call(1, "own", 10.0, 10.0)];
        let targets = transfer(&arms, &calls);
        assert_eq!(targets[0].met, Some(true), "{targets:?}");
        assert!(targets[0].measured.starts_with("20 against 100 (20%"), "{targets:?}");
        assert_eq!(targets[1].met, Some(false), "10% against 5% is 2×: {targets:?}");
        assert!(targets[1].measured.contains("(2.00×)"), "{targets:?}");
        let none = transfer(&arms[2..], &calls);
        assert_eq!(none[0].met, Some(false), "no pair transferred: {none:?}");
    }
}
