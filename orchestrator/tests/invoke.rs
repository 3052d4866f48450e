//! Creating and invoking functions through the HTTP API, with real Python,
//! and every error a user can provoke on the way.

mod common;

use common::{SQUARES, TestServer, edge_and_cloud};
use serde_json::json;

#[tokio::test]
async fn a_function_created_from_source_answers_with_its_result_and_placement() {
    let server = TestServer::start(edge_and_cloud()).await;
    let created = server.create("squares", SQUARES).await;
    assert_eq!(created["state"], "ready", "{created}");
    assert_eq!(created["workers"], json!(["edge", "cloud"]));

    let invoked = server.invoke("squares", "[1, 2, 3, 4]", None).await;
    assert_eq!(invoked.status, 200);
    assert_eq!(invoked.body, json!([1, 4, 9, 16]));
    assert!(matches!(invoked.worker.as_deref(), Some("edge" | "cloud")));
    assert!(invoked.duration_ms.unwrap() > 0.0);

    let (status, listed) = server.get("/functions").await;
    assert_eq!(status, 200);
    assert_eq!(listed["functions"][0]["name"], "squares");
}

#[tokio::test]
async fn a_handler_exception_is_reported_and_the_next_call_works() {
    let server = TestServer::start(edge_and_cloud()).await;
    server.create("divide", "def handler(event, context):\n    return [1 / x for x in event]\n").await;

    let failed = server.invoke("divide", "[1, 0]", None).await;
    assert_eq!(failed.status, 500);
    assert_eq!(failed.body["error"]["code"], "handler_error");
    assert_eq!(failed.body["error"]["type"], "ZeroDivisionError");
    assert!(failed.body["error"]["message"].as_str().unwrap().contains("division by zero"));
    assert!(failed.worker.is_some(), "the error still says where it ran");

    let ok = server.invoke("divide", "[4]", None).await;
    assert_eq!((ok.status, ok.body), (200, json!([0.25])));
}

#[tokio::test]
async fn a_handler_past_its_timeout_gets_504_and_the_next_call_works() {
    let server = TestServer::start(edge_and_cloud()).await;
    let source = "import time\ndef handler(event, context):\n    time.sleep(event['sleep'])\n    return 'woke'\n";
    server
        .create_spec(json!({"name": "sleepy", "source_code": source, "edge_supported": true, "cloud_supported": false, "timeout_s": 1}))
        .await;

    let slow = server.invoke("sleepy", r#"{"sleep": 30}"#, None).await;
    assert_eq!(slow.status, 504, "{:?}", slow.body);
    assert_eq!(slow.body["error"]["code"], "timeout");

    let fast = server.invoke("sleepy", r#"{"sleep": 0}"#, None).await;
    assert_eq!((fast.status, fast.body), (200, json!("woke")));
}

#[tokio::test]
async fn bad_requests_get_clear_errors_and_the_service_keeps_serving() {
    let server = TestServer::start(edge_and_cloud()).await;
    server.create("squares", SQUARES).await;

    let unknown = server.invoke("nope", "[1]", None).await;
    assert_eq!(unknown.status, 404);
    assert_eq!(unknown.body["error"]["code"], "unknown_function");

    let malformed = server.invoke("squares", "[1, 2", None).await;
    assert_eq!(malformed.status, 400);
    assert!(malformed.body["error"]["message"].as_str().unwrap().contains("not valid JSON"));

    let (status, body) = server
        .post_json("/functions", &json!({"name": "Bad_Name", "source_code": "x", "edge_supported": true, "cloud_supported": true}))
        .await;
    assert_eq!(status, 400);
    assert!(body["error"]["message"].as_str().unwrap().contains("^[a-z][a-z0-9-]{0,62}$"), "{body}");

    let response = server.client.post(server.url("/functions")).body("{not json").send().await.unwrap();
    assert_eq!(response.status(), 400);

    let (status, body) = server
        .post_json("/functions", &json!({"name": "squares", "source_code": SQUARES, "edge_supported": true, "cloud_supported": true}))
        .await;
    assert_eq!((status, body["error"]["code"].as_str()), (409, Some("function_exists")));

    let policy = server.invoke("squares", "[1]", Some("fastest")).await;
    assert_eq!(policy.status, 400);

    let ok = server.invoke("squares", "[3]", None).await;
    assert_eq!((ok.status, ok.body), (200, json!([9])));
}

#[tokio::test]
async fn code_that_does_not_import_fails_the_function_with_the_python_error() {
    let server = TestServer::start(edge_and_cloud()).await;
    let broken = server.create("broken", "def handler(event, context)\n    return 1\n").await;
    assert_eq!(broken["state"], "failed");
    assert!(broken["reason"].as_str().unwrap().contains("SyntaxError"), "{broken}");

    let missing = server.create("nohandler", "def main(event, context):\n    return 1\n").await;
    assert_eq!(missing["state"], "failed");
    assert!(missing["reason"].as_str().unwrap().contains("handler"), "{missing}");

    let refused = server.invoke("broken", "[]", None).await;
    assert_eq!(refused.status, 409);
}

#[tokio::test]
async fn the_dissertations_routes_work_alongside_the_resource_routes() {
    let server = TestServer::start(edge_and_cloud()).await;
    let spec = json!({"name": "echo", "source_code": "def handler(e, c):\n    return {'got': e}\n", "edge_supported": true, "cloud_supported": true});
    let (status, _) = server.post_json("/function", &json!({ "function": spec })).await;
    assert_eq!(status, 202);
    server.wait_state("echo", &["ready"]).await;

    let (status, body) = server.post_json("/function/invoke", &json!({"name": "echo", "payload": [1, 2]})).await;
    assert_eq!((status, body), (200, json!({"got": [1, 2]})));

    let response = server
        .client
        .put(server.url("/credentials"))
        .json(&json!({"aws_access_key_id": "AKIA-TEST", "aws_secret_access_key": "s3cr3t"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204);
    let (_, health) = server.get("/healthz").await;
    let metrics = server.client.get(server.url("/metrics")).send().await.unwrap().text().await.unwrap();
    for text in [health.to_string(), metrics] {
        assert!(!text.contains("s3cr3t") && !text.contains("AKIA-TEST"), "credentials leaked: {text}");
    }
}

#[tokio::test]
async fn deleting_a_function_removes_it() {
    let server = TestServer::start(edge_and_cloud()).await;
    server.create("squares", SQUARES).await;
    let response = server.client.delete(server.url("/functions/squares")).send().await.unwrap();
    assert_eq!(response.status(), 204);
    assert_eq!(server.invoke("squares", "[1]", None).await.status, 404);
    let response = server.client.delete(server.url("/functions/squares")).send().await.unwrap();
    assert_eq!(response.status(), 404);
}
