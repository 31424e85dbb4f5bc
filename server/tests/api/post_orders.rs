//! Post orders acknowledged, over real HTTP: the device's `post_orders.acknowledge`
//! applied once (a replay is a duplicate, a second device changes nothing), its
//! refusals, what the office reads (who acknowledged which version of which assignment,
//! a new version needing a new acknowledgement) and one organisation's view.

use cordon_core::*;
use cordon_server::admin::{self, PostOrdersStanding};
use cordon_server::operators::Role;
use serde_json::{json, Value};

use crate::console::{add, sign_in};
use crate::harness::*;

/// The office issues assignment `id` to `officer` with post orders version `orders`.
fn issue(srv: &TestServer, org: &str, officer: &str, id: &str, orders: i32) -> Assignment {
    let mut a = assignment(id);
    a.post_orders.version = orders;
    admin::upsert_assignment(&srv.server, org, &[officer.to_owned()], a).expect("assignment")
}

/// An acknowledgement as a device would push it, with `record_id` the acknowledgement's id.
fn acknowledgement(seq: i64, assignment_id: &str, version: i32) -> Value {
    let id = uuid::Uuid::now_v7().to_string();
    json!({
        "id": uuid::Uuid::now_v7().to_string(), "seq": seq, "kind": "post_orders.acknowledge",
        "record_id": id, "depends_on": null, "payload_version": 1,
        "created_at": "2026-11-28T09:15:00.000Z",
        "payload": {"id": id, "assignment_id": assignment_id, "version": version,
                    "acknowledged_at": "2026-11-28T09:15:00.000Z"}
    })
}

fn standing(srv: &TestServer, org: &str) -> Vec<PostOrdersStanding> {
    admin::post_orders_standing_of(&srv.server, org).unwrap()
}

/// The first row's versions: (issued last, acknowledged, whether the current one is).
fn versions(srv: &TestServer, org: &str) -> (i32, Option<i32>, bool) {
    let row = standing(srv, org).remove(0);
    (
        row.current_version,
        row.acknowledged_version,
        row.current_acknowledged,
    )
}

#[test]
fn an_acknowledgement_is_applied_once_and_the_office_sees_the_version_acknowledged() {
    let srv = TestServer::start();
    let device = srv.device(ORG, OFFICER);
    let issued = issue(&srv, ORG, OFFICER, "A-1", 2);
    device.store.upsert_assignment(&issued).unwrap();
    assert_eq!(standing(&srv, ORG)[0].acknowledged_version, None);

    device.store.acknowledge_post_orders("A-1", 2).unwrap();
    let sent = device.take();
    let reply = device.push(&srv, sent.iter().map(wire).collect());
    let replay = device.push(&srv, sent.iter().map(wire).collect());

    assert_eq!(reply.statuses(), ["applied"]);
    assert_eq!(replay.statuses(), ["duplicate"]);
    let acknowledged_at = device
        .store
        .post_orders_acknowledgement("A-1")
        .unwrap()
        .acknowledged_at;
    let rows = standing(&srv, ORG);
    assert_eq!(rows.len(), 1);
    let row = &rows[0];
    assert_eq!(
        (
            row.assignment_id.as_str(),
            row.officer_id.as_str(),
            row.current_version,
            row.acknowledged_version,
            row.acknowledged_at,
            row.current_acknowledged
        ),
        ("A-1", OFFICER, 2, Some(2), acknowledged_at, true)
    );
    assert!(
        row.received_at.is_some_and(|at| at <= srv.server.now()),
        "{:?}",
        row.received_at
    );
}

#[test]
fn a_new_version_from_the_office_is_unacknowledged_until_the_officer_acknowledges_it() {
    let srv = TestServer::start();
    let device = srv.device(ORG, OFFICER);
    device
        .store
        .upsert_assignment(&issue(&srv, ORG, OFFICER, "A-1", 2))
        .unwrap();
    device.store.acknowledge_post_orders("A-1", 2).unwrap();
    device.sync(&srv);

    let reissued = issue(&srv, ORG, OFFICER, "A-1", 3);

    assert_eq!(versions(&srv, ORG), (3, Some(2), false));
    device.store.upsert_assignment(&reissued).unwrap();
    device.store.acknowledge_post_orders("A-1", 3).unwrap();
    let (reply, _) = device.sync(&srv);
    assert_eq!(reply.statuses(), ["applied"]);
    assert_eq!(versions(&srv, ORG), (3, Some(3), true));
}

