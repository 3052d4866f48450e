//! Shared helpers: a real server on an ephemeral port with real `python3`
//! workers, reached through the typed client of `hetfaas-api` (and a raw
//! HTTP client for requests that are malformed on purpose).
#![allow(dead_code)] // each test binary uses its own subset

use std::path::Path;
use std::time::{Duration, Instant};

use hetfaas::config::{Config, TrainingConfig, WorkerConfig};
use hetfaas::function::Tier;
use hetfaas::platform::PlatformConfig;
use hetfaas::platform::lambda_wire::NodeHealth;
use hetfaas::platform::local::LocalConfig;
use hetfaas::platform::local::network::NetworkConfig;
use hetfaas::server::Server;
use hetfaas_api::{ErrorBody, FunctionSpec, FunctionView, Invoked, PolicyKind, State, WorkerHealth};

pub struct TestServer {
    pub server: Option<Server>,
    pub base: String,
    /// The typed client, as any user of the API.
    pub api: hetfaas_api::Client,
    /// A raw client, for requests the typed one would not send.
    pub client: reqwest::Client,
    pub dir: tempfile::TempDir,
}

/// A local worker with the given CPU quota (None = unlimited) and one-way delay.
pub fn local_worker(name: &str, tier: Tier, cpu: Option<f64>, delay_ms: f64) -> WorkerConfig {
    WorkerConfig {
        name: name.into(),
        tier,
        platform: PlatformConfig::Local(LocalConfig {
            cpu,
            network: NetworkConfig { delay_ms, jitter_ms: 0.0, bandwidth_mbps: 0.0 }.into(),
            ..LocalConfig::default()
        }),
    }
}

/// The usual pair: a near edge and a farther cloud, both unconstrained.
pub fn edge_and_cloud() -> Vec<WorkerConfig> {
    vec![local_worker("edge", Tier::Edge, None, 1.0), local_worker("cloud", Tier::Cloud, None, 5.0)]
}

/// A server on an ephemeral port with a short training run (the default
/// one, 100 invocations per worker, is for experiments).
pub fn config(dir: &Path, workers: Vec<WorkerConfig>) -> Config {
    Config {
        listen: "127.0.0.1:0".parse().unwrap(),
        data_dir: dir.to_owned(),
        workers,
        seed: 7,
        training: TrainingConfig {
            minimal_sizes: vec![1, 500, 1000],
            full_invocations: 10,
            full_max_size: 1000,
            ..TrainingConfig::default()
        },
        ..Config::default()
    }
}

/// A function for both tiers with a 5 s timeout and a small example.
pub fn spec(name: &str, source: &str) -> FunctionSpec {
    FunctionSpec { example_inputs: vec![serde_json::json!([1, 2, 3])], timeout_s: 5, ..FunctionSpec::new(name, source) }
}

impl TestServer {
    pub async fn start(workers: Vec<WorkerConfig>) -> TestServer {
        let dir = tempfile::tempdir().unwrap();
        let config = config(dir.path(), workers);
        TestServer::start_with(config, dir).await
    }

