//! codenet-loader: reads an IBM Project CodeNet tree (or the sample in
//! `datasets/codenet-sample`) and turns accepted Python 3 solutions into
//! Lambda-style handlers, automatically and checked.
//!
//! - [`tree`]: file-by-file access that never walks the 14-million-file tree;
//! - [`metadata`]: `metadata/<problem>.csv`, and which submissions qualify;
//! - [`handler`]: the refactor of a program into `handler(event, context)`;
//! - [`spec`]: input specs, seeded generators of valid test cases;
//! - [`runner`]: running a handler with `python3`, and output checkers;
//! - [`import`]: the whole pipeline, and `verification.csv`.
//!
//! ```no_run
//! use codenet_loader::import::{ImportOptions, import, write_out};
//! use codenet_loader::tree::Tree;
//!
//! let options = ImportOptions {
//!     dataset: "datasets/codenet-sample".into(),
//!     specs: "datasets/specs".into(),
//!     problems: vec!["p00002".into()],
//!     per_problem: 3,
//!     seed: 42,
//!     cases: 1000,
//!     python: "python3".into(),
//!     work_dir: "imported".into(),
//! };
//! let tree = Tree::new(&options.dataset);
//! let report = import(&options, &tree)?;
//! write_out(&report, "imported".as_ref())?;
//! # Ok::<(), codenet_loader::import::ImportError>(())
//! ```

pub mod handler;
pub mod import;
pub mod metadata;
pub mod runner;
pub mod spec;
pub mod tree;
