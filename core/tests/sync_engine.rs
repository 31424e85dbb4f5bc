//! The sync engine's decisions, against a scripted transport: what it sends first, how
//! it reads each class of answer, and what it leaves in the outbox. (The same engine
//! against the real server over real HTTP is in tests/, at the workspace root.)

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::*;
use cordon_core::protocol::*;
use cordon_core::sync::*;
use cordon_core::*;

type Handler = Box<dyn FnMut(&HttpRequest) -> Result<HttpResponse, TransportError> + Send>;

/// A transport that records every request and answers with `handler`.
struct Scripted {
    log: Mutex<Vec<HttpRequest>>,
    handler: Mutex<Handler>,
}

impl Scripted {
    fn new(
        handler: impl FnMut(&HttpRequest) -> Result<HttpResponse, TransportError> + Send + 'static,
    ) -> Arc<Self> {
        Arc::new(Scripted {
            log: Mutex::new(Vec::new()),
            handler: Mutex::new(Box::new(handler)),
        })
    }

    fn requests(&self) -> Vec<HttpRequest> {
        self.log.lock().unwrap().clone()
    }

    fn pushes(&self) -> Vec<PushRequest> {
        self.requests()
            .iter()
            .filter(|r| r.kind == RequestKind::Push)
            .map(|r| serde_json::from_slice(&r.body).unwrap())
            .collect()
    }
}

/// A transport that accepts every push and answers the n-th pull (counted from 1) with
/// `page(n)`.
fn pull_script(
    mut page: impl FnMut(u32) -> Result<HttpResponse, TransportError> + Send + 'static,
) -> Arc<Scripted> {
    let mut pulls = 0;
    Scripted::new(move |req| {
        if req.kind != RequestKind::Pull {
            return accept_all(req);
        }
        pulls += 1;
        page(pulls)
    })
}

impl Transport for Scripted {
    fn send(&self, request: HttpRequest) -> Result<HttpResponse, TransportError> {
        self.log.lock().unwrap().push(request.clone());
        (self.handler.lock().unwrap())(&request)
    }
}

const SERVER_TIME: &str = "2026-11-18T11:06:45.000Z"; // T0 + 5 s

fn json(status: u16, body: serde_json::Value) -> Result<HttpResponse, TransportError> {
    Ok(HttpResponse {
        status: status.into(),
        headers: vec![],
        body: serde_json::to_vec(&body).unwrap(),
    })
}

/// The happy server: every operation applied, an empty feed, attachments complete.
fn accept_all(r: &HttpRequest) -> Result<HttpResponse, TransportError> {
    match r.kind {
        RequestKind::Push => {
            let push: PushRequest = serde_json::from_slice(&r.body).unwrap();
            let results: Vec<_> = push
                .operations
                .iter()
                .map(|o| serde_json::json!({"id": o.id, "seq": o.seq, "status": "applied", "server_version": 1}))
                .collect();
            json(
                200,
                serde_json::json!({"server_time": SERVER_TIME, "results": results}),
            )
        }
        RequestKind::Pull => json(
            200,
            serde_json::json!({"server_time": SERVER_TIME, "changes": [], "next_cursor": null, "has_more": false}),
        ),
        _ => json(
            200,
            serde_json::json!({"server_time": SERVER_TIME, "sha256": "x", "size_bytes": 1, "received_bytes": 1, "complete": true}),
        ),
    }
}

fn error(status: u16, code: &str) -> Result<HttpResponse, TransportError> {
    json(
        status,
        serde_json::json!({"server_time": SERVER_TIME, "error": {"code": code, "message": "scripted", "retryable": status >= 500}}),
    )
}

fn engine(f: &Fixture, transport: Arc<Scripted>) -> SyncEngine {
    engine_with(f, transport, SystemRandom)
}

/// An engine whose retry jitter comes from `random`.
fn engine_with(f: &Fixture, transport: Arc<Scripted>, random: impl Random + 'static) -> SyncEngine {
    let store = Arc::new(Store::open_with(f.db_path(), f.clock.clone(), Arc::new(random)).unwrap());
    let engine = SyncEngine::new(store, transport, SyncConfig::new("http://office.test/")).unwrap();
    engine.set_token("token-1").unwrap();
    engine
}

fn photo(f: &Fixture, bytes: &[u8]) -> Attachment {
    let r = f.store.create_report(incident()).unwrap();
    let path = f.dir.path().join("photo.jpg");
    std::fs::write(&path, bytes).unwrap();
    f.store
        .attach_file(&r.id, &path, AttachmentKind::Photo, "image/jpeg")
        .unwrap()
}

#[test]
fn the_first_request_carries_only_the_urgent_lane() {
    let f = Fixture::new().with_assignment();
    for _ in 0..5 {
        f.check_in(CheckInKind::Welfare);
    }
    photo(&f, b"jpeg");
    let duress = f.check_in(CheckInKind::Duress);
    let t = Scripted::new(accept_all);
    let e = engine(&f, t.clone());

    let report = e.sync_once().unwrap();

    assert_eq!(report.outcome, PassOutcome::Completed);
    let first = &t.pushes()[0];
    let ids: Vec<_> = first
        .operations
        .iter()
        .map(|o| o.record_id.clone())
        .collect();
    assert_eq!(ids, [duress.id]);
    assert_eq!(t.requests()[0].url, "http://office.test/v1/push");
    assert!(t.requests()[0]
        .headers
        .iter()
        .any(|h| h.name == "Authorization" && h.value == "Bearer token-1"));
    assert_eq!(
        e.status().unwrap().outbox,
        OutboxStatus {
            next_attempt_at: None,
            ..Default::default()
        }
    );
}

#[test]
fn applied_and_duplicate_are_removed_and_rejected_becomes_a_dead_letter() {
    let f = Fixture::new().with_assignment();
    for _ in 0..3 {
        f.check_in(CheckInKind::Welfare);
    }
    let t = Scripted::new(|r| match r.kind {
        RequestKind::Push => {
            let push: PushRequest = serde_json::from_slice(&r.body).unwrap();
            let o = &push.operations;
            json(
                200,
                serde_json::json!({"server_time": SERVER_TIME, "results": [
                    {"id": o[0].id, "seq": o[0].seq, "status": "applied", "server_version": 1},
                    {"id": o[1].id, "seq": o[1].seq, "status": "duplicate", "server_version": 1},
                    {"id": o[2].id, "seq": o[2].seq, "status": "rejected", "reason": "assignment closed"},
                ]}),
            )
        }
        _ => accept_all(r),
    });
    let e = engine(&f, t);

    let report = e.sync_once().unwrap();

    assert_eq!(
        (report.applied, report.duplicates, report.rejected),
        (1, 1, 1)
    );
    let dead = f.store.dead_letters().unwrap();
    assert_eq!(dead.len(), 1);
    assert_eq!(dead[0].last_error.as_deref(), Some("assignment closed"));
    assert_eq!(f.store.queued_operations().unwrap().len(), 1);
}

