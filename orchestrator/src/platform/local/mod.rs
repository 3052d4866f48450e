//! The `local` platform: the embedded default, needing only `python3`.
//!
//! It emulates one node of the edge-cloud continuum on this machine: warm
//! Python processes per function ([`pool`], [`instance`]), a CPU quota and
//! memory limits enforced by the kernel ([`cgroup`]), and a network link with
//! a seeded delay ([`network`]). Two of these with different settings give an
//! "edge" (little CPU, near) and a "cloud" (more CPU, far).

mod cgroup;
mod config;
mod instance;
pub mod network;
mod pool;
mod sandbox;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use bytes::Bytes;
use tokio::task::JoinHandle;

use self::cgroup::Group;
pub use self::config::{LocalConfig, SandboxConfig};
use self::instance::SpawnError;
use self::network::Link;
use self::pool::Pool;
use self::sandbox::{Sandbox, WorkerDir};
use crate::affinity::CpuSet;
use crate::function::{FunctionSpec, validate_name};
use crate::platform::{DeployError, InvokeOutcome, Platform, PlatformError, StartError, Utilisation};

/// What every pool of one worker needs to start instances.
#[derive(Debug)]
pub struct Shared {
    worker: String,
    /// The worker's directory: function code, bootstrap, instance homes.
    dir: WorkerDir,
    python: PathBuf,
    bootstrap: PathBuf,
    group: Option<Group>,
    sandbox: Sandbox,
    instance_cpu: Option<f64>,
    cpu_period: Duration,
    cpus: Option<CpuSet>,
    cold_start_extra: Duration,
    init_timeout: Duration,
    max_queued: usize,
    queue_timeout: Duration,
}

type Pools = Arc<RwLock<HashMap<String, Arc<Pool>>>>;

#[derive(Debug)]
pub struct LocalPlatform {
    shared: Arc<Shared>,
    link: Link,
    pools: Pools,
    utilisation: Arc<[AtomicU64; 2]>,
    cgroup_mode: String,
    sandbox_mode: String,
    cpus_mode: String,
    max_instances: usize,
    parallelism: f64,
    /// The worker as a whole has a CPU quota (`cpu`).
    quota: bool,
    burst_ms: Option<f64>,
    background: Vec<JoinHandle<()>>,
}

impl LocalPlatform {
    /// Prepares the worker's directory and cgroup and starts its sampler and
    /// idle reaper. Must run inside a tokio runtime.
    pub fn start(name: &str, config: LocalConfig, data_dir: &Path, seed: u64) -> Result<LocalPlatform, StartError> {
        let fail = |detail: String| StartError { worker: name.to_owned(), detail };
        config.validate().map_err(fail)?;
        let python = find_python(&config.python).ok_or_else(|| {
            fail(format!("{} not found on PATH: install Python 3 or set `python` in the worker config", config.python.display()))
        })?;
        let (sandbox, sandbox_mode) = Sandbox::new(&config.sandbox, config.network.isolated()).map_err(fail)?;
        let python = sandbox.interpreter(python, name).map_err(fail)?;
        // Absolute, because instances run with their own directory as cwd.
        let preferred = std::path::absolute(data_dir.join("workers").join(name)).map_err(|e| fail(e.to_string()))?;
        let dir = sandbox.worker_dir(preferred, name).map_err(fail)?;
        let bootstrap = instance::bootstrap_path(&dir.path);
        let written = std::fs::write(&bootstrap, instance::BOOTSTRAP)
            .and_then(|()| std::fs::set_permissions(&bootstrap, std::os::unix::fs::PermissionsExt::from_mode(0o644)));
        written.map_err(|e| fail(format!("cannot write {}: {e}", bootstrap.display())))?;
        let (cpus, cpus_mode) = cpus(name, &config.cpus);
        let cores = cores(&config, cpus.is_some());
        let (group, cgroup_mode) = worker_group(name, &config);
        let shared = Arc::new(Shared {
            worker: name.to_owned(),
            dir,
            python,
            bootstrap,
            group,
            sandbox,
            instance_cpu: config.instance_cpu,
            cpu_period: Duration::from_millis(config.cpu_period_ms),
            // Any CPU is every CPU the server started with, set in each
            // child: a server that confines its own threads (`cpus` at its
            // top level) does not confine a worker's processes with them.
            cpus: cpus.or_else(|| CpuSet::at_start().ok()),
            cold_start_extra: Duration::from_millis(config.cold_start_extra_ms),
            init_timeout: Duration::from_secs(config.init_timeout_s),
            max_queued: config.max_queued,
            queue_timeout: Duration::from_millis(config.queue_timeout_ms),
        });
        let pools: Pools = Arc::default();
        let utilisation: Arc<[AtomicU64; 2]> = Arc::default();
        let background = vec![
            tokio::spawn(sample_utilisation(shared.clone(), config.clone(), cores, utilisation.clone())),
            tokio::spawn(reap_idle(pools.clone(), Duration::from_secs(config.idle_timeout_s))),
        ];
        let burst_ms = burst_ms(&config, shared.group.is_some());
        Ok(LocalPlatform {
            shared,
            link: Link::new(config.network.link(), seed),
            pools,
            utilisation,
            cgroup_mode,
            sandbox_mode,
            cpus_mode,
            max_instances: config.max_instances,
            parallelism: parallelism(&config, cores),
            quota: config.cpu.is_some(),
            burst_ms,
            background,
        })
    }

