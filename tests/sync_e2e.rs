//! End to end, over real HTTP: a device (the core with its built-in transport) and the
//! reference server (`cordon serve`, a separate process on a loopback port).

mod support;

use std::collections::HashSet;
use std::sync::Arc;

use cordon_core::*;
use support::proxy::{Fault, FaultProxy};
use support::*;

#[test]
fn writes_made_offline_reach_the_server_once_when_the_network_returns() {
    let dir = tempfile::tempdir().unwrap();
    let server = ServerProcess::start(dir.path());
    let proxy = FaultProxy::start(&server.url, |_| Fault::Pass);
    let device = Device::enrolled(&server, &proxy.url, |_| {});
    // The basement: every connection dies.
    proxy.set_plan(|_| Fault::ResetBeforeForward);
    let mut written = Vec::new();
    for kind in [CheckInKind::Panic, CheckInKind::Duress, CheckInKind::Panic] {
        written.push(
            device
                .store
                .record_check_in(check_in(kind, None))
                .unwrap()
                .id,
        );
    }
    let report = device
        .store
        .create_report(incident("Van outside the gate."))
        .unwrap();
    device.store.submit_report(&report.id).unwrap();
    let offline = device.engine.sync_once().unwrap();
    assert!(
        matches!(offline.outcome, PassOutcome::Interrupted { .. }),
        "{offline:?}"
    );
    device.engine.set_online(false).unwrap();

    proxy.set_plan(|_| Fault::Pass);
    device.engine.set_online(true).unwrap();
    let back = device.engine.sync_once().unwrap();

    assert_eq!(back.outcome, PassOutcome::Completed);
    assert_eq!(
        back.applied, 5,
        "three alarms, the report's creation and submission"
    );
    let on_server: HashSet<String> = server.check_in_ids().into_iter().collect();
    assert_eq!(on_server, written.iter().cloned().collect());
    assert!(device.store.queued_operations().unwrap().is_empty());
}

#[test]
fn a_second_sync_sends_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let server = ServerProcess::start(dir.path());
    let proxy = FaultProxy::start(&server.url, |_| Fault::Pass);
    let device = Device::enrolled(&server, &proxy.url, |_| {});
    device
        .store
        .record_check_in(check_in(CheckInKind::Duress, None))
        .unwrap();
    device.engine.sync_once().unwrap();
    let before = proxy.log().len();

    let again = device.engine.sync_once().unwrap();

    assert_eq!((again.applied, again.duplicates), (0, 0));
    let paths: Vec<_> = proxy.log()[before..]
        .iter()
        .map(|l| l.info.path.clone())
        .collect();
    assert!(paths.iter().all(|p| p.starts_with("/v1/pull")), "{paths:?}");
    assert_eq!(server.list("receipts").len(), 1);
}

#[test]
fn assignments_from_the_office_are_pulled_and_drive_the_welfare_clock() {
    let dir = tempfile::tempdir().unwrap();
    let server = ServerProcess::start(dir.path());
    let device = Device::enrolled(&server, &server.url, |_| {});
    let now = device.store.now();
    // The sample assignment, moved to start now (the fixture's window is fixed).
    let assignment = cordon_fixtures::assignment_starting_at(now);
    let file = dir.path().join("a.json");
    std::fs::write(&file, serde_json::to_string(&assignment).unwrap()).unwrap();
    server.admin(&[
        "assignment",
        "--file",
        file.to_str().unwrap(),
        "--organisation",
        cordon_fixtures::ORGANISATION_ID,
        "--officer",
        cordon_fixtures::OFFICER_ID,
    ]);

    let report = device.engine.sync_once().unwrap();

    assert_eq!(report.assignments_received, 1);
    let got = device.store.assignment(&assignment.id).unwrap();
    assert_eq!(got.post_orders.text, assignment.post_orders.text);
    assert_eq!(got.team[0].call_sign, "ALPHA-1");
    device
        .store
        .record_check_in(check_in(CheckInKind::ClockOn, Some(&assignment.id)))
        .unwrap();
    assert!(matches!(
        device.store.welfare_status(&assignment.id).unwrap(),
        WelfareStatus::OnTime { .. }
    ));
}

