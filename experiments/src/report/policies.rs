//! The policies stage's tables: latency per load and policy pooled over
//! the repetitions with their spread, and the same restricted to the
//! requests the steadiness probe found the machine steady for, so that a
//! policy is not judged by the host's slow spells it happened to meet.

use std::fmt::Write;

use super::steadiness::{Beside, SLOW};
use crate::results::{PolicyRow, RunDir};
use crate::scenario::Router;
use crate::stats::{Distribution, bootstrap};

/// The closed loop's load name in `policies.csv`.
pub(super) const CLOSED: &str = "closed";

/// Each (load, policy) of the stage, in the order they first ran.
pub(super) fn groups(rows: &[PolicyRow]) -> Vec<(&str, Router)> {
    let mut groups: Vec<(&str, Router)> = Vec::new();
    for r in rows {
        if !groups.contains(&(r.load.as_str(), r.policy)) {
            groups.push((&r.load, r.policy));
        }
    }
    groups
}

/// A statistic of a latency distribution.
#[derive(Debug, Clone, Copy)]
pub(super) enum Stat {
    Mean,
    Percentile(f64),
}

impl Stat {
    fn of(self, values: impl IntoIterator<Item = f64>) -> f64 {
        let d = Distribution::of(values);
        match self {
            Stat::Mean => d.mean(),
            Stat::Percentile(q) => d.percentile(q),
        }
    }
}

/// A statistic over all repetitions, and its spread across them: the
/// lowest and highest single repetition's value, or a bootstrap interval
/// of a percentile within the one run when there is only one (and none
/// for a mean then).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Spread {
    pub pooled: f64,
    pub range: Option<(f64, f64)>,
}

impl Spread {
    pub(super) fn of(rows: &[&PolicyRow], stat: Stat) -> Spread {
        let values: Vec<f64> = rows.iter().map(|r| r.latency_ms).collect();
        let pooled = stat.of(values.iter().copied());
        let repetitions = repetitions(rows.iter().copied());
        let range = match stat {
            _ if repetitions.len() > 1 => {
                let each: Vec<f64> =
                    repetitions.iter().map(|&k| stat.of(rows.iter().filter(|r| r.repetition == k).map(|r| r.latency_ms))).collect();
                Some((each.iter().copied().fold(f64::INFINITY, f64::min), each.iter().copied().fold(0.0, f64::max)))
            }
            Stat::Percentile(q) => Some(bootstrap(&values, q)),
            Stat::Mean => None,
        };
        Spread { pooled, range }
    }
}

/// The distinct repetitions the rows come from, in order.
pub(super) fn repetitions<'a>(rows: impl IntoIterator<Item = &'a PolicyRow>) -> Vec<usize> {
    let mut repetitions: Vec<usize> = rows.into_iter().map(|r| r.repetition).collect();
    repetitions.sort_unstable();
    repetitions.dedup();
    repetitions
}

impl std::fmt::Display for Spread {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.range {
            Some((lo, hi)) => write!(f, "{:.1} [{lo:.1}, {hi:.1}]", self.pooled),
            None => write!(f, "{:.1}", self.pooled),
        }
    }
}

/// The rows of one (load, policy) group.
pub(super) fn rows_of<'a>(rows: &'a [PolicyRow], load: &str, policy: Router) -> Vec<&'a PolicyRow> {
    rows.iter().filter(|r| r.load == load && r.policy == policy).collect()
}

/// Requests completed per second: each repetition's requests over its
/// span, first send to last answer, the spans summed. In a closed loop a
/// user sends its next request when the last is answered, so this is the
/// load a policy was offered as much as the load it served.
pub(super) fn throughput(group: &[&PolicyRow]) -> Option<f64> {
    let mut spans: std::collections::BTreeMap<usize, (f64, f64)> = Default::default();
    for r in group {
        let span = spans.entry(r.repetition).or_insert((f64::INFINITY, f64::NEG_INFINITY));
        *span = (span.0.min(r.sent_s), span.1.max(r.sent_s + r.latency_ms / 1000.0));
    }
    let seconds: f64 = spans.values().map(|(first, last)| last - first).sum();
    (seconds > 0.0).then(|| group.len() as f64 / seconds)
}

