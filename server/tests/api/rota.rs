//! The duty rota over real HTTP: shifts set by the office reach every officer on the
//! assignment through the feed, the rota of the assignment whole, a newer one superseding
//! the older; a call-in and a stand-down each once, with who and when; the console's view
//! and its audited actions; one organisation's view.

use std::time::Duration;

use cordon_core::*;
use cordon_server::admin::{self, NewShift};
use cordon_server::operators::{self, Role};
use cordon_server::Error;
use serde_json::json;

use crate::console::{add, sign_in};
use crate::harness::*;

const HOUR: Duration = Duration::from_secs(3600);
const COLLEAGUE: &str = "OFC-8";

/// Assignment A-1 with OFFICER and COLLEAGUE on it; both enrolled.
fn team(srv: &TestServer) -> (Device, Device) {
    admin::upsert_assignment(
        &srv.server,
        ORG,
        &[OFFICER.to_owned(), COLLEAGUE.to_owned()],
        assignment("A-1"),
    )
    .unwrap();
    (srv.device(ORG, OFFICER), srv.device(ORG, COLLEAGUE))
}

fn set(srv: &TestServer, officer: &str, role: DutyRole, hours: (u32, u32)) -> Result<Shift, Error> {
    let now = srv.server.now();
    admin::set_shift(
        &srv.server,
        &NewShift {
            organisation_id: ORG,
            assignment_id: "A-1",
            officer_id: officer,
            role,
            starts_at: now.plus(HOUR * hours.0),
            ends_at: now.plus(HOUR * hours.1),
        },
        "admin",
    )
}

