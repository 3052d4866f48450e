//! The `knative` platform's invoke path end to end against a `hetfaas node`,
//! which answers on the Lambda runtime-emulator path like a Knative service
//! built from a Lambda image: the URL form, the function-error mapping, and
//! the bounded retry after 1 s on 404 while the service is not yet routable.
//!
//! `HETFAAS_TEST_KUBECONFIG` (with `HETFAAS_TEST_KNATIVE_IMAGE`) also runs a
//! real deploy, invoke and remove on that cluster.
#![cfg(feature = "knative")]

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use hetfaas::function::FunctionSpec;
use hetfaas::node_server::{Node, NodeOptions};
use hetfaas::platform::knative::invoker::Invoker;
use hetfaas::platform::knative::{KnativeConfig, KnativePlatform};
use hetfaas::platform::local::LocalConfig;
use hetfaas::platform::{FunctionErrorKind, Platform, PlatformError};
use serde_json::{Value, json};

const HANDLER: &str =
    "def handler(event, context):\n    if event.get('fail'):\n        raise KeyError('nope')\n    return {'sum': sum(event['xs'])}\n";

fn spec(name: &str) -> FunctionSpec {
    FunctionSpec::new(name, HANDLER)
}

async fn deploy_on_node(addr: std::net::SocketAddr, name: &str) {
    let response = reqwest::Client::new().put(format!("http://{addr}/functions/{name}")).json(&spec(name)).send().await.unwrap();
    assert!(response.status().is_success(), "{}", response.text().await.unwrap());
}

fn json_of(outcome: hetfaas::platform::InvokeOutcome) -> Value {
    serde_json::from_slice(&outcome.result.unwrap()).unwrap()
}

#[tokio::test]
async fn a_service_that_is_not_routable_yet_is_retried_after_a_second() {
    let dir = tempfile::tempdir().unwrap();
    let node = Node::start("127.0.0.1:0".parse().unwrap(), dir.path(), LocalConfig::default(), 1, NodeOptions::default()).await.unwrap();
    let addr = node.addr();
    // Retries enough that the deploy below (a Python start) never races them.
    let invoker = Invoker::new("edge", 30).unwrap();
    invoker.register("summer", format!("http://{addr}/2015-03-31/functions/function/invocations"), 10);

    // The "service" becomes routable 1.5 s from now: the first calls get 404.
    let late = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(1500)).await;
        deploy_on_node(addr, "summer").await;
    });
    let started = Instant::now();
    let outcome = invoker.invoke("summer", Bytes::from_static(br#"{"xs": [1, 2, 3]}"#)).await.unwrap();
    late.await.unwrap();
    assert_eq!(json_of(outcome), json!({ "sum": 6 }));
    assert!(started.elapsed() >= Duration::from_secs(1), "answered after retrying, not before: {:?}", started.elapsed());

    let error = invoker.invoke("summer", Bytes::from_static(br#"{"fail": true}"#)).await.unwrap().result.unwrap_err();
    assert_eq!((error.kind, error.error_type.as_str()), (FunctionErrorKind::Raised, "KeyError"));

    // With two functions on one node, each answers under its own prefix.
    deploy_on_node(addr, "other").await;
    invoker.register("other", format!("http://{addr}/other/2015-03-31/functions/function/invocations"), 10);
    assert_eq!(json_of(invoker.invoke("other", Bytes::from_static(br#"{"xs": [4]}"#)).await.unwrap()), json!({ "sum": 4 }));

    node.shutdown().await;
}

/// A service that is never routable: answers 404 and counts the calls.
async fn never_routable() -> (std::net::SocketAddr, Arc<AtomicUsize>) {
    let calls = Arc::new(AtomicUsize::new(0));
    let counted = calls.clone();
    let app = axum::Router::new().fallback(move || {
        counted.fetch_add(1, Ordering::SeqCst);
        async { axum::http::StatusCode::NOT_FOUND }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    (addr, calls)
}

#[tokio::test]
async fn retries_on_404_are_bounded() {
    let (addr, calls) = never_routable().await;
    let invoker = Invoker::new("edge", 2).unwrap();
    invoker.register("ghost", format!("http://{addr}/2015-03-31/functions/function/invocations"), 10);
    let started = Instant::now();
    let error = invoker.invoke("ghost", Bytes::from_static(b"{}")).await.unwrap_err();
    assert!(matches!(error, PlatformError::NotDeployed { .. }), "{error}");
    assert_eq!(calls.load(Ordering::SeqCst), 3, "one call and two retries, then it gives up");
    assert!(started.elapsed() >= Duration::from_secs(2), "the retries wait a second each: {:?}", started.elapsed());
    let unregistered = invoker.invoke("never", Bytes::from_static(b"{}")).await.unwrap_err();
    assert!(matches!(unregistered, PlatformError::NotDeployed { .. }));
    assert_eq!(calls.load(Ordering::SeqCst), 3, "an unregistered function is never called");
}

#[tokio::test]
async fn on_a_real_cluster_when_a_kubeconfig_is_given() {
    let Some([kubeconfig, image]) =
        common::real_infrastructure("knative on a cluster", &["HETFAAS_TEST_KUBECONFIG", "HETFAAS_TEST_KNATIVE_IMAGE"])
            .map(|v| <[String; 2]>::try_from(v).unwrap())
    else {
        return;
    };
    let config: KnativeConfig = toml::from_str(&format!("image = {image:?}\nkubeconfig = {kubeconfig:?}")).unwrap();
    let platform = KnativePlatform::new("edge", config).unwrap();
    assert!(platform.health().await, "the API server answers");
    let spec = spec("hetfaas-it-summer");
    platform.deploy(&spec).await.unwrap();
    let outcome = platform.invoke(&spec.name, Bytes::from_static(br#"{"xs": [2, 3]}"#)).await;
    platform.remove(&spec.name).await.unwrap();
    assert_eq!(json_of(outcome.unwrap()), json!({ "sum": 5 }));
}