#[test]
fn a_fifty_megabyte_attachment_resumes_after_the_connection_drops_and_the_hash_matches() {
    const SIZE: usize = 50 * 1024 * 1024;
    const CHUNK: usize = 1024 * 1024;
    let dir = tempfile::tempdir().unwrap();
    let server = ServerProcess::start(dir.path());
    let proxy = FaultProxy::start(&server.url, |_| Fault::Pass);
    let device = Device::enrolled(&server, &proxy.url, |c| c.chunk_bytes = CHUNK as i32);
    let report = device
        .store
        .create_report(incident("Bodycam footage of the approach."))
        .unwrap();
    let video = dir.path().join("approach.mp4");
    write_pattern(&video, SIZE);
    let a = device
        .store
        .attach_file(&report.id, &video, AttachmentKind::Video, "video/mp4")
        .unwrap();
    // Chunk 20 reaches the server but its answer is lost; chunk 35 never arrives.
    let mut chunks = 0;
    proxy.set_plan(move |r| {
        if r.method != "PUT" {
            return Fault::Pass;
        }
        chunks += 1;
        match chunks {
            20 => Fault::ResetAfterForward,
            35 => Fault::ResetBeforeForward,
            _ => Fault::Pass,
        }
    });

    let passes = device.drain(5);

    assert!(
        passes.len() >= 3,
        "two drops, at least three passes: {passes:?}"
    );
    let sent: usize = proxy
        .log()
        .iter()
        .filter(|l| l.info.method == "PUT")
        .map(|l| l.info.body_len)
        .sum();
    assert!(
        sent <= SIZE + 2 * CHUNK,
        "resumed, not restarted: sent {sent} bytes for {SIZE}"
    );
    let attachments = server.list("attachments");
    let on_server = attachments
        .iter()
        .find(|x| x["id"] == a.id.as_str())
        .expect("attachment on the server");
    assert_eq!(on_server["sha256"], a.sha256.as_str());
    assert_eq!(on_server["complete"], true);
    assert_eq!(on_server["received_bytes"], SIZE as u64);
}

#[test]
fn a_sealed_attachment_reaches_the_real_server_as_its_plaintext_resuming_mid_chunk() {
    const SIZE: usize = 3 * 1024 * 1024 + 4321;
    let dir = tempfile::tempdir().unwrap();
    let server = ServerProcess::start(dir.path());
    let proxy = FaultProxy::start(&server.url, |_| Fault::Pass);
    // A device whose store has a key: its attachment files are sealed at rest.
    let device_dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(ManualClock::new(Timestamp::from(
        std::time::SystemTime::now(),
    )));
    let store = Arc::new(
        Store::open_with_options(
            device_dir.path().join("device.db"),
            StoreOptions {
                clock: clock.clone(),
                key: Some(StoreKey::from_bytes(&[0x5a; 32]).unwrap()),
                ..StoreOptions::default()
            },
        )
        .unwrap(),
    );
    let mut config = SyncConfig::new(&proxy.url);
    config.chunk_bytes = 300_000; // not a multiple of the sealed file's 64 KiB chunks
    let engine = SyncEngine::new(
        store.clone(),
        Arc::new(cordon_core::sync::HttpTransport::new()),
        config,
    )
    .unwrap();
    let code = server.enrolment_code(
        cordon_fixtures::ORGANISATION_ID,
        cordon_fixtures::OFFICER_ID,
    );
    engine.enrol(&code).unwrap();
    let report = store
        .create_report(incident("Photo of the plate."))
        .unwrap();
    let photo = dir.path().join("plate.jpg");
    write_pattern(&photo, SIZE);
    let original = std::fs::read(&photo).unwrap();
    let a = store
        .attach_file(&report.id, &photo, AttachmentKind::Photo, "image/jpeg")
        .unwrap();
    let sealed = std::fs::read(store.attachment_path(&a.id)).unwrap();
    assert!(!sealed.windows(4096).any(|w| w == &original[..4096]));
    // The fifth chunk reaches the server but its answer is lost: the next pass resumes
    // at 1,500,000 bytes, inside a sealed chunk.
    let mut chunks = 0;
    proxy.set_plan(move |r| {
        if r.method != "PUT" {
            return Fault::Pass;
        }
        chunks += 1;
        if chunks == 5 {
            Fault::ResetAfterForward
        } else {
            Fault::Pass
        }
    });

    for _ in 0..5 {
        engine.sync_once().unwrap();
        let status = store.outbox_status().unwrap();
        if status.pending.total() + status.in_flight.total() == 0 {
            break;
        }
        clock.advance(std::time::Duration::from_secs(3600)); // past the backoff
    }

    let on_server = server
        .list("attachments")
        .into_iter()
        .find(|x| x["id"] == a.id.as_str())
        .expect("attachment on the server");
    assert_eq!(on_server["sha256"], a.sha256.as_str());
    assert_eq!(on_server["complete"], true);
    let mut blobs = std::fs::read_dir(server.office().blobs_dir())
        .unwrap()
        .map(|e| std::fs::read(e.unwrap().path()).unwrap());
    let stored = blobs.next().expect("the server's copy");
    assert!(blobs.next().is_none());
    assert!(
        stored == original,
        "the server holds other bytes than the officer's"
    );
    let sent: Vec<usize> = proxy
        .log()
        .iter()
        .filter(|l| l.info.method == "PUT")
        .map(|l| l.info.body_len)
        .collect();
    assert!(sent.len() > 5, "the dropped answer was resent: {sent:?}");
    assert!(
        sent.iter().sum::<usize>() <= SIZE + 300_000,
        "resumed, not restarted: {sent:?}"
    );
}

