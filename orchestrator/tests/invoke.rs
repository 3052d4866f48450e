//! Creating and invoking functions through the HTTP API, with real Python,
//! and every error a user can provoke on the way.

mod common;

use common::{SQUARES, TestServer, edge_and_cloud, spec};
use hetfaas_api::{FunctionSpec, PolicyKind, State};
use serde_json::json;

#[tokio::test]
async fn a_function_created_from_source_answers_with_its_result_and_placement() {
    let server = TestServer::start(edge_and_cloud()).await;
    let created = server.create("squares", SQUARES).await;
    assert_eq!(created.state, State::Ready, "{created:?}");
    assert_eq!(created.workers, ["edge", "cloud"]);

    let invoked = server.invoke("squares", "[1, 2, 3, 4]", None).await;
    assert_eq!(invoked.status, 200);
    assert_eq!(invoked.json(), json!([1, 4, 9, 16]));
    assert!(["edge", "cloud"].contains(&invoked.placement.worker.as_str()));
    assert!(invoked.placement.duration_ms > 0.0);

    let listed = server.api.functions().await.unwrap();
    assert_eq!(listed[0].name, "squares");
}

#[tokio::test]
async fn a_handler_exception_is_reported_and_the_next_call_works() {
    let server = TestServer::start(edge_and_cloud()).await;
    server.create("divide", "def handler(event, context):\n    return [1 / x for x in event]\n").await;

    let failed = server.invoke("divide", "[1, 0]", None).await;
    assert_eq!(failed.status, 500);
    let error = failed.error().unwrap().error;
    assert_eq!(error.code, "handler_error");
    assert_eq!(error.error_type.as_deref(), Some("ZeroDivisionError"));
    assert!(error.message.contains("division by zero"));
    assert!(!failed.placement.worker.is_empty(), "the error still says where it ran");

    let ok = server.invoke("divide", "[4]", None).await;
    assert_eq!((ok.status.as_u16(), ok.json()), (200, json!([0.25])));
}

#[tokio::test]
async fn a_handler_past_its_timeout_gets_504_and_the_next_call_works() {
    let server = TestServer::start(edge_and_cloud()).await;
    let source = "import time\ndef handler(event, context):\n    time.sleep(event['sleep'])\n    return 'woke'\n";
    server.create_spec(FunctionSpec { cloud_supported: false, timeout_s: 1, ..FunctionSpec::new("sleepy", source) }).await;

    let slow = server.invoke("sleepy", r#"{"sleep": 30}"#, None).await;
    assert_eq!(slow.status, 504, "{:?}", slow.json());
    assert_eq!(slow.error().unwrap().error.code, "timeout");

    let fast = server.invoke("sleepy", r#"{"sleep": 0}"#, None).await;
    assert_eq!((fast.status.as_u16(), fast.json()), (200, json!("woke")));
}

#[tokio::test]
async fn bad_requests_get_clear_errors_and_the_service_keeps_serving() {
    let server = TestServer::start(edge_and_cloud()).await;
    server.create("squares", SQUARES).await;

    let unknown = server.invoke("nope", "[1]", None).await;
    assert_eq!(unknown.status, 404);
    assert_eq!(unknown.error().unwrap().error.code, "unknown_function");

    let malformed = server.invoke("squares", "[1, 2", None).await;
    assert_eq!(malformed.status, 400);
    assert!(malformed.error().unwrap().error.message.contains("not valid JSON"));

    let (status, body) = server
        .post_json("/functions", &json!({"name": "Bad_Name", "source_code": "x", "edge_supported": true, "cloud_supported": true}))
        .await;
    assert_eq!(status, 400);
    assert!(body.unwrap().error.message.contains("^[a-z][a-z0-9-]{0,62}$"));

    assert_eq!(server.post_raw("/functions", "{not json").await.0, 400);

    let taken = server.api.create(&spec("squares", SQUARES)).await.unwrap_err();
    assert_eq!(taken.status().map(|s| s.as_u16()), Some(409), "{taken}");
    assert!(taken.to_string().contains("function_exists"), "{taken}");

    let response = server.client.post(server.url("/functions/squares/invoke")).header(hetfaas_api::headers::POLICY, "fastest").body("[1]");
    assert_eq!(response.send().await.unwrap().status(), 400);

    let ok = server.invoke("squares", "[3]", Some(PolicyKind::Predicted)).await;
    assert_eq!((ok.status.as_u16(), ok.json()), (200, json!([9])));
}

#[tokio::test]
async fn code_that_does_not_import_fails_the_function_with_the_python_error() {
    let server = TestServer::start(edge_and_cloud()).await;
    let broken = server.create("broken", "def handler(event, context)\n    return 1\n").await;
    assert_eq!(broken.state, State::Failed);
    assert!(broken.reason.as_deref().unwrap().contains("SyntaxError"), "{broken:?}");

    let missing = server.create("nohandler", "def main(event, context):\n    return 1\n").await;
    assert_eq!(missing.state, State::Failed);
    assert!(missing.reason.as_deref().unwrap().contains("handler"), "{missing:?}");

    let refused = server.invoke("broken", "[]", None).await;
    assert_eq!(refused.status, 409);
}

#[tokio::test]
async fn the_dissertations_routes_work_alongside_the_resource_routes() {
    let server = TestServer::start(edge_and_cloud()).await;
    let spec = json!({"name": "echo", "source_code": "def handler(e, c):\n    return {'got': e}\n", "edge_supported": true, "cloud_supported": true});
    let (status, _) = server.post_json("/function", &json!({ "function": spec })).await;
    assert_eq!(status, 202);
    server.wait_state("echo", &[State::Ready]).await;

    let response =
        server.client.post(server.url("/function/invoke")).json(&json!({"name": "echo", "payload": [1, 2]})).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.json::<serde_json::Value>().await.unwrap(), json!({"got": [1, 2]}));

    let credentials = [("aws_access_key_id".to_owned(), "AKIA-TEST".to_owned()), ("aws_secret_access_key".to_owned(), "s3cr3t".to_owned())];
    server.api.put_credentials("aws", &credentials.into_iter().collect()).await.unwrap();
    let health = serde_json::to_string(&server.api.health().await.unwrap()).unwrap();
    let metrics = server.api.metrics().await.unwrap();
    for text in [health, metrics] {
        assert!(!text.contains("s3cr3t") && !text.contains("AKIA-TEST"), "credentials leaked: {text}");
    }
}

#[tokio::test]
async fn deleting_a_function_removes_it() {
    let server = TestServer::start(edge_and_cloud()).await;
    server.create("squares", SQUARES).await;
    server.api.delete("squares").await.unwrap();
    assert_eq!(server.invoke("squares", "[1]", None).await.status, 404);
    let again = server.api.delete("squares").await.unwrap_err();
    assert_eq!(again.status().map(|s| s.as_u16()), Some(404));
}
