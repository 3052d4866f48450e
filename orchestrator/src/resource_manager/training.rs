//! The training workflow run after a function is deployed (dissertation
//! 3.4.1, SPEC section 7):
//!
//! 1. warm every supporting worker with one invocation;
//! 2. minimal data: one invocation per worker at each of `minimal_sizes`;
//!    (the minimal sizes include the feature sizes 1, 100, 200, 500, 750,
//!    1000, whose durations and CPU/memory profile form the feature vector);
//! 3. transfer learning: if the catalogue holds a similar function, run only
//!    `transfer_invocations` per worker and build the models from the
//!    source's plus these own rows;
//! 4. otherwise full training: `full_invocations` per worker, input sizes
//!    growing evenly up to `full_max_size`, and a full fit;
//! 5. add the features to the catalogue, re-cluster, mark `ready`.
//!
//! Training invocations go through the ordinary invoke path pinned to one
//! worker, so they are recorded (marked `training`) like any other. Events of
//! a given size are drawn, seeded, from the elements of the function's
//! example inputs.

use std::time::Instant;

use bytes::Bytes;
use rand::SeedableRng;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::invoke::InvokeRequest;
use super::registry::FunctionEntry;
use super::{FunctionView, Orchestrator};
use crate::learning::profile::{FEATURE_SIZES, features};
use crate::learning::similarity::Decision;
use crate::store::{ClusterRecord, StoreError};

/// The `[training]` section of the configuration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrainingConfig {
    #[serde(default = "default_minimal_sizes")]
    pub minimal_sizes: Vec<u64>,
    #[serde(default = "default_full_invocations")]
    pub full_invocations: u64,
    #[serde(default = "default_full_max_size")]
    pub full_max_size: u64,
    /// Own invocations per worker of a function trained by transfer.
    #[serde(default = "default_transfer_invocations")]
    pub transfer_invocations: u64,
    /// Train the workers side by side rather than one after another. Off by
    /// default: local workers share this machine's cores, so a call measured
    /// while another worker runs is slower than the same call alone, and the
    /// model would learn that contention. On suits workers on separate
    /// machines (Lambda, Knative, a `hetfaas node` elsewhere).
    #[serde(default)]
    pub concurrent_workers: bool,
}

/// `n` sizes growing evenly up to `max`.
fn growing(n: u64, max: u64) -> Vec<u64> {
    (1..=n).map(|i| (i * max / n.max(1)).max(1)).collect()
}

fn default_transfer_invocations() -> u64 {
    10
}

fn default_minimal_sizes() -> Vec<u64> {
    std::iter::once(1).chain((1..=10).map(|i| i * 100)).collect()
}
fn default_full_invocations() -> u64 {
    100
}
fn default_full_max_size() -> u64 {
    1000
}

impl Default for TrainingConfig {
    fn default() -> Self {
        TrainingConfig {
            minimal_sizes: default_minimal_sizes(),
            full_invocations: default_full_invocations(),
            full_max_size: default_full_max_size(),
            transfer_invocations: default_transfer_invocations(),
            concurrent_workers: false,
        }
    }
}

/// What training cost and produced; shown in `GET /functions/{name}`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct TrainingReport {
    /// `full` or `transfer`.
    pub path: String,
    /// The function whose models were transferred.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    pub invocations: u64,
    pub failed_invocations: u64,
    pub wall_ms: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cluster: Option<usize>,
    /// The feature vector (see `learning::profile`), when every worker ran it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub features: Option<Vec<f64>>,
    /// What both similarity modes said.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub similarity: Option<Decision>,
}

