//! The embedded store: one SQLite file in write-ahead-log mode.
//!
//! One connection behind a `std::sync::Mutex`, used only inside
//! `spawn_blocking`: SQLite serialises writers anyway, the lock is never
//! held across an `.await`, and the async runtime never blocks on disk.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use rusqlite::{Connection, OptionalExtension, Row, params};

use hetfaas_api::PolicyKind;

use super::{Cluster, Execution, ModelRecord, Store, StoreError, StoredFunction};

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS functions (
    name TEXT PRIMARY KEY,
    spec TEXT NOT NULL,
    state TEXT NOT NULL,
    created_at_ms INTEGER NOT NULL,
    training TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS executions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    function TEXT NOT NULL,
    worker TEXT NOT NULL,
    input_size INTEGER NOT NULL,
    duration_ms REAL NOT NULL,
    success INTEGER NOT NULL,
    error TEXT,
    predicted_ms TEXT NOT NULL,
    policy TEXT NOT NULL,
    started_at_ms INTEGER NOT NULL,
    cold INTEGER NOT NULL,
    training INTEGER NOT NULL,
    cpu_ms REAL,
    maxrss_kb INTEGER,
    client_gone INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS executions_by_function ON executions (function, worker, id);
CREATE TABLE IF NOT EXISTS models (
    function TEXT NOT NULL,
    worker TEXT NOT NULL,
    intercept REAL NOT NULL,
    slope REAL NOT NULL,
    samples INTEGER NOT NULL,
    r2 REAL NOT NULL,
    cleaning TEXT NOT NULL,
    window_start_ms INTEGER NOT NULL,
    window_end_ms INTEGER NOT NULL,
    state TEXT NOT NULL,
    PRIMARY KEY (function, worker)
);
CREATE TABLE IF NOT EXISTS clusters (
    id INTEGER PRIMARY KEY,
    centroid TEXT NOT NULL,
    members TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS credentials (
    scope TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
";

/// The schema's version (`PRAGMA user_version`) and how to reach it from
/// each earlier one: version 1 had no `client_gone`.
const VERSION: i64 = 2;
const MIGRATIONS: [(i64, &str); 1] = [(1, "ALTER TABLE executions ADD COLUMN client_gone INTEGER NOT NULL DEFAULT 0")];

#[derive(Debug, Clone)]
pub struct SqliteStore {
    conn: Arc<Mutex<Connection>>,
}

fn db(e: rusqlite::Error) -> StoreError {
    StoreError::Database(e.to_string())
}

fn to_json<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_string(value).expect("plain data always serialises")
}

fn from_json<T: serde::de::DeserializeOwned>(text: &str) -> rusqlite::Result<T> {
    serde_json::from_str(text).map_err(corrupt)
}

impl SqliteStore {
    /// Opens (creating if needed) the database file and its schema.
    pub async fn open(path: &Path) -> Result<SqliteStore, StoreError> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| StoreError::Database(format!("cannot create {}: {e}", dir.display())))?;
        }
        let path = path.to_owned();
        let conn = tokio::task::spawn_blocking(move || -> rusqlite::Result<Connection> {
            let fresh = !path.exists();
            let conn = Connection::open(&path)?;
            // Credentials live here: the file is its owner's alone (SQLite
            // gives its -wal and -shm files the same mode).
            let _ = std::fs::set_permissions(&path, std::os::unix::fs::PermissionsExt::from_mode(0o600));
            conn.pragma_update(None, "journal_mode", "WAL")?;
            conn.pragma_update(None, "synchronous", "NORMAL")?;
            conn.busy_timeout(std::time::Duration::from_secs(5))?;
            let version: i64 = if fresh { VERSION } else { conn.pragma_query_value(None, "user_version", |r| r.get(0))? };
            conn.execute_batch(SCHEMA)?;
            for (from, migration) in MIGRATIONS.iter().filter(|(from, _)| *from >= version.max(1)) {
                tracing::info!("upgrading the database from schema version {from}");
                conn.execute_batch(migration)?;
            }
            conn.pragma_update(None, "user_version", VERSION)?;
            Ok(conn)
        })
        .await
        .expect("sqlite open task panicked")
        .map_err(db)?;
        Ok(SqliteStore { conn: Arc::new(Mutex::new(conn)) })
    }

    async fn with<T: Send + 'static>(
        &self,
        work: impl FnOnce(&mut Connection) -> rusqlite::Result<T> + Send + 'static,
    ) -> Result<T, StoreError> {
        let conn = self.conn.clone();
        tokio::task::spawn_blocking(move || work(&mut conn.lock().expect("sqlite lock poisoned")))
            .await
            .expect("sqlite task panicked")
            .map_err(|e| match e {
                rusqlite::Error::FromSqlConversionFailure(_, _, inner) => StoreError::Corrupt(inner.to_string()),
                other => db(other),
            })
    }
}

