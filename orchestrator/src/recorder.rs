//! The execution-row writer: invocations are recorded off the response path.
//!
//! The invoke path pushes each row into a bounded queue and returns; one
//! background task drains the queue in batches of up to [`MAX_BATCH`] rows
//! per transaction. When the queue is full, `record` waits (backpressure)
//! rather than drop a row. [`Recorder::shutdown`] stops intake, writes what
//! is queued and returns only when it is on disk: no row is lost on a clean
//! shutdown. Stored rows are then offered to the learner, in order; the
//! writer never waits for the learner (see `learning::learner`), only for
//! the store. After a crash, what was queued and not yet written is lost:
//! rows answered in the last [`LINGER`] (10 ms), plus those of the batch
//! being written and of the one before it if that was still committing:
//! the linger plus up to two batch writes (a few ms each for SQLite on a
//! local disk; `tests/crash.rs` measures it).

use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use hetfaas_api::PolicyKind;
use tokio::sync::{mpsc, oneshot, watch};
use tokio::task::JoinHandle;

use crate::fault;
use crate::learning::learner::Learner;
use crate::platform::CallProfile;
use crate::store::{Execution, Store};
use crate::worker::{WorkerId, WorkerNames};

/// Most rows written in one transaction.
pub const MAX_BATCH: usize = 1024;
/// How long a partial batch waits for more rows before it is written.
pub const LINGER: Duration = Duration::from_millis(10);
const QUEUE: usize = 16 * 1024;

/// One attempt at an invocation, as the invoke path records it: workers by
/// position and the function's name shared, so recording clones no string
/// on the request path. The writer names the workers when it stores it.
#[derive(Debug, Clone)]
pub struct Row {
    pub function: Arc<str>,
    pub worker: WorkerId,
    pub input_size: u64,
    pub duration_ms: f64,
    pub success: bool,
    pub error: Option<String>,
    /// Each candidate's prediction at decision time, shared by the attempts.
    pub predicted_ms: Arc<[(WorkerId, f64)]>,
    pub policy: PolicyKind,
    pub started_at_ms: i64,
    pub cold: bool,
    pub training: bool,
    pub client_gone: bool,
    pub profile: Option<CallProfile>,
}

impl Row {
    fn named(self, workers: &WorkerNames) -> Execution {
        Execution {
            function: self.function.to_string(),
            worker: workers.name(self.worker).to_owned(),
            input_size: self.input_size,
            duration_ms: self.duration_ms,
            success: self.success,
            error: self.error,
            predicted_ms: self.predicted_ms.iter().map(|&(w, ms)| (workers.name(w).to_owned(), ms)).collect(),
            policy: self.policy,
            started_at_ms: self.started_at_ms,
            cold: self.cold,
            training: self.training,
            client_gone: self.client_gone,
            cpu_ms: self.profile.map(|p| p.cpu_ms),
            maxrss_kb: self.profile.map(|p| p.maxrss_kb),
        }
    }
}

/// What travels through the queue: rows, and flush requests that are
/// answered once everything queued before them is stored and learned.
#[derive(Debug)]
enum Entry {
    Row(Row),
    Flush(oneshot::Sender<()>),
}

/// Handle to the writer task. Cloning shares the same task.
#[derive(Debug, Clone)]
pub struct Recorder {
    tx: mpsc::Sender<Entry>,
    stop: watch::Sender<bool>,
    task: Arc<Mutex<Option<JoinHandle<()>>>>,
    death: watch::Receiver<Option<String>>,
    pub stats: Arc<RecorderStats>,
}

#[derive(Debug, Default)]
pub struct RecorderStats {
    pub written: AtomicU64,
    pub failed: AtomicU64,
}

impl Recorder {
    pub fn start(store: Arc<dyn Store>, learner: Learner, workers: WorkerNames) -> Recorder {
        let (tx, rx) = mpsc::channel(QUEUE);
        let (stop, stopped) = watch::channel(false);
        let stats = Arc::new(RecorderStats::default());
        let writer = Writer { store, learner, workers, stats: stats.clone(), fail: fault::failpoint("recorder") };
        let (task, death) = fault::supervised("recorder", writer.run(rx, stopped));
        Recorder { tx, stop, task: Arc::new(Mutex::new(Some(task))), death, stats }
    }

