//! One warm Python process running one function: spawn, call, terminate.
//!
//! The process runs `bootstrap.py`, which imports the function once and then
//! answers length-prefixed frames over a pipe. Each instance is its own
//! process group (so a handler's children die with it) and, where cgroups
//! work, its own leaf cgroup under the worker's (so memory is capped per
//! instance and CPU per worker, as Kubernetes does per pod and per node).

use std::os::unix::process::ExitStatusExt;
use std::path::PathBuf;
use std::process::Stdio;
use std::time::{Duration, Instant};

use bytes::Bytes;
use serde::Deserialize;
use serde_json::value::RawValue;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::process::{Child, ChildStdin, ChildStdout, Command};

use super::cgroup::{self, Group};
use super::sandbox::{Entry, Identity};
use crate::affinity::CpuSet;
use crate::platform::{CallProfile, FunctionError, FunctionErrorKind};

/// Largest response frame accepted from a handler (Lambda's own limit is
/// 6 MB; a little slack covers the envelope).
const MAX_FRAME: usize = 7 * 1024 * 1024;

/// Everything needed to start an instance of one function.
#[derive(Debug)]
pub struct Launch<'a> {
    pub python: &'a std::path::Path,
    pub bootstrap: &'a std::path::Path,
    pub code_dir: &'a std::path::Path,
    pub function: &'a str,
    pub memory_mb: u32,
    /// Cores per instance and the CFS period they are granted in.
    pub cpu: Option<(f64, Duration)>,
    /// The CPUs it may run on, if the worker has its own.
    pub cpus: Option<CpuSet>,
    /// The worker's group; `None` runs unconstrained (the loud fallback).
    pub worker_group: Option<&'a Group>,
    /// Processes the instance may have (`pids.max` of its cgroup).
    pub max_processes: u64,
    pub instance_name: String,
    pub ready_timeout: Duration,
    /// The user it runs as, when it has one of its own.
    pub identity: Option<Identity>,
    /// What the child does before exec to enter the sandbox.
    pub entry: Entry,
}

/// Why an instance could not start.
#[derive(Debug)]
pub enum SpawnError {
    /// Importing the function failed: its own fault, shown to its developer.
    Code { error_type: String, message: String },
    /// The machine could not start the process.
    System(String),
}

/// How a call failed without a reply frame; the instance is unusable after.
#[derive(Debug)]
pub enum CallFailure {
    Timeout,
    Died,
    Protocol(String),
}

/// The handler's reply to one event.
#[derive(Debug)]
pub struct Reply {
    pub result: Result<Bytes, FunctionError>,
    pub profile: CallProfile,
}

#[derive(Debug)]
pub struct Instance {
    child: Child,
    stdin: ChildStdin,
    stdout: ChildStdout,
    group: Option<Group>,
    /// Its group has a CPU quota of its own (`instance_cpu`).
    cpu_limited: bool,
    identity: Option<Identity>,
    pub last_used: Instant,
}

#[derive(Deserialize)]
struct Frame<'a> {
    ok: bool,
    #[serde(borrow)]
    result: Option<&'a RawValue>,
    #[serde(rename = "errorType")]
    error_type: Option<String>,
    #[serde(rename = "errorMessage")]
    error_message: Option<String>,
    #[serde(rename = "stackTrace", default)]
    stack_trace: Vec<String>,
    #[serde(default)]
    cpu_ms: f64,
    #[serde(default)]
    maxrss_kb: u64,
}

impl Frame<'_> {
    fn error(&self, kind: FunctionErrorKind) -> FunctionError {
        FunctionError {
            kind,
            error_type: self.error_type.clone().unwrap_or_else(|| "Error".into()),
            message: self.error_message.clone().unwrap_or_default(),
            stack_trace: self.stack_trace.clone(),
        }
    }
}

