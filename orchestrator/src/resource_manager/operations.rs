//! What an operator and the experiment harness read and switch on a
//! running orchestrator: health, metrics, stored executions, the learning
//! mode. The HTTP layer calls these; it never reaches the store, the
//! recorder or the learner itself.

use std::sync::atomic::Ordering;

use hetfaas_api::{ExecutionPage, Health, Incremental, LearnerHealth, RecorderHealth, WorkerHealth};
use tokio::sync::watch;

use super::Orchestrator;
use crate::store::StoreError;

/// Most rows one page of `GET /functions/{name}/executions` holds.
pub const MAX_PAGE: u64 = 10_000;

impl Orchestrator {
    /// One page of a function's stored executions, oldest first; `None` for
    /// an unknown function. Reads what is stored: rows still queued in the
    /// recorder show on a later read (no flush is forced per request).
    pub async fn executions(&self, function: &str, offset: u64, limit: u64) -> Option<Result<ExecutionPage, StoreError>> {
        self.inner.registry.get(function)?;
        let limit = limit.clamp(1, MAX_PAGE);
        let page = self.inner.store.executions_page(function, offset, limit).await;
        Some(page.map(|executions| {
            let next = (executions.len() as u64 == limit).then_some(offset + limit);
            ExecutionPage { function: function.to_owned(), offset, executions, next }
        }))
    }

    /// Switches incremental learning on a running server (`PUT /learning`):
    /// rows recorded before the switch are learned under the old mode.
    pub async fn set_incremental(&self, mode: Incremental) {
        self.inner.recorder.flush().await;
        self.inner.learner.set_incremental(mode);
    }

    /// `GET /healthz`: every worker's health, utilisation and details, and
    /// the recorder's backlog.
    pub fn health(&self) -> Health {
        let workers = self
            .workers()
            .iter()
            .map(|w| WorkerHealth {
                name: w.name.clone(),
                tier: w.tier,
                healthy: w.healthy(),
                utilisation: w.platform.utilisation(),
                details: w.platform.details(),
            })
            .collect();
        let stats = &self.inner.recorder.stats;
        let (recorder, learner) = (self.inner.recorder.death().borrow().clone(), self.inner.learner.death().borrow().clone());
        let failures: Vec<String> = recorder.iter().chain(&learner).cloned().collect();
        Health {
            status: if failures.is_empty() { "ok" } else { "failing" }.into(),
            failures,
            workers,
            functions: self.inner.registry.len(),
            recorder: RecorderHealth {
                running: recorder.is_none(),
                queued: self.inner.recorder.queued(),
                written: stats.written.load(Ordering::Relaxed),
                failed: stats.failed.load(Ordering::Relaxed),
            },
            learner: LearnerHealth { running: learner.is_none() },
            features_set_aside: self.inner.catalog.aside(),
        }
    }

    /// Resolves when the learner or the recorder has died, with why: the
    /// server cannot go on without them, and says so rather than serve on
    /// without learning or recording.
    pub async fn failure(&self) -> String {
        async fn died(mut death: watch::Receiver<Option<String>>) -> String {
            match death.wait_for(Option::is_some).await {
                Ok(reason) => reason.clone().unwrap_or_default(),
                Err(_) => std::future::pending().await,
            }
        }
        tokio::select! {
            reason = died(self.inner.learner.death()) => reason,
            reason = died(self.inner.recorder.death()) => reason,
        }
    }

    /// `GET /metrics`, in the Prometheus text format.
    pub fn metrics_text(&self) -> String {
        let health = self.health();
        let workers: Vec<_> =
            health.workers.iter().map(|w| (w.name.as_str(), w.healthy, w.utilisation.cpu, w.utilisation.memory)).collect();
        let up = |running: bool| if running { 1.0 } else { 0.0 };
        let extra = [
            ("hetfaas_up", "1 while the learner and the recorder run.", up(health.failures.is_empty())),
            ("hetfaas_learner_up", "1 while the learner task runs.", up(health.learner.running)),
            ("hetfaas_recorder_up", "1 while the recorder task runs.", up(health.recorder.running)),
            ("hetfaas_functions", "Functions registered.", health.functions as f64),
            ("hetfaas_recorder_queued", "Execution rows waiting to be written.", health.recorder.queued as f64),
            ("hetfaas_recorder_written", "Execution rows written.", health.recorder.written as f64),
            ("hetfaas_recorder_failed", "Execution rows that could not be written.", health.recorder.failed as f64),
        ];
        self.inner.metrics.render(&workers, &extra)
    }
}
