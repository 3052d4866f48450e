//! A typed async client of the HTTP API, one method per route. The
//! orchestrator's CLI, the experiment harness and the tests use it; nothing
//! else forms these requests by hand.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use bytes::Bytes;
use reqwest::{Method, RequestBuilder, StatusCode};
use serde::de::DeserializeOwned;

use crate::headers::{self, Placement};
use crate::learning::LearningSwitch;
use crate::view::{Clusters, FunctionList};
use crate::{ErrorBody, ExecutionPage, FunctionSpec, FunctionView, Health, Incremental, PolicyKind, Predictions, State, TransferOutcome};

#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("{what}: no answer from {base}: {source}")]
    Transport { what: String, base: String, source: reqwest::Error },
    #[error("{what}: {status}: {body}")]
    Api { what: String, status: StatusCode, body: ErrorBody },
    #[error("{what}: {status}: an answer that is not the API's ({detail})")]
    Decode { what: String, status: StatusCode, detail: String },
    #[error("{name} is {state:?} after {waited:?}")]
    NotSettled { name: String, state: State, waited: Duration },
}

impl ClientError {
    /// The HTTP status of an answered request.
    pub fn status(&self) -> Option<StatusCode> {
        match self {
            ClientError::Api { status, .. } | ClientError::Decode { status, .. } => Some(*status),
            _ => None,
        }
    }
}

/// One invocation's answer: the handler's result (or the error body) and
/// where it ran.
#[derive(Debug, Clone)]
pub struct Invoked {
    pub status: StatusCode,
    pub body: Bytes,
    pub placement: Placement,
    /// From sending the request to having the whole answer, in ms.
    pub latency_ms: f64,
}

impl Invoked {
    /// The body as JSON (the handler's result, or an [`ErrorBody`]).
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|_| serde_json::Value::String(String::from_utf8_lossy(&self.body).into()))
    }

    /// The error body of a failed invocation.
    pub fn error(&self) -> Option<ErrorBody> {
        serde_json::from_slice(&self.body).ok()
    }
}

/// Handle to one orchestrator. Cloning shares the connection pool.
#[derive(Debug, Clone)]
pub struct Client {
    base: String,
    http: reqwest::Client,
    token: Option<String>,
}

impl Client {
    pub fn new(base: &str) -> Client {
        Client { base: base.trim_end_matches('/').to_owned(), http: reqwest::Client::new(), token: None }
    }

    /// Sends `Authorization: Bearer <token>` with every request.
    pub fn with_token(mut self, token: Option<String>) -> Client {
        self.token = token;
        self
    }

    pub fn base(&self) -> &str {
        &self.base
    }

    fn request(&self, method: Method, path: &str) -> RequestBuilder {
        let request = self.http.request(method, format!("{}{path}", self.base));
        match &self.token {
            Some(token) => request.bearer_auth(token),
            None => request,
        }
    }

    async fn send(&self, request: RequestBuilder, what: &str) -> Result<(StatusCode, Bytes), ClientError> {
        let transport = |source| ClientError::Transport { what: what.to_owned(), base: self.base.clone(), source };
        let response = request.send().await.map_err(transport)?;
        let status = response.status();
        let body = response.bytes().await.map_err(transport)?;
        if status.is_success() {
            return Ok((status, body));
        }
        Err(match serde_json::from_slice::<ErrorBody>(&body) {
            Ok(body) => ClientError::Api { what: what.to_owned(), status, body },
            Err(_) => ClientError::Decode { what: what.to_owned(), status, detail: String::from_utf8_lossy(&body).into() },
        })
    }

    async fn call<T: DeserializeOwned>(&self, request: RequestBuilder, what: &str) -> Result<T, ClientError> {
        let (status, body) = self.send(request, what).await?;
        serde_json::from_slice(&body).map_err(|e| ClientError::Decode { what: what.to_owned(), status, detail: e.to_string() })
    }

    /// `POST /functions`: answers at once (202); training runs behind it.
    pub async fn create(&self, spec: &FunctionSpec) -> Result<FunctionView, ClientError> {
        self.call(self.request(Method::POST, "/functions").json(spec), &format!("creating {}", spec.name)).await
    }

    /// `GET /functions`.
    pub async fn functions(&self) -> Result<Vec<FunctionView>, ClientError> {
        Ok(self.call::<FunctionList>(self.request(Method::GET, "/functions"), "listing functions").await?.functions)
    }

    /// `GET /functions/{name}`.
    pub async fn function(&self, name: &str) -> Result<FunctionView, ClientError> {
        self.call(self.request(Method::GET, &format!("/functions/{name}")), &format!("reading {name}")).await
    }

