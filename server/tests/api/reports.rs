//! Reports: the submission hash and the amendment chain, checked against the office's
//! own copy.

use cordon_core::{
    amendment_hash, IncidentPatch, NewAmendment, OperationKind, ReportIntegrity, ReportState,
    Severity,
};
use cordon_server::admin;
use serde_json::{json, Value};

use crate::harness::*;

/// A device with a report created and synced, and its submission waiting in the outbox.
fn submitted(srv: &TestServer) -> (Device, String, Value) {
    let device = srv.device(ORG, OFFICER);
    let report = device.store.create_report(content("")).unwrap();
    device.sync(srv);
    device
        .store
        .update_report(
            &report.id,
            content("Grey van opposite the residence for 40 minutes."),
        )
        .unwrap();
    device.store.submit_report(&report.id).unwrap();
    let ops = device.take();
    assert_eq!(ops[1].kind, OperationKind::ReportSubmit);
    let applied = device.push(srv, vec![wire(&ops[0])]);
    assert_eq!(applied.statuses(), ["applied"]);
    device.store.acknowledge(&[ops[0].seq]).unwrap();
    (device, report.id, wire(&ops[1]))
}

fn amend(device: &Device, report_id: &str, severity: Severity) {
    device
        .store
        .amend_report(
            report_id,
            NewAmendment {
                author: OFFICER.into(),
                reason: "Control room confirmed the registration.".into(),
                patch: IncidentPatch {
                    severity: Some(severity),
                    ..Default::default()
                },
            },
        )
        .unwrap();
}

#[test]
fn a_submitted_report_is_sealed_with_the_hash_the_device_computed() {
    let srv = TestServer::start();
    let (device, id, submit) = submitted(&srv);
    let reply = device.push(&srv, vec![submit]);
    assert_eq!(reply.statuses(), ["applied"]);

    let held = admin::report(&srv.server, ORG, &id).unwrap();
    let on_device = device.store.report(&id).unwrap();
    assert_eq!(held.state, ReportState::Submitted);
    assert_eq!(held.content_hash, on_device.content_hash);
    assert_eq!(
        held.integrity,
        ReportIntegrity::Intact {
            head_hash: on_device.content_hash.clone().unwrap(),
            amendments: 0
        }
    );
}

#[test]
fn a_submission_with_a_tampered_content_hash_is_rejected() {
    let srv = TestServer::start();
    let (device, id, mut submit) = submitted(&srv);
    submit["payload"]["content_hash"] = json!("0".repeat(64));
    let reply = device.push(&srv, vec![submit]);
    assert_eq!(reply.statuses(), ["rejected"]);
    assert!(
        reply.reason(0).contains("content_hash"),
        "{}",
        reply.reason(0)
    );
    assert_eq!(
        admin::report(&srv.server, ORG, &id).unwrap().state,
        ReportState::Draft
    );
}

#[test]
fn a_submission_whose_content_was_altered_after_sealing_is_rejected() {
    let srv = TestServer::start();
    let (device, _, mut submit) = submitted(&srv);
    submit["payload"]["content"]["narrative"] = json!("Nothing to report.");
    let reply = device.push(&srv, vec![submit]);
    assert_eq!(reply.statuses(), ["rejected"]);
}

#[test]
fn an_incomplete_report_cannot_be_submitted() {
    let srv = TestServer::start();
    let (device, _, mut submit) = submitted(&srv);
    submit["payload"]["content"]["narrative"] = json!("");
    let reply = device.push(&srv, vec![submit]);
    assert_eq!(reply.statuses(), ["rejected"]);
    assert!(reply.reason(0).contains("narrative"), "{}", reply.reason(0));
}

#[test]
fn an_update_after_submission_is_rejected() {
    let srv = TestServer::start();
    let (device, id, submit) = submitted(&srv);
    let mut update = submit.clone();
    device.push(&srv, vec![submit]);
    update["id"] = json!(uuid::Uuid::now_v7().to_string());
    update["seq"] = json!(update["seq"].as_i64().unwrap() + 1);
    update["kind"] = json!("report.update");
    update["payload"] = json!({
        "report_id": id,
        "content": content("Rewritten after the fact."),
        "updated_at": "2026-11-28T09:15:00.000Z"
    });
    let reply = device.push(&srv, vec![update]);
    assert_eq!(reply.statuses(), ["rejected"]);
    assert!(reply.reason(0).contains("submitted"), "{}", reply.reason(0));
}

#[test]
fn amendments_are_accepted_link_by_link_and_the_heads_agree() {
    let srv = TestServer::start();
    let (device, id, submit) = submitted(&srv);
    assert_eq!(
        device.push(&srv, vec![submit.clone()]).statuses(),
        ["applied"]
    );
    device
        .store
        .acknowledge(&[submit["seq"].as_i64().unwrap()])
        .unwrap();
    amend(&device, &id, Severity::High);
    amend(&device, &id, Severity::Critical);
    let (reply, _) = device.sync(&srv);
    assert_eq!(reply.statuses(), ["applied", "applied"]);

    let held = admin::report(&srv.server, ORG, &id).unwrap();
    let device_head = match device.store.verify_report(&id).unwrap() {
        ReportIntegrity::Intact { head_hash, .. } => head_hash,
        other => panic!("device chain {other:?}"),
    };
    assert_eq!(held.head_hash.as_deref(), Some(device_head.as_str()));
    assert_eq!(held.content.severity, Severity::Critical);
    assert!(matches!(
        held.integrity,
        ReportIntegrity::Intact { amendments: 2, .. }
    ));
}

