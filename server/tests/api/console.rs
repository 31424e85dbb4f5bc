//! Operators and the console's API over real HTTP: signing in (argon2id hashes, the
//! session cookie's attributes), sessions that end, CSRF on every action, one
//! organisation's view, the audit log, the page's Content-Security-Policy, and the live
//! stream of server-sent events.

use std::io::{BufRead, BufReader};
use std::sync::Arc;
use std::time::{Duration, Instant};

use cordon_core::*;
use cordon_server::alarms;
use cordon_server::operators::{self, Role};
use serde_json::{json, Value};

use crate::harness::*;

const T0: Timestamp = Timestamp::from_millis(1_795_000_000_000);
pub(crate) const PASSWORD: &str = "correct horse battery";

/// A plain HTTP answer of the console (the page is not JSON).
pub(crate) struct Answer {
    pub(crate) status: u16,
    headers: ureq::http::HeaderMap,
    pub(crate) text: String,
}

impl Answer {
    pub(crate) fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or(Value::Null)
    }
    pub(crate) fn code(&self) -> String {
        self.json()["error"]["code"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }
    pub(crate) fn header(&self, name: &str) -> String {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    }
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(30)))
        .build()
        .into()
}

/// A signed-in console: its cookie and CSRF token.
pub(crate) struct Console {
    base: String,
    cookie: String,
    csrf: String,
    agent: ureq::Agent,
}

fn send(
    agent: &ureq::Agent,
    method: &str,
    url: &str,
    headers: &[(&str, &str)],
    body: Option<&str>,
) -> Answer {
    let mut request = ureq::http::Request::builder().method(method).uri(url);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = match body {
        Some(b) => agent.run(request.body(b.as_bytes().to_vec()).unwrap()),
        None => agent.run(request.body(()).unwrap()),
    };
    let mut response = response.expect("the server answers");
    Answer {
        status: response.status().as_u16(),
        headers: response.headers().clone(),
        text: response.body_mut().read_to_string().unwrap_or_default(),
    }
}

pub(crate) fn login_answer(
    srv: &TestServer,
    org: &str,
    user: &str,
    password: &str,
    extra: &[(&str, &str)],
) -> Answer {
    let mut headers = vec![("Content-Type", "application/json")];
    headers.extend_from_slice(extra);
    send(
        &agent(),
        "POST",
        &format!("{}/console/api/login", srv.base),
        &headers,
        Some(&json!({"organisation": org, "username": user, "password": password}).to_string()),
    )
}

pub(crate) fn add(srv: &TestServer, org: &str, user: &str, role: Role) {
    operators::add_operator(&srv.server, org, user, role, PASSWORD, "admin").unwrap();
}

pub(crate) fn sign_in(srv: &TestServer, org: &str, user: &str) -> Console {
    let answer = login_answer(srv, org, user, PASSWORD, &[]);
    assert_eq!(answer.status, 200, "{}", answer.text);
    let cookie = answer.header("set-cookie");
    let cookie = cookie.split(';').next().unwrap().to_owned();
    Console {
        base: srv.base.clone(),
        cookie,
        csrf: answer.json()["csrf_token"].as_str().unwrap().to_owned(),
        agent: agent(),
    }
}

impl Console {
    pub(crate) fn get(&self, path: &str) -> Answer {
        send(
            &self.agent,
            "GET",
            &format!("{}/console/api{path}", self.base),
            &[("Cookie", &self.cookie)],
            None,
        )
    }

    pub(crate) fn post_with(&self, path: &str, csrf: Option<&str>, body: &Value) -> Answer {
        let mut headers = vec![
            ("Cookie", self.cookie.as_str()),
            ("Content-Type", "application/json"),
        ];
        if let Some(t) = csrf {
            headers.push(("X-CSRF-Token", t));
        }
        send(
            &self.agent,
            "POST",
            &format!("{}/console/api{path}", self.base),
            &headers,
            Some(&body.to_string()),
        )
    }

    pub(crate) fn post(&self, path: &str, body: &Value) -> Answer {
        self.post_with(path, Some(&self.csrf.clone()), body)
    }
}

pub(crate) fn with_duress(srv: &TestServer) -> (Device, String) {
    let device = srv.device(ORG, OFFICER);
    device
        .store
        .record_check_in(alarm(CheckInKind::Duress))
        .unwrap();
    device.sync(srv);
    let id = alarms::open_alarms(&srv.server, ORG).unwrap()[0].id.clone();
    (device, id)
}

