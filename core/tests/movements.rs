//! Movements of the principal on the device: a leg and its events written with their
//! operations (normal lane, one record per leg, in order), refused with nothing written
//! when out of order, and the overdue clock computed offline from the store's clock.

mod common;

use std::time::Duration;

use common::*;
use cordon_core::protocol::Payload;
use cordon_core::*;

/// The sample leg on A-1, departing 10 minutes after T0, ETA 45 minutes later; A-1's
/// grace is the sample's 5 minutes.
fn planned(f: &Fixture) -> MovementLeg {
    f.store
        .plan_movement_leg(cordon_fixtures::movement_leg_departing(
            "A-1",
            T0.plus(Duration::from_secs(600)),
        ))
        .unwrap()
}

fn event(leg: &MovementLeg, kind: MovementEventKind) -> NewMovementEvent {
    NewMovementEvent::new(leg.id.clone(), kind)
}

fn delayed_until(leg: &MovementLeg, eta: Timestamp) -> NewMovementEvent {
    NewMovementEvent {
        new_eta: Some(eta),
        ..event(leg, MovementEventKind::Delayed)
    }
}

fn minutes_after_t0(m: u64) -> Timestamp {
    T0.plus(Duration::from_secs(m * 60))
}

fn rule(e: CordonError) -> (String, InputRule) {
    match e {
        CordonError::InvalidInput { field, rule, .. } => (field, rule),
        other => panic!("expected InvalidInput, got {other:?}"),
    }
}

#[test]
fn a_leg_and_its_events_are_queued_in_the_normal_lane_as_one_record_in_order() {
    let f = Fixture::new().with_assignment();
    let leg = planned(&f);
    f.advance(600);
    f.store
        .record_movement_event(event(&leg, MovementEventKind::Departed))
        .unwrap();
    f.advance(60);
    f.store
        .record_movement_event(delayed_until(&leg, minutes_after_t0(70)))
        .unwrap();

    let queued = f.store.queued_operations().unwrap();
    let kinds: Vec<_> = queued.iter().map(|o| (o.kind, o.lane)).collect();
    assert_eq!(
        kinds,
        [
            (OperationKind::MovementPlan, Lane::Normal),
            (OperationKind::MovementEvent, Lane::Normal),
            (OperationKind::MovementEvent, Lane::Normal)
        ]
    );
    assert!(queued.iter().all(|o| o.record_id == leg.id));
    assert_eq!(
        Payload::decode(queued[0].kind, &queued[0].payload).unwrap(),
        Payload::MovementPlan(leg.clone())
    );
    let Payload::MovementEvent(delay) =
        Payload::decode(queued[2].kind, &queued[2].payload).unwrap()
    else {
        panic!("not an event")
    };
    assert_eq!(
        (delay.kind, delay.new_eta, delay.occurred_at),
        (
            MovementEventKind::Delayed,
            Some(minutes_after_t0(70)),
            minutes_after_t0(11)
        )
    );
}

#[test]
fn a_later_event_of_a_leg_is_not_taken_without_the_earlier_ones() {
    let f = Fixture::new().with_assignment();
    let leg = planned(&f);
    f.store
        .record_movement_event(event(&leg, MovementEventKind::Departed))
        .unwrap();

    let one = f
        .store
        .take_batch(BatchLimits {
            max_operations: 1,
            ..ALL
        })
        .unwrap();

    assert_eq!(one.len(), 1);
    assert_eq!(one[0].kind, OperationKind::MovementPlan);
}