    /// The worker quota's throttled time so far, when it has a quota: two
    /// reads of an in-memory cgroup file around each call, so a call's
    /// profile says how long the quota held the worker back while it ran,
    /// added to what the instance's own quota held it back (`instance_cpu`,
    /// measured by the instance).
    fn throttled_ns(&self) -> Option<u64> {
        self.shared.group.as_ref().filter(|_| self.quota).map(Group::throttled_ns)
    }

    fn pool(&self, function: &str) -> Option<Arc<Pool>> {
        self.pools.read().expect("pools lock poisoned").get(function).cloned()
    }

    /// The function's code directory: under this worker's `functions/`, for
    /// a valid name only, checked after joining, so no name (`..`, `/x`)
    /// reaches outside it.
    fn code_dir(&self, function: &str) -> Option<PathBuf> {
        let functions = self.shared.dir.path.join("functions");
        let dir = functions.join(function);
        (validate_name(function).is_ok() && dir.parent() == Some(functions.as_path())).then_some(dir)
    }
}

/// Creates the worker's cgroup with its limits, or warns loudly why the
/// worker will run unconstrained.
fn worker_group(name: &str, config: &LocalConfig) -> (Option<Group>, String) {
    let created = cgroup::hierarchy().map_err(str::to_owned).and_then(|h| {
        let group = Group::for_worker(h, name).map_err(|e| e.to_string())?;
        if let Some(cpu) = config.cpu {
            group.set_cpu_limit(cpu, Duration::from_millis(config.cpu_period_ms)).map_err(|e| e.to_string())?;
        }
        if let Some(mb) = config.memory_mb {
            group.set_memory_limit(mb * 1024 * 1024).map_err(|e| e.to_string())?;
        }
        Ok((group, format!("cgroup {}", h.version())))
    });
    match created {
        Ok((group, mode)) => (Some(group), mode),
        Err(reason) => {
            tracing::warn!(
                worker = name,
                "cgroups unavailable ({reason}): worker runs UNCONSTRAINED: its CPU quota is not enforced, \
                 memory is limited by RLIMIT_AS only, and utilisation reads 0"
            );
            (None, format!("unconstrained: {reason}"))
        }
    }
}

/// Finds the interpreter, then asks it for its real executable: `python3`
/// on `PATH` is often a version manager's shim, a shell script that would
/// add its own start-up to every cold start.
fn find_python(python: &Path) -> Option<PathBuf> {
    let found = if python.is_absolute() {
        python.exists().then(|| python.to_owned())?
    } else {
        let path = std::env::var_os("PATH")?;
        std::env::split_paths(&path).map(|d| d.join(python)).find(|p| p.is_file())?
    };
    let real = std::process::Command::new(&found)
        .args(["-c", "import sys; print(sys.executable)"])
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .output()
        .ok()
        .map(|o| PathBuf::from(String::from_utf8_lossy(&o.stdout).trim()))
        .filter(|p| p.is_file());
    Some(real.unwrap_or(found))
}

/// The worker's CPUs, and how its health shows them. CPUs this machine
/// does not have (a scenario written for two, run on one) fall back to
/// any CPU, loudly, as missing cgroups do: the worker still runs.
fn cpus(worker: &str, cpus: &[usize]) -> (Option<CpuSet>, String) {
    match CpuSet::of(cpus) {
        Ok(Some(set)) => (Some(set), format!("pinned to {cpus:?}")),
        Ok(None) => (None, "any".to_owned()),
        Err(why) => {
            tracing::warn!(worker, "{why}: its processes run on any CPU");
            (None, format!("any ({why})"))
        }
    }
}

