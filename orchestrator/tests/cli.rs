//! The `hetfaas` binary as an operator and a developer use it: `serve` in
//! its own process, the thin clients against it, and SIGTERM losing nothing.

mod common;

use std::process::Command;
use std::time::Duration;

use hetfaas::store::Store;
use hetfaas::store::sqlite::SqliteStore;

const BIN: &str = env!("CARGO_BIN_EXE_hetfaas");

fn client(url: &str, args: &[&str]) -> std::process::Output {
    Command::new(BIN).args(args).env("HETFAAS_URL", url).env_remove("HETFAAS_ADMIN_TOKEN").output().unwrap()
}

/// Polls `GET /functions/{name}` until its state is one of `states`.
/// (A hang guard, not a timing bet: training here takes well under a second.)
async fn wait_state(url: &str, name: &str, states: &[&str]) -> serde_json::Value {
    let deadline = std::time::Instant::now() + Duration::from_secs(120);
    loop {
        let f: serde_json::Value = reqwest::get(format!("{url}/functions/{name}")).await.unwrap().json().await.unwrap();
        if states.contains(&f["state"].as_str().unwrap_or_default()) {
            return f;
        }
        assert!(std::time::Instant::now() < deadline, "{name} never reached {states:?}: {f}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn serve_deploy_invoke_then_sigterm_keeps_every_row() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("hetfaas.toml");
    std::fs::write(&config, "[training]\nminimal_sizes = [1]\nfull_invocations = 2\n").unwrap();
    let mut server = common::spawn_serve(BIN, &config, &dir.path().join("data")).await;
    let url = server.url.clone();

    let code = dir.path().join("cube");
    std::fs::create_dir(&code).unwrap();
    std::fs::write(code.join("main.py"), "def handler(event, context):\n    return [x ** 3 for x in event]\n").unwrap();
    let deployed = client(&url, &["deploy", code.to_str().unwrap()]);
    assert!(deployed.status.success(), "{}", String::from_utf8_lossy(&deployed.stderr));
    assert!(String::from_utf8_lossy(&deployed.stdout).contains("\"name\": \"cube\""));
    assert_eq!(wait_state(&url, "cube", &["ready", "failed"]).await["state"], "ready");

    const CALLS: usize = 3;
    for i in 0..CALLS {
        let invoked = client(&url, &["invoke", "cube", "--input", &format!("[2, {i}]")]);
        assert!(invoked.status.success(), "{}", String::from_utf8_lossy(&invoked.stderr));
        let stdout: serde_json::Value = serde_json::from_slice(&invoked.stdout).unwrap();
        assert_eq!(stdout, serde_json::json!([8, i * i * i]));
        assert!(String::from_utf8_lossy(&invoked.stderr).contains("x-hetfaas-worker:"));
    }

    let missing = client(&url, &["invoke", "nope"]);
    assert!(!missing.status.success());
    assert!(String::from_utf8_lossy(&missing.stderr).contains("404"));

    let listed = client(&url, &["functions"]);
    assert!(String::from_utf8_lossy(&listed.stdout).contains("cube"));

    // SAFETY: kill(2) on our own child.
    unsafe { libc::kill(server.child.id() as i32, libc::SIGTERM) };
    assert!(server.child.wait().unwrap().success(), "a clean exit on SIGTERM");
    let store = SqliteStore::open(&dir.path().join("data/hetfaas.db")).await.unwrap();
    let served: Vec<_> = store.executions("cube", None).await.unwrap().into_iter().filter(|r| !r.training).collect();
    assert_eq!(served.len(), CALLS, "one row per user invocation, no more and no fewer: {served:?}");
    assert!(served.iter().all(|r| r.success && r.input_size == 2), "{served:?}");
}