    /// Queues a row; waits only if the writer is a whole queue behind.
    pub async fn record(&self, row: Row) {
        if self.tx.send(Entry::Row(row)).await.is_err() {
            self.stats.failed.fetch_add(1, Ordering::Relaxed);
            tracing::error!("execution row arrived after shutdown began and was not stored");
        }
    }

    pub fn queued(&self) -> usize {
        self.tx.max_capacity() - self.tx.capacity()
    }

    /// Returns once every row recorded before the call is stored and learned.
    pub async fn flush(&self) {
        let (reply, done) = oneshot::channel();
        if self.tx.send(Entry::Flush(reply)).await.is_ok() {
            let _ = done.await;
        }
    }

    /// Why the recorder died, if it did (then rows are no longer stored).
    pub fn death(&self) -> watch::Receiver<Option<String>> {
        self.death.clone()
    }

    /// Stops intake, writes every queued row, and waits until they are stored.
    pub async fn shutdown(&self) {
        let _ = self.stop.send(true);
        let task = self.task.lock().expect("recorder lock poisoned").take();
        if let Some(task) = task {
            let _ = task.await;
        }
    }
}

struct Writer {
    store: Arc<dyn Store>,
    learner: Learner,
    workers: WorkerNames,
    stats: Arc<RecorderStats>,
    /// The test hook: die at the first batch.
    fail: bool,
}

/// Waits [`LINGER`] for more rows before a partial batch is written: one
/// transaction per batch, not per row. Under load a transaction per row
/// cost a quarter of the server's CPU (`perf`, 2,000 requests/s to a `noop`
/// worker); lingering makes batches of dozens of rows for a few ms of
/// extra exposure to a crash.
async fn linger(rx: &mut mpsc::Receiver<Entry>, entries: &mut Vec<Entry>) {
    if entries.len() >= MAX_BATCH {
        return;
    }
    tokio::time::sleep(LINGER).await;
    while entries.len() < MAX_BATCH {
        match rx.try_recv() {
            Ok(entry) => entries.push(entry),
            Err(_) => break,
        }
    }
}

impl Writer {
    async fn run(self, mut rx: mpsc::Receiver<Entry>, mut stopped: watch::Receiver<bool>) {
        let mut entries = Vec::with_capacity(MAX_BATCH);
        loop {
            tokio::select! {
                received = rx.recv_many(&mut entries, MAX_BATCH) => {
                    if received == 0 {
                        break;
                    }
                    linger(&mut rx, &mut entries).await;
                    self.handle(&mut entries).await;
                }
                _ = stopped.changed() => {
                    rx.close();
                    while rx.recv_many(&mut entries, MAX_BATCH).await > 0 {
                        self.handle(&mut entries).await;
                    }
                    break;
                }
            }
        }
    }

    /// Stores the rows among `entries` and offers them to the learner;
    /// the flushes waiting behind them are answered by the learner once it
    /// has learned them, so the writer moves on at once.
    async fn handle(&self, entries: &mut Vec<Entry>) {
        assert!(!self.fail, "HETFAAS_FAILPOINT=recorder");
        let mut rows = Vec::with_capacity(entries.len());
        let mut flushes = Vec::new();
        for entry in entries.drain(..) {
            match entry {
                Entry::Row(row) => rows.push(row.named(&self.workers)),
                Entry::Flush(reply) => flushes.push(reply),
            }
        }
        if !rows.is_empty() && self.write(&rows).await {
            self.learner.offer(rows);
        }
        for reply in flushes {
            self.learner.notify_when_learned(reply);
        }
    }

    /// Writes one batch, retrying a failing store a few times before giving
    /// up on it (loudly): the learner must not stall behind a broken disk.
    async fn write(&self, batch: &[Execution]) -> bool {
        for attempt in 0..5u32 {
            match self.store.append_executions(batch).await {
                Ok(()) => {
                    self.stats.written.fetch_add(batch.len() as u64, Ordering::Relaxed);
                    return true;
                }
                Err(e) => {
                    tracing::warn!(attempt, rows = batch.len(), "writing execution rows failed: {e}");
                    tokio::time::sleep(Duration::from_millis(50 << attempt)).await;
                }
            }
        }
        tracing::error!(rows = batch.len(), "execution rows dropped after repeated store failures");
        self.stats.failed.fetch_add(batch.len() as u64, Ordering::Relaxed);
        false
    }
}
