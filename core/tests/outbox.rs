//! The outbox contract the sync engine relies on: which operations a batch holds and in
//! what order, and what each kind of answer does to them.

mod common;

use std::time::Duration;

use common::*;
use cordon_core::*;

fn report_with_photo(f: &Fixture) -> (IncidentReport, Attachment) {
    let r = f.store.create_report(incident()).unwrap();
    let photo = f.dir.path().join(format!("{}.jpg", r.id));
    std::fs::write(&photo, b"jpeg").unwrap();
    let a = f
        .store
        .attach_file(&r.id, &photo, AttachmentKind::Photo, "image/jpeg")
        .unwrap();
    (r, a)
}

/// What the store queues is what the protocol reads: every operation's payload decodes
/// as its kind, names its record and travels in the lane the protocol gives it.
#[test]
fn every_queued_payload_decodes_to_its_kind_record_and_lane() {
    let f = Fixture::new().with_assignment();
    f.store.set_officer_id("OFC-1").unwrap();
    let read = message("0193a1b2-0000-7000-8000-000000000009", "Stand down.", T0);
    let to_me = Handover {
        id: "0193a1b2-0000-7000-8000-00000000000b".into(),
        from_officer_id: "OFC-2".into(),
        note: NewHandover {
            assignment_id: "A-1".into(),
            to_officer_id: "OFC-1".into(),
            principal_state: "At home.".into(),
            open_issues: None,
            equipment_and_keys: None,
            watch_for: None,
        },
        written_at: T0,
        acknowledged_at: None,
    };
    pass_with_feed(
        &f,
        serde_json::json!([message_entry("1.0000000000000001", &read),
                           {"kind": "handover", "cursor": "2.0000000000000001", "handover": to_me}]),
    );
    f.store.mark_message_read(&read.message_id).unwrap();
    f.store.acknowledge_handover(&to_me.id).unwrap();
    f.store
        .write_handover(NewHandover {
            to_officer_id: "OFC-3".into(),
            ..to_me.note.clone()
        })
        .unwrap();
    let version = f.store.assignment("A-1").unwrap().post_orders.version;
    f.store.acknowledge_post_orders("A-1", version).unwrap();
    let leg = f
        .store
        .plan_movement_leg(cordon_fixtures::movement_leg_departing("A-1", T0))
        .unwrap();
    f.store
        .record_movement_event(NewMovementEvent::new(leg.id, MovementEventKind::Departed))
        .unwrap();
    f.check_in(CheckInKind::Welfare);
    f.check_in(CheckInKind::Duress);
    let (report, _photo) = report_with_photo(&f);
    f.store.submit_report(&report.id).unwrap();
    f.store
        .amend_report(
            &report.id,
            NewAmendment {
                author: "ALPHA-2".into(),
                reason: "Police attended".into(),
                patch: IncidentPatch {
                    police_reference: Some("CAD 1".into()),
                    ..Default::default()
                },
            },
        )
        .unwrap();
    let draft = f.store.create_report(incident()).unwrap();
    // Handed to the engine once, so the next edit is its own report.update.
    f.store.take_batch(ALL).unwrap();
    f.store.release_in_flight().unwrap();
    f.store.update_report(&draft.id, incident()).unwrap();
    let mut seen = cordon_fixtures::sighting();
    seen.assignment_id = Some("A-1".into());
    f.store.record_sighting(seen).unwrap();

    let queued = f.store.queued_operations().unwrap();
    let kinds: std::collections::HashSet<_> = queued.iter().map(|o| o.kind).collect();
    assert_eq!(kinds.len(), 14, "every kind is exercised: {kinds:?}");
    for op in &queued {
        let payload = Payload::decode(op.kind, &op.payload)
            .unwrap_or_else(|e| panic!("{:?} does not decode: {e}", op.kind));
        assert_eq!(payload.kind(), op.kind);
        assert_eq!(payload.record_id(), op.record_id, "{:?}", op.kind);
        assert_eq!(payload.lane(), op.lane, "{:?}", op.kind);
        let again = Payload::decode(op.kind, &payload.encode().unwrap()).unwrap();
        assert_eq!(again, payload, "{:?} does not round-trip", op.kind);
    }
}

