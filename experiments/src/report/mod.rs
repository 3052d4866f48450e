//! `report.md`: the tables of a run, aggregated with polars from the run's
//! CSVs alone (so `experiment plot` rebuilds it without re-running).

mod caveats;
mod error_sources;
pub mod overload;
mod policies;
mod steadiness;
mod targets;

use std::fmt::Write;
use std::path::Path;

use polars::prelude::*;

use crate::results::{AccuracyRow, MemoryRow, OverheadRow, RunDir, SoakRow, Table, TrainRow, TransferAccuracyRow, TransferRow};
use crate::stats::Distribution;

/// A lazy scan of a stage's CSV, if the stage ran.
fn scan<T: Table>(run: &RunDir) -> Option<LazyFrame> {
    let path = run.path(T::FILE);
    let text = path.to_str()?;
    Path::new(text).exists().then(|| LazyCsvReader::new(PlRefPath::new(text)).with_has_header(true).finish().ok()).flatten()
}

fn text(df: &DataFrame, column: &str, row: usize) -> String {
    df.column(column).ok().and_then(|c| c.get(row).ok()).map_or_else(String::new, |v| v.to_string().trim_matches('"').to_owned())
}

fn number(df: &DataFrame, column: &str, row: usize) -> f64 {
    df.column(column).ok().and_then(|c| c.cast(&DataType::Float64).ok()).and_then(|c| c.f64().ok()?.get(row)).unwrap_or(f64::NAN)
}

/// MAPE, median absolute error and R² per worker × seen/unseen × incremental.
fn accuracy_table(run: &RunDir, out: &mut String) -> PolarsResult<()> {
    let Some(lf) = scan::<AccuracyRow>(run) else { return Ok(()) };
    let error = (col("predicted_ms") - col("actual_ms")).abs();
    let cold = lf.clone().filter(col("cold")).collect()?.height();
    let df = lf
        .filter(col("predicted_ms").is_not_nan().and(col("status").eq(lit(200))).and(col("cold").not()))
        .group_by([col("worker"), col("kind"), col("incremental")])
        .agg([
            (error.clone() / col("actual_ms")).mean().alias("mape"),
            error.median().alias("median_abs_error_ms"),
            (lit(1.0) - (col("actual_ms") - col("predicted_ms")).pow(2).sum() / (col("actual_ms") - col("actual_ms").mean()).pow(2).sum())
                .alias("r2"),
            len().alias("n"),
        ])
        .sort(["worker", "kind", "incremental"], SortMultipleOptions::default())
        .collect()?;
    let _ = writeln!(out, "## Prediction accuracy (dissertation 5.4)\n");
    let _ = writeln!(
        out,
        "Each row: invocations pinned to the worker's tier, prediction from the response header against the measured duration; \
         warm calls only ({cold} cold calls are in `accuracy.csv`, marked, and left out here). `seen` sizes are ones the worker's \
         model was trained on, `unseen` ones beyond every trained size (from the training report). With incremental learning on, \
         the unseen sizes are fresh ones, never called before. The calls run one at a time, the workers taking turns and \
         the functions one after another, as in training; `first-call` is the call that opens each function's turn on each \
         worker, at the smallest seen size, after other functions' calls (or minutes without any), and is kept apart from the \
         seen sizes.\n"
    );
    let _ = writeln!(out, "| worker | sizes | incremental | MAPE | median abs error (ms) | R² | n |\n|---|---|---|---|---|---|---|");
    for i in 0..df.height() {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {:.1}% | {:.2} | {:.3} | {} |",
            text(&df, "worker", i),
            text(&df, "kind", i),
            text(&df, "incremental", i),
            100.0 * number(&df, "mape", i),
            number(&df, "median_abs_error_ms", i),
            number(&df, "r2", i),
            number(&df, "n", i)
        );
    }
    out.push('\n');
    Ok(())
}

