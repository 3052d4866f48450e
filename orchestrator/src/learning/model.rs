//! One function × worker duration model and how it learns.
//!
//! A model is fitted in full from a set of rows (cleaned, then OLS with
//! linfa), and then absorbs new rows one at a time in O(1): a row whose
//! residual (or duration, on the paper's basis) falls inside the bounds of
//! the last cleaning joins the sufficient statistics and the line is solved
//! again in closed form. Rows outside are counted and left out. Because the
//! bounds age as the history grows, the model asks to be re-cleaned (a full
//! fit over its history) each time its history has doubled since the last
//! one: a geometric schedule keeps the amortised cost per row constant.
//!
//! A model trained by transfer carries its source's statistics as a
//! [`Prior`] in its state: every re-cleaning and every `refit-all` fit adds
//! it back to the function's own cleaned rows, so learning never throws the
//! transfer away. The prior is worth a fixed number of rows
//! (`learning.transfer_prior_rows`, 50 by default), so its share of the
//! model decays as `P / (P + n)` while `n` own rows accumulate: equal to the
//! function's own evidence after `P` rows, a tenth after `9P`.

use hetfaas_api::{Family, HeldBack, Line, ModelSummary, PriorSummary};
use serde::{Deserialize, Serialize};

use super::cleaning::{Bounds, Cleaning};
use super::family::{self, Chosen, ModelChoice};
use super::quota::{self, Point};
use super::regression::{Sums, fit, ols, residual_sd};
use crate::store::{Execution, ModelRecord};

/// Rows a model absorbs before its first re-cleaning, however small it is.
const MIN_RECLEAN: f64 = 32.0;

/// What a model keeps beyond its line, stored as plain data with it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LearnerState {
    /// The rows the worker's CPU quota did not hold back, or every row
    /// when the model has one line (`quota`).
    pub sums: Sums,
    pub bounds: Bounds,
    /// The rows the quota held back, when they have a line of their own.
    #[serde(default)]
    pub held: Option<Side>,
    /// The worker's quota burst the model was fitted with: which side a
    /// row it absorbs joins.
    #[serde(default)]
    pub burst_ms: Option<f64>,
    /// Rows kept at the last full cleaning.
    pub cleaned_at: f64,
    /// Rows screened out since then.
    pub rejected: u64,
    /// The source's statistics, if the model was built by transfer; part of
    /// `sums` but never of `cleaned_at` or `rejected`.
    #[serde(default)]
    pub prior: Option<Prior>,
    /// The curve the sums are taken over (`family.rs`); the line's too.
    #[serde(default)]
    pub family: Family,
    /// The family's held-out MAPE (%) when it was chosen.
    #[serde(default)]
    pub validation_mape: Option<f64>,
    /// The line's floor ([`Line::floor_ms`]): the fastest row the model
    /// has looked at, kept or screened out, the prior's included. Stored
    /// here, as the family is, because the stores keep only the line's
    /// intercept and slope in columns.
    #[serde(default)]
    pub floor_ms: f64,
}

/// The rows on one side of a quota's bend: their statistics, and the
/// bounds of their last cleaning.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Side {
    pub sums: Sums,
    pub bounds: Bounds,
}

/// What a transfer source contributes: its own rows' sufficient statistics,
/// weighted to `learning.transfer_prior_rows` rows and scaled to the new
/// function's speed at transfer time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Prior {
    pub source: String,
    /// Taken over the source's family, which the model keeps with it.
    pub sums: Sums,
    pub scale: f64,
    /// The source's floor, scaled.
    #[serde(default)]
    pub floor_ms: f64,
    /// The source's held-back rows, where it had a line for them.
    #[serde(default)]
    pub held: Option<Sums>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Model {
    pub record: ModelRecord,
    pub state: LearnerState,
}

