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
    let port = common::free_port();
    std::fs::write(&config, format!("listen = \"127.0.0.1:{port}\"\n[training]\nminimal_sizes = [1]\nfull_invocations = 2\n")).unwrap();
    let (mut server, url) = common::spawn_serve(BIN, &config, &dir.path().join("data")).await;

    let code = dir.path().join("cube");
    std::fs::create_dir(&code).unwrap();
    std::fs::write(code.join("main.py"), "def handler(event, context):\n    return [x ** 3 for x in event]\n").unwrap();
    let deployed = client(&url, &["deploy", code.to_str().unwrap()]);
    assert!(deployed.status.success(), "{}", String::from_utf8_lossy(&deployed.stderr));
    assert!(String::from_utf8_lossy(&deployed.stdout).contains("\"name\": \"cube\""));

    let mut answer = None;
    for _ in 0..200 {
        let invoked = client(&url, &["invoke", "cube", "--input", "[2, 3]"]);
        if invoked.status.success() {
            answer = Some(invoked);
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let invoked = answer.expect("the function becomes invocable");
    let stdout: serde_json::Value = serde_json::from_slice(&invoked.stdout).unwrap();
    assert_eq!(stdout, serde_json::json!([8, 27]));
    assert!(String::from_utf8_lossy(&invoked.stderr).contains("x-hetfaas-worker:"));

    let missing = client(&url, &["invoke", "nope"]);
    assert!(!missing.status.success());
    assert!(String::from_utf8_lossy(&missing.stderr).contains("404"));

    let listed = client(&url, &["functions"]);
    assert!(String::from_utf8_lossy(&listed.stdout).contains("cube"));

    // SAFETY: kill(2) on our own child.
    unsafe { libc::kill(server.0.id() as i32, libc::SIGTERM) };
    assert!(server.0.wait().unwrap().success(), "a clean exit on SIGTERM");
    let store = SqliteStore::open(&dir.path().join("data/hetfaas.db")).await.unwrap();
    let served = store.executions("cube", None).await.unwrap().into_iter().filter(|r| !r.training).count();
    assert!(served >= 1, "the user's invocation is stored");
}