#[test]
fn urgent_goes_first_then_normal_then_bulk_each_oldest_first() {
    let f = Fixture::new().with_assignment();
    let (report, photo) = report_with_photo(&f);
    let welfare = f.check_in(CheckInKind::Welfare);
    let duress = f.check_in(CheckInKind::Duress);
    let panic = f.check_in(CheckInKind::Panic);

    let batch = f.store.take_batch(ALL).unwrap();

    assert_eq!(
        record_ids(&batch),
        [
            duress.id,
            panic.id,
            report.id,
            photo.id.clone(),
            welfare.id,
            photo.id
        ]
    );
    let lanes: Vec<_> = batch.iter().map(|o| o.lane).collect();
    assert_eq!(
        lanes,
        [
            Lane::Urgent,
            Lane::Urgent,
            Lane::Normal,
            Lane::Normal,
            Lane::Normal,
            Lane::Bulk
        ]
    );
    assert!(batch.iter().all(|o| o.state == OperationState::InFlight));
}

#[test]
fn a_small_batch_takes_the_urgent_lane_even_behind_a_long_queue() {
    let f = Fixture::new().with_assignment();
    for _ in 0..300 {
        f.check_in(CheckInKind::Welfare);
    }
    let duress = f.check_in(CheckInKind::Duress);

    let batch = f
        .store
        .take_batch(BatchLimits {
            max_operations: 1,
            max_bytes: i64::MAX,
        })
        .unwrap();

    assert_eq!(record_ids(&batch), [duress.id]);
}

#[test]
fn a_record_with_an_operation_in_flight_sends_nothing_more_until_it_is_settled() {
    let f = Fixture::new();
    let r = f.store.create_report(incident()).unwrap();
    f.store.take_batch(ALL).unwrap();
    f.store.submit_report(&r.id).unwrap();
    let other = f.store.create_report(incident()).unwrap();

    let batch = f.store.take_batch(ALL).unwrap();

    assert_eq!(record_ids(&batch), [other.id]);
}

#[test]
fn per_record_order_holds_when_the_batch_is_cut_by_count() {
    let f = Fixture::new();
    let r = f.store.create_report(incident()).unwrap();
    f.store.submit_report(&r.id).unwrap();
    f.store
        .amend_report(
            &r.id,
            NewAmendment {
                author: "ALPHA-2".into(),
                reason: "ref".into(),
                patch: IncidentPatch {
                    police_reference: Some("CAD 1".into()),
                    ..Default::default()
                },
            },
        )
        .unwrap();
    let two = BatchLimits {
        max_operations: 2,
        max_bytes: i64::MAX,
    };

    let first = f.store.take_batch(two).unwrap();
    assert!(
        f.store.take_batch(two).unwrap().is_empty(),
        "the amendment waits for its turn"
    );
    f.store.acknowledge(&seqs(&first)).unwrap();
    let second = f.store.take_batch(two).unwrap();

    let kinds: Vec<_> = first.iter().chain(&second).map(|o| o.kind).collect();
    assert_eq!(
        kinds,
        [
            OperationKind::ReportCreate,
            OperationKind::ReportSubmit,
            OperationKind::ReportAmend
        ]
    );
}

#[test]
fn batches_are_bounded_by_bytes_but_always_carry_one_operation() {
    let f = Fixture::new().with_assignment();
    for _ in 0..10 {
        f.check_in(CheckInKind::Welfare);
    }
    let one_size = f.store.queued_operations().unwrap()[0].payload.len() as i64;

    let three = f
        .store
        .take_batch(BatchLimits {
            max_operations: 100,
            max_bytes: one_size * 3 + 1,
        })
        .unwrap();
    let tiny = f
        .store
        .take_batch(BatchLimits {
            max_operations: 100,
            max_bytes: 1,
        })
        .unwrap();

    assert_eq!(three.len(), 3);
    assert_eq!(tiny.len(), 1);
}

