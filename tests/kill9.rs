//! kill -9 at random moments, many times: a device process writing check-ins and
//! reports and syncing them is killed mid-write or mid-sync and started again. At the
//! end every write the process reported as stored is on the server exactly once.
//!
//! 50 kills by default; set CORDON_KILL_ROUNDS for a longer soak (and CORDON_KILL_SEED
//! to replay a run).

mod support;

use std::collections::{HashMap, HashSet};
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use support::*;

fn device(db: &Path, args: &[&str]) -> std::process::Output {
    Command::new(cordon_bin())
        .args(["device", "--db"])
        .arg(db)
        .args(args)
        .output()
        .expect("run cordon device")
}

#[test]
fn killed_at_random_moments_nothing_stored_is_lost_or_sent_twice() {
    let rounds: usize = std::env::var("CORDON_KILL_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(50);
    let mut seed: u64 = std::env::var("CORDON_KILL_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0x5eed_c0de);
    println!("kill -9 soak: {rounds} rounds, seed {seed}");
    let mut random = move |below: u64| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed % below
    };
    let dir = tempfile::tempdir().unwrap();
    let server = ServerProcess::start_unlimited(dir.path());
    let db = dir.path().join("device.db");
    let code = server.enrolment_code(
        cordon_fixtures::ORGANISATION_ID,
        cordon_fixtures::OFFICER_ID,
    );
    let enrol = device(&db, &["enrol", "--server", &server.url, "--code", &code]);
    assert!(
        enrol.status.success(),
        "{}",
        String::from_utf8_lossy(&enrol.stderr)
    );

    let mut told: HashMap<String, HashSet<String>> = HashMap::new();
    for _ in 0..rounds {
        let mut child = Command::new(cordon_bin())
            .args(["device", "--db"])
            .arg(&db)
            .args(["stress", "--count", "100000", "--sync-every", "3"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start the stress writer");
        let stdout = child.stdout.take().unwrap();
        let reader = std::thread::spawn(move || {
            BufReader::new(stdout)
                .lines()
                .map_while(Result::ok)
                .collect::<Vec<_>>()
        });
        std::thread::sleep(Duration::from_millis(30 + random(400)));
        child.kill().expect("kill -9"); // SIGKILL, by PID
        child.wait().unwrap();
        for line in reader.join().unwrap() {
            // A line cut by the kill has no complete id and does not count.
            let mut parts = line.split(' ');
            if let (Some("ok"), Some(what), Some(id), None) =
                (parts.next(), parts.next(), parts.next(), parts.next())
            {
                if id.len() == 36 {
                    told.entry(what.to_owned())
                        .or_default()
                        .insert(id.to_owned());
                }
            }
        }
    }
    let drained = device(&db, &["sync", "--until-drained"]);
    assert!(
        drained.status.success(),
        "final sync: {}",
        String::from_utf8_lossy(&drained.stderr)
    );

    let check_ins = server.check_in_ids();
    let unique: HashSet<_> = check_ins.iter().cloned().collect();
    assert_eq!(
        unique.len(),
        check_ins.len(),
        "a check-in reached the server twice"
    );
    let missing: Vec<_> = told["check-in"].difference(&unique).collect();
    assert!(
        missing.is_empty(),
        "stored but never delivered: {missing:?}"
    );
    let reports: HashMap<String, String> = server
        .list("reports")
        .iter()
        .map(|r| {
            (
                r["id"].as_str().unwrap().to_owned(),
                r["state"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    for id in told.get("report").into_iter().flatten() {
        assert!(reports.contains_key(id), "report {id} never delivered");
    }
    for id in told.get("submit").into_iter().flatten() {
        assert_eq!(reports[id], "submitted", "report {id}");
    }
    let receipts = server.list("receipts");
    let ops: HashSet<_> = receipts
        .iter()
        .map(|r| r["operation_id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        ops.len(),
        receipts.len(),
        "an operation was receipted twice"
    );
    assert!(
        receipts.iter().all(|r| r["status"] == "applied"),
        "nothing may be rejected"
    );
    // Everything the device ever stored got there, not only what it had time to report.
    let status = device(&db, &["status", "--json"]);
    let status: serde_json::Value = serde_json::from_slice(&status.stdout).unwrap();
    for state in ["pending", "in_flight", "dead"] {
        for lane in ["urgent", "normal", "bulk"] {
            assert_eq!(status["outbox"][state][lane], 0, "{state} {lane}: {status}");
        }
    }
    println!(
        "kill -9 soak: {} check-ins and {} reports told, {} check-ins and {} reports on the server",
        told["check-in"].len(),
        told.get("report").map_or(0, HashSet::len),
        unique.len(),
        reports.len()
    );
}
