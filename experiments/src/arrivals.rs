//! Open-loop arrival processes, seeded: when each request of an open loop
//! is sent, in seconds from the start. Serverless traffic is not a metronome;
//! the policies stage compares routing under each of these.
//!
//! - `fixed`: request i at i / rate (the earlier open loop).
//! - `poisson`: independent arrivals, exponential gaps of mean 1 / rate.
//! - `bursty`: on/off: Poisson at twice the rate during on phases, nothing
//!   during off phases of the same length ([`PHASE_S`] each), so the mean
//!   rate is the same and the peaks double it.

use rand::Rng;
use rand_distr::{Distribution, Exp};
use serde::{Deserialize, Serialize};

/// Length of each on and each off phase of `bursty`.
pub const PHASE_S: f64 = 1.0;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Arrivals {
    Fixed,
    Poisson,
    Bursty,
}

impl Arrivals {
    /// The load's name in the CSVs and the report (`open` for the fixed
    /// rate, as before).
    pub fn label(self) -> &'static str {
        match self {
            Arrivals::Fixed => "open",
            Arrivals::Poisson => "poisson",
            Arrivals::Bursty => "bursty",
        }
    }

    /// Send times of `rate × seconds` requests.
    pub fn schedule(self, rate: f64, seconds: f64, rng: &mut impl Rng) -> Vec<f64> {
        let count = (rate * seconds).round() as usize;
        match self {
            Arrivals::Fixed => (0..count).map(|i| i as f64 / rate).collect(),
            Arrivals::Poisson => poisson(count, rate, rng).collect(),
            // Busy time is stretched over on and off phases alike.
            Arrivals::Bursty => poisson(count, 2.0 * rate, rng)
                .map(|busy| {
                    let phase = (busy / PHASE_S).floor();
                    busy + phase * PHASE_S
                })
                .collect(),
        }
    }
}

fn poisson(count: usize, rate: f64, rng: &mut impl Rng) -> impl Iterator<Item = f64> + '_ {
    let gap = Exp::new(rate).expect("a positive rate");
    (0..count).scan(0.0, move |t, _| {
        *t += gap.sample(rng);
        Some(*t)
    })
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng;
    use rand::rngs::StdRng;

    use super::*;

    #[test]
    fn every_process_keeps_the_mean_rate_and_its_own_shape() {
        let rate = 50.0;
        for arrivals in [Arrivals::Fixed, Arrivals::Poisson, Arrivals::Bursty] {
            let at = arrivals.schedule(rate, 40.0, &mut StdRng::seed_from_u64(7));
            assert_eq!(at.len(), 2000);
            assert!(at.windows(2).all(|w| w[0] <= w[1]), "{arrivals:?}: in time order");
            let span = at[at.len() - 1];
            assert!((span - 40.0).abs() < 4.0, "{arrivals:?}: 2000 requests at 50/s take about 40 s, not {span:.1}");
            let in_off_phases = at.iter().filter(|&&t| (t / PHASE_S).floor() as u64 % 2 == 1).count();
            match arrivals {
                Arrivals::Bursty => assert_eq!(in_off_phases, 0, "nothing arrives while off"),
                _ => assert!(in_off_phases > 800, "{arrivals:?}: arrivals in every second"),
            }
        }
        let first = Arrivals::Poisson.schedule(rate, 40.0, &mut StdRng::seed_from_u64(7));
        let gaps: Vec<f64> = first.windows(2).map(|w| w[1] - w[0]).collect();
        let mean = gaps.iter().sum::<f64>() / gaps.len() as f64;
        let sd = (gaps.iter().map(|g| (g - mean).powi(2)).sum::<f64>() / gaps.len() as f64).sqrt();
        assert!((sd / mean - 1.0).abs() < 0.1, "exponential gaps: sd ≈ mean, got {sd:.4} vs {mean:.4}");
        assert_eq!(Arrivals::Poisson.schedule(rate, 40.0, &mut StdRng::seed_from_u64(7)), first, "seeded");
    }
}
