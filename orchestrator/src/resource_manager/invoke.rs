//! The invoke path (dissertation 3.4.2): predict, rank, run, fail over,
//! answer, and queue the execution row. It reads only memory: the registry,
//! the model cache and the workers' cached health and utilisation, and it
//! handles workers by [`WorkerId`], so it clones no name.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use bytes::Bytes;

use super::Orchestrator;
use super::lifecycle::now_ms;
use crate::function::{FunctionState, Tier};
use crate::learning::predict;
use crate::platform::{CallProfile, FunctionError, InvokeOutcome, PlatformError};
use crate::recorder::Row;
use crate::routing::{self, Candidate, PolicyKind, Wait};
use crate::worker::WorkerId;

/// One request to run a function.
#[derive(Debug, Clone)]
pub struct InvokeRequest {
    pub function: String,
    /// The event as JSON text, already validated.
    pub event: Bytes,
    pub input_size: u64,
    /// A policy other than the configured default, if the caller named one.
    pub policy: Option<PolicyKind>,
    /// Issued by the training workflow, not by a user.
    pub training: bool,
    /// Run on this worker only, bypassing the policy; the training workflow
    /// measures each worker this way.
    pub target: Option<WorkerId>,
}

impl InvokeRequest {
    /// A user's request, routed by `policy` (or the configured default).
    pub fn from_client(function: String, event: Bytes, input_size: u64, policy: Option<PolicyKind>) -> InvokeRequest {
        InvokeRequest { function, event, input_size, policy, training: false, target: None }
    }
}

/// Set when the client that asked for a call has gone away.
#[derive(Debug, Clone, Default)]
struct ClientGone(Arc<AtomicBool>);

/// Marks the client gone if dropped before [`Waiting::answered`]: the HTTP
/// layer drops the request's future when the client disconnects.
struct Waiting(ClientGone);

impl Waiting {
    fn answered(self) {
        std::mem::forget(self);
    }
}

impl Drop for Waiting {
    fn drop(&mut self) {
        (self.0).0.store(true, Ordering::Relaxed);
    }
}

/// What the function did, and where and how it was placed.
#[derive(Debug, Clone)]
pub struct Invocation {
    pub result: Result<Bytes, FunctionError>,
    pub worker: WorkerId,
    pub duration_ms: f64,
    /// Each candidate worker's prediction, in configuration order.
    pub predicted_ms: Arc<[(WorkerId, f64)]>,
    pub policy: PolicyKind,
    pub cold: bool,
    /// The call's resource use, where the worker measures it.
    pub profile: Option<CallProfile>,
}

#[derive(Debug, thiserror::Error)]
pub enum InvokeError {
    #[error("function {0:?} does not exist")]
    UnknownFunction(String),
    #[error("function {function:?} failed to deploy and cannot run: {reason}")]
    Failed { function: String, reason: String },
    #[error("function {0:?} is still deploying; retry in a moment")]
    Deploying(String),
    #[error("policy {policy} allows no worker for function {function:?}")]
    NoCandidate { function: String, policy: PolicyKind },
    #[error("every candidate worker failed: {}", .0.join("; "))]
    AllFailed(Vec<String>),
    /// Every candidate refused for now (HTTP 429 upstream): retry later.
    #[error("every candidate worker is throttling: {}", .0.join("; "))]
    Throttled(Vec<String>),
    /// The orchestrator itself failed (a panic in the invoke path).
    #[error("internal error: {0}")]
    Internal(String),
}

impl Orchestrator {
    /// A client's invocation, run to its end even if the client goes away:
    /// the platform call completes (a warm instance goes back to its pool
    /// rather than die mid-call) and its row is written, marked
    /// `client_gone`. Shutdown waits for these calls.
    pub async fn invoke_for_client(&self, request: InvokeRequest) -> Result<Invocation, InvokeError> {
        let gone = ClientGone::default();
        let waiting = Waiting(gone.clone());
        let (this, in_flight) = (self.clone(), self.inner.calls.enter());
        let call = tokio::spawn(async move {
            let _in_flight = in_flight;
            this.run(request, &gone).await
        });
        let answer = call.await.unwrap_or_else(|e| Err(InvokeError::Internal(e.to_string())));
        waiting.answered();
        answer
    }

    /// An invocation from inside (training), which cannot go away.
    pub async fn invoke(&self, request: InvokeRequest) -> Result<Invocation, InvokeError> {
        self.run(request, &ClientGone::default()).await
    }

