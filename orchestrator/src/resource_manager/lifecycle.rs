//! Creating, restoring and deleting functions (dissertation 3.4.1).
//!
//! `create` validates and stores the function, then answers at once; the
//! deployment to every supported worker runs in the background and moves
//! the function from `deploying` to `ready` (or `failed`, with the reason).
//! A deployment or training that panics fails its function with the panic's
//! message rather than leaving it `deploying` forever.

use std::sync::Arc;

use hetfaas_api::{FunctionView, ModelSummary};

use super::Orchestrator;
use super::registry::FunctionEntry;
use crate::function::{FunctionSpec, FunctionState, InvalidFunction};
use crate::learning::model::Model;
use crate::platform::DeployError;
use crate::store::{StoreError, StoredFunction};
use crate::worker::WorkerId;

#[derive(Debug, thiserror::Error)]
pub enum CreateError {
    #[error(transparent)]
    Invalid(#[from] InvalidFunction),
    #[error("function {0:?} already exists")]
    Exists(String),
    #[error("no configured worker can run function {0:?}: its supported tiers have no workers")]
    NoWorker(String),
    #[error("worker {worker} cannot take function {function:?}: {reason}")]
    Refused { worker: String, function: String, reason: String },
    #[error("store: {0}")]
    Store(StoreError),
}

pub(crate) fn now_ms() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_millis() as i64)
}

impl Orchestrator {
    /// Validates and stores a new function and starts deploying it.
    pub async fn create(&self, spec: FunctionSpec) -> Result<FunctionView, CreateError> {
        spec.validate()?;
        let workers = self.supporting_workers(&spec);
        if workers.is_empty() {
            return Err(CreateError::NoWorker(spec.name));
        }
        for worker in workers.iter().map(|w| &self.inner.workers[w.index()]) {
            worker.platform.accepts(&spec).map_err(|reason| CreateError::Refused {
                worker: worker.name.clone(),
                function: spec.name.clone(),
                reason,
            })?;
        }
        let stored = StoredFunction { spec: spec.clone(), state: FunctionState::Deploying, created_at_ms: now_ms(), training: None };
        self.inner.store.insert_function(&stored).await.map_err(|e| match e {
            StoreError::AlreadyExists(name) => CreateError::Exists(name),
            other => CreateError::Store(other),
        })?;
        let entry = Arc::new(FunctionEntry::new(spec, workers, stored.created_at_ms, stored.state, None));
        self.inner.registry.insert(entry.clone());
        let this = self.clone();
        let deploying = entry.clone();
        entry.set_deployment(self.spawn(async move { this.deploy(&deploying).await }, self.fail_on_panic(entry.clone())));
        Ok(self.view(&entry))
    }

