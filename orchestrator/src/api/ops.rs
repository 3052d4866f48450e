//! Operator routes: `GET /healthz` (workers, limits in force, recorder) and
//! `GET /metrics` (Prometheus text).

use std::sync::atomic::Ordering;

use axum::Json;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};

use super::AppState;

pub async fn healthz(State(app): State<AppState>) -> Response {
    let o = &app.orchestrator;
    let workers: Vec<_> = o
        .workers()
        .iter()
        .map(|w| {
            serde_json::json!({
                "name": w.name,
                "tier": w.tier,
                "healthy": w.healthy(),
                "utilisation": w.platform.utilisation(),
                "details": w.platform.details(),
            })
        })
        .collect();
    let stats = &o.recorder().stats;
    Json(serde_json::json!({
        "status": "ok",
        "workers": workers,
        "functions": o.functions().len(),
        "recorder": {
            "queued": o.recorder().queued(),
            "written": stats.written.load(Ordering::Relaxed),
            "failed": stats.failed.load(Ordering::Relaxed),
        },
    }))
    .into_response()
}

pub async fn metrics(State(app): State<AppState>) -> Response {
    let o = &app.orchestrator;
    let workers: Vec<_> = o
        .workers()
        .iter()
        .map(|w| {
            let u = w.platform.utilisation();
            (w.name.as_str(), w.healthy(), u.cpu, u.memory)
        })
        .collect();
    let stats = &o.recorder().stats;
    let extra = [
        ("hetfaas_functions", "Functions registered.", o.functions().len() as f64),
        ("hetfaas_recorder_queued", "Execution rows waiting to be written.", o.recorder().queued() as f64),
        ("hetfaas_recorder_written", "Execution rows written.", stats.written.load(Ordering::Relaxed) as f64),
        ("hetfaas_recorder_failed", "Execution rows that could not be written.", stats.failed.load(Ordering::Relaxed) as f64),
    ];
    let body = o.metrics().render(&workers, &extra);
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], body).into_response()
}