impl Model {
    /// Chooses the family (`choice`), cleans `rows` and fits a model on
    /// what remains; `None` if no row is learnable. `burst_ms` is the
    /// worker's quota burst, if it has one: rows that used more CPU are
    /// fitted apart when there are enough of them (`quota`).
    pub fn fit(
        function: &str,
        worker: &str,
        rows: &[Execution],
        cleaning: &Cleaning,
        choice: ModelChoice,
        burst_ms: Option<f64>,
    ) -> Option<Model> {
        let rows: Vec<&Execution> = rows.iter().filter(|r| r.learnable()).collect();
        let sized: Vec<Point> =
            rows.iter().map(|r| Point { x: r.input_size as f64, y: r.duration_ms, held: quota::held(r, burst_ms) }).collect();
        let Chosen { family, two_lines, validation_mape } = family::choose(&sized, cleaning, choice);
        let points: Vec<Point> = sized.iter().map(|p| Point { x: family.x(p.x), ..*p }).collect();
        let (free, held) = quota::split(&points, two_lines, cleaning);
        let fitted = fit(&free.kept)?;
        let held = held.map(|h| Side { sums: Sums::of(h.kept), bounds: h.bounds });
        let window = rows.iter().map(|r| r.started_at_ms);
        let sums = Sums::of(free.kept.iter().copied());
        let kept = sums.n + held.map_or(0.0, |h| h.sums.n);
        // Over every row, not only those kept: under a CPU quota the line
        // through the held-back calls dips below zero, and the small calls
        // that fit in one period sit far enough above it to be screened
        // out as outliers. Each still took as long as it says, and the
        // fastest kept call can be one a whole period slower.
        let floor_ms = points.iter().map(|p| p.y).fold(f64::INFINITY, f64::min);
        let mut model = Model {
            record: ModelRecord {
                function: function.to_owned(),
                worker: worker.to_owned(),
                line: Line { family, floor_ms, ..fitted.line },
                samples: kept as u64,
                r2: fitted.r2,
                cleaning: cleaning.label(),
                window_start_ms: window.clone().min().unwrap_or(0),
                window_end_ms: window.max().unwrap_or(0),
                state: serde_json::Value::Null,
            },
            state: LearnerState {
                sums,
                bounds: free.bounds,
                held,
                burst_ms,
                cleaned_at: kept,
                rejected: 0,
                prior: None,
                family,
                validation_mape,
                floor_ms,
            },
        };
        model.record.line.held_back = model.held_line();
        Some(model)
    }

    /// This model with `prior` added to its own rows (nothing changes
    /// without one). A re-cleaning fits the own rows again and calls this
    /// with the prior the model had, so the prior survives every refit.
    pub fn with_prior(mut self, prior: Option<Prior>) -> Model {
        let Some(prior) = prior else { return self };
        self.state.sums.merge(&prior.sums);
        // Own rows too few to choose two lines take them from the source,
        // unscreened until the first re-cleaning sets the side's bounds.
        if let Some(held) = &prior.held {
            self.state.held.get_or_insert(Side { sums: Sums::default(), bounds: Bounds::ALL }).sums.merge(held);
        }
        self.state.floor_ms = self.state.floor_ms.min(prior.floor_ms);
        self.solve();
        self.record.cleaning =
            format!("{} + prior from {} worth {:.0} rows (scale {:.2})", self.record.cleaning, prior.source, prior.sums.n, prior.scale);
        self.state.prior = Some(prior);
        self
    }

