//! The `lambda` platform end to end against a `hetfaas node`, which speaks
//! the Lambda Invoke API: requests are formed, signed and sent by
//! `aws-sdk-lambda`, and its answers are mapped by the platform. Nothing is
//! created on AWS; the function is deployed on the node directly.
//!
//! `HETFAAS_TEST_AWS_PROFILE` (with `HETFAAS_TEST_LAMBDA_IMAGE`, an image
//! URI in the account) also runs a real deploy, invoke and remove on AWS.
#![cfg(feature = "aws")]

mod common;

use std::collections::BTreeMap;
use std::sync::Arc;

use bytes::Bytes;
use hetfaas::function::FunctionSpec;
use hetfaas::node_server::{Node, NodeOptions};
use hetfaas::platform::lambda::{LambdaConfig, LambdaPlatform};
use hetfaas::platform::local::LocalConfig;
use hetfaas::platform::{FunctionErrorKind, Platform, PlatformError};
use serde_json::json;

/// Doubles `n`; fails when asked; with a `gate`, first waits for that file.
const HANDLER: &str = "import os, time\n\ndef handler(event, context):\n    if event.get('fail'):\n        raise ValueError('asked to fail')\n    \
    while event.get('gate') and not os.path.exists(event['gate']):\n        time.sleep(0.005)\n    return {'doubled': event['n'] * 2}\n";

fn spec(name: &str) -> FunctionSpec {
    FunctionSpec { example_inputs: vec![json!({ "n": 1 })], ..FunctionSpec::new(name, HANDLER) }
}

fn lambda_config(endpoint: Option<String>, profile: Option<String>, image: &str) -> LambdaConfig {
    let mut config: LambdaConfig = toml::from_str(&format!("image = {image:?}\nregion = \"eu-west-2\"")).unwrap();
    config.endpoint_url = endpoint;
    config.profile = profile;
    if config.endpoint_url.is_some() {
        config.role_arn = Some("arn:aws:iam::000000000000:role/unused".into());
    }
    config
}

fn platform(endpoint: Option<String>, profile: Option<String>, image: &str) -> LambdaPlatform {
    LambdaPlatform::new("cloud", lambda_config(endpoint, profile, image)).unwrap()
}

async fn deploy_on_node(node: &Node, name: &str) {
    let response = reqwest::Client::new().put(format!("http://{}/functions/{name}", node.addr())).json(&spec(name)).send().await.unwrap();
    assert!(response.status().is_success(), "{}", response.text().await.unwrap());
}

#[tokio::test]
async fn invokes_through_the_lambda_api_and_maps_every_answer() {
    let dir = tempfile::tempdir().unwrap();
    let options = NodeOptions { max_concurrency: Some(1), ..NodeOptions::default() };
    let node = Node::start("127.0.0.1:0".parse().unwrap(), dir.path(), LocalConfig::default(), 1, options).await.unwrap();
    deploy_on_node(&node, "hetfaas-doubler").await;
    let lambda = Arc::new(platform(Some(format!("http://{}", node.addr())), None, "unused"));
    // Stored credentials, as `PUT /credentials` hands them over; the SDK signs with them.
    lambda.use_credentials("aws", &BTreeMap::from([("access_key_id".into(), "AKIDTEST".into()), ("secret_access_key".into(), "s".into())]));

    let outcome = lambda.invoke("doubler", Bytes::from_static(br#"{"n": 21}"#)).await.unwrap();
    assert_eq!(serde_json::from_slice::<serde_json::Value>(&outcome.result.unwrap()).unwrap(), json!({ "doubled": 42 }));

    let failed = lambda.invoke("doubler", Bytes::from_static(br#"{"fail": true}"#)).await.unwrap();
    let error = failed.result.unwrap_err();
    assert_eq!((error.kind, error.error_type.as_str(), error.message.as_str()), (FunctionErrorKind::Raised, "ValueError", "asked to fail"));
    assert!(!error.stack_trace.is_empty());

    let gate = common::Gate::new();
    let slow = tokio::spawn({
        let (lambda, event) = (lambda.clone(), format!(r#"{{"n": 1, "gate": {}}}"#, gate.json()));
        async move { lambda.invoke("doubler", Bytes::from(event)).await }
    });
    common::until_in_flight(node.addr(), "hetfaas-doubler", 1).await;
    let throttled = lambda.invoke("doubler", Bytes::from_static(br#"{"n": 2}"#)).await.unwrap_err();
    assert!(matches!(throttled, PlatformError::Throttled { .. }), "past the reserved concurrency: {throttled}");
    assert!(throttled.to_string().contains("TooManyRequestsException"), "{throttled}");
    gate.open();
    assert!(slow.await.unwrap().unwrap().result.is_ok(), "the call in flight is not disturbed");

    let missing = lambda.invoke("nobody", Bytes::from_static(b"{}")).await.unwrap_err();
    assert!(matches!(missing, PlatformError::NotDeployed { ref function, .. } if function == "nobody"), "{missing}");

    node.shutdown().await;
    let gone = lambda.invoke("doubler", Bytes::from_static(br#"{"n": 1}"#)).await.unwrap_err();
    assert!(matches!(gone, PlatformError::Unreachable { .. }), "{gone}");
}

/// `function_prefix` + name must fit Lambda's 64 characters: refused at
/// create with a 400 that says the room left, and nothing is stored. The
/// check needs no AWS: the endpoint here answers nothing.
#[tokio::test]
async fn a_name_too_long_for_lambda_with_its_prefix_is_refused_at_create() {
    let config = lambda_config(Some("http://127.0.0.1:1".into()), None, "unused");
    let worker = hetfaas::config::WorkerConfig {
        name: "cloud".into(),
        tier: hetfaas::function::Tier::Cloud,
        platform: hetfaas::platform::PlatformConfig::Lambda(config),
    };
    let server = common::TestServer::start(vec![worker]).await;
    let long = FunctionSpec { edge_supported: false, ..spec(&"a".repeat(63)) };
    let refused = server.api.create(&long).await.unwrap_err();
    assert_eq!(refused.status().map(|s| s.as_u16()), Some(400), "{refused}");
    let message = refused.to_string();
    assert!(message.contains("hetfaas-") && message.contains("64") && message.contains("at most 56"), "{message}");
    assert!(server.api.functions().await.unwrap().is_empty(), "nothing was stored");
    let fits = FunctionSpec { edge_supported: false, ..spec(&"a".repeat(56)) };
    assert_eq!(server.api.create(&fits).await.unwrap().name.len(), 56, "64 characters with the prefix are accepted");
}

#[tokio::test]
async fn on_real_aws_when_a_profile_is_given() {
    let Some([profile, image]) = common::real_infrastructure("lambda on AWS", &["HETFAAS_TEST_AWS_PROFILE", "HETFAAS_TEST_LAMBDA_IMAGE"])
        .map(|v| <[String; 2]>::try_from(v).unwrap())
    else {
        return;
    };
    let lambda = platform(None, Some(profile), &image);
    let spec = spec("hetfaas-it-doubler");
    lambda.deploy(&spec).await.unwrap();
    let outcome = lambda.invoke(&spec.name, Bytes::from_static(br#"{"n": 4}"#)).await;
    lambda.remove(&spec.name).await.unwrap();
    assert_eq!(serde_json::from_slice::<serde_json::Value>(&outcome.unwrap().result.unwrap()).unwrap(), json!({ "doubled": 8 }));
}
