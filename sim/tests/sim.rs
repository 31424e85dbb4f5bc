//! The simulator in CI: a thousand seeds (by default) across the machine's cores, and a
//! check that one seed replays to the same trace.
//!
//! - `SIM_SEED=n`: run seed `n` alone and print its trace (the replay of a failure).
//! - `SIM_SEEDS=n`: run seeds `0..n` (default 1000); `SIM_FIRST=k` starts at `k`.
//! - `SIM_MINUTES=m`: the long mode: seeds from `SIM_FIRST` on for `m` minutes.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use cordon_sim::net::Counters;
use cordon_sim::{replay_command, run, run_with, RunReport};

fn env_u64(name: &str) -> Option<u64> {
    std::env::var(name).ok().map(|v| {
        v.trim()
            .parse()
            .unwrap_or_else(|_| panic!("{name} must be a number, not {v:?}"))
    })
}

/// Runs a seed, turning a panic (a real one: simulated crashes never escape a run) into a
/// failure of that seed.
fn run_caught(seed: u64) -> RunReport {
    match std::panic::catch_unwind(|| run(seed)) {
        Ok(report) => report,
        Err(payload) => {
            let message = payload
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_else(|| "a panic".into());
            RunReport {
                seed,
                trace_hash: String::new(),
                trace_events: 0,
                steps: 0,
                devices: 0,
                counters: Default::default(),
                violations: vec![format!("the run panicked: {message}")],
            }
        }
    }
}

#[test]
fn every_seed_keeps_every_invariant() {
    if let Some(seed) = env_u64("SIM_SEED") {
        let (report, trace) = run_with(seed, true);
        for line in &trace {
            println!("{line}");
        }
        println!("{report:#?}");
        assert!(
            report.violations.is_empty(),
            "seed {seed} broke an invariant:\n  {}",
            report.violations.join("\n  ")
        );
        return;
    }
    let first = env_u64("SIM_FIRST").unwrap_or(0);
    let deadline = env_u64("SIM_MINUTES").map(|m| Instant::now() + Duration::from_secs(m * 60));
    let last = match deadline {
        Some(_) => u64::MAX,
        None => first + env_u64("SIM_SEEDS").unwrap_or(1000),
    };
    let next = AtomicU64::new(first);
    let stop = AtomicBool::new(false);
    let failures: Mutex<Vec<RunReport>> = Mutex::new(Vec::new());
    let totals: Mutex<(u64, Counters)> = Mutex::new((0, Counters::default()));
    let started = Instant::now();
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| loop {
                if stop.load(Ordering::SeqCst) || deadline.is_some_and(|d| Instant::now() > d) {
                    return;
                }
                let seed = next.fetch_add(1, Ordering::SeqCst);
                if seed >= last {
                    return;
                }
                let report = run_caught(seed);
                {
                    let mut t = totals.lock().unwrap();
                    let c = &report.counters;
                    t.0 += 1;
                    t.1.requests += c.requests;
                    t.1.faults += c.faults;
                    t.1.kills_mid_pass += c.kills_mid_pass;
                    t.1.kills_mid_write += c.kills_mid_write;
                    t.1.kills_at_rest += c.kills_at_rest;
                    t.1.restarts += c.restarts;
                    t.1.alarms_in_pass += c.alarms_in_pass;
                }
                if !report.violations.is_empty() {
                    failures.lock().unwrap().push(report);
                    // The long mode stops at the first failure; CI reports every one.
                    if deadline.is_some() {
                        stop.store(true, Ordering::SeqCst);
                    }
                }
            });
        }
    });
    let (runs, c) = totals.lock().unwrap().clone();
    println!(
        "simulated {runs} seeds from {first} in {:.1} s: {} requests, {} faults, devices killed \
         {} times mid-pass, {} mid-write, {} at rest; {} server restarts; {} alarms raised \
         during passes",
        started.elapsed().as_secs_f64(),
        c.requests,
        c.faults,
        c.kills_mid_pass,
        c.kills_mid_write,
        c.kills_at_rest,
        c.restarts,
        c.alarms_in_pass
    );
    let mut failures = failures.into_inner().unwrap();
    failures.sort_by_key(|r| r.seed);
    for f in &failures {
        println!(
            "seed {} broke an invariant; replay: {}\n  {}",
            f.seed,
            replay_command(f.seed),
            f.violations.join("\n  ")
        );
    }
    assert!(
        failures.is_empty(),
        "{} of {runs} seeds broke an invariant; the first: seed {} (replay: {})",
        failures.len(),
        failures[0].seed,
        replay_command(failures[0].seed)
    );
}

#[test]
fn one_seed_replays_to_the_same_trace() {
    let seed = env_u64("SIM_SEED").unwrap_or(0x5eed);
    let a = run(seed);
    let b = run(seed);
    assert!(a.trace_events > 50, "a run this short tests nothing: {a:?}");
    assert_eq!(
        (a.trace_hash.as_str(), a.trace_events),
        (b.trace_hash.as_str(), b.trace_events),
        "seed {seed} gave two different traces"
    );
    let other = run(seed + 1);
    assert_ne!(
        a.trace_hash, other.trace_hash,
        "the trace does not depend on the seed"
    );
}