#[test]
fn a_result_missing_from_the_response_is_retried_not_assumed() {
    let f = Fixture::new().with_assignment();
    f.check_in(CheckInKind::Welfare);
    f.check_in(CheckInKind::Welfare);
    // The server answers for the first operation of the first push only, ever.
    let answered: Arc<Mutex<Option<String>>> = Arc::new(Mutex::new(None));
    let t = Scripted::new(move |r| match r.kind {
        RequestKind::Push => {
            let push: PushRequest = serde_json::from_slice(&r.body).unwrap();
            let mut answered = answered.lock().unwrap();
            let first = answered.get_or_insert_with(|| push.operations[0].id.clone());
            let results: Vec<_> = push
                .operations
                .iter()
                .filter(|o| &o.id == first)
                .map(|o| serde_json::json!({"id": o.id, "seq": o.seq, "status": "applied", "server_version": 1}))
                .collect();
            json(
                200,
                serde_json::json!({"server_time": SERVER_TIME, "results": results}),
            )
        }
        _ => accept_all(r),
    });
    // Every backoff at its ceiling: the retry is not due again within this pass.
    let e = engine_with(&f, t, FixedRandom(1.0));

    e.sync_once().unwrap();

    let left = f.store.queued_operations().unwrap();
    assert_eq!(left.len(), 1);
    assert_eq!(left[0].state, OperationState::Pending);
    assert_eq!(
        left[0].attempts, 1,
        "a missing result counts as one failed attempt"
    );
    assert!(left[0].next_attempt_at > f.store.now());
}

#[test]
fn a_server_error_with_retry_after_ends_the_pass_and_is_honoured() {
    let f = Fixture::new().with_assignment();
    f.check_in(CheckInKind::Welfare);
    let t = Scripted::new(|r| {
        let mut resp = error(503, "unavailable")?;
        if r.kind == RequestKind::Push {
            resp.headers.push(HttpHeader {
                name: "retry-after".into(),
                value: "30".into(),
            });
        }
        Ok(resp)
    });
    let e = engine(&f, t.clone());

    let report = e.sync_once().unwrap();

    assert!(
        matches!(report.outcome, PassOutcome::Interrupted { ref error } if error.contains("503")),
        "{report:?}"
    );
    assert_eq!(
        t.requests().len(),
        1,
        "nothing more is tried after a transient failure"
    );
    let op = &f.store.queued_operations().unwrap()[0];
    assert_eq!(op.next_attempt_at, T0.plus(Duration::from_secs(30)));
    assert_eq!(
        e.next_sync_at().unwrap(),
        Some(T0.plus(Duration::from_secs(30)))
    );
    assert!(e.status().unwrap().last_error.unwrap().contains("503"));
}

#[test]
fn network_errors_and_unreadable_responses_are_transient() {
    for answer in [
        Err(TransportError::Network {
            detail: "connection reset by peer".into(),
        }),
        Ok(HttpResponse {
            status: 200,
            headers: vec![],
            body: br#"{"server_time": "2026-11-18T19:3"#.to_vec(),
        }),
    ] {
        let f = Fixture::new().with_assignment();
        f.check_in(CheckInKind::Duress);
        let answer = answer.clone();
        let t = Scripted::new(move |_| answer.clone());
        let e = engine(&f, t);

        let report = e.sync_once().unwrap();

        assert!(
            matches!(report.outcome, PassOutcome::Interrupted { .. }),
            "{report:?}"
        );
        let op = &f.store.queued_operations().unwrap()[0];
        assert_eq!((op.state, op.attempts), (OperationState::Pending, 1));
    }
}

#[test]
fn unauthorized_pauses_sync_without_spending_attempts_until_a_new_token() {
    let f = Fixture::new().with_assignment();
    f.check_in(CheckInKind::Welfare);
    let refuse = Arc::new(Mutex::new(true));
    let refusing = refuse.clone();
    let t = Scripted::new(move |r| {
        if *refusing.lock().unwrap() {
            error(401, "unauthorized")
        } else {
            accept_all(r)
        }
    });
    let e = engine(&f, t.clone());

    let first = e.sync_once().unwrap();
    let second = e.sync_once().unwrap();

    assert!(
        matches!(first.outcome, PassOutcome::AuthPaused { .. }),
        "{first:?}"
    );
    assert!(matches!(second.outcome, PassOutcome::AuthPaused { .. }));
    assert_eq!(
        t.requests().len(),
        1,
        "paused: no request until a new token"
    );
    let op = &f.store.queued_operations().unwrap()[0];
    assert_eq!((op.state, op.attempts), (OperationState::Pending, 0));
    assert!(e.status().unwrap().auth_paused);
    assert_eq!(e.next_sync_at().unwrap(), None);

    *refuse.lock().unwrap() = false;
    e.set_token("token-2").unwrap();
    let third = e.sync_once().unwrap();

    assert_eq!(third.outcome, PassOutcome::Completed);
    assert!(f.store.queued_operations().unwrap().is_empty());
    assert!(t
        .requests()
        .last()
        .unwrap()
        .headers
        .iter()
        .any(|h| h.value == "Bearer token-2"));
}

#[test]
fn a_permanent_refusal_of_a_whole_request_dead_letters_its_operations_and_the_pass_goes_on() {
    let f = Fixture::new().with_assignment();
    f.check_in(CheckInKind::Welfare);
    let duress = f.check_in(CheckInKind::Duress);
    // The server refuses any request carrying a welfare check-in, for good.
    let t = Scripted::new(|r| {
        if r.kind == RequestKind::Push && r.body.windows(7).any(|w| w == b"welfare") {
            error(400, "bad_request")
        } else {
            accept_all(r)
        }
    });
    let e = engine(&f, t);

    let report = e.sync_once().unwrap();

    assert_eq!(report.outcome, PassOutcome::Completed);
    assert_eq!(report.applied, 1, "the duress went");
    let dead = f.store.dead_letters().unwrap();
    assert_eq!(dead.len(), 1);
    assert_ne!(dead[0].record_id, duress.id);
    assert!(dead[0]
        .last_error
        .as_deref()
        .unwrap()
        .contains("400 bad_request"));
}

