//! The isolation matrix: organisation B's credentials (a device's token, a supervisor's
//! console session) against every endpoint and console action that names an id, with
//! organisation A's real ids and with ids that exist nowhere. Each pair must get the same
//! answer (status, code and message, the id aside): a refusal that says nothing of
//! whether A's record exists. And nothing B can list shows any of A's ids.

use cordon_core::*;
use cordon_server::messages::{self, NewMessage};
use cordon_server::operators::Role;
use cordon_server::{admin, alarms};
use serde_json::{json, Value};

use crate::console::{add, sign_in, Answer};
use crate::harness::*;

const ORG_B: &str = "globex";
const OFFICER_B: &str = "OFC-B1";

/// Organisation A's records, each of a kind B might try to reach.
struct Secrets {
    alarm: String,
    report: String,
    sha256: String,
    message: String,
    assignment: String,
    device: String,
    sighting: String,
    bolo: String,
    leg: String,
    shift: String,
    handover: String,
}

impl Secrets {
    fn all(&self) -> [&str; 11] {
        [
            &self.alarm,
            &self.report,
            &self.sha256,
            &self.message,
            &self.assignment,
            &self.device,
            &self.sighting,
            &self.bolo,
            &self.leg,
            &self.shift,
            &self.handover,
        ]
    }
}

fn organisation_a(srv: &TestServer) -> Secrets {
    let device = srv.device(ORG, OFFICER);
    let secret = admin::upsert_assignment(
        &srv.server,
        ORG,
        &[OFFICER.to_owned(), "OFC-A2".to_owned()],
        assignment("A-SECRET"),
    )
    .unwrap();
    device.store.upsert_assignment(&secret).unwrap();
    let bolo = admin::issue_bolo(
        &srv.server,
        ORG,
        &admin::BoloInput {
            registration: Some("RK61 ZXC".into()),
            description: None,
            reason: "Seen at the residence".into(),
            priority: BoloPriority::High,
        },
    )
    .unwrap()
    .id;
    let shift = admin::set_shift(
        &srv.server,
        &admin::NewShift {
            organisation_id: ORG,
            assignment_id: "A-SECRET",
            officer_id: OFFICER,
            role: DutyRole::OnCall,
            starts_at: srv.server.now(),
            ends_at: srv.server.now().plus(std::time::Duration::from_secs(3600)),
        },
        "admin",
    )
    .unwrap()
    .shift_id;
    let sighting = device
        .store
        .record_sighting(NewSighting {
            assignment_id: Some("A-SECRET".into()),
            ..cordon_fixtures::sighting()
        })
        .unwrap()
        .id;
    let leg = device
        .store
        .plan_movement_leg(cordon_fixtures::movement_leg_departing(
            "A-SECRET",
            device.store.now(),
        ))
        .unwrap()
        .id;
    let handover = device
        .store
        .write_handover(NewHandover {
            assignment_id: "A-SECRET".into(),
            to_officer_id: "OFC-A2".into(),
            principal_state: "Asleep.".into(),
            open_issues: None,
            equipment_and_keys: None,
            watch_for: None,
        })
        .unwrap()
        .id;
    device
        .store
        .record_check_in(alarm(CheckInKind::Duress))
        .unwrap();
    let report = device
        .store
        .create_report(IncidentContent {
            assignment_id: None,
            ..cordon_fixtures::incident_discovered_at(device.store.now())
        })
        .unwrap();
    let sha256 = device.attach(&report.id, "van.jpg", &[9u8; 2048]).sha256;
    device.store.submit_report(&report.id).unwrap();
    let (pushed, _) = device.sync(srv);
    assert!(
        pushed.statuses().iter().all(|s| s == "applied"),
        "A's records all reach the office: {:?}",
        pushed.body
    );
    assert_eq!(
        admin::movement_legs_of(&srv.server, ORG, None)
            .unwrap()
            .len(),
        1
    );
    assert_eq!(admin::handovers_of(&srv.server, ORG).unwrap().len(), 1);
    let alarm = alarms::open_alarms(&srv.server, ORG).unwrap()[0].id.clone();
    let message = messages::send(
        &srv.server,
        &NewMessage {
            organisation_id: ORG,
            sender: "op.a",
            officer_id: OFFICER,
            alarm_id: Some(&alarm),
            body: "Hold at the gate.",
        },
    )
    .unwrap()
    .id;
    Secrets {
        alarm,
        report: report.id,
        sha256,
        message,
        assignment: "A-SECRET".into(),
        device: device.device_id.clone(),
        sighting,
        bolo,
        leg,
        shift,
        handover,
    }
}

