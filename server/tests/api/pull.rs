//! Pull: the officer's feed of assignments and review outcomes, paged by cursor.

use cordon_core::{Assignment, AssignmentStatus, OfficerRole, ReportReview, ReviewOutcome};
use cordon_server::{admin, Error};

use crate::harness::*;

fn assignments(reply: &Reply) -> Vec<Assignment> {
    reply.body["changes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["kind"] == "assignment")
        .map(|c| serde_json::from_value(c["assignment"].clone()).unwrap())
        .collect()
}

#[test]
fn an_empty_feed_has_no_changes_and_nothing_more() {
    let srv = TestServer::start();
    let device = srv.device(ORG, OFFICER);
    let reply = srv.get("/v1/pull", device.token());
    assert_eq!(reply.status, 200);
    assert_eq!(reply.body["changes"].as_array().unwrap().len(), 0);
    assert_eq!(reply.body["has_more"], false);
}

#[test]
fn the_feed_pages_by_cursor_with_has_more_until_it_is_drained() {
    let srv = TestServer::start();
    let device = srv.device(ORG, OFFICER);
    for i in 1..=5 {
        srv.assign(ORG, OFFICER, &format!("A-{i}"));
    }
    let mut seen = Vec::new();
    let mut more = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("/v1/pull?cursor={c}&limit=2"),
            None => "/v1/pull?limit=2".to_owned(),
        };
        let reply = srv.get(&path, device.token());
        assert_eq!(reply.status, 200);
        seen.extend(assignments(&reply).into_iter().map(|a| a.id));
        more.push(reply.body["has_more"].as_bool().unwrap());
        cursor = reply.body["next_cursor"].as_str().map(str::to_owned);
        if more.last() == Some(&false) {
            break;
        }
    }
    assert_eq!(seen, ["A-1", "A-2", "A-3", "A-4", "A-5"]);
    assert_eq!(more, [true, true, false]);
    let after = srv.get(
        &format!("/v1/pull?cursor={}", cursor.clone().unwrap()),
        device.token(),
    );
    assert!(assignments(&after).is_empty());
    assert_eq!(after.body["next_cursor"].as_str(), cursor.as_deref());
}

#[test]
fn a_limit_outside_one_to_five_hundred_is_brought_within_it() {
    let srv = TestServer::start();
    let device = srv.device(ORG, OFFICER);
    for i in 1..=3 {
        srv.assign(ORG, OFFICER, &format!("A-{i}"));
    }
    for (limit, expected) in [("-5", 1), ("0", 1), ("2", 2), ("100000", 3)] {
        let reply = srv.get(&format!("/v1/pull?limit={limit}"), device.token());
        assert_eq!(reply.status, 200, "limit={limit}: {}", reply.body);
        assert_eq!(assignments(&reply).len(), expected, "limit={limit}");
    }
    let reply = srv.get("/v1/pull?limit=many", device.token());
    assert_eq!((reply.status, reply.code()), (400, "bad_request"));
}

#[test]
fn an_updated_assignment_arrives_at_a_higher_version_and_the_device_keeps_it() {
    let srv = TestServer::start();
    let device = srv.device(ORG, OFFICER);
    let first = srv.assign(ORG, OFFICER, "A-1");
    let reply = srv.get("/v1/pull", device.token());
    let cursor = reply.body["next_cursor"].as_str().unwrap().to_owned();
    assert!(device
        .store
        .upsert_assignment(&assignments(&reply)[0])
        .unwrap());

    let mut stood_down = first.clone();
    stood_down.status = AssignmentStatus::StoodDown;
    let second = admin::upsert_assignment(&srv.server, ORG, &[], stood_down).unwrap();
    assert_eq!((first.server_version, second.server_version), (1, 2));

    let update = srv.get(&format!("/v1/pull?cursor={cursor}"), device.token());
    let pulled = assignments(&update);
    assert_eq!(pulled.len(), 1);
    assert_eq!(pulled[0].server_version, 2);
    assert!(device.store.upsert_assignment(&pulled[0]).unwrap());
    assert_eq!(
        device.store.assignment("A-1").unwrap().status,
        AssignmentStatus::StoodDown
    );
    // A device starting afresh sees only the newest version.
    let fresh = assignments(&srv.get("/v1/pull", device.token()));
    assert_eq!(
        fresh.iter().map(|a| a.server_version).collect::<Vec<_>>(),
        [2]
    );
}

