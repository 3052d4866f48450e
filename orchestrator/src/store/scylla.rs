//! The `scylla` store (feature `scylla`): Apache Cassandra or ScyllaDB
//! through the `scylla` driver, for deployments beyond one machine
//! (dissertation 3.6, 4.2.2).
//!
//! The keyspace and tables are created on first start ([`schema`]); every
//! statement is prepared once. Rich values (a function's spec, training
//! report, a model's learner state) are JSON text columns, as in SQLite.

mod schema;

use std::collections::BTreeMap;

use async_trait::async_trait;
use futures_util::{StreamExt, TryStreamExt};
use scylla::client::session::Session;
use scylla::client::session_builder::SessionBuilder;
use scylla::statement::prepared::PreparedStatement;
use scylla::value::{CqlValue, Row};
use serde::{Deserialize, Serialize};

use self::schema::*;
use hetfaas_api::{Line, PolicyKind};

use super::{Cluster, Execution, ModelRecord, Store, StoreError, StoredFunction};

/// The `[store]` settings of `kind = "scylla"`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ScyllaConfig {
    /// Contact points, `host:port`.
    pub nodes: Vec<String>,
    /// The keyspace's replication, as a CQL map.
    #[serde(default = "default_replication")]
    pub replication: String,
    /// Span of one executions partition.
    #[serde(default = "default_bucket_hours")]
    pub bucket_hours: u32,
    #[serde(default)]
    pub username: Option<String>,
    #[serde(default)]
    pub password: Option<String>,
}

fn default_replication() -> String {
    "{'class': 'SimpleStrategy', 'replication_factor': 1}".into()
}

fn default_bucket_hours() -> u32 {
    24
}

#[derive(Debug)]
pub struct ScyllaStore {
    session: Session,
    bucket_hours: u32,
    s: Statements,
}

/// Every statement, prepared once at start.
#[derive(Debug)]
struct Statements {
    insert_function: PreparedStatement,
    update_function: PreparedStatement,
    select_function: PreparedStatement,
    select_functions: PreparedStatement,
    delete_function: PreparedStatement,
    insert_execution: PreparedStatement,
    select_executions: PreparedStatement,
    delete_executions: PreparedStatement,
    insert_bucket: PreparedStatement,
    select_buckets: PreparedStatement,
    delete_buckets: PreparedStatement,
    upsert_model: PreparedStatement,
    select_models: PreparedStatement,
    delete_models: PreparedStatement,
    delete_clusters: PreparedStatement,
    insert_cluster: PreparedStatement,
    upsert_credentials: PreparedStatement,
    select_credentials: PreparedStatement,
}

fn db(e: impl std::fmt::Display) -> StoreError {
    StoreError::Database(e.to_string())
}

fn corrupt(e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(e.to_string())
}

type FunctionRow = (String, String, i64, String);
type ExecutionRow = (
    String,
    i64,
    f64,
    bool,
    Option<String>,
    Option<BTreeMap<String, f64>>,
    String,
    i64,
    bool,
    bool,
    Option<f64>,
    Option<i64>,
    Option<bool>,
);
type ModelRow = (String, String, f64, f64, i64, f64, String, i64, i64, String);

impl ScyllaStore {
    pub async fn open(config: &ScyllaConfig) -> Result<ScyllaStore, StoreError> {
        let mut builder = SessionBuilder::new().known_nodes(&config.nodes);
        if let (Some(user), Some(password)) = (&config.username, &config.password) {
            builder = builder.user(user, password);
        }
        let session = builder.build().await.map_err(|e| db(format!("connecting to {:?}: {e}", config.nodes)))?;
        for statement in schema(&config.replication) {
            session.query_unpaged(statement, &[]).await.map_err(|e| db(format!("creating the schema: {e}")))?;
        }
        // A table from before `client_gone` gains it; a current one refuses.
        let _ = session.query_unpaged(ADD_CLIENT_GONE, &[]).await;
        session.await_schema_agreement().await.map_err(db)?;
        let s = Statements::prepare(&session).await?;
        Ok(ScyllaStore { session, bucket_hours: config.bucket_hours, s })
    }

    async fn rows<R>(&self, statement: &PreparedStatement, values: impl scylla::serialize::row::SerializeRow) -> Result<Vec<R>, StoreError>
    where
        R: for<'f, 'm> scylla::deserialize::row::DeserializeRow<'f, 'm> + 'static,
    {
        let pager = self.session.execute_iter(statement.clone(), values).await.map_err(db)?;
        pager.rows_stream::<R>().map_err(corrupt)?.map(|r| r.map_err(db)).try_collect().await
    }

