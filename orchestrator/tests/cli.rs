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

#[tokio::test]
async fn serve_deploy_invoke_then_sigterm_keeps_every_row() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("hetfaas.toml");
    std::fs::write(&config, "[training]\nminimal_sizes = [1]\nfull_invocations = 2\n").unwrap();
    let mut server = common::spawn_serve(BIN, &config, &dir.path().join("data"), &[]).await;
    let url = server.url.clone();

    let code = dir.path().join("cube");
    std::fs::create_dir(&code).unwrap();
    std::fs::write(code.join("main.py"), "def handler(event, context):\n    return [x ** 3 for x in event]\n").unwrap();
    let deployed = client(&url, &["deploy", code.to_str().unwrap()]);
    assert!(deployed.status.success(), "{}", String::from_utf8_lossy(&deployed.stderr));
    assert!(String::from_utf8_lossy(&deployed.stdout).contains("\"name\": \"cube\""));
    // (A hang guard, not a timing bet: training here takes well under a second.)
    let ready = hetfaas_api::Client::new(&url).wait_settled("cube", Duration::from_secs(120)).await.unwrap();
    assert_eq!(ready.state, hetfaas_api::State::Ready);

    const CALLS: usize = 3;
    for i in 0..CALLS {
        let invoked = client(&url, &["invoke", "cube", "--input", &format!("[2, {i}]")]);
        assert!(invoked.status.success(), "{}", String::from_utf8_lossy(&invoked.stderr));
        let stdout: serde_json::Value = serde_json::from_slice(&invoked.stdout).unwrap();
        assert_eq!(stdout, serde_json::json!([8, i * i * i]));
        assert!(String::from_utf8_lossy(&invoked.stderr).contains(&format!("{}:", hetfaas_api::headers::WORKER)));
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
