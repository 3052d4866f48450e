//! Kernel-enforced CPU and memory limits for local workers, through cgroups.
//!
//! Kubernetes enforces `limits.cpu` with the CFS bandwidth controller and
//! `limits.memory` with the memory controller; the local platform does the
//! same so an emulated edge node is slow for the same reason a real one is.
//! Both cgroup v1 (separate `cpu`, `cpuacct`, `memory`, `pids` mounts) and
//! v2 (one unified tree) are supported. Groups live under `hetfaas/` inside
//! the server's own cgroup ([`detect`]), named after the owning process, so
//! parallel servers never collide, another container's groups are never
//! touched, and groups left by a crashed process are swept on the next start.

use std::ffi::CString;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

mod detect;

pub use self::detect::hierarchy;

/// The cgroup interface this kernel offers, detected once per process.
/// Each path is where this process's groups go: `hetfaas/` inside the
/// server's own cgroup, one per controller hierarchy on v1.
#[derive(Debug, Clone, PartialEq)]
pub enum Hierarchy {
    V1 { cpu: PathBuf, cpuacct: PathBuf, memory: PathBuf, pids: Option<PathBuf> },
    V2 { base: PathBuf },
}

impl Hierarchy {
    fn bases(&self) -> Vec<PathBuf> {
        match self {
            Hierarchy::V1 { cpu, cpuacct, memory, pids } => {
                let mut bases = vec![cpu.clone(), memory.clone()];
                if cpuacct != cpu {
                    bases.push(cpuacct.clone());
                }
                bases.extend(pids.iter().cloned());
                bases
            }
            Hierarchy::V2 { base } => vec![base.clone()],
        }
    }

    pub fn version(&self) -> &'static str {
        match self {
            Hierarchy::V1 { .. } => "v1",
            Hierarchy::V2 { .. } => "v2",
        }
    }

    /// Whether groups count their processes (the `pids` controller).
    pub fn counts_processes(&self) -> bool {
        !matches!(self, Hierarchy::V1 { pids: None, .. })
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
    /// Creates the group for one worker of this process, named so that a
    /// later start can tell whether its owner still runs (`detect::owner`).
    pub fn for_worker(hierarchy: &'static Hierarchy, worker: &str) -> io::Result<Group> {
        static SEQ: AtomicU64 = AtomicU64::new(0);
        let seq = SEQ.fetch_add(1, Ordering::Relaxed);
        Group::create(hierarchy, PathBuf::from(detect::owned_name(seq, worker)), true)
    }

    pub fn hierarchy(&self) -> &'static Hierarchy {
        self.hierarchy
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
                detect::enable_controllers(&dir)?;
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
            Hierarchy::V2 { base } => base.join(&self.rel),
        }
    }

    fn memory_dir(&self) -> PathBuf {
        match self.hierarchy {
            Hierarchy::V1 { memory, .. } => memory.join(&self.rel),
            Hierarchy::V2 { base } => base.join(&self.rel),
        }
    }

    /// Caps the processes (and threads) in the group, where the `pids`
    /// controller is available; past it `fork` fails with `EAGAIN`.
    pub fn set_process_limit(&self, max: u64) -> io::Result<()> {
        let dir = match self.hierarchy {
            Hierarchy::V1 { pids: Some(pids), .. } => pids.join(&self.rel),
            Hierarchy::V1 { pids: None, .. } => return Ok(()),
            Hierarchy::V2 { base } => base.join(&self.rel),
        };
        fs::write(dir.join("pids.max"), max.to_string())
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
            Hierarchy::V2 { base } => read_key(&base.join(&self.rel).join("cpu.stat"), "usage_usec") * 1000,
        }
    }

    /// Time the group's quota has held its processes back, in nanoseconds.
    pub fn throttled_ns(&self) -> u64 {
        match self.hierarchy {
            Hierarchy::V1 { .. } => read_key(&self.cpu_dir().join("cpu.stat"), "throttled_time"),
            Hierarchy::V2 { .. } => read_key(&self.cpu_dir().join("cpu.stat"), "throttled_usec") * 1000,
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
