//! The learning manager's routes (dissertation 4.3.1): `PUT /train/{name}`
//! refits from history, `PUT /train/incremental/{name}` waits until every
//! recorded execution is learned (both answer with the function and its
//! models), `PUT /cluster` re-clusters, `PUT /transfer/{name}` tries
//! transfer learning now, `PUT /learning` switches incremental learning.
//! (`GET /predictions/{name}` shares the resource route's handler.)

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use hetfaas_api::learning::LearningSwitch;
use hetfaas_api::view::Clusters;
use hetfaas_api::{FunctionView, TransferOutcome};

use super::AppState;
use super::auth::require;
use super::error::{ApiError, parse_json};

pub async fn train(State(app): State<AppState>, Path(name): Path<String>, headers: HeaderMap) -> Result<Json<FunctionView>, ApiError> {
    require(app.admin_token.as_deref(), &headers)?;
    Ok(Json(app.orchestrator.retrain(&name).await.ok_or_else(|| ApiError::not_found(&name))??))
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
pub async fn cluster(State(app): State<AppState>, headers: HeaderMap) -> Result<Json<Clusters>, ApiError> {
    require(app.admin_token.as_deref(), &headers)?;
    Ok(Json(Clusters { clusters: app.orchestrator.recluster().await }))
}

/// Tries transfer learning for an existing function now; answers with what
/// both similarity modes decided and the function as it now is.
pub async fn transfer(
    State(app): State<AppState>,
    Path(name): Path<String>,
    headers: HeaderMap,
) -> Result<Json<TransferOutcome>, ApiError> {
    require(app.admin_token.as_deref(), &headers)?;
    Ok(Json(app.orchestrator.transfer(&name).await.ok_or_else(|| ApiError::not_found(&name))??))
}

/// Switches incremental learning (`sufficient-statistics`, `refit-all`,
/// `off`) on a running server; experiments measure accuracy with it off,
/// then on.
pub async fn learning(
    State(app): State<AppState>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<LearningSwitch>, ApiError> {
    require(app.admin_token.as_deref(), &headers)?;
    let switch: LearningSwitch = parse_json(&body?)?;
    app.orchestrator.set_incremental(switch.incremental).await;
    Ok(Json(switch))
}
