//! The error model: every refusal is the protocol's error body with `server_time`, and
//! bad input of any shape is answered, never half-applied.

use cordon_core::{CheckInKind, Timestamp};
use cordon_server::admin;
use serde_json::json;

use crate::harness::*;

const SHA: &str = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";

#[test]
fn every_authenticated_endpoint_answers_401_to_a_missing_or_wrong_token() {
    let srv = TestServer::start();
    let device = srv.device(ORG, OFFICER);
    let push = json!({"device_id": device.device_id, "operations": []});
    for token in [None, Some("not-a-token"), Some(&*"0".repeat(64))] {
        let replies = [
            srv.post("/v1/push", token, &push),
            srv.get("/v1/pull", token),
            srv.get(&format!("/v1/attachments/{SHA}"), token),
            srv.put(
                &format!("/v1/attachments/{SHA}?offset=0"),
                token,
                b"bytes".to_vec(),
            ),
        ];
        for reply in replies {
            assert_eq!(
                (reply.status, reply.code()),
                (401, "unauthorized"),
                "token {token:?}"
            );
            assert_eq!(reply.body["error"]["retryable"], false);
        }
    }
}

#[test]
fn malformed_json_is_a_400_bad_request_and_nothing_is_applied() {
    let srv = TestServer::start();
    let device = srv.device(ORG, OFFICER);
    for body in [
        &b"{\"device_id\": "[..],
        b"[]",
        b"{\"operations\": 12}",
        b"\xff\xfe",
    ] {
        let reply = srv.call("POST", "/v1/push", device.token(), Some(body.to_vec()));
        assert_eq!((reply.status, reply.code()), (400, "bad_request"));
    }
    let enrol = srv.call("POST", "/v1/enrol", None, Some(b"{not json".to_vec()));
    assert_eq!((enrol.status, enrol.code()), (400, "bad_request"));
    assert!(admin::receipts(&srv.server).unwrap().is_empty());
}

#[test]
fn an_operation_without_an_id_and_seq_makes_the_whole_push_a_400() {
    let srv = TestServer::start();
    let device = srv.device(ORG, OFFICER);
    device
        .store
        .record_check_in(alarm(CheckInKind::Panic))
        .unwrap();
    let good = wire(&device.take()[0]);
    let reply = device.push(&srv, vec![good, json!({"kind": "check_in.record"})]);
    assert_eq!((reply.status, reply.code()), (400, "bad_request"));
    assert!(admin::check_ins(&srv.server).unwrap().is_empty());
}

#[test]
fn a_push_body_over_4_mib_is_413_too_large() {
    let srv = TestServer::start();
    let device = srv.device(ORG, OFFICER);
    let mut body = br#"{"device_id": "x", "operations": [], "padding": ""#.to_vec();
    body.resize(4 * 1024 * 1024 + 1, b' ');
    let reply = srv.call("POST", "/v1/push", device.token(), Some(body));
    assert_eq!((reply.status, reply.code()), (413, "too_large"));
}

#[test]
fn a_large_push_with_a_wrong_token_is_answered_401_not_cut_off() {
    let srv = TestServer::start();
    let mut body = br#"{"device_id": "x", "operations": [], "padding": ""#.to_vec();
    body.resize(8 * 1024 * 1024, b' ');
    let reply = srv.call("POST", "/v1/push", Some("not-a-token"), Some(body));
    assert_eq!((reply.status, reply.code()), (401, "unauthorized"));
}

#[test]
fn a_push_of_more_than_1000_operations_is_a_400() {
    let srv = TestServer::start();
    let device = srv.device(ORG, OFFICER);
    device
        .store
        .record_check_in(alarm(CheckInKind::Panic))
        .unwrap();
    let op = wire(&device.take()[0]);
    let reply = device.push(&srv, vec![op; 1001]);
    assert_eq!((reply.status, reply.code()), (400, "bad_request"));
    assert!(admin::check_ins(&srv.server).unwrap().is_empty());
}

#[test]
fn a_push_naming_another_device_is_403_forbidden() {
    let srv = TestServer::start();
    let device = srv.device(ORG, OFFICER);
    let other = srv.device(ORG, OFFICER);
    let reply = srv.post(
        "/v1/push",
        device.token(),
        &json!({"device_id": other.device_id, "operations": []}),
    );
    assert_eq!((reply.status, reply.code()), (403, "forbidden"));
}

#[test]
fn unknown_paths_are_404_and_wrong_methods_405_with_the_error_body() {
    let srv = TestServer::start();
    let missing = srv.get("/v2/push", None);
    assert_eq!((missing.status, missing.code()), (404, "not_found"));
    let wrong = srv.call("DELETE", "/v1/health", None, None);
    assert_eq!((wrong.status, wrong.code()), (405, "method_not_allowed"));
}

#[test]
fn server_time_in_every_body_is_the_servers_clock_and_date_is_set() {
    let srv = TestServer::start();
    let before = Timestamp::from(std::time::SystemTime::now());
    let replies = [
        srv.get("/v1/health", None),
        srv.get("/v1/pull", None),
        srv.post(
            "/v1/enrol",
            None,
            &json!({"code": "nope", "device_id": "x"}),
        ),
        srv.get("/nowhere", None),
    ];
    let after = Timestamp::from(std::time::SystemTime::now());
    for reply in replies {
        let t = Timestamp::parse_rfc3339(reply.body["server_time"].as_str().unwrap()).unwrap();
        assert!(before <= t && t <= after, "{t} is not the server's now");
        assert!(reply.date.ends_with(" GMT"), "Date header {:?}", reply.date);
    }
}