#[test]
fn a_password_is_kept_only_as_an_argon2id_hash() {
    let srv = TestServer::start();
    add(&srv, ORG, "op.jones", Role::Operator);
    let db = rusqlite::Connection::open(srv.db_path()).unwrap();
    let hash: String = db
        .query_row("SELECT password_hash FROM operator", [], |r| r.get(0))
        .unwrap();
    assert!(hash.starts_with("$argon2id$"), "{hash}");
    assert!(!hash.contains(PASSWORD));
}

#[test]
fn bad_operator_accounts_are_refused_by_field() {
    let srv = TestServer::start();
    let field = |r: cordon_server::Result<operators::Operator>| match r {
        Err(cordon_server::Error::InvalidInput { field, .. }) => field,
        other => panic!("expected invalid input, got {other:?}"),
    };
    let s = &srv.server;
    assert_eq!(
        field(operators::add_operator(
            s,
            ORG,
            "op",
            Role::Operator,
            "short",
            "admin"
        )),
        "password"
    );
    assert_eq!(
        field(operators::add_operator(
            s,
            ORG,
            "op jones",
            Role::Operator,
            PASSWORD,
            "admin"
        )),
        "username"
    );
    assert_eq!(
        field(operators::add_operator(
            s,
            "",
            "op",
            Role::Operator,
            PASSWORD,
            "admin"
        )),
        "organisation"
    );
}

#[test]
fn signing_in_sets_an_http_only_same_site_strict_cookie_secure_behind_tls() {
    let srv = TestServer::start();
    add(&srv, ORG, "op.jones", Role::Operator);
    let plain = login_answer(&srv, ORG, "op.jones", PASSWORD, &[]);
    assert_eq!(plain.status, 200, "{}", plain.text);
    let cookie = plain.header("set-cookie");
    for attribute in ["HttpOnly", "SameSite=Strict", "Path=/console"] {
        assert!(cookie.contains(attribute), "{cookie}");
    }
    assert!(!cookie.contains("Secure"), "plain HTTP: {cookie}");
    assert_eq!(plain.json()["operator"]["role"], "operator");

    let tls = login_answer(
        &srv,
        ORG,
        "op.jones",
        PASSWORD,
        &[("X-Forwarded-Proto", "https")],
    );
    assert!(tls.header("set-cookie").contains("; Secure"));
    srv.server.set_secure_cookies(true);
    let configured = login_answer(&srv, ORG, "op.jones", PASSWORD, &[]);
    assert!(configured.header("set-cookie").contains("; Secure"));
}

#[test]
fn a_wrong_password_and_an_unknown_operator_get_the_same_refusal_and_are_audited() {
    let srv = TestServer::start();
    add(&srv, ORG, "op.jones", Role::Operator);
    let wrong = login_answer(&srv, ORG, "op.jones", "not the password", &[]);
    let unknown = login_answer(&srv, ORG, "nobody", PASSWORD, &[]);
    let elsewhere = login_answer(&srv, "other-org", "op.jones", PASSWORD, &[]);
    for answer in [&wrong, &unknown, &elsewhere] {
        assert_eq!(answer.status, 401);
        assert_eq!(
            answer.json()["error"]["message"],
            wrong.json()["error"]["message"]
        );
        assert!(answer.header("set-cookie").is_empty());
    }
    let log = operators::audit_log(&srv.server, ORG, 10).unwrap();
    let refused: Vec<_> = log
        .iter()
        .filter(|e| e.action == "login" && e.outcome == "refused")
        .map(|e| e.actor.as_str())
        .collect();
    assert_eq!(refused, ["nobody", "op.jones"]);
}

#[test]
fn a_login_that_is_not_json_is_refused() {
    let srv = TestServer::start();
    add(&srv, ORG, "op.jones", Role::Operator);
    let form = send(
        &agent(),
        "POST",
        &format!("{}/console/api/login", srv.base),
        &[("Content-Type", "application/x-www-form-urlencoded")],
        Some("organisation=acme&username=op.jones&password=x"),
    );
    assert_eq!((form.status, form.code().as_str()), (400, "bad_request"));
}

