//! The one percentile rule of the harness, used alike by the report's
//! tables, their confidence intervals and the figures: latencies go into
//! an HDR histogram in microseconds (three significant digits) and a
//! percentile is the histogram's value at that quantile. A figure and a
//! table of the same run therefore never disagree on a p99.

use hdrhistogram::Histogram;
use rand::SeedableRng;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;

/// The distribution of a set of durations given in milliseconds.
pub struct Distribution {
    histogram: Histogram<u64>,
}

impl Distribution {
    pub fn of(values_ms: impl IntoIterator<Item = f64>) -> Distribution {
        let mut histogram = Histogram::<u64>::new_with_bounds(1, 3_600_000_000, 3).expect("valid bounds: 1 µs to an hour");
        for v in values_ms.into_iter().filter(|v| v.is_finite()) {
            histogram.saturating_record(((v * 1000.0).round() as u64).max(1));
        }
        Distribution { histogram }
    }

    /// The `q` quantile in milliseconds (NaN without values).
    pub fn percentile(&self, q: f64) -> f64 {
        if self.histogram.is_empty() { f64::NAN } else { self.histogram.value_at_quantile(q) as f64 / 1000.0 }
    }

    pub fn mean(&self) -> f64 {
        if self.histogram.is_empty() { f64::NAN } else { self.histogram.mean() / 1000.0 }
    }

    pub fn max(&self) -> f64 {
        self.histogram.max() as f64 / 1000.0
    }

    pub fn len(&self) -> u64 {
        self.histogram.len()
    }

    pub fn is_empty(&self) -> bool {
        self.histogram.is_empty()
    }
}

/// The exact median (the middle value, or the mean of the middle two; NaN
/// without values): for the few values of one size or one probe, where a
/// histogram's 0.1% rounding would read as scatter.
pub fn exact_median(values: &[f64]) -> f64 {
    if values.is_empty() {
        return f64::NAN;
    }
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let mid = sorted.len() / 2;
    if sorted.len() % 2 == 1 { sorted[mid] } else { (sorted[mid - 1] + sorted[mid]) / 2.0 }
}

/// The `q` quantile of `values_ms`, in milliseconds.
pub fn percentile(values_ms: impl IntoIterator<Item = f64>, q: f64) -> f64 {
    Distribution::of(values_ms).percentile(q)
}

/// A 95% bootstrap interval of the `q` quantile (1,000 resamples, seeded),
/// by the same rule as the point estimate.
pub fn bootstrap(values_ms: &[f64], q: f64) -> (f64, f64) {
    if values_ms.is_empty() {
        return (f64::NAN, f64::NAN);
    }
    let mut rng = StdRng::seed_from_u64(7);
    let estimates: Vec<f64> =
        (0..1000).map(|_| percentile((0..values_ms.len()).map(|_| *values_ms.choose(&mut rng).expect("not empty")), q)).collect();
    (percentile(estimates.iter().copied(), 0.025), percentile(estimates, 0.975))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_and_their_intervals() {
        let values: Vec<f64> = (1..=100).map(f64::from).collect();
        // Three significant digits: within 0.1% of the exact value.
        let close = |got: f64, want: f64| (got - want).abs() <= want * 1e-3;
        assert!(close(percentile(values.iter().copied(), 0.5), 50.0));
        assert!(close(percentile(values.iter().copied(), 0.99), 99.0));
        assert!(close(Distribution::of(values.iter().copied()).mean(), 50.5));
        let (lo, hi) = bootstrap(&values, 0.5);
        assert!(lo < 50.0 && 50.0 < hi && hi - lo < 30.0, "[{lo}, {hi}]");
        assert!(percentile([], 0.5).is_nan());
    }
}
