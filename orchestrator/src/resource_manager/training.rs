//! The training workflow run after a function is deployed (dissertation
//! 3.4.1):
//!
//! 1. warm every supporting worker with one invocation;
//! 2. minimal data: one invocation per worker at each of `minimal_sizes`
//!    (the minimal sizes include the feature sizes 1, 100, 200, 500, 750,
//!    1000, whose durations and CPU/memory profile form the feature vector);
//! 3. transfer learning: if the catalogue holds a similar function, run only
//!    `transfer_invocations` per worker and build the models from the
//!    source's plus these own rows;
//! 4. otherwise full training: `full_invocations` per worker, input sizes
//!    growing evenly up to `full_max_size`, and a full fit;
//! 5. add the features to the catalogue, re-cluster, mark `ready`.
//!
//! Sizes grow within each pass, as in the dissertation. Random order was
//! tried, so that a slow spell of the host would scatter over all sizes
//! instead of lifting the top of the curve, and it did worse: on a worker
//! with a CPU quota, a call that overdraws the quota holds the next one
//! back for the rest of the period, so in random order small calls after
//! large ones took a whole period (about 100 ms instead of 5 at 0.05 CPU in
//! the paper scenario) and the edge's error at small sizes tripled. Against
//! bent curves the family choice guards instead (`learning::family`).
//!
//! Training invocations go through the ordinary invoke path pinned to one
//! worker, so they are recorded (marked `training`) like any other. Events of
//! a given size are drawn, seeded, from the elements of the function's
//! example inputs.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Instant;

use bytes::Bytes;
use hetfaas_api::seed::stable_hash;
use hetfaas_api::{Cluster, FeatureBasis, FunctionView, TrainingPath, TrainingReport, TransferOutcome};
use rand::SeedableRng;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use serde_json::Value;

use super::Orchestrator;
use super::invoke::InvokeRequest;
use super::registry::FunctionEntry;
use crate::learning::profile::{FEATURE_SIZES, features};
use crate::store::StoreError;
use crate::worker::WorkerId;

/// `n` sizes growing evenly up to `max`.
fn growing(n: u64, max: u64) -> Vec<u64> {
    (1..=n).map(|i| (i * max / n.max(1)).max(1)).collect()
}

/// Invocations a training step made, how many of them failed, and the
/// input sizes each worker's warm, successful calls had (the rows its model
/// can learn from).
#[derive(Debug, Default)]
struct Tally {
    invocations: u64,
    failed: u64,
    trained: BTreeMap<WorkerId, BTreeSet<u64>>,
}

impl std::ops::AddAssign for Tally {
    fn add_assign(&mut self, other: Tally) {
        self.invocations += other.invocations;
        self.failed += other.failed;
        for (worker, sizes) in other.trained {
            self.trained.entry(worker).or_default().extend(sizes);
        }
    }
}

impl Orchestrator {
    /// Runs steps 1-5 for a freshly deployed function.
    pub(super) async fn train(&self, entry: &FunctionEntry) -> TrainingReport {
        assert!(!crate::fault::failpoint("training"), "HETFAAS_FAILPOINT=training");
        let start = Instant::now();
        let config = &self.inner.training;
        let name = &entry.spec.name;
        let mut rng = StdRng::seed_from_u64(self.inner.seed ^ stable_hash(name));
        let mut minimal: Vec<u64> = config.minimal_sizes.iter().copied().chain(FEATURE_SIZES).collect();
        minimal.sort_unstable();
        minimal.dedup();
        let mut tally = Tally::default();
        for sizes in [&vec![1], &minimal] {
            tally += self.run_on_every_worker(entry, sizes, &mut rng).await;
        }
        self.inner.recorder.flush().await;
        let (features, feature_basis) = self.features_of(entry).await.unzip();
        let code = &entry.spec.source_code;
        let similarity = features.as_ref().map(|f| self.inner.catalog.decide(name, code, f, &self.inner.learning.similarity));
        let chosen = entry.spec.transfer_from.clone().filter(|s| features.is_some() && self.inner.catalog.can_source(s, code));
        let source = chosen.or_else(|| similarity.as_ref().and_then(|d| d.source.clone())).filter(|_| entry.spec.allow_transfer);
        let own = if source.is_some() { config.transfer_invocations } else { config.full_invocations };
        tally += self.run_on_every_worker(entry, &growing(own, config.full_max_size), &mut rng).await;
        self.inner.recorder.flush().await;
        let fitted = match &source {
            Some(source) => self.inner.learner.transfer(name, source, entry.workers.clone()).await,
            None => self.inner.learner.fit(name, entry.workers.clone()).await,
        };
        if let Err(e) = fitted {
            tracing::error!(function = %name, "fitting after training failed: {e}");
        }
        let cluster = match &features {
            Some(features) => {
                self.inner.catalog.insert(name, code, features.clone());
                self.recluster().await;
                self.inner.catalog.cluster_of(name)
            }
            None => None,
        };
        TrainingReport {
            path: if source.is_some() { TrainingPath::Transfer } else { TrainingPath::Full },
            source,
            invocations: tally.invocations,
            failed_invocations: tally.failed,
            wall_ms: start.elapsed().as_secs_f64() * 1000.0,
            cluster,
            features,
            feature_basis,
            similarity,
            trained_sizes: tally
                .trained
                .into_iter()
                .map(|(w, sizes)| (self.worker_name(w).to_owned(), sizes.into_iter().collect()))
                .collect(),
        }
    }

