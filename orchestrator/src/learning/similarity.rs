//! Which known function a new one resembles (dissertation 3.5.4, 4.3.5).
//!
//! Features are standardised over the functions known so far. K-means
//! (`linfa-clustering`, seeded, so the same seed gives the same clusters)
//! groups them into `clusters` groups once there are at least that many.
//! Two ways to decide that a new function matches, both computed and
//! recorded for every decision, one of them acted on:
//!
//! - `paper`: the new function's cluster is the nearest centroid, and it
//!   matches when |Σ features − Σ centroid| < 30 (4.3.5); the source is the
//!   nearest trained member of that cluster. Needs the clustering.
//! - `distance` (default): the nearest trained function matches when the
//!   root-mean-square distance between their standardised features is under
//!   `distance_threshold`. Works from two known functions on.

use std::collections::BTreeMap;

use linfa::DatasetBase;
use linfa::traits::{Fit as _, Predict as _};
use linfa_clustering::KMeans;
use ndarray::{Array1, Array2};
use rand_xoshiro::Xoshiro256Plus;
use rand_xoshiro::rand_core::SeedableRng;
use serde::{Deserialize, Serialize};

pub use hetfaas_api::learning::SimilarityMode as Mode;
pub use hetfaas_api::{Decision, DistanceVerdict, PaperVerdict};

/// The `[learning.similarity]` section.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SimilarityConfig {
    #[serde(default = "default_mode")]
    pub mode: Mode,
    /// K-means' k (the dissertation found 8 best).
    #[serde(default = "default_clusters")]
    pub clusters: usize,
    #[serde(default = "default_paper_threshold")]
    pub paper_threshold: f64,
    #[serde(default = "default_distance_threshold")]
    pub distance_threshold: f64,
}

fn default_mode() -> Mode {
    Mode::Distance
}
fn default_clusters() -> usize {
    8
}
fn default_paper_threshold() -> f64 {
    30.0
}
fn default_distance_threshold() -> f64 {
    0.6
}

impl Default for SimilarityConfig {
    fn default() -> Self {
        SimilarityConfig {
            mode: default_mode(),
            clusters: default_clusters(),
            paper_threshold: default_paper_threshold(),
            distance_threshold: default_distance_threshold(),
        }
    }
}

const SD_FLOOR: f64 = 0.25;

/// Per-feature mean and spread of the known functions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Space {
    mean: Vec<f64>,
    sd: Vec<f64>,
}

impl Space {
    fn fit(features: &[&Vec<f64>]) -> Space {
        let n = features.len() as f64;
        let dims = features[0].len();
        let mean: Vec<f64> = (0..dims).map(|d| features.iter().map(|f| f[d]).sum::<f64>() / n).collect();
        // A feature on which every known function agrees (the cloud's
        // round trip dominates its small-input durations) must not turn a
        // small difference into a large one: its spread is floored at 0.25,
        // about a 28% difference in the underlying value.
        let sd = (0..dims).map(|d| (features.iter().map(|f| (f[d] - mean[d]).powi(2)).sum::<f64>() / n).sqrt().max(SD_FLOOR)).collect();
        Space { mean, sd }
    }

    pub fn standardise(&self, f: &[f64]) -> Vec<f64> {
        f.iter().zip(&self.mean).zip(&self.sd).map(|((x, m), s)| (x - m) / s).collect()
    }
}

fn rms_distance(a: &[f64], b: &[f64]) -> f64 {
    (a.iter().zip(b).map(|(x, y)| (x - y).powi(2)).sum::<f64>() / a.len() as f64).sqrt()
}

/// A K-means clustering of the known functions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Clustering {
    pub space: Space,
    /// Centroids in standardised space.
    pub centroids: Vec<Vec<f64>>,
    pub assignment: BTreeMap<String, usize>,
}

/// Clusters `features` into `k` groups, or `None` with fewer than `k`.
pub fn cluster(features: &BTreeMap<String, Vec<f64>>, k: usize, seed: u64) -> Option<Clustering> {
    if features.len() < k.max(1) {
        return None;
    }
    let space = Space::fit(&features.values().collect::<Vec<_>>());
    let dims = space.mean.len();
    let rows: Vec<f64> = features.values().flat_map(|f| space.standardise(f)).collect();
    let records = Array2::from_shape_vec((features.len(), dims), rows).expect("every vector has every feature");
    let model = KMeans::params_with_rng(k, Xoshiro256Plus::seed_from_u64(seed)).n_runs(4).fit(&DatasetBase::from(records.clone())).ok()?;
    let labels: Array1<usize> = model.predict(&records);
    let centroids = model.centroids().outer_iter().map(|c| c.to_vec()).collect();
    let assignment = features.keys().cloned().zip(labels.iter().copied()).collect();
    Some(Clustering { space, centroids, assignment })
}

