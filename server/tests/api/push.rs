//! Push: per-operation verdicts, exactly-once receipts, per-record order, ownership.

use cordon_core::{CheckInKind, OperationKind};
use cordon_server::admin;
use serde_json::{json, Value};

use crate::harness::*;

#[test]
fn a_check_in_is_applied_at_version_1_with_device_and_server_times() {
    let srv = TestServer::start();
    let device = srv.device(ORG, OFFICER);
    let a = srv.assign(ORG, OFFICER, "A-1");
    device.store.upsert_assignment(&a).unwrap();
    let written = device.store.record_check_in(welfare("A-1")).unwrap();

    let (reply, _) = device.sync(&srv);
    assert_eq!(reply.statuses(), ["applied"]);
    assert_eq!(reply.results()[0]["server_version"], 1);

    let received = admin::check_ins(&srv.server).unwrap();
    assert_eq!(received.len(), 1);
    assert_eq!(received[0].check_in, written);
    assert_eq!(received[0].provenance.officer_id, OFFICER);
    assert_eq!(received[0].provenance.device_id, device.device_id);
}

#[test]
fn a_replayed_push_returns_the_original_results_and_changes_nothing() {
    let srv = TestServer::start();
    let device = srv.device(ORG, OFFICER);
    device
        .store
        .record_check_in(alarm(CheckInKind::Duress))
        .unwrap();
    // Assigned to nobody on the server: this one is rejected.
    device.store.upsert_assignment(&assignment("A-9")).unwrap();
    device.store.record_check_in(welfare("A-9")).unwrap();
    let ops: Vec<Value> = device.take().iter().map(wire).collect();

    let first = device.push(&srv, ops.clone());
    let receipts = admin::receipts(&srv.server).unwrap();
    let again = device.push(&srv, ops);

    assert_eq!(first.statuses(), ["applied", "rejected"]);
    assert_eq!(again.statuses(), ["duplicate", "rejected"]);
    assert_eq!(
        again.results()[0]["server_version"],
        first.results()[0]["server_version"]
    );
    assert_eq!(again.reason(1), first.reason(1));
    assert_eq!(admin::check_ins(&srv.server).unwrap().len(), 1);
    assert_eq!(admin::receipts(&srv.server).unwrap(), receipts);
}

#[test]
fn the_same_operation_twice_in_one_push_is_applied_once() {
    let srv = TestServer::start();
    let device = srv.device(ORG, OFFICER);
    device
        .store
        .record_check_in(alarm(CheckInKind::Panic))
        .unwrap();
    let op = wire(&device.take()[0]);
    let reply = device.push(&srv, vec![op.clone(), op]);
    assert_eq!(reply.statuses(), ["applied", "duplicate"]);
    assert_eq!(admin::check_ins(&srv.server).unwrap().len(), 1);
}

#[test]
fn a_check_in_on_an_assignment_not_the_officers_is_rejected_with_the_reason() {
    let srv = TestServer::start();
    let device = srv.device(ORG, OFFICER);
    srv.assign(ORG, "OFC-8", "A-1");
    device.store.upsert_assignment(&assignment("A-1")).unwrap();
    device.store.record_check_in(welfare("A-1")).unwrap();
    let (reply, _) = device.sync(&srv);
    assert_eq!(reply.statuses(), ["rejected"]);
    assert_eq!(
        reply.reason(0),
        "assignment A-1 is not assigned to this officer"
    );
    assert!(reply.results()[0].get("server_version").is_none());
    assert_eq!(device.store.dead_letters().unwrap().len(), 1);
}

#[test]
fn a_payload_breaking_the_cores_rules_is_rejected_with_its_validation_message() {
    let srv = TestServer::start();
    let device = srv.device(ORG, OFFICER);
    device
        .store
        .record_check_in(alarm(CheckInKind::Panic))
        .unwrap();
    let mut op = wire(&device.take()[0]);
    op["payload"]["time_zone"] = json!("Mars/Olympus_Mons");
    let reply = device.push(&srv, vec![op]);
    assert_eq!(reply.statuses(), ["rejected"]);
    // The core names the field as the apps spell it (the reason reaches them as a dead letter).
    assert!(
        reply.reason(0).contains("invalid time_zone"),
        "{}",
        reply.reason(0)
    );
}