impl Instance {
    /// Starts the process and waits until the function is imported.
    pub async fn start(mut launch: Launch<'_>) -> Result<Instance, SpawnError> {
        let group = match launch.worker_group {
            Some(worker) => Some(instance_group(worker, &launch)?),
            None => None,
        };
        let spawned = command(&launch, group.as_ref()).spawn();
        let identity = launch.identity.take();
        let mut child = match spawned {
            Ok(child) => child,
            Err(e) => {
                if let Some(identity) = identity {
                    identity.clear();
                }
                return Err(SpawnError::System(format!("cannot start {}: {e}", launch.python.display())));
            }
        };
        drain_stderr(&mut child, launch.function.to_owned());
        let stdin = child.stdin.take().expect("stdin is piped");
        let stdout = child.stdout.take().expect("stdout is piped");
        let cpu_limited = launch.cpu.is_some();
        let mut instance = Instance { child, stdin, stdout, group, cpu_limited, identity, last_used: Instant::now() };
        let ready = tokio::time::timeout(launch.ready_timeout, instance.read_frame()).await;
        let bytes = match ready {
            Ok(Ok(bytes)) => bytes,
            Ok(Err(_)) => {
                return Err(SpawnError::System(instance.terminate_with_cause().await.message));
            }
            Err(_) => {
                instance.terminate().await;
                return Err(SpawnError::Code {
                    error_type: "Runtime.InitTimeout".into(),
                    message: format!("importing main.py took longer than {:?}", launch.ready_timeout),
                });
            }
        };
        let frame: Frame = match serde_json::from_slice(&bytes) {
            Ok(frame) => frame,
            Err(e) => {
                instance.terminate().await;
                return Err(SpawnError::System(format!("bad ready frame: {e}")));
            }
        };
        if frame.ok {
            Ok(instance)
        } else {
            let error = frame.error(FunctionErrorKind::Raised);
            instance.terminate().await;
            Err(SpawnError::Code { error_type: error.error_type, message: error.message })
        }
    }

    /// Time its own quota has held it back, in ns, when it has one.
    fn throttled_ns(&self) -> Option<u64> {
        self.group.as_ref().filter(|_| self.cpu_limited).map(Group::throttled_ns)
    }

    /// Sends one event and waits for the reply, at most `timeout`. With a
    /// quota of its own, the reply's profile says how long it held this
    /// call back (an instance runs one call at a time).
    pub async fn call(&mut self, header: &[u8], event: &[u8], timeout: Duration) -> Result<Reply, CallFailure> {
        let throttled_before = self.throttled_ns();
        let exchange = async {
            let len = (header.len() + 1 + event.len()) as u32;
            let mut frame = Vec::with_capacity(4 + len as usize);
            frame.extend_from_slice(&len.to_be_bytes());
            frame.extend_from_slice(header);
            frame.push(b'\n');
            frame.extend_from_slice(event);
            self.stdin.write_all(&frame).await.map_err(|_| CallFailure::Died)?;
            self.read_frame().await
        };
        let bytes = tokio::time::timeout(timeout, exchange).await.map_err(|_| CallFailure::Timeout)??;
        self.last_used = Instant::now();
        let mut reply = parse_reply(&bytes)?;
        if let (Some(before), Some(after)) = (throttled_before, self.throttled_ns()) {
            reply.profile.throttled_ms = Some(after.saturating_sub(before) as f64 / 1e6);
        }
        Ok(reply)
    }

    async fn read_frame(&mut self) -> Result<Vec<u8>, CallFailure> {
        let mut len = [0u8; 4];
        self.stdout.read_exact(&mut len).await.map_err(|_| CallFailure::Died)?;
        let len = u32::from_be_bytes(len) as usize;
        if len > MAX_FRAME {
            return Err(CallFailure::Protocol(format!("response of {len} bytes exceeds the {MAX_FRAME}-byte limit")));
        }
        let mut buf = vec![0u8; len];
        self.stdout.read_exact(&mut buf).await.map_err(|_| CallFailure::Died)?;
        Ok(buf)
    }

    /// Kills the whole process group, reaps the process, removes the cgroup.
    /// Kills the whole process group (and, for an instance with a user of
    /// its own, every process of that user), reaps the process, removes the
    /// cgroup, and gives the user back.
    pub async fn terminate(mut self) {
        self.kill_group();
        let (group, identity) = (self.group.take(), self.identity.take());
        // Removal may retry briefly while the kernel releases the group.
        let cleared = tokio::task::spawn_blocking(move || {
            if let Some(identity) = &identity {
                identity.clear();
            }
            drop(group);
            identity
        });
        let _ = self.child.wait().await;
        drop(cleared.await);
    }

    /// Terminates an instance that died mid-call and says why it died.
    pub async fn terminate_with_cause(mut self) -> FunctionError {
        self.kill_group();
        let status = self.child.wait().await.ok();
        let oom = self.group.as_ref().is_some_and(|g| g.oom_kills() > 0);
        self.terminate().await;
        if oom {
            return FunctionError {
                kind: FunctionErrorKind::OutOfMemory,
                error_type: "Runtime.OutOfMemory".into(),
                message: "the handler exceeded its memory limit and was killed".into(),
                stack_trace: vec![],
            };
        }
        let how = match status {
            Some(s) if s.code().is_some() => {
                format!("exit status {}", s.code().unwrap_or_default())
            }
            Some(s) => format!("signal {}", s.signal().unwrap_or_default()),
            None => "an unknown status".into(),
        };
        FunctionError {
            kind: FunctionErrorKind::Exited,
            error_type: "Runtime.ExitError".into(),
            message: format!("the runtime process exited during the call with {how}"),
            stack_trace: vec![],
        }
    }

