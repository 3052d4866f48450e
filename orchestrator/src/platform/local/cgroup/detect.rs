//! Where this process's cgroups go, found once per process.
//!
//! Never at the host's root: inside the cgroup this server already runs in
//! (read from `/proc/self/cgroup`), so that limits nest under whatever
//! limits its operator (systemd, a container runtime) gave it, and a
//! machine's other tenants are out of reach. On v2 the controllers are
//! enabled there and nowhere else; since a v2 cgroup that hands controllers
//! down may hold no process itself, the server first moves into a leaf of
//! its own (`hetfaas-server`), which needs its cgroup to be its alone (a
//! delegated subtree, systemd's `Delegate=yes`). Groups are named after
//! their owner's pid and start time; a later start removes only groups so
//! named whose owner is gone, and nothing else.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use super::{Hierarchy, remove_tree};

const CGROUP_FS: &str = "/sys/fs/cgroup";
const V2_CONTROLLERS: [&str; 3] = ["cpu", "memory", "pids"];

/// Detects a writable cgroup hierarchy, or says why there is none.
///
/// `HETFAAS_CGROUPS=off` forces the unconstrained fallback (used to test it).
pub fn hierarchy() -> Result<&'static Hierarchy, &'static str> {
    static DETECTED: OnceLock<Result<Hierarchy, String>> = OnceLock::new();
    DETECTED
        .get_or_init(|| {
            if std::env::var("HETFAAS_CGROUPS").is_ok_and(|v| v == "off") {
                return Err("disabled by HETFAAS_CGROUPS=off".into());
            }
            let own = fs::read_to_string("/proc/self/cgroup").map_err(|e| format!("cannot read /proc/self/cgroup: {e}"))?;
            detect(Path::new(CGROUP_FS), &own, std::process::id())
        })
        .as_ref()
        .map_err(|reason| reason.as_str())
}

/// The cgroup this process is in for `controller` (`""` for v2's unified
/// line), from the text of `/proc/self/cgroup`.
fn own_path(proc_self_cgroup: &str, controller: &str) -> Option<PathBuf> {
    proc_self_cgroup.lines().find_map(|line| {
        let mut fields = line.splitn(3, ':');
        let (_, controllers, path) = (fields.next()?, fields.next()?, fields.next()?);
        let matches = if controller.is_empty() { controllers.is_empty() } else { controllers.split(',').any(|c| c == controller) };
        matches.then(|| PathBuf::from(path.trim_start_matches('/')))
    })
}

/// Finds the hierarchy under `fs` for a process whose `/proc/self/cgroup`
/// reads `own`, prepares `hetfaas/` there and sweeps what dead servers left.
pub(super) fn detect(fs_root: &Path, own: &str, pid: u32) -> Result<Hierarchy, String> {
    let v1 = |controller: &str| -> Option<PathBuf> {
        let mount = fs_root.join(controller);
        Some(mount.join(own_path(own, controller)?).join("hetfaas"))
    };
    let hierarchy = if fs_root.join("cpu/cpu.cfs_quota_us").exists() && fs_root.join("memory/memory.limit_in_bytes").exists() {
        let cpu = v1("cpu").ok_or("/proc/self/cgroup names no v1 cpu cgroup")?;
        let memory = v1("memory").ok_or("/proc/self/cgroup names no v1 memory cgroup")?;
        let cpuacct = if fs_root.join("cpuacct/cpuacct.usage").exists() { v1("cpuacct") } else { Some(cpu.clone()) }
            .ok_or("cgroup v1 has no cpuacct controller")?;
        let pids = fs_root.join("pids/pids.max").exists().then(|| v1("pids")).flatten();
        Hierarchy::V1 { cpu, cpuacct, memory, pids }
    } else if fs::read_to_string(fs_root.join("cgroup.controllers")).is_ok_and(|c| c.contains("cpu") && c.contains("memory")) {
        let own_dir = fs_root.join(own_path(own, "").ok_or("/proc/self/cgroup has no v2 line")?);
        delegate(&own_dir, pid)?;
        Hierarchy::V2 { base: own_dir.join("hetfaas") }
    } else {
        return Err("no cgroup v1 cpu+memory mounts and no cgroup v2 tree with cpu and memory controllers".into());
    };
    for base in hierarchy.bases() {
        fs::create_dir_all(&base).map_err(|e| format!("cannot create {}: {e}", base.display()))?;
        sweep_stale(&base);
    }
    if let Hierarchy::V2 { base } = &hierarchy {
        enable_controllers(base).map_err(|e| format!("cannot enable controllers in {}: {e}", base.display()))?;
    }
    Ok(hierarchy)
}

