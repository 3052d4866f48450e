//! The settings of a `kind = "local"` worker, and the values they may take:
//! anything the kernel or the pool could not honour (a zero-length idle
//! timeout, no instances at all, a quota under the kernel's minimum, a
//! delay of forever) is refused at start, naming the key.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::network::Network;

/// Settings of a `kind = "local"` worker.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct LocalConfig {
    /// CPU cores the whole worker may use (a CFS quota); none = unlimited.
    #[serde(default)]
    pub cpu: Option<f64>,
    /// CPU cores each instance may use, like a pod's `limits.cpu`.
    #[serde(default)]
    pub instance_cpu: Option<f64>,
    /// The CFS period the quotas are granted in. Kubernetes uses 100 ms; a
    /// shorter one makes a small call wait at most that long when an
    /// earlier call spent the quota (1-1000 ms; quota × period ≥ 1 ms).
    #[serde(default = "default_cpu_period_ms")]
    pub cpu_period_ms: u64,
    /// The machine's CPUs (numbered as `taskset` numbers them) the worker's
    /// processes may run on; empty = any. Two local workers otherwise share
    /// the machine's cores, as a real edge and cloud never do.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cpus: Vec<usize>,
    /// Memory of the whole worker in MB: a cap, and the utilisation base.
    #[serde(default)]
    pub memory_mb: Option<u64>,
    /// Most instances one function may run at once on this worker.
    #[serde(default = "default_max_instances")]
    pub max_instances: usize,
    /// Calls that may wait for a busy function's instance; past that, or
    /// past `queue_timeout_ms` of waiting, the worker refuses (throttles).
    #[serde(default = "default_max_queued")]
    pub max_queued: usize,
    #[serde(default = "default_queue_timeout_ms")]
    pub queue_timeout_ms: u64,
    /// Seconds an instance may stay idle before it is stopped.
    #[serde(default = "default_idle_timeout_s")]
    pub idle_timeout_s: u64,
    /// Extra delay added to every cold start, on top of the real one.
    #[serde(default)]
    pub cold_start_extra_ms: u64,
    /// How long an instance may take to import the function, apart from the
    /// handler's own `timeout_s` (Lambda allows its init phase 10 s).
    #[serde(default = "default_init_timeout_s")]
    pub init_timeout_s: u64,
    /// An emulated link (`{ delay_ms, jitter_ms, bandwidth_mbps }`), or
    /// `"none"`: handlers get no network at all.
    #[serde(default)]
    pub network: Network,
    /// The Python interpreter; looked up on `PATH` unless absolute.
    #[serde(default = "default_python")]
    pub python: PathBuf,
    /// Who handlers run as, and how many processes one may have.
    #[serde(default)]
    pub sandbox: SandboxConfig,
}

/// The `sandbox` table of a local worker (see `sandbox.rs` for what it
/// does and does not protect).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct SandboxConfig {
    /// When the server runs as root, run each instance as an unprivileged
    /// user of its own; off, handlers run as the server's user.
    #[serde(default = "default_true")]
    pub users: bool,
    /// The uids instances run as: `uid_count` of them from `uid_base`, one
    /// per live instance, chosen here (no account is created).
    #[serde(default = "default_uid_base")]
    pub uid_base: u32,
    #[serde(default = "default_uid_count")]
    pub uid_count: u32,
    /// The group every instance runs in: it may read function code.
    #[serde(default = "default_uid_base")]
    pub gid: u32,
    /// Processes and threads one instance may have (cgroup `pids.max`, or
    /// `RLIMIT_NPROC` for an instance with a user of its own).
    #[serde(default = "default_max_processes")]
    pub max_processes: u64,
}

fn default_true() -> bool {
    true
}

fn default_uid_base() -> u32 {
    61_000
}

fn default_uid_count() -> u32 {
    1_000
}

fn default_max_processes() -> u64 {
    64
}

impl Default for SandboxConfig {
    fn default() -> Self {
        toml::from_str("").expect("the empty sandbox table is valid")
    }
}

fn default_max_instances() -> usize {
    4
}

fn default_max_queued() -> usize {
    256
}

fn default_queue_timeout_ms() -> u64 {
    30_000
}

fn default_idle_timeout_s() -> u64 {
    300
}

