//! Stage `train`: creates every imported function through the HTTP API, one
//! after another (so each can transfer from those before it), and records
//! what its training cost and which path it took. Writes `train.csv`.

use std::time::Duration;

use hetfaas_api::function::{MAX_EXAMPLE_BYTES, MAX_EXAMPLE_ELEMENT_BYTES};
use hetfaas_api::{FunctionSpec, State, TrainingPath, TrainingReport};

use codenet_loader::import::Imported;

use super::Context;
use crate::results::{TrainRow, format_trained};

/// How a function may be trained: in full, by transfer from whichever
/// trained function is most similar, or by transfer from a chosen one.
#[derive(Debug, Clone, Copy)]
pub enum Training<'a> {
    Own,
    Similar,
    From(&'a str),
}

/// The cases sent as examples: those that fit the API's limits (each case
/// under `MAX_EXAMPLE_ELEMENT_BYTES`, all of them under
/// `MAX_EXAMPLE_BYTES`), in their generated (seeded, random) order. The
/// harness's own events still draw from every case.
pub fn example_cases(cases: &[String]) -> Vec<&String> {
    let mut used = 2; // the list's brackets
    cases
        .iter()
        .map(|c| (c, serde_json::to_string(c).map_or(usize::MAX, |s| s.len())))
        .filter(|&(_, len)| len <= MAX_EXAMPLE_ELEMENT_BYTES)
        .take_while(|&(_, len)| {
            used += len + 1;
            used <= MAX_EXAMPLE_BYTES
        })
        .map(|(c, _)| c)
        .collect()
}

/// The create body for an imported handler: its cases (as many as fit) are
/// the example inputs training draws events from.
pub fn spec(f: &Imported, name: &str, training: Training) -> FunctionSpec {
    FunctionSpec {
        example_inputs: vec![serde_json::to_value(example_cases(&f.cases)).expect("strings serialise")],
        timeout_s: 120,
        allow_transfer: !matches!(training, Training::Own),
        transfer_from: match training {
            Training::From(source) => Some(source.to_owned()),
            Training::Own | Training::Similar => None,
        },
        ..FunctionSpec::new(name, &f.handler)
    }
}

/// Creates a function, waits for training, and reads its report.
pub async fn create_and_train(ctx: &Context, f: &Imported, name: &str, training: Training<'_>) -> anyhow::Result<TrainRow> {
    ctx.api.create(&spec(f, name, training)).await?;
    let ready = ctx.api.wait_settled(name, Duration::from_secs(1800)).await?;
    anyhow::ensure!(ready.state == State::Ready, "{name} failed: {}", ready.reason.unwrap_or_default());
    let report = ready.training.ok_or_else(|| anyhow::anyhow!("{name} is ready without a training report"))?;
    let families = ready
        .models
        .iter()
        .map(|(worker, m)| {
            let lines = if m.line.held_back.is_some() { " + held back" } else { "" };
            format!("{worker}={}{lines}:{}", m.line.family.as_str(), m.validation_mape.map_or("-".into(), |e| format!("{e:.1}")))
        })
        .collect::<Vec<_>>()
        .join(";");
    Ok(TrainRow { families, ..row(name, &f.submission.problem_id, example_cases(&f.cases).len(), report) })
}

fn row(function: &str, problem: &str, example_cases: usize, t: TrainingReport) -> TrainRow {
    let similarity = t.similarity.as_ref();
    TrainRow {
        function: function.to_owned(),
        problem: problem.to_owned(),
        path: path_label(t.path).into(),
        source: t.source.unwrap_or_default(),
        invocations: t.invocations,
        failed_invocations: t.failed_invocations,
        wall_ms: t.wall_ms,
        cluster: t.cluster.map(|c| c as u64),
        distance: similarity.and_then(|d| d.distance.distance),
        distance_nearest: similarity.and_then(|d| d.distance.nearest.clone()).unwrap_or_default(),
        distance_matched: similarity.is_some_and(|d| d.distance.matched),
        paper_difference: similarity.and_then(|d| d.paper.difference),
        paper_source: similarity.and_then(|d| d.paper.source.clone()).unwrap_or_default(),
        trained_sizes: format_trained(&t.trained_sizes),
        example_cases,
        families: String::new(),
    }
}

/// How a path is written in the CSVs.
pub fn path_label(path: TrainingPath) -> &'static str {
    match path {
        TrainingPath::Full => "full",
        TrainingPath::Transfer => "transfer",
    }
}

pub async fn run(ctx: &mut Context) -> anyhow::Result<()> {
    let bar = ctx.bar("train", ctx.imported.len() as u64);
    let mut rows = Vec::new();
    for f in &ctx.imported {
        rows.push(create_and_train(ctx, f, &f.name, Training::Similar).await?);
        bar.inc(1);
    }
    bar.finish_and_clear();
    let transferred = rows.iter().filter(|r| r.path == "transfer").count();
    ctx.say(&format!("train: {} functions ready, {transferred} by transfer", rows.len()));
    ctx.run.write(&rows)
}

#[cfg(test)]
mod tests {
    use hetfaas_api::FunctionSpec;

    use super::*;

    #[test]
    fn examples_are_the_cases_that_fit_the_api_limits() {
        let cases: Vec<String> = (0..400).map(|i| if i == 3 { "x".repeat(70_000) } else { format!("{i} {}", "7".repeat(5000)) }).collect();
        let sent = example_cases(&cases);
        assert!(!sent.iter().any(|c| c.len() > MAX_EXAMPLE_ELEMENT_BYTES), "a case over 64 KB is left out");
        assert_eq!(sent[3], &cases[4], "the rest keep their order");
        assert!(sent.len() > 150 && sent.len() < 399, "as many as fit in 1 MB: {}", sent.len());
        let spec = FunctionSpec { example_inputs: vec![serde_json::to_value(&sent).unwrap()], ..FunctionSpec::new("f", "x = 1") };
        assert_eq!(spec.validate(), Ok(()), "the create body passes the API's own check");
        let few: Vec<String> = (0..10).map(|i| i.to_string()).collect();
        assert_eq!(example_cases(&few).len(), 10, "small sets go whole");
    }
}