#[test]
fn each_officer_gets_the_assignment_in_their_own_role() {
    let srv = TestServer::start();
    let leader = srv.device(ORG, "OFC-1");
    let driver = srv.device(ORG, "OFC-2");
    let mut a = assignment("A-1");
    a.role = OfficerRole::TeamLeader;
    admin::upsert_assignment(&srv.server, ORG, &["OFC-1".into()], a.clone()).unwrap();
    a.role = OfficerRole::Driver;
    admin::upsert_assignment(&srv.server, ORG, &["OFC-2".into()], a).unwrap();
    let roles = |d: &Device| {
        assignments(&srv.get("/v1/pull", d.token()))
            .iter()
            .map(|a| (a.role, a.server_version))
            .collect::<Vec<_>>()
    };
    assert_eq!(roles(&leader), [(OfficerRole::TeamLeader, 2)]);
    assert_eq!(roles(&driver), [(OfficerRole::Driver, 2)]);
}

#[test]
fn an_officer_of_another_organisation_with_the_same_id_sees_nothing() {
    let srv = TestServer::start();
    srv.assign(ORG, OFFICER, "A-1");
    let namesake = srv.device("globex", OFFICER);
    let reply = srv.get("/v1/pull", namesake.token());
    assert!(assignments(&reply).is_empty());
}

#[test]
fn a_review_outcome_reaches_the_officer_who_submitted_the_report() {
    let srv = TestServer::start();
    let device = srv.device(ORG, OFFICER);
    let colleague = srv.device(ORG, "OFC-8");
    let report = device
        .store
        .create_report(content("Grey van, 40 minutes."))
        .unwrap();
    device.store.submit_report(&report.id).unwrap();
    device.sync(&srv);

    admin::record_review(
        &srv.server,
        ORG,
        &report.id,
        ReviewOutcome::Returned,
        "CR-DUTY",
        Some("Add the registration."),
    )
    .unwrap();

    let reply = srv.get("/v1/pull", device.token());
    let change = &reply.body["changes"][0];
    assert_eq!(change["kind"], "report_review");
    let review: ReportReview = serde_json::from_value(change["review"].clone()).unwrap();
    assert_eq!(review.report_id, report.id);
    assert_eq!(review.outcome, ReviewOutcome::Returned);
    assert_eq!(review.note.as_deref(), Some("Add the registration."));
    let others = srv.get("/v1/pull", colleague.token());
    assert!(others.body["changes"].as_array().unwrap().is_empty());
    assert_eq!(
        admin::report(&srv.server, ORG, &report.id).unwrap().reviews,
        [review]
    );
}

#[test]
fn a_draft_cannot_be_reviewed() {
    let srv = TestServer::start();
    let device = srv.device(ORG, OFFICER);
    let report = device.store.create_report(content("")).unwrap();
    device.sync(&srv);
    let err = admin::record_review(
        &srv.server,
        ORG,
        &report.id,
        ReviewOutcome::Accepted,
        "CR",
        None,
    )
    .unwrap_err();
    assert!(matches!(err, Error::Conflict(_)), "{err:?}");
}

fn pull(srv: &TestServer, device: &Device, cursor: Option<&str>) -> Reply {
    let path = match cursor {
        Some(c) => format!("/v1/pull?cursor={c}"),
        None => "/v1/pull".to_owned(),
    };
    let reply = srv.get(&path, device.token());
    assert_eq!(reply.status, 200, "{}", reply.body);
    reply
}