impl Orchestrator {
    /// Runs steps 1-5 for a freshly deployed function.
    pub(super) async fn train(&self, entry: &FunctionEntry) -> TrainingReport {
        let start = Instant::now();
        let config = &self.inner.training;
        let name = &entry.spec.name;
        let mut report = TrainingReport::default();
        let mut rng = StdRng::seed_from_u64(self.inner.seed ^ fnv1a(name));
        let mut minimal: Vec<u64> = config.minimal_sizes.iter().copied().chain(FEATURE_SIZES).collect();
        minimal.sort_unstable();
        minimal.dedup();
        for sizes in [&vec![1], &minimal] {
            self.run_on_every_worker(entry, sizes, &mut rng, &mut report).await;
        }
        self.inner.recorder.flush().await;
        report.features = self.features_of(entry).await;
        report.similarity = report.features.as_ref().map(|f| self.inner.catalog.decide(name, f, &self.inner.learning.similarity));
        report.source = report.similarity.as_ref().and_then(|d| d.source.clone()).filter(|_| entry.spec.allow_transfer);
        let own = if report.source.is_some() { config.transfer_invocations } else { config.full_invocations };
        self.run_on_every_worker(entry, &growing(own, config.full_max_size), &mut rng, &mut report).await;
        self.inner.recorder.flush().await;
        let workers = self.worker_names(entry);
        let fitted = match &report.source {
            Some(source) => self.inner.learner.transfer(name, source, workers).await,
            None => self.inner.learner.fit(name, workers).await,
        };
        if let Err(e) = fitted {
            tracing::error!(function = %name, "fitting after training failed: {e}");
        }
        report.path = if report.source.is_some() { "transfer" } else { "full" }.into();
        if let Some(features) = &report.features {
            self.inner.catalog.insert(name, features.clone());
            self.recluster().await;
            report.cluster = self.inner.catalog.cluster_of(name);
        }
        report.wall_ms = start.elapsed().as_secs_f64() * 1000.0;
        report
    }

    fn worker_names(&self, entry: &FunctionEntry) -> Vec<String> {
        entry.workers.iter().map(|&i| self.inner.workers[i].name.clone()).collect()
    }

    /// The function's feature vector from its stored executions; only for
    /// functions every worker runs, so that all vectors are comparable.
    async fn features_of(&self, entry: &FunctionEntry) -> Option<Vec<f64>> {
        if entry.workers.len() != self.inner.workers.len() {
            return None;
        }
        let rows = self.inner.store.executions(&entry.spec.name, None).await.ok()?;
        features(&rows, &self.worker_names(entry))
    }

    /// Re-clusters the catalogue and stores the clusters (`PUT /cluster`
    /// does the same on demand).
    pub async fn recluster(&self) -> Vec<ClusterRecord> {
        let clusters = self.inner.catalog.recluster(self.inner.learning.similarity.clusters, self.inner.seed);
        if let Err(e) = self.inner.store.put_clusters(&clusters).await {
            tracing::error!("storing clusters failed: {e}");
        }
        clusters
    }

    /// Tries transfer learning for an existing function now (`PUT
    /// /transfer/{name}`): its models are rebuilt from the most similar
    /// function's if one matches. `None` for an unknown function.
    pub async fn transfer(&self, function: &str) -> Option<Result<(Option<Decision>, FunctionView), StoreError>> {
        let entry = self.inner.registry.get(function)?;
        self.inner.recorder.flush().await;
        let features = self.features_of(&entry).await;
        let decision = features.as_ref().map(|f| self.inner.catalog.decide(function, f, &self.inner.learning.similarity));
        if let Some(source) = decision.as_ref().and_then(|d| d.source.as_deref()) {
            if let Err(e) = self.inner.learner.transfer(function, source, self.worker_names(&entry)).await {
                return Some(Err(e));
            }
        }
        Some(Ok((decision, self.view(&entry))))
    }
    /// Invokes the function once per size on each supporting worker, one
    /// call at a time per worker; the workers take turns, or proceed side
    /// by side with `concurrent_workers`.
    async fn run_on_every_worker(&self, entry: &FunctionEntry, sizes: &[u64], rng: &mut StdRng, report: &mut TrainingReport) {
        let events: Vec<(u64, Bytes)> = sizes.iter().map(|&s| (s, event_of_size(&entry.spec.example_inputs, s, rng))).collect();
        if self.inner.training.concurrent_workers {
            let mut tasks = tokio::task::JoinSet::new();
            for &worker in &entry.workers {
                let (this, events, function) = (self.clone(), events.clone(), entry.spec.name.clone());
                tasks.spawn(async move { this.run_on_worker(&function, worker, events).await });
            }
            while let Some(failed) = tasks.join_next().await {
                report.failed_invocations += failed.expect("training task panicked");
            }
        } else {
            for &worker in &entry.workers {
                report.failed_invocations += self.run_on_worker(&entry.spec.name, worker, events.clone()).await;
            }
        }
        report.invocations += (sizes.len() * entry.workers.len()) as u64;
    }

