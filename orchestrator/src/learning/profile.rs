//! A function's feature vector for clustering and similarity (dissertation
//! 3.5.4, 4.3.5): how long it takes on each worker at a few input sizes, and
//! how much CPU time and memory one call uses where it ran, as measured by
//! the Python bootstrap around the call (not guessed).
//!
//! A duration at a feature size is read from a quadratic fitted (with
//! `linfa-linear`) through all of that worker's minimal-data durations
//! (sizes 1, 100, …, 1000), not from the one call at that size: a single
//! call on a shared machine is noisy, a dozen calls along the curve much
//! less so, and a quadratic follows constant, linear, n log n and quadratic
//! shapes alike. A call far off the first fit is left out of a second, so
//! one slow call does not bend the curve. CPU time per call is read the
//! same way at size 1000, from every worker's calls (CPU time does not
//! depend on where it ran).
//!
//! A platform that measures no profile (Lambda or Knative running an image
//! not built by hetfaas) still gets a vector: its durations, with the CPU
//! and memory features 0, and its basis says so.
//!
//! Every feature is taken as `ln(1 + value)`: durations of different
//! functions span orders of magnitude, and a cost *shape* (constant, linear,
//! quadratic) is a difference of logs, not of milliseconds.

use linfa::Dataset;
use linfa::traits::Fit as _;
use linfa_linear::LinearRegression;
use ndarray::{Array1, Array2};

use hetfaas_api::FeatureBasis;

use super::cleaning::iqr_bounds;
use crate::store::Execution;

/// Input sizes whose durations are features (dissertation 4.3.5).
pub const FEATURE_SIZES: [u64; 6] = [1, 100, 200, 500, 750, 1000];

/// How many features a function run by `workers` workers has: the
/// durations at each feature size on each worker, CPU time and memory.
pub fn dimensions(workers: usize) -> usize {
    workers * FEATURE_SIZES.len() + 2
}

/// The feature vector from a function's successful warm executions, or
/// `None` if some worker has fewer than three distinct sizes to fit.
pub fn features(rows: &[Execution], workers: &[String]) -> Option<(Vec<f64>, FeatureBasis)> {
    let usable: Vec<&Execution> = rows.iter().filter(|r| r.learnable()).collect();
    let mut features = Vec::with_capacity(dimensions(workers.len()));
    for worker in workers {
        let points: Vec<(f64, f64)> = usable.iter().filter(|r| r.worker == *worker).map(|r| (r.input_size as f64, r.duration_ms)).collect();
        let curve = Quadratic::fit(&points)?;
        features.extend(FEATURE_SIZES.iter().map(|&s| curve.at(s as f64).ln_1p()));
    }
    let cpu: Vec<(f64, f64)> = usable.iter().filter_map(|r| Some((r.input_size as f64, r.cpu_ms?))).collect();
    let peak_kb = usable.iter().filter_map(|r| r.maxrss_kb).max();
    if cpu.is_empty() && peak_kb.is_none() {
        features.extend([0.0, 0.0]);
        return Some((features, FeatureBasis::DurationsOnly));
    }
    let largest = FEATURE_SIZES[FEATURE_SIZES.len() - 1] as f64;
    features.push(Quadratic::fit(&cpu)?.at(largest).ln_1p());
    features.push((peak_kb? as f64 / 1024.0).ln_1p());
    Some((features, FeatureBasis::DurationsAndProfile))
}

/// `y = a + b·u + c·u²` with `u = x / 1000`, never read below the smallest
/// observed value (a fitted curve can dip under it near the ends).
struct Quadratic {
    coefficients: [f64; 3],
    floor: f64,
}

/// How far outside the residuals' quartiles, in interquartile ranges, a
/// call must fall to be left out of the curve: Tukey's "far out".
const FAR_OUT: f64 = 3.0;

impl Quadratic {
    /// Least squares, then again without the calls whose residual is far
    /// out: one call per size, so one slow call (a scheduling hiccup on a
    /// busy machine) would otherwise bend the curve where it lies, and with
    /// it the features a similar function is matched by.
    fn fit(points: &[(f64, f64)]) -> Option<Quadratic> {
        let first = Quadratic::least_squares(points)?;
        let residuals: Vec<f64> = points.iter().map(|&(x, y)| y - first.raw(x)).collect();
        let bounds = iqr_bounds(&residuals, &vec![true; points.len()], FAR_OUT);
        let kept: Vec<(f64, f64)> = points.iter().zip(&residuals).filter(|(_, r)| bounds.contains(**r)).map(|(p, _)| *p).collect();
        Some(Quadratic::least_squares(&kept).unwrap_or(first))
    }

