//! Bad input gets a clear error and loses nothing: each request here is
//! refused with the status and JSON error a user sees, and the service keeps
//! serving afterwards.

mod common;

use common::{SQUARES, TestServer, edge_and_cloud};
use hetfaas_api::{ErrorBody, State};
use serde_json::json;

fn message(body: &Option<ErrorBody>) -> &str {
    body.as_ref().map_or("", |b| b.error.message.as_str())
}

#[tokio::test]
async fn malformed_creates_name_the_problem() {
    let server = TestServer::start(edge_and_cloud()).await;
    // (body, what the message names, the error code)
    let (malformed, invalid) = ("invalid_request", "invalid_function");
    let cases = [
        (json!({"name": "f", "source_code": SQUARES, "edge_supported": "yes", "cloud_supported": true}), "invalid type", malformed),
        (json!({"name": "f"}), "missing field `source_code`", malformed),
        (
            json!({"name": "f", "source_code": SQUARES, "edge_supported": true, "cloud_supported": true, "colour": 1}),
            "unknown field `colour`",
            malformed,
        ),
        (
            json!({"name": "f", "source_code": SQUARES, "edge_supported": false, "cloud_supported": false}),
            "neither edge nor cloud",
            invalid,
        ),
        (json!({"name": "f", "source_code": "  ", "edge_supported": true, "cloud_supported": true}), "empty", invalid),
        (
            json!({"name": "f", "source_code": SQUARES, "edge_supported": true, "cloud_supported": true, "timeout_s": 0}),
            "timeout_s",
            invalid,
        ),
        (json!(["not", "an", "object"]), "invalid type", malformed),
    ];
    for (body, expected, code) in cases {
        let (status, answer) = server.post_json("/functions", &body).await;
        assert_eq!(status, 400, "{body}: {answer:?}");
        assert!(message(&answer).contains(expected), "{body}: {answer:?}");
        assert_eq!(answer.unwrap().error.code, code, "{body}");
    }
    let (status, answer) = server.post_raw("/functions", vec![0xff, 0xfe, b'{']).await;
    assert_eq!(status, 400, "{answer:?}");
    assert_eq!(server.create("squares", SQUARES).await.state, State::Ready, "still serving");
}

#[tokio::test]
async fn bad_events_are_refused_and_the_next_call_works() {
    let server = TestServer::start(edge_and_cloud()).await;
    server.create("squares", SQUARES).await;

    let (status, answer) = server.post_raw("/functions/squares/invoke", vec![b'[', 0xc3, 0x28, b']']).await;
    assert_eq!(status, 400);
    assert!(message(&answer).contains("not UTF-8"), "{answer:?}");

    let (status, answer) = server.post_raw("/functions/squares/invoke", Vec::new()).await;
    assert_eq!(status, 400, "an empty body is not an event: {answer:?}");

    // Over Lambda's 6 MB limit: refused before the body is read whole.
    let big = format!("[{}1]", "1,".repeat(3_500_000));
    let (status, answer) = server.post_raw("/functions/squares/invoke", big.into_bytes()).await;
    assert_eq!(status, 413);
    assert_eq!(answer.unwrap().error.code, "payload_too_large");

    // Deeper than Python's decoder goes: the handler's runtime says so.
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let invoked = server.invoke("squares", &deep, None).await;
    assert_eq!(invoked.status, 500, "{:?}", invoked.json());
    assert_eq!(invoked.error().unwrap().error.error_type.as_deref(), Some("RecursionError"));

    let (status, answer) = server.post_json("/function/invoke", &json!({"name": "squares"})).await;
    assert_eq!(status, 400);
    assert!(message(&answer).contains("missing field `payload`"), "{answer:?}");

    let ok = server.invoke("squares", "[7]", None).await;
    assert_eq!((ok.status.as_u16(), ok.json()), (200, json!([49])));
}
