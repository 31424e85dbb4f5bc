//! Check-ins through the store: append-only records, their lanes, and the welfare clock
//! computed offline from the assignment's policy.

mod common;

use common::*;
use cordon_core::*;

#[test]
fn every_kind_is_recorded_and_queued_in_its_lane() {
    let f = Fixture::new().with_assignment();
    let kinds = [
        CheckInKind::ClockOn,
        CheckInKind::Welfare,
        CheckInKind::Checkpoint,
        CheckInKind::Panic,
        CheckInKind::Duress,
        CheckInKind::ClockOff,
    ];
    for kind in kinds {
        f.advance(1);
        f.check_in(kind);
    }

    let stored: Vec<_> = f
        .store
        .check_ins(None)
        .unwrap()
        .iter()
        .map(|c| c.kind)
        .collect();
    assert_eq!(stored, kinds);
    let lanes: Vec<_> = f
        .store
        .queued_operations()
        .unwrap()
        .iter()
        .map(|o| o.lane)
        .collect();
    use Lane::*;
    assert_eq!(lanes, [Normal, Normal, Normal, Urgent, Urgent, Normal]);
    let checkpoint = &f.store.check_ins(Some("A-1")).unwrap()[2];
    assert_eq!(checkpoint.tag_id.as_deref(), Some("NFC-EAST-GATE"));
}

#[test]
fn the_queued_payload_is_the_check_in_as_recorded() {
    let f = Fixture::new().with_assignment();
    let c = f.check_in(CheckInKind::Checkpoint);

    let op = f.store.queued_operations().unwrap().remove(0);

    assert_eq!(
        (op.kind, op.record_id.as_str(), op.payload_version),
        (OperationKind::CheckInRecord, c.id.as_str(), 1)
    );
    let back: CheckIn = serde_json::from_str(&op.payload).unwrap();
    assert_eq!(back, c);
}

#[test]
fn check_ins_cannot_be_altered_in_the_database() {
    let f = Fixture::new().with_assignment();
    let c = f.check_in(CheckInKind::Duress);
    let raw = rusqlite::Connection::open(f.db_path()).unwrap();
    assert!(raw
        .execute(
            "UPDATE check_in SET kind = 'welfare' WHERE id = ?1",
            [&c.id]
        )
        .is_err());
    assert!(raw
        .execute("DELETE FROM check_in WHERE id = ?1", [&c.id])
        .is_err());
}

#[test]
fn welfare_clock_follows_the_shift() {
    let f = Fixture::new().with_assignment();
    assert_eq!(
        f.store.welfare_status("A-1").unwrap(),
        WelfareStatus::OffDuty
    );

    f.check_in(CheckInKind::ClockOn);
    let due_at = T0.plus(std::time::Duration::from_secs(1800));
    let overdue_at = T0.plus(std::time::Duration::from_secs(2100));
    assert_eq!(
        f.store.welfare_status("A-1").unwrap(),
        WelfareStatus::OnTime { due_at, overdue_at }
    );

    f.advance(1800);
    assert_eq!(
        f.store.welfare_status("A-1").unwrap(),
        WelfareStatus::Due { due_at, overdue_at }
    );
    f.advance(300);
    assert_eq!(
        f.store.welfare_status("A-1").unwrap(),
        WelfareStatus::Overdue { due_at, overdue_at }
    );

    f.check_in(CheckInKind::Welfare);
    assert!(matches!(
        f.store.welfare_status("A-1").unwrap(),
        WelfareStatus::OnTime { .. }
    ));
    f.check_in(CheckInKind::ClockOff);
    assert_eq!(
        f.store.welfare_status("A-1").unwrap(),
        WelfareStatus::OffDuty
    );
}

#[test]
fn a_late_entry_with_an_earlier_occurred_at_does_not_restart_the_clock() {
    let f = Fixture::new().with_assignment();
    f.check_in(CheckInKind::ClockOn);
    f.advance(2000);
    let mut late = check_in(CheckInKind::Welfare);
    late.occurred_at = Some(T0);
    f.store.record_check_in(late).unwrap();

    assert!(matches!(
        f.store.welfare_status("A-1").unwrap(),
        WelfareStatus::Due { .. }
    ));
}

#[test]
fn welfare_of_an_unknown_assignment_is_not_found() {
    let f = Fixture::new();
    assert!(matches!(
        f.store.welfare_status("A-404"),
        Err(CordonError::NotFound { .. })
    ));
}

#[test]
fn an_older_or_replayed_assignment_never_replaces_a_newer_one() {
    let f = Fixture::new();
    let mut v2 = assignment("A-1", 2);
    v2.post_orders.text = "Revised: principal leaves at 07:00.".into();
    v2.post_orders.version = 2;
    assert!(f.store.upsert_assignment(&v2).unwrap());

    assert!(!f.store.upsert_assignment(&assignment("A-1", 1)).unwrap());
    assert!(!f.store.upsert_assignment(&v2).unwrap());

    assert_eq!(f.store.assignment("A-1").unwrap(), v2);
    let mut v3 = assignment("A-1", 3);
    v3.status = AssignmentStatus::StoodDown;
    assert!(f.store.upsert_assignment(&v3).unwrap());
    assert_eq!(
        f.store.assignment("A-1").unwrap().status,
        AssignmentStatus::StoodDown
    );
    assert!(
        f.store.queued_operations().unwrap().is_empty(),
        "assignments are never sent back"
    );
}
