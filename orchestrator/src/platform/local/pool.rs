//! The instances of one function on one local worker: reuse warm ones,
//! start new ones up to a limit (cold starts), and retire idle ones.
//!
//! The idle list sits behind a `std::sync::Mutex` because it is only held to
//! push or pop, never across an `.await`; concurrency per function is bounded
//! by a semaphore, the way Lambda's reserved concurrency queues requests.
//! The queue itself is bounded too: at most `max_queued` calls wait, each
//! at most `queue_timeout`; past either the worker throttles (429 upstream)
//! rather than hold requests and their memory without end.
//! Instances busy with a call are known by process group, so that removing
//! the function ends them too rather than letting them run to their timeout.

use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use tokio::sync::{Semaphore, SemaphorePermit};

use super::Shared;
use super::instance::{CallFailure, Instance, Launch, SpawnError};
use crate::function::FunctionSpec;
use crate::platform::{FunctionError, FunctionErrorKind, InvokeOutcome, PlatformError};

#[derive(Debug)]
pub struct Pool {
    spec: FunctionSpec,
    code_dir: PathBuf,
    idle: Mutex<Vec<Instance>>,
    /// Process groups of the instances in a call right now.
    busy: Mutex<HashSet<i32>>,
    permits: Semaphore,
    /// Calls waiting for a permit right now.
    waiting: AtomicUsize,
    started: AtomicU64,
    requests: AtomicU64,
}

impl Pool {
    pub fn new(spec: FunctionSpec, code_dir: PathBuf, max_instances: usize) -> Pool {
        Pool {
            spec,
            code_dir,
            idle: Mutex::new(Vec::new()),
            busy: Mutex::default(),
            permits: Semaphore::new(max_instances),
            waiting: AtomicUsize::new(0),
            started: AtomicU64::new(0),
            requests: AtomicU64::new(0),
        }
    }

    /// Starts one instance and keeps it warm; proves the code imports.
    pub async fn prewarm(&self, shared: &Shared) -> Result<(), SpawnError> {
        let _permit = self.permits.acquire().await.map_err(|_| SpawnError::System("function removed".into()))?;
        let instance = self.spawn(shared).await?;
        self.release(instance).await;
        Ok(())
    }

