//! The control room's alarms: raised by duress and panic check-ins and by the dead-man
//! timer, acknowledged and resolved by operators, escalated when nobody acknowledges in
//! time; every step an append-only event at the server's (manual) clock.

use std::sync::Arc;
use std::time::Duration;

use cordon_core::*;
use cordon_server::alarms::{self, deadman, Actor, EventKind, Outcome, Resolution};
use cordon_server::{AlarmRefusal, Error};

use crate::harness::*;

const T0: Timestamp = Timestamp::from_millis(1_795_000_000_000);

fn operator() -> Actor<'static> {
    Actor {
        organisation_id: ORG,
        username: "op.jones",
    }
}

fn police(reference: &str) -> Resolution {
    Resolution {
        outcome: Outcome::PoliceAttended,
        police_reference: Some(reference.into()),
        note: Some("Officer safe, suspect detained".into()),
    }
}

/// A server and an officer's device on one manual clock.
fn on_manual_clock() -> (Arc<ManualClock>, TestServer, Device) {
    let clock = Arc::new(ManualClock::new(T0));
    let srv = TestServer::with_clock(clock.clone());
    let device = srv.device_on_clock(ORG, OFFICER, clock.clone());
    (clock, srv, device)
}

fn duress_alarm(srv: &TestServer, device: &Device) -> alarms::Alarm {
    device
        .store
        .record_check_in(alarm(CheckInKind::Duress))
        .unwrap();
    device.sync(srv);
    let open = alarms::open_alarms(&srv.server, ORG).unwrap();
    assert_eq!(open.len(), 1, "{open:?}");
    open.into_iter().next().unwrap()
}

#[test]
fn a_duress_check_in_raises_an_alarm_at_the_servers_clock() {
    let (_clock, srv, device) = on_manual_clock();
    let a = duress_alarm(&srv, &device);
    assert_eq!(a.kind, AlarmKind::Duress);
    assert_eq!(a.state, AlarmState::Raised);
    assert_eq!(a.officer_id, OFFICER);
    assert_eq!(a.raised_at, T0);
    assert_eq!(a.events.len(), 1);
    assert_eq!(a.events[0].kind, EventKind::Raised);
    assert_eq!(a.events[0].at, T0);
    assert_eq!(a.events[0].actor, format!("device:{}", device.device_id));
    assert!(a.location.is_some(), "the check-in's location is kept");
}

#[test]
fn a_panic_raises_one_alarm_however_often_its_push_is_replayed() {
    let (_clock, srv, device) = on_manual_clock();
    device
        .store
        .record_check_in(alarm(CheckInKind::Panic))
        .unwrap();
    let ops: Vec<_> = device.take().iter().map(wire).collect();
    for _ in 0..3 {
        assert_eq!(device.push(&srv, ops.clone()).status, 200);
    }
    let open = alarms::open_alarms(&srv.server, ORG).unwrap();
    assert_eq!(
        open.iter().map(|a| a.kind).collect::<Vec<_>>(),
        [AlarmKind::Panic]
    );
}

#[test]
fn an_ordinary_check_in_raises_no_alarm() {
    let (_clock, srv, device) = on_manual_clock();
    let assigned = srv.assign(ORG, OFFICER, "A-1");
    device.store.upsert_assignment(&assigned).unwrap();
    device.store.record_check_in(welfare("A-1")).unwrap();
    device.sync(&srv);
    assert!(alarms::open_alarms(&srv.server, ORG).unwrap().is_empty());
}

