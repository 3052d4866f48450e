//! Stage `overhead` (SPEC section 12): what the orchestrator itself adds to
//! an invocation. A trivial function (the event is its answer) is invoked
//! under each configured policy, which pins the worker it reaches: through
//! a `noop` worker that answers in process, the latency is the
//! orchestrator's (HTTP in, routing, response out, row queued); through a
//! `local` worker, the same plus a real Python call, for comparison. Fixed
//! arrival rates (open loop, goose), then as fast as a closed loop of users
//! can go. Writes `overhead.csv`, one row per request.

use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::Context;
use crate::load::{Request, Shape, drive};

const FUNCTION: &str = "overhead-echo";

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct OverheadRow {
    pub policy: String,
    /// Requests per second offered; 0 for the closed loop at full speed.
    pub rate: usize,
    pub worker: String,
    pub status: u16,
    pub latency_ms: f64,
    /// Orchestrator → worker → orchestrator, as the server measured it.
    pub duration_ms: f64,
    pub sent_s: f64,
}

pub async fn run(ctx: &Context) -> anyhow::Result<()> {
    let o = &ctx.scenario.stages.overhead;
    let spec = serde_json::json!({
        "name": FUNCTION,
        "source_code": "def handler(event, context):\n    return event\n",
        "edge_supported": true,
        "cloud_supported": true,
        "example_inputs": [[1, 2, 3]],
        "allow_transfer": false,
    });
    ctx.api.create(&spec).await?;
    ctx.api.wait_ready(FUNCTION, Duration::from_secs(300)).await?;
    let event = Arc::new(b"[1]".to_vec());
    let mut rows = Vec::new();
    for policy in &o.policies {
        let mut loads: Vec<(usize, Shape, usize)> = o.rates.iter().map(|&rate| (rate, Shape::Open { rate }, rate * o.seconds)).collect();
        if o.max_users > 0 && o.max_requests > 0 {
            loads.push((0, Shape::Closed { users: o.max_users }, o.max_requests));
        }
        for (rate, shape, count) in loads {
            let requests = (0..count)
                .map(|tag| Request { function: FUNCTION.into(), event: event.clone(), policy: Some(policy.clone()), tag })
                .collect();
            let label = if rate == 0 { format!("{policy} max") } else { format!("{policy} {rate}/s") };
            for record in drive(ctx.api.base(), requests, shape, ctx.bar(&label, count as u64)).await? {
                let i = record.invoked;
                rows.push(OverheadRow {
                    policy: policy.clone(),
                    rate,
                    worker: i.worker,
                    status: i.status,
                    latency_ms: i.latency_ms,
                    duration_ms: i.duration_ms,
                    sent_s: record.sent_s,
                });
            }
        }
    }
    ctx.run.write_csv("overhead.csv", &rows)
}
