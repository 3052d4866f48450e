//! Which curve a function's durations follow in its input size: constant,
//! √n, n (the dissertation's line), n log n or n². Each is a straight line
//! in a transformed size, so each keeps the same sufficient statistics and
//! O(1) update; only the regressor differs.
//!
//! The family is chosen by held-out error on the model's own rows: k-fold
//! cross-validation (rows dealt to folds in turn, so every fold spans the
//! sizes), each fold cleaned and fitted on the others, scored by the mean
//! absolute percentage error of its predictions. The dissertation's line is
//! the default hypothesis: another family replaces it only when its held-out
//! error is at least 10% lower, and then the lowest wins. Held-out rows lie
//! inside the trained sizes, so they cannot show how a curve extrapolates;
//! on noisy rows (a far cloud, where the network dominates) a curve that
//! wins by a hair is fitting noise and predicts unseen sizes worse (seen in
//! the quick scenario: cloud error beyond the trained sizes doubled when
//! any 2% win counted). With too few rows to hold any out, the line is
//! kept. `learning.model` fixes one family instead.

use hetfaas_api::Family;
use serde::{Deserialize, Serialize};

use super::cleaning::Cleaning;
use super::regression::{Sums, ols};

const FOLDS: usize = 5;
/// Fewest rows per fold that make a held-out score worth reading.
const MIN_PER_FOLD: usize = 2;
/// How much lower than the line's a family's held-out error must be.
const MARGIN: f64 = 0.9;

/// `learning.model`: `"auto"` (chosen per model by held-out error) or one
/// family for every model.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ModelChoice {
    #[default]
    Auto,
    #[serde(untagged)]
    Fixed(Family),
}

/// The chosen family and its held-out MAPE (%), if it could be measured.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Chosen {
    pub family: Family,
    pub validation_mape: Option<f64>,
}

/// Chooses for `rows` of `(input_size, duration_ms)`.
pub fn choose(rows: &[(f64, f64)], cleaning: &Cleaning, choice: ModelChoice) -> Chosen {
    let score = |family| Chosen { family, validation_mape: held_out_mape(rows, family, cleaning) };
    match choice {
        ModelChoice::Fixed(family) => score(family),
        ModelChoice::Auto => {
            let scored: Vec<Chosen> = Family::ALL.into_iter().map(score).collect();
            let line = *scored.iter().find(|c| c.family == Family::Linear).expect("the line is a family");
            let bar = line.validation_mape.unwrap_or(f64::INFINITY) * MARGIN;
            let measured = scored.into_iter().filter_map(|c| Some((c, c.validation_mape?)));
            measured.filter(|&(_, e)| e <= bar).min_by(|a, b| a.1.total_cmp(&b.1)).map_or(line, |(c, _)| c)
        }
    }
}

/// The mean absolute percentage error of `family` on each fold when fitted
/// (after cleaning) on the others; `None` with too few rows.
fn held_out_mape(rows: &[(f64, f64)], family: Family, cleaning: &Cleaning) -> Option<f64> {
    if rows.len() < FOLDS * MIN_PER_FOLD {
        return None;
    }
    let points: Vec<(f64, f64)> = rows.iter().map(|&(n, y)| (family.x(n), y)).collect();
    let (mut error, mut scored) = (0.0, 0usize);
    for fold in 0..FOLDS {
        let train: Vec<(f64, f64)> = points.iter().enumerate().filter(|(i, _)| i % FOLDS != fold).map(|(_, p)| *p).collect();
        let (keep, _) = cleaning.apply(&train);
        let fit = ols(&Sums::of(train.iter().zip(&keep).filter(|(_, k)| **k).map(|(p, _)| *p)))?;
        for &(x, y) in points.iter().skip(fold).step_by(FOLDS).filter(|p| p.1 > 0.0) {
            error += ((fit.line.intercept + fit.line.slope * x).max(0.0) - y).abs() / y;
            scored += 1;
        }
    }
    (scored > 0).then(|| 100.0 * error / scored as f64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::learning::cleaning::Method;

    /// `curve` at sizes 1..1000, with ±3% deterministic noise.
    fn rows(curve: impl Fn(f64) -> f64) -> Vec<(f64, f64)> {
        (0..120).map(|i| (1.0 + i as f64 * 8.3, ((i * 7) % 13) as f64 / 200.0 - 0.03)).map(|(n, e)| (n, curve(n) * (1.0 + e))).collect()
    }

    #[test]
    fn each_family_recovers_its_own_curve() {
        let cleaning = Cleaning { method: Method::None, ..Cleaning::default() };
        type Curve = fn(f64) -> f64;
        let curves: [(Family, Curve); 5] = [
            (Family::Constant, |_| 40.0),
            (Family::Sqrt, |n| 2.0 + 3.0 * n.sqrt()),
            (Family::Linear, |n| 5.0 + 0.2 * n),
            (Family::NLogN, |n| 1.0 + 0.05 * n * n.ln()),
            (Family::Quadratic, |n| 3.0 + 0.0004 * n * n),
        ];
        for (family, curve) in curves {
            let rows = rows(curve);
            let error = |f| choose(&rows, &cleaning, ModelChoice::Fixed(f)).validation_mape.unwrap();
            assert!(error(family) < 3.0, "{family:?} fits its own curve: {}", error(family));
            // A line with no slope is a constant: the one pair that may tie.
            for other in Family::ALL.into_iter().filter(|&o| o != family && (family, o) != (Family::Constant, Family::Linear)) {
                assert!(error(other) > error(family), "{other:?} fits {family:?}'s curve better");
            }
            let chosen = choose(&rows, &cleaning, ModelChoice::Auto).family;
            match family {
                Family::Constant => assert_eq!(chosen, Family::Linear, "a flat line is kept: the line is the default"),
                _ => assert_eq!(chosen, family),
            }
        }
    }

    #[test]
    fn a_fixed_family_is_kept_and_too_few_rows_keep_the_line() {
        let cleaning = Cleaning::default();
        let quadratic = rows(|n| 3.0 + 0.0004 * n * n);
        let fixed = choose(&quadratic, &cleaning, ModelChoice::Fixed(Family::Linear));
        assert_eq!(fixed.family, Family::Linear);
        assert!(fixed.validation_mape.unwrap() > choose(&quadratic, &cleaning, ModelChoice::Auto).validation_mape.unwrap());
        assert_eq!(choose(&quadratic[..6], &cleaning, ModelChoice::Auto), Chosen { family: Family::Linear, validation_mape: None });
        assert_eq!(choose(&quadratic[..6], &cleaning, ModelChoice::Fixed(Family::Sqrt)).family, Family::Sqrt);
    }

    #[test]
    fn the_choice_reads_as_auto_or_a_family_name() {
        #[derive(Deserialize)]
        struct Config {
            model: ModelChoice,
        }
        let read = |text: &str| toml::from_str::<Config>(text).map(|c| c.model);
        assert_eq!(read("model = \"auto\"").unwrap(), ModelChoice::Auto);
        assert_eq!(read("model = \"linear\"").unwrap(), ModelChoice::Fixed(Family::Linear));
        assert_eq!(read("model = \"n-log-n\"").unwrap(), ModelChoice::Fixed(Family::NLogN));
        assert!(read("model = \"cubic\"").is_err());
    }
}
