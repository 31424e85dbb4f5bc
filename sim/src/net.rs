//! The simulated network: the real server's axum router called in process (on a
//! current-thread runtime the run owns) and, by the seed, every fault a phone's network
//! and an office's proxies produce: requests dropped before the server saw them, answers
//! lost after it committed, requests duplicated or replayed late (an earlier body sent
//! again after newer ones), delays, 5xx / 408 / 413 / 429 with `Retry-After`, truncated
//! answers and truncated chunks; and, from inside a request, the device killed, the server
//! restarted, and an alarm written by the officer while the pass runs.

use std::collections::VecDeque;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use cordon_core::sync::{
    HttpHeader, HttpRequest, HttpResponse, RequestKind, Transport, TransportError,
};
use cordon_core::{CheckInKind, Clock, Lane, ManualClock, OperationState, Store};
use cordon_server::Server;
use http_body_util::BodyExt;
use sha2::{Digest, Sha256};
use tower::ServiceExt;

use crate::crash::crash;
use crate::dice::Dice;

/// The base URL devices are configured with; nothing listens on it.
pub const BASE_URL: &str = "http://sim.invalid";

/// The server process: its database file and clock, and the running instance.
struct ServerSlot {
    db: PathBuf,
    clock: Arc<ManualClock>,
    running: Option<(Server, Router)>,
}

/// What the transport does to one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    Pass,
    /// Never reaches the server.
    Drop,
    /// The server commits; the answer is lost.
    LoseResponse,
    /// Sent twice; the device reads the second answer.
    Duplicate,
    /// An earlier request of this device reaches the server first, late.
    ReplayStale,
    /// The exchange takes a while: every clock moves on meanwhile.
    Delay,
    /// Answered by a proxy without reaching the server.
    Status(u16),
    /// The server commits, then a gateway answers 502.
    GatewayAfterCommit,
    /// The answer arrives cut short.
    TruncateResponse,
    /// Only the first part of an attachment chunk arrives, then the connection drops.
    TruncateChunk,
    /// The device is killed before the request leaves.
    CrashBefore,
    /// The device is killed after the server committed, before it read the answer.
    CrashAfter,
    /// The server restarts before the request reaches it.
    RestartBefore,
    /// The server restarts after committing, and the answer is lost with it.
    RestartAfter,
}

/// Everything the devices share: the server, the clocks, the seed's generator, the
/// trace and the violations seen while requests were in flight.
pub struct Net {
    runtime: tokio::runtime::Runtime,
    server: Mutex<ServerSlot>,
    dice: Dice,
    /// The server's clock first, then every device's.
    clocks: Mutex<Vec<Arc<ManualClock>>>,
    /// Probability that a request meets a fault; 0 once the network is healed.
    fault_rate: Mutex<f64>,
    /// Recent requests, for late replays: (device, request).
    recent: Mutex<VecDeque<(usize, HttpRequest)>>,
    trace: Mutex<Trace>,
    violations: Mutex<Vec<String>>,
    pub counters: Mutex<Counters>,
}

#[derive(Debug, Default, Clone)]
pub struct Counters {
    pub requests: u64,
    pub faults: u64,
    /// Devices killed inside a pass (in a request or at a clock read or a draw).
    pub kills_mid_pass: u64,
    /// Devices killed inside a write call.
    pub kills_mid_write: u64,
    pub kills_at_rest: u64,
    pub restarts: u64,
    pub alarms_in_pass: u64,
}

/// A running hash of everything that happened, in order, with no ids in it (ids are
/// UUIDs and differ between runs of one seed); same seed, same hash.
pub struct Trace {
    hasher: Sha256,
    events: u64,
    /// Kept when the run is asked to print its trace.
    pub lines: Option<Vec<String>>,
}

