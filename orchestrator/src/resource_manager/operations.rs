//! What an operator and the experiment harness read and switch on a
//! running orchestrator: health, metrics, stored executions, the learning
//! mode. The HTTP layer calls these; it never reaches the store, the
//! recorder or the learner itself.

use std::sync::atomic::Ordering;

use hetfaas_api::{ExecutionPage, Health, Incremental, RecorderHealth, WorkerHealth};

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
        Health {
            status: "ok".into(),
            workers,
            functions: self.inner.registry.len(),
            recorder: RecorderHealth {
                queued: self.inner.recorder.queued(),
                written: stats.written.load(Ordering::Relaxed),
                failed: stats.failed.load(Ordering::Relaxed),
            },
        }
    }

    /// `GET /metrics`, in the Prometheus text format.
    pub fn metrics_text(&self) -> String {
        let health = self.health();
        let workers: Vec<_> =
            health.workers.iter().map(|w| (w.name.as_str(), w.healthy, w.utilisation.cpu, w.utilisation.memory)).collect();
        let extra = [
            ("hetfaas_functions", "Functions registered.", health.functions as f64),
            ("hetfaas_recorder_queued", "Execution rows waiting to be written.", health.recorder.queued as f64),
            ("hetfaas_recorder_written", "Execution rows written.", health.recorder.written as f64),
            ("hetfaas_recorder_failed", "Execution rows that could not be written.", health.recorder.failed as f64),
        ];
        self.inner.metrics.render(&workers, &extra)
    }
}
