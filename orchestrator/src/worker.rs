//! Workers by position. Inside the orchestrator a worker is a [`WorkerId`]
//! (its position in the configuration): the registry, the router, the model
//! cache, the learner and the metrics index by it, and copying one costs
//! nothing. Names appear only at the edges (configuration, stored rows,
//! headers, reports), through [`WorkerNames`].

use std::sync::Arc;

/// A configured worker's position.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct WorkerId(pub u16);

impl WorkerId {
    pub fn index(self) -> usize {
        usize::from(self.0)
    }
}

/// The configured workers' names, in configuration order. Cloning is a
/// reference-count bump.
#[derive(Debug, Clone, PartialEq)]
pub struct WorkerNames(Arc<[String]>);

impl WorkerNames {
    pub fn new(names: Vec<String>) -> WorkerNames {
        assert!(names.len() <= usize::from(u16::MAX), "more workers than a WorkerId can number");
        WorkerNames(names.into())
    }

    pub fn name(&self, id: WorkerId) -> &str {
        &self.0[id.index()]
    }

    /// The worker of that name in this configuration, if any (rows and
    /// models stored under an earlier configuration may name others).
    pub fn id(&self, name: &str) -> Option<WorkerId> {
        self.0.iter().position(|n| n == name).map(|i| WorkerId(i as u16))
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn ids(&self) -> impl Iterator<Item = WorkerId> + use<> {
        (0..self.0.len() as u16).map(WorkerId)
    }
}
