//! The import pipeline: problems → accepted Python 3 solutions (a seeded
//! sample per problem) → handlers → verification against the problem's
//! sample → generated test cases.
//!
//! Samples are read where CodeNet keeps them,
//! `derived/input_output/data/<problem>/{input,output}.txt`. A solution that
//! fails its sample, or cannot be checked, is reported and skipped: nothing
//! unverified is ever used.

use std::path::{Path, PathBuf};

use hetfaas_api::seed::stable_hash;
use rand::SeedableRng;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use serde::{Deserialize, Serialize};

use crate::handler::render;
use crate::metadata::{MetadataError, Submission, read_metadata};
use crate::runner::{check, resolve_python, run_handler};
use crate::spec::{InputSpec, SpecError};
use crate::tree::Tree;

#[derive(Debug, Clone)]
pub struct ImportOptions {
    pub dataset: PathBuf,
    pub specs: PathBuf,
    pub problems: Vec<String>,
    pub per_problem: usize,
    pub seed: u64,
    /// Test cases generated per problem (the dissertation used 1000).
    pub cases: usize,
    pub python: PathBuf,
    /// Where handlers are written to be verified (and kept).
    pub work_dir: PathBuf,
}

/// A verified handler, ready to deploy.
#[derive(Debug, Clone)]
pub struct Imported {
    pub name: String,
    pub submission: Submission,
    pub original: String,
    pub handler: String,
    /// Generated test cases (standard inputs) of its problem.
    pub cases: Vec<String>,
    pub dir: PathBuf,
}

/// One line of `verification.csv`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VerificationRow {
    pub problem: String,
    pub submission: String,
    /// `imported`, `failed` (its sample), or `excluded` (never tried).
    pub status: String,
    pub sample_result: String,
    pub reason: String,
}

#[derive(Debug, Default)]
pub struct ImportReport {
    pub imported: Vec<Imported>,
    pub rows: Vec<VerificationRow>,
}

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error(transparent)]
    Metadata(#[from] MetadataError),
    #[error(transparent)]
    Spec(#[from] SpecError),
    #[error("no input spec for {problem} at {path}: write one (see codenet_loader::spec)")]
    NoSpec { problem: String, path: PathBuf },
    #[error("cannot write {path}: {detail}")]
    Write { path: PathBuf, detail: String },
}

pub fn import(options: &ImportOptions, tree: &Tree) -> Result<ImportReport, ImportError> {
    let mut report = ImportReport::default();
    let options = ImportOptions { python: resolve_python(&options.python), ..options.clone() };
    for problem in &options.problems {
        import_problem(&options, tree, problem, &mut report)?;
    }
    Ok(report)
}

fn import_problem(options: &ImportOptions, tree: &Tree, problem: &str, report: &mut ImportReport) -> Result<(), ImportError> {
    let spec_path = options.specs.join(format!("{problem}.toml"));
    let spec_text =
        std::fs::read_to_string(&spec_path).map_err(|_| ImportError::NoSpec { problem: problem.to_owned(), path: spec_path.clone() })?;
    let spec = InputSpec::parse(&spec_text)?;
    let mut candidates = Vec::new();
    for submission in read_metadata(tree, problem)? {
        match submission.exclusion() {
            None => candidates.push(submission),
            Some(reason) if submission.language == "Python" => report.rows.push(row(&submission, "excluded", "", &reason)),
            Some(_) => {}
        }
    }
    let mut rng = StdRng::seed_from_u64(options.seed ^ stable_hash(problem));
    candidates.shuffle(&mut rng);
    candidates.truncate(options.per_problem);
    let cases: Vec<String> = (0..options.cases).map(|_| spec.generate(&mut rng)).collect::<Result<_, _>>()?;
    let sample = read_sample(tree, problem);
    for submission in candidates {
        let outcome = prepare(options, tree, &submission, &spec, sample.as_ref());
        match outcome {
            Ok((original, handler, dir)) => {
                report.rows.push(row(&submission, "imported", "pass", ""));
                report.imported.push(Imported {
                    name: submission.function_name(),
                    submission,
                    original,
                    handler,
                    cases: cases.clone(),
                    dir,
                });
            }
            Err((result, reason)) => report.rows.push(row(&submission, "failed", result, &reason)),
        }
    }
    Ok(())
}

fn row(s: &Submission, status: &str, sample_result: &str, reason: &str) -> VerificationRow {
    VerificationRow {
        problem: s.problem_id.clone(),
        submission: s.submission_id.clone(),
        status: status.into(),
        sample_result: sample_result.into(),
        reason: reason.into(),
    }
}

fn read_sample(tree: &Tree, problem: &str) -> Option<(String, String)> {
    let dir = Path::new("derived/input_output/data").join(problem);
    Some((tree.read(&dir.join("input.txt")).ok()?, tree.read(&dir.join("output.txt")).ok()?))
}

type Prepared = (String, String, PathBuf);

/// Renders and verifies one submission; on failure, the sample result and
/// the reason.
fn prepare(
    options: &ImportOptions,
    tree: &Tree,
    s: &Submission,
    spec: &InputSpec,
    sample: Option<&(String, String)>,
) -> Result<Prepared, (&'static str, String)> {
    let original = tree.read(&s.source_path()).map_err(|e| ("unread", format!("cannot read {}: {e}", s.source_path().display())))?;
    let handler = render(&s.problem_id, &s.submission_id, &original);
    let dir = options.work_dir.join(s.function_name());
    let main_py = dir.join("main.py");
    std::fs::create_dir_all(&dir)
        .and_then(|()| std::fs::write(&main_py, &handler))
        .map_err(|e| ("unrun", format!("cannot write {}: {e}", main_py.display())))?;
    let (input, expected) = sample.ok_or(("no sample", "the problem has no sample input/output to verify against".to_owned()))?;
    let outputs = run_handler(&options.python, &main_py, std::slice::from_ref(input)).map_err(|e| ("error", e))?;
    if !check(&spec.checker, &outputs[0], expected) {
        return Err(("wrong", format!("printed {:?}, expected {:?}", truncate(&outputs[0]), truncate(expected))));
    }
    Ok((original, handler, dir))
}

fn truncate(text: &str) -> String {
    text.chars().take(80).collect()
}

/// Writes each imported handler's directory (`main.py`, `original.py`,
/// `cases.json`) under `out`, and `verification.csv`.
pub fn write_out(report: &ImportReport, out: &Path) -> Result<(), ImportError> {
    let fail = |path: &Path, e: &dyn std::fmt::Display| ImportError::Write { path: path.to_owned(), detail: e.to_string() };
    for f in &report.imported {
        let dir = out.join(&f.name);
        std::fs::create_dir_all(&dir).map_err(|e| fail(&dir, &e))?;
        let cases = serde_json::to_string(&f.cases).expect("strings serialise");
        for (file, text) in [("main.py", f.handler.as_str()), ("original.py", f.original.as_str()), ("cases.json", cases.as_str())] {
            std::fs::write(dir.join(file), text).map_err(|e| fail(&dir.join(file), &e))?;
        }
    }
    let path = out.join("verification.csv");
    let mut writer = csv::Writer::from_path(&path).map_err(|e| fail(&path, &e))?;
    for row in &report.rows {
        writer.serialize(row).map_err(|e| fail(&path, &e))?;
    }
    writer.flush().map_err(|e| fail(&path, &e))
}
