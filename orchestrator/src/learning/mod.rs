//! The learning manager (dissertation 3.5): duration models per
//! function × worker, how they are cleaned, fitted and kept learning, and
//! the predictions the router reads.
//!
//! - [`cleaning`]: outlier removal (`none`, `zscore`, `iqr`, `both`).
//! - [`regression`]: OLS with linfa, and the same line from sufficient
//!   statistics.
//! - [`family`]: which curve (constant, √n, n, n log n, n²) a model is a
//!   line in, chosen by held-out error.
//! - [`quota`]: on a worker whose CPU quota holds long calls back, the
//!   held-back calls on a line of their own.
//! - [`model`]: one model, fitted in full or absorbing rows in O(1).
//! - [`learner`]: the task that owns the models and learns from executions.
//! - [`profile`], [`similarity`]: feature vectors, K-means clustering and
//!   the similarity decision behind transfer learning.
//! - [`ModelCache`]: the in-memory copy the invoke path reads, so no request
//!   reads the store.

pub mod cleaning;
pub mod family;
pub mod learner;
pub mod model;
pub mod profile;
pub mod quota;
pub mod regression;
pub mod similarity;

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

pub use hetfaas_api::{Incremental, Line};
use serde::{Deserialize, Serialize};

use crate::store::ModelRecord;
use crate::worker::{WorkerId, WorkerNames};

/// The `[learning]` section of the configuration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LearningConfig {
    #[serde(default = "default_incremental")]
    pub incremental: Incremental,
    #[serde(default)]
    pub cleaning: cleaning::Cleaning,
    #[serde(default)]
    pub similarity: similarity::SimilarityConfig,
    /// Weight, in rows, of a source model's history in a transferred model.
    #[serde(default = "default_prior_rows")]
    pub transfer_prior_rows: f64,
    /// The curve family of every model: `"auto"` (chosen per model by
    /// held-out error) or one of `constant`, `sqrt`, `linear` (the
    /// dissertation's), `n-log-n`, `quadratic`.
    #[serde(default)]
    pub model: family::ModelChoice,
}

fn default_prior_rows() -> f64 {
    50.0
}

fn default_incremental() -> Incremental {
    Incremental::SufficientStatistics
}

impl Default for LearningConfig {
    fn default() -> Self {
        LearningConfig {
            incremental: default_incremental(),
            cleaning: cleaning::Cleaning::default(),
            similarity: similarity::SimilarityConfig::default(),
            transfer_prior_rows: default_prior_rows(),
            model: family::ModelChoice::default(),
        }
    }
}

/// One function's models, indexed by worker.
pub type Slots = Arc<[Option<Arc<ModelRecord>>]>;

/// The models of every function, one slot per configured worker: what the
/// router predicts with, so no request reads the store.
///
/// Cloning is a reference-count bump. The lock is held only to look up or
/// swap one function's slots, never across an `.await`.
#[derive(Debug, Clone)]
pub struct ModelCache {
    workers: WorkerNames,
    models: Arc<RwLock<HashMap<String, Slots>>>,
}

impl ModelCache {
    pub fn new(workers: WorkerNames) -> ModelCache {
        ModelCache { workers, models: Arc::default() }
    }

    /// The models of one function, indexed by worker.
    pub fn slots(&self, function: &str) -> Option<Slots> {
        self.models.read().expect("model cache lock poisoned").get(function).cloned()
    }

    /// Installs the model of `worker`.
    pub fn install(&self, worker: WorkerId, model: &ModelRecord) {
        let mut models = self.models.write().expect("model cache lock poisoned");
        let slots = models.entry(model.function.clone()).or_insert_with(|| vec![None; self.workers.len()].into());
        let mut updated = slots.to_vec();
        updated[worker.index()] = Some(Arc::new(model.clone()));
        *slots = updated.into();
    }

    pub fn forget(&self, function: &str) {
        self.models.write().expect("model cache lock poisoned").remove(function);
    }
}

/// The prediction of `worker`'s model in `slots`, if it has one.
pub fn predict(slots: Option<&Slots>, worker: WorkerId, input_size: u64) -> Option<f64> {
    slots?[worker.index()].as_deref().map(|m| m.line.predict(input_size))
}
