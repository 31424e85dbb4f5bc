//! Bad input at every entry point of the store: a typed error naming the field, and
//! nothing written (no record, no queued operation).

mod common;

use std::time::Duration;

use common::*;
use cordon_core::*;

fn field(err: CordonError) -> String {
    match err {
        CordonError::InvalidInput { field, .. } => field,
        other => panic!("expected InvalidInput, got {other:?}"),
    }
}

/// Asserts that `write` fails on `field` and that the outbox and `table` did not change.
fn rejects(
    f: &Fixture,
    table: &str,
    expected_field: &str,
    write: impl FnOnce(&Store) -> Result<()>,
) {
    let rows = f.count(table);
    let ops = f.count("outbox");
    let err = write(&f.store).expect_err("bad input must be refused");
    assert_eq!(field(err), expected_field);
    assert_eq!(f.count(table), rows, "{table} changed");
    assert_eq!(f.count("outbox"), ops, "outbox changed");
}

fn bad_check_in(f: &Fixture, expected: &str, edit: impl FnOnce(&mut NewCheckIn)) {
    let mut c = check_in(CheckInKind::Welfare);
    edit(&mut c);
    rejects(f, "check_in", expected, |s| {
        s.record_check_in(c).map(|_| ())
    });
}

#[test]
fn check_in_field_rules() {
    let f = Fixture::new().with_assignment();
    bad_check_in(&f, "timeZone", |c| c.time_zone = "Europe/Atlantis".into());
    bad_check_in(&f, "location.latitude", |c| {
        c.location.as_mut().unwrap().latitude = 91.0
    });
    bad_check_in(&f, "location.longitude", |c| {
        c.location.as_mut().unwrap().longitude = -180.5
    });
    bad_check_in(&f, "location.latitude", |c| {
        c.location.as_mut().unwrap().latitude = f64::NAN
    });
    bad_check_in(&f, "location.accuracyM", |c| {
        c.location.as_mut().unwrap().accuracy_m = Some(-1.0)
    });
    bad_check_in(&f, "note", |c| c.note = Some("x".repeat(4001)));
    bad_check_in(&f, "note", |c| c.note = Some("bell\u{7}".into()));
    bad_check_in(&f, "assignmentId", |c| c.assignment_id = None);
    bad_check_in(&f, "tagId", |c| c.tag_id = Some("NFC-1".into()));
    bad_check_in(&f, "tagId", |c| c.kind = CheckInKind::Checkpoint);
    bad_check_in(&f, "occurredAt", |c| {
        c.occurred_at = Some(T0.plus(Duration::from_secs(3600)))
    });
}

#[test]
fn check_in_on_an_unknown_assignment_is_refused_on_its_field_and_writes_nothing() {
    let f = Fixture::new().with_assignment();
    let mut c = check_in(CheckInKind::ClockOn);
    c.assignment_id = Some("A-404".into());

    let err = f.store.record_check_in(c).unwrap_err();

    assert!(
        matches!(err, CordonError::InvalidInput { ref field, rule: InputRule::UnknownRecord, .. } if field == "assignmentId"),
        "{err:?}"
    );
    assert_eq!(f.count("check_in"), 0);
    assert_eq!(f.count("outbox"), 0);
}

#[test]
fn a_report_on_an_unknown_assignment_follows_the_same_rule_as_a_check_in() {
    let f = Fixture::new().with_assignment();
    let on = |id: &str| IncidentContent {
        assignment_id: Some(id.into()),
        ..incident()
    };
    let unknown = |err: CordonError| matches!(err, CordonError::InvalidInput { ref field, rule: InputRule::UnknownRecord, .. } if field == "assignmentId");

    assert!(unknown(f.store.create_report(on("A-404")).unwrap_err()));
    assert_eq!((f.count("incident_report"), f.count("outbox")), (0, 0));
    let draft = f.store.create_report(on("A-1")).unwrap();
    assert!(unknown(
        f.store.update_report(&draft.id, on("A-404")).unwrap_err()
    ));
    assert_eq!(f.store.report(&draft.id).unwrap().content, on("A-1"));
}