#[test]
fn a_session_ends_after_thirty_idle_minutes_or_twelve_hours() {
    let clock = Arc::new(ManualClock::new(T0));
    let srv = TestServer::with_clock(clock.clone());
    add(&srv, ORG, "op.jones", Role::Operator);
    let console = sign_in(&srv, ORG, "op.jones");
    clock.advance(Duration::from_secs(29 * 60));
    assert_eq!(console.get("/session").status, 200);
    clock.advance(Duration::from_secs(29 * 60));
    assert_eq!(console.get("/session").status, 200, "use keeps it alive");
    clock.advance(Duration::from_secs(30 * 60));
    assert_eq!(console.get("/session").status, 401, "idle for 30 minutes");

    let console = sign_in(&srv, ORG, "op.jones");
    for _ in 0..(12 * 4 - 1) {
        clock.advance(Duration::from_secs(15 * 60));
        assert_eq!(console.get("/session").status, 200);
    }
    clock.advance(Duration::from_secs(15 * 60));
    assert_eq!(console.get("/session").status, 401, "12 hours after login");
}

#[test]
fn signing_out_ends_the_session() {
    let srv = TestServer::start();
    add(&srv, ORG, "op.jones", Role::Operator);
    let console = sign_in(&srv, ORG, "op.jones");
    assert_eq!(console.post("/logout", &json!({})).status, 200);
    assert_eq!(console.get("/alarms").status, 401);
}

#[test]
fn every_action_needs_the_sessions_csrf_token() {
    let srv = TestServer::start();
    add(&srv, ORG, "op.jones", Role::Operator);
    let (_device, id) = with_duress(&srv);
    let console = sign_in(&srv, ORG, "op.jones");
    let path = format!("/alarms/{id}/acknowledge");
    for token in [None, Some("0".repeat(64).as_str())] {
        let refused = console.post_with(&path, token, &json!({}));
        assert_eq!(
            (refused.status, refused.code().as_str()),
            (403, "forbidden")
        );
    }
    let other = sign_in(&srv, ORG, "op.jones");
    let theirs = console.post_with(&path, Some(&other.csrf), &json!({}));
    assert_eq!(theirs.status, 403, "another session's token");
    assert_eq!(
        alarms::alarm(&srv.server, ORG, &id).unwrap().state,
        AlarmState::Raised
    );
    assert_eq!(console.post(&path, &json!({})).status, 200);
    let log = operators::audit_log(&srv.server, ORG, 20).unwrap();
    assert_eq!(
        log.iter().filter(|e| e.outcome == "csrf_refused").count(),
        3
    );
}

#[test]
fn an_operator_acknowledges_and_resolves_with_a_police_reference_and_it_is_audited() {
    let srv = TestServer::start();
    add(&srv, ORG, "op.jones", Role::Operator);
    let (_device, id) = with_duress(&srv);
    let console = sign_in(&srv, ORG, "op.jones");
    let queue = console.get("/alarms").json();
    assert_eq!(queue["open"][0]["id"], id.as_str());
    assert_eq!(queue["open"][0]["kind"], "duress");

    let early = console.post(
        &format!("/alarms/{id}/resolve"),
        &json!({"outcome": "false_alarm"}),
    );
    assert_eq!(
        (early.status, early.code().as_str()),
        (409, "alarm_not_acknowledged")
    );
    assert_eq!(early.json()["error"]["retryable"], false);

    let acked = console.post(
        &format!("/alarms/{id}/acknowledge"),
        &json!({"note": "Calling"}),
    );
    assert_eq!(acked.json()["alarm"]["state"], "acknowledged");
    let resolved = console.post(
        &format!("/alarms/{id}/resolve"),
        &json!({"outcome": "police_attended", "police_reference": "CAD 4471", "note": null}),
    );
    assert_eq!(resolved.status, 200, "{}", resolved.text);
    assert_eq!(
        resolved.json()["alarm"]["events"][2]["police_reference"],
        "CAD 4471"
    );
    assert_eq!(resolved.json()["alarm"]["events"][2]["actor"], "op.jones");

    let log = operators::audit_log(&srv.server, ORG, 20).unwrap();
    let actions: Vec<_> = log
        .iter()
        .rev()
        .map(|e| (e.action.as_str(), e.subject.as_deref(), e.outcome.as_str()))
        .collect();
    assert_eq!(
        actions,
        [
            ("operator.add", Some("op.jones"), "ok"),
            ("login", None, "ok"),
            ("alarm.resolve", Some(id.as_str()), "illegal_transition"),
            ("alarm.acknowledge", Some(id.as_str()), "ok"),
            ("alarm.resolve", Some(id.as_str()), "ok"),
        ]
    );
    let db = rusqlite::Connection::open(srv.db_path()).unwrap();
    assert!(db.execute("DELETE FROM audit", []).is_err(), "append-only");
}

