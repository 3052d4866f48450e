//! The stages of a scenario, run in order. Each writes its raw rows to one
//! CSV in the run directory (the row types are in `crate::results`);
//! figures and the report are made from those CSVs alone (see
//! `crate::runner::render`).

pub mod accuracy;
pub mod cleaning;
pub mod cold_starts;
pub mod import;
pub mod overhead;
pub mod overload;
pub mod policies;
pub mod soak;
pub mod train;
pub mod transfer;

use std::sync::Arc;

use indicatif::{MultiProgress, ProgressBar, ProgressStyle};
use rand::SeedableRng;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;

use codenet_loader::import::Imported;

use hetfaas_api::Client;

use crate::results::RunDir;
use crate::scenario::Scenario;

/// What every stage can reach.
pub struct Context {
    pub scenario: Scenario,
    pub run: RunDir,
    pub api: Client,
    pub imported: Vec<Imported>,
    /// Worker names in configuration order.
    pub workers: Vec<String>,
    /// When the current stage began: the clock of its rows' times and of
    /// the steadiness probe's runs beside it.
    pub stage_started: std::time::Instant,
    progress: Option<MultiProgress>,
}

impl Context {
    pub fn new(scenario: Scenario, run: RunDir, api: Client, workers: Vec<String>, quiet: bool) -> Context {
        let progress = (!quiet).then(MultiProgress::new);
        Context { scenario, run, api, imported: Vec::new(), workers, stage_started: std::time::Instant::now(), progress }
    }

    /// A progress bar with counts and ETA, or a hidden one with `--quiet`.
    pub fn bar(&self, stage: &str, len: u64) -> ProgressBar {
        let Some(multi) = &self.progress else { return ProgressBar::hidden() };
        let bar = multi.add(ProgressBar::new(len));
        bar.set_style(
            ProgressStyle::with_template("{prefix:>10} [{bar:30}] {pos}/{len} {elapsed_precise} eta {eta}")
                .expect("valid template")
                .progress_chars("=> "),
        );
        bar.set_prefix(stage.to_owned());
        bar
    }

    /// Tells the user something without breaking the progress bars.
    pub fn say(&self, line: &str) {
        match &self.progress {
            Some(multi) => {
                let _ = multi.println(line);
            }
            None => tracing::info!("{line}"),
        }
    }

    /// A seeded generator for one purpose, so stages do not disturb each
    /// other's draws.
    pub fn rng(&self, purpose: &str) -> StdRng {
        StdRng::seed_from_u64(self.scenario.seed ^ hetfaas_api::seed::stable_hash(purpose))
    }

    /// The first `n` imported functions, one per problem first, so that
    /// figures show different problems before different solutions.
    pub fn charted(&self, n: usize) -> Vec<&Imported> {
        let mut firsts: Vec<&Imported> = Vec::new();
        let mut rest: Vec<&Imported> = Vec::new();
        for f in &self.imported {
            if firsts.iter().any(|g| g.submission.problem_id == f.submission.problem_id) {
                rest.push(f);
            } else {
                firsts.push(f);
            }
        }
        firsts.into_iter().chain(rest).take(n).collect()
    }
}

/// An event of `size` test cases drawn from the function's cases.
pub fn event(f: &Imported, size: u64, rng: &mut StdRng) -> Arc<Vec<u8>> {
    let cases: Vec<&String> = (0..size).filter_map(|_| f.cases.choose(rng)).collect();
    Arc::new(serde_json::to_vec(&cases).expect("strings serialise"))
}
