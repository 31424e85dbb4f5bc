//! Sightings and the BOLO list, over real HTTP: the office issues, changes and withdraws
//! BOLO entries, which reach every officer of the organisation through the feed (an
//! officer enrolled later too); a sighting is applied once, its match recomputed by the
//! office against its own list (the device's kept beside it, not trusted in its place);
//! photos upload as attachments and the office reads them; repeat sightings across
//! officers and places within the organisation's window; one organisation's view.

use std::time::Duration;

use cordon_core::*;
use cordon_server::admin::{self, BoloInput, ReceivedSighting};
use serde_json::Value;

use crate::harness::*;

fn input(registration: &str, priority: BoloPriority) -> BoloInput {
    BoloInput {
        registration: Some(registration.into()),
        description: Some("Grey Ford Transit, two men".into()),
        reason: "Photographing the residence on Tuesday".into(),
        priority,
    }
}

/// The sample sighting (fixtures/sighting.json) of `registration` at `place`, on no
/// assignment (the server's device holds none).
fn seen(registration: &str, place: &str) -> NewSighting {
    let mut s = cordon_fixtures::sighting();
    s.assignment_id = None;
    s.place = place.into();
    s.vehicle.as_mut().unwrap().registration = Some(registration.into());
    s
}

/// Every BOLO entry in the device's feed, applied to its store as the engine would.
fn pull_bolo(srv: &TestServer, device: &Device) -> Vec<BoloEntry> {
    let reply = srv.get("/v1/pull", device.token());
    assert_eq!(reply.status, 200, "{:?}", reply.body);
    let entries: Vec<BoloEntry> = reply.body["changes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["kind"] == "bolo")
        .map(|c| serde_json::from_value(c["entry"].clone()).unwrap())
        .collect();
    for e in &entries {
        device.store.upsert_bolo_entry(e).unwrap();
    }
    entries
}

#[test]
fn a_bolo_entry_reaches_every_officer_of_the_organisation_and_no_other() {
    let srv = TestServer::start();
    let first = srv.device(ORG, OFFICER);
    let entry =
        admin::issue_bolo(&srv.server, ORG, &input("ab12 cde", BoloPriority::High)).unwrap();
    assert_eq!(entry.registration.as_deref(), Some("AB12CDE"));
    // Enrolled after the entry was issued, and another organisation's officer.
    let later = srv.device(ORG, "OFC-9");
    let other = srv.device("globex", OFFICER);

    assert_eq!(pull_bolo(&srv, &first), std::slice::from_ref(&entry));
    assert_eq!(pull_bolo(&srv, &later), [entry]);
    assert_eq!(pull_bolo(&srv, &other), []);
}

#[test]
fn a_withdrawn_entry_supersedes_the_older_version_in_the_feed_and_stops_matching() {
    let srv = TestServer::start();
    let device = srv.device(ORG, OFFICER);
    let entry = admin::issue_bolo(&srv.server, ORG, &input("AB12CDE", BoloPriority::High)).unwrap();
    let changed = admin::update_bolo(
        &srv.server,
        ORG,
        &entry.id,
        &input("AB12CDE", BoloPriority::Low),
    )
    .unwrap();
    assert_eq!((changed.version, changed.priority), (2, BoloPriority::Low));
    let withdrawn = admin::withdraw_bolo(&srv.server, ORG, &entry.id).unwrap();

    assert_eq!(pull_bolo(&srv, &device), std::slice::from_ref(&withdrawn));
    assert!(withdrawn.withdrawn);
    assert_eq!(device.store.bolo_entries().unwrap(), []);
    assert_eq!(admin::bolo_list(&srv.server, ORG, false).unwrap(), []);
    assert_eq!(
        admin::bolo_list(&srv.server, ORG, true).unwrap(),
        [withdrawn]
    );
    let s = device
        .store
        .record_sighting(seen("AB12CDE", "East gate"))
        .unwrap();
    assert_eq!(s.bolo_match, None);
    let (reply, _) = device.sync(&srv);
    assert_eq!(reply.statuses(), ["applied"]);
    assert_eq!(
        admin::sightings_of(&srv.server, ORG).unwrap()[0].office_match,
        None
    );
}

#[test]
fn bad_bolo_input_is_refused_naming_the_field_and_nothing_is_sent() {
    let srv = TestServer::start();
    let device = srv.device(ORG, OFFICER);
    let cases = [
        (input(" - ", BoloPriority::High), "registration"),
        (
            BoloInput {
                registration: None,
                description: None,
                ..input("X", BoloPriority::High)
            },
            "registration",
        ),
        (
            BoloInput {
                reason: " ".into(),
                ..input("AB12CDE", BoloPriority::High)
            },
            "reason",
        ),
    ];
    for (bad, field) in cases {
        match admin::issue_bolo(&srv.server, ORG, &bad) {
            Err(cordon_server::Error::InvalidInput { field: f, .. }) => assert_eq!(f, field),
            other => panic!("expected InvalidInput on {field}, got {other:?}"),
        }
    }
    assert!(matches!(
        admin::withdraw_bolo(&srv.server, ORG, "B-404"),
        Err(cordon_server::Error::NotFound { .. })
    ));
    assert_eq!(pull_bolo(&srv, &device), []);
}

#[test]
fn a_sighting_is_applied_once_with_the_device_match_and_the_office_match_both_kept() {
    let srv = TestServer::start();
    let device = srv.device(ORG, OFFICER);
    let entry = admin::issue_bolo(&srv.server, ORG, &input("AB12CDE", BoloPriority::High)).unwrap();
    pull_bolo(&srv, &device);
    let s = device
        .store
        .record_sighting(seen("ab-12 cde", "East gate"))
        .unwrap();
    let sent = device.take();
    assert_eq!(sent[0].lane, Lane::Urgent);

    let reply = device.push(&srv, sent.iter().map(wire).collect());
    let replay = device.push(&srv, sent.iter().map(wire).collect());

    assert_eq!(reply.statuses(), ["applied"]);
    assert_eq!(replay.statuses(), ["duplicate"]);
    let got = admin::sightings_of(&srv.server, ORG).unwrap();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].sighting, s);
    assert_eq!(got[0].officer_id, OFFICER);
    assert_eq!(
        got[0].sighting.bolo_match.as_ref().unwrap().bolo_id,
        entry.id
    );
    assert_eq!(got[0].office_match.as_ref().unwrap().bolo_id, entry.id);
}

