//! Stage `accuracy` (dissertation 5.4, figures 5.1-5.4): each measured
//! function is invoked on each worker at the seen and unseen sizes,
//! `repetitions` times each, one at a time through goose, and the
//! prediction behind each call is set against what it took. Twice: with
//! incremental learning off, then on. Writes `accuracy.csv`.

use hetfaas::function::Tier;
use hetfaas_api::{Incremental, PolicyKind};

use super::{Context, event};
use crate::load::{Request, Shape, drive};
use crate::results::AccuracyRow;

struct Planned {
    function: String,
    kind: &'static str,
    size: u64,
}

/// One policy per tier that has workers: `edge-only`, `cloud-only`. Each
/// pins a request to its tier; the worker that ran it is in the response.
fn tier_policies(ctx: &Context) -> Vec<PolicyKind> {
    let mut policies = Vec::new();
    for w in &ctx.scenario.orchestrator.workers {
        let policy = match w.tier {
            Tier::Edge => PolicyKind::EdgeOnly,
            Tier::Cloud => PolicyKind::CloudOnly,
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
    for (mode, label) in [(Incremental::Off, "off"), (Incremental::SufficientStatistics, "on")] {
        ctx.api.set_learning(mode).await?;
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
                            policy: Some(policy),
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
            rows.push(AccuracyRow {
                incremental: label.into(),
                function: p.function.clone(),
                worker: record.placement.worker.clone(),
                kind: p.kind.into(),
                input_size: p.size,
                predicted_ms: record.placement.predicted_for_worker().unwrap_or(f64::NAN),
                actual_ms: record.placement.duration_ms,
                latency_ms: record.latency_ms,
                status: record.status,
            });
        }
    }
    ctx.api.set_learning(ctx.scenario.orchestrator.learning.incremental).await?;
    ctx.run.write(&rows)
}
