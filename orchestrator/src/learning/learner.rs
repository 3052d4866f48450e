//! The incremental learner: one background task that owns every model.
//!
//! Execution rows reach it from the recorder after they are stored, so
//! learning never delays a response. It updates the touched models, writes
//! each of them once per batch, and publishes their lines to the
//! [`ModelCache`] the router reads. Full fits (training, `PUT /train`) go
//! through the same queue, so one owner changes models, in order.
//!
//! The recorder never waits for the learner: it offers each stored batch
//! and moves on. Rows waiting to be learned are capped at
//! [`MAX_PENDING_ROWS`]; past the cap a batch is not queued, only the
//! models it touches are noted, and the learner refits those from the store
//! (which holds every row) when it gets to them. A slow learner thus costs
//! a refit, never a row, and never holds up the writer.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use tokio::sync::{mpsc, oneshot, watch};
use tokio::task::JoinHandle;

use super::family::ModelChoice;
use super::model::Model;
use super::{Incremental, LearningConfig, ModelCache};
use crate::fault;
use crate::store::{Execution, ModelRecord, Store, StoreError};
use crate::worker::{WorkerId, WorkerNames};

/// Rows offered but not yet learned, at most; beyond this a batch's models
/// are refitted from the store instead.
pub const MAX_PENDING_ROWS: usize = 64 * 1024;

enum Message {
    Executions(Vec<Execution>),
    /// Models whose rows were stored but not queued: refit them from the store.
    Missed(BTreeSet<(String, String)>),
    Fit {
        function: String,
        workers: Vec<WorkerId>,
        reply: oneshot::Sender<Result<Vec<ModelRecord>, StoreError>>,
    },
    Transfer {
        function: String,
        source: String,
        workers: Vec<WorkerId>,
        reply: oneshot::Sender<Result<Vec<ModelRecord>, StoreError>>,
    },
    Barrier(oneshot::Sender<()>),
    Forget(String),
    SetIncremental(Incremental),
}

/// Handle to the learner task. Cloning shares the task.
#[derive(Debug, Clone)]
pub struct Learner {
    tx: mpsc::UnboundedSender<Message>,
    pending: Arc<AtomicUsize>,
    task: Arc<std::sync::Mutex<Option<JoinHandle<()>>>>,
    death: watch::Receiver<Option<String>>,
}

/// A model's key: its function, and its worker by position (stored rows
/// and models name the worker; [`WorkerNames`] maps them at the store).
type Key = (String, WorkerId);

struct State {
    config: LearningConfig,
    store: Arc<dyn Store>,
    cache: ModelCache,
    workers: WorkerNames,
    /// Each worker's quota burst ([`crate::platform::Platform::quota_burst_ms`]), by id.
    bursts: Vec<Option<f64>>,
    models: HashMap<Key, Model>,
    pending: Arc<AtomicUsize>,
}

impl Learner {
    /// Starts the task with the stored models; models of workers no longer
    /// configured are left in the store and ignored.
    pub fn start(
        config: LearningConfig,
        store: Arc<dyn Store>,
        cache: ModelCache,
        workers: WorkerNames,
        bursts: Vec<Option<f64>>,
        stored: Vec<ModelRecord>,
    ) -> Learner {
        let models = stored
            .into_iter()
            .filter_map(|r| {
                let worker = workers.id(&r.worker)?;
                let model = Model::from_record(r.clone());
                cache.install(worker, model.as_ref().map_or(&r, |m| &m.record));
                Some(((r.function.clone(), worker), model?))
            })
            .collect();
        let (tx, rx) = mpsc::unbounded_channel();
        let pending = Arc::new(AtomicUsize::new(0));
        let state = State { config, store, cache, workers, bursts, models, pending: pending.clone() };
        let (task, death) = fault::supervised("learner", run(state, rx, fault::failpoint("learner")));
        Learner { tx, pending, task: Arc::new(std::sync::Mutex::new(Some(task))), death }
    }

    /// Offers stored execution rows to the learner without waiting. Past
    /// [`MAX_PENDING_ROWS`] only the touched models are noted, to be
    /// refitted from the store.
    pub fn offer(&self, rows: Vec<Execution>) {
        let n = rows.len();
        let queued = self.pending.fetch_add(n, Ordering::AcqRel) + n <= MAX_PENDING_ROWS;
        let message = if queued {
            Message::Executions(rows)
        } else {
            self.pending.fetch_sub(n, Ordering::AcqRel);
            Message::Missed(rows.into_iter().filter(Execution::learnable).map(|r| (r.function, r.worker)).collect())
        };
        let _ = self.tx.send(message);
    }

    /// Fits the function's model on each worker from its whole stored
    /// history, replacing any previous model.
    pub async fn fit(&self, function: &str, workers: Vec<WorkerId>) -> Result<Vec<ModelRecord>, StoreError> {
        let (reply, answer) = oneshot::channel();
        let _ = self.tx.send(Message::Fit { function: function.to_owned(), workers, reply });
        answer.await.unwrap_or_else(|_| Ok(Vec::new()))
    }