/// The cores the worker may use: its quota, else its own CPUs (if it got
/// them), else the machine's.
fn cores(config: &LocalConfig, pinned: bool) -> f64 {
    let machine = || std::thread::available_parallelism().map_or(1.0, |n| n.get() as f64);
    config.cpu.unwrap_or_else(|| if pinned { config.cpus.len() as f64 } else { machine() })
}

/// Calls the worker runs at once at a lone call's speed: its cores over
/// what one call may use (an instance's quota, and never more than one core
/// for a single-threaded handler), at most one per instance. Half a core
/// thus serves one call at a time; two cores with 0.5-core instances, four.
/// What one call may use of a quota period: the smaller of the worker's
/// and the instance's quota, when under one core and enforced (a cgroup).
fn burst_ms(config: &LocalConfig, enforced: bool) -> Option<f64> {
    let share = config.cpu.into_iter().chain(config.instance_cpu).fold(f64::INFINITY, f64::min);
    (enforced && share < 1.0).then_some(share * config.cpu_period_ms as f64)
}

fn parallelism(config: &LocalConfig, cores: f64) -> f64 {
    let per_call = config.instance_cpu.unwrap_or(1.0).min(cores).min(1.0);
    (cores / per_call).min(config.max_instances as f64).max(1.0)
}

/// Reads the worker's cgroup counters every 250 ms into two atomics, so the
/// router reads utilisation without a system call. CPU is averaged over the
/// last second: over a single 250 ms sample a saturated quota read anywhere
/// from 0.75 to 1.2, because the kernel grants it in 100 ms periods.
async fn sample_utilisation(shared: Arc<Shared>, config: LocalConfig, cores: f64, out: Arc<[AtomicU64; 2]>) {
    const WINDOW: usize = 4;
    let Some(group) = shared.group.as_ref() else {
        return;
    };
    let capacity = config.memory_mb.map_or_else(physical_memory, |mb| mb * 1024 * 1024) as f64;
    let mut history = std::collections::VecDeque::from([(Instant::now(), group.cpu_usage_ns())]);
    let mut tick = tokio::time::interval(Duration::from_millis(250));
    loop {
        tick.tick().await;
        let now = (Instant::now(), group.cpu_usage_ns());
        let oldest = history[0];
        let wall_ns = now.0.duration_since(oldest.0).as_nanos() as f64;
        let cpu = now.1.saturating_sub(oldest.1) as f64 / (wall_ns * cores);
        let memory = group.memory_usage_bytes() as f64 / capacity;
        out[0].store(cpu.clamp(0.0, 1.0).to_bits(), Ordering::Relaxed);
        out[1].store(memory.clamp(0.0, 1.0).to_bits(), Ordering::Relaxed);
        history.push_back(now);
        if history.len() > WINDOW {
            history.pop_front();
        }
    }
}

fn physical_memory() -> u64 {
    // SAFETY: sysconf only reads system constants.
    let (pages, page) = unsafe { (libc::sysconf(libc::_SC_PHYS_PAGES), libc::sysconf(libc::_SC_PAGE_SIZE)) };
    (pages.max(1) as u64) * (page.max(1) as u64)
}

/// Stops instances idle past the timeout: scale to zero between bursts.
async fn reap_idle(pools: Pools, idle_timeout: Duration) {
    let mut tick = tokio::time::interval(Duration::from_secs(1).min(idle_timeout));
    loop {
        tick.tick().await;
        let all: Vec<Arc<Pool>> = pools.read().expect("pools lock poisoned").values().cloned().collect();
        for pool in all {
            pool.reap(idle_timeout).await;
        }
    }
}