#[test]
fn acknowledged_then_resolved_each_step_an_event_with_operator_and_server_time() {
    let (clock, srv, device) = on_manual_clock();
    let a = duress_alarm(&srv, &device);
    clock.advance(Duration::from_secs(7));
    let acked =
        alarms::acknowledge(&srv.server, &operator(), &a.id, Some("Calling officer")).unwrap();
    assert_eq!(acked.state, AlarmState::Acknowledged);
    clock.advance(Duration::from_secs(60));
    let done = alarms::resolve(&srv.server, &operator(), &a.id, &police("CAD-4471")).unwrap();
    assert_eq!(done.state, AlarmState::Resolved);
    let steps: Vec<_> = done
        .events
        .iter()
        .map(|e| (e.kind, e.at, e.actor.as_str()))
        .collect();
    let device_actor = format!("device:{}", device.device_id);
    assert_eq!(
        steps,
        [
            (EventKind::Raised, T0, device_actor.as_str()),
            (
                EventKind::Acknowledged,
                T0.plus(Duration::from_secs(7)),
                "op.jones"
            ),
            (
                EventKind::Resolved,
                T0.plus(Duration::from_secs(67)),
                "op.jones"
            ),
        ]
    );
    assert_eq!(done.events[1].note.as_deref(), Some("Calling officer"));
    assert_eq!(done.events[2].outcome, Some(Outcome::PoliceAttended));
    assert_eq!(done.events[2].police_reference.as_deref(), Some("CAD-4471"));
    assert!(alarms::open_alarms(&srv.server, ORG).unwrap().is_empty());
}

fn refusal(result: Result<alarms::Alarm, Error>) -> AlarmRefusal {
    match result {
        Err(Error::Alarm { refusal, .. }) => refusal,
        other => panic!("expected an alarm refusal, got {other:?}"),
    }
}

#[test]
fn illegal_steps_are_refused_with_typed_errors_and_write_nothing() {
    let (_clock, srv, device) = on_manual_clock();
    let a = duress_alarm(&srv, &device);
    let op = operator();
    assert_eq!(
        refusal(alarms::resolve(&srv.server, &op, &a.id, &police("X-1"))),
        AlarmRefusal::NotAcknowledged
    );
    alarms::acknowledge(&srv.server, &op, &a.id, None).unwrap();
    assert_eq!(
        refusal(alarms::acknowledge(&srv.server, &op, &a.id, None)),
        AlarmRefusal::AlreadyAcknowledged
    );
    alarms::resolve(&srv.server, &op, &a.id, &police("X-1")).unwrap();
    assert_eq!(
        refusal(alarms::resolve(&srv.server, &op, &a.id, &police("X-2"))),
        AlarmRefusal::AlreadyResolved
    );
    assert_eq!(
        refusal(alarms::acknowledge(&srv.server, &op, &a.id, None)),
        AlarmRefusal::AlreadyResolved
    );
    let after = alarms::alarm(&srv.server, ORG, &a.id).unwrap();
    assert_eq!(after.events.len(), 3, "only the legal steps were written");
}

#[test]
fn a_resolution_needs_its_police_reference_and_bad_input_is_refused_by_field() {
    let (_clock, srv, device) = on_manual_clock();
    let a = duress_alarm(&srv, &device);
    alarms::acknowledge(&srv.server, &operator(), &a.id, None).unwrap();
    let no_reference = Resolution {
        police_reference: Some("  ".into()),
        ..police("")
    };
    let field = |r: Result<alarms::Alarm, Error>| match r {
        Err(Error::InvalidInput { field, .. }) => field,
        other => panic!("expected invalid input, got {other:?}"),
    };
    assert_eq!(
        field(alarms::resolve(
            &srv.server,
            &operator(),
            &a.id,
            &no_reference
        )),
        "police_reference"
    );
    let long_note = "x".repeat(alarms::MAX_NOTE + 1);
    assert_eq!(
        field(alarms::acknowledge(
            &srv.server,
            &operator(),
            &a.id,
            Some(&long_note)
        )),
        "note"
    );
    let other = Resolution {
        outcome: Outcome::Other,
        police_reference: None,
        note: None,
    };
    assert_eq!(
        field(alarms::resolve(&srv.server, &operator(), &a.id, &other)),
        "note"
    );
}