    /// Builds the function's models from `source`'s and its own stored
    /// rows (transfer learning); workers where `source` has no model are
    /// fitted from the function's own rows alone.
    pub async fn transfer(&self, function: &str, source: &str, workers: Vec<WorkerId>) -> Result<Vec<ModelRecord>, StoreError> {
        let (reply, answer) = oneshot::channel();
        let _ = self.tx.send(Message::Transfer { function: function.to_owned(), source: source.to_owned(), workers, reply });
        answer.await.unwrap_or_else(|_| Ok(Vec::new()))
    }

    /// Answers `reply` once everything sent before it has been learned;
    /// the caller chooses whether to wait.
    pub fn notify_when_learned(&self, reply: oneshot::Sender<()>) {
        let _ = self.tx.send(Message::Barrier(reply));
    }

    /// Returns once everything sent before it has been learned.
    pub async fn barrier(&self) {
        let (reply, done) = oneshot::channel();
        self.notify_when_learned(reply);
        let _ = done.await;
    }

    /// Switches incremental learning at run time (`PUT /learning`); rows
    /// already queued are learned under the new mode.
    pub fn set_incremental(&self, mode: Incremental) {
        let _ = self.tx.send(Message::SetIncremental(mode));
    }

    pub fn forget(&self, function: &str) {
        let _ = self.tx.send(Message::Forget(function.to_owned()));
    }

    /// Why the learner died, if it did (then models stop learning).
    pub fn death(&self) -> watch::Receiver<Option<String>> {
        self.death.clone()
    }

    /// Learns what is queued, then stops.
    pub async fn shutdown(&self) {
        self.barrier().await;
        let task = self.task.lock().expect("learner lock poisoned").take();
        if let Some(task) = task {
            task.abort();
            let _ = task.await;
        }
    }
}

async fn run(mut state: State, mut rx: mpsc::UnboundedReceiver<Message>, fail: bool) {
    while let Some(message) = rx.recv().await {
        match message {
            Message::Executions(_) if fail => panic!("HETFAAS_FAILPOINT=learner"),
            Message::Executions(rows) => {
                state.learn(&rows).await;
                state.pending.fetch_sub(rows.len(), Ordering::AcqRel);
            }
            Message::Missed(keys) => state.refit_missed(keys).await,
            Message::Fit { function, workers, reply } => {
                let _ = reply.send(state.fit(&function, &workers).await);
            }
            Message::Transfer { function, source, workers, reply } => {
                let _ = reply.send(state.transfer(&function, &source, &workers).await);
            }
            Message::Barrier(reply) => {
                let _ = reply.send(());
            }
            Message::Forget(function) => state.models.retain(|(f, _), _| *f != function),
            Message::SetIncremental(mode) => state.config.incremental = mode,
        }
    }
}

impl State {
    async fn learn(&mut self, rows: &[Execution]) {
        if self.config.incremental == Incremental::Off {
            return;
        }
        let mut touched = BTreeSet::new();
        let mut refit = BTreeSet::new();
        for row in rows.iter().filter(|r| r.learnable()) {
            let Some(key) = self.key_of(row) else { continue };
            let Some(model) = self.models.get_mut(&key) else { continue };
            match self.config.incremental {
                Incremental::SufficientStatistics => {
                    model.absorb(row, &self.config.cleaning);
                    if model.needs_recleaning() {
                        refit.insert(key.clone());
                    }
                }
                Incremental::RefitAll => {
                    refit.insert(key.clone());
                }
                Incremental::Off => {}
            }
            touched.insert(key);
        }
        for (function, worker) in &refit {
            if let Err(e) = self.refit(function, *worker).await {
                tracing::error!(%function, worker = self.workers.name(*worker), "refitting from history failed: {e}");
            }
        }
        for key in touched.difference(&refit) {
            self.publish(key).await;
        }
    }

    fn burst(&self, worker: WorkerId) -> Option<f64> {
        self.bursts.get(usize::from(worker.0)).copied().flatten()
    }

    /// The key of a stored row's model, if its worker is configured.
    fn key_of(&self, row: &Execution) -> Option<Key> {
        Some((row.function.clone(), self.workers.id(&row.worker)?))
    }

    /// Models whose rows went unqueued: their history in the store has
    /// everything, so a full fit catches them up (skipped with learning off,
    /// and for models that do not exist yet: training fits those).
    async fn refit_missed(&mut self, keys: BTreeSet<(String, String)>) {
        if self.config.incremental == Incremental::Off {
            return;
        }
        let known: Vec<Key> =
            keys.into_iter().filter_map(|(f, w)| Some((f, self.workers.id(&w)?))).filter(|k| self.models.contains_key(k)).collect();
        for (function, worker) in known {
            if let Err(e) = self.refit(&function, worker).await {
                tracing::error!(%function, worker = self.workers.name(worker), "refitting after a learner backlog failed: {e}");
            }
        }
    }

    async fn fit(&mut self, function: &str, workers: &[WorkerId]) -> Result<Vec<ModelRecord>, StoreError> {
        let mut fitted = Vec::new();
        for &worker in workers {
            if self.refit(function, worker).await? {
                fitted.push(self.models[&(function.to_owned(), worker)].to_record());
            }
        }
        Ok(fitted)
    }