#[async_trait]
impl Platform for LocalPlatform {
    async fn deploy(&self, spec: &FunctionSpec) -> Result<(), DeployError> {
        let platform = |detail: String| DeployError::Platform { worker: self.shared.worker.clone(), detail };
        let code_dir = self.code_dir(&spec.name).ok_or_else(|| platform(format!("invalid function name {:?}", spec.name)))?;
        let io = |e: std::io::Error| platform(e.to_string());
        tokio::fs::create_dir_all(&code_dir).await.map_err(io)?;
        tokio::fs::write(code_dir.join("main.py"), &spec.source_code).await.map_err(io)?;
        self.shared.sandbox.share_code(&code_dir).map_err(io)?;
        let pool = Arc::new(Pool::new(spec.clone(), code_dir, self.max_instances));
        pool.prewarm(&self.shared).await.map_err(|e| match e {
            SpawnError::Code { error_type, message } => DeployError::Code { error_type, message },
            SpawnError::System(detail) => DeployError::Platform { worker: self.shared.worker.clone(), detail },
        })?;
        let previous = self.pools.write().expect("pools lock poisoned").insert(spec.name.clone(), pool);
        if let Some(previous) = previous {
            previous.close().await;
        }
        Ok(())
    }

    async fn invoke(&self, function: &str, event: Bytes) -> Result<InvokeOutcome, PlatformError> {
        let pool = self
            .pool(function)
            .ok_or_else(|| PlatformError::NotDeployed { worker: self.shared.worker.clone(), function: function.to_owned() })?;
        self.link.cross(event.len()).await;
        let throttled_before = self.throttled_ns();
        let mut outcome = pool.invoke(&self.shared, &event).await?;
        if let (Some(before), Some(after), Some(profile)) = (throttled_before, self.throttled_ns(), outcome.profile.as_mut()) {
            let worker_ms = after.saturating_sub(before) as f64 / 1e6;
            profile.throttled_ms = Some(profile.throttled_ms.unwrap_or(0.0) + worker_ms);
        }
        let reply_len = outcome.result.as_ref().map_or(256, Bytes::len);
        self.link.cross(reply_len).await;
        Ok(outcome)
    }

    fn parallelism(&self) -> f64 {
        self.parallelism
    }

    fn quota_burst_ms(&self) -> Option<f64> {
        self.burst_ms
    }

    fn transit_ms(&self) -> f64 {
        self.link.round_trip_ms()
    }

    fn utilisation(&self) -> Utilisation {
        Utilisation {
            cpu: f64::from_bits(self.utilisation[0].load(Ordering::Relaxed)),
            memory: f64::from_bits(self.utilisation[1].load(Ordering::Relaxed)),
        }
    }

    async fn health(&self) -> bool {
        true
    }

    async fn remove(&self, function: &str) -> Result<(), PlatformError> {
        let failed = |detail: String| PlatformError::Failed { worker: self.shared.worker.clone(), detail };
        let code_dir = self.code_dir(function).ok_or_else(|| failed(format!("invalid function name {function:?}")))?;
        let pool = self.pools.write().expect("pools lock poisoned").remove(function);
        if let Some(pool) = pool {
            pool.close().await;
        }
        let _ = tokio::fs::remove_dir_all(code_dir).await;
        Ok(())
    }

    async fn shutdown(&self) {
        for task in &self.background {
            task.abort();
        }
        let all: Vec<Arc<Pool>> = self.pools.write().expect("pools lock poisoned").drain().map(|(_, p)| p).collect();
        for pool in all {
            pool.close().await;
        }
    }

    fn details(&self) -> serde_json::Value {
        let pools = self.pools.read().expect("pools lock poisoned");
        let warm: serde_json::Map<_, _> = pools.iter().map(|(f, p)| (f.clone(), p.idle_count().into())).collect();
        serde_json::json!({ "limits": self.cgroup_mode, "sandbox": self.sandbox_mode, "cpus": self.cpus_mode, "warm_instances": warm })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_call_may_use_its_share_of_one_period_before_the_quota_holds_it_back() {
        let half = LocalConfig { cpu: Some(0.5), cpu_period_ms: 10, ..LocalConfig::default() };
        assert_eq!(burst_ms(&half, true), Some(5.0));
        assert_eq!(burst_ms(&half, false), None, "no cgroup, no quota enforced");
        let instances = LocalConfig { cpu: Some(0.2), instance_cpu: Some(0.05), cpu_period_ms: 100, ..LocalConfig::default() };
        assert_eq!(burst_ms(&instances, true), Some(5.0), "the instance's quota is the smaller");
        assert_eq!(burst_ms(&LocalConfig { cpu: Some(1.0), ..half }, true), None, "a whole core holds no single call back");
        assert_eq!(burst_ms(&LocalConfig::default(), true), None);
    }
}