    /// Runs `events` on one worker in order; returns how many failed.
    async fn run_on_worker(&self, function: &str, worker: usize, events: Vec<(u64, Bytes)>) -> u64 {
        let mut failed = 0;
        for (input_size, event) in events {
            let request =
                InvokeRequest { function: function.to_owned(), event, input_size, policy: None, training: true, target: Some(worker) };
            if !matches!(self.invoke(request).await, Ok(i) if i.result.is_ok()) {
                failed += 1;
            }
        }
        failed
    }
}

impl Orchestrator {
    /// Refits every model of the function from its whole stored history
    /// (`PUT /train/{name}`); `None` for an unknown function.
    pub async fn retrain(&self, function: &str) -> Option<Result<FunctionView, StoreError>> {
        let entry = self.inner.registry.get(function)?;
        self.inner.recorder.flush().await;
        let workers = entry.workers.iter().map(|&i| self.inner.workers[i].name.clone()).collect();
        Some(self.inner.learner.fit(function, workers).await.map(|_| self.view(&entry)))
    }

    /// Returns once every execution recorded so far has been learned
    /// (`PUT /train/incremental/{name}`), with the models as they now are.
    pub async fn catch_up(&self, function: &str) -> Option<FunctionView> {
        let entry = self.inner.registry.get(function)?;
        self.inner.recorder.flush().await;
        Some(self.view(&entry))
    }
}

/// An event of `size` elements drawn from the elements of the example
/// inputs (array examples contribute their elements, others themselves).
/// Without examples the elements are the integers 1..=size.
pub fn event_of_size(examples: &[Value], size: u64, rng: &mut StdRng) -> Bytes {
    let pool: Vec<&Value> = examples
        .iter()
        .flat_map(|e| match e {
            Value::Array(items) => items.iter().collect::<Vec<_>>(),
            other => vec![other],
        })
        .collect();
    let event: Vec<Value> = if pool.is_empty() {
        (1..=size).map(Value::from).collect()
    } else {
        (0..size).map(|_| (*pool.choose(rng).expect("pool is not empty")).clone()).collect()
    };
    Bytes::from(serde_json::to_vec(&event).expect("JSON values serialise"))
}

/// A stable hash of a name, so each function's inputs have their own seed.
fn fnv1a(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_have_the_asked_size_from_the_examples_and_repeat_for_a_seed() {
        let examples = vec![serde_json::json!([3, 5]), serde_json::json!("x")];
        let draw = |seed| event_of_size(&examples, 7, &mut StdRng::seed_from_u64(seed));
        let event: Vec<Value> = serde_json::from_slice(&draw(1)).unwrap();
        assert_eq!(event.len(), 7);
        assert!(event.iter().all(|v| [serde_json::json!(3), serde_json::json!(5), serde_json::json!("x")].contains(v)));
        assert_eq!(draw(1), draw(1));
        assert_eq!(&event_of_size(&[], 3, &mut StdRng::seed_from_u64(0))[..], b"[1,2,3]");
    }

    #[test]
    fn default_sizes_follow_the_dissertation() {
        let c = TrainingConfig::default();
        assert_eq!(c.minimal_sizes, vec![1, 100, 200, 300, 400, 500, 600, 700, 800, 900, 1000]);
        assert_eq!((c.full_invocations, c.full_max_size), (100, 1000));
    }
}