    async fn run(&self, request: InvokeRequest, gone: &ClientGone) -> Result<Invocation, InvokeError> {
        let inner = &self.inner;
        let entry = inner.registry.get(&request.function).ok_or_else(|| InvokeError::UnknownFunction(request.function.clone()))?;
        match entry.state() {
            FunctionState::Failed(reason) => {
                return Err(InvokeError::Failed { function: request.function, reason });
            }
            FunctionState::Deploying => return Err(InvokeError::Deploying(request.function)),
            FunctionState::Training | FunctionState::Ready => {}
        }
        let policy = inner.policies.get(request.policy);
        let slots = inner.models.slots(&request.function);
        let now = policy.reads_queue().then(routing::now_us);
        let candidates: Vec<Candidate> = entry
            .workers
            .iter()
            .filter(|&&w| request.target.is_none_or(|t| t == w))
            .map(|&w| {
                let predicted_ms = predict(slots.as_ref(), w, request.input_size);
                let worker = &inner.workers[w.index()];
                let wait = match (predicted_ms, now) {
                    (Some(p), Some(now)) => worker.wait(p, now),
                    _ => Wait::default(),
                };
                Candidate { worker: w, tier: worker.tier, predicted_ms, wait, usable: self.usable(w) }
            })
            .collect();
        let mut order = Vec::with_capacity(candidates.len());
        routing::decide(request.target.is_none().then_some(policy), &candidates, &mut order);
        if order.is_empty() {
            return Err(InvokeError::NoCandidate { function: request.function, policy: policy.kind() });
        }
        let predicted_ms: Arc<[(WorkerId, f64)]> = candidates.iter().filter_map(|c| Some((c.worker, c.predicted_ms?))).collect();
        let mut failures = Vec::new();
        let mut all_throttled = true;
        for candidate in order {
            let worker = &inner.workers[candidate.worker.index()];
            let started_at_ms = now_ms();
            let start = Instant::now();
            let in_flight = worker.in_flight(candidate.predicted_ms.unwrap_or(0.0));
            let outcome = worker.platform.invoke(&request.function, request.event.clone()).await;
            let duration_ms = start.elapsed().as_secs_f64() * 1000.0;
            // A cold start says nothing of the worker's load: it is left out.
            if candidate.predicted_ms.is_some() && matches!(&outcome, Ok(InvokeOutcome { result: Ok(_), cold: false, .. })) {
                worker.observe(&in_flight, duration_ms);
            }
            drop(in_flight);
            inner.metrics.observe(worker.id, duration_ms, &outcome);
            let client_gone = gone.0.load(Ordering::Relaxed);
            let attempt =
                Attempt { function: &entry.name, worker: worker.id, duration_ms, started_at_ms, policy: policy.kind(), client_gone };
            inner.recorder.record(attempt.row(&request, &predicted_ms, &outcome)).await;
            match outcome {
                Ok(InvokeOutcome { result, cold, profile }) => {
                    return Ok(Invocation { result, worker: worker.id, duration_ms, predicted_ms, policy: policy.kind(), cold, profile });
                }
                Err(error) => {
                    all_throttled &= matches!(error, PlatformError::Throttled { .. });
                    match error {
                        PlatformError::Unreachable { .. } => worker.set_healthy(false),
                        PlatformError::NotDeployed { .. } => self.heal(worker.id, &request.function),
                        _ => {}
                    }
                    tracing::warn!(function = %request.function, worker = %worker.name, "trying the next worker: {error}");
                    failures.push(error.to_string());
                }
            }
        }
        Err(if all_throttled { InvokeError::Throttled(failures) } else { InvokeError::AllFailed(failures) })
    }

    /// Each supporting worker's predicted duration for `input_size`, for
    /// the workers that have a model; `None` for an unknown function.
    pub fn predict(&self, function: &str, input_size: u64) -> Option<Vec<(WorkerId, f64)>> {
        let entry = self.inner.registry.get(function)?;
        let slots = self.inner.models.slots(function);
        Some(entry.workers.iter().filter_map(|&w| Some((w, predict(slots.as_ref(), w, input_size)?))).collect())
    }

    /// Healthy and, on the edge, under the utilisation guard (3.8).
    fn usable(&self, worker: WorkerId) -> bool {
        let w = &self.inner.workers[worker.index()];
        if !w.healthy() {
            return false;
        }
        if w.tier == Tier::Edge {
            let u = w.platform.utilisation();
            return u.cpu < self.inner.edge_guard && u.memory < self.inner.edge_guard;
        }
        true
    }
}

/// Where and how one attempt ran, for its execution row.
struct Attempt<'a> {
    function: &'a Arc<str>,
    worker: WorkerId,
    duration_ms: f64,
    started_at_ms: i64,
    policy: PolicyKind,
    client_gone: bool,
}

impl Attempt<'_> {
    fn row(&self, request: &InvokeRequest, predicted_ms: &Arc<[(WorkerId, f64)]>, outcome: &Result<InvokeOutcome, PlatformError>) -> Row {
        let (success, error, cold, profile) = match outcome {
            Ok(o) => (o.result.is_ok(), o.result.as_ref().err().map(|e| format!("{}: {}", e.error_type, e.message)), o.cold, o.profile),
            Err(e) => (false, Some(e.to_string()), false, None),
        };
        Row {
            function: self.function.clone(),
            worker: self.worker,
            input_size: request.input_size,
            duration_ms: self.duration_ms,
            success,
            error,
            predicted_ms: predicted_ms.clone(),
            policy: self.policy,
            started_at_ms: self.started_at_ms,
            cold,
            training: request.training,
            client_gone: self.client_gone,
            profile,
        }
    }
}