#[test]
fn the_office_matches_a_sighting_the_device_could_not_and_does_not_trust_a_claimed_match() {
    let srv = TestServer::start();
    let device = srv.device(ORG, OFFICER);
    // Written offline before the entry was pulled: no match on the device.
    let unmatched = device
        .store
        .record_sighting(seen("AB12CDE", "East gate"))
        .unwrap();
    let entry = admin::issue_bolo(&srv.server, ORG, &input("AB12CDE", BoloPriority::High)).unwrap();
    let (reply, _) = device.sync(&srv);
    assert_eq!(reply.statuses(), ["applied"]);

    // A device claiming a match the office's list does not hold.
    let mut claimed = device
        .store
        .record_sighting(seen("ZZ99ZZZ", "West gate"))
        .unwrap();
    let mut op = wire(&device.take()[0]);
    claimed.bolo_match = Some(BoloMatch {
        bolo_id: "B-forged".into(),
        version: 1,
        registration: "ZZ99ZZZ".into(),
        reason: "none".into(),
        priority: BoloPriority::High,
    });
    op["payload"] = serde_json::to_value(&claimed).unwrap();
    assert_eq!(device.push(&srv, vec![op]).statuses(), ["applied"]);

    let got = admin::sightings_of(&srv.server, ORG).unwrap();
    let by_id = |id: &str| got.iter().find(|g| g.sighting.id == id).unwrap();
    let first = by_id(&unmatched.id);
    assert_eq!(first.sighting.bolo_match, None);
    assert_eq!(first.office_match.as_ref().unwrap().bolo_id, entry.id);
    let forged = by_id(&claimed.id);
    assert_eq!(
        forged.sighting.bolo_match.as_ref().unwrap().bolo_id,
        "B-forged"
    );
    assert_eq!(forged.office_match, None);
    // Both are matched (by one side or the other), so both come before the rest.
    assert!(got.iter().all(ReceivedSighting::matched));
}

