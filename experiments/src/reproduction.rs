//! The reproduction table of `report.md`: each number the dissertation
//! reports, beside the same quantity measured in this run, from the run's
//! CSVs alone. A quantity the run did not measure says so rather than
//! leaving a gap that reads like agreement.

use std::fmt::Write;

use crate::results::{AccuracyRow, ColdStartRow, PolicyRow, RegressionRow, RunDir, TrainRow, TransferRow};
use crate::scenario::Router;
use crate::stats::Distribution;

fn mean(values: impl IntoIterator<Item = f64>) -> Option<f64> {
    let values: Vec<f64> = values.into_iter().filter(|v| v.is_finite()).collect();
    (!values.is_empty()).then(|| values.iter().sum::<f64>() / values.len() as f64)
}

/// The distinct values of `values`, sorted.
fn distinct<T: Ord>(values: impl IntoIterator<Item = T>) -> Vec<T> {
    values.into_iter().collect::<std::collections::BTreeSet<T>>().into_iter().collect()
}

fn shown(value: Option<f64>, unit: &str, digits: usize) -> String {
    value.map_or_else(|| "not measured in this run".to_owned(), |v| format!("{v:.digits$}{unit}"))
}

/// Mean R² of the training fits per worker, on all training rows (the
/// dissertation's sklearn `score` on its training data).
fn r2_rows(run: &RunDir, out: &mut String) -> anyhow::Result<()> {
    let rows: Vec<RegressionRow> = run.read()?;
    for worker in distinct(rows.iter().map(|r| r.worker.as_str())) {
        let r2 = mean(rows.iter().filter(|r| r.worker == worker && r.cleaning == "none").map(|r| r.r2));
        let _ = writeln!(out, "| training-fit R², {worker} (uncleaned rows) | AWS 0.61, Kubernetes 0.21 | {} |", shown(r2, "", 2));
    }
    Ok(())
}

/// Training time by the path training took, over both training stages.
fn training_rows(run: &RunDir, out: &mut String) -> anyhow::Result<()> {
    let train: Vec<TrainRow> = run.read()?;
    let transfer: Vec<TransferRow> = run.read()?;
    let seconds = |path: &str| {
        mean(
            train
                .iter()
                .filter(|r| r.path == path)
                .map(|r| r.wall_ms)
                .chain(transfer.iter().filter(|r| r.path == path).map(|r| r.wall_ms))
                .map(|ms| ms / 1000.0),
        )
    };
    let _ = writeln!(out, "| training data collection, full training | about 2 minutes | {} |", shown(seconds("full"), " s", 1));
    let _ = writeln!(out, "| training data collection, transfer | seconds | {} |", shown(seconds("transfer"), " s", 1));
    Ok(())
}

/// Cold against warm call time, from the cold-start bursts (same
/// function, size and burst on both sides), and the prediction errors.
fn call_rows(run: &RunDir, out: &mut String) -> anyhow::Result<()> {
    let accuracy: Vec<AccuracyRow> = run.read()?;
    let bursts: Vec<ColdStartRow> = run.read()?;
    let ok = bursts.iter().filter(|r| r.status == 200);
    let cold: Vec<f64> = ok.clone().filter(|r| r.cold).map(|r| r.actual_ms).collect();
    let warm = mean(ok.filter(|r| !r.cold).map(|r| r.actual_ms));
    let _ = writeln!(out, "| call time, cold start (mean, {} calls) | 822 ms | {} |", cold.len(), shown(mean(cold), " ms", 1));
    let _ = writeln!(out, "| call time, warm (mean, same bursts) | 146 ms | {} |", shown(warm, " ms", 1));
    for worker in distinct(accuracy.iter().map(|r| r.worker.as_str())) {
        let errors: Vec<f64> = accuracy
            .iter()
            .filter(|r| r.worker == worker && r.status == 200 && !r.cold && r.incremental == "off" && r.predicted_ms.is_finite())
            .map(|r| 100.0 * (r.predicted_ms - r.actual_ms).abs() / r.actual_ms)
            .collect();
        let p95 = (!errors.is_empty()).then(|| Distribution::of(errors.iter().copied()).percentile(0.95));
        let _ = writeln!(
            out,
            "| prediction error on {worker}, warm, incremental off: MAPE / p95 | not reported | {} / {} |",
            shown(mean(errors.iter().copied()), "%", 1),
            shown(p95, "%", 1)
        );
    }
    Ok(())
}

/// Each policy's mean latency over the isolated oracle's, per load shape.
fn oracle_rows(run: &RunDir, out: &mut String) -> anyhow::Result<()> {
    let rows: Vec<PolicyRow> = run.read()?;
    for load in distinct(rows.iter().map(|r| r.load.as_str())) {
        let mean_of = |policy: Router| mean(rows.iter().filter(|r| r.load == load && r.policy == policy).map(|r| r.latency_ms));
        let Some(oracle) = mean_of(Router::Oracle) else {
            let _ = writeln!(out, "| policies vs the isolated oracle, {load} loop | not reported | not measured: no oracle in this run |");
            continue;
        };
        let policies = distinct(rows.iter().map(|r| r.policy).filter(|&p| p != Router::Oracle));
        let ratios: Vec<String> = policies.iter().filter_map(|&p| Some(format!("{p} {:.2}×", mean_of(p)? / oracle))).collect();
        let _ = writeln!(out, "| mean latency over the isolated oracle's, {load} loop | not reported | {} |", ratios.join(", "));
    }
    Ok(())
}

/// Appends the table to `out`.
pub fn table(run: &RunDir, out: &mut String) -> anyhow::Result<()> {
    let _ = writeln!(out, "## Reproduction: the dissertation's numbers beside this run's\n");
    let _ = writeln!(
        out,
        "The dissertation measured AWS Lambda and a Kubernetes cluster; this run's workers are the scenario's. \
         Same quantity, same definition; the platforms differ, so agreement in kind matters more than in value.\n"
    );
    let _ = writeln!(out, "| quantity | dissertation | this run |\n|---|---|---|");
    r2_rows(run, out)?;
    training_rows(run, out)?;
    call_rows(run, out)?;
    oracle_rows(run, out)?;
    out.push('\n');
    Ok(())
}