#[test]
fn an_attachment_waits_for_its_report_and_a_dead_report_holds_back_only_its_own() {
    let f = Fixture::new().with_assignment();
    let (report, photo) = report_with_photo(&f);
    let first = f.store.take_batch(ALL).unwrap();
    // The server refuses the report: its attachment must not go without it.
    let create = first.iter().find(|o| o.record_id == report.id).unwrap();
    f.store
        .reject(create.seq, "category not allowed for this client")
        .unwrap();
    let rest: Vec<_> = seqs(&first)
        .into_iter()
        .filter(|seq| *seq != create.seq)
        .collect();
    f.store
        .fail_transient(&rest, "timeout", Some(Duration::ZERO))
        .unwrap();
    let welfare = f.check_in(CheckInKind::Welfare);

    let batch = f.store.take_batch(ALL).unwrap();

    assert_eq!(record_ids(&batch), [welfare.id]);
    let status = f.store.outbox_status().unwrap();
    assert_eq!(status.dead.normal, 1);
    assert_eq!(
        status.pending.normal + status.pending.bulk,
        2,
        "photo ops wait, not dropped"
    );
    let dead = f.store.dead_letters().unwrap();
    assert_eq!(
        dead[0].last_error.as_deref(),
        Some("category not allowed for this client")
    );
    let _ = photo;
}

#[test]
fn requeueing_a_dead_letter_sends_it_again_with_its_dependants() {
    let f = Fixture::new();
    let (report, photo) = report_with_photo(&f);
    let first = f.store.take_batch(ALL).unwrap();
    let create = first.iter().find(|o| o.record_id == report.id).unwrap().seq;
    f.store.reject(create, "server was misconfigured").unwrap();
    let rest: Vec<_> = seqs(&first)
        .into_iter()
        .filter(|seq| *seq != create)
        .collect();
    f.store
        .fail_transient(&rest, "blocked", Some(Duration::ZERO))
        .unwrap();

    f.store.requeue_dead(create).unwrap();
    let batch = f.store.take_batch(ALL).unwrap();

    assert_eq!(record_ids(&batch), [report.id, photo.id.clone(), photo.id]);
    assert_eq!(batch[0].attempts, 0);
    assert!(f.store.dead_letters().unwrap().is_empty());
}

#[test]
fn discarding_a_dead_letter_archives_it_and_frees_the_record_queue() {
    let f = Fixture::new();
    let r = f.store.create_report(incident()).unwrap();
    let first = f.store.take_batch(ALL).unwrap();
    f.store.reject(first[0].seq, "duplicate report").unwrap();
    f.store.submit_report(&r.id).unwrap();
    assert!(f.store.take_batch(ALL).unwrap().is_empty());

    f.store.discard_dead(first[0].seq).unwrap();

    let batch = f.store.take_batch(ALL).unwrap();
    assert_eq!(batch.len(), 1);
    assert_eq!(batch[0].kind, OperationKind::ReportSubmit);
    assert_eq!(f.count("discarded_operation"), 1);
}

#[test]
fn a_transient_failure_backs_off_with_jitter_below_the_ceiling() {
    let f = Fixture::new().with_assignment();
    f.check_in(CheckInKind::Welfare);
    for failures in 1..=12u32 {
        let batch = f.store.take_batch(ALL).unwrap();
        assert_eq!(batch.len(), 1, "due again after backoff #{failures}");
        assert_eq!(batch[0].attempts, failures as i32 - 1);
        f.store
            .fail_transient(&seqs(&batch), "connection reset", None)
            .unwrap();

        let op = &f.store.queued_operations().unwrap()[0];
        let wait = op.next_attempt_at.since(f.store.now());
        let ceiling = Duration::from_secs(1u64 << (failures - 1)).min(Duration::from_secs(300));
        assert!(wait <= ceiling, "wait {wait:?} over ceiling {ceiling:?}");
        assert_eq!(op.last_error.as_deref(), Some("connection reset"));
        // Not due before its time (unless the draw was zero), due after it.
        if wait > Duration::ZERO {
            assert!(f.store.take_batch(ALL).unwrap().is_empty());
        }
        f.clock.advance(wait);
    }
}

#[test]
fn retry_after_from_the_server_is_honoured() {
    let f = Fixture::new().with_assignment();
    f.check_in(CheckInKind::Welfare);
    let batch = f.store.take_batch(ALL).unwrap();

    f.store
        .fail_transient(&seqs(&batch), "429", Some(Duration::from_secs(120)))
        .unwrap();

    f.advance(119);
    assert!(f.store.take_batch(ALL).unwrap().is_empty());
    f.advance(1);
    assert_eq!(f.store.take_batch(ALL).unwrap().len(), 1);
}

