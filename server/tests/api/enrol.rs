//! Enrolment: one-time codes, tokens, and what the token opens.

use std::sync::Arc;
use std::time::Duration;

use cordon_core::{ManualClock, Timestamp};
use cordon_server::admin;
use serde_json::json;

use crate::harness::*;

const DEVICE: &str = "e3d7a0c2-5b1e-4f63-9d7c-2a9f0b1c3d4e";

#[test]
fn an_enrolment_code_works_once() {
    let srv = TestServer::start();
    let code = srv.code(ORG, OFFICER);
    let body = json!({"code": code, "device_id": DEVICE});

    let first = srv.post("/v1/enrol", None, &body);
    assert_eq!(first.status, 200);
    assert_eq!(first.body["organisation_id"], ORG);
    assert_eq!(first.body["officer_id"], OFFICER);
    assert_eq!(first.body["device_id"], DEVICE);
    assert_eq!(first.body["token"].as_str().map(str::len), Some(64));

    let other = json!({"code": code, "device_id": "0f0e0d0c-0b0a-4909-8807-060504030201"});
    let second = srv.post("/v1/enrol", None, &other);
    assert_eq!((second.status, second.code()), (403, "enrolment_refused"));
}

#[test]
fn the_device_that_redeemed_a_code_may_redeem_it_again_when_the_answer_was_lost() {
    let srv = TestServer::start();
    let code = srv.code(ORG, OFFICER);
    let body = json!({"code": code, "device_id": DEVICE});
    let lost = srv.post("/v1/enrol", None, &body);
    assert_eq!(lost.status, 200);

    let again = srv.post("/v1/enrol", None, &body);

    assert_eq!(again.status, 200);
    assert_ne!(
        again.body["token"], lost.body["token"],
        "a new token replaces the lost one"
    );
    let old = lost.body["token"].as_str().unwrap();
    assert_eq!(srv.get("/v1/pull", Some(old)).status, 401);
}

#[test]
fn a_device_cannot_be_taken_over_with_another_officers_code() {
    let srv = TestServer::start();
    let mine = srv.code(ORG, OFFICER);
    let victim = srv.post(
        "/v1/enrol",
        None,
        &json!({"code": mine, "device_id": DEVICE}),
    );
    assert_eq!(victim.status, 200);
    let theirs = srv.code(ORG, "OFC-9");

    let takeover = srv.post(
        "/v1/enrol",
        None,
        &json!({"code": theirs, "device_id": DEVICE}),
    );

    assert_eq!(
        (takeover.status, takeover.code()),
        (403, "enrolment_refused")
    );
    let token = victim.body["token"].as_str().unwrap();
    assert_eq!(
        srv.get("/v1/pull", Some(token)).status,
        200,
        "the victim's token still works"
    );
}

#[test]
fn an_unknown_code_is_refused_with_403() {
    let srv = TestServer::start();
    let reply = srv.post(
        "/v1/enrol",
        None,
        &json!({"code": "AAAA-BBBB-CCCC-DDDD", "device_id": DEVICE}),
    );
    assert_eq!((reply.status, reply.code()), (403, "enrolment_refused"));
}

#[test]
fn a_code_is_valid_for_at_most_thirty_days() {
    let clock = Arc::new(ManualClock::new(Timestamp::from_millis(1_795_000_000_000)));
    let srv = TestServer::with_clock(clock);
    let make = |d: Duration| admin::create_enrolment_code(&srv.server, ORG, OFFICER, d);
    let longest = make(admin::MAX_CODE_VALIDITY).unwrap();
    assert_eq!(
        longest.expires_at,
        srv.server.now().plus(Duration::from_secs(30 * 24 * 3600))
    );
    for too_long in [
        admin::MAX_CODE_VALIDITY + Duration::from_secs(1),
        Duration::from_secs(u64::MAX),
    ] {
        assert!(
            matches!(make(too_long), Err(cordon_server::Error::InvalidInput { ref field, .. }) if field == "valid_for"),
            "{too_long:?} was accepted"
        );
    }
}