#[test]
fn an_alarm_is_never_dead_lettered_for_a_refusal_of_the_whole_request() {
    let f = Fixture::new();
    f.check_in(CheckInKind::Duress);
    let e = engine(&f, Scripted::new(|_| error(400, "bad_request")));

    let report = e.sync_once().unwrap();

    assert!(
        matches!(report.outcome, PassOutcome::Interrupted { .. }),
        "{report:?}"
    );
    assert!(f.store.dead_letters().unwrap().is_empty());
    assert_eq!(
        f.store.queued_operations().unwrap()[0].state,
        OperationState::Pending
    );
}

#[test]
fn alarms_answered_413_are_split_one_by_one_then_kept_pending_not_dead() {
    let f = Fixture::new();
    for _ in 0..3 {
        f.check_in(CheckInKind::Duress);
    }
    let t = Scripted::new(|r| match r.kind {
        RequestKind::Push => json(413, serde_json::json!({"error": "too big"})),
        _ => accept_all(r),
    });
    let e = engine(&f, t.clone());

    let report = e.sync_once().unwrap();

    assert!(
        matches!(report.outcome, PassOutcome::Interrupted { .. }),
        "{report:?}"
    );
    let sizes: Vec<usize> = t.pushes().iter().map(|p| p.operations.len()).collect();
    // 3 -> [1, 2]: the first half alone is still refused, so the pass stops there and
    // the rest waits for the retry rather than being sent into the same wall.
    assert_eq!(sizes, vec![3, 1], "pushes: {sizes:?}");
    assert!(f.store.dead_letters().unwrap().is_empty());
    let left = f.store.queued_operations().unwrap();
    assert_eq!(left.len(), 3);
    assert!(left.iter().all(|o| o.state == OperationState::Pending));
    assert_eq!(left[0].attempts, 1, "the one sent alone is backed off");
    assert!(left[1..].iter().all(|o| o.attempts == 0), "{left:?}");
}

#[test]
fn an_alarm_raised_while_a_batch_was_refused_as_too_large_goes_before_its_halves() {
    let f = Fixture::new().with_assignment();
    for _ in 0..4 {
        f.check_in(CheckInKind::Welfare);
    }
    let store = Arc::new(Store::open_with_clock(f.db_path(), f.clock.clone()).unwrap());
    let writer = store.clone();
    let mut refused = false;
    let t = Scripted::new(move |r| {
        if r.kind == RequestKind::Push && !refused {
            refused = true;
            // The alarm is written while the big batch is out, which is then refused.
            writer
                .record_check_in(check_in(CheckInKind::Duress))
                .unwrap();
            return json(413, serde_json::json!({"error": "too big"}));
        }
        accept_all(r)
    });
    let e = SyncEngine::new(
        store.clone(),
        t.clone(),
        SyncConfig::new("http://office.test"),
    )
    .unwrap();
    e.set_token("t").unwrap();

    let summary = e.sync_once().unwrap();

    assert_eq!(summary.outcome, PassOutcome::Completed, "{summary:?}");
    let kinds: Vec<Vec<bool>> = t
        .pushes()
        .iter()
        .map(|p| {
            p.operations
                .iter()
                .map(|o| o.payload.get().contains("\"duress\""))
                .collect()
        })
        .collect();
    // The refused batch of four, then the alarm alone, then the halves.
    assert_eq!(
        kinds,
        vec![vec![false; 4], vec![true], vec![false; 2], vec![false; 2]],
        "{kinds:?}"
    );
    assert!(store.queued_operations().unwrap().is_empty());
}

#[test]
fn answers_that_are_not_the_servers_own_refusal_are_transient() {
    // A proxy asking for credentials, a captive portal, a wrong URL: none of these
    // judged the operations.
    for (status, body) in [
        (407, b"<html>Proxy Authentication Required</html>".to_vec()),
        (302, b"".to_vec()),
        (404, b"<html>Not Found</html>".to_vec()),
    ] {
        let f = Fixture::new().with_assignment();
        f.check_in(CheckInKind::Welfare);
        let t = Scripted::new(move |_| {
            Ok(HttpResponse {
                status,
                headers: vec![],
                body: body.clone(),
            })
        });
        let e = engine(&f, t);

        let report = e.sync_once().unwrap();

        assert!(
            matches!(report.outcome, PassOutcome::Interrupted { .. }),
            "{status}: {report:?}"
        );
        assert!(f.store.dead_letters().unwrap().is_empty(), "{status}");
    }
}

#[test]
fn a_listener_that_panics_does_not_stop_sync() {
    struct Panicking;
    impl SyncListener for Panicking {
        fn on_status(&self, _: SyncStatus) -> Result<(), ListenerError> {
            panic!("the app's listener threw");
        }
    }
    let f = Fixture::new().with_assignment();
    let e = engine(&f, Scripted::new(accept_all));
    e.set_listener(Some(Arc::new(Panicking)));
    f.check_in(CheckInKind::Duress);
    e.sync_once().unwrap();

    f.check_in(CheckInKind::Duress);
    let second = e.sync_once().unwrap();

    assert_eq!(
        (second.outcome, second.applied),
        (PassOutcome::Completed, 1)
    );
}

#[test]
fn an_alarm_written_during_the_pull_goes_in_the_same_pass() {
    let f = Fixture::new();
    let store = Arc::new(Store::open_with_clock(f.db_path(), f.clock.clone()).unwrap());
    let writer = store.clone();
    let t = Scripted::new(move |r| {
        if r.kind == RequestKind::Pull {
            writer
                .record_check_in(check_in(CheckInKind::Duress))
                .unwrap();
        }
        accept_all(r)
    });
    let e = SyncEngine::new(store.clone(), t, SyncConfig::new("http://office.test")).unwrap();
    e.set_token("t").unwrap();

    let report = e.sync_once().unwrap();

    assert_eq!(report.applied, 1);
    assert!(store.queued_operations().unwrap().is_empty());
}

