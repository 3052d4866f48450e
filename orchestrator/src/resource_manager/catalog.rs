//! The catalogue of trained functions' feature vectors and their current
//! clustering: what transfer learning searches for a similar function.
//!
//! It sits behind a `std::sync::Mutex` that is held only to read or swap the
//! data (clustering a few dozen vectors is quick and never awaits), and it
//! is never touched by the invoke path.

use std::collections::BTreeMap;
use std::sync::Mutex;

use crate::learning::similarity::{self, Clustering, Decision, SimilarityConfig};
use crate::store::Cluster;

#[derive(Debug, Default)]
pub struct Catalog {
    inner: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    features: BTreeMap<String, Vec<f64>>,
    clustering: Option<Clustering>,
}

impl Catalog {
    /// Adds (or replaces) a trained function's features.
    pub fn insert(&self, function: &str, features: Vec<f64>) {
        self.inner.lock().expect("catalog lock poisoned").features.insert(function.to_owned(), features);
    }

    pub fn remove(&self, function: &str) {
        self.inner.lock().expect("catalog lock poisoned").features.remove(function);
    }

    /// Which known function `features` resembles, by both modes; the
    /// function itself is never its own source.
    pub fn decide(&self, function: &str, features: &[f64], config: &SimilarityConfig) -> Decision {
        let state = self.inner.lock().expect("catalog lock poisoned");
        let mut known = state.features.clone();
        known.remove(function);
        similarity::decide(&known, state.clustering.as_ref(), features, config)
    }

    /// Re-clusters every known function; returns the clusters to store
    /// (empty while there are fewer functions than clusters).
    pub fn recluster(&self, k: usize, seed: u64) -> Vec<Cluster> {
        let mut state = self.inner.lock().expect("catalog lock poisoned");
        state.clustering = similarity::cluster(&state.features, k, seed);
        let Some(c) = &state.clustering else { return Vec::new() };
        c.centroids
            .iter()
            .enumerate()
            .map(|(id, centroid)| Cluster {
                id: id as u32,
                centroid: centroid.clone(),
                members: c.assignment.iter().filter(|(_, a)| **a == id).map(|(f, _)| f.clone()).collect(),
            })
            .collect()
    }

    /// The cluster a known function is in, if clustered.
    pub fn cluster_of(&self, function: &str) -> Option<usize> {
        self.inner.lock().expect("catalog lock poisoned").clustering.as_ref()?.assignment.get(function).copied()
    }
}