/// `value / base` as a ratio, or "-" when either is missing.
fn ratio(value: Option<f64>, base: Option<f64>) -> String {
    match (value, base) {
        (Some(v), Some(b)) if b > 0.0 => format!("{:.2}×", v / b),
        _ => "-".to_owned(),
    }
}

/// Both tables, from one read of the stage's rows and the probe's.
pub fn tables(run: &RunDir, out: &mut String) -> anyhow::Result<()> {
    let rows: Vec<PolicyRow> = run.read()?;
    if rows.is_empty() {
        return Ok(());
    }
    let machine = Beside::policies(run)?;
    table(&rows, &machine, &sharing(run), out);
    steady_table(&rows, &machine, out);
    Ok(())
}

/// Which CPUs the load generator had: all the machine's, shared with the
/// workers, or those the orchestrator's `cpus` confined it to (as
/// `environment.json` recorded them).
fn sharing(run: &RunDir) -> String {
    let environment = run.read_json("environment.json").unwrap_or_default();
    let harness: Option<Vec<usize>> = serde_json::from_value(environment["harness_cpus"].clone()).ok();
    match (harness, environment["cpus"].as_u64()) {
        (Some(cpus), Some(machine)) if (cpus.len() as u64) < machine => format!(
            "the load generator, the orchestrator and the steadiness probe ran on CPU {cpus:?} only (`cpus` in the \
             scenario's orchestrator section), beside any worker pinned there"
        ),
        _ => "the load generator shares the CPUs with the orchestrator and its workers".to_owned(),
    }
}

/// Latency percentiles (with their spread across repetitions), mean, share
/// per worker and errors, per load shape and policy.
fn table(rows: &[PolicyRow], machine: &Beside, sharing: &str, out: &mut String) {
    let repetitions = rows.iter().map(|r| r.repetition).max().unwrap_or(0) + 1;
    let _ = writeln!(out, "## Routing policies under the same load\n");
    let _ = writeln!(
        out,
        "Client-measured latency; {sharing}. \
         {repetitions} repetitions, the policies' order rotated each time; each percentile is over all of them, \
         in brackets the lowest and highest single repetition's (a bootstrap 95% interval when there is one). \
         `oracle` pins each request to the tier that was fastest for its function and size in an isolated \
         profiling pass. *Throughput* is requests completed per second of each repetition (first send to last \
         answer): in the closed loop a user sends its next request when the last is answered, so a policy that answers \
         sooner is offered more requests per second, and its percentiles are over more load than a slower policy's \
         (the open loops offer every policy the same arrivals). Errors include transport errors and timeouts; cold calls are those that had to start an \
         instance (every worker's pool is warmed to the closed loop's concurrency first, so no policy pays for \
         another's start-ups). *Machine slow* is the share of the steadiness probe's runs, while the policy's own runs \
         went on, that took over {SLOW}× the stage's steady speed (its fastest tenth) (see \"How steady the machine was\"): where it differs \
         between policies, so did the machine they ran on, and the next table sets them side by side on a steady one.\n"
    );
    let _ = writeln!(
        out,
        "| load | policy | mean (ms) | p50 (ms) | p95 (ms) | p99 (ms) | mean / oracle's | p99 / best single platform's | throughput (req/s) | requests per worker | errors | cold calls | machine slow |\n\
         |---|---|---|---|---|---|---|---|---|---|---|---|---|"
    );
    let latencies = |load: &str, policy: Router| {
        let group: Vec<f64> = rows_of(rows, load, policy).iter().map(|r| r.latency_ms).collect();
        (!group.is_empty()).then(|| Distribution::of(group))
    };
    let mean_of = |load: &str, policy: Router| latencies(load, policy).map(|d| d.mean());
    let p99_of = |load: &str, policy: Router| latencies(load, policy).map(|d| d.percentile(0.99));
    for (load, policy) in groups(rows) {
        let group = rows_of(rows, load, policy);
        let single = [hetfaas_api::PolicyKind::EdgeOnly, hetfaas_api::PolicyKind::CloudOnly].map(|p| p99_of(load, Router::Policy(p)));
        let best_single = single.into_iter().flatten().reduce(f64::min);
        let mean = Distribution::of(group.iter().map(|r| r.latency_ms)).mean();
        let vs_oracle = ratio(Some(mean), mean_of(load, Router::Oracle));
        let vs_single = ratio(p99_of(load, policy), best_single);
        let mut share: Vec<(String, usize)> = Vec::new();
        for r in &group {
            let w = if r.worker.is_empty() { "none".to_owned() } else { r.worker.clone() };
            match share.iter_mut().find(|(name, _)| *name == w) {
                Some((_, n)) => *n += 1,
                None => share.push((w, 1)),
            }
        }
        share.sort();
        let share = share.iter().map(|(w, n)| format!("{w} {:.0}%", 100.0 * *n as f64 / group.len() as f64)).collect::<Vec<_>>().join(", ");
        let errors = group.iter().filter(|r| r.status != 200).count();
        let cold = group.iter().filter(|r| r.cold).count();
        let _ = writeln!(
            out,
            "| {load} | {policy} | {} | {} | {} | {} | {vs_oracle} | {vs_single} | {} | {share} | {errors} | {cold} | {} |",
            Spread::of(&group, Stat::Mean),
            Spread::of(&group, Stat::Percentile(0.5)),
            Spread::of(&group, Stat::Percentile(0.95)),
            Spread::of(&group, Stat::Percentile(0.99)),
            throughput(&group).map_or_else(|| "-".to_owned(), |t| format!("{t:.1}")),
            machine.slow_share(&group)
        );
    }
    out.push('\n');
}