#[test]
fn a_refusal_of_an_old_token_does_not_pause_a_new_one() {
    let f = Fixture::new().with_assignment();
    f.check_in(CheckInKind::Welfare);
    let store = Arc::new(Store::open_with_clock(f.db_path(), f.clock.clone()).unwrap());
    // The app sets a new token while a request with the old one is out.
    let app = SyncEngine::new(
        store.clone(),
        Scripted::new(accept_all),
        SyncConfig::new("http://office.test"),
    )
    .unwrap();
    let t = Scripted::new(move |_| {
        app.set_token("token-2").unwrap();
        error(401, "unauthorized")
    });
    let e = SyncEngine::new(store, t, SyncConfig::new("http://office.test")).unwrap();
    e.set_token("token-1").unwrap();

    let report = e.sync_once().unwrap();

    assert!(matches!(report.outcome, PassOutcome::AuthPaused { .. }));
    assert!(
        !e.status().unwrap().auth_paused,
        "the new token is not paused"
    );
}

#[test]
fn while_the_server_asks_to_wait_only_alarms_are_sent() {
    let f = Fixture::new().with_assignment();
    f.check_in(CheckInKind::Welfare);
    let busy = Arc::new(Mutex::new(true));
    let is_busy = busy.clone();
    let t = Scripted::new(move |r| {
        if *is_busy.lock().unwrap() {
            let mut resp = error(429, "rate_limited")?;
            resp.headers.push(HttpHeader {
                name: "Retry-After".into(),
                value: "120".into(),
            });
            Ok(resp)
        } else {
            accept_all(r)
        }
    });
    let e = engine(&f, t.clone());
    e.sync_once().unwrap();
    *busy.lock().unwrap() = false;
    f.check_in(CheckInKind::Duress);
    f.advance(60);

    let during = e.sync_once().unwrap();

    assert_eq!(during.applied, 1, "the duress, and nothing else");
    assert_eq!(
        t.pushes().last().unwrap().operations[0].kind,
        OperationKind::CheckInRecord
    );
    assert_eq!(f.store.queued_operations().unwrap().len(), 1);
    assert_eq!(
        e.next_sync_at().unwrap(),
        Some(T0.plus(Duration::from_secs(120)))
    );
    f.advance(61);
    assert_eq!(e.sync_once().unwrap().applied, 1);
}

#[test]
fn feed_entries_the_device_cannot_take_are_skipped_and_the_cursor_moves_on() {
    let f = Fixture::new();
    let t = Scripted::new(|r| {
        if r.kind != RequestKind::Pull {
            return accept_all(r);
        }
        let mut bad = serde_json::to_value(assignment("A-BAD", 1)).unwrap();
        bad["sites"] = serde_json::json!([]);
        let good = serde_json::to_value(assignment("A-GOOD", 1)).unwrap();
        json(
            200,
            serde_json::json!({"server_time": SERVER_TIME, "has_more": false, "next_cursor": "9",
            "changes": [{"kind": "assignment", "cursor": "7", "assignment": bad},
                        {"kind": "principal_movement", "cursor": "8", "movement": {}},
                        {"kind": "assignment", "cursor": "9", "assignment": good}]}),
        )
    });
    let e = engine(&f, t);

    let report = e.sync_once().unwrap();

    assert_eq!(report.outcome, PassOutcome::Completed);
    assert_eq!(report.assignments_received, 1);
    assert_eq!(report.warnings.len(), 2, "{:?}", report.warnings);
    assert!(f.store.assignment("A-GOOD").is_ok());
    assert!(e.status().unwrap().last_error.is_some());
}

#[test]
fn a_configuration_the_protocol_cannot_use_is_refused_when_the_engine_is_made() {
    let f = Fixture::new();
    let store = Arc::new(Store::open_with_clock(f.db_path(), f.clock.clone()).unwrap());
    type Edit = fn(&mut SyncConfig);
    let cases: [(&str, InputRule, Edit); 12] = [
        ("chunkBytes", InputRule::OutOfRange, |c| c.chunk_bytes = 0),
        ("chunkBytes", InputRule::OutOfRange, |c| c.chunk_bytes = -1),
        ("batch.maxOperations", InputRule::OutOfRange, |c| {
            c.batch.max_operations = 100_000
        }),
        ("batch.maxOperations", InputRule::OutOfRange, |c| {
            c.batch.max_operations = -1
        }),
        ("batch.maxBytes", InputRule::OutOfRange, |c| {
            c.batch.max_bytes = i64::MAX
        }),
        ("batch.maxBytes", InputRule::OutOfRange, |c| {
            c.batch.max_bytes = -1
        }),
        ("pullLimit", InputRule::OutOfRange, |c| c.pull_limit = 0),
        ("serverUrl", InputRule::Blank, |c| {
            c.server_url = String::new()
        }),
        ("serverUrl", InputRule::BadFormat, |c| {
            c.server_url = "sync.example.com".into()
        }),
        ("serverUrl", InputRule::BadFormat, |c| {
            c.server_url = "https://".into()
        }),
        ("requestTimeoutMs", InputRule::OutOfRange, |c| {
            c.request_timeout_ms = 0
        }),
        ("maxPassMs", InputRule::OutOfRange, |c| c.max_pass_ms = -5),
    ];
    for (expected_field, expected_rule, edit) in cases {
        let mut config = SyncConfig::new("http://office.test");
        edit(&mut config);
        let err = SyncEngine::new(store.clone(), Scripted::new(accept_all), config)
            .err()
            .expect("refused");
        assert!(
            matches!(&err, CordonError::InvalidInput { field, rule, .. }
                if field == expected_field && *rule == expected_rule),
            "{expected_field}: {err:?}"
        );
    }
}

#[test]
fn batches_at_the_largest_configuration_stay_within_the_protocol() {
    let f = Fixture::new().with_assignment();
    for _ in 0..1500 {
        f.check_in(CheckInKind::Panic);
    }
    let t = Scripted::new(accept_all);
    let store = Arc::new(Store::open_with_clock(f.db_path(), f.clock.clone()).unwrap());
    let mut config = SyncConfig::new("http://office.test");
    config.batch.max_operations = MAX_PUSH_OPERATIONS as i32;
    config.batch.max_bytes = MAX_PUSH_BYTES as i64 / 2;
    let e = SyncEngine::new(store, t.clone(), config).unwrap();
    e.set_token("t").unwrap();

    e.sync_once().unwrap();

    let sizes: Vec<_> = t.pushes().iter().map(|p| p.operations.len()).collect();
    assert!(sizes.iter().all(|n| *n <= MAX_PUSH_OPERATIONS), "{sizes:?}");
    assert_eq!(sizes.iter().sum::<usize>(), 1500);
}

