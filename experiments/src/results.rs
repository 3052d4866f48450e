//! Where a run's outputs go, and what they hold: `results/<scenario>/<run-id>/`
//! has one CSV per stage (raw rows, units in the column names),
//! `summary.json`, `environment.json` and `report.md`; figures go to
//! `figures/<scenario>/`.
//!
//! Every CSV's row type and file name is here: stages write these rows,
//! and the figures and the report read them back, so both sides read one
//! schema rather than each other's code.

use std::path::{Path, PathBuf};

use anyhow::Context;
use hetfaas::affinity::CpuSet;
use hetfaas_api::PolicyKind;

use crate::scenario::Router;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

/// A row type with its own CSV file in a run directory.
pub trait Table: Serialize + DeserializeOwned {
    const FILE: &'static str;
}

/// `import.csv`: one Python submission considered, and what became of it.
impl Table for codenet_loader::import::VerificationRow {
    const FILE: &'static str = "import.csv";
}

/// `train.csv`: one function's training, as its report gave it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TrainRow {
    pub function: String,
    pub problem: String,
    /// `full` or `transfer`: the path training actually took.
    pub path: String,
    pub source: String,
    pub invocations: u64,
    pub failed_invocations: u64,
    pub wall_ms: f64,
    pub cluster: Option<u64>,
    pub distance: Option<f64>,
    pub distance_nearest: String,
    pub distance_matched: bool,
    pub paper_difference: Option<f64>,
    pub paper_source: String,
    /// The sizes each worker's model was trained on, as
    /// `worker=1 10 50;worker=...` (see [`trained_sizes`]).
    pub trained_sizes: String,
    /// How many of the function's generated cases were sent as its example
    /// inputs (as many as fit the API's 1 MB; 0 in runs made before this
    /// column existed).
    #[serde(default)]
    pub example_cases: usize,
    /// Each worker's model family after training and its held-out MAPE,
    /// as `worker=family:mape;...` (empty in runs made before this column).
    #[serde(default)]
    pub families: String,
}

/// Writes the per-worker trained sizes into one CSV cell.
pub fn format_trained(sizes: &std::collections::BTreeMap<String, Vec<u64>>) -> String {
    sizes.iter().map(|(w, s)| format!("{w}={}", s.iter().map(u64::to_string).collect::<Vec<_>>().join(" "))).collect::<Vec<_>>().join(";")
}

/// Reads [`format_trained`]'s cell back.
pub fn trained_sizes(cell: &str) -> std::collections::BTreeMap<String, Vec<u64>> {
    cell.split(';')
        .filter_map(|part| {
            let (worker, sizes) = part.split_once('=')?;
            Some((worker.to_owned(), sizes.split_whitespace().filter_map(|s| s.parse().ok()).collect()))
        })
        .collect()
}

impl Table for TrainRow {
    const FILE: &'static str = "train.csv";
}

/// `cleaning.csv`: a training row and which cleanings keep it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CleaningRow {
    pub function: String,
    pub worker: String,
    pub input_size: u64,
    pub duration_ms: f64,
    /// A cold start or a failed call: shown raw, never learned from.
    pub cold: bool,
    pub success: bool,
    /// What the cleanings judged: `durations` or `residuals of a first fit`.
    pub basis: String,
    pub kept_zscore: bool,
    pub kept_iqr: bool,
}

impl Table for CleaningRow {
    const FILE: &'static str = "cleaning.csv";
}

/// `regression.csv`: the line fitted over one cleaning of one function.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RegressionRow {
    pub function: String,
    pub worker: String,
    pub cleaning: String,
    pub intercept_ms: f64,
    pub slope_ms_per_input: f64,
    pub r2: f64,
    pub samples: usize,
}

impl Table for RegressionRow {
    const FILE: &'static str = "regression.csv";
}

/// `accuracy.csv`: one invocation's prediction against what it took.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AccuracyRow {
    pub incremental: String,
    pub function: String,
    pub worker: String,
    /// Against the sizes this worker's model was trained on: `seen` (one
    /// of them), `unseen` (beyond all of them) or `between`.
    pub kind: String,
    pub input_size: u64,
    pub predicted_ms: f64,
    pub actual_ms: f64,
    pub latency_ms: f64,
    pub status: u16,
    /// A new instance started for it (kept, marked; errors use warm rows).
    pub cold: bool,
    /// The handler's CPU time, where the worker measures it.
    pub cpu_ms: Option<f64>,
    /// How long the worker's CPU quota held it back while it ran, where
    /// the worker has a quota.
    pub throttled_ms: Option<f64>,
}

impl Table for AccuracyRow {
    const FILE: &'static str = "accuracy.csv";
}

