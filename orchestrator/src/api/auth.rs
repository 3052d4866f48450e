//! Bearer-token checks: admin routes (create, delete, credentials, training,
//! clustering) and, optionally, invocations. No token configured means open.

use axum::http::{HeaderMap, StatusCode, header};

use super::error::ApiError;

/// 401 without a token, 403 with a wrong one. The comparison takes the same
/// time wherever the tokens differ.
pub fn require(expected: Option<&str>, headers: &HeaderMap) -> Result<(), ApiError> {
    let Some(expected) = expected else {
        return Ok(());
    };
    let presented = headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).and_then(|v| v.strip_prefix("Bearer "));
    let Some(presented) = presented else {
        return Err(ApiError::new(StatusCode::UNAUTHORIZED, "unauthorized", "this route needs `Authorization: Bearer <token>`"));
    };
    let same_length = presented.len() == expected.len();
    let difference = presented.bytes().zip(expected.bytes()).fold(0u8, |acc, (a, b)| acc | (a ^ b));
    if same_length && difference == 0 {
        Ok(())
    } else {
        Err(ApiError::new(StatusCode::FORBIDDEN, "forbidden", "the bearer token is not valid for this route"))
    }
}
