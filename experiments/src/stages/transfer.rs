//! Stage `transfer` (dissertation 5.5, figures 5.5-5.8): for a few problems,
//! a solution is trained twice under two names, once allowed to transfer
//! from the functions already trained and once forced to train on its own
//! data; then both are measured on the same fresh invocations. Writes
//! `transfer.csv` (cost of each arm) and `transfer_accuracy.csv`.

use hetfaas_api::PolicyKind;

use super::train::create_and_train;
use super::{Context, event};
use crate::results::{TrainRow, TransferAccuracyRow, TransferRow};

fn cost(pair: usize, arm: &str, t: TrainRow) -> TransferRow {
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
            costs.push(cost(pair, arm, training));
            bar.inc(1);
        }
        // The same fresh events for both arms, on every tier.
        for &size in &t.sizes {
            for _ in 0..t.repetitions {
                let body = event(f, size, &mut rng);
                for policy in [PolicyKind::EdgeOnly, PolicyKind::CloudOnly] {
                    for arm in ["transfer", "own"] {
                        let name = format!("{}-{arm}", f.name);
                        let invoked = ctx.api.invoke(&name, body.as_ref().clone(), Some(policy)).await?;
                        accuracy.push(TransferAccuracyRow {
                            pair,
                            arm: arm.into(),
                            function: name,
                            input_size: size,
                            predicted_ms: invoked.placement.predicted_for_worker().unwrap_or(f64::NAN),
                            actual_ms: invoked.placement.duration_ms,
                            worker: invoked.placement.worker,
                        });
                    }
                }
            }
        }
    }
    bar.finish_and_clear();
    ctx.run.write(&costs)?;
    ctx.run.write(&accuracy)
}
