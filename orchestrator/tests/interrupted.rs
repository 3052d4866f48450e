//! Work cut short from outside: a client that hangs up mid-call still
//! leaves its execution row (marked `client_gone`), and a function deleted
//! while it deploys leaves no instance behind.

mod common;

use std::time::{Duration, Instant};

use common::{GATED, Gate, TestServer};
use hetfaas_api::{FunctionSpec, PolicyKind, State};
use serde_json::json;

#[tokio::test]
async fn a_client_that_hangs_up_still_leaves_its_row() {
    let server = TestServer::start(common::edge_and_cloud()).await;
    let spec = FunctionSpec { example_inputs: vec![json!(0)], ..FunctionSpec::new("held", GATED) };
    assert_eq!(server.create_spec(spec).await.state, State::Ready);
    let before = server.api.executions("held").await.unwrap().len();

    let gate = Gate::new();
    let api = server.api.clone();
    let event = gate.json();
    let call = tokio::spawn(async move { api.invoke("held", event, Some(PolicyKind::EdgeOnly)).await });
    gate.until_waiting(1).await;
    call.abort();
    assert!(call.await.unwrap_err().is_cancelled());
    gate.open();

    let deadline = Instant::now() + Duration::from_secs(60);
    let rows = loop {
        let rows = server.api.executions("held").await.unwrap();
        if rows.len() > before {
            break rows;
        }
        assert!(Instant::now() < deadline, "the abandoned call left no row");
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    let row = &rows[before];
    assert!(row.client_gone && row.success && row.worker == "edge", "{row:?}");
    assert!(rows[..before].iter().all(|r| !r.client_gone), "answered rows are not marked");
    assert_eq!(server.invoke("held", "1", None).await.json(), json!(1), "the server serves on");
}

/// A function whose import waits at `gate`, after writing its pid beside it.
fn slow_import(gate: &Gate) -> String {
    let path = gate.json();
    format!(
        "import os, time\nwith open({path} + '.pid', 'w') as f:\n    f.write(str(os.getpid()))\n\
         while not os.path.exists({path}):\n    time.sleep(0.005)\ndef handler(e, c):\n    return e\n"
    )
}

fn alive(pid: i32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|s| !s.rsplit_once(") ").is_some_and(|(_, r)| r.starts_with('Z')))
}

#[tokio::test]
async fn a_function_deleted_while_deploying_leaves_no_instance() {
    let server = TestServer::start(vec![common::local_worker("edge", hetfaas::function::Tier::Edge, None, 0.0)]).await;
    let gate = Gate::new();
    let spec = FunctionSpec { example_inputs: vec![json!(0)], ..FunctionSpec::new("slow", &slow_import(&gate)) };
    server.api.create(&spec).await.unwrap();
    let pid_file = std::path::PathBuf::from(serde_json::from_str::<String>(&gate.json()).unwrap() + ".pid");
    let deadline = Instant::now() + Duration::from_secs(60);
    let pid: i32 = loop {
        if let Some(pid) = std::fs::read_to_string(&pid_file).ok().and_then(|s| s.parse().ok()) {
            break pid;
        }
        assert!(Instant::now() < deadline, "the instance never started importing");
        tokio::time::sleep(Duration::from_millis(5)).await;
    };
    assert_eq!(server.api.function("slow").await.unwrap().state, State::Deploying);

    server.api.delete("slow").await.unwrap();
    gate.open();
    while alive(pid) {
        assert!(Instant::now() < deadline, "the deploying instance {pid} outlived its function");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    assert!(server.api.function("slow").await.is_err(), "it stays deleted");
    let health = common::worker_health(&server, "edge").await;
    assert!(health.details["warm_instances"].get("slow").is_none(), "no pool is left: {:?}", health.details);
    assert_eq!(server.create("slow", common::SQUARES).await.state, State::Ready, "the name can be used again");
}
