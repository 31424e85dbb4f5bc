//! Incident reports: drafts, the lock at submission, the amendment chain and what the
//! verify call catches.

mod common;

use std::io::Write;

use common::*;
use cordon_core::*;
use sha2::{Digest, Sha256};

fn submitted(f: &Fixture) -> IncidentReport {
    let r = f.store.create_report(incident()).unwrap();
    f.advance(60);
    f.store.submit_report(&r.id).unwrap()
}

/// Amends the report and reads it back; the amendment returned is the chain's new head.
fn amend(f: &Fixture, id: &str, reason: &str, patch: IncidentPatch) -> IncidentReport {
    f.advance(60);
    let amendment = f
        .store
        .amend_report(
            id,
            NewAmendment {
                author: "ALPHA-2".into(),
                reason: reason.into(),
                patch,
            },
        )
        .unwrap();
    let report = f.store.report(id).unwrap();
    assert_eq!(report.amendments.last(), Some(&amendment));
    report
}

fn raw(f: &Fixture) -> rusqlite::Connection {
    rusqlite::Connection::open(f.db_path()).unwrap()
}

#[test]
fn a_draft_is_editable_and_edits_before_sync_fold_into_one_update() {
    let f = Fixture::new();
    let r = f.store.create_report(incident()).unwrap();
    for severity in [Severity::High, Severity::Critical] {
        let mut c = incident();
        c.severity = severity;
        f.store.update_report(&r.id, c).unwrap();
    }

    assert_eq!(
        f.store.report(&r.id).unwrap().content.severity,
        Severity::Critical
    );
    let kinds: Vec<_> = f
        .store
        .queued_operations()
        .unwrap()
        .iter()
        .map(|o| o.kind)
        .collect();
    assert_eq!(
        kinds,
        [OperationKind::ReportCreate, OperationKind::ReportUpdate]
    );
    let update = &f.store.queued_operations().unwrap()[1];
    assert!(
        update.payload.contains("\"severity\":\"critical\""),
        "{}",
        update.payload
    );
}

#[test]
fn an_edit_after_the_update_went_in_flight_is_queued_separately() {
    let f = Fixture::new();
    let r = f.store.create_report(incident()).unwrap();
    f.store.update_report(&r.id, incident()).unwrap();
    f.store.take_batch(ALL).unwrap();

    f.store.update_report(&r.id, incident()).unwrap();

    assert_eq!(f.store.queued_operations().unwrap().len(), 3);
}

#[test]
fn submission_locks_the_report_against_edits_and_new_attachments() {
    let f = Fixture::new();
    let r = submitted(&f);
    let photo = f.dir.path().join("late.jpg");
    std::fs::write(&photo, b"jpeg").unwrap();
    let ops = f.count("outbox");

    let locked = CordonError::ReportLocked {
        report_id: r.id.clone(),
    };
    assert_eq!(
        f.store.update_report(&r.id, incident()).unwrap_err(),
        locked
    );
    assert_eq!(f.store.submit_report(&r.id).unwrap_err(), locked);
    assert_eq!(
        f.store
            .attach_file(&r.id, &photo, AttachmentKind::Photo, "image/jpeg")
            .unwrap_err(),
        locked
    );
    assert_eq!(f.store.report(&r.id).unwrap(), r);
    assert_eq!(f.count("outbox"), ops);
}

#[test]
fn the_database_itself_refuses_to_change_a_submitted_report() {
    let f = Fixture::new();
    let r = submitted(&f);

    let err = raw(&f)
        .execute(
            "UPDATE incident_report SET content = '{}' WHERE id = ?1",
            [&r.id],
        )
        .unwrap_err();

    assert!(err.to_string().contains("locked"), "{err}");
}

#[test]
fn amending_a_draft_is_refused() {
    let f = Fixture::new();
    let r = f.store.create_report(incident()).unwrap();
    let err = f
        .store
        .amend_report(
            &r.id,
            NewAmendment {
                author: "ALPHA-2".into(),
                reason: "r".into(),
                patch: IncidentPatch {
                    severity: Some(Severity::Low),
                    ..Default::default()
                },
            },
        )
        .unwrap_err();
    assert_eq!(err, CordonError::ReportNotSubmitted { report_id: r.id });
}

#[test]
fn amendments_apply_in_order_and_the_chain_verifies() {
    let f = Fixture::new();
    let r = submitted(&f);
    let sealed = r.content_hash.clone().unwrap();
    amend(
        &f,
        &r.id,
        "Police attended",
        IncidentPatch {
            police_reference: Some("CAD 4471".into()),
            ..Default::default()
        },
    );
    let r = amend(
        &f,
        &r.id,
        "Van returned; escalated",
        IncidentPatch {
            severity: Some(Severity::High),
            narrative: Some("Grey van returned at 23:40 and again at 01:15.".into()),
            ..Default::default()
        },
    );

    assert_eq!(r.content.police_reference.as_deref(), Some("CAD 4471"));
    assert_eq!(r.content.severity, Severity::High);
    assert_eq!(r.amendments.len(), 2);
    assert_eq!(r.amendments[0].sequence, 1);
    assert_eq!(r.amendments[0].previous_hash, sealed);
    assert_eq!(r.amendments[1].previous_hash, r.amendments[0].hash);
    assert_eq!(r.amendments[1].changed_fields, ["severity", "narrative"]);
    assert_eq!(
        f.store.verify_report(&r.id).unwrap(),
        ReportIntegrity::Intact {
            head_hash: r.amendments[1].hash.clone(),
            amendments: 2
        }
    );
    let kinds: Vec<_> = f
        .store
        .queued_operations()
        .unwrap()
        .iter()
        .map(|o| o.kind)
        .collect();
    assert_eq!(
        kinds,
        [
            OperationKind::ReportCreate,
            OperationKind::ReportSubmit,
            OperationKind::ReportAmend,
            OperationKind::ReportAmend
        ]
    );
}

