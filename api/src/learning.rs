//! What the learning side reports: how models keep learning, what the
//! similarity check decided, how a function was trained, and each model.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// How models keep learning after training (dissertation 3.5.2); switched
/// at run time with `PUT /learning`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Incremental {
    /// O(1) per execution: sufficient statistics, screened by the bounds of
    /// the last cleaning, re-cleaned each time the history doubles.
    SufficientStatistics,
    /// The dissertation's: refit on the whole cleaned history every time
    /// (cost grows with the history).
    RefitAll,
    /// Models change only when trained explicitly.
    Off,
}

/// The body of `PUT /learning`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LearningSwitch {
    pub incremental: Incremental,
}

/// Which similarity verdict transfer learning acts on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SimilarityMode {
    /// Nearest K-means centroid, |Σ features − Σ centroid| < 30 (4.3.5).
    Paper,
    /// Nearest trained function by RMS standardised distance.
    Distance,
}

/// What both similarity modes said about a new function, and the source
/// the configured mode chose, if any.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Decision {
    pub mode: SimilarityMode,
    pub source: Option<String>,
    pub paper: PaperVerdict,
    pub distance: DistanceVerdict,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PaperVerdict {
    pub cluster: Option<usize>,
    /// |Σ features − Σ centroid|, in standardised units.
    pub difference: Option<f64>,
    pub threshold: f64,
    pub source: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DistanceVerdict {
    pub nearest: Option<String>,
    pub distance: Option<f64>,
    pub threshold: f64,
    pub matched: bool,
}

/// How a function's models were built.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TrainingPath {
    /// From its own invocations only.
    Full,
    /// From a similar function's models plus a few own invocations.
    Transfer,
}

/// What a feature vector's CPU-time and memory features came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FeatureBasis {
    /// Durations, and the CPU time and peak memory measured around calls.
    DurationsAndProfile,
    /// Durations alone: no worker returned a CPU/memory profile (an image
    /// not built by hetfaas), so those two features are 0 for everyone.
    DurationsOnly,
}

/// What training cost and produced; shown in `GET /functions/{name}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainingReport {
    pub path: TrainingPath,
    /// The function whose models were transferred.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    pub invocations: u64,
    pub failed_invocations: u64,
    pub wall_ms: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster: Option<usize>,
    /// The feature vector, when every worker ran the function.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub features: Option<Vec<f64>>,
    /// What the features were measured from, when there are features.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub feature_basis: Option<FeatureBasis>,
    /// What both similarity modes said.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub similarity: Option<Decision>,
    /// Per worker, the input sizes of the warm, successful training calls:
    /// the sizes its model was trained on ("seen" sizes are these).
    #[serde(default)]
    pub trained_sizes: BTreeMap<String, Vec<u64>>,
}

/// The shape of a duration curve in the input size `n`: a model is a
/// straight line in `family.x(n)`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Family {
    /// The same time at every size.
    Constant,
    /// √n.
    Sqrt,
    /// n: the dissertation's line.
    #[default]
    Linear,
    /// n ln n.
    NLogN,
    /// n².
    Quadratic,
}

impl Family {
    /// Every family, slowest-growing first.
    pub const ALL: [Family; 5] = [Family::Constant, Family::Sqrt, Family::Linear, Family::NLogN, Family::Quadratic];

    /// The regressor a line in this family is fitted against.
    pub fn x(self, input_size: f64) -> f64 {
        let n = input_size.max(0.0);
        match self {
            Family::Constant => 0.0,
            Family::Sqrt => n.sqrt(),
            Family::Linear => n,
            Family::NLogN => n * n.max(1.0).ln(),
            Family::Quadratic => n * n,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Family::Constant => "constant",
            Family::Sqrt => "sqrt",
            Family::Linear => "linear",
            Family::NLogN => "n-log-n",
            Family::Quadratic => "quadratic",
        }
    }
}

/// A fitted duration curve, `duration_ms = intercept + slope · x(n)` for
/// its family's `x` (`x(n) = n` for the dissertation's line), never below
/// `floor_ms`: what a model predicts with, wherever it is held or shown.
///
/// On a worker whose CPU quota holds long calls back, the curve bends
/// where a call's CPU time passes what one quota period grants: the calls
/// beyond run at the quota's pace, not the core's. Where held-out error
/// says so, the model fits those calls with a line of their own
/// (`held_back`), in the same family, and predicts the larger of the two
/// lines: the free line at the sizes below the bend, the held-back line
/// beyond it.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Line {
    pub intercept: f64,
    pub slope: f64,
    #[serde(default)]
    pub family: Family,
    /// The fastest call the model has looked at, kept or screened out. A
    /// line through durations that bend upward (a CPU quota holding long
    /// calls back) has a negative intercept and would predict small calls
    /// at 0 ms; no call of the function ever took less than this. 0 in
    /// models stored before it.
    #[serde(default)]
    pub floor_ms: f64,
    /// The line of the calls the worker's CPU quota held back, where there
    /// were enough of them, and enough calls it did not, to fit each.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub held_back: Option<HeldBack>,
}

/// The calls a CPU quota held back: `intercept + slope · x(n)` in the
/// line's family.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct HeldBack {
    pub intercept: f64,
    pub slope: f64,
}

impl From<Line> for HeldBack {
    /// A fitted line's intercept and slope as a held-back line.
    fn from(line: Line) -> HeldBack {
        HeldBack { intercept: line.intercept, slope: line.slope }
    }
}

impl Line {
    /// A line of the dissertation's family.
    pub fn linear(intercept: f64, slope: f64) -> Line {
        Line { intercept, slope, family: Family::Linear, floor_ms: 0.0, held_back: None }
    }

    /// The curve at regressor value `x` (the family's `x(n)`), before the
    /// floor: the larger of the free and the held-back line.
    pub fn at(&self, x: f64) -> f64 {
        let free = self.intercept + self.slope * x;
        self.held_back.map_or(free, |h| free.max(h.intercept + h.slope * x))
    }

    /// Predicted duration, never below the floor nor zero.
    pub fn predict(&self, input_size: u64) -> f64 {
        self.at(self.family.x(input_size as f64)).max(self.floor_ms).max(0.0)
    }
}

/// One worker's model of a function, as `GET /functions/{name}` shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelSummary {
    #[serde(flatten)]
    pub line: Line,
    pub r2: f64,
    /// The function's own rows the model keeps (its cleaned history).
    pub samples: u64,
    /// The cleaning that chose them, and any transfer prior.
    pub cleaning: String,
    /// Start time of the latest execution the model has looked at.
    pub window_end_ms: i64,
    /// The transfer prior the model keeps, if it was built by transfer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prior: Option<PriorSummary>,
    /// Held-out error (MAPE, %) of the family on the rows it was chosen
    /// on, when there were enough rows to hold some out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub validation_mape: Option<f64>,
    /// How far the model's rows scatter about its curve (standard
    /// deviation, ms): about 95% of calls at trained sizes land within
    /// ±1.96 of it from the prediction, if the scatter is normal (an edge
    /// under a CPU quota scatters wider above than below).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub residual_sd_ms: Option<f64>,
}

/// A transferred model's prior: which function it came from, how many rows
/// it is worth (its share of the model is `rows / (rows + samples)`), and
/// the speed ratio it was scaled by.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PriorSummary {
    pub source: String,
    pub rows: f64,
    pub scale: f64,
}
