//! Transfer learning end to end. Six real functions of different cost
//! shapes are trained in full on an edge and a cloud whose durations differ
//! by construction (5 ms and 40 ms away). Then:
//!
//! - a rewrite of one of them matches it by the configured (distance)
//!   verdict and is trained by transfer from it, with 10 own calls per
//!   worker after the minimal data instead of full training's 30;
//! - a function unlike the others matches nothing and is trained in full;
//! - on fresh calls, measured before anything learns from them, the
//!   transferred models predict the rewrite within 1.25× the error of a
//!   full training of the same code (the target the specification sets),
//!   errors under 5% (the calls' own noise) counting as 5%;
//! - after 50 more calls per worker under each learning mode, the models
//!   still hold the transfer prior (how much it then helps at sizes the own
//!   rows miss is the unit test in `learning::model`: with real calls this
//!   fast and this regular, an own fit is as good and the comparison would
//!   be a coin toss).
//!
//! The function compared waits rather than computes: its durations are set
//! by construction, not by what else the CPU is doing, so the two models
//! it is predicted by are both close to the truth, and their errors on the
//! same calls differ by what transfer does, not by which one had the
//! luckier training rows. (CPU-bound functions stay in the catalogue.) Each
//! minimal-data size is one call, so the minimal sizes are many (21): the
//! features are read from a curve fitted through all of them.

mod common;

use common::{TestServer, config};
use hetfaas::config::{TrainingConfig, WorkerConfig};
use hetfaas::function::Tier;
use hetfaas::platform::PlatformConfig;
use hetfaas::platform::local::LocalConfig;
use hetfaas::platform::local::network::NetworkConfig;
use hetfaas_api::{FunctionSpec, Incremental, PolicyKind, State, TrainingPath, TrainingReport};
use serde_json::json;

const FUNCTIONS: [(&str, &str); 6] = [
    ("constant-light", "def handler(event, context):\n    return 1\n"),
    ("constant-heavy", "def handler(event, context):\n    return sum(i for i in range(150000))\n"),
    (
        "linear-heavy",
        "def handler(event, context):\n    t = 0\n    for v in event:\n        for i in range(400):\n            t += i * i\n    return t\n",
    ),
    ("memory-linear", "def handler(event, context):\n    blocks = [bytearray(30000) for _ in event]\n    return len(blocks)\n"),
    ("waits-linear", "import time\ndef handler(event, context):\n    time.sleep(0.00003 * len(event))\n    return len(event)\n"),
    ("waits-quadratic", "import time\ndef handler(event, context):\n    time.sleep(0.00000003 * len(event) ** 2)\n    return len(event)\n"),
];

/// `waits-linear` again, written differently.
const REWRITE: &str = "import time\n\ndef pause_for(items):\n    seconds = 0.0\n    for _ in items:\n        seconds += 0.00003\n    return seconds\n\n\
def handler(event, context):\n    time.sleep(pause_for(event))\n    return len(event)\n";

/// Nothing like the others: a long constant computation.
const STRANGER: &str = "def handler(event, context):\n    return sum(i * i for i in range(1500000))\n";

/// The transferred model's error may be at most this multiple of a full
/// training's, on the same calls (the specification's target).
const TRANSFER_ERROR_FACTOR: f64 = 1.25;
/// Below this MAPE a model is as exact as the calls themselves are: about
/// 1 ms of timer and scheduling noise on a 20 ms call of a loaded machine.
/// A ratio of two errors under it says nothing, so each counts as this.
const NOISE_FLOOR: f64 = 0.05;

fn worker(name: &str, tier: Tier, cpu: Option<f64>, delay_ms: f64) -> WorkerConfig {
    let network = NetworkConfig { delay_ms, jitter_ms: 0.0, bandwidth_mbps: 0.0 };
    let local = LocalConfig { cpu, cpu_period_ms: 10, network: network.into(), ..LocalConfig::default() };
    WorkerConfig { name: name.into(), tier, platform: PlatformConfig::Local(local) }
}

fn spec(name: &str, source: &str, allow_transfer: bool) -> FunctionSpec {
    FunctionSpec {
        example_inputs: vec![json!([3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5, 8, 9, 7])],
        allow_transfer,
        ..FunctionSpec::new(name, source)
    }
}

async fn trained(server: &TestServer, name: &str, source: &str, allow_transfer: bool) -> TrainingReport {
    let created = server.create_spec(spec(name, source, allow_transfer)).await;
    assert_eq!(created.state, State::Ready, "{created:?}");
    created.training.unwrap()
}

