//! Stage `policies` (the dissertation's objective 4, never carried out): the
//! same mixed workload (functions and input sizes drawn, seeded) under each
//! routing policy, in a closed loop and in open loops (a fixed rate,
//! Poisson or bursty arrivals: `arrivals`), `repetitions`
//! times with the policies' order rotated each time, so that no policy
//! always runs first (on a cold page cache) or last (after the others'
//! rows). Learning is frozen during the comparison unless the scenario says
//! otherwise, so every policy routes by the same models.
//!
//! The `oracle` is the harness's: a profiling pass first calls every
//! (function, size) of the workload on every tier, one call at a time, and
//! the oracle then pins each request to the tier whose median was shortest.
//! It knows service times exactly but nothing of load, so it bounds what
//! routing by service time alone can do (exact with one worker per tier).
//! A (function, size) with no warm, successful profiled call is placed by
//! `predicted` instead.
//! Before any of it, every worker's pool is warmed to the closed loop's
//! concurrency (`warm_pools`).
//! Writes `policies.csv`, one row per request sent (transport errors and
//! timeouts are rows with status 0), and `oracle_profile.csv`.

use std::collections::{BTreeMap, BTreeSet};

use hetfaas_api::{Incremental, PolicyKind};
use rand::Rng;

use super::{Context, event};
use crate::load::{Request, Shape, drive};
use crate::results::{OracleRow, PolicyRow};
use crate::scenario::Router;
use crate::stats::Distribution;

/// One load shape's workload: (function index, size) per request, and the
/// events, drawn once and replayed under every policy.
struct Workload {
    load: &'static str,
    shape: Shape,
    requests: Vec<(usize, u64)>,
    events: Vec<std::sync::Arc<Vec<u8>>>,
}

fn workloads(ctx: &Context) -> Vec<Workload> {
    let p = &ctx.scenario.stages.policies;
    let mut shapes = vec![("closed", Shape::Closed { users: p.users }, p.users * p.requests_per_user)];
    if p.open_rate > 0 && p.open_seconds > 0 {
        for &arrivals in &p.arrivals {
            let at = arrivals.schedule(p.open_rate as f64, p.open_seconds as f64, &mut ctx.rng(&format!("arrivals-{}", arrivals.label())));
            shapes.push((arrivals.label(), Shape::Scheduled { at: std::sync::Arc::new(at.clone()) }, at.len()));
        }
    }
    shapes
        .into_iter()
        .map(|(load, shape, count)| {
            let mut rng = ctx.rng(&format!("policies-{load}"));
            let requests: Vec<(usize, u64)> =
                (0..count).map(|_| (rng.gen_range(0..ctx.imported.len()), p.sizes[rng.gen_range(0..p.sizes.len())])).collect();
            let events = requests.iter().map(|&(f, size)| event(&ctx.imported[f], size, &mut rng)).collect();
            Workload { load, shape, requests, events }
        })
        .collect()
}

/// The oracle's profiling pass: each (function, size) of the workloads on
/// each tier, one call at a time; the tier policy with the shortest median
/// per (function, size).
async fn profile(ctx: &Context, workloads: &[Workload]) -> anyhow::Result<(BTreeMap<(usize, u64), PolicyKind>, Vec<OracleRow>)> {
    let p = &ctx.scenario.stages.policies;
    let pairs: BTreeSet<(usize, u64)> = workloads.iter().flat_map(|w| w.requests.iter().copied()).collect();
    let mut rng = ctx.rng("oracle");
    let (mut requests, mut plan) = (Vec::new(), Vec::new());
    for &(f, size) in &pairs {
        for policy in [PolicyKind::EdgeOnly, PolicyKind::CloudOnly] {
            for _ in 0..p.oracle_repetitions {
                let function = ctx.imported[f].name.clone();
                requests.push(Request { function, event: event(&ctx.imported[f], size, &mut rng), policy: Some(policy), tag: plan.len() });
                plan.push((f, size, policy));
            }
        }
    }
    let mut durations: BTreeMap<(usize, u64, PolicyKind), (String, Vec<f64>)> = BTreeMap::new();
    for record in drive(ctx.api.base(), requests, Shape::Sequential, ctx.bar("oracle", plan.len() as u64)).await? {
        if record.status == 200 && !record.placement.cold {
            let entry = durations.entry(plan[record.tag]).or_insert_with(|| (record.placement.worker.clone(), Vec::new()));
            entry.1.push(record.placement.duration_ms);
        }
    }
    let mut rows = Vec::new();
    let mut best: BTreeMap<(usize, u64), (PolicyKind, f64)> = BTreeMap::new();
    for ((f, size, policy), (worker, values)) in durations {
        let median = Distribution::of(values.iter().copied()).percentile(0.5);
        rows.push(OracleRow { function: ctx.imported[f].name.clone(), input_size: size, worker, median_ms: median, calls: values.len() });
        if best.get(&(f, size)).is_none_or(|&(_, b)| median < b) {
            best.insert((f, size), (policy, median));
        }
    }
    Ok((best.into_iter().map(|(k, (policy, _))| (k, policy)).collect(), rows))
}

