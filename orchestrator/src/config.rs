//! The orchestrator's configuration: one TOML file, every key optional.
//!
//! With no file at all, [`Config::default`] runs two local workers on this
//! machine: an `edge` (half a CPU, 2 ms away) and a `cloud` (one CPU, 25 ms
//! away). See `hetfaas.example.toml` at the repository root for every key.
//!
//! Each component owns its section's type (`PlatformConfig` in `platform`,
//! `StoreConfig` in `store`, `LearningConfig` in `learning`), as in
//! Vector's component model; this module gathers them into one file, so it
//! sits above the components and below the resource manager that is built
//! from it. The training workflow's section is defined here because the
//! workflow lives in the resource manager, above.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::function::Tier;
use crate::learning::LearningConfig;
use crate::platform::PlatformConfig;
use crate::platform::local::LocalConfig;
use crate::platform::local::network::NetworkConfig;
use crate::routing::PolicyKind;
use crate::store::StoreConfig;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Config {
    #[serde(default = "default_listen")]
    pub listen: SocketAddr,
    /// Where the database, function code and worker files live.
    #[serde(default = "default_data_dir")]
    pub data_dir: PathBuf,
    /// Bearer token for admin routes; `HETFAAS_ADMIN_TOKEN` overrides it.
    #[serde(default)]
    pub admin_token: Option<String>,
    /// Bearer token for invocations; none leaves invoke open.
    #[serde(default)]
    pub invoke_token: Option<String>,
    /// Listen beyond loopback with no admin token (refused otherwise).
    #[serde(default)]
    pub insecure: bool,
    #[serde(default = "default_policy")]
    pub policy: PolicyKind,
    /// Seeds every random choice (network jitter, the random policy).
    #[serde(default)]
    pub seed: u64,
    /// Edge workers above this CPU or memory utilisation are passed over.
    #[serde(default = "default_edge_guard")]
    pub edge_utilisation_guard: f64,
    #[serde(default)]
    pub store: StoreConfig,
    #[serde(default)]
    pub learning: LearningConfig,
    #[serde(default)]
    pub training: TrainingConfig,
    #[serde(default = "default_workers")]
    pub workers: Vec<WorkerConfig>,
    /// The CPUs the server's own threads run on, once its workers have
    /// started (empty: any). Keeps its routing, learning and, in the
    /// research harness, the load generator off a local worker's CPUs; the
    /// workers' processes keep their own (`cpus` in a worker's section).
    #[serde(default)]
    pub cpus: Vec<usize>,
}

/// The `[training]` section: the workflow run after a function is created.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrainingConfig {
    #[serde(default = "default_minimal_sizes")]
    pub minimal_sizes: Vec<u64>,
    #[serde(default = "default_full_invocations")]
    pub full_invocations: u64,
    #[serde(default = "default_full_max_size")]
    pub full_max_size: u64,
    /// Own invocations per worker of a function trained by transfer.
    #[serde(default = "default_transfer_invocations")]
    pub transfer_invocations: u64,
    /// Train the workers side by side rather than one after another. Off by
    /// default: local workers share this machine's cores, so a call measured
    /// while another worker runs is slower than the same call alone, and the
    /// model would learn that contention. On suits workers on separate
    /// machines (Lambda, Knative, a `hetfaas node` elsewhere).
    #[serde(default)]
    pub concurrent_workers: bool,
}

fn default_transfer_invocations() -> u64 {
    10
}

fn default_minimal_sizes() -> Vec<u64> {
    std::iter::once(1).chain((1..=10).map(|i| i * 100)).collect()
}

fn default_full_invocations() -> u64 {
    100
}

fn default_full_max_size() -> u64 {
    1000
}

impl Default for TrainingConfig {
    fn default() -> Self {
        toml::from_str("").expect("the empty training section is valid")
    }
}

/// One `[[workers]]` entry: a name, a tier, and a platform kind's settings.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct WorkerConfig {
    pub name: String,
    pub tier: Tier,
    #[serde(flatten)]
    pub platform: PlatformConfig,
}

fn default_listen() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 8080))
}

fn default_data_dir() -> PathBuf {
    PathBuf::from("hetfaas-data")
}

fn default_policy() -> PolicyKind {
    PolicyKind::LeastExpectedCompletion
}

