//! Thin clients of the HTTP API: `deploy`, `invoke`, `functions`, all
//! through the typed client of `hetfaas-api`.

use std::path::PathBuf;

use anyhow::{Context, bail};
use clap::Args;
use hetfaas_api::headers::{DURATION_MS, POLICY, PREDICTED_MS, WORKER, format_predictions};
use hetfaas_api::{FunctionSpec, PolicyKind};

#[derive(Args)]
pub struct Client {
    /// The orchestrator's base URL.
    #[arg(long, env = "HETFAAS_URL", default_value = "http://127.0.0.1:8080")]
    url: String,
    /// Bearer token for admin routes or a protected invoke.
    #[arg(long, env = "HETFAAS_ADMIN_TOKEN", hide_env_values = true)]
    token: Option<String>,
}

impl Client {
    fn api(&self) -> hetfaas_api::Client {
        hetfaas_api::Client::new(&self.url).with_token(self.token.clone())
    }
}

#[derive(Args)]
pub struct DeployArgs {
    /// A directory holding main.py, or a single Python file.
    path: PathBuf,
    /// Function name; defaults to the directory or file name.
    #[arg(long)]
    name: Option<String>,
    /// Do not run this function on edge workers.
    #[arg(long)]
    no_edge: bool,
    /// Do not run this function on cloud workers.
    #[arg(long)]
    no_cloud: bool,
    /// A JSON file with an array of example events, used for training.
    #[arg(long)]
    examples: Option<PathBuf>,
    #[arg(long, default_value_t = 128)]
    memory_mb: u32,
    #[arg(long, default_value_t = 30)]
    timeout_s: u32,
    #[command(flatten)]
    client: Client,
}

pub async fn deploy(args: DeployArgs) -> anyhow::Result<()> {
    let file = if args.path.is_dir() { args.path.join("main.py") } else { args.path.clone() };
    let source_code = std::fs::read_to_string(&file).with_context(|| format!("reading {}", file.display()))?;
    let stem = if args.path.is_dir() { args.path.file_name() } else { args.path.file_stem() };
    let name = match args.name {
        Some(name) => name,
        None => stem.map(|s| s.to_string_lossy().to_lowercase().replace('_', "-")).context("cannot derive a name; pass --name")?,
    };
    let example_inputs = match &args.examples {
        Some(path) => serde_json::from_str(&std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?)
            .with_context(|| format!("{} is not a JSON array", path.display()))?,
        None => Vec::new(),
    };
    let spec = FunctionSpec {
        edge_supported: !args.no_edge,
        cloud_supported: !args.no_cloud,
        example_inputs,
        memory_mb: args.memory_mb,
        timeout_s: args.timeout_s,
        ..FunctionSpec::new(&name, &source_code)
    };
    let view = args.client.api().create(&spec).await?;
    println!("{}", serde_json::to_string_pretty(&view)?);
    Ok(())
}

#[derive(Args)]
pub struct InvokeArgs {
    name: String,
    /// The event, as JSON.
    #[arg(long, default_value = "[]")]
    input: String,
    /// Route with this policy instead of the server's default.
    #[arg(long, value_parser = parse_policy)]
    policy: Option<PolicyKind>,
    #[command(flatten)]
    client: Client,
}

fn parse_policy(name: &str) -> Result<PolicyKind, String> {
    PolicyKind::parse(name).ok_or_else(|| format!("choose one of {}", PolicyKind::names()))
}

/// Prints the handler's result on standard output and where it ran on
/// standard error; a failed invocation is the command's error.
pub async fn invoke(args: InvokeArgs) -> anyhow::Result<()> {
    let invoked = args.client.api().invoke(&args.name, args.input, args.policy).await?;
    let p = &invoked.placement;
    let policy = p.policy.map_or("", PolicyKind::as_str);
    let placement = [(WORKER, p.worker.clone()), (DURATION_MS, format!("{:.3}", p.duration_ms)), (POLICY, policy.to_owned())];
    for (name, value) in placement.iter().filter(|(_, v)| !v.is_empty()) {
        eprintln!("{name}: {value}");
    }
    eprintln!("{PREDICTED_MS}: {}", format_predictions(p.predicted_ms.iter().map(|(w, ms)| (w.as_str(), *ms))));
    let pretty = serde_json::to_string_pretty(&invoked.json())?;
    if invoked.status.is_success() {
        println!("{pretty}");
        Ok(())
    } else {
        bail!("{}\n{pretty}", invoked.status)
    }
}

pub async fn functions(client: Client) -> anyhow::Result<()> {
    let functions = client.api().functions().await?;
    println!("{}", serde_json::to_string_pretty(&serde_json::json!({ "functions": functions }))?);
    Ok(())
}
