//! The execution-row writer: invocations are recorded off the response path.
//!
//! The invoke path pushes each row into a bounded queue and returns; one
//! background task drains the queue in batches of up to [`MAX_BATCH`] rows
//! per transaction. When the queue is full, `record` waits (backpressure)
//! rather than drop a row. [`Recorder::shutdown`] stops intake, writes what
//! is queued and returns only when it is on disk: no row is lost on a clean
//! shutdown. After a crash, what was queued and not yet written is lost;
//! under steady load that is at most one batch's worth of rows in flight.

use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;

use crate::store::{ExecutionRecord, Store};

/// Most rows written in one transaction.
pub const MAX_BATCH: usize = 1024;
const QUEUE: usize = 16 * 1024;

/// Handle to the writer task. Cloning shares the same task.
#[derive(Debug, Clone)]
pub struct Recorder {
    tx: mpsc::Sender<ExecutionRecord>,
    stop: watch::Sender<bool>,
    task: Arc<Mutex<Option<JoinHandle<()>>>>,
    pub stats: Arc<RecorderStats>,
}

#[derive(Debug, Default)]
pub struct RecorderStats {
    pub written: AtomicU64,
    pub failed: AtomicU64,
}

impl Recorder {
    pub fn start(store: Arc<dyn Store>) -> Recorder {
        let (tx, rx) = mpsc::channel(QUEUE);
        let (stop, stopped) = watch::channel(false);
        let stats = Arc::new(RecorderStats::default());
        let task = tokio::spawn(write_loop(store, rx, stopped, stats.clone()));
        Recorder { tx, stop, task: Arc::new(Mutex::new(Some(task))), stats }
    }

    /// Queues a row; waits only if the writer is a whole queue behind.
    pub async fn record(&self, row: ExecutionRecord) {
        if self.tx.send(row).await.is_err() {
            self.stats.failed.fetch_add(1, Ordering::Relaxed);
            tracing::error!("execution row arrived after shutdown began and was not stored");
        }
    }

    pub fn queued(&self) -> usize {
        self.tx.max_capacity() - self.tx.capacity()
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

async fn write_loop(
    store: Arc<dyn Store>,
    mut rx: mpsc::Receiver<ExecutionRecord>,
    mut stopped: watch::Receiver<bool>,
    stats: Arc<RecorderStats>,
) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    loop {
        tokio::select! {
            received = rx.recv_many(&mut batch, MAX_BATCH) => {
                if received == 0 {
                    break;
                }
                write(&*store, &mut batch, &stats).await;
            }
            _ = stopped.changed() => {
                rx.close();
                while rx.recv_many(&mut batch, MAX_BATCH).await > 0 {
                    write(&*store, &mut batch, &stats).await;
                }
                break;
            }
        }
    }
}

/// Writes one batch, retrying a failing store a few times before giving up
/// on it (loudly): the learner must not stall behind a broken disk.
async fn write(store: &dyn Store, batch: &mut Vec<ExecutionRecord>, stats: &RecorderStats) {
    for attempt in 0..5u32 {
        match store.append_executions(batch).await {
            Ok(()) => {
                stats.written.fetch_add(batch.len() as u64, Ordering::Relaxed);
                batch.clear();
                return;
            }
            Err(e) => {
                tracing::warn!(attempt, rows = batch.len(), "writing execution rows failed: {e}");
                tokio::time::sleep(Duration::from_millis(50 << attempt)).await;
            }
        }
    }
    tracing::error!(rows = batch.len(), "execution rows dropped after repeated store failures");
    stats.failed.fetch_add(batch.len() as u64, Ordering::Relaxed);
    batch.clear();
}
