//! The learning manager (dissertation 3.5): duration models per
//! function × worker, how they are cleaned, fitted and kept learning, and
//! the predictions the router reads.
//!
//! - [`cleaning`]: outlier removal (`none`, `zscore`, `iqr`, `both`).
//! - [`regression`]: OLS with linfa, and the same line from sufficient
//!   statistics.
//! - [`model`]: one model, fitted in full or absorbing rows in O(1).
//! - [`learner`]: the task that owns the models and learns from executions.
//! - [`profile`], [`similarity`]: feature vectors, K-means clustering and
//!   the similarity decision behind transfer learning.
//! - [`ModelCache`]: the in-memory copy the invoke path reads, so no request
//!   reads the store.

pub mod cleaning;
pub mod learner;
pub mod model;
pub mod profile;
pub mod regression;
pub mod similarity;

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use serde::{Deserialize, Serialize};

use crate::store::ModelRecord;

/// How models keep learning after training (dissertation 3.5.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Incremental {
    /// O(1) per execution: sufficient statistics, screened by the bounds of
    /// the last cleaning, re-cleaned each time the history doubles.
    SufficientStatistics,
    /// The dissertation's: refit on the whole cleaned history every time
    /// (cost grows with the history).
    RefitAll,
    /// Models change only when trained explicitly.
    Off,
}

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
        }
    }
}

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
pub type Slots = Arc<[Option<Arc<ModelRecord>>]>;

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
    pub fn slots(&self, function: &str) -> Option<Slots> {
        self.models.read().expect("model cache lock poisoned").get(function).cloned()
    }

    /// Installs a model; models of workers no longer configured are ignored.
    pub fn install(&self, model: &ModelRecord) {
        let Some(index) = self.workers.iter().position(|w| *w == model.worker) else { return };
        let mut models = self.models.write().expect("model cache lock poisoned");
        let slots = models.entry(model.function.clone()).or_insert_with(|| vec![None; self.workers.len()].into());
        let mut updated = slots.to_vec();
        updated[index] = Some(Arc::new(model.clone()));
        *slots = updated.into();
    }

    pub fn forget(&self, function: &str) {
        self.models.write().expect("model cache lock poisoned").remove(function);
    }
}

/// The line of a stored model.
pub fn line(model: &ModelRecord) -> Line {
    Line { intercept: model.intercept, slope: model.slope }
}
