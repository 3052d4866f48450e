//! One invocation's record: what the store keeps and what
//! `GET /functions/{name}/executions` serves. Workers are named here: the
//! record outlives any one configuration's worker positions.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::PolicyKind;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Execution {
    pub function: String,
    pub worker: String,
    pub input_size: u64,
    /// Orchestrator → worker → orchestrator, network included.
    pub duration_ms: f64,
    pub success: bool,
    pub error: Option<String>,
    /// Each worker's predicted duration when the decision was made.
    pub predicted_ms: BTreeMap<String, f64>,
    /// The policy that placed it (the configured default for training calls, which are
    /// pinned to a worker).
    pub policy: PolicyKind,
    /// Unix time in milliseconds when the request was sent to the worker.
    pub started_at_ms: i64,
    /// A new instance had to start for it (process spawn and import).
    pub cold: bool,
    /// Issued by the training workflow rather than by a user.
    pub training: bool,
    /// The client had disconnected before the answer came: the call still
    /// ran to the end (and is measured), but nobody received it.
    #[serde(default)]
    pub client_gone: bool,
    /// CPU time of the handler call, where the platform measures it.
    pub cpu_ms: Option<f64>,
    /// Peak resident memory of the instance after the call.
    pub maxrss_kb: Option<u64>,
}

impl Execution {
    /// The rows that train models: successful, warm executions. Cold starts
    /// measure process start-up, not the function.
    pub fn learnable(&self) -> bool {
        self.success && !self.cold
    }
}

/// One handler call's resource use, where the platform measures it: on an
/// invoke answer (`x-hetfaas-profile`) and from a `hetfaas node`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct CallProfile {
    /// CPU time of the handler call.
    pub cpu_ms: f64,
    /// Peak resident memory of the instance after the call.
    pub maxrss_kb: u64,
    /// Time the CPU quotas held the call back (the cgroups' throttled time
    /// over the call), where the worker has quotas: the instance's own
    /// (exact: an instance runs one call at a time) plus the worker's
    /// (shared with the calls running beside it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub throttled_ms: Option<f64>,
}