fn default_cpu_period_ms() -> u64 {
    100
}

fn default_init_timeout_s() -> u64 {
    10
}

fn default_python() -> PathBuf {
    PathBuf::from("python3")
}

impl Default for LocalConfig {
    fn default() -> Self {
        toml::from_str("").expect("the empty local worker is valid")
    }
}

/// `value` within `range`, or a message naming `key` and the range.
fn within<T: PartialOrd + std::fmt::Display>(key: &str, value: T, range: std::ops::RangeInclusive<T>) -> Result<(), String> {
    if range.contains(&value) { Ok(()) } else { Err(format!("{key} must be between {} and {}, got {value}", range.start(), range.end())) }
}

impl LocalConfig {
    /// Refuses values the kernel or the pool cannot honour, naming the key.
    pub fn validate(&self) -> Result<(), String> {
        within("cpu_period_ms", self.cpu_period_ms, 1..=1000)?;
        within("max_instances", self.max_instances, 1..=1024)?;
        within("max_queued", self.max_queued, 0..=1_000_000)?;
        within("queue_timeout_ms", self.queue_timeout_ms, 1..=3_600_000)?;
        within("idle_timeout_s", self.idle_timeout_s, 1..=31_536_000)?;
        within("init_timeout_s", self.init_timeout_s, 1..=900)?;
        within("cold_start_extra_ms", self.cold_start_extra_ms, 0..=600_000)?;
        within("sandbox.max_processes", self.sandbox.max_processes, 1..=1_000_000)?;
        within("sandbox.uid_count", self.sandbox.uid_count, 1..=1_000_000)?;
        if self.sandbox.uid_base == 0 || self.sandbox.gid == 0 {
            return Err("sandbox.uid_base and sandbox.gid must not be 0 (root)".into());
        }
        if let Some(mb) = self.memory_mb {
            within("memory_mb", mb, 16..=16 * 1024 * 1024)?;
        }
        if let Network::Link(link) = &self.network {
            link.validate()?;
        }
        let mut cpus = self.cpus.clone();
        cpus.sort_unstable();
        cpus.dedup();
        if cpus.len() != self.cpus.len() {
            return Err(format!("cpus must not repeat a CPU, got {:?}", self.cpus));
        }
        if let Some(cores) = self.cpu.filter(|&cores| !cpus.is_empty() && cores > cpus.len() as f64) {
            return Err(format!("cpu = {cores} is more than the {} CPUs in cpus {:?} can give", cpus.len(), self.cpus));
        }
        for (key, cores) in [("cpu", self.cpu), ("instance_cpu", self.instance_cpu)] {
            let Some(cores) = cores else { continue };
            within(key, cores, 0.001..=1024.0)?;
            // The kernel grants at least 1 ms of quota per period.
            if cores * (self.cpu_period_ms as f64) < 1.0 {
                return Err(format!(
                    "{key} = {cores} with cpu_period_ms = {} is a quota under the kernel's 1 ms minimum: \
                     lengthen cpu_period_ms to at least {:.0}",
                    self.cpu_period_ms,
                    (1.0 / cores).ceil()
                ));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_that_would_hang_or_panic_are_refused_by_name() {
        for (text, key) in [
            ("idle_timeout_s = 0", "idle_timeout_s"),
            ("max_instances = 0", "max_instances"),
            ("init_timeout_s = 0", "init_timeout_s"),
            ("cpu = 0.0", "cpu"),
            ("cpu = nan", "cpu"),
            ("cpu_period_ms = 0", "cpu_period_ms"),
            ("cpu = 0.001\ncpu_period_ms = 100", "cpu"),
            ("network = { delay_ms = inf }", "network.delay_ms"),
            ("network = { jitter_ms = -1.0 }", "network.jitter_ms"),
            ("sandbox = { max_processes = 0 }", "sandbox.max_processes"),
            ("queue_timeout_ms = 0", "queue_timeout_ms"),
            ("cpus = [0, 0]", "cpus"),
            ("cpu = 1.5\ncpus = [0]", "cpu"),
        ] {
            let config: LocalConfig = toml::from_str(text).unwrap();
            let error = config.validate().unwrap_err();
            assert!(error.starts_with(key), "{text}: {error}");
        }
        LocalConfig::default().validate().unwrap();
    }
}
