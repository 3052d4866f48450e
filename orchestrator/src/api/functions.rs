//! The resource routes: `/functions`, `/functions/{name}`, its `invoke`,
//! its `predictions` and its `executions`.

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use hetfaas_api::headers::{self, format_predictions};
use hetfaas_api::view::FunctionList;
use hetfaas_api::{ExecutionPage, FunctionView, Predictions};
use serde::Deserialize;

use super::AppState;
use super::auth::require;
use super::error::{ApiError, parse_json};
use crate::function::{FunctionSpec, event_size};
use crate::resource_manager::{Invocation, InvokeRequest, Orchestrator};
use crate::routing::PolicyKind;

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

pub async fn list(State(app): State<AppState>) -> Json<FunctionList> {
    Json(FunctionList { functions: app.orchestrator.functions() })
}

pub async fn show(State(app): State<AppState>, Path(name): Path<String>) -> Result<Json<FunctionView>, ApiError> {
    app.orchestrator.function(&name).map(Json).ok_or_else(|| ApiError::not_found(&name))
}

pub async fn delete(State(app): State<AppState>, Path(name): Path<String>, headers: HeaderMap) -> Result<StatusCode, ApiError> {
    require(app.admin_token.as_deref(), &headers)?;
    if app.orchestrator.delete(&name).await? { Ok(StatusCode::NO_CONTENT) } else { Err(ApiError::not_found(&name)) }
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
    let policy = match headers.get(headers::POLICY) {
        None => None,
        Some(value) => Some(value.to_str().ok().and_then(PolicyKind::parse).ok_or_else(|| {
            ApiError::bad_request(format!("unknown policy in {}; choose one of {}", headers::POLICY, PolicyKind::names()))
        })?),
    };
    let request = InvokeRequest::from_client(function, event, input_size, policy);
    let invocation = app.orchestrator.invoke_for_client(request).await?;
    Ok(respond(&app.orchestrator, invocation))
}

fn respond(orchestrator: &Orchestrator, invocation: Invocation) -> Response {
    let Invocation { result, worker, duration_ms, predicted_ms, policy, cold, profile } = invocation;
    let mut response = match result {
        Ok(body) => ([(header::CONTENT_TYPE, HeaderValue::from_static("application/json"))], body).into_response(),
        Err(error) => ApiError::from(error).into_response(),
    };
    let predicted = format_predictions(predicted_ms.iter().map(|&(w, ms)| (orchestrator.worker_name(w), ms)));
    let values = [
        (headers::WORKER, HeaderValue::from_str(orchestrator.worker_name(worker))),
        (headers::DURATION_MS, HeaderValue::from_str(&format!("{duration_ms:.3}"))),
        (headers::PREDICTED_MS, HeaderValue::from_str(&predicted)),
        (headers::POLICY, Ok(HeaderValue::from_static(policy.as_str()))),
        (headers::COLD, Ok(HeaderValue::from_static(if cold { "true" } else { "false" }))),
    ];
    for (name, value) in values {
        response.headers_mut().insert(name, value.expect("worker names and numbers are header-safe"));
    }
    if let Some(profile) = profile {
        let profile = serde_json::to_string(&profile).expect("profiles serialise");
        response.headers_mut().insert(headers::PROFILE, HeaderValue::from_str(&profile).expect("JSON numbers are header-safe"));
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
) -> Result<Json<Predictions>, ApiError> {
    let Query(query) = query.map_err(|e| ApiError::bad_request(format!("{e}: pass ?input_size=N with N a whole number")))?;
    let predictions = app.orchestrator.predict(&name, query.input_size).ok_or_else(|| ApiError::not_found(&name))?;
    let predictions_ms = predictions.into_iter().map(|(w, ms)| (app.orchestrator.worker_name(w).to_owned(), ms)).collect();
    Ok(Json(Predictions { function: name, input_size: query.input_size, predictions_ms }))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PageQuery {
    #[serde(default)]
    offset: u64,
    #[serde(default = "default_limit")]
    limit: u64,
}

fn default_limit() -> u64 {
    1000
}

/// A function's stored executions, oldest first, a page at a time
/// (`?offset=N&limit=M`, at most 10,000 rows a page): the raw rows
/// experiments clean, fit and plot. Behind the admin token when one is set:
/// rows hold handlers' error text.
pub async fn executions(
    State(app): State<AppState>,
    Path(name): Path<String>,
    headers: HeaderMap,
    query: Result<Query<PageQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<ExecutionPage>, ApiError> {
    require(app.admin_token.as_deref(), &headers)?;
    let Query(page) = query.map_err(|e| ApiError::bad_request(format!("{e}: pass ?offset=N&limit=M, whole numbers")))?;
    let page = app.orchestrator.executions(&name, page.offset, page.limit).await.ok_or_else(|| ApiError::not_found(&name))??;
    Ok(Json(page))
}