/// `cold_starts.csv`: one call of a burst made to start instances.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ColdStartRow {
    pub function: String,
    pub worker: String,
    /// Simultaneous calls in its burst.
    pub burst: usize,
    pub input_size: u64,
    /// As the platform reported it: a new instance started for this call.
    pub cold: bool,
    pub status: u16,
    pub actual_ms: f64,
    pub latency_ms: f64,
}

impl Table for ColdStartRow {
    const FILE: &'static str = "cold_starts.csv";
}

/// `transfer.csv`: what one arm of a transfer pair cost.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TransferRow {
    pub pair: usize,
    /// `transfer` (allowed) or `own` (forced full training).
    pub arm: String,
    pub function: String,
    /// The path training actually took (`transfer` needs a similar function).
    pub path: String,
    pub source: String,
    /// How the source was asked for: `same-problem` (another solution of
    /// the same problem, named) or `nearest` (left to similarity).
    pub source_choice: String,
    pub invocations: u64,
    pub wall_ms: f64,
}

impl Table for TransferRow {
    const FILE: &'static str = "transfer.csv";
}

/// `transfer_accuracy.csv`: one arm's prediction on a fresh invocation.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TransferAccuracyRow {
    pub pair: usize,
    pub arm: String,
    /// The path the arm's training actually took.
    pub path: String,
    pub function: String,
    pub worker: String,
    /// `seen`, `unseen` or `between`, against this arm's trained sizes.
    pub kind: String,
    pub input_size: u64,
    pub predicted_ms: f64,
    pub actual_ms: f64,
    pub cold: bool,
}

impl Table for TransferAccuracyRow {
    const FILE: &'static str = "transfer_accuracy.csv";
}

/// `policies.csv`: one request of the policy comparison.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PolicyRow {
    /// `closed`, or the open loop's arrivals (`fixed`, `poisson`, `bursty`).
    pub load: String,
    pub policy: Router,
    /// Which repetition of the comparison (0-based).
    pub repetition: usize,
    pub function: String,
    pub input_size: u64,
    pub worker: String,
    pub latency_ms: f64,
    pub duration_ms: f64,
    pub predicted_ms: f64,
    /// HTTP status; 0 when no answer came (transport error or timeout).
    pub status: u16,
    pub sent_s: f64,
    /// An instance had to start for it (`false` in runs from before the
    /// column existed).
    #[serde(default)]
    pub cold: bool,
    /// When this run of the policy (one load, one repetition) began, in
    /// seconds since the stage began, the clock of `steadiness.csv` (NaN in
    /// runs from before the column existed).
    #[serde(default = "not_recorded")]
    pub run_started_s: f64,
}

fn not_recorded() -> f64 {
    f64::NAN
}

impl Table for PolicyRow {
    const FILE: &'static str = "policies.csv";
}

/// `overload.csv`: one request of the overload sweep.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct OverloadRow {
    pub policy: PolicyKind,
    /// Requests per second offered in this step.
    pub offered_rate: f64,
    /// The p99 that ends a policy's sweep.
    pub threshold_ms: f64,
    pub function: String,
    pub input_size: u64,
    pub worker: String,
    pub latency_ms: f64,
    /// HTTP status; 0 when no answer came (transport error or timeout).
    pub status: u16,
    /// Seconds since the step started, when the request was sent.
    pub sent_s: f64,
}

impl Table for OverloadRow {
    const FILE: &'static str = "overload.csv";
}

/// `oracle_profile.csv`: one (function, size, worker) of the oracle's
/// isolated profiling pass.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct OracleRow {
    pub function: String,
    pub input_size: u64,
    pub worker: String,
    /// Median duration of its warm, successful calls.
    pub median_ms: f64,
    pub calls: usize,
}

impl Table for OracleRow {
    const FILE: &'static str = "oracle_profile.csv";
}

/// `soak.csv`: one request of the soak.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SoakRow {
    pub sent_s: f64,
    pub function: String,
    pub input_size: u64,
    pub worker: String,
    pub status: u16,
    pub latency_ms: f64,
}

impl Table for SoakRow {
    const FILE: &'static str = "soak.csv";
}

/// `soak_memory.csv`: the harness's resident memory, once a second.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MemoryRow {
    pub t_s: f64,
    pub rss_mb: f64,
}

impl Table for MemoryRow {
    const FILE: &'static str = "soak_memory.csv";
}

/// `overhead.csv`: one request of the overhead measurement.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct OverheadRow {
    pub policy: PolicyKind,
    /// Requests per second offered; 0 for the closed loop at full speed.
    pub rate: usize,
    pub worker: String,
    pub status: u16,
    pub latency_ms: f64,
    /// Orchestrator → worker → orchestrator, as the server measured it.
    pub duration_ms: f64,
    pub sent_s: f64,
}

impl Table for OverheadRow {
    const FILE: &'static str = "overhead.csv";
}

