//! How steady the machine was beside each stage, from `steadiness.csv`: the
//! spread of one fixed piece of work's CPU time, and the error floor it
//! sets for any prediction that cannot see the machine's speed.

use std::fmt::Write;

use crate::results::{PolicyRow, RunDir, SteadinessRow, Table};
use crate::stats::{exact_median, percentile};
use crate::steadiness::floor;

/// A probe run over this many times its stage's steady speed finds the
/// machine slow: above the work's own spread on a steady host (its p90
/// within 1.2× its median when timed back to back here), below the 2× of a
/// slow spell.
pub const SLOW: f64 = 1.5;

/// The machine's steady speed in a stage: the probe's fastest tenth (its
/// 10th percentile, exactly). Not the median, which a stage spent mostly in
/// slow spells would move into them.
fn steady_ms(values: &[f64]) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    sorted.get(sorted.len() / 10).copied().unwrap_or(f64::NAN)
}

/// The probe's runs beside the policies stage, in time order, to set
/// beside each policy's own runs and requests.
pub struct Beside {
    /// (seconds since the stage began, CPU ms).
    runs: Vec<(f64, f64)>,
    steady_ms: f64,
}

impl Beside {
    pub fn policies(run: &RunDir) -> anyhow::Result<Beside> {
        let rows: Vec<SteadinessRow> = run.read()?;
        let mut runs: Vec<(f64, f64)> = rows.into_iter().filter(|r| r.stage == "policies").map(|r| (r.at_s, r.cpu_ms)).collect();
        runs.sort_by(|a, b| a.0.total_cmp(&b.0));
        let steady_ms = steady_ms(&runs.iter().map(|&(_, cpu)| cpu).collect::<Vec<_>>());
        Ok(Beside { runs, steady_ms })
    }

    fn slow(&self, cpu_ms: f64) -> bool {
        cpu_ms > SLOW * self.steady_ms
    }

    /// The probe's runs that ended between `start` and `end` seconds, and
    /// the first after: together they cover the whole span.
    fn covering(&self, start: f64, end: f64) -> &[(f64, f64)] {
        let from = self.runs.partition_point(|&(at, _)| at < start);
        let to = (self.runs.partition_point(|&(at, _)| at <= end) + 1).min(self.runs.len());
        &self.runs[from.min(to)..to]
    }

    /// The share of the probe's runs that found the machine slow while
    /// these requests' runs of a policy went on (each from its start to its
    /// last answer); `-` if the probe did not run beside them.
    pub fn slow_share(&self, requests: &[&PolicyRow]) -> String {
        let mut spans: Vec<(f64, f64)> = Vec::new();
        for r in requests.iter().filter(|r| r.run_started_s.is_finite()) {
            let end = r.run_started_s + r.sent_s + r.latency_ms / 1000.0;
            match spans.iter_mut().find(|(start, _)| *start == r.run_started_s) {
                Some((_, last)) => *last = last.max(end),
                None => spans.push((r.run_started_s, end)),
            }
        }
        let inside: Vec<f64> = spans.iter().flat_map(|&(start, end)| self.covering(start, end)).map(|&(_, cpu)| cpu).collect();
        if inside.is_empty() {
            return "-".into();
        }
        format!("{:.0}%", 100.0 * inside.iter().filter(|&&cpu| self.slow(cpu)).count() as f64 / inside.len() as f64)
    }

    /// Whether every probe run over one request's span found the machine
    /// steady; `None` where the probe did not run beside it.
    pub fn steady(&self, r: &PolicyRow) -> Option<bool> {
        let start = r.run_started_s + r.sent_s;
        if !start.is_finite() {
            return None;
        }
        let runs = self.covering(start, start + r.latency_ms / 1000.0);
        (!runs.is_empty()).then(|| runs.iter().all(|&(_, cpu)| !self.slow(cpu)))
    }
}

pub fn table(run: &RunDir, out: &mut String) -> anyhow::Result<()> {
    if !run.path(SteadinessRow::FILE).exists() {
        return Ok(());
    }
    let rows: Vec<SteadinessRow> = run.read()?;
    let mut stages: Vec<(&str, Vec<f64>)> = Vec::new();
    for row in &rows {
        match stages.iter_mut().find(|(name, _)| *name == row.stage) {
            Some((_, values)) => values.push(row.cpu_ms),
            None => stages.push((&row.stage, vec![row.cpu_ms])),
        }
    }
    if stages.is_empty() {
        return Ok(());
    }
    let _ = writeln!(out, "## How steady the machine was (new)\n");
    let _ = writeln!(
        out,
        "Beside every stage a `python3` process timed the same piece of Python work (parse, add and print integers, like the \
         bundled handlers) at a fixed interval, outside every worker's quota. The work never changes, so the spread of its \
         CPU time is the machine's: a shared host, its frequency, the stages' own load. *Slow* counts the runs over \
         {SLOW}× the stage's fastest tenth (its p10: the machine at its steady speed). *Floor* is the MAPE of predicting \
         each run by the stage's median: about the least error any prediction from input size alone can make on \
         CPU-bound work while the machine behaves like this. Compare it with the accuracy stage's MAPE on a quota'd worker, whose \
         durations are mostly CPU time.\n"
    );
    let _ = writeln!(
        out,
        "| stage | runs | median CPU ms | p10 – p90 | slowest / fastest | slow (over {SLOW}× p10) | floor |\n|---|---|---|---|---|---|---|"
    );
    for (stage, values) in &stages {
        let fastest = values.iter().copied().fold(f64::INFINITY, f64::min);
        let slowest = values.iter().copied().fold(0.0, f64::max);
        let (median, steady) = (exact_median(values), steady_ms(values));
        let slow = values.iter().filter(|&&v| v > SLOW * steady).count();
        let _ = writeln!(
            out,
            "| {stage} | {} | {median:.2} | {:.2} – {:.2} | {:.2}× | {:.0}% | {:.1}% |",
            values.len(),
            percentile(values.iter().copied(), 0.1),
            percentile(values.iter().copied(), 0.9),
            slowest / fastest,
            100.0 * slow as f64 / values.len() as f64,
            floor(values)
        );
    }
    out.push('\n');
    Ok(())
}
