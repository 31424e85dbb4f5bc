//! When a failed operation is tried again: the one place that decides retry timing.
//!
//! Exponential backoff with full jitter: after the `n`th failure the delay is uniform in
//! `[0, min(CAP, BASE * 2^(n-1)))`, so devices that lost the network together do not
//! return together. A server's `Retry-After` replaces the computed delay.
//!
//! The draw comes from a [`Random`] the store is opened with, as time comes from its
//! [`crate::Clock`]: [`SystemRandom`] in apps, [`FixedRandom`] or [`SeededRandom`] in tests
//! and simulations, so that a retry time is an exact, repeatable value.

use std::fmt::Debug;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// A source of uniform draws in `[0, 1)`.
pub trait Random: Send + Sync + Debug {
    fn unit(&self) -> f64;
}

/// The operating system's randomness (through `rand`'s thread-local generator).
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemRandom;

impl Random for SystemRandom {
    fn unit(&self) -> f64 {
        rand::random::<f64>()
    }
}

/// Always the same draw (clamped into `[0, 1]`): `FixedRandom(1.0)` makes every backoff its
/// ceiling, `FixedRandom(0.0)` makes every retry due at once.
#[derive(Debug, Clone, Copy)]
pub struct FixedRandom(pub f64);

impl Random for FixedRandom {
    fn unit(&self) -> f64 {
        self.0
    }
}

/// A repeatable sequence of draws from a seed (SplitMix64), for simulations that must
/// replay a run exactly.
#[derive(Debug)]
pub struct SeededRandom {
    state: AtomicU64,
}

impl SeededRandom {
    pub fn new(seed: u64) -> Self {
        SeededRandom {
            state: AtomicU64::new(seed),
        }
    }

    /// The next 64 random bits.
    pub fn next_u64(&self) -> u64 {
        let mut z = self
            .state
            .fetch_add(0x9E37_79B9_7F4A_7C15, Ordering::Relaxed)
            .wrapping_add(0x9E37_79B9_7F4A_7C15);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

impl Random for SeededRandom {
    fn unit(&self) -> f64 {
        // The top 53 bits, as a fraction: uniform in [0, 1).
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// The first retry waits up to this long.
pub const BASE: Duration = Duration::from_secs(1);
/// No computed retry waits longer than this.
pub const CAP: Duration = Duration::from_secs(300);
/// A `Retry-After` longer than this is treated as this (a misconfigured server must not
/// park an officer's duress alarm for a day).
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(3600);
/// Duress and panic never wait longer than this between attempts, whatever the backoff
/// or the server's `Retry-After` says.
pub const URGENT_CAP: Duration = Duration::from_secs(30);

/// The delay before the next attempt after `failures` consecutive failures (1 for the
/// first), with `unit` drawn uniformly from `[0, 1)`.
pub fn delay(failures: u32, unit: f64, retry_after: Option<Duration>) -> Duration {
    if let Some(after) = retry_after {
        return after.min(MAX_RETRY_AFTER);
    }
    let exp = failures.saturating_sub(1).min(31);
    let ceiling = BASE.saturating_mul(1u32 << exp).min(CAP);
    let unit = if unit.is_finite() {
        unit.clamp(0.0, 1.0)
    } else {
        0.0
    };
    ceiling.mul_f64(unit)
}

/// [`delay`] with a draw from `random`.
pub fn jittered_delay(
    failures: u32,
    random: &dyn Random,
    retry_after: Option<Duration>,
) -> Duration {
    delay(failures, random.unit(), retry_after)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ceiling_doubles_from_one_second_and_caps_at_five_minutes() {
        let top = |n| delay(n, 1.0, None);
        assert_eq!(top(1), Duration::from_secs(1));
        assert_eq!(top(2), Duration::from_secs(2));
        assert_eq!(top(9), Duration::from_secs(256));
        assert_eq!(top(10), CAP);
        assert_eq!(top(1000), CAP);
    }

    #[test]
    fn full_jitter_spans_zero_to_the_ceiling() {
        assert_eq!(delay(5, 0.0, None), Duration::ZERO);
        assert_eq!(delay(5, 0.5, None), Duration::from_secs(8));
    }

    #[test]
    fn retry_after_replaces_backoff_but_is_capped() {
        let after = Duration::from_secs(7);
        assert_eq!(delay(12, 0.9, Some(after)), after);
        assert_eq!(
            delay(1, 0.9, Some(Duration::from_secs(86_400))),
            MAX_RETRY_AFTER
        );
    }

    #[test]
    fn a_draw_that_is_not_a_number_means_no_wait_rather_than_a_panic() {
        assert_eq!(delay(3, f64::NAN, None), Duration::ZERO);
        assert_eq!(delay(3, f64::INFINITY, None), Duration::ZERO);
    }

    #[test]
    fn random_draws_stay_within_the_ceiling() {
        for _ in 0..1000 {
            assert!(jittered_delay(3, &SystemRandom, None) < Duration::from_secs(4));
        }
    }

    #[test]
    fn a_seed_replays_the_same_draws_and_they_stay_in_the_unit_interval() {
        let (a, b) = (SeededRandom::new(42), SeededRandom::new(42));
        let draws: Vec<f64> = (0..1000).map(|_| a.unit()).collect();
        assert_eq!(draws, (0..1000).map(|_| b.unit()).collect::<Vec<_>>());
        assert!(draws.iter().all(|u| (0.0..1.0).contains(u)));
        assert_ne!(SeededRandom::new(43).unit(), draws[0]);
    }

    #[test]
    fn a_fixed_draw_gives_an_exact_delay() {
        assert_eq!(
            jittered_delay(4, &FixedRandom(0.25), None),
            Duration::from_secs(2)
        );
    }
}
