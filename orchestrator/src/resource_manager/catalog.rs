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
//!
//! A function is never a transfer source for the same code: the catalogue
//! keeps a hash of each function's source text and leaves functions with
//! identical text out of the search, so a copy under another name (an
//! experiment's second arm) is compared with other programs, not itself.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Mutex, MutexGuard};

use hetfaas_api::seed::stable_hash;

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
    /// Each function's source-text hash.
    code: BTreeMap<String, u64>,
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
    pub fn insert(&self, function: &str, code: &str, features: Vec<f64>) {
        let mut state = self.state();
        state.code.insert(function.to_owned(), stable_hash(code));
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
        state.code.remove(function);
    }

    /// Functions left out because their vectors have another length.
    pub fn aside(&self) -> Vec<String> {
        self.state().aside.iter().cloned().collect()
    }

    /// Which known function `features` resembles, by both modes; neither
    /// the function itself nor one with the same code is ever its source.
    pub fn decide(&self, function: &str, code: &str, features: &[f64], config: &SimilarityConfig) -> Decision {
        let state = self.state();
        let code = stable_hash(code);
        let mut known = state.features.clone();
        known.retain(|name, _| name != function && state.code.get(name) != Some(&code));
        similarity::decide(&known, state.clustering.as_ref(), features, config)
    }

    /// Whether `source` can be a transfer source for `code`: it is in the
    /// search (comparable vectors) and its code differs.
    pub fn can_source(&self, source: &str, code: &str) -> bool {
        let state = self.state();
        state.features.contains_key(source) && state.code.get(source) != Some(&stable_hash(code))
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
            catalog.insert(&format!("f{i}"), &format!("code {i}"), vec![i as f64, (i * i) as f64, 1.0]);
        }
        catalog.insert("old", "old code", vec![1.0; 5]);
        assert_eq!(catalog.aside(), ["old"]);
        assert_eq!(catalog.recluster(4, 1).len(), 4, "the eight comparable vectors cluster");
        let config = SimilarityConfig { clusters: 4, ..SimilarityConfig::default() };
        let decision = catalog.decide("new", "new code", &[2.0, 4.0, 1.0], &config);
        assert_eq!(decision.distance.nearest.as_deref(), Some("f2"));
        catalog.insert("old", "old code", vec![0.5, 0.5, 1.0]);
        assert!(catalog.aside().is_empty(), "retrained under this worker set, it joins");
    }

    #[test]
    fn a_copy_of_the_same_code_is_never_the_source() {
        let catalog = Catalog::new(2);
        catalog.insert("f", "same", vec![1.0, 1.0]);
        catalog.insert("g", "other", vec![5.0, 5.0]);
        catalog.insert("h", "third", vec![9.0, 9.0]);
        let decision = catalog.decide("f-copy", "same", &[1.0, 1.0], &SimilarityConfig::default());
        assert_eq!(decision.distance.nearest.as_deref(), Some("g"), "f has the same text, g is the nearest other");
        assert!(!catalog.can_source("f", "same") && catalog.can_source("g", "same") && !catalog.can_source("i", "same"));
    }
}
