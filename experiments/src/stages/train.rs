//! Stage `train`: creates every imported function through the HTTP API, one
//! after another (so each can transfer from those before it), and records
//! what its training cost and which path it took. Writes `train.csv`.

use std::time::Duration;

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

/// The create body for an imported handler: its cases are the example
/// inputs training draws events from.
pub fn spec(f: &Imported, name: &str, training: Training) -> FunctionSpec {
    FunctionSpec {
        example_inputs: vec![serde_json::to_value(&f.cases).expect("strings serialise")],
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
    Ok(row(name, &f.submission.problem_id, report))
}

fn row(function: &str, problem: &str, t: TrainingReport) -> TrainRow {
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
