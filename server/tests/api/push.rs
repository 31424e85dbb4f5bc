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
        reply.reason(0).contains("invalid timeZone"),
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
    let held = admin::report(&srv.server, &report.id).unwrap();
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
