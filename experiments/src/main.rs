//! `experiment`: the research harness's entry point. Today it lists the
//! scenarios in `scenarios/` and the runs stored under `results/`; running
//! scenarios, load and figures arrive with the harness itself.

use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "experiment", version, about = "Run hetfaas scenarios and render their results.")]
struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// List scenario files and stored runs.
    List {
        #[arg(long, default_value = "scenarios")]
        scenarios: PathBuf,
        #[arg(long, default_value = "results")]
        results: PathBuf,
    },
}

fn main() -> anyhow::Result<()> {
    match Args::parse().command {
        Command::List { scenarios, results } => list(&scenarios, &results),
    }
}

fn list(scenarios: &Path, results: &Path) -> anyhow::Result<()> {
    println!("scenarios in {}:", scenarios.display());
    for path in entries(scenarios)?.into_iter().filter(|p| p.extension().is_some_and(|e| e == "toml")) {
        println!("  {}", path.display());
    }
    println!("runs in {}:", results.display());
    for scenario in entries(results)?.into_iter().filter(|p| p.is_dir()) {
        for run in entries(&scenario)?.into_iter().filter(|p| p.is_dir()) {
            println!("  {}", run.display());
        }
    }
    Ok(())
}

fn entries(dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    if !dir.exists() {
        return Ok(Vec::new());
    }
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("reading {}", dir.display()))?
        .map(|e| e.map(|e| e.path()))
        .collect::<Result<_, _>>()?;
    paths.sort();
    Ok(paths)
}
