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
//!
//! Simultaneous sends need not meet on the platform: on a busy host a
//! burst's short calls can arrive one after another, each finding the
//! instance the last one freed, and none is cold. So a tier that made no
//! cold call in its bursts gets its largest burst again, until the platform
//! says it started an instance, at most [`RETRIES`] times; its calls are
//! kept either way, and a tier that never started one is logged.
//! Writes `cold_starts.csv`.

use std::sync::Arc;

use codenet_loader::import::Imported;
use hetfaas_api::{Invoked, PolicyKind};
use rand::rngs::StdRng;
use tokio::sync::Barrier;
use tokio::task::JoinSet;

use super::{Context, event};
use crate::results::ColdStartRow;

/// Repeats of a tier's largest burst while it has made no cold call.
const RETRIES: usize = 20;

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
    // Every call is built and its task running before any is sent.
    let start = Arc::new(Barrier::new(calls));
    for _ in 0..calls {
        let (api, name, body) = (ctx.api.clone(), f.name.clone(), event(f, size, rng).as_ref().clone());
        let start = start.clone();
        set.spawn(async move {
            start.wait().await;
            api.invoke(&name, body, Some(policy)).await
        });
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
            rows.append(&mut tier_bursts(ctx, f, policy, size, &mut rng).await?);
        }
    }
    ctx.run.write(&rows)
}

/// One tier's bursts of `f` (2, 3, ... calls), then its largest again until
/// one of its calls was cold or the retries run out.
async fn tier_bursts(ctx: &Context, f: &Imported, policy: PolicyKind, size: u64, rng: &mut StdRng) -> anyhow::Result<Vec<ColdStartRow>> {
    let bursts = ctx.scenario.stages.accuracy.cold_bursts;
    let (mut rows, mut sent) = (Vec::<ColdStartRow>::new(), 0);
    if bursts == 0 {
        return Ok(rows);
    }
    while sent < bursts || (sent < bursts + RETRIES && !rows.iter().any(|r| r.cold)) {
        let calls = sent.min(bursts - 1) + 2;
        for invoked in burst(ctx, f, policy, calls, size, rng).await? {
            rows.push(ColdStartRow {
                function: f.name.clone(),
                worker: invoked.placement.worker.clone(),
                burst: calls,
                input_size: size,
                cold: invoked.placement.cold,
                status: invoked.status.as_u16(),
                actual_ms: invoked.placement.duration_ms,
                latency_ms: invoked.latency_ms,
            });
        }
        sent += 1;
    }
    if !rows.iter().any(|r| r.cold) {
        tracing::warn!(function = %f.name, ?policy, "no cold call in {sent} bursts: their calls never met, or as many instances were warm");
    }
    Ok(rows)
}
