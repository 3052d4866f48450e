//! Each routing policy sends requests where it says, with real workers.

mod common;

use common::{Gate, SQUARES, TestServer, edge_and_cloud, local_worker};
use hetfaas::function::Tier;
use hetfaas_api::{FunctionSpec, PolicyKind};

async fn placements(server: &TestServer, policy: Option<PolicyKind>, n: usize) -> Vec<String> {
    let mut workers = Vec::with_capacity(n);
    for i in 0..n {
        let invoked = server.invoke("squares", &format!("[{i}]"), policy).await;
        assert_eq!(invoked.status, 200, "{:?}", invoked.json());
        workers.push(invoked.placement.worker);
    }
    workers
}

#[tokio::test]
async fn every_policy_places_requests_where_it_says() {
    let server = TestServer::start(edge_and_cloud()).await;
    server.create("squares", SQUARES).await;

    assert!(placements(&server, Some(PolicyKind::EdgeOnly), 6).await.iter().all(|w| w == "edge"));
    assert!(placements(&server, Some(PolicyKind::CloudOnly), 6).await.iter().all(|w| w == "cloud"));

    let rr = placements(&server, Some(PolicyKind::RoundRobin), 6).await;
    assert!(rr.windows(2).all(|p| p[0] != p[1]), "round-robin alternates: {rr:?}");

    let random = placements(&server, Some(PolicyKind::Random), 40).await;
    let edge = random.iter().filter(|w| *w == "edge").count();
    assert!((8..=32).contains(&edge), "random uses both workers: {edge}/40 on the edge");

    let default = server.invoke("squares", "[1]", None).await;
    assert_eq!(default.placement.policy, Some(PolicyKind::LeastExpectedCompletion), "the default policy");
    // Trained: `predicted` takes the shortest prediction it reports.
    let invoked = server.invoke("squares", "[1]", Some(PolicyKind::Predicted)).await;
    let predicted = &invoked.placement.predicted_ms;
    let fastest = predicted.iter().min_by(|a, b| a.1.total_cmp(&b.1)).unwrap();
    assert_eq!(predicted.len(), 2, "one prediction per worker");
    assert_eq!(invoked.placement.worker, fastest.0);
}

#[tokio::test]
async fn a_function_runs_only_on_the_tiers_it_supports() {
    let server = TestServer::start(edge_and_cloud()).await;
    let created = server.create_spec(FunctionSpec { edge_supported: false, ..FunctionSpec::new("squares", SQUARES) }).await;
    assert_eq!(created.workers, ["cloud"]);
    assert!(placements(&server, Some(PolicyKind::RoundRobin), 4).await.iter().all(|w| w == "cloud"));
    let refused = server.invoke("squares", "[1]", Some(PolicyKind::EdgeOnly)).await;
    assert_eq!(refused.status, 503, "{:?}", refused.json());
}

/// Sleeps 100 ms on an array; on a gate path, waits at the gate.
const SLOW_OR_GATED: &str = "import os, time\ndef handler(event, context):\n    if isinstance(event, str):\n        \
    with open(event + '.running', 'a') as f:\n            f.write('.')\n        \
    while not os.path.exists(event):\n            time.sleep(0.005)\n        return event\n    time.sleep(0.1)\n    return len(event)\n";

/// `slow` on an edge of half a core (one call at a time), 1 ms away, which
/// answers a lone call in ~102 ms, and a cloud `cloud_delay_ms` away each
/// way; its first call goes to the idle, faster edge under `policy`.
async fn slow_on_edge_and_cloud(cloud_delay_ms: f64, policy: PolicyKind) -> TestServer {
    let edge = local_worker("edge", Tier::Edge, Some(0.5), 1.0);
    let server = TestServer::start(vec![edge, local_worker("cloud", Tier::Cloud, None, cloud_delay_ms)]).await;
    server.create("slow", SLOW_OR_GATED).await;
    assert_eq!(server.invoke("slow", "[1]", Some(policy)).await.placement.worker, "edge", "idle: the faster worker");
    server
}

/// One call of `slow` held at the gate on the edge: ~100 ms of predicted
/// work in flight there. The task answers the worker it ran on.
async fn hold_on_edge(server: &TestServer, gate: &Gate) -> tokio::task::JoinHandle<String> {
    let (api, body) = (server.api.clone(), gate.json());
    let held = tokio::spawn(async move { api.invoke("slow", body, Some(PolicyKind::EdgeOnly)).await.unwrap().placement.worker });
    gate.until_waiting(1).await;
    held
}

#[tokio::test]
async fn least_expected_completion_routes_around_work_in_flight() {
    // The cloud (43 ms away each way) answers a lone call in ~190 ms.
    let server = slow_on_edge_and_cloud(43.0, PolicyKind::LeastExpectedCompletion).await;
    let lec = Some(PolicyKind::LeastExpectedCompletion);

    let gate = Gate::new();
    let held = hold_on_edge(&server, &gate).await;
    let around = server.invoke("slow", "[1]", lec).await;
    assert_eq!(around.status, 200);
    assert_eq!(around.placement.worker, "cloud", "edge busy: ~210 ms expected there, ~190 on the cloud");
    let (edge, cloud) = (around.placement.predicted_for("edge").unwrap(), around.placement.predicted_for("cloud").unwrap());
    assert!(edge < cloud, "by service time alone (`predicted`) the edge would still win: {edge:.0} vs {cloud:.0} ms");

    gate.open();
    assert_eq!(held.await.unwrap(), "edge");
    // The held call took about twice its prediction (it waited at the gate
    // through the cloud's call), which stretches the edge's estimate by
    // about 40% (`Backlog::observe`): ~150 ms, still under the cloud's 190.
    assert_eq!(server.invoke("slow", "[1]", lec).await.placement.worker, "edge", "its backlog given back, the edge wins again");
}

#[tokio::test]
async fn least_marginal_delay_counts_the_delay_a_call_would_impose() {
    // The cloud (75 ms away each way) answers a lone call in ~250 ms.
    // Beside a call held on the edge, a new one would take ~200 ms there
    // (so `least-expected-completion` still takes the edge), and would
    // make the held call ~100 ms longer: ~300 ms in all.
    let server = slow_on_edge_and_cloud(75.0, PolicyKind::LeastMarginalDelay).await;
    let (lmd, lec) = (Some(PolicyKind::LeastMarginalDelay), Some(PolicyKind::LeastExpectedCompletion));

    let gate = Gate::new();
    let held = hold_on_edge(&server, &gate).await;
    let spared = server.invoke("slow", "[1]", lmd).await;
    assert_eq!(spared.status, 200);
    assert_eq!(spared.placement.worker, "cloud", "~300 ms added on the edge, ~250 on the cloud");
    assert_eq!(server.invoke("slow", "[1]", lec).await.placement.worker, "edge", "~200 ms for the call itself beats ~250");

    gate.open();
    assert_eq!(held.await.unwrap(), "edge");
}
