//! Handover notes on the device: written offline by the outgoing officer and queued once;
//! kept from the feed on the incoming officer's device and acknowledged there once; the
//! outgoing device learns of the acknowledgement from its own feed.

mod common;

use common::*;
use cordon_core::protocol::Payload;
use cordon_core::*;

fn note(to: &str) -> NewHandover {
    NewHandover {
        assignment_id: "A-1".into(),
        to_officer_id: to.into(),
        principal_state: "Asleep in the east suite <b>since</b> 23:10.".into(),
        open_issues: Some("Press outside the gate.".into()),
        equipment_and_keys: Some("Radio 3, car keys.".into()),
        watch_for: None,
    }
}

fn device_of(officer: &str) -> Fixture {
    let f = Fixture::new().with_assignment();
    f.store.set_officer_id(officer).unwrap();
    f
}

fn handover_entry(cursor: &str, h: &Handover) -> serde_json::Value {
    serde_json::json!({"kind": "handover", "cursor": cursor, "handover": h})
}

#[test]
fn a_note_is_kept_and_queued_once_in_the_normal_lane() {
    let f = device_of("OFC-7");
    let h = f.store.write_handover(note("OFC-9")).unwrap();

    assert_eq!(h.from_officer_id, "OFC-7");
    assert_eq!(h.written_at, f.store.now());
    assert_eq!(f.store.handovers().unwrap(), vec![h.clone()]);
    let queued = f.store.queued_operations().unwrap();
    assert_eq!(queued.len(), 1);
    let op = &queued[0];
    assert_eq!(
        (op.kind, op.lane),
        (OperationKind::HandoverCreate, Lane::Normal)
    );
    assert_eq!(op.record_id, h.id);
    assert_eq!(
        Payload::decode(op.kind, &op.payload).unwrap(),
        Payload::HandoverCreate(h)
    );
}

#[test]
fn a_bad_note_is_refused_naming_the_field_and_nothing_is_written() {
    let f = device_of("OFC-7");
    let blank = NewHandover {
        principal_state: " ".into(),
        ..note("OFC-9")
    };
    assert!(matches!(
        f.store.write_handover(blank),
        Err(CordonError::InvalidInput { ref field, rule: InputRule::Blank, .. }) if field == "principalState"
    ));
    assert!(matches!(
        f.store.write_handover(note("OFC-7")),
        Err(CordonError::InvalidInput { ref field, .. }) if field == "toOfficerId"
    ));
    let elsewhere = NewHandover {
        assignment_id: "A-404".into(),
        ..note("OFC-9")
    };
    assert!(matches!(
        f.store.write_handover(elsewhere),
        Err(CordonError::NotFound { .. })
    ));
    assert_eq!((f.count("handover"), f.count("outbox")), (0, 0));
}

#[test]
fn a_device_not_enrolled_cannot_write_a_note() {
    let f = Fixture::new().with_assignment();
    assert!(matches!(
        f.store.write_handover(note("OFC-9")),
        Err(CordonError::InvalidInput { ref field, rule: InputRule::Required, .. }) if field == "fromOfficerId"
    ));
    assert_eq!(f.count("handover"), 0);
}

#[test]
fn the_incoming_officer_acknowledges_once_and_a_repeat_changes_nothing() {
    let outgoing = device_of("OFC-7");
    let h = outgoing.store.write_handover(note("OFC-9")).unwrap();
    let incoming = device_of("OFC-9");
    pass_with_feed(
        &incoming,
        serde_json::json!([handover_entry("1.0000000000000001", &h)]),
    );
    assert_eq!(
        incoming.store.handovers_to_acknowledge().unwrap(),
        vec![h.clone()]
    );

    incoming.advance(60);
    let acked = incoming.store.acknowledge_handover(&h.id).unwrap();
    assert_eq!(acked.acknowledged_at, Some(incoming.store.now()));
    incoming.advance(60);
    assert_eq!(
        incoming.store.acknowledge_handover(&h.id).unwrap(),
        acked,
        "the first time is kept"
    );

    let queued = incoming.store.queued_operations().unwrap();
    assert_eq!(queued.len(), 1, "one acknowledgement queued");
    assert_eq!(
        Payload::decode(queued[0].kind, &queued[0].payload).unwrap(),
        Payload::HandoverAcknowledge(HandoverAcknowledgement {
            handover_id: h.id.clone(),
            acknowledged_at: acked.acknowledged_at.unwrap()
        })
    );
    assert!(incoming
        .store
        .handovers_to_acknowledge()
        .unwrap()
        .is_empty());
    // The feed starting over with the unacknowledged note does not undo the acknowledgement.
    pass_with_feed(
        &incoming,
        serde_json::json!([handover_entry("1.0000000000000001", &h)]),
    );
    assert_eq!(incoming.store.handover(&h.id).unwrap(), Some(acked));
}

#[test]
fn a_note_not_addressed_to_the_officer_is_refused_with_a_typed_error() {
    let outgoing = device_of("OFC-7");
    let own = outgoing.store.write_handover(note("OFC-9")).unwrap();
    assert_eq!(
        outgoing.store.acknowledge_handover(&own.id),
        Err(CordonError::HandoverNotForYou {
            handover_id: own.id.clone()
        })
    );
    assert!(matches!(
        outgoing.store.acknowledge_handover("nope"),
        Err(CordonError::NotFound { .. })
    ));
    assert_eq!(
        outgoing.store.queued_operations().unwrap().len(),
        1,
        "only the note itself"
    );
}

#[test]
fn the_outgoing_device_learns_of_the_acknowledgement_from_its_feed() {
    let outgoing = device_of("OFC-7");
    let h = outgoing.store.write_handover(note("OFC-9")).unwrap();
    let at = T0.plus(std::time::Duration::from_secs(600));
    let acknowledged = Handover {
        acknowledged_at: Some(at),
        ..h.clone()
    };
    pass_with_feed(
        &outgoing,
        serde_json::json!([handover_entry("1.0000000000000001", &acknowledged)]),
    );
    assert_eq!(outgoing.store.handover(&h.id).unwrap(), Some(acknowledged));
    let outgoing = outgoing.reopen();
    assert_eq!(
        outgoing.store.handovers().unwrap()[0].acknowledged_at,
        Some(at)
    );
}
