//! Movements of the principal, over real HTTP: a leg and its events applied once and in
//! order (a replay is a duplicate; an event out of order, on another officer's leg or on
//! an assignment the officer is not on is refused with its reason), what the office reads
//! (the legs, the day's log), and the overdue-leg alarm the dead-man timer raises once,
//! with the officer's last known position, on which a late arrival shows.

use std::sync::Arc;
use std::time::Duration;

use cordon_core::*;
use cordon_server::admin;
use cordon_server::alarms::{self, deadman, Actor, EventKind, Outcome, Resolution};

use crate::harness::*;

const T0: Timestamp = Timestamp::from_millis(1_795_000_000_000);

fn at_minute(m: u64) -> Timestamp {
    T0.plus(Duration::from_secs(m * 60))
}

/// A server and an officer on A-1 (grace 5 min) with the device on one manual clock.
fn on_assignment() -> (Arc<ManualClock>, TestServer, Device) {
    let clock = Arc::new(ManualClock::new(T0));
    let srv = TestServer::with_clock(clock.clone());
    let device = srv.device_on_clock(ORG, OFFICER, clock.clone());
    let assigned = srv.assign(ORG, OFFICER, "A-1");
    device.store.upsert_assignment(&assigned).unwrap();
    (clock, srv, device)
}

/// The sample leg on A-1 departing at minute 10, ETA minute 55: overdue at minute 60.
fn plan(device: &Device) -> MovementLeg {
    device
        .store
        .plan_movement_leg(cordon_fixtures::movement_leg_departing(
            "A-1",
            at_minute(10),
        ))
        .unwrap()
}

fn event(leg: &MovementLeg, kind: MovementEventKind) -> NewMovementEvent {
    NewMovementEvent::new(leg.id.clone(), kind)
}

fn record(device: &Device, leg: &MovementLeg, kind: MovementEventKind) -> MovementLegState {
    device
        .store
        .record_movement_event(event(leg, kind))
        .unwrap()
}

fn overdue_leg_alarms(srv: &TestServer) -> Vec<alarms::Alarm> {
    alarms::open_alarms(&srv.server, ORG)
        .unwrap()
        .into_iter()
        .filter(|a| a.kind == AlarmKind::OverdueLeg)
        .collect()
}

#[test]
fn a_leg_and_its_events_are_applied_once_in_order_and_the_office_reads_them() {
    let (clock, srv, device) = on_assignment();
    let leg = plan(&device);
    clock.set(at_minute(11));
    record(&device, &leg, MovementEventKind::Departed);
    clock.set(at_minute(30));
    device
        .store
        .record_movement_event(NewMovementEvent {
            new_eta: Some(at_minute(70)),
            ..event(&leg, MovementEventKind::Delayed)
        })
        .unwrap();
    clock.set(at_minute(68));
    record(&device, &leg, MovementEventKind::Arrived);

    let sent = device.take();
    let reply = device.push(&srv, sent.iter().map(wire).collect());
    let replay = device.push(&srv, sent.iter().map(wire).collect());

    assert_eq!(reply.statuses(), ["applied"; 4]);
    assert_eq!(replay.statuses(), ["duplicate"; 4]);
    let legs = admin::movement_legs_of(&srv.server, ORG, Some("A-1")).unwrap();
    assert_eq!(legs.len(), 1);
    let office = &legs[0];
    assert_eq!(office.state, device.store.movement_leg(&leg.id).unwrap());
    assert_eq!(
        (office.officer_id.as_str(), office.state.status),
        (OFFICER, LegStatus::Arrived)
    );
    assert_eq!(office.events_received_at, [at_minute(68); 3]);
    assert_eq!(
        admin::movement_log_of(&srv.server, ORG, "A-1", "2026-11-18").unwrap(),
        device.store.movement_timeline("A-1", "2026-11-18").unwrap(),
        "the office's log reads as the phone's"
    );
    assert!(admin::movement_legs_of(&srv.server, "other-org", None)
        .unwrap()
        .is_empty());
}

#[test]
fn an_event_out_of_order_or_on_an_unknown_leg_is_refused_with_its_reason() {
    let (_clock, srv, device) = on_assignment();
    let leg = plan(&device);
    record(&device, &leg, MovementEventKind::Departed);
    record(&device, &leg, MovementEventKind::Arrived);
    let unsent = plan(&device);
    record(&device, &unsent, MovementEventKind::Departed);
    let ops = device.take();
    let (plan_op, departed, arrived, orphan) = (&ops[0], &ops[1], &ops[2], &ops[4]);
    assert_eq!(plan_op.kind, OperationKind::MovementPlan);

    // The plan and the arrival without the departure: out of order for the leg.
    let skipped = device.push(&srv, vec![wire(plan_op), wire(arrived)]);
    // An event on a leg whose plan the office never received: an unknown record.
    let unknown = device.push(&srv, vec![wire(orphan)]);

    assert_eq!(skipped.statuses(), ["applied", "rejected"]);
    assert!(
        skipped.reason(1).contains("arrived before departed"),
        "{}",
        skipped.reason(1)
    );
    assert_eq!(unknown.statuses(), ["rejected"]);
    assert_eq!(unknown.reason(0), "unknown record");
    let applied = device.push(&srv, vec![wire(departed)]);
    assert_eq!(applied.statuses(), ["applied"]);
    let legs = admin::movement_legs_of(&srv.server, ORG, None).unwrap();
    assert_eq!(legs.len(), 1);
    assert_eq!(legs[0].state.status, LegStatus::UnderWay);
}

