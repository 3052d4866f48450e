//! The orchestrator learns: training on create, predictions in the response
//! headers, the edge/cloud crossover, and models that survive a restart and
//! keep learning.

mod common;

use common::{TestServer, config, local_worker, parse_predictions};
use hetfaas::config::WorkerConfig;
use hetfaas::function::Tier;
use hetfaas::resource_manager::TrainingConfig;
use serde_json::{Value, json};

/// Work grows with the input: each element `k` costs `k` loop iterations.
const GROWING: &str = "def handler(event, context):\n    \
    total = 0\n    \
    for k in event:\n        \
        for i in range(k):\n            \
            total += i * i\n    \
    return total\n";

/// A slow edge (a fifth of a CPU) right here, and a fast cloud 40 ms away.
fn continuum() -> Vec<WorkerConfig> {
    vec![local_worker("edge", Tier::Edge, Some(0.2), 0.0), local_worker("cloud", Tier::Cloud, None, 40.0)]
}

fn growing_spec() -> Value {
    json!({"name": "growing", "source_code": GROWING, "edge_supported": true, "cloud_supported": true,
           "example_inputs": [[600]], "timeout_s": 30})
}

async fn trained_server(workers: Vec<WorkerConfig>) -> TestServer {
    let dir = tempfile::tempdir().unwrap();
    let mut config = config(dir.path(), workers);
    config.training = TrainingConfig {
        minimal_sizes: vec![1, 250, 500, 750, 1000],
        full_invocations: 20,
        full_max_size: 1000,
        ..TrainingConfig::default()
    };
    let server = TestServer::start_with(config, dir).await;
    let created = server.create_spec(growing_spec()).await;
    assert_eq!(created["state"], "ready", "{created}");
    server
}

fn event(size: usize) -> String {
    serde_json::to_string(&vec![600; size]).unwrap()
}

#[tokio::test]
async fn after_training_small_inputs_run_on_the_edge_and_large_ones_in_the_cloud() {
    let server = trained_server(continuum()).await;
    let (_, function) = server.get("/functions/growing").await;
    assert_eq!(function["training"]["path"], "full");
    // Per worker: a warm-up, the minimal sizes joined with the feature sizes
    // (1, 100, 200, 250, 500, 750, 1000), and 20 growing ones.
    assert_eq!(function["training"]["invocations"], 2 * (1 + 7 + 20), "{function}");
    for worker in ["edge", "cloud"] {
        assert!(function["models"][worker]["samples"].as_u64().unwrap() >= 12, "most rows survive cleaning: {function}");
    }
    // Training just kept the edge's fifth of a CPU busy: until its
    // utilisation falls below the guard, the router rightly avoids it.
    common::wait_until_idle(&server, "edge").await;

    for (size, expected) in [(5, "edge"), (10, "edge"), (1000, "cloud"), (1200, "cloud")] {
        let invoked = server.invoke("growing", &event(size), None).await;
        assert_eq!(invoked.status, 200, "{:?}", invoked.body);
        let predicted = parse_predictions(invoked.predicted.as_deref().unwrap());
        assert_eq!(predicted.len(), 2, "both predictions are in the headers");
        assert_eq!(invoked.worker.as_deref(), Some(expected), "size {size}: predictions {predicted:?}");
        let chosen = predicted.iter().find(|(w, _)| w == expected).unwrap().1;
        assert!(predicted.iter().all(|(_, ms)| chosen <= *ms), "the chosen worker has the shortest prediction: {predicted:?}");
    }

    let (status, body) = server.get("/functions/growing/predictions?input_size=1000").await;
    assert_eq!(status, 200);
    let (edge, cloud) = (body["predictions_ms"]["edge"].as_f64().unwrap(), body["predictions_ms"]["cloud"].as_f64().unwrap());
    assert!(edge > cloud, "the throttled edge is predicted slower on large inputs: {body}");
    let (_, compat) = server.get("/predictions/growing?input_size=1000").await;
    assert_eq!(compat["predictions_ms"], body["predictions_ms"]);
    assert_eq!(server.get("/functions/growing/predictions?input_size=big").await.0, 400);
}

#[tokio::test]
async fn a_model_survives_a_restart_and_keeps_learning() {
    let fast = vec![local_worker("edge", Tier::Edge, None, 0.0), local_worker("cloud", Tier::Cloud, None, 5.0)];
    let mut server = trained_server(fast.clone()).await;
    let (_, before) = server.get("/functions/growing").await;
    server.shutdown().await;

    let dir = std::mem::replace(&mut server.dir, tempfile::tempdir().unwrap());
    let restarted = TestServer::start_with(config(dir.path(), fast), dir).await;
    let after = restarted.wait_state("growing", &["ready"]).await;
    assert_eq!(after["models"], before["models"], "models are loaded from the store");

    for size in [3, 30, 300] {
        assert_eq!(restarted.invoke("growing", &event(size), Some("round-robin")).await.status, 200);
    }
    let response = restarted.client.put(restarted.url("/train/incremental/growing")).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let learned: Value = response.json().await.unwrap();
    let samples = |v: &Value| v["models"]["edge"]["samples"].as_u64().unwrap() + v["models"]["cloud"]["samples"].as_u64().unwrap();
    assert!(samples(&learned) > samples(&before), "new executions were learned: {} -> {}", samples(&before), samples(&learned));

    let response = restarted.client.put(restarted.url("/train/growing")).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let refit: Value = response.json().await.unwrap();
    assert!(refit["models"]["edge"]["r2"].as_f64().is_some());
    assert_eq!(restarted.client.put(restarted.url("/train/nope")).send().await.unwrap().status(), 404);
}