#[test]
fn matched_sightings_are_listed_before_the_rest() {
    let srv = TestServer::start();
    let device = srv.device(ORG, OFFICER);
    admin::issue_bolo(&srv.server, ORG, &input("AB12CDE", BoloPriority::High)).unwrap();
    let plain_before = device
        .store
        .record_sighting(seen("XX11XXX", "Mews"))
        .unwrap();
    device.sync(&srv);
    let matched = device
        .store
        .record_sighting(seen("AB12CDE", "Mews"))
        .unwrap();
    device.sync(&srv);
    let plain_after = device
        .store
        .record_sighting(seen("YY22YYY", "Mews"))
        .unwrap();
    device.sync(&srv);

    let ids: Vec<String> = admin::sightings_of(&srv.server, ORG)
        .unwrap()
        .into_iter()
        .map(|s| s.sighting.id)
        .collect();
    assert_eq!(ids, [matched.id, plain_after.id, plain_before.id]);
}

#[test]
fn a_sighting_refused_by_the_rules_is_rejected_naming_the_field() {
    let srv = TestServer::start();
    let device = srv.device(ORG, OFFICER);
    device
        .store
        .record_sighting(seen("AB12CDE", "East gate"))
        .unwrap();
    let mut op = wire(&device.take()[0]);
    op["payload"]["vehicle"]["registration"] = Value::from("ab12 cde");
    let reply = device.push(&srv, vec![op.clone()]);
    assert_eq!(reply.statuses(), ["rejected"]);
    assert!(
        reply.reason(0).contains("registration"),
        "{}",
        reply.reason(0)
    );

    op["payload"]["vehicle"]["registration"] = Value::from("AB12CDE");
    op["payload"]["place"] = Value::from("  ");
    op["id"] = Value::from(uuid::Uuid::now_v7().to_string());
    let reply = device.push(&srv, vec![op]);
    assert_eq!(reply.statuses(), ["rejected"]);
    assert!(reply.reason(0).contains("place"), "{}", reply.reason(0));
    assert_eq!(admin::sightings_of(&srv.server, ORG).unwrap(), []);
}

#[test]
fn another_device_cannot_take_a_sighting_id_and_another_organisation_sees_nothing() {
    let srv = TestServer::start();
    let device = srv.device(ORG, OFFICER);
    let thief = srv.device(ORG, "OFC-9");
    device
        .store
        .record_sighting(seen("AB12CDE", "East gate"))
        .unwrap();
    let sent = device.take();
    assert_eq!(
        device
            .push(&srv, sent.iter().map(wire).collect())
            .statuses(),
        ["applied"]
    );

    let mut stolen = wire(&sent[0]);
    stolen["id"] = Value::from(uuid::Uuid::now_v7().to_string());
    let reply = thief.push(&srv, vec![stolen]);

    assert_eq!(reply.statuses(), ["rejected"]);
    assert_eq!(
        admin::sightings_of(&srv.server, ORG).unwrap()[0].device_id,
        device.device_id
    );
    assert_eq!(admin::sightings_of(&srv.server, "globex").unwrap(), []);
}

#[test]
fn a_sighting_photo_uploads_as_an_attachment_and_the_office_reads_it() {
    let srv = TestServer::start();
    let device = srv.device(ORG, OFFICER);
    let path = tempfile::NamedTempFile::new().unwrap();
    let bytes = b"\xff\xd8\xff a grey van at the gate".to_vec();
    std::fs::write(path.path(), &bytes).unwrap();
    let mut new = seen("AB12CDE", "East gate");
    new.photos = vec![NewSightingPhoto {
        path: path.path().to_string_lossy().into_owned(),
        mime_type: "image/jpeg".into(),
    }];
    let s = device.store.record_sighting(new).unwrap();
    let photo = s.photos[0].clone();
    assert_eq!(photo.sha256, sha256(&bytes));

    let (reply, uploads) = device.sync(&srv);
    assert_eq!(reply.statuses(), ["applied"]);
    assert_eq!(uploads.len(), 1);
    assert!(matches!(
        admin::sighting_photo_file(&srv.server, ORG, &photo.id),
        Err(cordon_server::Error::Conflict(_))
    ));
    let half = bytes.len() / 2;
    let put = |offset: usize, chunk: &[u8]| {
        srv.put(
            &format!("/v1/attachments/{}?offset={offset}", photo.sha256),
            device.token(),
            chunk.to_vec(),
        )
    };
    assert_eq!(put(0, &bytes[..half]).status, 200);
    let progress = admin::sighting_photos(&srv.server, ORG, &s.id).unwrap();
    assert_eq!(
        (progress[0].received_bytes, progress[0].complete),
        (half as u64, false)
    );
    assert_eq!(put(half, &bytes[half..]).status, 200);

    let received = admin::sighting_photos(&srv.server, ORG, &s.id).unwrap();
    assert_eq!(received.len(), 1);
    assert_eq!(received[0].photo, photo);
    assert!(received[0].complete);
    let file = admin::sighting_photo_file(&srv.server, ORG, &photo.id).unwrap();
    assert_eq!(std::fs::read(file).unwrap(), bytes);
    assert!(matches!(
        admin::sighting_photo_file(&srv.server, "globex", &photo.id),
        Err(cordon_server::Error::NotFound { .. })
    ));
}

