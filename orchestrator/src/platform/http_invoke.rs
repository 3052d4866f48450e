//! One Lambda-style invocation over plain HTTP: POST the event, read the
//! answer. Shared by the `node` platform (Invoke API path) and the
//! `knative` platform (runtime-emulator path of a Lambda image), which
//! differ only in the URL and in what a 404 means to them.

use std::time::Duration;

use bytes::Bytes;

use crate::platform::lambda_wire::{self, COLD, ERROR_KIND, FUNCTION_ERROR, PROFILE};
use crate::platform::{CallProfile, InvokeOutcome, PlatformError};

/// Who is being called, for the errors.
#[derive(Debug, Clone, Copy)]
pub struct Target<'a> {
    pub worker: &'a str,
    pub function: &'a str,
}

/// Posts `event` to `url` and maps the answer: 2xx is the function's answer
/// (an error when `X-Amz-Function-Error` is set), 404 is "not deployed",
/// 429 throttling, any other status a failed worker, no answer unreachable.
pub async fn post(
    client: &reqwest::Client,
    url: &str,
    event: Bytes,
    timeout: Duration,
    target: Target<'_>,
) -> Result<InvokeOutcome, PlatformError> {
    let worker = || target.worker.to_owned();
    let unreachable = |e: reqwest::Error| PlatformError::Unreachable { worker: worker(), detail: e.to_string() };
    let response =
        client.post(url).header("content-type", "application/json").body(event).timeout(timeout).send().await.map_err(unreachable)?;
    let status = response.status();
    if !status.is_success() {
        let detail = format!("{status}: {}", response.text().await.unwrap_or_default());
        return Err(match status {
            reqwest::StatusCode::NOT_FOUND => PlatformError::NotDeployed { worker: worker(), function: target.function.to_owned() },
            reqwest::StatusCode::TOO_MANY_REQUESTS => PlatformError::Throttled { worker: worker(), detail },
            _ => PlatformError::Failed { worker: worker(), detail },
        });
    }
    let headers = response.headers().clone();
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_owned);
    let cold = header(COLD).is_some_and(|v| v == "true");
    let profile = header(PROFILE).and_then(|v| serde_json::from_str::<CallProfile>(&v).ok());
    let body = response.bytes().await.map_err(unreachable)?;
    if let Some(kind) = header(FUNCTION_ERROR).map(|_| header(ERROR_KIND)) {
        return Ok(InvokeOutcome { result: Err(lambda_wire::function_error(&body, kind.as_deref())), cold, profile });
    }
    // A node says it in headers; a hetfaas image (Knative) in an envelope.
    let opened = lambda_wire::open_envelope(body);
    Ok(InvokeOutcome { result: Ok(opened.body), cold: cold || opened.cold == Some(true), profile: profile.or(opened.profile) })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What a Knative service running a hetfaas image answers: the
    /// wrapper's envelope on the emulator path, no `x-hetfaas-*` headers.
    /// (The wrapper itself runs under a real Python in `platform/image`.)
    #[tokio::test]
    async fn an_envelope_without_headers_is_opened() {
        const ANSWER: &str =
            r#"{"__hetfaas_envelope__": 1, "result": [1, 2], "profile": {"cpu_ms": 1.25, "maxrss_kb": 30000}, "cold": true}"#;
        let app = axum::Router::new().route("/", axum::routing::post(|| async { ANSWER }));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        let target = Target { worker: "edge", function: "f" };
        let outcome = post(&reqwest::Client::new(), &url, Bytes::new(), Duration::from_secs(10), target).await.unwrap();
        assert_eq!(&outcome.result.unwrap()[..], b"[1, 2]");
        assert_eq!((outcome.profile, outcome.cold), (Some(CallProfile { cpu_ms: 1.25, maxrss_kb: 30000, throttled_ms: None }), true));
    }
}
