//! Upgrades read back through the office's own functions: a version-4 database (records
//! keyed by id alone) opened by this build keeps every record readable under its
//! organisation; a version-9 one shows its officers' post orders unacknowledged. It lives beside `db` rather than in it, because it reads through `admin`,
//! which `db` must not import.

use crate::db::{database_at, SCHEMA_VERSION};

fn json<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_string(value).unwrap()
}

/// The office's assignment and one officer on it, as a database of an older version holds them.
fn assign_in_old(
    db: &rusqlite::Connection,
    org: &str,
    officer: &str,
    assignment: &cordon_core::Assignment,
) {
    db.execute(
        "INSERT INTO assignment (organisation_id, id, server_version, body, updated_at)
         VALUES (?1, ?2, 1, ?3, 0)",
        [org, &assignment.id, &json(assignment)],
    )
    .unwrap();
    db.execute(
        "INSERT INTO assignment_officer (organisation_id, assignment_id, officer_id, role)
         VALUES (?1, ?2, ?3, ?4)",
        [org, &assignment.id, officer, &json(&assignment.role)],
    )
    .unwrap();
}

/// Every feed entry after the upgrade, by cursor: (cursor, tag, kind, body).
fn feed_rows(server: &crate::Server) -> Vec<(i64, i64, String, String)> {
    server
        .read(|c| {
            Ok(
                c.prepare("SELECT cursor, tag, kind, body FROM feed ORDER BY cursor")?
                    .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?
                    .collect::<rusqlite::Result<_>>()?,
            )
        })
        .unwrap()
}

#[test]
fn a_version_4_database_keeps_every_record_readable_under_its_organisation() {
    use cordon_core::{
        amendment_hash, submission_hash, Amendment, Attachment, AttachmentKind, CheckIn,
        CheckInKind, IncidentPatch, ReportIntegrity, ReportState, Severity, Timestamp,
    };

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("server.db");
    let v4 = database_at(&path, 4);

    let (org, officer, device) = ("acme", "OFC-7", "d-1");
    let at = Timestamp::from_millis(1_790_000_000_000);
    let (check_in_id, report_id, attachment_id) = ("c-1", "r-1", "t-1");
    let check_in = CheckIn {
        id: check_in_id.into(),
        kind: CheckInKind::Panic,
        assignment_id: None,
        occurred_at: at,
        time_zone: "Europe/London".into(),
        location: None,
        tag_id: None,
        note: None,
        recorded_at: at,
    };
    let attachment = Attachment {
        id: attachment_id.into(),
        report_id: report_id.into(),
        kind: AttachmentKind::Photo,
        file_name: "van.jpg".into(),
        mime_type: "image/jpeg".into(),
        size_bytes: 3,
        sha256: "ab".repeat(32),
        captured_at: at,
    };
    let content = cordon_fixtures::incident();
    let sealed = submission_hash(report_id, at, &content, std::slice::from_ref(&attachment));
    let mut amendment = Amendment {
        id: "m-1".into(),
        report_id: report_id.into(),
        sequence: 1,
        author: officer.into(),
        reason: "Registration confirmed.".into(),
        changed_fields: vec![],
        patch: IncidentPatch {
            severity: Some(Severity::Critical),
            ..Default::default()
        },
        created_at: at,
        previous_hash: sealed.clone(),
        hash: String::new(),
    };
    amendment.changed_fields = content.clone().apply(&amendment.patch);
    amendment.hash = amendment_hash(&amendment);
    assert_eq!(amendment.changed_fields, ["severity"]);

    v4.execute(
        "INSERT INTO device (device_id, organisation_id, officer_id, token_hash, enrolled_at)
         VALUES (?1, ?2, ?3, 'h', 0)",
        [device, org, officer],
    )
    .unwrap();
    for (id, family, version) in [
        (check_in_id, "check_in", 1),
        (report_id, "report", 3),
        (attachment_id, "attachment", 1),
    ] {
        v4.execute(
            "INSERT INTO record (id, family, organisation_id, officer_id, device_id,
                                 server_version, last_seq, received_at, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6, 0, 0)",
            rusqlite::params![id, family, org, officer, device, version],
        )
        .unwrap();
    }
    v4.execute(
        "INSERT INTO check_in (id, kind, occurred_at, body) VALUES (?1, 'panic', ?2, ?3)",
        rusqlite::params![check_in_id, at, json(&check_in)],
    )
    .unwrap();
    // Amended before version 4: no amended content kept, the amendment is replayed.
    v4.execute(
        "INSERT INTO report (id, state, content, updated_at, submitted_at, content_hash,
                             sealed_attachments, head_hash, amendments)
         VALUES (?1, 'submitted', ?2, ?3, ?3, ?4, ?5, ?6, 1)",
        rusqlite::params![
            report_id,
            json(&content),
            at,
            sealed,
            json(&vec![attachment.clone()]),
            amendment.hash
        ],
    )
    .unwrap();
    v4.execute(
        "INSERT INTO amendment (report_id, sequence, id, body, received_at)
         VALUES (?1, 1, 'm-1', ?2, 0)",
        rusqlite::params![report_id, json(&amendment)],
    )
    .unwrap();
    v4.execute(
        "INSERT INTO blob (id, organisation_id, sha256, size_bytes, received_bytes,
                           completed_at)
         VALUES (7, ?1, ?2, 3, 3, 0)",
        rusqlite::params![org, attachment.sha256],
    )
    .unwrap();
    v4.execute(
        "INSERT INTO attachment (id, report_id, blob_id, body) VALUES (?1, ?2, 7, ?3)",
        rusqlite::params![attachment_id, report_id, json(&attachment)],
    )
    .unwrap();
    v4.execute(
        "INSERT INTO review (report_id, outcome, reviewer, note, reviewed_at)
         VALUES (?1, 'accepted', 'CR-DUTY', NULL, 0)",
        [report_id],
    )
    .unwrap();
    drop(v4);

    let server = crate::Server::open(&path).unwrap();
    let check_ins = crate::admin::check_ins_of(&server, org).unwrap();
    assert_eq!(check_ins.len(), 1);
    assert_eq!(check_ins[0].check_in, check_in);
    assert_eq!(check_ins[0].provenance.device_id, device);

    let report = crate::admin::report(&server, org, report_id).unwrap();
    assert_eq!(report.state, ReportState::Submitted);
    assert_eq!(report.provenance.server_version, 3);
    assert_eq!(report.attachments, std::slice::from_ref(&attachment));
    assert_eq!(report.amendments, std::slice::from_ref(&amendment));
    assert_eq!(
        report.content,
        content.amended(std::slice::from_ref(&amendment))
    );
    assert_eq!(report.reviews.len(), 1);
    assert_eq!(
        report.integrity,
        ReportIntegrity::Intact {
            head_hash: amendment.hash.clone(),
            amendments: 1
        }
    );
    let attachments = crate::admin::attachments_of(&server, org).unwrap();
    assert_eq!(attachments.len(), 1);
    assert_eq!(attachments[0].attachment, attachment);
    assert!(attachments[0].complete);
    assert!(crate::admin::reports_of(&server, "globex")
        .unwrap()
        .is_empty());
    let broken: Vec<String> = server
        .read(|c| {
            Ok(c.prepare("PRAGMA foreign_key_check")?
                .query_map([], |r| r.get(0))?
                .collect::<rusqlite::Result<_>>()?)
        })
        .unwrap();
    assert!(broken.is_empty(), "{broken:?}");
    let v: i64 = server
        .read(|c| Ok(c.query_row("PRAGMA user_version", [], |r| r.get(0))?))
        .unwrap();
    assert_eq!(v, SCHEMA_VERSION);
}

