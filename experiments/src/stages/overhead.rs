//! Stage `overhead`: what the orchestrator itself adds to
//! an invocation. A trivial function (the event is its answer) is invoked
//! under each configured policy, which pins the worker it reaches: through
//! a `noop` worker that answers in process, the latency is the
//! orchestrator's (HTTP in, routing, response out, row queued); through a
//! `local` worker, the same plus a real Python call, for comparison. Fixed
//! arrival rates (open loop, goose), then as fast as a closed loop of users
//! can go. Writes `overhead.csv`, one row per request.

use std::sync::Arc;
use std::time::Duration;

use hetfaas_api::{FunctionSpec, State};

use super::Context;
use crate::load::{Request, Shape, drive};
use crate::results::OverheadRow;

const FUNCTION: &str = "overhead-echo";

pub async fn run(ctx: &Context) -> anyhow::Result<()> {
    let o = &ctx.scenario.stages.overhead;
    let spec = FunctionSpec {
        example_inputs: vec![serde_json::json!([1, 2, 3])],
        allow_transfer: false,
        ..FunctionSpec::new(FUNCTION, "def handler(event, context):\n    return event\n")
    };
    ctx.api.create(&spec).await?;
    let ready = ctx.api.wait_settled(FUNCTION, Duration::from_secs(300)).await?;
    anyhow::ensure!(ready.state == State::Ready, "{FUNCTION} failed: {}", ready.reason.unwrap_or_default());
    let event = Arc::new(b"[1]".to_vec());
    let mut rows = Vec::new();
    for &policy in &o.policies {
        let mut loads: Vec<(usize, Shape, usize)> = o.rates.iter().map(|&rate| (rate, Shape::Open { rate }, rate * o.seconds)).collect();
        if o.max_users > 0 && o.max_requests > 0 {
            loads.push((0, Shape::Closed { users: o.max_users }, o.max_requests));
        }
        for (rate, shape, count) in loads {
            let requests =
                (0..count).map(|tag| Request { function: FUNCTION.into(), event: event.clone(), policy: Some(policy), tag }).collect();
            let label = if rate == 0 { format!("{policy} max") } else { format!("{policy} {rate}/s") };
            for record in drive(ctx.api.base(), requests, shape, ctx.bar(&label, count as u64)).await? {
                rows.push(OverheadRow {
                    policy,
                    rate,
                    worker: record.placement.worker,
                    status: record.status,
                    latency_ms: record.latency_ms,
                    duration_ms: record.placement.duration_ms,
                    sent_s: record.sent_s,
                });
            }
        }
    }
    ctx.run.write(&rows)
}
