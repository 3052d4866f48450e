//! Each routing policy sends requests where it says, with real workers.

mod common;

use common::{SQUARES, TestServer, edge_and_cloud};
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

    // Trained: the default policy takes the shortest prediction it reports.
    let invoked = server.invoke("squares", "[1]", None).await;
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