#[test]
fn bad_console_input_is_refused_with_a_clear_error() {
    let srv = TestServer::start();
    add(&srv, ORG, "op.jones", Role::Operator);
    let (_device, id) = with_duress(&srv);
    let console = sign_in(&srv, ORG, "op.jones");
    console.post(&format!("/alarms/{id}/acknowledge"), &json!({}));
    let cases = [
        (json!({"outcome": "all_good"}), 400),
        (json!({"outcome": "police_attended"}), 400),
        (json!({"outcome": "false_alarm", "colour": "red"}), 400),
        (
            json!({"outcome": "false_alarm", "note": "x".repeat(5000)}),
            400,
        ),
    ];
    for (body, status) in cases {
        let answer = console.post(&format!("/alarms/{id}/resolve"), &body);
        assert_eq!(answer.status, status, "{body}: {}", answer.text);
        assert!(!answer.json()["error"]["message"]
            .as_str()
            .unwrap()
            .is_empty());
    }
    let missing = console.post("/alarms/no-such-alarm/acknowledge", &json!({}));
    assert_eq!(missing.status, 404);
}

#[test]
fn an_operator_sees_only_their_organisation() {
    let srv = TestServer::start();
    add(&srv, ORG, "op.jones", Role::Operator);
    add(&srv, "other-org", "op.smith", Role::Operator);
    let (_device, id) = with_duress(&srv);
    let assigned = srv.assign(ORG, OFFICER, "A-1");
    let device = srv.device(ORG, OFFICER);
    device.store.upsert_assignment(&assigned).unwrap();
    device.store.record_check_in(welfare("A-1")).unwrap();
    device.sync(&srv);

    let stranger = sign_in(&srv, "other-org", "op.smith");
    assert_eq!(stranger.get("/alarms").json()["open"], json!([]));
    assert_eq!(stranger.get("/officers").json()["on_duty"], json!([]));
    assert_eq!(stranger.get(&format!("/alarms/{id}")).status, 404);
    let touch = stranger.post(&format!("/alarms/{id}/acknowledge"), &json!({}));
    assert_eq!(touch.status, 404);

    let own = sign_in(&srv, ORG, "op.jones");
    let on_duty = own.get("/officers").json();
    assert_eq!(on_duty["on_duty"][0]["officer_id"], OFFICER);
    assert_eq!(on_duty["on_duty"][0]["welfare"]["state"], "on_time");
    assert_eq!(on_duty["on_duty"][0]["position"]["latitude"], 51.5007);
}

#[test]
fn only_a_supervisor_reads_the_audit_log() {
    let srv = TestServer::start();
    add(&srv, ORG, "op.jones", Role::Operator);
    add(&srv, ORG, "sup.patel", Role::Supervisor);
    assert_eq!(sign_in(&srv, ORG, "op.jones").get("/audit").status, 403);
    let entries = sign_in(&srv, ORG, "sup.patel").get("/audit").json();
    assert!(entries["entries"].as_array().unwrap().len() >= 3);
}

#[test]
fn the_page_and_its_assets_are_served_from_the_binary_under_a_strict_csp() {
    let srv = TestServer::start();
    let slash = send(
        &agent(),
        "GET",
        &format!("{}/console/", srv.base),
        &[],
        None,
    );
    assert_eq!(slash.status, 200, "/console/ leads to the page");
    let page = send(&agent(), "GET", &format!("{}/console", srv.base), &[], None);
    assert_eq!(page.status, 200);
    assert!(page.header("content-type").starts_with("text/html"));
    let csp = page.header("content-security-policy");
    assert!(
        csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"),
        "{csp}"
    );
    assert_eq!(page.header("x-content-type-options"), "nosniff");
    // No inline script, style or handler: the CSP would block it.
    let html = page.text.to_lowercase();
    assert!(!html.contains("<script>") && !html.contains(" style=") && !html.contains("<style"));
    assert!(
        !html.contains(" onclick=")
            && !html.contains(" onload=")
            && !html.contains("http://")
            && !html.contains("https://")
    );
    for (path, kind) in [
        ("/console/app.js", "text/javascript"),
        ("/console/app.css", "text/css"),
    ] {
        let asset = send(&agent(), "GET", &format!("{}{path}", srv.base), &[], None);
        assert_eq!(asset.status, 200, "{path}");
        assert!(asset.header("content-type").starts_with(kind), "{path}");
        assert!(
            !asset.text.contains("innerHTML"),
            "{path}: officers' text goes in as text"
        );
    }
    let api = send(
        &agent(),
        "GET",
        &format!("{}/console/api/alarms", srv.base),
        &[],
        None,
    );
    assert_eq!((api.status, api.code().as_str()), (401, "unauthorized"));
}

