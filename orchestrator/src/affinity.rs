//! Which CPUs a process runs on. A local worker's processes get CPUs of
//! their own (`cpus` in its section): two local workers on one machine
//! otherwise share its cores, and a policy that keeps both busy slows each
//! by the other, which a real edge and cloud, on machines of their own,
//! never do. The server may confine its own threads too (`cpus` at the top
//! of its config), so that its routing, its learning and, in the research
//! harness, the load generator stay off a worker's CPUs. Affinity, not a
//! cpuset cgroup: one system call per thread, or in the child before exec;
//! no controller; the same under cgroup v1, v2 or none.

use std::io;
use std::sync::OnceLock;

/// A CPU mask prepared before fork, applied in the child.
#[derive(Clone, Copy)]
pub struct CpuSet(libc::cpu_set_t);

impl std::fmt::Debug for CpuSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("CpuSet").field(&self.cpus()).finish()
    }
}

impl CpuSet {
    /// The mask of `cpus`, or `None` for an empty list (any CPU). Refuses a
    /// CPU this process could not run on when it started, naming the ones
    /// it could.
    pub fn of(cpus: &[usize]) -> Result<Option<CpuSet>, String> {
        if cpus.is_empty() {
            return Ok(None);
        }
        let allowed = CpuSet::at_start().map_err(|e| format!("cpus: cannot read this process's CPUs: {e}"))?;
        // SAFETY: an all-zero cpu_set_t is the empty set.
        let mut set = CpuSet(unsafe { std::mem::zeroed() });
        for &cpu in cpus {
            if !allowed.contains(cpu) {
                return Err(format!("cpus: CPU {cpu} is not one this server may run on (it may use {:?})", allowed.cpus()));
            }
            // SAFETY: cpu is under CPU_SETSIZE, being in `allowed`.
            unsafe { libc::CPU_SET(cpu, &mut set.0) };
        }
        Ok(Some(set))
    }

    /// The CPUs this process could run on when first asked, before it
    /// confined its own threads ([`CpuSet::confine_process`]): a worker
    /// with no CPUs of its own gets these, not the server's.
    pub fn at_start() -> io::Result<CpuSet> {
        static AT_START: OnceLock<CpuSet> = OnceLock::new();
        if let Some(set) = AT_START.get() {
            return Ok(*set);
        }
        let now = CpuSet::current()?;
        Ok(*AT_START.get_or_init(|| now))
    }

    /// The CPUs the calling thread may run on.
    pub fn current() -> io::Result<CpuSet> {
        // SAFETY: sched_getaffinity writes at most size_of::<cpu_set_t>() bytes.
        let mut set = CpuSet(unsafe { std::mem::zeroed() });
        if unsafe { libc::sched_getaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &mut set.0) } != 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(set)
    }

    /// Whether `cpu` is in the set; `false` past the largest CPU a set
    /// can name.
    fn contains(&self, cpu: usize) -> bool {
        // SAFETY: CPU_ISSET only reads the set, within CPU_SETSIZE.
        cpu < libc::CPU_SETSIZE as usize && unsafe { libc::CPU_ISSET(cpu, &self.0) }
    }

    /// The CPUs in the set, in order.
    pub fn cpus(&self) -> Vec<usize> {
        (0..libc::CPU_SETSIZE as usize).filter(|&cpu| self.contains(cpu)).collect()
    }

    /// Confines the calling process to the set. Async-signal-safe (one
    /// system call on memory prepared before fork), so fit for `pre_exec`.
    pub fn enter(&self) -> io::Result<()> {
        self.confine(0)
    }

    /// Confines every thread of this process to the set, and with them
    /// every thread and child they start later. Passes over the thread list
    /// until a pass finds none new, so a thread started meanwhile is not
    /// missed.
    pub fn confine_process(&self) -> io::Result<()> {
        CpuSet::at_start()?;
        let mut confined = std::collections::HashSet::new();
        loop {
            let mut found = false;
            for entry in std::fs::read_dir("/proc/self/task")? {
                let Some(tid) = entry?.file_name().to_str().and_then(|name| name.parse::<libc::pid_t>().ok()) else { continue };
                if confined.insert(tid) {
                    found = true;
                    match self.confine(tid) {
                        Err(e) if e.raw_os_error() == Some(libc::ESRCH) => {} // it ended meanwhile
                        other => other?,
                    }
                }
            }
            if !found {
                return Ok(());
            }
        }
    }

    /// Confines thread `tid` (0: the calling one) to the set.
    fn confine(&self, tid: libc::pid_t) -> io::Result<()> {
        // SAFETY: the set is a valid cpu_set_t of the size passed.
        if unsafe { libc::sched_setaffinity(tid, std::mem::size_of::<libc::cpu_set_t>(), &self.0) } != 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_list_is_any_cpu_and_a_missing_cpu_is_refused_by_name() {
        assert!(CpuSet::of(&[]).unwrap().is_none());
        let error = CpuSet::of(&[libc::CPU_SETSIZE as usize - 1]).unwrap_err();
        assert!(error.starts_with("cpus: CPU 1023 is not one this server may run on"), "{error}");
        let first = CpuSet::at_start().unwrap().cpus()[0];
        let set = CpuSet::of(&[first]).unwrap().unwrap();
        assert_eq!(format!("{set:?}"), format!("CpuSet([{first}])"));
    }
}
