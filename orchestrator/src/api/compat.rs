//! The dissertation's routes (4.2.1), kept so its clients work unchanged:
//! `POST /function`, `POST /function/invoke`, `PUT /credentials`.

use std::collections::BTreeMap;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde::Deserialize;
use serde_json::value::RawValue;

use super::AppState;
use super::auth::require;
use super::error::{ApiError, parse_json};
use super::functions;
use crate::function::FunctionSpec;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct WrappedFunction {
    function: FunctionSpec,
}

pub async fn create(State(app): State<AppState>, headers: HeaderMap, body: Result<Bytes, BytesRejection>) -> Result<Response, ApiError> {
    require(app.admin_token.as_deref(), &headers)?;
    let wrapped: WrappedFunction = parse_json(&body?)?;
    functions::created(&app, wrapped.function).await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NamedInvocation {
    name: String,
    payload: Box<RawValue>,
}

pub async fn invoke(State(app): State<AppState>, headers: HeaderMap, body: Result<Bytes, BytesRejection>) -> Result<Response, ApiError> {
    require(app.invoke_token.as_deref(), &headers)?;
    let request: NamedInvocation = parse_json(&body?)?;
    let event = Bytes::copy_from_slice(request.payload.get().as_bytes());
    functions::run(&app, request.name, event, &headers).await
}

#[derive(Deserialize)]
pub struct Scope {
    #[serde(default = "default_scope")]
    scope: String,
}

fn default_scope() -> String {
    "aws".into()
}

/// Stores credentials for a platform (`?scope=aws` by default). They are
/// never echoed back, logged, or exported as metrics.
pub async fn credentials(
    State(app): State<AppState>,
    Query(scope): Query<Scope>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<StatusCode, ApiError> {
    require(app.admin_token.as_deref(), &headers)?;
    let values: BTreeMap<String, String> = parse_json(&body?)?;
    app.orchestrator.set_credentials(&scope.scope, &values).await?;
    Ok(StatusCode::NO_CONTENT)
}
