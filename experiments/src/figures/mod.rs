//! The figures of a run, drawn from its CSVs alone: the dissertation's
//! 4.1-4.8 (cleaning and regression), 5.1-5.8 (accuracy, transfer) and the
//! new ones (latency CDF per policy, share of requests per worker by input
//! size, training cost full vs transfer). Each is a PNG and an SVG.

pub mod chart;
mod faithful;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use self::chart::{BarChart, Mark, Series, XyChart, save_bars, save_xy};
use crate::results::{
    AccuracyRow, CleaningRow, MemoryRow, OverheadRow, OverloadRow, PolicyRow, RegressionRow, RunDir, SoakRow, Table, TransferAccuracyRow,
    TransferRow,
};
use crate::stats::percentile;

/// Groups values by a key, keeping first-seen key order stable (sorted).
fn group<T, K: Ord + Clone>(rows: &[T], key: impl Fn(&T) -> K) -> BTreeMap<K, Vec<&T>> {
    let mut map: BTreeMap<K, Vec<&T>> = BTreeMap::new();
    for row in rows {
        map.entry(key(row)).or_default().push(row);
    }
    map
}

fn mean(values: impl Iterator<Item = f64>) -> f64 {
    let (sum, n) = values.filter(|v| v.is_finite()).fold((0.0, 0usize), |(s, n), v| (s + v, n + 1));
    if n == 0 { f64::NAN } else { sum / n as f64 }
}

/// Mean of `value` per input size, in size order.
fn per_size<T>(rows: &[&T], size: impl Fn(&T) -> u64, value: impl Fn(&T) -> f64) -> Vec<(f64, f64)> {
    group(rows, |r| size(r)).into_iter().map(|(s, rs)| (s as f64, mean(rs.iter().map(|r| value(r))))).filter(|p| p.1.is_finite()).collect()
}

/// Draws every figure the run's CSVs allow into `out`; returns their paths.
pub fn render(run: &RunDir, out: &Path) -> anyhow::Result<Vec<PathBuf>> {
    std::fs::create_dir_all(out)?;
    let mut made = Vec::new();
    let mut save = |name: &str, chart: XyChart| -> anyhow::Result<()> {
        let stem = out.join(name);
        save_xy(&stem, &chart)?;
        made.push(stem.with_extension("png"));
        Ok(())
    };
    cleaning(run, &mut save)?;
    accuracy(run, &mut save)?;
    faithful::accuracy(run, &mut save)?;
    transfer(run, &mut save)?;
    faithful::transfer(run, &mut save)?;
    policies(run, &mut save)?;
    overload(run, &mut save)?;
    soak(run, &mut save)?;
    overhead(run, &mut save)?;
    let mut bars = transfer_cost(run, out)?;
    made.append(&mut bars);
    Ok(made)
}

type Save<'a> = dyn FnMut(&str, XyChart) -> anyhow::Result<()> + 'a;