#[test]
fn a_draft_has_nothing_to_verify() {
    let f = Fixture::new();
    let r = f.store.create_report(incident()).unwrap();
    assert_eq!(
        f.store.verify_report(&r.id).unwrap(),
        ReportIntegrity::Draft
    );
}

/// Tampering means bypassing the core: drop the guard triggers, then edit a row.
fn tamper(f: &Fixture, sql: &str, id: &str) {
    let conn = raw(f);
    conn.execute_batch(
        "DROP TRIGGER submitted_report_no_update; DROP TRIGGER amendment_no_update;
         DROP TRIGGER amendment_no_delete; DROP TRIGGER attachment_no_update;",
    )
    .unwrap();
    assert_eq!(
        conn.execute(sql, [id]).unwrap(),
        1,
        "tamper statement hit no row"
    );
}

fn broken_at(f: &Fixture, id: &str) -> i32 {
    match f.store.verify_report(id).unwrap() {
        ReportIntegrity::Broken { link, .. } => link,
        other => panic!("tampering went undetected: {other:?}"),
    }
}

fn amended_twice(f: &Fixture) -> IncidentReport {
    let r = submitted(f);
    amend(
        f,
        &r.id,
        "first",
        IncidentPatch {
            injuries: Some("None".into()),
            ..Default::default()
        },
    );
    amend(
        f,
        &r.id,
        "second",
        IncidentPatch {
            severity: Some(Severity::Low),
            ..Default::default()
        },
    )
}

#[test]
fn an_edited_submitted_narrative_is_detected() {
    let f = Fixture::new();
    let r = amended_twice(&f);
    tamper(
        &f,
        "UPDATE incident_report SET content = replace(content, '40 minutes', '4 minutes') WHERE id = ?1",
        &r.id,
    );
    assert_eq!(broken_at(&f, &r.id), 0);
}

#[test]
fn an_edited_amendment_reason_is_detected() {
    let f = Fixture::new();
    let r = amended_twice(&f);
    tamper(
        &f,
        "UPDATE amendment SET reason = 'innocent' WHERE report_id = ?1 AND sequence = 2",
        &r.id,
    );
    assert_eq!(broken_at(&f, &r.id), 2);
}

#[test]
fn a_deleted_amendment_is_detected() {
    let f = Fixture::new();
    let r = amended_twice(&f);
    tamper(
        &f,
        "DELETE FROM amendment WHERE report_id = ?1 AND sequence = 1",
        &r.id,
    );
    assert_eq!(broken_at(&f, &r.id), 1);
}

#[test]
fn a_swapped_attachment_hash_is_detected() {
    let f = Fixture::new();
    let r = f.store.create_report(incident()).unwrap();
    let photo = f.dir.path().join("van.jpg");
    std::fs::write(&photo, b"jpeg bytes").unwrap();
    f.store
        .attach_file(&r.id, &photo, AttachmentKind::Photo, "image/jpeg")
        .unwrap();
    f.store.submit_report(&r.id).unwrap();

    tamper(
        &f,
        "UPDATE attachment SET sha256 = 'beef' WHERE report_id = ?1",
        &r.id,
    );

    assert_eq!(broken_at(&f, &r.id), 0);
}

#[test]
fn an_attachment_is_copied_in_with_its_sha256_and_queued_after_its_report() {
    let f = Fixture::new();
    let r = f.store.create_report(incident()).unwrap();
    // 3 MiB of varied bytes, written in pieces: more than one copy chunk.
    let source = f.dir.path().join("statement.pdf");
    let mut file = std::fs::File::create(&source).unwrap();
    let mut expected = Sha256::new();
    for i in 0..(3 * 1024u32) {
        let block: Vec<u8> = (0..1024u32).map(|j| ((i * 31 + j) % 256) as u8).collect();
        expected.update(&block);
        file.write_all(&block).unwrap();
    }
    drop(file);

    let a = f
        .store
        .attach_file(&r.id, &source, AttachmentKind::Document, "application/pdf")
        .unwrap();

    let expected_hex: String = expected
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(a.sha256, expected_hex);
    assert_eq!(a.size_bytes, 3 * 1024 * 1024);
    assert_eq!(a.file_name, "statement.pdf");
    assert_eq!(
        std::fs::read(f.store.attachment_path(&a.id)).unwrap(),
        std::fs::read(&source).unwrap()
    );
    assert_eq!(f.store.report(&r.id).unwrap().attachments, vec![a.clone()]);
    let ops = f.store.queued_operations().unwrap();
    let mine: Vec<_> = ops.iter().filter(|o| o.record_id == a.id).collect();
    assert_eq!(mine.len(), 2);
    assert_eq!(
        (mine[0].kind, mine[0].lane),
        (OperationKind::AttachmentCreate, Lane::Normal)
    );
    assert_eq!(
        (mine[1].kind, mine[1].lane),
        (OperationKind::AttachmentUpload, Lane::Bulk)
    );
    // The metadata waits for the report; the bytes follow the metadata.
    assert_eq!(mine[0].depends_on.as_deref(), Some(r.id.as_str()));
    assert_eq!(mine[1].depends_on, None);
}

