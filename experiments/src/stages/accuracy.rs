//! Stage `accuracy` (dissertation 5.4, figures 5.1-5.4): each measured
//! function is invoked on each worker at the seen and unseen sizes,
//! `repetitions` times each, one at a time through goose, and the
//! prediction behind each call is set against what it took. Twice: with
//! incremental learning off, then on.
//!
//! The calls run as training ran them: size by size, the workers taking
//! turns, so a call on one worker follows a call on another. Run back to
//! back on one worker instead, each call under a CPU quota started with
//! what the one before left of the quota's period, which no training call
//! did: in a quick run cut to these stages, `p00002`'s edge calls at size
//! 1000 took 57-61 ms, against 43-58 ms in training at sizes 900-1000, and
//! 10-16% longer than predicted. Functions take their turn one after
//! another, as in training, and each one's turn opens with a call per
//! worker at the smallest seen size, kept apart as `first-call`: the first
//! call of a function after other functions' calls used 2-4 times its
//! usual CPU time (`p00002` at size 10 in two quick runs: 2.2 and 3.3 ms
//! against 0.5-1.0 for the calls after it; 5 ms against 0.15 for `p02388`
//! after minutes without a call), an effect of what ran before, not of the
//! input size. Training meets it once per function, in its warm-up call.
//! The report shows those calls' error apart (`error_sources.rs`).
//!
//! "Seen" and "unseen" are facts, not labels: each model's training report
//! lists the sizes it was trained on, every row is classified against them
//! (`seen` = trained on, `unseen` = beyond the largest, `between` = neither),
//! and the run stops if a size the scenario calls seen was never trained on
//! or one it calls unseen was. The incremental-on pass uses fresh unseen
//! sizes (`unseen_incremental`) so that none of its unseen calls is at a
//! size the off pass already stored. Writes `accuracy.csv`; then measures
//! cold starts (`cold_starts.rs`).

use std::collections::BTreeMap;

use hetfaas::function::Tier;
use hetfaas_api::{Incremental, PolicyKind};

use super::{Context, event};
use crate::load::{Request, Shape, drive};
use crate::results::AccuracyRow;

/// Per function and worker, the sizes its model was trained on.
type Trained = BTreeMap<(String, String), Vec<u64>>;

/// The kind of the calls that open each function's turn in a pass.
pub const FIRST_CALL: &str = "first-call";

struct Planned {
    function: String,
    size: u64,
    first: bool,
}

/// One policy per tier that has workers: `edge-only`, `cloud-only`. Each
/// pins a request to its tier; the worker that ran it is in the response.
pub fn tier_policies(ctx: &Context) -> Vec<PolicyKind> {
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

/// How `size` relates to the sizes a model was trained on.
pub fn classify(size: u64, trained: &[u64]) -> &'static str {
    if trained.contains(&size) {
        "seen"
    } else if trained.iter().all(|&t| t < size) {
        "unseen"
    } else {
        "between"
    }
}

/// Reads every measured function's trained sizes and checks the scenario's
/// seen and unseen sizes against them.
async fn trained_sizes(ctx: &Context, functions: &[String]) -> anyhow::Result<Trained> {
    let a = &ctx.scenario.stages.accuracy;
    let mut trained = Trained::new();
    for function in functions {
        let report = ctx.api.function(function).await?.training;
        for (worker, sizes) in report.map(|r| r.trained_sizes).unwrap_or_default() {
            for (list, want) in [(&a.seen, "seen"), (&a.unseen, "unseen"), (&a.unseen_incremental, "unseen")] {
                if let Some(wrong) = list.iter().find(|&&s| classify(s, &sizes) != want) {
                    anyhow::bail!(
                        "accuracy: size {wrong} is listed as {want} but {function}'s {worker} model was trained on {sizes:?}; \
                         seen sizes must be trained on (the harness adds them to training.minimal_sizes) and unseen ones beyond them"
                    );
                }
            }
            trained.insert((function.clone(), worker), sizes);
        }
    }
    Ok(trained)
}