#[test]
fn a_duress_written_behind_a_thousand_queued_chunks_goes_in_the_first_request() {
    const CHUNK: usize = 4096;
    let dir = tempfile::tempdir().unwrap();
    let server = ServerProcess::start(dir.path());
    let proxy = FaultProxy::start(&server.url, |_| Fault::Pass);
    let device = Device::enrolled(&server, &proxy.url, |c| c.chunk_bytes = CHUNK as i32);
    proxy.set_plan(|_| Fault::ResetBeforeForward);
    let report = device
        .store
        .create_report(incident("Photos of the vehicle."))
        .unwrap();
    let photo = dir.path().join("van.jpg");
    write_pattern(&photo, 1000 * CHUNK);
    device
        .store
        .attach_file(&report.id, &photo, AttachmentKind::Photo, "image/jpeg")
        .unwrap();
    for i in 0..20 {
        // Normal-lane work queued ahead of the alarm.
        device
            .store
            .create_report(incident(&format!("Note {i}.")))
            .unwrap();
    }
    // The officer's last-ditch alarm, written after everything else.
    let failed = device.engine.sync_once().unwrap();
    assert!(matches!(failed.outcome, PassOutcome::Interrupted { .. }));
    device.engine.set_online(false).unwrap();
    let duress = device
        .store
        .record_check_in(check_in(CheckInKind::Duress, None))
        .unwrap();
    let before = proxy.log().len();

    proxy.set_plan(|_| Fault::Pass);
    device.engine.set_online(true).unwrap();
    device.drain(3);

    let after = &proxy.log()[before..];
    assert_eq!(after[0].info.path, "/v1/push");
    let first: cordon_core::protocol::PushRequest =
        serde_json::from_slice(after[0].info.body.as_deref().unwrap()).unwrap();
    let sent: Vec<_> = first
        .operations
        .iter()
        .map(|o| o.record_id.clone())
        .collect();
    assert_eq!(
        sent,
        [duress.id],
        "the first request after connectivity returns"
    );
    let chunks = after.iter().filter(|l| l.info.method == "PUT").count();
    assert_eq!(chunks, 1000);
}