    /// A model for a new function from a similar function's (transfer
    /// learning, dissertation 4.3.6). The source contributes the *shape*:
    /// its line, scaled by how much slower or faster the new function ran
    /// on its own first rows (the ratio of their durations to the source's
    /// predictions), as a prior worth `prior_rows` rows; the new function's
    /// own cleaned rows are added to it. A handful of own rows, noisy as
    /// they are, thus move one number (the scale) before they move the line;
    /// as the function's own history grows it takes over.
    ///
    /// The model takes the source's family, and its held-back line if it
    /// has one: the prior's statistics are taken over them, and a handful
    /// of own rows could not choose either.
    pub fn transfer(
        source: &Model,
        function: &str,
        own: &[Execution],
        cleaning: &Cleaning,
        prior_rows: f64,
        burst_ms: Option<f64>,
    ) -> Option<Model> {
        let family = ModelChoice::Fixed(source.state.family);
        let model = Model::fit(function, &source.record.worker, own, cleaning, family, burst_ms)?;
        let own_rows: Vec<(u64, f64)> = own.iter().filter(|r| r.learnable()).map(|r| (r.input_size, r.duration_ms)).collect();
        let line = source.record.line;
        let predicted: f64 = own_rows.iter().map(|&(n, _)| line.predict(n).max(1e-6)).sum();
        let measured: f64 = own_rows.iter().map(|&(_, y)| y).sum();
        let scale = if predicted > 0.0 { (measured / predicted).clamp(0.1, 10.0) } else { 1.0 };
        // The source's own evidence only: a prior of a prior is not passed on.
        let (free, held) = (source.own_sums(), source.own_held());
        let rows = free.n + held.map_or(0.0, |h| h.n);
        let weight = if rows > 0.0 { prior_rows / rows } else { 0.0 };
        let prior = Prior {
            source: source.record.function.clone(),
            sums: free.scaled(weight, scale),
            scale,
            floor_ms: source.state.floor_ms * scale,
            held: held.map(|h| h.scaled(weight, scale)),
        };
        Some(model.with_prior(Some(prior)))
    }

    /// The statistics of the function's own rows, without any prior: the
    /// free side's (or all, with one line), and the held-back side's.
    fn own_sums(&self) -> Sums {
        match &self.state.prior {
            Some(prior) => self.state.sums.minus(&prior.sums),
            None => self.state.sums,
        }
    }

    fn own_held(&self) -> Option<Sums> {
        let held = self.state.held?.sums;
        Some(match self.state.prior.as_ref().and_then(|p| p.held.as_ref()) {
            Some(prior) => held.minus(prior),
            None => held,
        })
    }

    /// Rows of the function's own the model keeps, both sides.
    fn own_rows(&self) -> f64 {
        self.own_sums().n + self.own_held().map_or(0.0, |h| h.n)
    }

    /// The held-back side's line from its sums, if it has one.
    fn held_line(&self) -> Option<HeldBack> {
        self.state.held.and_then(|h| ols(&h.sums)).map(|f| HeldBack::from(f.line))
    }

    /// The lines again from the sums, in the model's family: O(1).
    fn solve(&mut self) {
        if let Some(fitted) = ols(&self.state.sums) {
            let (family, floor_ms, held_back) = (self.state.family, self.state.floor_ms, self.held_line());
            self.record.line = Line { family, floor_ms, held_back, ..fitted.line };
            self.record.r2 = fitted.r2;
        }
    }

    /// Learns from one more row in O(1); returns whether it was kept. The
    /// row joins the side of the quota's bend its CPU time puts it on, and
    /// is screened against that side's line and bounds.
    pub fn absorb(&mut self, row: &Execution, cleaning: &Cleaning) -> bool {
        let (x, y) = (self.state.family.x(row.input_size as f64), row.duration_ms);
        self.record.window_end_ms = self.record.window_end_ms.max(row.started_at_ms);
        self.state.floor_ms = self.state.floor_ms.min(y);
        self.record.line.floor_ms = self.state.floor_ms;
        let line = &self.record.line;
        let (sums, bounds, value) = match (&mut self.state.held, line.held_back) {
            (Some(side), Some(h)) if quota::held(row, self.state.burst_ms) => {
                (&mut side.sums, side.bounds, cleaning.value((h.intercept, h.slope), x, y))
            }
            _ => (&mut self.state.sums, self.state.bounds, cleaning.value((line.intercept, line.slope), x, y)),
        };
        if !bounds.contains(value) {
            self.state.rejected += 1;
            return false;
        }
        sums.add(x, y);
        self.solve();
        self.record.samples = self.own_rows() as u64;
        true
    }

