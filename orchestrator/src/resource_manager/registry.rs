//! The in-memory function registry that the invoke path reads instead of
//! the store. It mirrors the store's functions table; the lifecycle code
//! writes both, store first.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

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
}

impl FunctionEntry {
    pub fn new(
        spec: FunctionSpec,
        workers: Vec<WorkerId>,
        created_at_ms: i64,
        state: FunctionState,
        training: Option<TrainingReport>,
    ) -> Self {
        FunctionEntry { name: spec.name.as_str().into(), spec, workers, created_at_ms, state: RwLock::new((state, training)) }
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