#[test]
fn a_second_device_acknowledging_the_same_version_changes_nothing() {
    let srv = TestServer::start();
    let first = srv.device(ORG, OFFICER);
    let second = srv.device(ORG, OFFICER);
    issue(&srv, ORG, OFFICER, "A-1", 2);
    first.push(&srv, vec![acknowledgement(1, "A-1", 2)]);
    let kept = standing(&srv, ORG).remove(0);

    let reply = second.push(&srv, vec![acknowledgement(1, "A-1", 2)]);

    assert_eq!(reply.statuses(), ["applied"]);
    assert_eq!(standing(&srv, ORG).remove(0), kept);
}

#[test]
fn an_earlier_version_acknowledged_offline_is_kept_but_does_not_count_as_current() {
    let srv = TestServer::start();
    let device = srv.device(ORG, OFFICER);
    issue(&srv, ORG, OFFICER, "A-1", 2);
    issue(&srv, ORG, OFFICER, "A-1", 3);

    let reply = device.push(&srv, vec![acknowledgement(1, "A-1", 2)]);

    assert_eq!(reply.statuses(), ["applied"]);
    assert_eq!(versions(&srv, ORG), (3, Some(2), false));
}

#[test]
fn acknowledgements_the_office_cannot_place_are_rejected_with_their_reason() {
    let srv = TestServer::start();
    let device = srv.device(ORG, OFFICER);
    issue(&srv, ORG, OFFICER, "A-1", 2);
    issue(&srv, ORG, "OFC-OTHER", "A-2", 1);
    issue(&srv, "other-org", OFFICER, "A-3", 1);
    let mut not_its_record = acknowledgement(5, "A-1", 2);
    not_its_record["record_id"] = json!(uuid::Uuid::now_v7().to_string());
    let mut zero = acknowledgement(6, "A-1", 2);
    zero["payload"]["version"] = json!(0);

    let reply = device.push(
        &srv,
        vec![
            acknowledgement(1, "A-9", 1),
            acknowledgement(2, "A-2", 1),
            acknowledgement(3, "A-3", 1),
            acknowledgement(4, "A-1", 3),
            not_its_record,
            zero,
        ],
    );

    assert_eq!(reply.statuses(), ["rejected"; 6]);
    assert_eq!(reply.reason(0), "unknown assignment");
    assert_eq!(reply.reason(1), "unknown assignment");
    assert_eq!(reply.reason(2), "unknown assignment");
    assert_eq!(
        reply.reason(3),
        "unknown post orders version 3 (the office's current version is 2)"
    );
    assert!(
        reply.reason(4).contains("is not the operation's record_id"),
        "{}",
        reply.reason(4)
    );
    assert!(
        reply.reason(5).contains("invalid version"),
        "{}",
        reply.reason(5)
    );
    assert_eq!(standing(&srv, ORG)[0].acknowledged_version, None);
}

#[test]
fn the_console_shows_an_organisation_its_own_acknowledgements_only() {
    let srv = TestServer::start();
    add(&srv, ORG, "op.jones", Role::Operator);
    add(&srv, "other-org", "op.smith", Role::Operator);
    let device = srv.device(ORG, OFFICER);
    issue(&srv, ORG, OFFICER, "A-1", 2);
    device.push(&srv, vec![acknowledgement(1, "A-1", 2)]);

    let ours = sign_in(&srv, ORG, "op.jones").get("/post-orders");
    let theirs = sign_in(&srv, "other-org", "op.smith").get("/post-orders");
    let nobody = srv.get("/console/api/post-orders", None);

    assert_eq!(ours.status, 200, "{}", ours.text);
    let rows = ours.json()["post_orders"].as_array().unwrap().clone();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["assignment_id"], "A-1");
    assert_eq!(rows[0]["officer_id"], OFFICER);
    assert_eq!(rows[0]["acknowledged_version"], 2);
    assert_eq!(rows[0]["current_acknowledged"], true);
    assert_eq!(theirs.status, 200, "{}", theirs.text);
    assert_eq!(theirs.json()["post_orders"], json!([]));
    assert_eq!(nobody.status, 401);
}

#[test]
fn acknowledgements_are_append_only_at_the_office() {
    let srv = TestServer::start();
    let device = srv.device(ORG, OFFICER);
    issue(&srv, ORG, OFFICER, "A-1", 2);
    device.push(&srv, vec![acknowledgement(1, "A-1", 2)]);

    let conn = rusqlite::Connection::open(srv.db_path()).unwrap();
    let update = conn.execute("UPDATE post_orders_ack SET version = 1", []);
    let delete = conn.execute("DELETE FROM post_orders_ack", []);

    assert!(update.unwrap_err().to_string().contains("append-only"));
    assert!(delete.unwrap_err().to_string().contains("append-only"));
}