/// A stored text that does not decode as `T`.
fn corrupt(e: impl std::error::Error + Send + Sync + 'static) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, Box::new(e))
}

fn function_row(row: &Row<'_>) -> rusqlite::Result<StoredFunction> {
    Ok(StoredFunction {
        spec: from_json(&row.get::<_, String>(0)?)?,
        state: from_json(&row.get::<_, String>(1)?)?,
        created_at_ms: row.get(2)?,
        training: super::training_from_json(&row.get::<_, String>(3)?).map_err(corrupt)?,
    })
}

fn execution_row(row: &Row<'_>) -> rusqlite::Result<Execution> {
    Ok(Execution {
        function: row.get(0)?,
        worker: row.get(1)?,
        input_size: row.get::<_, i64>(2)? as u64,
        duration_ms: row.get(3)?,
        success: row.get(4)?,
        error: row.get(5)?,
        predicted_ms: from_json(&row.get::<_, String>(6)?)?,
        policy: {
            let name = row.get::<_, String>(7)?;
            PolicyKind::parse(&name).ok_or_else(|| corrupt(std::io::Error::other(format!("unknown policy {name:?}"))))?
        },
        started_at_ms: row.get(8)?,
        cold: row.get(9)?,
        training: row.get(10)?,
        cpu_ms: row.get(11)?,
        maxrss_kb: row.get::<_, Option<i64>>(12)?.map(|v| v as u64),
        client_gone: row.get(13)?,
    })
}

fn model_row(row: &Row<'_>) -> rusqlite::Result<ModelRecord> {
    Ok(ModelRecord {
        function: row.get(0)?,
        worker: row.get(1)?,
        line: hetfaas_api::Line::linear(row.get(2)?, row.get(3)?),
        samples: row.get::<_, i64>(4)? as u64,
        r2: row.get(5)?,
        cleaning: row.get(6)?,
        window_start_ms: row.get(7)?,
        window_end_ms: row.get(8)?,
        state: from_json(&row.get::<_, String>(9)?)?,
    })
}

const FUNCTION_COLUMNS: &str = "SELECT spec, state, created_at_ms, training FROM functions";
const EXECUTION_COLUMNS: &str = "SELECT function, worker, input_size, duration_ms, success, error, predicted_ms, policy, \
     started_at_ms, cold, training, cpu_ms, maxrss_kb, client_gone FROM executions";

#[async_trait]
impl Store for SqliteStore {
    async fn insert_function(&self, f: &StoredFunction) -> Result<(), StoreError> {
        let (name, spec, state, training) = (f.spec.name.clone(), to_json(&f.spec), to_json(&f.state), to_json(&f.training));
        let created = f.created_at_ms;
        let inserted = self
            .with(move |c| {
                c.execute(
                    "INSERT OR IGNORE INTO functions (name, spec, state, created_at_ms, training) VALUES (?1, ?2, ?3, ?4, ?5)",
                    params![name, spec, state, created, training],
                )
            })
            .await?;
        if inserted == 0 { Err(StoreError::AlreadyExists(f.spec.name.clone())) } else { Ok(()) }
    }

    async fn update_function(&self, f: &StoredFunction) -> Result<(), StoreError> {
        let (name, spec, state, training) = (f.spec.name.clone(), to_json(&f.spec), to_json(&f.state), to_json(&f.training));
        self.with(move |c| {
            c.execute("UPDATE functions SET spec = ?2, state = ?3, training = ?4 WHERE name = ?1", params![name, spec, state, training])
        })
        .await?;
        Ok(())
    }

    async fn functions(&self) -> Result<Vec<StoredFunction>, StoreError> {
        self.with(|c| c.prepare(&format!("{FUNCTION_COLUMNS} ORDER BY created_at_ms, name"))?.query_map([], function_row)?.collect()).await
    }

    async fn delete_function(&self, name: &str) -> Result<bool, StoreError> {
        let name = name.to_owned();
        self.with(move |c| {
            let tx = c.transaction()?;
            tx.execute("DELETE FROM executions WHERE function = ?1", [&name])?;
            tx.execute("DELETE FROM models WHERE function = ?1", [&name])?;
            let deleted = tx.execute("DELETE FROM functions WHERE name = ?1", [&name])?;
            tx.commit()?;
            Ok(deleted > 0)
        })
        .await
    }

