//! Two `cordon serve` processes on one PostgreSQL database (`cordon_fixtures::postgres`:
//! Debian's server in a throwaway cluster), behind a proxy that sends each request to the
//! other process than the last and injects network faults: a device's retry reaches the
//! other process, a replayed push reaches both. Meanwhile the office sends messages from
//! several `cordon admin` processes at once, so feed entries are appended by many
//! writers. When the network heals, every operation is on the server exactly once, each
//! record's in order, every photo complete, and each device holds every message sent to
//! its officer: no feed entry was skipped.

mod support;

use cordon_core::*;
use cordon_fixtures::postgres::Postgres;
use support::proxy::{random_plan, Fault, FaultProxy};
use support::*;

const OFFICERS: [&str; 2] = ["OFC-PG-1", "OFC-PG-2"];
const MESSAGES_PER_OFFICER: usize = 8;

#[test]
fn two_servers_on_one_postgres_keep_receipts_once_order_and_a_gapless_feed() {
    let dir = tempfile::tempdir().unwrap();
    let url = Postgres::shared().database();
    let blobs = dir.path().join("blobs");
    let a = ServerProcess::start_postgres(&url, &blobs);
    let b = ServerProcess::start_postgres(&url, &blobs);
    a.assign_sample_to(&OFFICERS);
    a.admin(&[
        "operator",
        "add",
        "--organisation",
        cordon_fixtures::ORGANISATION_ID,
        "--username",
        "control",
    ]);
    let proxy = FaultProxy::start_across(&[&a.url, &b.url], |_| Fault::Pass);
    let devices: Vec<Device> = OFFICERS
        .iter()
        .map(|officer| {
            // Enrolled through the proxy: the code is redeemed by either process.
            Device::enrolled_as(&a, &proxy.url, officer, |c| {
                c.batch.max_operations = 5;
                c.chunk_bytes = 16 * 1024;
            })
        })
        .collect();
    proxy.set_plan(random_plan(0x2b0c, 0.35));

    // The office writes to the feed from several processes while the devices sync.
    let senders: Vec<_> = OFFICERS
        .iter()
        .map(|officer| {
            let office = ServerProcess::admin_only_postgres(&url, &blobs);
            let officer = officer.to_string();
            std::thread::spawn(move || {
                (0..MESSAGES_PER_OFFICER)
                    .map(|n| {
                        office
                            .admin(&[
                                "message",
                                "send",
                                "--organisation",
                                cordon_fixtures::ORGANISATION_ID,
                                "--from",
                                "control",
                                "--officer",
                                &officer,
                                "--body",
                                &format!("Message {n} to {officer}"),
                            ])
                            .trim()
                            .to_owned()
                    })
                    .collect::<Vec<String>>()
            })
        })
        .collect();

    let mut check_ins: Vec<String> = Vec::new();
    let mut reports: Vec<(usize, String)> = Vec::new();
    for round in 0..8 {
        for (d, device) in devices.iter().enumerate() {
            for _ in 0..3 {
                let id = device
                    .store
                    .record_check_in(check_in(CheckInKind::Panic, None))
                    .unwrap()
                    .id;
                check_ins.push(id);
            }
            let r = device
                .store
                .create_report(incident(&format!("Round {round}.")))
                .unwrap();
            if round % 3 == 0 {
                let photo = dir.path().join(format!("p{d}-{round}.jpg"));
                write_pattern(&photo, 30_000 + round * 1000);
                device
                    .store
                    .attach_file(&r.id, &photo, AttachmentKind::Photo, "image/jpeg")
                    .unwrap();
            }
            device.store.submit_report(&r.id).unwrap();
            reports.push((d, r.id));
            let _ = device.engine.sync_once();
            device.skip_backoff();
        }
    }
    let sent: Vec<Vec<String>> = senders.into_iter().map(|s| s.join().unwrap()).collect();
    let log = proxy.log();
    let faults = log.iter().filter(|l| l.fault != Fault::Pass).count();
    assert!(faults > 10, "the plan injected only {faults} faults");
    assert!(
        log.iter().any(|l| l.fault == Fault::Replay),
        "no push was replayed to both servers"
    );

    proxy.set_plan(|_| Fault::Pass);
    for device in &devices {
        device.drain(20);
        assert!(
            device.store.dead_letters().unwrap().is_empty(),
            "{:?}",
            device.store.dead_letters()
        );
    }

    // Exactly once, whichever process applied it.
    a.assert_check_ins_once(&check_ins);
    // Per-record order, read through the other process.
    let seqs = b.applied_seqs_per_record();
    let server_reports = a.list("reports");
    for (d, id) in &reports {
        let r = server_reports
            .iter()
            .find(|r| r["id"] == id.as_str())
            .expect("report on the server");
        assert_eq!(r["state"], "submitted");
        assert_eq!(r["integrity"]["state"], "intact", "{}", r["integrity"]);
        assert_eq!(r["officer_id"], OFFICERS[*d]);
        let s = &seqs[id];
        assert!(
            s.windows(2).all(|w| w[0] < w[1]),
            "report {id} applied out of order: {s:?}"
        );
    }
    let attachments = b.list("attachments");
    assert_eq!(attachments.len(), 2 * 3, "{attachments:?}");
    for at in attachments {
        assert_eq!(at["complete"], true, "{at}");
    }

    // A gapless feed: every message, sent by many writers, reached its officer's device.
    for (device, sent) in devices.iter().zip(&sent) {
        let mut held: Vec<String> = device
            .store
            .messages()
            .unwrap()
            .into_iter()
            .map(|m| m.message.message_id)
            .collect();
        held.sort();
        let mut sent = sent.clone();
        sent.sort();
        assert_eq!(held, sent);
    }
}