#[test]
fn the_control_rooms_acknowledgement_reaches_the_phone_which_asks_often_until_then() {
    use cordon_server::alarms::{self, Actor, Outcome, Resolution};
    let dir = tempfile::tempdir().unwrap();
    let server = ServerProcess::start(dir.path());
    let device = Device::enrolled(&server, &server.url, |_| {});
    let duress = device
        .store
        .record_check_in(check_in(CheckInKind::Duress, None))
        .unwrap();
    device.engine.sync_once().unwrap();
    let raised = device.store.alarm_status(&duress.id).unwrap().unwrap();
    assert_eq!(raised.state, AlarmState::Raised, "the office holds it");
    let soon = device.store.now().plus(cordon_core::sync::ALARM_POLL);
    assert!(device.engine.next_sync_at().unwrap().unwrap() <= soon);

    // The control room, another process on the same database.
    let office = server.office();
    let operator = Actor {
        organisation_id: cordon_fixtures::ORGANISATION_ID,
        username: "op.jones",
    };
    alarms::acknowledge(
        &office,
        &operator,
        &raised.alarm_id,
        Some("Police on the way"),
    )
    .unwrap();
    device.engine.sync_once().unwrap();
    let acknowledged = device.store.alarm_status(&duress.id).unwrap().unwrap();
    assert_eq!(acknowledged.state, AlarmState::Acknowledged);
    assert_eq!(acknowledged.note.as_deref(), Some("Police on the way"));
    assert!(
        device.engine.next_sync_at().unwrap().unwrap()
            > soon.plus(std::time::Duration::from_secs(60))
    );

    let resolution = Resolution {
        outcome: Outcome::PoliceAttended,
        police_reference: Some("CAD-0457".into()),
        note: None,
    };
    alarms::resolve(&office, &operator, &raised.alarm_id, &resolution).unwrap();
    device.engine.sync_once().unwrap();
    let statuses = device.store.alarm_statuses().unwrap();
    assert_eq!(statuses.len(), 1);
    assert_eq!(statuses[0].state, AlarmState::Resolved);
    assert_eq!(statuses[0].note.as_deref(), Some("Police on the way"));
}

#[test]
fn post_orders_acknowledged_offline_reach_the_office_once_though_the_first_answer_is_lost() {
    let dir = tempfile::tempdir().unwrap();
    let server = ServerProcess::start(dir.path());
    let proxy = FaultProxy::start(&server.url, |_| Fault::Pass);
    let device = Device::enrolled(&server, &proxy.url, |_| {});
    let assignment = cordon_fixtures::assignment();
    server.assign_sample_to(&[cordon_fixtures::OFFICER_ID]);
    assert_eq!(device.engine.sync_once().unwrap().assignments_received, 1);
    // Offline: the acknowledgement is one local write.
    proxy.set_plan(|_| Fault::ResetBeforeForward);
    let version = assignment.post_orders.version;
    device
        .store
        .acknowledge_post_orders(&assignment.id, version)
        .unwrap();
    assert!(matches!(
        device.engine.sync_once().unwrap().outcome,
        PassOutcome::Interrupted { .. }
    ));
    device.engine.set_online(false).unwrap();
    // Back, but the first push's answer is lost after the server applied it.
    let lost = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let once = lost.clone();
    proxy.set_plan(move |r| {
        if r.path.starts_with("/v1/push") && !once.swap(true, std::sync::atomic::Ordering::SeqCst) {
            Fault::ResetAfterForward
        } else {
            Fault::Pass
        }
    });
    device.engine.set_online(true).unwrap();
    let interrupted = device.engine.sync_once().unwrap();
    device.engine.set_online(false).unwrap();
    device.engine.set_online(true).unwrap();
    let retried = device.engine.sync_once().unwrap();

    assert!(
        lost.load(std::sync::atomic::Ordering::SeqCst),
        "the first answer was lost"
    );
    assert!(
        matches!(interrupted.outcome, PassOutcome::Interrupted { .. }),
        "{interrupted:?}"
    );
    assert_eq!(retried.outcome, PassOutcome::Completed);
    assert_eq!((retried.applied, retried.duplicates), (0, 1));
    assert!(device.store.queued_operations().unwrap().is_empty());
    let office = server.list("post-orders");
    assert_eq!(office.len(), 1, "{office:?}");
    assert_eq!(office[0]["acknowledged_version"], version);
    assert_eq!(office[0]["current_acknowledged"], true);
    let receipts = server.list("receipts");
    let acks: Vec<_> = receipts
        .iter()
        .filter(|r| r["kind"] == "post_orders.acknowledge")
        .collect();
    assert_eq!(acks.len(), 1, "one receipt: {receipts:?}");
}

