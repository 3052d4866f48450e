//! With the cloud worker unreachable, every request is still served by the
//! edge (dissertation 3.7). The cloud here is a real `hetfaas node` process
//! endpoint reached over HTTP, stopped mid-test.

mod common;

use common::{SQUARES, TestServer, local_worker};
use hetfaas::config::WorkerConfig;
use hetfaas::function::Tier;
use hetfaas::node_server::{Node, NodeOptions};
use hetfaas::platform::PlatformConfig;
use hetfaas::platform::local::LocalConfig;
use hetfaas::platform::node::NodeConfig;
use hetfaas_api::headers::POLICY;
use hetfaas_api::{FunctionSpec, PolicyKind, State};
use serde_json::json;

#[tokio::test]
async fn when_the_cloud_is_unreachable_the_edge_serves_everything() {
    let node_dir = tempfile::tempdir().unwrap();
    let node =
        Node::start("127.0.0.1:0".parse().unwrap(), node_dir.path(), LocalConfig::default(), 1, NodeOptions::default()).await.unwrap();
    let cloud = WorkerConfig {
        name: "cloud".into(),
        tier: Tier::Cloud,
        platform: PlatformConfig::Node(NodeConfig { url: format!("http://{}", node.addr()), connect_timeout_s: 1, token: None }),
    };
    let server = TestServer::start(vec![local_worker("edge", Tier::Edge, None, 1.0), cloud]).await;
    server.create("squares", SQUARES).await;

    let on_cloud = server.invoke("squares", "[2]", Some(PolicyKind::CloudOnly)).await;
    assert_eq!((on_cloud.status.as_u16(), on_cloud.placement.worker.as_str()), (200, "cloud"), "the node serves while up");

    node.shutdown().await;
    for policy in [PolicyKind::RoundRobin, PolicyKind::Random, PolicyKind::Predicted] {
        for i in 0..5 {
            let invoked = server.invoke("squares", &format!("[{i}]"), Some(policy)).await;
            assert_eq!(invoked.status, 200, "{policy}: {:?}", invoked.json());
            assert_eq!(invoked.placement.worker, "edge", "{policy}");
            assert_eq!(invoked.json(), json!([i * i]));
        }
    }
    let stranded = server.invoke("squares", "[1]", Some(PolicyKind::CloudOnly)).await;
    assert_eq!(stranded.status, 502, "a single-tier baseline does not leave its tier");
    assert_eq!(stranded.error().unwrap().error.code, "platform_failure");

    assert!(!common::worker_health(&server, "cloud").await.healthy);
}

/// Invokes on the cloud alone until it answers 200 (the deadline is a hang
/// guard: each attempt that fails starts the redeploy it waits for).
async fn until_the_cloud_serves(server: &TestServer) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        let invoked = server.invoke("squares", "[3]", Some(PolicyKind::CloudOnly)).await;
        if invoked.status == 200 {
            assert_eq!((invoked.placement.worker.as_str(), invoked.json()), ("cloud", json!([9])));
            return;
        }
        assert!(std::time::Instant::now() < deadline, "the cloud is still not serving: {:?}", invoked.json());
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