#[test]
fn another_organisation_cannot_see_or_touch_an_alarm() {
    let (_clock, srv, device) = on_manual_clock();
    let a = duress_alarm(&srv, &device);
    let stranger = Actor {
        organisation_id: "other-org",
        username: "op.smith",
    };
    assert!(matches!(
        alarms::acknowledge(&srv.server, &stranger, &a.id, None),
        Err(Error::NotFound { .. })
    ));
    assert!(matches!(
        alarms::alarm(&srv.server, "other-org", &a.id),
        Err(Error::NotFound { .. })
    ));
    assert!(alarms::open_alarms(&srv.server, "other-org")
        .unwrap()
        .is_empty());
}

#[test]
fn an_unacknowledged_alarm_is_escalated_once_at_the_default_limit() {
    let (clock, srv, device) = on_manual_clock();
    let a = duress_alarm(&srv, &device);
    clock.advance(Duration::from_secs(119));
    assert!(deadman::check(&srv.server).unwrap().escalated.is_empty());
    clock.advance(Duration::from_secs(1));
    assert_eq!(
        deadman::check(&srv.server).unwrap().escalated,
        vec![a.id.clone()]
    );
    clock.advance(Duration::from_secs(600));
    assert!(deadman::check(&srv.server).unwrap().escalated.is_empty());
    let after = alarms::alarm(&srv.server, ORG, &a.id).unwrap();
    assert!(after.escalated);
    let escalation = &after.events[1];
    assert_eq!(
        (escalation.kind, escalation.at, escalation.actor.as_str()),
        (
            EventKind::Escalated,
            T0.plus(Duration::from_secs(120)),
            "system"
        )
    );
}

#[test]
fn an_organisation_sets_its_own_limit_and_an_acknowledged_alarm_is_never_escalated() {
    let (clock, srv, device) = on_manual_clock();
    alarms::set_escalation_limit(&srv.server, ORG, Duration::from_secs(30)).unwrap();
    let a = duress_alarm(&srv, &device);
    clock.advance(Duration::from_secs(30));
    assert_eq!(
        deadman::check(&srv.server).unwrap().escalated,
        vec![a.id.clone()]
    );

    device
        .store
        .record_check_in(alarm(CheckInKind::Panic))
        .unwrap();
    device.sync(&srv);
    let panic = alarms::open_alarms(&srv.server, ORG)
        .unwrap()
        .into_iter()
        .find(|x| x.kind == AlarmKind::Panic)
        .unwrap();
    alarms::acknowledge(&srv.server, &operator(), &panic.id, None).unwrap();
    clock.advance(Duration::from_secs(3600));
    assert!(deadman::check(&srv.server).unwrap().escalated.is_empty());
    assert!(matches!(
        alarms::set_escalation_limit(&srv.server, ORG, Duration::from_secs(5)),
        Err(Error::InvalidInput { .. })
    ));
}

#[test]
fn alarms_and_their_events_cannot_be_edited_or_deleted_in_the_database() {
    let (_clock, srv, device) = on_manual_clock();
    duress_alarm(&srv, &device);
    let db = rusqlite::Connection::open(srv.db_path()).unwrap();
    for sql in [
        "UPDATE alarm_event SET actor = 'someone else'",
        "DELETE FROM alarm_event",
        "UPDATE alarm SET kind = 'panic'",
        "DELETE FROM alarm",
    ] {
        let err = db.execute(sql, []).unwrap_err().to_string();
        assert!(err.contains("append-only"), "{sql}: {err}");
    }
}

#[test]
fn the_queue_puts_unacknowledged_duress_first_then_oldest() {
    let (clock, srv, device) = on_manual_clock();
    let assigned = srv.assign(ORG, OFFICER, "A-1");
    device.store.upsert_assignment(&assigned).unwrap();
    device
        .store
        .record_check_in(alarm(CheckInKind::Panic))
        .unwrap();
    device.sync(&srv);
    clock.advance(Duration::from_secs(1));
    device
        .store
        .record_check_in(alarm(CheckInKind::Panic))
        .unwrap();
    device.sync(&srv);
    clock.advance(Duration::from_secs(1));
    device
        .store
        .record_check_in(alarm(CheckInKind::Duress))
        .unwrap();
    device.sync(&srv);
    let first_panic = alarms::open_alarms(&srv.server, ORG).unwrap()[1].id.clone();
    alarms::acknowledge(&srv.server, &operator(), &first_panic, None).unwrap();
    let order: Vec<_> = alarms::open_alarms(&srv.server, ORG)
        .unwrap()
        .into_iter()
        .map(|a| (a.kind, a.state, a.raised_at))
        .collect();
    assert_eq!(
        order,
        [
            (
                AlarmKind::Duress,
                AlarmState::Raised,
                T0.plus(Duration::from_secs(2))
            ),
            (
                AlarmKind::Panic,
                AlarmState::Raised,
                T0.plus(Duration::from_secs(1))
            ),
            (AlarmKind::Panic, AlarmState::Acknowledged, T0),
        ]
    );
}