    /// The function's feature vector from its stored executions; only for
    /// functions every worker runs, so that all vectors are comparable.
    async fn features_of(&self, entry: &FunctionEntry) -> Option<(Vec<f64>, FeatureBasis)> {
        if entry.workers.len() != self.inner.workers.len() {
            return None;
        }
        let rows = self.inner.store.executions(&entry.spec.name, None).await.ok()?;
        let names: Vec<String> = entry.workers.iter().map(|&w| self.worker_name(w).to_owned()).collect();
        features(&rows, &names)
    }

    /// Re-clusters the catalogue and stores the clusters (`PUT /cluster`
    /// does the same on demand).
    pub async fn recluster(&self) -> Vec<Cluster> {
        let clusters = self.inner.catalog.recluster(self.inner.learning.similarity.clusters, self.inner.seed);
        if let Err(e) = self.inner.store.put_clusters(&clusters).await {
            tracing::error!("storing clusters failed: {e}");
        }
        clusters
    }

    /// Tries transfer learning for an existing function now (`PUT
    /// /transfer/{name}`): its models are rebuilt from the most similar
    /// function's if one matches. `None` for an unknown function.
    pub async fn transfer(&self, function: &str) -> Option<Result<TransferOutcome, StoreError>> {
        let entry = self.inner.registry.get(function)?;
        self.inner.recorder.flush().await;
        let features = self.features_of(&entry).await.map(|(f, _)| f);
        let code = &entry.spec.source_code;
        let decision = features.as_ref().map(|f| self.inner.catalog.decide(function, code, f, &self.inner.learning.similarity));
        if let Some(source) = decision.as_ref().and_then(|d| d.source.as_deref()) {
            if let Err(e) = self.inner.learner.transfer(function, source, entry.workers.clone()).await {
                return Some(Err(e));
            }
        }
        Some(Ok(TransferOutcome { decision, function: self.view(&entry) }))
    }

    /// Invokes the function once per size on each supporting worker, the
    /// same event on each; the workers take turns, one call at a time, or
    /// run each size side by side with `concurrent_workers`. Events are
    /// drawn one at a time, so only one is ever held.
    async fn run_on_every_worker(&self, entry: &FunctionEntry, sizes: &[u64], rng: &mut StdRng) -> Tally {
        let mut tally = Tally::default();
        for &size in sizes {
            let (input_size, event) = event_of_size(&entry.spec.example_inputs, size, rng);
            let run = |worker| self.run_once(&entry.spec.name, worker, input_size, event.clone());
            if self.inner.training.concurrent_workers {
                futures_util::future::join_all(entry.workers.iter().map(|&w| run(w))).await.into_iter().for_each(|t| tally += t);
            } else {
                for &worker in &entry.workers {
                    tally += run(worker).await;
                }
            }
        }
        tally
    }

