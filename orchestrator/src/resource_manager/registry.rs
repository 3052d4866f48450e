//! The in-memory function registry that the invoke path reads instead of
//! the store. It mirrors the store's functions table; the lifecycle code
//! writes both, store first.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};

use tokio::task::AbortHandle;

use hetfaas_api::TrainingReport;

use crate::function::{FunctionSpec, FunctionState};
use crate::worker::WorkerId;

#[derive(Debug)]
pub struct FunctionEntry {
    pub spec: FunctionSpec,
    /// The name again, shared: every execution row carries it.
    pub name: Arc<str>,
    /// The configured workers whose tier the function supports.
    pub workers: Vec<WorkerId>,
    pub created_at_ms: i64,
    state: RwLock<(FunctionState, Option<TrainingReport>)>,
    /// Its deployment and training while they run: deleting the function
    /// stops them before removing what they deployed.
    deployment: Mutex<Option<AbortHandle>>,
}

impl FunctionEntry {
    pub fn new(
        spec: FunctionSpec,
        workers: Vec<WorkerId>,
        created_at_ms: i64,
        state: FunctionState,
        training: Option<TrainingReport>,
    ) -> Self {
        let name = spec.name.as_str().into();
        FunctionEntry { name, spec, workers, created_at_ms, state: RwLock::new((state, training)), deployment: Mutex::default() }
    }

    pub fn set_deployment(&self, task: Option<AbortHandle>) {
        *self.deployment.lock().expect("deployment lock poisoned") = task;
    }

    /// Stops the deployment and training, if they still run.
    pub fn stop_deployment(&self) {
        if let Some(task) = self.deployment.lock().expect("deployment lock poisoned").take() {
            task.abort();
        }
    }

    pub fn state(&self) -> FunctionState {
        self.state.read().expect("function state lock poisoned").0.clone()
    }

    pub fn training(&self) -> Option<TrainingReport> {
        self.state.read().expect("function state lock poisoned").1.clone()
    }

    pub fn set_state(&self, state: FunctionState) {
        self.state.write().expect("function state lock poisoned").0 = state;
    }

    pub fn set_training(&self, training: TrainingReport) {
        self.state.write().expect("function state lock poisoned").1 = Some(training);
    }
}

#[derive(Debug, Default)]
pub struct Registry {
    functions: RwLock<HashMap<String, Arc<FunctionEntry>>>,
}

impl Registry {
    pub fn get(&self, name: &str) -> Option<Arc<FunctionEntry>> {
        self.functions.read().expect("registry lock poisoned").get(name).cloned()
    }

    pub fn all(&self) -> Vec<Arc<FunctionEntry>> {
        let mut all: Vec<_> = self.functions.read().expect("registry lock poisoned").values().cloned().collect();
        all.sort_by(|a, b| (a.created_at_ms, &a.spec.name).cmp(&(b.created_at_ms, &b.spec.name)));
        all
    }

    pub fn len(&self) -> usize {
        self.functions.read().expect("registry lock poisoned").len()
    }

    pub fn insert(&self, entry: Arc<FunctionEntry>) {
        self.functions.write().expect("registry lock poisoned").insert(entry.spec.name.clone(), entry);
    }

    pub fn remove(&self, name: &str) -> Option<Arc<FunctionEntry>> {
        self.functions.write().expect("registry lock poisoned").remove(name)
    }
}
