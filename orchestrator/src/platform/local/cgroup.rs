//! Kernel-enforced CPU and memory limits for local workers, through cgroups.
//!
//! Kubernetes enforces `limits.cpu` with the CFS bandwidth controller and
//! `limits.memory` with the memory controller; the local platform does the
//! same so an emulated edge node is slow for the same reason a real one is.
//! Both cgroup v1 (separate `cpu`, `cpuacct`, `memory` mounts) and v2 (one
//! unified tree) are supported. Groups live under `hetfaas/` in each
//! hierarchy, named after the owning process, so parallel servers never
//! collide and groups left by a crashed process are swept on the next start.

use std::ffi::CString;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

const V2_ROOT: &str = "/sys/fs/cgroup";

/// The cgroup interface this kernel offers, detected once per process.
#[derive(Debug)]
pub enum Hierarchy {
    V1 { cpu: PathBuf, cpuacct: PathBuf, memory: PathBuf },
    V2 { root: PathBuf },
}

/// Detects a writable cgroup hierarchy, or says why there is none.
///
/// `HETFAAS_CGROUPS=off` forces the unconstrained fallback (used to test it).
pub fn hierarchy() -> Result<&'static Hierarchy, &'static str> {
    static DETECTED: OnceLock<Result<Hierarchy, String>> = OnceLock::new();
    DETECTED.get_or_init(detect).as_ref().map_err(|reason| reason.as_str())
}

fn detect() -> Result<Hierarchy, String> {
    if std::env::var("HETFAAS_CGROUPS").is_ok_and(|v| v == "off") {
        return Err("disabled by HETFAAS_CGROUPS=off".into());
    }
    let v1 = |c: &str| Path::new(V2_ROOT).join(c);
    let hierarchy = if v1("cpu").join("cpu.cfs_quota_us").exists() && v1("memory").join("memory.limit_in_bytes").exists() {
        let cpuacct = [v1("cpuacct"), v1("cpu")]
            .into_iter()
            .find(|p| p.join("cpuacct.usage").exists())
            .ok_or("cgroup v1 has no cpuacct controller")?;
        Hierarchy::V1 { cpu: v1("cpu"), cpuacct, memory: v1("memory") }
    } else if fs::read_to_string(v1("cgroup.controllers")).is_ok_and(|c| c.contains("cpu") && c.contains("memory")) {
        Hierarchy::V2 { root: PathBuf::from(V2_ROOT) }
    } else {
        return Err("no cgroup v1 cpu+memory mounts and no cgroup v2 tree with cpu and memory controllers".into());
    };
    for base in hierarchy.bases() {
        let dir = base.join("hetfaas");
        fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        sweep_stale(&dir);
    }
    if let Hierarchy::V2 { root } = &hierarchy {
        enable_v2_controllers(root).map_err(|e| format!("cannot enable cpu/memory controllers in {}: {e}", root.display()))?;
        enable_v2_controllers(&root.join("hetfaas")).map_err(|e| format!("cannot enable controllers under hetfaas/: {e}"))?;
    }
    Ok(hierarchy)
}

impl Hierarchy {
    fn bases(&self) -> Vec<PathBuf> {
        match self {
            Hierarchy::V1 { cpu, cpuacct, memory } => {
                let mut bases = vec![cpu.clone(), memory.clone()];
                if cpuacct != cpu {
                    bases.push(cpuacct.clone());
                }
                bases
            }
            Hierarchy::V2 { root } => vec![root.clone()],
        }
    }

    pub fn version(&self) -> &'static str {
        match self {
            Hierarchy::V1 { .. } => "v1",
            Hierarchy::V2 { .. } => "v2",
        }
    }
}

fn enable_v2_controllers(dir: &Path) -> io::Result<()> {
    fs::write(dir.join("cgroup.subtree_control"), "+cpu +memory")
}

/// Removes groups whose owning process is gone: a crashed server must not
/// leave limits (or stray handler processes) behind for the next one.
fn sweep_stale(dir: &Path) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let owner = name.split('.').next().and_then(|p| p.parse::<u32>().ok());
        if owner.is_some_and(|pid| !Path::new(&format!("/proc/{pid}")).exists()) {
            remove_tree(&entry.path());
        }
    }
}

