//! A handler that attacks the server it runs under, with `hetfaas serve` as
//! its own process holding an admin token and a secret in its environment.
//! In one call the handler tries to read the database, the config file,
//! the data directory and the server's environment; to call the admin API
//! without the token; to kill the server; to become root; to leave its
//! cgroup; to fork ten thousand children; and to find the protocol pipes
//! in a child it starts. Each attempt must fail, and the server must answer
//! the next request. Needs root and writable cgroups (the sandbox users and
//! the pids limit); says SKIPPED otherwise. Also: a data directory the
//! sandbox users cannot enter moves instance files elsewhere, not fails.

mod common;

use hetfaas_api::{FunctionSpec, State};
use serde_json::{Value, json};

const BIN: &str = env!("CARGO_BIN_EXE_hetfaas");
const TOKEN: &str = "admin-secret-of-the-test";
/// Processes one instance may have (the worker's `sandbox.max_processes`).
const MAX_PROCESSES: u64 = 32;

const ATTACK: &str = r#"
import json, os, signal, subprocess, sys, urllib.request

def attempt(action):
    try:
        return "succeeded: " + repr(action())[:300]
    except Exception as e:
        return "failed: " + type(e).__name__

def post_admin(url):
    request = urllib.request.Request(url, data=b"{}", method="POST", headers={"Content-Type": "application/json"})
    try:
        return urllib.request.urlopen(request, timeout=5).status
    except urllib.error.HTTPError as e:
        raise PermissionError(e.code) if e.code in (401, 403) else e

def leave_cgroup():
    moved = []
    for line in open("/proc/self/cgroup").read().splitlines():
        _, controllers, path = line.split(":", 2)
        if controllers not in ("", "memory", "pids"):
            continue
        mount = "/sys/fs/cgroup" + ("/" + controllers if controllers else "")
        for target in (os.path.dirname(path), "/"):
            with open(mount + target.rstrip("/") + "/cgroup.procs", "w") as f:
                f.write(str(os.getpid()))
            moved.append(mount + target)
    return moved

def fork_many(n):
    r, w = os.pipe()
    children = 0
    try:
        for _ in range(n):
            if os.fork() == 0:
                os.close(w)
                os.read(r, 1)
                os._exit(0)
            children += 1
    finally:
        os.close(w)
        for _ in range(children):
            os.wait()
    return children

def forked():
    try:
        return "succeeded: " + str(fork_many(10000))
    except OSError as e:
        return "failed: " + type(e).__name__

def inherited_pipes():
    listing = "import os\nfor fd in os.listdir('/proc/self/fd'):\n    print(fd, os.readlink('/proc/self/fd/' + fd))\n"
    out = subprocess.run([sys.executable, "-c", listing], close_fds=False, capture_output=True, text=True).stdout
    return [line for line in out.splitlines() if int(line.split()[0]) > 2 and line.split()[1].startswith(("pipe:", "socket:"))]

def handler(event, context):
    if not isinstance(event, dict):
        return len(event)
    return {
        "database": attempt(lambda: open(event["database"], "rb").read(16)),
        "config": attempt(lambda: open(event["config"]).read()),
        "data_dir": attempt(lambda: os.listdir(event["data_dir"])),
        "server_environ": attempt(lambda: open("/proc/%d/environ" % os.getppid(), "rb").read()),
        "admin_api": attempt(lambda: post_admin(event["admin_url"])),
        "kill_server": attempt(lambda: os.kill(os.getppid(), signal.SIGKILL)),
        "setuid_root": attempt(lambda: os.setuid(0)),
        "leave_cgroup": attempt(leave_cgroup),
        "fork_10000": forked(),
        "inherited_pipes": inherited_pipes(),
        "uid": os.getuid(),
    }
"#;

