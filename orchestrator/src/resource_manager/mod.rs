//! The resource manager: the orchestrator's core (dissertation 3.4).
//!
//! It owns the workers, the in-memory function registry, the policies, the
//! model cache, the execution recorder and every background task, and runs
//! the two workflows: creating a function ([`lifecycle`], [`training`]) and
//! invoking one ([`invoke`]). Data flows one way: request → prediction →
//! policy → platform → response, and the execution row is queued for the
//! store and the learner afterwards. The HTTP layer reaches all of it only
//! through [`Orchestrator`]'s methods.

mod catalog;
mod healing;
mod health;
mod invoke;
mod lifecycle;
mod operations;
mod registry;
mod tasks;
mod training;

use std::collections::{BTreeMap, HashSet};
use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

pub use self::invoke::{Invocation, InvokeError, InvokeRequest};
pub use self::lifecycle::CreateError;
use self::registry::Registry;
use self::tasks::{Calls, Tasks};
use crate::config::{Config, TrainingConfig};
use crate::function::Tier;
use crate::learning::learner::Learner;
use crate::learning::{LearningConfig, ModelCache};
use crate::metrics::Metrics;
use crate::platform::{CREDENTIAL_SCOPES, Platform, StartError};
use crate::recorder::Recorder;
use crate::routing::{self, Backlog, InFlight, Policies, Wait};
use crate::store::{Store, StoreError};
use crate::worker::{WorkerId, WorkerNames};

/// One configured worker and what the router knows about it.
#[derive(Debug)]
pub struct Worker {
    pub id: WorkerId,
    pub name: String,
    pub tier: Tier,
    pub platform: Arc<dyn Platform>,
    healthy: AtomicBool,
    /// Set while its functions are being redeployed after an outage.
    recovering: AtomicBool,
    /// The work this orchestrator has in flight on it, for the
    /// queue-aware policies.
    backlog: Backlog,
}

impl Worker {
    pub fn healthy(&self) -> bool {
        self.healthy.load(Ordering::Relaxed)
    }

    /// How much longer than predicted a call predicted at `predicted_ms`
    /// would take here beside the calls in flight, and they beside it, as
    /// of `now_us` ([`routing::now_us`]).
    pub fn wait(&self, predicted_ms: f64, now_us: u64) -> Wait {
        self.backlog.wait(self.work_ms(predicted_ms), self.platform.parallelism(), now_us)
    }

    /// Feeds a finished call's duration back into the worker's stretch,
    /// against what the call was expected to take when it entered.
    pub(crate) fn observe(&self, call: &InFlight<'_>, duration_ms: f64) {
        self.backlog.observe(call.expected_ms(), self.work_ms(duration_ms), routing::now_us());
    }

    /// The part of a call's predicted duration spent on the worker rather
    /// than on the network, which nothing queues for.
    fn work_ms(&self, predicted_ms: f64) -> f64 {
        (predicted_ms - self.platform.transit_ms()).max(0.0)
    }

    /// Counts a call in the backlog until the guard drops.
    pub(crate) fn in_flight(&self, predicted_ms: f64) -> InFlight<'_> {
        self.backlog.enter(self.work_ms(predicted_ms), self.platform.parallelism())
    }

    fn set_healthy(&self, healthy: bool) {
        if self.healthy.swap(healthy, Ordering::Relaxed) != healthy {
            if healthy {
                tracing::info!(worker = %self.name, "worker is healthy again");
            } else {
                tracing::warn!(worker = %self.name, "worker marked unhealthy");
            }
        }
    }
}

/// Handle to the running orchestrator. Cloning is a reference-count bump.
#[derive(Debug, Clone)]
pub struct Orchestrator {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    workers: Vec<Worker>,
    names: WorkerNames,
    store: Arc<dyn Store>,
    registry: Registry,
    models: ModelCache,
    policies: Policies,
    recorder: Recorder,
    learner: Learner,
    metrics: Metrics,
    edge_guard: f64,
    seed: u64,
    training: TrainingConfig,
    learning: LearningConfig,
    catalog: catalog::Catalog,
    tasks: Tasks,
    calls: Calls,
    /// (worker, function) pairs being redeployed after "not deployed".
    healing: Mutex<HashSet<(WorkerId, String)>>,
}

