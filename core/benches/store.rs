//! Budgets of the core, measured as ratios in one run (see docs/PERFORMANCE.md).
//!
//! `cargo bench -p cordon-core --bench store` prints, for each budget, the median of
//! several rounds and the ratio to its reference, then PASS or FAIL. Rounds interleave
//! the two sides of each ratio so that a noisy neighbour slows both alike.
//!
//! 1. A check-in write (record + outbox operation, one transaction) against a bare
//!    rusqlite insert of the same row in its own transaction, same pragmas, same disk.
//!    Budget: at most 2x.
//! 2. Taking a batch of 100 from an outbox of 100,000 pending operations. Budget: < 1 ms.
//! 3. A duress write while a status screen reads that outbox in a loop: p99 < 5 ms; the
//!    status read itself < 1 ms.
//! 5. A sighting write (`record_sighting`: BOLO lookup by normalised registration in a list
//!    of 200 entries, a match, the record and its urgent outbox operation in one
//!    transaction) against the same bare check-in insert. Budget: at most 2x.
//! 4. Amending a report: the last 50 of 1,000 amendments against the first 50, per
//!    amendment. Budget: at most 2x (the cost does not grow with the chain).
//! 6. The same check-in write on an encrypted store (SQLite3 Multiple Ciphers) against an
//!    unencrypted one, interleaved: AEGIS-256 (the store's cipher; budget at
//!    most 1.3x) and, for the choice, ChaCha20-Poly1305 and SQLCipher's AES-256 +
//!    HMAC-SHA512 scheme.

use std::sync::Arc;
use std::time::{Duration, Instant};

use cordon_core::*;

const ROUNDS: usize = 15;
const WRITES_PER_ROUND: usize = 400;
const QUEUE: usize = 100_000;
const TAKES: usize = 200;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let quick = args.iter().any(|a| a == "--quick");
    // `--only <name>` runs one benchmark (write, take, duress, sighting, amend, encrypted), for a
    // profiler to see it alone.
    let only = args
        .iter()
        .position(|a| a == "--only")
        .and_then(|i| args.get(i + 1).cloned());
    let runs = |name: &str| only.as_deref().is_none_or(|o| o == name);
    let (rounds, queue) = if quick { (3, 5_000) } else { (ROUNDS, QUEUE) };
    let dir = tempfile::tempdir().expect("temp dir");
    let clock = Arc::new(ManualClock::new(Timestamp::from_millis(1_795_000_000_000)));

    println!(
        "cordon-core benchmarks ({} rounds{})",
        rounds,
        if quick { ", quick" } else { "" }
    );
    let ok_write = !runs("write") || bench_check_in_write(dir.path(), clock.clone(), rounds);
    let ok_take = !runs("take") || bench_take_batch(dir.path(), clock.clone(), queue);
    let ok_duress = !runs("duress") || bench_duress_while_status_reads(dir.path(), clock.clone());
    let ok_sighting = !runs("sighting") || bench_sighting_write(dir.path(), clock.clone(), rounds);
    let ok_amend = !runs("amend")
        || bench_amendments(dir.path(), clock.clone(), if quick { 200 } else { 1000 });
    let ok_encrypted = !runs("encrypted") || bench_encrypted_write(dir.path(), clock, rounds);
    if !(ok_write && ok_take && ok_duress && ok_amend && ok_sighting && ok_encrypted) {
        std::process::exit(1);
    }
}

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    xs[xs.len() / 2]
}

fn verdict(ok: bool) -> &'static str {
    if ok {
        "PASS"
    } else {
        "FAIL"
    }
}

fn welfare() -> NewCheckIn {
    NewCheckIn {
        kind: CheckInKind::Welfare,
        assignment_id: Some("A-1".into()),
        occurred_at: None,
        time_zone: "Europe/London".into(),
        location: Some(Location {
            latitude: 51.5007,
            longitude: -0.1246,
            accuracy_m: Some(8.0),
            fix_time: None,
        }),
        tag_id: None,
        note: Some("All quiet at the east gate.".into()),
    }
}

/// The bare reference: the check-in table alone, the same pragmas, one insert per
/// transaction, a cached statement.
struct Bare(rusqlite::Connection);

