//! The emulated network between the orchestrator and a local worker.
//!
//! The dissertation's cloud was a remote AWS region and its edge a local
//! cluster (5.1); duration includes the network (the dissertation's 3.3). A local worker
//! therefore delays each direction by a one-way latency drawn from a seeded
//! normal distribution, plus the payload's transmission time.

use std::sync::Mutex;
use std::time::Duration;

use rand::SeedableRng;
use rand::rngs::StdRng;
use rand_distr::{Distribution, Normal};
use serde::{Deserialize, Serialize};

/// Link settings of one worker, as written in the configuration.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct NetworkConfig {
    /// Mean one-way delay in milliseconds.
    #[serde(default)]
    pub delay_ms: f64,
    /// Standard deviation of the one-way delay in milliseconds.
    #[serde(default)]
    pub jitter_ms: f64,
    /// Link bandwidth in megabits per second; 0 means unlimited.
    #[serde(default)]
    pub bandwidth_mbps: f64,
}

impl Default for NetworkConfig {
    fn default() -> Self {
        NetworkConfig { delay_ms: 0.0, jitter_ms: 0.0, bandwidth_mbps: 0.0 }
    }
}

/// A link with its own seeded random source. The lock is held only to draw
/// one sample, never across a sleep.
#[derive(Debug)]
pub struct Link {
    config: NetworkConfig,
    rng: Mutex<StdRng>,
}

impl Link {
    pub fn new(config: NetworkConfig, seed: u64) -> Link {
        Link { config, rng: Mutex::new(StdRng::seed_from_u64(seed)) }
    }

    /// The time `bytes` take to cross the link one way.
    pub fn one_way(&self, bytes: usize) -> Duration {
        let NetworkConfig { delay_ms, jitter_ms, bandwidth_mbps } = self.config;
        let latency_ms = if jitter_ms > 0.0 {
            let normal = Normal::new(delay_ms, jitter_ms).expect("jitter is positive and finite");
            normal.sample(&mut *self.rng.lock().expect("link rng lock poisoned"))
        } else {
            delay_ms
        };
        let transfer_ms = if bandwidth_mbps > 0.0 { bytes as f64 * 8.0 / (bandwidth_mbps * 1000.0) } else { 0.0 };
        Duration::from_secs_f64((latency_ms.max(0.0) + transfer_ms) / 1000.0)
    }

    /// Sleeps for one crossing of `bytes`; a zero-delay link costs nothing.
    pub async fn cross(&self, bytes: usize) {
        let delay = self.one_way(bytes);
        if !delay.is_zero() {
            tokio::time::sleep(delay).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_gives_the_same_delays() {
        let config = NetworkConfig { delay_ms: 25.0, jitter_ms: 5.0, bandwidth_mbps: 0.0 };
        let (a, b) = (Link::new(config.clone(), 7), Link::new(config, 7));
        let draws = |l: &Link| (0..20).map(|_| l.one_way(0)).collect::<Vec<_>>();
        assert_eq!(draws(&a), draws(&b));
    }

    #[test]
    fn bandwidth_adds_transmission_time() {
        let link = Link::new(NetworkConfig { delay_ms: 2.0, jitter_ms: 0.0, bandwidth_mbps: 8.0 }, 1);
        // 1 MB at 8 Mbit/s is one second, plus the 2 ms latency.
        assert_eq!(link.one_way(1_000_000), Duration::from_millis(1002));
    }
}
