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

/// A local worker's `network`: an emulated link to the orchestrator (a
/// table), or `"none"`: each handler gets a network namespace of its own
/// with nothing in it (no route anywhere, not even to this machine), where
/// the kernel allows it, and calls cross no emulated delay.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Network {
    Link(NetworkConfig),
    None(NoNetwork),
}

/// The word `none`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum NoNetwork {
    None,
}

impl Default for Network {
    fn default() -> Self {
        Network::Link(NetworkConfig::default())
    }
}

impl From<NetworkConfig> for Network {
    fn from(link: NetworkConfig) -> Network {
        Network::Link(link)
    }
}

impl Network {
    /// The emulated link's settings (none without a network).
    pub fn link(&self) -> NetworkConfig {
        match self {
            Network::Link(config) => config.clone(),
            Network::None(_) => NetworkConfig::default(),
        }
    }

    pub fn isolated(&self) -> bool {
        matches!(self, Network::None(_))
    }
}

/// By hand rather than `untagged`, so that a mistyped key in the table is
/// reported as such instead of as "matched no variant".
impl<'de> Deserialize<'de> for Network {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Network, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = Network;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a table { delay_ms, jitter_ms, bandwidth_mbps } or \"none\"")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Network, E> {
                match v {
                    "none" => Ok(Network::None(NoNetwork::None)),
                    other => Err(E::invalid_value(serde::de::Unexpected::Str(other), &self)),
                }
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, map: A) -> Result<Network, A::Error> {
                NetworkConfig::deserialize(serde::de::value::MapAccessDeserializer::new(map)).map(Network::Link)
            }
        }
        deserializer.deserialize_any(Visitor)
    }
}

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

/// Longest one-way delay a link may emulate: a minute.
const MAX_DELAY_MS: f64 = 60_000.0;

impl NetworkConfig {
    /// Values a link cannot emulate (a sleep of NaN or forever), by key.
    pub fn validate(&self) -> Result<(), String> {
        let check = |key: &str, value: f64, max: f64| {
            if (0.0..=max).contains(&value) { Ok(()) } else { Err(format!("network.{key} must be between 0 and {max}, got {value}")) }
        };
        check("delay_ms", self.delay_ms, MAX_DELAY_MS)?;
        check("jitter_ms", self.jitter_ms, MAX_DELAY_MS)?;
        check("bandwidth_mbps", self.bandwidth_mbps, 1e9)
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

    /// The mean time a call spends on the link, there and back, before
    /// transmission time.
    pub fn round_trip_ms(&self) -> f64 {
        2.0 * self.config.delay_ms
    }

    /// Sleeps for one crossing of `bytes`; a zero-delay link costs nothing.
    ///
    /// On a timerfd rather than tokio's timer: tokio's wheel rounds every
    /// sleep up to the next whole millisecond, so a 2 ms link took 2 to 3
    /// ms each way, by where the call fell between two ticks (3.1 ms on
    /// average back to back: the `link_crossing` bench), which is neither
    /// the delay nor the jitter configured. Without a timerfd (the
    /// descriptor limit reached), tokio's timer.
    pub async fn cross(&self, bytes: usize) {
        let delay = self.one_way(bytes);
        if delay.is_zero() {
            return;
        }
        let deadline = std::time::Instant::now() + delay;
        let precise = async { tokio_timerfd::Delay::new(deadline)?.await };
        if let Err(error) = precise.await {
            tracing::warn!(%error, "no timerfd for the emulated link; it delays to the millisecond");
            tokio::time::sleep_until(deadline.into()).await;
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
    fn a_network_is_a_table_or_none_and_typos_are_named() {
        #[derive(Deserialize)]
        struct W {
            network: Network,
        }
        let none: W = toml::from_str("network = \"none\"").unwrap();
        assert!(none.network.isolated() && none.network.link() == NetworkConfig::default());
        let link: W = toml::from_str("network = { delay_ms = 2.0 }").unwrap();
        assert_eq!(link.network.link().delay_ms, 2.0);
        let typo = toml::from_str::<W>("network = { delay = 2.0 }").err().unwrap().to_string();
        assert!(typo.contains("delay"), "{typo}");
        assert!(toml::from_str::<W>("network = \"off\"").is_err());
        let forever = NetworkConfig { delay_ms: f64::INFINITY, ..NetworkConfig::default() };
        assert!(forever.validate().unwrap_err().contains("network.delay_ms"));
    }

    #[tokio::test]
    async fn a_crossing_takes_at_least_its_delay() {
        let link = Link::new(NetworkConfig { delay_ms: 2.0, jitter_ms: 0.0, bandwidth_mbps: 0.0 }, 1);
        for _ in 0..20 {
            let started = std::time::Instant::now();
            link.cross(0).await;
            assert!(started.elapsed() >= Duration::from_millis(2));
        }
    }

    #[test]
    fn bandwidth_adds_transmission_time() {
        let link = Link::new(NetworkConfig { delay_ms: 2.0, jitter_ms: 0.0, bandwidth_mbps: 8.0 }, 1);
        // 1 MB at 8 Mbit/s is one second, plus the 2 ms latency.
        assert_eq!(link.one_way(1_000_000), Duration::from_millis(1002));
    }
}
