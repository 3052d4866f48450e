//! The one error shape every route answers with:
//! `{"error": {"code": ..., "message": ...}}` and the matching status.

use axum::Json;
use axum::extract::rejection::BytesRejection;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use hetfaas_api::{ErrorBody, ErrorDetail};

use crate::platform::{FunctionError, FunctionErrorKind};
use crate::resource_manager::{CreateError, InvokeError};
use crate::store::StoreError;

/// Lambda's request payload limit; larger bodies get 413.
pub const MAX_BODY: usize = 6 * 1024 * 1024;

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub body: ErrorBody,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> ApiError {
        let error = ErrorDetail { code: code.into(), message: message.into(), error_type: None, stack_trace: None };
        ApiError { status, body: ErrorBody { error } }
    }

    pub fn bad_request(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, "invalid_request", message)
    }

    pub fn not_found(function: &str) -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, "unknown_function", format!("function {function:?} does not exist"))
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = (self.status, Json(self.body)).into_response();
        // Both are "come back shortly": throttled, or still deploying.
        if matches!(self.status, StatusCode::TOO_MANY_REQUESTS | StatusCode::SERVICE_UNAVAILABLE) {
            response.headers_mut().insert(axum::http::header::RETRY_AFTER, axum::http::HeaderValue::from_static("1"));
        }
        response
    }
}

impl From<BytesRejection> for ApiError {
    fn from(rejection: BytesRejection) -> ApiError {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large", format!("the request body exceeds the {MAX_BODY}-byte limit"))
        } else {
            ApiError::bad_request(format!("cannot read the request body: {rejection}"))
        }
    }
}

/// Parses a JSON body into `T`, naming the problem (line, column, field).
pub fn parse_json<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    serde_json::from_slice(body).map_err(|e| ApiError::bad_request(format!("invalid JSON body: {e}")))
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> ApiError {
        ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "store_error", e.to_string())
    }
}

impl From<CreateError> for ApiError {
    fn from(e: CreateError) -> ApiError {
        let message = e.to_string();
        match e {
            CreateError::Invalid(_) | CreateError::NoWorker(_) | CreateError::Refused { .. } => {
                ApiError::new(StatusCode::BAD_REQUEST, "invalid_function", message)
            }
            CreateError::Exists(_) => ApiError::new(StatusCode::CONFLICT, "function_exists", message),
            CreateError::Store(_) => ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "store_error", message),
        }
    }
}

impl From<InvokeError> for ApiError {
    fn from(e: InvokeError) -> ApiError {
        let message = e.to_string();
        match e {
            InvokeError::UnknownFunction(name) => ApiError::not_found(&name),
            InvokeError::Failed { .. } => ApiError::new(StatusCode::CONFLICT, "function_failed", message),
            InvokeError::Deploying(_) => ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "deploying", message),
            InvokeError::NoCandidate { .. } => ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "no_worker", message),
            InvokeError::AllFailed(_) => ApiError::new(StatusCode::BAD_GATEWAY, "platform_failure", message),
            InvokeError::Throttled(_) => ApiError::new(StatusCode::TOO_MANY_REQUESTS, "throttled", message),
            InvokeError::Internal(_) => ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal_error", message),
        }
    }
}

impl From<FunctionError> for ApiError {
    fn from(e: FunctionError) -> ApiError {
        let (status, code) = match e.kind {
            FunctionErrorKind::Raised => (StatusCode::INTERNAL_SERVER_ERROR, "handler_error"),
            FunctionErrorKind::Timeout => (StatusCode::GATEWAY_TIMEOUT, "timeout"),
            FunctionErrorKind::Exited => (StatusCode::BAD_GATEWAY, "runtime_exited"),
            FunctionErrorKind::OutOfMemory => (StatusCode::BAD_GATEWAY, "out_of_memory"),
        };
        let mut error = ApiError::new(status, code, format!("{}: {}", e.error_type, e.message));
        error.body.error.error_type = Some(e.error_type);
        error.body.error.stack_trace = (!e.stack_trace.is_empty()).then_some(e.stack_trace);
        error
    }
}