/// The rotas in a device's feed, in order.
fn rotas(srv: &TestServer, device: &Device) -> Vec<Rota> {
    srv.get("/v1/pull", device.token()).body["changes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["kind"] == "rota")
        .map(|c| serde_json::from_value(c["rota"].clone()).unwrap())
        .collect()
}

#[test]
fn a_shift_reaches_every_officer_on_the_assignment_as_the_whole_rota() {
    let srv = TestServer::start();
    let (mine, theirs) = team(&srv);
    let outsider = srv.device(ORG, "OFC-99");
    let day = set(&srv, OFFICER, DutyRole::OnDuty, (0, 12)).unwrap();
    let night = set(&srv, COLLEAGUE, DutyRole::OnCall, (12, 24)).unwrap();

    for device in [&mine, &theirs] {
        let feed = rotas(&srv, device);
        assert_eq!(
            feed.len(),
            1,
            "the newer rota supersedes the older: {feed:?}"
        );
        assert_eq!(feed[0].shifts, vec![day.clone(), night.clone()]);
    }
    assert!(rotas(&srv, &outsider).is_empty(), "not on the assignment");
    assert_eq!(
        admin::rota_of(&srv.server, ORG, None).unwrap(),
        vec![day, night]
    );
    assert!(admin::rota_of(&srv.server, "globex", None)
        .unwrap()
        .is_empty());
}

#[test]
fn a_shift_for_an_officer_not_on_the_assignment_or_backwards_is_refused() {
    let srv = TestServer::start();
    team(&srv);
    assert!(matches!(
        set(&srv, "OFC-99", DutyRole::OnDuty, (0, 1)),
        Err(Error::InvalidInput { .. })
    ));
    assert!(matches!(
        set(&srv, OFFICER, DutyRole::OnDuty, (2, 1)),
        Err(Error::InvalidInput { .. })
    ));
    let elsewhere = admin::set_shift(
        &srv.server,
        &NewShift {
            organisation_id: "globex",
            assignment_id: "A-1",
            officer_id: OFFICER,
            role: DutyRole::OnDuty,
            starts_at: srv.server.now(),
            ends_at: srv.server.now().plus(HOUR),
        },
        "admin",
    );
    assert!(
        matches!(elsewhere, Err(Error::NotFound { .. })),
        "{elsewhere:?}"
    );
    assert!(admin::rota_of(&srv.server, ORG, None).unwrap().is_empty());
}

#[test]
fn an_on_call_officer_is_called_in_and_stood_down_once_each_with_who_and_when() {
    let clock = std::sync::Arc::new(ManualClock::new(Timestamp::from_millis(1_795_000_000_000)));
    let srv = TestServer::with_clock(clock.clone());
    let (mine, _) = team(&srv);
    let on_duty = set(&srv, COLLEAGUE, DutyRole::OnDuty, (0, 12)).unwrap();
    let on_call = set(&srv, OFFICER, DutyRole::OnCall, (0, 12)).unwrap();
    assert!(matches!(
        admin::stand_down(&srv.server, ORG, &on_call.shift_id, "admin"),
        Err(Error::Conflict(_))
    ));
    assert!(matches!(
        admin::call_in(&srv.server, ORG, &on_duty.shift_id, "admin"),
        Err(Error::Conflict(_))
    ));

    clock.advance(HOUR);
    let called = admin::call_in(&srv.server, ORG, &on_call.shift_id, "op.jones").unwrap();
    assert_eq!(called.called_in_by.as_deref(), Some("op.jones"));
    assert_eq!(called.called_in_at, Some(clock.now()));
    assert!(matches!(
        admin::call_in(&srv.server, ORG, &on_call.shift_id, "op.jones"),
        Err(Error::Conflict(_))
    ));
    let feed = rotas(&srv, &mine);
    assert_eq!(feed.len(), 1);
    assert!(feed[0].shifts.contains(&called), "{feed:?}");
    assert_eq!(
        duty_of(&feed[0].shifts, OFFICER, srv.server.now()).state,
        DutyState::CalledIn
    );

    clock.advance(HOUR);
    let stood = admin::stand_down(&srv.server, ORG, &on_call.shift_id, "op.jones").unwrap();
    assert_eq!(
        (stood.stood_down_by.as_deref(), stood.stood_down_at),
        (Some("op.jones"), Some(clock.now()))
    );
    assert!(matches!(
        admin::stand_down(&srv.server, ORG, &on_call.shift_id, "op.jones"),
        Err(Error::Conflict(_))
    ));
    assert!(rotas(&srv, &mine)[0].shifts.contains(&stood));
    assert!(matches!(
        admin::call_in(&srv.server, "globex", &on_call.shift_id, "x"),
        Err(Error::NotFound { .. })
    ));
}

#[test]
fn the_console_shows_the_rota_and_its_call_in_and_stand_down_are_audited() {
    let srv = TestServer::start();
    team(&srv);
    add(&srv, ORG, "op.jones", Role::Operator);
    add(&srv, "globex", "op.smith", Role::Operator);
    let on_call = set(&srv, OFFICER, DutyRole::OnCall, (0, 12)).unwrap();
    let console = sign_in(&srv, ORG, "op.jones");

    let listed = console.get("/rota").json();
    assert_eq!(listed["shifts"][0]["shift_id"], on_call.shift_id.as_str());
    assert_eq!(listed["shifts"][0]["role"], "on_call");
    let outsider = sign_in(&srv, "globex", "op.smith");
    assert_eq!(outsider.get("/rota").json()["shifts"], json!([]));
    let path = |step: &str| format!("/rota/{}/{step}", on_call.shift_id);
    assert_eq!(outsider.post(&path("call-in"), &json!({})).status, 404);
    assert_eq!(
        console.post_with(&path("call-in"), None, &json!({})).status,
        403,
        "no CSRF token"
    );

    let called = console.post(&path("call-in"), &json!({}));
    assert_eq!(called.status, 200, "{}", called.text);
    assert_eq!(called.json()["shift"]["called_in_by"], "op.jones");
    let again = console.post(&path("call-in"), &json!({}));
    assert_eq!((again.status, again.code().as_str()), (409, "conflict"));
    let stood = console.post(&path("stand-down"), &json!({}));
    assert_eq!(stood.status, 200, "{}", stood.text);

    let log = operators::audit_log(&srv.server, ORG, 20).unwrap();
    let steps: Vec<_> = log
        .iter()
        .rev()
        .filter(|e| e.action.starts_with("rota."))
        .map(|e| (e.action.as_str(), e.outcome.as_str(), e.subject.as_deref()))
        .collect();
    let id = Some(on_call.shift_id.as_str());
    assert_eq!(
        steps,
        [
            ("rota.call_in", "ok", id),
            ("rota.call_in", "conflict", id),
            ("rota.stand_down", "ok", id)
        ]
    );
}
