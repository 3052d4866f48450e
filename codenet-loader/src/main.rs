//! `codenet-import`: see what an import produces. Selects accepted Python 3
//! solutions of the given problems, turns each into a handler, verifies it
//! against the problem's sample, generates test cases, and writes one
//! directory per imported solution plus `verification.csv`.

use std::path::PathBuf;

use anyhow::Context;
use clap::Parser;
use codenet_loader::import::{ImportOptions, import, write_out};
use codenet_loader::tree::Tree;

#[derive(Parser)]
#[command(name = "codenet-import", version, about)]
struct Args {
    /// Root of a CodeNet tree (a full download or datasets/codenet-sample).
    #[arg(long)]
    dataset: PathBuf,
    /// Problem ids, comma-separated (p00002,p02402).
    #[arg(long, value_delimiter = ',', required = true)]
    problems: Vec<String>,
    /// Directory of input specs, one <problem>.toml each.
    #[arg(long)]
    specs: PathBuf,
    /// Accepted solutions sampled per problem.
    #[arg(long, default_value_t = 5)]
    per_problem: usize,
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Test cases generated per problem.
    #[arg(long, default_value_t = 1000)]
    cases: usize,
    /// Where to write the handlers and verification.csv.
    #[arg(long)]
    out: PathBuf,
    #[arg(long, default_value = "python3")]
    python: PathBuf,
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let options = ImportOptions {
        dataset: args.dataset.clone(),
        specs: args.specs,
        problems: args.problems,
        per_problem: args.per_problem,
        seed: args.seed,
        cases: args.cases,
        python: args.python,
        work_dir: args.out.clone(),
    };
    let tree = Tree::new(&args.dataset);
    let report = import(&options, &tree).context("importing")?;
    write_out(&report, &args.out).context("writing the import")?;
    let failed = report.rows.iter().filter(|r| r.status == "failed").count();
    let excluded = report.rows.iter().filter(|r| r.status == "excluded").count();
    println!(
        "imported {} handlers into {} ({failed} failed verification, {excluded} excluded); details in verification.csv",
        report.imported.len(),
        args.out.display()
    );
    Ok(())
}