/// What an answer says, with `id` replaced, so that two answers about different ids
/// compare equal when they say the same thing.
fn gist(status: u16, body: &Value, id: &str) -> (u16, String) {
    (status, body.to_string().replace(id, "<id>"))
}

fn without_time(mut body: Value) -> Value {
    if let Some(o) = body.as_object_mut() {
        o.remove("server_time");
    }
    body
}

fn same(what: &str, real: (u16, Value), real_id: &str, unknown: (u16, Value), unknown_id: &str) {
    let (a, b) = (
        gist(real.0, &without_time(real.1), real_id),
        gist(unknown.0, &without_time(unknown.1), unknown_id),
    );
    assert_eq!(
        a, b,
        "{what}: A's real id is answered differently from an unknown one"
    );
    assert!(
        matches!(a.0, 200 | 400 | 403 | 404),
        "{what}: answered {}",
        a.0
    );
}

fn reply(r: Reply) -> (u16, Value) {
    (r.status, r.body)
}

fn answer(a: Answer) -> (u16, Value) {
    (a.status, a.json())
}

fn op(kind: &str, record_id: &str, payload: Value) -> Value {
    json!({
        "id": uuid::Uuid::now_v7().to_string(), "seq": 1, "kind": kind,
        "record_id": record_id, "depends_on": null, "payload_version": 1,
        "created_at": "2026-12-06T20:00:00.000Z", "payload": payload
    })
}

