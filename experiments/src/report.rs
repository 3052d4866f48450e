//! `report.md`: the tables of a run, aggregated with polars from the run's
//! CSVs alone (so `experiment plot` rebuilds it without re-running).

use std::fmt::Write;
use std::path::Path;

use polars::prelude::*;
use rand::SeedableRng;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;

use crate::results::RunDir;
use crate::stages::soak::{MemoryRow, SoakRow};

fn scan(run: &RunDir, file: &str) -> Option<LazyFrame> {
    let path = run.path(file);
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
    let Some(lf) = scan(run, "accuracy.csv") else { return Ok(()) };
    let error = (col("predicted_ms") - col("actual_ms")).abs();
    let df = lf
        .filter(col("predicted_ms").is_not_nan().and(col("status").eq(lit(200))))
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
        "Each row: invocations pinned to the worker's tier, prediction from the response header against the measured duration.\n"
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

/// Training cost of the train stage (by path) and of the transfer stage's arms.
fn training_table(run: &RunDir, out: &mut String) -> PolarsResult<()> {
    let _ = writeln!(out, "## Training cost, full vs transfer (dissertation 5.5)\n");
    let _ = writeln!(out, "| stage | path | functions | invocations (mean) | wall time (mean, s) |\n|---|---|---|---|---|");
    for (file, key) in [("train.csv", "path"), ("transfer.csv", "arm")] {
        let Some(lf) = scan(run, file) else { continue };
        let df = lf
            .group_by([col(key)])
            .agg([len().alias("n"), col("invocations").mean().alias("invocations"), (col("wall_ms").mean() / lit(1000.0)).alias("wall_s")])
            .sort([key], SortMultipleOptions::default())
            .collect()?;
        for i in 0..df.height() {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {:.0} | {:.1} |",
                file.trim_end_matches(".csv"),
                text(&df, key, i),
                number(&df, "n", i),
                number(&df, "invocations", i),
                number(&df, "wall_s", i)
            );
        }
    }
    out.push('\n');
    if let Some(lf) = scan(run, "transfer_accuracy.csv") {
        let df = lf
            .filter(col("predicted_ms").is_not_nan())
            .group_by([col("arm"), col("worker")])
            .agg([((col("predicted_ms") - col("actual_ms")).abs() / col("actual_ms")).mean().alias("mape"), len().alias("n")])
            .sort(["arm", "worker"], SortMultipleOptions::default())
            .collect()?;
        let _ = writeln!(out, "Accuracy of each arm on the same fresh invocations:\n\n| arm | worker | MAPE | n |\n|---|---|---|---|");
        for i in 0..df.height() {
            let _ = writeln!(
                out,
                "| {} | {} | {:.1}% | {} |",
                text(&df, "arm", i),
                text(&df, "worker", i),
                100.0 * number(&df, "mape", i),
                number(&df, "n", i)
            );
        }
        out.push('\n');
    }
    Ok(())
}

/// The p-th percentile of sorted values (nearest rank).
fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    sorted[((p * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len()) - 1]
}

/// A 95% bootstrap interval of the p-th percentile (1,000 resamples, seeded).
fn bootstrap(values: &[f64], p: f64) -> (f64, f64) {
    let mut rng = StdRng::seed_from_u64(7);
    let mut estimates: Vec<f64> = (0..1000)
        .map(|_| {
            let mut sample: Vec<f64> = (0..values.len()).map(|_| *values.choose(&mut rng).expect("not empty")).collect();
            sample.sort_by(f64::total_cmp);
            percentile(&sample, p)
        })
        .collect();
    estimates.sort_by(f64::total_cmp);
    (percentile(&estimates, 0.025), percentile(&estimates, 0.975))
}

