//! Putting functions back on a worker that lost them. A `hetfaas node` (or
//! a Knative cluster) that restarts comes back empty: the health monitor
//! sees it recover and redeploys every function it should hold before
//! marking it healthy again; an invocation answered "not deployed" by a
//! worker that should hold the function redeploys that one function. Both
//! run in the background, one at a time per worker or per function, while
//! the router fails over to the other workers.

use std::sync::atomic::Ordering;

use super::Orchestrator;
use crate::function::FunctionState;
use crate::worker::WorkerId;

impl Orchestrator {
    /// Redeploys every function of `worker`, then marks it healthy. A
    /// second call while one runs does nothing.
    pub(super) fn recover(&self, worker: WorkerId) {
        let w = &self.inner.workers[worker.index()];
        if w.recovering.swap(true, Ordering::AcqRel) {
            return;
        }
        let this = self.clone();
        let on_panic = move |panic: String| tracing::error!(worker = ?worker, "redeploying after recovery panicked: {panic}");
        self.spawn(
            async move {
                let w = &this.inner.workers[worker.index()];
                tracing::info!(worker = %w.name, "worker answers again; redeploying its functions");
                for entry in this.inner.registry.all() {
                    if entry.workers.contains(&worker) && !matches!(entry.state(), FunctionState::Failed(_)) {
                        if let Err(e) = w.platform.deploy(&entry.spec).await {
                            tracing::warn!(worker = %w.name, function = %entry.spec.name, "redeploy after recovery failed: {e}");
                        }
                    }
                }
                w.set_healthy(true);
                w.recovering.store(false, Ordering::Release);
            },
            on_panic,
        );
    }

    /// Redeploys `function` on `worker`, which said it does not have it.
    pub(super) fn heal(&self, worker: WorkerId, function: &str) {
        let Some(entry) = self.inner.registry.get(function) else { return };
        if !entry.workers.contains(&worker) || !matches!(entry.state(), FunctionState::Ready | FunctionState::Training) {
            return;
        }
        let key = (worker, function.to_owned());
        if !self.inner.healing.lock().expect("healing lock poisoned").insert(key.clone()) {
            return;
        }
        let this = self.clone();
        let on_panic = move |panic: String| tracing::error!(worker = ?worker, "redeploying a lost function panicked: {panic}");
        let _ = self.spawn(
            async move {
                let w = &this.inner.workers[worker.index()];
                tracing::info!(worker = %w.name, function = %entry.spec.name, "worker lost the function; redeploying it");
                if let Err(e) = w.platform.deploy(&entry.spec).await {
                    tracing::warn!(worker = %w.name, function = %entry.spec.name, "redeploy failed: {e}");
                }
                this.inner.healing.lock().expect("healing lock poisoned").remove(&key);
            },
            on_panic,
        );
    }
}
