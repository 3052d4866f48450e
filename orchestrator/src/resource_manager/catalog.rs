//! The catalogue of trained functions' feature vectors and their current
//! clustering: what transfer learning searches for a similar function.
//!
//! Vectors are comparable only within one worker set (a vector holds each
//! worker's durations), so the catalogue knows the length this
//! configuration's vectors have and sets any other aside (a function
//! trained under another worker list, restored from the store), saying so,
//! rather than feed K-means rows of different lengths. It sits behind a
//! `std::sync::Mutex` held only to read or swap the data (clustering a few
//! dozen vectors is quick and never awaits); nothing inside can panic.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Mutex, MutexGuard};

use crate::learning::similarity::{self, Clustering, Decision, SimilarityConfig};
use crate::store::Cluster;

#[derive(Debug)]
pub struct Catalog {
    /// The length of this configuration's feature vectors.
    dims: usize,
    inner: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    features: BTreeMap<String, Vec<f64>>,
    /// Functions whose vectors have another length, kept out of the search.
    aside: BTreeSet<String>,
    clustering: Option<Clustering>,
}

impl Catalog {
    pub fn new(dims: usize) -> Catalog {
        Catalog { dims, inner: Mutex::default() }
    }

    fn state(&self) -> MutexGuard<'_, State> {
        // Nothing panics while holding it; a poisoned lock still holds
        // consistent data (every update is a single insert or swap).
        self.inner.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Adds (or replaces) a trained function's features; a vector of
    /// another length is set aside, with a warning.
    pub fn insert(&self, function: &str, features: Vec<f64>) {
        let mut state = self.state();
        if features.len() != self.dims {
            tracing::warn!(
                function,
                "its features have {} values, this worker set's have {}: trained under another worker list, \
                 it is left out of similarity and clustering until retrained",
                features.len(),
                self.dims
            );
            state.aside.insert(function.to_owned());
            return;
        }
        state.aside.remove(function);
        state.features.insert(function.to_owned(), features);
    }

    pub fn remove(&self, function: &str) {
        let mut state = self.state();
        state.features.remove(function);
        state.aside.remove(function);
    }

    /// Functions left out because their vectors have another length.
    pub fn aside(&self) -> Vec<String> {
        self.state().aside.iter().cloned().collect()
    }

    /// Which known function `features` resembles, by both modes; the
    /// function itself is never its own source.
    pub fn decide(&self, function: &str, features: &[f64], config: &SimilarityConfig) -> Decision {
        let state = self.state();
        let mut known = state.features.clone();
        known.remove(function);
        similarity::decide(&known, state.clustering.as_ref(), features, config)
    }

    /// Re-clusters every known function; returns the clusters to store
    /// (empty while there are fewer functions than clusters).
    pub fn recluster(&self, k: usize, seed: u64) -> Vec<Cluster> {
        let mut state = self.state();
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
        self.state().clustering.as_ref()?.assignment.get(function).copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vectors_of_another_worker_set_are_set_aside_and_clustering_still_works() {
        let catalog = Catalog::new(3);
        for i in 0..8 {
            catalog.insert(&format!("f{i}"), vec![i as f64, (i * i) as f64, 1.0]);
        }
        catalog.insert("old", vec![1.0; 5]);
        assert_eq!(catalog.aside(), ["old"]);
        assert_eq!(catalog.recluster(4, 1).len(), 4, "the eight comparable vectors cluster");
        let decision = catalog.decide("new", &[2.0, 4.0, 1.0], &SimilarityConfig { clusters: 4, ..SimilarityConfig::default() });
        assert_eq!(decision.distance.nearest.as_deref(), Some("f2"));
        catalog.insert("old", vec![0.5, 0.5, 1.0]);
        assert!(catalog.aside().is_empty(), "retrained under this worker set, it joins");
    }
}
