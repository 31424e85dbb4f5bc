//! Sync budgets, measured in one run against the reference server on loopback
//! (see docs/PERFORMANCE.md):
//!
//! 1. Draining 10,000 queued operations in batches against one request per operation:
//!    at least 20x faster.
//! 2. Peak memory of the device process (`cordon device sync --until-drained`, a fresh
//!    process per measurement) while draining 100,000 operations against draining 1,000,
//!    and while uploading a 200 MB attachment against a 2 MB one: bounded by the batch
//!    and the chunk, a few MB, not by the queue or the file.
//!
//! 3. A report with 1,000 amendments pushed to the server: under 100 ms, and 10x the
//!    amendments cost at most 15x the time (linear, not replayed from the start).
//!
//! `cargo bench -p cordon --bench sync` (add `-- --quick` for a smaller smoke run).

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use cordon_core::sync::HttpTransport;
use cordon_core::*;

fn cordon() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_cordon"))
}

struct Server {
    child: std::process::Child,
    url: String,
    db: PathBuf,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_server(dir: &Path) -> Server {
    let db = dir.join("server.db");
    // Warnings only, as in the tests: the budgets measure sync, not a terminal's speed.
    let mut child = Command::new(cordon())
        .args(["--log-level", "warn", "serve", "--no-rate-limits", "--db"])
        .arg(&db)
        .args(["--listen", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .spawn()
        .expect("start server");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let url = line
        .trim()
        .strip_prefix("listening on ")
        .expect("listening line")
        .to_owned();
    Server { child, url, db }
}

fn enrolled_store(server: &Server, path: &Path) -> Arc<Store> {
    let out = Command::new(cordon())
        .args(["admin", "--db"])
        .arg(&server.db)
        .args(["enrol", "--organisation", "bench", "--officer", "OFC-B"])
        .output()
        .unwrap();
    let code = String::from_utf8(out.stdout).unwrap().trim().to_owned();
    let out = Command::new(cordon())
        .args(["device", "--db"])
        .arg(path)
        .args(["enrol", "--server", &server.url, "--code", &code])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    Arc::new(Store::open(path).unwrap())
}

fn fill(store: &Store, n: usize) {
    for i in 0..n {
        store
            .record_check_in(NewCheckIn {
                kind: if i % 2 == 0 {
                    CheckInKind::Panic
                } else {
                    CheckInKind::Duress
                },
                assignment_id: None,
                occurred_at: None,
                time_zone: "Europe/London".into(),
                location: Some(Location {
                    latitude: 51.5,
                    longitude: -0.12,
                    accuracy_m: Some(9.0),
                    fix_time: None,
                }),
                tag_id: None,
                note: Some(format!("bench {i}")),
            })
            .unwrap();
    }
}

/// Queues a submitted report with `n` amendments.
fn amended_report(store: &Store, n: usize) {
    let report = store
        .create_report(cordon_fixtures::incident_discovered_at(SystemClock.now()))
        .unwrap();
    store.submit_report(&report.id).unwrap();
    for i in 0..n {
        store
            .amend_report(&report.id, cordon_fixtures::amendment(i))
            .unwrap();
    }
}

/// Drains in-process with the given batch size; returns the wall time.
fn drain(store: Arc<Store>, url: &str, batch: i32) -> Duration {
    let mut config = SyncConfig::new(url);
    config.batch.max_operations = batch;
    let engine = SyncEngine::new(store.clone(), Arc::new(HttpTransport::new()), config).unwrap();
    let t = Instant::now();
    let reports = engine.sync_until_drained(1000).unwrap();
    let elapsed = t.elapsed();
    assert_eq!(
        store.outbox_status().unwrap().pending.total(),
        0,
        "{reports:?}"
    );
    elapsed
}

/// Runs `cordon device --db DB sync --until-drained` and samples its peak resident set
/// (VmHWM) until it exits. Returns KiB.
fn peak_rss_of_sync(db: &Path) -> u64 {
    let mut child = Command::new(cordon())
        .args(["device", "--db"])
        .arg(db)
        .args(["sync", "--until-drained"])
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let status = format!("/proc/{}/status", child.id());
    let mut peak = 0;
    loop {
        if let Ok(s) = std::fs::read_to_string(&status) {
            if let Some(kb) = s
                .lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse::<u64>().ok())
            {
                peak = peak.max(kb);
            }
        }
        if child.try_wait().unwrap().is_some() {
            break;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    assert!(child.wait().unwrap().success(), "sync failed");
    peak
}

fn with_attachment(store: &Store, dir: &Path, bytes: usize) {
    let now = store.now();
    let r = store
        .create_report(IncidentContent {
            assignment_id: None,
            category: IncidentCategory::Other,
            severity: Severity::Low,
            occurred_at: now,
            discovered_at: now,
            time_zone: "Europe/London".into(),
            location: None,
            narrative: "Bench upload.".into(),
            persons: vec![],
            police_reference: None,
            control_room_reference: None,
            actions_taken: None,
            injuries: None,
        })
        .unwrap();
    let file = dir.join(format!("upload-{bytes}.bin"));
    {
        let mut f = std::io::BufWriter::new(std::fs::File::create(&file).unwrap());
        let block = vec![0xA5u8; 1 << 20];
        let mut left = bytes;
        while left > 0 {
            let n = left.min(block.len());
            f.write_all(&block[..n]).unwrap();
            left -= n;
        }
    }
    store
        .attach_file(
            &r.id,
            &file,
            AttachmentKind::Document,
            "application/octet-stream",
        )
        .unwrap();
    std::fs::remove_file(file).unwrap();
}

fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    let (ops, big_queue, big_file) = if quick {
        (1_000, 10_000, 20 << 20)
    } else {
        (10_000, 100_000, 200 << 20)
    };
    let dir = tempfile::tempdir().unwrap();
    let server = start_server(dir.path());
    println!(
        "cordon sync benchmarks{}",
        if quick { " (quick)" } else { "" }
    );

    // 1. Batched against one request per operation.
    let batched_store = enrolled_store(&server, &dir.path().join("batched.db"));
    fill(&batched_store, ops);
    let single_store = enrolled_store(&server, &dir.path().join("single.db"));
    fill(&single_store, ops);
    let single = drain(single_store, &server.url, 1);
    let batched = drain(
        batched_store,
        &server.url,
        BatchLimits::default().max_operations,
    );
    let ratio = single.as_secs_f64() / batched.as_secs_f64();
    let ok_drain = ratio >= 20.0;
    println!("drain {ops} operations to the server on loopback:");
    println!(
        "  one request per operation   {:>8.2} s  ({:.0} ops/s)",
        single.as_secs_f64(),
        ops as f64 / single.as_secs_f64()
    );
    println!(
        "  batches of {:<4}             {:>8.2} s  ({:.0} ops/s)",
        BatchLimits::default().max_operations,
        batched.as_secs_f64(),
        ops as f64 / batched.as_secs_f64()
    );
    println!(
        "  speed-up {ratio:>6.1}x   budget >= 20x   {}",
        if ok_drain { "PASS" } else { "FAIL" }
    );

    // 2. Peak memory of a fresh device process draining a small and a large queue.
    let small = dir.path().join("small-queue.db");
    fill(&enrolled_store(&server, &small), ops / 10);
    let large = dir.path().join("large-queue.db");
    fill(&enrolled_store(&server, &large), big_queue);
    let small_kb = peak_rss_of_sync(&small);
    let large_kb = peak_rss_of_sync(&large);
    let queue_growth = large_kb.saturating_sub(small_kb);
    println!("peak memory of `cordon device sync --until-drained` (VmHWM):");
    println!(
        "  draining {:>7} operations   {:>7} KiB",
        ops / 10,
        small_kb
    );
    println!("  draining {big_queue:>7} operations   {large_kb:>7} KiB   (+{queue_growth} KiB)");

    let small_file = dir.path().join("small-file.db");
    with_attachment(&enrolled_store(&server, &small_file), dir.path(), 2 << 20);
    let large_file = dir.path().join("large-file.db");
    with_attachment(&enrolled_store(&server, &large_file), dir.path(), big_file);
    let small_up = peak_rss_of_sync(&small_file);
    let large_up = peak_rss_of_sync(&large_file);
    let file_growth = large_up.saturating_sub(small_up);
    println!("  uploading a {:>3} MB attachment  {small_up:>7} KiB", 2);
    println!(
        "  uploading a {:>3} MB attachment  {large_up:>7} KiB   (+{file_growth} KiB)",
        big_file >> 20
    );
    // "A few MB": the growth must stay under 4 MiB for a queue 10x-100x larger and a
    // file 100x larger.
    let ok_mem = queue_growth < 4096 && file_growth < 4096;
    println!(
        "  growth budget < 4096 KiB   {}",
        if ok_mem { "PASS" } else { "FAIL" }
    );
    // 3. Amendments: pushing a long chain costs each link the same.
    let mut amended = Vec::new();
    for n in [100, 1_000] {
        let store = enrolled_store(&server, &dir.path().join(format!("amend-{n}.db")));
        amended_report(&store, n);
        amended.push((
            n,
            drain(store, &server.url, BatchLimits::default().max_operations),
        ));
    }
    let (short, long) = (amended[0].1.as_secs_f64(), amended[1].1.as_secs_f64());
    let growth = long / short;
    let ok_amend = long < 0.1 && growth <= 15.0;
    println!("push a report with its amendments (creation, submission, then each link):");
    for (n, t) in &amended {
        println!(
            "  {n:>5} amendments            {:>8.1} ms",
            t.as_secs_f64() * 1e3
        );
    }
    println!(
        "  1,000 under 100 ms, 10x the amendments {growth:.1}x the time (budget <= 15x)   {}",
        if ok_amend { "PASS" } else { "FAIL" }
    );

    if !(ok_drain && ok_mem && ok_amend) {
        // exit() skips destructors: stop the server (by its PID) first.
        drop(server);
        std::process::exit(1);
    }
}
