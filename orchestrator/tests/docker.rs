//! Building a function image with a real Docker engine, when `DOCKER_HOST`
//! names one. Pushing is left to the `lambda`/`knative` integration tests,
//! which need a registry; the build context is unit-tested without Docker.
#![cfg(feature = "docker")]

mod common;

use hetfaas::platform::image::{BuildConfig, ImageBuilder};
use serde_json::json;

#[tokio::test]
async fn builds_a_lambda_image_from_the_function_code() {
    if common::real_infrastructure("docker image build", &["DOCKER_HOST"]).is_none() {
        return;
    }
    let config: BuildConfig = toml::from_str("push = false").unwrap();
    let builder = ImageBuilder::new("cloud", config).unwrap();
    let spec = serde_json::from_value(json!({ "name": "doubler", "source_code": "def handler(e, c):\n    return e * 2\n", "edge_supported": true, "cloud_supported": true })).unwrap();
    builder.publish(&spec, "hetfaas-test/doubler:it").await.unwrap();
}
