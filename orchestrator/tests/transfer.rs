//! Transfer learning end to end: nine real functions of different cost
//! shapes are trained in full and clustered; a rewrite of one of them is
//! recognised and trained by transfer at a fraction of the cost, and
//! predicts itself at least as well as its source's models did; a function
//! unlike the others is trained in full.

mod common;

use common::{TestServer, config, local_worker};
use hetfaas::function::Tier;
use hetfaas::resource_manager::TrainingConfig;
use serde_json::{Value, json};

const FUNCTIONS: [(&str, &str); 9] = [
    ("constant-light", "def handler(event, context):\n    return 1\n"),
    ("constant-heavy", "def handler(event, context):\n    return sum(i for i in range(150000))\n"),
    ("linear-light", "def handler(event, context):\n    return sum(event)\n"),
    (
        "linear-medium",
        "def handler(event, context):\n    t = 0\n    for v in event:\n        for i in range(40):\n            t += i\n    return t\n",
    ),
    (
        "linear-heavy",
        "def handler(event, context):\n    t = 0\n    for v in event:\n        for i in range(400):\n            t += i * i\n    return t\n",
    ),
    (
        "nlogn",
        "def handler(event, context):\n    out = 0\n    for r in range(25):\n        out += sorted(event, key=lambda v: (v * 7919 + r) % 104729)[0]\n    return out\n",
    ),
    (
        "quadratic-light",
        "def handler(event, context):\n    quarter = event[: len(event) // 4]\n    return sum(a ^ b for a in event for b in quarter)\n",
    ),
    ("quadratic-heavy", "def handler(event, context):\n    return sum(a * b for a in event for b in event)\n"),
    ("memory-linear", "def handler(event, context):\n    blocks = [bytearray(30000) for _ in event]\n    return len(blocks)\n"),
];

/// `linear-heavy` again, written differently.
const REWRITE: &str = "def work(reps):\n    total = 0\n    for k in range(reps):\n        total += k * k\n    return total\n\n\
def handler(event, context):\n    return sum(work(400) for _ in event)\n";

/// Nothing like the others: a long constant wait with no CPU to speak of.
const STRANGER: &str = "import time\ndef handler(event, context):\n    time.sleep(0.12)\n    return len(event)\n";

fn spec(name: &str, source: &str) -> Value {
    json!({"name": name, "source_code": source, "edge_supported": true, "cloud_supported": true,
           "example_inputs": [[3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5, 8, 9, 7]], "timeout_s": 30})
}

async fn models(server: &TestServer, name: &str) -> Value {
    server.get(&format!("/functions/{name}")).await.1["models"].clone()
}

/// Mean absolute percentage error of `models` over fresh runs.
fn mape(models: &Value, runs: &[(String, u64, f64)]) -> f64 {
    let errors: Vec<f64> = runs
        .iter()
        .map(|(worker, size, actual)| {
            let m = &models[worker];
            let predicted = m["intercept"].as_f64().unwrap() + m["slope"].as_f64().unwrap() * *size as f64;
            (predicted - actual).abs() / actual
        })
        .collect();
    errors.iter().sum::<f64>() / errors.len() as f64
}

#[tokio::test]
async fn a_rewrite_is_trained_by_transfer_and_a_stranger_in_full() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = config(dir.path(), vec![local_worker("edge", Tier::Edge, None, 0.0), local_worker("cloud", Tier::Cloud, None, 8.0)]);
    config.training = TrainingConfig::default();
    let server = TestServer::start_with(config, dir).await;
    for (name, source) in FUNCTIONS {
        let created = server.create_spec(spec(name, source)).await;
        assert_eq!(created["state"], "ready", "{created}");
    }
    let source_models = models(&server, "linear-heavy").await;
    let full = server.get("/functions/linear-heavy").await.1["training"].clone();

    let rewrite = server.create_spec(spec("linear-heavy-v2", REWRITE)).await["training"].clone();
    if std::env::var("HETFAAS_DUMP_FEATURES").is_ok() {
        let (_, all) = server.get("/functions").await;
        for f in all["functions"].as_array().unwrap() {
            eprintln!("FEATURES {} {}", f["name"], f["training"]["features"]);
        }
    }
    eprintln!("rewrite decision: {}", rewrite["similarity"]);
    assert_eq!(rewrite["path"], "transfer", "{rewrite}");
    assert_eq!(rewrite["source"], "linear-heavy");
    let (own, full_cost) = (rewrite["invocations"].as_u64().unwrap(), full["invocations"].as_u64().unwrap());
    assert!(own * 4 <= full_cost, "transfer used {own} invocations, full training {full_cost}");
    assert!(rewrite["similarity"]["paper"]["difference"].is_number(), "the paper's verdict is recorded too: {rewrite}");

    let stranger = server.create_spec(spec("stranger", STRANGER)).await["training"].clone();
    eprintln!("stranger decision: {}", stranger["similarity"]);
    assert_eq!(stranger["path"], "full", "{stranger}");
    assert_eq!(stranger["similarity"]["distance"]["matched"], false);

    let response = server.client.put(server.url("/cluster")).send().await.unwrap();
    let clusters: Value = response.json().await.unwrap();
    let again: Value = server.client.put(server.url("/cluster")).send().await.unwrap().json().await.unwrap();
    assert_eq!(clusters, again, "the same seed gives the same clusters");
    let together = clusters["clusters"].as_array().unwrap().iter().any(|c| {
        let members = c["members"].as_array().unwrap();
        members.contains(&json!("linear-heavy")) && members.contains(&json!("linear-heavy-v2"))
    });
    assert!(together, "the rewrite shares its original's cluster: {clusters}");

    let mut runs = Vec::new();
    for (worker, policy) in [("edge", "edge-only"), ("cloud", "cloud-only")] {
        for size in [50u64, 300, 700, 1000] {
            for _ in 0..3 {
                let event = serde_json::to_string(&vec![7; size as usize]).unwrap();
                let invoked = server.invoke("linear-heavy-v2", &event, Some(policy)).await;
                assert_eq!(invoked.status, 200);
                runs.push((worker.to_owned(), size, invoked.duration_ms.unwrap()));
            }
        }
    }
    let transferred = models(&server, "linear-heavy-v2").await;
    let (before, after) = (mape(&source_models, &runs), mape(&transferred, &runs));
    eprintln!("MAPE on fresh runs: source models {before:.3}, transferred models {after:.3}");
    assert!(after <= before + 0.02, "transferred {after:.3} vs source {before:.3}");
}
