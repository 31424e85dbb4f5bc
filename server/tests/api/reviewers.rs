//! Reports routed to their designated reviewers, over real HTTP: a submission is routed
//! once, when applied, to the team leader of its assignment or else the organisation's
//! designated reviewer; the reviewer's console queue; a review by the routed reviewer, a
//! supervisor standing in (allowed, audited as such), anyone else refused; the outcome
//! in the author's feed.

use cordon_core::*;
use cordon_server::admin::{self, RoutedBy};
use cordon_server::operators::{self, Role};
use cordon_server::Error;
use serde_json::json;

use crate::console::{add, sign_in};
use crate::harness::*;

/// Operators of ORG: a team leader, a designated reviewer, an operator, a supervisor;
/// A-1 led by tl.khan, rev.lee designated for the rest.
fn office(srv: &TestServer) -> Assignment {
    add(srv, ORG, "tl.khan", Role::Operator);
    add(srv, ORG, "rev.lee", Role::Operator);
    add(srv, ORG, "op.jones", Role::Operator);
    add(srv, ORG, "sup.patel", Role::Supervisor);
    let a = srv.assign(ORG, OFFICER, "A-1");
    admin::set_team_leader(&srv.server, ORG, "A-1", Some("tl.khan")).unwrap();
    admin::set_designated_reviewer(&srv.server, ORG, Some("rev.lee")).unwrap();
    a
}

/// The officer's phone, holding A-1.
fn phone(srv: &TestServer, a: &Assignment) -> Device {
    let device = srv.device(ORG, OFFICER);
    device.store.upsert_assignment(a).unwrap();
    device
}

fn submitted(
    srv: &TestServer,
    device: &Device,
    assignment: Option<&str>,
    narrative: &str,
) -> String {
    let report = device
        .store
        .create_report(IncidentContent {
            assignment_id: assignment.map(str::to_owned),
            ..content(narrative)
        })
        .unwrap();
    device.store.submit_report(&report.id).unwrap();
    let (reply, _) = device.sync(srv);
    assert!(
        reply.statuses().iter().all(|s| s == "applied"),
        "{:?}",
        reply.body
    );
    report.id
}

fn routed_to(srv: &TestServer, id: &str) -> (Option<String>, RoutedBy) {
    let route = admin::report(&srv.server, ORG, id).unwrap().route.unwrap();
    (route.reviewer, route.routed_by)
}

#[test]
fn a_submission_goes_to_the_team_leader_else_the_designated_reviewer_once() {
    let srv = TestServer::start();
    let a = office(&srv);
    let device = phone(&srv, &a);
    let led = submitted(&srv, &device, Some("A-1"), "Grey van");
    let loose = submitted(&srv, &device, None, "Drone over the garden");
    let draft = device.store.create_report(content("draft")).unwrap();
    device.sync(&srv);

    assert_eq!(
        routed_to(&srv, &led),
        (Some("tl.khan".into()), RoutedBy::TeamLeader)
    );
    assert_eq!(
        routed_to(&srv, &loose),
        (Some("rev.lee".into()), RoutedBy::DesignatedReviewer)
    );
    assert_eq!(
        admin::report(&srv.server, ORG, &draft.id).unwrap().route,
        None
    );
    // A new team leader takes the next reports, not those already routed.
    admin::set_team_leader(&srv.server, ORG, "A-1", Some("rev.lee")).unwrap();
    assert_eq!(routed_to(&srv, &led).0.as_deref(), Some("tl.khan"));
    let next = submitted(&srv, &device, Some("A-1"), "Second van");
    assert_eq!(routed_to(&srv, &next).0.as_deref(), Some("rev.lee"));
}

#[test]
fn with_nobody_designated_a_report_is_for_supervisors() {
    let srv = TestServer::start();
    add(&srv, ORG, "op.jones", Role::Operator);
    let device = srv.device(ORG, OFFICER);
    let id = submitted(&srv, &device, None, "Grey van");
    assert_eq!(routed_to(&srv, &id), (None, RoutedBy::Nobody));
    let operator = operators::operators(&srv.server).unwrap().remove(0);
    let refused = admin::review_as(&srv.server, &operator, &id, ReviewOutcome::Accepted, None);
    assert!(matches!(refused, Err(Error::Forbidden(_))), "{refused:?}");
}

