//! Stage `overload`: where each policy stops coping. Poisson arrivals at a
//! rising offered rate (`start_rate`, doubled each step up to `max_rate`),
//! `seconds` per step, the same seeded requests at a given rate for every
//! policy; a policy's sweep ends at the first rate where its p99 passes
//! `threshold_ms` (a request that failed counts as slower than any
//! threshold). Learning is frozen and pools are warmed first, as in
//! `policies`. Writes `overload.csv`, one row per request.
//!
//! The load generator holds at most 64 requests in flight; past that the
//! offered rate is not achieved, so the report marks the steps where the
//! achieved rate fell short of the offered one.

use hetfaas_api::{Incremental, PolicyKind};
use rand::Rng;

use super::{Context, event};
use crate::arrivals::Arrivals;
use crate::load::{Request, Shape, drive};
use crate::results::OverloadRow;
use crate::stats::Distribution;

/// What a failed request counts as: slower than any threshold.
pub const FAILED_MS: f64 = 3_600_000.0;

/// A request's latency for the overload rule.
pub fn counted_ms(status: u16, latency_ms: f64) -> f64 {
    if status == 200 { latency_ms } else { FAILED_MS }
}

/// One step's load: Poisson send times at `rate`, and a seeded mix of the
/// imported functions at the policies stage's sizes with each request's
/// (function, size).
struct Step {
    requests: Vec<Request>,
    at: Vec<f64>,
    drawn: Vec<(String, u64)>,
}

fn step(ctx: &Context, rate: f64, policy: PolicyKind) -> Step {
    let o = &ctx.scenario.stages.overload;
    let sizes = &ctx.scenario.stages.policies.sizes;
    let mut rng = ctx.rng(&format!("overload-{rate}"));
    let at = Arrivals::Poisson.schedule(rate, o.seconds, &mut rng);
    let (mut requests, mut drawn) = (Vec::new(), Vec::new());
    for tag in 0..at.len() {
        let f = &ctx.imported[rng.gen_range(0..ctx.imported.len())];
        let size = sizes[rng.gen_range(0..sizes.len())];
        requests.push(Request { function: f.name.clone(), event: event(f, size, &mut rng), policy: Some(policy), tag });
        drawn.push((f.name.clone(), size));
    }
    Step { requests, at, drawn }
}

pub async fn run(ctx: &Context) -> anyhow::Result<()> {
    let o = &ctx.scenario.stages.overload;
    anyhow::ensure!(
        o.start_rate > 0.0 && o.seconds > 0.0,
        "overload: start_rate ({}) and seconds ({}) must be above 0",
        o.start_rate,
        o.seconds
    );
    if !ctx.scenario.stages.policies.learning {
        ctx.api.set_learning(Incremental::Off).await?;
    }
    super::policies::warm_pools(ctx).await?;
    let mut rows = Vec::new();
    for &policy in &o.policies {
        let mut rate = o.start_rate;
        while rate <= o.max_rate {
            let Step { requests, at, drawn } = step(ctx, rate, policy);
            let bar = ctx.bar(&format!("overload:{policy}:{rate}/s"), requests.len() as u64);
            let records = drive(ctx.api.base(), requests, Shape::Scheduled { at: std::sync::Arc::new(at) }, bar).await?;
            let p99 = Distribution::of(records.iter().map(|r| counted_ms(r.status, r.latency_ms))).percentile(0.99);
            rows.extend(records.into_iter().map(|r| OverloadRow {
                policy,
                offered_rate: rate,
                threshold_ms: o.threshold_ms,
                function: drawn[r.tag].0.clone(),
                input_size: drawn[r.tag].1,
                worker: r.placement.worker,
                latency_ms: r.latency_ms,
                status: r.status,
                sent_s: r.sent_s,
            }));
            if p99 > o.threshold_ms {
                ctx.say(&format!("overload: {policy} passed p99 {} ms at {rate} requests/s", o.threshold_ms));
                break;
            }
            rate *= 2.0;
        }
    }
    ctx.api.set_learning(ctx.scenario.orchestrator.learning.incremental).await?;
    ctx.run.write(&rows)
}
