//! Stage `policies` (the dissertation's objective 4, never carried out): the
//! same mixed workload (functions and input sizes drawn, seeded) under each
//! routing policy, in a closed loop and in an open loop. Writes
//! `policies.csv`, one row per request.

use super::{Context, event};
use crate::load::{Request, Shape, drive};
use crate::results::PolicyRow;

pub async fn run(ctx: &Context) -> anyhow::Result<()> {
    let p = &ctx.scenario.stages.policies;
    let mut shapes = vec![("closed", Shape::Closed { users: p.users }, p.users * p.requests_per_user)];
    if p.open_rate > 0 && p.open_seconds > 0 {
        shapes.push(("open", Shape::Open { rate: p.open_rate }, p.open_rate * p.open_seconds));
    }
    let mut rows = Vec::new();
    for (load, shape, count) in shapes {
        // One workload per load shape, replayed under every policy.
        let mut rng = ctx.rng(&format!("policies-{load}"));
        let workload: Vec<(usize, u64)> = (0..count)
            .map(|_| {
                use rand::Rng;
                (rng.gen_range(0..ctx.imported.len()), p.sizes[rng.gen_range(0..p.sizes.len())])
            })
            .collect();
        let events: Vec<_> = workload.iter().map(|&(f, size)| event(&ctx.imported[f], size, &mut rng)).collect();
        for &policy in &p.policies {
            let requests = workload
                .iter()
                .zip(&events)
                .enumerate()
                .map(|(tag, (&(f, _), body))| Request {
                    function: ctx.imported[f].name.clone(),
                    event: body.clone(),
                    policy: Some(policy),
                    tag,
                })
                .collect();
            let bar = ctx.bar(&format!("{load}:{policy}"), count as u64);
            for record in drive(ctx.api.base(), requests, shape, bar).await? {
                let (f, size) = workload[record.tag];
                rows.push(PolicyRow {
                    load: load.into(),
                    policy,
                    function: ctx.imported[f].name.clone(),
                    input_size: size,
                    predicted_ms: record.placement.predicted_for_worker().unwrap_or(f64::NAN),
                    worker: record.placement.worker,
                    latency_ms: record.latency_ms,
                    duration_ms: record.placement.duration_ms,
                    status: record.status,
                    sent_s: record.sent_s,
                });
            }
        }
    }
    ctx.run.write(&rows)
}
