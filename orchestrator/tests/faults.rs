//! Handler faults: each gives a clear error, kills what must die, and the
//! pool recovers for the next request.

mod common;

use common::{TestServer, local_worker};
use hetfaas::function::Tier;
use serde_json::json;

fn edge_only() -> Vec<hetfaas::config::WorkerConfig> {
    vec![local_worker("edge", Tier::Edge, None, 0.0)]
}

async fn function(server: &TestServer, name: &str, source: &str) {
    let spec = json!({"name": name, "source_code": source, "edge_supported": true, "cloud_supported": false, "timeout_s": 10});
    assert_eq!(server.create_spec(spec).await["state"], "ready");
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
    assert_eq!(died.status, 502, "{:?}", died.body);
    assert_eq!(died.body["error"]["code"], "runtime_exited");
    assert!(died.body["error"]["message"].as_str().unwrap().contains("exit status 3"), "{:?}", died.body);
    let alive = server.invoke("quitter", "\"live\"", None).await;
    assert_eq!((alive.status, alive.body), (200, json!("alive")));
}

#[tokio::test]
async fn a_handler_printing_megabytes_still_answers() {
    let server = TestServer::start(edge_only()).await;
    function(&server, "chatty", "def handler(event, context):\n    for _ in range(event):\n        print('x' * 1000)\n    return event\n")
        .await;
    for _ in 0..3 {
        let invoked = server.invoke("chatty", "5000", None).await;
        assert_eq!((invoked.status, invoked.body), (200, json!(5000)), "5 MB of output is drained, not returned");
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
    assert_eq!(invoked.status, 200, "{:?}", invoked.body);
    let child = invoked.body.as_i64().unwrap();
    assert!(matches!(state_of(child), Some('S' | 'R')), "the child runs while its instance lives");
    let response = server.client.delete(server.url("/functions/forker")).send().await.unwrap();
    assert_eq!(response.status(), 204);
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
    let pid = server.invoke("victim", "\"pid\"", None).await.body.as_i64().unwrap();
    let client = server.client.clone();
    let url = server.url("/functions/victim/invoke");
    let sleeping = tokio::spawn(async move {
        let response = client.post(url).body("\"sleep\"").send().await.unwrap();
        (response.status().as_u16(), response.json::<serde_json::Value>().await.unwrap())
    });
    // The call holds the only warm instance once none is idle.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while common::worker_health(&server, "edge").await["details"]["warm_instances"]["victim"] != 0 {
        assert!(std::time::Instant::now() < deadline, "the call never took the warm instance");
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    // As the OOM killer or an operator would: SIGKILL, from outside.
    assert_eq!(unsafe { libc::kill(pid as i32, libc::SIGKILL) }, 0, "the warm instance {pid} is alive");
    let (status, body) = sleeping.await.unwrap();
    assert_eq!(status, 502, "{body}");
    assert_eq!(body["error"]["code"], "runtime_exited", "{body}");
    let after = server.invoke("victim", "\"pid\"", None).await;
    assert_eq!(after.status, 200, "{:?}", after.body);
    assert_ne!(after.body.as_i64().unwrap(), pid, "a fresh instance serves the next call");
}