#[test]
fn a_check_in_whose_id_is_not_the_record_id_is_rejected() {
    let srv = TestServer::start();
    let device = srv.device(ORG, OFFICER);
    device
        .store
        .record_check_in(alarm(CheckInKind::Panic))
        .unwrap();
    let mut op = wire(&device.take()[0]);
    op["record_id"] = json!(uuid::Uuid::now_v7().to_string());
    let reply = device.push(&srv, vec![op]);
    assert_eq!(reply.statuses(), ["rejected"]);
}

#[test]
fn an_operation_from_an_older_device_naming_its_record_entity_id_is_applied() {
    let srv = TestServer::start();
    let device = srv.device(ORG, OFFICER);
    let written = device
        .store
        .record_check_in(alarm(CheckInKind::Duress))
        .unwrap();
    let mut op = wire(&device.take()[0]);
    let record = op.as_object_mut().unwrap().remove("record_id").unwrap();
    op["entity_id"] = record;

    let reply = device.push(&srv, vec![op]);

    assert_eq!(reply.statuses(), ["applied"]);
    let receipts = admin::receipts(&srv.server).unwrap();
    assert_eq!(receipts[0].record_id, written.id);
}

#[test]
fn an_unknown_kind_is_rejected_alone_and_the_rest_of_the_push_applies() {
    let srv = TestServer::start();
    let device = srv.device(ORG, OFFICER);
    device
        .store
        .record_check_in(alarm(CheckInKind::Panic))
        .unwrap();
    device
        .store
        .record_check_in(alarm(CheckInKind::Duress))
        .unwrap();
    let mut ops: Vec<Value> = device.take().iter().map(wire).collect();
    ops[0]["kind"] = json!("check_in.teleport");
    let reply = device.push(&srv, ops);
    assert_eq!(reply.statuses(), ["rejected", "applied"]);
    assert!(
        reply.reason(0).contains("malformed operation"),
        "{}",
        reply.reason(0)
    );
}

#[test]
fn an_unsupported_payload_version_is_rejected() {
    let srv = TestServer::start();
    let device = srv.device(ORG, OFFICER);
    device
        .store
        .record_check_in(alarm(CheckInKind::Panic))
        .unwrap();
    let mut op = wire(&device.take()[0]);
    op["payload_version"] = json!(2);
    let reply = device.push(&srv, vec![op]);
    assert_eq!(reply.statuses(), ["rejected"]);
    assert!(
        reply.reason(0).contains("payload_version"),
        "{}",
        reply.reason(0)
    );
}

#[test]
fn an_operation_id_that_is_not_a_uuid_is_rejected_without_a_receipt() {
    let srv = TestServer::start();
    let device = srv.device(ORG, OFFICER);
    device
        .store
        .record_check_in(alarm(CheckInKind::Panic))
        .unwrap();
    let mut op = wire(&device.take()[0]);
    op["id"] = json!("op-1");
    let reply = device.push(&srv, vec![op]);
    assert_eq!(reply.statuses(), ["rejected"]);
    assert!(admin::receipts(&srv.server).unwrap().is_empty());
}

#[test]
fn each_applied_operation_on_a_record_raises_its_server_version() {
    let srv = TestServer::start();
    let device = srv.device(ORG, OFFICER);
    let report = device.store.create_report(content("")).unwrap();
    device.sync(&srv);
    device
        .store
        .update_report(&report.id, content("Grey van, 40 minutes."))
        .unwrap();
    device.sync(&srv);
    device.store.submit_report(&report.id).unwrap();
    let (reply, _) = device.sync(&srv);
    assert_eq!(reply.results()[0]["server_version"], 3);
}

#[test]
fn an_operation_with_a_seq_not_above_the_records_last_is_out_of_order() {
    let srv = TestServer::start();
    let device = srv.device(ORG, OFFICER);
    let report = device.store.create_report(content("")).unwrap();
    device
        .store
        .update_report(&report.id, content("First account."))
        .unwrap();
    let ops = device.take();
    let applied = device.push(&srv, ops.iter().map(wire).collect());
    assert_eq!(applied.statuses(), ["applied", "applied"]);

    // A new operation (new id) carrying the create's seq: it would undo the update.
    let mut late = wire(&ops[1]);
    late["id"] = json!(uuid::Uuid::now_v7().to_string());
    late["seq"] = json!(ops[0].seq);
    let reply = device.push(&srv, vec![late]);
    assert_eq!(reply.statuses(), ["rejected"]);
    assert!(
        reply.reason(0).starts_with("out of order"),
        "{}",
        reply.reason(0)
    );
}