/// 4.1-4.6: durations against input size per worker, raw and cleaned;
/// 4.7-4.8: the fitted line over the IQR-cleaned rows, R² in the legend.
fn cleaning(run: &RunDir, save: &mut Save) -> anyhow::Result<()> {
    let rows: Vec<CleaningRow> = run.read()?;
    let lines: Vec<RegressionRow> = run.read()?;
    for (worker, rows) in group(&rows, |r| r.worker.clone()) {
        let functions = group(&rows, |r| r.function.clone());
        for (label, kept) in [("raw", None), ("zscore", Some(true)), ("iqr", Some(false))] {
            let learnable = |r: &CleaningRow| r.success && !r.cold;
            let mut series: Vec<Series> = functions
                .iter()
                .enumerate()
                .map(|(i, (f, rs))| Series {
                    label: f.clone(),
                    points: rs
                        .iter()
                        .filter(|r| learnable(r) && kept.is_none_or(|z| if z { r.kept_zscore } else { r.kept_iqr }))
                        .map(|r| (r.input_size as f64, r.duration_ms))
                        .collect(),
                    mark: Mark::Points,
                    colour: i,
                })
                .collect();
            let marked: Vec<(f64, f64)> = rows.iter().filter(|r| !learnable(r)).map(|r| (r.input_size as f64, r.duration_ms)).collect();
            if kept.is_none() && !marked.is_empty() {
                series.push(Series {
                    label: "cold start or failed (never learned)".into(),
                    points: marked,
                    mark: Mark::Points,
                    colour: 97,
                });
            }
            let title = match label {
                "raw" => format!("Durations on {worker}, raw: every call, cold and failed marked (dissertation 4.1-4.2)"),
                _ => format!("Durations on {worker}, {label}-cleaned, judged on {} (dissertation 4.3-4.6)", rows[0].basis),
            };
            save(
                &format!("cleaning-{worker}-{label}"),
                XyChart { title, x_label: "input size (test cases)".into(), y_label: "duration (ms)".into(), series },
            )?;
        }
        let mut series = Vec::new();
        for (i, (f, rs)) in functions.iter().enumerate() {
            series.push(Series {
                label: f.clone(),
                points: rs.iter().filter(|r| r.kept_iqr).map(|r| (r.input_size as f64, r.duration_ms)).collect(),
                mark: Mark::Points,
                colour: i,
            });
            if let Some(l) = lines.iter().find(|l| l.function == *f && l.worker == worker && l.cleaning == "iqr") {
                let max = rs.iter().map(|r| r.input_size as f64).fold(0.0, f64::max);
                series.push(Series {
                    label: format!("{f} fit, R²={:.2}", l.r2),
                    points: vec![(0.0, l.intercept_ms), (max, l.intercept_ms + l.slope_ms_per_input * max)],
                    mark: Mark::Line,
                    colour: i,
                });
            }
        }
        let title = format!("Least-squares fit on {worker}, IQR-cleaned (dissertation 4.7-4.8)");
        save(
            &format!("regression-{worker}"),
            XyChart { title, x_label: "input size (test cases)".into(), y_label: "duration (ms)".into(), series },
        )?;
    }
    Ok(())
}

/// New (after the dissertation's 5.1-5.4, which `faithful` draws as it
/// did): mean measured and predicted duration per input size, per worker,
/// incremental learning off and on.
fn accuracy(run: &RunDir, save: &mut Save) -> anyhow::Result<()> {
    let rows: Vec<AccuracyRow> = run.read()?;
    for ((worker, incremental), rows) in group(&rows, |r| (r.worker.clone(), r.incremental.clone())) {
        let mut series = Vec::new();
        for (i, (f, rs)) in group(&rows, |r| r.function.clone()).into_iter().enumerate() {
            series.push(Series {
                label: format!("{f} measured"),
                points: per_size(&rs, |r| r.input_size, |r| r.actual_ms),
                mark: Mark::Points,
                colour: i,
            });
            series.push(Series {
                label: format!("{f} predicted"),
                points: per_size(&rs, |r| r.input_size, |r| r.predicted_ms),
                mark: Mark::Line,
                colour: i,
            });
        }
        let title = format!("Mean predicted and measured per size on {worker}, incremental learning {incremental} (new)");
        save(
            &format!("accuracy-{worker}-incremental-{incremental}"),
            XyChart { title, x_label: "input size (test cases)".into(), y_label: "duration (ms), mean per size".into(), series },
        )?;
    }
    Ok(())
}