#[test]
fn draining_stops_when_a_pass_moves_nothing() {
    let f = Fixture::new().with_assignment();
    f.check_in(CheckInKind::Welfare);
    let t = Scripted::new(|r| match r.kind {
        RequestKind::Push => {
            let push: PushRequest = serde_json::from_slice(&r.body).unwrap();
            let o = &push.operations[0];
            // Answers without a result: the operation stays queued, backing off.
            let _ = o;
            json(
                200,
                serde_json::json!({"server_time": SERVER_TIME, "results": []}),
            )
        }
        _ => accept_all(r),
    });
    let e = engine(&f, t.clone());

    let reports = e.sync_until_drained(50).unwrap();

    assert!(reports.len() <= 2, "{} passes for nothing", reports.len());
}

#[test]
fn going_offline_then_online_makes_backed_off_operations_due_at_once() {
    let f = Fixture::new().with_assignment();
    f.check_in(CheckInKind::Duress);
    let up = Arc::new(Mutex::new(false));
    let is_up = up.clone();
    let t = Scripted::new(move |r| {
        if *is_up.lock().unwrap() {
            accept_all(r)
        } else {
            Err(TransportError::Network {
                detail: "offline".into(),
            })
        }
    });
    let e = engine(&f, t);
    for _ in 0..8 {
        e.sync_once().unwrap(); // eight failures: the backoff ceiling is now minutes
        f.clock.advance(Duration::from_secs(300));
    }
    e.set_online(false).unwrap();
    assert_eq!(e.next_sync_at().unwrap(), None);

    *up.lock().unwrap() = true;
    e.set_online(true).unwrap();

    assert_eq!(e.next_sync_at().unwrap(), Some(f.store.now()));
    assert_eq!(e.sync_once().unwrap().applied, 1);
}

#[test]
fn coming_online_when_the_store_cannot_write_stays_offline_so_the_next_call_tries_again() {
    let f = Fixture::new().with_assignment();
    f.check_in(CheckInKind::Welfare);
    let t = Scripted::new(|_| {
        Err(TransportError::Network {
            detail: "offline".into(),
        })
    });
    let e = engine(&f, t);
    for _ in 0..6 {
        f.clock.advance(Duration::from_secs(60));
        e.sync_once().unwrap();
    }
    e.set_online(false).unwrap();
    let backed_off = f.store.outbox_status().unwrap().next_attempt_at.unwrap();
    assert!(backed_off > f.store.now(), "the check-in is backed off");

    // Another connection on the same file makes every outbox update fail.
    let other = rusqlite::Connection::open(f.db_path()).unwrap();
    other
        .execute_batch(
            "CREATE TRIGGER refuse BEFORE UPDATE ON outbox
             BEGIN SELECT RAISE(ABORT, 'the disk refused'); END;",
        )
        .unwrap();
    assert!(e.set_online(true).is_err());
    assert_eq!(e.next_sync_at().unwrap(), None, "still offline");

    other.execute_batch("DROP TRIGGER refuse").unwrap();
    e.set_online(true).unwrap();
    assert_eq!(e.next_sync_at().unwrap(), Some(f.store.now()));
}

#[test]
fn pull_pages_apply_assignments_and_reviews_and_keep_the_cursor() {
    let f = Fixture::new();
    let r = f.store.create_report(incident()).unwrap();
    let report_id = r.id.clone();
    let t = Scripted::new(move |req| {
        if req.kind != RequestKind::Pull {
            return accept_all(req);
        }
        let a1 = serde_json::to_value(assignment("A-7", 1)).unwrap();
        let a2 = serde_json::to_value(assignment("A-7", 2)).unwrap();
        if !req.url.contains("cursor=") {
            json(
                200,
                serde_json::json!({"server_time": SERVER_TIME, "has_more": true, "next_cursor": "c/2",
                "changes": [{"kind": "assignment", "cursor": "c/1", "assignment": a1}]}),
            )
        } else if req.url.contains("cursor=c%2F2") {
            json(
                200,
                serde_json::json!({"server_time": SERVER_TIME, "has_more": false, "next_cursor": "c/3",
                "changes": [{"kind": "assignment", "cursor": "c/2", "assignment": a2},
                            {"kind": "report_review", "cursor": "c/3", "review": {"report_id": report_id,
                             "outcome": "returned", "reviewer": "CR-DUTY", "note": "Add the registration.",
                             "reviewed_at": SERVER_TIME}}]}),
            )
        } else {
            json(
                200,
                serde_json::json!({"server_time": SERVER_TIME, "has_more": false, "next_cursor": "c/3", "changes": []}),
            )
        }
    });
    let e = engine(&f, t.clone());

    let report = e.sync_once().unwrap();

    assert_eq!(
        (report.assignments_received, report.reviews_received),
        (2, 1)
    );
    assert_eq!(f.store.assignment("A-7").unwrap().server_version, 2);
    let reviews = f.store.report_reviews(&r.id).unwrap();
    assert_eq!(reviews[0].outcome, ReviewOutcome::Returned);
    e.sync_once().unwrap();
    let last = t
        .requests()
        .into_iter()
        .rfind(|r| r.kind == RequestKind::Pull)
        .unwrap();
    assert!(last.url.ends_with("cursor=c%2F3"), "{}", last.url);
}

#[test]
fn a_feed_that_starts_over_is_the_offices_truth_and_repeats_no_review() {
    // The office restored a backup: it holds A-7 at version 3 where the device had 5, and
    // sends the report's review again under a new cursor.
    let f = Fixture::new();
    let r = f.store.create_report(incident()).unwrap();
    let review = serde_json::json!({"report_id": r.id, "outcome": "returned", "reviewer": "CR-DUTY",
                                    "note": null, "reviewed_at": SERVER_TIME});
    let t = pull_script(move |n| {
        let a = |v| serde_json::to_value(assignment("A-7", v)).unwrap();
        let page = match n {
            1 => serde_json::json!({"has_more": false, "next_cursor": "old/2", "changes": [
                {"kind": "assignment", "cursor": "old/1", "assignment": a(5)},
                {"kind": "report_review", "cursor": "old/2", "review": review}]}),
            2 => serde_json::json!({"has_more": true, "next_cursor": "new/1", "restarted": true,
                "changes": [{"kind": "report_review", "cursor": "new/1", "review": review}]}),
            3 => serde_json::json!({"has_more": false, "next_cursor": "new/2", "changes": [
                {"kind": "assignment", "cursor": "new/2", "assignment": a(3)}]}),
            _ => serde_json::json!({"has_more": false, "next_cursor": "new/3", "changes": [
                {"kind": "assignment", "cursor": "new/3", "assignment": a(4)}]}),
        };
        let mut page = page;
        page["server_time"] = serde_json::json!(SERVER_TIME);
        json(200, page)
    });
    let e = engine(&f, t.clone());

    e.sync_once().unwrap();
    assert_eq!(f.store.assignment("A-7").unwrap().server_version, 5);
    e.sync_once().unwrap(); // pages 2 and 3: the feed starts over
    assert_eq!(
        f.store.assignment("A-7").unwrap().server_version,
        3,
        "the office's version replaces the one it lost"
    );
    assert_eq!(f.store.report_reviews(&r.id).unwrap().len(), 1);
    e.sync_once().unwrap(); // page 4: the walk is over, versions compare again
    assert_eq!(f.store.assignment("A-7").unwrap().server_version, 4);
    let cursors: Vec<String> = t
        .requests()
        .iter()
        .filter(|r| r.kind == RequestKind::Pull)
        .map(|r| r.url.split("cursor=").nth(1).unwrap_or("-").to_owned())
        .collect();
    assert_eq!(cursors, ["-", "old%2F2", "new%2F1", "new%2F2"]);
}

