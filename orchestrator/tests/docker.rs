//! Building and pushing a function image through `bollard`.
//!
//! Always: against a stand-in Docker engine on a Unix socket that records
//! what it is sent, the builder sends the generated context (Dockerfile and
//! `main.py`) with the image name and platform, then pushes that tag; an
//! engine error is reported with the image's name. With `DOCKER_HOST` set,
//! also a real build on that engine (pushing needs a registry and is left
//! to the `lambda`/`knative` integration tests).
#![cfg(feature = "docker")]

mod common;

use std::io::Read;
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::extract::{OriginalUri, State};
use axum::http::{HeaderMap, Method};
use hetfaas::function::FunctionSpec;
use hetfaas::platform::image::{BuildConfig, ImageBuilder};

/// One request the stand-in engine received.
#[derive(Debug, Clone)]
struct Received {
    method: Method,
    uri: String,
    headers: HeaderMap,
    body: Bytes,
}

type Log = Arc<Mutex<Vec<Received>>>;

/// Answers like the Docker engine's API, as far as a build and a push go;
/// a build of an image named `*fails*` reports an error in its stream.
async fn engine(State(log): State<Log>, method: Method, OriginalUri(uri): OriginalUri, headers: HeaderMap, body: Bytes) -> String {
    let uri = uri.to_string();
    log.lock().unwrap().push(Received { method, uri: uri.clone(), headers, body });
    let path = uri.split('?').next().unwrap_or_default();
    if path.ends_with("/build") && uri.contains("fails") {
        "{\"errorDetail\":{\"message\":\"pull access denied\"},\"error\":\"pull access denied\"}\n".into()
    } else if path.ends_with("/build") {
        "{\"stream\":\"Step 1/3 : FROM base\\n\"}\n{\"aux\":{\"ID\":\"sha256:0123\"}}\n".into()
    } else if path.ends_with("/push") {
        "{\"status\":\"Pushed\"}\n".into()
    } else {
        "{}".into()
    }
}

fn spec() -> FunctionSpec {
    FunctionSpec::new("doubler", "def handler(e, c):\n    return e * 2\n")
}

/// The entries of a tar archive, by path.
fn entries(tar: &[u8]) -> std::collections::BTreeMap<String, String> {
    let mut entries = std::collections::BTreeMap::new();
    for entry in tar::Archive::new(tar).entries().unwrap() {
        let mut entry = entry.unwrap();
        let mut text = String::new();
        entry.read_to_string(&mut text).unwrap();
        entries.insert(entry.path().unwrap().display().to_string(), text);
    }
    entries
}

#[tokio::test]
async fn builds_and_pushes_through_the_docker_api() {
    let dir = tempfile::tempdir().unwrap();
    let socket = dir.path().join("docker.sock");
    let log: Log = Arc::default();
    let app = axum::Router::new().fallback(engine).with_state(log.clone());
    let listener = tokio::net::UnixListener::bind(&socket).unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });

    let config: BuildConfig = toml::from_str(&format!("docker_host = \"unix://{}\"", socket.display())).unwrap();
    let builder = ImageBuilder::new("cloud", config).unwrap();
    builder.publish(&spec(), "registry.example:5000/hetfaas/doubler:v1").await.unwrap();

    let received = log.lock().unwrap().clone();
    let build = received.iter().find(|r| r.uri.split('?').next().unwrap().ends_with("/build")).expect("a build request");
    assert_eq!(build.method, Method::POST);
    for part in ["t=registry.example%3A5000%2Fhetfaas%2Fdoubler%3Av1", "platform=linux%2Farm64", "dockerfile=Dockerfile"] {
        assert!(build.uri.contains(part), "{part} in {}", build.uri);
    }
    let context = entries(&build.body);
    assert_eq!(context["main.py"], spec().source_code);
    assert!(context["Dockerfile"].starts_with("FROM public.ecr.aws/lambda/python:3.12\n"), "{}", context["Dockerfile"]);
    let push = received.iter().find(|r| r.uri.split('?').next().unwrap().ends_with("/push")).expect("a push after the build");
    assert!(push.uri.contains("/images/registry.example:5000/hetfaas/doubler/push") && push.uri.contains("tag=v1"), "{}", push.uri);
    assert!(received.iter().position(|r| std::ptr::eq(r, build)) < received.iter().position(|r| std::ptr::eq(r, push)));
    // bollard always sends the header; for a registry that is not ECR it
    // must carry no credentials (base64 of an object with no values).
    let auth = push.headers.get("x-registry-auth").map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default();
    let decoded: serde_json::Value =
        serde_json::from_slice(&base64::Engine::decode(&base64::engine::general_purpose::URL_SAFE, &auth).unwrap_or_default())
            .unwrap_or_default();
    assert!(
        decoded.as_object().is_none_or(|o| o.values().all(|v| v.is_null())),
        "no credentials for a registry that is not ECR: {decoded}"
    );

    let error = builder.publish(&spec(), "registry.example:5000/hetfaas/fails:v1").await.unwrap_err();
    let message = error.to_string();
    assert!(message.contains("fails:v1") && message.contains("pull access denied"), "{message}");
}

#[tokio::test]
async fn builds_a_lambda_image_on_a_real_engine() {
    let Some([host]) = common::real_infrastructure("docker image build", &["DOCKER_HOST"]).map(|v| <[String; 1]>::try_from(v).unwrap())
    else {
        return;
    };
    let config: BuildConfig = toml::from_str(&format!("push = false\ndocker_host = {host:?}")).unwrap();
    let builder = ImageBuilder::new("cloud", config).unwrap();
    builder.publish(&spec(), "hetfaas-test/doubler:it").await.unwrap();
}
