//! The node's Lambda dialects: what a Lambda client or a Knative service's
//! caller sees.
//!
//! - `POST /2015-03-31/functions/{name}/invocations`: the Invoke API subset
//!   that `aws-sdk-lambda` speaks (point its `endpoint_url` here).
//! - `POST /2015-03-31/functions/function/invocations`: the runtime-interface
//!   emulator path of a Lambda container image, which serves one function;
//!   here, the node's only deployed function. With several deployed, each is
//!   at `/{name}/2015-03-31/functions/function/invocations`.
//!
//! A handler error is a 200 with `X-Amz-Function-Error: Unhandled` and a
//! Lambda error body. Service errors carry `x-amzn-ErrorType` and a body of
//! `{"Type", "message"}`, the shape the AWS SDK parses.

use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path as UrlPath, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::Shared;
use crate::function::validate_name;
use crate::platform::lambda_wire::{self, COLD, ERROR_KIND, ERROR_TYPE, FUNCTION_ERROR, PROFILE};
use crate::platform::{InvokeOutcome, Platform, PlatformError};

/// A Lambda service error: status, type and message.
struct ServiceError(StatusCode, &'static str, String);

impl IntoResponse for ServiceError {
    fn into_response(self) -> Response {
        let ServiceError(status, error_type, message) = self;
        let body = serde_json::json!({ "Type": "User", "message": message });
        (status, [(ERROR_TYPE, HeaderValue::from_static(error_type))], Json(body)).into_response()
    }
}

fn not_found(name: &str) -> ServiceError {
    ServiceError(StatusCode::NOT_FOUND, "ResourceNotFoundException", format!("Function not found: {name}"))
}

pub async fn invoke_named(
    State(shared): State<Arc<Shared>>,
    UrlPath(name): UrlPath<String>,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    invoke(&shared, &name, body).await.unwrap_or_else(IntoResponse::into_response)
}

/// The emulator path: the node's single function, 404 while there is none
/// (the way a Knative service answers before its revision is ready).
pub async fn invoke_only(State(shared): State<Arc<Shared>>, body: Result<Bytes, BytesRejection>) -> Response {
    let (count, only) = {
        let functions = shared.functions.lock().expect("functions lock poisoned");
        (functions.len(), functions.keys().next().cloned())
    };
    match (count, only) {
        (1, Some(name)) => invoke(&shared, &name, body).await.unwrap_or_else(IntoResponse::into_response),
        (0, _) => not_found("function").into_response(),
        _ => ServiceError(
            StatusCode::BAD_REQUEST,
            "InvalidRequestContentException",
            format!("this node serves {count} functions; call /{{name}}/2015-03-31/functions/function/invocations"),
        )
        .into_response(),
    }
}

async fn invoke(shared: &Shared, name: &str, body: Result<Bytes, BytesRejection>) -> Result<Response, ServiceError> {
    if let Err(e) = validate_name(name) {
        return Err(ServiceError(StatusCode::BAD_REQUEST, "InvalidParameterValueException", e.to_string()));
    }
    let event = body.map_err(|e| ServiceError(e.status(), "RequestTooLargeException", e.body_text()))?;
    let _slot = InFlight::enter(shared, name)?;
    let outcome = shared.platform.invoke(name, event).await.map_err(|e| match e {
        PlatformError::NotDeployed { .. } => not_found(name),
        other => ServiceError(StatusCode::INTERNAL_SERVER_ERROR, "ServiceException", other.to_string()),
    })?;
    Ok(respond(outcome))
}

fn respond(outcome: InvokeOutcome) -> Response {
    let json = HeaderValue::from_static("application/json");
    let mut response = match outcome.result {
        Ok(body) => ([(header::CONTENT_TYPE, json)], body).into_response(),
        Err(error) => {
            let kind = serde_json::to_value(&error.kind).expect("error kinds serialise");
            let kind = HeaderValue::from_str(kind.as_str().unwrap_or("raised")).expect("kind names are header-safe");
            let body = lambda_wire::ErrorBody::from(&error);
            ([(FUNCTION_ERROR, HeaderValue::from_static("Unhandled")), (ERROR_KIND, kind)], Json(body)).into_response()
        }
    };
    let headers = response.headers_mut();
    headers.insert(COLD, HeaderValue::from_static(if outcome.cold { "true" } else { "false" }));
    if let Some(profile) = outcome.profile {
        let profile = serde_json::to_string(&profile).expect("profiles serialise");
        headers.insert(PROFILE, HeaderValue::from_str(&profile).expect("JSON numbers are header-safe"));
    }
    response
}

/// One invocation counted against its function's concurrency until dropped.
struct InFlight<'a> {
    shared: &'a Shared,
    name: &'a str,
}

impl<'a> InFlight<'a> {
    fn enter(shared: &'a Shared, name: &'a str) -> Result<InFlight<'a>, ServiceError> {
        let mut functions = shared.functions.lock().expect("functions lock poisoned");
        let in_flight = functions.get_mut(name).ok_or_else(|| not_found(name))?;
        if shared.options.max_concurrency.is_some_and(|limit| *in_flight >= limit) {
            return Err(ServiceError(StatusCode::TOO_MANY_REQUESTS, "TooManyRequestsException", "Rate Exceeded.".into()));
        }
        *in_flight += 1;
        Ok(InFlight { shared, name })
    }
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        if let Some(n) = self.shared.functions.lock().expect("functions lock poisoned").get_mut(self.name) {
            *n = n.saturating_sub(1);
        }
    }
}