#[test]
fn settle_applies_mixed_answers_together_and_ignores_replayed_ones() {
    let f = Fixture::new().with_assignment();
    let a = f.check_in(CheckInKind::Welfare);
    let b = f.check_in(CheckInKind::Welfare);
    let c = f.check_in(CheckInKind::Welfare);
    let batch = f.store.take_batch(ALL).unwrap();
    let outcomes = vec![
        (batch[0].seq, Outcome::Acknowledged),
        (
            batch[1].seq,
            Outcome::Rejected {
                reason: "bad".into(),
            },
        ),
        (
            batch[2].seq,
            Outcome::Transient {
                error: "503".into(),
                retry_after: Some(Duration::ZERO),
            },
        ),
    ];

    f.store.settle(&outcomes).unwrap();
    f.store.settle(&outcomes[..1]).unwrap(); // a replayed response

    let left: Vec<_> = f.store.queued_operations().unwrap();
    assert_eq!(record_ids(&left), [b.id, c.id]);
    assert_eq!(left[0].state, OperationState::Dead);
    assert_eq!(
        (left[1].state, left[1].attempts),
        (OperationState::Pending, 1)
    );
    let _ = a;
}

#[test]
fn status_counts_by_state_and_lane_and_ages_the_oldest_undelivered() {
    let f = Fixture::new().with_assignment();
    f.check_in(CheckInKind::Welfare);
    f.advance(10);
    f.check_in(CheckInKind::Duress);
    let (_, _) = report_with_photo(&f);
    let urgent = f
        .store
        .take_batch(BatchLimits {
            max_operations: 1,
            max_bytes: i64::MAX,
        })
        .unwrap();
    f.store.reject(urgent[0].seq, "no").unwrap();
    f.advance(50);

    let s = f.store.outbox_status().unwrap();

    assert_eq!(
        s.dead,
        LaneCounts {
            urgent: 1,
            normal: 0,
            bulk: 0
        }
    );
    assert_eq!(
        s.pending,
        LaneCounts {
            urgent: 0,
            normal: 3,
            bulk: 1
        }
    );
    assert_eq!(s.in_flight.total(), 0);
    assert_eq!(s.oldest_undelivered_at, Some(T0));
    assert_eq!(s.oldest_undelivered_age_ms, Some(60_000));
    assert_eq!(s.next_attempt_at, Some(T0));
}

/// The outbox counted the slow way, through a raw connection: (pending, in flight, dead).
fn counted(f: &Fixture) -> (LaneCounts, LaneCounts, LaneCounts) {
    let conn = rusqlite::Connection::open(f.db_path()).unwrap();
    let mut counts = (
        LaneCounts::default(),
        LaneCounts::default(),
        LaneCounts::default(),
    );
    let mut stmt = conn
        .prepare("SELECT state, lane, count(*) FROM outbox GROUP BY state, lane")
        .unwrap();
    let mut rows = stmt.query([]).unwrap();
    while let Some(r) = rows.next().unwrap() {
        let state: String = r.get(0).unwrap();
        let (lane, n): (i64, i64) = (r.get(1).unwrap(), r.get(2).unwrap());
        let by_lane = match state.as_str() {
            "pending" => &mut counts.0,
            "in_flight" => &mut counts.1,
            _ => &mut counts.2,
        };
        match lane {
            0 => by_lane.urgent += n,
            1 => by_lane.normal += n,
            _ => by_lane.bulk += n,
        }
    }
    counts
}

