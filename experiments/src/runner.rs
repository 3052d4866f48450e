//! Running a scenario end to end: start the orchestrator (in process, on an
//! ephemeral port, or use `--target`), run the stages in order with the
//! steadiness probe beside each, write the summary and environment, then
//! draw the figures and the report.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::Context as _;

use hetfaas::server::Server;
use hetfaas_api::Client;

use crate::results::{RunDir, environment};
use crate::scenario::{Scenario, Stage, hash};
use crate::stages::{self, Context};
use crate::steadiness::Probe;
use crate::{figures, report};

#[derive(Debug, Clone)]
pub struct RunOptions {
    pub scenario: PathBuf,
    /// A running `hetfaas serve` to use instead of an in-process one.
    pub target: Option<String>,
    pub results: PathBuf,
    pub figures: PathBuf,
    pub quiet: bool,
}

/// Runs the scenario; returns its run directory.
pub async fn run(options: &RunOptions) -> anyhow::Result<RunDir> {
    let (scenario, text) = Scenario::load(&options.scenario)?;
    let run = RunDir::create(&options.results, &scenario.name)?;
    let started = Instant::now();
    let mut config = scenario.orchestrator.clone();
    config.listen = "127.0.0.1:0".parse().expect("a valid address");
    config.data_dir = run.path("orchestrator");
    config.seed = scenario.seed;
    if scenario.runs(Stage::Accuracy) {
        // The sizes the accuracy stage calls seen are trained on, once per
        // worker each, so that "seen" is true of every model (checked there).
        let training = &mut config.training;
        training.minimal_sizes.extend(&scenario.stages.accuracy.seen);
        training.minimal_sizes.sort_unstable();
        training.minimal_sizes.dedup();
    }
    let server = match &options.target {
        Some(_) => None,
        None => Some(Server::start(&config).await.context("starting the in-process orchestrator")?),
    };
    let base = options.target.clone().unwrap_or_else(|| format!("http://{}", server.as_ref().expect("started").addr()));
    let api = Client::new(&base).with_token(config.effective_admin_token());
    let health = api.health().await.context("reading the orchestrator's health")?;
    let workers: Vec<String> = health.workers.iter().map(|w| w.name.clone()).collect();
    let mut ctx = Context::new(scenario.clone(), run.clone(), api, workers, options.quiet);
    let timings = run_stages(&mut ctx, server.is_some()).await;
    if let Some(server) = server {
        server.shutdown().await;
    }
    let timings = timings?;
    let summary = serde_json::json!({
        "scenario": scenario.name,
        "seed": scenario.seed,
        "scenario_hash": hash(&text),
        "functions": ctx.imported.iter().map(|f| f.name.clone()).collect::<Vec<_>>(),
        "stage_seconds": timings,
        "wall_seconds": started.elapsed().as_secs_f64(),
        "target": options.target.clone().unwrap_or_else(|| "in-process".into()),
    });
    run.write_json("summary.json", &summary)?;
    let details: serde_json::Map<String, serde_json::Value> = health.workers.iter().map(|w| (w.name.clone(), w.details.clone())).collect();
    run.write_json("environment.json", &environment(&hash(&text), scenario.seed, &serde_json::Value::Object(details)))?;
    std::fs::write(run.path("scenario.toml"), text)?;
    render(&run, &options.figures)?;
    Ok(run)
}

/// Runs the scenario's plan: its stages in their fixed order, with
/// `import` and `train` whenever a later stage needs functions.
async fn run_stages(ctx: &mut Context, in_process: bool) -> anyhow::Result<serde_json::Map<String, serde_json::Value>> {
    let regression = ctx.scenario.runs(Stage::Regression);
    let mut timings = serde_json::Map::new();
    let mut steadiness = Vec::new();
    for stage in ctx.scenario.plan() {
        ctx.stage_started = Instant::now();
        let probe = match ctx.scenario.probe_interval_ms {
            0 => None,
            interval => Some(Probe::start(interval, ctx.stage_started)?),
        };
        match stage {
            Stage::Import => stages::import::run(ctx)?,
            Stage::Train => stages::train::run(ctx).await?,
            Stage::Cleaning | Stage::Regression => stages::cleaning::run(ctx, regression).await?,
            Stage::Accuracy => stages::accuracy::run(ctx).await?,
            Stage::Transfer => stages::transfer::run(ctx).await?,
            Stage::Policies => stages::policies::run(ctx).await?,
            Stage::Overload => stages::overload::run(ctx).await?,
            Stage::Soak => stages::soak::run(ctx, in_process).await?,
            Stage::Overhead => stages::overhead::run(ctx).await?,
        }
        let seconds = ctx.stage_started.elapsed().as_secs_f64();
        if let Some(probe) = probe {
            steadiness.extend(probe.stop(&stage.name()).await);
            ctx.run.write(&steadiness)?;
        }
        ctx.say(&format!("{}: done in {seconds:.1} s", stage.name()));
        timings.insert(stage.name(), seconds.into());
    }
    Ok(timings)
}

/// Figures into `<figures>/<scenario>/`, `report.md` into the run.
pub fn render(run: &RunDir, figures_root: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let out = figures_root.join(run.scenario());
    let made = figures::render(run, &out)?;
    report::write(run, &out)?;
    Ok(made)
}
