//! Creating, restoring and deleting functions (dissertation 3.4.1).
//!
//! `create` validates and stores the function, then answers at once; the
//! deployment to every supported worker runs in the background and moves
//! the function from `deploying` to `ready` (or `failed`, with the reason).

use std::sync::Arc;

use serde::Serialize;

use super::Orchestrator;
use super::registry::FunctionEntry;
use crate::function::{FunctionSpec, FunctionState, InvalidFunction};
use crate::platform::DeployError;
use crate::store::{StoreError, StoredFunction};

/// A function as the API shows it.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct FunctionView {
    pub name: String,
    pub state: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    pub edge_supported: bool,
    pub cloud_supported: bool,
    pub memory_mb: u32,
    pub timeout_s: u32,
    pub workers: Vec<String>,
    pub created_at_ms: i64,
    pub training: serde_json::Value,
    /// Each worker's model: intercept, slope, R², samples, cleaning.
    pub models: serde_json::Map<String, serde_json::Value>,
}

#[derive(Debug, thiserror::Error)]
pub enum CreateError {
    #[error(transparent)]
    Invalid(#[from] InvalidFunction),
    #[error("function {0:?} already exists")]
    Exists(String),
    #[error("no configured worker can run function {0:?}: its supported tiers have no workers")]
    NoWorker(String),
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
        let stored = StoredFunction {
            spec: spec.clone(),
            state: FunctionState::Deploying,
            created_at_ms: now_ms(),
            training: serde_json::json!({}),
        };
        self.inner.store.insert_function(&stored).await.map_err(|e| match e {
            StoreError::AlreadyExists(name) => CreateError::Exists(name),
            other => CreateError::Store(other),
        })?;
        let entry = Arc::new(FunctionEntry::new(spec, workers, stored.created_at_ms, stored.state, stored.training));
        self.inner.registry.insert(entry.clone());
        let this = self.clone();
        let deploying = entry.clone();
        tokio::spawn(async move { this.deploy(&deploying).await });
        Ok(self.view(&entry))
    }

    fn supporting_workers(&self, spec: &FunctionSpec) -> Vec<usize> {
        (0..self.inner.workers.len()).filter(|&i| spec.supports(self.inner.workers[i].tier)).collect()
    }

    /// Deploys on every supporting worker at once, then trains. A code error
    /// fails the function; a worker that cannot deploy fails it too, with
    /// that worker named.
    async fn deploy(&self, entry: &FunctionEntry) {
        let mut tasks = tokio::task::JoinSet::new();
        for &i in &entry.workers {
            let platform = self.inner.workers[i].platform.clone();
            let spec = entry.spec.clone();
            tasks.spawn(async move { platform.deploy(&spec).await });
        }
        let mut failure = None;
        while let Some(result) = tasks.join_next().await {
            match result.expect("deploy task panicked") {
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
        entry.set_training(serde_json::to_value(&report).expect("reports serialise"));
        self.set_state(entry, FunctionState::Ready).await;
    }

    async fn set_state(&self, entry: &FunctionEntry, state: FunctionState) {
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
            if let Ok(Some(features)) = serde_json::from_value::<Option<Vec<f64>>>(stored.training["features"].clone()) {
                self.inner.catalog.insert(&stored.spec.name, features);
            }
            let workers = self.supporting_workers(&stored.spec);
            let redeploy = !matches!(stored.state, FunctionState::Failed(_));
            let state = if redeploy { FunctionState::Deploying } else { stored.state.clone() };
            let entry = Arc::new(FunctionEntry::new(stored.spec, workers, stored.created_at_ms, state, stored.training));
            self.inner.registry.insert(entry.clone());
            if redeploy {
                let this = self.clone();
                tokio::spawn(async move { this.redeploy(&entry, stored.state).await });
            }
        }
        self.recluster().await;
        Ok(())
    }

    async fn redeploy(&self, entry: &FunctionEntry, state: FunctionState) {
        for &i in &entry.workers {
            let worker = &self.inner.workers[i];
            if let Err(e) = worker.platform.deploy(&entry.spec).await {
                tracing::warn!(function = %entry.spec.name, worker = %worker.name, "redeploy after restart failed: {e}");
            }
        }
        entry.set_state(state);
    }

    /// Removes a function from every worker, the registry and the store.
    pub async fn delete(&self, name: &str) -> Result<bool, StoreError> {
        let entry = self.inner.registry.remove(name);
        self.inner.models.forget(name);
        self.inner.learner.forget(name);
        self.inner.catalog.remove(name);
        if let Some(entry) = &entry {
            for &i in &entry.workers {
                let worker = &self.inner.workers[i];
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
        let state = entry.state();
        FunctionView {
            name: entry.spec.name.clone(),
            state: state.label(),
            reason: match state {
                FunctionState::Failed(reason) => Some(reason),
                _ => None,
            },
            edge_supported: entry.spec.edge_supported,
            cloud_supported: entry.spec.cloud_supported,
            memory_mb: entry.spec.memory_mb,
            timeout_s: entry.spec.timeout_s,
            workers: entry.workers.iter().map(|&i| self.inner.workers[i].name.clone()).collect(),
            created_at_ms: entry.created_at_ms,
            training: entry.training(),
            models: self.models_of(entry),
        }
    }

    fn models_of(&self, entry: &FunctionEntry) -> serde_json::Map<String, serde_json::Value> {
        let Some(slots) = self.inner.models.slots(&entry.spec.name) else { return serde_json::Map::new() };
        entry
            .workers
            .iter()
            .filter_map(|&i| {
                let m = slots[i].as_deref()?;
                let summary = serde_json::json!({
                    "intercept": m.intercept, "slope": m.slope, "r2": m.r2, "samples": m.samples, "cleaning": m.cleaning,
                    "window_end_ms": m.window_end_ms,
                });
                Some((self.inner.workers[i].name.clone(), summary))
            })
            .collect()
    }
}
