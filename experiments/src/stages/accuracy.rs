//! Stage `accuracy` (dissertation 5.4, figures 5.1-5.4): each measured
//! function is invoked on each worker at the seen and unseen sizes,
//! `repetitions` times each, one at a time through goose, and the
//! prediction behind each call is set against what it took. Twice: with
//! incremental learning off, then on. Writes `accuracy.csv`.

use serde::{Deserialize, Serialize};

use super::{Context, event};
use crate::load::{Request, Shape, drive};

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AccuracyRow {
    pub incremental: String,
    pub function: String,
    pub worker: String,
    /// `seen` (a training size) or `unseen`.
    pub kind: String,
    pub input_size: u64,
    pub predicted_ms: f64,
    pub actual_ms: f64,
    pub latency_ms: f64,
    pub status: u16,
}

struct Planned {
    function: String,
    kind: &'static str,
    size: u64,
}

/// One policy per tier that has workers: `edge-only`, `cloud-only`. Each
/// pins a request to its tier; the worker that ran it is in the response.
fn tier_policies(ctx: &Context) -> Vec<&'static str> {
    let mut policies: Vec<&'static str> = Vec::new();
    for w in &ctx.scenario.orchestrator.workers {
        let policy = match w.tier {
            hetfaas::function::Tier::Edge => "edge-only",
            hetfaas::function::Tier::Cloud => "cloud-only",
        };
        if !policies.contains(&policy) {
            policies.push(policy);
        }
    }
    policies
}

pub async fn run(ctx: &Context) -> anyhow::Result<()> {
    let a = &ctx.scenario.stages.accuracy;
    let mut rows = Vec::new();
    for (mode, label) in [("off", "off"), ("sufficient-statistics", "on")] {
        ctx.api.set_incremental(mode).await?;
        let mut plan = Vec::new();
        let mut requests = Vec::new();
        let mut rng = ctx.rng("accuracy");
        for f in ctx.charted(a.functions) {
            for policy in tier_policies(ctx) {
                let sizes = a.seen.iter().map(|s| (*s, "seen")).chain(a.unseen.iter().map(|s| (*s, "unseen")));
                for (size, kind) in sizes {
                    for _ in 0..a.repetitions {
                        requests.push(Request {
                            function: f.name.clone(),
                            event: event(f, size, &mut rng),
                            policy: Some(policy.into()),
                            tag: plan.len(),
                        });
                        plan.push(Planned { function: f.name.clone(), kind, size });
                    }
                }
            }
        }
        let bar = ctx.bar(&format!("accuracy-{label}"), requests.len() as u64);
        for record in drive(ctx.api.base(), requests, Shape::Sequential, bar).await? {
            let p = &plan[record.tag];
            let worker = &record.invoked.worker;
            let predicted = record.invoked.predicted.iter().find(|(w, _)| w == worker).map_or(f64::NAN, |(_, ms)| *ms);
            rows.push(AccuracyRow {
                incremental: label.into(),
                function: p.function.clone(),
                worker: record.invoked.worker.clone(),
                kind: p.kind.into(),
                input_size: p.size,
                predicted_ms: predicted,
                actual_ms: record.invoked.duration_ms,
                latency_ms: record.invoked.latency_ms,
                status: record.invoked.status,
            });
        }
    }
    let configured = serde_json::to_value(ctx.scenario.orchestrator.learning.incremental)?;
    ctx.api.set_incremental(configured.as_str().unwrap_or("sufficient-statistics")).await?;
    ctx.run.write_csv("accuracy.csv", &rows)
}
