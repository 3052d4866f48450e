//! The orchestrator learns: training on create, predictions in the response
//! headers, the edge/cloud crossover, and models that survive a restart and
//! keep learning.

mod common;

use common::{TestServer, config, local_worker, parse_predictions};
use hetfaas::config::WorkerConfig;
use hetfaas::function::Tier;
use hetfaas::platform::PlatformConfig;
use hetfaas::platform::local::LocalConfig;
use hetfaas::resource_manager::TrainingConfig;
use serde_json::{Value, json};

/// Work grows with the input, by CPU time rather than by iterations, so the
/// same event costs the same on any CPU: each element burns 0.1 ms of the
/// process's CPU time.
const GROWING: &str = "import time\n\
def handler(event, context):\n    \
    end = time.process_time() + 0.0001 * len(event)\n    \
    while time.process_time() < end:\n        \
        pass\n    \
    return len(event)\n";

/// A slow edge right here (a tenth of a CPU, granted in 10 ms periods) and a
/// fast cloud 40 ms away each way. By construction, size n takes about
/// n × 1 ms on the edge and 80 + n × 0.1 ms in the cloud: the edge is over
/// 3× faster below size 20 and over 3× slower above size 400.
fn continuum() -> Vec<WorkerConfig> {
    let edge = LocalConfig { cpu: Some(0.1), cpu_period_ms: 10, ..LocalConfig::default() };
    let cloud = LocalConfig {
        network: hetfaas::platform::local::network::NetworkConfig { delay_ms: 40.0, ..Default::default() },
        ..LocalConfig::default()
    };
    vec![
        WorkerConfig { name: "edge".into(), tier: Tier::Edge, platform: PlatformConfig::Local(edge) },
        WorkerConfig { name: "cloud".into(), tier: Tier::Cloud, platform: PlatformConfig::Local(cloud) },
    ]
}

fn growing_spec() -> Value {
    json!({"name": "growing", "source_code": GROWING, "edge_supported": true, "cloud_supported": true,
           "example_inputs": [[1]], "timeout_s": 30})
}

async fn trained_server(workers: Vec<WorkerConfig>) -> TestServer {
    let dir = tempfile::tempdir().unwrap();
    let mut config = config(dir.path(), workers);
    config.training = TrainingConfig {
        minimal_sizes: vec![1, 250, 500, 750, 1000],
        full_invocations: 10,
        full_max_size: 1000,
        ..TrainingConfig::default()
    };
    let server = TestServer::start_with(config, dir).await;
    let created = server.create_spec(growing_spec()).await;
    assert_eq!(created["state"], "ready", "{created}");
    server
}

fn event(size: usize) -> String {
    serde_json::to_string(&vec![1; size]).unwrap()
}

#[tokio::test]
async fn after_training_small_inputs_run_on_the_edge_and_large_ones_in_the_cloud() {
    let server = trained_server(continuum()).await;
    let (_, function) = server.get("/functions/growing").await;
    assert_eq!(function["training"]["path"], "full");
    // Per worker: a warm-up, the minimal sizes joined with the feature sizes
    // (1, 100, 200, 250, 500, 750, 1000), and 10 growing ones.
    assert_eq!(function["training"]["invocations"], 2 * (1 + 7 + 10), "{function}");
    for worker in ["edge", "cloud"] {
        assert!(function["models"][worker]["samples"].as_u64().unwrap() >= 12, "most rows survive cleaning: {function}");
    }
    // Training just kept the edge's tenth of a CPU busy: until its
    // utilisation falls below the guard, the router rightly avoids it.
    common::wait_until_idle(&server, "edge").await;

    for (size, expected) in [(5, "edge"), (10, "edge"), (1000, "cloud"), (1200, "cloud")] {
        let invoked = server.invoke("growing", &event(size), None).await;
        assert_eq!(invoked.status, 200, "{:?}", invoked.body);
        let predicted = parse_predictions(invoked.predicted.as_deref().unwrap());
        assert_eq!(predicted.len(), 2, "both predictions are in the headers");
        assert_eq!(invoked.worker.as_deref(), Some(expected), "size {size}: predictions {predicted:?}");
        let chosen = predicted.iter().find(|(w, _)| w == expected).unwrap().1;
        let other = predicted.iter().find(|(w, _)| w != expected).unwrap().1;
        assert!(3.0 * chosen <= other, "size {size}: the chosen worker is predicted over 3× faster: {predicted:?}");
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
    // Every learnable new row was looked at (kept, or screened out as an
    // outlier): each worker's model now reaches its latest one.
    let (_, rows) = restarted.get("/functions/growing/executions").await;
    for worker in ["edge", "cloud"] {
        let latest = rows["executions"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| r["worker"] == worker && !r["training"].as_bool().unwrap() && r["success"] == true && r["cold"] == false)
            .map(|r| r["started_at_ms"].as_i64().unwrap())
            .max()
            .expect("a warm call after the restart");
        assert_eq!(learned["models"][worker]["window_end_ms"].as_i64(), Some(latest), "{worker} learned up to its latest row: {learned}");
        assert!(latest > before["models"][worker]["window_end_ms"].as_i64().unwrap());
    }

    let response = restarted.client.put(restarted.url("/train/growing")).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let refit: Value = response.json().await.unwrap();
    assert!(refit["models"]["edge"]["r2"].as_f64().is_some());
    assert_eq!(restarted.client.put(restarted.url("/train/nope")).send().await.unwrap().status(), 404);
}
