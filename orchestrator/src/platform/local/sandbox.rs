//! The handler sandbox: what a handler process can reach on this machine.
//!
//! A FaaS platform runs code written by others, and the local platform runs
//! it as processes of this machine. When the server runs as root, each
//! instance runs as an unprivileged user of its own (a uid leased from the
//! worker's range, held with a lock file so that several servers on one
//! machine never share one), in the worker's sandbox group, with its own
//! working directory and `HOME`, no new privileges (`PR_SET_NO_NEW_PRIVS`),
//! at most `max_processes` processes (cgroup `pids.max`, else
//! `RLIMIT_NPROC`, which counts per user), and, with `network = "none"`, a
//! network namespace with nothing in it. The protocol pipes are private
//! duplicates the bootstrap makes non-inheritable; nothing else of the
//! server's is open in the process. Because the instance has a user of its
//! own, ending it ends every process of that user, even one that left the
//! process group (`setsid`) on a machine without cgroups.
//!
//! What that protects: the server's files (its database is 0600 and its
//! data directory not listable, function code readable by the sandbox group
//! only), its `/proc` entries (environment included), its process (signals
//! need the same user), its cgroups (root's files), and the machine from a
//! fork bomb. What it does not: everything a process of an ordinary user
//! can do — read world-readable files, use the network (unless `"none"`),
//! reach the orchestrator's API on loopback (set an admin token), read
//! other functions' code on the same worker (same group), or exploit the
//! kernel. It is an emulator of a FaaS node, not a multi-tenant boundary:
//! for hostile code, run workers in VMs (Firecracker, as Lambda does) or
//! behind gVisor, or use the `lambda` and `knative` platforms.

use std::fs::{self, File};
use std::io;
use std::os::fd::AsRawFd;
use std::os::unix::fs::{MetadataExt, PermissionsExt, chown};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};

use super::config::SandboxConfig;

/// Interpreters a sandbox user can run when the configured one is out of
/// its reach (a version manager's, under root's home).
const SYSTEM_PYTHONS: [&str; 3] = ["/usr/bin/python3", "/usr/local/bin/python3", "/bin/python3"];

/// Where a worker keeps function code, its bootstrap and instance homes;
/// a temporary one is removed when dropped.
#[derive(Debug)]
pub struct WorkerDir {
    pub path: PathBuf,
    _temporary: Option<tempfile::TempDir>,
}

impl WorkerDir {
    /// Creates the directory with `functions/` and `instances/` in it, each
    /// with `mode`.
    fn create(self, mode: u32) -> Result<WorkerDir, String> {
        let io = |e: io::Error| format!("cannot prepare {}: {e}", self.path.display());
        for dir in [self.path.clone(), self.path.join("functions"), self.path.join("instances")] {
            fs::create_dir_all(&dir).map_err(io)?;
            fs::set_permissions(&dir, fs::Permissions::from_mode(mode)).map_err(io)?;
        }
        Ok(self)
    }
}

/// What every instance of one worker runs under.
#[derive(Debug)]
pub struct Sandbox {
    users: Option<Users>,
    isolate_network: bool,
    max_processes: u64,
}

/// The uid range instances lease from, and the group they share.
#[derive(Debug)]
struct Users {
    base: u32,
    count: u32,
    gid: u32,
    /// Where the lease lock files live (root's, 0700).
    locks: PathBuf,
    /// Where the next search for a free uid starts, to spread leases.
    cursor: AtomicU32,
}

/// One instance's user: its uid, held until dropped, and its home.
#[derive(Debug)]
pub struct Identity {
    pub uid: u32,
    pub gid: u32,
    pub home: PathBuf,
    _lease: File,
}

/// What the child does between fork and exec, prepared before the fork
/// (no allocation after it).
#[derive(Debug, Clone, Copy)]
pub struct Entry {
    ids: Option<(u32, u32)>,
    /// `RLIMIT_NPROC`, for an instance with a user of its own and no cgroup.
    nproc: Option<u64>,
    unshare_network: bool,
}

fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions.
    unsafe { libc::geteuid() == 0 }
}

