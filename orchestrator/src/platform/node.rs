//! The `node` platform: a worker in another process, reached over HTTP.
//!
//! The other end is `hetfaas node` (see `crate::node_server`), which runs a local
//! platform behind the AWS Lambda Invoke API. This is how an edge device
//! joins without Kubernetes, and how a worker can really become unreachable.

use std::collections::HashMap;
use std::sync::RwLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;
use hetfaas_api::ErrorBody;
use serde::{Deserialize, Serialize};

use crate::function::FunctionSpec;
use crate::platform::http_invoke::{self, Target};
use crate::platform::lambda_wire::NodeHealth;
use crate::platform::{DeployError, InvokeOutcome, Platform, PlatformError, StartError, Utilisation};

/// Settings of a `kind = "node"` worker.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct NodeConfig {
    /// Base URL of the `hetfaas node`, e.g. `http://10.0.0.7:9000`.
    pub url: String,
    /// Seconds to wait for a TCP connection before calling it unreachable.
    #[serde(default = "default_connect_timeout_s")]
    pub connect_timeout_s: u64,
    /// The node's token (`hetfaas node --token`), sent with deploy and remove.
    #[serde(default)]
    pub token: Option<String>,
}

fn default_connect_timeout_s() -> u64 {
    2
}

/// Beyond the function's own timeout, how long the node may take to answer.
const SLACK: Duration = Duration::from_secs(10);

#[derive(Debug)]
pub struct NodePlatform {
    name: String,
    base: String,
    client: reqwest::Client,
    token: Option<String>,
    timeouts: RwLock<HashMap<String, Duration>>,
    utilisation: [AtomicU64; 2],
}

impl NodePlatform {
    pub fn new(name: &str, config: NodeConfig) -> Result<NodePlatform, StartError> {
        let client = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(config.connect_timeout_s))
            .build()
            .map_err(|e| StartError { worker: name.to_owned(), detail: e.to_string() })?;
        Ok(NodePlatform {
            name: name.to_owned(),
            base: config.url.trim_end_matches('/').to_owned(),
            client,
            token: config.token,
            timeouts: RwLock::default(),
            utilisation: Default::default(),
        })
    }

    /// A deploy or remove request, with the node's token when it has one.
    fn admin(&self, method: reqwest::Method, function: &str) -> reqwest::RequestBuilder {
        let request = self.client.request(method, format!("{}/functions/{function}", self.base));
        match &self.token {
            Some(token) => request.bearer_auth(token),
            None => request,
        }
    }

    fn unreachable(&self, e: &reqwest::Error) -> PlatformError {
        PlatformError::Unreachable { worker: self.name.clone(), detail: e.to_string() }
    }
}

#[async_trait]
impl Platform for NodePlatform {
    async fn deploy(&self, spec: &FunctionSpec) -> Result<(), DeployError> {
        let platform = |detail: String| DeployError::Platform { worker: self.name.clone(), detail };
        let response = self.admin(reqwest::Method::PUT, &spec.name).json(spec).send().await.map_err(|e| platform(e.to_string()))?;
        let status = response.status();
        if status.is_success() {
            let timeout = Duration::from_secs(u64::from(spec.timeout_s)) + SLACK;
            self.timeouts.write().expect("timeouts lock poisoned").insert(spec.name.clone(), timeout);
            return Ok(());
        }
        let text = response.text().await.unwrap_or_default();
        let Ok(ErrorBody { error }) = serde_json::from_str::<ErrorBody>(&text) else {
            return Err(platform(format!("{status}: {text}")));
        };
        match error.error_type {
            Some(error_type) if status == reqwest::StatusCode::BAD_REQUEST => Err(DeployError::Code { error_type, message: error.message }),
            _ if matches!(status.as_u16(), 401 | 403) => {
                Err(platform(format!("{status}: {} (set `token` in this worker's configuration to the node's --token)", error.message)))
            }
            _ => Err(platform(format!("{status}: {}", error.message))),
        }
    }

    async fn invoke(&self, function: &str, event: Bytes) -> Result<InvokeOutcome, PlatformError> {
        let timeout = self.timeouts.read().expect("timeouts lock poisoned").get(function).copied();
        let timeout = timeout.ok_or_else(|| PlatformError::NotDeployed { worker: self.name.clone(), function: function.to_owned() })?;
        let url = format!("{}/2015-03-31/functions/{function}/invocations", self.base);
        http_invoke::post(&self.client, &url, event, timeout, Target { worker: &self.name, function }).await
    }

    fn utilisation(&self) -> Utilisation {
        Utilisation {
            cpu: f64::from_bits(self.utilisation[0].load(Ordering::Relaxed)),
            memory: f64::from_bits(self.utilisation[1].load(Ordering::Relaxed)),
        }
    }

    /// Asks the node; its answer also refreshes the cached utilisation.
    async fn health(&self) -> bool {
        let response = self.client.get(format!("{}/healthz", self.base)).timeout(Duration::from_secs(2)).send().await;
        let Ok(response) = response.and_then(reqwest::Response::error_for_status) else {
            return false;
        };
        let Ok(health) = response.json::<NodeHealth>().await else {
            return false;
        };
        self.utilisation[0].store(health.utilisation.cpu.to_bits(), Ordering::Relaxed);
        self.utilisation[1].store(health.utilisation.memory.to_bits(), Ordering::Relaxed);
        true
    }

    async fn remove(&self, function: &str) -> Result<(), PlatformError> {
        self.timeouts.write().expect("timeouts lock poisoned").remove(function);
        let response = self.admin(reqwest::Method::DELETE, function).send().await.map_err(|e| self.unreachable(&e))?;
        match response.status() {
            status if status.is_success() => Ok(()),
            status => Err(PlatformError::Failed { worker: self.name.clone(), detail: format!("removing {function}: {status}") }),
        }
    }

    async fn shutdown(&self) {}
}