#[test]
fn a_sighting_matching_a_pulled_bolo_entry_travels_urgent_before_earlier_sightings_and_each_arrives_once(
) {
    let dir = tempfile::tempdir().unwrap();
    let server = ServerProcess::start(dir.path());
    let proxy = FaultProxy::start(&server.url, |_| Fault::Pass);
    let device = Device::enrolled(&server, &proxy.url, |_| {});
    let org = cordon_fixtures::ORGANISATION_ID;
    let issued = server.admin(&[
        "bolo",
        "add",
        "--organisation",
        org,
        "--registration",
        "AB12 CDE",
        "--reason",
        "Photographing the residence",
        "--priority",
        "high",
    ]);
    assert!(issued.contains("AB12CDE"), "{issued}");
    device.engine.sync_once().unwrap();
    assert_eq!(device.store.bolo_entries().unwrap().len(), 1);
    // Offline from here: two ordinary sightings, then the car on the BOLO list, its
    // registration typed differently.
    proxy.set_plan(|_| Fault::ResetBeforeForward);
    device.engine.set_online(false).unwrap();
    let seen = |registration: &str| {
        let mut s = cordon_fixtures::sighting();
        s.assignment_id = None;
        s.vehicle.as_mut().unwrap().registration = Some(registration.into());
        device.store.record_sighting(s).unwrap()
    };
    let first = seen("XY11 ZZZ");
    let second = seen("CD34 EFG");
    let matched = seen("ab-12-cde");
    assert!(
        matched.bolo_match.is_some(),
        "flagged at once, with no signal"
    );
    let before = proxy.log().len();

    proxy.set_plan(|_| Fault::Pass);
    device.engine.set_online(true).unwrap();
    device.drain(3);

    let pushes: Vec<Vec<String>> = proxy.log()[before..]
        .iter()
        .filter(|l| l.info.path == "/v1/push")
        .map(|l| {
            let p: cordon_core::protocol::PushRequest =
                serde_json::from_slice(l.info.body.as_deref().unwrap()).unwrap();
            p.operations.iter().map(|o| o.record_id.clone()).collect()
        })
        .collect();
    assert_eq!(
        pushes[0],
        std::slice::from_ref(&matched.id),
        "the urgent lane first, on its own"
    );
    assert_eq!(pushes[1], [first.id.clone(), second.id.clone()]);
    let office = server.admin(&["list", "sightings", "--organisation", org, "--json"]);
    let office: Vec<serde_json::Value> = serde_json::from_str(&office).unwrap();
    let ids: Vec<&str> = office.iter().map(|s| s["id"].as_str().unwrap()).collect();
    assert_eq!(ids.len(), 3, "each once: {ids:?}");
    assert_eq!(ids[0], matched.id, "the match first for the control room");
    assert_eq!(
        HashSet::<&str>::from_iter(ids),
        HashSet::from_iter([first.id.as_str(), second.id.as_str(), matched.id.as_str()])
    );
    assert_eq!(office[0]["office_match"]["registration"], "AB12CDE");
    let receipts = server.list("receipts");
    assert_eq!(
        receipts
            .iter()
            .filter(|r| r["kind"] == "sighting.record")
            .count(),
        3
    );
}