#[test]
fn an_update_of_a_report_the_server_never_received_is_an_unknown_record() {
    let srv = TestServer::start();
    let device = srv.device(ORG, OFFICER);
    let report = device.store.create_report(content("")).unwrap();
    device
        .store
        .update_report(&report.id, content("Account."))
        .unwrap();
    let ops = device.take();
    assert_eq!(ops[1].kind, OperationKind::ReportUpdate);
    let reply = device.push(&srv, vec![wire(&ops[1])]);
    assert_eq!(reply.statuses(), ["rejected"]);
    assert_eq!(reply.reason(0), "unknown record");
}

#[test]
fn creating_a_record_that_exists_is_rejected() {
    let srv = TestServer::start();
    let device = srv.device(ORG, OFFICER);
    device.store.create_report(content("")).unwrap();
    let op = device.take().remove(0);
    device.push(&srv, vec![wire(&op)]);
    let mut again = wire(&op);
    again["id"] = json!(uuid::Uuid::now_v7().to_string());
    again["seq"] = json!(op.seq + 100);
    let reply = device.push(&srv, vec![again]);
    assert_eq!(reply.statuses(), ["rejected"]);
    assert_eq!(reply.reason(0), "record already exists");
}

#[test]
fn a_device_of_another_organisation_cannot_touch_a_report() {
    let srv = TestServer::start();
    let owner = srv.device(ORG, OFFICER);
    let report = owner.store.create_report(content("")).unwrap();
    owner.sync(&srv);

    // The intruder edits and attaches to the same report id in its own store's words.
    let intruder = srv.device("globex", "G-1");
    let theirs = intruder.store.create_report(content("")).unwrap();
    intruder
        .store
        .update_report(&theirs.id, content("Overwritten."))
        .unwrap();
    intruder.attach(&theirs.id, "photo.jpg", b"not your report");
    let ops = intruder.take();
    let retarget = |mut op: Value| {
        let text = op.to_string().replace(&theirs.id, &report.id);
        op = serde_json::from_str(&text).unwrap();
        op
    };
    let update = retarget(wire(&ops[1]));
    let attach = retarget(wire(&ops[2]));
    assert_eq!(attach["kind"], "attachment.create");
    let reply = intruder.push(&srv, vec![update, attach]);

    assert_eq!(reply.statuses(), ["rejected", "rejected"]);
    assert_eq!(reply.reason(0), "unknown record");
    assert_eq!(reply.reason(1), format!("unknown report {}", report.id));
    let held = admin::report(&srv.server, ORG, &report.id).unwrap();
    assert_eq!(held.provenance.server_version, 1);
    assert!(held.attachments.is_empty());
}

#[test]
fn a_duress_alarm_needs_no_assignment() {
    let srv = TestServer::start();
    let device = srv.device(ORG, OFFICER);
    device
        .store
        .record_check_in(alarm(CheckInKind::Duress))
        .unwrap();
    let (reply, _) = device.sync(&srv);
    assert_eq!(reply.statuses(), ["applied"]);
}

#[test]
fn a_duress_naming_an_assignment_not_the_officers_is_still_applied() {
    let srv = TestServer::start();
    let device = srv.device(ORG, OFFICER);
    srv.assign(ORG, "OFC-8", "A-1");
    let mut duress = alarm(CheckInKind::Duress);
    duress.assignment_id = Some("A-1".into());
    device.store.record_check_in(duress).unwrap();
    let (reply, _) = device.sync(&srv);
    assert_eq!(reply.statuses(), ["applied"]);
    let held = admin::check_ins(&srv.server).unwrap();
    assert_eq!(held[0].check_in.assignment_id.as_deref(), Some("A-1"));
}

#[test]
fn attachment_upload_operations_are_not_pushed() {
    let srv = TestServer::start();
    let device = srv.device(ORG, OFFICER);
    let report = device.store.create_report(content("")).unwrap();
    device.attach(&report.id, "p.jpg", b"jpeg bytes");
    let ops = device.take();
    let reply = device.push(&srv, ops.iter().map(wire).collect());
    assert_eq!(reply.statuses(), ["applied", "applied", "rejected"]);
    assert!(
        reply.reason(2).contains("PUT /v1/attachments"),
        "{}",
        reply.reason(2)
    );
}

