//! What one client can make the server hold is bounded: example inputs are
//! capped at create (training would repeat them up to a thousand times),
//! and calls waiting for a busy function's instance are limited in number
//! and in time, each refused with 429 and `Retry-After`.

mod common;

use common::{GATED, Gate, TestServer, config, local_worker};
use hetfaas::config::WorkerConfig;
use hetfaas::function::Tier;
use hetfaas::platform::PlatformConfig;
use hetfaas_api::{FunctionSpec, PolicyKind, State};
use serde_json::json;

#[tokio::test]
async fn a_five_megabyte_example_is_refused_naming_the_limit() {
    let server = TestServer::start(common::edge_and_cloud()).await;
    let element = "x".repeat(5 * 1024 * 1024);
    let spec = json!({"name": "big", "source_code": common::SQUARES, "edge_supported": true,
                      "cloud_supported": true, "example_inputs": [[element]]});
    let (status, body) = server.post_json("/functions", &spec).await;
    assert_eq!(status, 400);
    let message = body.unwrap().error.message;
    assert!(message.contains("65536 bytes per element"), "{message}");
    assert!(server.api.function("big").await.is_err(), "nothing was created");
    assert_eq!(server.create("squares", common::SQUARES).await.state, State::Ready, "the server keeps working");
}

/// One edge worker with one instance per function and the given queue.
async fn one_instance(max_queued: usize, queue_timeout_ms: u64) -> TestServer {
    let mut worker: WorkerConfig = local_worker("edge", Tier::Edge, None, 0.0);
    let PlatformConfig::Local(local) = &mut worker.platform else { unreachable!() };
    local.max_instances = 1;
    local.max_queued = max_queued;
    local.queue_timeout_ms = queue_timeout_ms;
    let dir = tempfile::tempdir().unwrap();
    let mut config = config(dir.path(), vec![worker]);
    config.training.minimal_sizes = vec![1];
    config.training.full_invocations = 1;
    let server = TestServer::start_with(config, dir).await;
    let spec = FunctionSpec { example_inputs: vec![json!(0)], ..FunctionSpec::new("held", GATED) };
    assert_eq!(server.create_spec(spec).await.state, State::Ready);
    server
}

/// Starts a call that holds the only instance until `gate` opens.
async fn hold(server: &TestServer, gate: &Gate) -> tokio::task::JoinHandle<u16> {
    let api = server.api.clone();
    let event = gate.json();
    let call = tokio::spawn(async move { api.invoke("held", event, Some(PolicyKind::EdgeOnly)).await.unwrap().status.as_u16() });
    gate.until_waiting(1).await;
    call
}

#[tokio::test]
async fn calls_past_the_queue_or_its_timeout_are_throttled_with_retry_after() {
    let server = one_instance(1, 60_000).await;
    let gate = Gate::new();
    let holder = hold(&server, &gate).await;
    // Two more calls: one may wait, the other is refused at once; which is
    // which is up to the scheduler, so the test waits for the first answer.
    let mut calls: tokio::task::JoinSet<_> = (0..2)
        .map(|i| {
            let c = server.client.clone();
            let url = server.url("/functions/held/invoke");
            async move { (i, c.post(url).header("x-hetfaas-policy", "edge-only").body("1").send().await.unwrap()) }
        })
        .collect();
    let (_, refused) = calls.join_next().await.unwrap().unwrap();
    assert_eq!(refused.status(), 429);
    assert_eq!(refused.headers()["retry-after"], "1");
    let message = refused.text().await.unwrap();
    assert!(message.contains("1 calls of held already wait"), "{message}");
    gate.open();
    let (_, queued) = calls.join_next().await.unwrap().unwrap();
    assert_eq!(queued.status(), 200, "the queued call runs once the instance is free");
    assert_eq!(holder.await.unwrap(), 200);

    let server = one_instance(8, 100).await;
    let gate = Gate::new();
    let holder = hold(&server, &gate).await;
    let waited = server.invoke("held", "1", Some(PolicyKind::EdgeOnly)).await;
    assert_eq!(waited.status, 429, "the gate is still closed: the call waited out its queue timeout");
    assert!(waited.error().unwrap().error.message.contains("was free within 100ms"), "{:?}", waited.error());
    gate.open();
    assert_eq!(holder.await.unwrap(), 200);
    assert_eq!(server.invoke("held", "2", Some(PolicyKind::EdgeOnly)).await.json(), json!(2), "and the worker serves on");
}