    async fn run(&self, statement: &PreparedStatement, values: impl scylla::serialize::row::SerializeRow) -> Result<(), StoreError> {
        self.session.execute_unpaged(statement, values).await.map(drop).map_err(db)
    }

    async fn buckets(&self, function: &str) -> Result<Vec<i64>, StoreError> {
        Ok(self.rows::<(i64,)>(&self.s.select_buckets, (function,)).await?.into_iter().map(|(b,)| b).collect())
    }
}

impl Statements {
    async fn prepare(session: &Session) -> Result<Statements, StoreError> {
        let p = |cql: &'static str| async move { session.prepare(cql).await.map_err(|e| db(format!("preparing {cql}: {e}"))) };
        Ok(Statements {
            insert_function: p(INSERT_FUNCTION).await?,
            update_function: p(UPDATE_FUNCTION).await?,
            select_function: p(SELECT_FUNCTION).await?,
            select_functions: p(SELECT_FUNCTIONS).await?,
            delete_function: p(DELETE_FUNCTION).await?,
            insert_execution: p(INSERT_EXECUTION).await?,
            select_executions: p(SELECT_EXECUTIONS).await?,
            delete_executions: p(DELETE_EXECUTIONS).await?,
            insert_bucket: p(INSERT_BUCKET).await?,
            select_buckets: p(SELECT_BUCKETS).await?,
            delete_buckets: p(DELETE_BUCKETS).await?,
            upsert_model: p(UPSERT_MODEL).await?,
            select_models: p(SELECT_MODELS).await?,
            delete_models: p(DELETE_MODELS).await?,
            delete_clusters: p(DELETE_CLUSTERS).await?,
            insert_cluster: p(INSERT_CLUSTER).await?,
            upsert_credentials: p(UPSERT_CREDENTIALS).await?,
            select_credentials: p(SELECT_CREDENTIALS).await?,
        })
    }
}

fn function_values(f: &StoredFunction) -> Result<(String, String, String, i64, String), StoreError> {
    let spec = serde_json::to_string(&f.spec).map_err(corrupt)?;
    let state = serde_json::to_string(&f.state).map_err(corrupt)?;
    let training = serde_json::to_string(&f.training).map_err(corrupt)?;
    Ok((f.spec.name.clone(), spec, state, f.created_at_ms, training))
}

fn function_from((spec, state, created_at_ms, training): FunctionRow) -> Result<StoredFunction, StoreError> {
    Ok(StoredFunction {
        spec: serde_json::from_str(&spec).map_err(corrupt)?,
        state: serde_json::from_str(&state).map_err(corrupt)?,
        created_at_ms,
        training: super::training_from_json(&training).map_err(corrupt)?,
    })
}

fn execution_from(function: &str, row: ExecutionRow) -> Result<Execution, StoreError> {
    let (worker, input_size, duration_ms, success, error, predicted_ms, policy, started_at_ms, cold, training, cpu_ms, maxrss_kb, gone) =
        row;
    let policy = PolicyKind::parse(&policy).ok_or_else(|| StoreError::Corrupt(format!("unknown policy {policy:?}")))?;
    Ok(Execution {
        function: function.to_owned(),
        worker,
        input_size: input_size.max(0) as u64,
        duration_ms,
        success,
        error,
        predicted_ms: predicted_ms.unwrap_or_default(),
        policy,
        started_at_ms,
        cold,
        training,
        cpu_ms,
        maxrss_kb: maxrss_kb.map(|k| k.max(0) as u64),
        client_gone: gone.unwrap_or(false),
    })
}

#[async_trait]
impl Store for ScyllaStore {
    async fn insert_function(&self, function: &StoredFunction) -> Result<(), StoreError> {
        let result = self.session.execute_unpaged(&self.s.insert_function, function_values(function)?).await.map_err(db)?;
        let row = result.into_rows_result().map_err(corrupt)?.first_row::<Row>().map_err(corrupt)?;
        match row.columns.first() {
            Some(Some(CqlValue::Boolean(true))) => Ok(()),
            _ => Err(StoreError::AlreadyExists(function.spec.name.clone())),
        }
    }

    /// Applied only if the function still exists (a lightweight
    /// transaction): a delete that raced a deploy wins.
    async fn update_function(&self, function: &StoredFunction) -> Result<(), StoreError> {
        let (name, spec, state, _, training) = function_values(function)?;
        self.run(&self.s.update_function, (spec, state, training, name)).await
    }

    async fn functions(&self) -> Result<Vec<StoredFunction>, StoreError> {
        self.rows::<FunctionRow>(&self.s.select_functions, ()).await?.into_iter().map(function_from).collect()
    }

