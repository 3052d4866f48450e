//! Stage `soak`: a steady open-loop rate over a seeded mix of the imported
//! functions for a long time (10 minutes in `scenarios/soak.toml`), to show
//! zero errors and flat memory. The harness's resident memory (the
//! in-process orchestrator with its load generator) is sampled every second;
//! with `--target` the server is elsewhere and only latencies are recorded.
//! Writes `soak.csv` (one row per request) and `soak_memory.csv`.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use rand::Rng;

use super::{Context, event};
use crate::load::{Request, Shape, drive};
use crate::results::{MemoryRow, SoakRow};

pub async fn run(ctx: &Context, in_process: bool) -> anyhow::Result<()> {
    let s = &ctx.scenario.stages.soak;
    let mut rng = ctx.rng("soak");
    let count = s.rate * s.seconds;
    let workload: Vec<(usize, u64)> =
        (0..count).map(|_| (rng.gen_range(0..ctx.imported.len()), s.sizes[rng.gen_range(0..s.sizes.len())])).collect();
    let requests = workload
        .iter()
        .enumerate()
        .map(|(tag, &(f, size))| Request {
            function: ctx.imported[f].name.clone(),
            event: event(&ctx.imported[f], size, &mut rng),
            policy: None,
            tag,
        })
        .collect();
    let memory = Arc::new(Mutex::new(Vec::new()));
    let sampler = in_process.then(|| tokio::spawn(sample_memory(memory.clone())));
    let records = drive(ctx.api.base(), requests, Shape::Open { rate: s.rate }, ctx.bar("soak", count as u64)).await?;
    if let Some(sampler) = sampler {
        sampler.abort();
        let memory = std::mem::take(&mut *memory.lock().expect("memory lock poisoned"));
        ctx.run.write(&memory)?;
    }
    let rows: Vec<SoakRow> = records
        .into_iter()
        .map(|r| {
            let (f, size) = workload[r.tag];
            SoakRow {
                sent_s: r.sent_s,
                function: ctx.imported[f].name.clone(),
                input_size: size,
                worker: r.placement.worker,
                status: r.status,
                latency_ms: r.latency_ms,
            }
        })
        .collect();
    ctx.run.write(&rows)
}

/// Appends this process's resident memory to `into` every second.
async fn sample_memory(into: Arc<Mutex<Vec<MemoryRow>>>) {
    let start = std::time::Instant::now();
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    loop {
        tick.tick().await;
        if let Some(rss_mb) = resident_mb() {
            into.lock().expect("memory lock poisoned").push(MemoryRow { t_s: start.elapsed().as_secs_f64(), rss_mb });
        }
    }
}

/// `VmRSS` of this process, in MB (Linux).
fn resident_mb() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let kb: f64 = status.lines().find_map(|l| l.strip_prefix("VmRSS:"))?.trim().trim_end_matches("kB").trim().parse().ok()?;
    Some(kb / 1024.0)
}
