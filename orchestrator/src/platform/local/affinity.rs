//! Pins a local worker's processes to CPUs of its own (`cpus`). Two local
//! workers on one machine otherwise share its cores, and a policy that
//! keeps both busy slows each by the other, which a real edge and cloud,
//! on machines of their own, never do. Affinity, not a cpuset cgroup: it
//! is one system call in the child before exec, needs no controller, and
//! works the same under cgroup v1, v2 or none.

use std::io;

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
    /// CPU this process may not run on itself, naming the ones it may.
    pub fn of(cpus: &[usize]) -> Result<Option<CpuSet>, String> {
        if cpus.is_empty() {
            return Ok(None);
        }
        let allowed = CpuSet::current().map_err(|e| format!("cpus: cannot read this process's CPUs: {e}"))?;
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

    /// The CPUs the calling thread may run on.
    fn current() -> io::Result<CpuSet> {
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
    fn cpus(&self) -> Vec<usize> {
        (0..libc::CPU_SETSIZE as usize).filter(|&cpu| self.contains(cpu)).collect()
    }

    /// Confines the calling process to the set. Async-signal-safe (one
    /// system call on memory prepared before fork), so fit for `pre_exec`.
    pub fn enter(&self) -> io::Result<()> {
        // SAFETY: the set is a valid cpu_set_t of the size passed.
        if unsafe { libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &self.0) } != 0 {
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
        let first = CpuSet::current().unwrap().cpus()[0];
        let set = CpuSet::of(&[first]).unwrap().unwrap();
        assert_eq!(format!("{set:?}"), format!("CpuSet([{first}])"));
    }
}
