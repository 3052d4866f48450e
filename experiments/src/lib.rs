//! The hetfaas research harness: scenarios that import real CodeNet
//! functions, train and evaluate the orchestrator's predictors, load-test
//! its routing policies with goose, and render the figures and tables of a
//! write-up.
//!
//! - [`scenario`]: the TOML file describing a run;
//! - [`runner`]: start the orchestrator, run the stages, render;
//! - [`stages`]: `import`, `train`, `cleaning`/`regression`, `accuracy`,
//!   `transfer`, `policies`, each writing one CSV of raw rows;
//! - [`load`]: goose-driven invocation load;
//! - [`client`]: the orchestrator's HTTP API, as any client sees it;
//! - [`results`], [`figures`], [`report`]: the run directory, the PNG/SVG
//!   figures and `report.md`, all re-creatable from the CSVs.

pub mod client;
pub mod figures;
pub mod load;
pub mod report;
pub mod results;
pub mod runner;
pub mod scenario;
pub mod stages;
