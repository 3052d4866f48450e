//! A scenario: one TOML file describing a whole experiment. Every key has a
//! default; `scenarios/README.md` lists them all.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::arrivals::Arrivals;

use hetfaas::config::Config;
use hetfaas_api::PolicyKind;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// Names the results and figures directories.
    pub name: String,
    #[serde(default)]
    pub seed: u64,
    #[serde(default)]
    pub dataset: Dataset,
    /// The in-process orchestrator's configuration, as in `hetfaas.toml`
    /// (`listen` and `data_dir` are chosen by the harness).
    #[serde(default)]
    pub orchestrator: Config,
    #[serde(default)]
    pub stages: Stages,
    /// How often the machine-steadiness probe times its fixed work beside
    /// each stage (about 4 ms of CPU a run); 0 turns it off.
    #[serde(default = "default_probe_interval_ms")]
    pub probe_interval_ms: u64,
}

fn default_probe_interval_ms() -> u64 {
    200
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Dataset {
    #[serde(default = "default_dataset")]
    pub path: PathBuf,
    #[serde(default = "default_specs")]
    pub specs: PathBuf,
    #[serde(default = "default_problems")]
    pub problems: Vec<String>,
    #[serde(default = "default_per_problem")]
    pub per_problem: usize,
    /// Generated test cases per problem (the dissertation's 1000 inputs).
    #[serde(default = "default_cases")]
    pub cases: usize,
}

fn default_dataset() -> PathBuf {
    "datasets/codenet-sample".into()
}
fn default_specs() -> PathBuf {
    "datasets/specs".into()
}
fn default_problems() -> Vec<String> {
    vec!["p00002".into(), "p02388".into()]
}
fn default_per_problem() -> usize {
    2
}
fn default_cases() -> usize {
    1000
}

impl Default for Dataset {
    fn default() -> Self {
        toml::from_str("").expect("defaults are valid")
    }
}

/// A stage of a scenario, in the order they run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Stage {
    Import,
    Train,
    Cleaning,
    Regression,
    Accuracy,
    Transfer,
    Policies,
    Overload,
    /// A benchmark: only when named.
    Soak,
    /// A benchmark: only when named.
    Overhead,
}

impl Stage {
    pub const ALL: [Stage; 10] = [
        Stage::Import,
        Stage::Train,
        Stage::Cleaning,
        Stage::Regression,
        Stage::Accuracy,
        Stage::Transfer,
        Stage::Policies,
        Stage::Overload,
        Stage::Soak,
        Stage::Overhead,
    ];

    /// Whether the stage needs imported, trained functions (so `import`
    /// and `train` run with it).
    pub fn needs_functions(self) -> bool {
        !matches!(self, Stage::Import | Stage::Train | Stage::Overhead)
    }

    /// The name used in scenarios and progress lines.
    pub fn name(self) -> String {
        serde_json::to_value(self).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default()
    }
}

/// Which stages run, and their parameters.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Stages {
    #[serde(default = "default_run")]
    pub run: Vec<Stage>,
    #[serde(default)]
    pub cleaning: Charted,
    #[serde(default)]
    pub accuracy: Accuracy,
    #[serde(default)]
    pub transfer: Transfer,
    #[serde(default)]
    pub policies: Policies,
    #[serde(default)]
    pub overload: Overload,
    #[serde(default)]
    pub overhead: Overhead,
    #[serde(default)]
    pub soak: Soak,
}

/// Every stage of the write-up; `soak` and `overhead` are benchmarks and
/// run only when named.
fn default_run() -> Vec<Stage> {
    Stage::ALL.into_iter().filter(|s| !matches!(s, Stage::Soak | Stage::Overhead)).collect()
}

impl Default for Stages {
    fn default() -> Self {
        toml::from_str("").expect("defaults are valid")
    }
}

/// How many functions the cleaning and regression figures show.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Charted {
    #[serde(default = "default_charted")]
    pub functions: usize,
}

fn default_charted() -> usize {
    3
}