    /// Whether the history has doubled since the last full cleaning.
    pub fn needs_recleaning(&self) -> bool {
        let seen = self.own_rows() + self.state.rejected as f64;
        seen >= (2.0 * self.state.cleaned_at).max(self.state.cleaned_at + MIN_RECLEAN)
    }

    /// The model as stored: the learner state travels in `state`.
    pub fn to_record(&self) -> ModelRecord {
        let mut record = self.record.clone();
        record.state = serde_json::to_value(&self.state).expect("learner state serialises");
        record
    }

    /// What `GET /functions/{name}` shows of a stored model.
    pub fn summary(record: &ModelRecord) -> ModelSummary {
        let state = serde_json::from_value::<LearnerState>(record.state.clone()).ok();
        ModelSummary {
            line: record.line,
            r2: record.r2,
            samples: record.samples,
            cleaning: record.cleaning.clone(),
            window_end_ms: record.window_end_ms,
            prior: state.as_ref().and_then(|s| s.prior.clone()).map(|p| PriorSummary { source: p.source, rows: p.sums.n, scale: p.scale }),
            residual_sd_ms: state.as_ref().and_then(|s| s.residual_sd(&record.line)),
            validation_mape: state.and_then(|s| s.validation_mape),
        }
    }

    /// Rebuilds a stored model; `None` if its state is not ours (then it is
    /// refitted from history on the next full fit).
    pub fn from_record(mut record: ModelRecord) -> Option<Model> {
        let state: LearnerState = serde_json::from_value(record.state.clone()).ok()?;
        record.line.family = state.family;
        record.line.floor_ms = state.floor_ms;
        let mut model = Model { record, state };
        model.record.line.held_back = model.held_line();
        Some(model)
    }
}

