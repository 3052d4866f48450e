//! The Lambda invoke and error format, spoken by both ends: the `node`
//! and `knative` platforms and the `lambda` platform read it, `hetfaas
//! node` (the node server) writes it. Living here, in the platform layer,
//! it lets clients and server share it without a client importing the
//! server.
//!
//! A handler error is a 200 with `X-Amz-Function-Error` set and a body of
//! `{errorType, errorMessage, stackTrace}`; a `hetfaas node` adds which
//! kind of error it was, whether the instance was cold, and the call's
//! CPU/memory profile in `x-hetfaas-*` headers (named in `hetfaas-api`).
//!
//! A function image built by hetfaas (`platform/image`) cannot set headers
//! on Lambda, so its wrapper returns an envelope instead: the handler's
//! result beside what the wrapper measured. [`open_envelope`] takes it
//! apart; any other answer passes through untouched.

use serde::{Deserialize, Serialize};

pub use hetfaas_api::headers::{COLD, ERROR_KIND, PROFILE};

use crate::platform::{CallProfile, FunctionError, FunctionErrorKind, Utilisation};

/// Set, as in Lambda, when the body is the handler's error, not its result.
pub const FUNCTION_ERROR: &str = "x-amz-function-error";
/// Where Lambda names a service error's type for the SDK.
pub const ERROR_TYPE: &str = "x-amzn-errortype";

/// A Lambda error body.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ErrorBody {
    #[serde(rename = "errorType", default)]
    pub error_type: String,
    #[serde(rename = "errorMessage", default)]
    pub error_message: String,
    #[serde(rename = "stackTrace", default)]
    pub stack_trace: Vec<String>,
}

impl From<&FunctionError> for ErrorBody {
    fn from(e: &FunctionError) -> ErrorBody {
        ErrorBody { error_type: e.error_type.clone(), error_message: e.message.clone(), stack_trace: e.stack_trace.clone() }
    }
}

/// Reads a Lambda error body. `kind` is what a `hetfaas node` says in its
/// [`ERROR_KIND`] header; without it the kind is read from Lambda's own
/// error types.
pub fn function_error(body: &[u8], kind: Option<&str>) -> FunctionError {
    let parsed: ErrorBody = serde_json::from_slice(body).unwrap_or_default();
    let kind = kind
        .and_then(|k| serde_json::from_value(serde_json::Value::from(k)).ok())
        .unwrap_or_else(|| error_kind(&parsed.error_type, &parsed.error_message));
    FunctionError { kind, error_type: parsed.error_type, message: parsed.error_message, stack_trace: parsed.stack_trace }
}

/// Lambda reports a timeout as `Sandbox.Timedout` (older runtimes: a
/// "Task timed out" message) and a dead runtime as `Runtime.ExitError`.
fn error_kind(error_type: &str, message: &str) -> FunctionErrorKind {
    match error_type {
        "Sandbox.Timedout" => FunctionErrorKind::Timeout,
        "Runtime.OutOfMemory" => FunctionErrorKind::OutOfMemory,
        "Runtime.ExitError" => FunctionErrorKind::Exited,
        _ if message.starts_with("Task timed out") => FunctionErrorKind::Timeout,
        _ => FunctionErrorKind::Raised,
    }
}

/// The key that marks an answer as a hetfaas image's envelope (reserved: a
/// handler's own answer that begins with it would be opened too).
pub const ENVELOPE: &str = "__hetfaas_envelope__";

#[derive(Deserialize)]
struct Envelope<'a> {
    #[serde(rename = "__hetfaas_envelope__")]
    _version: u32,
    #[serde(borrow)]
    result: &'a serde_json::value::RawValue,
    profile: CallProfile,
    cold: bool,
}

/// What a hetfaas image's wrapper measured around one call.
#[derive(Debug, PartialEq)]
pub struct Opened {
    pub body: bytes::Bytes,
    pub profile: Option<CallProfile>,
    /// `None` when the answer was not an envelope: the platform did not say.
    pub cold: Option<bool>,
}

/// The handler's own result and the wrapper's measurements, or `body` as it
/// is when it is not an envelope. The result's bytes are kept as written.
pub fn open_envelope(body: bytes::Bytes) -> Opened {
    let marked = body.trim_ascii_start().starts_with(format!("{{\"{ENVELOPE}\"").as_bytes());
    match marked.then(|| serde_json::from_slice::<Envelope>(&body).ok()).flatten() {
        Some(e) => Opened { body: bytes::Bytes::copy_from_slice(e.result.get().as_bytes()), profile: Some(e.profile), cold: Some(e.cold) },
        None => Opened { body, profile: None, cold: None },
    }
}

/// The body of a `hetfaas node`'s `GET /healthz`.
#[derive(Debug, Serialize, Deserialize)]
pub struct NodeHealth {
    pub status: String,
    pub utilisation: Utilisation,
    /// Each deployed function's invocations in flight right now.
    #[serde(default)]
    pub in_flight: std::collections::BTreeMap<String, usize>,
    pub details: serde_json::Value,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lambda_error_types_map_to_kinds() {
        let body = |t: &str, m: &str| serde_json::to_vec(&serde_json::json!({"errorType": t, "errorMessage": m})).unwrap();
        assert_eq!(function_error(&body("Sandbox.Timedout", ""), None).kind, FunctionErrorKind::Timeout);
        assert_eq!(function_error(&body("Error", "Task timed out after 3.00 seconds"), None).kind, FunctionErrorKind::Timeout);
        assert_eq!(function_error(&body("Runtime.ExitError", ""), None).kind, FunctionErrorKind::Exited);
        let raised = function_error(&body("ValueError", "bad"), None);
        assert_eq!((raised.kind, raised.error_type.as_str(), raised.message.as_str()), (FunctionErrorKind::Raised, "ValueError", "bad"));
        assert_eq!(function_error(&body("ValueError", ""), Some("out_of_memory")).kind, FunctionErrorKind::OutOfMemory);
    }

    #[test]
    fn an_envelope_is_opened_and_any_other_answer_left_alone() {
        let envelope =
            br#"{"__hetfaas_envelope__": 1, "result": {"b": 1, "a": [2]}, "profile": {"cpu_ms": 2.5, "maxrss_kb": 9000}, "cold": true}"#;
        let opened = open_envelope(bytes::Bytes::from_static(envelope));
        assert_eq!(&opened.body[..], br#"{"b": 1, "a": [2]}"#, "the result's bytes, key order and spacing kept");
        assert_eq!((opened.profile, opened.cold), (Some(CallProfile { cpu_ms: 2.5, maxrss_kb: 9000, throttled_ms: None }), Some(true)));
        for plain in [&br#"{"result": 1}"#[..], b"[1, 2]", b"\"__hetfaas_envelope__\"", br#"{"__hetfaas_envelope__": 1}"#] {
            let opened = open_envelope(bytes::Bytes::copy_from_slice(plain));
            assert_eq!((&opened.body[..], opened.profile, opened.cold), (plain, None, None), "{}", String::from_utf8_lossy(plain));
        }
    }
}