/// Makes `own` (this server's v2 cgroup) hand its controllers down: moves
/// this process into a leaf beside the groups to come, then enables the
/// controllers in `own` alone. Refuses if others share the cgroup.
fn delegate(own: &Path, pid: u32) -> Result<(), String> {
    let enabled = fs::read_to_string(own.join("cgroup.subtree_control")).unwrap_or_default();
    if ["cpu", "memory"].iter().all(|c| enabled.split_whitespace().any(|e| e == *c)) {
        return Ok(());
    }
    let members: Vec<u32> =
        fs::read_to_string(own.join("cgroup.procs")).unwrap_or_default().lines().filter_map(|l| l.trim().parse().ok()).collect();
    if let Some(other) = members.iter().find(|&&p| p != pid) {
        return Err(format!(
            "{} also holds process {other}: give hetfaas a cgroup of its own (systemd Delegate=yes, or a container) \
             so it can hand controllers down",
            own.display()
        ));
    }
    let leaf = own.join("hetfaas-server");
    fs::create_dir_all(&leaf).map_err(|e| format!("cannot create {}: {e}", leaf.display()))?;
    fs::write(leaf.join("cgroup.procs"), pid.to_string()).map_err(|e| format!("cannot move into {}: {e}", leaf.display()))?;
    enable_controllers(own).map_err(|e| format!("cannot enable cpu/memory controllers in {}: {e}", own.display()))
}

/// Hands cpu, memory and (where available) pids down to `dir`'s children.
pub(super) fn enable_controllers(dir: &Path) -> io::Result<()> {
    let available = fs::read_to_string(dir.join("cgroup.controllers")).unwrap_or_else(|_| V2_CONTROLLERS.join(" "));
    let wanted: Vec<String> =
        V2_CONTROLLERS.iter().filter(|c| available.split_whitespace().any(|a| a == **c)).map(|c| format!("+{c}")).collect();
    fs::write(dir.join("cgroup.subtree_control"), wanted.join(" "))
}

/// This process's start time, in clock ticks since boot (`/proc/<pid>/stat`
/// field 22): with the pid, a name no other process will ever have.
fn start_time(pid: u32) -> Option<u64> {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    stat.rsplit_once(')')?.1.split_whitespace().nth(19)?.parse().ok()
}

/// The name of a new group of this process: `<pid>.<start>.<seq>.<worker>`.
pub(super) fn owned_name(seq: u64, worker: &str) -> String {
    let pid = std::process::id();
    format!("{pid}.{}.{seq}.{worker}", start_time(pid).unwrap_or(0))
}

/// The owner a group's name records, if it is one of ours.
fn owner(name: &str) -> Option<(u32, u64)> {
    let mut parts = name.splitn(4, '.');
    let pid = parts.next()?.parse().ok()?;
    let start = parts.next()?.parse().ok()?;
    parts.next()?.parse::<u64>().ok()?;
    parts.next().filter(|w| !w.is_empty())?;
    Some((pid, start))
}