#[test]
fn an_attachment_path_is_only_ever_one_of_the_store_s_attachments() {
    let f = Fixture::new();
    let r = f.store.create_report(incident()).unwrap();
    let photo = f.dir.path().join("van.jpg");
    std::fs::write(&photo, b"\xff\xd8\xff jpeg bytes").unwrap();
    let a = f
        .store
        .attach_file(&r.id, &photo, AttachmentKind::Photo, "image/jpeg")
        .unwrap();

    let kept = f.store.attachment_file(&a.id).unwrap();
    assert_eq!(kept.parent(), Some(f.store.attachments_dir()));
    assert_eq!(std::fs::read(kept).unwrap(), b"\xff\xd8\xff jpeg bytes");
    for escape in ["../../../etc/passwd", "/etc/passwd", "..", ""] {
        let err = f.store.attachment_file(escape).unwrap_err();
        assert!(
            matches!(err, CordonError::NotFound { .. }),
            "{escape:?}: {err:?}"
        );
    }
}

#[test]
fn alarms_need_no_assignment() {
    let f = Fixture::new();
    for kind in [CheckInKind::Panic, CheckInKind::Duress] {
        let c = f.store.record_check_in(check_in(kind)).unwrap();
        assert_eq!(c.assignment_id, None);
    }
    assert_eq!(f.count("outbox"), 2);
}

fn bad_assignment(f: &Fixture, expected: &str, edit: impl FnOnce(&mut Assignment)) {
    let mut a = assignment("A-9", 1);
    edit(&mut a);
    rejects(f, "assignment", expected, |s| {
        s.upsert_assignment(&a).map(|_| ())
    });
}

#[test]
fn assignment_field_rules() {
    let f = Fixture::new();
    bad_assignment(&f, "id", |a| a.id = String::new());
    bad_assignment(&f, "title", |a| a.title = "\t".into());
    bad_assignment(&f, "endsAt", |a| a.ends_at = a.starts_at);
    bad_assignment(&f, "sites", |a| a.sites.clear());
    bad_assignment(&f, "sites[0].timeZone", |a| {
        a.sites[0].time_zone = "GMT+25".into()
    });
    bad_assignment(&f, "sites[0].centre.latitude", |a| {
        a.sites[0].centre.as_mut().unwrap().latitude = -95.0
    });
    bad_assignment(&f, "sites[0].geofenceRadiusM", |a| {
        a.sites[0].geofence_radius_m = Some(0.0)
    });
    bad_assignment(&f, "team[0].callSign", |a| {
        a.team[0].call_sign = String::new()
    });
    bad_assignment(&f, "postOrders.text", |a| {
        a.post_orders.text = String::new()
    });
    bad_assignment(&f, "checkInPolicy.intervalSecs", |a| {
        a.check_in_policy.interval_secs = 10
    });
    bad_assignment(&f, "checkInPolicy.graceSecs", |a| {
        a.check_in_policy.grace_secs = a.check_in_policy.interval_secs + 1
    });
    // Signed for Kotlin and Swift: a negative number is refused, not wrapped.
    bad_assignment(&f, "checkInPolicy.intervalSecs", |a| {
        a.check_in_policy.interval_secs = -1800
    });
    bad_assignment(&f, "checkInPolicy.graceSecs", |a| {
        a.check_in_policy.grace_secs = -1
    });
    bad_assignment(&f, "postOrders.version", |a| a.post_orders.version = -1);
    bad_assignment(&f, "serverVersion", |a| a.server_version = 0);
}

fn bad_report(f: &Fixture, expected: &str, edit: impl FnOnce(&mut IncidentContent)) {
    let mut c = incident();
    edit(&mut c);
    rejects(f, "incident_report", expected, |s| {
        s.create_report(c).map(|_| ())
    });
}

#[test]
fn incident_field_rules() {
    let f = Fixture::new();
    bad_report(&f, "timeZone", |c| c.time_zone = "London".into());
    bad_report(&f, "discoveredAt", |c| {
        c.discovered_at = Timestamp::from_millis(0)
    });
    bad_report(&f, "location.longitude", |c| {
        c.location = Some(Location {
            latitude: 0.0,
            longitude: 200.0,
            accuracy_m: None,
            fix_time: None,
        })
    });
    bad_report(&f, "narrative", |c| c.narrative = "  ".into());
    bad_report(&f, "persons[0].description", |c| {
        c.persons[0].description = String::new()
    });
    bad_report(&f, "policeReference", |c| {
        c.police_reference = Some("x".repeat(257))
    });
    bad_report(&f, "actionsTaken", |c| c.actions_taken = Some("\0".into()));
}

