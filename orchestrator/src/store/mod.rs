//! The store: every component reads and writes persistent state through the
//! [`Store`] trait, never through a database client directly.
//!
//! Entities: functions, executions (one row per invocation, the wire
//! contract's [`Execution`]), models (one per function × worker, as plain
//! numbers), clusters, and credentials (write-mostly; never returned by
//! the API).
//! The invoke path does not read the store: it works from in-memory copies
//! and hands execution rows to a background writer.

#[cfg(feature = "scylla")]
pub mod scylla;
pub mod sqlite;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use async_trait::async_trait;
pub use hetfaas_api::{Cluster, Execution};
use hetfaas_api::{Line, TrainingReport};
use serde::{Deserialize, Serialize};

use crate::function::{FunctionSpec, FunctionState};

/// A function as persisted: the spec plus what happened to it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredFunction {
    pub spec: FunctionSpec,
    pub state: FunctionState,
    pub created_at_ms: i64,
    /// How the function was trained; none until training has finished.
    pub training: Option<TrainingReport>,
}

/// Reads a stored training report. `{}` is how a function not yet trained
/// was stored before the report was typed, and reads as none.
pub(crate) fn training_from_json(text: &str) -> Result<Option<TrainingReport>, serde_json::Error> {
    match serde_json::from_str::<serde_json::Value>(text)? {
        serde_json::Value::Object(o) if o.is_empty() => Ok(None),
        value => serde_json::from_value(value),
    }
}

/// A successful warm row of function `f`, for unit tests.
#[cfg(test)]
pub(crate) fn sample_execution(worker: &str, input_size: u64, duration_ms: f64, started_at_ms: i64) -> Execution {
    Execution {
        function: "f".into(),
        worker: worker.into(),
        input_size,
        duration_ms,
        success: true,
        error: None,
        predicted_ms: BTreeMap::new(),
        policy: hetfaas_api::PolicyKind::Predicted,
        started_at_ms,
        cold: false,
        training: false,
        client_gone: false,
        cpu_ms: None,
        maxrss_kb: None,
    }
}

/// A duration model of one function on one worker, as plain data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelRecord {
    pub function: String,
    pub worker: String,
    pub line: Line,
    pub samples: u64,
    pub r2: f64,
    pub cleaning: String,
    pub window_start_ms: i64,
    pub window_end_ms: i64,
    /// Learner state beyond the line itself (for example sufficient
    /// statistics), so incremental learning resumes after a restart.
    pub state: serde_json::Value,
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("function {0:?} already exists")]
    AlreadyExists(String),
    #[error("database error: {0}")]
    Database(String),
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
}

#[async_trait]
pub trait Store: Send + Sync + std::fmt::Debug {
    /// Adds a new function; fails with [`StoreError::AlreadyExists`].
    async fn insert_function(&self, function: &StoredFunction) -> Result<(), StoreError>;
    /// Replaces a function's stored state and training information; a
    /// function no longer stored (deleted meanwhile) stays deleted.
    async fn update_function(&self, function: &StoredFunction) -> Result<(), StoreError>;
    async fn functions(&self) -> Result<Vec<StoredFunction>, StoreError>;
    /// Deletes a function with its executions and models; false if absent.
    async fn delete_function(&self, name: &str) -> Result<bool, StoreError>;

    /// Appends a batch of execution rows in one transaction.
    async fn append_executions(&self, rows: &[Execution]) -> Result<(), StoreError>;
    /// A function's executions in insertion order, optionally for one worker.
    async fn executions(&self, function: &str, worker: Option<&str>) -> Result<Vec<Execution>, StoreError>;
    /// Up to `limit` of a function's executions from the `offset`-th on,
    /// in insertion order.
    async fn executions_page(&self, function: &str, offset: u64, limit: u64) -> Result<Vec<Execution>, StoreError>;

    async fn put_model(&self, model: &ModelRecord) -> Result<(), StoreError>;
    async fn models(&self) -> Result<Vec<ModelRecord>, StoreError>;

    /// Replaces the whole clustering.
    async fn put_clusters(&self, clusters: &[Cluster]) -> Result<(), StoreError>;

    /// Replaces the credentials of one scope (for example `aws`).
    async fn put_credentials(&self, scope: &str, values: &BTreeMap<String, String>) -> Result<(), StoreError>;
    async fn credentials(&self, scope: &str) -> Result<Option<BTreeMap<String, String>>, StoreError>;
}

/// The `[store]` section of the configuration.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(tag = "kind", rename_all = "lowercase", deny_unknown_fields)]
pub enum StoreConfig {
    /// An embedded SQLite file; by default `hetfaas.db` in the data directory.
    Sqlite {
        #[serde(default)]
        path: Option<PathBuf>,
    },
    /// Apache Cassandra or ScyllaDB, feature `scylla`.
    #[cfg(feature = "scylla")]
    Scylla(scylla::ScyllaConfig),
}

impl Default for StoreConfig {
    fn default() -> Self {
        StoreConfig::Sqlite { path: None }
    }
}

impl StoreConfig {
    pub async fn build(&self, data_dir: &std::path::Path) -> Result<Arc<dyn Store>, StoreError> {
        match self {
            StoreConfig::Sqlite { path } => {
                let path = path.clone().unwrap_or_else(|| data_dir.join("hetfaas.db"));
                Ok(Arc::new(sqlite::SqliteStore::open(&path).await?))
            }
            #[cfg(feature = "scylla")]
            StoreConfig::Scylla(config) => Ok(Arc::new(scylla::ScyllaStore::open(config).await?)),
        }
    }
}