    async fn transfer(&mut self, function: &str, source: &str, workers: &[WorkerId]) -> Result<Vec<ModelRecord>, StoreError> {
        let mut built = Vec::new();
        for &worker in workers {
            let Some(prior) = self.models.get(&(source.to_owned(), worker)) else {
                if self.refit(function, worker).await? {
                    built.push(self.models[&(function.to_owned(), worker)].to_record());
                }
                continue;
            };
            let own = self.store.executions(function, Some(self.workers.name(worker))).await?;
            let (cleaning, prior_rows, burst) = (&self.config.cleaning, self.config.transfer_prior_rows, self.burst(worker));
            let Some(model) = Model::transfer(prior, function, &own, cleaning, prior_rows, burst) else {
                continue;
            };
            let key = (function.to_owned(), worker);
            self.models.insert(key.clone(), model);
            self.publish(&key).await;
            built.push(self.models[&key].to_record());
        }
        Ok(built)
    }

    /// Full fit from the stored history, keeping any transfer prior the
    /// model had; false if there is nothing to learn.
    async fn refit(&mut self, function: &str, worker: WorkerId) -> Result<bool, StoreError> {
        let name = self.workers.name(worker);
        let rows = self.store.executions(function, Some(name)).await?;
        let key = (function.to_owned(), worker);
        let prior = self.models.get(&key).and_then(|m| m.state.prior.clone());
        // A prior's statistics are taken over its family: the refit keeps it.
        let choice = match (&prior, self.models.get(&key)) {
            (Some(_), Some(model)) => ModelChoice::Fixed(model.state.family),
            _ => self.config.model,
        };
        let Some(model) = Model::fit(function, name, &rows, &self.config.cleaning, choice, self.burst(worker)) else { return Ok(false) };
        let model = model.with_prior(prior);
        self.models.insert(key.clone(), model);
        self.publish(&key).await;
        Ok(true)
    }

    /// Stores a model and makes it the one the router reads.
    async fn publish(&self, key: &Key) {
        let record = self.models[key].to_record();
        if let Err(e) = self.store.put_model(&record).await {
            tracing::error!(function = %key.0, worker = %record.worker, "storing the model failed: {e}");
        }
        self.cache.install(key.1, &record);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::sqlite::SqliteStore;

    fn row(i: u64) -> Execution {
        let size = (i * 37) % 1000 + 1;
        let spike = if i % 40 == 7 { 500.0 } else { 0.0 };
        crate::store::sample_execution("edge", size, 10.0 + 0.2 * size as f64 + ((i * 11) % 5) as f64 - 2.0 + spike, i as i64)
    }

    /// Feeds the same stream to a learner in `mode` the way the recorder
    /// does (store, then learn) and returns the final model.
    async fn learn_stream(mode: Incremental) -> ModelRecord {
        let dir = tempfile::tempdir().unwrap();
        let store: Arc<dyn Store> = Arc::new(SqliteStore::open(&dir.path().join("h.db")).await.unwrap());
        let workers = WorkerNames::new(vec!["edge".into()]);
        let cache = ModelCache::new(workers.clone());
        let config = LearningConfig { incremental: mode, ..LearningConfig::default() };
        let learner = Learner::start(config, store.clone(), cache.clone(), workers, vec![None], Vec::new());
        let rows: Vec<_> = (0..600).map(row).collect();
        store.append_executions(&rows[..100]).await.unwrap();
        learner.fit("f", vec![WorkerId(0)]).await.unwrap();
        for batch in rows[100..].chunks(25) {
            store.append_executions(batch).await.unwrap();
            learner.offer(batch.to_vec());
        }
        learner.barrier().await;
        let slots = cache.slots("f").unwrap();
        let stored = Model::from_record(store.models().await.unwrap().pop().unwrap()).unwrap().record;
        let cached = slots[0].as_deref().unwrap().clone();
        assert_eq!(cached, stored, "the router's copy is the stored model, as a restart reads it");
        learner.shutdown().await;
        stored
    }

    #[tokio::test]
    async fn both_incremental_modes_learn_the_same_line_through_the_store() {
        let (fast, exact) = (learn_stream(Incremental::SufficientStatistics).await, learn_stream(Incremental::RefitAll).await);
        let (samples, (fast, exact)) = ((fast.samples, exact.samples), (fast.line, exact.line));
        assert!((fast.slope - exact.slope).abs() < 0.002, "{} vs {}", fast.slope, exact.slope);
        assert!((fast.intercept - exact.intercept).abs() < 1.0, "{} vs {}", fast.intercept, exact.intercept);
        assert!((exact.slope - 0.2).abs() < 0.005 && (exact.intercept - 10.0).abs() < 1.5, "{exact:?}");
        assert!(samples.0 >= 570 && samples.1 >= 570, "spikes left out, the rest kept: {samples:?}");
    }

    #[tokio::test]
    async fn with_learning_off_models_change_only_when_fitted() {
        let off = learn_stream(Incremental::Off).await;
        assert_eq!(off.samples, 100 - 3, "the first fit's rows only, less its spikes");
    }
}
