//! `report.md`: the tables of a run, aggregated with polars from the run's
//! CSVs alone (so `experiment plot` rebuilds it without re-running).

mod error_sources;
pub mod overload;

use std::fmt::Write;
use std::path::Path;

use polars::prelude::*;

use crate::results::{AccuracyRow, MemoryRow, OverheadRow, PolicyRow, RunDir, SoakRow, Table, TrainRow, TransferAccuracyRow, TransferRow};
use crate::scenario::Router;
use crate::stats::{Distribution, bootstrap};

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
         the unseen sizes are fresh ones, never called before.\n"
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

/// A statistic of a latency distribution.
#[derive(Debug, Clone, Copy)]
enum Stat {
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

/// A statistic over all repetitions, with its spread across them (the
/// lowest and highest repetition's value), or a bootstrap interval of a
/// percentile within the one run when there is only one.
fn across(rows: &[&PolicyRow], stat: Stat) -> String {
    let values: Vec<f64> = rows.iter().map(|r| r.latency_ms).collect();
    let pooled = stat.of(values.iter().copied());
    let mut repetitions: Vec<usize> = rows.iter().map(|r| r.repetition).collect();
    repetitions.sort_unstable();
    repetitions.dedup();
    let (lo, hi) = match stat {
        _ if repetitions.len() > 1 => {
            let each: Vec<f64> =
                repetitions.iter().map(|&k| stat.of(rows.iter().filter(|r| r.repetition == k).map(|r| r.latency_ms))).collect();
            (each.iter().copied().fold(f64::INFINITY, f64::min), each.iter().copied().fold(0.0, f64::max))
        }
        Stat::Percentile(q) => bootstrap(&values, q),
        Stat::Mean => return format!("{pooled:.1}"),
    };
    format!("{pooled:.1} [{lo:.1}, {hi:.1}]")
}

/// `value / base` as a ratio, or "-" when either is missing.
fn ratio(value: Option<f64>, base: Option<f64>) -> String {
    match (value, base) {
        (Some(v), Some(b)) if b > 0.0 => format!("{:.2}×", v / b),
        _ => "-".to_owned(),
    }
}

/// Latency percentiles (with their spread across repetitions), mean, share
/// per worker and errors, per load shape and policy.
fn policy_table(run: &RunDir, out: &mut String) -> anyhow::Result<()> {
    let rows: Vec<PolicyRow> = run.read()?;
    if rows.is_empty() {
        return Ok(());
    }
    let mut groups: Vec<(String, Router)> = Vec::new();
    for r in &rows {
        if !groups.contains(&(r.load.clone(), r.policy)) {
            groups.push((r.load.clone(), r.policy));
        }
    }
    let repetitions = rows.iter().map(|r| r.repetition).max().unwrap_or(0) + 1;
    let _ = writeln!(out, "## Routing policies under the same load\n");
    let _ = writeln!(
        out,
        "Client-measured latency; the load generator shares the CPUs with the orchestrator and its workers. \
         {repetitions} repetitions, the policies' order rotated each time; each percentile is over all of them, \
         in brackets the lowest and highest single repetition's (a bootstrap 95% interval when there is one). \
         `oracle` pins each request to the tier that was fastest for its function and size in an isolated \
         profiling pass. Errors include transport errors and timeouts; cold calls are those that had to start an \
         instance (every worker's pool is warmed to the closed loop's concurrency first, so no policy pays for \
         another's start-ups).\n"
    );
    let _ = writeln!(
        out,
        "| load | policy | mean (ms) | p50 (ms) | p95 (ms) | p99 (ms) | mean / oracle's | p99 / best single platform's | requests per worker | errors | cold calls |\n\
         |---|---|---|---|---|---|---|---|---|---|---|"
    );
    let latencies = |load: &str, policy: Router| {
        let group: Vec<f64> = rows.iter().filter(|r| r.load == load && r.policy == policy).map(|r| r.latency_ms).collect();
        (!group.is_empty()).then(|| Distribution::of(group))
    };
    let mean_of = |load: &str, policy: Router| latencies(load, policy).map(|d| d.mean());
    let p99_of = |load: &str, policy: Router| latencies(load, policy).map(|d| d.percentile(0.99));
    for (load, policy) in groups {
        let group: Vec<&PolicyRow> = rows.iter().filter(|r| r.load == load && r.policy == policy).collect();
        let single = [hetfaas_api::PolicyKind::EdgeOnly, hetfaas_api::PolicyKind::CloudOnly].map(|p| p99_of(&load, Router::Policy(p)));
        let best_single = single.into_iter().flatten().reduce(f64::min);
        let mean = Distribution::of(group.iter().map(|r| r.latency_ms)).mean();
        let vs_oracle = ratio(Some(mean), mean_of(&load, Router::Oracle));
        let vs_single = ratio(p99_of(&load, policy), best_single);
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
            "| {load} | {policy} | {} | {} | {} | {} | {vs_oracle} | {vs_single} | {share} | {errors} | {cold} |",
            across(&group, Stat::Mean),
            across(&group, Stat::Percentile(0.5)),
            across(&group, Stat::Percentile(0.95)),
            across(&group, Stat::Percentile(0.99))
        );
    }
    out.push('\n');
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

/// Writes `report.md` into the run directory.
/// Each trained function's model family per worker, as training left it.
fn families_table(run: &RunDir, out: &mut String) -> anyhow::Result<()> {
    let rows: Vec<TrainRow> = run.read()?;
    if rows.iter().all(|r| r.families.is_empty()) {
        return Ok(());
    }
    let _ = writeln!(
        out,
        "## Model families (new)
"
    );
    let _ = writeln!(
        out,
        "The curve each model is a line in, chosen by 5-fold held-out error on its training rows (`learning.model`); the \
         held-out MAPE is that error.\n"
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
    crate::reproduction::table(run, &mut out)?;
    accuracy_table(run, &mut out)?;
    error_sources::table(run, &mut out)?;
    training_table(run, &mut out)?;
    families_table(run, &mut out)?;
    policy_table(run, &mut out)?;
    overload::table(run, &mut out)?;
    overhead_table(run, &mut out)?;
    soak_table(run, &mut out)?;
    std::fs::write(run.path("report.md"), out)?;
    Ok(())
}
