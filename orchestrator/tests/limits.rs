//! The CPU quota is enforced by the kernel: the same CPU-bound handler takes
//! several times longer on a worker limited to 10% of a CPU than on an
//! unconstrained one, measured side by side in this test.

mod common;

use common::{TestServer, local_worker};
use hetfaas::affinity::CpuSet;
use hetfaas::config::WorkerConfig;
use hetfaas::function::Tier;
use hetfaas::platform::PlatformConfig;
use hetfaas::platform::local::LocalConfig;
use hetfaas_api::{FunctionSpec, PolicyKind};
use serde_json::json;

const BURN: &str = "import time\n\
def handler(event, context):\n    \
    total = 0\n    \
    for i in range(event['n']):\n        \
        total += i * i\n    \
    return total\n";

#[tokio::test]
async fn a_ten_percent_cpu_quota_makes_cpu_bound_work_several_times_slower() {
    let server =
        TestServer::start(vec![local_worker("slow", Tier::Edge, Some(0.1), 0.0), local_worker("fast", Tier::Cloud, None, 0.0)]).await;
    let limits = common::worker_health(&server, "slow").await.details["limits"].as_str().unwrap().to_owned();
    if !limits.starts_with("cgroup") {
        common::skipped("cpu quota", &format!("cgroups are not writable here ({limits}); run as root on cgroup v1 or v2"));
        return;
    }
    server.create_spec(FunctionSpec { timeout_s: 60, ..FunctionSpec::new("burn", BURN) }).await;

    let median = |mut v: Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let times = |policy: PolicyKind| {
        let server = &server;
        async move {
            let mut durations = Vec::new();
            for _ in 0..3 {
                let invoked = server.invoke("burn", r#"{"n": 400000}"#, Some(policy)).await;
                assert_eq!(invoked.status, 200, "{:?}", invoked.json());
                durations.push(invoked.placement.duration_ms);
            }
            durations
        }
    };
    let constrained = median(times(PolicyKind::EdgeOnly).await);
    let free = median(times(PolicyKind::CloudOnly).await);
    eprintln!("median duration: {constrained:.1} ms at 0.1 CPU, {free:.1} ms unconstrained ({limits})");
    assert!(constrained > 3.0 * free, "quota not enforced: {constrained:.1} ms vs {free:.1} ms");
}

#[tokio::test]
async fn an_instances_own_quota_reports_how_long_it_held_each_call_back() {
    let edge = LocalConfig { instance_cpu: Some(0.1), cpu_period_ms: 10, ..LocalConfig::default() };
    let server =
        TestServer::start(vec![WorkerConfig { name: "edge".into(), tier: Tier::Edge, platform: PlatformConfig::Local(edge) }]).await;
    if !common::worker_health(&server, "edge").await.details["limits"].as_str().unwrap().starts_with("cgroup") {
        common::skipped("instance cpu quota", "cgroups are not writable here");
        return;
    }
    server.create_spec(FunctionSpec { timeout_s: 60, ..FunctionSpec::new("burn", BURN) }).await;
    let invoked = server.invoke("burn", r#"{"n": 400000}"#, Some(PolicyKind::EdgeOnly)).await;
    assert_eq!(invoked.status, 200, "{:?}", invoked.json());
    let profile = invoked.placement.profile.expect("a local worker measures each call");
    // A tenth of a core in 10 ms periods: every ms of CPU past the first
    // period's budget is followed by about 9 ms held back.
    assert!(profile.cpu_ms > 2.0, "the call is long enough to test: {profile:?}");
    assert!(profile.throttled_ms.is_some_and(|t| t > profile.cpu_ms), "held back longer than it ran: {profile:?}");
}

/// A handler that answers with the CPUs it may run on.
const WHERE: &str = "import os\ndef handler(event, context):\n    return sorted(os.sched_getaffinity(0))\n";

/// A `Cpus_allowed_list` of `/proc/.../status` ("0-2,5") as CPUs.
fn cpu_list(list: &str) -> Vec<usize> {
    let range = |part: &str| match part.split_once('-') {
        Some((a, b)) => (a.parse().unwrap()..=b.parse().unwrap()).collect(),
        None => vec![part.parse().unwrap()],
    };
    list.trim().split(',').flat_map(range).collect()
}

#[tokio::test]
async fn a_worker_with_cpus_of_its_own_runs_its_handlers_only_there_or_says_it_cannot() {
    let ours = CpuSet::current().unwrap().cpus();
    let last = *ours.last().unwrap();
    let pinned = |cpus: Vec<usize>| WorkerConfig {
        name: "edge".into(),
        tier: Tier::Edge,
        platform: PlatformConfig::Local(LocalConfig { cpus, ..LocalConfig::default() }),
    };

    let server = TestServer::start(vec![pinned(vec![last]), local_worker("cloud", Tier::Cloud, None, 0.0)]).await;
    server.create("where", WHERE).await;
    let on_edge = server.invoke("where", "{}", Some(PolicyKind::EdgeOnly)).await;
    assert_eq!(on_edge.json(), json!([last]), "the pinned worker's handler sees its one CPU");
    let on_cloud = server.invoke("where", "{}", Some(PolicyKind::CloudOnly)).await;
    assert_eq!(on_cloud.json(), json!(ours), "the other worker's sees every CPU the server has");

    assert_eq!(common::worker_health(&server, "edge").await.details["cpus"], format!("pinned to [{last}]"));

    // A scenario written for more CPUs than this machine has still runs,
    // on any CPU, and says so.
    let missing = libc::CPU_SETSIZE as usize - 1;
    let fallback = TestServer::start(vec![pinned(vec![missing])]).await;
    let cpus = common::worker_health(&fallback, "edge").await.details["cpus"].as_str().unwrap().to_owned();
    assert!(cpus.starts_with(&format!("any (cpus: CPU {missing} is not one this server may run on")), "{cpus}");
    fallback.create("where", WHERE).await;
    assert_eq!(fallback.invoke("where", "{}", None).await.json(), json!(ours));
}

#[tokio::test]
async fn a_handler_past_its_memory_limit_is_killed_and_the_next_call_works() {
    let server = TestServer::start(vec![local_worker("edge", Tier::Edge, None, 0.0)]).await;
    if !common::worker_health(&server, "edge").await.details["limits"].as_str().unwrap().starts_with("cgroup") {
        common::skipped("cgroup memory limit", "cgroups are not writable here (tests/limits_fallback.rs covers RLIMIT_AS)");
        return;
    }
    let source =
        "def handler(event, context):\n    blocks = [bytearray(1024 * 1024) for _ in range(event['mb'])]\n    return len(blocks)\n";
    server.create_spec(FunctionSpec { cloud_supported: false, memory_mb: 64, ..FunctionSpec::new("hog", source) }).await;
    let killed = server.invoke("hog", r#"{"mb": 256}"#, None).await;
    assert_eq!(killed.status, 502, "{:?}", killed.json());
    assert_eq!(killed.error().unwrap().error.code, "out_of_memory");
    let fine = server.invoke("hog", r#"{"mb": 8}"#, None).await;
    assert_eq!((fine.status.as_u16(), fine.json()), (200, json!(8)));
}

#[tokio::test]
async fn a_server_confined_to_one_cpu_runs_every_thread_there_and_leaves_its_workers_theirs() {
    let ours = CpuSet::current().unwrap().cpus();
    let (&first, &last) = (ours.first().unwrap(), ours.last().unwrap());
    if first == last {
        common::skipped("server cpus", "this process may run on one CPU only");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("hetfaas.toml");
    let worker = |name: &str, cpus: &str| format!("[[workers]]\nname = \"{name}\"\ntier = \"{name}\"\nkind = \"local\"\ncpus = {cpus}\n");
    let toml = format!(
        "cpus = [{first}]\n[training]\nminimal_sizes = [1]\nfull_invocations = 2\n{}{}",
        worker("edge", &format!("[{last}]")),
        worker("cloud", "[]")
    );
    std::fs::write(&config, toml).unwrap();
    let server = common::spawn_serve(env!("CARGO_BIN_EXE_hetfaas"), &config, &dir.path().join("data"), &[]).await;

    let client = hetfaas_api::Client::new(&server.url);
    client.create(&FunctionSpec::new("where", WHERE)).await.unwrap();
    // (A hang guard, not a timing bet: training two calls takes under a second.)
    client.wait_settled("where", std::time::Duration::from_secs(120)).await.unwrap();
    let client = &client;
    let on = |policy| async move { client.invoke("where", "{}", Some(policy)).await.unwrap().json() };
    assert_eq!(on(PolicyKind::EdgeOnly).await, json!([last]), "the worker pinned elsewhere keeps its CPU");
    assert_eq!(on(PolicyKind::CloudOnly).await, json!(ours), "the worker with none of its own keeps every CPU, not the server's one");

    // Every thread, those the runtime started after the server confined
    // itself included (the invocations above used its blocking pool).
    let tasks: Vec<_> = std::fs::read_dir(format!("/proc/{}/task", server.child.id())).unwrap().map(|t| t.unwrap().path()).collect();
    assert!(tasks.len() > 1, "a multi-threaded server: {tasks:?}");
    for task in tasks {
        let status = std::fs::read_to_string(task.join("status")).unwrap();
        let allowed = status.lines().find_map(|l| l.strip_prefix("Cpus_allowed_list:")).unwrap();
        assert_eq!(cpu_list(allowed), vec![first], "{}", task.display());
    }
}
