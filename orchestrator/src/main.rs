//! `hetfaas`: the orchestrator service, a worker node, and thin clients of
//! the HTTP API. Flags and wiring only; the work lives in the library.

mod cli;

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::Context;
use clap::{Parser, Subcommand};

use hetfaas::config::Config;
use hetfaas::node_server::{Node, NodeOptions};
use hetfaas::platform::local::LocalConfig;
use hetfaas::server::{Server, termination};

#[derive(Parser)]
#[command(name = "hetfaas", version, about = "Run FaaS invocations where they are predicted to finish first.")]
struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the orchestrator as an HTTP service (two local workers by default).
    Serve {
        /// TOML configuration; without one, a local edge and cloud are used.
        #[arg(long)]
        config: Option<PathBuf>,
        /// Address to listen on, overriding the configuration.
        #[arg(long)]
        listen: Option<SocketAddr>,
        /// Directory for the database and function code, overriding the configuration.
        #[arg(long)]
        data_dir: Option<PathBuf>,
        /// Listen beyond loopback without an admin token (refused otherwise).
        #[arg(long)]
        insecure: bool,
    },
    /// Run one local worker as its own process, reachable as `kind = "node"`.
    Node {
        #[arg(long, default_value = "127.0.0.1:9000")]
        listen: SocketAddr,
        #[arg(long, default_value = "hetfaas-node-data")]
        data_dir: PathBuf,
        /// TOML with the local worker's settings (cpu, network, max_instances, ...).
        #[arg(long)]
        config: Option<PathBuf>,
        #[arg(long, default_value_t = 0)]
        seed: u64,
        /// Invocations of one function in flight before answering 429, like
        /// Lambda's reserved concurrency; unset queues them instead.
        #[arg(long)]
        max_concurrency: Option<usize>,
        /// Bearer token that deploy and remove require.
        #[arg(long, env = "HETFAAS_NODE_TOKEN", hide_env_values = true)]
        token: Option<String>,
        /// Listen beyond loopback without a token (refused otherwise).
        #[arg(long)]
        insecure: bool,
    },
    /// Deploy a function from a directory holding main.py (or a .py file).
    Deploy(cli::DeployArgs),
    /// Invoke a function and print its result.
    Invoke(cli::InvokeArgs),
    /// List the deployed functions and their states.
    Functions(cli::Client),
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()))
        .with_writer(std::io::stderr)
        .init();
    match Args::parse().command {
        Command::Serve { config, listen, data_dir, insecure } => serve(config, listen, data_dir, insecure).await,
        Command::Node { listen, data_dir, config, seed, max_concurrency, token, insecure } => {
            node(listen, data_dir, config, seed, NodeOptions { max_concurrency, token, insecure }).await
        }
        Command::Deploy(args) => cli::deploy(args).await,
        Command::Invoke(args) => cli::invoke(args).await,
        Command::Functions(client) => cli::functions(client).await,
    }
}

async fn serve(path: Option<PathBuf>, listen: Option<SocketAddr>, data_dir: Option<PathBuf>, insecure: bool) -> anyhow::Result<()> {
    let mut config = match &path {
        Some(path) => {
            hetfaas::config::restrict(path).with_context(|| format!("restricting {}", path.display()))?;
            Config::load(path)?
        }
        None => Config::default(),
    };
    config.listen = listen.unwrap_or(config.listen);
    config.data_dir = data_dir.unwrap_or(config.data_dir);
    config.insecure |= insecure;
    let server = Server::start(&config).await.context("starting the orchestrator")?;
    announce(server.addr());
    let failed = tokio::select! {
        () = termination() => None,
        reason = server.failure() => Some(reason),
    };
    tracing::info!("shutting down: answering in-flight requests and writing queued rows");
    server.shutdown().await;
    match failed {
        None => Ok(()),
        Some(reason) => anyhow::bail!("stopped because {reason}"),
    }
}

async fn node(listen: SocketAddr, data_dir: PathBuf, path: Option<PathBuf>, seed: u64, options: NodeOptions) -> anyhow::Result<()> {
    let config: LocalConfig = match &path {
        Some(path) => {
            hetfaas::config::restrict(path).with_context(|| format!("restricting {}", path.display()))?;
            let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
            toml::from_str(&text).with_context(|| format!("invalid node configuration in {}", path.display()))?
        }
        None => LocalConfig::default(),
    };
    let node = Node::start(listen, &data_dir, config, seed, options).await.context("starting the node")?;
    announce(node.addr());
    termination().await;
    node.shutdown().await;
    Ok(())
}

/// The bound address on standard output, the one line a supervisor or a
/// test reads to learn the port when `--listen` asked for port 0.
fn announce(addr: SocketAddr) {
    println!("listening on http://{addr}");
}
