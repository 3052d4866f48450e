//! The `scylla` store against a real Cassandra or ScyllaDB, when
//! `HETFAAS_TEST_SCYLLA` names one (`host:9042`): the schema is created, and
//! every entity round-trips. The CQL itself is unit-tested without a server
//! (`store/scylla/schema.rs`); with no cluster here, what always runs is the
//! driver's connection attempt and the error an operator sees.
#![cfg(feature = "scylla")]

mod common;

use std::collections::BTreeMap;

use hetfaas::store::scylla::{ScyllaConfig, ScyllaStore};
use hetfaas::store::{Cluster, Execution, ModelRecord, Store, StoreError, StoredFunction};
use serde_json::json;

#[tokio::test]
async fn an_unreachable_cluster_is_a_clear_start_error() {
    // Port 1 (tcpmux) on loopback: refused at once, nothing listens there.
    let port = 1;
    let config: ScyllaConfig = toml::from_str(&format!("nodes = [\"127.0.0.1:{port}\"]")).unwrap();
    let error = ScyllaStore::open(&config).await.unwrap_err();
    let message = error.to_string();
    assert!(matches!(error, StoreError::Database(_)), "{message}");
    assert!(message.contains(&format!("127.0.0.1:{port}")), "the error names the nodes tried: {message}");
}

#[tokio::test]
async fn every_entity_round_trips_on_a_real_cluster() {
    let Some(nodes) = common::real_infrastructure("scylla store", &["HETFAAS_TEST_SCYLLA"]) else {
        return;
    };
    let config: ScyllaConfig = toml::from_str(&format!("nodes = {nodes:?}\nbucket_hours = 1")).unwrap();
    let store = ScyllaStore::open(&config).await.unwrap();
    let name = format!("it-{}", std::process::id());
    let spec = hetfaas_api::FunctionSpec::new(&name, "def handler(e, c): return e");
    let function = StoredFunction { spec, state: hetfaas::function::FunctionState::Ready, created_at_ms: 1, training: None };
    store.insert_function(&function).await.unwrap();
    assert!(matches!(store.insert_function(&function).await, Err(StoreError::AlreadyExists(_))));
    assert!(store.functions().await.unwrap().contains(&function));

    let hour = 3_600_000;
    let rows: Vec<Execution> = (0..4)
        .map(|i| Execution {
            function: name.clone(),
            worker: if i % 2 == 0 { "edge".into() } else { "cloud".into() },
            input_size: i,
            duration_ms: 10.0 + i as f64,
            success: true,
            error: None,
            predicted_ms: BTreeMap::from([("edge".into(), 1.5)]),
            policy: hetfaas_api::PolicyKind::Predicted,
            started_at_ms: i as i64 * hour,
            cold: false,
            training: false,
            client_gone: i == 3,
            cpu_ms: Some(1.0),
            maxrss_kb: Some(1024),
        })
        .collect();
    store.append_executions(&rows).await.unwrap();
    assert_eq!(store.executions(&name, None).await.unwrap(), rows, "four buckets, read back in time order");
    assert_eq!(store.executions(&name, Some("edge")).await.unwrap().len(), 2);
    assert_eq!(store.executions_page(&name, 1, 2).await.unwrap(), rows[1..3]);

    let model = ModelRecord {
        function: name.clone(),
        worker: "edge".into(),
        line: hetfaas_api::Line::linear(1.0, 0.5),
        samples: 4,
        r2: 0.9,
        cleaning: "iqr".into(),
        window_start_ms: 0,
        window_end_ms: 3 * hour,
        state: json!({ "n": 4 }),
    };
    store.put_model(&model).await.unwrap();
    assert!(store.models().await.unwrap().contains(&model));
    let clusters = vec![Cluster { id: 0, centroid: vec![1.0, 2.0], members: vec![name.clone()] }];
    store.put_clusters(&clusters).await.unwrap();
    store.put_credentials("aws", &BTreeMap::from([("access_key_id".into(), "k".into())])).await.unwrap();
    assert_eq!(store.credentials("aws").await.unwrap().unwrap()["access_key_id"], "k");

    assert!(store.delete_function(&name).await.unwrap());
    assert!(store.executions(&name, None).await.unwrap().is_empty());
    assert!(!store.models().await.unwrap().iter().any(|m| m.function == name));
    // A deploy that finishes after the delete must not write it back.
    store.update_function(&function).await.unwrap();
    assert!(!store.functions().await.unwrap().iter().any(|f| f.spec.name == name), "the delete wins");
}
