//! The routing decision on the invoke path: read the function's models from
//! the cache, predict every worker, and let the `predicted` policy order
//! the candidates. SPEC target: p99 under 1 µs.

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use hetfaas::function::Tier;
use hetfaas::learning::{ModelCache, line};
use hetfaas::routing::{Candidate, Policies, PolicyKind};
use hetfaas::store::ModelRecord;

fn model(worker: &str, i: usize) -> ModelRecord {
    ModelRecord {
        function: "f".into(),
        worker: worker.into(),
        intercept: 5.0 + i as f64,
        slope: 0.1 * (i % 7) as f64,
        samples: 100,
        r2: 0.9,
        cleaning: "iqr".into(),
        window_start_ms: 0,
        window_end_ms: 0,
        state: serde_json::Value::Null,
    }
}

fn decide(c: &mut Criterion) {
    let mut group = c.benchmark_group("routing_decision");
    for n in [2usize, 4, 16] {
        let workers: Vec<String> = (0..n).map(|i| format!("w{i}")).collect();
        let cache = ModelCache::new(workers.clone());
        for (i, w) in workers.iter().enumerate() {
            cache.install(&model(w, i));
        }
        let tiers: Vec<Tier> = (0..n).map(|i| if i % 2 == 0 { Tier::Edge } else { Tier::Cloud }).collect();
        let policies = Policies::new(PolicyKind::Predicted, 1);
        let mut candidates = Vec::with_capacity(n);
        let mut order = Vec::with_capacity(n);
        group.bench_with_input(BenchmarkId::from_parameter(n), &n, |b, _| {
            b.iter(|| {
                let slots = cache.slots("f").expect("installed");
                candidates.clear();
                candidates.extend((0..n).map(|i| Candidate {
                    worker: i,
                    tier: tiers[i],
                    predicted_ms: slots[i].as_deref().map(|m| line(m).predict(std::hint::black_box(500))),
                    usable: true,
                }));
                order.clear();
                policies.get(None).rank(&candidates, &mut order);
                std::hint::black_box(order[0].worker)
            })
        });
    }
    group.finish();
}

criterion_group!(benches, decide);
criterion_main!(benches);