/// The submission applied, and the first amendment's operation as the device sent it.
fn first_amendment(srv: &TestServer) -> (Device, Value) {
    let (device, id, submit) = submitted(srv);
    assert_eq!(
        device.push(srv, vec![submit.clone()]).statuses(),
        ["applied"]
    );
    device
        .store
        .acknowledge(&[submit["seq"].as_i64().unwrap()])
        .unwrap();
    amend(&device, &id, Severity::High);
    let ops = device.take();
    let amend = ops
        .iter()
        .find(|o| o.kind == OperationKind::ReportAmend)
        .unwrap();
    (device, wire(amend))
}

/// Rewrites an amendment operation's payload and seals it again, so that only the
/// property under test is wrong.
fn resealed(mut op: Value, change: impl FnOnce(&mut Value)) -> Value {
    change(&mut op["payload"]);
    let mut a: cordon_core::Amendment = serde_json::from_value(op["payload"].clone()).unwrap();
    a.hash = amendment_hash(&a);
    op["payload"] = serde_json::to_value(a).unwrap();
    op
}

#[test]
fn an_amendment_that_skips_a_sequence_number_is_rejected() {
    let srv = TestServer::start();
    let (device, op) = first_amendment(&srv);
    let op = resealed(op, |p| p["sequence"] = json!(2));
    let reply = device.push(&srv, vec![op]);
    assert_eq!(reply.statuses(), ["rejected"]);
    assert!(reply.reason(0).contains("sequence"), "{}", reply.reason(0));
}

#[test]
fn an_amendment_not_chained_to_the_servers_head_is_rejected() {
    let srv = TestServer::start();
    let (device, op) = first_amendment(&srv);
    let op = resealed(op, |p| p["previous_hash"] = json!("1".repeat(64)));
    let reply = device.push(&srv, vec![op]);
    assert_eq!(reply.statuses(), ["rejected"]);
    assert!(
        reply.reason(0).contains("previous_hash"),
        "{}",
        reply.reason(0)
    );
}

#[test]
fn an_amendment_whose_hash_does_not_recompute_is_rejected() {
    let srv = TestServer::start();
    let (device, mut op) = first_amendment(&srv);
    op["payload"]["reason"] = json!("A different reason, hash left as it was.");
    let reply = device.push(&srv, vec![op]);
    assert_eq!(reply.statuses(), ["rejected"]);
    assert!(reply.reason(0).contains("hash"), "{}", reply.reason(0));
}

#[test]
fn an_amendment_whose_changed_fields_misstate_the_patch_is_rejected() {
    let srv = TestServer::start();
    let (device, op) = first_amendment(&srv);
    let op = resealed(op, |p| p["changed_fields"] = json!(["narrative"]));
    let reply = device.push(&srv, vec![op]);
    assert_eq!(reply.statuses(), ["rejected"]);
    assert!(
        reply.reason(0).contains("changed_fields"),
        "{}",
        reply.reason(0)
    );
}

#[test]
fn an_amendment_of_a_draft_is_rejected() {
    let srv = TestServer::start();
    let (device, op) = first_amendment(&srv);
    // The same amendment, replayed onto a second report that was never submitted.
    let draft = device.store.create_report(content("")).unwrap();
    let (created, _) = device.sync(&srv);
    assert_eq!(created.statuses(), ["applied"]);
    let text = op
        .to_string()
        .replace(op["record_id"].as_str().unwrap(), &draft.id);
    let mut op: Value = serde_json::from_str(&text).unwrap();
    op["id"] = json!(uuid::Uuid::now_v7().to_string());
    op["seq"] = json!(op["seq"].as_i64().unwrap() + 10);
    let reply = device.push(&srv, vec![op]);
    assert_eq!(reply.statuses(), ["rejected"]);
    assert!(reply.reason(0).contains("draft"), "{}", reply.reason(0));
}

#[test]
fn a_submission_must_list_every_attachment_the_server_holds_for_the_report() {
    let srv = TestServer::start();
    let device = srv.device(ORG, OFFICER);
    let report = device.store.create_report(content("")).unwrap();
    device.attach(&report.id, "a.jpg", b"first photo");
    device
        .store
        .update_report(&report.id, content("Two photos of the van."))
        .unwrap();
    device.store.submit_report(&report.id).unwrap();
    let ops: Vec<_> = device
        .take()
        .into_iter()
        .filter(|o| o.kind != OperationKind::AttachmentUpload)
        .collect();
    let mut sent: Vec<Value> = ops.iter().map(wire).collect();
    let submit = sent.last_mut().unwrap();
    submit["payload"]["attachments"] = json!([]);
    let reply = device.push(&srv, sent);
    assert_eq!(
        reply.statuses(),
        ["applied", "applied", "applied", "rejected"]
    );
    assert!(reply.reason(3).contains("missing"), "{}", reply.reason(3));
}