#[test]
fn kept_counts_match_the_queue_through_every_kind_of_change() {
    let f = Fixture::new().with_assignment();
    let check = |what: &str| {
        let s = f.store.outbox_status().unwrap();
        assert_eq!(
            (s.pending, s.in_flight, s.dead),
            counted(&f),
            "after {what}"
        );
    };
    for kind in [
        CheckInKind::Welfare,
        CheckInKind::Duress,
        CheckInKind::Panic,
    ] {
        f.check_in(kind);
    }
    let (_, _) = report_with_photo(&f);
    check("writes");
    let batch = f.store.take_batch(ALL).unwrap();
    check("take");
    f.store
        .settle(&[
            (batch[0].seq, Outcome::Acknowledged),
            (
                batch[1].seq,
                Outcome::Rejected {
                    reason: "bad".into(),
                },
            ),
            (
                batch[2].seq,
                Outcome::Transient {
                    error: "503".into(),
                    retry_after: None,
                },
            ),
        ])
        .unwrap();
    check("settle");
    f.store.requeue_dead(batch[1].seq).unwrap();
    check("requeue");
    let again = f.store.take_batch(ALL).unwrap();
    f.store.reject(again[0].seq, "no").unwrap();
    check("reject");
    f.store.discard_dead(again[0].seq).unwrap();
    check("discard");
    f.store.release_in_flight().unwrap();
    check("release");
    let f = f.reopen();
    let s = f.store.outbox_status().unwrap();
    assert_eq!(
        (s.pending, s.in_flight, s.dead),
        counted(&f),
        "after reopen"
    );
    assert!(s.pending.total() > 0);
}

#[test]
fn an_empty_outbox_reports_nothing_pending() {
    let f = Fixture::new();
    assert_eq!(f.store.outbox_status().unwrap(), OutboxStatus::default());
    assert!(f.store.take_batch(ALL).unwrap().is_empty());
}

#[test]
fn a_submission_waits_for_the_metadata_of_attachments_queued_before_it() {
    let f = Fixture::new();
    let (report, photo) = report_with_photo(&f);
    let first = f.store.take_batch(ALL).unwrap(); // create, photo metadata, photo bytes
                                                  // The photo's metadata backs off longer than the report's creation.
    let create = first
        .iter()
        .find(|o| o.kind == OperationKind::ReportCreate)
        .unwrap()
        .seq;
    let others: Vec<_> = seqs(&first).into_iter().filter(|s| *s != create).collect();
    f.store
        .fail_transient(&[create], "timeout", Some(Duration::from_secs(1)))
        .unwrap();
    f.store
        .fail_transient(&others, "timeout", Some(Duration::from_secs(30)))
        .unwrap();
    f.store.submit_report(&report.id).unwrap();
    f.advance(2);

    let early = f.store.take_batch(ALL).unwrap();
    assert_eq!(
        record_ids(&early),
        std::slice::from_ref(&report.id),
        "the submission must wait"
    );
    f.store.acknowledge(&seqs(&early)).unwrap();
    f.advance(30);
    let later = f.store.take_batch(ALL).unwrap();

    let kinds: Vec<_> = later.iter().map(|o| o.kind).collect();
    assert_eq!(
        kinds,
        [
            OperationKind::AttachmentCreate,
            OperationKind::ReportSubmit,
            OperationKind::AttachmentUpload
        ]
    );
    let _ = photo;
}

#[test]
fn a_requeued_dead_letter_goes_out_under_a_new_id_and_its_old_seq() {
    let f = Fixture::new().with_assignment();
    f.check_in(CheckInKind::Welfare);
    let sent = f.store.take_batch(ALL).unwrap().remove(0);
    f.store.reject(sent.seq, "assignment closed").unwrap();

    f.store.requeue_dead(sent.seq).unwrap();

    let again = f.store.take_batch(ALL).unwrap().remove(0);
    assert_eq!(again.seq, sent.seq);
    assert_ne!(again.id, sent.id);
    assert_eq!(again.payload, sent.payload);
}

#[test]
fn answers_for_operations_not_in_flight_change_nothing() {
    let f = Fixture::new().with_assignment();
    f.check_in(CheckInKind::Welfare);
    let op = f.store.take_batch(ALL).unwrap().remove(0);
    f.store.reject(op.seq, "no").unwrap();

    f.store.acknowledge(&[op.seq]).unwrap();
    f.store.fail_transient(&[op.seq], "late", None).unwrap();

    let dead = f.store.dead_letters().unwrap();
    assert_eq!(
        dead.len(),
        1,
        "a dead letter is removed only by discarding it"
    );
    assert_eq!(dead[0].last_error.as_deref(), Some("no"));
}

