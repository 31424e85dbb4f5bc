//! Rate limits over real HTTP: per client address on enrolment and console sign-in, per
//! device on pushes, each answered 429 with `Retry-After` and nothing written; an alarm
//! is never limited. The server's clock is moved instead of waiting.

use std::sync::Arc;
use std::time::Duration;

use cordon_core::*;
use cordon_server::operators::Role;
use cordon_server::{admin, Rate, RateLimits};
use serde_json::json;

use crate::console::{add, login_answer, PASSWORD};
use crate::harness::*;

const T0: Timestamp = Timestamp::from_millis(1_795_000_000_000);

fn on_clock(limits: RateLimits) -> (Arc<ManualClock>, TestServer) {
    let clock = Arc::new(ManualClock::new(T0));
    let srv = TestServer::with_clock(clock.clone());
    srv.server.set_rate_limits(limits);
    (clock, srv)
}

fn enrol(srv: &TestServer, code: &str) -> Reply {
    srv.post(
        "/v1/enrol",
        None,
        &json!({"code": code, "device_id": uuid::Uuid::now_v7().to_string()}),
    )
}

fn retry_after(reply_headers: &ureq::http::HeaderMap) -> u64 {
    reply_headers
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .expect("a Retry-After in whole seconds")
}

#[test]
fn enrolment_attempts_are_limited_per_address_and_a_refused_attempt_spends_no_code() {
    let (clock, srv) = on_clock(RateLimits {
        enrolment: Some(Rate {
            burst: 3,
            per: Duration::from_secs(20),
        }),
        ..RateLimits::NONE
    });
    for _ in 0..3 {
        assert_eq!(enrol(&srv, "WRONG-CODE").status, 403);
    }
    let code = srv.code(ORG, OFFICER);
    let refused = enrol(&srv, &code);
    assert_eq!(refused.status, 429, "{:?}", refused.body);
    assert_eq!(refused.code(), "too_many_requests");
    assert_eq!(retry_after(&refused.headers), 20);
    let devices: i64 = rusqlite::Connection::open(srv.db_path())
        .unwrap()
        .query_row("SELECT count(*) FROM device", [], |r| r.get(0))
        .unwrap();
    assert_eq!(devices, 0);

    clock.advance(Duration::from_secs(20));
    let enrolled = enrol(&srv, &code);
    assert_eq!(
        enrolled.status, 200,
        "the code was not spent: {:?}",
        enrolled.body
    );
}

#[test]
fn console_sign_in_is_limited_per_address() {
    let (clock, srv) = on_clock(RateLimits {
        login: Some(Rate {
            burst: 2,
            per: Duration::from_secs(30),
        }),
        ..RateLimits::NONE
    });
    add(&srv, ORG, "op.a", Role::Operator);
    assert_eq!(login_answer(&srv, ORG, "op.a", "guess 1", &[]).status, 401);
    assert_eq!(login_answer(&srv, ORG, "op.a", "guess 2", &[]).status, 401);
    let refused = login_answer(&srv, ORG, "op.a", PASSWORD, &[]);
    assert_eq!(refused.status, 429, "{}", refused.text);
    assert_eq!(refused.code(), "too_many_requests");
    assert_eq!(refused.header("retry-after"), "30");

    clock.advance(Duration::from_secs(30));
    assert_eq!(login_answer(&srv, ORG, "op.a", PASSWORD, &[]).status, 200);
}

#[test]
fn behind_the_configured_proxy_each_forwarded_client_has_its_own_count() {
    let (_clock, srv) = on_clock(RateLimits {
        login: Some(Rate {
            burst: 1,
            per: Duration::from_secs(60),
        }),
        forwarded_by: Some("127.0.0.1".parse().unwrap()),
        ..RateLimits::NONE
    });
    add(&srv, ORG, "op.a", Role::Operator);
    let from = |client: &str| {
        login_answer(&srv, ORG, "op.a", PASSWORD, &[("X-Forwarded-For", client)]).status
    };
    assert_eq!(from("198.51.100.1"), 200);
    assert_eq!(from("198.51.100.1"), 429);
    assert_eq!(from("198.51.100.2"), 200, "another client behind the proxy");
    // A client that prepends its own choice is still counted by the proxy's last hop.
    assert_eq!(from("198.51.100.9, 198.51.100.1"), 429);
}

#[test]
fn pushes_are_limited_per_device_but_an_alarm_is_never_refused() {
    let (clock, srv) = on_clock(RateLimits {
        push: Some(Rate {
            burst: 2,
            per: Duration::from_secs(1),
        }),
        ..RateLimits::NONE
    });
    let device = srv.device_on_clock(ORG, OFFICER, clock.clone());
    let other = srv.device_on_clock(ORG, "OFC-8", clock.clone());
    assert_eq!(device.push(&srv, vec![]).status, 200);
    assert_eq!(device.push(&srv, vec![]).status, 200);
    let refused = device.push(&srv, vec![]);
    assert_eq!(refused.status, 429, "{:?}", refused.body);
    assert_eq!(retry_after(&refused.headers), 1);
    assert_eq!(other.push(&srv, vec![]).status, 200, "its own count");

    // Over its limit, the device's duress alarm still goes through, and is applied.
    device
        .store
        .record_check_in(alarm(CheckInKind::Duress))
        .unwrap();
    let (reply, _) = device.sync(&srv);
    assert_eq!(reply.statuses(), ["applied"]);
    assert_eq!(
        cordon_server::alarms::open_alarms(&srv.server, ORG)
            .unwrap()
            .len(),
        1
    );

    // An ordinary operation over the limit is refused whole: nothing of it is applied.
    let a = srv.assign(ORG, OFFICER, "A-1");
    device.store.upsert_assignment(&a).unwrap();
    device.store.record_check_in(welfare("A-1")).unwrap();
    let ops: Vec<_> = device.take().iter().map(wire).collect();
    assert_eq!(device.push(&srv, ops.clone()).status, 429);
    assert_eq!(admin::check_ins(&srv.server).unwrap().len(), 1);
    clock.advance(Duration::from_secs(1));
    let accepted = device.push(&srv, ops);
    assert_eq!(accepted.status, 200);
    assert_eq!(accepted.statuses(), ["applied"]);
}