#[test]
fn a_version_8_database_keeps_its_feed_and_takes_messages_after_it() {
    use cordon_core::protocol::Change;

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("server.db");
    let v8 = database_at(&path, 8);
    let (org, officer) = ("acme", "OFC-7");
    v8.execute(
        "INSERT INTO device (device_id, organisation_id, officer_id, token_hash, enrolled_at)
         VALUES ('d-1', ?1, ?2, 'h', 0)",
        [org, officer],
    )
    .unwrap();
    let status = cordon_core::AlarmStatus {
        alarm_id: "AL-1".into(),
        check_in_id: "c-1".into(),
        kind: cordon_core::AlarmKind::Panic,
        state: cordon_core::AlarmState::Acknowledged,
        note: Some("Police on the way".into()),
        updated_at: cordon_core::Timestamp::from_millis(1_790_000_000_000),
    };
    v8.execute(
        "INSERT INTO feed (organisation_id, officer_id, kind, subject, body, tag)
         VALUES (?1, ?2, 'alarm_status', 'c-1', ?3, 42)",
        [org, officer, &json(&status)],
    )
    .unwrap();
    drop(v8);

    let server = crate::Server::open(&path).unwrap();
    let sent = crate::messages::send(
        &server,
        &crate::messages::NewMessage {
            organisation_id: org,
            sender: "op.jones",
            officer_id: officer,
            alarm_id: None,
            body: "Stand down.",
        },
    )
    .unwrap();

    let feed = feed_rows(&server);
    assert_eq!(feed.len(), 2);
    assert_eq!(
        (feed[0].0, feed[0].1),
        (1, 42),
        "the old entry keeps its cursor and tag"
    );
    assert_eq!(
        Change::from_stored(&feed[0].2, String::new(), &feed[0].3).unwrap(),
        Change::AlarmStatus {
            cursor: String::new(),
            alarm: status
        }
    );
    assert_eq!(feed[1].0, 2, "the message comes after it");
    let Change::Message { message, .. } =
        Change::from_stored(&feed[1].2, String::new(), &feed[1].3).unwrap()
    else {
        panic!("not a message: {:?}", feed[1]);
    };
    assert_eq!(
        (message.message_id, message.body),
        (sent.id, "Stand down.".to_owned())
    );
    let v: i64 = server
        .read(|c| Ok(c.query_row("PRAGMA user_version", [], |r| r.get(0))?))
        .unwrap();
    assert_eq!(v, SCHEMA_VERSION);
}

