//! The run's one source of randomness: a [`SeededRandom`] shared by the simulator (every
//! choice it makes) and each device's store (backoff jitter), so one seed fixes the run.

use std::sync::Arc;

use cordon_core::SeededRandom;

/// Draws from the run's one seeded generator.
#[derive(Debug, Clone)]
pub struct Dice(Arc<SeededRandom>);

impl Dice {
    pub fn new(seed: u64) -> Self {
        Dice(Arc::new(SeededRandom::new(seed)))
    }

    /// The generator itself, for `Store::open_with`.
    pub fn source(&self) -> Arc<SeededRandom> {
        self.0.clone()
    }

    /// Uniform in `0..n` (`n` at least 1).
    pub fn below(&self, n: u64) -> u64 {
        self.0.next_u64() % n.max(1)
    }

    /// Uniform in `lo..=hi`.
    pub fn range(&self, lo: u64, hi: u64) -> u64 {
        lo + self.below(hi.saturating_sub(lo) + 1)
    }

    /// True with probability `p`.
    pub fn chance(&self, p: f64) -> bool {
        ((self.0.next_u64() >> 11) as f64 / (1u64 << 53) as f64) < p
    }

    /// One of `items`, uniformly.
    pub fn pick<'a, T>(&self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }

    /// An index drawn by `weights`.
    pub fn weighted(&self, weights: &[u64]) -> usize {
        let total: u64 = weights.iter().sum();
        let mut x = self.below(total);
        for (i, w) in weights.iter().enumerate() {
            if x < *w {
                return i;
            }
            x -= w;
        }
        weights.len() - 1
    }
}
