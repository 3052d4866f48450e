//! The orchestrator learns: training on create, predictions in the response
//! headers, the edge/cloud crossover, and models that survive a restart and
//! keep learning.

mod common;

use common::{TestServer, config, local_worker};
use hetfaas::config::{TrainingConfig, WorkerConfig};
use hetfaas::function::Tier;
use hetfaas::platform::PlatformConfig;
use hetfaas::platform::local::LocalConfig;
use hetfaas_api::{FunctionSpec, PolicyKind, State, TrainingPath};
use serde_json::json;

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
        network: hetfaas::platform::local::network::NetworkConfig { delay_ms: 40.0, ..Default::default() }.into(),
        ..LocalConfig::default()
    };
    vec![
        WorkerConfig { name: "edge".into(), tier: Tier::Edge, platform: PlatformConfig::Local(edge) },
        WorkerConfig { name: "cloud".into(), tier: Tier::Cloud, platform: PlatformConfig::Local(cloud) },
    ]
}

fn growing_spec() -> FunctionSpec {
    FunctionSpec { example_inputs: vec![json!([1])], ..FunctionSpec::new("growing", GROWING) }
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
    assert_eq!(created.state, State::Ready, "{created:?}");
    server
}

fn event(size: usize) -> String {
    serde_json::to_string(&vec![1; size]).unwrap()
}

#[tokio::test]
async fn after_training_small_inputs_run_on_the_edge_and_large_ones_in_the_cloud() {
    let server = trained_server(continuum()).await;
    let function = server.api.function("growing").await.unwrap();
    let training = function.training.as_ref().unwrap();
    assert_eq!(training.path, TrainingPath::Full);
    // Per worker: a warm-up, the minimal sizes joined with the feature sizes
    // (1, 100, 200, 250, 500, 750, 1000), and 10 growing ones.
    assert_eq!(training.invocations, 2 * (1 + 7 + 10), "{function:?}");
    assert_eq!(function.models.len(), 2, "a model per worker: {function:?}");
    for (worker, model) in &function.models {
        assert!(model.validation_mape.is_some_and(f64::is_finite), "{worker}: the family's held-out error is shown: {model:?}");
        assert!(model.residual_sd_ms.is_some_and(|sd| sd > 0.0), "{worker}: and how far its rows scatter: {model:?}");
    }
    // The crossover is the predictions', so the calls are placed by them
    // alone (`predicted`). The default policy also weighs how much longer
    // than predicted each worker's recent calls took: on a machine busy
    // with other work the edge's calls take longer, and
    // `least-expected-completion` rightly sent the small calls to the
    // cloud (9 runs in 25 beside a process spinning on a core).
    for (size, expected) in [(5, "edge"), (10, "edge"), (1000, "cloud"), (1200, "cloud")] {
        // Training, and each call before this one, kept the edge's tenth of
        // a CPU busy: until its utilisation falls below the guard, the
        // router rightly avoids it.
        common::wait_until_idle(&server, "edge").await;
        let invoked = server.invoke("growing", &event(size), Some(PolicyKind::Predicted)).await;
        assert_eq!(invoked.status, 200, "{:?}", invoked.json());
        let predicted = &invoked.placement.predicted_ms;
        assert_eq!(predicted.len(), 2, "both predictions are in the headers");
        assert_eq!(invoked.placement.worker, expected, "size {size}: predictions {predicted:?}, models {:?}", function.models);
        let chosen = predicted.iter().find(|(w, _)| w == expected).unwrap().1;
        let other = predicted.iter().find(|(w, _)| w != expected).unwrap().1;
        assert!(
            3.0 * chosen <= other,
            "size {size}: the chosen worker is predicted over 3× faster: {predicted:?}, models {:?}",
            function.models
        );
    }

    // A tenth of a core in 10 ms periods is 1 ms of CPU a period: a call
    // that needs over 2 ms of CPU cannot finish without being held back.
    let pinned = server.invoke("growing", &event(1000), Some(PolicyKind::EdgeOnly)).await;
    let profile = pinned.placement.profile.expect("a local worker measures each call");
    assert!(profile.cpu_ms > 2.0, "the call is long enough to test: {profile:?}");
    assert!(profile.throttled_ms.is_some_and(|t| t > 0.0), "the edge's quota held it back, and says so: {profile:?}");
    let cloud = server.invoke("growing", &event(1000), Some(PolicyKind::CloudOnly)).await.placement.profile.unwrap();
    assert_eq!(cloud.throttled_ms, None, "no quota on the cloud, nothing to report: {cloud:?}");

    // The two calls just made are learned from off the response path: wait
    // until they have been, or a model could change between the two reads
    // of its predictions below.
    server.api.catch_up("growing").await.unwrap();
    let body = server.api.predictions("growing", 1000).await.unwrap();
    assert!(body.predictions_ms["edge"] > body.predictions_ms["cloud"], "the throttled edge is predicted slower on large inputs: {body:?}");
    let compat: hetfaas_api::Predictions =
        reqwest::get(server.url("/predictions/growing?input_size=1000")).await.unwrap().json().await.unwrap();
    assert_eq!(compat, body);
    assert_eq!(reqwest::get(server.url("/functions/growing/predictions?input_size=big")).await.unwrap().status(), 400);
}

#[tokio::test]
async fn a_model_survives_a_restart_and_keeps_learning() {
    let fast = vec![local_worker("edge", Tier::Edge, None, 0.0), local_worker("cloud", Tier::Cloud, None, 5.0)];
    let mut server = trained_server(fast.clone()).await;
    let before = server.api.function("growing").await.unwrap();
    server.shutdown().await;

    let dir = std::mem::replace(&mut server.dir, tempfile::tempdir().unwrap());
    let restarted = TestServer::start_with(config(dir.path(), fast), dir).await;
    let after = restarted.wait_state("growing", &[State::Ready]).await;
    assert_eq!(after.models, before.models, "models are loaded from the store");

    for size in [3, 30, 300] {
        assert_eq!(restarted.invoke("growing", &event(size), Some(PolicyKind::RoundRobin)).await.status, 200);
    }
    let learned = restarted.api.catch_up("growing").await.unwrap();
    // Every learnable new row was looked at (kept, or screened out as an
    // outlier): each worker's model now reaches its latest one.
    let rows = restarted.api.executions("growing").await.unwrap();
    for worker in ["edge", "cloud"] {
        let latest = rows
            .iter()
            .filter(|r| r.worker == worker && !r.training && r.learnable())
            .map(|r| r.started_at_ms)
            .max()
            .expect("a warm call after the restart");
        assert_eq!(learned.models[worker].window_end_ms, latest, "{worker} learned up to its latest row: {learned:?}");
        assert!(latest > before.models[worker].window_end_ms);
    }

    let refit = restarted.api.retrain("growing").await.unwrap();
    assert!(refit.models["edge"].r2.is_finite());
    assert_eq!(restarted.api.retrain("nope").await.unwrap_err().status().map(|s| s.as_u16()), Some(404));
}