#[test]
fn repeat_sightings_are_the_same_registration_by_other_officers_or_places_within_the_window() {
    let clock = std::sync::Arc::new(ManualClock::new(Timestamp::from_millis(1_795_000_000_000)));
    let srv = TestServer::with_clock(clock.clone());
    let alpha = srv.device_on_clock(ORG, OFFICER, clock.clone());
    let bravo = srv.device_on_clock(ORG, "OFC-9", clock.clone());
    let write = |d: &Device, reg: &str, place: &str| {
        let s = d.store.record_sighting(seen(reg, place)).unwrap();
        d.sync(&srv);
        s
    };
    // The same car, typed differently, by two officers an hour apart.
    let a1 = write(&alpha, "AB12 CDE", "East gate");
    clock.advance(Duration::from_secs(3600));
    let b1 = write(&bravo, "ab12cde", "East gate");
    // Another car seen twice by one officer at one place: not a repeat.
    write(&alpha, "CD34EFG", "Mews");
    write(&alpha, "CD34EFG", "mews ");
    // A third car: one officer, two places, but two days apart.
    write(&alpha, "EF56GHI", "Mews");
    clock.advance(Duration::from_secs(48 * 3600));
    write(&alpha, "EF56GHI", "East gate");

    let repeats = admin::repeat_sightings(&srv.server, ORG, None).unwrap();
    assert_eq!(repeats.len(), 1);
    assert_eq!(repeats[0].registration, "AB12CDE");
    assert_eq!(
        repeats[0]
            .sightings
            .iter()
            .map(|s| s.sighting.id.clone())
            .collect::<Vec<_>>(),
        [a1.id, b1.id]
    );
    assert_eq!(repeats[0].officers, [OFFICER, "OFC-9"]);

    // The organisation widens its window to three days: the third car is a repeat too.
    admin::set_repeat_window(&srv.server, ORG, Duration::from_secs(72 * 3600)).unwrap();
    let regs: Vec<String> = admin::repeat_sightings(&srv.server, ORG, None)
        .unwrap()
        .into_iter()
        .map(|r| r.registration)
        .collect();
    assert_eq!(regs, ["EF56GHI", "AB12CDE"]);
    assert!(admin::set_repeat_window(&srv.server, ORG, Duration::from_secs(1)).is_err());
    assert_eq!(
        admin::repeat_window(&srv.server, ORG).unwrap(),
        Duration::from_secs(72 * 3600)
    );
    assert_eq!(
        admin::repeat_window(&srv.server, "globex").unwrap(),
        admin::DEFAULT_REPEAT_WINDOW
    );
    assert_eq!(
        admin::repeat_sightings(&srv.server, "globex", None).unwrap(),
        []
    );
}