/// Training cost of the train stage and of the transfer stage's arms, by
/// the path each training actually took, and each arm's accuracy.
fn training_table(run: &RunDir, out: &mut String) -> PolarsResult<()> {
    let _ = writeln!(out, "## Training cost, full vs transfer (dissertation 5.5)\n");
    let _ = writeln!(
        out,
        "Grouped by the path training took, not by what was asked: a transfer arm with no usable source trains in full \
         and is counted under `full`.\n"
    );
    let _ = writeln!(out, "| stage | path | functions | invocations (mean) | wall time (mean, s) |\n|---|---|---|---|---|");
    for (file, lf) in [(TrainRow::FILE, scan::<TrainRow>(run)), (TransferRow::FILE, scan::<TransferRow>(run))] {
        let Some(lf) = lf else { continue };
        let df = lf
            .group_by([col("path")])
            .agg([len().alias("n"), col("invocations").mean().alias("invocations"), (col("wall_ms").mean() / lit(1000.0)).alias("wall_s")])
            .sort(["path"], SortMultipleOptions::default())
            .collect()?;
        for i in 0..df.height() {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {:.0} | {:.1} |",
                file.trim_end_matches(".csv"),
                text(&df, "path", i),
                number(&df, "n", i),
                number(&df, "invocations", i),
                number(&df, "wall_s", i)
            );
        }
    }
    out.push('\n');
    if let Some(lf) = scan::<TransferRow>(run) {
        let df = lf.filter(col("arm").eq(lit("transfer"))).collect()?;
        let fallbacks = (0..df.height()).filter(|&i| text(&df, "path", i) != "transfer").count();
        let sources: Vec<String> = (0..df.height())
            .map(|i| format!("{} ← {} ({})", text(&df, "function", i), text(&df, "source", i), text(&df, "source_choice", i)))
            .collect();
        let _ = writeln!(
            out,
            "Transfer arms: {}, of which {fallbacks} fell back to full training. Sources: {}.\n",
            df.height(),
            sources.join("; ")
        );
    }
    if let Some(lf) = scan::<TransferAccuracyRow>(run) {
        let df = lf
            .filter(col("predicted_ms").is_not_nan().and(col("cold").not()))
            .group_by([col("path"), col("kind"), col("worker")])
            .agg([((col("predicted_ms") - col("actual_ms")).abs() / col("actual_ms")).mean().alias("mape"), len().alias("n")])
            .sort(["path", "kind", "worker"], SortMultipleOptions::default())
            .collect()?;
        let _ = writeln!(
            out,
            "Accuracy of each arm on the same fresh warm invocations, by the path its training took:\n\n\
             | path | sizes | worker | MAPE | n |\n|---|---|---|---|---|"
        );
        for i in 0..df.height() {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {:.1}% | {} |",
                text(&df, "path", i),
                text(&df, "kind", i),
                text(&df, "worker", i),
                100.0 * number(&df, "mape", i),
                number(&df, "n", i)
            );
        }
        out.push('\n');
    }
    Ok(())
}

/// The `overhead` stage: latency percentiles and sustained throughput per
/// policy and offered rate.
fn overhead_table(run: &RunDir, out: &mut String) -> anyhow::Result<()> {
    let rows: Vec<OverheadRow> = run.read()?;
    if rows.is_empty() {
        return Ok(());
    }
    let mut groups: Vec<(hetfaas_api::PolicyKind, usize)> = Vec::new();
    for r in &rows {
        if !groups.contains(&(r.policy, r.rate)) {
            groups.push((r.policy, r.rate));
        }
    }
    let _ = writeln!(out, "## Orchestrator overhead\n");
    let _ = writeln!(
        out,
        "Client-measured latency (goose, same machine: an upper bound on what the orchestrator adds), in µs; \
         `platform` is the median worker call as the server timed it. Throughput = answers / (last answer − first send).\n"
    );
    let _ = writeln!(
        out,
        "| policy | offered | requests | errors | p50 | p90 | p99 | max | platform p50 | throughput (req/s) |\n|---|---|---|---|---|---|---|---|---|---|"
    );
    for (policy, rate) in groups {
        let group: Vec<&OverheadRow> = rows.iter().filter(|r| r.policy == policy && r.rate == rate).collect();
        let h = Distribution::of(group.iter().map(|r| r.latency_ms));
        let platform = Distribution::of(group.iter().map(|r| r.duration_ms));
        let first = group.iter().map(|r| r.sent_s).fold(f64::INFINITY, f64::min);
        let last = group.iter().map(|r| r.sent_s + r.latency_ms / 1000.0).fold(0.0, f64::max);
        let throughput = group.len() as f64 / (last - first).max(1e-9);
        let errors = group.iter().filter(|r| r.status != 200).count();
        let offered = if rate == 0 { "max".to_owned() } else { format!("{rate}/s") };
        let us = |ms: f64| (ms * 1000.0).round();
        let _ = writeln!(
            out,
            "| {policy} | {offered} | {} | {errors} | {} | {} | {} | {} | {} | {throughput:.0} |",
            group.len(),
            us(h.percentile(0.5)),
            us(h.percentile(0.9)),
            us(h.percentile(0.99)),
            us(h.max()),
            us(platform.percentile(0.5))
        );
    }
    out.push('\n');
    Ok(())
}

