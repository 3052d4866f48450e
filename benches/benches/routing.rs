//! The routing decision on the invoke path, with the functions the server
//! runs: read the function's models from the cache, predict every worker
//! (`learning::predict`), estimate its wait beside the calls in flight
//! (`routing::Backlog`: two calls in flight on each worker, and a stretch
//! from an earlier call), and order the
//! candidates (`routing::decide`), under `predicted`,
//! `least-expected-completion` and `least-marginal-delay`. Target: p99
//! under 1 µs at 16 workers.

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use hetfaas::function::Tier;
use hetfaas::learning::{Line, ModelCache, predict};
use hetfaas::routing::{self, Backlog, Candidate, Policies, PolicyKind, Wait};
use hetfaas::store::ModelRecord;
use hetfaas::worker::{WorkerId, WorkerNames};

fn model(worker: &str, i: usize) -> ModelRecord {
    ModelRecord {
        function: "f".into(),
        worker: worker.into(),
        line: Line::linear(5.0 + i as f64, 0.1 * (i % 7) as f64),
        samples: 100,
        r2: 0.9,
        cleaning: "iqr".into(),
        window_start_ms: 0,
        window_end_ms: 0,
        state: serde_json::Value::Null,
    }
}

/// One configuration of `n` workers with a model each.
struct Setup {
    n: usize,
    cache: ModelCache,
    tiers: Vec<Tier>,
    backlogs: Vec<Backlog>,
    policies: Policies,
    candidates: Vec<Candidate>,
    order: Vec<Candidate>,
}

impl Setup {
    fn new(n: usize, policy: PolicyKind) -> Setup {
        let names = WorkerNames::new((0..n).map(|i| format!("w{i}")).collect());
        let cache = ModelCache::new(names.clone());
        for id in names.ids() {
            cache.install(id, &model(names.name(id), id.index()));
        }
        let tiers = (0..n).map(|i| if i % 2 == 0 { Tier::Edge } else { Tier::Cloud }).collect();
        let backlogs: Vec<Backlog> = (0..n).map(|_| Backlog::default()).collect();
        for (i, backlog) in backlogs.iter().enumerate() {
            for work in [10.0 * i as f64, 100.0] {
                // Calls that never end: their work stays in the backlog.
                std::mem::forget(backlog.enter(work, 1.0));
            }
            backlog.observe(100.0, 150.0, routing::now_us());
        }
        let policies = Policies::new(policy, 1);
        Setup { n, cache, tiers, backlogs, policies, candidates: Vec::with_capacity(n), order: Vec::with_capacity(n) }
    }

    /// What the invoke path does per request; returns the chosen worker.
    fn decide(&mut self, input_size: u64) -> WorkerId {
        let slots = self.cache.slots("f");
        let policy = self.policies.get(None);
        let now = policy.reads_queue().then(routing::now_us);
        self.candidates.clear();
        self.candidates.extend((0..self.n).map(|i| {
            let worker = WorkerId(i as u16);
            let predicted_ms = predict(slots.as_ref(), worker, input_size);
            let wait = match (predicted_ms, now) {
                (Some(p), Some(now)) => self.backlogs[i].wait(p, 1.0, now),
                _ => Wait::default(),
            };
            Candidate { worker, tier: self.tiers[i], predicted_ms, wait, usable: true }
        }));
        routing::decide(Some(policy), &self.candidates, &mut self.order);
        self.order[0].worker
    }
}

const POLICIES: [PolicyKind; 3] = [PolicyKind::Predicted, PolicyKind::LeastExpectedCompletion, PolicyKind::LeastMarginalDelay];

fn decide(c: &mut Criterion) {
    for policy in POLICIES {
        let mut group = c.benchmark_group(format!("routing_decision/{policy}"));
        for n in [2usize, 4, 16] {
            let mut setup = Setup::new(n, policy);
            group.bench_with_input(BenchmarkId::from_parameter(n), &n, |b, _| b.iter(|| setup.decide(std::hint::black_box(500))));
        }
        group.finish();
    }
}

/// Criterion reports means; the target is a p99. Here every one of a
/// million decisions is timed on its own (the clock read, about 20 ns, is
/// included, so these are upper bounds) into an HDR histogram.
fn tail(_: &mut Criterion) {
    const DECISIONS: usize = 1_000_000;
    for (policy, n) in POLICIES.into_iter().flat_map(|p| [2usize, 4, 16].map(|n| (p, n))) {
        let mut setup = Setup::new(n, policy);
        let mut histogram = hdrhistogram::Histogram::<u64>::new_with_bounds(1, 1_000_000_000, 3).expect("valid bounds");
        for i in 0..DECISIONS {
            let start = std::time::Instant::now();
            std::hint::black_box(setup.decide(std::hint::black_box(i as u64 % 1000)));
            histogram.saturating_record(start.elapsed().as_nanos() as u64);
        }
        let q = |p: f64| histogram.value_at_quantile(p);
        println!(
            "routing_decision_tail/{policy}/{n}: {DECISIONS} decisions, p50 {} ns, p99 {} ns, p99.9 {} ns, max {} ns",
            q(0.5),
            q(0.99),
            q(0.999),
            histogram.max()
        );
    }
}

criterion_group!(benches, decide, tail);
criterion_main!(benches);
