//! Counters for `GET /metrics`, in the Prometheus text format.
//!
//! Plain atomics indexed by worker position: the invoke path bumps a few of
//! them per request and never takes a lock or allocates here.

use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::platform::{InvokeOutcome, PlatformError};
use crate::worker::WorkerId;

#[derive(Debug, Default)]
struct WorkerCounters {
    invocations: AtomicU64,
    function_errors: AtomicU64,
    platform_failures: AtomicU64,
    cold_starts: AtomicU64,
    duration_us: AtomicU64,
}

/// A worker's name, health, CPU and memory utilisation, for the gauges.
pub type WorkerGauge<'a> = (&'a str, bool, f64, f64);
type Series<T> = (&'static str, &'static str, fn(&T) -> f64);

#[derive(Debug)]
pub struct Metrics {
    workers: Vec<WorkerCounters>,
}

impl Metrics {
    pub fn new(workers: usize) -> Metrics {
        Metrics { workers: (0..workers).map(|_| WorkerCounters::default()).collect() }
    }

    /// Counts one attempt on `worker`.
    pub fn observe(&self, worker: WorkerId, duration_ms: f64, outcome: &Result<InvokeOutcome, PlatformError>) {
        let c = &self.workers[worker.index()];
        c.invocations.fetch_add(1, Ordering::Relaxed);
        c.duration_us.fetch_add((duration_ms * 1000.0) as u64, Ordering::Relaxed);
        match outcome {
            Ok(o) => {
                if o.result.is_err() {
                    c.function_errors.fetch_add(1, Ordering::Relaxed);
                }
                if o.cold {
                    c.cold_starts.fetch_add(1, Ordering::Relaxed);
                }
            }
            Err(_) => {
                c.platform_failures.fetch_add(1, Ordering::Relaxed);
            }
        }
    }

    /// Renders every counter; `workers` gives each position its name, and
    /// `extra` adds gauges owned elsewhere (name, help, value).
    pub fn render(&self, workers: &[(&str, bool, f64, f64)], extra: &[(&str, &str, f64)]) -> String {
        let mut out = String::new();
        let series: [Series<WorkerCounters>; 5] = [
            ("hetfaas_invocations_total", "Invocation attempts per worker.", |c| c.invocations.load(Ordering::Relaxed) as f64),
            ("hetfaas_function_errors_total", "Invocations the handler failed.", |c| c.function_errors.load(Ordering::Relaxed) as f64),
            ("hetfaas_platform_failures_total", "Attempts the worker failed.", |c| c.platform_failures.load(Ordering::Relaxed) as f64),
            ("hetfaas_cold_starts_total", "Invocations that started an instance.", |c| c.cold_starts.load(Ordering::Relaxed) as f64),
            ("hetfaas_duration_seconds_sum", "Summed durations, network included.", |c| c.duration_us.load(Ordering::Relaxed) as f64 / 1e6),
        ];
        for (name, help, read) in series {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} counter");
            for (counters, (worker, ..)) in self.workers.iter().zip(workers) {
                let _ = writeln!(out, "{name}{{worker=\"{worker}\"}} {}", read(counters));
            }
        }
        let gauges: [Series<WorkerGauge>; 3] = [
            ("hetfaas_worker_healthy", "1 if the worker takes requests.", |w| if w.1 { 1.0 } else { 0.0 }),
            ("hetfaas_worker_cpu_utilisation", "CPU use over the last window, 0..1.", |w| w.2),
            ("hetfaas_worker_memory_utilisation", "Memory use, 0..1.", |w| w.3),
        ];
        for (name, help, read) in gauges {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} gauge");
            for w in workers {
                let _ = writeln!(out, "{name}{{worker=\"{}\"}} {}", w.0, read(w));
            }
        }
        for (name, help, value) in extra {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} gauge\n{name} {value}");
        }
        out
    }
}
