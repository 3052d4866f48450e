//! The HTTP API, one file per route family: [`functions`] (the documented
//! resource routes), [`compat`] (the dissertation's resource-manager
//! routes), [`learning`] (its learning manager's routes), [`ops`] (health
//! and metrics). Every body and header is a `hetfaas-api` type; every
//! route reaches the core through [`Orchestrator`]'s methods only.

pub mod auth;
mod compat;
pub mod error;
mod functions;
#[cfg(test)]
mod fuzz;
mod learning;
mod ops;

use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post, put};

use crate::resource_manager::Orchestrator;

/// What every handler can reach. Cloning is cheap.
#[derive(Debug, Clone)]
pub struct AppState {
    pub orchestrator: Orchestrator,
    pub admin_token: Option<Arc<str>>,
    pub invoke_token: Option<Arc<str>>,
}

pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/functions", post(functions::create).get(functions::list))
        .route("/functions/{name}", get(functions::show).delete(functions::delete))
        .route("/functions/{name}/invoke", post(functions::invoke))
        .route("/functions/{name}/predictions", get(functions::predictions))
        .route("/functions/{name}/executions", get(functions::executions))
        .route("/function", post(compat::create))
        .route("/function/invoke", post(compat::invoke))
        .route("/credentials", put(compat::credentials))
        .route("/train/{name}", put(learning::train))
        .route("/train/incremental/{name}", put(learning::incremental))
        .route("/predictions/{name}", get(functions::predictions))
        .route("/cluster", put(learning::cluster))
        .route("/transfer/{name}", put(learning::transfer))
        .route("/learning", put(learning::learning))
        .route("/healthz", get(ops::healthz))
        .route("/metrics", get(ops::metrics))
        .layer(DefaultBodyLimit::max(error::MAX_BODY))
        .with_state(state)
}