    async fn append_executions(&self, rows: &[Execution]) -> Result<(), StoreError> {
        let rows = rows.to_vec();
        self.with(move |c| {
            let tx = c.transaction()?;
            {
                let mut insert = tx.prepare_cached(
                    "INSERT INTO executions (function, worker, input_size, duration_ms, success, error, predicted_ms, policy, \
                     started_at_ms, cold, training, cpu_ms, maxrss_kb, client_gone) \
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
                )?;
                for r in &rows {
                    insert.execute(params![
                        r.function,
                        r.worker,
                        r.input_size as i64,
                        r.duration_ms,
                        r.success,
                        r.error,
                        to_json(&r.predicted_ms),
                        r.policy.as_str(),
                        r.started_at_ms,
                        r.cold,
                        r.training,
                        r.cpu_ms,
                        r.maxrss_kb.map(|v| v as i64),
                        r.client_gone
                    ])?;
                }
            }
            tx.commit()
        })
        .await
    }

    async fn executions(&self, function: &str, worker: Option<&str>) -> Result<Vec<Execution>, StoreError> {
        let (function, worker) = (function.to_owned(), worker.map(str::to_owned));
        self.with(move |c| {
            let sql = format!("{EXECUTION_COLUMNS} WHERE function = ?1 AND (?2 IS NULL OR worker = ?2) ORDER BY id");
            c.prepare_cached(&sql)?.query_map(params![function, worker], execution_row)?.collect()
        })
        .await
    }

    async fn executions_page(&self, function: &str, offset: u64, limit: u64) -> Result<Vec<Execution>, StoreError> {
        let function = function.to_owned();
        let (offset, limit) = (i64::try_from(offset).unwrap_or(i64::MAX), i64::try_from(limit).unwrap_or(i64::MAX));
        self.with(move |c| {
            let sql = format!("{EXECUTION_COLUMNS} WHERE function = ?1 ORDER BY id LIMIT ?2 OFFSET ?3");
            c.prepare_cached(&sql)?.query_map(params![function, limit, offset], execution_row)?.collect()
        })
        .await
    }

    async fn put_model(&self, m: &ModelRecord) -> Result<(), StoreError> {
        let m = m.clone();
        self.with(move |c| {
            c.execute(
                "INSERT OR REPLACE INTO models (function, worker, intercept, slope, samples, r2, cleaning, window_start_ms, \
                 window_end_ms, state) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
                params![
                    m.function,
                    m.worker,
                    m.line.intercept,
                    m.line.slope,
                    m.samples as i64,
                    m.r2,
                    m.cleaning,
                    m.window_start_ms,
                    m.window_end_ms,
                    to_json(&m.state)
                ],
            )
            .map(drop)
        })
        .await
    }

    async fn models(&self) -> Result<Vec<ModelRecord>, StoreError> {
        self.with(|c| {
            c.prepare(
                "SELECT function, worker, intercept, slope, samples, r2, cleaning, window_start_ms, window_end_ms, state \
                 FROM models ORDER BY function, worker",
            )?
            .query_map([], model_row)?
            .collect()
        })
        .await
    }

    async fn put_clusters(&self, clusters: &[Cluster]) -> Result<(), StoreError> {
        let clusters = clusters.to_vec();
        self.with(move |c| {
            let tx = c.transaction()?;
            tx.execute("DELETE FROM clusters", [])?;
            for cl in &clusters {
                tx.execute(
                    "INSERT INTO clusters (id, centroid, members) VALUES (?1, ?2, ?3)",
                    params![cl.id, to_json(&cl.centroid), to_json(&cl.members)],
                )?;
            }
            tx.commit()
        })
        .await
    }

    async fn put_credentials(&self, scope: &str, values: &BTreeMap<String, String>) -> Result<(), StoreError> {
        let (scope, value) = (scope.to_owned(), to_json(values));
        self.with(move |c| c.execute("INSERT OR REPLACE INTO credentials (scope, value) VALUES (?1, ?2)", params![scope, value]).map(drop))
            .await
    }

    async fn credentials(&self, scope: &str) -> Result<Option<BTreeMap<String, String>>, StoreError> {
        let scope = scope.to_owned();
        let text: Option<String> =
            self.with(move |c| c.query_row("SELECT value FROM credentials WHERE scope = ?1", [scope], |r| r.get(0)).optional()).await?;
        text.map(|t| serde_json::from_str(&t).map_err(|e| StoreError::Corrupt(e.to_string()))).transpose()
    }
}

#[cfg(test)]
mod tests;