    async fn delete_function(&self, name: &str) -> Result<bool, StoreError> {
        let existed = !self.rows::<FunctionRow>(&self.s.select_function, (name,)).await?.is_empty();
        for bucket in self.buckets(name).await? {
            self.run(&self.s.delete_executions, (name, bucket)).await?;
        }
        self.run(&self.s.delete_buckets, (name,)).await?;
        self.run(&self.s.delete_models, (name,)).await?;
        self.run(&self.s.delete_function, (name,)).await?;
        Ok(existed)
    }

    /// Rows go out concurrently; a row's partition is its function and
    /// time bucket. Not atomic across rows, unlike SQLite's transaction.
    async fn append_executions(&self, rows: &[Execution]) -> Result<(), StoreError> {
        let writes = rows.iter().map(|r| async move {
            let bucket = bucket(r.started_at_ms, self.bucket_hours);
            let id = rand::random::<i64>();
            let values = (
                (&r.function, bucket, r.started_at_ms, id, &r.worker, r.input_size as i64, r.duration_ms, r.success),
                (&r.error, &r.predicted_ms, r.policy.as_str(), r.cold, r.training, r.cpu_ms, r.maxrss_kb.map(|k| k as i64), r.client_gone),
            );
            let (
                (function, bucket, started, id, worker, size, duration, success),
                (error, predicted, policy, cold, training, cpu, rss, gone),
            ) = values;
            let row =
                (function, bucket, started, id, worker, size, duration, success, error, predicted, policy, cold, training, cpu, rss, gone);
            self.run(&self.s.insert_execution, row).await?;
            self.run(&self.s.insert_bucket, (&r.function, bucket)).await
        });
        futures_util::future::try_join_all(writes).await.map(drop)
    }

    async fn executions(&self, function: &str, worker: Option<&str>) -> Result<Vec<Execution>, StoreError> {
        let mut out = Vec::new();
        for bucket in self.buckets(function).await? {
            for row in self.rows::<ExecutionRow>(&self.s.select_executions, (function, bucket)).await? {
                let row = execution_from(function, row)?;
                if worker.is_none_or(|w| row.worker == w) {
                    out.push(row);
                }
            }
        }
        Ok(out)
    }

    /// Reads the function's rows and keeps the page: a function's history
    /// is ordered by time bucket and start, not by a global row number.
    async fn executions_page(&self, function: &str, offset: u64, limit: u64) -> Result<Vec<Execution>, StoreError> {
        let rows = self.executions(function, None).await?;
        Ok(rows
            .into_iter()
            .skip(usize::try_from(offset).unwrap_or(usize::MAX))
            .take(usize::try_from(limit).unwrap_or(usize::MAX))
            .collect())
    }

    async fn put_model(&self, m: &ModelRecord) -> Result<(), StoreError> {
        let values = (
            &m.function,
            &m.worker,
            m.line.intercept,
            m.line.slope,
            m.samples as i64,
            m.r2,
            &m.cleaning,
            m.window_start_ms,
            m.window_end_ms,
            m.state.to_string(),
        );
        self.run(&self.s.upsert_model, values).await
    }

    async fn models(&self) -> Result<Vec<ModelRecord>, StoreError> {
        let rows = self.rows::<ModelRow>(&self.s.select_models, ()).await?;
        rows.into_iter()
            .map(|(function, worker, intercept, slope, samples, r2, cleaning, window_start_ms, window_end_ms, state)| {
                let state = serde_json::from_str(&state).map_err(corrupt)?;
                Ok(ModelRecord {
                    function,
                    worker,
                    line: Line::linear(intercept, slope),
                    samples: samples.max(0) as u64,
                    r2,
                    cleaning,
                    window_start_ms,
                    window_end_ms,
                    state,
                })
            })
            .collect()
    }

    async fn put_clusters(&self, clusters: &[Cluster]) -> Result<(), StoreError> {
        self.run(&self.s.delete_clusters, ()).await?;
        for c in clusters {
            self.run(&self.s.insert_cluster, (c.id as i32, &c.centroid, &c.members)).await?;
        }
        Ok(())
    }

    async fn put_credentials(&self, scope: &str, values: &BTreeMap<String, String>) -> Result<(), StoreError> {
        let value = serde_json::to_string(values).map_err(corrupt)?;
        self.run(&self.s.upsert_credentials, (scope, value)).await
    }

    async fn credentials(&self, scope: &str) -> Result<Option<BTreeMap<String, String>>, StoreError> {
        let rows = self.rows::<(String,)>(&self.s.select_credentials, (scope,)).await?;
        rows.into_iter().next().map(|(v,)| serde_json::from_str(&v).map_err(corrupt)).transpose()
    }
}