impl Sandbox {
    /// The worker's sandbox, and a line saying what it is for `/healthz`.
    pub fn new(config: &SandboxConfig, isolate_network: bool) -> Result<(Sandbox, String), String> {
        let users = (config.users && is_root()).then(|| Users {
            base: config.uid_base,
            count: config.uid_count,
            gid: config.gid,
            locks: std::env::temp_dir().join("hetfaas-sandbox-uids"),
            cursor: AtomicU32::new(0),
        });
        if let Some(u) = &users {
            fs::create_dir_all(&u.locks).map_err(|e| format!("cannot create {}: {e}", u.locks.display()))?;
            fs::set_permissions(&u.locks, fs::Permissions::from_mode(0o700)).map_err(|e| e.to_string())?;
        }
        if isolate_network && !is_root() {
            return Err("network = \"none\" needs the server to run as root (to create network namespaces)".into());
        }
        let description = match &users {
            Some(u) => format!("users {}-{}, group {}", u.base, u.base + u.count - 1, u.gid),
            None if !config.users => "off: handlers run as the server's user".into(),
            None => "not root: handlers run as the server's user".into(),
        };
        Ok((Sandbox { users, isolate_network, max_processes: config.max_processes }, description))
    }

    pub fn max_processes(&self) -> u64 {
        self.max_processes
    }

    /// An interpreter the sandbox users can run: `resolved` if they can,
    /// else a system one, said loudly; an error if there is none.
    pub fn interpreter(&self, resolved: PathBuf, worker: &str) -> Result<PathBuf, String> {
        let Some(users) = &self.users else { return Ok(resolved) };
        if reachable_by(&resolved, users.base, users.gid) {
            return Ok(resolved);
        }
        let fallback = SYSTEM_PYTHONS.iter().map(PathBuf::from).find(|p| reachable_by(p, users.base, users.gid)).ok_or_else(|| {
            format!(
                "{} is not executable by the sandbox users (a directory on its path is closed to them) and no system \
                 python3 is: set `python` to an interpreter outside root's home, or `sandbox.users = false`",
                resolved.display()
            )
        })?;
        tracing::warn!(
            worker,
            "{} is out of the sandbox users' reach (a directory on its path is closed to them): handlers run with {}",
            resolved.display(),
            fallback.display()
        );
        Ok(fallback)
    }

    /// The worker's directory (function code, bootstrap, instance homes):
    /// `preferred`, made traversable but not listable, when the sandbox
    /// users can reach it; else, said loudly, a fresh one under the system's
    /// temporary directory, removed with the worker. A data directory under
    /// root's home (0700) is out of their reach.
    pub fn worker_dir(&self, preferred: PathBuf, worker: &str) -> Result<WorkerDir, String> {
        let dir = WorkerDir { path: preferred, _temporary: None };
        let Some(users) = &self.users else { return dir.create(0o755) };
        let dir = dir.create(0o711)?;
        if reachable_by(&dir.path, users.base, users.gid) {
            return Ok(dir);
        }
        let temporary = tempfile::Builder::new()
            .prefix(&format!("hetfaas-{worker}-"))
            .tempdir()
            .map_err(|e| format!("cannot create a worker directory under {}: {e}", std::env::temp_dir().display()))?;
        tracing::warn!(
            worker,
            "{} is out of the sandbox users' reach (a directory on its path is closed to other users, as root's home is):              function code and instance homes go to {} instead; put the data directory elsewhere to keep them there",
            dir.path.display(),
            temporary.path().display()
        );
        WorkerDir { path: temporary.path().to_owned(), _temporary: Some(temporary) }.create(0o711)
    }

    /// Makes a function's code readable by the sandbox group only.
    pub fn share_code(&self, code_dir: &Path) -> io::Result<()> {
        let Some(users) = &self.users else { return Ok(()) };
        chown(code_dir, Some(0), Some(users.gid))?;
        fs::set_permissions(code_dir, fs::Permissions::from_mode(0o750))?;
        for entry in fs::read_dir(code_dir)? {
            let path = entry?.path();
            chown(&path, Some(0), Some(users.gid))?;
            fs::set_permissions(&path, fs::Permissions::from_mode(0o640))?;
        }
        Ok(())
    }