#[test]
fn a_submitted_report_carries_its_attachments_hashes_to_the_office() {
    let f = Fixture::new();
    let r = f.store.create_report(incident()).unwrap();
    let photo = f.dir.path().join("van.jpg");
    std::fs::write(&photo, b"jpeg bytes").unwrap();
    let a = f
        .store
        .attach_file(&r.id, &photo, AttachmentKind::Photo, "image/jpeg")
        .unwrap();

    let r = f.store.submit_report(&r.id).unwrap();

    let submit = f
        .store
        .queued_operations()
        .unwrap()
        .into_iter()
        .find(|o| o.kind == OperationKind::ReportSubmit)
        .unwrap();
    let payload: serde_json::Value = serde_json::from_str(&submit.payload).unwrap();
    assert_eq!(payload["content_hash"], r.content_hash.unwrap());
    assert_eq!(payload["attachments"][0]["sha256"], a.sha256);
}

#[test]
fn an_amended_location_verifies_whatever_its_digits() {
    // Floats must read back bit for bit, or the hash of a stored amendment would not
    // match the one taken when it was written.
    let f = Fixture::new();
    let r = submitted(&f);
    for (i, lat) in [13.346133595589677, 51.500_73, -0.1, 1e-7]
        .into_iter()
        .enumerate()
    {
        amend(
            &f,
            &r.id,
            &format!("fix {i}"),
            IncidentPatch {
                location: Some(Location {
                    latitude: lat,
                    longitude: -0.1246,
                    accuracy_m: Some(5.0),
                    fix_time: None,
                }),
                ..Default::default()
            },
        );
    }
    assert!(matches!(
        f.store.verify_report(&r.id).unwrap(),
        ReportIntegrity::Intact { amendments: 4, .. }
    ));
}

#[test]
fn clearing_the_seal_of_a_submitted_report_is_detected() {
    let f = Fixture::new();
    let r = submitted(&f);
    tamper(
        &f,
        "UPDATE incident_report SET content = replace(content, '40 minutes', '4 minutes'),
                content_hash = NULL WHERE id = ?1",
        &r.id,
    );
    assert_eq!(broken_at(&f, &r.id), 0);
}

#[test]
fn changed_attachment_bytes_on_disk_are_detected() {
    let f = Fixture::new();
    let r = f.store.create_report(incident()).unwrap();
    let photo = f.dir.path().join("van.jpg");
    std::fs::write(&photo, b"original jpeg bytes").unwrap();
    let a = f
        .store
        .attach_file(&r.id, &photo, AttachmentKind::Photo, "image/jpeg")
        .unwrap();
    f.store.submit_report(&r.id).unwrap();
    assert!(matches!(
        f.store.verify_report(&r.id).unwrap(),
        ReportIntegrity::Intact { .. }
    ));

    std::fs::write(f.store.attachment_path(&a.id), b"doctored jpeg bytes").unwrap();

    assert_eq!(broken_at(&f, &r.id), 0);
}

#[test]
fn attachments_cannot_be_deleted_from_the_database() {
    let f = Fixture::new();
    let r = f.store.create_report(incident()).unwrap();
    let photo = f.dir.path().join("van.jpg");
    std::fs::write(&photo, b"jpeg").unwrap();
    f.store
        .attach_file(&r.id, &photo, AttachmentKind::Photo, "image/jpeg")
        .unwrap();
    assert!(raw(&f)
        .execute("DELETE FROM attachment WHERE report_id = ?1", [&r.id])
        .is_err());
}

#[test]
fn an_edit_never_rewrites_an_update_that_may_have_reached_the_server() {
    let f = Fixture::new();
    let r = f.store.create_report(incident()).unwrap();
    let mut high = incident();
    high.severity = Severity::High;
    f.store.update_report(&r.id, high).unwrap();
    let sent = f.store.take_batch(ALL).unwrap(); // sent; the process dies before the answer
    let f = f.reopen();

    let mut critical = incident();
    critical.severity = Severity::Critical;
    f.store.update_report(&r.id, critical).unwrap();

    let queued = f.store.queued_operations().unwrap();
    assert_eq!(
        queued.len(),
        3,
        "a new update, not a rewrite of the one sent"
    );
    assert_eq!(queued[1].id, sent[1].id);
    assert_eq!(queued[1].payload, sent[1].payload);
}
