//! Execution rows written to the SQLite store per second, in the batches the
//! recorder forms (one transaction per batch): 1, 64 and 1,024 rows. The
//! recorder writes off the invoke path, so this bounds the sustained
//! invocation rate the store can record, not request latency.

use std::collections::BTreeMap;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use hetfaas::store::sqlite::SqliteStore;
use hetfaas::store::{Execution, Store};

fn row(i: usize) -> Execution {
    Execution {
        function: format!("f{}", i % 8),
        worker: if i % 2 == 0 { "edge".into() } else { "cloud".into() },
        input_size: (i % 1000) as u64,
        duration_ms: 12.5,
        success: true,
        error: None,
        predicted_ms: BTreeMap::from([("edge".into(), 11.0), ("cloud".into(), 30.0)]),
        policy: hetfaas_api::PolicyKind::Predicted,
        started_at_ms: i as i64,
        cold: false,
        training: false,
        client_gone: false,
        cpu_ms: Some(3.0),
        maxrss_kb: Some(9000),
    }
}

fn writes(c: &mut Criterion) {
    let runtime = tokio::runtime::Runtime::new().expect("a tokio runtime");
    let dir = tempfile::tempdir().expect("a temporary directory");
    let store = runtime.block_on(SqliteStore::open(&dir.path().join("bench.db"))).expect("the store opens");
    let mut group = c.benchmark_group("store_append_executions");
    for batch in [1usize, 64, 1024] {
        let rows: Vec<Execution> = (0..batch).map(row).collect();
        group.throughput(Throughput::Elements(batch as u64));
        group.bench_with_input(BenchmarkId::from_parameter(batch), &rows, |b, rows| {
            b.iter(|| runtime.block_on(store.append_executions(rows)).expect("rows are written"));
        });
    }
    group.finish();
}

criterion_group!(benches, writes);
criterion_main!(benches);
