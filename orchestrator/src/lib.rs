//! hetfaas: run Function-as-a-Service invocations across edge and cloud
//! workers, placing each request where it is predicted to finish first.
//!
//! The crate follows the dissertation's components, one module each:
//!
//! - [`resource_manager`]: the core; creates functions and routes invocations.
//! - [`learning`]: duration models and the predictions the router reads.
//! - [`routing`]: the [`routing::Policy`] trait and its implementations.
//! - [`platform`]: the [`platform::Platform`] trait; `local` (warm Python
//!   processes with cgroup limits and an emulated network) and `node`.
//! - [`store`]: the [`store::Store`] trait; `sqlite`.
//! - [`recorder`]: execution rows written off the response path.
//! - [`api`], [`server`], [`node`]: HTTP on top.
//!
//! ```no_run
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let config = hetfaas::config::Config::default(); // a local edge and cloud
//! let server = hetfaas::server::Server::start(&config).await?;
//! println!("listening on {}", server.addr());
//! server.shutdown().await; // answers in-flight requests, flushes rows
//! # Ok(()) }
//! ```

pub mod api;
pub mod config;
pub mod function;
pub mod learning;
pub mod metrics;
pub mod node;
pub mod platform;
pub mod recorder;
pub mod resource_manager;
pub mod routing;
pub mod server;
pub mod store;
