//! Invocation load through goose (the dissertation used JMeter).
//!
//! A stage hands over the exact requests it wants, in order; goose users
//! take them from a shared queue, so the sequence is the stage's (and the
//! seed's), whatever the shape: one user in sequence, N users in a closed
//! loop, or an open loop (request i is due at i/rate seconds, or at the
//! time a seeded arrival process gave it, and the user holding it waits
//! until then, with enough users that a slow answer does not delay the next
//! arrival; latency is measured from the send, never from the wait). Each
//! answer's placement headers are recorded by the transaction itself.
//!
//! On a 2-core machine goose and the orchestrator share the CPU: latencies
//! include that contention, and reports say so.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use goose::config::GooseConfiguration;
use goose::prelude::*;
use hetfaas_api::headers::POLICY;
use hetfaas_api::{Placement, PolicyKind};
use indicatif::ProgressBar;

/// One request a stage wants sent. `tag` lets the stage find it again.
#[derive(Debug, Clone)]
pub struct Request {
    pub function: String,
    pub event: Arc<Vec<u8>>,
    pub policy: Option<PolicyKind>,
    pub tag: usize,
}

/// One answer: its status, where it ran, and how long the client waited.
#[derive(Debug, Clone)]
pub struct Record {
    pub tag: usize,
    pub status: u16,
    pub placement: Placement,
    pub latency_ms: f64,
    /// Seconds since the load started, when the request was sent.
    pub sent_s: f64,
}

#[derive(Debug, Clone)]
pub enum Shape {
    Sequential,
    Closed {
        users: usize,
    },
    /// `rate` arrivals per second; the stage sends `rate × seconds` requests.
    Open {
        rate: usize,
    },
    /// Open loop on a given schedule: request i is due `at[i]` seconds
    /// from the start (see `arrivals.rs`).
    Scheduled {
        at: Arc<Vec<f64>>,
    },
}

impl Shape {
    /// Send times of an open loop of `total` requests.
    fn due(&self, total: usize) -> Option<Arc<Vec<f64>>> {
        match self {
            Shape::Open { rate } => Some(Arc::new((0..total).map(|i| i as f64 / (*rate).max(1) as f64).collect())),
            Shape::Scheduled { at } => Some(at.clone()),
            Shape::Sequential | Shape::Closed { .. } => None,
        }
    }

    /// Goose users: enough that a slow answer never delays the next
    /// arrival (twice the busiest second's arrivals, 4 to 64).
    fn users(&self, due: Option<&[f64]>) -> usize {
        match (self, due) {
            (Shape::Closed { users }, _) => *users,
            (_, Some(at)) => {
                let busiest = at.iter().enumerate().map(|(i, &t)| at[i..].partition_point(|&u| u < t + 1.0)).max().unwrap_or(1);
                (busiest * 2).clamp(4, 64)
            }
            _ => 1,
        }
    }
}

struct Shared {
    queue: Mutex<VecDeque<(usize, Request)>>,
    /// Open loop: when each request is due, in seconds from the start.
    due: Option<Arc<Vec<f64>>>,
    records: Mutex<Vec<Record>>,
    start: Instant,
    progress: ProgressBar,
}

/// Sends every request with the given shape; returns one record per
/// request, in completion order (status 0 where no answer came).
pub async fn drive(host: &str, requests: Vec<Request>, shape: Shape, progress: ProgressBar) -> anyhow::Result<Vec<Record>> {
    let total = requests.len();
    progress.set_length(total as u64);
    let due = shape.due(total);
    let users = shape.users(due.as_deref().map(Vec::as_slice));
    let queue = Mutex::new(requests.into_iter().enumerate().collect());
    let shared = Arc::new(Shared { queue, due, records: Mutex::default(), start: Instant::now(), progress });
    let mut args: Vec<String> = ["--host", host, "--increase-rate", "1000", "--quiet", "--quiet", "--no-print-metrics", "--no-telnet"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    args.extend(["--users".to_string(), users.to_string(), "--iterations".to_string(), total.div_ceil(users).to_string()]);
    let config = GooseConfiguration::parse_args_default(&args)?;
    let task = shared.clone();
    let transaction: TransactionFunction = Arc::new(move |user| {
        let shared = task.clone();
        Box::pin(async move { send_next(user, &shared).await })
    });
    GooseAttack::initialize_with_config(config)?
        .register_scenario(scenario!("invoke").register_transaction(Transaction::new(transaction)))
        .execute()
        .await?;
    shared.progress.finish_and_clear();
    let records = std::mem::take(&mut *shared.records.lock().expect("records lock poisoned"));
    Ok(records)
}

async fn send_next(user: &mut GooseUser, shared: &Shared) -> TransactionResult {
    let next = shared.queue.lock().expect("queue lock poisoned").pop_front();
    let Some((index, request)) = next else {
        // Nothing left: idle briefly instead of spinning until goose stops.
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        return Ok(());
    };
    let mut builder = user
        .get_request_builder(&GooseMethod::Post, &format!("/functions/{}/invoke", request.function))?
        .header("content-type", "application/json")
        .body(request.event.as_ref().clone());
    if let Some(policy) = request.policy {
        builder = builder.header(POLICY, policy.as_str());
    }
    if let Some(at) = shared.due.as_ref().and_then(|due| due.get(index)) {
        tokio::time::sleep_until((shared.start + std::time::Duration::from_secs_f64(*at)).into()).await;
    }
    let sent = Instant::now();
    let goose = user.request(GooseRequest::builder().set_request_builder(builder).name("invoke").build()).await?;
    let latency_ms = sent.elapsed().as_secs_f64() * 1000.0;
    // A transport error or timeout is a row too (status 0), so that no
    // failure vanishes from a comparison.
    let (status, placement) = match goose.response {
        Ok(response) => {
            let answer = (response.status().as_u16(), Placement::from_headers(response.headers()));
            let _ = response.bytes().await;
            answer
        }
        Err(_) => (0, Placement { duration_ms: f64::NAN, ..Placement::default() }),
    };
    let sent_s = sent.duration_since(shared.start).as_secs_f64();
    let record = Record { tag: request.tag, status, placement, latency_ms, sent_s };
    shared.records.lock().expect("records lock poisoned").push(record);
    shared.progress.inc(1);
    Ok(())
}