impl Bare {
    fn open(path: &std::path::Path) -> Self {
        let c = rusqlite::Connection::open(path).unwrap();
        c.pragma_update(None, "journal_mode", "WAL").unwrap();
        c.pragma_update(None, "synchronous", "NORMAL").unwrap();
        c.execute_batch(
            "CREATE TABLE check_in (id TEXT PRIMARY KEY, kind TEXT NOT NULL,
                 assignment_id TEXT, occurred_at INTEGER NOT NULL, time_zone TEXT NOT NULL,
                 location TEXT, tag_id TEXT, note TEXT, recorded_at INTEGER NOT NULL);
             CREATE INDEX check_in_by_assignment ON check_in(assignment_id, occurred_at);",
        )
        .unwrap();
        Bare(c)
    }

    fn insert(&mut self, c: &CheckIn) {
        let tx = self.0.transaction().unwrap();
        tx.prepare_cached(
            "INSERT INTO check_in (id, kind, assignment_id, occurred_at, time_zone, location,
                                   tag_id, note, recorded_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        )
        .unwrap()
        .execute(rusqlite::params![
            c.id,
            c.kind.as_str(),
            c.assignment_id,
            c.occurred_at,
            c.time_zone,
            c.location
                .as_ref()
                .map(|l| serde_json::to_string(l).unwrap()),
            c.tag_id,
            c.note,
            c.recorded_at,
        ])
        .unwrap();
        tx.commit().unwrap();
    }
}

fn bench_check_in_write(dir: &std::path::Path, clock: Arc<ManualClock>, rounds: usize) -> bool {
    let store = Store::open_with_clock(dir.join("write.db"), clock).unwrap();
    store.upsert_assignment(&assignment()).unwrap();
    let mut bare = Bare::open(&dir.join("bare.db"));
    // A prototype row to copy for the bare side, with a fresh id per insert.
    let proto = store.record_check_in(welfare()).unwrap();

    let (mut core_us, mut bare_us, mut ratios) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..rounds {
        let t = Instant::now();
        for _ in 0..WRITES_PER_ROUND {
            let mut row = proto.clone();
            row.id = uuid::Uuid::now_v7().to_string();
            bare.insert(&row);
        }
        let b = t.elapsed().as_secs_f64() * 1e6 / WRITES_PER_ROUND as f64;
        let t = Instant::now();
        for _ in 0..WRITES_PER_ROUND {
            store.record_check_in(welfare()).unwrap();
        }
        let c = t.elapsed().as_secs_f64() * 1e6 / WRITES_PER_ROUND as f64;
        core_us.push(c);
        bare_us.push(b);
        ratios.push(c / b);
    }
    let duress_us = {
        let mut d = welfare();
        d.kind = CheckInKind::Duress;
        d.assignment_id = None;
        let t = Instant::now();
        for _ in 0..50 {
            store.record_check_in(d.clone()).unwrap();
        }
        t.elapsed().as_secs_f64() * 1e6 / 50.0
    };
    let ratio = median(ratios);
    let ok = ratio <= 2.0;
    println!("check-in write (record + outbox, one transaction), per write:");
    println!(
        "  bare rusqlite insert      median {:>8.1} us",
        median(bare_us)
    );
    println!(
        "  Store::record_check_in    median {:>8.1} us",
        median(core_us)
    );
    println!(
        "  ratio (median of rounds)  {ratio:>8.2}x   budget <= 2.00x   {}",
        verdict(ok)
    );
    println!("  duress (synchronous=FULL) mean   {duress_us:>8.1} us   (for reference)");
    ok
}

