//! Without cgroups the local platform says so and caps memory with
//! `RLIMIT_AS` instead: a handler that allocates past its limit gets a
//! `MemoryError` (its own error, 500), and the next call works. One test,
//! because `HETFAAS_CGROUPS=off` is read once per process.

mod common;

use common::{TestServer, local_worker};
use hetfaas::function::Tier;
use hetfaas_api::{FunctionSpec, State};
use serde_json::json;

#[tokio::test]
async fn without_cgroups_memory_is_capped_by_rlimit_as() {
    // SAFETY: set before any server starts, in a test binary with one test.
    unsafe { std::env::set_var("HETFAAS_CGROUPS", "off") };
    let server = TestServer::start(vec![local_worker("edge", Tier::Edge, Some(0.5), 0.0)]).await;
    let edge = common::worker_health(&server, "edge").await;
    let limits = edge.details["limits"].as_str().unwrap();
    assert!(limits.starts_with("unconstrained") && limits.contains("HETFAAS_CGROUPS=off"), "the fallback is reported: {limits}");

    let source =
        "def handler(event, context):\n    blocks = [bytearray(1024 * 1024) for _ in range(event['mb'])]\n    return len(blocks)\n";
    let spec = FunctionSpec { cloud_supported: false, memory_mb: 64, ..FunctionSpec::new("hog", source) };
    assert_eq!(server.create_spec(spec).await.state, State::Ready);
    // 64 MB plus the 256 MB of address space the interpreter is allowed.
    let refused = server.invoke("hog", r#"{"mb": 1024}"#, None).await;
    assert_eq!(refused.status, 500, "{:?}", refused.json());
    assert_eq!(refused.error().unwrap().error.error_type.as_deref(), Some("MemoryError"));
    let fine = server.invoke("hog", r#"{"mb": 8}"#, None).await;
    assert_eq!((fine.status.as_u16(), fine.json()), (200, json!(8)));
}