/// Latency percentiles (with bootstrap intervals), mean, share per worker
/// and errors, per load shape and policy.
fn policy_table(run: &RunDir, out: &mut String) -> PolarsResult<()> {
    let Some(lf) = scan(run, "policies.csv") else { return Ok(()) };
    let df = lf.collect()?;
    let (loads, policies, workers) =
        (df.column("load")?.str()?.clone(), df.column("policy")?.str()?.clone(), df.column("worker")?.str()?.clone());
    let latency = df.column("latency_ms")?.cast(&DataType::Float64)?.f64()?.clone();
    let status = df.column("status")?.cast(&DataType::Int64)?.i64()?.clone();
    let mut groups: Vec<(String, String)> = Vec::new();
    for i in 0..df.height() {
        let key = (loads.get(i).unwrap_or("").to_owned(), policies.get(i).unwrap_or("").to_owned());
        if !groups.contains(&key) {
            groups.push(key);
        }
    }
    let _ = writeln!(out, "## Routing policies under the same load\n");
    let _ = writeln!(out, "Client-measured latency; the load generator shares the CPUs with the orchestrator and its workers.\n");
    let _ = writeln!(
        out,
        "| load | policy | mean (ms) | p50 (ms) [95% CI] | p95 (ms) [95% CI] | p99 (ms) [95% CI] | requests per worker | errors |\n|---|---|---|---|---|---|---|---|"
    );
    for (load, policy) in groups {
        let rows: Vec<usize> =
            (0..df.height()).filter(|&i| loads.get(i) == Some(load.as_str()) && policies.get(i) == Some(policy.as_str())).collect();
        let mut values: Vec<f64> = rows.iter().filter_map(|&i| latency.get(i)).collect();
        values.sort_by(f64::total_cmp);
        // Point percentiles from an HDR histogram in microseconds (three
        // significant digits); their intervals by resampling the raw values.
        let histogram = histogram_us(&values);
        let cell = |p: f64| {
            let (lo, hi) = bootstrap(&values, p);
            format!("{:.1} [{lo:.1}, {hi:.1}]", histogram.value_at_quantile(p) as f64 / 1000.0)
        };
        let mean = histogram.mean() / 1000.0;
        let mut share: Vec<(String, usize)> = Vec::new();
        for &i in &rows {
            let w = workers.get(i).unwrap_or("none").to_owned();
            match share.iter_mut().find(|(name, _)| *name == w) {
                Some((_, n)) => *n += 1,
                None => share.push((w, 1)),
            }
        }
        share.sort();
        let share = share.iter().map(|(w, n)| format!("{w} {:.0}%", 100.0 * *n as f64 / rows.len() as f64)).collect::<Vec<_>>().join(", ");
        let errors = rows.iter().filter(|&&i| status.get(i) != Some(200)).count();
        let _ = writeln!(out, "| {load} | {policy} | {mean:.1} | {} | {} | {} | {share} | {errors} |", cell(0.5), cell(0.95), cell(0.99));
    }
    out.push('\n');
    Ok(())
}

/// An HDR histogram (microseconds, three significant digits) of values in ms.
fn histogram_us(values_ms: &[f64]) -> hdrhistogram::Histogram<u64> {
    let mut histogram = hdrhistogram::Histogram::<u64>::new_with_bounds(1, 3_600_000_000, 3).expect("valid bounds: 1 µs to an hour");
    for v in values_ms {
        histogram.saturating_record(((v * 1000.0).round() as u64).max(1));
    }
    histogram
}