#[test]
fn a_draft_may_have_an_empty_narrative_but_cannot_be_submitted_with_one() {
    let f = Fixture::new();
    let mut c = incident();
    c.narrative = String::new();
    let draft = f.store.create_report(c).unwrap();
    let ops = f.count("outbox");

    let err = f.store.submit_report(&draft.id).unwrap_err();

    assert_eq!(field(err), "narrative");
    assert_eq!(f.store.report(&draft.id).unwrap().state, ReportState::Draft);
    assert_eq!(f.count("outbox"), ops);
}

#[test]
fn amendment_rules() {
    let f = Fixture::new();
    let r = f.store.create_report(incident()).unwrap();
    f.store.submit_report(&r.id).unwrap();
    let amend = |author: &str, reason: &str, patch: IncidentPatch| {
        let id = r.id.clone();
        let a = NewAmendment {
            author: author.into(),
            reason: reason.into(),
            patch,
        };
        move |s: &Store| s.amend_report(&id, a).map(|_| ())
    };
    let severity = IncidentPatch {
        severity: Some(Severity::High),
        ..Default::default()
    };

    rejects(
        &f,
        "amendment",
        "author",
        amend("", "why", severity.clone()),
    );
    rejects(
        &f,
        "amendment",
        "reason",
        amend("ALPHA-2", " ", severity.clone()),
    );
    rejects(
        &f,
        "amendment",
        "patch",
        amend("ALPHA-2", "nothing", IncidentPatch::default()),
    );
    let same = IncidentPatch {
        severity: Some(Severity::Medium),
        ..Default::default()
    };
    rejects(
        &f,
        "amendment",
        "patch",
        amend("ALPHA-2", "same value", same),
    );
    let backwards = IncidentPatch {
        discovered_at: Some(Timestamp::from_millis(0)),
        ..Default::default()
    };
    rejects(
        &f,
        "amendment",
        "discoveredAt",
        amend("ALPHA-2", "typo", backwards),
    );
}

#[test]
fn attachment_rules() {
    let f = Fixture::new();
    let r = f.store.create_report(incident()).unwrap();
    let photo = f.dir.path().join("van.jpg");
    std::fs::write(&photo, b"\xff\xd8\xff jpeg bytes").unwrap();
    let attach = |path: std::path::PathBuf, kind, mime: &'static str| {
        let id = r.id.clone();
        move |s: &Store| s.attach_file(&id, &path, kind, mime).map(|_| ())
    };

    rejects(
        &f,
        "attachment",
        "mimeType",
        attach(photo.clone(), AttachmentKind::Photo, "audio/mp4"),
    );
    rejects(
        &f,
        "attachment",
        "mimeType",
        attach(photo.clone(), AttachmentKind::Photo, "jpeg"),
    );
    rejects(
        &f,
        "attachment",
        "source",
        attach(
            f.dir.path().to_path_buf(),
            AttachmentKind::Photo,
            "image/jpeg",
        ),
    );
    let files_before = std::fs::read_dir(f.store.attachments_dir())
        .unwrap()
        .count();
    let missing = f.store.attach_file(
        &r.id,
        &f.dir.path().join("nope.jpg"),
        AttachmentKind::Photo,
        "image/jpeg",
    );
    assert!(
        matches!(missing, Err(CordonError::Io { .. })),
        "{missing:?}"
    );
    assert_eq!(
        std::fs::read_dir(f.store.attachments_dir())
            .unwrap()
            .count(),
        files_before
    );
}

#[test]
fn officer_id_must_not_be_blank() {
    let f = Fixture::new();
    assert_eq!(field(f.store.set_officer_id(" ").unwrap_err()), "officerId");
    f.store.set_officer_id("officer-7").unwrap();
    assert_eq!(
        f.store.device_identity().unwrap().officer_id.as_deref(),
        Some("officer-7")
    );
}

#[test]
fn dead_letter_commands_on_operations_that_are_not_dead_are_refused() {
    let f = Fixture::new().with_assignment();
    f.check_in(CheckInKind::Welfare);
    let op = f.store.queued_operations().unwrap().remove(0);

    let err = f.store.requeue_dead(op.seq).unwrap_err();
    assert!(
        matches!(err, CordonError::InvalidOperationState { ref state, .. } if state == "pending"),
        "{err:?}"
    );
    let err = f.store.discard_dead(op.seq + 1000).unwrap_err();
    assert!(matches!(err, CordonError::NotFound { .. }), "{err:?}");
    assert_eq!(f.count("outbox"), 1);
}