// ---- the dead-man timer ----

/// The officer on assignment A-1 (every 30 min, 5 min grace), clocked on at T0.
fn clocked_on() -> (Arc<ManualClock>, TestServer, Device) {
    let (clock, srv, device) = on_manual_clock();
    let assigned = srv.assign(ORG, OFFICER, "A-1");
    device.store.upsert_assignment(&assigned).unwrap();
    device
        .store
        .record_check_in(NewCheckIn {
            kind: CheckInKind::ClockOn,
            ..welfare("A-1")
        })
        .unwrap();
    device.sync(&srv);
    (clock, srv, device)
}

const OVERDUE_AFTER: Duration = Duration::from_secs(1800 + 300);

#[test]
fn a_silent_officer_is_raised_overdue_at_the_deadline_and_only_once() {
    let (clock, srv, _device) = clocked_on();
    clock.advance(OVERDUE_AFTER - Duration::from_millis(1));
    assert!(deadman::check(&srv.server).unwrap().raised.is_empty());
    clock.advance(Duration::from_millis(1));
    let pass = deadman::check(&srv.server).unwrap();
    assert_eq!(pass.raised.len(), 1);
    let a = alarms::alarm(&srv.server, ORG, &pass.raised[0]).unwrap();
    assert_eq!(a.kind, AlarmKind::Overdue);
    assert_eq!(a.assignment_id.as_deref(), Some("A-1"));
    assert_eq!(
        a.occurred_at,
        T0.plus(OVERDUE_AFTER),
        "the deadline that passed"
    );
    assert_eq!(a.events[0].actor, "system");
    clock.advance(Duration::from_secs(3600));
    assert!(deadman::check(&srv.server).unwrap().raised.is_empty());
}

#[test]
fn the_office_and_the_phone_compute_the_same_welfare_clock() {
    let (clock, srv, device) = clocked_on();
    for minutes in [0u64, 29, 30, 34, 35, 90] {
        clock.set(T0.plus(Duration::from_secs(minutes * 60)));
        let office = alarms::on_duty(&srv.server, ORG).unwrap();
        assert_eq!(office.len(), 1);
        assert_eq!(
            office[0].welfare,
            device.store.welfare_status("A-1").unwrap(),
            "at minute {minutes}"
        );
    }
}

#[test]
fn a_late_check_in_explains_the_overdue_alarm_but_does_not_close_it() {
    let (clock, srv, device) = clocked_on();
    // The officer checks in on time, but the phone has no signal.
    clock.advance(Duration::from_secs(25 * 60));
    let on_time = device.store.record_check_in(welfare("A-1")).unwrap();
    clock.advance(Duration::from_secs(10 * 60));
    let raised = deadman::check(&srv.server).unwrap().raised;
    assert_eq!(raised.len(), 1, "the office holds no check-in: overdue");
    clock.advance(Duration::from_secs(60));
    device.sync(&srv);
    let a = alarms::alarm(&srv.server, ORG, &raised[0]).unwrap();
    assert_eq!(
        a.state,
        AlarmState::Raised,
        "still for an operator to resolve"
    );
    assert!(a.explained);
    let explained = a.events.last().unwrap();
    assert_eq!(explained.kind, EventKind::Explained);
    assert_eq!(explained.actor, format!("device:{}", device.device_id));
    assert_eq!(explained.check_in_id.as_deref(), Some(on_time.id.as_str()));
    assert_eq!(explained.check_in_at, Some(on_time.occurred_at));
    assert_eq!(explained.at, T0.plus(Duration::from_secs(36 * 60)));
    // The clock runs again from the late check-in: nothing new is raised now.
    assert!(deadman::check(&srv.server).unwrap().raised.is_empty());
    assert_eq!(alarms::open_alarms(&srv.server, ORG).unwrap().len(), 1);
}

