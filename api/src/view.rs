//! What the server shows: a function, its predictions, its executions, the
//! clusters, and the health of the whole.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::{Decision, Execution, ModelSummary, State, Tier, TrainingReport};

/// A function as `GET /functions/{name}` shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FunctionView {
    pub name: String,
    pub state: State,
    /// Why it failed, for a `failed` function.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    pub edge_supported: bool,
    pub cloud_supported: bool,
    pub memory_mb: u32,
    pub timeout_s: u32,
    /// The workers it is deployed on, in configuration order.
    pub workers: Vec<String>,
    pub created_at_ms: i64,
    /// How it was trained; absent until training has finished.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub training: Option<TrainingReport>,
    /// Each worker's model, by worker name.
    #[serde(default)]
    pub models: BTreeMap<String, ModelSummary>,
}

/// `GET /functions`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FunctionList {
    pub functions: Vec<FunctionView>,
}

/// `GET /functions/{name}/predictions?input_size=N`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Predictions {
    pub function: String,
    pub input_size: u64,
    /// Predicted duration per worker that has a model.
    pub predictions_ms: BTreeMap<String, f64>,
}

/// `GET /functions/{name}/executions?offset=N&limit=M`: stored rows, oldest
/// first, one page at a time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExecutionPage {
    pub function: String,
    pub offset: u64,
    pub executions: Vec<Execution>,
    /// The offset of the next page; absent on the last one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next: Option<u64>,
}

/// One K-means cluster of functions (`PUT /cluster`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Cluster {
    pub id: u32,
    /// In standardised feature space.
    pub centroid: Vec<f64>,
    pub members: Vec<String>,
}

/// `PUT /cluster`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Clusters {
    pub clusters: Vec<Cluster>,
}

/// `PUT /transfer/{name}`: what the similarity check decided and the
/// function as it now is.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TransferOutcome {
    pub decision: Option<Decision>,
    pub function: FunctionView,
}

/// Resource use of a worker, each in 0..=1 of what it may use.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Utilisation {
    pub cpu: f64,
    pub memory: f64,
}

/// `GET /healthz`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Health {
    /// `ok`, or `failing` when a background task has died (the server then
    /// stops, with an error, once it has written what it can).
    pub status: String,
    /// Why it is failing.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub failures: Vec<String>,
    pub workers: Vec<WorkerHealth>,
    pub functions: usize,
    pub recorder: RecorderHealth,
    pub learner: LearnerHealth,
    /// Functions whose feature vectors belong to another worker set (trained
    /// under an earlier configuration), left out of transfer learning.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub features_set_aside: Vec<String>,
}

/// The learner task: whether it runs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LearnerHealth {
    pub running: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WorkerHealth {
    pub name: String,
    pub tier: Tier,
    pub healthy: bool,
    pub utilisation: Utilisation,
    /// Kind-specific state: limits in force, warm instances, endpoints.
    pub details: serde_json::Value,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecorderHealth {
    pub running: bool,
    /// Execution rows waiting to be written.
    pub queued: usize,
    pub written: u64,
    /// Rows that could not be written.
    pub failed: u64,
}
