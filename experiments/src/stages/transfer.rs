//! Stage `transfer` (dissertation 5.5, figures 5.5-5.8): for a few problems,
//! a solution is trained twice under two names, once allowed to transfer
//! from the functions already trained and once forced to train on its own
//! data; then both are measured on the same fresh invocations. Writes
//! `transfer.csv` (cost of each arm) and `transfer_accuracy.csv`.

use serde::{Deserialize, Serialize};

use super::train::{TrainRow, create_and_train};
use super::{Context, event};

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TransferRow {
    pub pair: usize,
    /// `transfer` (allowed) or `own` (forced full training).
    pub arm: String,
    pub function: String,
    /// The path training actually took (`transfer` needs a similar function).
    pub path: String,
    pub source: String,
    pub invocations: u64,
    pub wall_ms: f64,
}

impl TransferRow {
    fn new(pair: usize, arm: &str, t: TrainRow) -> TransferRow {
        TransferRow {
            pair,
            arm: arm.into(),
            function: t.function,
            path: t.path,
            source: t.source,
            invocations: t.invocations,
            wall_ms: t.wall_ms,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TransferAccuracyRow {
    pub pair: usize,
    pub arm: String,
    pub function: String,
    pub worker: String,
    pub input_size: u64,
    pub predicted_ms: f64,
    pub actual_ms: f64,
}

pub async fn run(ctx: &Context) -> anyhow::Result<()> {
    let t = &ctx.scenario.stages.transfer;
    let chosen = ctx.charted(ctx.imported.len()).into_iter().take(t.pairs).collect::<Vec<_>>();
    let bar = ctx.bar("transfer", (chosen.len() * 2) as u64);
    let (mut costs, mut accuracy) = (Vec::new(), Vec::new());
    let mut rng = ctx.rng("transfer");
    for (pair, f) in chosen.into_iter().enumerate() {
        for (arm, allow) in [("transfer", true), ("own", false)] {
            let name = format!("{}-{arm}", f.name);
            let training = create_and_train(ctx, f, &name, allow).await?;
            costs.push(TransferRow::new(pair, arm, training));
            bar.inc(1);
        }
        // The same fresh events for both arms, on every tier.
        for &size in &t.sizes {
            for _ in 0..t.repetitions {
                let body = event(f, size, &mut rng);
                for policy in ["edge-only", "cloud-only"] {
                    for arm in ["transfer", "own"] {
                        let name = format!("{}-{arm}", f.name);
                        let invoked = ctx.api.invoke(&name, &body, Some(policy)).await?;
                        let predicted = invoked.predicted.iter().find(|(w, _)| *w == invoked.worker).map_or(f64::NAN, |(_, ms)| *ms);
                        accuracy.push(TransferAccuracyRow {
                            pair,
                            arm: arm.into(),
                            function: name,
                            worker: invoked.worker,
                            input_size: size,
                            predicted_ms: predicted,
                            actual_ms: invoked.duration_ms,
                        });
                    }
                }
            }
        }
    }
    bar.finish_and_clear();
    ctx.run.write_csv("transfer.csv", &costs)?;
    ctx.run.write_csv("transfer_accuracy.csv", &accuracy)
}
