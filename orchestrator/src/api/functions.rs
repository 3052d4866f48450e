//! The resource routes: `/functions`, `/functions/{name}`, its `invoke` and
//! its `predictions`.

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::AppState;
use super::auth::require;
use super::error::{ApiError, parse_json};
use crate::function::{FunctionSpec, event_size};
use crate::resource_manager::{Invocation, InvokeRequest};
use crate::routing::PolicyKind;

pub const WORKER_HEADER: &str = "x-hetfaas-worker";
pub const DURATION_HEADER: &str = "x-hetfaas-duration-ms";
pub const PREDICTED_HEADER: &str = "x-hetfaas-predicted-ms";
pub const POLICY_HEADER: &str = "x-hetfaas-policy";
pub const COLD_HEADER: &str = "x-hetfaas-cold";

pub async fn create(State(app): State<AppState>, headers: HeaderMap, body: Result<Bytes, BytesRejection>) -> Result<Response, ApiError> {
    require(app.admin_token.as_deref(), &headers)?;
    let spec: FunctionSpec = parse_json(&body?)?;
    created(&app, spec).await
}

/// Shared by `POST /functions` and the dissertation's `POST /function`.
pub async fn created(app: &AppState, spec: FunctionSpec) -> Result<Response, ApiError> {
    let view = app.orchestrator.create(spec).await?;
    let location = HeaderValue::from_str(&format!("/functions/{}", view.name)).expect("validated names are header-safe");
    Ok((StatusCode::ACCEPTED, [(header::LOCATION, location)], Json(view)).into_response())
}

pub async fn list(State(app): State<AppState>) -> Response {
    Json(serde_json::json!({ "functions": app.orchestrator.functions() })).into_response()
}

pub async fn show(State(app): State<AppState>, Path(name): Path<String>) -> Result<Response, ApiError> {
    let view = app.orchestrator.function(&name).ok_or_else(|| ApiError::not_found(&name))?;
    Ok(Json(view).into_response())
}

pub async fn delete(State(app): State<AppState>, Path(name): Path<String>, headers: HeaderMap) -> Result<StatusCode, ApiError> {
    require(app.admin_token.as_deref(), &headers)?;
    let deleted =
        app.orchestrator.delete(&name).await.map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "store_error", e.to_string()))?;
    if deleted { Ok(StatusCode::NO_CONTENT) } else { Err(ApiError::not_found(&name)) }
}

pub async fn invoke(
    State(app): State<AppState>,
    Path(name): Path<String>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    require(app.invoke_token.as_deref(), &headers)?;
    run(&app, name, body?, &headers).await
}

/// The input size of an event body: its length when it is a JSON array,
/// else 1. A body that is not UTF-8 JSON is the client's error (400).
pub fn parse_event(event: &[u8]) -> Result<u64, ApiError> {
    let text = std::str::from_utf8(event).map_err(|e| ApiError::bad_request(format!("the event is not UTF-8 text: {e}")))?;
    event_size(text).map_err(|e| ApiError::bad_request(format!("the event is not valid JSON: {e}")))
}

/// Validates the event, runs it, and answers with the handler's result and
/// the placement headers. Shared with `POST /function/invoke`.
pub async fn run(app: &AppState, function: String, event: Bytes, headers: &HeaderMap) -> Result<Response, ApiError> {
    let input_size = parse_event(&event)?;
    let policy = match headers.get(POLICY_HEADER) {
        None => None,
        Some(value) => Some(value.to_str().ok().and_then(PolicyKind::parse).ok_or_else(|| {
            let names: Vec<_> = PolicyKind::ALL.iter().map(|k| k.as_str()).collect();
            ApiError::bad_request(format!("unknown policy in {POLICY_HEADER}; choose one of {}", names.join(", ")))
        })?),
    };
    let request = InvokeRequest { function, event, input_size, policy, training: false, target: None };
    let invocation = app.orchestrator.invoke(request).await?;
    Ok(respond(invocation))
}

fn respond(invocation: Invocation) -> Response {
    let Invocation { result, worker, duration_ms, predicted_ms, policy, cold } = invocation;
    let mut response = match result {
        Ok(body) => ([(header::CONTENT_TYPE, HeaderValue::from_static("application/json"))], body).into_response(),
        Err(error) => ApiError::from(error).into_response(),
    };
    let predicted = predicted_ms.iter().map(|(w, ms)| format!("{w}={ms:.3}")).collect::<Vec<_>>().join(",");
    let headers = response.headers_mut();
    for (name, value) in [
        (WORKER_HEADER, worker),
        (DURATION_HEADER, format!("{duration_ms:.3}")),
        (PREDICTED_HEADER, predicted),
        (POLICY_HEADER, policy.as_str().to_owned()),
        (COLD_HEADER, cold.to_string()),
    ] {
        headers.insert(name, HeaderValue::from_str(&value).expect("worker names and numbers are header-safe"));
    }
    response
}

#[derive(Debug, Deserialize)]
pub struct PredictionQuery {
    input_size: u64,
}

pub async fn predictions(
    State(app): State<AppState>,
    Path(name): Path<String>,
    query: Result<Query<PredictionQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(query) = query.map_err(|e| ApiError::bad_request(format!("{e}: pass ?input_size=N with N a whole number")))?;
    let predictions = app.orchestrator.predict(&name, query.input_size).ok_or_else(|| ApiError::not_found(&name))?;
    let predictions: serde_json::Map<_, _> = predictions.into_iter().map(|(w, ms)| (w, ms.into())).collect();
    Ok(Json(serde_json::json!({ "function": name, "input_size": query.input_size, "predictions_ms": predictions })).into_response())
}
