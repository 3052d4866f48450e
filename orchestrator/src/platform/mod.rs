//! Platforms (workers): the places a function can run.
//!
//! One trait, one module per kind, chosen by the `kind` key of a
//! `[[workers]]` entry. The orchestrator holds any number of workers and
//! never assumes there are two. Adding a kind means a new module, a variant
//! of [`PlatformConfig`] and one arm in [`PlatformConfig::build`].

#[cfg(any(feature = "aws", feature = "docker"))]
pub mod aws;
mod http_invoke;
#[cfg(feature = "docker")]
pub mod image;
#[cfg(any(feature = "aws", feature = "knative", feature = "docker"))]
pub mod image_source;
#[cfg(feature = "knative")]
pub mod knative;
#[cfg(feature = "aws")]
pub mod lambda;
pub mod lambda_wire;
pub mod local;
pub mod node;
pub mod noop;

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use async_trait::async_trait;
use bytes::Bytes;
use serde::{Deserialize, Serialize};

use crate::function::FunctionSpec;

/// The `PUT /credentials` scopes some platform reads; each is handed to the
/// workers at start.
pub const CREDENTIAL_SCOPES: &[&str] = &["aws"];

/// A platform answered, and this is what the function did.
#[derive(Debug, Clone)]
pub struct InvokeOutcome {
    /// The handler's return value as JSON, or its own error.
    pub result: Result<Bytes, FunctionError>,
    /// Whether a new instance had to start (process spawn and import).
    pub cold: bool,
    /// Resource use of the handler call, where the platform can measure it.
    pub profile: Option<CallProfile>,
}

/// How a function call went wrong by the function's own doing. These are the
/// function's answer and are never retried on another worker.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FunctionErrorKind {
    /// The handler raised; `error_type` is the exception's class.
    Raised,
    /// The handler ran past the function's `timeout_s`.
    Timeout,
    /// The runtime process died (`os._exit`, a signal) mid-call.
    Exited,
    /// The instance was killed for exceeding its memory limit.
    OutOfMemory,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FunctionError {
    pub kind: FunctionErrorKind,
    pub error_type: String,
    pub message: String,
    #[serde(default)]
    pub stack_trace: Vec<String>,
}

/// A worker failed to do its job. Every variant makes the router try the
/// next candidate worker.
#[derive(Debug, thiserror::Error)]
pub enum PlatformError {
    #[error("worker {worker} is unreachable: {detail}")]
    Unreachable { worker: String, detail: String },
    #[error("worker {worker} failed: {detail}")]
    Failed { worker: String, detail: String },
    #[error("function {function} is not deployed on worker {worker}")]
    NotDeployed { worker: String, function: String },
    /// The worker refused the call for now (HTTP 429, Lambda's
    /// `TooManyRequestsException`): another worker may take it.
    #[error("worker {worker} is throttling: {detail}")]
    Throttled { worker: String, detail: String },
}

/// Deploying a function failed; the message tells the developer why.
#[derive(Debug, thiserror::Error)]
pub enum DeployError {
    /// The code itself is at fault (syntax error, no `handler`).
    #[error("{error_type}: {message}")]
    Code { error_type: String, message: String },
    #[error("worker {worker} could not deploy: {detail}")]
    Platform { worker: String, detail: String },
}

pub use hetfaas_api::{CallProfile, Utilisation};

#[async_trait]
pub trait Platform: Send + Sync + std::fmt::Debug {
    /// Whether this worker can take `spec` at all (a limit of the platform
    /// the spec's own checks cannot know, such as a name prefix); asked at
    /// create, so a refusal is a 400 and nothing is stored.
    fn accepts(&self, _spec: &FunctionSpec) -> Result<(), String> {
        Ok(())
    }

    /// Makes `spec` invocable on this worker; returns once it is.
    async fn deploy(&self, spec: &FunctionSpec) -> Result<(), DeployError>;

    /// Runs the function on `event` (raw JSON) and waits for its answer.
    async fn invoke(&self, function: &str, event: Bytes) -> Result<InvokeOutcome, PlatformError>;

    /// Recent utilisation; cheap, because the router reads it per request.
    fn utilisation(&self) -> Utilisation;

    /// Whether the worker can take requests right now.
    async fn health(&self) -> bool;

    /// Removes the function and everything running for it.
    async fn remove(&self, function: &str) -> Result<(), PlatformError>;

    /// Stops everything this worker started; called once on shutdown.
    async fn shutdown(&self);

    /// Credentials stored with `PUT /credentials?scope=...`, handed to every
    /// worker at start and whenever they change; a kind that needs none of
    /// `scope` ignores them. They must never be logged.
    fn use_credentials(&self, _scope: &str, _values: &BTreeMap<String, String>) {}

    /// Kind-specific state for `GET /healthz` (limits in force, instances).
    fn details(&self) -> serde_json::Value {
        serde_json::Value::Null
    }

    /// How many calls the worker runs at once at the speed of a call alone
    /// (the speed its predictions were learned at): the queue-aware policies
    /// divide the work in flight on it by this. Unbounded by default, as
    /// for platforms that scale out per request (Lambda, Knative).
    fn parallelism(&self) -> f64 {
        f64::INFINITY
    }

    /// The CPU time one call can use in a quota period before the quota
    /// holds it back for the rest of the period, where a quota of under
    /// one core applies to each call: the learner fits the calls that used
    /// more on a line of their own (`learning::quota`). `None` where the
    /// platform sets no such quota or cannot say.
    fn quota_burst_ms(&self) -> Option<f64> {
        None
    }

    /// The part of a call's duration spent on the way there and back,
    /// which no other call waits behind: the queue-aware policies leave it
    /// out of the work in flight. 0 where the platform cannot know it.
    fn transit_ms(&self) -> f64 {
        0.0
    }
}

/// The settings of one `[[workers]]` entry beyond its name and tier.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum PlatformConfig {
    /// Warm Python processes on this machine (the embedded default).
    Local(local::LocalConfig),
    /// A `hetfaas node` process reached over HTTP.
    Node(node::NodeConfig),
    /// Answers at once with the event: a measurement tool, never a default.
    Noop(noop::NoopConfig),
    /// AWS Lambda (or any endpoint speaking its API), feature `aws`.
    #[cfg(feature = "aws")]
    Lambda(lambda::LambdaConfig),
    /// Knative Serving on a Kubernetes cluster, feature `knative`.
    #[cfg(feature = "knative")]
    Knative(knative::KnativeConfig),
}

impl PlatformConfig {
    /// Starts the worker. `data_dir` is where it may keep files; `seed`
    /// makes its randomness reproducible.
    pub fn build(&self, name: &str, data_dir: &Path, seed: u64) -> Result<Arc<dyn Platform>, StartError> {
        Ok(match self {
            PlatformConfig::Local(c) => Arc::new(local::LocalPlatform::start(name, c.clone(), data_dir, seed)?),
            PlatformConfig::Node(c) => Arc::new(node::NodePlatform::new(name, c.clone())?),
            PlatformConfig::Noop(_) => Arc::new(noop::NoopPlatform),
            #[cfg(feature = "aws")]
            PlatformConfig::Lambda(c) => Arc::new(lambda::LambdaPlatform::new(name, c.clone())?),
            #[cfg(feature = "knative")]
            PlatformConfig::Knative(c) => Arc::new(knative::KnativePlatform::new(name, c.clone())?),
        })
    }
}

/// A worker could not be started from its configuration.
#[derive(Debug, thiserror::Error)]
#[error("cannot start worker {worker}: {detail}")]
pub struct StartError {
    pub worker: String,
    pub detail: String,
}
