//! Stage `train`: creates every imported function through the HTTP API, one
//! after another (so each can transfer from those before it), and records
//! what its training cost and which path it took. Writes `train.csv`.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use codenet_loader::import::Imported;

use super::Context;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TrainRow {
    pub function: String,
    pub problem: String,
    pub path: String,
    pub source: String,
    pub invocations: u64,
    pub failed_invocations: u64,
    pub wall_ms: f64,
    pub cluster: Option<u64>,
    pub distance: Option<f64>,
    pub distance_nearest: String,
    pub distance_matched: bool,
    pub paper_difference: Option<f64>,
    pub paper_source: String,
}

/// The create body for an imported handler: its cases are the example
/// inputs training draws events from.
pub fn spec(f: &Imported, name: &str, allow_transfer: bool) -> Value {
    json!({
        "name": name,
        "source_code": f.handler,
        "edge_supported": true,
        "cloud_supported": true,
        "example_inputs": [f.cases],
        "timeout_s": 120,
        "allow_transfer": allow_transfer,
    })
}

/// Creates a function, waits for training, and reads its report.
pub async fn create_and_train(ctx: &Context, f: &Imported, name: &str, allow_transfer: bool) -> anyhow::Result<TrainRow> {
    ctx.api.create(&spec(f, name, allow_transfer)).await?;
    let ready = ctx.api.wait_ready(name, Duration::from_secs(1800)).await?;
    Ok(row(name, &f.submission.problem_id, &ready["training"]))
}

fn row(function: &str, problem: &str, t: &Value) -> TrainRow {
    let text = |v: &Value| v.as_str().unwrap_or_default().to_owned();
    TrainRow {
        function: function.to_owned(),
        problem: problem.to_owned(),
        path: text(&t["path"]),
        source: text(&t["source"]),
        invocations: t["invocations"].as_u64().unwrap_or(0),
        failed_invocations: t["failed_invocations"].as_u64().unwrap_or(0),
        wall_ms: t["wall_ms"].as_f64().unwrap_or(f64::NAN),
        cluster: t["cluster"].as_u64(),
        distance: t["similarity"]["distance"]["distance"].as_f64(),
        distance_nearest: text(&t["similarity"]["distance"]["nearest"]),
        distance_matched: t["similarity"]["distance"]["matched"].as_bool().unwrap_or(false),
        paper_difference: t["similarity"]["paper"]["difference"].as_f64(),
        paper_source: text(&t["similarity"]["paper"]["source"]),
    }
}

pub async fn run(ctx: &mut Context) -> anyhow::Result<()> {
    let bar = ctx.bar("train", ctx.imported.len() as u64);
    let mut rows = Vec::new();
    for f in &ctx.imported {
        rows.push(create_and_train(ctx, f, &f.name, true).await?);
        bar.inc(1);
    }
    bar.finish_and_clear();
    let transferred = rows.iter().filter(|r| r.path == "transfer").count();
    ctx.say(&format!("train: {} functions ready, {transferred} by transfer", rows.len()));
    ctx.run.write_csv("train.csv", &rows)
}
