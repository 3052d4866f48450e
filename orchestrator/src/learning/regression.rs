//! Ordinary least squares `duration_ms = a + b · input_size`
//! (dissertation 3.5.1, 4.3.2), two ways that give the same line:
//!
//! - [`fit`]: over a set of rows with `linfa-linear`, for full training and
//!   the `refit-all` mode;
//! - [`Sums`] + [`ols`]: from sufficient statistics, which absorb one row in
//!   O(1), for the default incremental mode.

use linfa::prelude::{Dataset, SingleTargetRegression};
use linfa::traits::{Fit as _, Predict as _};
use linfa_linear::LinearRegression;
use ndarray::{Array1, Array2};
use serde::{Deserialize, Serialize};

use super::Line;

/// Sufficient statistics of a set of `(x, y)` rows for a straight-line fit.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Sums {
    pub n: f64,
    pub x: f64,
    pub y: f64,
    pub xx: f64,
    pub xy: f64,
    pub yy: f64,
}

impl Sums {
    pub fn of(rows: impl IntoIterator<Item = (f64, f64)>) -> Sums {
        let mut sums = Sums::default();
        for (x, y) in rows {
            sums.add(x, y);
        }
        sums
    }

    /// Adds another set's rows to these.
    pub fn merge(&mut self, other: &Sums) {
        self.n += other.n;
        self.x += other.x;
        self.y += other.y;
        self.xx += other.xx;
        self.xy += other.xy;
        self.yy += other.yy;
    }

    /// These rows without `other`'s, which they include.
    pub fn minus(&self, other: &Sums) -> Sums {
        Sums {
            n: self.n - other.n,
            x: self.x - other.x,
            y: self.y - other.y,
            xx: self.xx - other.xx,
            xy: self.xy - other.xy,
            yy: self.yy - other.yy,
        }
    }

    /// These rows counted `weight` times each, their durations `scale`
    /// times as long: a transfer source's rows as a prior.
    pub fn scaled(&self, weight: f64, scale: f64) -> Sums {
        Sums {
            n: self.n * weight,
            x: self.x * weight,
            y: self.y * weight * scale,
            xx: self.xx * weight,
            xy: self.xy * weight * scale,
            yy: self.yy * weight * scale * scale,
        }
    }

    pub fn add(&mut self, x: f64, y: f64) {
        self.n += 1.0;
        self.x += x;
        self.y += y;
        self.xx += x * x;
        self.xy += x * y;
        self.yy += y * y;
    }
}

/// A fitted line with its quality.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Fit {
    pub line: Line,
    pub r2: f64,
}

/// The least-squares line of the rows summarised by `s`; `None` without
/// rows. With a single input size the slope is 0 and the line is the mean.
pub fn ols(s: &Sums) -> Option<Fit> {
    if s.n < 1.0 {
        return None;
    }
    let sxx = s.xx - s.x * s.x / s.n;
    let sxy = s.xy - s.x * s.y / s.n;
    let syy = s.yy - s.y * s.y / s.n;
    let slope = if sxx > 1e-9 * s.xx.max(1.0) { sxy / sxx } else { 0.0 };
    let intercept = (s.y - slope * s.x) / s.n;
    let r2 = if syy > 0.0 { (slope * sxy / syy).clamp(0.0, 1.0) } else { 1.0 };
    Some(Fit { line: Line::linear(intercept, slope), r2 })
}

/// The standard deviation of rows about lines `(intercept, slope)` (in
/// each line's own regressor), each line's rows summarised by its sums,
/// pooled: from the sums alone, O(1), so every model can show how far its
/// calls scatter. With n − 2 degrees of freedom per line; `None` with
/// fewer than one more row than that.
pub fn residual_sd(lines: &[(Sums, (f64, f64))]) -> Option<f64> {
    let (mut sse, mut freedom) = (0.0, 0.0);
    for (s, (a, b)) in lines {
        sse += (s.yy - 2.0 * a * s.y - 2.0 * b * s.xy + s.n * a * a + 2.0 * a * b * s.x + b * b * s.xx).max(0.0);
        freedom += s.n - 2.0;
    }
    (freedom >= 1.0).then(|| (sse / freedom).sqrt())
}

