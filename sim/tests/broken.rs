//! The simulator can fail: against a server built with a deliberate bug (feature
//! `broken-server`, which builds cordon-server with `sim-broken-receipts`: receipts are
//! never consulted, so a replayed operation is judged again), it must find a violation
//! within the CI seed count. Run by `sim/broken.sh`:
//!
//! `cargo test -p cordon-sim --features broken-server --test broken -- --nocapture`
//!
//! Without the feature this file holds no test (the normal server would pass).

#[cfg(feature = "broken-server")]
#[test]
fn the_simulator_finds_the_broken_receipts_within_the_ci_seed_count() {
    const CI_SEEDS: u64 = 1000;
    let mut found = None;
    for seed in 0..CI_SEEDS {
        let report = cordon_sim::run(seed);
        if !report.violations.is_empty() {
            found = Some((seed, report));
            break;
        }
    }
    let (seed, report) = found.unwrap_or_else(|| {
        panic!("{CI_SEEDS} seeds ran against a server without receipts and found nothing")
    });
    // How sharp the net is: of the first 50 seeds, how many catch it.
    let catching = (0..50)
        .filter(|s| !cordon_sim::run(*s).violations.is_empty())
        .count();
    println!("{catching} of the first 50 seeds find the broken receipts");
    println!(
        "broken receipts found after {} seeds (seed {seed}; replay: {}):\n  {}",
        seed + 1,
        cordon_sim::replay_command(seed)
            .replace("--test sim", "--features broken-server --test sim"),
        report.violations.join("\n  ")
    );
}
