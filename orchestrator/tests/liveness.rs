//! No silent death: a panicking training run fails its function with the
//! reason; a dead learner is reported by `/healthz` and `/metrics`, and
//! `hetfaas serve` then exits non-zero once it has written its rows. The
//! failures are caused with the `HETFAAS_FAILPOINT` test hook; one test,
//! because it sets the process environment.

mod common;

use std::time::{Duration, Instant};

use common::{SQUARES, TestServer, edge_and_cloud, spec};
use hetfaas::store::Store;
use hetfaas::store::sqlite::SqliteStore;
use hetfaas_api::State;

const BIN: &str = env!("CARGO_BIN_EXE_hetfaas");

fn failpoint(task: Option<&str>) {
    // SAFETY: this binary has one test, and sets it only between servers.
    unsafe {
        match task {
            Some(task) => std::env::set_var("HETFAAS_FAILPOINT", task),
            None => std::env::remove_var("HETFAAS_FAILPOINT"),
        }
    }
}

#[tokio::test]
async fn failures_of_background_tasks_are_reported_not_hidden() {
    failpoint(Some("training"));
    let server = TestServer::start(edge_and_cloud()).await;
    let failed = server.create("doomed", SQUARES).await;
    assert_eq!(failed.state, State::Failed, "a panicking training run does not leave it `training`");
    let reason = failed.reason.unwrap_or_default();
    assert!(reason.contains("internal error") && reason.contains("HETFAAS_FAILPOINT=training"), "{reason}");
    failpoint(None);
    assert_eq!(server.create("squares", SQUARES).await.state, State::Ready, "the server serves on");
    assert_eq!(server.api.health().await.unwrap().status, "ok");

    failpoint(Some("learner"));
    let server = TestServer::start(edge_and_cloud()).await;
    server.api.create(&spec("squares", SQUARES)).await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    let health = loop {
        let health = server.api.health().await.unwrap();
        if health.status != "ok" {
            break health;
        }
        assert!(Instant::now() < deadline, "the learner's death never showed in /healthz");
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert_eq!(health.status, "failing");
    assert!(!health.learner.running && health.recorder.running);
    assert!(health.failures[0].contains("the learner died") && health.failures[0].contains("HETFAAS_FAILPOINT=learner"), "{health:?}");
    let metrics = server.api.metrics().await.unwrap();
    assert!(metrics.contains("hetfaas_learner_up 0") && metrics.contains("hetfaas_up 0"), "{metrics}");
    assert!(metrics.contains("hetfaas_recorder_up 1"), "{metrics}");

    // As a process, the server stops with an error once its rows are written.
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("hetfaas.toml");
    std::fs::write(&config, "[training]\nminimal_sizes = [1, 2]\nfull_invocations = 4\nfull_max_size = 4\n").unwrap();
    let data = dir.path().join("data");
    let mut serving = common::spawn_serve(BIN, &config, &data, &[]).await;
    hetfaas_api::Client::new(&serving.url).create(&spec("squares", SQUARES)).await.unwrap();
    let status = loop {
        if let Some(status) = serving.child.try_wait().unwrap() {
            break status;
        }
        assert!(Instant::now() < deadline + Duration::from_secs(60), "the server kept running without its learner");
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert!(!status.success());
    let log = std::fs::read_to_string(&serving.log).unwrap();
    assert!(log.contains("stopped because the learner died"), "{log}");
    let store = SqliteStore::open(&data.join("hetfaas.db")).await.unwrap();
    assert!(!store.executions("squares", None).await.unwrap().is_empty(), "the rows recorded before the stop were written");
}
