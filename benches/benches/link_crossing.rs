//! One crossing of a local worker's emulated link, against the tokio sleep
//! it replaced: tokio's timer rounds a sleep up to its next millisecond
//! tick, so a 2 ms link delayed 2 to 3 ms; the link's timerfd delays what
//! it draws. Compare the two means (no jitter is drawn here).

use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use hetfaas::platform::local::network::{Link, NetworkConfig};

const DELAY: Duration = Duration::from_millis(2);

fn crossing(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a tokio runtime");
    let link = Link::new(NetworkConfig { delay_ms: DELAY.as_secs_f64() * 1000.0, jitter_ms: 0.0, bandwidth_mbps: 0.0 }, 1);
    let mut group = c.benchmark_group("link_crossing_2ms");
    group.sample_size(50);
    group.bench_function("link", |b| b.iter(|| runtime.block_on(link.cross(0))));
    group.bench_function("tokio_sleep", |b| b.iter(|| runtime.block_on(async { tokio::time::sleep(DELAY).await })));
    group.finish();
}

criterion_group!(benches, crossing);
criterion_main!(benches);
