//! # cordon-sim
//!
//! A deterministic simulator of Cordon's sync: the real engine and store
//! (`cordon-core`) and the real server (`cordon-server`'s axum router, called in
//! process) in one process, every choice drawn from one seed. A run ([`run`]) builds an
//! organisation with officers and devices, plays a random workload of every record kind
//! through faults, device crashes, server restarts and clock trouble, heals the network,
//! drains every device and checks the invariants ([`check`]). No wall clock: time is a
//! `ManualClock` on each side that the run moves. The same seed gives the same trace
//! ([`RunReport::trace_hash`]).
//!
//! `sim/README.md` says how to run, replay and run long.

pub mod check;
pub mod crash;
pub mod dice;
pub mod net;
pub mod world;

use std::path::Path;

use crate::crash::quiet_crashes;
use crate::net::lock;
use crate::world::World;

pub use world::RunReport;

/// The one command that replays `seed`.
pub fn replay_command(seed: u64) -> String {
    format!("SIM_SEED={seed} cargo test -p cordon-sim --test sim -- --nocapture")
}

/// Runs one seed to the end and checks it.
pub fn run(seed: u64) -> RunReport {
    run_with(seed, false).0
}

/// Runs one seed; with `keep_trace`, also returns the trace's lines.
pub fn run_with(seed: u64, keep_trace: bool) -> (RunReport, Vec<String>) {
    quiet_crashes();
    let base = Path::new("/dev/shm");
    let tmp = if base.is_dir() {
        tempfile::tempdir_in(base)
    } else {
        tempfile::tempdir()
    }
    .expect("a temporary directory");
    let mut world = World::new(seed, tmp.path(), keep_trace);
    let steps = world.workload();
    world.heal();
    let mut violations = world.net.take_violations();
    violations.extend(check::all(&mut world));
    let (trace_hash, trace_events) = world.net.trace_hash();
    let counters = lock(&world.net.counters).clone();
    let lines = world.net.trace_lines();
    let report = RunReport {
        seed,
        trace_hash,
        trace_events,
        steps,
        devices: world.devices.len(),
        counters,
        violations,
    };
    (report, lines)
}
