//! A lost phone shut out: the office revokes a device; its token stops working at once
//! (`403 revoked` on every call), its last contact names what it had not sent, and the
//! office keeps what it had received. Every step is audited; another organisation
//! cannot revoke it, and a revoked device id cannot enrol again.

use cordon_core::protocol::{RevocationReport, UnsentOperation, MAX_UNSENT_LISTED};
use cordon_core::*;
use cordon_server::{admin, operators, Error};
use serde_json::json;

use crate::harness::*;

fn report(device: &Device, unsent: Vec<UnsentOperation>, total: i64) -> serde_json::Value {
    serde_json::to_value(RevocationReport {
        device_id: device.device_id.clone(),
        unsent_total: total,
        unsent,
    })
    .unwrap()
}

fn unsent(n: usize) -> Vec<UnsentOperation> {
    (0..n)
        .map(|i| UnsentOperation {
            kind: "report.create".into(),
            record_id: format!("R-{i}"),
            created_at: Timestamp::from_millis(1_795_000_000_000 + i as i64),
        })
        .collect()
}

#[test]
fn a_revoked_devices_token_is_refused_at_once_and_what_the_office_received_stays() {
    let srv = TestServer::start();
    let device = srv.device(ORG, OFFICER);
    srv.assign(ORG, OFFICER, "A-1");
    device.store.upsert_assignment(&assignment("A-1")).unwrap();
    device.store.record_check_in(welfare("A-1")).unwrap();
    device.sync(&srv);

    let revocation = admin::revoke_device(
        &srv.server,
        ORG,
        &device.device_id,
        "op.lee",
        "lost on the tube",
    )
    .unwrap();
    assert_eq!(revocation.officer_id, OFFICER);
    assert_eq!(revocation.confirmed_at, None);

    let push = device.push(&srv, vec![]);
    assert_eq!((push.status, push.code()), (403, "revoked"));
    let pull = srv.get("/v1/pull", device.token());
    assert_eq!((pull.status, pull.code()), (403, "revoked"));
    let chunk = srv.put(
        &format!("/v1/attachments/{}?offset=0", "a".repeat(64)),
        device.token(),
        vec![1],
    );
    assert_eq!((chunk.status, chunk.code()), (403, "revoked"));
    assert_eq!(push.body["error"]["retryable"], false);

    assert_eq!(
        admin::check_ins(&srv.server).unwrap().len(),
        1,
        "received stays"
    );
    let audit = operators::audit_log(&srv.server, ORG, 10).unwrap();
    assert_eq!(
        (
            audit[0].actor.as_str(),
            audit[0].action.as_str(),
            audit[0].outcome.as_str()
        ),
        ("op.lee", "device.revoke", "revoked")
    );
    assert_eq!(audit[0].subject.as_deref(), Some(device.device_id.as_str()));
    let listed = admin::devices_of(&srv.server, ORG).unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].revocation.as_ref(), Some(&revocation));

    // Revoking again keeps the first revocation and is audited as such.
    let again =
        admin::revoke_device(&srv.server, ORG, &device.device_id, "op.kim", "again").unwrap();
    assert_eq!(again, revocation);
    let audit = operators::audit_log(&srv.server, ORG, 1).unwrap();
    assert_eq!(audit[0].outcome, "already revoked");
}

#[test]
fn another_organisation_cannot_revoke_a_device_nor_learn_that_it_exists() {
    let srv = TestServer::start();
    let device = srv.device(ORG, OFFICER);
    let refused = admin::revoke_device(&srv.server, "ORG-OTHER", &device.device_id, "x", "y");
    assert!(
        matches!(refused, Err(Error::NotFound { .. })),
        "{refused:?}"
    );
    let unknown = admin::revoke_device(&srv.server, ORG, "no-such-device", "x", "y");
    assert!(
        matches!(unknown, Err(Error::NotFound { .. })),
        "{unknown:?}"
    );
    assert_eq!(device.push(&srv, vec![]).status, 200, "still works");
    assert!(operators::audit_log(&srv.server, "ORG-OTHER", 10)
        .unwrap()
        .is_empty());
    let blank = admin::revoke_device(&srv.server, ORG, &device.device_id, "op", " ");
    assert!(
        matches!(blank, Err(Error::InvalidInput { .. })),
        "{blank:?}"
    );
}

#[test]
fn the_last_contact_names_what_was_not_sent_once_and_only_from_a_revoked_device() {
    let srv = TestServer::start();
    let device = srv.device(ORG, OFFICER);
    let not_revoked = srv.post(
        "/v1/revoked",
        device.token(),
        &report(&device, unsent(1), 1),
    );
    assert_eq!((not_revoked.status, not_revoked.code()), (403, "forbidden"));

    admin::revoke_device(&srv.server, ORG, &device.device_id, "op.lee", "seized").unwrap();
    let too_many = srv.post(
        "/v1/revoked",
        device.token(),
        &report(&device, unsent(MAX_UNSENT_LISTED + 1), 5000),
    );
    assert_eq!(too_many.status, 400, "{:?}", too_many.body);
    let below_listed = srv.post(
        "/v1/revoked",
        device.token(),
        &report(&device, unsent(3), 2),
    );
    assert_eq!(below_listed.status, 400);
    let malformed = srv.post("/v1/revoked", device.token(), &json!({"device_id": 7}));
    assert_eq!(malformed.status, 400);
    let other = srv.device(ORG, "OFC-8");
    let impersonating = srv.post("/v1/revoked", device.token(), &report(&other, vec![], 0));
    assert_eq!(impersonating.status, 403);

    let told = srv.post(
        "/v1/revoked",
        device.token(),
        &report(&device, unsent(2), 40),
    );
    assert_eq!(told.status, 200, "{:?}", told.body);
    assert_eq!(told.body["destroy"], true);
    let kept = admin::revocation(&srv.server, ORG, &device.device_id)
        .unwrap()
        .unwrap();
    assert!(kept.confirmed_at.is_some());
    assert_eq!(kept.unsent_total, Some(40));
    assert_eq!(kept.unsent, unsent(2));

    // A repeat (the first answer lost) is answered the same and changes nothing.
    let repeat = srv.post("/v1/revoked", device.token(), &report(&device, vec![], 0));
    assert_eq!(repeat.status, 200);
    let after = admin::revocation(&srv.server, ORG, &device.device_id)
        .unwrap()
        .unwrap();
    assert_eq!(after, kept);
    let audit = operators::audit_log(&srv.server, ORG, 10).unwrap();
    let destroyed: Vec<_> = audit
        .iter()
        .filter(|a| a.action == "device.destroyed")
        .collect();
    assert_eq!(destroyed.len(), 1);
    assert_eq!(destroyed[0].actor, format!("device:{}", device.device_id));
}

#[test]
fn a_revoked_device_id_cannot_enrol_again_and_the_code_is_not_spent() {
    let srv = TestServer::start();
    let device = srv.device(ORG, OFFICER);
    admin::revoke_device(&srv.server, ORG, &device.device_id, "op.lee", "lost").unwrap();
    let code = srv.code(ORG, OFFICER);
    let again = srv.post(
        "/v1/enrol",
        None,
        &json!({"code": code, "device_id": device.device_id}),
    );
    assert_eq!((again.status, again.code()), (403, "enrolment_refused"));
    let fresh = srv.post(
        "/v1/enrol",
        None,
        &json!({"code": code, "device_id": uuid::Uuid::now_v7().to_string()}),
    );
    assert_eq!(fresh.status, 200, "the code still works for a new phone");
}