#[test]
fn the_live_stream_says_changed_when_an_alarm_arrives() {
    let srv = TestServer::start();
    add(&srv, ORG, "op.jones", Role::Operator);
    let console = sign_in(&srv, ORG, "op.jones");
    let request = ureq::http::Request::builder()
        .uri(format!("{}/console/api/events", srv.base))
        .header("Cookie", &console.cookie)
        .body(())
        .unwrap();
    let response = console.agent.run(request).unwrap();
    assert_eq!(response.status(), 200);
    assert!(response.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/event-stream"));
    let (tx, rx) = std::sync::mpsc::channel::<String>();
    std::thread::spawn(move || {
        let reader = BufReader::new(response.into_body().into_reader());
        for line in reader.lines() {
            let Ok(line) = line else { return };
            if tx.send(line).is_err() {
                return;
            }
        }
    });
    let next_change = |within: Duration| -> bool {
        let deadline = Instant::now() + within;
        while let Some(left) = deadline.checked_duration_since(Instant::now()) {
            match rx.recv_timeout(left) {
                Ok(line) if line == "event: changed" => return true,
                Ok(_) => {}
                Err(_) => return false,
            }
        }
        false
    };
    assert!(
        next_change(Duration::from_secs(5)),
        "the first event at once"
    );
    let sent = Instant::now();
    let device = srv.device(ORG, OFFICER);
    device
        .store
        .record_check_in(alarm(CheckInKind::Panic))
        .unwrap();
    device.sync(&srv);
    assert!(
        next_change(Duration::from_secs(1)),
        "an alarm reaches the stream within 1 s"
    );
    assert!(sent.elapsed() < Duration::from_secs(1));
}

#[test]
fn the_organisations_reports_are_listed_with_their_chain_and_a_supervisor_reviews_them() {
    let srv = TestServer::start();
    add(&srv, ORG, "op.jones", Role::Operator);
    add(&srv, ORG, "sup.patel", Role::Supervisor);
    add(&srv, "other-org", "op.smith", Role::Operator);
    let device = srv.device(ORG, OFFICER);
    let narrative = "<b>Grey Audi</b> circled the residence twice";
    let report = device.store.create_report(content(narrative)).unwrap();
    device.store.submit_report(&report.id).unwrap();
    device.sync(&srv);

    let operator = sign_in(&srv, ORG, "op.jones");
    let listed = operator.get("/reports").json();
    let first = &listed["reports"][0];
    assert_eq!(first["id"], report.id.as_str());
    assert_eq!(first["content"]["narrative"], narrative);
    assert_eq!(first["integrity"]["state"], "intact");
    assert_eq!(
        sign_in(&srv, "other-org", "op.smith")
            .get("/reports")
            .json()["reports"],
        json!([])
    );

    let path = format!("/reports/{}/review", report.id);
    let refused = operator.post(&path, &json!({"outcome": "accepted"}));
    assert_eq!(refused.status, 403, "operators do not review");
    let supervisor = sign_in(&srv, ORG, "sup.patel");
    let bad = supervisor.post(&path, &json!({"outcome": "fine"}));
    assert_eq!(bad.status, 400);
    let reviewed = supervisor.post(
        &path,
        &json!({"outcome": "returned", "note": "Add the registration."}),
    );
    assert_eq!(reviewed.status, 200, "{}", reviewed.text);
    assert_eq!(reviewed.json()["review"]["reviewer"], "sup.patel");
    let feed = srv.get("/v1/pull", device.token());
    assert!(
        feed.body["changes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["kind"] == "report_review" && c["review"]["outcome"] == "returned"),
        "the officer receives the review"
    );
    let log = operators::audit_log(&srv.server, ORG, 20).unwrap();
    let reviews: Vec<_> = log
        .iter()
        .rev()
        .filter(|e| e.action == "report.review")
        .map(|e| (e.actor.as_str(), e.outcome.as_str()))
        .collect();
    assert_eq!(reviews, [("op.jones", "forbidden"), ("sup.patel", "ok")]);
}