impl Net {
    pub fn new(
        db: PathBuf,
        server_clock: Arc<ManualClock>,
        dice: Dice,
        keep_trace: bool,
    ) -> Arc<Net> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a current-thread runtime");
        let net = Arc::new(Net {
            runtime,
            server: Mutex::new(ServerSlot {
                db,
                clock: server_clock.clone(),
                running: None,
            }),
            dice,
            clocks: Mutex::new(vec![server_clock]),
            fault_rate: Mutex::new(0.0),
            recent: Mutex::new(VecDeque::new()),
            trace: Mutex::new(Trace {
                hasher: Sha256::new(),
                events: 0,
                lines: keep_trace.then(Vec::new),
            }),
            violations: Mutex::new(Vec::new()),
            counters: Mutex::new(Counters::default()),
        });
        net.start_server();
        net
    }

    fn start_server(&self) {
        let mut slot = lock(&self.server);
        let server =
            Server::open_with_clock(&slot.db, slot.clock.clone()).expect("open the server");
        let router = server.router();
        slot.running = Some((server, router));
    }

    /// The running server, for the office's side (admin calls) and the checks.
    pub fn server(&self) -> Server {
        lock(&self.server)
            .running
            .as_ref()
            .map(|(s, _)| s.clone())
            .expect("the server is running")
    }

    /// Stops the server (its connection closed) and opens it again from its database.
    pub fn restart_server(&self) {
        lock(&self.server).running = None;
        self.start_server();
        lock(&self.counters).restarts += 1;
        self.note("server restarted");
    }

    pub fn add_clock(&self, clock: Arc<ManualClock>) {
        lock(&self.clocks).push(clock);
    }

    /// Real time passes: every clock moves on by `d`.
    pub fn advance(&self, d: Duration) {
        for c in lock(&self.clocks).iter() {
            c.advance(d);
        }
    }

    pub fn set_fault_rate(&self, rate: f64) {
        *lock(&self.fault_rate) = rate;
    }

    pub fn dice(&self) -> &Dice {
        &self.dice
    }

    pub fn note(&self, event: impl AsRef<str>) {
        let mut t = lock(&self.trace);
        t.events += 1;
        t.hasher.update(event.as_ref().as_bytes());
        t.hasher.update(b"\n");
        if let Some(lines) = &mut t.lines {
            lines.push(event.as_ref().to_owned());
        }
    }

    /// The trace's hash and length so far.
    pub fn trace_hash(&self) -> (String, u64) {
        let t = lock(&self.trace);
        let digest = t.hasher.clone().finalize();
        let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
        (hex, t.events)
    }

    pub fn trace_lines(&self) -> Vec<String> {
        lock(&self.trace).lines.clone().unwrap_or_default()
    }

    pub fn violation(&self, v: String) {
        self.note(format!("violation: {v}"));
        lock(&self.violations).push(v);
    }

    pub fn take_violations(&self) -> Vec<String> {
        std::mem::take(&mut *lock(&self.violations))
    }

    /// Hands a request to the server's router as it is and reads the whole answer.
    fn serve(&self, request: &HttpRequest) -> HttpResponse {
        let router = lock(&self.server)
            .running
            .as_ref()
            .map(|(_, r)| r.clone())
            .expect("the server is running");
        let path = request.url.strip_prefix(BASE_URL).unwrap_or(&request.url);
        let mut builder = axum::http::Request::builder()
            .method(request.method.as_str())
            .uri(path);
        for h in &request.headers {
            builder = builder.header(&h.name, &h.value);
        }
        let http_request = builder
            .body(axum::body::Body::from(request.body.clone()))
            .expect("a well-formed request");
        self.runtime.block_on(async move {
            let response = match router.oneshot(http_request).await {
                Ok(r) => r,
                Err(never) => match never {},
            };
            let (parts, body) = response.into_parts();
            let body = body
                .collect()
                .await
                .map(|c| c.to_bytes().to_vec())
                .unwrap_or_default();
            HttpResponse {
                status: i32::from(parts.status.as_u16()),
                headers: parts
                    .headers
                    .iter()
                    .map(|(n, v)| HttpHeader {
                        name: n.as_str().to_owned(),
                        value: v.to_str().unwrap_or_default().to_owned(),
                    })
                    .collect(),
                body,
            }
        })
    }

    /// Draws this request's fault (none while the network is healthy).
    fn draw_fault(&self, request: &HttpRequest, push_ops: usize) -> Fault {
        let rate = *lock(&self.fault_rate);
        if rate <= 0.0 || !self.dice.chance(rate) {
            return Fault::Pass;
        }
        let chunk = request.kind == RequestKind::AttachmentChunk;
        // A 413 for what cannot be split makes a dead letter by design: only for a batch
        // of two or more, or a chunk the engine can still halve.
        let splittable = push_ops > 1 || (chunk && request.body.len() > 1024);
        let choices: &[(u64, Fault)] = &[
            (10, Fault::Drop),
            (10, Fault::LoseResponse),
            (6, Fault::Duplicate),
            (6, Fault::ReplayStale),
            (6, Fault::Delay),
            (4, Fault::Status(500)),
            (3, Fault::Status(503)),
            (3, Fault::Status(408)),
            (5, Fault::Status(429)),
            (if splittable { 5 } else { 0 }, Fault::Status(413)),
            (4, Fault::GatewayAfterCommit),
            (5, Fault::TruncateResponse),
            (if chunk { 6 } else { 0 }, Fault::TruncateChunk),
            (3, Fault::CrashBefore),
            (4, Fault::CrashAfter),
            (2, Fault::RestartBefore),
            (2, Fault::RestartAfter),
        ];
        let weights: Vec<u64> = choices.iter().map(|(w, _)| *w).collect();
        choices[self.dice.weighted(&weights)].1
    }

    fn remember(&self, device: usize, request: &HttpRequest) {
        if matches!(
            request.kind,
            RequestKind::Push | RequestKind::AttachmentChunk
        ) {
            let mut recent = lock(&self.recent);
            recent.push_back((device, request.clone()));
            if recent.len() > 16 {
                recent.pop_front();
            }
        }
    }

    fn stale_request_of(&self, device: usize) -> Option<HttpRequest> {
        let recent = lock(&self.recent);
        let mine: Vec<&HttpRequest> = recent
            .iter()
            .filter(|(d, _)| *d == device)
            .map(|(_, r)| r)
            .collect();
        if mine.is_empty() {
            return None;
        }
        Some((*self.dice.pick(&mine)).clone())
    }

    /// Forgets what devices sent (a test that replays across a heal does not want it).
    pub fn forget_requests(&self) {
        lock(&self.recent).clear();
    }
}