fn bench_encrypted_write(dir: &std::path::Path, clock: Arc<ManualClock>, rounds: usize) -> bool {
    use cordon_core::sqlite::Cipher;
    let open = |name: &str, cipher: Option<Cipher>| {
        let store = Store::open_with_options(
            dir.join(name),
            StoreOptions {
                clock: clock.clone(),
                key: cipher.map(|_| StoreKey::from_bytes(&[0x5c; 32]).unwrap()),
                cipher: cipher.unwrap_or(Cipher::Aegis),
                ..StoreOptions::default()
            },
        )
        .unwrap();
        store.upsert_assignment(&assignment()).unwrap();
        store
    };
    // The store's own default first, then the schemes it was chosen against.
    let schemes = [
        ("unencrypted", None),
        ("AEGIS-256 (store's)", Some(Cipher::Aegis)),
        ("ChaCha20-Poly1305", Some(Cipher::ChaCha20)),
        ("AES-256 + HMAC-SHA512", Some(Cipher::SqlCipher)),
    ];
    let stores: Vec<Store> = schemes
        .iter()
        .enumerate()
        .map(|(i, (_, cipher))| open(&format!("enc-{i}.db"), *cipher))
        .collect();
    let mut us: Vec<Vec<f64>> = vec![Vec::new(); stores.len()];
    let mut ratios: Vec<Vec<f64>> = vec![Vec::new(); stores.len()];
    for _ in 0..rounds {
        let mut round = vec![0.0; stores.len()];
        for (i, store) in stores.iter().enumerate() {
            let t = Instant::now();
            for _ in 0..WRITES_PER_ROUND {
                store.record_check_in(welfare()).unwrap();
            }
            round[i] = t.elapsed().as_secs_f64() * 1e6 / WRITES_PER_ROUND as f64;
            us[i].push(round[i]);
        }
        for i in 1..stores.len() {
            ratios[i].push(round[i] / round[0]);
        }
    }
    println!("check-in write, encrypted store against unencrypted, per write:");
    let mut ok = true;
    for (i, (name, _)) in schemes.iter().enumerate() {
        let median_us = median(us[i].clone());
        if i == 0 {
            println!("  {name:<24}  median {median_us:>8.1} us");
            continue;
        }
        let ratio = median(ratios[i].clone());
        if i == 1 {
            ok = ratio <= 1.3;
            println!(
                "  {name:<24}  median {median_us:>8.1} us   ratio {ratio:>5.2}x   budget <= 1.30x   {}",
                verdict(ok)
            );
        } else {
            println!(
                "  {name:<24}  median {median_us:>8.1} us   ratio {ratio:>5.2}x   (for the choice)"
            );
        }
    }
    ok
}

/// The BOLO list of the sighting benchmark: 200 entries, the sighting's car among them.
const BOLO_ENTRIES: usize = 200;