fn default_edge_guard() -> f64 {
    0.95
}

fn default_workers() -> Vec<WorkerConfig> {
    let local = |name: &str, tier, cpu, delay_ms| WorkerConfig {
        name: name.into(),
        tier,
        platform: PlatformConfig::Local(LocalConfig {
            cpu: Some(cpu),
            network: NetworkConfig { delay_ms, jitter_ms: delay_ms / 10.0, bandwidth_mbps: 0.0 }.into(),
            ..LocalConfig::default()
        }),
    };
    vec![local("edge", Tier::Edge, 0.5, 2.0), local("cloud", Tier::Cloud, 1.0, 25.0)]
}

impl Default for Config {
    fn default() -> Self {
        toml::from_str("").expect("the empty configuration is valid")
    }
}

/// Creates a data directory that other users may pass through but not
/// list (0711): handlers, run as other users, reach their own files in it
/// and nothing they are not told the name of (the database is 0600).
pub fn private_dir(dir: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::create_dir_all(dir)?;
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o711))
}

/// Makes a configuration file its owner's alone when others could read it:
/// it may hold tokens and handlers run as other users. Says so when it does.
pub fn restrict(file: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(file)?.permissions().mode();
    if mode & 0o077 != 0 {
        tracing::warn!(file = %file.display(), "the configuration was readable by other users (it may hold tokens): now 0600");
        std::fs::set_permissions(file, std::fs::Permissions::from_mode(0o600))?;
    }
    Ok(())
}

/// `value` within `range`, or a message naming `key` and the range.
fn within<T: PartialOrd + std::fmt::Display>(key: &str, value: T, range: std::ops::RangeInclusive<T>) -> Result<(), String> {
    if range.contains(&value) { Ok(()) } else { Err(format!("{key} must be between {} and {}, got {value}", range.start(), range.end())) }
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read {path}: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    #[error("invalid configuration in {path}: {source}")]
    Parse { path: PathBuf, source: Box<toml::de::Error> },
    #[error("invalid configuration: {0}")]
    Invalid(String),
}

