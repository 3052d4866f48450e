//! hetfaas: run Function-as-a-Service invocations across edge and cloud
//! workers, placing each request where it is predicted to finish first.
//!
//! The crate follows the dissertation's components, one module each, in
//! layers where each module uses only those below it (ARCHITECTURE.md has
//! the diagram; `tests/layers.rs` checks it):
//!
//! 1. [`function`], [`worker`], [`fault`], [`affinity`]: a function's
//!    lifecycle and event sizes; workers by position; panics and the
//!    failure test hook; which CPUs a process runs on.
//!    (The wire types come from `hetfaas-api`.)
//! 2. [`store`] (`sqlite`; `scylla` with the feature), [`platform`]
//!    (`local`, `node`, `noop`; `lambda`, `knative` with their features),
//!    [`routing`] (the [`routing::Policy`] trait and its policies).
//! 3. [`learning`]: duration models, the learner task, the model cache the
//!    router reads, profiling, clustering and transfer; [`metrics`].
//! 4. [`config`] (every component's section in one file), [`recorder`]
//!    (execution rows written off the response path).
//! 5. [`resource_manager`]: the core; creates functions and routes
//!    invocations.
//! 6. [`api`] (the routes), 7. [`server`] (the orchestrator over HTTP),
//! 8. [`node_server`] (`hetfaas node`).
//!
//! ```no_run
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let config = hetfaas::config::Config::default(); // a local edge and cloud
//! let server = hetfaas::server::Server::start(&config).await?;
//! println!("listening on {}", server.addr());
//! server.shutdown().await; // answers in-flight requests, flushes rows
//! # Ok(()) }
//! ```

pub mod affinity;
pub mod api;
pub mod config;
pub mod fault;
pub mod function;
pub mod learning;
pub mod metrics;
pub mod node_server;
pub mod platform;
pub mod recorder;
pub mod resource_manager;
pub mod routing;
pub mod server;
pub mod store;
pub mod worker;