#[test]
fn a_version_9_database_keeps_its_assignments_and_shows_them_unacknowledged() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("server.db");
    let v9 = database_at(&path, 9);
    let (org, officer) = ("acme", "OFC-7");
    let assignment = cordon_fixtures::assignment();
    assign_in_old(&v9, org, officer, &assignment);
    drop(v9);

    let server = crate::Server::open(&path).unwrap();

    let standing = crate::admin::post_orders_standing_of(&server, org).unwrap();
    assert_eq!(
        standing,
        [crate::admin::PostOrdersStanding {
            organisation_id: org.into(),
            assignment_id: assignment.id.clone(),
            title: assignment.title.clone(),
            officer_id: officer.into(),
            current_version: assignment.post_orders.version,
            acknowledged_version: None,
            acknowledged_at: None,
            received_at: None,
            current_acknowledged: false,
        }]
    );
    let v: i64 = server
        .read(|c| Ok(c.query_row("PRAGMA user_version", [], |r| r.get(0))?))
        .unwrap();
    assert_eq!(v, SCHEMA_VERSION);
}

#[test]
fn a_version_10_database_keeps_its_devices_and_can_revoke_them() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("server.db");
    let v10 = database_at(&path, 10);
    v10.execute(
        "INSERT INTO device (device_id, organisation_id, officer_id, token_hash, enrolled_at)
         VALUES ('D-1', 'acme', 'OFC-7', 'hash', 0)",
        [],
    )
    .unwrap();
    drop(v10);

    let server = crate::Server::open(&path).unwrap();

    let devices = crate::admin::devices_of(&server, "acme").unwrap();
    assert_eq!(devices.len(), 1);
    assert_eq!(devices[0].revocation, None);
    let revoked = crate::admin::revoke_device(&server, "acme", "D-1", "op", "lost").unwrap();
    assert_eq!(revoked.officer_id, "OFC-7");
    let v: i64 = server
        .read(|c| Ok(c.query_row("PRAGMA user_version", [], |r| r.get(0))?))
        .unwrap();
    assert_eq!(v, SCHEMA_VERSION);
}

#[test]
fn a_database_before_sightings_keeps_its_feed_and_sends_bolo_entries_to_every_officer_after_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("server.db");
    // The step before sightings (revocation, version 11).
    let v10 = database_at(&path, 11);
    v10.execute(
        "INSERT INTO feed (organisation_id, officer_id, kind, subject, body, tag)
         VALUES ('acme', 'OFC-7', 'message', 'm-1', '{}', 42)",
        [],
    )
    .unwrap();
    v10.execute(
        "INSERT INTO organisation_setting (organisation_id, escalate_after_secs)
         VALUES ('acme', 300)",
        [],
    )
    .unwrap();
    drop(v10);

    let server = crate::Server::open(&path).unwrap();
    let entry = crate::admin::issue_bolo(
        &server,
        "acme",
        &crate::admin::BoloInput {
            registration: Some("AB12 CDE".into()),
            description: None,
            reason: "Seen twice".into(),
            priority: cordon_core::BoloPriority::High,
        },
    )
    .unwrap();

    let feed: Vec<(i64, String, String, String)> = server
        .read(|c| {
            Ok(
                c.prepare("SELECT cursor, officer_id, kind, subject FROM feed ORDER BY cursor")?
                    .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?
                    .collect::<rusqlite::Result<_>>()?,
            )
        })
        .unwrap();
    assert_eq!(
        feed,
        [
            (1, "OFC-7".into(), "message".into(), "m-1".into()),
            (2, String::new(), "bolo".into(), entry.id.clone()),
        ]
    );
    // The escalation limit set before is kept; the repeat window is the default.
    assert_eq!(
        crate::admin::repeat_window(&server, "acme").unwrap(),
        crate::admin::DEFAULT_REPEAT_WINDOW
    );
    let escalate: i64 = server
        .read(|c| {
            Ok(c.query_row(
                "SELECT escalate_after_secs FROM organisation_setting",
                [],
                |r| r.get(0),
            )?)
        })
        .unwrap();
    assert_eq!(escalate, 300);
}