/// Fits rows `(input_size, duration_ms)` with `linfa-linear`'s OLS. Falls
/// back to [`ols`] where linfa cannot (fewer than two distinct sizes).
pub fn fit(rows: &[(f64, f64)]) -> Option<Fit> {
    let sums = Sums::of(rows.iter().copied());
    let closed = ols(&sums)?;
    let distinct = rows.iter().any(|r| r.0 != rows[0].0);
    if !distinct {
        return Some(closed);
    }
    let x = Array2::from_shape_vec((rows.len(), 1), rows.iter().map(|r| r.0).collect()).expect("one column per row");
    let y = Array1::from_iter(rows.iter().map(|r| r.1));
    let model = LinearRegression::new().fit(&Dataset::new(x.clone(), y.clone())).ok()?;
    let predicted = model.predict(&x);
    let r2 = predicted.r2(&y).map_or(closed.r2, |r2| r2.clamp(0.0, 1.0));
    Some(Fit { line: Line::linear(model.intercept(), model.params()[0]), r2 })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn noisy_line(n: usize) -> Vec<(f64, f64)> {
        // a = 12, b = 0.75, deterministic zero-mean noise of ±2.
        (0..n).map(|i| (i as f64 * 10.0, 12.0 + 0.75 * i as f64 * 10.0 + [2.0, -2.0, 1.0, -1.0][i % 4])).collect()
    }

    #[test]
    fn linfa_recovers_a_known_line() {
        let f = fit(&noisy_line(101)).unwrap();
        assert!((f.line.slope - 0.75).abs() < 0.01, "slope {}", f.line.slope);
        assert!((f.line.intercept - 12.0).abs() < 1.0, "intercept {}", f.line.intercept);
        assert!(f.r2 > 0.99);
    }

    #[test]
    fn sufficient_statistics_give_linfas_line() {
        let rows = noisy_line(257);
        let (a, b) = (fit(&rows).unwrap(), ols(&Sums::of(rows)).unwrap());
        assert!(
            (a.line.slope - b.line.slope).abs() < 1e-9 && (a.line.intercept - b.line.intercept).abs() < 1e-6 && (a.r2 - b.r2).abs() < 1e-9
        );
    }

    #[test]
    fn the_residual_spread_comes_from_the_sums() {
        let rows = noisy_line(400);
        let sums = Sums::of(rows.iter().copied());
        let line = ols(&sums).unwrap().line;
        let direct = rows.iter().map(|&(x, y)| (y - line.intercept - line.slope * x).powi(2)).sum::<f64>() / (rows.len() - 2) as f64;
        let sd = residual_sd(&[(sums, (line.intercept, line.slope))]).unwrap();
        assert!((sd - direct.sqrt()).abs() < 1e-6, "{sd} vs {}", direct.sqrt());
        assert!((sd - 2.5f64.sqrt()).abs() < 0.01, "the noise is ±2 and ±1: mean square 2.5");
        let two = Sums::of([(1.0, 1.0), (2.0, 2.0)]);
        assert_eq!(residual_sd(&[(two, (0.0, 1.0))]), None);
        let pooled = residual_sd(&[(sums, (line.intercept, line.slope)), (two, (0.0, 1.0))]).unwrap();
        assert!((pooled - sd).abs() < 1e-9, "a line through its two rows adds no scatter and no freedom: {pooled} vs {sd}");
    }

    #[test]
    fn one_size_means_a_flat_line() {
        let f = fit(&[(5.0, 10.0), (5.0, 14.0)]).unwrap();
        assert_eq!((f.line.slope, f.line.intercept), (0.0, 12.0));
        assert_eq!(fit(&[]), None);
    }
}