#[test]
fn organisation_b_cannot_reach_or_see_anything_of_organisation_a() {
    let srv = TestServer::start();
    let a = organisation_a(&srv);
    let device_b = srv.device(ORG_B, OFFICER_B);
    add(&srv, ORG_B, "sup.b", Role::Supervisor);
    let console_b = sign_in(&srv, ORG_B, "sup.b");
    let fake = uuid::Uuid::now_v7().to_string();
    let fake_sha = "ab".repeat(32);

    // The device's protocol, with B's token.
    same(
        "attachment status",
        reply(srv.get(&format!("/v1/attachments/{}", a.sha256), device_b.token())),
        &a.sha256,
        reply(srv.get(&format!("/v1/attachments/{fake_sha}"), device_b.token())),
        &fake_sha,
    );
    same(
        "attachment chunk",
        reply(srv.put(
            &format!("/v1/attachments/{}?offset=0", a.sha256),
            device_b.token(),
            vec![1; 16],
        )),
        &a.sha256,
        reply(srv.put(
            &format!("/v1/attachments/{fake_sha}?offset=0"),
            device_b.token(),
            vec![1; 16],
        )),
        &fake_sha,
    );
    let read = |id: &str| {
        op(
            "message.read",
            id,
            json!({"message_id": id, "read_at": "2026-12-06T20:00:00.000Z"}),
        )
    };
    let read_real = device_b.push(&srv, vec![read(&a.message)]);
    let read_fake = device_b.push(&srv, vec![read(&fake)]);
    assert_eq!(read_real.statuses(), read_fake.statuses());
    assert_eq!(
        read_real.reason(0).replace(&a.message, "<id>"),
        read_fake.reason(0).replace(&fake, "<id>")
    );
    let ack = |assignment: &str| {
        let id = uuid::Uuid::now_v7().to_string();
        op(
            "post_orders.acknowledge",
            &id,
            json!({"id": id, "assignment_id": assignment, "version": 1,
                   "acknowledged_at": "2026-12-06T20:00:00.000Z"}),
        )
    };
    let acked_real = device_b.push(&srv, vec![ack(&a.assignment)]);
    let acked_fake = device_b.push(&srv, vec![ack("A-NOWHERE")]);
    assert_eq!(acked_real.statuses(), acked_fake.statuses());
    assert_eq!(
        acked_real.reason(0).replace(&a.assignment, "<id>"),
        acked_fake.reason(0).replace("A-NOWHERE", "<id>")
    );
    let submit = |id: &str| op("report.submit", id, json!({"report_id": id}));
    let submitted_real = device_b.push(&srv, vec![submit(&a.report)]);
    let submitted_fake = device_b.push(&srv, vec![submit(&fake)]);
    assert_eq!(submitted_real.statuses(), submitted_fake.statuses());
    assert_eq!(
        submitted_real.reason(0).replace(&a.report, "<id>"),
        submitted_fake.reason(0).replace(&fake, "<id>")
    );
    let event = |leg: &str| {
        op(
            "movement.event",
            leg,
            json!({"id": uuid::Uuid::now_v7().to_string(), "leg_id": leg, "kind": "arrived",
                   "occurred_at": "2026-12-06T20:00:00.000Z", "new_eta": null, "route": null,
                   "handed_to": null, "note": null,
                   "recorded_at": "2026-12-06T20:00:00.000Z"}),
        )
    };
    let acknowledge = |handover: &str| {
        op(
            "handover.acknowledge",
            handover,
            json!({"handover_id": handover, "acknowledged_at": "2026-12-06T20:00:00.000Z"}),
        )
    };
    for (what, real_id, real, unknown) in [
        ("an event on A's leg", &a.leg, event(&a.leg), event(&fake)),
        (
            "acknowledging A's handover",
            &a.handover,
            acknowledge(&a.handover),
            acknowledge(&fake),
        ),
    ] {
        let r = device_b.push(&srv, vec![real]);
        let u = device_b.push(&srv, vec![unknown]);
        assert_eq!(r.statuses(), u.statuses(), "{what}");
        assert_eq!(
            r.reason(0).replace(real_id.as_str(), "<id>"),
            u.reason(0).replace(fake.as_str(), "<id>"),
            "{what}"
        );
    }
    let pulled = srv.get("/v1/pull", device_b.token()).body.to_string();
    for id in a.all() {
        assert!(!pulled.contains(id), "B's pull shows A's {id}");
    }

    // The console, as B's supervisor.
    let get = |path: &str| answer(console_b.get(path));
    let post = |path: &str, body: Value| answer(console_b.post(path, &body));
    same(
        "an alarm",
        get(&format!("/alarms/{}", a.alarm)),
        &a.alarm,
        get(&format!("/alarms/{fake}")),
        &fake,
    );
    for step in ["acknowledge", "resolve"] {
        let body = json!({"outcome": "false_alarm", "note": "x"});
        let body = if step == "acknowledge" {
            json!({"note": "x"})
        } else {
            body
        };
        same(
            step,
            post(&format!("/alarms/{}/{step}", a.alarm), body.clone()),
            &a.alarm,
            post(&format!("/alarms/{fake}/{step}"), body),
            &fake,
        );
    }
    same(
        "a review",
        post(
            &format!("/reports/{}/review", a.report),
            json!({"outcome": "accepted"}),
        ),
        &a.report,
        post(
            &format!("/reports/{fake}/review"),
            json!({"outcome": "accepted"}),
        ),
        &fake,
    );
    same(
        "a message to A's officer",
        post("/messages", json!({"officer_id": OFFICER, "body": "hello"})),
        OFFICER,
        post(
            "/messages",
            json!({"officer_id": "OFC-NOBODY", "body": "hello"}),
        ),
        "OFC-NOBODY",
    );
    same(
        "a message about A's alarm",
        post(
            "/messages",
            json!({"officer_id": OFFICER_B, "body": "hello", "alarm_id": a.alarm}),
        ),
        &a.alarm,
        post(
            "/messages",
            json!({"officer_id": OFFICER_B, "body": "hello", "alarm_id": fake}),
        ),
        &fake,
    );
    same(
        "revoking A's device",
        post(
            &format!("/devices/{}/revoke", a.device),
            json!({"reason": "x"}),
        ),
        &a.device,
        post(&format!("/devices/{fake}/revoke"), json!({"reason": "x"})),
        &fake,
    );
    same(
        "withdrawing A's BOLO entry",
        post(&format!("/bolo/{}/withdraw", a.bolo), json!({})),
        &a.bolo,
        post(&format!("/bolo/{fake}/withdraw"), json!({})),
        &fake,
    );
    for step in ["call-in", "stand-down"] {
        same(
            step,
            post(&format!("/rota/{}/{step}", a.shift), json!({})),
            &a.shift,
            post(&format!("/rota/{fake}/{step}"), json!({})),
            &fake,
        );
    }
    for list in [
        "/alarms",
        "/officers",
        "/reports",
        "/messages",
        "/post-orders",
        "/devices",
        "/sightings",
        "/movements",
        "/rota",
        "/handovers",
        "/reports/for-me",
    ] {
        let text = console_b.get(list).text;
        for id in a.all().into_iter().chain([OFFICER]) {
            assert!(!text.contains(id), "B's {list} shows A's {id}: {text}");
        }
    }

    // B's audit log records what B's supervisor typed (A's ids among them), each with the
    // outcome an unknown id got: nothing more.
    let audit = console_b.get("/audit").json();
    for entry in audit["entries"].as_array().unwrap() {
        assert_eq!(entry["organisation_id"], ORG_B);
        if entry["action"] != "login" && entry["action"] != "operator.add" {
            assert_eq!(entry["outcome"], "not_found", "{entry}");
        }
    }

    // And A's records are as they were.
    assert_eq!(
        alarms::open_alarms(&srv.server, ORG).unwrap()[0].state,
        AlarmState::Raised
    );
    assert!(admin::revocation(&srv.server, ORG, &a.device)
        .unwrap()
        .is_none());
}