#[test]
fn an_expired_code_is_refused() {
    let clock = Arc::new(ManualClock::new(Timestamp::from_millis(1_795_000_000_000)));
    let srv = TestServer::with_clock(clock.clone());
    let code = admin::create_enrolment_code(&srv.server, ORG, OFFICER, Duration::from_secs(3600))
        .unwrap()
        .code;
    clock.advance(Duration::from_secs(3601));
    let reply = srv.post(
        "/v1/enrol",
        None,
        &json!({"code": code, "device_id": DEVICE}),
    );
    assert_eq!((reply.status, reply.code()), (403, "enrolment_refused"));
}

#[test]
fn a_code_typed_in_lower_case_with_spaces_is_accepted() {
    let srv = TestServer::start();
    let typed = srv.code(ORG, OFFICER).to_lowercase().replace('-', " ");
    let reply = srv.post(
        "/v1/enrol",
        None,
        &json!({"code": typed, "device_id": DEVICE}),
    );
    assert_eq!(reply.status, 200);
}

#[test]
fn only_digests_of_codes_and_tokens_are_stored() {
    let srv = TestServer::start();
    let code = srv.code(ORG, OFFICER);
    let token = srv
        .post(
            "/v1/enrol",
            None,
            &json!({"code": code, "device_id": DEVICE}),
        )
        .body["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let raw = std::fs::read(srv.db_path()).unwrap();
    let wal = std::fs::read(srv.db_path().with_extension("db-wal")).unwrap_or_default();
    for secret in [code.replace('-', ""), code.clone(), token] {
        let found = |bytes: &[u8]| bytes.windows(secret.len()).any(|w| w == secret.as_bytes());
        assert!(!found(&raw) && !found(&wal), "{secret} is stored in clear");
    }
}

#[test]
fn a_device_of_one_organisation_cannot_enrol_into_another_and_the_code_is_not_burnt() {
    let srv = TestServer::start();
    let first = srv.code(ORG, OFFICER);
    assert_eq!(
        srv.post(
            "/v1/enrol",
            None,
            &json!({"code": first, "device_id": DEVICE})
        )
        .status,
        200
    );
    let other = srv.code("globex", "G-1");
    let refused = srv.post(
        "/v1/enrol",
        None,
        &json!({"code": other, "device_id": DEVICE}),
    );
    assert_eq!((refused.status, refused.code()), (403, "enrolment_refused"));

    let fresh_device = "0b6f3c1e-9a2d-4e8f-b1c7-5d4a3e2f1a0b";
    let later = srv.post(
        "/v1/enrol",
        None,
        &json!({"code": other, "device_id": fresh_device}),
    );
    assert_eq!(later.status, 200, "the refused code still works once");
}

#[test]
fn enrolling_again_revokes_the_old_token() {
    let srv = TestServer::start();
    let enrol = |code: String| {
        srv.post(
            "/v1/enrol",
            None,
            &json!({"code": code, "device_id": DEVICE}),
        )
        .body["token"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let old = enrol(srv.code(ORG, OFFICER));
    let new = enrol(srv.code(ORG, OFFICER));
    assert_eq!(srv.get("/v1/pull", Some(&old)).status, 401);
    assert_eq!(srv.get("/v1/pull", Some(&new)).status, 200);
}

#[test]
fn a_device_id_that_is_not_a_uuid_is_a_bad_request() {
    let srv = TestServer::start();
    let code = srv.code(ORG, OFFICER);
    let reply = srv.post(
        "/v1/enrol",
        None,
        &json!({"code": code, "device_id": "phone"}),
    );
    assert_eq!((reply.status, reply.code()), (400, "bad_request"));
}

#[test]
fn health_answers_ok_without_a_token() {
    let srv = TestServer::start();
    let reply = srv.get("/v1/health", None);
    assert_eq!(
        (reply.status, reply.body["status"].as_str()),
        (200, Some("ok"))
    );
}
