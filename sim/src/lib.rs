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

pub use world::{run, run_with, RunReport};

/// The one command that replays `seed`.
pub fn replay_command(seed: u64) -> String {
    format!("SIM_SEED={seed} cargo test -p cordon-sim --test sim -- --nocapture")
}
