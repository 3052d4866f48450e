//! Access: admin routes need the admin token (config or
//! `HETFAAS_ADMIN_TOKEN`), invoke can need its own, and handlers never see
//! the orchestrator's secrets. One test, because it sets the process
//! environment.

mod common;

use common::{TestServer, config, edge_and_cloud};
use hetfaas_api::{FunctionSpec, State};
use serde_json::json;

async fn status(request: reqwest::RequestBuilder) -> u16 {
    request.send().await.unwrap().status().as_u16()
}

#[tokio::test]
async fn tokens_guard_admin_and_invoke_and_secrets_stay_out_of_handlers() {
    // SAFETY: set before any server starts, in a test binary with one test.
    unsafe {
        std::env::set_var("HETFAAS_ADMIN_TOKEN", "admin-secret");
        std::env::set_var("AWS_SECRET_ACCESS_KEY", "aws-secret");
    }
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = config(dir.path(), edge_and_cloud());
    cfg.admin_token = Some("overridden-by-the-environment".into());
    cfg.invoke_token = Some("invoke-secret".into());
    let server = TestServer::start_with(cfg, dir).await;
    let c = &server.client;
    let spec = FunctionSpec::new("env", "import os\ndef handler(e, c):\n    return dict(os.environ)\n");

    assert_eq!(status(c.post(server.url("/functions")).json(&spec)).await, 401);
    assert_eq!(status(c.post(server.url("/functions")).bearer_auth("overridden-by-the-environment").json(&spec)).await, 403);
    for (method, path) in [
        ("DELETE", "/functions/env"),
        ("PUT", "/credentials"),
        ("PUT", "/train/env"),
        ("PUT", "/cluster"),
        ("PUT", "/transfer/env"),
        ("PUT", "/learning"),
        ("GET", "/functions/env/executions"),
    ] {
        let request = c.request(method.parse().unwrap(), server.url(path)).json(&json!({}));
        assert_eq!(status(request).await, 401, "{method} {path} without a token");
    }
    // The typed client carries the admin token from the environment.
    server.api.create(&spec).await.unwrap();
    assert_eq!(server.wait_state("env", &[State::Ready]).await.state, State::Ready);
    let creds =
        [("aws_access_key_id".to_owned(), "AKIA-TEST".to_owned()), ("aws_secret_access_key".to_owned(), "stored-secret".to_owned())];
    server.api.put_credentials("aws", &creds.into_iter().collect()).await.unwrap();

    let invoke = server.url("/functions/env/invoke");
    assert_eq!(status(c.post(&invoke).body("null")).await, 401);
    assert_eq!(status(c.post(&invoke).bearer_auth("admin-secret").body("null")).await, 403);
    let response = c.post(&invoke).bearer_auth("invoke-secret").body("null").send().await.unwrap();
    assert_eq!(response.status(), 200);
    let environment = response.text().await.unwrap();
    for secret in ["admin-secret", "aws-secret", "invoke-secret", "stored-secret", "HETFAAS_ADMIN_TOKEN"] {
        assert!(!environment.contains(secret), "the handler saw {secret}: {environment}");
    }
    let health = serde_json::to_string(&server.api.health().await.unwrap()).unwrap();
    let metrics = server.api.metrics().await.unwrap();
    let listed = serde_json::to_string(&server.api.functions().await.unwrap()).unwrap();
    for text in [health, metrics, listed] {
        assert!(!text.contains("stored-secret") && !text.contains("admin-secret"), "{text}");
    }
}