/// Waits until `/healthz` says the cloud's health is `healthy`.
async fn until_cloud_health(server: &TestServer, healthy: bool) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while common::worker_health(server, "cloud").await.healthy != healthy {
        assert!(std::time::Instant::now() < deadline, "the cloud never became healthy={healthy}");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn a_node_that_restarts_empty_gets_its_functions_back_and_is_used_again() {
    let options = NodeOptions::default();
    let first_dir = tempfile::tempdir().unwrap();
    let node = Node::start("127.0.0.1:0".parse().unwrap(), first_dir.path(), LocalConfig::default(), 1, options.clone()).await.unwrap();
    let addr = node.addr();
    let cloud = WorkerConfig {
        name: "cloud".into(),
        tier: Tier::Cloud,
        platform: PlatformConfig::Node(NodeConfig { url: format!("http://{addr}"), connect_timeout_s: 1, token: None }),
    };
    let server = TestServer::start(vec![local_worker("edge", Tier::Edge, None, 1.0), cloud]).await;
    server.create("squares", SQUARES).await;
    until_the_cloud_serves(&server).await;

    // An outage the orchestrator notices: the failed call marks the cloud
    // unhealthy; the health monitor sees the node answer again and
    // redeploys its functions before marking it healthy.
    node.shutdown().await;
    assert_eq!(server.invoke("squares", "[3]", Some(PolicyKind::CloudOnly)).await.status, 502);
    assert!(!common::worker_health(&server, "cloud").await.healthy);
    let second_dir = tempfile::tempdir().unwrap();
    let node = Node::start(addr, second_dir.path(), LocalConfig::default(), 1, options.clone()).await.unwrap();
    until_cloud_health(&server, true).await;
    let first = server.invoke("squares", "[3]", Some(PolicyKind::CloudOnly)).await;
    assert_eq!(
        (first.status.as_u16(), first.placement.worker.as_str()),
        (200, "cloud"),
        "healthy means its functions are back: {:?}",
        first.json()
    );

    // A restart nobody noticed: the first call finds the function missing,
    // which redeploys it.
    node.shutdown().await;
    let third_dir = tempfile::tempdir().unwrap();
    let node = Node::start(addr, third_dir.path(), LocalConfig::default(), 1, options).await.unwrap();
    until_the_cloud_serves(&server).await;
    let spread = server.invoke("squares", "[4]", Some(PolicyKind::RoundRobin)).await;
    assert_eq!(spread.status, 200);
    node.shutdown().await;
}

#[tokio::test]
async fn a_saturated_edge_is_passed_over_until_it_has_room_again() {
    let dir = tempfile::tempdir().unwrap();
    let edge = LocalConfig { cpu: Some(0.2), cpu_period_ms: 10, ..LocalConfig::default() };
    let edge = WorkerConfig { name: "edge".into(), tier: Tier::Edge, platform: PlatformConfig::Local(edge) };
    let mut config = common::config(dir.path(), vec![edge, local_worker("cloud", Tier::Cloud, None, 1.0)]);
    // A hog fills the quota (utilisation ≈ 1); an idle edge reads ≈ 0.
    config.edge_utilisation_guard = 0.5;
    let server = TestServer::start_with(config, dir).await;
    let limits = common::worker_health(&server, "edge").await.details["limits"].to_string();
    if limits.contains("unconstrained") {
        common::skipped("saturated edge", &format!("no cgroups here, so no utilisation to guard on ({limits})"));
        return;
    }
    // Asked to spin, it spins until its function is removed: the test, not
    // a duration, decides when the edge has room again.
    let hog = "def handler(event, context):\n    while event == 'spin':\n        pass\n    return event\n";
    let spec = FunctionSpec { cloud_supported: false, timeout_s: 600, ..FunctionSpec::new("hog", hog) };
    assert_eq!(server.create_spec(spec).await.state, State::Ready);
    server.create("squares", SQUARES).await;
    common::wait_until_idle(&server, "edge").await;

    let api = server.api.clone();
    let busy = tokio::spawn(async move { api.invoke("hog", "\"spin\"", None).await.unwrap().status });
    let cpu = common::wait_for_cpu(&server, "edge", |cpu| cpu >= 0.9).await;
    eprintln!("the hog fills the edge's quota: utilisation {cpu:.2}");
    for i in 0..6 {
        let invoked = server.invoke("squares", &format!("[{i}]"), Some(PolicyKind::RoundRobin)).await;
        assert_eq!((invoked.status.as_u16(), invoked.placement.worker.as_str()), (200, "cloud"), "request {i} while the edge is saturated");
    }
    server.api.delete("hog").await.unwrap();
    assert_eq!(busy.await.unwrap(), 502, "the hog's call dies with its function");
    common::wait_until_idle(&server, "edge").await;
    let mut workers = Vec::new();
    for i in 0..4 {
        workers.push(server.invoke("squares", &format!("[{i}]"), Some(PolicyKind::RoundRobin)).await.placement.worker);
    }
    assert!(workers.iter().any(|w| w == "edge"), "with room again the edge takes its turns: {workers:?}");
}

#[tokio::test]
async fn when_every_worker_throttles_the_client_gets_429_and_retry_after() {
    let dir = tempfile::tempdir().unwrap();
    let options = NodeOptions { max_concurrency: Some(1), ..NodeOptions::default() };
    let node = Node::start("127.0.0.1:0".parse().unwrap(), dir.path(), LocalConfig::default(), 1, options).await.unwrap();
    let cloud = WorkerConfig {
        name: "cloud".into(),
        tier: Tier::Cloud,
        platform: PlatformConfig::Node(NodeConfig { url: format!("http://{}", node.addr()), connect_timeout_s: 1, token: None }),
    };
    let server = TestServer::start(vec![local_worker("edge", Tier::Edge, None, 1.0), cloud]).await;
    let spec = FunctionSpec { example_inputs: vec![json!(0)], ..FunctionSpec::new("sleeper", common::GATED) };
    assert_eq!(server.create_spec(spec).await.state, State::Ready);

    let gate = common::Gate::new();
    let (api, held) = (server.api.clone(), gate.json());
    let slow = tokio::spawn(async move { api.invoke("sleeper", held, Some(PolicyKind::CloudOnly)).await.unwrap().status });
    common::until_in_flight(node.addr(), "sleeper", 1).await;
    let response = server.client.post(server.url("/functions/sleeper/invoke")).header(POLICY, "cloud-only").body("0").send().await.unwrap();
    assert_eq!(response.status(), 429);
    assert_eq!(response.headers()["retry-after"], "1");
    let body: hetfaas_api::ErrorBody = response.json().await.unwrap();
    assert_eq!(body.error.code, "throttled", "{body}");
    assert!(body.error.message.contains("429 Too Many Requests"), "{body}");
    let spilled = server.invoke("sleeper", "0", Some(PolicyKind::RoundRobin)).await;
    assert_eq!(spilled.status, 200, "with another worker, a throttled one is just skipped");
    gate.open();
    assert_eq!(slow.await.unwrap(), 200);
    assert_eq!(server.invoke("sleeper", "0", Some(PolicyKind::CloudOnly)).await.status, 200, "and the cloud serves once it has room");
    node.shutdown().await;
}