fn bench_sighting_write(dir: &std::path::Path, clock: Arc<ManualClock>, rounds: usize) -> bool {
    let store = Store::open_with_clock(dir.join("sighting.db"), clock.clone()).unwrap();
    store.upsert_assignment(&assignment()).unwrap();
    for i in 0..BOLO_ENTRIES {
        let priority = [BoloPriority::High, BoloPriority::Medium, BoloPriority::Low][i % 3];
        store
            .upsert_bolo_entry(&BoloEntry {
                id: format!("B-{i}"),
                version: 1,
                registration: Some(if i == 7 {
                    "AB12CDE".into()
                } else {
                    format!("BL{i:03}XYZ")
                }),
                description: Some("Grey van, two occupants".into()),
                reason: "Seen near the residence".into(),
                priority,
                issued_at: clock.now(),
                withdrawn: false,
            })
            .unwrap();
    }
    let mut sighting = cordon_fixtures::sighting();
    sighting.assignment_id = Some("A-1".into());
    let mut bare = Bare::open(&dir.join("bare-sighting.db"));
    let proto = Store::open_with_clock(dir.join("proto.db"), clock)
        .and_then(|s| {
            s.upsert_assignment(&assignment())?;
            s.record_check_in(welfare())
        })
        .unwrap();
    let seen = store.record_sighting(sighting.clone()).unwrap();
    assert!(seen.bolo_match.is_some());
    // For reference: the sighting's own row, bare (its JSON is some four times a
    // check-in's, and the outbox holds it again).
    let bare_own = rusqlite::Connection::open(dir.join("bare-own.db")).unwrap();
    bare_own.pragma_update(None, "journal_mode", "WAL").unwrap();
    bare_own
        .pragma_update(None, "synchronous", "NORMAL")
        .unwrap();
    bare_own
        .execute_batch(
            "CREATE TABLE sighting (id TEXT PRIMARY KEY NOT NULL, occurred_at INTEGER NOT NULL,
                                    body TEXT NOT NULL);",
        )
        .unwrap();
    let mut own_us = Vec::new();

    let (mut core_us, mut bare_us, mut ratios) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..rounds {
        let t = Instant::now();
        for _ in 0..WRITES_PER_ROUND {
            let mut row = seen.clone();
            row.id = uuid::Uuid::now_v7().to_string();
            let body = serde_json::to_string(&row).unwrap();
            let tx = bare_own.unchecked_transaction().unwrap();
            tx.prepare_cached("INSERT INTO sighting (id, occurred_at, body) VALUES (?1, ?2, ?3)")
                .unwrap()
                .execute(rusqlite::params![row.id, row.occurred_at, body])
                .unwrap();
            tx.commit().unwrap();
        }
        own_us.push(t.elapsed().as_secs_f64() * 1e6 / WRITES_PER_ROUND as f64);
        let t = Instant::now();
        for _ in 0..WRITES_PER_ROUND {
            let mut row = proto.clone();
            row.id = uuid::Uuid::now_v7().to_string();
            bare.insert(&row);
        }
        let b = t.elapsed().as_secs_f64() * 1e6 / WRITES_PER_ROUND as f64;
        let t = Instant::now();
        for _ in 0..WRITES_PER_ROUND {
            store.record_sighting(sighting.clone()).unwrap();
        }
        let c = t.elapsed().as_secs_f64() * 1e6 / WRITES_PER_ROUND as f64;
        core_us.push(c);
        bare_us.push(b);
        ratios.push(c / b);
    }
    let ratio = median(ratios);
    let ok = ratio <= 2.0;
    println!(
        "sighting write (BOLO match among {BOLO_ENTRIES} + record + urgent outbox), per write:"
    );
    println!(
        "  bare rusqlite insert      median {:>8.1} us",
        median(bare_us)
    );
    let own = median(own_us);
    println!("  bare sighting row insert  median {own:>8.1} us   (for reference)");
    let core = median(core_us);
    println!("  Store::record_sighting    median {core:>8.1} us");
    println!(
        "  against its own bare row  {:>8.2}x   (for reference)",
        core / own
    );
    println!(
        "  ratio (median of rounds)  {ratio:>8.2}x   budget <= 2.00x   {}",
        verdict(ok)
    );
    ok
}

fn bench_take_batch(dir: &std::path::Path, clock: Arc<ManualClock>, queue: usize) -> bool {
    let store = Store::open_with_clock(dir.join("queue.db"), clock).unwrap();
    store.upsert_assignment(&assignment()).unwrap();
    let fill = Instant::now();
    for _ in 0..queue {
        store.record_check_in(welfare()).unwrap();
    }
    let fill = fill.elapsed();
    let limits = BatchLimits {
        max_operations: 100,
        max_bytes: i64::MAX,
    };
    let mut takes = Vec::new();
    let mut settles = Vec::new();
    for _ in 0..TAKES {
        let t = Instant::now();
        let batch = store.take_batch(limits).unwrap();
        takes.push(t.elapsed().as_secs_f64() * 1e3);
        assert_eq!(batch.len(), 100);
        // Put them back, due at once, so the queue stays at its full size.
        let seqs: Vec<i64> = batch.into_iter().map(|o| o.seq).collect();
        let t = Instant::now();
        store
            .fail_transient(&seqs, "bench", Some(Duration::ZERO))
            .unwrap();
        settles.push(t.elapsed().as_secs_f64() * 1e3);
    }
    let pending = store.outbox_status().unwrap().pending.total();
    let take = median(takes);
    let ok = take < 1.0;
    println!("take a batch of 100 from {pending} pending operations (filled in {fill:.1?}):");
    println!(
        "  take_batch                median {take:>8.3} ms   budget < 1 ms   {}",
        verdict(ok)
    );
    println!(
        "  settle 100 (transient)    median {:>8.3} ms   (for reference)",
        median(settles)
    );
    ok
}