fn ids(reply: &Reply) -> Vec<String> {
    assignments(reply).into_iter().map(|a| a.id).collect()
}

#[test]
fn a_cursor_the_feed_did_not_issue_starts_the_feed_over() {
    let srv = TestServer::start();
    let device = srv.device(ORG, OFFICER);
    srv.assign(ORG, OFFICER, "A-1");
    srv.assign(ORG, OFFICER, "A-2");
    let issued = pull(&srv, &device, None).body["next_cursor"]
        .as_str()
        .unwrap()
        .to_owned();
    let (position, tag) = issued.split_once('.').unwrap();
    let wrong_tag = format!(
        "{position}.{:016x}",
        u64::from_str_radix(tag, 16).unwrap() ^ 1
    );
    for cursor in [
        "yesterday",
        "999999",
        "1",
        "999999.0000000000000000",
        &wrong_tag,
    ] {
        let reply = pull(&srv, &device, Some(cursor));
        assert_eq!(reply.body["restarted"], true, "cursor {cursor}");
        assert_eq!(ids(&reply), ["A-1", "A-2"], "cursor {cursor}");
        assert_eq!(reply.body["next_cursor"].as_str(), Some(issued.as_str()));
    }
    let again = pull(&srv, &device, Some(&issued));
    assert_eq!(again.body["restarted"], false);
    assert!(ids(&again).is_empty());
}

#[test]
fn a_cursor_issued_to_another_officer_starts_the_feed_over() {
    let srv = TestServer::start();
    let device = srv.device(ORG, OFFICER);
    let colleague = srv.device(ORG, "OFC-8");
    srv.assign(ORG, "OFC-8", "A-8");
    srv.assign(ORG, OFFICER, "A-1");
    let theirs = pull(&srv, &colleague, None).body["next_cursor"]
        .as_str()
        .unwrap()
        .to_owned();
    let reply = pull(&srv, &device, Some(&theirs));
    assert_eq!(reply.body["restarted"], true);
    assert_eq!(ids(&reply), ["A-1"]);
}

#[test]
fn a_cursor_to_a_superseded_entry_is_still_known() {
    let srv = TestServer::start();
    let device = srv.device(ORG, OFFICER);
    let first = srv.assign(ORG, OFFICER, "A-1");
    let cursor = pull(&srv, &device, None).body["next_cursor"]
        .as_str()
        .unwrap()
        .to_owned();
    admin::upsert_assignment(&srv.server, ORG, &[], first).unwrap();
    let reply = pull(&srv, &device, Some(&cursor));
    assert_eq!(reply.body["restarted"], false);
    assert_eq!(
        assignments(&reply)
            .iter()
            .map(|a| a.server_version)
            .collect::<Vec<_>>(),
        [2]
    );
}

#[test]
fn after_a_restore_from_an_earlier_backup_a_device_ahead_of_it_starts_over_and_misses_nothing() {
    // The device pulled A-1..A-3; the office then restores a backup taken after A-1 and
    // writes, which take the positions had.
    let srv = TestServer::start();
    let device = srv.device(ORG, OFFICER);
    srv.assign(ORG, OFFICER, "A-1");
    let backup = srv.backup();
    srv.assign(ORG, OFFICER, "A-2");
    srv.assign(ORG, OFFICER, "A-3");
    let ahead = pull(&srv, &device, None).body["next_cursor"]
        .as_str()
        .unwrap()
        .to_owned();

    let srv = srv.restore(&backup);
    for id in ["A-4", "A-5", "A-6"] {
        srv.assign(ORG, OFFICER, id);
    }
    let reply = pull(&srv, &device, Some(&ahead));

    assert_eq!(reply.body["restarted"], true);
    assert_eq!(ids(&reply), ["A-1", "A-4", "A-5", "A-6"]);
}
