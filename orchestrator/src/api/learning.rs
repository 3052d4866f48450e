//! The learning manager's routes (dissertation 4.3.1): `PUT /train/{name}`
//! refits from history, `PUT /train/incremental/{name}` waits until every
//! recorded execution is learned (both answer with the function and its
//! models), `PUT /cluster` re-clusters, `PUT /transfer/{name}` tries
//! transfer learning now. (`GET /predictions/{name}` shares the resource
//! route's handler.)

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};

use super::AppState;
use super::auth::require;
use super::error::ApiError;
use crate::resource_manager::FunctionView;

pub async fn train(State(app): State<AppState>, Path(name): Path<String>, headers: HeaderMap) -> Result<Json<FunctionView>, ApiError> {
    require(app.admin_token.as_deref(), &headers)?;
    let view = app.orchestrator.retrain(&name).await.ok_or_else(|| ApiError::not_found(&name))?;
    let view = view.map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "store_error", e.to_string()))?;
    Ok(Json(view))
}

pub async fn incremental(
    State(app): State<AppState>,
    Path(name): Path<String>,
    headers: HeaderMap,
) -> Result<Json<FunctionView>, ApiError> {
    require(app.admin_token.as_deref(), &headers)?;
    app.orchestrator.catch_up(&name).await.map(Json).ok_or_else(|| ApiError::not_found(&name))
}

/// Re-clusters every trained function now and returns the clusters.
pub async fn cluster(State(app): State<AppState>, headers: HeaderMap) -> Result<Json<serde_json::Value>, ApiError> {
    require(app.admin_token.as_deref(), &headers)?;
    let clusters = app.orchestrator.recluster().await;
    Ok(Json(serde_json::json!({ "clusters": clusters })))
}

/// Tries transfer learning for an existing function now; answers with what
/// both similarity modes decided and the function as it now is.
pub async fn transfer(
    State(app): State<AppState>,
    Path(name): Path<String>,
    headers: HeaderMap,
) -> Result<Json<serde_json::Value>, ApiError> {
    require(app.admin_token.as_deref(), &headers)?;
    let outcome = app.orchestrator.transfer(&name).await.ok_or_else(|| ApiError::not_found(&name))?;
    let (decision, view) = outcome.map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "store_error", e.to_string()))?;
    Ok(Json(serde_json::json!({ "decision": decision, "function": view })))
}
