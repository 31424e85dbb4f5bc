//! Handover notes over real HTTP, with two devices: the outgoing officer's note applied
//! once and sent down the incoming officer's feed only; the incoming officer's
//! acknowledgement applied once and sent down the outgoing officer's feed; refusals
//! (an officer not on the assignment, someone else's note, another organisation); what
//! the office and its console read. (Both phones' stores applying the feed, over the
//! real engine: `tests/sync_e2e.rs`.)

use cordon_core::*;
use cordon_server::admin;
use cordon_server::operators::Role;
use serde_json::{json, Value};

use crate::console::{add, sign_in};
use crate::harness::*;

const INCOMING: &str = "OFC-8";

fn team(srv: &TestServer) -> (Device, Device) {
    let a = admin::upsert_assignment(
        &srv.server,
        ORG,
        &[OFFICER.to_owned(), INCOMING.to_owned()],
        assignment("A-1"),
    )
    .unwrap();
    let (outgoing, incoming) = (srv.device(ORG, OFFICER), srv.device(ORG, INCOMING));
    outgoing.store.upsert_assignment(&a).unwrap();
    incoming.store.upsert_assignment(&a).unwrap();
    (outgoing, incoming)
}

fn note(to: &str) -> NewHandover {
    NewHandover {
        assignment_id: "A-1".into(),
        to_officer_id: to.into(),
        principal_state: "<script>alert(1)</script> asleep, east suite".into(),
        open_issues: Some("Press at the gate".into()),
        equipment_and_keys: Some("Radio 3; car keys".into()),
        watch_for: Some("Grey Audi".into()),
    }
}

