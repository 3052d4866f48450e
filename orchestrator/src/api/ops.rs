//! Operator routes: `GET /healthz` (workers, limits in force, recorder) and
//! `GET /metrics` (Prometheus text).

use axum::Json;
use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use hetfaas_api::Health;

use super::AppState;

pub async fn healthz(State(app): State<AppState>) -> Json<Health> {
    Json(app.orchestrator.health())
}

pub async fn metrics(State(app): State<AppState>) -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], app.orchestrator.metrics_text())
}