    /// One training call, pinned to `worker`.
    async fn run_once(&self, function: &str, worker: WorkerId, input_size: u64, event: Bytes) -> Tally {
        let request =
            InvokeRequest { function: function.to_owned(), event, input_size, policy: None, training: true, target: Some(worker) };
        let invoked = self.invoke(request).await;
        let ok = matches!(&invoked, Ok(i) if i.result.is_ok());
        let learnable = matches!(&invoked, Ok(i) if i.result.is_ok() && !i.cold);
        let trained = if learnable { BTreeMap::from([(worker, BTreeSet::from([input_size]))]) } else { BTreeMap::new() };
        Tally { invocations: 1, failed: u64::from(!ok), trained }
    }

    /// Refits every model of the function from its whole stored history
    /// (`PUT /train/{name}`); `None` for an unknown function.
    pub async fn retrain(&self, function: &str) -> Option<Result<FunctionView, StoreError>> {
        let entry = self.inner.registry.get(function)?;
        self.inner.recorder.flush().await;
        Some(self.inner.learner.fit(function, entry.workers.clone()).await.map(|_| self.view(&entry)))
    }

    /// Returns once every execution recorded so far has been learned
    /// (`PUT /train/incremental/{name}`), with the models as they now are.
    pub async fn catch_up(&self, function: &str) -> Option<FunctionView> {
        let entry = self.inner.registry.get(function)?;
        self.inner.recorder.flush().await;
        Some(self.view(&entry))
    }
}

/// The largest training event: Lambda's payload limit, which no call from
/// a client could exceed either.
const MAX_EVENT_BYTES: usize = 6 * 1024 * 1024;

/// An event of `size` elements drawn from the elements of the example
/// inputs (array examples contribute their elements, others themselves),
/// and its actual size: fewer elements when `size` of them would pass
/// [`MAX_EVENT_BYTES`]. Without examples the elements are 1..=size.
pub fn event_of_size(examples: &[Value], size: u64, rng: &mut StdRng) -> (u64, Bytes) {
    let pool: Vec<&Value> = examples
        .iter()
        .flat_map(|e| match e {
            Value::Array(items) => items.iter().collect::<Vec<_>>(),
            other => vec![other],
        })
        .collect();
    let mut text = Vec::from(&b"["[..]);
    let mut count = 0;
    for i in 0..size {
        let element = match pool.choose(rng) {
            Some(value) => serde_json::to_vec(value).expect("JSON values serialise"),
            None => (i + 1).to_string().into_bytes(),
        };
        if text.len() + element.len() + 2 > MAX_EVENT_BYTES {
            break;
        }
        if count > 0 {
            text.push(b',');
        }
        text.extend_from_slice(&element);
        count += 1;
    }
    text.push(b']');
    (count, Bytes::from(text))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_have_the_asked_size_from_the_examples_and_repeat_for_a_seed() {
        let examples = vec![serde_json::json!([3, 5]), serde_json::json!("x")];
        let draw = |seed| event_of_size(&examples, 7, &mut StdRng::seed_from_u64(seed));
        let (size, bytes) = draw(1);
        let event: Vec<Value> = serde_json::from_slice(&bytes).unwrap();
        assert_eq!((size, event.len()), (7, 7));
        assert!(event.iter().all(|v| [serde_json::json!(3), serde_json::json!(5), serde_json::json!("x")].contains(v)));
        assert_eq!(draw(1), draw(1));
        assert_eq!(&event_of_size(&[], 3, &mut StdRng::seed_from_u64(0)).1[..], b"[1,2,3]");
        assert_eq!(&event_of_size(&[], 0, &mut StdRng::seed_from_u64(0)).1[..], b"[]");
    }

    #[test]
    fn an_event_stays_within_the_payload_limit() {
        let element = serde_json::Value::String("x".repeat(60_000));
        let (size, bytes) = event_of_size(&[serde_json::json!([element])], 1000, &mut StdRng::seed_from_u64(0));
        assert!(bytes.len() <= MAX_EVENT_BYTES && size < 1000 && size > 90, "{size} elements, {} bytes", bytes.len());
        assert_eq!(serde_json::from_slice::<Vec<Value>>(&bytes).unwrap().len() as u64, size);
    }
}
