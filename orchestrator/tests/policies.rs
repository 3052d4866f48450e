//! Each routing policy sends requests where it says, with real workers.

mod common;

use common::{SQUARES, TestServer, edge_and_cloud};

async fn placements(server: &TestServer, policy: Option<&str>, n: usize) -> Vec<String> {
    let mut workers = Vec::with_capacity(n);
    for i in 0..n {
        let invoked = server.invoke("squares", &format!("[{i}]"), policy).await;
        assert_eq!(invoked.status, 200, "{:?}", invoked.body);
        workers.push(invoked.worker.unwrap());
    }
    workers
}

#[tokio::test]
async fn every_policy_places_requests_where_it_says() {
    let server = TestServer::start(edge_and_cloud()).await;
    server.create("squares", SQUARES).await;

    assert!(placements(&server, Some("edge-only"), 6).await.iter().all(|w| w == "edge"));
    assert!(placements(&server, Some("cloud-only"), 6).await.iter().all(|w| w == "cloud"));

    let rr = placements(&server, Some("round-robin"), 6).await;
    assert!(rr.windows(2).all(|p| p[0] != p[1]), "round-robin alternates: {rr:?}");

    let random = placements(&server, Some("random"), 40).await;
    let edge = random.iter().filter(|w| *w == "edge").count();
    assert!((8..=32).contains(&edge), "random uses both workers: {edge}/40 on the edge");

    // Trained: the default policy takes the shortest prediction it reports.
    let invoked = server.invoke("squares", "[1]", None).await;
    let predicted = common::parse_predictions(invoked.predicted.as_deref().unwrap());
    let fastest = predicted.iter().min_by(|a, b| a.1.total_cmp(&b.1)).unwrap();
    assert_eq!(predicted.len(), 2, "one prediction per worker");
    assert_eq!(invoked.worker.as_deref(), Some(fastest.0.as_str()));
}

#[tokio::test]
async fn a_function_runs_only_on_the_tiers_it_supports() {
    let server = TestServer::start(edge_and_cloud()).await;
    let spec = serde_json::json!({"name": "squares", "source_code": SQUARES, "edge_supported": false, "cloud_supported": true});
    let created = server.create_spec(spec).await;
    assert_eq!(created["workers"], serde_json::json!(["cloud"]));
    assert!(placements(&server, Some("round-robin"), 4).await.iter().all(|w| w == "cloud"));
    let refused = server.invoke("squares", "[1]", Some("edge-only")).await;
    assert_eq!(refused.status, 503, "{:?}", refused.body);
}