/// The `soak` stage: per minute, requests, errors, latency and memory.
fn soak_table(run: &RunDir, out: &mut String) -> anyhow::Result<()> {
    let rows: Vec<SoakRow> = run.read()?;
    if rows.is_empty() {
        return Ok(());
    }
    let memory: Vec<MemoryRow> = run.read()?;
    let _ = writeln!(out, "## Soak\n");
    let _ = writeln!(
        out,
        "Open loop at a steady rate over the imported functions; latency in ms (client-measured); RSS of the harness process (orchestrator and load generator together).\n"
    );
    let _ = writeln!(out, "| minute | requests | errors | p50 | p99 | max | RSS at end (MB) |\n|---|---|---|---|---|---|---|");
    let minutes = rows.iter().map(|r| (r.sent_s / 60.0) as usize).max().unwrap_or(0);
    for m in 0..=minutes {
        let minute: Vec<&SoakRow> = rows.iter().filter(|r| (r.sent_s / 60.0) as usize == m).collect();
        let h = Distribution::of(minute.iter().map(|r| r.latency_ms));
        let errors = minute.iter().filter(|r| r.status != 200).count();
        let rss = memory.iter().rev().find(|s| s.t_s < (m + 1) as f64 * 60.0).map_or("-".to_owned(), |s| format!("{:.0}", s.rss_mb));
        let _ = writeln!(
            out,
            "| {m} | {} | {errors} | {:.1} | {:.1} | {:.1} | {rss} |",
            minute.len(),
            h.percentile(0.5),
            h.percentile(0.99),
            h.max()
        );
    }
    let errors = rows.iter().filter(|r| r.status != 200).count();
    let _ = writeln!(out, "\n{} requests, {errors} errors.", rows.len());
    out.push('\n');
    Ok(())
}

/// Each trained function's model family per worker, as training left it.
fn families_table(run: &RunDir, out: &mut String) -> anyhow::Result<()> {
    let rows: Vec<TrainRow> = run.read()?;
    if rows.iter().all(|r| r.families.is_empty()) {
        return Ok(());
    }
    let _ = writeln!(out, "## Model families (new)\n");
    let _ = writeln!(
        out,
        "The curve each model is a line in, chosen by 5-fold held-out error on its training rows (`learning.model`); the \
         held-out MAPE is that error. `+ held back`: the calls that used more CPU than the worker's quota grants in one \
         period are on a second line in the same family, and the model predicts the larger of the two.\n"
    );
    let _ = writeln!(out, "| function | worker | family | held-out MAPE |\n|---|---|---|---|");
    for row in &rows {
        for (worker, chosen) in row.families.split(';').filter_map(|part| part.split_once('=')) {
            let (family, error) = chosen.split_once(':').unwrap_or((chosen, "-"));
            let shown = if error == "-" { "not measured (too few rows)".to_owned() } else { format!("{error}%") };
            let _ = writeln!(out, "| {} | {worker} | {family} | {shown} |", row.function);
        }
    }
    out.push('\n');
    Ok(())
}

/// Writes `report.md` into the run directory.
pub fn write(run: &RunDir, figures: &Path) -> anyhow::Result<()> {
    let summary = run.read_json("summary.json").unwrap_or_default();
    let mut out = format!("# hetfaas run: {}\n\n", run.scenario());
    let _ = writeln!(out, "Run `{}`; figures in `{}`.\n", run.dir.display(), figures.display());
    if let Some(s) = summary.as_object() {
        let _ = writeln!(out, "| key | value |\n|---|---|");
        for (k, v) in s {
            let _ = writeln!(out, "| {k} | {v} |");
        }
        out.push('\n');
    }
    targets::table(run, &mut out)?;
    crate::reproduction::table(run, &mut out)?;
    accuracy_table(run, &mut out)?;
    error_sources::table(run, &mut out)?;
    steadiness::table(run, &mut out)?;
    training_table(run, &mut out)?;
    families_table(run, &mut out)?;
    policies::tables(run, &mut out)?;
    overload::table(run, &mut out)?;
    overhead_table(run, &mut out)?;
    soak_table(run, &mut out)?;
    std::fs::write(run.path("report.md"), out)?;
    Ok(())
}