/// New (after the dissertation's 5.5-5.8, which `faithful` draws as it
/// did): own training against transfer, mean per size.
fn transfer(run: &RunDir, save: &mut Save) -> anyhow::Result<()> {
    let rows: Vec<TransferAccuracyRow> = run.read()?;
    for (worker, rows) in group(&rows, |r| r.worker.clone()) {
        let mut series = Vec::new();
        for (i, (pair, rs)) in group(&rows, |r| r.pair).into_iter().enumerate() {
            let own: Vec<&TransferAccuracyRow> = rs.iter().map(|r| **r).filter(|r| r.arm == "own").collect();
            let moved: Vec<&TransferAccuracyRow> = rs.iter().map(|r| **r).filter(|r| r.arm == "transfer").collect();
            series.push(Series {
                label: format!("pair {pair} measured"),
                points: per_size(&own, |r| r.input_size, |r| r.actual_ms),
                mark: Mark::Points,
                colour: 2 * i,
            });
            series.push(Series {
                label: format!("pair {pair} own model"),
                points: per_size(&own, |r| r.input_size, |r| r.predicted_ms),
                mark: Mark::Line,
                colour: 2 * i,
            });
            let path = moved.first().map_or("transfer", |r| r.path.as_str());
            series.push(Series {
                label: if path == "transfer" { format!("pair {pair} transferred") } else { format!("pair {pair} fell back to {path}") },
                points: per_size(&moved, |r| r.input_size, |r| r.predicted_ms),
                mark: Mark::Line,
                colour: 2 * i + 1,
            });
        }
        let title = format!("Own training vs transfer, mean per size on {worker} (new)");
        save(
            &format!("transfer-{worker}"),
            XyChart { title, x_label: "input size (test cases)".into(), y_label: "duration (ms), mean per size".into(), series },
        )?;
    }
    Ok(())
}

/// New: latency CDF per policy, and the share of requests sent to each
/// worker by input size under each policy.
fn policies(run: &RunDir, save: &mut Save) -> anyhow::Result<()> {
    let rows: Vec<PolicyRow> = run.read()?;
    for (load, rows) in group(&rows, |r| r.load.clone()) {
        let series = group(&rows, |r| r.policy)
            .into_iter()
            .enumerate()
            .map(|(i, (policy, rs))| {
                let mut latencies: Vec<f64> = rs.iter().map(|r| r.latency_ms).collect();
                latencies.sort_by(f64::total_cmp);
                let n = latencies.len() as f64;
                let points = latencies.iter().enumerate().map(|(k, &l)| (l, (k + 1) as f64 / n)).collect();
                Series { label: policy.to_string(), points, mark: Mark::Line, colour: i }
            })
            .collect();
        let title = format!("Latency CDF per policy, {load} loop");
        save(
            &format!("policies-latency-cdf-{load}"),
            XyChart { title, x_label: "latency (ms)".into(), y_label: "fraction of requests".into(), series },
        )?;
        let first_worker = rows.iter().map(|r| r.worker.clone()).min().unwrap_or_default();
        let series = group(&rows, |r| r.policy)
            .into_iter()
            .enumerate()
            .map(|(i, (policy, rs))| Series {
                label: policy.to_string(),
                points: per_size(&rs, |r| r.input_size, |r| if r.worker == first_worker { 100.0 } else { 0.0 }),
                mark: Mark::Line,
                colour: i,
            })
            .collect();
        let title = format!("Share of requests run on {first_worker} by input size, {load} loop");
        save(
            &format!("policies-share-{load}"),
            XyChart { title, x_label: "input size (test cases)".into(), y_label: format!("requests on {first_worker} (%)"), series },
        )?;
    }
    Ok(())
}

/// p99 latency against offered load per policy (the overload sweep),
/// clipped at twice the threshold so a failed step stays on the chart.
fn overload(run: &RunDir, save: &mut Save) -> anyhow::Result<()> {
    if !run.path(OverloadRow::FILE).exists() {
        return Ok(());
    }
    let rows: Vec<OverloadRow> = run.read()?;
    let series = crate::report::overload::steps(&rows)
        .into_iter()
        .enumerate()
        .map(|(i, (policy, steps))| Series {
            label: policy.to_string(),
            points: steps.iter().map(|(&rate, s)| (rate as f64 / 1000.0, s.p99_ms.min(2.0 * s.threshold_ms))).collect(),
            mark: Mark::Line,
            colour: i,
        })
        .collect();
    let title = "p99 latency against offered load (Poisson arrivals)".to_owned();
    save("overload-p99", XyChart { title, x_label: "offered load (requests/s)".into(), y_label: "p99 latency (ms)".into(), series })
}

