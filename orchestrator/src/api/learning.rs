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
use crate::learning::Incremental;
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

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LearningSwitch {
    incremental: Incremental,
}

/// Switches incremental learning (`sufficient-statistics`, `refit-all`,
/// `off`) on a running server; experiments measure accuracy with it off,
/// then on.
pub async fn learning(
    State(app): State<AppState>,
    headers: HeaderMap,
    body: Result<axum::body::Bytes, axum::extract::rejection::BytesRejection>,
) -> Result<Json<serde_json::Value>, ApiError> {
    require(app.admin_token.as_deref(), &headers)?;
    let switch: LearningSwitch = super::error::parse_json(&body?)?;
    app.orchestrator.recorder().flush().await;
    app.orchestrator.learner().set_incremental(switch.incremental);
    Ok(Json(serde_json::json!({ "incremental": switch.incremental })))
}

#[derive(serde::Deserialize)]
pub struct WorkerFilter {
    worker: Option<String>,
}

/// A function's stored executions, oldest first (`?worker=` narrows them):
/// the raw rows experiments clean, fit and plot.
pub async fn executions(
    State(app): State<AppState>,
    Path(name): Path<String>,
    axum::extract::Query(filter): axum::extract::Query<WorkerFilter>,
) -> Result<Json<serde_json::Value>, ApiError> {
    if app.orchestrator.function(&name).is_none() {
        return Err(ApiError::not_found(&name));
    }
    app.orchestrator.recorder().flush().await;
    let rows = app
        .orchestrator
        .store()
        .executions(&name, filter.worker.as_deref())
        .await
        .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "store_error", e.to_string()))?;
    Ok(Json(serde_json::json!({ "function": name, "executions": rows })))
}
