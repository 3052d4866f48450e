//! The hetfaas research harness: scenarios that import CodeNet-layout
//! functions (the bundled sample, or a real CodeNet download), train and evaluate the orchestrator's predictors, load-test
//! its routing policies with goose, and render the figures and tables of a
//! write-up.
//!
//! - [`scenario`]: the TOML file describing a run;
//! - [`runner`]: start the orchestrator, run the stages, render;
//! - [`stages`]: `import`, `train`, `cleaning`/`regression`, `accuracy`,
//!   `transfer`, `policies`, each writing one CSV of raw rows;
//! - [`load`]: goose-driven invocation load;
//! - [`results`]: the run directory and the schema of every CSV in it;
//! - [`steadiness`]: how steady the machine's CPU was beside each stage;
//! - [`figures`], [`report`], [`reproduction`], [`stats`]: the PNG/SVG
//!   figures and `report.md` (with the dissertation's numbers beside the
//!   run's), re-creatable from the CSVs alone, with one percentile rule.
//!
//! It talks to the orchestrator only through `hetfaas_api::Client`, like
//! any client, so it works as well against a remote `hetfaas serve`.

pub mod arrivals;
pub mod figures;
pub mod load;
pub mod report;
pub mod reproduction;
pub mod results;
pub mod runner;
pub mod scenario;
pub mod stages;
pub mod stats;
pub mod steadiness;
