//! Reconnect delays as a value: exponential ceiling, full jitter (or none), optional give-up.

use rand::Rng;
use std::time::Duration;

/// `delay(n)` is uniform in `[0, min(max, initial * multiplier^(n-1))]` ("full jitter"), so many
/// clients dropped at once do not reconnect in lockstep. With `jitter: false` the delay is the
/// ceiling itself (`initial = max`, `multiplier = 1`, no jitter is ThingsBoard's own fixed timer).
#[derive(Debug, Clone, PartialEq)]
pub struct Backoff {
    pub initial: Duration,
    pub max: Duration,
    pub multiplier: f64,
    /// `None`: never give up.
    pub max_attempts: Option<u32>,
    /// Full jitter (the default); `false` waits exactly the ceiling.
    pub jitter: bool,
}

impl Default for Backoff {
    fn default() -> Self {
        Self {
            initial: Duration::from_millis(500),
            max: Duration::from_secs(30),
            multiplier: 2.0,
            max_attempts: None,
            jitter: true,
        }
    }
}

impl Backoff {
    /// The upper bound for attempt `attempt` (1-based).
    pub fn ceiling(&self, attempt: u32) -> Duration {
        let exponent = attempt.saturating_sub(1).min(64);
        let factor = self.multiplier.powi(i32::try_from(exponent).unwrap_or(i32::MAX));
        let secs = (self.initial.as_secs_f64() * factor).min(self.max.as_secs_f64());
        Duration::from_secs_f64(secs)
    }

    /// The delay before attempt `attempt`, or `None` once the policy gives up.
    pub fn delay(&self, attempt: u32, rng: &mut impl Rng) -> Option<Duration> {
        if self.max_attempts.is_some_and(|max| attempt > max) {
            return None;
        }
        let ceiling = self.ceiling(attempt);
        if !self.jitter {
            return Some(ceiling);
        }
        Some(ceiling.mul_f64(rng.gen_range(0.0..=1.0)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn ceiling_doubles_to_the_cap() {
        let b = Backoff::default();
        let ceilings: Vec<u64> = (1..=9).map(|n| b.ceiling(n).as_millis() as u64).collect();
        assert_eq!(ceilings, [500, 1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000]);
        assert_eq!(b.ceiling(10_000), Duration::from_secs(30));
    }

    #[test]
    fn delays_stay_within_the_ceiling_and_spread_out() {
        let b = Backoff::default();
        let mut rng = rand::rngs::StdRng::seed_from_u64(7);
        let delays: Vec<Duration> = (0..200).map(|_| b.delay(4, &mut rng).unwrap()).collect();
        assert!(delays.iter().all(|d| *d <= Duration::from_secs(4)));
        let distinct: std::collections::BTreeSet<_> = delays.iter().map(|d| d.as_millis()).collect();
        assert!(distinct.len() > 100, "full jitter spreads delays: {}", distinct.len());
    }

    #[test]
    fn without_jitter_the_delay_is_the_ceiling() {
        let fixed = Backoff {
            initial: Duration::from_secs(2),
            max: Duration::from_secs(2),
            multiplier: 1.0,
            jitter: false,
            ..Backoff::default()
        };
        let mut rng = rand::rngs::StdRng::seed_from_u64(3);
        for attempt in [1, 2, 10] {
            assert_eq!(fixed.delay(attempt, &mut rng), Some(Duration::from_secs(2)));
        }
    }

    #[test]
    fn gives_up_after_max_attempts() {
        let b = Backoff { max_attempts: Some(3), ..Backoff::default() };
        let mut rng = rand::rngs::StdRng::seed_from_u64(1);
        assert!(b.delay(3, &mut rng).is_some());
        assert!(b.delay(4, &mut rng).is_none());
    }
}