    /// The process group the instance leads (its pid), while it runs.
    pub fn pgid(&self) -> Option<i32> {
        self.child.id().map(|pid| pid as i32)
    }

    fn kill_group(&self) {
        if let Some(pid) = self.child.id() {
            // SAFETY: kill(2) on our own child's process group (pgid == pid,
            // set at spawn); touches no memory.
            unsafe { libc::kill(-(pid as i32), libc::SIGKILL) };
        }
    }
}

fn instance_group(worker: &Group, launch: &Launch<'_>) -> Result<Group, SpawnError> {
    let system = |e: std::io::Error| SpawnError::System(format!("cgroup for {}: {e}", launch.instance_name));
    let group = worker.child(&launch.instance_name).map_err(system)?;
    group.set_memory_limit(u64::from(launch.memory_mb) * 1024 * 1024).map_err(system)?;
    group.set_process_limit(launch.max_processes).map_err(system)?;
    if let Some((cores, period)) = launch.cpu {
        group.set_cpu_limit(cores, period).map_err(system)?;
    }
    Ok(group)
}

fn command(launch: &Launch<'_>, group: Option<&Group>) -> Command {
    let home = launch.identity.as_ref().map_or(launch.code_dir, |i| i.home.as_path());
    let mut cmd = Command::new(launch.python);
    cmd.arg(launch.bootstrap)
        .arg(launch.code_dir)
        .arg(launch.function)
        .arg(launch.memory_mb.to_string())
        .current_dir(home)
        // The handler must not inherit the orchestrator's environment: it
        // may hold credentials and tokens.
        .env_clear()
        .env("PATH", "/usr/local/bin:/usr/bin:/bin")
        .env("LANG", "C.UTF-8")
        .env("HOME", home)
        .env("PYTHONUNBUFFERED", "1")
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .env("AWS_LAMBDA_FUNCTION_NAME", launch.function)
        .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", launch.memory_mb.to_string())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .kill_on_drop(true);
    let procs: Vec<_> = group.map(Group::procs_files).unwrap_or_default();
    let address_limit = (group.is_none()).then(|| address_space_limit(launch.memory_mb));
    let (entry, cpus) = (launch.entry, launch.cpus);
    // SAFETY: the closure only makes async-signal-safe calls (open, write,
    // close, sched_setaffinity, setrlimit, unshare, prctl, setgroups,
    // setgid, setuid) on data prepared before fork. It joins the cgroup
    // while still root, and becomes the sandbox user last.
    unsafe {
        cmd.pre_exec(move || {
            cgroup::attach_self(&procs)?;
            if let Some(cpus) = &cpus {
                cpus.enter()?;
            }
            if let Some(limit) = address_limit {
                let rlim = libc::rlimit { rlim_cur: limit, rlim_max: limit };
                if libc::setrlimit(libc::RLIMIT_AS, &rlim) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
            }
            entry.enter()
        });
    }
    cmd
}

/// Without a memory cgroup the limit falls back to `RLIMIT_AS`. Address
/// space is not resident memory: the interpreter maps ~200 MB it never
/// touches, so that much is added on top of the function's own limit.
fn address_space_limit(memory_mb: u32) -> libc::rlim_t {
    (u64::from(memory_mb) + 256) * 1024 * 1024
}

/// Handler output goes to the log at debug level; the pipe must be drained
/// or a chatty handler would block on a full pipe.
fn drain_stderr(child: &mut Child, function: String) {
    let Some(mut stderr) = child.stderr.take() else {
        return;
    };
    tokio::spawn(async move {
        let mut buf = vec![0u8; 8192];
        while let Ok(n) = stderr.read(&mut buf).await {
            if n == 0 {
                break;
            }
            tracing::debug!(target: "hetfaas::handler", %function, "{}", String::from_utf8_lossy(&buf[..n]).trim_end());
        }
    });
}

fn parse_reply(bytes: &[u8]) -> Result<Reply, CallFailure> {
    let frame: Frame = serde_json::from_slice(bytes).map_err(|e| CallFailure::Protocol(format!("bad reply frame: {e}")))?;
    let profile = CallProfile { cpu_ms: frame.cpu_ms, maxrss_kb: frame.maxrss_kb, throttled_ms: None };
    let result = if frame.ok {
        let json = frame.result.map_or("null", RawValue::get);
        Ok(Bytes::copy_from_slice(json.as_bytes()))
    } else {
        Err(frame.error(FunctionErrorKind::Raised))
    };
    Ok(Reply { result, profile })
}

/// Where the bootstrap script is written for a worker.
pub fn bootstrap_path(worker_dir: &std::path::Path) -> PathBuf {
    worker_dir.join("bootstrap.py")
}

/// The bootstrap's source, embedded so the binary needs nothing beside it.
pub const BOOTSTRAP: &str = include_str!("bootstrap.py");
