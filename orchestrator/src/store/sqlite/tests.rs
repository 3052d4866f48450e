use std::collections::BTreeMap;

use super::{SCHEMA, SqliteStore};
use crate::function::{FunctionSpec, FunctionState};
use crate::store::{Cluster, Execution, ModelRecord, Store, StoreError, StoredFunction};

fn function(name: &str) -> StoredFunction {
    StoredFunction {
        spec: FunctionSpec {
            example_inputs: vec![serde_json::json!([1, 2])],
            ..FunctionSpec::new(name, "def handler(e, c):\n    return e\n")
        },
        state: FunctionState::Deploying,
        created_at_ms: 1,
        training: None,
    }
}

fn execution(function: &str, worker: &str, size: u64) -> Execution {
    Execution {
        function: function.into(),
        worker: worker.into(),
        input_size: size,
        duration_ms: size as f64 * 1.5,
        success: true,
        error: None,
        predicted_ms: BTreeMap::from([("edge".into(), 3.0)]),
        policy: hetfaas_api::PolicyKind::RoundRobin,
        started_at_ms: 1000 + size as i64,
        cold: false,
        training: false,
        client_gone: size == 2,
        cpu_ms: Some(0.5),
        maxrss_kb: Some(9000),
    }
}

#[tokio::test]
async fn everything_survives_reopening_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("h.db");
    {
        let store = SqliteStore::open(&path).await.unwrap();
        store.insert_function(&function("f")).await.unwrap();
        store.append_executions(&[execution("f", "edge", 1), execution("f", "cloud", 2)]).await.unwrap();
        let model = ModelRecord {
            function: "f".into(),
            worker: "edge".into(),
            line: hetfaas_api::Line::linear(1.0, 0.5),
            samples: 2,
            r2: 0.9,
            cleaning: "iqr".into(),
            window_start_ms: 0,
            window_end_ms: 5,
            state: serde_json::json!({"n": 2}),
        };
        store.put_model(&model).await.unwrap();
        store.put_credentials("aws", &BTreeMap::from([("key".into(), "secret".into())])).await.unwrap();
    }
    let store = SqliteStore::open(&path).await.unwrap();
    assert_eq!(store.functions().await.unwrap(), vec![function("f")]);
    assert_eq!(store.executions("f", None).await.unwrap(), vec![execution("f", "edge", 1), execution("f", "cloud", 2)]);
    assert_eq!(store.executions("f", Some("cloud")).await.unwrap(), vec![execution("f", "cloud", 2)]);
    assert_eq!(store.models().await.unwrap()[0].line.slope, 0.5);
    assert_eq!(store.credentials("aws").await.unwrap().unwrap()["key"], "secret");
    assert_eq!(store.credentials("gcp").await.unwrap(), None);
}

#[tokio::test]
async fn a_name_is_taken_once_and_deleting_removes_its_history() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&dir.path().join("h.db")).await.unwrap();
    store.insert_function(&function("f")).await.unwrap();
    assert!(matches!(store.insert_function(&function("f")).await, Err(StoreError::AlreadyExists(n)) if n == "f"));
    store.append_executions(&[execution("f", "edge", 1)]).await.unwrap();
    let mut ready = function("f");
    ready.state = FunctionState::Failed("no python".into());
    store.update_function(&ready).await.unwrap();
    assert_eq!(store.functions().await.unwrap()[0].state, FunctionState::Failed("no python".into()));
    assert!(store.delete_function("f").await.unwrap());
    assert!(!store.delete_function("f").await.unwrap());
    assert!(store.executions("f", None).await.unwrap().is_empty());
    assert!(store.functions().await.unwrap().is_empty());
}

#[tokio::test]
async fn a_state_update_after_a_delete_does_not_bring_the_function_back() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&dir.path().join("h.db")).await.unwrap();
    store.insert_function(&function("f")).await.unwrap();
    assert!(store.delete_function("f").await.unwrap());
    // The deploy that was running when the delete came finishes now.
    let mut ready = function("f");
    ready.state = FunctionState::Ready;
    store.update_function(&ready).await.unwrap();
    assert!(store.functions().await.unwrap().is_empty(), "the delete wins");
}

#[tokio::test]
async fn executions_are_read_a_page_at_a_time_in_insertion_order() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&dir.path().join("h.db")).await.unwrap();
    let rows: Vec<Execution> = (1..=5).map(|i| execution("f", "edge", i)).collect();
    store.append_executions(&rows).await.unwrap();
    store.append_executions(&[execution("g", "edge", 9)]).await.unwrap();
    assert_eq!(store.executions_page("f", 0, 2).await.unwrap(), rows[..2]);
    assert_eq!(store.executions_page("f", 4, 2).await.unwrap(), rows[4..]);
    assert!(store.executions_page("f", 5, 2).await.unwrap().is_empty());
}

#[tokio::test]
async fn a_version_1_database_is_upgraded_in_place_and_only_its_owner_reads_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("h.db");
    {
        let conn = rusqlite::Connection::open(&path).unwrap();
        let v1 = SCHEMA.replace(",\n    client_gone INTEGER NOT NULL DEFAULT 0", "");
        conn.execute_batch(&format!("{v1}PRAGMA user_version = 1;")).unwrap();
        conn.execute(
            "INSERT INTO executions (function, worker, input_size, duration_ms, success, predicted_ms, policy, started_at_ms, cold, training) \
             VALUES ('f', 'edge', 1, 1.5, 1, '{}', 'predicted', 1001, 0, 0)",
            [],
        )
        .unwrap();
    }
    let store = SqliteStore::open(&path).await.unwrap();
    let rows = store.executions("f", None).await.unwrap();
    assert_eq!((rows.len(), rows[0].client_gone), (1, false), "the old row reads back, not gone");
    store.append_executions(&[execution("f", "cloud", 2)]).await.unwrap();
    assert!(store.executions("f", Some("cloud")).await.unwrap()[0].client_gone);
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
}

#[tokio::test]
async fn a_training_report_stored_untyped_as_an_empty_object_reads_as_none() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("h.db");
    let store = SqliteStore::open(&path).await.unwrap();
    store.insert_function(&function("f")).await.unwrap();
    rusqlite::Connection::open(&path).unwrap().execute("UPDATE functions SET training = '{}'", []).unwrap();
    assert_eq!(store.functions().await.unwrap()[0].training, None);
}

#[tokio::test]
async fn clusters_are_replaced_as_a_whole() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&dir.path().join("h.db")).await.unwrap();
    let a = Cluster { id: 0, centroid: vec![1.0, 2.0], members: vec!["f".into()] };
    let b = Cluster { id: 1, centroid: vec![3.0], members: vec!["g".into(), "h".into()] };
    store.put_clusters(&[a.clone(), b.clone()]).await.unwrap();
    store.put_clusters(std::slice::from_ref(&b)).await.unwrap();
    let stored: Vec<(u32, String)> = rusqlite::Connection::open(dir.path().join("h.db"))
        .unwrap()
        .prepare("SELECT id, members FROM clusters")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(stored, vec![(1, "[\"g\",\"h\"]".to_owned())]);
}
