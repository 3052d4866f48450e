//! The cost of learning from one more execution, as the history grows:
//! `sufficient-statistics` absorbs the row in O(1); `refit-all` (the
//! dissertation's) cleans and refits the whole history. Both in one run, so
//! their ratio holds on a noisy machine. Target: at 10^6 rows the
//! default is at least 1,000 times cheaper. The refit chooses the model's
//! family by held-out error, as the default `learning.model = "auto"` does;
//! the absorb keeps it. (`refit-all` in the server also
//! reads the history from the store first; that read is not counted here,
//! so the ratio is a lower bound.)

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use hetfaas::learning::cleaning::Cleaning;
use hetfaas::learning::family::ModelChoice;
use hetfaas::learning::model::Model;
use hetfaas::store::Execution;

fn row(i: u64) -> Execution {
    let size = (i * 37) % 1000 + 1;
    Execution {
        function: "f".into(),
        worker: "edge".into(),
        input_size: size,
        duration_ms: 10.0 + 0.2 * size as f64 + ((i * 11) % 5) as f64,
        success: true,
        error: None,
        predicted_ms: Default::default(),
        policy: hetfaas_api::PolicyKind::Predicted,
        started_at_ms: i as i64,
        cold: false,
        training: false,
        client_gone: false,
        cpu_ms: None,
        maxrss_kb: None,
    }
}

fn update(c: &mut Criterion) {
    let cleaning = Cleaning::default();
    let mut group = c.benchmark_group("model_update");
    group.sample_size(10);
    for n in [1_000u64, 10_000, 100_000, 1_000_000] {
        let history: Vec<Execution> = (0..n).map(row).collect();
        let next = row(n);
        let fitted = Model::fit("f", "edge", &history, &cleaning, ModelChoice::Auto, None).expect("rows to fit");
        group.bench_with_input(BenchmarkId::new("sufficient_statistics", n), &n, |b, _| {
            let mut model = fitted.clone();
            b.iter(|| model.absorb(std::hint::black_box(&next), &cleaning))
        });
        group.bench_with_input(BenchmarkId::new("refit_all", n), &n, |b, _| {
            b.iter(|| Model::fit("f", "edge", std::hint::black_box(&history), &cleaning, ModelChoice::Auto, None))
        });
    }
    group.finish();
}

criterion_group!(benches, update);
criterion_main!(benches);
