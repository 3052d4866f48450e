//! The overload sweep's table: each policy's p99 at each offered rate, and
//! the rate where it passed the threshold. Shared with the figure, which
//! plots the same p99s.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;

use hetfaas_api::PolicyKind;

use crate::results::{OverloadRow, RunDir, Table};
use crate::stages::overload::counted_ms;
use crate::stats::Distribution;

/// One policy at one offered rate.
pub struct Step {
    pub p99_ms: f64,
    /// Requests sent per second over the span of sends.
    pub achieved: f64,
    pub threshold_ms: f64,
}

/// Offered rates as keys: requests per second, to the thousandth.
fn key(rate: f64) -> u64 {
    (rate * 1000.0).round() as u64
}

/// Each policy's steps, by offered rate.
pub fn steps(rows: &[OverloadRow]) -> BTreeMap<PolicyKind, BTreeMap<u64, Step>> {
    let mut grouped: BTreeMap<(PolicyKind, u64), Vec<&OverloadRow>> = BTreeMap::new();
    for row in rows {
        grouped.entry((row.policy, key(row.offered_rate))).or_default().push(row);
    }
    let mut out: BTreeMap<PolicyKind, BTreeMap<u64, Step>> = BTreeMap::new();
    for ((policy, rate), rows) in grouped {
        let p99_ms = Distribution::of(rows.iter().map(|r| counted_ms(r.status, r.latency_ms))).percentile(0.99);
        let span = rows.iter().map(|r| r.sent_s).fold(0.0, f64::max) - rows.iter().map(|r| r.sent_s).fold(f64::INFINITY, f64::min);
        let achieved = if span > 0.0 { (rows.len() - 1) as f64 / span } else { f64::NAN };
        out.entry(policy).or_default().insert(rate, Step { p99_ms, achieved, threshold_ms: rows[0].threshold_ms });
    }
    out
}

pub fn table(run: &RunDir, out: &mut String) -> anyhow::Result<()> {
    if !run.path(OverloadRow::FILE).exists() {
        return Ok(());
    }
    let rows: Vec<OverloadRow> = run.read()?;
    let steps = steps(&rows);
    let rates: BTreeSet<u64> = steps.values().flat_map(|s| s.keys().copied()).collect();
    let Some(threshold) = steps.values().flat_map(|s| s.values()).map(|s| s.threshold_ms).next() else { return Ok(()) };
    let _ = writeln!(out, "## Overload point (new)\n");
    let _ = writeln!(
        out,
        "Poisson arrivals at a doubling offered rate, the same requests at each rate for every policy, learning frozen; a \
         policy's sweep stops at the first rate where its p99 passes {threshold:.0} ms (a failed request counts as slower). \
         Each cell is the p99 in ms; `*` marks a step where the load generator achieved under 90% of the offered rate.\n"
    );
    let header: Vec<String> = rates.iter().map(|&r| format!("{} req/s", r as f64 / 1000.0)).collect();
    let _ = writeln!(out, "| policy | {} | overloaded at |", header.join(" | "));
    let _ = writeln!(out, "|---|{}---|", "---|".repeat(rates.len()));
    for (policy, by_rate) in &steps {
        let cells: Vec<String> = rates
            .iter()
            .map(|r| match by_rate.get(r) {
                None => "-".into(),
                Some(s) if s.p99_ms >= crate::stages::overload::FAILED_MS => "failed".into(),
                Some(s) => format!("{:.0}{}", s.p99_ms, if s.achieved < 0.9 * *r as f64 / 1000.0 { "*" } else { "" }),
            })
            .collect();
        let over = by_rate.iter().find(|(_, s)| s.p99_ms > s.threshold_ms).map(|(&r, _)| format!("{} req/s", r as f64 / 1000.0));
        let last = by_rate.keys().last().map_or(0.0, |&r| r as f64 / 1000.0);
        let _ = writeln!(out, "| {policy} | {} | {} |", cells.join(" | "), over.unwrap_or_else(|| format!("not by {last} req/s")));
    }
    out.push('\n');
    Ok(())
}