/// The soak: resident memory over time, and p99 latency per 30 s window.
fn soak(run: &RunDir, save: &mut Save) -> anyhow::Result<()> {
    let memory: Vec<MemoryRow> = run.read()?;
    if !memory.is_empty() {
        let points = memory.iter().map(|m| (m.t_s / 60.0, m.rss_mb)).collect();
        let series = vec![Series { label: "harness RSS".into(), points, mark: Mark::Line, colour: 0 }];
        let title = "Soak: resident memory of orchestrator + load generator".into();
        save("soak-memory", XyChart { title, x_label: "time (min)".into(), y_label: "RSS (MB)".into(), series })?;
    }
    let rows: Vec<SoakRow> = run.read()?;
    if !rows.is_empty() {
        let windows = group(&rows, |r| (r.sent_s / 30.0) as u64);
        let points = windows
            .into_iter()
            .map(|(w, rs)| ((w as f64 * 30.0 + 15.0) / 60.0, percentile(rs.iter().map(|r| r.latency_ms), 0.99)))
            .collect();
        let series = vec![Series { label: "p99 per 30 s".into(), points, mark: Mark::Line, colour: 1 }];
        let title = "Soak: p99 latency over time".into();
        save("soak-latency", XyChart { title, x_label: "time (min)".into(), y_label: "p99 latency (ms)".into(), series })?;
    }
    Ok(())
}

/// Orchestrator overhead: p50 and p99 latency against the offered rate.
fn overhead(run: &RunDir, save: &mut Save) -> anyhow::Result<()> {
    let rows: Vec<OverheadRow> = run.read()?;
    let mut series = Vec::new();
    for (i, (policy, rs)) in group(&rows, |r| r.policy).into_iter().enumerate() {
        for (q, mark) in [(0.5, Mark::Line), (0.99, Mark::Points)] {
            let points = group(&rs, |r| r.rate)
                .into_iter()
                .filter(|(rate, _)| *rate > 0)
                .map(|(rate, rs)| (rate as f64, 1000.0 * percentile(rs.iter().map(|r| r.latency_ms), q)))
                .collect();
            series.push(Series { label: format!("{policy} p{}", (q * 100.0) as u32), points, mark, colour: i });
        }
    }
    if !series.is_empty() {
        let title = "Latency through the orchestrator by offered rate".into();
        save("overhead-latency", XyChart { title, x_label: "offered rate (requests/s)".into(), y_label: "latency (µs)".into(), series })?;
    }
    Ok(())
}

/// New (the dissertation gives these costs in its text, 5.5): training
/// invocations and wall time, own training vs the transfer arm.
fn transfer_cost(run: &RunDir, out: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let rows: Vec<TransferRow> = run.read()?;
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let pairs: Vec<usize> = group(&rows, |r| r.pair).into_keys().collect();
    let categories: Vec<String> = pairs.iter().map(|p| format!("pair {p}")).collect();
    let value = |arm: &str, f: &dyn Fn(&TransferRow) -> f64| -> Vec<f64> {
        pairs.iter().map(|p| rows.iter().find(|r| r.pair == *p && r.arm == arm).map_or(0.0, f)).collect()
    };
    let mut made = Vec::new();
    for (name, label, f) in [
        ("training-invocations", "training invocations", &(|r: &TransferRow| r.invocations as f64) as &dyn Fn(&TransferRow) -> f64),
        ("training-time", "training wall time (s)", &|r: &TransferRow| r.wall_ms / 1000.0),
    ] {
        let chart = BarChart {
            title: format!("{label}: own training vs transfer arm (new)"),
            y_label: label.into(),
            categories: categories.clone(),
            groups: vec![("own (full)".into(), value("own", f)), ("transfer".into(), value("transfer", f))],
        };
        let stem = out.join(name);
        save_bars(&stem, &chart)?;
        made.push(stem.with_extension("png"));
    }
    Ok(made)
}
