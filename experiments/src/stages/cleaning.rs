//! Stages `cleaning` and `regression` (dissertation figures 4.1-4.8): the
//! training rows of a few functions, which rows Z-score and IQR cleaning
//! keep, and the lines fitted over each cleaning. Writes `cleaning.csv` and
//! `regression.csv`.

use hetfaas::learning::cleaning::{Basis, Cleaning, Method};
use hetfaas::learning::regression::fit;

use super::Context;
use crate::results::{CleaningRow, RegressionRow};

pub async fn run(ctx: &Context, regression: bool) -> anyhow::Result<()> {
    let base = ctx.scenario.orchestrator.learning.cleaning;
    let zscore = Cleaning { method: Method::Zscore, ..base };
    let iqr = Cleaning { method: Method::Iqr, ..base };
    let basis = match base.basis {
        Basis::Residual => "residuals of a first fit",
        Basis::Duration => "durations",
    };
    let charted = ctx.charted(ctx.scenario.stages.cleaning.functions);
    let bar = ctx.bar("cleaning", charted.len() as u64);
    let (mut cleaned, mut lines) = (Vec::new(), Vec::new());
    for f in charted {
        let rows = ctx.api.executions(&f.name).await?;
        for worker in &ctx.workers {
            let mine: Vec<_> = rows.iter().filter(|r| r.worker == *worker).collect();
            let learnable: Vec<_> = mine.iter().filter(|r| r.learnable()).collect();
            let points: Vec<(f64, f64)> = learnable.iter().map(|r| (r.input_size as f64, r.duration_ms)).collect();
            let (keep_z, keep_iqr) = (zscore.apply(&points).0, iqr.apply(&points).0);
            // Every row, cold and failed ones too (the raw figures mark
            // them); only learnable rows can be kept by a cleaning.
            let mut next = 0;
            for r in &mine {
                let (kept_zscore, kept_iqr) = if r.learnable() {
                    next += 1;
                    (keep_z[next - 1], keep_iqr[next - 1])
                } else {
                    (false, false)
                };
                cleaned.push(CleaningRow {
                    function: f.name.clone(),
                    worker: worker.clone(),
                    input_size: r.input_size,
                    duration_ms: r.duration_ms,
                    cold: r.cold,
                    success: r.success,
                    basis: basis.into(),
                    kept_zscore,
                    kept_iqr,
                });
            }
            for (label, keep) in [("none", vec![true; points.len()]), ("zscore", keep_z), ("iqr", keep_iqr)] {
                let kept: Vec<(f64, f64)> = points.iter().zip(&keep).filter(|(_, k)| **k).map(|(p, _)| *p).collect();
                if let Some(fitted) = fit(&kept) {
                    lines.push(RegressionRow {
                        function: f.name.clone(),
                        worker: worker.clone(),
                        cleaning: label.into(),
                        intercept_ms: fitted.line.intercept,
                        slope_ms_per_input: fitted.line.slope,
                        r2: fitted.r2,
                        samples: kept.len(),
                    });
                }
            }
        }
        bar.inc(1);
    }
    bar.finish_and_clear();
    ctx.run.write(&cleaned)?;
    if regression {
        ctx.run.write(&lines)?;
    }
    Ok(())
}