impl Default for Charted {
    fn default() -> Self {
        Charted { functions: default_charted() }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Accuracy {
    #[serde(default = "default_seen")]
    pub seen: Vec<u64>,
    #[serde(default = "default_unseen")]
    pub unseen: Vec<u64>,
    /// Unseen sizes for the incremental-on pass: fresh ones, never called
    /// before (the off pass's calls are stored and may be learned from).
    #[serde(default = "default_unseen_incremental")]
    pub unseen_incremental: Vec<u64>,
    /// Invocations per input size and worker.
    #[serde(default = "default_repetitions")]
    pub repetitions: usize,
    /// Functions measured.
    #[serde(default = "default_charted")]
    pub functions: usize,
    /// Bursts of simultaneous calls (2, 3, ... at once) per function and
    /// tier, at the smallest seen size, to measure cold starts. Keep it
    /// under a worker's `max_instances`, or calls wait instead of starting.
    #[serde(default = "default_cold_bursts")]
    pub cold_bursts: usize,
}

fn default_cold_bursts() -> usize {
    3
}
fn default_seen() -> Vec<u64> {
    vec![10, 50, 500, 1000]
}
fn default_unseen() -> Vec<u64> {
    vec![1001, 1100, 1250, 2000]
}
fn default_unseen_incremental() -> Vec<u64> {
    vec![1201, 1320, 1500, 2400]
}
fn default_repetitions() -> usize {
    100
}

impl Default for Accuracy {
    fn default() -> Self {
        toml::from_str("").expect("defaults are valid")
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Transfer {
    /// Solutions trained both ways (those with another solution of the
    /// same problem to transfer from first).
    #[serde(default = "default_pairs")]
    pub pairs: usize,
    /// Fresh invocations per size and worker to measure each arm's accuracy.
    #[serde(default = "default_transfer_repetitions")]
    pub repetitions: usize,
    #[serde(default = "default_transfer_sizes")]
    pub sizes: Vec<u64>,
    /// Sizes beyond training (each row's kind is checked against the arm's
    /// trained sizes all the same).
    #[serde(default = "default_transfer_unseen")]
    pub unseen: Vec<u64>,
}

fn default_transfer_unseen() -> Vec<u64> {
    vec![1250, 2000]
}

fn default_pairs() -> usize {
    2
}
fn default_transfer_repetitions() -> usize {
    5
}
fn default_transfer_sizes() -> Vec<u64> {
    vec![10, 250, 500, 1000]
}

impl Default for Transfer {
    fn default() -> Self {
        toml::from_str("").expect("defaults are valid")
    }
}

/// How the policies stage places a request: by one of the server's
/// policies, or by the isolated oracle, which the harness computes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Router {
    /// Each request to the worker on which its (function, size) ran fastest
    /// in an isolated profiling pass (one call at a time on an idle system):
    /// an upper bound for routing by service time alone.
    Oracle,
    #[serde(untagged)]
    Policy(PolicyKind),
}

impl std::fmt::Display for Router {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Router::Oracle => f.write_str("oracle"),
            Router::Policy(p) => f.write_str(p.as_str()),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Policies {
    #[serde(default = "default_policies")]
    pub policies: Vec<Router>,
    /// Times the whole comparison is repeated, the policies' order rotated
    /// each time; percentiles come with their spread across repetitions.
    /// Five by default: with k, a policy as good as another still has every
    /// repetition above the other's one time in C(2k, k) (20 for three, 252
    /// for five), and the report's targets compare the default with four
    /// baselines on three statistics of every load.
    #[serde(default = "default_policy_repetitions")]
    pub repetitions: usize,
    /// Whether models keep learning during the comparison. Off by default:
    /// every policy then routes by the same models, whatever ran before it.
    #[serde(default)]
    pub learning: bool,
    /// Calls per (function, size, worker) in the oracle's profiling pass.
    #[serde(default = "default_oracle_repetitions")]
    pub oracle_repetitions: usize,
    /// Input sizes of the mixed workload (drawn uniformly, seeded).
    #[serde(default = "default_mix_sizes")]
    pub sizes: Vec<u64>,
    /// Closed loop: this many users, each sending its next request when the
    /// previous one is answered.
    #[serde(default = "default_users")]
    pub users: usize,
    #[serde(default = "default_requests_per_user")]
    pub requests_per_user: usize,
    /// Open loop: requests per second on average, whatever the response
    /// times, for `open_seconds` (0 skips the open loops).
    #[serde(default = "default_open_rate")]
    pub open_rate: usize,
    #[serde(default = "default_open_seconds")]
    pub open_seconds: usize,
    /// The open loops' arrival processes, one load each: `fixed`, `poisson`,
    /// `bursty` (see `arrivals.rs`).
    #[serde(default = "default_arrivals")]
    pub arrivals: Vec<Arrivals>,
}

fn default_arrivals() -> Vec<Arrivals> {
    vec![Arrivals::Fixed]
}

fn default_policies() -> Vec<Router> {
    PolicyKind::ALL.into_iter().map(Router::Policy).chain([Router::Oracle]).collect()
}
fn default_policy_repetitions() -> usize {
    5
}
fn default_oracle_repetitions() -> usize {
    3
}
fn default_mix_sizes() -> Vec<u64> {
    vec![1, 10, 100, 250, 500, 1000]
}
fn default_users() -> usize {
    4
}
fn default_requests_per_user() -> usize {
    50
}
fn default_open_rate() -> usize {
    10
}
fn default_open_seconds() -> usize {
    20
}

impl Default for Policies {
    fn default() -> Self {
        toml::from_str("").expect("defaults are valid")
    }
}

/// Stage `overload`: Poisson load at a doubling rate per policy, until the
/// policy's p99 passes `threshold_ms` or the rate passes `max_rate`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Overload {
    #[serde(default = "default_overload_policies")]
    pub policies: Vec<PolicyKind>,
    /// The first offered rate, requests per second.
    #[serde(default = "default_start_rate")]
    pub start_rate: f64,
    #[serde(default = "default_max_rate")]
    pub max_rate: f64,
    /// Seconds of arrivals per rate.
    #[serde(default = "default_step_seconds")]
    pub seconds: f64,
    #[serde(default = "default_threshold_ms")]
    pub threshold_ms: f64,
}

fn default_overload_policies() -> Vec<PolicyKind> {
    PolicyKind::ALL.to_vec()
}
fn default_start_rate() -> f64 {
    5.0
}
fn default_max_rate() -> f64 {
    80.0
}
fn default_step_seconds() -> f64 {
    5.0
}
fn default_threshold_ms() -> f64 {
    1000.0
}

impl Default for Overload {
    fn default() -> Self {
        toml::from_str("").expect("defaults are valid")
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Overhead {
    /// Each policy pins the worker it reaches (`edge-only` → a `noop` edge).
    #[serde(default = "default_overhead_policies")]
    pub policies: Vec<PolicyKind>,
    /// Open loop: requests per second, each for `seconds`.
    #[serde(default = "default_overhead_rates")]
    pub rates: Vec<usize>,
    #[serde(default = "default_overhead_seconds")]
    pub seconds: usize,
    /// Closed loop at full speed: this many users share `max_requests`
    /// (either 0 skips it).
    #[serde(default = "default_max_users")]
    pub max_users: usize,
    #[serde(default = "default_max_requests")]
    pub max_requests: usize,
}

fn default_overhead_policies() -> Vec<PolicyKind> {
    vec![PolicyKind::EdgeOnly]
}
fn default_overhead_rates() -> Vec<usize> {
    vec![500, 1000, 2000, 5000]
}
fn default_overhead_seconds() -> usize {
    10
}
fn default_max_users() -> usize {
    32
}
fn default_max_requests() -> usize {
    50_000
}

impl Default for Overhead {
    fn default() -> Self {
        toml::from_str("").expect("defaults are valid")
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Soak {
    /// Requests per second, open loop, over a seeded mix of the functions.
    #[serde(default = "default_soak_rate")]
    pub rate: usize,
    #[serde(default = "default_soak_seconds")]
    pub seconds: usize,
    #[serde(default = "default_soak_sizes")]
    pub sizes: Vec<u64>,
}

fn default_soak_rate() -> usize {
    20
}
fn default_soak_seconds() -> usize {
    600
}
fn default_soak_sizes() -> Vec<u64> {
    vec![1, 10, 100]
}

impl Default for Soak {
    fn default() -> Self {
        toml::from_str("").expect("defaults are valid")
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ScenarioError {
    #[error("cannot read scenario {path}: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    #[error("invalid scenario {path}: {source}")]
    Parse { path: PathBuf, source: Box<toml::de::Error> },
    #[error("invalid scenario {path}: {message}")]
    Invalid { path: PathBuf, message: String },
}

impl Scenario {
    /// Reads and checks a scenario; relative dataset paths are resolved
    /// against the current directory (the repository root, normally).
    pub fn load(path: &Path) -> Result<(Scenario, String), ScenarioError> {
        let text = std::fs::read_to_string(path).map_err(|source| ScenarioError::Read { path: path.into(), source })?;
        let scenario: Scenario = toml::from_str(&text).map_err(|e| ScenarioError::Parse { path: path.into(), source: Box::new(e) })?;
        let invalid = |message: String| ScenarioError::Invalid { path: path.into(), message };
        hetfaas_api::validate_name(&scenario.name)
            .map_err(|_| invalid(format!("name {:?} must be lowercase letters, digits and '-'", scenario.name)))?;
        Ok((scenario, text))
    }

    pub fn runs(&self, stage: Stage) -> bool {
        self.stages.run.contains(&stage)
    }

    /// The stages to run, in order: those named, and `import` and `train`
    /// whenever a named stage needs functions; `regression` is drawn with
    /// `cleaning` when both are named.
    pub fn plan(&self) -> Vec<Stage> {
        let needs_functions = self.stages.run.iter().any(|s| s.needs_functions());
        Stage::ALL
            .into_iter()
            .filter(|&s| self.runs(s) || (matches!(s, Stage::Import | Stage::Train) && needs_functions))
            .filter(|&s| !(s == Stage::Regression && self.runs(Stage::Cleaning)))
            .collect()
    }
}

/// A stable hash of the scenario's text, recorded with every run.
pub fn hash(text: &str) -> String {
    format!("{:016x}", hetfaas_api::seed::stable_hash(text))
}
