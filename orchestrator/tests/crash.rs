//! Durability under load, with `hetfaas serve` as its own process: a clean
//! stop (SIGTERM) loses no execution row of an answered request; `kill -9`
//! loses at most the rows of the recorder's last flush window (rows linger
//! up to `recorder::LINGER`, 10 ms, before one transaction writes them), and
//! the database, functions and models come back intact.

mod common;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use hetfaas::store::Store;
use hetfaas::store::sqlite::SqliteStore;
use serde_json::json;

const BIN: &str = env!("CARGO_BIN_EXE_hetfaas");
const USERS: usize = 8;

struct Running {
    server: common::Serving,
    url: String,
    dir: tempfile::TempDir,
}

/// A server with one trained function, `cube`.
async fn start() -> Running {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("hetfaas.toml");
    let port = common::free_port();
    let training = "[training]\nminimal_sizes = [1, 2]\nfull_invocations = 4\nfull_max_size = 4\n";
    std::fs::write(&config, format!("listen = \"127.0.0.1:{port}\"\n{training}")).unwrap();
    let (server, url) = common::spawn_serve(BIN, &config, &dir.path().join("data")).await;
    let spec = json!({ "name": "cube", "source_code": "def handler(event, context):\n    return [x ** 3 for x in event]\n",
        "edge_supported": true, "cloud_supported": true, "example_inputs": [[1, 2, 3]] });
    let client = reqwest::Client::new();
    assert_eq!(client.post(format!("{url}/functions")).json(&spec).send().await.unwrap().status(), 202);
    for _ in 0..300 {
        let f: serde_json::Value = client.get(format!("{url}/functions/cube")).send().await.unwrap().json().await.unwrap();
        if f["state"] == "ready" {
            return Running { server, url, dir };
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("cube never became ready");
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

async fn served_rows(dir: &std::path::Path) -> usize {
    let store = SqliteStore::open(&dir.join("data/hetfaas.db")).await.unwrap();
    store.executions("cube", None).await.unwrap().iter().filter(|r| !r.training).count()
}

#[tokio::test]
async fn sigterm_under_load_keeps_the_row_of_every_answered_request() {
    let mut running = start().await;
    let Load { answered, sent, tasks } = load(&running.url, Instant::now());
    tokio::time::sleep(Duration::from_millis(1500)).await;
    // SAFETY: kill(2) on our own child.
    unsafe { libc::kill(running.server.0.id() as i32, libc::SIGTERM) };
    for task in tasks {
        task.await.unwrap();
    }
    assert!(running.server.0.wait().unwrap().success(), "a clean exit under load");
    let (answered, sent) = (answered.lock().unwrap().len(), *sent.lock().unwrap());
    let rows = served_rows(running.dir.path()).await;
    eprintln!("SIGTERM under load: {answered} answered, {rows} rows stored, {sent} sent");
    assert!(answered > 100, "the load was real: {answered}");
    assert!(rows >= answered && rows <= sent, "every answered request has its row: {rows} rows, {answered} answered, {sent} sent");
}

#[tokio::test]
async fn kill_9_under_load_loses_at_most_the_last_flush_window() {
    let mut running = start().await;
    let origin = Instant::now();
    let Load { answered, tasks, .. } = load(&running.url, origin);
    tokio::time::sleep(Duration::from_millis(1500)).await;
    running.server.0.kill().unwrap();
    let killed_at = origin.elapsed();
    running.server.0.wait().unwrap();
    for task in tasks {
        task.await.unwrap();
    }
    let answered = answered.lock().unwrap().clone();
    let db = running.dir.path().join("data/hetfaas.db");
    let check: String = rusqlite::Connection::open(&db).unwrap().query_row("PRAGMA integrity_check", [], |r| r.get(0)).unwrap();
    assert_eq!(check, "ok", "the database opens cleanly after kill -9");
    let rows = served_rows(running.dir.path()).await;
    let lost = answered.len().saturating_sub(rows);
    // Rows answered in the final window may still have been queued or in
    // the transaction being written: the linger plus a write's time.
    let window = Duration::from_millis(250);
    let in_window = answered.iter().filter(|t| killed_at.saturating_sub(**t) <= window).count();
    eprintln!(
        "kill -9 under load: {} answered, {rows} rows stored, {lost} lost; {in_window} answered in the last {window:?}",
        answered.len()
    );
    assert!(answered.len() > 100, "the load was real");
    assert!(lost <= in_window, "lost {lost} rows; only the {in_window} of the last {window:?} may be");

    // The function and its models survive: a new server serves it trained.
    let config = running.dir.path().join("hetfaas.toml");
    let (_server, url) = common::spawn_serve(BIN, &config, &running.dir.path().join("data")).await;
    let client = reqwest::Client::new();
    let mut function = serde_json::Value::Null;
    for _ in 0..100 {
        function = client.get(format!("{url}/functions/cube")).send().await.unwrap().json().await.unwrap();
        if function["state"] == "ready" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(function["state"], "ready", "{function}");
    assert_eq!(function["models"].as_object().map(|m| m.len()), Some(2), "both workers' models survive: {function}");
    let invoked = client.post(format!("{url}/functions/cube/invoke")).body("[3]").send().await.unwrap();
    assert_eq!(invoked.json::<serde_json::Value>().await.unwrap(), json!([27]));
}