    /// What a panicking deployment or training leaves behind: a `failed`
    /// function that says why.
    fn fail_on_panic(&self, entry: Arc<FunctionEntry>) -> impl FnOnce(String) + Send + 'static {
        let this = self.clone();
        move |panic| {
            let reason = format!("internal error while deploying or training: {panic}");
            let failing = this.clone();
            let _ = this.spawn(async move { failing.set_state(&entry, FunctionState::Failed(reason)).await }, |_| {});
        }
    }

    fn supporting_workers(&self, spec: &FunctionSpec) -> Vec<WorkerId> {
        self.inner.workers.iter().filter(|w| spec.supports(w.tier)).map(|w| w.id).collect()
    }

    /// Deploys on every supporting worker at once, then trains. A code error
    /// fails the function; a worker that cannot deploy fails it too, with
    /// that worker named.
    async fn deploy(&self, entry: &FunctionEntry) {
        let deployments = entry.workers.iter().map(|&w| self.inner.workers[w.index()].platform.deploy(&entry.spec));
        let mut failure = None;
        for result in futures_util::future::join_all(deployments).await {
            match result {
                Ok(()) => {}
                Err(DeployError::Code { error_type, message }) => failure = Some(format!("{error_type}: {message}")),
                Err(e @ DeployError::Platform { .. }) => failure = failure.or(Some(e.to_string())),
            }
        }
        if let Some(reason) = failure {
            return self.set_state(entry, FunctionState::Failed(reason)).await;
        }
        self.set_state(entry, FunctionState::Training).await;
        let report = self.train(entry).await;
        entry.set_training(report);
        self.set_state(entry, FunctionState::Ready).await;
    }

    pub(super) async fn set_state(&self, entry: &FunctionEntry, state: FunctionState) {
        if let FunctionState::Failed(reason) = &state {
            tracing::warn!(function = %entry.spec.name, "function failed: {reason}");
        }
        entry.set_state(state.clone());
        let stored = StoredFunction { spec: entry.spec.clone(), state, created_at_ms: entry.created_at_ms, training: entry.training() };
        if let Err(e) = self.inner.store.update_function(&stored).await {
            tracing::error!(function = %entry.spec.name, "could not store the function's state: {e}");
        }
    }

    /// Loads stored functions into the registry and redeploys them, so a
    /// restarted server serves what it served before. Until its redeploy
    /// finishes a function shows as `deploying`; failed ones stay failed.
    pub(super) async fn restore(&self) -> Result<(), StoreError> {
        for stored in self.inner.store.functions().await? {
            if let Some(features) = stored.training.as_ref().and_then(|t| t.features.clone()) {
                self.inner.catalog.insert(&stored.spec.name, &stored.spec.source_code, features);
            }
            let workers = self.supporting_workers(&stored.spec);
            let redeploy = !matches!(stored.state, FunctionState::Failed(_));
            let state = if redeploy { FunctionState::Deploying } else { stored.state.clone() };
            let entry = Arc::new(FunctionEntry::new(stored.spec, workers, stored.created_at_ms, state, stored.training));
            self.inner.registry.insert(entry.clone());
            if redeploy {
                let this = self.clone();
                let redeploying = entry.clone();
                entry.set_deployment(
                    self.spawn(async move { this.redeploy(&redeploying, stored.state).await }, self.fail_on_panic(entry.clone())),
                );
            }
        }
        self.recluster().await;
        Ok(())
    }

    async fn redeploy(&self, entry: &FunctionEntry, state: FunctionState) {
        for &w in &entry.workers {
            let worker = &self.inner.workers[w.index()];
            if let Err(e) = worker.platform.deploy(&entry.spec).await {
                tracing::warn!(function = %entry.spec.name, worker = %worker.name, "redeploy after restart failed: {e}");
            }
        }
        entry.set_state(state);
    }

    /// Removes a function from every worker, the registry and the store;
    /// a deployment still running is stopped first, so what it deployed is
    /// removed too rather than left behind.
    pub async fn delete(&self, name: &str) -> Result<bool, StoreError> {
        let entry = self.inner.registry.remove(name);
        if let Some(entry) = &entry {
            entry.stop_deployment();
        }
        self.inner.models.forget(name);
        self.inner.learner.forget(name);
        self.inner.catalog.remove(name);
        if let Some(entry) = &entry {
            for &w in &entry.workers {
                let worker = &self.inner.workers[w.index()];
                if let Err(e) = worker.platform.remove(name).await {
                    tracing::warn!(function = name, worker = %worker.name, "remove failed: {e}");
                }
            }
        }
        Ok(self.inner.store.delete_function(name).await? || entry.is_some())
    }

    pub fn function(&self, name: &str) -> Option<FunctionView> {
        self.inner.registry.get(name).map(|e| self.view(&e))
    }

    pub fn functions(&self) -> Vec<FunctionView> {
        self.inner.registry.all().iter().map(|e| self.view(e)).collect()
    }

    pub(super) fn view(&self, entry: &FunctionEntry) -> FunctionView {
        let (state, reason) = entry.state().shown();
        FunctionView {
            name: entry.spec.name.clone(),
            state,
            reason,
            edge_supported: entry.spec.edge_supported,
            cloud_supported: entry.spec.cloud_supported,
            memory_mb: entry.spec.memory_mb,
            timeout_s: entry.spec.timeout_s,
            workers: entry.workers.iter().map(|&w| self.worker_name(w).to_owned()).collect(),
            created_at_ms: entry.created_at_ms,
            training: entry.training(),
            models: self.models_of(entry),
        }
    }

    fn models_of(&self, entry: &FunctionEntry) -> std::collections::BTreeMap<String, ModelSummary> {
        let Some(slots) = self.inner.models.slots(&entry.spec.name) else { return Default::default() };
        entry
            .workers
            .iter()
            .filter_map(|&w| {
                let m = slots[w.index()].as_deref()?;
                Some((self.worker_name(w).to_owned(), Model::summary(m)))
            })
            .collect()
    }
}
