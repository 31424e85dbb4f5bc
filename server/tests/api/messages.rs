//! Messages from the control room to an officer, over real HTTP: written in the console,
//! pulled by the officer's device, read receipts pushed back exactly once; what the
//! console shows (sent, delivered, read), the refusals, and one organisation's view.

use cordon_core::*;
use cordon_server::messages;
use cordon_server::operators::{self, Role};
use serde_json::{json, Value};

use crate::console::{add, sign_in, with_duress, Console};
use crate::harness::*;

/// The officer's feed, from the start.
fn feed(srv: &TestServer, device: &Device) -> Vec<Value> {
    let reply = srv.get("/v1/pull", device.token());
    assert_eq!(reply.status, 200, "{:?}", reply.body);
    reply.body["changes"].as_array().unwrap().clone()
}

/// The device's read receipt for `message_id`, as its outbox sends it.
fn receipt(seq: i64, message_id: &str, read_at: Timestamp) -> Value {
    json!({
        "id": uuid::Uuid::now_v7().to_string(), "seq": seq, "kind": "message.read",
        "record_id": message_id, "depends_on": null, "payload_version": 1,
        "created_at": read_at, "payload": {"message_id": message_id, "read_at": read_at}
    })
}

fn send(console: &Console, body: Value) -> (u16, Value) {
    let answer = console.post("/messages", &body);
    (answer.status, answer.json())
}

fn listed(console: &Console) -> Vec<Value> {
    console.get("/messages").json()["messages"]
        .as_array()
        .unwrap()
        .clone()
}

#[test]
fn a_message_reaches_the_officer_and_the_console_shows_it_delivered_then_read_once() {
    let srv = TestServer::start();
    add(&srv, ORG, "op.jones", Role::Operator);
    let device = srv.device(ORG, OFFICER);
    let console = sign_in(&srv, ORG, "op.jones");

    let (status, sent) = send(
        &console,
        json!({"officer_id": OFFICER, "body": "Police <b>two</b> minutes out."}),
    );
    assert_eq!(status, 200, "{sent}");
    let id = sent["message"]["id"].as_str().unwrap().to_owned();
    assert_eq!(listed(&console)[0]["delivered_at"], Value::Null);

    let changes = feed(&srv, &device);
    assert_eq!(changes.len(), 1);
    assert_eq!(changes[0]["kind"], "message");
    assert_eq!(changes[0]["message"]["message_id"], id.as_str());
    assert_eq!(
        changes[0]["message"]["body"],
        "Police <b>two</b> minutes out."
    );
    assert_eq!(changes[0]["message"]["sender"], "op.jones");
    let shown = &listed(&console)[0];
    assert!(shown["delivered_at"].is_string(), "{shown}");
    assert_eq!(shown["read_at"], Value::Null);

    let read_at = Timestamp::from_millis(1_795_000_000_000);
    let first = receipt(1, &id, read_at);
    let reply = device.push(&srv, vec![first.clone()]);
    assert_eq!(reply.statuses(), ["applied"]);
    let replay = device.push(&srv, vec![first]);
    assert_eq!(replay.statuses(), ["duplicate"]);
    let later = Timestamp::from_millis(1_795_000_600_000);
    let again = device.push(&srv, vec![receipt(2, &id, later)]);
    assert_eq!(
        again.statuses(),
        ["applied"],
        "a repeated receipt is harmless"
    );

    let shown = &listed(&console)[0];
    assert_eq!(
        shown["read_at"],
        json!(read_at),
        "the first read time is kept"
    );
    let held = messages::message(&srv.server, ORG, &id).unwrap();
    assert_eq!(held.read_at, Some(read_at));
    let log = operators::audit_log(&srv.server, ORG, 10).unwrap();
    assert_eq!(
        (
            log[0].action.as_str(),
            log[0].subject.as_deref(),
            log[0].outcome.as_str()
        ),
        ("message.send", Some(id.as_str()), "ok")
    );
}

#[test]
fn a_message_about_an_alarm_names_it_and_the_device_applies_it_from_the_feed() {
    let srv = TestServer::start();
    add(&srv, ORG, "op.jones", Role::Operator);
    let (device, alarm_id) = with_duress(&srv);
    let console = sign_in(&srv, ORG, "op.jones");

    let (status, sent) = send(
        &console,
        json!({"officer_id": OFFICER, "body": "We have you.", "alarm_id": alarm_id}),
    );

    assert_eq!(status, 200, "{sent}");
    assert_eq!(sent["message"]["alarm_id"], alarm_id.as_str());
    let message = feed(&srv, &device)
        .into_iter()
        .find(|c| c["kind"] == "message")
        .unwrap();
    assert_eq!(message["message"]["alarm_id"], alarm_id.as_str());
}

