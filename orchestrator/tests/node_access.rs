//! A node's deploy API, reached as a stranger would: names that would lead
//! outside its directory are refused before anything touches the disk,
//! and with a token only its holder deploys or removes code. The
//! orchestrator's `node` worker carries the token.

mod common;

use common::{SQUARES, TestServer};
use hetfaas::config::WorkerConfig;
use hetfaas::function::Tier;
use hetfaas::node_server::{Node, NodeOptions};
use hetfaas::platform::PlatformConfig;
use hetfaas::platform::local::LocalConfig;
use hetfaas::platform::node::NodeConfig;
use hetfaas_api::{FunctionSpec, State};

const TOKEN: &str = "node-secret";

async fn status(request: reqwest::RequestBuilder) -> u16 {
    request.send().await.unwrap().status().as_u16()
}

#[tokio::test]
async fn names_leading_outside_the_node_are_refused_and_deploy_needs_the_token() {
    let root = tempfile::tempdir().unwrap();
    let data = root.path().join("node");
    // `..%2F..%2Fx` from the node's `functions/` lands here; the absolute
    // name names the other one.
    let beside = data.join("workers/x");
    let elsewhere = root.path().join("victim");
    for dir in [&beside, &elsewhere] {
        std::fs::create_dir_all(dir).unwrap();
        std::fs::write(dir.join("keep"), "").unwrap();
    }
    let options = NodeOptions { token: Some(TOKEN.into()), ..NodeOptions::default() };
    let node = Node::start("127.0.0.1:0".parse().unwrap(), &data, LocalConfig::default(), 1, options).await.unwrap();
    let base = format!("http://{}", node.addr());
    let c = reqwest::Client::new();
    let absolute = elsewhere.display().to_string().replace('/', "%2F");

    for name in ["..%2F..%2Fx", absolute.as_str(), "UPPER", "a%00b"] {
        let url = format!("{base}/functions/{name}");
        assert_eq!(status(c.delete(&url).bearer_auth(TOKEN)).await, 400, "DELETE {name}");
        let spec = FunctionSpec::new("f", SQUARES);
        assert_eq!(status(c.put(&url).bearer_auth(TOKEN).json(&spec)).await, 400, "PUT {name}");
        let invoke = format!("{base}/2015-03-31/functions/{name}/invocations");
        assert_eq!(status(c.post(&invoke).body("[1]")).await, 400, "invoke {name}");
    }
    for dir in [&beside, &elsewhere] {
        assert!(dir.join("keep").exists(), "{} was touched", dir.display());
    }

    let url = format!("{base}/functions/squares");
    let spec = FunctionSpec::new("squares", SQUARES);
    assert_eq!(status(c.put(&url).json(&spec)).await, 401, "deploy without the token");
    assert_eq!(status(c.put(&url).bearer_auth("guess").json(&spec)).await, 403, "deploy with a wrong token");
    assert_eq!(status(c.delete(&url)).await, 401, "remove without the token");
    assert_eq!(status(c.put(&url).bearer_auth(TOKEN).json(&spec)).await, 200);
    let invoked = c.post(format!("{base}/2015-03-31/functions/squares/invocations")).body("[3]").send().await.unwrap();
    assert_eq!(invoked.text().await.unwrap(), "[9]", "invoking needs no token, as behind Lambda's own auth");

    // The orchestrator's worker deploys with the token it is given, and a
    // worker without it sees why it cannot.
    let worker = |name: &str, token: Option<&str>, tier| WorkerConfig {
        name: name.into(),
        tier,
        platform: PlatformConfig::Node(NodeConfig { url: base.clone(), connect_timeout_s: 1, token: token.map(str::to_owned) }),
    };
    let server = TestServer::start(vec![worker("edge", Some(TOKEN), Tier::Edge)]).await;
    assert_eq!(server.create("cubes", "def handler(e, c):\n    return [x ** 3 for x in e]\n").await.state, State::Ready);
    let strangers = TestServer::start(vec![worker("edge", None, Tier::Edge)]).await;
    let failed = strangers.create("quads", SQUARES).await;
    assert_eq!(failed.state, State::Failed);
    assert!(failed.reason.as_deref().unwrap_or_default().contains("401"), "{failed:?}");
    assert!(failed.reason.as_deref().unwrap_or_default().contains("the node's --token"), "{failed:?}");
    node.shutdown().await;
}