impl LearnerState {
    /// How far the kept rows scatter about their side's line (ms), pooled
    /// over both sides.
    fn residual_sd(&self, line: &Line) -> Option<f64> {
        let free = (self.sums, (line.intercept, line.slope));
        let held = self.held.zip(line.held_back).map(|(s, h)| (s.sums, (h.intercept, h.slope)));
        residual_sd(&[Some(free), held].into_iter().flatten().collect::<Vec<_>>())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::learning::cleaning::Method;

    /// These tests are about learning, not about the curve: the line.
    const LINE: ModelChoice = ModelChoice::Fixed(Family::Linear);

    fn row(i: u64, size: u64, duration_ms: f64) -> Execution {
        crate::store::sample_execution("edge", size, duration_ms, i as i64)
    }

    /// A stream around y = 20 + 0.3x with deterministic noise and a spike
    /// every 50 rows.
    fn stream(n: u64) -> Vec<Execution> {
        (0..n)
            .map(|i| {
                let size = (i * 37) % 1000 + 1;
                let noise = ((i * 13) % 7) as f64 - 3.0;
                let spike = if i % 50 == 25 { 300.0 } else { 0.0 };
                row(i, size, 20.0 + 0.3 * size as f64 + noise + spike)
            })
            .collect()
    }

    #[test]
    fn a_line_through_a_quotas_staircase_predicts_no_call_faster_than_the_fastest() {
        // Calls under size 400 fit in the quota's period (5 ms); larger
        // ones are held back a period (100 ms): the line crosses zero.
        let rows: Vec<Execution> = (0..100)
            .map(|i| {
                let size = i * 10 + 1;
                row(i, size, if size < 400 { 5.0 + (i % 3) as f64 * 0.1 } else { 100.0 + 0.01 * size as f64 })
            })
            .collect();
        let cleaning = Cleaning::default();
        let mut model = Model::fit("f", "edge", &rows, &cleaning, LINE, None).unwrap();
        let line = model.record.line;
        assert!(line.intercept + line.slope * 10.0 < 0.0, "the line alone predicts size 10 below zero: {line:?}");
        assert_eq!(line.predict(10), 5.0, "the fastest kept call");
        assert!(line.predict(1000) > 100.0, "and the floor leaves the rest of the line alone");

        // The stores keep the intercept and slope in columns, the rest in the state.
        let mut stored = model.to_record();
        stored.line = Line::linear(line.intercept, line.slope);
        assert_eq!(Model::from_record(stored).unwrap().record.line.predict(10), 5.0, "the floor survives a restart");

        assert!(model.absorb(&row(100, 1, 4.0), &cleaning));
        assert_eq!(model.record.line.predict(10), 4.0, "a faster call kept lowers it");
    }

    /// A linear function on the quick scenario's edge: 0.025 ms of CPU
    /// per element, 4.4 ms of fixed cost; half a core in 10 ms periods, so
    /// a 5 ms burst, past which each ms of CPU takes two.
    fn behind_a_quota(i: u64, size: u64) -> Execution {
        let cpu = 0.025 * size as f64;
        let wobble = ((i * 7) % 5) as f64 * 0.05;
        let mut row = row(i, size, 4.4 + wobble + if cpu <= 5.0 { cpu } else { 2.0 * cpu - 5.0 });
        row.cpu_ms = Some(cpu);
        row
    }

    #[test]
    fn the_calls_a_quota_held_back_get_a_line_of_their_own() {
        let cleaning = Cleaning::default();
        let rows: Vec<Execution> = (0..40).map(|i| behind_a_quota(i, 25 * i + 10)).collect();
        let error = |m: &Model, size: u64| {
            let truth = 4.5 + if size <= 200 { 0.025 * size as f64 } else { 0.05 * size as f64 - 5.0 };
            (m.record.line.predict(size) - truth).abs() / truth
        };
        let one = Model::fit("f", "edge", &rows, &cleaning, LINE, None).unwrap();
        let two = Model::fit("f", "edge", &rows, &cleaning, LINE, Some(5.0)).unwrap();
        assert!(one.record.line.held_back.is_none() && two.record.line.held_back.is_some(), "{two:?}");
        for size in [50, 1000, 2000] {
            assert!(error(&two, size) < 0.03, "size {size}: {:.3} off with two lines", error(&two, size));
        }
        assert!(error(&one, 50) > 0.1, "one line through the bend misses the small calls: {:.3}", error(&one, 50));

        let mut learning = Model::from_record(two.to_record()).unwrap();
        assert_eq!(learning.record.line, two.record.line, "the held-back line survives a restart");
        let held_rows = |m: &Model| m.state.held.unwrap().sums.n;
        let before = (learning.state.sums.n, held_rows(&learning));
        assert!(learning.absorb(&behind_a_quota(40, 900), &cleaning) && learning.absorb(&behind_a_quota(41, 30), &cleaning));
        assert_eq!((learning.state.sums.n, held_rows(&learning)), (before.0 + 1.0, before.1 + 1.0), "each joins its own side");
        assert_eq!(learning.record.samples, 42);

        let new: Vec<Execution> = (0..12).map(|i| behind_a_quota(i, 80 * i + 10)).collect();
        let moved = Model::transfer(&two, "g", &new, &cleaning, 50.0, Some(5.0)).unwrap();
        assert!(moved.state.prior.as_ref().and_then(|p| p.held).is_some(), "the prior carries both sides");
        assert!(error(&moved, 2000) < 0.03, "{:.3}", error(&moved, 2000));
    }

    #[test]
    fn a_fast_call_screened_out_as_an_outlier_still_bounds_the_floor() {
        // The integration tests' edge: a tenth of a CPU in 10 ms periods.
        // A call under 1 ms of CPU runs at once; longer ones are held back
        // to 1 ms of CPU a period, about n ms in all, minus the first
        // period's burst. The size-1 call sits 10 ms above the line.
        let mut rows = vec![row(0, 1, 0.6)];
        rows.extend((1..40).map(|i| row(i, 25 * i, 25.0 * i as f64 - 10.0 + (i % 3) as f64)));
        let cleaning = Cleaning::default();
        let mut model = Model::fit("f", "edge", &rows, &cleaning, LINE, None).unwrap();
        assert_eq!(model.record.samples, 39, "the size-1 call is screened out: {model:?}");
        assert_eq!(model.record.line.predict(5), 0.6, "yet no call is predicted slower than it ran at size 1");

        assert!(!model.absorb(&row(40, 2, 0.5), &cleaning), "a faster one is screened out too");
        assert_eq!(model.record.line.predict(5), 0.5, "and lowers the floor all the same");
    }

    #[test]
    fn incremental_learning_agrees_with_refitting_everything() {
        let cleaning = Cleaning::default();
        let rows = stream(2000);
        let mut model = Model::fit("f", "edge", &rows[..100], &cleaning, LINE, None).unwrap();
        for (i, r) in rows.iter().enumerate().skip(100) {
            model.absorb(r, &cleaning);
            if model.needs_recleaning() {
                model = Model::fit("f", "edge", &rows[..=i], &cleaning, LINE, None).unwrap();
            }
        }
        let refit = Model::fit("f", "edge", &rows, &cleaning, LINE, None).unwrap();
        let (a, b) = (&model.record, &refit.record);
        let (a, b) = (a.line, b.line);
        assert!((a.slope - b.slope).abs() < 0.005, "slopes {} vs {}", a.slope, b.slope);
        assert!((a.intercept - b.intercept).abs() < 1.0, "intercepts {} vs {}", a.intercept, b.intercept);
        assert!((a.slope - 0.3).abs() < 0.01 && (a.intercept - 20.0).abs() < 2.0, "{a:?}");
    }

    #[test]
    fn ordinary_rows_are_absorbed_and_spikes_screened_out() {
        let cleaning = Cleaning::default();
        let rows = stream(400);
        let mut model = Model::fit("f", "edge", &rows[..200], &cleaning, LINE, None).unwrap();
        let kept: Vec<bool> = rows[200..].iter().map(|r| model.absorb(r, &cleaning)).collect();
        let spikes: Vec<usize> = (200..400).filter(|i| i % 50 == 25).map(|i| i - 200).collect();
        let dropped: Vec<usize> = kept.iter().enumerate().filter(|(_, k)| !**k).map(|(i, _)| i).collect();
        assert_eq!(dropped, spikes, "the bounds are centred on the fitted line");
    }

    #[test]
    fn a_transferred_model_follows_its_own_rows_with_the_source_as_prior() {
        let cleaning = Cleaning { method: Method::None, ..Cleaning::default() };
        let source = Model::fit("src", "edge", &stream(500), &cleaning, LINE, None).unwrap();
        // The new function: same slope, 30 ms slower throughout, few rows.
        let own: Vec<_> = (0..12).map(|i| row(i, i * 90 + 1, 50.0 + 0.3 * (i * 90 + 1) as f64)).collect();
        let model = Model::transfer(&source, "new", &own, &cleaning, 10.0, None).unwrap();
        let predict = |m: &Model, x: f64| m.record.line.intercept + m.record.line.slope * x;
        for x in [1.0, 500.0, 1000.0] {
            let truth = 50.0 + 0.3 * x;
            assert!((predict(&model, x) - truth).abs() < (predict(&source, x) - truth).abs(), "at {x}");
        }
        assert_eq!(model.record.function, "new");
        assert!((model.state.sums.n - 22.0).abs() < 1e-9, "12 own rows + a prior worth 10");
        assert!(model.record.cleaning.contains("scale"), "{}", model.record.cleaning);
    }

    /// Learns `rows` one at a time as the learner does: absorb, and on the
    /// doubling schedule (or on every row, as `refit-all`) a full fit of
    /// the history with the model's prior added back.
    fn learn(mut model: Model, history: &mut Vec<Execution>, rows: &[Execution], refit_all: bool, cleaning: &Cleaning) -> Model {
        for r in rows {
            history.push(r.clone());
            model.absorb(r, cleaning);
            if refit_all || model.needs_recleaning() {
                let prior = model.state.prior.clone();
                model = Model::fit("new", "edge", history, cleaning, LINE, None).unwrap().with_prior(prior);
            }
        }
        model
    }

    #[test]
    fn the_prior_outlives_learning_and_beats_an_own_fit_beyond_the_own_rows() {
        let cleaning = Cleaning { method: Method::None, ..Cleaning::default() };
        // A well-measured source over sizes 1-1000, and the new function:
        // the source's shape 1.5× slower (what transfer assumes), with up to
        // ±20 ms of noise and its rows all at sizes up to 200, so that its
        // own slope is poorly pinned down.
        let shape = |x: f64| 20.0 + 0.3 * x;
        let wobble = |i: u64| ((i * 7919) % 41) as f64 / 20.0 - 1.0;
        let source_rows: Vec<_> = (0..500).map(|i| row(i, (i * 37) % 1000 + 1, shape(((i * 37) % 1000 + 1) as f64) + wobble(i))).collect();
        let source = Model::fit("src", "edge", &source_rows, &cleaning, LINE, None).unwrap();
        let truth = |x: f64| 1.5 * shape(x);
        let noisy = |i: u64| {
            let size = (i * 53) % 200 + 1;
            row(i, size, truth(size as f64) + 20.0 * wobble(i))
        };
        let transfer_rows: Vec<_> = (0..12).map(noisy).collect();
        let further: Vec<_> = (12..62).map(noisy).collect();
        for refit_all in [false, true] {
            let mut history = transfer_rows.clone();
            let model = Model::transfer(&source, "new", &transfer_rows, &cleaning, 50.0, None).unwrap();
            let model = learn(model, &mut history, &further, refit_all, &cleaning);
            let own = Model::fit("new", "edge", &history, &cleaning, LINE, None).unwrap();
            assert_eq!(model.state.prior.as_ref().map(|p| p.source.as_str()), Some("src"), "refit_all {refit_all}");
            assert_eq!(model.record.samples, 62, "the prior is not counted as own rows");
            let error = |m: &Model, x: f64| (m.record.line.predict(x as u64) - truth(x)).abs();
            for x in [1000.0, 2000.0] {
                assert!(
                    error(&model, x) < error(&own, x),
                    "refit_all {refit_all}, size {x}: with prior {:.1} ms off, own fit {:.1} ms off",
                    error(&model, x),
                    error(&own, x)
                );
            }
        }
    }

    #[test]
    fn recleaning_happens_on_a_doubling_schedule() {
        let cleaning = Cleaning { method: Method::None, ..Cleaning::default() };
        let rows = stream(400);
        let mut model = Model::fit("f", "edge", &rows[..100], &cleaning, LINE, None).unwrap();
        let mut due = Vec::new();
        for (i, r) in rows.iter().enumerate().skip(100) {
            model.absorb(r, &cleaning);
            if model.needs_recleaning() {
                due.push(i + 1);
                model = Model::fit("f", "edge", &rows[..=i], &cleaning, LINE, None).unwrap();
            }
        }
        assert_eq!(due, vec![200, 400]);
    }

    #[test]
    fn a_stored_model_resumes_where_it_left_off() {
        let cleaning = Cleaning::default();
        let model = Model::fit("f", "edge", &stream(300), &cleaning, LINE, None).unwrap();
        let restored = Model::from_record(model.to_record()).unwrap();
        assert_eq!(restored.state, model.state);
        assert_eq!(restored.record.line, model.record.line);
    }

    #[test]
    fn cold_and_failed_rows_do_not_train() {
        let mut rows = stream(10);
        rows[0].cold = true;
        rows[1].success = false;
        let model = Model::fit("f", "edge", &rows, &Cleaning { method: Method::None, ..Cleaning::default() }, LINE, None).unwrap();
        assert_eq!(model.record.samples, 8);
    }
}
