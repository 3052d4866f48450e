//! Stages `cleaning` and `regression` (dissertation figures 4.1-4.8): the
//! training rows of a few functions, which rows Z-score and IQR cleaning
//! keep, and the lines fitted over each cleaning. Writes `cleaning.csv` and
//! `regression.csv`.

use serde::{Deserialize, Serialize};

use hetfaas::learning::cleaning::{Cleaning, Method};
use hetfaas::learning::model::learnable;
use hetfaas::learning::regression::fit;

use super::Context;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CleaningRow {
    pub function: String,
    pub worker: String,
    pub input_size: u64,
    pub duration_ms: f64,
    pub kept_zscore: bool,
    pub kept_iqr: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RegressionRow {
    pub function: String,
    pub worker: String,
    pub cleaning: String,
    pub intercept_ms: f64,
    pub slope_ms_per_input: f64,
    pub r2: f64,
    pub samples: usize,
}

pub async fn run(ctx: &Context, regression: bool) -> anyhow::Result<()> {
    let base = ctx.scenario.orchestrator.learning.cleaning;
    let zscore = Cleaning { method: Method::Zscore, ..base };
    let iqr = Cleaning { method: Method::Iqr, ..base };
    let charted = ctx.charted(ctx.scenario.stages.cleaning.functions);
    let bar = ctx.bar("cleaning", charted.len() as u64);
    let (mut cleaned, mut lines) = (Vec::new(), Vec::new());
    for f in charted {
        let rows = ctx.api.executions(&f.name).await?;
        for worker in &ctx.workers {
            let points: Vec<(f64, f64)> =
                rows.iter().filter(|r| r.worker == *worker && learnable(r)).map(|r| (r.input_size as f64, r.duration_ms)).collect();
            let (keep_z, keep_iqr) = (zscore.apply(&points).0, iqr.apply(&points).0);
            for (i, &(x, y)) in points.iter().enumerate() {
                cleaned.push(CleaningRow {
                    function: f.name.clone(),
                    worker: worker.clone(),
                    input_size: x as u64,
                    duration_ms: y,
                    kept_zscore: keep_z[i],
                    kept_iqr: keep_iqr[i],
                });
            }
            for (label, keep) in [("none", vec![true; points.len()]), ("zscore", keep_z), ("iqr", keep_iqr)] {
                let kept: Vec<(f64, f64)> = points.iter().zip(&keep).filter(|(_, k)| **k).map(|(p, _)| *p).collect();
                if let Some(line) = fit(&kept) {
                    lines.push(RegressionRow {
                        function: f.name.clone(),
                        worker: worker.clone(),
                        cleaning: label.into(),
                        intercept_ms: line.intercept,
                        slope_ms_per_input: line.slope,
                        r2: line.r2,
                        samples: kept.len(),
                    });
                }
            }
        }
        bar.inc(1);
    }
    bar.finish_and_clear();
    ctx.run.write_csv("cleaning.csv", &cleaned)?;
    if regression {
        ctx.run.write_csv("regression.csv", &lines)?;
    }
    Ok(())
}
