//! The learning manager: duration models per function × worker, and the
//! predictions the router asks for.
//!
//! [`ModelCache`] is what the invoke path reads: an in-memory copy of every
//! model, so no request reads the store. It is filled from the store at start
//! and updated whenever a model is (re)fitted.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use crate::store::ModelRecord;

/// A fitted line `duration_ms = intercept + slope * input_size`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Line {
    pub intercept: f64,
    pub slope: f64,
}

impl Line {
    /// Predicted duration, never below zero (a line fitted to small sizes can
    /// cross zero when extrapolated downwards).
    pub fn predict(&self, input_size: u64) -> f64 {
        (self.intercept + self.slope * input_size as f64).max(0.0)
    }
}

/// One function's models, indexed by worker position.
pub type Slots = Arc<[Option<Line>]>;

/// The models of every function, one slot per configured worker.
///
/// Cloning is a reference-count bump. The lock is held only to look up or
/// swap one function's slots, never across an `.await`.
#[derive(Debug, Clone)]
pub struct ModelCache {
    workers: Arc<[String]>,
    models: Arc<RwLock<HashMap<String, Slots>>>,
}

impl ModelCache {
    pub fn new(workers: Vec<String>) -> ModelCache {
        ModelCache { workers: workers.into(), models: Arc::default() }
    }

    /// The models of one function, indexed by worker position.
    pub fn lines(&self, function: &str) -> Option<Slots> {
        self.models.read().expect("model cache lock poisoned").get(function).cloned()
    }

    /// Installs a stored model; models of workers no longer configured are
    /// ignored.
    pub fn install(&self, model: &ModelRecord) {
        let Some(index) = self.workers.iter().position(|w| *w == model.worker) else {
            return;
        };
        let mut models = self.models.write().expect("model cache lock poisoned");
        let slots = models.entry(model.function.clone()).or_insert_with(|| vec![None; self.workers.len()].into());
        let mut updated = slots.to_vec();
        updated[index] = Some(Line { intercept: model.intercept, slope: model.slope });
        *slots = updated.into();
    }

    pub fn forget(&self, function: &str) {
        self.models.write().expect("model cache lock poisoned").remove(function);
    }
}