#[test]
fn bad_messages_are_refused_with_the_error_body_and_audited_without_their_text() {
    let srv = TestServer::start();
    add(&srv, ORG, "op.jones", Role::Operator);
    add(&srv, "other-org", "op.smith", Role::Operator);
    let _device = srv.device(ORG, OFFICER);
    let _theirs = srv.device("other-org", "OFC-99");
    let (_alarm_device, _) = with_duress(&srv);
    let foreign_alarm = {
        let d = srv.device("other-org", "OFC-99");
        d.store.record_check_in(alarm(CheckInKind::Panic)).unwrap();
        d.sync(&srv);
        cordon_server::alarms::open_alarms(&srv.server, "other-org").unwrap()[0]
            .id
            .clone()
    };
    let console = sign_in(&srv, ORG, "op.jones");
    let too_long = "x".repeat(MAX_MESSAGE_CHARS + 1);
    let cases = [
        (
            json!({"officer_id": OFFICER, "body": "  "}),
            400,
            "bad_request",
        ),
        (
            json!({"officer_id": OFFICER, "body": too_long}),
            400,
            "bad_request",
        ),
        (
            json!({"officer_id": OFFICER, "body": "bell\u{7}"}),
            400,
            "bad_request",
        ),
        (
            json!({"officer_id": OFFICER, "body": "hi", "colour": "red"}),
            400,
            "bad_request",
        ),
        (json!({"officer_id": "", "body": "hi"}), 400, "bad_request"),
        (
            json!({"officer_id": "OFC-404", "body": "hi"}),
            404,
            "not_found",
        ),
        (
            json!({"officer_id": "OFC-99", "body": "hi"}),
            404,
            "not_found",
        ),
        (
            json!({"officer_id": OFFICER, "body": "hi", "alarm_id": foreign_alarm}),
            404,
            "not_found",
        ),
    ];
    for (body, status, code) in &cases {
        let answer = console.post("/messages", body);
        assert_eq!(
            (answer.status, answer.code().as_str()),
            (*status, *code),
            "{body}: {}",
            answer.text
        );
        assert_eq!(answer.json()["error"]["retryable"], false);
    }
    let unsigned = console.post_with(
        "/messages",
        None,
        &json!({"officer_id": OFFICER, "body": "hi"}),
    );
    assert_eq!(unsigned.status, 403);

    assert!(
        messages::messages_of(&srv.server, ORG, 10)
            .unwrap()
            .is_empty(),
        "nothing written"
    );
    let refusals: Vec<_> = operators::audit_log(&srv.server, ORG, 50)
        .unwrap()
        .into_iter()
        .filter(|e| e.action == "message.send")
        .map(|e| e.outcome)
        .collect();
    assert_eq!(
        refusals.len(),
        cases.len() - 1,
        "all but the unknown field, refused before it was read"
    );
    let db = rusqlite::Connection::open(srv.db_path()).unwrap();
    let audited: String = db
        .query_row(
            "SELECT group_concat(coalesce(subject, ''), '|') FROM audit",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!(!audited.contains("bell"), "no text in the audit: {audited}");
}

#[test]
fn an_officer_sees_and_acknowledges_only_their_own_messages() {
    let srv = TestServer::start();
    add(&srv, ORG, "op.jones", Role::Operator);
    let mine = srv.device(ORG, OFFICER);
    let colleague = srv.device(ORG, "OFC-8");
    let console = sign_in(&srv, ORG, "op.jones");
    let (_, sent) = send(
        &console,
        json!({"officer_id": OFFICER, "body": "For you only."}),
    );
    let id = sent["message"]["id"].as_str().unwrap().to_owned();

    assert!(feed(&srv, &colleague).is_empty());
    let theirs = colleague.push(
        &srv,
        vec![receipt(1, &id, Timestamp::from_millis(1_795_000_000_000))],
    );

    assert_eq!(theirs.statuses(), ["rejected"]);
    assert_eq!(theirs.reason(0), "unknown message");
    let shown = &listed(&console)[0];
    assert_eq!(
        (shown["delivered_at"].clone(), shown["read_at"].clone()),
        (Value::Null, Value::Null)
    );
    assert_eq!(feed(&srv, &mine).len(), 1);
}

#[test]
fn an_operator_sees_only_their_organisations_messages_and_they_are_never_edited() {
    let srv = TestServer::start();
    add(&srv, ORG, "op.jones", Role::Operator);
    add(&srv, "other-org", "op.smith", Role::Operator);
    let _device = srv.device(ORG, OFFICER);
    let console = sign_in(&srv, ORG, "op.jones");
    send(
        &console,
        json!({"officer_id": OFFICER, "body": "Stand down."}),
    );

    let stranger = sign_in(&srv, "other-org", "op.smith");

    assert!(listed(&stranger).is_empty());
    assert_eq!(listed(&console).len(), 1);
    let db = rusqlite::Connection::open(srv.db_path()).unwrap();
    assert!(db
        .execute("UPDATE message SET body = 'changed'", [])
        .is_err());
    assert!(db.execute("DELETE FROM message", []).is_err());
}
