//! `experiment`: run a scenario, re-render a stored run, or list them.

use std::path::{Path, PathBuf};

use clap::{Args, Parser, Subcommand};

use hetfaas_experiments::results::RunDir;
use hetfaas_experiments::runner::{RunOptions, render, run};

#[derive(Parser)]
#[command(
    name = "experiment",
    version,
    about = "Run hetfaas scenarios and render their results.",
    long_about = "experiment SCENARIO.toml runs a scenario end to end (import, train, cleaning, regression, accuracy, \
                  transfer, policies) and writes raw rows to results/<scenario>/<run-id>/, figures (PNG and SVG) to \
                  figures/<scenario>/, and report.md into the run directory.",
    args_conflicts_with_subcommands = true
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    run: RunArgs,
}

#[derive(Args)]
struct RunArgs {
    /// The scenario to run, e.g. scenarios/quick.toml.
    scenario: Option<PathBuf>,
    /// Use a running `hetfaas serve` at this URL instead of starting one in process.
    #[arg(long)]
    target: Option<String>,
    /// Where run directories are created.
    #[arg(long, default_value = "results")]
    results: PathBuf,
    /// Where figures are written (a directory per scenario inside).
    #[arg(long, default_value = "figures")]
    figures: PathBuf,
    /// No progress bars (for CI and logs).
    #[arg(long)]
    quiet: bool,
}

#[derive(Subcommand)]
enum Command {
    /// Re-draw the figures and report.md of a stored run from its CSVs alone.
    Plot {
        /// A run directory, e.g. results/quick/20261127T140000Z.
        run: PathBuf,
        #[arg(long, default_value = "figures")]
        figures: PathBuf,
    },
    /// List scenario files and stored runs.
    List {
        #[arg(long, default_value = "scenarios")]
        scenarios: PathBuf,
        #[arg(long, default_value = "results")]
        results: PathBuf,
    },
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "warn".into()))
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    match cli.command {
        Some(Command::Plot { run, figures }) => {
            let run = RunDir::open(&run)?;
            let made = render(&run, &figures)?;
            println!("{} figures and {} re-drawn", made.len(), run.path("report.md").display());
        }
        Some(Command::List { scenarios, results }) => list(&scenarios, &results)?,
        None => {
            let Some(scenario) = cli.run.scenario else {
                anyhow::bail!("name a scenario to run (e.g. scenarios/quick.toml), or a subcommand; see --help");
            };
            let options =
                RunOptions { scenario, target: cli.run.target, results: cli.run.results, figures: cli.run.figures, quiet: cli.run.quiet };
            let run = run(&options).await?;
            println!("results: {}\nreport:  {}", run.dir.display(), run.path("report.md").display());
            println!("figures: {}", options.figures.join(run.scenario()).display());
        }
    }
    Ok(())
}

fn list(scenarios: &Path, results: &Path) -> anyhow::Result<()> {
    println!("scenarios in {}:", scenarios.display());
    for path in entries(scenarios)?.into_iter().filter(|p| p.extension().is_some_and(|e| e == "toml")) {
        println!("  {}", path.display());
    }
    println!("runs in {}:", results.display());
    for scenario in entries(results)?.into_iter().filter(|p| p.is_dir()) {
        for run in entries(&scenario)?.into_iter().filter(|p| p.join("summary.json").exists()) {
            println!("  {}", run.display());
        }
    }
    Ok(())
}

fn entries(dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    if !dir.exists() {
        return Ok(Vec::new());
    }
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)?.map(|e| e.map(|e| e.path())).collect::<Result<_, _>>()?;
    paths.sort();
    Ok(paths)
}