#[test]
fn after_a_restarted_walk_an_older_version_no_longer_replaces_a_newer_one() {
    let f = Fixture::new();
    let t = pull_script(move |n| {
        let a = |v| serde_json::to_value(assignment("A-7", v)).unwrap();
        let mut page = match n {
            1 => serde_json::json!({"has_more": false, "next_cursor": "new/1", "restarted": true,
                "changes": [{"kind": "assignment", "cursor": "new/1", "assignment": a(6)}]}),
            _ => serde_json::json!({"has_more": false, "next_cursor": "new/2",
                "changes": [{"kind": "assignment", "cursor": "new/2", "assignment": a(2)}]}),
        };
        page["server_time"] = serde_json::json!(SERVER_TIME);
        json(200, page)
    });
    let e = engine(&f, t);
    e.sync_once().unwrap();
    e.sync_once().unwrap();
    assert_eq!(f.store.assignment("A-7").unwrap().server_version, 6);
}

#[test]
fn attachment_bytes_stream_in_chunks_from_the_servers_offset_and_resume_after_a_conflict() {
    let f = Fixture::new();
    let bytes: Vec<u8> = (0..10_000u32).map(|i| (i % 251) as u8).collect();
    let a = photo(&f, &bytes);
    let size = bytes.len() as u64;
    // The server already holds 1,000 bytes; it loses 500 of them once mid-way (a 409).
    let held = Arc::new(Mutex::new(bytes[..1000].to_vec()));
    let server = held.clone();
    let conflicted = Arc::new(Mutex::new(false));
    let sha = a.sha256.clone();
    let t = Scripted::new(move |r| {
        let mut held = server.lock().unwrap();
        let status = |held: &Vec<u8>| {
            serde_json::json!({"server_time": SERVER_TIME, "sha256": sha,
            "size_bytes": size, "received_bytes": held.len(), "complete": held.len() as u64 == size})
        };
        match r.kind {
            RequestKind::AttachmentStatus => json(200, status(&held)),
            RequestKind::AttachmentChunk => {
                let offset: usize = r.url.rsplit("offset=").next().unwrap().parse().unwrap();
                let mut c = conflicted.lock().unwrap();
                if offset >= 5000 && !*c {
                    *c = true;
                    held.truncate(4500);
                    return json(
                        409,
                        serde_json::json!({"server_time": SERVER_TIME, "received_bytes": 4500,
                        "error": {"code": "offset_mismatch", "message": "", "retryable": true}}),
                    );
                }
                assert_eq!(offset, held.len());
                held.extend_from_slice(&r.body);
                json(200, status(&held))
            }
            _ => accept_all(r),
        }
    });
    let store = Arc::new(Store::open_with_clock(f.db_path(), f.clock.clone()).unwrap());
    let mut config = SyncConfig::new("http://office.test");
    config.chunk_bytes = 2048;
    let e = SyncEngine::new(store, t.clone(), config).unwrap();
    e.set_token("t").unwrap();

    let report = e.sync_once().unwrap();

    assert_eq!(report.outcome, PassOutcome::Completed);
    assert_eq!(report.attachments_completed, 1);
    assert_eq!(*held.lock().unwrap(), bytes);
    assert!(t
        .requests()
        .iter()
        .filter(|r| r.kind == RequestKind::AttachmentChunk)
        .all(|r| r.body.len() <= 2048));
    assert!(f.store.queued_operations().unwrap().is_empty());
}

#[test]
fn an_alarm_raised_during_an_upload_goes_before_the_next_chunk() {
    let f = Fixture::new().with_assignment();
    let bytes = vec![7u8; 8192];
    let a = photo(&f, &bytes);
    let store = Arc::new(Store::open_with_clock(f.db_path(), f.clock.clone()).unwrap());
    let writer = store.clone();
    let received = Arc::new(Mutex::new(0usize));
    let held = received.clone();
    let sha = a.sha256.clone();
    let t = Scripted::new(move |r| {
        let mut held = held.lock().unwrap();
        match r.kind {
            RequestKind::AttachmentChunk => {
                *held += r.body.len();
                if *held == 1024 {
                    // The officer presses duress while the photo uploads.
                    writer
                        .record_check_in(check_in(CheckInKind::Duress))
                        .unwrap();
                }
                json(
                    200,
                    serde_json::json!({"server_time": SERVER_TIME, "sha256": sha, "size_bytes": 8192,
                    "received_bytes": *held, "complete": *held == 8192}),
                )
            }
            RequestKind::AttachmentStatus => json(
                200,
                serde_json::json!({"server_time": SERVER_TIME, "sha256": sha,
                "size_bytes": 8192, "received_bytes": 0, "complete": false}),
            ),
            _ => accept_all(r),
        }
    });
    let mut config = SyncConfig::new("http://office.test");
    config.chunk_bytes = 1024;
    let e = SyncEngine::new(store, t.clone(), config).unwrap();
    e.set_token("t").unwrap();

    e.sync_once().unwrap();

    let kinds: Vec<_> = t.requests().iter().map(|r| r.kind).collect();
    let first_chunk = kinds
        .iter()
        .position(|k| *k == RequestKind::AttachmentChunk)
        .unwrap();
    assert_eq!(
        kinds[first_chunk + 1],
        RequestKind::Push,
        "duress right after the chunk it interrupted: {kinds:?}"
    );
    assert_eq!(kinds[first_chunk + 2], RequestKind::AttachmentChunk);
}