/// Brings every worker's pool for every function to the closed loop's
/// concurrency (`users` simultaneous calls, pinned to each tier), so that
/// every policy starts from the same warm instances: otherwise whichever
/// policy first runs a function concurrently on a worker pays for its
/// start-ups, and the rotation only spreads that cost unevenly. Cold starts
/// are measured on their own (`cold_starts.rs`); cold calls that still
/// happen are counted per policy.
pub async fn warm_pools(ctx: &Context) -> anyhow::Result<()> {
    let p = &ctx.scenario.stages.policies;
    let mut rng = ctx.rng("policies-warm-up");
    let size = p.sizes.iter().copied().min().unwrap_or(1);
    for f in &ctx.imported {
        for policy in super::accuracy::tier_policies(ctx) {
            super::cold_starts::burst(ctx, f, policy, p.users, size, &mut rng).await?;
        }
    }
    Ok(())
}

pub async fn run(ctx: &Context) -> anyhow::Result<()> {
    let p = &ctx.scenario.stages.policies;
    if !p.learning {
        ctx.api.set_learning(Incremental::Off).await?;
    }
    warm_pools(ctx).await?;
    let workloads = workloads(ctx);
    let (oracle, profiled) = if p.policies.contains(&Router::Oracle) { profile(ctx, &workloads).await? } else { Default::default() };
    let mut rows = Vec::new();
    for repetition in 0..p.repetitions.max(1) {
        let mut order = p.policies.clone();
        let shift = repetition % order.len().max(1);
        order.rotate_left(shift);
        for w in &workloads {
            for &router in &order {
                let requests = w
                    .requests
                    .iter()
                    .zip(&w.events)
                    .enumerate()
                    .map(|(tag, (&(f, size), body))| Request {
                        function: ctx.imported[f].name.clone(),
                        event: body.clone(),
                        policy: Some(match router {
                            Router::Policy(policy) => policy,
                            Router::Oracle => oracle.get(&(f, size)).copied().unwrap_or(PolicyKind::Predicted),
                        }),
                        tag,
                    })
                    .collect();
                let bar = ctx.bar(&format!("{}:{router}:{repetition}", w.load), w.requests.len() as u64);
                let run_started_s = ctx.stage_started.elapsed().as_secs_f64();
                for record in drive(ctx.api.base(), requests, w.shape.clone(), bar).await? {
                    let (f, size) = w.requests[record.tag];
                    rows.push(PolicyRow {
                        load: w.load.into(),
                        policy: router,
                        repetition,
                        function: ctx.imported[f].name.clone(),
                        input_size: size,
                        predicted_ms: record.placement.predicted_for_worker().unwrap_or(f64::NAN),
                        latency_ms: record.latency_ms,
                        duration_ms: record.placement.duration_ms,
                        status: record.status,
                        sent_s: record.sent_s,
                        cold: record.placement.cold,
                        worker: record.placement.worker,
                        run_started_s,
                    });
                }
            }
        }
    }
    ctx.api.set_learning(ctx.scenario.orchestrator.learning.incremental).await?;
    ctx.run.write(&profiled)?;
    ctx.run.write(&rows)
}