#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error(transparent)]
    Worker(#[from] StartError),
    #[error("store: {0}")]
    Store(#[from] StoreError),
    #[error("cannot create data directory {path}: {source}")]
    DataDir { path: std::path::PathBuf, source: std::io::Error },
    #[error(transparent)]
    Config(#[from] crate::config::ConfigError),
}

impl Orchestrator {
    /// Opens the store, starts the workers, restores functions and models.
    pub async fn start(config: &Config) -> Result<Orchestrator, StartupError> {
        config.validate()?;
        let data_dir = &config.data_dir;
        crate::config::private_dir(data_dir).map_err(|source| StartupError::DataDir { path: data_dir.clone(), source })?;
        let store = config.store.build(data_dir).await?;
        let mut workers = Vec::with_capacity(config.workers.len());
        for (i, w) in config.workers.iter().enumerate() {
            let platform = w.platform.build(&w.name, data_dir, config.seed.wrapping_add(i as u64))?;
            workers.push(Worker {
                id: WorkerId(i as u16),
                name: w.name.clone(),
                tier: w.tier,
                platform,
                healthy: AtomicBool::new(true),
                recovering: AtomicBool::new(false),
                backlog: Backlog::default(),
            });
        }
        for scope in CREDENTIAL_SCOPES {
            if let Some(values) = store.credentials(scope).await? {
                workers.iter().for_each(|w| w.platform.use_credentials(scope, &values));
            }
        }
        let names = WorkerNames::new(workers.iter().map(|w| w.name.clone()).collect());
        let models = ModelCache::new(names.clone());
        let bursts = workers.iter().map(|w| w.platform.quota_burst_ms()).collect();
        let learner = Learner::start(config.learning.clone(), store.clone(), models.clone(), names.clone(), bursts, store.models().await?);
        let orchestrator = Orchestrator {
            inner: Arc::new(Inner {
                metrics: Metrics::new(workers.len()),
                workers,
                recorder: Recorder::start(store.clone(), learner.clone(), names.clone()),
                names,
                learner,
                store,
                registry: Registry::default(),
                models,
                policies: Policies::new(config.policy, config.seed),
                edge_guard: config.edge_utilisation_guard,
                seed: config.seed,
                training: config.training.clone(),
                learning: config.learning.clone(),
                catalog: catalog::Catalog::new(crate::learning::profile::dimensions(config.workers.len())),
                tasks: Tasks::new(),
                calls: Calls::default(),
                healing: Mutex::default(),
            }),
        };
        orchestrator.restore().await?;
        let _ = orchestrator.spawn(health::monitor(orchestrator.clone()), |panic| tracing::error!("the health monitor panicked: {panic}"));
        Ok(orchestrator)
    }

    pub fn workers(&self) -> &[Worker] {
        &self.inner.workers
    }

    /// A worker's name, for the edges that show one.
    pub fn worker_name(&self, worker: WorkerId) -> &str {
        self.inner.names.name(worker)
    }

    /// Stores credentials and hands them to every worker, so a platform
    /// uses new keys from its next call on without a restart.
    pub async fn set_credentials(&self, scope: &str, values: &BTreeMap<String, String>) -> Result<(), StoreError> {
        self.inner.store.put_credentials(scope, values).await?;
        self.inner.workers.iter().for_each(|w| w.platform.use_credentials(scope, values));
        Ok(())
    }

    /// Runs `task` as one of the orchestrator's own: stopped and awaited on
    /// shutdown; a panic goes to `on_panic`.
    fn spawn(
        &self,
        task: impl Future<Output = ()> + Send + 'static,
        on_panic: impl FnOnce(String) + Send + 'static,
    ) -> Option<tokio::task::AbortHandle> {
        self.inner.tasks.spawn(task, on_panic)
    }

    /// Orderly stop: clients' calls finish, background work ends, queued
    /// execution rows are written and learned, and every worker's instances
    /// are stopped.
    pub async fn shutdown(&self) {
        self.inner.calls.idle().await;
        self.inner.tasks.shutdown().await;
        self.inner.recorder.shutdown().await;
        self.inner.learner.shutdown().await;
        for worker in &self.inner.workers {
            worker.platform.shutdown().await;
        }
    }
}
