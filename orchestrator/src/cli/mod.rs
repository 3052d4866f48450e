//! Thin clients of the HTTP API: `deploy`, `invoke`, `functions`.

use std::path::PathBuf;

use anyhow::{Context, bail};
use clap::Args;

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
    fn request(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        let request = reqwest::Client::new().request(method, format!("{}{path}", self.url.trim_end_matches('/')));
        match &self.token {
            Some(token) => request.bearer_auth(token),
            None => request,
        }
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
    let example_inputs: serde_json::Value = match &args.examples {
        Some(path) => serde_json::from_str(&std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?)
            .with_context(|| format!("{} is not JSON", path.display()))?,
        None => serde_json::json!([]),
    };
    let body = serde_json::json!({
        "name": name,
        "source_code": source_code,
        "edge_supported": !args.no_edge,
        "cloud_supported": !args.no_cloud,
        "example_inputs": example_inputs,
        "memory_mb": args.memory_mb,
        "timeout_s": args.timeout_s,
    });
    let response = args.client.request(reqwest::Method::POST, "/functions").json(&body).send().await?;
    print_response(response).await
}

#[derive(Args)]
pub struct InvokeArgs {
    name: String,
    /// The event, as JSON.
    #[arg(long, default_value = "[]")]
    input: String,
    /// Route with this policy instead of the server's default.
    #[arg(long)]
    policy: Option<String>,
    #[command(flatten)]
    client: Client,
}

pub async fn invoke(args: InvokeArgs) -> anyhow::Result<()> {
    let mut request = args.client.request(reqwest::Method::POST, &format!("/functions/{}/invoke", args.name)).body(args.input);
    if let Some(policy) = &args.policy {
        request = request.header("x-hetfaas-policy", policy);
    }
    let response = request.header("content-type", "application/json").send().await?;
    for name in ["x-hetfaas-worker", "x-hetfaas-duration-ms", "x-hetfaas-predicted-ms", "x-hetfaas-policy"] {
        if let Some(value) = response.headers().get(name).and_then(|v| v.to_str().ok()) {
            eprintln!("{name}: {value}");
        }
    }
    print_response(response).await
}

pub async fn functions(client: Client) -> anyhow::Result<()> {
    let response = client.request(reqwest::Method::GET, "/functions").send().await?;
    print_response(response).await
}

/// Prints the body; a non-2xx status becomes the command's error.
async fn print_response(response: reqwest::Response) -> anyhow::Result<()> {
    let status = response.status();
    let text = response.text().await?;
    let pretty =
        serde_json::from_str::<serde_json::Value>(&text).map_or(text.clone(), |v| serde_json::to_string_pretty(&v).unwrap_or(text));
    if status.is_success() {
        println!("{pretty}");
        Ok(())
    } else {
        bail!("{status}\n{pretty}")
    }
}