/// A pass's calls, each to be made once on every worker in turn: function
/// by function, one first call at `first` (the smallest seen size), then
/// each size `repetitions` times.
fn order<'a, F>(functions: &'a [F], sizes: &'a [u64], first: Option<u64>, repetitions: usize) -> impl Iterator<Item = (&'a F, u64, bool)> {
    functions.iter().flat_map(move |f| {
        let calls = sizes.iter().flat_map(move |&size| std::iter::repeat_n((f, size, false), repetitions));
        first.map(|size| (f, size, true)).into_iter().chain(calls)
    })
}

pub async fn run(ctx: &Context) -> anyhow::Result<()> {
    let a = &ctx.scenario.stages.accuracy;
    let functions: Vec<String> = ctx.charted(a.functions).iter().map(|f| f.name.clone()).collect();
    let trained = trained_sizes(ctx, &functions).await?;
    let mut rows = Vec::new();
    for (mode, label, unseen) in [(Incremental::Off, "off", &a.unseen), (Incremental::SufficientStatistics, "on", &a.unseen_incremental)] {
        ctx.api.set_learning(mode).await?;
        let mut plan = Vec::new();
        let mut requests = Vec::new();
        let mut rng = ctx.rng("accuracy");
        let (functions, policies) = (ctx.charted(a.functions), tier_policies(ctx));
        let sizes: Vec<u64> = a.seen.iter().chain(unseen).copied().collect();
        for (f, size, first) in order(&functions, &sizes, a.seen.iter().min().copied(), a.repetitions) {
            for &policy in &policies {
                let event = event(f, size, &mut rng);
                requests.push(Request { function: f.name.clone(), event, policy: Some(policy), tag: plan.len() });
                plan.push(Planned { function: f.name.clone(), size, first });
            }
        }
        let bar = ctx.bar(&format!("accuracy-{label}"), requests.len() as u64);
        for record in drive(ctx.api.base(), requests, Shape::Sequential, bar).await? {
            let p = &plan[record.tag];
            let worker = record.placement.worker.clone();
            let sizes = trained.get(&(p.function.clone(), worker.clone())).map_or(&[][..], Vec::as_slice);
            rows.push(AccuracyRow {
                incremental: label.into(),
                function: p.function.clone(),
                kind: if p.first { FIRST_CALL } else { classify(p.size, sizes) }.into(),
                worker,
                input_size: p.size,
                predicted_ms: record.placement.predicted_for_worker().unwrap_or(f64::NAN),
                actual_ms: record.placement.duration_ms,
                latency_ms: record.latency_ms,
                status: record.status,
                cold: record.placement.cold,
                cpu_ms: record.placement.profile.map(|p| p.cpu_ms),
                throttled_ms: record.placement.profile.and_then(|p| p.throttled_ms),
            });
        }
    }
    ctx.api.set_learning(ctx.scenario.orchestrator.learning.incremental).await?;
    ctx.run.write(&rows)?;
    super::cold_starts::run(ctx, &tier_policies(ctx)).await
}

#[cfg(test)]
mod tests {
    use super::{classify, order};

    #[test]
    fn each_function_opens_with_a_first_call_then_goes_size_by_size() {
        let calls: Vec<(&str, u64, bool)> =
            order(&["f", "g"], &[10, 2000], Some(10), 2).map(|(f, size, first)| (*f, size, first)).collect();
        let f = [("f", 10, true), ("f", 10, false), ("f", 10, false), ("f", 2000, false), ("f", 2000, false)];
        assert_eq!(calls[..5], f);
        assert_eq!(calls[5], ("g", 10, true));
        assert_eq!(calls.len(), 2 * (1 + 2 * 2));
        assert_eq!(order(&["f"], &[10], None, 1).count(), 1, "no seen size, no first call");
    }

    #[test]
    fn sizes_are_classified_by_what_was_trained() {
        let trained = [1, 10, 33, 50, 1000];
        assert_eq!(classify(10, &trained), "seen");
        assert_eq!(classify(1001, &trained), "unseen");
        assert_eq!(classify(500, &trained), "between", "never trained on, yet inside the trained range");
        assert_eq!(classify(5, &[]), "unseen");
    }
}
