//! With the cloud worker unreachable, every request is still served by the
//! edge (dissertation 3.7). The cloud here is a real `hetfaas node` process
//! endpoint reached over HTTP, stopped mid-test.

mod common;

use common::{SQUARES, TestServer, local_worker};
use hetfaas::config::WorkerConfig;
use hetfaas::function::Tier;
use hetfaas::node::{Node, NodeOptions};
use hetfaas::platform::PlatformConfig;
use hetfaas::platform::local::LocalConfig;
use hetfaas::platform::node::NodeConfig;
use serde_json::json;

#[tokio::test]
async fn when_the_cloud_is_unreachable_the_edge_serves_everything() {
    let node_dir = tempfile::tempdir().unwrap();
    let node =
        Node::start("127.0.0.1:0".parse().unwrap(), node_dir.path(), LocalConfig::default(), 1, NodeOptions::default()).await.unwrap();
    let cloud = WorkerConfig {
        name: "cloud".into(),
        tier: Tier::Cloud,
        platform: PlatformConfig::Node(NodeConfig { url: format!("http://{}", node.addr()), connect_timeout_s: 1 }),
    };
    let server = TestServer::start(vec![local_worker("edge", Tier::Edge, None, 1.0), cloud]).await;
    server.create("squares", SQUARES).await;

    let on_cloud = server.invoke("squares", "[2]", Some("cloud-only")).await;
    assert_eq!((on_cloud.status, on_cloud.worker.as_deref()), (200, Some("cloud")), "the node serves while up");

    node.shutdown().await;
    for policy in ["round-robin", "random", "predicted"] {
        for i in 0..5 {
            let invoked = server.invoke("squares", &format!("[{i}]"), Some(policy)).await;
            assert_eq!(invoked.status, 200, "{policy}: {:?}", invoked.body);
            assert_eq!(invoked.worker.as_deref(), Some("edge"), "{policy}");
            assert_eq!(invoked.body, json!([i * i]));
        }
    }
    let stranded = server.invoke("squares", "[1]", Some("cloud-only")).await;
    assert_eq!(stranded.status, 502, "a single-tier baseline does not leave its tier");
    assert_eq!(stranded.body["error"]["code"], "platform_failure");

    let (_, health) = server.get("/healthz").await;
    assert_eq!(health["workers"][1]["healthy"], false, "{health}");
}