#[test]
fn the_next_due_time_leaves_out_operations_held_back_by_a_dead_letter() {
    let f = Fixture::new();
    let r = f.store.create_report(incident()).unwrap();
    let create = f.store.take_batch(ALL).unwrap().remove(0);
    f.store.reject(create.seq, "bad").unwrap();
    f.store.submit_report(&r.id).unwrap();

    assert_eq!(f.store.outbox_status().unwrap().next_attempt_at, None);
}

/// The status names the earliest due time whether it belongs to an operation that waits
/// out a backoff or to one never tried (due since it was written).
#[test]
fn the_next_due_time_is_the_earliest_of_the_backed_off_and_the_never_tried() {
    let f = Fixture::new().with_assignment();
    f.check_in(CheckInKind::Welfare);
    let tried = f.store.take_batch(ALL).unwrap();
    f.store
        .fail_transient(&seqs(&tried), "429", Some(Duration::from_secs(120)))
        .unwrap();
    assert_eq!(
        f.store.outbox_status().unwrap().next_attempt_at,
        Some(T0.plus(Duration::from_secs(120)))
    );

    f.advance(10);
    let fresh = f.check_in(CheckInKind::Checkpoint);
    f.advance(5);
    assert_eq!(
        f.store.outbox_status().unwrap().next_attempt_at,
        Some(fresh.recorded_at),
        "the new check-in is due since it was written, before the backed-off one"
    );

    let batch = f.store.take_batch(ALL).unwrap();
    assert_eq!(record_ids(&batch), [fresh.id]);
    f.store.acknowledge(&seqs(&batch)).unwrap();
    assert_eq!(
        f.store.outbox_status().unwrap().next_attempt_at,
        Some(T0.plus(Duration::from_secs(120)))
    );
}

/// An operation never tried is due at once, even when the phone's clock has been turned
/// back since it was written (by less than the longest backoff, which alone would not
/// count as a clock gone back); one that failed still waits out its backoff.
#[test]
fn an_operation_never_tried_is_due_at_once_after_the_clock_went_back() {
    let f = Fixture::new().with_assignment();
    f.check_in(CheckInKind::Welfare);
    let tried = f.store.take_batch(ALL).unwrap();
    f.store
        .fail_transient(&seqs(&tried), "429", Some(Duration::from_secs(600)))
        .unwrap();
    let written = f.check_in(CheckInKind::Checkpoint);
    f.clock
        .set(Timestamp::from_millis(T0.as_millis() - 1_800_000));

    let status = f.store.outbox_status().unwrap();
    assert_eq!(status.next_attempt_at, Some(f.store.now()), "due now");
    let batch = f.store.take_batch(ALL).unwrap();
    assert_eq!(record_ids(&batch), [written.id], "only the new one");
}

#[test]
fn duress_never_backs_off_longer_than_thirty_seconds() {
    let f = Fixture::new();
    f.check_in(CheckInKind::Duress);
    let op = f.store.take_batch(ALL).unwrap();

    f.store
        .fail_transient(&seqs(&op), "429", Some(Duration::from_secs(3600)))
        .unwrap();

    f.advance(30);
    assert_eq!(f.store.take_batch(ALL).unwrap().len(), 1);
}

#[test]
fn an_operation_backed_off_by_a_clock_since_turned_back_is_due() {
    let f = Fixture::new().with_assignment();
    f.check_in(CheckInKind::Welfare);
    let op = f.store.take_batch(ALL).unwrap();
    f.store
        .fail_transient(&seqs(&op), "timeout", Some(Duration::from_secs(60)))
        .unwrap();

    // The phone's clock was six hours fast; the network corrects it.
    f.clock
        .set(Timestamp::from_millis(T0.as_millis() - 6 * 3600 * 1000));

    assert_eq!(f.store.take_batch(ALL).unwrap().len(), 1);
}

#[test]
fn naming_a_lane_twice_does_not_hand_out_an_operation_twice() {
    let f = Fixture::new();
    f.check_in(CheckInKind::Duress);
    let batch = f
        .store
        .take_batch_from(&[Lane::Urgent, Lane::Urgent], ALL)
        .unwrap();
    assert_eq!(batch.len(), 1);
}
