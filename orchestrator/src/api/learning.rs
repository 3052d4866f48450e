//! The learning manager's routes (dissertation 4.3.1): `PUT /train/{name}`
//! refits from history, `PUT /train/incremental/{name}` waits until every
//! recorded execution is learned. Both answer with the function and its
//! models. (`GET /predictions/{name}` shares the resource route's handler.)

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