#[test]
fn a_leg_on_an_assignment_the_officer_is_not_on_or_another_officers_leg_is_refused() {
    let (_clock, srv, device) = on_assignment();
    let other = srv.device(ORG, "OFC-9");
    // The device holds an assignment the office never put this officer on.
    device.store.upsert_assignment(&assignment("A-2")).unwrap();
    device
        .store
        .plan_movement_leg(cordon_fixtures::movement_leg_departing(
            "A-2",
            at_minute(10),
        ))
        .unwrap();
    let reply = device.push(&srv, device.take().iter().map(wire).collect());
    assert_eq!(reply.statuses(), ["rejected"]);
    assert_eq!(reply.reason(0), "unknown assignment");

    let leg = plan(&device);
    device.sync(&srv);
    // Another officer's device sends an event on this officer's leg.
    record(&device, &leg, MovementEventKind::Departed);
    let op = device.take().pop().unwrap();
    let reply = other.push(&srv, vec![wire(&op)]);
    assert_eq!(reply.statuses(), ["rejected"]);
    assert_eq!(reply.reason(0), "unknown record");
    assert!(admin::movement_legs_of(&srv.server, ORG, None).unwrap()[0]
        .state
        .events
        .is_empty());
}

#[test]
fn an_overdue_leg_raises_one_alarm_with_the_officers_last_known_position() {
    let (clock, srv, device) = on_assignment();
    // A check-in with a fix: the officer's last known position.
    device.store.record_check_in(welfare("A-1")).unwrap();
    let leg = plan(&device);
    clock.set(at_minute(11));
    record(&device, &leg, MovementEventKind::Departed);
    device.sync(&srv);

    clock.set(Timestamp::from_millis(at_minute(60).as_millis() - 1));
    assert!(overdue_leg_alarms(&srv).is_empty());
    deadman::check(&srv.server).unwrap();
    assert!(overdue_leg_alarms(&srv).is_empty());
    clock.set(at_minute(60));
    let pass = deadman::check(&srv.server).unwrap();
    clock.set(at_minute(90));
    deadman::check(&srv.server).unwrap();

    let raised = overdue_leg_alarms(&srv);
    assert_eq!(raised.len(), 1, "one alarm per leg: {raised:?}");
    let a = &raised[0];
    assert!(pass.raised.contains(&a.id));
    assert_eq!(
        (a.occurred_at, a.raised_at, a.assignment_id.as_deref()),
        (at_minute(60), at_minute(60), Some("A-1"))
    );
    let fix = welfare("A-1").location.unwrap();
    let at = a.location.as_ref().expect("last known position");
    assert_eq!((at.latitude, at.longitude), (fix.latitude, fix.longitude));
    let shown = a.leg.as_ref().expect("the leg on the alarm");
    assert_eq!(
        (
            shown.leg_id.as_str(),
            shown.origin.as_str(),
            shown.eta,
            shown.last_event,
            shown.closed_by
        ),
        (
            leg.id.as_str(),
            "Residence",
            at_minute(55),
            Some(MovementEventKind::Departed),
            None
        )
    );
    assert_eq!(
        device.store.overdue_legs().unwrap()[0].overdue_at,
        a.occurred_at,
        "the phone and the office name the same deadline"
    );
}

#[test]
fn a_delay_received_in_time_moves_the_deadline_and_raises_nothing() {
    let (clock, srv, device) = on_assignment();
    let leg = plan(&device);
    clock.set(at_minute(40));
    device
        .store
        .record_movement_event(NewMovementEvent {
            new_eta: Some(at_minute(90)),
            ..event(&leg, MovementEventKind::Delayed)
        })
        .unwrap();
    device.sync(&srv);

    clock.set(at_minute(94));
    assert!(deadman::check(&srv.server).unwrap().raised.is_empty());
    clock.set(at_minute(95));
    assert_eq!(deadman::check(&srv.server).unwrap().raised.len(), 1);
}

#[test]
fn a_late_arrival_shows_on_the_alarm_which_an_operator_still_resolves() {
    let (clock, srv, device) = on_assignment();
    let leg = plan(&device);
    device.sync(&srv);
    clock.set(at_minute(11));
    record(&device, &leg, MovementEventKind::Departed);
    clock.set(at_minute(61));
    deadman::check(&srv.server).unwrap();
    clock.set(at_minute(63));
    record(&device, &leg, MovementEventKind::Arrived);
    device.sync(&srv);

    let a = &overdue_leg_alarms(&srv)[0];
    assert_eq!(
        a.state,
        AlarmState::Raised,
        "still for an operator to resolve"
    );
    assert!(a.explained);
    let explained = a.events.last().unwrap();
    assert_eq!(
        (
            explained.kind,
            explained.actor.clone(),
            explained.note.clone()
        ),
        (
            EventKind::Explained,
            format!("device:{}", device.device_id),
            Some(format!("arrived at {}", at_minute(63).to_rfc3339()))
        )
    );
    assert_eq!(
        a.leg.as_ref().unwrap().closed_by,
        Some(MovementEventKind::Arrived)
    );
    let operator = Actor {
        organisation_id: ORG,
        username: "op.jones",
    };
    alarms::acknowledge(&srv.server, &operator, &a.id, Some("Called ALPHA-1")).unwrap();
    let resolved = alarms::resolve(
        &srv.server,
        &operator,
        &a.id,
        &Resolution {
            outcome: Outcome::OfficerSafe,
            police_reference: None,
            note: None,
        },
    )
    .unwrap();
    assert_eq!(resolved.state, AlarmState::Resolved);
    clock.set(at_minute(200));
    assert!(deadman::check(&srv.server).unwrap().raised.is_empty());
}