fn handovers_in_feed(srv: &TestServer, device: &Device) -> Vec<Handover> {
    srv.get("/v1/pull", device.token()).body["changes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["kind"] == "handover")
        .map(|c| serde_json::from_value(c["handover"].clone()).unwrap())
        .collect()
}

/// `handover.acknowledge` of `id` as a device would push it.
fn acknowledgement(seq: i64, id: &str) -> Value {
    json!({
        "id": uuid::Uuid::now_v7().to_string(), "seq": seq, "kind": "handover.acknowledge",
        "record_id": id, "depends_on": null, "payload_version": 1,
        "created_at": "2026-11-28T09:15:00.000Z",
        "payload": {"handover_id": id, "acknowledged_at": "2026-11-28T09:15:00.000Z"}
    })
}

/// The outgoing device writes a note to `to` and pushes it; returns it and the answer.
fn hand_over(srv: &TestServer, outgoing: &Device, to: &str) -> (Handover, Reply) {
    let h = outgoing.store.write_handover(note(to)).unwrap();
    let reply = outgoing.push(srv, outgoing.take().iter().map(wire).collect());
    (h, reply)
}

#[test]
fn a_note_reaches_the_incoming_officer_once_and_the_acknowledgement_the_outgoing_officer() {
    let srv = TestServer::start();
    let (outgoing, incoming) = team(&srv);
    let h = outgoing.store.write_handover(note(INCOMING)).unwrap();
    let sent = outgoing.take();
    assert_eq!(
        outgoing
            .push(&srv, sent.iter().map(wire).collect())
            .statuses(),
        ["applied"]
    );
    assert_eq!(
        outgoing
            .push(&srv, sent.iter().map(wire).collect())
            .statuses(),
        ["duplicate"]
    );

    assert_eq!(handovers_in_feed(&srv, &incoming), vec![h.clone()]);
    assert!(
        handovers_in_feed(&srv, &outgoing).is_empty(),
        "not yet acknowledged"
    );
    let waiting = admin::unacknowledged_handovers(&srv.server, ORG).unwrap();
    assert_eq!(waiting.len(), 1);
    assert_eq!(
        (&waiting[0].handover, waiting[0].device_id.as_str()),
        (&h, outgoing.device_id.as_str())
    );

    let ack = acknowledgement(1, &h.id);
    assert_eq!(
        incoming.push(&srv, vec![ack.clone()]).statuses(),
        ["applied"]
    );
    assert_eq!(incoming.push(&srv, vec![ack]).statuses(), ["duplicate"]);
    let again = incoming.push(&srv, vec![acknowledgement(2, &h.id)]);
    assert_eq!(
        again.statuses(),
        ["applied"],
        "a second acknowledgement changes nothing"
    );

    assert!(admin::unacknowledged_handovers(&srv.server, ORG)
        .unwrap()
        .is_empty());
    let held = admin::handover(&srv.server, ORG, &h.id).unwrap();
    let at = Timestamp::parse_rfc3339("2026-11-28T09:15:00.000Z").unwrap();
    assert_eq!(held.handover.acknowledged_at, Some(at));
    assert!(held.acknowledgement_received_at.is_some());
    let back = handovers_in_feed(&srv, &outgoing);
    assert_eq!(
        back.len(),
        1,
        "the outgoing officer hears of it once: {back:?}"
    );
    assert_eq!(
        back[0],
        Handover {
            acknowledged_at: Some(at),
            ..h
        }
    );
}

#[test]
fn a_note_to_an_officer_not_on_the_assignment_or_from_someone_else_is_rejected() {
    let srv = TestServer::start();
    let (outgoing, _) = team(&srv);
    let (_, reply) = hand_over(&srv, &outgoing, "OFC-99");
    assert_eq!(reply.statuses(), ["rejected"]);
    assert!(
        reply.reason(0).contains("not on assignment A-1"),
        "{}",
        reply.reason(0)
    );

    let mut forged = outgoing.store.write_handover(note(INCOMING)).unwrap();
    outgoing.take();
    forged.from_officer_id = "OFC-1".into();
    let op = json!({
        "id": uuid::Uuid::now_v7().to_string(), "seq": 10, "kind": "handover.create",
        "record_id": forged.id, "depends_on": null, "payload_version": 1,
        "created_at": "2026-11-28T09:15:00.000Z", "payload": forged
    });
    let reply = outgoing.push(&srv, vec![op]);
    assert_eq!(reply.statuses(), ["rejected"]);
    assert!(
        reply.reason(0).contains("not this device's officer"),
        "{}",
        reply.reason(0)
    );
    assert!(admin::handovers_of(&srv.server, ORG).unwrap().is_empty());
}

#[test]
fn only_the_incoming_officer_acknowledges_and_another_organisation_sees_nothing() {
    let srv = TestServer::start();
    let (outgoing, incoming) = team(&srv);
    let (h, reply) = hand_over(&srv, &outgoing, INCOMING);
    assert_eq!(reply.statuses(), ["applied"]);

    let own = outgoing.push(&srv, vec![acknowledgement(50, &h.id)]);
    assert_eq!(own.statuses(), ["rejected"]);
    assert!(own.reason(0).contains("not addressed"), "{}", own.reason(0));
    let namesake = srv.device("globex", INCOMING);
    let theirs = namesake.push(&srv, vec![acknowledgement(1, &h.id)]);
    assert_eq!(
        (theirs.statuses(), theirs.reason(0)),
        (vec!["rejected".to_owned()], "unknown handover".to_owned())
    );
    assert!(handovers_in_feed(&srv, &namesake).is_empty());
    assert!(admin::handovers_of(&srv.server, "globex")
        .unwrap()
        .is_empty());
    assert_eq!(
        admin::unacknowledged_handovers(&srv.server, ORG)
            .unwrap()
            .len(),
        1
    );
    let _ = incoming;
}

#[test]
fn the_console_lists_handovers_not_yet_acknowledged_with_the_officers_text_as_written() {
    let srv = TestServer::start();
    let (outgoing, incoming) = team(&srv);
    add(&srv, ORG, "op.jones", Role::Operator);
    add(&srv, "globex", "op.smith", Role::Operator);
    let (h, _) = hand_over(&srv, &outgoing, INCOMING);
    let console = sign_in(&srv, ORG, "op.jones");

    let listed = console.get("/handovers").json();
    assert_eq!(listed["unacknowledged"][0]["id"], h.id.as_str());
    assert_eq!(
        listed["unacknowledged"][0]["principal_state"],
        "<script>alert(1)</script> asleep, east suite"
    );
    assert_eq!(
        sign_in(&srv, "globex", "op.smith").get("/handovers").json()["handovers"],
        json!([])
    );

    incoming.push(&srv, vec![acknowledgement(1, &h.id)]);
    let listed = console.get("/handovers").json();
    assert_eq!(listed["unacknowledged"], json!([]));
    assert_eq!(
        listed["handovers"][0]["acknowledged_at"],
        "2026-11-28T09:15:00.000Z"
    );
}