#[test]
fn a_reviewer_must_be_an_operator_of_the_organisation_on_a_known_assignment() {
    let srv = TestServer::start();
    office(&srv);
    add(&srv, "globex", "op.smith", Role::Operator);
    for refused in [
        admin::set_team_leader(&srv.server, ORG, "A-1", Some("op.smith")),
        admin::set_team_leader(&srv.server, ORG, "A-404", Some("tl.khan")),
        admin::set_designated_reviewer(&srv.server, ORG, Some("nobody")),
    ] {
        assert!(
            matches!(refused, Err(Error::NotFound { .. })),
            "{refused:?}"
        );
    }
    assert_eq!(
        admin::team_leader(&srv.server, ORG, "A-1")
            .unwrap()
            .as_deref(),
        Some("tl.khan")
    );
    admin::set_designated_reviewer(&srv.server, ORG, None).unwrap();
    assert_eq!(admin::designated_reviewer(&srv.server, ORG).unwrap(), None);
}

#[test]
fn the_routed_reviewer_sees_the_report_in_their_queue_and_the_outcome_reaches_the_author() {
    let srv = TestServer::start();
    let a = office(&srv);
    let device = phone(&srv, &a);
    let led = submitted(
        &srv,
        &device,
        Some("A-1"),
        "<img src=x onerror=alert(1)> van",
    );
    let loose = submitted(&srv, &device, None, "Drone");

    let leader = sign_in(&srv, ORG, "tl.khan");
    let queue = leader.get("/reports/for-me").json();
    let ids: Vec<_> = queue["reports"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].clone())
        .collect();
    assert_eq!(ids, [json!(led)]);
    assert_eq!(queue["reports"][0]["route"]["routed_by"], "team_leader");
    let reviewer = sign_in(&srv, ORG, "rev.lee");
    assert_eq!(
        reviewer.get("/reports/for-me").json()["reports"][0]["id"],
        loose.as_str()
    );

    let path = |id: &str| format!("/reports/{id}/review");
    let other = sign_in(&srv, ORG, "op.jones");
    let refused = other.post(&path(&led), &json!({"outcome": "accepted"}));
    assert_eq!(refused.status, 403, "{}", refused.text);
    let reviewed = leader.post(
        &path(&led),
        &json!({"outcome": "returned", "note": "Add the plate."}),
    );
    assert_eq!(reviewed.status, 200, "{}", reviewed.text);
    assert_eq!(
        leader.get("/reports/for-me").json()["reports"],
        json!([]),
        "reviewed: off the queue"
    );

    let stand_in =
        sign_in(&srv, ORG, "sup.patel").post(&path(&loose), &json!({"outcome": "accepted"}));
    assert_eq!(stand_in.status, 200, "{}", stand_in.text);
    let held = admin::report(&srv.server, ORG, &loose).unwrap();
    assert_eq!(
        (
            held.reviews[0].reviewer.as_str(),
            held.route.unwrap().reviewer.as_deref()
        ),
        ("sup.patel", Some("rev.lee")),
        "a stand-in shows as such: the review's reviewer is not the routed one"
    );

    let log = operators::audit_log(&srv.server, ORG, 20).unwrap();
    let reviews: Vec<_> = log
        .iter()
        .rev()
        .filter(|e| e.action == "report.review")
        .map(|e| (e.actor.as_str(), e.outcome.as_str()))
        .collect();
    assert_eq!(
        reviews,
        [
            ("op.jones", "forbidden"),
            ("tl.khan", "ok"),
            ("sup.patel", "ok_stand_in")
        ]
    );

    let feed = srv.get("/v1/pull", device.token());
    let outcomes: Vec<_> = feed.body["changes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["kind"] == "report_review")
        .map(|c| {
            (
                c["review"]["report_id"].clone(),
                c["review"]["reviewer"].clone(),
                c["review"]["outcome"].clone(),
            )
        })
        .collect();
    assert_eq!(
        outcomes,
        [
            (json!(led), json!("tl.khan"), json!("returned")),
            (json!(loose), json!("sup.patel"), json!("accepted"))
        ]
    );
}
