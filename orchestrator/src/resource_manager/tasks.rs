//! The background work the orchestrator starts: deployments and training,
//! redeploys after an outage, the health monitor. One owner holds them all,
//! so shutdown stops and awaits every one (none outlives the server), and
//! a task that panics is caught and reported by its caller's handler
//! rather than lost with its `JoinHandle`.

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use futures_util::FutureExt;
use tokio::sync::Notify;
use tokio::task::{AbortHandle, JoinSet};

use crate::fault::panic_message;

#[derive(Debug, Default)]
pub struct Tasks {
    /// `None` once shut down: nothing new starts after that.
    set: Mutex<Option<JoinSet<()>>>,
}

impl Tasks {
    pub fn new() -> Tasks {
        Tasks { set: Mutex::new(Some(JoinSet::new())) }
    }

    /// Runs `task` in the background; if it panics, `on_panic` gets the
    /// panic's message. Finished tasks are reaped here, so the set holds
    /// only what still runs. The handle stops the task early; `None` once
    /// shut down (nothing starts then).
    pub fn spawn(
        &self,
        task: impl Future<Output = ()> + Send + 'static,
        on_panic: impl FnOnce(String) + Send + 'static,
    ) -> Option<AbortHandle> {
        let mut set = self.set.lock().expect("tasks lock poisoned");
        let set = set.as_mut()?;
        while set.try_join_next().is_some() {}
        Some(set.spawn(async move {
            if let Err(panic) = AssertUnwindSafe(task).catch_unwind().await {
                on_panic(panic_message(panic.as_ref()));
            }
        }))
    }

    /// Stops every task (at its next `.await`) and waits until all are gone.
    pub async fn shutdown(&self) {
        let set = self.set.lock().expect("tasks lock poisoned").take();
        if let Some(mut set) = set {
            set.abort_all();
            while set.join_next().await.is_some() {}
        }
    }
}

/// Clients' invocations still running, each in a task of its own (so a
/// client that goes away does not cut a call short): shutdown waits for
/// them before it stops the recorder that writes their rows.
#[derive(Debug, Default)]
pub struct Calls {
    running: Arc<(AtomicUsize, Notify)>,
}

/// One call counted until dropped.
#[derive(Debug)]
pub struct Call(Arc<(AtomicUsize, Notify)>);

impl Calls {
    pub fn enter(&self) -> Call {
        self.running.0.fetch_add(1, Ordering::AcqRel);
        Call(self.running.clone())
    }

    /// Returns once no call is running.
    pub async fn idle(&self) {
        loop {
            let notified = self.running.1.notified();
            if self.running.0.load(Ordering::Acquire) == 0 {
                return;
            }
            notified.await;
        }
    }
}

impl Drop for Call {
    fn drop(&mut self) {
        if self.0.0.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.0.1.notify_waiters();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};

    #[tokio::test]
    async fn a_panic_is_reported_and_shutdown_stops_what_runs() {
        let tasks = Tasks::new();
        let (reported, tx) = {
            let (tx, rx) = tokio::sync::oneshot::channel();
            (rx, tx)
        };
        tasks.spawn(async { panic!("boom") }, move |message| drop(tx.send(message)));
        assert_eq!(reported.await.unwrap(), "boom");

        let finished = Arc::new(AtomicBool::new(false));
        let flag = finished.clone();
        tasks.spawn(
            async move {
                tokio::time::sleep(std::time::Duration::from_secs(3600)).await;
                flag.store(true, Ordering::SeqCst);
            },
            |_| {},
        );
        tasks.shutdown().await;
        assert!(!finished.load(Ordering::SeqCst), "stopped, not run to the end");
        tasks.spawn(async {}, |_| {});
        assert!(tasks.set.lock().unwrap().is_none(), "nothing starts after shutdown");
    }
}
