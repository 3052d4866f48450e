//! Where each worker's prediction error comes from: the accuracy stage's
//! calls (incremental learning off) split by what the worker measured of
//! each one, beside the scatter of calls at the same size, which no model of
//! size can remove. Read from `accuracy.csv` alone.

use std::collections::BTreeMap;
use std::fmt::Write;

use crate::results::{AccuracyRow, RunDir, Table};
use crate::stages::accuracy::FIRST_CALL;
use crate::stats::exact_median;

/// Mean absolute percentage error (%) of `(predicted, actual)` pairs, and
/// how many there were.
fn mape(pairs: impl Iterator<Item = (f64, f64)>) -> (f64, usize) {
    let (sum, n) = pairs.fold((0.0, 0), |(s, n), (p, a)| (s + (p - a).abs() / a, n + 1));
    (100.0 * sum / n.max(1) as f64, n)
}

fn shown((error, n): (f64, usize)) -> String {
    if n == 0 { "-".into() } else { format!("{error:.1}% ({n})") }
}

/// Each call against the exact median of the calls of its function at its
/// size: the scatter at a fixed size, which no model of input size can
/// remove.
fn scatter(calls: &[&AccuracyRow]) -> Vec<(f64, f64)> {
    let mut by_size: BTreeMap<(&str, u64), Vec<f64>> = BTreeMap::new();
    for r in calls {
        by_size.entry((r.function.as_str(), r.input_size)).or_default().push(r.actual_ms);
    }
    let medians: BTreeMap<(&str, u64), f64> = by_size.into_iter().map(|(k, v)| (k, exact_median(&v))).collect();
    calls.iter().map(|r| (medians[&(r.function.as_str(), r.input_size)], r.actual_ms)).collect()
}

pub fn table(run: &RunDir, out: &mut String) -> anyhow::Result<()> {
    if !run.path(AccuracyRow::FILE).exists() {
        return Ok(());
    }
    let rows: Vec<AccuracyRow> = run.read()?;
    let measured = |r: &&AccuracyRow| r.incremental == "off" && r.status == 200 && r.predicted_ms.is_finite() && r.actual_ms > 0.0;
    let mut workers: BTreeMap<&str, Vec<&AccuracyRow>> = BTreeMap::new();
    for row in rows.iter().filter(measured) {
        workers.entry(row.worker.as_str()).or_default().push(row);
    }
    if workers.is_empty() {
        return Ok(());
    }
    let _ = writeln!(out, "## Where the prediction error comes from (new)\n");
    let _ = writeln!(
        out,
        "The accuracy stage's calls with incremental learning off; MAPE with the number of calls in brackets. A call is \
         *throttled* when the worker's CPU quota held its processes back while it ran (the cgroup's throttled time over the \
         call, in the call's profile; `-` where the worker has no quota). *Scatter at a fixed size* sets each warm call against \
         the median of its function's calls at the same size: the error no model of input size can remove (the calls' \
         inputs differ, and so does what ran beside them). The rest of the warm error is the model's (its training rows, \
         family, the machine's load then and now). Cold calls are counted apart, and so are the *first calls*: one per \
         function and worker opens the function's turn in each pass, after other functions' calls.\n"
    );
    let _ = writeln!(
        out,
        "| worker | warm calls | throttled | warm, throttled | warm, not throttled | scatter at a fixed size | first calls | cold calls |\n\
         |---|---|---|---|---|---|---|---|"
    );
    for (worker, calls) in &workers {
        let first = |r: &&AccuracyRow| r.kind == FIRST_CALL;
        let warm: Vec<&AccuracyRow> = calls.iter().copied().filter(|r| !r.cold && !first(r)).collect();
        let pair = |r: &&AccuracyRow| (r.predicted_ms, r.actual_ms);
        let throttled = |r: &&&AccuracyRow| r.throttled_ms.is_some_and(|t| t > 0.0);
        let unthrottled = |r: &&&AccuracyRow| r.throttled_ms == Some(0.0);
        let share = if warm.iter().any(|r| r.throttled_ms.is_some()) {
            format!("{} of {}", warm.iter().filter(throttled).count(), warm.len())
        } else {
            "-".into()
        };
        let _ = writeln!(
            out,
            "| {worker} | {} | {share} | {} | {} | {} | {} | {} |",
            shown(mape(warm.iter().map(pair))),
            shown(mape(warm.iter().filter(throttled).map(pair))),
            shown(mape(warm.iter().filter(unthrottled).map(pair))),
            shown(mape(scatter(&warm).into_iter())),
            shown(mape(calls.iter().filter(|r| !r.cold && first(r)).map(pair))),
            shown(mape(calls.iter().filter(|r| r.cold).map(pair))),
        );
    }
    out.push('\n');
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(size: u64, actual_ms: f64) -> AccuracyRow {
        AccuracyRow {
            incremental: "off".into(),
            function: "f".into(),
            worker: "edge".into(),
            kind: "seen".into(),
            input_size: size,
            predicted_ms: actual_ms,
            actual_ms,
            latency_ms: actual_ms,
            status: 200,
            cold: false,
            cpu_ms: None,
            throttled_ms: None,
        }
    }

    #[test]
    fn the_scatter_is_zero_when_each_size_repeats_itself_and_positive_on_noise() {
        let steady: Vec<AccuracyRow> = [(100, 10.0), (100, 10.0), (200, 30.0), (200, 30.0)].iter().map(|&(n, ms)| row(n, ms)).collect();
        let calls: Vec<&AccuracyRow> = steady.iter().collect();
        assert_eq!(mape(scatter(&calls).into_iter()).0, 0.0, "a curve of any shape: nothing left at a fixed size");
        let noisy: Vec<AccuracyRow> = [10.0, 20.0, 10.0, 20.0].iter().map(|&ms| row(100, ms)).collect();
        let calls: Vec<&AccuracyRow> = noisy.iter().collect();
        assert!((mape(scatter(&calls).into_iter()).0 - 37.5).abs() < 1e-9, "10 or 20 ms at one size: the median (15) is 50%/25% off");
    }
}