/// A duress alarm written while a status screen reads the full outbox over and over
/// (the queue of the take benchmark): the alarm must not wait for the reads.
fn bench_duress_while_status_reads(dir: &std::path::Path, clock: Arc<ManualClock>) -> bool {
    let store = Arc::new(Store::open_with_clock(dir.join("queue.db"), clock).unwrap());
    let pending = store.outbox_status().unwrap().pending.total();
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let reader = {
        let (store, stop) = (store.clone(), stop.clone());
        std::thread::spawn(move || {
            let mut times = Vec::new();
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let t = Instant::now();
                store.outbox_status().unwrap();
                times.push(t.elapsed().as_secs_f64() * 1e3);
            }
            times
        })
    };
    let mut writes = Vec::new();
    for _ in 0..200 {
        let t = Instant::now();
        store
            .record_check_in(NewCheckIn {
                kind: CheckInKind::Duress,
                ..welfare()
            })
            .unwrap();
        writes.push(t.elapsed().as_secs_f64() * 1e3);
        std::thread::sleep(Duration::from_millis(3));
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let statuses = reader.join().unwrap();
    writes.sort_by(f64::total_cmp);
    let p99 = writes[writes.len() * 99 / 100];
    let status = median(statuses.clone());
    let ok = p99 < 5.0 && status < 1.0;
    println!(
        "duress write while outbox_status reads {pending} operations in a loop ({} reads):",
        statuses.len()
    );
    println!(
        "  duress write (FULL sync)  p99    {p99:>8.3} ms   budget < 5 ms   {}",
        verdict(p99 < 5.0)
    );
    println!(
        "  duress write              median {:>8.3} ms",
        median(writes.clone())
    );
    println!(
        "  outbox_status             median {status:>8.3} ms   budget < 1 ms   {}",
        verdict(status < 1.0)
    );
    ok
}

/// The cost of the n-th amendment of one report against the first ones.
fn bench_amendments(dir: &std::path::Path, clock: Arc<ManualClock>, n: usize) -> bool {
    let store = Store::open_with_clock(dir.join("amend.db"), clock.clone()).unwrap();
    let report = store
        .create_report(cordon_fixtures::incident_discovered_at(clock.now()))
        .unwrap();
    store.submit_report(&report.id).unwrap();
    let mut times = Vec::with_capacity(n);
    for i in 0..n {
        let t = Instant::now();
        store
            .amend_report(&report.id, cordon_fixtures::amendment(i))
            .unwrap();
        times.push(t.elapsed().as_secs_f64() * 1e3);
    }
    let window = 50.min(n / 4);
    let first = median(times[..window].to_vec());
    let last = median(times[n - window..].to_vec());
    let ratio = last / first;
    let ok = ratio <= 2.0;
    println!("amend one report {n} times (median of {window} amendments):");
    println!("  amendments 1-{window:<4}          {first:>8.3} ms");
    println!("  amendments {}-{n:<4}      {last:>8.3} ms", n - window + 1);
    println!(
        "  ratio                     {ratio:>8.2}x   budget <= 2.00x   {}",
        verdict(ok)
    );
    ok
}

fn assignment() -> Assignment {
    let t0 = Timestamp::from_millis(1_795_000_000_000);
    Assignment {
        id: "A-1".into(),
        reference: "OP-BENCH".into(),
        title: "Benchmark post".into(),
        kind: AssignmentKind::StaticPost,
        principal_codename: None,
        sites: vec![Site {
            name: "Gate".into(),
            address: "1 Example Road".into(),
            centre: None,
            geofence_radius_m: None,
            time_zone: "Europe/London".into(),
        }],
        starts_at: t0,
        ends_at: t0.plus(Duration::from_secs(3600)),
        role: OfficerRole::ResidentialSecurityTeam,
        team: vec![],
        post_orders: PostOrders {
            version: 1,
            text: "Bench.".into(),
            issued_at: t0,
        },
        check_in_policy: CheckInPolicy {
            interval_secs: 1800,
            grace_secs: 300,
        },
        threat_level: ThreatLevel::Low,
        status: AssignmentStatus::Active,
        server_version: 1,
    }
}
