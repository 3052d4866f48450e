//! Removing outliers from training rows before a fit (dissertation 4.3.2).
//!
//! Cold starts and network spikes put a few durations far above the rest.
//! `zscore` drops values more than `zscore_threshold` standard deviations
//! from the mean; `iqr` drops values outside `[Q1 - k·IQR, Q3 + k·IQR]`;
//! `both` applies the two in turn.
//!
//! The dissertation judged outliers on the durations themselves (`basis =
//! "duration"`). The default judges them on the residuals of a first fit
//! (`basis = "residual"`): a long duration at a large input size is then
//! not an outlier merely for being long, which matters once a function's
//! history holds many more large than small inputs.

use serde::{Deserialize, Serialize};

use super::regression::{Sums, ols};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Method {
    None,
    Zscore,
    Iqr,
    Both,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Basis {
    Residual,
    Duration,
}

/// How training rows are cleaned; part of the `[learning]` configuration.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Cleaning {
    #[serde(default = "default_method")]
    pub method: Method,
    #[serde(default = "default_basis")]
    pub basis: Basis,
    #[serde(default = "default_zscore")]
    pub zscore_threshold: f64,
    #[serde(default = "default_iqr_k")]
    pub iqr_k: f64,
}

fn default_method() -> Method {
    Method::Iqr
}
fn default_basis() -> Basis {
    Basis::Residual
}
fn default_zscore() -> f64 {
    3.0
}
fn default_iqr_k() -> f64 {
    1.0
}

impl Default for Cleaning {
    fn default() -> Self {
        Cleaning { method: default_method(), basis: default_basis(), zscore_threshold: default_zscore(), iqr_k: default_iqr_k() }
    }
}

/// Values inside `[lo, hi]` are kept. For the residual basis the bounds are
/// on residuals of the fitted line; for the duration basis, on durations.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Bounds {
    pub lo: f64,
    pub hi: f64,
}

impl Bounds {
    /// Bounds that keep every row.
    pub const ALL: Bounds = Bounds { lo: f64::NEG_INFINITY, hi: f64::INFINITY };

    pub fn contains(&self, value: f64) -> bool {
        (self.lo..=self.hi).contains(&value)
    }
}

impl Cleaning {
    /// A short label stored with each model, e.g. `iqr(k=1)/residual`.
    pub fn label(&self) -> String {
        let basis = match self.basis {
            Basis::Residual => "residual",
            Basis::Duration => "duration",
        };
        let method = match self.method {
            Method::None => return "none".into(),
            Method::Zscore => format!("zscore({})", self.zscore_threshold),
            Method::Iqr => format!("iqr(k={})", self.iqr_k),
            Method::Both => format!("zscore({})+iqr(k={})", self.zscore_threshold, self.iqr_k),
        };
        format!("{method}/{basis}")
    }

    /// The value a row is judged on.
    pub fn value(&self, line: (f64, f64), x: f64, y: f64) -> f64 {
        match self.basis {
            Basis::Residual => y - (line.0 + line.1 * x),
            Basis::Duration => y,
        }
    }

    /// Which rows `(input_size, duration_ms)` survive, and the bounds that
    /// decided it (reused to screen rows learned incrementally). On the
    /// residual basis a second pass judges residuals from the line of the
    /// rows the first pass kept, so the bounds are centred on the line the
    /// model ends up with rather than on one the outliers pulled away.
    pub fn apply(&self, rows: &[(f64, f64)]) -> (Vec<bool>, Bounds) {
        let first = self.screen(rows, &vec![true; rows.len()]);
        match self.basis {
            Basis::Duration => first,
            Basis::Residual => self.screen(rows, &first.0),
        }
    }

    /// Bounds computed from the rows marked in `reference`, applied to all.
    fn screen(&self, rows: &[(f64, f64)], reference: &[bool]) -> (Vec<bool>, Bounds) {
        let line = match self.basis {
            Basis::Residual => {
                let kept = rows.iter().zip(reference).filter(|(_, k)| **k).map(|(r, _)| *r);
                ols(&Sums::of(kept)).map_or((0.0, 0.0), |f| (f.line.intercept, f.line.slope))
            }
            Basis::Duration => (0.0, 0.0),
        };
        let values: Vec<f64> = rows.iter().map(|&(x, y)| self.value(line, x, y)).collect();
        let mut keep = reference.to_vec();
        let mut bounds = Bounds::ALL;
        if matches!(self.method, Method::Zscore | Method::Both) {
            bounds = intersect(bounds, zscore_bounds(&values, &keep, self.zscore_threshold));
            mark(&values, &mut keep, bounds);
        }
        if matches!(self.method, Method::Iqr | Method::Both) {
            bounds = intersect(bounds, iqr_bounds(&values, &keep, self.iqr_k));
        }
        (values.iter().map(|v| bounds.contains(*v)).collect(), bounds)
    }
}