#[test]
fn after_a_refusal_the_records_later_operations_in_the_same_push_are_not_applied() {
    let srv = TestServer::start();
    let device = srv.device(ORG, OFFICER);
    let report = device.store.create_report(content("First draft.")).unwrap();
    device
        .store
        .update_report(&report.id, content("Second draft."))
        .unwrap();
    let ops = device.take();
    let mut create = wire(&ops[0]);
    create["payload"]["content"]["time_zone"] = json!("Nowhere/Special");
    let update = wire(&ops[1]);

    let reply = device.push(&srv, vec![create, update.clone()]);

    assert_eq!(reply.statuses(), ["rejected", "rejected"]);
    assert!(
        reply.reason(1).contains("earlier operation"),
        "{}",
        reply.reason(1)
    );
    // The update has no receipt: sent again later, it is judged afresh.
    let receipts = admin::receipts(&srv.server).unwrap();
    assert_eq!(receipts.len(), 1);
}

/// Everything one device of `organisation` is answered while it pushes `ops` (one
/// report's whole life, an attachment and an alarm), uploads `photo` and pulls: every
/// status and body, without the server's clock and what it mints afresh on each server
/// (the alarm's id, the feed's cursors).
fn answers_to(srv: &TestServer, device: &Device, ops: &[Value], sha: &str, photo: &[u8]) -> Value {
    let strip = |reply: Reply| {
        let mut body = reply.body;
        if let Some(object) = body.as_object_mut() {
            object.remove("server_time");
        }
        json!({"status": reply.status, "body": body})
    };
    let blob = format!("/v1/attachments/{sha}");
    let half = photo.len() / 2;
    json!([
        strip(srv.get(&blob, device.token())),
        strip(device.push(srv, ops.to_vec())),
        strip(device.push(srv, ops.to_vec())),
        strip(srv.get(&blob, device.token())),
        strip(srv.put(
            &format!("{blob}?offset=0"),
            device.token(),
            photo[..half].to_vec()
        )),
        strip(srv.put(
            &format!("{blob}?offset={half}"),
            device.token(),
            photo[half..].to_vec()
        )),
        strip(minted_out(srv.get("/v1/pull", device.token()))),
    ])
}

/// A pull answer without the alarm ids, times and cursors each server mints.
fn minted_out(mut reply: Reply) -> Reply {
    if let Some(object) = reply.body.as_object_mut() {
        object.remove("next_cursor");
    }
    for change in reply.body["changes"].as_array_mut().into_iter().flatten() {
        if let Some(object) = change.as_object_mut() {
            object.remove("cursor");
        }
        if let Some(alarm) = change["alarm"].as_object_mut() {
            alarm.remove("alarm_id");
            alarm.remove("updated_at");
        }
    }
    reply
}

