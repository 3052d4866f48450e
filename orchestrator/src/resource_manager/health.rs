//! The health monitor: asks every worker whether it can take requests, once
//! a second, so the router reads a flag instead of probing per request. A
//! failed invocation marks a worker unhealthy at once; this loop is what
//! brings it back when it recovers, once its functions are redeployed
//! (see `healing`).

use std::time::Duration;

use super::Orchestrator;

const INTERVAL: Duration = Duration::from_secs(1);

pub async fn monitor(orchestrator: Orchestrator) {
    let mut tick = tokio::time::interval(INTERVAL);
    loop {
        tick.tick().await;
        for worker in orchestrator.workers() {
            let healthy = tokio::time::timeout(INTERVAL * 2, worker.platform.health()).await.unwrap_or(false);
            if healthy && !worker.healthy() {
                orchestrator.recover(worker.id);
            } else {
                worker.set_healthy(healthy);
            }
        }
    }
}
