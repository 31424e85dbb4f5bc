//! `docs/openapi.yaml` held against the real server, so the document cannot drift.
//!
//! Every operation the document describes is called for its success and for each error
//! status it lists. Each answer must be a status the document lists for that path and
//! method, with the documented media type and required headers, and a body valid against
//! the schema the document gives for it (`$ref`s resolved within the document, formats
//! checked). The requests the server is meant to accept are checked against the
//! documented request schema too, so the payload schemas describe what the core really
//! sends. The test fails on an undocumented path or status, on a body that breaks its
//! schema, and on a documented status that no call produced.

use std::collections::BTreeSet;
use std::sync::Mutex;

use cordon_core::{
    BoloPriority, CheckInKind, IncidentPatch, MovementEventKind, NewAmendment, NewMovementEvent,
    ReviewOutcome, Severity,
};
use cordon_server::admin;
use serde_json::{json, Value};

use crate::harness::*;

const METHODS: [&str; 5] = ["get", "put", "post", "delete", "patch"];
const MIB: usize = 1024 * 1024;

/// One documented answer: method (upper case), path template, status.
type Answer = (String, String, String);

/// The document, and the answers the calls produced.
struct Contract {
    doc: Value,
    seen: Mutex<BTreeSet<Answer>>,
}

impl Contract {
    fn load() -> Self {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/openapi.yaml");
        let text = std::fs::read_to_string(path).expect("docs/openapi.yaml");
        Contract {
            doc: serde_yaml_ng::from_str(&text).expect("openapi.yaml parses as YAML"),
            seen: Mutex::new(BTreeSet::new()),
        }
    }

    /// Every (method, path, status) the document lists.
    fn documented(&self) -> BTreeSet<Answer> {
        let mut all = BTreeSet::new();
        for (template, item) in self.doc["paths"].as_object().expect("paths") {
            for method in METHODS {
                let Some(responses) = item[method]["responses"].as_object() else {
                    continue;
                };
                for status in responses.keys() {
                    all.insert((method.to_uppercase(), template.clone(), status.clone()));
                }
            }
        }
        all
    }

    /// The documented path template that `path` (query string and all) falls under.
    fn template(&self, path: &str) -> String {
        let path = path.split('?').next().unwrap_or_default();
        let segments: Vec<&str> = path.split('/').collect();
        let matches = |template: &str| {
            let parts: Vec<&str> = template.split('/').collect();
            parts.len() == segments.len()
                && parts
                    .iter()
                    .zip(&segments)
                    .all(|(t, s)| t == s || (t.starts_with('{') && t.ends_with('}')))
        };
        self.doc["paths"]
            .as_object()
            .expect("paths")
            .keys()
            .find(|t| matches(t))
            .unwrap_or_else(|| panic!("{path} is not a path of the document"))
            .clone()
    }

    /// Follows a `$ref` within the document (`#/components/...`), or returns `node`.
    fn resolve<'a>(&'a self, node: &'a Value) -> &'a Value {
        match node["$ref"].as_str() {
            Some(r) => {
                let pointer = r
                    .strip_prefix('#')
                    .expect("a reference within the document");
                self.resolve(self.doc.pointer(pointer).unwrap_or_else(|| panic!("{r}")))
            }
            None => node,
        }
    }

    /// The errors of `instance` against `schema`, whose `$ref`s point into the document.
    fn violations(&self, schema: &Value, instance: &Value) -> Vec<String> {
        let root = json!({"components": self.doc["components"], "allOf": [schema]});
        let validator = jsonschema::draft202012::options()
            .should_validate_formats(true)
            .build(&root)
            .unwrap_or_else(|e| panic!("the document's schema {schema} does not compile: {e}"));
        validator
            .iter_errors(instance)
            .map(|e| format!("{}: {e}", e.instance_path()))
            .collect()
    }

    /// Sends a request and holds its answer against the document.
    fn call(
        &self,
        srv: &TestServer,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<Vec<u8>>,
    ) -> Reply {
        let reply = srv.call(method, path, token, body);
        self.check(method, path, &reply);
        reply
    }