#[test]
fn every_response_updates_the_server_clock_offset() {
    let f = Fixture::new().with_assignment();
    f.check_in(CheckInKind::Welfare);
    let e = engine(&f, Scripted::new(accept_all));

    e.sync_once().unwrap();

    assert_eq!(e.status().unwrap().server_clock_offset_ms, Some(5_000));
}

#[test]
fn without_a_token_nothing_is_sent() {
    let f = Fixture::new().with_assignment();
    f.check_in(CheckInKind::Duress);
    let t = Scripted::new(accept_all);
    let store = Arc::new(Store::open_with_clock(f.db_path(), f.clock.clone()).unwrap());
    let e = SyncEngine::new(store, t.clone(), SyncConfig::new("http://office.test")).unwrap();

    assert_eq!(e.sync_once().unwrap().outcome, PassOutcome::NotEnrolled);
    assert!(t.requests().is_empty());
    assert!(!e.status().unwrap().enrolled);
}

#[test]
fn a_feed_entry_reads_back_from_what_the_office_stores_and_an_unknown_kind_is_unknown() {
    let changes = [
        Change::Assignment {
            cursor: "7".into(),
            assignment: cordon_fixtures::assignment(),
        },
        Change::ReportReview {
            cursor: "8".into(),
            review: ReportReview {
                report_id: "R-1".into(),
                outcome: ReviewOutcome::Returned,
                reviewer: "SUP-1".into(),
                note: Some("Add the CAD number.".into()),
                reviewed_at: T0,
            },
        },
        Change::AlarmStatus {
            cursor: "9".into(),
            alarm: AlarmStatus {
                alarm_id: "AL-1".into(),
                check_in_id: "C-1".into(),
                kind: AlarmKind::Panic,
                state: AlarmState::Acknowledged,
                note: Some("Police on the way".into()),
                updated_at: T0,
            },
        },
        Change::Message {
            cursor: "10".into(),
            message: message("M-1", "Police <b>two</b> minutes out.", T0),
        },
    ];
    for change in &changes {
        let (kind, body) = change.stored().unwrap().expect("the office stores it");
        let cursor = change.cursor().unwrap().to_owned();
        assert_eq!(&Change::from_stored(kind, cursor, &body).unwrap(), change);
    }
    assert_eq!(
        Change::from_stored("bolo_entry", "9".into(), "{}").unwrap(),
        Change::Unknown
    );
    assert_eq!(Change::Unknown.cursor(), None);
    assert_eq!(Change::Unknown.stored().unwrap(), None);
}

/// A panic check-in written through a second handle on the fixture's database, as the
/// app would while a pass runs.
fn panic_writer(f: &Fixture) -> impl FnMut() + Send + 'static {
    let store = Store::open_with_clock(f.db_path(), f.clock.clone()).unwrap();
    move || {
        store.record_check_in(check_in(CheckInKind::Panic)).unwrap();
    }
}

#[test]
fn a_pass_ends_at_its_time_bound_even_while_alarms_keep_arriving() {
    let f = Fixture::new().with_assignment();
    f.check_in(CheckInKind::Panic);
    let mut write_panic = panic_writer(&f);
    // Every push brings a new alarm, so the urgent lane never drains.
    let t = Scripted::new(move |r| {
        if r.kind == RequestKind::Push {
            write_panic();
            std::thread::sleep(Duration::from_millis(20));
        }
        accept_all(r)
    });
    let store = Arc::new(Store::open_with_clock(f.db_path(), f.clock.clone()).unwrap());
    let mut config = SyncConfig::new("http://office.test");
    config.max_pass_ms = 1_000;
    let e = SyncEngine::new(store, t.clone(), config).unwrap();
    e.set_token("t").unwrap();

    let started = std::time::Instant::now();
    let summary = e.sync_once().unwrap();

    assert_eq!(summary.outcome, PassOutcome::OutOfTime);
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    let status = f.store.outbox_status().unwrap();
    assert_eq!(status.in_flight.total(), 0);
    assert_eq!(
        status.pending.urgent, 1,
        "the alarm written last waits for the next pass"
    );
}

#[test]
fn each_request_carries_the_configured_timeout_or_what_is_left_of_the_pass() {
    let f = Fixture::new().with_assignment();
    f.check_in(CheckInKind::Welfare);
    let t = Scripted::new(accept_all);
    let store = Arc::new(Store::open_with_clock(f.db_path(), f.clock.clone()).unwrap());
    let mut config = SyncConfig::new("http://office.test");
    config.request_timeout_ms = 7_000;
    let e = SyncEngine::new(store.clone(), t.clone(), config.clone()).unwrap();
    e.set_token("t").unwrap();
    e.sync_once().unwrap();
    assert!(
        t.requests().iter().all(|r| r.timeout_ms == 7_000),
        "{:?}",
        t.requests()
    );

    config.max_pass_ms = 2_000;
    let short = Scripted::new(accept_all);
    let e = SyncEngine::new(store, short.clone(), config).unwrap();
    f.check_in(CheckInKind::Welfare);
    e.sync_once().unwrap();
    let timeouts: Vec<_> = short.requests().iter().map(|r| r.timeout_ms).collect();
    assert!(!timeouts.is_empty());
    assert!(
        timeouts.iter().all(|t| (1_000..=2_000).contains(t)),
        "{timeouts:?}"
    );
}

/// The office's feed saying where the alarm raised by `check_in_id` stands.
fn alarm_entry(
    cursor: &str,
    check_in_id: &str,
    state: &str,
    note: Option<&str>,
) -> serde_json::Value {
    serde_json::json!({"kind": "alarm_status", "cursor": cursor, "alarm": {
        "alarm_id": "AL-1", "check_in_id": check_in_id, "kind": "duress", "state": state,
        "note": note, "updated_at": SERVER_TIME}})
}