#[test]
fn a_clocked_off_officer_is_never_overdue() {
    let (clock, srv, device) = clocked_on();
    device
        .store
        .record_check_in(NewCheckIn {
            kind: CheckInKind::ClockOff,
            ..welfare("A-1")
        })
        .unwrap();
    device.sync(&srv);
    clock.advance(Duration::from_secs(24 * 3600));
    assert!(deadman::check(&srv.server).unwrap().raised.is_empty());
    assert!(alarms::on_duty(&srv.server, ORG).unwrap().is_empty());
}

#[test]
fn the_running_timer_raises_overdue_within_five_seconds_with_no_device_traffic() {
    let clock = Arc::new(ManualClock::new(T0));
    let srv = TestServer::with_clock_and_timer(clock.clone(), Duration::from_millis(200));
    let device = srv.device_on_clock(ORG, OFFICER, clock.clone());
    let assigned = srv.assign(ORG, OFFICER, "A-1");
    device.store.upsert_assignment(&assigned).unwrap();
    device.store.record_check_in(welfare("A-1")).unwrap();
    device.sync(&srv);
    drop(device); // the phone is gone
    clock.advance(OVERDUE_AFTER);
    let started = std::time::Instant::now();
    while alarms::open_alarms(&srv.server, ORG).unwrap().is_empty() {
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "no overdue alarm 5 s after the deadline"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let open = alarms::open_alarms(&srv.server, ORG).unwrap();
    assert_eq!(open[0].kind, AlarmKind::Overdue);
}

// ---- back to the phone ----

fn alarm_entries(srv: &TestServer, device: &Device) -> Vec<serde_json::Value> {
    let reply = srv.get("/v1/pull", device.token());
    assert_eq!(reply.status, 200);
    reply.body["changes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["kind"] == "alarm_status")
        .map(|c| c["alarm"].clone())
        .collect()
}

#[test]
fn the_officer_who_raised_the_alarm_pulls_its_latest_state_only() {
    let (clock, srv, device) = on_manual_clock();
    let a = duress_alarm(&srv, &device);
    let raised = alarm_entries(&srv, &device);
    assert_eq!(raised.len(), 1);
    assert_eq!(raised[0]["state"], "raised");
    assert_eq!(
        raised[0]["check_in_id"],
        a.check_in_id.clone().unwrap().as_str()
    );

    clock.advance(Duration::from_secs(5));
    alarms::acknowledge(&srv.server, &operator(), &a.id, Some("Police on the way")).unwrap();
    let acked = alarm_entries(&srv, &device);
    assert_eq!(
        acked.len(),
        1,
        "the newer entry supersedes the older: {acked:?}"
    );
    assert_eq!(acked[0]["state"], "acknowledged");
    assert_eq!(acked[0]["note"], "Police on the way");
    assert_eq!(
        acked[0]["updated_at"],
        T0.plus(Duration::from_secs(5)).to_rfc3339().as_str()
    );

    let colleague = srv.device_on_clock(ORG, "OFC-8", clock.clone());
    assert!(
        alarm_entries(&srv, &colleague).is_empty(),
        "only the officer who raised it"
    );
}

#[test]
fn an_overdue_alarm_is_not_sent_to_the_phone() {
    let (clock, srv, device) = clocked_on();
    clock.advance(OVERDUE_AFTER);
    assert_eq!(deadman::check(&srv.server).unwrap().raised.len(), 1);
    assert!(alarm_entries(&srv, &device).is_empty());
}