#[test]
fn the_console_issues_and_withdraws_bolo_entries_audited_and_shows_matches_first() {
    use cordon_server::operators::{self, Role};
    let srv = TestServer::start();
    crate::console::add(&srv, ORG, "op.jones", Role::Operator);
    crate::console::add(&srv, "globex", "op.smith", Role::Operator);
    let device = srv.device(ORG, OFFICER);
    let console = crate::console::sign_in(&srv, ORG, "op.jones");

    let issued = console.post(
        "/bolo",
        &serde_json::json!({"registration": "ab12 cde", "description": "<b>Grey van</b>",
                            "reason": "Seen twice", "priority": "high"}),
    );
    assert_eq!(issued.status, 200, "{}", issued.text);
    let id = issued.json()["entry"]["id"].as_str().unwrap().to_owned();
    let no_csrf = console.post_with(
        "/bolo",
        None,
        &serde_json::json!({"registration": "X1", "reason": "r", "priority": "low"}),
    );
    assert_eq!(no_csrf.status, 403);
    let bad = console.post(
        "/bolo",
        &serde_json::json!({"registration": " - ", "reason": "r", "priority": "low"}),
    );
    assert_eq!(bad.status, 400, "{}", bad.text);

    pull_bolo(&srv, &device);
    device
        .store
        .record_sighting(seen("XY11ZZZ", "Mews"))
        .unwrap();
    device.sync(&srv);
    let matched = device
        .store
        .record_sighting(seen("AB12CDE", "East gate"))
        .unwrap();
    device.sync(&srv);

    let page = console.get("/sightings").json();
    assert_eq!(page["bolo"][0]["registration"], "AB12CDE");
    assert_eq!(page["sightings"][0]["id"], matched.id.as_str());
    assert_eq!(page["sightings"][0]["office_match"]["bolo_id"], id.as_str());
    assert_eq!(page["repeat_window_secs"], 24 * 3600);
    let theirs = crate::console::sign_in(&srv, "globex", "op.smith").get("/sightings");
    assert_eq!(theirs.json()["sightings"], serde_json::json!([]));
    assert_eq!(theirs.json()["bolo"], serde_json::json!([]));
    let stranger = crate::console::sign_in(&srv, "globex", "op.smith")
        .post(&format!("/bolo/{id}/withdraw"), &serde_json::json!({}));
    assert_eq!(stranger.status, 404);

    let withdrawn = console.post(&format!("/bolo/{id}/withdraw"), &serde_json::json!({}));
    assert_eq!(withdrawn.status, 200, "{}", withdrawn.text);
    assert_eq!(
        console.get("/sightings").json()["bolo"],
        serde_json::json!([])
    );
    let audit: Vec<(String, String)> = operators::audit_log(&srv.server, ORG, 20)
        .unwrap()
        .into_iter()
        .filter(|a| a.action.starts_with("bolo."))
        .map(|a| (a.action, a.outcome))
        .collect();
    assert!(
        audit.contains(&("bolo.issue".into(), "ok".into())),
        "{audit:?}"
    );
    assert!(
        audit.contains(&("bolo.withdraw".into(), "ok".into())),
        "{audit:?}"
    );
    assert!(
        audit.iter().any(|(a, o)| a == "bolo.issue" && o != "ok"),
        "the refusal is audited: {audit:?}"
    );
}

#[test]
fn the_urgent_lane_with_a_bolo_sighting_before_a_duress_is_never_rate_limited() {
    use cordon_server::RateLimits;
    let clock = std::sync::Arc::new(ManualClock::new(Timestamp::from_millis(1_795_000_000_000)));
    let srv = TestServer::with_clock(clock.clone());
    srv.server.set_rate_limits(RateLimits {
        push: Some(cordon_server::Rate {
            burst: 1,
            per: Duration::from_secs(60),
        }),
        ..RateLimits::NONE
    });
    let device = srv.device_on_clock(ORG, OFFICER, clock.clone());
    let entry = admin::issue_bolo(&srv.server, ORG, &input("AB12CDE", BoloPriority::High)).unwrap();
    device.store.upsert_bolo_entry(&entry).unwrap();
    assert_eq!(device.push(&srv, vec![]).status, 200);
    assert_eq!(device.push(&srv, vec![]).status, 429, "over the limit");

    // Offline: the sighting of the BOLO car, then a duress; both in the urgent lane.
    device
        .store
        .record_sighting(seen("AB12CDE", "East gate"))
        .unwrap();
    device
        .store
        .record_check_in(alarm(CheckInKind::Duress))
        .unwrap();
    let (reply, _) = device.sync(&srv);

    assert_eq!(reply.status, 200);
    assert_eq!(reply.statuses(), ["applied", "applied"]);
    assert_eq!(
        cordon_server::alarms::open_alarms(&srv.server, ORG)
            .unwrap()
            .len(),
        1
    );
    // An ordinary sighting over the limit is still refused.
    device
        .store
        .record_sighting(seen("XY11ZZZ", "Mews"))
        .unwrap();
    let ops: Vec<_> = device.take().iter().map(wire).collect();
    assert_eq!(device.push(&srv, ops).status, 429);
}
