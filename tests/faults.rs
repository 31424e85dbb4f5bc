//! Network faults between device and server: resets before and after the server saw a
//! request, delays, 5xx bursts, 429 with Retry-After, truncated responses and replayed
//! requests, injected by a proxy. After the faults stop, every operation is on the
//! server exactly once and every record's operations arrived in order.

mod support;

use std::collections::{HashMap, HashSet};

use cordon_core::*;
use support::proxy::{random_plan, Fault, FaultProxy};
use support::*;

#[test]
fn after_the_faults_stop_every_operation_is_on_the_server_exactly_once_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let server = ServerProcess::start(dir.path());
    let proxy = FaultProxy::start(&server.url, |_| Fault::Pass);
    let device = Device::enrolled(&server, &proxy.url, |c| {
        c.batch.max_operations = 7; // many small requests: many chances to fail
        c.chunk_bytes = 16 * 1024;
    });
    proxy.set_plan(random_plan(0xfa17, 0.4));

    let mut check_ins = Vec::new();
    let mut reports = Vec::new();
    for round in 0..25 {
        for _ in 0..4 {
            let kind = if round % 5 == 0 {
                CheckInKind::Duress
            } else {
                CheckInKind::Panic
            };
            check_ins.push(
                device
                    .store
                    .record_check_in(check_in(kind, None))
                    .unwrap()
                    .id,
            );
        }
        let r = device
            .store
            .create_report(incident(&format!("Round {round}.")))
            .unwrap();
        if round % 3 == 0 {
            let photo = dir.path().join(format!("p{round}.jpg"));
            write_pattern(&photo, 40_000 + round * 1000);
            device
                .store
                .attach_file(&r.id, &photo, AttachmentKind::Photo, "image/jpeg")
                .unwrap();
        }
        device.store.submit_report(&r.id).unwrap();
        device
            .store
            .amend_report(
                &r.id,
                NewAmendment {
                    author: "ALPHA-2".into(),
                    reason: "Police attended".into(),
                    patch: IncidentPatch {
                        police_reference: Some(format!("CAD {round}")),
                        ..Default::default()
                    },
                },
            )
            .unwrap();
        reports.push(r.id);
        device.engine.sync_once().unwrap();
        device.skip_backoff();
    }
    let faults = proxy
        .log()
        .iter()
        .filter(|l| l.fault != Fault::Pass)
        .count();
    assert!(faults > 30, "the plan injected only {faults} faults");

    proxy.set_plan(|_| Fault::Pass);
    device.drain(20);

    assert!(
        device.store.dead_letters().unwrap().is_empty(),
        "{:?}",
        device.store.dead_letters()
    );
    let on_server: Vec<String> = server
        .list("check-ins")
        .iter()
        .map(|c| c["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        on_server.len(),
        check_ins.len(),
        "each check-in exactly once"
    );
    assert_eq!(
        on_server.iter().cloned().collect::<HashSet<_>>(),
        check_ins.iter().cloned().collect()
    );
    // Per-record order: the server accepted every operation (it refuses one that comes
    // out of order), so each report is submitted with its one amendment, chain intact.
    let receipts = server.list("receipts");
    assert!(
        receipts.iter().all(|r| r["status"] == "applied"),
        "a receipt was not applied"
    );
    let ids: HashSet<_> = receipts
        .iter()
        .map(|r| r["operation_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids.len(), receipts.len(), "an operation was applied twice");
    let mut seqs: HashMap<&str, Vec<i64>> = HashMap::new();
    for r in &receipts {
        seqs.entry(r["entity_id"].as_str().unwrap())
            .or_default()
            .push(r["seq"].as_i64().unwrap());
    }
    let server_reports = server.list("reports");
    for id in &reports {
        let r = server_reports
            .iter()
            .find(|r| r["id"] == id.as_str())
            .expect("report on the server");
        assert_eq!(r["state"], "submitted");
        assert_eq!(r["amendments"].as_array().unwrap().len(), 1);
        assert_eq!(r["integrity"]["state"], "intact", "{}", r["integrity"]);
        let device_head = device.store.report(id).unwrap().amendments[0].hash.clone();
        assert_eq!(r["head_hash"], device_head.as_str());
        let s = &seqs[id.as_str()];
        assert!(
            s.windows(2).all(|w| w[0] < w[1]),
            "report {id} applied out of order: {s:?}"
        );
    }
    for a in server.list("attachments") {
        assert_eq!(a["complete"], true, "{a}");
    }
}
