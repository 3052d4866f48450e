//! How steady the machine's CPU was while each stage ran. A small `python3`
//! process beside the stages times one fixed piece of Python work at a
//! fixed interval (`steadiness.py`); since the work never changes, the
//! spread of its CPU time is the machine's (a shared host, frequency, the
//! stages' own load), and it bounds how close any prediction from input
//! size can come on CPU-bound work. The rows go to `steadiness.csv`.

use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use anyhow::Context as _;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};
use tokio::task::JoinHandle;

use crate::results::SteadinessRow;
use crate::stats::exact_median;

const SCRIPT: &str = include_str!("steadiness.py");

/// A running probe; `stop` ends it and returns what it measured.
pub struct Probe {
    child: Child,
    /// (seconds since `origin`, CPU ms) per run, as they come.
    samples: Arc<Mutex<Vec<(f64, f64)>>>,
    reader: JoinHandle<()>,
}

impl Probe {
    /// Starts timing the fixed work every `interval_ms` with `python3`;
    /// each run is stamped, in seconds since `origin`, as its line is read
    /// (moments after it ends).
    pub fn start(interval_ms: u64, origin: Instant) -> anyhow::Result<Probe> {
        let mut child = Command::new("python3")
            .arg("-c")
            .arg(SCRIPT)
            .arg(interval_ms.to_string())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .context("starting the steadiness probe (python3 on PATH)")?;
        let stdout = child.stdout.take().expect("stdout is piped");
        let samples = Arc::new(Mutex::new(Vec::new()));
        let sink = Arc::clone(&samples);
        let reader = tokio::spawn(async move {
            let mut lines = BufReader::new(stdout).lines();
            while let Ok(Some(line)) = lines.next_line().await {
                if let Ok(cpu_ms) = line.trim().parse() {
                    sink.lock().expect("not poisoned").push((origin.elapsed().as_secs_f64(), cpu_ms));
                }
            }
        });
        Ok(Probe { child, samples, reader })
    }

    /// Ends the probe; its runs, labelled with the stage they ran beside.
    pub async fn stop(mut self, stage: &str) -> Vec<SteadinessRow> {
        let _ = self.child.kill().await;
        let _ = self.reader.await;
        let samples = std::mem::take(&mut *self.samples.lock().expect("not poisoned"));
        samples.into_iter().map(|(at_s, cpu_ms)| SteadinessRow { stage: stage.to_owned(), at_s, cpu_ms }).collect()
    }
}

/// The mean absolute percentage error (%) of predicting each value by the
/// median of them all: what a predictor that cannot see the machine's speed
/// loses on work whose CPU time varies like this.
pub fn floor(values: &[f64]) -> f64 {
    let median = exact_median(values);
    100.0 * values.iter().map(|v| (median - v).abs() / v).sum::<f64>() / values.len() as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_steady_machine_has_no_floor_and_one_at_half_speed_half_the_time_does() {
        assert_eq!(floor(&[4.0; 10]), 0.0);
        // 4 ms or 8 ms: the median (6) is off by 50% or 25%.
        assert!((floor(&[4.0, 8.0, 4.0, 8.0]) - 37.5).abs() < 1e-9);
    }

    #[tokio::test]
    async fn the_probe_times_its_work_until_stopped() {
        let probe = Probe::start(5, Instant::now()).expect("python3 runs");
        // Waits for the runs themselves; the deadline only keeps a broken
        // probe from hanging the suite.
        let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(60);
        while probe.samples.lock().unwrap().len() < 3 {
            assert!(tokio::time::Instant::now() < deadline, "the probe timed no work");
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        let rows = probe.stop("accuracy").await;
        assert!(rows.len() >= 3, "every run timed is kept, got {}", rows.len());
        assert!(rows.iter().all(|r| r.stage == "accuracy" && r.cpu_ms > 0.0 && r.at_s >= 0.0));
        assert!(rows.windows(2).all(|w| w[0].at_s <= w[1].at_s), "in the order they ran");
    }
}