#[test]
fn the_status_runs_planned_under_way_delayed_overdue_on_the_store_clock() {
    let f = Fixture::new().with_assignment();
    let leg = planned(&f);
    let status = |f: &Fixture| f.store.movement_leg(&leg.id).unwrap().status;
    assert_eq!(status(&f), LegStatus::Planned);

    f.advance(600);
    f.store
        .record_movement_event(event(&leg, MovementEventKind::Departed))
        .unwrap();
    assert_eq!(status(&f), LegStatus::UnderWay);

    // ETA T0+55 min, grace 5 min: overdue at T0+60 min, offline.
    f.clock.set(minutes_after_t0(59));
    assert_eq!(status(&f), LegStatus::UnderWay);
    assert!(f.store.overdue_legs().unwrap().is_empty());
    f.clock.set(minutes_after_t0(60));
    assert_eq!(status(&f), LegStatus::Overdue);
    let overdue = f.store.overdue_legs().unwrap();
    assert_eq!(overdue.len(), 1);
    assert_eq!(
        (overdue[0].leg.id.as_str(), overdue[0].overdue_at),
        (leg.id.as_str(), minutes_after_t0(60))
    );

    // A delay with a new ETA restarts the clock.
    let state = f
        .store
        .record_movement_event(delayed_until(&leg, minutes_after_t0(80)))
        .unwrap();
    assert_eq!(
        (state.status, state.eta, state.overdue_at),
        (
            LegStatus::Delayed,
            minutes_after_t0(80),
            minutes_after_t0(85)
        )
    );
    assert!(f.store.overdue_legs().unwrap().is_empty());
    f.clock.set(minutes_after_t0(85));
    assert_eq!(status(&f), LegStatus::Overdue);

    let state = f
        .store
        .record_movement_event(event(&leg, MovementEventKind::Arrived))
        .unwrap();
    assert_eq!(state.status, LegStatus::Arrived);
    f.advance(86_400);
    assert!(f.store.overdue_legs().unwrap().is_empty());
}

#[test]
fn aborted_and_handed_over_close_the_leg() {
    let f = Fixture::new().with_assignment();
    let aborted = planned(&f);
    let handed = planned(&f);
    f.store
        .record_movement_event(event(&aborted, MovementEventKind::Aborted))
        .unwrap();
    let state = f
        .store
        .record_movement_event(NewMovementEvent {
            handed_to: Some("Embassy detail (BRAVO)".into()),
            ..event(&handed, MovementEventKind::HandedOver)
        })
        .unwrap();

    assert_eq!(state.status, LegStatus::HandedOver);
    assert_eq!(
        f.store.movement_leg(&aborted.id).unwrap().status,
        LegStatus::Aborted
    );
    f.clock.set(minutes_after_t0(24 * 60));
    assert!(f.store.overdue_legs().unwrap().is_empty());
}

#[test]
fn an_event_out_of_order_is_refused_and_nothing_is_written() {
    let f = Fixture::new().with_assignment();
    let leg = planned(&f);
    let before = f.count("outbox");

    let arrived_first = f
        .store
        .record_movement_event(event(&leg, MovementEventKind::Arrived))
        .unwrap_err();
    let earlier_eta = f
        .store
        .record_movement_event(delayed_until(&leg, minutes_after_t0(30)))
        .unwrap_err();
    let unknown = f
        .store
        .record_movement_event(event(
            &MovementLeg {
                id: "no-such-leg".into(),
                ..leg.clone()
            },
            MovementEventKind::Departed,
        ))
        .unwrap_err();

    assert_eq!(rule(arrived_first), ("kind".into(), InputRule::OutOfOrder));
    assert_eq!(rule(earlier_eta), ("newEta".into(), InputRule::OutOfOrder));
    assert!(
        matches!(&unknown, CordonError::NotFound { record, .. } if record == "movement leg"),
        "{unknown:?}"
    );
    assert_eq!(f.count("movement_event"), 0);
    assert_eq!(f.count("outbox"), before);

    f.store
        .record_movement_event(event(&leg, MovementEventKind::Departed))
        .unwrap();
    f.store
        .record_movement_event(event(&leg, MovementEventKind::Arrived))
        .unwrap();
    let after_close = f
        .store
        .record_movement_event(event(&leg, MovementEventKind::Aborted))
        .unwrap_err();
    assert_eq!(rule(after_close), ("kind".into(), InputRule::OutOfOrder));
    assert_eq!(f.count("movement_event"), 2);
}

