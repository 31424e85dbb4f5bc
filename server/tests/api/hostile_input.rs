//! Property tests: the device protocol's parsers (push, pull, enrolment, attachment chunks)
//! fed random bytes and mutations of valid requests, over real HTTP. Every answer is a
//! typed one (the protocol's error body, or a success), never a 500 or a dropped
//! connection, and the server keeps serving.

use proptest::prelude::*;
use serde_json::{json, Value};

use crate::harness::*;

/// What a hostile request may be answered: anything but a server error.
fn typed(reply: &Reply) -> bool {
    reply.status < 500
        && (reply.status < 300
            || reply.body["error"]["code"]
                .as_str()
                .is_some_and(|c| !c.is_empty()))
}

/// A valid push body, to mutate.
fn push_body(device_id: &str) -> Value {
    json!({"device_id": device_id, "operations": [{
        "id": "01930000-0000-7000-8000-000000000001", "seq": 1, "kind": "check_in.record",
        "record_id": "01930000-0000-7000-8000-000000000002", "depends_on": null,
        "payload_version": 1, "created_at": "2026-12-06T20:00:00.000Z",
        "payload": {"id": "01930000-0000-7000-8000-000000000002", "kind": "panic",
                    "assignment_id": null, "occurred_at": "2026-12-06T20:00:00.000Z",
                    "time_zone": "Europe/London", "location": null, "tag_id": null,
                    "note": "x", "recorded_at": "2026-12-06T20:00:00.000Z"}
    }]})
}

/// A JSON value of any shape, to put where a field was.
fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        ".{0,40}".prop_map(Value::from),
    ];
    leaf.prop_recursive(3, 16, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::hash_map("[a-z_]{1,12}", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// Every path to a value inside `v` (object keys and array indexes).
fn paths(v: &Value, at: Vec<String>, out: &mut Vec<Vec<String>>) {
    out.push(at.clone());
    match v {
        Value::Object(m) => m.iter().for_each(|(k, c)| {
            let mut p = at.clone();
            p.push(k.clone());
            paths(c, p, out)
        }),
        Value::Array(a) => a.iter().enumerate().for_each(|(i, c)| {
            let mut p = at.clone();
            p.push(i.to_string());
            paths(c, p, out)
        }),
        _ => {}
    }
}

fn replace_at(v: &mut Value, path: &[String], with: Value) {
    let mut node = v;
    for key in path {
        node = match node {
            Value::Object(m) => m.get_mut(key).expect("a path of the value"),
            Value::Array(a) => &mut a[key.parse::<usize>().expect("an index")],
            _ => unreachable!(),
        };
    }
    *node = with;
}

#[test]
fn random_and_mutated_requests_get_a_typed_answer_and_the_server_keeps_serving() {
    let srv = TestServer::start();
    srv.server.set_rate_limits(cordon_server::RateLimits::NONE);
    let device = srv.device(ORG, OFFICER);
    let valid = push_body(&device.device_id);
    let mut all_paths = Vec::new();
    paths(&valid, Vec::new(), &mut all_paths);
    let config = ProptestConfig {
        cases: 96,
        failure_persistence: None,
        ..ProptestConfig::default()
    };

    proptest!(config, |(bytes in prop::collection::vec(any::<u8>(), 0..600))| {
        for (method, path, token) in [
            ("POST", "/v1/push", device.token()),
            ("POST", "/v1/enrol", None),
            ("POST", "/v1/revoked", device.token()),
            ("PUT", "/v1/attachments/00000000000000000000000000000000000000000000000000000000000000aa?offset=0", device.token()),
        ] {
            let reply = srv.call(method, path, token, Some(bytes.clone()));
            prop_assert!(typed(&reply), "{method} {path}: {} {}", reply.status, reply.body);
        }
    });

    proptest!(config, |(which in 0..all_paths.len(), with in any_json())| {
        let mut body = valid.clone();
        replace_at(&mut body, &all_paths[which], with);
        let reply = srv.post("/v1/push", device.token(), &body);
        prop_assert!(typed(&reply), "push {}: {} {}", body, reply.status, reply.body);
        let enrol = json!({"code": body["operations"][0]["kind"], "device_id": body["device_id"]});
        let reply = srv.post("/v1/enrol", None, &enrol);
        prop_assert!(typed(&reply), "enrol {}: {} {}", enrol, reply.status, reply.body);
    });

    proptest!(config, |(query in "[ -~]{0,60}", offset in ".{0,20}")| {
        let encoded: String = query.bytes().map(|b| format!("%{b:02X}")).collect();
        let reply = srv.get(&format!("/v1/pull?cursor={encoded}&limit={encoded}"), device.token());
        prop_assert!(typed(&reply), "pull {query:?}: {} {}", reply.status, reply.body);
        let offset: String = offset.bytes().map(|b| format!("%{b:02X}")).collect();
        let reply = srv.put(
            &format!("/v1/attachments/{}?offset={offset}", "ab".repeat(32)),
            device.token(),
            vec![0; 8],
        );
        prop_assert!(typed(&reply), "chunk {offset:?}: {} {}", reply.status, reply.body);
    });

    assert_eq!(srv.get("/v1/health", None).status, 200, "still serving");
    let pulled = srv.get("/v1/pull", device.token());
    assert_eq!(pulled.status, 200, "{:?}", pulled.body);
}