#[test]
fn movement_legs_made_offline_arrive_once_in_order_and_the_real_server_raises_the_overdue_leg() {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::time::{Duration, Instant};
    let dir = tempfile::tempdir().unwrap();
    let server = ServerProcess::start(dir.path());
    let proxy = FaultProxy::start(&server.url, |_| Fault::Pass);
    let device = Device::enrolled(&server, &proxy.url, |_| {});
    let assignment = device.assigned(&server);
    let now = device.store.now();
    let minutes = |m: i64| Timestamp::from_millis(now.as_millis() + m * 60_000);
    let event = |leg: &MovementLeg, kind| NewMovementEvent::new(leg.id.clone(), kind);
    // Offline: a leg that left an hour ago (ETA 15 minutes ago: overdue), and one that
    // leaves now, is delayed and arrives.
    proxy.set_plan(|_| Fault::ResetBeforeForward);
    let late = device
        .store
        .plan_movement_leg(cordon_fixtures::movement_leg_departing(
            &assignment.id,
            minutes(-60),
        ))
        .unwrap();
    device
        .store
        .record_movement_event(event(&late, MovementEventKind::Departed))
        .unwrap();
    let on_time = device
        .store
        .plan_movement_leg(cordon_fixtures::movement_leg_departing(&assignment.id, now))
        .unwrap();
    for (kind, new_eta) in [
        (MovementEventKind::Departed, None),
        (MovementEventKind::Delayed, Some(minutes(70))),
        (MovementEventKind::Arrived, None),
    ] {
        device
            .store
            .record_movement_event(NewMovementEvent {
                new_eta,
                ..event(&on_time, kind)
            })
            .unwrap();
    }
    assert_eq!(
        device
            .store
            .overdue_legs()
            .unwrap()
            .iter()
            .map(|l| l.leg.id.as_str())
            .collect::<Vec<_>>(),
        [late.id.as_str()],
        "the phone knows offline"
    );
    assert!(matches!(
        device.engine.sync_once().unwrap().outcome,
        PassOutcome::Interrupted { .. }
    ));
    // Back, but the first push's answer is lost after the server applied it.
    let lost = std::sync::Arc::new(AtomicBool::new(false));
    let once = lost.clone();
    proxy.set_plan(move |r| {
        if r.path.starts_with("/v1/push") && !once.swap(true, Ordering::SeqCst) {
            Fault::ResetAfterForward
        } else {
            Fault::Pass
        }
    });
    device.engine.set_online(false).unwrap();
    device.engine.set_online(true).unwrap();
    device.engine.sync_once().unwrap();
    device.engine.set_online(false).unwrap();
    device.engine.set_online(true).unwrap();
    let retried = device.engine.sync_once().unwrap();

    assert!(lost.load(Ordering::SeqCst), "the first answer was lost");
    assert_eq!(retried.outcome, PassOutcome::Completed);
    assert_eq!((retried.applied, retried.duplicates), (0, 6));
    assert!(device.store.queued_operations().unwrap().is_empty());
    let receipts = server.list("receipts");
    let movement_receipts = receipts
        .iter()
        .filter(|r| {
            r["kind"]
                .as_str()
                .is_some_and(|k| k.starts_with("movement."))
        })
        .count();
    assert_eq!(movement_receipts, 6, "one receipt each: {receipts:?}");
    let office = server.list("movements");
    let kinds = |leg: &MovementLeg| -> Vec<String> {
        let row = office
            .iter()
            .find(|r| r["state"]["leg"]["id"] == leg.id.as_str())
            .unwrap_or_else(|| panic!("{} not at the office: {office:?}", leg.id));
        row["state"]["events"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["kind"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(kinds(&on_time), ["departed", "delayed", "arrived"]);
    assert_eq!(kinds(&late), ["departed"]);

    // The real server's dead-man timer (every second) raises the overdue leg, once.
    let office = server.office();
    let deadline = Instant::now() + Duration::from_secs(15);
    let alarms = loop {
        let legs: Vec<_> =
            cordon_server::alarms::open_alarms(&office, cordon_fixtures::ORGANISATION_ID)
                .unwrap()
                .into_iter()
                .filter(|a| a.kind == AlarmKind::OverdueLeg)
                .collect();
        if !legs.is_empty() || Instant::now() > deadline {
            break legs;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(alarms.len(), 1, "{alarms:?}");
    let leg = alarms[0].leg.as_ref().unwrap();
    assert_eq!(
        (leg.leg_id.as_str(), leg.last_event),
        (late.id.as_str(), Some(MovementEventKind::Departed))
    );
    assert_eq!(
        alarms[0].occurred_at,
        device.store.overdue_legs().unwrap()[0].overdue_at,
        "the office and the phone name the same deadline"
    );
}

/// Two phones, one office: the outgoing officer writes a handover note offline; it
/// reaches the incoming officer's phone once; their acknowledgement, made offline too,
/// reaches the office once (one receipt, though acknowledged twice and synced three
/// times) and the outgoing phone learns of it.
#[test]
fn a_handover_written_offline_reaches_the_incoming_phone_once_and_its_acknowledgement_the_office_once(
) {
    let dir = tempfile::tempdir().unwrap();
    let server = ServerProcess::start(dir.path());
    let proxy = FaultProxy::start(&server.url, |_| Fault::Pass);
    let outgoing = Device::enrolled(&server, &proxy.url, |_| {});
    let incoming = Device::enrolled_as(&server, &server.url, "OFC-8", |_| {});
    let assignment = cordon_fixtures::assignment();
    server.assign_sample_to(&[cordon_fixtures::OFFICER_ID, "OFC-8"]);
    for phone in [&outgoing, &incoming] {
        assert_eq!(phone.engine.sync_once().unwrap().assignments_received, 1);
    }

    // Offline: the note is one local write.
    proxy.set_plan(|_| Fault::ResetBeforeForward);
    let note = outgoing
        .store
        .write_handover(NewHandover {
            assignment_id: assignment.id.clone(),
            to_officer_id: "OFC-8".into(),
            principal_state: "Asleep in the east suite since 23:10.".into(),
            open_issues: Some("Press at the north gate.".into()),
            equipment_and_keys: Some("Radio 3, car keys, suite key card.".into()),
            watch_for: Some("Grey Audi seen twice.".into()),
        })
        .unwrap();
    assert!(matches!(
        outgoing.engine.sync_once().unwrap().outcome,
        PassOutcome::Interrupted { .. }
    ));
    assert!(incoming.store.handovers().unwrap().is_empty());
    proxy.set_plan(|_| Fault::Pass);
    outgoing.skip_backoff();
    assert_eq!(outgoing.engine.sync_once().unwrap().applied, 1);

    incoming.engine.sync_once().unwrap();
    incoming.engine.sync_once().unwrap();
    assert_eq!(
        incoming.store.handovers().unwrap(),
        vec![note.clone()],
        "once"
    );
    assert_eq!(
        incoming.store.handovers_to_acknowledge().unwrap(),
        vec![note.clone()]
    );
    let office = server.admin(&[
        "handover",
        "list",
        "--organisation",
        cordon_fixtures::ORGANISATION_ID,
        "--unacknowledged",
        "--json",
    ]);
    let waiting: Vec<serde_json::Value> = serde_json::from_str(&office).unwrap();
    assert_eq!(waiting.len(), 1, "{office}");

    // The incoming officer acknowledges (twice: the second changes nothing), then syncs.
    incoming.engine.set_online(false).unwrap();
    let acked = incoming.store.acknowledge_handover(&note.id).unwrap();
    assert_eq!(
        incoming.store.acknowledge_handover(&note.id).unwrap(),
        acked
    );
    incoming.engine.set_online(true).unwrap();
    for _ in 0..3 {
        incoming.engine.sync_once().unwrap();
    }
    assert!(incoming.store.queued_operations().unwrap().is_empty());
    let office = server.admin(&[
        "handover",
        "list",
        "--organisation",
        cordon_fixtures::ORGANISATION_ID,
        "--unacknowledged",
        "--json",
    ]);
    assert_eq!(office.trim(), "[]");
    let receipts = server.list("receipts");
    let count = |kind: &str| receipts.iter().filter(|r| r["kind"] == kind).count();
    assert_eq!(
        (count("handover.create"), count("handover.acknowledge")),
        (1, 1),
        "{receipts:?}"
    );

    outgoing.engine.sync_once().unwrap();
    let back = outgoing.store.handover(&note.id).unwrap().unwrap();
    assert_eq!(
        back.acknowledged_at, acked.acknowledged_at,
        "the outgoing phone knows"
    );
}

/// The office calls the on-call officer in; the next pull brings it and the phone says
/// "called in" until the officer has seen it, then stands them down.
#[test]
fn an_on_call_officer_called_in_by_the_office_sees_it_after_the_next_sync() {
    let dir = tempfile::tempdir().unwrap();
    let server = ServerProcess::start(dir.path());
    let device = Device::enrolled(&server, &server.url, |_| {});
    let assignment = device.assigned(&server);
    let from = device.store.now().to_rfc3339();
    let until = device
        .store
        .now()
        .plus(std::time::Duration::from_secs(8 * 3600))
        .to_rfc3339();
    let org = cordon_fixtures::ORGANISATION_ID;
    let shift = server
        .admin(&[
            "rota",
            "set",
            "--organisation",
            org,
            "--assignment",
            &assignment.id,
            "--officer",
            cordon_fixtures::OFFICER_ID,
            "--role",
            "on_call",
            "--from",
            &from,
            "--until",
            &until,
        ])
        .trim()
        .to_owned();
    device.engine.sync_once().unwrap();
    assert_eq!(device.store.my_duty().unwrap().state, DutyState::OnCall);

    server.admin(&["rota", "call-in", "--organisation", org, "--shift", &shift]);
    device.engine.sync_once().unwrap();
    let duty = device.store.my_duty().unwrap();
    assert_eq!(duty.state, DutyState::CalledIn);
    assert_eq!(duty.shift.unwrap().called_in_by.as_deref(), Some("admin"));
    let unseen = device.store.unseen_call_ins().unwrap();
    assert_eq!(unseen.len(), 1);
    device.store.mark_call_in_seen(&shift).unwrap();
    assert!(device.store.unseen_call_ins().unwrap().is_empty());

    server.admin(&[
        "rota",
        "stand-down",
        "--organisation",
        org,
        "--shift",
        &shift,
    ]);
    device.engine.sync_once().unwrap();
    assert_eq!(device.store.my_duty().unwrap().state, DutyState::OffDuty);
    let rota: Vec<serde_json::Value> =
        serde_json::from_str(&server.admin(&["rota", "list", "--organisation", org, "--json"]))
            .unwrap();
    assert_eq!(rota[0]["stood_down_by"], "admin");
}

#[test]
fn an_encrypted_store_syncs_to_the_real_server_exactly_like_a_plain_one() {
    let dir = tempfile::tempdir().unwrap();
    let server = ServerProcess::start(dir.path());
    let key = StoreKey::from_bytes(&[0x42; 32]).unwrap();
    let encrypted = Device::enrolled_with_key(
        &server,
        &server.url,
        cordon_fixtures::OFFICER_ID,
        Some(key),
        |_| {},
    );
    let plain = Device::enrolled(&server, &server.url, |_| {});
    assert!(encrypted.store.is_encrypted() && !plain.store.is_encrypted());

    let mut summaries = Vec::new();
    let mut written = HashSet::new();
    for device in [&encrypted, &plain] {
        for kind in [CheckInKind::Duress, CheckInKind::Panic] {
            let mut c = check_in(kind, None);
            c.note = Some("CODENAME-HARRIER at the east gate".into());
            written.insert(device.store.record_check_in(c).unwrap().id);
        }
        let report = device
            .store
            .create_report(incident("Van outside the gate."))
            .unwrap();
        device.store.submit_report(&report.id).unwrap();
        let summary = device.engine.sync_once().unwrap();
        summaries.push((summary.outcome, summary.applied, summary.duplicates));
        assert!(device.store.queued_operations().unwrap().is_empty());
    }

    assert_eq!(summaries[0], summaries[1]);
    assert_eq!(summaries[0], (PassOutcome::Completed, 4, 0));
    let on_server: HashSet<String> = server.check_in_ids().into_iter().collect();
    assert_eq!(on_server, written);
    // The encrypted device's file (and log) never held the note in clear text.
    let db = encrypted.dir.path().join("device.db");
    for file in [db.clone(), db.with_file_name("device.db-wal")] {
        let bytes = std::fs::read(&file).unwrap_or_default();
        assert!(
            !bytes.windows(16).any(|w| w == b"CODENAME-HARRIER"),
            "{file:?}"
        );
    }
}