/// A device's side of the network: what its engine's transport is.
pub struct Link {
    pub net: Arc<Net>,
    pub device: usize,
    pub store: Arc<Store>,
    pub clock: Arc<ManualClock>,
    /// Probability that the officer raises an alarm while a request is in flight.
    pub alarm_rate: f64,
    /// Alarms written from inside a pass and acknowledged by the store.
    pub alarms: Arc<Mutex<Vec<String>>>,
    /// Whether a push was refused with 413 since the urgent lane last went out.
    pub split_since_urgent: Mutex<bool>,
}

impl Link {
    /// Urgent before normal: a normal batch or an attachment chunk must never leave while
    /// an alarm is due and waiting.
    fn check_urgent_first(&self, request: &HttpRequest) {
        let Ok(queued) = self.store.queued_operations() else {
            return;
        };
        let sending: Vec<i64> = if request.kind == RequestKind::Push {
            push_seqs(&request.body)
        } else {
            Vec::new()
        };
        let carries_normal = queued
            .iter()
            .any(|op| sending.contains(&op.seq) && op.lane == Lane::Normal);
        if queued
            .iter()
            .any(|op| sending.contains(&op.seq) && op.lane == Lane::Urgent)
        {
            *lock(&self.split_since_urgent) = false;
        }
        if !(carries_normal || request.kind == RequestKind::AttachmentChunk) {
            return;
        }
        let now = self.clock.now();
        let turned_back = now.plus(cordon_core::retry::MAX_RETRY_AFTER);
        if let Some(alarm) = queued.iter().find(|op| {
            op.lane == Lane::Urgent
                && op.state == OperationState::Pending
                && (op.attempts == 0
                    || op.next_attempt_at <= now
                    || op.next_attempt_at > turned_back)
        }) {
            // A cause met before (seed 1478, fixed): the halves of a batch refused with
            // 413 sent with no look at the urgent lane between them.
            let after_split = *lock(&self.split_since_urgent);
            self.net.violation(format!(
                "urgent behind normal: device {} sent a {:?} request while alarm seq {} \
                 (due at {}, now {now}) was waiting{}",
                self.device,
                request.kind,
                alarm.seq,
                alarm.next_attempt_at,
                if after_split {
                    " (a batch was refused with 413 before: look at how the halves of \
                     a split batch are sent, core/src/sync/push.rs Resend::Split)"
                } else {
                    ""
                }
            ));
        }
    }

    fn maybe_raise_alarm(&self) {
        if !self.net.dice.chance(self.alarm_rate) {
            return;
        }
        let kind = if self.net.dice.chance(0.5) {
            CheckInKind::Duress
        } else {
            CheckInKind::Panic
        };
        match self.store.record_check_in(cordon_fixtures::check_in(kind)) {
            Ok(c) => {
                lock(&self.alarms).push(c.id);
                lock(&self.net.counters).alarms_in_pass += 1;
                self.net.note(format!(
                    "device {} alarm {kind:?} during a pass",
                    self.device
                ));
            }
            Err(e) => self.net.violation(format!(
                "device {}: an alarm was refused during a pass: {e}",
                self.device
            )),
        }
    }
}