fn intersect(a: Bounds, b: Bounds) -> Bounds {
    Bounds { lo: a.lo.max(b.lo), hi: a.hi.min(b.hi) }
}

fn mark(values: &[f64], keep: &mut [bool], bounds: Bounds) {
    for (k, v) in keep.iter_mut().zip(values) {
        *k &= bounds.contains(*v);
    }
}

fn kept(values: &[f64], keep: &[bool]) -> Vec<f64> {
    values.iter().zip(keep).filter(|(_, k)| **k).map(|(v, _)| *v).collect()
}

fn zscore_bounds(values: &[f64], keep: &[bool], threshold: f64) -> Bounds {
    let v = kept(values, keep);
    if v.len() < 2 {
        return Bounds::ALL;
    }
    let mean = v.iter().sum::<f64>() / v.len() as f64;
    let sd = (v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / v.len() as f64).sqrt();
    Bounds { lo: mean - threshold * sd, hi: mean + threshold * sd }
}

pub(super) fn iqr_bounds(values: &[f64], keep: &[bool], k: f64) -> Bounds {
    let mut v = kept(values, keep);
    if v.len() < 4 {
        return Bounds::ALL;
    }
    v.sort_by(f64::total_cmp);
    let (q1, q3) = (quantile(&v, 0.25), quantile(&v, 0.75));
    Bounds { lo: q1 - k * (q3 - q1), hi: q3 + k * (q3 - q1) }
}

/// Linear interpolation between closest ranks (numpy's default).
fn quantile(sorted: &[f64], q: f64) -> f64 {
    let pos = q * (sorted.len() - 1) as f64;
    let (lo, hi) = (pos.floor() as usize, pos.ceil() as usize);
    sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// y = 5 + 0.5x with small deterministic noise, and three planted spikes.
    fn rows_with_outliers() -> (Vec<(f64, f64)>, Vec<usize>) {
        let mut rows: Vec<(f64, f64)> =
            (0..200).map(|i| (i as f64 * 5.0, 5.0 + 0.5 * i as f64 * 5.0 + ((i * 7) % 5) as f64 * 0.4 - 0.8)).collect();
        let planted = vec![17, 90, 151];
        for &i in &planted {
            rows[i].1 += 400.0;
        }
        (rows, planted)
    }

    fn dropped(keep: &[bool]) -> Vec<usize> {
        keep.iter().enumerate().filter(|(_, k)| !**k).map(|(i, _)| i).collect()
    }

    #[test]
    fn iqr_on_residuals_removes_exactly_the_planted_spikes() {
        let (rows, planted) = rows_with_outliers();
        let (keep, _) = Cleaning::default().apply(&rows);
        assert_eq!(dropped(&keep), planted);
    }

    #[test]
    fn zscore_removes_the_spikes_and_keeps_the_rest() {
        let (rows, planted) = rows_with_outliers();
        let cleaning = Cleaning { method: Method::Zscore, ..Cleaning::default() };
        let (keep, _) = cleaning.apply(&rows);
        assert_eq!(dropped(&keep), planted);
        let both = Cleaning { method: Method::Both, ..Cleaning::default() };
        assert_eq!(dropped(&both.apply(&rows).0), planted);
    }

    /// Why residuals are the default basis: judged on durations alone, a
    /// spike at a small input size still looks like an ordinary duration of
    /// a large one, and only the spike above every normal duration goes.
    #[test]
    fn on_durations_iqr_misses_spikes_hidden_inside_the_trend() {
        let (rows, planted) = rows_with_outliers();
        let paper = Cleaning { basis: Basis::Duration, ..Cleaning::default() };
        assert_eq!(dropped(&paper.apply(&rows).0), vec![planted[2]]);
    }

    #[test]
    fn none_keeps_everything() {
        let (rows, _) = rows_with_outliers();
        let none = Cleaning { method: Method::None, ..Cleaning::default() };
        assert!(none.apply(&rows).0.iter().all(|k| *k));
    }
}