    /// Polls until the function is `ready` or `failed` (and returns it
    /// either way), for at most `timeout`.
    pub async fn wait_settled(&self, name: &str, timeout: Duration) -> Result<FunctionView, ClientError> {
        let started = Instant::now();
        loop {
            let view = self.function(name).await?;
            if matches!(view.state, State::Ready | State::Failed) {
                return Ok(view);
            }
            if started.elapsed() > timeout {
                return Err(ClientError::NotSettled { name: name.to_owned(), state: view.state, waited: started.elapsed() });
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// `DELETE /functions/{name}`.
    pub async fn delete(&self, name: &str) -> Result<(), ClientError> {
        self.send(self.request(Method::DELETE, &format!("/functions/{name}")), &format!("deleting {name}")).await.map(drop)
    }

    /// `POST /functions/{name}/invoke`, optionally under a named policy.
    /// Any answer is returned, a handler's error included; only a request
    /// that got no answer is an error.
    pub async fn invoke(&self, name: &str, event: impl Into<reqwest::Body>, policy: Option<PolicyKind>) -> Result<Invoked, ClientError> {
        let mut request = self.request(Method::POST, &format!("/functions/{name}/invoke")).body(event);
        if let Some(policy) = policy {
            request = request.header(headers::POLICY, policy.as_str());
        }
        let transport = |source| ClientError::Transport { what: format!("invoking {name}"), base: self.base.clone(), source };
        let started = Instant::now();
        let response = request.send().await.map_err(transport)?;
        let (status, placement) = (response.status(), Placement::from_headers(response.headers()));
        let body = response.bytes().await.map_err(transport)?;
        Ok(Invoked { status, body, placement, latency_ms: started.elapsed().as_secs_f64() * 1000.0 })
    }

    /// `GET /functions/{name}/predictions?input_size=N`.
    pub async fn predictions(&self, name: &str, input_size: u64) -> Result<Predictions, ClientError> {
        let path = format!("/functions/{name}/predictions?input_size={input_size}");
        self.call(self.request(Method::GET, &path), &format!("predicting {name}")).await
    }

    /// `GET /functions/{name}/executions`: one page of stored rows.
    pub async fn executions_page(&self, name: &str, offset: u64, limit: u64) -> Result<ExecutionPage, ClientError> {
        let path = format!("/functions/{name}/executions?offset={offset}&limit={limit}");
        self.call(self.request(Method::GET, &path), &format!("reading executions of {name}")).await
    }

    /// Every stored row of a function, page after page.
    pub async fn executions(&self, name: &str) -> Result<Vec<crate::Execution>, ClientError> {
        let mut rows = Vec::new();
        let mut offset = Some(0);
        while let Some(at) = offset {
            let page = self.executions_page(name, at, 10_000).await?;
            rows.extend(page.executions);
            offset = page.next;
        }
        Ok(rows)
    }

    /// `PUT /train/{name}`: refit from the whole history.
    pub async fn retrain(&self, name: &str) -> Result<FunctionView, ClientError> {
        self.call(self.request(Method::PUT, &format!("/train/{name}")), &format!("retraining {name}")).await
    }

    /// `PUT /train/incremental/{name}`: returns once every recorded
    /// execution is learned.
    pub async fn catch_up(&self, name: &str) -> Result<FunctionView, ClientError> {
        self.call(self.request(Method::PUT, &format!("/train/incremental/{name}")), &format!("learning {name}")).await
    }

    /// `PUT /cluster`.
    pub async fn cluster(&self) -> Result<Clusters, ClientError> {
        self.call(self.request(Method::PUT, "/cluster"), "clustering").await
    }

    /// `PUT /transfer/{name}`.
    pub async fn transfer(&self, name: &str) -> Result<TransferOutcome, ClientError> {
        self.call(self.request(Method::PUT, &format!("/transfer/{name}")), &format!("transferring to {name}")).await
    }

    /// `PUT /learning`: switches incremental learning.
    pub async fn set_learning(&self, incremental: Incremental) -> Result<(), ClientError> {
        let body = LearningSwitch { incremental };
        self.send(self.request(Method::PUT, "/learning").json(&body), "switching incremental learning").await.map(drop)
    }

    /// `PUT /credentials?scope=...`.
    pub async fn put_credentials(&self, scope: &str, values: &BTreeMap<String, String>) -> Result<(), ClientError> {
        let path = format!("/credentials?scope={scope}");
        self.send(self.request(Method::PUT, &path).json(values), &format!("storing {scope} credentials")).await.map(drop)
    }

    /// `GET /healthz`.
    pub async fn health(&self) -> Result<Health, ClientError> {
        self.call(self.request(Method::GET, "/healthz"), "reading health").await
    }

    /// `GET /metrics` (Prometheus text).
    pub async fn metrics(&self) -> Result<String, ClientError> {
        let (_, body) = self.send(self.request(Method::GET, "/metrics"), "reading metrics").await?;
        Ok(String::from_utf8_lossy(&body).into_owned())
    }
}