    /// Sends a JSON request that the server is meant to accept: the request too must fit
    /// the document.
    fn call_conforming(
        &self,
        srv: &TestServer,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: &Value,
    ) -> Reply {
        let template = self.template(path);
        let operation = &self.doc["paths"][&template][method.to_lowercase()];
        let schema =
            &self.resolve(&operation["requestBody"])["content"]["application/json"]["schema"];
        assert!(
            schema.is_object(),
            "{method} {template} documents no JSON request body"
        );
        let wrong = self.violations(schema, body);
        assert!(
            wrong.is_empty(),
            "{method} {template}: the request breaks the document: {wrong:#?}\n{body:#}"
        );
        self.call(
            srv,
            method,
            path,
            token,
            Some(body.to_string().into_bytes()),
        )
    }

    fn check(&self, method: &str, path: &str, reply: &Reply) {
        let template = self.template(path);
        let status = reply.status.to_string();
        let operation = &self.doc["paths"][&template][method.to_lowercase()];
        assert!(
            operation.is_object(),
            "{method} {template} is not in the document"
        );
        let documented = &operation["responses"][&status];
        assert!(
            documented.is_object(),
            "{method} {template} answered {status}, which the document does not list: {}",
            reply.body
        );
        let response = self.resolve(documented);
        let media_type = reply
            .headers
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .unwrap_or_default()
            .trim()
            .to_owned();
        let content = &response["content"][&media_type];
        assert!(
            content.is_object(),
            "{method} {template} {status} answered {media_type:?}, not a documented media type"
        );
        if let Some(headers) = response["headers"].as_object() {
            for (name, header) in headers {
                if header["required"] == true {
                    assert!(
                        reply.headers.contains_key(name.as_str()),
                        "{method} {template} {status} without the documented {name} header"
                    );
                }
            }
        }
        let wrong = self.violations(&content["schema"], &reply.body);
        assert!(
            wrong.is_empty(),
            "{method} {template} {status}: the body breaks the document: {wrong:#?}\n{:#}",
            reply.body
        );
        self.seen
            .lock()
            .unwrap()
            .insert((method.to_owned(), template, status));
    }
}

/// Runs `f` while another connection holds the server's database for writing, as
/// `cordon admin` beside the server may: the server waits out its busy timeout first.
fn while_database_is_held<T>(srv: &TestServer, f: impl FnOnce() -> T) -> T {
    let holder = rusqlite::Connection::open(srv.db_path()).expect("open the server database");
    holder
        .execute_batch("BEGIN IMMEDIATE")
        .expect("hold the write lock");
    let value = f();
    holder.execute_batch("ROLLBACK").expect("release the lock");
    value
}

/// A device with a draft report and an attachment of `bytes`, all still queued; gives
/// the report's id and the attachment's SHA-256.
fn with_attachment(srv: &TestServer, bytes: &[u8]) -> (Device, String, String) {
    let device = srv.device(ORG, OFFICER);
    let report = device
        .store
        .create_report(content("Grey Audi RK61 ZXC parked opposite the gate."))
        .unwrap();
    let sha = device.attach(&report.id, "audi.jpg", bytes).sha256;
    (device, report.id, sha)
}

fn chunk_path(sha: &str, offset: usize) -> String {
    format!("/v1/attachments/{sha}?offset={offset}")
}

/// The `503 busy` answers: each on a server of its own, since a server waits out its
/// busy timeout one request at a time.
fn busy_answers(contract: &Contract) {
    std::thread::scope(|s| {
        s.spawn(|| {
            let srv = TestServer::start();
            let code = srv.code(ORG, OFFICER);
            let request = json!({"code": code, "device_id": uuid::Uuid::now_v7().to_string()});
            let reply = while_database_is_held(&srv, || {
                contract.call_conforming(&srv, "POST", "/v1/enrol", None, &request)
            });
            assert_eq!(reply.code(), "busy");
        });
        s.spawn(|| {
            let srv = TestServer::start();
            let device = srv.device(ORG, OFFICER);
            let request = json!({"device_id": device.device_id, "operations": []});
            let reply = while_database_is_held(&srv, || {
                contract.call_conforming(&srv, "POST", "/v1/push", device.token(), &request)
            });
            assert_eq!(reply.code(), "busy");
        });
        s.spawn(|| {
            let srv = TestServer::start();
            let bytes = vec![7u8; 1000];
            let (device, _, sha) = with_attachment(&srv, &bytes);
            device.sync(&srv);
            let reply = while_database_is_held(&srv, || {
                contract.call(
                    &srv,
                    "PUT",
                    &chunk_path(&sha, 0),
                    device.token(),
                    Some(bytes),
                )
            });
            assert_eq!(reply.code(), "busy");
        });
    });
}

