//! Network faults between device and server: resets before and after the server saw a
//! request, delays, 5xx bursts, 429 with Retry-After, truncated responses and replayed
//! requests, injected by a proxy. After the faults stop, every operation is on the
//! server exactly once and every record's operations arrived in order.

mod support;

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
    server.assert_check_ins_once(&check_ins);
    // Per-record order: the server accepted every operation (it refuses one that comes
    // out of order), so each report is submitted with its one amendment, chain intact.
    let seqs = server.applied_seqs_per_record();
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
        let s = &seqs[id];
        assert!(
            s.windows(2).all(|w| w[0] < w[1]),
            "report {id} applied out of order: {s:?}"
        );
    }
    for a in server.list("attachments") {
        assert_eq!(a["complete"], true, "{a}");
    }
}

/// A proxy (or an office's reverse proxy) that accepts smaller bodies than the protocol
/// allows: pushes over the limit are split until they fit, chunks are sent smaller, and
/// the one operation that cannot fit even alone becomes a dead letter with that reason,
/// while everything else, the alarm first, arrives once.
#[test]
fn a_smaller_body_limit_splits_batches_shrinks_chunks_and_dead_letters_only_the_oversized_operation(
) {
    const LIMIT: usize = 16 * 1024;
    let dir = tempfile::tempdir().unwrap();
    let server = ServerProcess::start(dir.path());
    let proxy = FaultProxy::start(&server.url, |_| Fault::Pass);
    let device = Device::enrolled(&server, &proxy.url, |_| {});
    let assignment = device.assigned(&server);
    proxy.set_plan(|req| {
        if req.body_len > LIMIT {
            Fault::PayloadTooLarge
        } else {
            Fault::Pass
        }
    });

    let note = "Perimeter walked, all doors secure. ".repeat(11); // ~400 characters
    let mut check_ins = Vec::new();
    for _ in 0..60 {
        let mut c = check_in(CheckInKind::Welfare, Some(&assignment.id));
        c.note = Some(note.clone());
        check_ins.push(device.store.record_check_in(c).unwrap().id);
    }
    let alarm = device
        .store
        .record_check_in(check_in(CheckInKind::Duress, None))
        .unwrap()
        .id;
    check_ins.push(alarm.clone());
    // One create whose payload alone exceeds the limit.
    let oversized = device
        .store
        .create_report(incident(&"Long statement. ".repeat(2_000)))
        .unwrap()
        .id;
    let with_photo = device
        .store
        .create_report(incident("Photo taken."))
        .unwrap();
    let photo = dir.path().join("photo.jpg");
    write_pattern(&photo, 60_000);
    let attachment = device
        .store
        .attach_file(&with_photo.id, &photo, AttachmentKind::Photo, "image/jpeg")
        .unwrap();
    device.store.submit_report(&with_photo.id).unwrap();

    let report = device.engine.sync_once().unwrap();
    assert_eq!(report.outcome, PassOutcome::Completed, "{report:?}");

    let dead = device.store.dead_letters().unwrap();
    assert_eq!(dead.len(), 1, "{dead:?}");
    assert_eq!(dead[0].record_id, oversized);
    assert!(
        dead[0]
            .last_error
            .as_deref()
            .unwrap_or("")
            .contains("too large"),
        "{:?}",
        dead[0].last_error
    );

    server.assert_check_ins_once(&check_ins);
    let server_reports = server.list("reports");
    let r = server_reports
        .iter()
        .find(|r| r["id"] == with_photo.id.as_str())
        .expect("the report with a photo reached the server");
    assert_eq!(r["state"], "submitted");
    assert!(server_reports.iter().all(|r| r["id"] != oversized.as_str()));
    let attachments = server.list("attachments");
    let a = attachments
        .iter()
        .find(|a| a["id"] == attachment.id.as_str())
        .expect("the photo on the server");
    assert_eq!(a["complete"], true, "{a}");
    assert_eq!(a["sha256"], attachment.sha256.as_str());

    let log: Vec<_> = proxy
        .log()
        .into_iter()
        .filter(|l| l.info.method == "POST" || l.info.method == "PUT")
        .collect();
    let refused = |prefix: &str| {
        log.iter()
            .filter(|l| l.fault == Fault::PayloadTooLarge && l.info.path.contains(prefix))
            .count()
    };
    assert!(
        refused("/push") > 0,
        "no push was refused: the test limit is too loose"
    );
    assert!(refused("/attachments") > 0, "no chunk was refused");
    let passed_pushes = log
        .iter()
        .filter(|l| l.fault == Fault::Pass && l.info.path.contains("/push"))
        .count();
    assert!(
        passed_pushes >= 2,
        "the batch was not split: {passed_pushes} pushes"
    );
    // The alarm went in the first push that got through.
    let first = log
        .iter()
        .find(|l| l.fault == Fault::Pass && l.info.path.contains("/push"))
        .unwrap();
    let body = String::from_utf8(first.info.body.clone().unwrap()).unwrap();
    assert!(
        body.contains(alarm.as_str()),
        "the alarm was not sent first"
    );
}