impl Config {
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read { path: path.into(), source })?;
        let config: Config = toml::from_str(&text).map_err(|e| ConfigError::Parse { path: path.into(), source: Box::new(e) })?;
        config.validate()?;
        Ok(config)
    }

    /// Checks what serde cannot: at least one worker, unique valid names,
    /// and every number in a range that neither hangs nor panics. (Each
    /// platform checks its own section when it starts.)
    pub fn validate(&self) -> Result<(), ConfigError> {
        if self.workers.is_empty() {
            return Err(ConfigError::Invalid("no [[workers]] configured".into()));
        }
        let mut names = std::collections::HashSet::new();
        for w in &self.workers {
            crate::function::validate_name(&w.name)
                .map_err(|_| ConfigError::Invalid(format!("worker name {:?} must match ^[a-z][a-z0-9-]{{0,62}}$", w.name)))?;
            if !names.insert(&w.name) {
                return Err(ConfigError::Invalid(format!("worker {:?} is configured twice", w.name)));
            }
        }
        self.validate_ranges().map_err(ConfigError::Invalid)
    }

    fn validate_ranges(&self) -> Result<(), String> {
        let t = &self.training;
        let l = &self.learning;
        within("edge_utilisation_guard", self.edge_utilisation_guard, 0.01..=1.0)?;
        within("training.full_invocations", t.full_invocations, 1..=100_000)?;
        within("training.transfer_invocations", t.transfer_invocations, 1..=100_000)?;
        within("training.full_max_size", t.full_max_size, 1..=1_000_000)?;
        within("training.minimal_sizes (its length)", t.minimal_sizes.len(), 1..=1000)?;
        if let Some(size) = t.minimal_sizes.iter().find(|s| !(1..=1_000_000).contains(*s)) {
            return Err(format!("training.minimal_sizes must hold sizes between 1 and 1000000, got {size}"));
        }
        within("learning.transfer_prior_rows", l.transfer_prior_rows, 0.0..=1e6)?;
        within("learning.cleaning.zscore_threshold", l.cleaning.zscore_threshold, 0.1..=100.0)?;
        within("learning.cleaning.iqr_k", l.cleaning.iqr_k, 0.0..=100.0)?;
        within("learning.similarity.clusters", l.similarity.clusters, 1..=1000)?;
        within("learning.similarity.paper_threshold", l.similarity.paper_threshold, 0.0..=1e6)?;
        within("learning.similarity.distance_threshold", l.similarity.distance_threshold, 0.0..=1e6)
    }

    /// The admin token in force: the environment wins over the file.
    pub fn effective_admin_token(&self) -> Option<String> {
        std::env::var("HETFAAS_ADMIN_TOKEN").ok().filter(|t| !t.is_empty()).or_else(|| self.admin_token.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_training_sizes_follow_the_dissertation() {
        let c = TrainingConfig::default();
        assert_eq!(c.minimal_sizes, vec![1, 100, 200, 300, 400, 500, 600, 700, 800, 900, 1000]);
        assert_eq!((c.full_invocations, c.full_max_size, c.transfer_invocations), (100, 1000, 10));
    }

    #[test]
    fn no_file_means_a_local_edge_and_cloud() {
        let config = Config::default();
        let names: Vec<_> = config.workers.iter().map(|w| (w.name.as_str(), w.tier)).collect();
        assert_eq!(names, vec![("edge", Tier::Edge), ("cloud", Tier::Cloud)]);
        assert_eq!(config.policy, PolicyKind::LeastExpectedCompletion);
    }

    #[test]
    fn workers_are_chosen_by_kind() {
        let config: Config = toml::from_str(
            r#"
            policy = "round-robin"
            [[workers]]
            name = "pi"
            tier = "edge"
            kind = "local"
            cpu = 0.05
            network = { delay_ms = 1.0 }
            [[workers]]
            name = "far"
            tier = "cloud"
            kind = "node"
            url = "http://127.0.0.1:9000"
            "#,
        )
        .unwrap();
        assert!(matches!(&config.workers[0].platform, PlatformConfig::Local(l) if l.cpu == Some(0.05)));
        assert!(matches!(&config.workers[1].platform, PlatformConfig::Node(n) if n.url.ends_with("9000")));
    }

    #[test]
    fn the_example_file_is_the_default() {
        let example: Config = toml::from_str(include_str!("../../hetfaas.example.toml")).unwrap();
        example.validate().unwrap();
        assert_eq!(example, Config::default());
    }

    #[cfg(all(feature = "aws", feature = "knative", feature = "docker", feature = "scylla"))]
    #[test]
    fn the_real_infrastructure_example_is_valid() {
        let config: Config = toml::from_str(include_str!("../../deploy/real-infrastructure.toml")).unwrap();
        config.validate().unwrap();
        assert!(matches!(&config.workers[0].platform, PlatformConfig::Knative(k) if k.cpu.as_deref() == Some("50m")));
        assert!(matches!(&config.workers[1].platform, PlatformConfig::Lambda(l) if l.build.is_some()));
        assert!(matches!(&config.store, StoreConfig::Scylla(s) if s.bucket_hours == 24));
    }

    #[test]
    fn numbers_out_of_range_are_refused_by_name() {
        for (text, key) in [
            ("edge_utilisation_guard = 0.0", "edge_utilisation_guard"),
            ("edge_utilisation_guard = nan", "edge_utilisation_guard"),
            ("[training]\nfull_invocations = 0", "training.full_invocations"),
            ("[training]\nminimal_sizes = [0]", "training.minimal_sizes"),
            ("[learning]\ntransfer_prior_rows = inf", "learning.transfer_prior_rows"),
            ("[learning.similarity]\nclusters = 0", "learning.similarity.clusters"),
        ] {
            let config: Config = toml::from_str(text).unwrap();
            let error = config.validate().unwrap_err().to_string();
            assert!(error.contains(key), "{text}: {error}");
        }
    }

    #[test]
    fn typos_are_reported_not_ignored() {
        let err = toml::from_str::<Config>("[[workers]]\nname = \"e\"\ntier = \"edge\"\nkind = \"local\"\ncores = 1\n").unwrap_err();
        assert!(err.to_string().contains("cores"), "{err}");
        let err = toml::from_str::<Config>("polcy = \"random\"\n").unwrap_err();
        assert!(err.to_string().contains("polcy"), "{err}");
    }
}