/// Removes groups of ours whose owner is gone (no process with that pid
/// and start time): a crashed server must not leave limits, or stray
/// handler processes, behind. Anything not named by [`owned_name`] stays.
fn sweep_stale(dir: &Path) {
    let Ok(entries) = fs::read_dir(dir) else { return };
    for entry in entries.flatten().filter(|e| e.path().is_dir()) {
        let Some((pid, start)) = owner(&entry.file_name().to_string_lossy()) else { continue };
        if start_time(pid) != Some(start) {
            remove_tree(&entry.path());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A directory tree shaped like a cgroup v2 mount, for the logic that
    /// does not need the kernel (this machine may be v1).
    fn v2_tree(own: &str, members: &[u32]) -> tempfile::TempDir {
        let root = tempfile::tempdir().unwrap();
        fs::write(root.path().join("cgroup.controllers"), "cpuset cpu io memory pids").unwrap();
        fs::write(root.path().join("cgroup.subtree_control"), "").unwrap();
        let own = root.path().join(own);
        fs::create_dir_all(&own).unwrap();
        fs::write(own.join("cgroup.controllers"), "cpu memory pids").unwrap();
        fs::write(own.join("cgroup.procs"), members.iter().map(|p| format!("{p}\n")).collect::<String>()).unwrap();
        root
    }

    #[test]
    fn v2_groups_go_under_the_servers_own_cgroup_and_only_it_hands_controllers_down() {
        let tree = v2_tree("system.slice/hetfaas.service", &[4242]);
        let hierarchy = detect(tree.path(), "0::/system.slice/hetfaas.service\n", 4242).unwrap();
        let own = tree.path().join("system.slice/hetfaas.service");
        assert_eq!(hierarchy, Hierarchy::V2 { base: own.join("hetfaas") });
        assert_eq!(fs::read_to_string(own.join("hetfaas-server/cgroup.procs")).unwrap(), "4242", "the server moved into a leaf");
        assert_eq!(fs::read_to_string(own.join("cgroup.subtree_control")).unwrap(), "+cpu +memory +pids");
        assert_eq!(fs::read_to_string(tree.path().join("cgroup.subtree_control")).unwrap(), "", "the host's root is untouched");
    }

    #[test]
    fn a_shared_v2_cgroup_is_refused_with_the_way_out() {
        let tree = v2_tree("user.slice/session-1.scope", &[4242, 17]);
        let error = detect(tree.path(), "0::/user.slice/session-1.scope\n", 4242).unwrap_err();
        assert!(error.contains("process 17") && error.contains("Delegate=yes"), "{error}");
    }

    #[test]
    fn v1_groups_go_under_each_controllers_own_cgroup() {
        let root = tempfile::tempdir().unwrap();
        for (controller, file) in [("cpu", "cpu.cfs_quota_us"), ("memory", "memory.limit_in_bytes"), ("cpuacct", "cpuacct.usage")] {
            fs::create_dir_all(root.path().join(controller)).unwrap();
            fs::write(root.path().join(controller).join(file), "").unwrap();
        }
        let own = "4:memory:/process_api/abc\n2:cpuacct:/\n1:cpu:/\n";
        let Hierarchy::V1 { memory, cpu, pids, .. } = detect(root.path(), own, 1).unwrap() else { panic!("v1") };
        assert_eq!(memory, root.path().join("memory/process_api/abc/hetfaas"));
        assert_eq!(cpu, root.path().join("cpu/hetfaas"));
        assert_eq!(pids, None, "no pids mount, no pids limit (RLIMIT_NPROC stands in)");
    }

    #[test]
    fn only_groups_named_by_a_dead_owner_are_swept() {
        let dir = tempfile::tempdir().unwrap();
        let me = std::process::id();
        let mine = owned_name(0, "edge");
        let dead = format!("{me}.1.0.edge");
        for name in [mine.as_str(), dead.as_str(), "other-tenant", "99.x.0.edge"] {
            fs::create_dir(dir.path().join(name)).unwrap();
        }
        sweep_stale(dir.path());
        let mut left: Vec<String> =
            fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
        left.sort();
        let mut expected = vec![mine, "99.x.0.edge".to_owned(), "other-tenant".to_owned()];
        expected.sort();
        assert_eq!(left, expected, "a live owner's group and anything not ours stay; a dead owner's (same pid, other start) goes");
    }
}
