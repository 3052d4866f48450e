//! Cold against warm calls, for the reproduction table (the dissertation:
//! 822 ms cold, 146 ms warm). Run at the end of the accuracy stage.
//!
//! A platform that keeps an instance warm from deploy on (the local one
//! does) never makes a cold call in a sequential stage, so this step makes
//! them on purpose: bursts of simultaneous calls, each burst one larger
//! than the last (2, 3, ...), pinned to one tier. Every call past the
//! instances already idle has to start one. Which calls were cold is not
//! guessed: the platform says so in each answer, and the row keeps it.
//! Cold and warm calls of the same burst have the same function and size,
//! so the difference is the start-up, with the same contention on both.
//! Writes `cold_starts.csv`.

use codenet_loader::import::Imported;
use hetfaas_api::{Invoked, PolicyKind};
use rand::rngs::StdRng;
use tokio::task::JoinSet;

use super::{Context, event};
use crate::results::ColdStartRow;

/// `calls` simultaneous calls of `f` at `size`, placed by `policy`; their
/// answers, in completion order.
pub async fn burst(
    ctx: &Context,
    f: &Imported,
    policy: PolicyKind,
    calls: usize,
    size: u64,
    rng: &mut StdRng,
) -> anyhow::Result<Vec<Invoked>> {
    let mut set = JoinSet::new();
    for _ in 0..calls {
        let (api, name, body) = (ctx.api.clone(), f.name.clone(), event(f, size, rng).as_ref().clone());
        set.spawn(async move { api.invoke(&name, body, Some(policy)).await });
    }
    let mut answers = Vec::with_capacity(calls);
    while let Some(invoked) = set.join_next().await {
        answers.push(invoked??);
    }
    Ok(answers)
}

pub async fn run(ctx: &Context, policies: &[PolicyKind]) -> anyhow::Result<()> {
    let a = &ctx.scenario.stages.accuracy;
    let Some(&size) = a.seen.iter().min() else {
        return Ok(());
    };
    let mut rng = ctx.rng("cold-starts");
    let mut rows = Vec::new();
    for f in ctx.charted(a.functions) {
        for &policy in policies {
            for burst_size in (0..a.cold_bursts).map(|b| b + 2) {
                for invoked in burst(ctx, f, policy, burst_size, size, &mut rng).await? {
                    rows.push(ColdStartRow {
                        function: f.name.clone(),
                        worker: invoked.placement.worker.clone(),
                        burst: burst_size,
                        input_size: size,
                        cold: invoked.placement.cold,
                        status: invoked.status.as_u16(),
                        actual_ms: invoked.placement.duration_ms,
                        latency_ms: invoked.latency_ms,
                    });
                }
            }
        }
    }
    ctx.run.write(&rows)
}
