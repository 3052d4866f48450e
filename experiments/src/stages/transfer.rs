//! Stage `transfer` (dissertation 5.5, figures 5.5-5.8): for a few
//! solutions, the same code is trained twice under two names, once by
//! transfer and once on its own data only; then both are measured on the
//! same fresh invocations, at sizes inside and beyond what they were
//! trained on.
//!
//! The transfer source is never the solution itself (the orchestrator
//! leaves functions with the same code out of its search): it is another
//! accepted solution of the same problem where the dataset has one
//! (`transfer_from`), else whichever other function similarity picks. What
//! was chosen and the path training actually took are recorded, so a
//! transfer arm that fell back to full training is reported as such.
//! Writes `transfer.csv` (cost of each arm) and `transfer_accuracy.csv`.

use std::collections::BTreeMap;

use hetfaas_api::PolicyKind;

use codenet_loader::import::Imported;

use super::accuracy::classify;
use super::train::{Training, create_and_train};
use super::{Context, event};
use crate::results::{TrainRow, TransferAccuracyRow, TransferRow, trained_sizes};

/// The functions measured, those with a different solution of the same
/// problem first, each with that solution.
fn chosen(ctx: &Context, pairs: usize) -> Vec<(&Imported, Option<&Imported>)> {
    let sibling = |f: &Imported| {
        ctx.imported.iter().find(|g| g.submission.problem_id == f.submission.problem_id && g.name != f.name && g.handler != f.handler)
    };
    let mut all: Vec<_> = ctx.charted(ctx.imported.len()).into_iter().map(|f| (f, sibling(f))).collect();
    all.sort_by_key(|(_, s)| s.is_none());
    all.into_iter().take(pairs).collect()
}

fn cost(pair: usize, arm: &str, choice: &str, t: TrainRow) -> TransferRow {
    TransferRow {
        pair,
        arm: arm.into(),
        function: t.function,
        path: t.path,
        source: t.source,
        source_choice: choice.into(),
        invocations: t.invocations,
        wall_ms: t.wall_ms,
    }
}

pub async fn run(ctx: &Context) -> anyhow::Result<()> {
    let t = &ctx.scenario.stages.transfer;
    let chosen = chosen(ctx, t.pairs);
    let bar = ctx.bar("transfer", (chosen.len() * 2) as u64);
    let (mut costs, mut accuracy) = (Vec::new(), Vec::new());
    let mut rng = ctx.rng("transfer");
    for (pair, (f, sibling)) in chosen.into_iter().enumerate() {
        let (transfer, choice) = match sibling {
            Some(g) => (Training::From(&g.name), "same-problem"),
            None => (Training::Similar, "nearest"),
        };
        let mut arms = BTreeMap::new();
        for (arm, training) in [("transfer", transfer), ("own", Training::Own)] {
            let name = format!("{}-{arm}", f.name);
            let row = create_and_train(ctx, f, &name, training).await?;
            let trained = trained_sizes(&row.trained_sizes);
            arms.insert(arm, (name, row.path.clone(), trained));
            costs.push(cost(pair, arm, choice, row));
            bar.inc(1);
        }
        // The same fresh events for both arms, on every tier.
        for &size in t.sizes.iter().chain(&t.unseen) {
            for _ in 0..t.repetitions {
                let body = event(f, size, &mut rng);
                for policy in [PolicyKind::EdgeOnly, PolicyKind::CloudOnly] {
                    for (arm, (name, path, trained)) in &arms {
                        let invoked = ctx.api.invoke(name, body.as_ref().clone(), Some(policy)).await?;
                        let worker = invoked.placement.worker.clone();
                        accuracy.push(TransferAccuracyRow {
                            pair,
                            arm: (*arm).into(),
                            path: path.clone(),
                            function: name.clone(),
                            kind: classify(size, trained.get(&worker).map_or(&[][..], Vec::as_slice)).into(),
                            input_size: size,
                            predicted_ms: invoked.placement.predicted_for_worker().unwrap_or(f64::NAN),
                            actual_ms: invoked.placement.duration_ms,
                            cold: invoked.placement.cold,
                            worker,
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