#[test]
fn an_alarms_state_arrives_by_the_feed_never_goes_back_and_the_engine_asks_soon_until_acknowledged()
{
    let f = Fixture::new();
    let duress = f
        .store
        .record_check_in(NewCheckIn {
            assignment_id: None,
            ..cordon_fixtures::check_in(CheckInKind::Duress)
        })
        .unwrap();
    let id = duress.id.clone();
    let t = pull_script(move |n| {
        let changes = match n {
            1 => vec![alarm_entry("1", &id, "raised", None)],
            2 => vec![alarm_entry(
                "2",
                &id,
                "acknowledged",
                Some("Police on the way"),
            )],
            // A stale entry (a feed that started over) does not take the state back.
            _ => vec![alarm_entry("3", &id, "raised", None)],
        };
        json(
            200,
            serde_json::json!({"server_time": SERVER_TIME, "has_more": false,
                               "next_cursor": n.to_string(), "changes": changes}),
        )
    });
    let e = engine(&f, t);

    e.sync_once().unwrap();
    let status = f.store.alarm_status(&duress.id).unwrap().unwrap();
    assert_eq!(
        (status.kind, status.state),
        (AlarmKind::Duress, AlarmState::Raised)
    );
    let now = f.store.now();
    assert_eq!(e.next_sync_at().unwrap(), Some(now.plus(ALARM_POLL)));

    f.clock.advance(ALARM_POLL);
    e.sync_once().unwrap();
    let status = f.store.alarm_status(&duress.id).unwrap().unwrap();
    assert_eq!(status.state, AlarmState::Acknowledged);
    assert_eq!(status.note.as_deref(), Some("Police on the way"));
    let now = f.store.now();
    assert_eq!(
        e.next_sync_at().unwrap(),
        Some(now.plus(Duration::from_secs(15 * 60))),
        "acknowledged: back to the ordinary pull interval"
    );

    e.sync_once().unwrap();
    assert_eq!(
        f.store.alarm_statuses().unwrap()[0].state,
        AlarmState::Acknowledged
    );
}

#[test]
fn a_cancelled_pass_stops_after_the_request_in_hand_and_keeps_the_rest_queued() {
    let f = Fixture::new().with_assignment();
    for _ in 0..3 {
        f.check_in(CheckInKind::Panic);
    }
    f.check_in(CheckInKind::Welfare);
    let cancellation = Cancellation::new();
    let cancel = cancellation.clone();
    let t = Scripted::new(move |r| {
        // The app cancels while the first request is out.
        cancel.cancel();
        accept_all(r)
    });
    let store = Arc::new(Store::open_with_clock(f.db_path(), f.clock.clone()).unwrap());
    let mut config = SyncConfig::new("http://office.test");
    config.batch.max_operations = 1;
    let e = SyncEngine::new(store, t.clone(), config).unwrap();
    e.set_token("t").unwrap();

    let summary = e.sync_once_with(&cancellation).unwrap();

    assert_eq!(summary.outcome, PassOutcome::Cancelled);
    assert_eq!((summary.requests, summary.applied), (1, 1));
    let status = f.store.outbox_status().unwrap();
    assert_eq!(status.in_flight.total(), 0);
    assert_eq!((status.pending.urgent, status.pending.normal), (2, 1));
}

#[test]
fn a_second_engine_on_the_same_store_finds_the_pass_already_running() {
    let f = Fixture::new().with_assignment();
    f.check_in(CheckInKind::Welfare);
    let (entered_tx, entered_rx) = std::sync::mpsc::channel::<()>();
    let (release_tx, release_rx) = std::sync::mpsc::channel::<()>();
    let release_rx = Mutex::new(release_rx);
    let blocking = Scripted::new(move |r| {
        let _ = entered_tx.send(());
        let _ = release_rx.lock().unwrap().recv();
        accept_all(r)
    });
    let store = Arc::new(Store::open_with_clock(f.db_path(), f.clock.clone()).unwrap());
    let config = SyncConfig::new("http://office.test");
    let first = Arc::new(SyncEngine::new(store.clone(), blocking, config.clone()).unwrap());
    first.set_token("t").unwrap();
    let second = SyncEngine::new(store, Scripted::new(accept_all), config).unwrap();

    let running = std::thread::spawn({
        let first = first.clone();
        move || first.sync_once().unwrap()
    });
    entered_rx.recv().unwrap();
    let answer = second.sync_once().unwrap();
    drop(release_tx);

    assert_eq!(answer.outcome, PassOutcome::AlreadyRunning);
    assert_eq!(running.join().unwrap().outcome, PassOutcome::Completed);
}

#[test]
fn an_alarm_the_office_never_answers_stops_hurrying_the_engine_after_an_hour() {
    let f = Fixture::new();
    f.store
        .record_check_in(NewCheckIn {
            assignment_id: None,
            ..cordon_fixtures::check_in(CheckInKind::Panic)
        })
        .unwrap();
    let e = engine(&f, Scripted::new(accept_all));
    e.sync_once().unwrap();
    assert_eq!(
        e.next_sync_at().unwrap(),
        Some(f.store.now().plus(ALARM_POLL))
    );
    f.clock.advance(Duration::from_secs(3601));
    e.sync_once().unwrap();
    assert_eq!(
        e.next_sync_at().unwrap(),
        Some(f.store.now().plus(Duration::from_secs(15 * 60)))
    );
}

#[test]
fn a_pass_cancelled_while_pulling_a_long_feed_stops_after_the_page_in_hand_and_resumes_from_it() {
    // The office holds a long feed: every page until the fourth says there is more.
    let f = Fixture::new();
    let cancellation = Cancellation::new();
    let cancel = cancellation.clone();
    let t = pull_script(move |n| {
        if n == 3 {
            // The app cancels while the third page is out.
            cancel.cancel();
        }
        let a = serde_json::to_value(assignment(&format!("A-{n}"), 1)).unwrap();
        json(
            200,
            serde_json::json!({"server_time": SERVER_TIME, "has_more": n < 4, "next_cursor": format!("p/{n}"),
            "changes": [{"kind": "assignment", "cursor": format!("p/{n}"), "assignment": a}]}),
        )
    });
    let e = engine(&f, t.clone());

    let summary = e.sync_once_with(&cancellation).unwrap();

    assert_eq!(summary.outcome, PassOutcome::Cancelled);
    assert_eq!(
        (summary.requests, summary.assignments_received),
        (3, 3),
        "the page in hand is applied, no page after it is asked for"
    );
    assert_eq!(f.store.assignments().unwrap().len(), 3);
    let next = e.sync_once().unwrap();
    assert_eq!(next.outcome, PassOutcome::Completed);
    let cursors: Vec<String> = t
        .requests()
        .iter()
        .filter(|r| r.kind == RequestKind::Pull)
        .map(|r| r.url.split("cursor=").nth(1).unwrap_or("-").to_owned())
        .collect();
    assert_eq!(cursors, ["-", "p%2F1", "p%2F2", "p%2F3"]);
}