    /// A turn to run, waiting in a bounded queue for a bounded time.
    async fn turn(&self, shared: &Shared) -> Result<SemaphorePermit<'_>, PlatformError> {
        if let Ok(permit) = self.permits.try_acquire() {
            return Ok(permit);
        }
        let throttled = |detail: String| PlatformError::Throttled { worker: shared.worker.clone(), detail };
        if self.waiting.fetch_add(1, Ordering::AcqRel) >= shared.max_queued {
            self.waiting.fetch_sub(1, Ordering::AcqRel);
            return Err(throttled(format!("{} calls of {} already wait for an instance", shared.max_queued, self.spec.name)));
        }
        let waited = tokio::time::timeout(shared.queue_timeout, self.permits.acquire()).await;
        self.waiting.fetch_sub(1, Ordering::AcqRel);
        match waited {
            Ok(Ok(permit)) => Ok(permit),
            Ok(Err(_)) => Err(PlatformError::NotDeployed { worker: shared.worker.clone(), function: self.spec.name.clone() }),
            Err(_) => Err(throttled(format!("no instance of {} was free within {:?}", self.spec.name, shared.queue_timeout))),
        }
    }

    /// Runs one event on a warm instance, or on a new one if none is idle.
    pub async fn invoke(&self, shared: &Shared, event: &[u8]) -> Result<InvokeOutcome, PlatformError> {
        let _permit = self.turn(shared).await?;
        let warm = self.idle.lock().expect("pool lock poisoned").pop();
        let cold = warm.is_none();
        let mut instance = match warm {
            Some(instance) => instance,
            None => match self.spawn(shared).await {
                Ok(instance) => instance,
                Err(SpawnError::Code { error_type, message }) => {
                    let error = FunctionError { kind: FunctionErrorKind::Raised, error_type, message, stack_trace: vec![] };
                    return Ok(InvokeOutcome { result: Err(error), cold, profile: None });
                }
                Err(SpawnError::System(detail)) => {
                    return Err(PlatformError::Failed { worker: shared.worker.clone(), detail });
                }
            },
        };
        let request = self.requests.fetch_add(1, Ordering::Relaxed);
        let timeout = Duration::from_secs(u64::from(self.spec.timeout_s));
        let header = format!(r#"{{"request_id":"{}-{request}","timeout_ms":{}}}"#, self.spec.name, timeout.as_millis());
        let pgid = instance.pgid();
        self.busy.lock().expect("pool lock poisoned").extend(pgid);
        let reply = instance.call(header.as_bytes(), event, timeout).await;
        // Before the instance can be reaped: its group id stays ours until then.
        if let Some(pgid) = pgid {
            self.busy.lock().expect("pool lock poisoned").remove(&pgid);
        }
        match reply {
            Ok(reply) => {
                self.release(instance).await;
                Ok(InvokeOutcome { result: reply.result, cold, profile: Some(reply.profile) })
            }
            Err(failure) => Ok(InvokeOutcome { result: Err(self.fail(instance, failure, timeout).await), cold, profile: None }),
        }
    }

    async fn spawn(&self, shared: &Shared) -> Result<Instance, SpawnError> {
        let n = self.started.fetch_add(1, Ordering::Relaxed);
        if !shared.cold_start_extra.is_zero() {
            tokio::time::sleep(shared.cold_start_extra).await;
        }
        let identity = shared.sandbox.lease(&shared.dir.path).map_err(|e| SpawnError::System(format!("sandbox user: {e}")))?;
        let counts_processes = shared.group.as_ref().is_some_and(|g| g.hierarchy().counts_processes());
        let entry = shared.sandbox.entry(identity.as_ref(), counts_processes);
        Instance::start(Launch {
            python: &shared.python,
            bootstrap: &shared.bootstrap,
            code_dir: &self.code_dir,
            function: &self.spec.name,
            memory_mb: self.spec.memory_mb,
            cpu: shared.instance_cpu.map(|cores| (cores, shared.cpu_period)),
            cpus: shared.cpus,
            worker_group: shared.group.as_ref(),
            max_processes: shared.sandbox.max_processes(),
            instance_name: format!("{}.{n}", self.spec.name),
            ready_timeout: shared.init_timeout,
            identity,
            entry,
        })
        .await
    }

    async fn fail(&self, instance: Instance, failure: CallFailure, timeout: Duration) -> FunctionError {
        match failure {
            CallFailure::Timeout => {
                instance.terminate().await;
                FunctionError {
                    kind: FunctionErrorKind::Timeout,
                    error_type: "Runtime.Timeout".into(),
                    message: format!("the handler did not answer within its timeout of {} s", timeout.as_secs()),
                    stack_trace: vec![],
                }
            }
            CallFailure::Died => instance.terminate_with_cause().await,
            CallFailure::Protocol(detail) => {
                instance.terminate().await;
                FunctionError {
                    kind: FunctionErrorKind::Raised,
                    error_type: "Runtime.InvalidResponse".into(),
                    message: detail,
                    stack_trace: vec![],
                }
            }
        }
    }

    /// Returns an instance to the idle list, or ends it if the pool closed.
    async fn release(&self, instance: Instance) {
        if self.permits.is_closed() {
            instance.terminate().await;
        } else {
            self.idle.lock().expect("pool lock poisoned").push(instance);
        }
    }

    /// Ends instances idle for longer than `idle_timeout` (scale to zero).
    pub async fn reap(&self, idle_timeout: Duration) {
        let now = Instant::now();
        let expired: Vec<Instance> = {
            let mut idle = self.idle.lock().expect("pool lock poisoned");
            let (keep, expired) = idle.drain(..).partition(|i| now.duration_since(i.last_used) < idle_timeout);
            *idle = keep;
            expired
        };
        for instance in expired {
            instance.terminate().await;
        }
    }

    /// Refuses new calls and ends every instance: idle ones here, busy ones
    /// by killing their process group, which their call sees as the runtime
    /// exiting.
    pub async fn close(&self) {
        self.permits.close();
        for &pgid in self.busy.lock().expect("pool lock poisoned").iter() {
            // SAFETY: kill(2) on the group of a child not yet reaped (it
            // leaves `busy` before it can be), so the id is still ours.
            unsafe { libc::kill(-pgid, libc::SIGKILL) };
        }
        let idle: Vec<Instance> = std::mem::take(&mut *self.idle.lock().expect("pool lock poisoned"));
        for instance in idle {
            instance.terminate().await;
        }
    }

    pub fn idle_count(&self) -> usize {
        self.idle.lock().expect("pool lock poisoned").len()
    }
}
