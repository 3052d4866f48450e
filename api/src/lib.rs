//! hetfaas-api: the wire contract between hetfaas and its clients.
//!
//! Every type that crosses the HTTP API is defined once, here: what a
//! developer deploys ([`FunctionSpec`]), what the server shows of a
//! function ([`FunctionView`] with its typed [`TrainingReport`] and model
//! summaries), the execution rows, predictions and health it serves, the
//! error body, the `x-hetfaas-*` header names with the one formatter and
//! parser of the placement headers ([`Placement`]), and a typed async
//! [`Client`] with one method per route. The orchestrator serves these
//! types, and its CLI, the experiment harness and the tests read them, so a
//! field is renamed in one place and a header is spelled in one place.
//!
//! This crate depends on nothing of hetfaas: it is the bottom layer. The
//! client is the default feature `client`; the types alone need no HTTP
//! stack (`default-features = false`).
//!
//! ```no_run
//! # async fn run() -> Result<(), hetfaas_api::ClientError> {
//! use hetfaas_api::{Client, FunctionSpec};
//! let client = Client::new("http://127.0.0.1:8080");
//! let spec = FunctionSpec::new("squares", "def handler(event, context):\n    return [x * x for x in event]\n");
//! client.create(&spec).await?;
//! let ready = client.wait_settled("squares", std::time::Duration::from_secs(60)).await?;
//! let answer = client.invoke("squares", "[1, 2, 3]", None).await?;
//! println!("{:?} ran on {}: {}", ready.state, answer.placement.worker, String::from_utf8_lossy(&answer.body));
//! # Ok(()) }
//! ```

#[cfg(feature = "client")]
pub mod client;
pub mod error;
pub mod execution;
pub mod function;
pub mod headers;
pub mod learning;
pub mod policy;
pub mod seed;
pub mod view;

#[cfg(feature = "client")]
pub use client::{Client, ClientError, Invoked};
pub use error::{ErrorBody, ErrorDetail};
pub use execution::{CallProfile, Execution};
pub use function::{FunctionSpec, InvalidFunction, State, Tier, validate_name};
pub use headers::Placement;
pub use learning::{
    Decision, DistanceVerdict, Family, FeatureBasis, HeldBack, Incremental, Line, ModelSummary, PaperVerdict, PriorSummary, SimilarityMode,
    TrainingPath, TrainingReport,
};
pub use policy::PolicyKind;
pub use view::{
    Cluster, ExecutionPage, FunctionView, Health, LearnerHealth, Predictions, RecorderHealth, TransferOutcome, Utilisation, WorkerHealth,
};