    /// Leases a user for a new instance, with a fresh home under
    /// `worker_dir/instances/`; `None` when handlers run as the server.
    pub fn lease(&self, worker_dir: &Path) -> io::Result<Option<Identity>> {
        let Some(users) = &self.users else { return Ok(None) };
        let start = users.cursor.fetch_add(1, Ordering::Relaxed);
        for i in 0..users.count {
            let uid = users.base + (start.wrapping_add(i) % users.count);
            let file = File::create(users.locks.join(uid.to_string()))?;
            // SAFETY: flock on a descriptor we own; released when it closes.
            if unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } != 0 {
                continue;
            }
            // A user freshly leased has no process left from an earlier lease.
            kill_all(uid);
            let home = worker_dir.join("instances").join(uid.to_string());
            let _ = fs::remove_dir_all(&home);
            fs::create_dir_all(&home)?;
            chown(&home, Some(uid), Some(users.gid))?;
            fs::set_permissions(&home, fs::Permissions::from_mode(0o700))?;
            return Ok(Some(Identity { uid, gid: users.gid, home, _lease: file }));
        }
        Err(io::Error::other(format!("all {} sandbox users from {} are in use", users.count, users.base)))
    }

    /// What the child must do before exec for an instance run as `identity`.
    pub fn entry(&self, identity: Option<&Identity>, cgroup_counts_processes: bool) -> Entry {
        let ids = identity.map(|i| (i.uid, i.gid));
        let nproc = (ids.is_some() && !cgroup_counts_processes).then_some(self.max_processes);
        Entry { ids, nproc, unshare_network: self.isolate_network }
    }
}

impl Identity {
    /// Ends every process of this instance's user, then its home.
    pub fn clear(&self) {
        kill_all(self.uid);
        let _ = fs::remove_dir_all(&self.home);
    }
}

impl Entry {
    /// Runs in the child between fork and exec: only async-signal-safe
    /// calls. The identity is dropped last, after what needs root.
    pub fn enter(&self) -> io::Result<()> {
        let check = |rc: libc::c_int| if rc == 0 { Ok(()) } else { Err(io::Error::last_os_error()) };
        // SAFETY: plain system calls on values prepared before the fork.
        unsafe {
            if self.unshare_network {
                check(libc::unshare(libc::CLONE_NEWNET))?;
            }
            check(libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))?;
            if let Some(limit) = self.nproc {
                let rlim = libc::rlimit { rlim_cur: limit, rlim_max: limit };
                check(libc::setrlimit(libc::RLIMIT_NPROC, &rlim))?;
            }
            if let Some((uid, gid)) = self.ids {
                check(libc::setgroups(0, std::ptr::null()))?;
                check(libc::setgid(gid))?;
                check(libc::setuid(uid))?;
            }
        }
        Ok(())
    }
}

/// Sends SIGKILL to every process of `uid`: a helper becomes that user and
/// signals them all (`kill(-1)`), which reaches processes that left their
/// process group and needs no cgroup.
fn kill_all(uid: u32) {
    // SAFETY: the child only calls async-signal-safe functions and _exits;
    // the parent waits for it.
    unsafe {
        let pid = libc::fork();
        if pid == 0 {
            if libc::setuid(uid) == 0 {
                libc::kill(-1, libc::SIGKILL);
            }
            libc::_exit(0);
        }
        if pid > 0 {
            let mut status = 0;
            libc::waitpid(pid, &mut status, 0);
        }
    }
}

/// Whether `uid` (in group `gid`) may pass through (or run) what `meta`
/// describes.
fn passes(meta: &fs::Metadata, uid: u32, gid: u32) -> bool {
    let mode = meta.mode();
    if meta.uid() == uid {
        mode & 0o100 != 0
    } else if meta.gid() == gid {
        mode & 0o010 != 0
    } else {
        mode & 0o001 != 0
    }
}

/// Whether `uid` (in group `gid`) may reach `path` (or run it, for a file):
/// every directory on the way, and `path` itself, lets it through.
fn reachable_by(path: &Path, uid: u32, gid: u32) -> bool {
    let Ok(real) = fs::canonicalize(path) else { return false };
    real.ancestors().all(|dir| fs::metadata(dir).is_ok_and(|m| passes(&m, uid, gid)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_closed_directory_on_the_way_makes_a_file_unreachable() {
        let dir = tempfile::tempdir().unwrap();
        let closed = dir.path().join("closed");
        fs::create_dir(&closed).unwrap();
        let file = closed.join("python3");
        fs::write(&file, "").unwrap();
        fs::set_permissions(&file, fs::Permissions::from_mode(0o755)).unwrap();
        fs::set_permissions(dir.path(), fs::Permissions::from_mode(0o755)).unwrap();
        fs::set_permissions(&closed, fs::Permissions::from_mode(0o755)).unwrap();
        assert!(reachable_by(&file, 61_000, 61_000));
        fs::set_permissions(&closed, fs::Permissions::from_mode(0o700)).unwrap();
        assert!(!reachable_by(&file, 61_000, 61_000), "a 0700 directory owned by another user closes the way");
    }
}
