//! The node server, `hetfaas node`: one local platform served as its own
//! process. (Its client, the orchestrator's `node` platform, lives in
//! `platform::node`; the format both speak in `platform::lambda_wire`.)
//!
//! It speaks two dialects of Lambda (see [`lambda_api`]): the Invoke API
//! subset and the runtime-interface-emulator path that Lambda container
//! images (and so Knative services built from them) answer on. Beside them
//! sit a small deploy API and `/healthz`. The orchestrator's `node`,
//! `lambda` and `knative` platforms are its clients in tests; it is also how
//! a small edge device becomes a worker without Kubernetes.

mod lambda_api;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, Path as UrlPath, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{post, put};
use axum::{Json, Router};

use crate::api::auth::require;
use crate::api::error::{ApiError, MAX_BODY, parse_json};
use crate::function::{FunctionSpec, validate_name};
use crate::platform::lambda_wire::NodeHealth;
use crate::platform::local::{LocalConfig, LocalPlatform};
use crate::platform::{DeployError, Platform, StartError};
use crate::server::{Listening, Unprotected, protect};

/// How a node behaves beyond its local platform's settings.
#[derive(Debug, Clone, Default)]
pub struct NodeOptions {
    /// Invocations of one function in flight at once before the node answers
    /// 429 `TooManyRequestsException`, as Lambda does past a function's
    /// reserved concurrency. `None` queues instead (the local pool's limit).
    pub max_concurrency: Option<usize>,
    /// Bearer token for deploy and remove (`--token`, `HETFAAS_NODE_TOKEN`).
    pub token: Option<String>,
    /// Listen beyond loopback with no token (refused otherwise).
    pub insecure: bool,
}

/// A running node: its platform and its listener.
#[derive(Debug)]
pub struct Node {
    shared: Arc<Shared>,
    listening: Listening,
}

/// What every handler of a node reads.
#[derive(Debug)]
struct Shared {
    platform: LocalPlatform,
    options: NodeOptions,
    /// Deployed function → invocations in flight.
    functions: Mutex<HashMap<String, usize>>,
}

#[derive(Debug, thiserror::Error)]
pub enum NodeError {
    #[error(transparent)]
    Start(#[from] StartError),
    #[error("cannot listen on {addr}: {source}")]
    Bind { addr: SocketAddr, source: std::io::Error },
    #[error(transparent)]
    Unprotected(#[from] Unprotected),
}

impl Node {
    pub async fn start(
        listen: SocketAddr,
        data_dir: &Path,
        config: LocalConfig,
        seed: u64,
        options: NodeOptions,
    ) -> Result<Node, NodeError> {
        protect(listen, options.token.is_some(), options.insecure, "a node token (--token or HETFAAS_NODE_TOKEN)")?;
        crate::config::private_dir(data_dir)
            .map_err(|e| StartError { worker: "node".into(), detail: format!("{}: {e}", data_dir.display()) })?;
        let platform = LocalPlatform::start("node", config, data_dir, seed)?;
        let shared = Arc::new(Shared { platform, options, functions: Mutex::default() });
        let router = Router::new()
            .route("/functions/{name}", put(deploy).delete(remove))
            .route("/2015-03-31/functions/function/invocations", post(lambda_api::invoke_only))
            .route("/2015-03-31/functions/{name}/invocations", post(lambda_api::invoke_named))
            .route("/{name}/2015-03-31/functions/function/invocations", post(lambda_api::invoke_named))
            .route("/healthz", axum::routing::get(health))
            .layer(DefaultBodyLimit::max(MAX_BODY))
            .with_state(shared.clone());
        let listening = Listening::bind(listen, router).await.map_err(|source| NodeError::Bind { addr: listen, source })?;
        tracing::info!(addr = %listening.addr(), "hetfaas node listening");
        Ok(Node { shared, listening })
    }

    pub fn addr(&self) -> SocketAddr {
        self.listening.addr()
    }

    pub async fn shutdown(self) {
        self.listening.stop().await;
        self.shared.platform.shutdown().await;
    }
}

type NodeState = State<Arc<Shared>>;

/// A function name from a URL: the orchestrator's rule, or 400. (axum has
/// percent-decoded it, so `..%2F..` arrives as `../..` and is refused here.)
pub(crate) fn function_name(name: &str) -> Result<&str, ApiError> {
    validate_name(name).map(|()| name).map_err(|e| ApiError::bad_request(e.to_string()))
}

async fn deploy(
    State(shared): NodeState,
    UrlPath(name): UrlPath<String>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    require(shared.options.token.as_deref(), &headers)?;
    function_name(&name)?;
    let spec: FunctionSpec = parse_json(&body?)?;
    if spec.name != name {
        return Err(ApiError::bad_request(format!("the URL names {name:?} but the body names {:?}", spec.name)));
    }
    spec.validate().map_err(|e| ApiError::bad_request(e.to_string()))?;
    match shared.platform.deploy(&spec).await {
        Ok(()) => {
            shared.functions.lock().expect("functions lock poisoned").entry(name.clone()).or_default();
            Ok(Json(serde_json::json!({ "name": name, "state": "ready" })).into_response())
        }
        Err(DeployError::Code { error_type, message }) => {
            let mut error = ApiError::new(StatusCode::BAD_REQUEST, "invalid_code", message);
            error.body.error.error_type = Some(error_type);
            Err(error)
        }
        Err(e @ DeployError::Platform { .. }) => Err(ApiError::new(StatusCode::BAD_GATEWAY, "deploy_failed", e.to_string())),
    }
}

async fn remove(State(shared): NodeState, UrlPath(name): UrlPath<String>, headers: HeaderMap) -> Result<StatusCode, ApiError> {
    require(shared.options.token.as_deref(), &headers)?;
    function_name(&name)?;
    shared.functions.lock().expect("functions lock poisoned").remove(&name);
    let _ = shared.platform.remove(&name).await;
    Ok(StatusCode::NO_CONTENT)
}

async fn health(State(shared): NodeState) -> Json<NodeHealth> {
    let in_flight = shared.functions.lock().expect("functions lock poisoned").iter().map(|(f, n)| (f.clone(), *n)).collect();
    Json(NodeHealth { status: "ok".into(), utilisation: shared.platform.utilisation(), in_flight, details: shared.platform.details() })
}