#[test]
fn a_bad_leg_is_refused_naming_its_field_and_nothing_is_written() {
    let f = Fixture::new().with_assignment();
    let sample = cordon_fixtures::movement_leg_departing("A-1", T0);

    let backwards = f
        .store
        .plan_movement_leg(NewMovementLeg {
            eta: sample.planned_departure,
            ..sample.clone()
        })
        .unwrap_err();
    let unknown = f
        .store
        .plan_movement_leg(NewMovementLeg {
            assignment_id: "A-9".into(),
            ..sample.clone()
        })
        .unwrap_err();
    let missing_detail = f
        .store
        .record_movement_event(event(
            &MovementLeg {
                id: "x".into(),
                ..f.store.plan_movement_leg(sample).unwrap()
            },
            MovementEventKind::RouteChanged,
        ))
        .unwrap_err();

    assert_eq!(rule(backwards), ("eta".into(), InputRule::OutOfOrder));
    assert_eq!(
        rule(unknown),
        ("assignmentId".into(), InputRule::UnknownRecord)
    );
    assert_eq!(rule(missing_detail), ("route".into(), InputRule::Required));
    assert_eq!(f.count("movement_leg"), 1);
    assert_eq!(f.count("outbox"), 1);
}

#[test]
fn the_timeline_reads_the_day_in_the_assignments_zone_in_time_order() {
    let f = Fixture::new().with_assignment();
    // T0 is 2026-11-18T11:06:40Z; London is on UTC in November.
    let late = planned(&f);
    let early = f
        .store
        .plan_movement_leg(NewMovementLeg {
            origin: "Hotel".into(),
            destination: "Residence".into(),
            ..cordon_fixtures::movement_leg_departing("A-1", minutes_after_t0(1))
        })
        .unwrap();
    f.clock.set(minutes_after_t0(12));
    f.store
        .record_movement_event(event(&late, MovementEventKind::Departed))
        .unwrap();
    f.clock.set(minutes_after_t0(20));
    f.store
        .record_movement_event(delayed_until(&late, minutes_after_t0(70)))
        .unwrap();
    f.clock.set(minutes_after_t0(68));
    f.store
        .record_movement_event(event(&late, MovementEventKind::Arrived))
        .unwrap();

    let log = f.store.movement_timeline("A-1", "2026-11-18").unwrap();

    let lines: Vec<_> = log.iter().map(|e| e.text.as_str()).collect();
    assert_eq!(
        lines,
        [
            "11:07 planned Hotel → Residence, ETA 11:52, ALPHA-1 in charge, vehicles CHARLIE-1, CHARLIE-2",
            "11:16 planned Residence → Embassy, Grosvenor Square, ETA 12:01, ALPHA-1 in charge, vehicles CHARLIE-1, CHARLIE-2",
            "11:18 departed Residence → Embassy, Grosvenor Square",
            "11:26 delayed Residence → Embassy, Grosvenor Square, new ETA 12:16",
            "12:14 arrived Residence → Embassy, Grosvenor Square",
        ]
    );
    assert_eq!(log[0].leg_id, early.id);
    assert!(f
        .store
        .movement_timeline("A-1", "2026-11-19")
        .unwrap()
        .is_empty());
    assert_eq!(
        rule(f.store.movement_timeline("A-1", "18/11/2026").unwrap_err()),
        ("day".into(), InputRule::BadFormat)
    );
    assert_eq!(
        f.store
            .movement_legs("A-1")
            .unwrap()
            .iter()
            .map(|l| l.leg.id.clone())
            .collect::<Vec<_>>(),
        [early.id, late.id]
    );
}

#[test]
fn legs_and_events_survive_reopening_and_are_append_only() {
    let f = Fixture::new().with_assignment();
    let leg = planned(&f);
    f.store
        .record_movement_event(event(&leg, MovementEventKind::Departed))
        .unwrap();
    let before = f.store.movement_leg(&leg.id).unwrap();

    let f = f.reopen();

    assert_eq!(f.store.movement_leg(&leg.id).unwrap(), before);
    let conn = rusqlite::Connection::open(f.db_path()).unwrap();
    let update = conn.execute("UPDATE movement_event SET body = '{}'", []);
    let delete = conn.execute("DELETE FROM movement_leg", []);
    assert!(update.unwrap_err().to_string().contains("append-only"));
    assert!(delete.unwrap_err().to_string().contains("written once"));
}
