//! The duty rota on the device: replaced whole by each `rota` feed entry, the officer's
//! duty computed offline with the store's clock, a call-in put in front of the officer
//! until they have seen it.

mod common;

use std::time::Duration;

use common::*;
use cordon_core::*;

const HOUR: Duration = Duration::from_secs(3600);

fn shift(id: &str, officer: &str, role: DutyRole, from: Timestamp, until: Timestamp) -> Shift {
    Shift {
        shift_id: id.into(),
        assignment_id: "A-1".into(),
        officer_id: officer.into(),
        role,
        starts_at: from,
        ends_at: until,
        called_in_at: None,
        called_in_by: None,
        stood_down_at: None,
        stood_down_by: None,
    }
}

fn rota_entry(cursor: &str, shifts: &[Shift]) -> serde_json::Value {
    serde_json::json!({"kind": "rota", "cursor": cursor,
                       "rota": {"assignment_id": "A-1", "shifts": shifts, "updated_at": T0}})
}

/// A device of officer OFC-1 holding assignment A-1.
fn officer_device() -> Fixture {
    let f = Fixture::new().with_assignment();
    f.store.set_officer_id("OFC-1").unwrap();
    f
}

fn called_in(mut s: Shift, at: Timestamp) -> Shift {
    s.called_in_at = Some(at);
    s.called_in_by = Some("op.jones".into());
    s
}

#[test]
fn the_rota_from_the_feed_is_kept_and_the_officer_is_on_duty_by_the_clock() {
    let f = officer_device();
    let mine = shift(
        "s-1",
        "OFC-1",
        DutyRole::OnDuty,
        T0.plus(HOUR),
        T0.plus(HOUR * 9),
    );
    let theirs = shift("s-2", "OFC-2", DutyRole::OnCall, T0, T0.plus(HOUR * 12));
    let summary = pass_with_feed(
        &f,
        serde_json::json!([rota_entry(
            "1.0000000000000001",
            &[mine.clone(), theirs.clone()]
        )]),
    );
    assert!(summary.warnings.is_empty(), "{:?}", summary.warnings);

    assert_eq!(f.store.rota("A-1").unwrap(), vec![theirs, mine.clone()]);
    assert_eq!(f.store.my_duty().unwrap().state, DutyState::OffDuty);
    f.clock.advance(HOUR);
    let duty = f.store.my_duty().unwrap();
    assert_eq!((duty.state, duty.shift), (DutyState::OnDuty, Some(mine)));
    assert_eq!(
        f.store.duty_at(T0.plus(HOUR * 9)).unwrap().state,
        DutyState::OffDuty,
        "the shift's end is not in it"
    );
}

#[test]
fn a_newer_rota_replaces_the_older_and_a_removed_shift_goes() {
    let f = officer_device();
    let a = shift("s-1", "OFC-1", DutyRole::OnDuty, T0, T0.plus(HOUR));
    let b = shift(
        "s-2",
        "OFC-1",
        DutyRole::OnCall,
        T0.plus(HOUR),
        T0.plus(HOUR * 2),
    );
    pass_with_feed(
        &f,
        serde_json::json!([rota_entry("1.0000000000000001", &[a.clone(), b])]),
    );
    pass_with_feed(
        &f,
        serde_json::json!([rota_entry("2.0000000000000001", std::slice::from_ref(&a))]),
    );
    assert_eq!(f.store.rota("A-1").unwrap(), vec![a]);
}

#[test]
fn a_call_in_shows_until_the_officer_has_seen_it_and_beats_on_call() {
    let f = officer_device();
    let on_call = shift("s-1", "OFC-1", DutyRole::OnCall, T0, T0.plus(HOUR * 12));
    pass_with_feed(
        &f,
        serde_json::json!([rota_entry(
            "1.0000000000000001",
            std::slice::from_ref(&on_call)
        )]),
    );
    assert_eq!(f.store.my_duty().unwrap().state, DutyState::OnCall);
    assert!(f.store.unseen_call_ins().unwrap().is_empty());
    f.store.mark_call_in_seen("s-1").unwrap(); // not called in yet: changes nothing

    f.clock.advance(HOUR);
    let called = called_in(on_call, f.store.now());
    pass_with_feed(
        &f,
        serde_json::json!([rota_entry(
            "2.0000000000000001",
            std::slice::from_ref(&called)
        )]),
    );

    assert_eq!(f.store.my_duty().unwrap().state, DutyState::CalledIn);
    assert_eq!(f.store.unseen_call_ins().unwrap(), vec![called.clone()]);
    assert_eq!(f.store.mark_call_in_seen("s-1").unwrap(), called);
    assert!(f.store.unseen_call_ins().unwrap().is_empty());
    // The same rota again (a feed that starts over) does not make it unseen.
    pass_with_feed(
        &f,
        serde_json::json!([rota_entry("3.0000000000000001", &[called])]),
    );
    assert!(f.store.unseen_call_ins().unwrap().is_empty());
    assert_eq!(
        f.count("outbox"),
        0,
        "seeing a call-in is the device's own business"
    );
}

#[test]
fn a_stood_down_officer_is_off_for_the_rest_of_the_on_call_window() {
    let f = officer_device();
    let mut s = called_in(
        shift("s-1", "OFC-1", DutyRole::OnCall, T0, T0.plus(HOUR * 12)),
        T0,
    );
    s.stood_down_at = Some(T0.plus(HOUR));
    s.stood_down_by = Some("op.jones".into());
    pass_with_feed(
        &f,
        serde_json::json!([rota_entry("1.0000000000000001", &[s])]),
    );
    f.clock.advance(HOUR * 2);
    assert_eq!(f.store.my_duty().unwrap().state, DutyState::OffDuty);
    assert!(f.store.unseen_call_ins().unwrap().is_empty());
}

#[test]
fn a_malformed_rota_is_skipped_and_the_feed_moves_on() {
    let f = officer_device();
    let bad = shift("s-1", "OFC-1", DutyRole::OnDuty, T0.plus(HOUR), T0);
    let summary = pass_with_feed(
        &f,
        serde_json::json!([rota_entry("1.0000000000000001", &[bad])]),
    );
    assert_eq!(summary.warnings.len(), 1, "{:?}", summary.warnings);
    assert!(
        summary.warnings[0].contains("rota of A-1 skipped"),
        "{:?}",
        summary.warnings
    );
    assert!(f.store.rota("A-1").unwrap().is_empty());
}

#[test]
fn an_unknown_shift_is_not_found_and_bad_input_refused() {
    let f = officer_device();
    assert!(matches!(
        f.store.mark_call_in_seen("nope"),
        Err(CordonError::NotFound { .. })
    ));
    assert!(matches!(
        f.store.rota(" "),
        Err(CordonError::InvalidInput { ref field, .. }) if field == "assignmentId"
    ));
}

#[test]
fn the_rota_survives_reopening() {
    let f = officer_device();
    let s = shift("s-1", "OFC-1", DutyRole::OnDuty, T0, T0.plus(HOUR));
    pass_with_feed(
        &f,
        serde_json::json!([rota_entry("1.0000000000000001", std::slice::from_ref(&s))]),
    );
    let f = f.reopen();
    assert_eq!(f.store.rota("A-1").unwrap(), vec![s]);
}