/// The `429 too_many_requests` answers, on a server of its own whose limits are tight.
fn rate_limited_answers(contract: &Contract) {
    let srv = TestServer::start();
    let once = Some(cordon_server::Rate {
        burst: 1,
        per: std::time::Duration::from_secs(3600),
    });
    srv.server.set_rate_limits(cordon_server::RateLimits {
        enrolment: once,
        push: once,
        ..cordon_server::RateLimits::NONE
    });
    let device = srv.device(ORG, OFFICER); // the address's one enrolment
    let request =
        json!({"code": srv.code(ORG, OFFICER), "device_id": uuid::Uuid::now_v7().to_string()});
    let reply = contract.call_conforming(&srv, "POST", "/v1/enrol", None, &request);
    assert_eq!(reply.code(), "too_many_requests");
    let push = json!({"device_id": device.device_id, "operations": []});
    assert_eq!(
        contract
            .call_conforming(&srv, "POST", "/v1/push", device.token(), &push)
            .status,
        200
    );
    let reply = contract.call_conforming(&srv, "POST", "/v1/push", device.token(), &push);
    assert_eq!(reply.code(), "too_many_requests");
}

#[test]
fn the_openapi_document_describes_every_answer_of_the_server() {
    let contract = Contract::load();
    std::thread::scope(|s| {
        s.spawn(|| busy_answers(&contract));
        s.spawn(|| rate_limited_answers(&contract));
        every_other_answer(&contract);
    });
    let seen = contract.seen.lock().unwrap().clone();
    let never: Vec<Answer> = contract.documented().difference(&seen).cloned().collect();
    assert_eq!(never, [], "documented answers that no call produced");
}