impl Transport for Link {
    fn send(&self, request: HttpRequest) -> Result<HttpResponse, TransportError> {
        let net = &self.net;
        lock(&net.counters).requests += 1;
        self.check_urgent_first(&request);
        let push_ops = if request.kind == RequestKind::Push {
            push_seqs(&request.body).len()
        } else {
            0
        };
        let fault = net.draw_fault(&request, push_ops);
        if fault != Fault::Pass {
            lock(&net.counters).faults += 1;
        }
        net.note(format!(
            "device {} {:?} {:?} ops={} bytes={} fault={fault:?}",
            self.device,
            request.kind,
            request.method,
            push_ops,
            request.body.len()
        ));
        self.maybe_raise_alarm();
        let lost = || {
            Err(TransportError::Network {
                detail: "simulated: connection lost".into(),
            })
        };
        let response = match fault {
            Fault::Pass => net.serve(&request),
            Fault::Drop => return lost(),
            Fault::LoseResponse => {
                net.serve(&request);
                return lost();
            }
            Fault::Duplicate => {
                net.serve(&request);
                net.serve(&request)
            }
            Fault::ReplayStale => {
                if let Some(stale) = net.stale_request_of(self.device) {
                    let old = net.serve(&stale);
                    net.note(format!(
                        "  replayed a stale {:?}: {}",
                        stale.kind, old.status
                    ));
                }
                net.serve(&request)
            }
            Fault::Delay => {
                let d = Duration::from_millis(net.dice.range(100, 90_000));
                net.advance(d / 2);
                let r = net.serve(&request);
                net.advance(d / 2);
                r
            }
            Fault::Status(status) => proxy_answer(net, status),
            Fault::GatewayAfterCommit => {
                net.serve(&request);
                proxy_answer(net, 502)
            }
            Fault::TruncateResponse => {
                let mut r = net.serve(&request);
                let keep = net.dice.below(r.body.len() as u64) as usize;
                r.body.truncate(keep);
                r
            }
            Fault::TruncateChunk => {
                let mut partial = request.clone();
                let keep = net.dice.below(request.body.len() as u64) as usize;
                partial.body.truncate(keep);
                net.serve(&partial);
                return lost();
            }
            Fault::CrashBefore => crash(),
            Fault::CrashAfter => {
                net.serve(&request);
                crash()
            }
            Fault::RestartBefore => {
                net.restart_server();
                net.serve(&request)
            }
            Fault::RestartAfter => {
                net.serve(&request);
                net.restart_server();
                return lost();
            }
        };
        if response.status == 413 && request.kind == RequestKind::Push {
            *lock(&self.split_since_urgent) = true;
        }
        net.remember(self.device, &request);
        net.note(format!(
            "  answered {} ({} bytes)",
            response.status,
            response.body.len()
        ));
        Ok(response)
    }
}

/// What a proxy or an overloaded server answers without the request reaching the API:
/// sometimes the protocol's error body, sometimes a proxy's HTML; 429 and 503 with a
/// `Retry-After` of a few seconds to a few minutes.
fn proxy_answer(net: &Net, status: u16) -> HttpResponse {
    let mut headers = Vec::new();
    if matches!(status, 429 | 503) && net.dice.chance(0.7) {
        headers.push(HttpHeader {
            name: "Retry-After".into(),
            value: net.dice.range(1, 300).to_string(),
        });
    }
    let body = if net.dice.chance(0.5) {
        let server_time = lock(&net.server).clock.now().to_rfc3339();
        format!(
            r#"{{"server_time":"{server_time}","error":{{"code":"unavailable","message":"simulated","retryable":true}}}}"#
        )
        .into_bytes()
    } else {
        format!("<html><body>{status}</body></html>").into_bytes()
    };
    HttpResponse {
        status: i32::from(status),
        headers,
        body,
    }
}

/// The `seq` of every operation in a push body.
fn push_seqs(body: &[u8]) -> Vec<i64> {
    serde_json::from_slice::<serde_json::Value>(body)
        .ok()
        .and_then(|v| {
            v["operations"].as_array().map(|ops| {
                ops.iter()
                    .filter_map(|op| op["seq"].as_i64())
                    .collect::<Vec<_>>()
            })
        })
        .unwrap_or_default()
}

/// A lock that a simulated crash (an unwinding thread) cannot leave unusable.
pub fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}