#[tokio::test]
async fn a_rewrite_is_trained_by_transfer_and_predicts_as_well_as_full_training() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = config(dir.path(), vec![worker("edge", Tier::Edge, None, 5.0), worker("cloud", Tier::Cloud, None, 40.0)]);
    config.training = TrainingConfig {
        minimal_sizes: std::iter::once(1).chain((1..=20).map(|i| i * 50)).collect(),
        full_invocations: 30,
        full_max_size: 1000,
        transfer_invocations: 10,
        ..TrainingConfig::default()
    };
    config.learning.similarity.clusters = 3;
    let server = TestServer::start_with(config, dir).await;
    // The catalogue, each trained on its own data (cheap shapes resemble
    // each other by cost, and would otherwise transfer among themselves).
    let mut catalogue = Vec::new();
    for (name, source) in FUNCTIONS {
        catalogue.push((name, trained(&server, name, source, false).await.features));
    }
    let full_cost = server.api.function("waits-linear").await.unwrap().training.unwrap().invocations;

    let rewrite = trained(&server, "waits-linear-v2", REWRITE, true).await;
    let decision = rewrite.similarity.as_ref().unwrap();
    eprintln!("rewrite decision: {decision:?}");
    assert!(decision.distance.matched, "{rewrite:?}");
    assert_eq!(rewrite.path, TrainingPath::Transfer, "{rewrite:?}");
    assert_eq!(rewrite.source.as_deref(), Some("waits-linear"), "{rewrite:?}\nthe catalogue's features: {catalogue:?}");
    // Per worker: a warm-up, the 21 minimal sizes, then 10 own calls
    // instead of 30 (with the default 11 and 100, 20% of full training).
    assert_eq!((rewrite.invocations, full_cost), (2 * (1 + 21 + 10), 2 * (1 + 21 + 30)), "{rewrite:?}");
    assert!(decision.paper.difference.is_some(), "the paper's verdict is recorded too: {rewrite:?}");

    let stranger = trained(&server, "stranger", STRANGER, true).await;
    eprintln!("stranger decision: {:?}", stranger.similarity);
    assert!(!stranger.similarity.as_ref().unwrap().distance.matched, "{stranger:?}");
    assert_eq!(stranger.path, TrainingPath::Full, "{stranger:?}");

    let clusters = server.api.cluster().await.unwrap();
    assert_eq!(clusters, server.api.cluster().await.unwrap(), "the same seed and features give the same clusters");

    // The same code trained on its own data only, to compare against.
    assert_eq!(trained(&server, "waits-linear-v2-full", REWRITE, false).await.path, TrainingPath::Full);

    // Fresh calls, measured before any model learns from them.
    server.api.set_learning(Incremental::Off).await.unwrap();
    let (mut transferred, mut full) = (Vec::new(), Vec::new());
    for round in 0..4 {
        for size in [300u64, 600, 1000] {
            for policy in [PolicyKind::EdgeOnly, PolicyKind::CloudOnly] {
                let event = serde_json::to_string(&vec![round + 7; size as usize]).unwrap();
                let invoked = server.invoke("waits-linear-v2", &event, Some(policy)).await;
                assert_eq!(invoked.status, 200, "{:?}", invoked.json());
                let actual = invoked.placement.duration_ms;
                let by_transfer = invoked.placement.predicted_for_worker().unwrap();
                let by_full = server.api.predictions("waits-linear-v2-full", size).await.unwrap().predictions_ms[&invoked.placement.worker];
                transferred.push((by_transfer - actual).abs() / actual);
                full.push((by_full - actual).abs() / actual);
            }
        }
    }
    let mape = |errors: &[f64]| errors.iter().sum::<f64>() / errors.len() as f64;
    let (transferred, full) = (mape(&transferred), mape(&full));
    eprintln!("MAPE on {} fresh calls: transferred models {transferred:.3}, full training {full:.3}", 4 * 3 * 2);
    assert!(
        transferred.max(NOISE_FLOOR) <= TRANSFER_ERROR_FACTOR * full.max(NOISE_FLOOR),
        "transferred MAPE {transferred:.3} is over {TRANSFER_ERROR_FACTOR}× full training's {full:.3} (floor {NOISE_FLOOR})"
    );

    // Learning goes on: 50 more calls per worker in each learning mode, and
    // the transfer is still in every model (it was dropped at the first
    // re-cleaning, and on every row under refit-all, before the prior
    // became part of the model's state).
    for mode in [Incremental::RefitAll, Incremental::SufficientStatistics] {
        server.api.set_learning(mode).await.unwrap();
        for i in 0..50u64 {
            for policy in [PolicyKind::EdgeOnly, PolicyKind::CloudOnly] {
                let event = serde_json::to_string(&vec![1; 20 + (i as usize % 5) * 20]).unwrap();
                assert_eq!(server.invoke("waits-linear-v2", &event, Some(policy)).await.status, 200);
            }
        }
        let view = server.api.catch_up("waits-linear-v2").await.unwrap();
        for (worker, model) in &view.models {
            let prior = model.prior.as_ref().unwrap_or_else(|| panic!("{mode:?}: the {worker} model lost its prior: {model:?}"));
            assert_eq!(prior.source, "waits-linear", "{worker}: {model:?}");
            assert!(model.samples >= 50, "{mode:?}: the {worker} model counts its own rows: {model:?}");
            assert!(model.cleaning.contains("prior from waits-linear"), "{model:?}");
        }
    }
}
