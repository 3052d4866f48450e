//! What `hetfaas serve` and `hetfaas node` refuse at start, as an operator
//! sees it: listening beyond loopback with nothing guarding the routes that
//! run code (unless `--insecure`, said loudly), and configuration values
//! that would hang or panic later, each named with its allowed range.

mod common;

use std::ffi::OsStr;
use std::path::Path;

use common::{Exited, Serving, spawn};

const BIN: &str = env!("CARGO_BIN_EXE_hetfaas");

/// Runs `hetfaas` with `args`, its data and log in `dir`.
async fn run(dir: &Path, args: &[&str]) -> Result<Serving, Exited> {
    let args: Vec<&OsStr> = args.iter().map(OsStr::new).collect();
    let data = dir.join("data");
    let all = [&args[..], &["--data-dir".as_ref(), data.as_os_str()]].concat();
    spawn(BIN, &all, &[], &dir.join("log")).await
}

#[tokio::test]
async fn beyond_loopback_without_a_token_is_refused_unless_insecure() {
    for command in ["serve", "node"] {
        let dir = tempfile::tempdir().unwrap();
        let Err(refused) = run(dir.path(), &[command, "--listen", "0.0.0.0:0"]).await else {
            panic!("{command} listened on 0.0.0.0 with no token");
        };
        assert!(!refused.status.success());
        assert!(refused.log.contains("refusing to listen on 0.0.0.0:0") && refused.log.contains("--insecure"), "{}", refused.log);

        let serving = run(dir.path(), &[command, "--listen", "0.0.0.0:0", "--insecure"]).await.unwrap();
        let log = std::fs::read_to_string(&serving.log).unwrap();
        assert!(log.contains("INSECURE") && log.contains("anyone who can reach"), "{command}: {log}");
        let port = serving.url.rsplit_once(':').unwrap().1;
        let health = reqwest::get(format!("http://127.0.0.1:{port}/healthz")).await.unwrap();
        assert_eq!(health.status(), 200, "{command} --insecure serves");
    }
}

#[tokio::test]
async fn values_that_would_hang_or_panic_are_refused_at_start_by_name() {
    for (value, key) in [
        ("idle_timeout_s = 0", "idle_timeout_s must be between 1 and"),
        ("network = { delay_ms = inf }", "network.delay_ms"),
        ("max_instances = 0", "max_instances must be between 1 and"),
        ("queue_timeout_ms = 0", "queue_timeout_ms must be between 1 and"),
        ("cpu = 0.0", "cpu must be between"),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let (serve, node) = (dir.path().join("hetfaas.toml"), dir.path().join("node.toml"));
        std::fs::write(&serve, format!("[[workers]]\nname = \"edge\"\ntier = \"edge\"\nkind = \"local\"\n{value}\n")).unwrap();
        std::fs::write(&node, value).unwrap();
        for (command, config) in [("serve", &serve), ("node", &node)] {
            let Err(refused) = run(dir.path(), &[command, "--listen", "127.0.0.1:0", "--config", config.to_str().unwrap()]).await else {
                panic!("{command} started with {value}");
            };
            assert!(!refused.status.success() && refused.log.contains(key), "{command} with {value}: {}", refused.log);
        }
    }
    for (value, key) in [("edge_utilisation_guard = 1.5", "edge_utilisation_guard"), ("[training]\nminimal_sizes = []", "minimal_sizes")] {
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join("hetfaas.toml");
        std::fs::write(&config, value).unwrap();
        let Err(refused) = run(dir.path(), &["serve", "--listen", "127.0.0.1:0", "--config", config.to_str().unwrap()]).await else {
            panic!("serve started with {value}");
        };
        assert!(refused.log.contains(key), "{value}: {}", refused.log);
    }
}