    fn least_squares(points: &[(f64, f64)]) -> Option<Quadratic> {
        let mut sizes: Vec<u64> = points.iter().map(|p| p.0 as u64).collect();
        sizes.sort_unstable();
        sizes.dedup();
        if sizes.len() < 3 {
            return None;
        }
        let x = Array2::from_shape_fn((points.len(), 2), |(i, j)| (points[i].0 / 1000.0).powi(j as i32 + 1));
        let y = Array1::from_iter(points.iter().map(|p| p.1));
        let model = LinearRegression::new().fit(&Dataset::new(x, y)).ok()?;
        let floor = points.iter().map(|p| p.1).fold(f64::INFINITY, f64::min).max(0.0);
        Some(Quadratic { coefficients: [model.intercept(), model.params()[0], model.params()[1]], floor })
    }

    fn at(&self, x: f64) -> f64 {
        self.raw(x).max(self.floor)
    }

    fn raw(&self, x: f64) -> f64 {
        let u = x / 1000.0;
        let [a, b, c] = self.coefficients;
        a + b * u + c * u * u
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(worker: &str, size: u64, duration_ms: f64) -> Execution {
        Execution {
            training: true,
            cpu_ms: Some(size as f64 / 10.0),
            maxrss_kb: Some(10_240),
            ..crate::store::sample_execution(worker, size, duration_ms, 0)
        }
    }

    #[test]
    fn features_read_each_workers_curve_at_the_feature_sizes() {
        let workers = vec!["edge".to_string(), "cloud".to_string()];
        let sizes = [1u64, 100, 200, 300, 500, 750, 1000];
        // edge: 2 + 0.01·x, with one noisy call; cloud: 20 + x²/10⁴.
        let mut rows: Vec<_> = sizes.iter().map(|&s| row("edge", s, 2.0 + 0.01 * s as f64)).collect();
        rows.extend(sizes.iter().map(|&s| row("cloud", s, 20.0 + (s * s) as f64 / 1e4)));
        rows[3].duration_ms += 0.5;
        let (f, basis) = features(&rows, &workers).unwrap();
        assert_eq!(basis, FeatureBasis::DurationsAndProfile);
        assert_eq!(f.len(), dimensions(2), "six durations per worker, CPU time, memory");
        let close = |got: f64, want: f64| (got.exp_m1() - want).abs() / want < 0.05;
        assert!(close(f[5], 12.0), "edge at 1000: {}", f[5].exp_m1());
        assert!(close(f[6 + 4], 20.0 + 56.25), "cloud at 750: {}", f[10].exp_m1());
        assert!(close(f[12], 100.0), "CPU time at size 1000");
        assert_eq!(f[13], 10.0f64.ln_1p(), "peak memory in MB");
        rows.retain(|r| r.worker != "cloud" || r.input_size < 200);
        assert_eq!(features(&rows, &workers), None, "two sizes are too few to fit a curve");
    }

    #[test]
    fn one_slow_call_does_not_bend_the_curve() {
        let workers = vec!["edge".to_string()];
        // 10 ms + 0.03 ms per item, one call per size as in minimal data,
        // a few tenths of a ms of jitter, and one call 15 ms slow.
        let jitter = [0.2, -0.1, 0.3, -0.3, 0.1, 0.0, -0.2];
        let rows: Vec<_> =
            (0..21u64).map(|i| i * 50).map(|s| row("edge", s.max(1), 10.0 + 0.03 * s as f64 + jitter[s as usize % 7])).collect();
        for slow in [4, 10, 20] {
            let mut rows = rows.clone();
            rows[slow].duration_ms += 15.0;
            let (f, _) = features(&rows, &workers).unwrap();
            for (feature, size) in f.iter().zip(FEATURE_SIZES) {
                let want = 10.0 + 0.03 * size as f64;
                let size_slow = rows[slow].input_size;
                assert!((feature.exp_m1() - want).abs() < 0.5, "slow at {size_slow}, at size {size}: {} against {want}", feature.exp_m1());
            }
        }
    }

    #[test]
    fn a_platform_without_profiles_still_gives_a_vector_of_durations() {
        let workers = vec!["cloud".to_string()];
        let rows: Vec<_> = [1u64, 100, 500, 1000]
            .iter()
            .map(|&s| Execution { cpu_ms: None, maxrss_kb: None, ..row("cloud", s, 5.0 + 0.02 * s as f64) })
            .collect();
        let (f, basis) = features(&rows, &workers).expect("durations are enough");
        assert_eq!(basis, FeatureBasis::DurationsOnly);
        assert_eq!(f.len(), dimensions(1), "comparable with every other vector of this worker set");
        assert!((f[5].exp_m1() - 25.0).abs() < 1.0, "cloud at 1000: {}", f[5].exp_m1());
        assert_eq!(&f[6..], &[0.0, 0.0], "CPU time and memory were not measured");
    }
}
