//! Execution rows and functions are on disk after a clean shutdown, and a
//! restarted server serves what it served before.

mod common;

use common::{SQUARES, TestServer, config, edge_and_cloud};
use hetfaas::store::Store;
use hetfaas::store::sqlite::SqliteStore;
use hetfaas_api::{PolicyKind, State};
use serde_json::json;

#[tokio::test]
async fn rows_survive_a_clean_shutdown_and_the_restart_serves_the_same_functions() {
    let mut server = TestServer::start(edge_and_cloud()).await;
    server.create("squares", SQUARES).await;
    let mut tasks = Vec::new();
    for i in 0..40 {
        let client = server.client.clone();
        let url = server.url("/functions/squares/invoke");
        tasks.push(tokio::spawn(async move { client.post(url).body(format!("[{i}, {i}]")).send().await.unwrap().status() }));
    }
    for task in tasks {
        assert_eq!(task.await.unwrap(), 200);
    }
    server.shutdown().await;

    let db = server.dir.path().join("hetfaas.db");
    {
        let store = SqliteStore::open(&db).await.unwrap();
        let rows = store.executions("squares", None).await.unwrap();
        let served: Vec<_> = rows.iter().filter(|r| !r.training).collect();
        assert_eq!(served.len(), 40, "every invocation has its row");
        assert!(
            served.iter().all(|r| r.success && r.input_size == 2 && r.duration_ms > 0.0 && r.policy == PolicyKind::LeastExpectedCompletion)
        );
        assert!(rows.iter().any(|r| r.training), "training invocations are stored too");
    }

    let dir = std::mem::replace(&mut server.dir, tempfile::tempdir().unwrap());
    let restarted = TestServer::start_with(config(dir.path(), edge_and_cloud()), dir).await;
    let state = restarted.wait_state("squares", &[State::Ready]).await;
    assert_eq!(state.name, "squares");
    let invoked = restarted.invoke("squares", "[5]", None).await;
    assert_eq!((invoked.status.as_u16(), invoked.json()), (200, json!([25])));
}