#[test]
fn the_same_record_ids_in_two_organisations_coexist_and_org_b_learns_nothing_of_org_a() {
    const GLOBEX: &str = "globex";
    let taken = TestServer::start();
    let writer = taken.device(GLOBEX, "G-1");
    // One store's history, sent verbatim by a device of each organisation: the same ids
    // for the report, its attachment, its amendment, the alarm and the blob's sha256.
    let report = writer
        .store
        .create_report(content("Grey van opposite the residence."))
        .unwrap();
    let photo: Vec<u8> = (0..20_000u32).map(|i| (i * 7 + i / 251) as u8).collect();
    let attached = writer.attach(&report.id, "van.jpg", &photo);
    writer.store.submit_report(&report.id).unwrap();
    writer
        .store
        .amend_report(
            &report.id,
            cordon_core::NewAmendment {
                author: "G-1".into(),
                reason: "Registration confirmed.".into(),
                patch: cordon_core::IncidentPatch {
                    severity: Some(cordon_core::Severity::High),
                    ..Default::default()
                },
            },
        )
        .unwrap();
    writer
        .store
        .record_check_in(alarm(CheckInKind::Panic))
        .unwrap();
    let ops: Vec<Value> = writer
        .take()
        .iter()
        .filter(|o| o.kind != OperationKind::AttachmentUpload)
        .map(wire)
        .collect();
    assert_eq!(ops.len(), 5);

    // Organisation A holds every one of those ids first, bytes, review and all.
    let first = taken.device(ORG, "G-1");
    let theirs = answers_to(&taken, &first, &ops, &attached.sha256, &photo);
    admin::record_review(
        &taken.server,
        ORG,
        &report.id,
        cordon_core::ReviewOutcome::Accepted,
        "CR-DUTY",
        None,
    )
    .unwrap();

    let fresh = TestServer::start();
    let alone = fresh.device(GLOBEX, "G-1");
    let expected = answers_to(&fresh, &alone, &ops, &attached.sha256, &photo);
    let got = answers_to(&taken, &writer, &ops, &attached.sha256, &photo);

    assert_eq!(got, expected, "org B's answers depend on what org A holds");
    assert_eq!(theirs, expected, "org A was answered as org B alone is");
    let statuses: Vec<&str> = expected[1]["body"]["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["applied"; 5]);
    assert_eq!(expected[5]["body"]["complete"], true);

    // Each organisation's office sees its own records only, under the same ids.
    for (organisation, device, reviewed) in [(ORG, &first, true), (GLOBEX, &writer, false)] {
        let reports = admin::reports_of(&taken.server, organisation).unwrap();
        assert_eq!(reports.len(), 1, "{organisation}: {reports:?}");
        assert_eq!(reports[0].id, report.id);
        assert_eq!(reports[0].provenance.organisation_id, organisation);
        assert_eq!(reports[0].provenance.device_id, device.device_id);
        assert_eq!(reports[0].provenance.server_version, 3);
        assert_eq!(reports[0].amendments.len(), 1);
        assert_eq!(reports[0].attachments, std::slice::from_ref(&attached));
        assert_eq!(reports[0].reviews.len(), usize::from(reviewed));
        let held = admin::report(&taken.server, organisation, &report.id).unwrap();
        assert_eq!(held, reports[0]);

        let check_ins = admin::check_ins_of(&taken.server, organisation).unwrap();
        assert_eq!(check_ins.len(), 1, "{organisation}");
        assert_eq!(check_ins[0].provenance.device_id, device.device_id);
        let attachments = admin::attachments_of(&taken.server, organisation).unwrap();
        assert_eq!(attachments.len(), 1, "{organisation}");
        assert_eq!(attachments[0].provenance.device_id, device.device_id);
        assert!(attachments[0].complete);
        let receipts = admin::receipts_of(&taken.server, organisation).unwrap();
        assert_eq!(receipts.len(), 5, "{organisation}");
        assert!(receipts.iter().all(|r| r.device_id == device.device_id));
    }
    assert_eq!(admin::reports(&taken.server).unwrap().len(), 2);
}

/// A big batch is read off the async threads: it answers exactly as a small one does,
/// refusals included, and nothing of a refused batch is applied.
#[test]
fn a_big_batch_is_judged_as_a_small_one_its_refusals_included() {
    let srv = TestServer::start();
    let device = srv.device(ORG, OFFICER);
    let a = srv.assign(ORG, OFFICER, "A-1");
    device.store.upsert_assignment(&a).unwrap();
    for _ in 0..120 {
        device.store.record_check_in(welfare("A-1")).unwrap();
    }
    let ops: Vec<Value> = device.take().iter().map(wire).collect();
    let body = json!({"device_id": device.device_id, "operations": ops});
    assert!(
        body.to_string().len() > 32 * 1024,
        "big enough to leave the async thread"
    );

    let theirs = srv.post(
        "/v1/push",
        device.token(),
        &json!({"device_id": "another-device", "operations": ops}),
    );
    assert_eq!(theirs.status, 403, "{:?}", theirs.body);
    let mut broken = ops.clone();
    broken.push(json!({"kind": "check_in.record"}));
    let malformed = device.push(&srv, broken);
    assert_eq!(malformed.status, 400, "{:?}", malformed.body);
    assert!(admin::check_ins(&srv.server).unwrap().is_empty());

    let reply = device.push(&srv, ops);
    assert_eq!(reply.status, 200);
    assert_eq!(reply.statuses(), vec!["applied"; 120]);
    assert_eq!(admin::check_ins(&srv.server).unwrap().len(), 120);
}
