//! The dissertation's accuracy figures as it drew them: actual duration (y)
//! against predicted duration (x), one point per input size at the medians,
//! a whisker from the fastest to the slowest call at that size, and the
//! identity line (a perfect prediction lies on it). Seen and unseen sizes
//! in separate figures, warm calls only:
//!
//! - 5.1-5.4: each worker's model with incremental learning off;
//! - 5.5-5.8: own training against the model after transfer, on the same
//!   fresh calls.

use super::chart::{Mark, Series, XyChart};
use super::{Save, group};
use crate::results::{AccuracyRow, RunDir, TransferAccuracyRow};
use crate::stages::accuracy::FIRST_CALL;
use crate::stats::Distribution;

/// One call as these figures see it.
struct Call<'a> {
    label: &'a str,
    size: u64,
    predicted_ms: f64,
    actual_ms: f64,
}

/// Per label: the median point per size and its whiskers; then y = x.
fn actual_vs_predicted(calls: &[Call]) -> Vec<Series> {
    let mut series = Vec::new();
    let mut top: f64 = 0.0;
    for (i, (label, calls)) in group(calls, |c| c.label.to_owned()).into_iter().enumerate() {
        let (mut points, mut whiskers) = (Vec::new(), Vec::new());
        for (_, at) in group(&calls, |c| c.size) {
            let predicted = Distribution::of(at.iter().map(|c| c.predicted_ms)).percentile(0.5);
            let actual = Distribution::of(at.iter().map(|c| c.actual_ms));
            let (lo, mid, hi) = (actual.percentile(0.0), actual.percentile(0.5), actual.max());
            top = top.max(hi).max(predicted);
            points.push((predicted, mid));
            whiskers.extend([(predicted, lo), (predicted, hi)]);
        }
        series.push(Series { label: format!("{label}, median per size"), points, mark: Mark::Points, colour: i });
        series.push(Series { label: format!("{label}, fastest to slowest call"), points: whiskers, mark: Mark::Whiskers, colour: i });
    }
    series.push(Series { label: "actual = predicted".into(), points: vec![(0.0, 0.0), (top, top)], mark: Mark::Line, colour: 98 });
    series
}

fn chart(title: String, series: Vec<Series>) -> XyChart {
    XyChart { title, x_label: "predicted duration (ms)".into(), y_label: "actual duration (ms)".into(), series }
}

/// 5.1-5.4: per worker, seen and unseen, incremental learning off (the
/// first calls of the pass apart: see `stages::accuracy`).
pub fn accuracy(run: &RunDir, save: &mut Save) -> anyhow::Result<()> {
    let rows: Vec<AccuracyRow> = run.read()?;
    let warm =
        rows.iter().filter(|r| r.incremental == "off" && r.status == 200 && !r.cold && r.kind != FIRST_CALL && r.predicted_ms.is_finite());
    for ((worker, kind), rows) in group(&warm.collect::<Vec<_>>(), |r| (r.worker.clone(), r.kind.clone())) {
        let calls: Vec<Call> = rows
            .iter()
            .map(|r| Call { label: &r.function, size: r.input_size, predicted_ms: r.predicted_ms, actual_ms: r.actual_ms })
            .collect();
        let title = format!("Actual vs predicted on {worker}, {kind} sizes, incremental learning off (dissertation 5.1-5.4)");
        save(&format!("accuracy-{worker}-{kind}"), chart(title, actual_vs_predicted(&calls)))?;
    }
    Ok(())
}

/// 5.5-5.8: per worker, seen and unseen, own training against transfer.
pub fn transfer(run: &RunDir, save: &mut Save) -> anyhow::Result<()> {
    let rows: Vec<TransferAccuracyRow> = run.read()?;
    let warm = rows.iter().filter(|r| !r.cold && r.predicted_ms.is_finite());
    for ((worker, kind), rows) in group(&warm.collect::<Vec<_>>(), |r| (r.worker.clone(), r.kind.clone())) {
        let labels: Vec<String> =
            rows.iter().map(|r| format!("pair {}, {} model", r.pair, if r.path == "transfer" { "transferred" } else { "own" })).collect();
        let calls: Vec<Call> = rows
            .iter()
            .zip(&labels)
            .map(|(r, label)| Call { label, size: r.input_size, predicted_ms: r.predicted_ms, actual_ms: r.actual_ms })
            .collect();
        let title = format!("Own training vs transfer on {worker}, {kind} sizes (dissertation 5.5-5.8)");
        save(&format!("transfer-{worker}-{kind}"), chart(title, actual_vs_predicted(&calls)))?;
    }
    Ok(())
}