#[test]
fn the_movements_step_keeps_alarms_and_records_and_widens_only_their_lists() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("server.db");
    let before = database_at(&path, 12);
    before
        .execute_batch(
            "INSERT INTO device (device_id, organisation_id, officer_id, token_hash, enrolled_at)
             VALUES ('d-1', 'acme', 'OFC-7', 'h', 0);
             INSERT INTO record (organisation_id, id, family, officer_id, device_id,
                                 server_version, last_seq, received_at, updated_at)
             VALUES ('acme', 'c-1', 'check_in', 'OFC-7', 'd-1', 1, 1, 0, 0);
             INSERT INTO alarm (id, organisation_id, kind, officer_id, assignment_id,
                                occurred_at, raised_at)
             VALUES ('al-1', 'acme', 'overdue', 'OFC-7', 'A-1', 5, 6);
             INSERT INTO alarm_event (alarm_id, organisation_id, kind, at, actor)
             VALUES ('al-1', 'acme', 'raised', 6, 'system');",
        )
        .unwrap();
    drop(before);

    let server = crate::Server::open(&path).unwrap();

    let alarm = crate::alarms::alarm(&server, "acme", "al-1").unwrap();
    assert_eq!(
        (alarm.kind, alarm.occurred_at.as_millis(), alarm.leg),
        (cordon_core::AlarmKind::Overdue, 5, None)
    );
    server
        .write(|tx| {
            let insert_record = |id: &str, family: &str| {
                tx.execute(
                    "INSERT INTO record (organisation_id, id, family, officer_id, device_id,
                                         server_version, last_seq, received_at, updated_at)
                     VALUES ('acme', ?1, ?2, 'OFC-7', 'd-1', 1, 1, 0, 0)",
                    [id, family],
                )
            };
            assert!(insert_record("l-1", "movement_leg").is_ok());
            let refused = insert_record("x-1", "sighting").unwrap_err().to_string();
            assert!(refused.contains("CHECK"), "{refused}");
            let kind = |kind: &str| {
                tx.execute(
                    "INSERT INTO alarm (id, organisation_id, kind, officer_id, occurred_at,
                                        raised_at, movement_leg_id)
                     VALUES (?1, 'acme', ?1, 'OFC-7', 0, 0, 'l-1')",
                    [kind],
                )
            };
            assert!(kind("overdue_leg").is_ok());
            assert!(kind("fire").unwrap_err().to_string().contains("CHECK"));
            let integrity: String = tx.query_row("PRAGMA integrity_check", [], |r| r.get(0))?;
            assert_eq!(integrity, "ok");
            Ok(())
        })
        .unwrap();
    let v: i64 = server
        .read(|c| Ok(c.query_row("PRAGMA user_version", [], |r| r.get(0))?))
        .unwrap();
    assert_eq!(v, SCHEMA_VERSION);
}

#[test]
fn a_database_before_rotas_keeps_its_feed_and_takes_rotas_and_handovers_after_it() {
    use cordon_core::protocol::Change;

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("server.db");
    let before = database_at(&path, 13);
    let (org, officer) = ("acme", "OFC-7");
    let assignment = cordon_fixtures::assignment();
    assign_in_old(&before, org, officer, &assignment);
    before
        .execute(
            "INSERT INTO feed (organisation_id, officer_id, kind, subject, body, tag)
         VALUES (?1, ?2, 'assignment', ?3, ?4, 42)",
            [org, officer, &assignment.id, &json(&assignment)],
        )
        .unwrap();
    drop(before);

    let server = crate::Server::open(&path).unwrap();
    let from = server.now();
    let shift = crate::admin::set_shift(
        &server,
        &crate::admin::NewShift {
            organisation_id: org,
            assignment_id: &assignment.id,
            officer_id: officer,
            role: cordon_core::DutyRole::OnCall,
            starts_at: from,
            ends_at: from.plus(std::time::Duration::from_secs(3600)),
        },
        "admin",
    )
    .unwrap();

    let feed = feed_rows(&server);
    assert_eq!(feed.len(), 2);
    assert_eq!(
        (feed[0].0, feed[0].1),
        (1, 42),
        "the old entry keeps its cursor and tag"
    );
    let Change::Rota { rota, .. } =
        Change::from_stored(&feed[1].2, String::new(), &feed[1].3).unwrap()
    else {
        panic!("not a rota: {:?}", feed[1]);
    };
    assert_eq!((feed[1].0, rota.shifts), (2, vec![shift]));
    assert!(crate::admin::unacknowledged_handovers(&server, org)
        .unwrap()
        .is_empty());
    let v: i64 = server
        .read(|c| Ok(c.query_row("PRAGMA user_version", [], |r| r.get(0))?))
        .unwrap();
    assert_eq!(v, SCHEMA_VERSION);
}
