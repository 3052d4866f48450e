//! `hetfaas node`: one local platform served as its own process.
//!
//! It speaks the AWS Lambda Invoke API subset
//! (`POST /2015-03-31/functions/{name}/invocations`; a handler error is a 200
//! with `X-Amz-Function-Error` and a Lambda error body), plus a small deploy
//! API and `/healthz`. The orchestrator's `node` platform is its client; it
//! is also how a small edge device becomes a worker without Kubernetes.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, Path as UrlPath, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{post, put};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};

use crate::api::error::{ApiError, MAX_BODY, parse_json};
use crate::function::FunctionSpec;
use crate::platform::local::{LocalConfig, LocalPlatform};
use crate::platform::{DeployError, Platform, PlatformError, StartError, Utilisation};
use crate::server::Listening;

/// Set, as in Lambda, when the body is the handler's error, not its result.
pub const FUNCTION_ERROR_HEADER: &str = "x-amz-function-error";
/// Which kind of function error (`raised`, `timeout`, `exited`, `out_of_memory`).
pub const ERROR_KIND_HEADER: &str = "x-hetfaas-error-kind";
pub const COLD_HEADER: &str = "x-hetfaas-cold";
/// The call's CPU time and peak memory, as JSON.
pub const PROFILE_HEADER: &str = "x-hetfaas-profile";

/// The body of `GET /healthz`.
#[derive(Debug, Serialize, Deserialize)]
pub struct NodeHealth {
    pub status: String,
    pub utilisation: Utilisation,
    pub details: serde_json::Value,
}

/// A running node: its platform and its listener.
#[derive(Debug)]
pub struct Node {
    platform: Arc<LocalPlatform>,
    listening: Listening,
}

#[derive(Debug, thiserror::Error)]
pub enum NodeError {
    #[error(transparent)]
    Start(#[from] StartError),
    #[error("cannot listen on {addr}: {source}")]
    Bind { addr: SocketAddr, source: std::io::Error },
}

impl Node {
    pub async fn start(listen: SocketAddr, data_dir: &Path, config: LocalConfig, seed: u64) -> Result<Node, NodeError> {
        let platform = Arc::new(LocalPlatform::start("node", config, data_dir, seed)?);
        let router = Router::new()
            .route("/functions/{name}", put(deploy).delete(remove))
            .route("/2015-03-31/functions/{name}/invocations", post(invoke))
            .route("/healthz", axum::routing::get(health))
            .layer(DefaultBodyLimit::max(MAX_BODY))
            .with_state(platform.clone());
        let listening = Listening::bind(listen, router).await.map_err(|source| NodeError::Bind { addr: listen, source })?;
        tracing::info!(addr = %listening.addr(), "hetfaas node listening");
        Ok(Node { platform, listening })
    }

    pub fn addr(&self) -> SocketAddr {
        self.listening.addr()
    }

    pub async fn shutdown(self) {
        self.listening.stop().await;
        self.platform.shutdown().await;
    }
}

type NodeState = State<Arc<LocalPlatform>>;

async fn deploy(
    State(platform): NodeState,
    UrlPath(name): UrlPath<String>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let spec: FunctionSpec = parse_json(&body?)?;
    if spec.name != name {
        return Err(ApiError::bad_request(format!("the URL names {name:?} but the body names {:?}", spec.name)));
    }
    spec.validate().map_err(|e| ApiError::bad_request(e.to_string()))?;
    match platform.deploy(&spec).await {
        Ok(()) => Ok(Json(serde_json::json!({ "name": name, "state": "ready" })).into_response()),
        Err(DeployError::Code { error_type, message }) => {
            let mut error = ApiError::bad_request(message);
            error.code = "invalid_code";
            error.details.insert("type".into(), error_type.into());
            Err(error)
        }
        Err(e @ DeployError::Platform { .. }) => Err(ApiError::new(StatusCode::BAD_GATEWAY, "deploy_failed", e.to_string())),
    }
}

async fn remove(State(platform): NodeState, UrlPath(name): UrlPath<String>) -> StatusCode {
    let _ = platform.remove(&name).await;
    StatusCode::NO_CONTENT
}

async fn invoke(
    State(platform): NodeState,
    UrlPath(name): UrlPath<String>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let outcome = platform.invoke(&name, body?).await.map_err(|e| match e {
        PlatformError::NotDeployed { .. } => {
            let mut error = ApiError::new(StatusCode::NOT_FOUND, "unknown_function", e.to_string());
            error.details.insert("Type".into(), "ResourceNotFoundException".into());
            error
        }
        other => ApiError::new(StatusCode::BAD_GATEWAY, "platform_failure", other.to_string()),
    })?;
    let json = HeaderValue::from_static("application/json");
    let mut response = match outcome.result {
        Ok(body) => ([(header::CONTENT_TYPE, json)], body).into_response(),
        Err(error) => {
            let body = serde_json::json!({
                "errorType": error.error_type,
                "errorMessage": error.message,
                "stackTrace": error.stack_trace,
            });
            let kind = serde_json::to_value(&error.kind).expect("error kinds serialise");
            let kind = HeaderValue::from_str(kind.as_str().unwrap_or("raised")).expect("kind names are header-safe");
            ([(FUNCTION_ERROR_HEADER, HeaderValue::from_static("Unhandled")), (ERROR_KIND_HEADER, kind)], Json(body)).into_response()
        }
    };
    let headers = response.headers_mut();
    headers.insert(COLD_HEADER, HeaderValue::from_static(if outcome.cold { "true" } else { "false" }));
    if let Some(profile) = outcome.profile {
        let profile = serde_json::to_string(&profile).expect("profiles serialise");
        headers.insert(PROFILE_HEADER, HeaderValue::from_str(&profile).expect("JSON numbers are header-safe"));
    }
    Ok(response)
}

async fn health(State(platform): NodeState) -> Json<NodeHealth> {
    Json(NodeHealth { status: "ok".into(), utilisation: platform.utilisation(), details: platform.details() })
}
