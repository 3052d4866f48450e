//! Handler faults: each gives a clear error, kills what must die, and the
//! pool recovers for the next request.

mod common;

use common::{TestServer, local_worker};
use hetfaas::function::Tier;
use hetfaas_api::{FunctionSpec, State};
use serde_json::json;

fn edge_only() -> Vec<hetfaas::config::WorkerConfig> {
    vec![local_worker("edge", Tier::Edge, None, 0.0)]
}

async fn function(server: &TestServer, name: &str, source: &str) {
    let spec = FunctionSpec { cloud_supported: false, timeout_s: 10, ..FunctionSpec::new(name, source) };
    assert_eq!(server.create_spec(spec).await.state, State::Ready);
}

#[tokio::test]
async fn a_handler_that_calls_os_exit_gets_502_and_the_pool_recovers() {
    let server = TestServer::start(edge_only()).await;
    function(
        &server,
        "quitter",
        "import os\ndef handler(event, context):\n    if event == 'die':\n        os._exit(3)\n    return 'alive'\n",
    )
    .await;
    let died = server.invoke("quitter", "\"die\"", None).await;
    assert_eq!(died.status, 502, "{:?}", died.json());
    let error = died.error().unwrap().error;
    assert_eq!(error.code, "runtime_exited");
    assert!(error.message.contains("exit status 3"), "{error:?}");
    let alive = server.invoke("quitter", "\"live\"", None).await;
    assert_eq!((alive.status.as_u16(), alive.json()), (200, json!("alive")));
}

#[tokio::test]
async fn a_handler_printing_megabytes_still_answers() {
    let server = TestServer::start(edge_only()).await;
    function(&server, "chatty", "def handler(event, context):\n    for _ in range(event):\n        print('x' * 1000)\n    return event\n")
        .await;
    for _ in 0..3 {
        let invoked = server.invoke("chatty", "5000", None).await;
        assert_eq!((invoked.status.as_u16(), invoked.json()), (200, json!(5000)), "5 MB of output is drained, not returned");
    }
}

fn state_of(pid: i64) -> Option<char> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    stat.rsplit(") ").next()?.chars().next()
}

#[tokio::test]
async fn a_forked_child_dies_with_its_instance() {
    let server = TestServer::start(edge_only()).await;
    let source = "import os, time\ndef handler(event, context):\n    pid = os.fork()\n    if pid == 0:\n        time.sleep(60)\n        os._exit(0)\n    return pid\n";
    function(&server, "forker", source).await;
    let invoked = server.invoke("forker", "null", None).await;
    assert_eq!(invoked.status, 200, "{:?}", invoked.json());
    let child = invoked.json().as_i64().unwrap();
    assert!(matches!(state_of(child), Some('S' | 'R')), "the child runs while its instance lives");
    server.api.delete("forker").await.unwrap();
    for _ in 0..100 {
        if !matches!(state_of(child), Some('S' | 'R' | 'D')) {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    panic!("child {child} outlived its instance: state {:?}", state_of(child));
}

#[tokio::test]
async fn a_runtime_killed_mid_invocation_gets_502_and_the_pool_recovers() {
    let server = TestServer::start(edge_only()).await;
    let source = "import os, time\ndef handler(event, context):\n    if event == 'sleep':\n        time.sleep(5)\n    return os.getpid()\n";
    function(&server, "victim", source).await;
    let pid = server.invoke("victim", "\"pid\"", None).await.json().as_i64().unwrap();
    let api = server.api.clone();
    let sleeping = tokio::spawn(async move { api.invoke("victim", "\"sleep\"", None).await.unwrap() });
    // The call holds the only warm instance once none is idle.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while common::worker_health(&server, "edge").await.details["warm_instances"]["victim"] != 0 {
        assert!(std::time::Instant::now() < deadline, "the call never took the warm instance");
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    // As the OOM killer or an operator would: SIGKILL, from outside.
    assert_eq!(unsafe { libc::kill(pid as i32, libc::SIGKILL) }, 0, "the warm instance {pid} is alive");
    let killed = sleeping.await.unwrap();
    assert_eq!(killed.status, 502, "{:?}", killed.json());
    assert_eq!(killed.error().unwrap().error.code, "runtime_exited");
    let after = server.invoke("victim", "\"pid\"", None).await;
    assert_eq!(after.status, 200, "{:?}", after.json());
    assert_ne!(after.json().as_i64().unwrap(), pid, "a fresh instance serves the next call");
}