/// `steadiness.csv`: one run of the machine-steadiness probe (the same
/// Python work every time) beside a stage.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SteadinessRow {
    pub stage: String,
    /// When the run ended, in seconds since the stage began.
    pub at_s: f64,
    /// The work's CPU time.
    pub cpu_ms: f64,
}

impl Table for SteadinessRow {
    const FILE: &'static str = "steadiness.csv";
}

#[derive(Debug, Clone)]
pub struct RunDir {
    pub dir: PathBuf,
}

impl RunDir {
    /// A new run directory named by the UTC time, unique under `results`.
    pub fn create(results: &Path, scenario: &str) -> anyhow::Result<RunDir> {
        let stamp = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH)?.as_secs();
        let (days, secs) = (stamp / 86_400, stamp % 86_400);
        let (y, m, d) = civil_date(days as i64);
        let id = format!("{y:04}{m:02}{d:02}T{:02}{:02}{:02}Z", secs / 3600, secs / 60 % 60, secs % 60);
        let mut dir = results.join(scenario).join(&id);
        let mut n = 1;
        while dir.exists() {
            n += 1;
            dir = results.join(scenario).join(format!("{id}-{n}"));
        }
        std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
        Ok(RunDir { dir })
    }

    pub fn open(dir: &Path) -> anyhow::Result<RunDir> {
        anyhow::ensure!(dir.join("summary.json").exists(), "{} holds no run (no summary.json)", dir.display());
        Ok(RunDir { dir: dir.to_owned() })
    }

    pub fn path(&self, file: &str) -> PathBuf {
        self.dir.join(file)
    }

    /// Writes a stage's rows to their CSV.
    pub fn write<T: Table>(&self, rows: &[T]) -> anyhow::Result<()> {
        let path = self.path(T::FILE);
        let mut writer = csv::Writer::from_path(&path).with_context(|| format!("writing {}", path.display()))?;
        for row in rows {
            writer.serialize(row)?;
        }
        writer.flush()?;
        Ok(())
    }

    /// Reads a stage's rows back; an absent file (stage not run) is empty.
    pub fn read<T: Table>(&self) -> anyhow::Result<Vec<T>> {
        let path = self.path(T::FILE);
        if !path.exists() {
            return Ok(Vec::new());
        }
        let mut reader = csv::Reader::from_path(&path).with_context(|| format!("reading {}", path.display()))?;
        reader.deserialize().collect::<Result<_, _>>().with_context(|| format!("decoding {}", path.display()))
    }

    pub fn write_json(&self, name: &str, value: &serde_json::Value) -> anyhow::Result<()> {
        std::fs::write(self.path(name), serde_json::to_string_pretty(value)? + "\n").with_context(|| format!("writing {name}"))
    }

    pub fn read_json(&self, name: &str) -> anyhow::Result<serde_json::Value> {
        let text = std::fs::read_to_string(self.path(name)).with_context(|| format!("reading {name}"))?;
        Ok(serde_json::from_str(&text)?)
    }

    /// The scenario this run belongs to (its parent directory's name).
    pub fn scenario(&self) -> String {
        self.dir.parent().and_then(|p| p.file_name()).map_or("unknown".into(), |n| n.to_string_lossy().into_owned())
    }
}

/// Days since 1970-01-01 to a (year, month, day), proleptic Gregorian.
fn civil_date(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// Versions, machine and cgroup support, so a run can be interpreted later.
pub fn environment(scenario_hash: &str, seed: u64, workers: &serde_json::Value) -> serde_json::Value {
    let cpu_model = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|t| t.lines().find(|l| l.starts_with("model name")).map(|l| l.split(':').nth(1).unwrap_or("").trim().to_owned()));
    let python =
        std::process::Command::new("python3").arg("--version").output().ok().map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned());
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease").ok().map(|s| s.trim().to_owned());
    serde_json::json!({
        "hetfaas_version": env!("CARGO_PKG_VERSION"),
        "scenario_hash": scenario_hash,
        "seed": seed,
        // Those the process started with: its threads may since have been
        // confined to fewer (`harness_cpus`).
        "cpus": CpuSet::at_start().map(|set| set.cpus().len()).unwrap_or(1),
        "cpu_model": cpu_model,
        "kernel": kernel,
        "python": python,
        "workers": workers,
        "harness_cpus": CpuSet::current().map(|set| set.cpus()).ok(),
        "note": "the load generator, the steadiness probe and an in-process orchestrator ran on harness_cpus; each worker's own CPUs are under workers",
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn civil_dates() {
        assert_eq!(super::civil_date(0), (1970, 1, 1));
        assert_eq!(super::civil_date(20_419), (2025, 11, 27));
        assert_eq!(super::civil_date(11_016), (2000, 2, 29));
    }
}