/// The policy table again over only the requests during which every probe
/// run found the machine steady; absent when the probe did not run.
fn steady_table(rows: &[PolicyRow], machine: &Beside, out: &mut String) {
    let steady: Vec<&PolicyRow> = rows.iter().filter(|r| machine.steady(r) == Some(true)).collect();
    if steady.is_empty() {
        return;
    }
    let _ = writeln!(out, "## Routing policies on a steady machine (new)\n");
    let _ = writeln!(
        out,
        "The table above, counting only the requests whose whole span met no probe run over {SLOW}× the stage's steady speed \
         (the probe's runs that ended during it, and the first after): every policy is held to the same rule, so what \
         remains is each policy's own doing. A longer request spans more probe runs and is dropped more often, which \
         flatters the policies with the longest tails. *Kept* is the share of the policy's requests counted.\n"
    );
    let _ = writeln!(out, "| load | policy | kept | mean (ms) | p95 (ms) | p99 (ms) |\n|---|---|---|---|---|---|");
    for (load, policy) in groups(rows) {
        let all = rows.iter().filter(|r| r.load == load && r.policy == policy).count();
        let group: Vec<&PolicyRow> = steady.iter().copied().filter(|r| r.load == load && r.policy == policy).collect();
        let _ = writeln!(
            out,
            "| {load} | {policy} | {:.0}% | {} | {} | {} |",
            100.0 * group.len() as f64 / all.max(1) as f64,
            Spread::of(&group, Stat::Mean),
            Spread::of(&group, Stat::Percentile(0.95)),
            Spread::of(&group, Stat::Percentile(0.99))
        );
    }
    out.push('\n');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_says_where_the_load_generator_ran_as_the_run_recorded_it() {
        let results = tempfile::tempdir().unwrap();
        let run = RunDir::create(results.path(), "paper").unwrap();
        run.write_json("environment.json", &serde_json::json!({ "cpus": 2, "harness_cpus": [0] })).unwrap();
        assert!(sharing(&run).starts_with("the load generator, the orchestrator and the steadiness probe ran on CPU [0] only"));
        for everywhere in [serde_json::json!({ "cpus": 2, "harness_cpus": [0, 1] }), serde_json::json!({ "cpus": 2 })] {
            run.write_json("environment.json", &everywhere).unwrap();
            assert_eq!(sharing(&run), "the load generator shares the CPUs with the orchestrator and its workers", "{everywhere}");
        }
    }
}