#[tokio::test]
async fn a_hostile_handler_reaches_nothing_of_the_server() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("hetfaas.toml");
    std::fs::write(
        &config,
        format!(
            "admin_token = \"{TOKEN}\"\n[training]\nminimal_sizes = [1]\nfull_invocations = 2\nfull_max_size = 2\n\
             [[workers]]\nname = \"edge\"\ntier = \"edge\"\nkind = \"local\"\nsandbox = {{ max_processes = {MAX_PROCESSES} }}\n"
        ),
    )
    .unwrap();
    let data = dir.path().join("data");
    // A secret in the server's environment, which the handler must not read.
    let mut server = common::spawn_serve(BIN, &config, &data, &[("HETFAAS_TEST_SECRET", "environment-secret")]).await;
    let api = hetfaas_api::Client::new(&server.url).with_token(Some(TOKEN.into()));
    let edge = api.health().await.unwrap().workers.remove(0).details;
    let (limits, sandbox) = (edge["limits"].as_str().unwrap_or(""), edge["sandbox"].as_str().unwrap_or(""));
    if !limits.starts_with("cgroup") || !sandbox.starts_with("users") {
        common::skipped("hostile handler", &format!("needs root and writable cgroups (limits: {limits}; sandbox: {sandbox})"));
        return;
    }

    let spec = FunctionSpec { example_inputs: vec![json!([1])], ..FunctionSpec::new("attack", ATTACK) };
    api.create(&spec).await.unwrap();
    assert_eq!(api.wait_settled("attack", std::time::Duration::from_secs(120)).await.unwrap().state, State::Ready);
    let event = json!({
        "database": data.join("hetfaas.db"),
        "config": config,
        "data_dir": data,
        "admin_url": format!("{}/functions", server.url),
    });
    let invoked = api.invoke("attack", event.to_string(), None).await.unwrap();
    assert_eq!(invoked.status, 200, "{:?}", invoked.error());
    let report = invoked.json();
    for attack in ["database", "config", "data_dir", "server_environ", "admin_api", "kill_server", "setuid_root", "leave_cgroup"] {
        let outcome = report[attack].as_str().unwrap();
        assert!(outcome.starts_with("failed: PermissionError"), "{attack}: {outcome}");
    }
    assert_eq!(report["fork_10000"], "failed: BlockingIOError", "the pids limit stops the fork bomb");
    assert_eq!(report["inherited_pipes"], json!([]), "a child of the handler inherits no pipe of the protocol");
    assert_ne!(report["uid"], json!(0));

    assert!(server.child.try_wait().unwrap().is_none(), "the server is still running");
    let after = api.invoke("attack", "[1, 2, 3]", None).await.unwrap();
    assert_eq!((after.status.as_u16(), after.json()), (200, Value::from(3)), "and answers the next request");
    assert!(api.functions().await.unwrap().iter().all(|f| f.name == "attack"), "the unauthenticated create made nothing");
}

#[tokio::test]
async fn a_data_directory_closed_to_the_sandbox_users_is_worked_around_loudly() {
    use std::os::unix::fs::PermissionsExt;
    let closed = tempfile::tempdir().unwrap();
    std::fs::set_permissions(closed.path(), std::fs::Permissions::from_mode(0o700)).unwrap();
    let data = closed.path().join("data");
    let config = common::config(&data, common::edge_and_cloud());
    let server = common::TestServer::start_with(config, tempfile::tempdir().unwrap()).await;
    let sandbox = common::worker_health(&server, "edge").await.details["sandbox"].as_str().unwrap_or_default().to_owned();
    if !sandbox.starts_with("users") {
        common::skipped("closed data directory", &format!("needs root for sandbox users (sandbox: {sandbox})"));
        return;
    }
    let view = server.create("whereami", "import os\ndef handler(e, c):\n    return [os.getcwd(), os.getuid()]\n").await;
    assert_eq!(view.state, State::Ready, "{view:?}");
    let here = server.invoke("whereami", "[]", None).await.json();
    let cwd = here[0].as_str().unwrap();
    assert!(!cwd.starts_with(closed.path().to_str().unwrap()), "instances cannot live where their user cannot go: {cwd}");
    assert!(cwd.starts_with(std::env::temp_dir().to_str().unwrap()), "{cwd}");
    assert_ne!(here[1], json!(0));
}