/// Decides whether `new` resembles one of the `known` functions.
pub fn decide(known: &BTreeMap<String, Vec<f64>>, clustering: Option<&Clustering>, new: &[f64], config: &SimilarityConfig) -> Decision {
    let distance = by_distance(known, new, config.distance_threshold);
    let paper = by_paper(known, clustering, new, config.paper_threshold);
    let source = match config.mode {
        Mode::Paper => paper.source.clone(),
        Mode::Distance => distance.matched.then(|| distance.nearest.clone()).flatten(),
    };
    Decision { mode: config.mode, source, paper, distance }
}

fn nearest<'a>(space: &Space, candidates: impl Iterator<Item = (&'a String, &'a Vec<f64>)>, new: &[f64]) -> Option<(String, f64)> {
    let z = space.standardise(new);
    candidates.map(|(name, f)| (name.clone(), rms_distance(&space.standardise(f), &z))).min_by(|a, b| a.1.total_cmp(&b.1))
}

fn by_distance(known: &BTreeMap<String, Vec<f64>>, new: &[f64], threshold: f64) -> DistanceVerdict {
    let found = (known.len() >= 2).then(|| nearest(&Space::fit(&known.values().collect::<Vec<_>>()), known.iter(), new)).flatten();
    DistanceVerdict {
        matched: found.as_ref().is_some_and(|(_, d)| *d < threshold),
        nearest: found.as_ref().map(|(n, _)| n.clone()),
        distance: found.map(|(_, d)| d),
        threshold,
    }
}

fn by_paper(known: &BTreeMap<String, Vec<f64>>, clustering: Option<&Clustering>, new: &[f64], threshold: f64) -> PaperVerdict {
    let mut verdict = PaperVerdict { cluster: None, difference: None, threshold, source: None };
    let Some(c) = clustering else { return verdict };
    let z = c.space.standardise(new);
    let Some((cluster, centroid)) = c.centroids.iter().enumerate().min_by(|a, b| rms_distance(a.1, &z).total_cmp(&rms_distance(b.1, &z)))
    else {
        return verdict;
    };
    let difference = (z.iter().sum::<f64>() - centroid.iter().sum::<f64>()).abs();
    verdict.cluster = Some(cluster);
    verdict.difference = Some(difference);
    if difference < threshold {
        let members = known.iter().filter(|(name, _)| c.assignment.get(*name) == Some(&cluster));
        verdict.source = nearest(&c.space, members, new).map(|(name, _)| name);
    }
    verdict
}

#[cfg(test)]
mod tests {
    use super::*;

    fn known() -> BTreeMap<String, Vec<f64>> {
        (0..10).map(|i| (format!("f{i}"), vec![i as f64, (i * i) as f64 / 10.0, 3.0 - i as f64])).collect()
    }

    #[test]
    fn the_same_seed_gives_the_same_clusters() {
        let a = cluster(&known(), 4, 42).unwrap();
        assert_eq!(a, cluster(&known(), 4, 42).unwrap());
        assert_eq!(a.centroids.len(), 4);
        assert!(cluster(&known(), 11, 42).is_none(), "needs at least k functions");
    }

    #[test]
    fn a_near_copy_matches_and_a_stranger_does_not() {
        let known = known();
        let clustering = cluster(&known, 4, 1).unwrap();
        let config = SimilarityConfig { clusters: 4, ..SimilarityConfig::default() };
        let twin = decide(&known, Some(&clustering), &[4.02, 1.61, -1.01], &config);
        assert_eq!(twin.source.as_deref(), Some("f4"));
        assert_eq!(twin.paper.source.as_deref(), Some("f4"));
        let stranger = decide(&known, Some(&clustering), &[40.0, -9.0, 30.0], &config);
        assert_eq!(stranger.source, None);
        assert!(!stranger.distance.matched);
    }
}