fn every_other_answer(contract: &Contract) {
    let srv = TestServer::start();
    let c = contract;

    // Health.
    c.call(&srv, "GET", "/v1/health", None, None);

    // Enrolment: success, a malformed request, a used code, an oversized body.
    let code = srv.code(ORG, OFFICER);
    let enrol = json!({"code": code, "device_id": uuid::Uuid::now_v7().to_string()});
    assert_eq!(
        c.call_conforming(&srv, "POST", "/v1/enrol", None, &enrol)
            .status,
        200
    );
    let not_a_uuid = json!({"code": code, "device_id": "phone-1"});
    let body = |v: &Value| Some(v.to_string().into_bytes());
    c.call(&srv, "POST", "/v1/enrol", None, body(&not_a_uuid));
    let again = json!({"code": code, "device_id": uuid::Uuid::now_v7().to_string()});
    c.call(&srv, "POST", "/v1/enrol", None, body(&again));
    c.call(&srv, "POST", "/v1/enrol", None, Some(vec![b' '; 17 * 1024]));

    // Push: every kind of operation the core writes, then the same again (duplicates)
    // beside one the server cannot read (rejected).
    let assignment = admin::upsert_assignment(
        &srv.server,
        ORG,
        &[OFFICER.to_owned(), "OFC-8".to_owned()],
        assignment("A-1"),
    )
    .unwrap();
    let photo: Vec<u8> = (0..3 * MIB).map(|i| (i % 251) as u8).collect();
    let (device, report_id, sha) = with_attachment(&srv, &photo);
    let store = &device.store;
    store.upsert_assignment(&assignment).unwrap();
    store.submit_report(&report_id).unwrap();
    store
        .amend_report(
            &report_id,
            NewAmendment {
                author: OFFICER.into(),
                reason: "Control room confirmed the registration.".into(),
                patch: IncidentPatch {
                    severity: Some(Severity::High),
                    ..Default::default()
                },
            },
        )
        .unwrap();
    store.record_check_in(welfare(&assignment.id)).unwrap();
    store.record_check_in(alarm(CheckInKind::Duress)).unwrap();
    store
        .acknowledge_post_orders(&assignment.id, assignment.post_orders.version)
        .unwrap();
    let bolo = admin::issue_bolo(
        &srv.server,
        ORG,
        &admin::BoloInput {
            registration: Some("AB12 CDE".into()),
            description: None,
            reason: "Photographing the gate".into(),
            priority: BoloPriority::High,
        },
    )
    .unwrap();
    store.upsert_bolo_entry(&bolo).unwrap();
    let mut sighting = cordon_fixtures::sighting();
    sighting.assignment_id = Some(assignment.id.clone());
    assert!(store
        .record_sighting(sighting)
        .unwrap()
        .bolo_match
        .is_some());
    let leg = store
        .plan_movement_leg(cordon_fixtures::movement_leg_departing(
            &assignment.id,
            assignment.starts_at,
        ))
        .unwrap();
    store
        .record_movement_event(NewMovementEvent {
            occurred_at: Some(assignment.starts_at),
            new_eta: Some(assignment.ends_at),
            note: Some("Road closed at Marble Arch".into()),
            ..NewMovementEvent::new(leg.id, MovementEventKind::Delayed)
        })
        .unwrap();
    let note = store
        .write_handover(cordon_core::NewHandover {
            assignment_id: assignment.id.clone(),
            to_officer_id: "OFC-8".into(),
            principal_state: "Asleep.".into(),
            open_issues: None,
            equipment_and_keys: Some("Radio 3".into()),
            watch_for: None,
        })
        .unwrap();
    let operations: Vec<Value> = device
        .take()
        .iter()
        .filter(|o| o.kind != cordon_core::OperationKind::AttachmentUpload)
        .map(wire)
        .collect();
    let push = json!({"device_id": device.device_id, "operations": operations});
    let applied = c.call_conforming(&srv, "POST", "/v1/push", device.token(), &push);
    assert_eq!(applied.statuses(), ["applied"; 11]);
    let mut unreadable = operations.clone();
    unreadable.push(json!({"id": uuid::Uuid::now_v7().to_string(), "seq": 99, "kind": "x"}));
    let replayed = c.call(
        &srv,
        "POST",
        "/v1/push",
        device.token(),
        body(&json!({"device_id": device.device_id, "operations": unreadable})),
    );
    assert_eq!(
        replayed.statuses().last().map(String::as_str),
        Some("rejected")
    );
    c.call(
        &srv,
        "POST",
        "/v1/push",
        device.token(),
        Some(b"{".to_vec()),
    );
    c.call(&srv, "POST", "/v1/push", None, body(&push));
    let other = srv.device(ORG, OFFICER);
    c.call(&srv, "POST", "/v1/push", other.token(), body(&push));
    let mut oversized = br#"{"device_id": "x", "operations": [], "padding": ""#.to_vec();
    oversized.resize(4 * MIB + 1, b' ');
    c.call(&srv, "POST", "/v1/push", device.token(), Some(oversized));

    // Pull: an assignment, a review outcome and the state of the alarm the device raised;
    // a cursor the server never issued (the feed starts over); a limit that is not a number.
    admin::record_review(
        &srv.server,
        ORG,
        &report_id,
        ReviewOutcome::Returned,
        "CR-DUTY",
        Some("Add the registration."),
    )
    .unwrap();
    let shift = admin::set_shift(
        &srv.server,
        &admin::NewShift {
            organisation_id: ORG,
            assignment_id: &assignment.id,
            officer_id: OFFICER,
            role: cordon_core::DutyRole::OnCall,
            starts_at: srv.server.now(),
            ends_at: srv.server.now().plus(std::time::Duration::from_secs(3600)),
        },
        "admin",
    )
    .unwrap();
    admin::call_in(&srv.server, ORG, &shift.shift_id, "op.jones").unwrap();
    // The incoming officer acknowledges the note; it comes back down the outgoing feed.
    let incoming = srv.device(ORG, "OFC-8");
    let acknowledged = json!({"device_id": incoming.device_id, "operations": [{
        "id": uuid::Uuid::now_v7().to_string(), "seq": 1, "kind": "handover.acknowledge",
        "record_id": note.id, "depends_on": null, "payload_version": 1,
        "created_at": "2026-11-28T09:15:00.000Z",
        "payload": {"handover_id": note.id, "acknowledged_at": "2026-11-28T09:15:00.000Z"}}]});
    let ack = c.call_conforming(&srv, "POST", "/v1/push", incoming.token(), &acknowledged);
    assert_eq!(ack.statuses(), ["applied"]);
    c.call(&srv, "GET", "/v1/pull?limit=10", incoming.token(), None);
    let pulled = c.call(&srv, "GET", "/v1/pull?limit=10", device.token(), None);
    let kinds: Vec<_> = pulled.body["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["kind"].as_str().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(
        kinds,
        [
            "assignment",
            "bolo",
            "alarm_status",
            "report_review",
            "rota",
            "handover"
        ]
    );
    let restarted = c.call(&srv, "GET", "/v1/pull?cursor=abc", device.token(), None);
    assert_eq!(restarted.body["restarted"], true);
    c.call(&srv, "GET", "/v1/pull?limit=many", device.token(), None);
    c.call(&srv, "GET", "/v1/pull", None, None);

    // Attachment status.
    let status = format!("/v1/attachments/{sha}");
    let unknown = format!("/v1/attachments/{}", "0".repeat(64));
    c.call(&srv, "GET", &status, device.token(), None);
    c.call(&srv, "GET", "/v1/attachments/not-hex", device.token(), None);
    c.call(&srv, "GET", &status, None, None);
    c.call(&srv, "GET", &unknown, device.token(), None);

    // Attachment chunks: refusals first, then the upload in two chunks.
    let put = |path: &str, token: Option<&str>, bytes: &[u8]| {
        c.call(&srv, "PUT", path, token, Some(bytes.to_vec()))
    };
    put(&status, device.token(), &photo[..MIB]);
    put(&chunk_path(&sha, 0), None, &photo[..MIB]);
    put(
        &chunk_path(&"0".repeat(64), 0),
        device.token(),
        &photo[..MIB],
    );
    put(&chunk_path(&sha, MIB), device.token(), &photo[..MIB]);
    put(&chunk_path(&sha, 0), device.token(), &vec![0; 8 * MIB + 1]);
    put(&chunk_path(&sha, 0), device.token(), &photo[..MIB]);
    let done = put(&chunk_path(&sha, MIB), device.token(), &photo[MIB..]);
    assert_eq!(done.body["complete"], true);
    let (signer, _, signature) = with_attachment(&srv, &[1; 1000]);
    signer.sync(&srv);
    put(&chunk_path(&signature, 0), signer.token(), &[2; 1000]);

    // A revoked device: every call `403 revoked`, then its last contact.
    let lost = srv.device(ORG, OFFICER);
    let last = json!({"device_id": lost.device_id, "unsent_total": 1, "unsent": [
        {"kind": "check_in.record", "record_id": "C-1", "created_at": "2026-12-06T20:00:00Z"}
    ]});
    assert_eq!(
        c.call_conforming(&srv, "POST", "/v1/revoked", lost.token(), &last)
            .code(),
        "forbidden"
    );
    cordon_server::admin::revoke_device(&srv.server, ORG, &lost.device_id, "op", "lost").unwrap();
    let refused = c.call_conforming(
        &srv,
        "POST",
        "/v1/push",
        lost.token(),
        &json!({"device_id": lost.device_id, "operations": []}),
    );
    assert_eq!(refused.code(), "revoked");
    for (method, path) in [
        ("GET", "/v1/pull".to_owned()),
        ("GET", format!("/v1/attachments/{sha}")),
        ("PUT", chunk_path(&sha, 0)),
    ] {
        let body = (method == "PUT").then(|| vec![1u8]);
        assert_eq!(
            c.call(&srv, method, &path, lost.token(), body).code(),
            "revoked"
        );
    }
    c.call(&srv, "POST", "/v1/revoked", None, Some(b"{}".to_vec()));
    c.call(
        &srv,
        "POST",
        "/v1/revoked",
        lost.token(),
        Some(b"[]".to_vec()),
    );
    let told = c.call_conforming(&srv, "POST", "/v1/revoked", lost.token(), &last);
    assert_eq!(told.body["destroy"], true);
}
