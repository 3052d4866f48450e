//! The harness's client of the orchestrator's HTTP API. The harness never
//! reaches into the orchestrator: it creates, trains, invokes and reads
//! executions like any other client, so it works as well against a remote
//! `hetfaas serve` (`--target URL`).

use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use serde_json::Value;

use hetfaas::store::ExecutionRecord;

#[derive(Debug, Clone)]
pub struct Api {
    base: String,
    http: reqwest::Client,
    token: Option<String>,
}

/// What one invocation said about itself.
#[derive(Debug, Clone)]
pub struct Invoked {
    pub status: u16,
    pub worker: String,
    pub duration_ms: f64,
    pub predicted: Vec<(String, f64)>,
    pub latency_ms: f64,
}

/// Reads `worker=ms,worker=ms`.
pub fn parse_predictions(header: &str) -> Vec<(String, f64)> {
    header
        .split(',')
        .filter_map(|pair| {
            let (worker, ms) = pair.split_once('=')?;
            Some((worker.to_owned(), ms.parse().ok()?))
        })
        .collect()
}

impl Api {
    pub fn new(base: &str, token: Option<String>) -> Api {
        Api { base: base.trim_end_matches('/').to_owned(), http: reqwest::Client::new(), token }
    }

    pub fn base(&self) -> &str {
        &self.base
    }

    fn request(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        let request = self.http.request(method, format!("{}{path}", self.base));
        match &self.token {
            Some(token) => request.bearer_auth(token),
            None => request,
        }
    }

    async fn json(&self, request: reqwest::RequestBuilder, what: &str) -> anyhow::Result<Value> {
        let response = request.send().await.with_context(|| format!("{what}: no answer from {}", self.base))?;
        let status = response.status();
        let body: Value = response.json().await.unwrap_or(Value::Null);
        if !status.is_success() {
            bail!("{what}: {status}: {body}");
        }
        Ok(body)
    }

    /// Creates a function (202) without waiting for its training.
    pub async fn create(&self, spec: &Value) -> anyhow::Result<Value> {
        let name = spec["name"].as_str().unwrap_or_default();
        self.json(self.request(reqwest::Method::POST, "/functions").json(spec), &format!("creating {name}")).await
    }

    pub async fn function(&self, name: &str) -> anyhow::Result<Value> {
        self.json(self.request(reqwest::Method::GET, &format!("/functions/{name}")), &format!("reading {name}")).await
    }

    /// Polls until the function is ready; a failed function is an error.
    pub async fn wait_ready(&self, name: &str, timeout: Duration) -> anyhow::Result<Value> {
        let deadline = Instant::now() + timeout;
        loop {
            let f = self.function(name).await?;
            match f["state"].as_str() {
                Some("ready") => return Ok(f),
                Some("failed") => bail!("{name} failed: {}", f["reason"]),
                _ if Instant::now() > deadline => bail!("{name} not ready after {timeout:?}: {f}"),
                _ => tokio::time::sleep(Duration::from_millis(100)).await,
            }
        }
    }

    pub async fn executions(&self, name: &str) -> anyhow::Result<Vec<ExecutionRecord>> {
        let body = self.json(self.request(reqwest::Method::GET, &format!("/functions/{name}/executions")), "reading executions").await?;
        serde_json::from_value(body["executions"].clone()).context("decoding executions")
    }

    /// Switches incremental learning (`off`, `sufficient-statistics`, `refit-all`).
    pub async fn set_incremental(&self, mode: &str) -> anyhow::Result<()> {
        let body = serde_json::json!({ "incremental": mode });
        self.json(self.request(reqwest::Method::PUT, "/learning").json(&body), "switching incremental learning").await.map(drop)
    }

    /// Invokes once, optionally under a named policy.
    pub async fn invoke(&self, name: &str, event: &[u8], policy: Option<&str>) -> anyhow::Result<Invoked> {
        let mut request = self.request(reqwest::Method::POST, &format!("/functions/{name}/invoke")).body(event.to_vec());
        if let Some(policy) = policy {
            request = request.header("x-hetfaas-policy", policy);
        }
        let start = Instant::now();
        let response = request.send().await.with_context(|| format!("invoking {name}"))?;
        let latency_ms = start.elapsed().as_secs_f64() * 1000.0;
        let invoked = read_invocation(response.status().as_u16(), response.headers(), latency_ms);
        let _ = response.bytes().await;
        Ok(invoked)
    }
}

/// The placement headers of an invoke response.
pub fn read_invocation(status: u16, headers: &reqwest::header::HeaderMap, latency_ms: f64) -> Invoked {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    Invoked {
        status,
        worker: header("x-hetfaas-worker"),
        duration_ms: header("x-hetfaas-duration-ms").parse().unwrap_or(f64::NAN),
        predicted: parse_predictions(&header("x-hetfaas-predicted-ms")),
        latency_ms,
    }
}