#[test]
fn an_alarm_is_never_refused_for_its_input_and_says_what_was_repaired() {
    let f = Fixture::new();
    let alarm = NewCheckIn {
        kind: CheckInKind::Duress,
        // An assignment the phone has not downloaded yet.
        assignment_id: Some("A-NOT-YET-DOWNLOADED".into()),
        occurred_at: Some(T0.plus(Duration::from_secs(86_400))),
        time_zone: "GMT+05:30".into(),
        location: Some(Location {
            latitude: 51.5,
            longitude: -0.12,
            accuracy_m: Some(250_000.0),
            fix_time: None,
        }),
        tag_id: Some("NFC-1".into()),
        note: Some(String::new()),
    };

    let stored = f.store.record_check_in(alarm).unwrap();

    assert_eq!(
        stored.assignment_id.as_deref(),
        Some("A-NOT-YET-DOWNLOADED")
    );
    assert_eq!(stored.occurred_at, T0);
    assert_eq!(stored.time_zone, "Etc/UTC");
    assert_eq!(stored.location, None);
    let note = stored.note.unwrap();
    assert!(
        note.contains("GMT+05:30") && note.contains("location dropped"),
        "{note}"
    );
    let op = f.store.queued_operations().unwrap().remove(0);
    assert_eq!(op.lane, Lane::Urgent);
}

#[test]
fn a_blank_note_is_no_note() {
    let f = Fixture::new().with_assignment();
    let mut c = check_in(CheckInKind::Welfare);
    c.note = Some("  ".into());
    assert_eq!(f.store.record_check_in(c).unwrap().note, None);
}

#[test]
fn timestamps_outside_1970_to_2200_are_refused_before_anything_is_written() {
    let f = Fixture::new().with_assignment();
    let far = Timestamp::from_millis(253_402_300_800_000); // year 10000
    rejects(&f, "incident_report", "discoveredAt", |s| {
        let mut c = incident();
        c.discovered_at = far;
        s.create_report(c).map(|_| ())
    });
    bad_check_in(&f, "location.fixTime", |c| {
        c.location.as_mut().unwrap().fix_time = Some(far)
    });
    bad_check_in(&f, "occurredAt", |c| {
        c.occurred_at = Some(Timestamp::from_millis(-1))
    });
    bad_assignment(&f, "endsAt", |a| a.ends_at = far);
}

#[test]
fn an_amendment_cannot_make_a_report_that_could_not_have_been_submitted() {
    let f = Fixture::new();
    let r = f.store.create_report(incident()).unwrap();
    f.store.submit_report(&r.id).unwrap();
    let blank = NewAmendment {
        author: "ALPHA-2".into(),
        reason: "oops".into(),
        patch: IncidentPatch {
            narrative: Some(String::new()),
            ..Default::default()
        },
    };
    rejects(&f, "amendment", "narrative", |s| {
        s.amend_report(&r.id, blank).map(|_| ())
    });
}

#[test]
fn an_empty_path_or_a_directory_is_not_a_store() {
    let dir = tempfile::tempdir().unwrap();
    for path in [std::path::PathBuf::new(), dir.path().to_path_buf()] {
        let err = Store::open(&path).unwrap_err();
        assert_eq!(field(err), "path");
    }
}

#[test]
fn a_file_larger_than_an_attachment_may_hold_is_refused_before_any_copy() {
    let f = Fixture::new();
    let r = f.store.create_report(incident()).unwrap();
    let huge = f.dir.path().join("huge.mp4");
    // Sparse: the size without the disk space.
    std::fs::File::create(&huge)
        .unwrap()
        .set_len(MAX_ATTACHMENT_BYTES + 1)
        .unwrap();

    let err = f
        .store
        .attach_file(&r.id, &huge, AttachmentKind::Video, "video/mp4")
        .unwrap_err();

    assert!(
        matches!(err, CordonError::InvalidInput { ref field, .. } if field == "source"),
        "{err:?}"
    );
    assert!(f.store.report(&r.id).unwrap().attachments.is_empty());
    assert!(f
        .store
        .queued_operations()
        .unwrap()
        .iter()
        .all(|o| o.kind == OperationKind::ReportCreate));
}
