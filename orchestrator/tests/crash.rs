//! Durability under load, with `hetfaas serve` as its own process: a clean
//! stop (SIGTERM) loses no execution row of an answered request; `kill -9`
//! loses at most the rows the recorder had not yet committed, which the
//! README bounds as those answered in the last [`CRASH_WINDOW`]; and the
//! database, functions and models come back intact.

mod common;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use hetfaas::store::Store;
use hetfaas::store::sqlite::SqliteStore;
use hetfaas_api::{FunctionSpec, FunctionView, State};
use serde_json::json;

const BIN: &str = env!("CARGO_BIN_EXE_hetfaas");
const USERS: usize = 8;
/// Answers the load must have had before the server is stopped.
const ANSWERS: usize = 400;
/// The README's bound: a row is committed within the recorder's 10 ms
/// linger plus two batch writes (the one in progress when it was queued,
/// then its own), a few ms each for SQLite here; the rest is room for the
/// writer thread to be scheduled on a machine whose cores are all busy.
const CRASH_WINDOW: Duration = Duration::from_millis(50);

struct Running {
    server: common::Serving,
    dir: tempfile::TempDir,
}

/// A server with one trained function, `cube`.
async fn start() -> Running {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("hetfaas.toml");
    std::fs::write(&config, "[training]\nminimal_sizes = [1, 2]\nfull_invocations = 4\nfull_max_size = 4\n").unwrap();
    let server = common::spawn_serve(BIN, &config, &dir.path().join("data"), &[]).await;
    let spec = FunctionSpec {
        example_inputs: vec![json!([1, 2, 3])],
        ..FunctionSpec::new("cube", "def handler(event, context):\n    return [x ** 3 for x in event]\n")
    };
    hetfaas_api::Client::new(&server.url).create(&spec).await.unwrap();
    wait_ready(&server.url).await;
    Running { server, dir }
}

/// (The wait is a hang guard, not a timing bet: training here takes well
/// under a second.)
async fn wait_ready(url: &str) -> FunctionView {
    let ready = hetfaas_api::Client::new(url).wait_settled("cube", Duration::from_secs(120)).await.unwrap();
    assert_eq!(ready.state, State::Ready, "{ready:?}");
    ready
}

/// What the load saw: when each 200 arrived (since its origin), how many
/// requests were sent, and the loops themselves.
struct Load {
    answered: Arc<Mutex<Vec<Duration>>>,
    sent: Arc<Mutex<usize>>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

/// Invokes from `USERS` loops until the server stops answering.
fn load(url: &str, origin: Instant) -> Load {
    let answered = Arc::new(Mutex::new(Vec::new()));
    let sent = Arc::new(Mutex::new(0));
    let tasks = (0..USERS)
        .map(|u| {
            let (answered, sent, url) = (answered.clone(), sent.clone(), format!("{url}/functions/cube/invoke"));
            tokio::spawn(async move {
                let client = reqwest::Client::new();
                loop {
                    *sent.lock().unwrap() += 1;
                    match client.post(&url).body(format!("[{u}, 2]")).send().await {
                        Ok(r) if r.status() == 200 => answered.lock().unwrap().push(origin.elapsed()),
                        _ => return,
                    }
                }
            })
        })
        .collect();
    Load { answered, sent, tasks }
}

impl Load {
    /// Returns once the load has had `n` answers: a count, not a duration.
    async fn until_answered(&self, n: usize) {
        while self.answered.lock().unwrap().len() < n {
            assert!(!self.tasks.iter().all(|t| t.is_finished()), "the load stopped before {n} answers");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
}

async fn served_rows(dir: &std::path::Path) -> usize {
    let store = SqliteStore::open(&dir.join("data/hetfaas.db")).await.unwrap();
    store.executions("cube", None).await.unwrap().iter().filter(|r| !r.training).count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_under_load_keeps_the_row_of_every_answered_request() {
    let mut running = start().await;
    let load = load(&running.server.url, Instant::now());
    load.until_answered(ANSWERS).await;
    // SAFETY: kill(2) on our own child.
    unsafe { libc::kill(running.server.child.id() as i32, libc::SIGTERM) };
    let Load { answered, sent, tasks } = load;
    for task in tasks {
        task.await.unwrap();
    }
    assert!(running.server.child.wait().unwrap().success(), "a clean exit under load");
    let (answered, sent) = (answered.lock().unwrap().len(), *sent.lock().unwrap());
    let rows = served_rows(running.dir.path()).await;
    eprintln!("SIGTERM under load: {answered} answered, {rows} rows stored, {sent} sent");
    assert!(rows >= answered && rows <= sent, "every answered request has its row: {rows} rows, {answered} answered, {sent} sent");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_under_load_loses_at_most_the_crash_window() {
    let mut running = start().await;
    let origin = Instant::now();
    let load = load(&running.server.url, origin);
    load.until_answered(ANSWERS).await;
    running.server.child.kill().unwrap();
    let killed_at = origin.elapsed();
    running.server.child.wait().unwrap();
    let Load { answered, tasks, .. } = load;
    for task in tasks {
        task.await.unwrap();
    }
    let answered = answered.lock().unwrap().clone();
    let db = running.dir.path().join("data/hetfaas.db");
    let check: String = rusqlite::Connection::open(&db).unwrap().query_row("PRAGMA integrity_check", [], |r| r.get(0)).unwrap();
    assert_eq!(check, "ok", "the database opens cleanly after kill -9");
    let rows = served_rows(running.dir.path()).await;
    let lost = answered.len().saturating_sub(rows);
    let in_window = answered.iter().filter(|t| killed_at.saturating_sub(**t) <= CRASH_WINDOW).count();
    eprintln!(
        "kill -9 under load: {} answered, {rows} rows stored, {lost} lost; {in_window} answered in the last {CRASH_WINDOW:?}",
        answered.len()
    );
    assert!(lost <= in_window, "lost {lost} rows; only the {in_window} answered in the last {CRASH_WINDOW:?} may be");

    // The function and its models survive: a new server serves it trained.
    let config = running.dir.path().join("hetfaas.toml");
    let server = common::spawn_serve(BIN, &config, &running.dir.path().join("data"), &[]).await;
    let function = wait_ready(&server.url).await;
    assert_eq!(function.models.len(), 2, "both workers' models survive: {function:?}");
    let invoked = hetfaas_api::Client::new(&server.url).invoke("cube", "[3]", None).await.unwrap();
    assert_eq!(invoked.json(), json!([27]));
}