    pub async fn start_with(config: Config, dir: tempfile::TempDir) -> TestServer {
        let token = config.effective_admin_token();
        let server = Server::start(&config).await.expect("server starts");
        let base = format!("http://{}", server.addr());
        let api = hetfaas_api::Client::new(&base).with_token(token);
        TestServer { server: Some(server), base, api, client: reqwest::Client::new(), dir }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Stops the server the way SIGTERM does, keeping the data directory.
    pub async fn shutdown(&mut self) {
        if let Some(server) = self.server.take() {
            server.shutdown().await;
        }
    }

    /// Sends `body` as it is; returns the status and the error body, if any.
    pub async fn post_raw(&self, path: &str, body: impl Into<reqwest::Body>) -> (u16, Option<ErrorBody>) {
        let response = self.client.post(self.url(path)).body(body).send().await.unwrap();
        (response.status().as_u16(), response.json().await.ok())
    }

    /// Posts JSON; returns the status and the error body, if any.
    pub async fn post_json(&self, path: &str, body: &serde_json::Value) -> (u16, Option<ErrorBody>) {
        self.post_raw(path, serde_json::to_vec(body).unwrap()).await
    }

    /// Creates a function from source and waits until it is ready.
    pub async fn create(&self, name: &str, source: &str) -> FunctionView {
        self.create_spec(spec(name, source)).await
    }

    /// Creates a function and waits until it is ready or failed.
    pub async fn create_spec(&self, spec: FunctionSpec) -> FunctionView {
        self.api.create(&spec).await.expect("create answers at once");
        self.api.wait_settled(&spec.name, Duration::from_secs(120)).await.unwrap()
    }

    /// Waits (at most a minute, a hang guard) until `name` is in one of `states`.
    pub async fn wait_state(&self, name: &str, states: &[State]) -> FunctionView {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let view = self.api.function(name).await.unwrap();
            if states.contains(&view.state) {
                return view;
            }
            assert!(Instant::now() < deadline, "{name} never reached {states:?}: {view:?}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Invokes with a raw body and an optional policy.
    pub async fn invoke(&self, name: &str, body: &str, policy: Option<PolicyKind>) -> Invoked {
        self.api.invoke(name, body.to_owned(), policy).await.unwrap()
    }
}

pub const SQUARES: &str = "def handler(event, context):\n    return [x * x for x in event]\n";

/// Says, past the test harness's output capture, that a test did not run
/// and why, so `cargo test 2>&1 | grep SKIPPED` lists what was not tested.
pub fn skipped(test: &str, why: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "SKIPPED {test}: {why}");
}

/// Waits until the `hetfaas node` at `addr` has `n` calls of `function` in
/// flight (its `/healthz` counts them).
pub async fn until_in_flight(addr: std::net::SocketAddr, function: &str, n: usize) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let health: NodeHealth = reqwest::get(format!("http://{addr}/healthz")).await.unwrap().json().await.unwrap();
        if health.in_flight.get(function) == Some(&n) {
            return;
        }
        assert!(Instant::now() < deadline, "{function} never had {n} calls in flight: {health:?}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// A file a handler waits for, so a test (not a duration) decides when a
/// call in flight may finish; the handler says it has started waiting by
/// creating `<gate>.running`. Its directory is open to all (sticky, as
/// `/tmp`), so handlers running as sandbox users can do both.
pub struct Gate {
    _dir: tempfile::TempDir,
    path: std::path::PathBuf,
}

impl Gate {
    pub fn new() -> Gate {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o1777)).unwrap();
        let path = dir.path().join("open");
        Gate { _dir: dir, path }
    }

    /// The path as a JSON string, to put in an event.
    pub fn json(&self) -> String {
        serde_json::to_string(&self.path).unwrap()
    }

    pub fn open(&self) {
        std::fs::write(&self.path, b"").unwrap();
    }

    /// Waits until `n` handlers wait at the gate (a hang guard of a minute).
    pub async fn until_waiting(&self, n: usize) {
        let deadline = Instant::now() + Duration::from_secs(60);
        let running = self.path.with_extension("running");
        while std::fs::read_to_string(&running).map_or(0, |s| s.len()) < n {
            assert!(Instant::now() < deadline, "fewer than {n} handlers reached the gate");
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }
}

/// Returns its event; an event that is a gate's path first adds a byte to
/// `<gate>.running`, then waits for the gate to open.
pub const GATED: &str = "import os, time\ndef handler(event, context):\n    if isinstance(event, str):\n        \
    with open(event + '.running', 'a') as f:\n            f.write('.')\n        \
    while not os.path.exists(event):\n            time.sleep(0.005)\n    return event\n";

/// The variables an integration test against real infrastructure needs, or
/// `None` after saying on the terminal, past the test harness's output
/// capture, that it was skipped and how to run it.
pub fn real_infrastructure(test: &str, vars: &[&str]) -> Option<Vec<String>> {
    let values: Option<Vec<String>> = vars.iter().map(|v| std::env::var(v).ok().filter(|s| !s.is_empty())).collect();
    if values.is_none() {
        skipped(test, &format!("set {} to run it", vars.join(" and ")));
    }
    values
}

/// A worker's entry in `GET /healthz`.
pub async fn worker_health(server: &TestServer, worker: &str) -> WorkerHealth {
    server.api.health().await.unwrap().workers.into_iter().find(|w| w.name == worker).unwrap()
}

/// Waits until `worker`'s CPU utilisation satisfies `condition` (the
/// deadline is a hang guard: utilisation is a one-second average).
pub async fn wait_for_cpu(server: &TestServer, worker: &str, condition: impl Fn(f64) -> bool) -> f64 {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let cpu = worker_health(server, worker).await.utilisation.cpu;
        if condition(cpu) {
            return cpu;
        }
        assert!(Instant::now() < deadline, "{worker}'s CPU utilisation stayed at {cpu}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Waits until `worker` uses under half its CPU (training keeps a small
/// edge busy for a moment after a function is ready).
pub async fn wait_until_idle(server: &TestServer, worker: &str) {
    wait_for_cpu(server, worker, |cpu| cpu < 0.5).await;
}

/// A `hetfaas serve` process, killed when dropped so a failing test leaves
/// nothing running. Its log goes to `serve.log` beside its data.
pub struct Serving {
    pub child: std::process::Child,
    pub url: String,
    pub log: std::path::PathBuf,
}

impl Drop for Serving {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A `hetfaas` process that stopped before it listened: its exit status
/// and what it logged.
#[derive(Debug)]
pub struct Exited {
    pub status: std::process::ExitStatus,
    pub log: String,
}

/// Runs the binary at `bin` with `args` and `env` until it either says
/// where it listens (its first line of standard output: no port is probed,
/// none can be taken first) or exits. Its log goes to `log`. No token
/// reaches it from the test's environment: a test that wants one says so.
pub async fn spawn(bin: &str, args: &[&std::ffi::OsStr], env: &[(&str, &str)], log: &Path) -> Result<Serving, Exited> {
    use std::io::BufRead;
    let mut command = std::process::Command::new(bin);
    command.args(args).env_remove("HETFAAS_ADMIN_TOKEN").env_remove("HETFAAS_NODE_TOKEN").envs(env.iter().copied());
    command.stdout(std::process::Stdio::piped()).stderr(std::fs::File::create(log).unwrap());
    let mut child = command.spawn().unwrap();
    let stdout = child.stdout.take().unwrap();
    let line = tokio::task::spawn_blocking(move || {
        let mut line = String::new();
        std::io::BufReader::new(stdout).read_line(&mut line).map(|_| line)
    })
    .await
    .unwrap()
    .unwrap();
    match line.trim().strip_prefix("listening on ") {
        Some(url) => Ok(Serving { url: url.to_owned(), child, log: log.to_owned() }),
        None => {
            let status = tokio::task::spawn_blocking(move || child.wait()).await.unwrap().unwrap();
            Err(Exited { status, log: std::fs::read_to_string(log).unwrap_or_default() })
        }
    }
}

/// `hetfaas serve` as its own process (the binary at `bin`, with `env`
/// added to its environment) on a port the kernel picks, with its log in
/// `<data_dir>.log`.
pub async fn spawn_serve(bin: &str, config: &Path, data_dir: &Path, env: &[(&str, &str)]) -> Serving {
    let args = ["serve".as_ref(), "--listen".as_ref(), "127.0.0.1:0".as_ref(), "--config".as_ref(), config.as_os_str()];
    let args = [&args[..], &["--data-dir".as_ref(), data_dir.as_os_str()]].concat();
    match spawn(bin, &args, env, &data_dir.with_extension("log")).await {
        Ok(serving) => serving,
        Err(exited) => panic!("hetfaas serve did not start ({}):\n{}", exited.status, exited.log),
    }
}