/// The `overhead` stage: latency percentiles and sustained throughput per
/// policy and offered rate.
fn overhead_table(run: &RunDir, out: &mut String) -> PolarsResult<()> {
    let Some(lf) = scan(run, "overhead.csv") else { return Ok(()) };
    let df = lf.collect()?;
    let policies = df.column("policy")?.str()?.clone();
    let rates = df.column("rate")?.cast(&DataType::Int64)?.i64()?.clone();
    let column = |name: &str| -> PolarsResult<Float64Chunked> { Ok(df.column(name)?.cast(&DataType::Float64)?.f64()?.clone()) };
    let (latency, duration, sent) = (column("latency_ms")?, column("duration_ms")?, column("sent_s")?);
    let status = df.column("status")?.cast(&DataType::Int64)?.i64()?.clone();
    let mut groups: Vec<(String, i64)> = Vec::new();
    for i in 0..df.height() {
        let key = (policies.get(i).unwrap_or("").to_owned(), rates.get(i).unwrap_or(0));
        if !groups.contains(&key) {
            groups.push(key);
        }
    }
    let _ = writeln!(
        out,
        "## Orchestrator overhead
"
    );
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
        let rows: Vec<usize> =
            (0..df.height()).filter(|&i| policies.get(i) == Some(policy.as_str()) && rates.get(i) == Some(rate)).collect();
        let values: Vec<f64> = rows.iter().filter_map(|&i| latency.get(i)).collect();
        let h = histogram_us(&values);
        let platform = histogram_us(&rows.iter().filter_map(|&i| duration.get(i)).collect::<Vec<_>>());
        let first = rows.iter().filter_map(|&i| sent.get(i)).fold(f64::INFINITY, f64::min);
        let last = rows.iter().filter_map(|&i| Some(sent.get(i)? + latency.get(i)? / 1000.0)).fold(0.0, f64::max);
        let throughput = rows.len() as f64 / (last - first).max(1e-9);
        let errors = rows.iter().filter(|&&i| status.get(i) != Some(200)).count();
        let offered = if rate == 0 { "max".to_owned() } else { format!("{rate}/s") };
        let q = |p: f64| h.value_at_quantile(p);
        let _ = writeln!(
            out,
            "| {policy} | {offered} | {} | {errors} | {} | {} | {} | {} | {} | {throughput:.0} |",
            rows.len(),
            q(0.5),
            q(0.9),
            q(0.99),
            h.max(),
            platform.value_at_quantile(0.5)
        );
    }
    out.push('\n');
    Ok(())
}

/// The `soak` stage: per minute, requests, errors, latency and memory.
fn soak_table(run: &RunDir, out: &mut String) -> anyhow::Result<()> {
    let rows: Vec<SoakRow> = run.read_csv("soak.csv")?;
    if rows.is_empty() {
        return Ok(());
    }
    let memory: Vec<MemoryRow> = run.read_csv("soak_memory.csv")?;
    let _ = writeln!(out, "## Soak\n");
    let _ = writeln!(
        out,
        "Open loop at a steady rate over the imported functions; latency in ms (client-measured); RSS of the harness process (orchestrator and load generator together).\n"
    );
    let _ = writeln!(out, "| minute | requests | errors | p50 | p99 | max | RSS at end (MB) |\n|---|---|---|---|---|---|---|");
    let minutes = rows.iter().map(|r| (r.sent_s / 60.0) as usize).max().unwrap_or(0);
    for m in 0..=minutes {
        let minute: Vec<&SoakRow> = rows.iter().filter(|r| (r.sent_s / 60.0) as usize == m).collect();
        let h = histogram_us(&minute.iter().map(|r| r.latency_ms).collect::<Vec<_>>());
        let errors = minute.iter().filter(|r| r.status != 200).count();
        let rss = memory.iter().rev().find(|s| s.t_s < (m + 1) as f64 * 60.0).map_or("-".to_owned(), |s| format!("{:.0}", s.rss_mb));
        let ms = |v: u64| v as f64 / 1000.0;
        let _ = writeln!(
            out,
            "| {m} | {} | {errors} | {:.1} | {:.1} | {:.1} | {rss} |",
            minute.len(),
            ms(h.value_at_quantile(0.5)),
            ms(h.value_at_quantile(0.99)),
            ms(h.max())
        );
    }
    let errors = rows.iter().filter(|r| r.status != 200).count();
    let _ = writeln!(out, "\n{} requests, {errors} errors.", rows.len());
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
    accuracy_table(run, &mut out)?;
    training_table(run, &mut out)?;
    policy_table(run, &mut out)?;
    overhead_table(run, &mut out)?;
    soak_table(run, &mut out)?;
    std::fs::write(run.path("report.md"), out)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_and_their_intervals() {
        let values: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(percentile(&values, 0.5), 50.0);
        assert_eq!(percentile(&values, 0.99), 99.0);
        let (lo, hi) = bootstrap(&values, 0.5);
        assert!(lo < 50.0 && 50.0 < hi && hi - lo < 30.0, "[{lo}, {hi}]");
    }
}
