//! Killing a device at any moment, in process: a [`Fuse`] counts the device's clock reads
//! and jitter draws and, when it burns down, unwinds the thread with [`SimCrash`] from
//! wherever the store or the engine is (mid-pass, mid-upload, inside a write transaction).
//! Nothing of the device runs after that point: the simulator drops the store and the
//! engine and opens the file again, as a restarted app would. SQLite rolls back the open
//! transaction on drop, which is what it does with the journal of a killed process.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Once};

use cordon_core::{Clock, ManualClock, Random, SeededRandom, Timestamp};

/// The payload of a simulated crash (anything else that unwinds is a real panic).
#[derive(Debug)]
pub struct SimCrash;

/// Unwinds with [`SimCrash`].
pub fn crash() -> ! {
    std::panic::panic_any(SimCrash)
}

/// Keeps simulated crashes out of the test output; real panics still print.
pub fn quiet_crashes() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if info.payload().downcast_ref::<SimCrash>().is_none() {
                previous(info);
            }
        }));
    });
}

/// A countdown of the device's own activity; disarmed (negative) unless set.
#[derive(Debug, Default)]
pub struct Fuse(AtomicI64);

impl Fuse {
    /// Crash after `ticks` more clock reads or draws.
    pub fn arm(&self, ticks: i64) {
        self.0.store(ticks, Ordering::SeqCst);
    }

    pub fn disarm(&self) {
        self.0.store(-1, Ordering::SeqCst);
    }

    fn tick(&self) {
        if self.0.load(Ordering::SeqCst) < 0 {
            return;
        }
        if self.0.fetch_sub(1, Ordering::SeqCst) == 0 {
            self.disarm();
            crash();
        }
    }
}

/// The device's clock, through its fuse.
#[derive(Debug)]
pub struct FusedClock {
    pub clock: Arc<ManualClock>,
    pub fuse: Arc<Fuse>,
}

impl Clock for FusedClock {
    fn now(&self) -> Timestamp {
        self.fuse.tick();
        self.clock.now()
    }
}

/// The run's generator, through the device's fuse (a crash while settling a batch).
#[derive(Debug)]
pub struct FusedRandom {
    pub random: Arc<SeededRandom>,
    pub fuse: Arc<Fuse>,
}

impl Random for FusedRandom {
    fn unit(&self) -> f64 {
        self.fuse.tick();
        self.random.unit()
    }
}