fn remove_tree(dir: &Path) {
    if let Ok(entries) = fs::read_dir(dir) {
        for entry in entries.flatten().filter(|e| e.path().is_dir()) {
            remove_tree(&entry.path());
        }
    }
    kill_procs(dir);
    for _ in 0..50 {
        if fs::remove_dir(dir).is_ok() || !dir.exists() {
            return;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    tracing::warn!(path = %dir.display(), "could not remove cgroup");
}

fn kill_procs(dir: &Path) {
    let procs = fs::read_to_string(dir.join("cgroup.procs")).unwrap_or_default();
    for pid in procs.lines().filter_map(|l| l.trim().parse::<i32>().ok()) {
        // SAFETY: kill(2) with a pid read from the kernel; no memory is touched.
        unsafe { libc::kill(pid, libc::SIGKILL) };
    }
}

/// One cgroup, present in every controller hierarchy it needs. Dropping it
/// kills anything still inside and removes it.
#[derive(Debug)]
pub struct Group {
    hierarchy: &'static Hierarchy,
    /// Relative path under each hierarchy's base.
    rel: PathBuf,
}

impl Group {
    /// Creates the group for one worker of this process.
    pub fn for_worker(hierarchy: &'static Hierarchy, worker: &str) -> io::Result<Group> {
        static SEQ: AtomicU64 = AtomicU64::new(0);
        let seq = SEQ.fetch_add(1, Ordering::Relaxed);
        let rel = PathBuf::from("hetfaas").join(format!("{}.{seq}.{worker}", std::process::id()));
        Group::create(hierarchy, rel, true)
    }

    /// Creates a leaf group inside this one, for one function instance.
    pub fn child(&self, name: &str) -> io::Result<Group> {
        Group::create(self.hierarchy, self.rel.join(name), false)
    }

    fn create(hierarchy: &'static Hierarchy, rel: PathBuf, has_children: bool) -> io::Result<Group> {
        let group = Group { hierarchy, rel };
        for dir in group.dirs() {
            fs::create_dir_all(&dir)?;
            if has_children && matches!(hierarchy, Hierarchy::V2 { .. }) {
                enable_v2_controllers(&dir)?;
            }
        }
        Ok(group)
    }

    fn dirs(&self) -> Vec<PathBuf> {
        self.hierarchy.bases().iter().map(|b| b.join(&self.rel)).collect()
    }

    fn cpu_dir(&self) -> PathBuf {
        match self.hierarchy {
            Hierarchy::V1 { cpu, .. } => cpu.join(&self.rel),
            Hierarchy::V2 { root } => root.join(&self.rel),
        }
    }

    fn memory_dir(&self) -> PathBuf {
        match self.hierarchy {
            Hierarchy::V1 { memory, .. } => memory.join(&self.rel),
            Hierarchy::V2 { root } => root.join(&self.rel),
        }
    }

    /// Limits the group to `cores` CPUs' worth of time in every `period`
    /// (the CFS bandwidth controller, as Kubernetes sets `limits.cpu`).
    pub fn set_cpu_limit(&self, cores: f64, period: Duration) -> io::Result<()> {
        let period_us = period.as_micros() as u64;
        let quota = ((cores * period_us as f64).round() as u64).max(1000);
        match self.hierarchy {
            Hierarchy::V1 { .. } => {
                fs::write(self.cpu_dir().join("cpu.cfs_period_us"), period_us.to_string())?;
                fs::write(self.cpu_dir().join("cpu.cfs_quota_us"), quota.to_string())
            }
            Hierarchy::V2 { .. } => fs::write(self.cpu_dir().join("cpu.max"), format!("{quota} {period_us}")),
        }
    }

    /// Caps the group's memory; past it the kernel's OOM killer acts.
    pub fn set_memory_limit(&self, bytes: u64) -> io::Result<()> {
        match self.hierarchy {
            Hierarchy::V1 { .. } => fs::write(self.memory_dir().join("memory.limit_in_bytes"), bytes.to_string()),
            Hierarchy::V2 { .. } => {
                // Without this a v2 group can swap instead of being killed.
                let _ = fs::write(self.memory_dir().join("memory.swap.max"), "0");
                fs::write(self.memory_dir().join("memory.max"), bytes.to_string())
            }
        }
    }

    /// Total CPU time consumed by the group, in nanoseconds.
    pub fn cpu_usage_ns(&self) -> u64 {
        match self.hierarchy {
            Hierarchy::V1 { cpuacct, .. } => read_u64(&cpuacct.join(&self.rel).join("cpuacct.usage")),
            Hierarchy::V2 { root } => read_key(&root.join(&self.rel).join("cpu.stat"), "usage_usec") * 1000,
        }
    }

    pub fn memory_usage_bytes(&self) -> u64 {
        match self.hierarchy {
            Hierarchy::V1 { .. } => read_u64(&self.memory_dir().join("memory.usage_in_bytes")),
            Hierarchy::V2 { .. } => read_u64(&self.memory_dir().join("memory.current")),
        }
    }

    /// How many times the kernel's OOM killer acted inside this group.
    pub fn oom_kills(&self) -> u64 {
        match self.hierarchy {
            Hierarchy::V1 { .. } => read_key(&self.memory_dir().join("memory.oom_control"), "oom_kill"),
            Hierarchy::V2 { .. } => read_key(&self.memory_dir().join("memory.events"), "oom_kill"),
        }
    }

    /// The `cgroup.procs` files a new process writes itself into, prepared
    /// ahead because the child may not allocate between fork and exec.
    pub fn procs_files(&self) -> Vec<CString> {
        self.dirs()
            .into_iter()
            .map(|d| CString::new(d.join("cgroup.procs").into_os_string().into_encoded_bytes()).expect("no NUL in path"))
            .collect()
    }
}

impl Drop for Group {
    fn drop(&mut self) {
        for dir in self.dirs() {
            remove_tree(&dir);
        }
    }
}

/// Moves the calling process into the given groups. Meant for `pre_exec`:
/// only async-signal-safe calls, no allocation.
pub fn attach_self(procs_files: &[CString]) -> io::Result<()> {
    for file in procs_files {
        // SAFETY: a valid NUL-terminated path; open/write/close are
        // async-signal-safe. Writing "0" moves the writing process.
        unsafe {
            let fd = libc::open(file.as_ptr(), libc::O_WRONLY | libc::O_CLOEXEC);
            if fd < 0 {
                return Err(io::Error::last_os_error());
            }
            let written = libc::write(fd, c"0".as_ptr().cast(), 1);
            libc::close(fd);
            if written != 1 {
                return Err(io::Error::last_os_error());
            }
        }
    }
    Ok(())
}

fn read_u64(path: &Path) -> u64 {
    fs::read_to_string(path).ok().and_then(|s| s.trim().parse().ok()).unwrap_or(0)
}

fn read_key(path: &Path, key: &str) -> u64 {
    fs::read_to_string(path).unwrap_or_default().lines().find_map(|l| l.strip_prefix(key).and_then(|v| v.trim().parse().ok())).unwrap_or(0)
}
