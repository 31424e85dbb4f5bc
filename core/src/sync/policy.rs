//! What a failed request means for what it carried: the one failure policy of the engine.
//!
//! [`classify`] reads an answer that is not a success into a [`Failure`]; [`decide`] turns
//! a failure and what was sent into a [`Verdict`]: settle the operations (applied by
//! [`SyncEngine::settle_failed`]) or send again differently (split, smaller, from an
//! offset), which the caller does. Push, pull and upload all go through these three, so the
//! rules of `docs/PROTOCOL.md` ("Failures") are written once:
//!
//! | answer | operations | pull | attachment chunk |
//! |---|---|---|---|
//! | network error, timeout, unreadable, 408, 429, 5xx, anything not the server's own refusal | back off, end the pass | end the pass | back off, end the pass |
//! | 413 | split the batch in two; one operation alone: dead letter | end the pass | send it at half the size |
//! | the server's own permanent refusal (4xx, `retryable: false`) | dead letters, pass goes on | a warning, pass goes on | dead letter |
//! | 401 | released untouched, sync paused until a new token | same | same |
//! | 403 `revoked` | the office is told what was not sent, the store destroyed | same | same |
//! | 409 with `received_bytes` | back off | end the pass | resume from that offset |
//!
//! Alarms are the exception: a refusal of the whole request (413 or permanent) never
//! dead-letters an urgent operation, because the server never judged the alarm itself;
//! it backs off and is tried again (a batch of several is still split).

use std::fmt;
use std::time::Duration;

use super::engine::{Flow, SyncEngine};
use super::{PassOutcome, PassSummary, LOG_TARGET};
use crate::error::Result;
use crate::protocol::ErrorBody;
use crate::retry;
use crate::store::outbox::Outcome;
use crate::store::sync_state::key;

/// Why a request did not produce the expected body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Failure {
    /// Try later: network, timeout, unreadable response, 408, 429, 5xx.
    Transient {
        error: String,
        retry_after: Option<Duration>,
    },
    /// 401: the token is not (or no longer) good.
    Auth(String),
    /// 403 `revoked`: the office revoked this device.
    Revoked,
    /// Refused for good by the server itself.
    Permanent(String),
    /// 409 on an attachment chunk: resume from here.
    Offset(u64),
    /// 413: the request body is over the server's (or a proxy's) limit.
    TooLarge(String),
}

impl Failure {
    pub(super) fn transient(error: impl Into<String>) -> Self {
        Failure::Transient {
            error: error.into(),
            retry_after: None,
        }
    }

    /// The failure's class, as logged (no text: it may quote the server).
    fn class(&self) -> &'static str {
        match self {
            Failure::Transient { .. } => "transient",
            Failure::Auth(_) => "unauthorized",
            Failure::Revoked => "revoked",
            Failure::Permanent(_) => "refused",
            Failure::Offset(_) => "offset",
            Failure::TooLarge(_) => "too_large",
        }
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Failure::Transient { error, .. } => f.write_str(error),
            Failure::Auth(e) | Failure::Permanent(e) | Failure::TooLarge(e) => f.write_str(e),
            Failure::Offset(at) => write!(f, "server expected offset {at}"),
            Failure::Revoked => f.write_str("this device was revoked by the office"),
        }
    }
}

/// Reads an answer outside 2xx. `body` is the protocol's error body, when the answer
/// carried one.
pub(super) fn classify(status: u16, body: Option<ErrorBody>, retry_after: Option<&str>) -> Failure {
    let message = body.as_ref().map_or_else(
        || format!("HTTP {status}"),
        |b| format!("HTTP {status} {}: {}", b.error.code, b.error.message),
    );
    // Only the server's own, deliberate refusal is permanent. Anything else (a captive
    // portal's redirect, a proxy's 407, a 404 from a wrong URL) says nothing about the
    // operations and is tried again.
    let refused = body.as_ref().is_some_and(|b| !b.error.retryable);
    let revoked = body.as_ref().is_some_and(|b| b.error.code == "revoked");
    match status {
        403 if revoked => Failure::Revoked,
        401 => Failure::Auth(message),
        409 => match body.and_then(|b| b.received_bytes) {
            Some(at) => Failure::Offset(at),
            None => Failure::transient(message),
        },
        413 => Failure::TooLarge(message),
        400..=499 if refused && !matches!(status, 408 | 429) => Failure::Permanent(message),
        _ => Failure::Transient {
            error: message,
            retry_after: retry_after.and_then(parse_retry_after),
        },
    }
}

/// `Retry-After` as delta-seconds (the form the reference server sends). An HTTP date
/// is not honoured; the backoff applies instead.
fn parse_retry_after(v: &str) -> Option<Duration> {
    v.trim().parse::<u64>().ok().map(Duration::from_secs)
}

/// What the failed request carried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Sent {
    /// A push of `count` operations; `urgent` if they are alarms.
    Operations { count: usize, urgent: bool },
    /// One chunk of an attachment's bytes (`bytes` long), or the status request before it.
    Chunk { bytes: usize },
    /// A request that carries no operation (a pull page).
    Nothing,
}

/// What to do about a failure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Verdict {
    /// Settle the operations the request carried ([`SyncEngine::settle_failed`]).
    Settle(Settlement),
    /// Send again, differently: the caller's to do.
    Resend(Resend),
}

/// How the operations of a failed request are settled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Settlement {
    /// Back the operations off (after `retry_after` if the server gave one) and end the
    /// pass.
    Retry {
        error: String,
        retry_after: Option<Duration>,
    },
    /// Release the operations untouched and pause sync until a new token.
    PauseAuth(String),
    /// The office revoked the device: tell it what was not sent, destroy the store.
    Revoke,
    /// Keep the operations as dead letters with the reason; with none, keep the reason
    /// as a warning. The pass goes on.
    DeadLetter(String),
}

/// How a refused request is sent again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Resend {
    /// The batch again as two halves, in order.
    Split,
    /// The chunk again at half the size.
    Shrink,
    /// The chunk again from this offset.
    ResumeAt(u64),
}

impl Settlement {
    pub(super) fn retry(error: impl Into<String>) -> Self {
        Settlement::Retry {
            error: error.into(),
            retry_after: None,
        }
    }
}

/// Smallest chunk the engine halves down to; a server refusing this much is broken, and
/// the upload backs off instead.
pub(super) const MIN_CHUNK_BYTES: usize = 1024;

/// The failure policy (see the module docs).
pub(super) fn decide(failure: Failure, sent: Sent) -> Verdict {
    let class = failure.class();
    let verdict = match (failure, sent) {
        (Failure::Transient { error, retry_after }, _) => {
            Verdict::Settle(Settlement::Retry { error, retry_after })
        }
        (Failure::Auth(e), _) => Verdict::Settle(Settlement::PauseAuth(e)),
        (Failure::Revoked, _) => Verdict::Settle(Settlement::Revoke),
        (Failure::TooLarge(_), Sent::Operations { count, .. }) if count > 1 => {
            Verdict::Resend(Resend::Split)
        }
        (Failure::TooLarge(e) | Failure::Permanent(e), Sent::Operations { urgent: true, .. }) => {
            Verdict::Settle(Settlement::retry(e))
        }
        (Failure::TooLarge(e), Sent::Operations { .. }) => Verdict::Settle(Settlement::DeadLetter(
            format!("too large for the server even alone: {e}"),
        )),
        (Failure::TooLarge(_), Sent::Chunk { bytes }) if bytes > MIN_CHUNK_BYTES => {
            Verdict::Resend(Resend::Shrink)
        }
        (Failure::Permanent(e), _) => Verdict::Settle(Settlement::DeadLetter(e)),
        (Failure::Offset(at), Sent::Chunk { .. }) => Verdict::Resend(Resend::ResumeAt(at)),
        (failure @ (Failure::Offset(_) | Failure::TooLarge(_)), _) => {
            Verdict::Settle(Settlement::retry(failure.to_string()))
        }
    };
    tracing::debug!(target: LOG_TARGET, failure = class, verdict = verdict.name(), "request failed");
    verdict
}

impl SyncEngine {
    /// Applies a settlement to the operations `seqs` of a failed request: the one place
    /// a failed request changes the outbox. Returns whether the pass goes on.
    pub(super) fn settle_failed(
        &self,
        seqs: &[i64],
        settlement: Settlement,
        summary: &mut PassSummary,
        token: &str,
    ) -> Result<Flow> {
        Ok(match settlement {
            Settlement::Retry { error, retry_after } => {
                if let Some(after) = retry_after {
                    let until = self.store.now().plus(after.min(retry::MAX_RETRY_AFTER));
                    self.store.set_sync_values(&[(
                        key::SERVER_WAIT_UNTIL,
                        Some(&until.as_millis().to_string()),
                    )])?;
                }
                let outcomes: Vec<_> = seqs
                    .iter()
                    .map(|s| {
                        let error = error.clone();
                        (*s, Outcome::Transient { error, retry_after })
                    })
                    .collect();
                self.store.settle(&outcomes)?;
                Flow::Stop(PassOutcome::Interrupted { error })
            }
            Settlement::PauseAuth(error) => {
                self.store.release(seqs)?;
                // Pause only if the refused token is still the one set: the app may have
                // set a new one while this request was out.
                if self.store.sync_value(key::TOKEN)?.as_deref() == Some(token) {
                    self.store
                        .set_sync_values(&[(key::AUTH_PAUSED, Some(&error))])?;
                }
                tracing::info!(target: LOG_TARGET, "sync paused: the server refused the token");
                Flow::Stop(PassOutcome::AuthPaused { error })
            }
            Settlement::Revoke => Flow::Stop(self.revoked(token)?),
            Settlement::DeadLetter(reason) => {
                if !seqs.is_empty() {
                    tracing::info!(target: LOG_TARGET, operations = seqs.len(), "operations dead-lettered");
                }
                summary.rejected += i32::try_from(seqs.len()).unwrap_or(i32::MAX);
                let outcomes: Vec<_> = seqs
                    .iter()
                    .map(|s| {
                        let reason = reason.clone();
                        (*s, Outcome::Rejected { reason })
                    })
                    .collect();
                self.store.settle(&outcomes)?;
                if seqs.is_empty() {
                    summary.warnings.push(reason);
                }
                Flow::Continue
            }
        })
    }
}

impl Verdict {
    fn name(&self) -> &'static str {
        match self {
            Verdict::Settle(Settlement::Retry { .. }) => "retry",
            Verdict::Settle(Settlement::PauseAuth(_)) => "pause_auth",
            Verdict::Settle(Settlement::Revoke) => "revoke",
            Verdict::Settle(Settlement::DeadLetter(_)) => "dead_letter",
            Verdict::Resend(Resend::Split) => "split",
            Verdict::Resend(Resend::Shrink) => "shrink",
            Verdict::Resend(Resend::ResumeAt(_)) => "resume_at",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ops(count: usize, urgent: bool) -> Sent {
        Sent::Operations { count, urgent }
    }

    #[test]
    fn too_large_splits_a_batch_then_dead_letters_one_operation_but_never_an_alarm() {
        let big = || Failure::TooLarge("HTTP 413".into());
        assert_eq!(decide(big(), ops(2, false)), Verdict::Resend(Resend::Split));
        assert_eq!(decide(big(), ops(2, true)), Verdict::Resend(Resend::Split));
        assert!(
            matches!(decide(big(), ops(1, false)), Verdict::Settle(Settlement::DeadLetter(r)) if r.contains("413"))
        );
        assert!(matches!(
            decide(big(), ops(1, true)),
            Verdict::Settle(Settlement::Retry { .. })
        ));
    }

    #[test]
    fn too_large_halves_a_chunk_down_to_the_floor_then_backs_off() {
        let big = || Failure::TooLarge("HTTP 413".into());
        assert_eq!(
            decide(big(), Sent::Chunk { bytes: 4096 }),
            Verdict::Resend(Resend::Shrink)
        );
        assert!(matches!(
            decide(
                big(),
                Sent::Chunk {
                    bytes: MIN_CHUNK_BYTES
                }
            ),
            Verdict::Settle(Settlement::Retry { .. })
        ));
        assert!(matches!(
            decide(big(), Sent::Nothing),
            Verdict::Settle(Settlement::Retry { .. })
        ));
    }

    #[test]
    fn a_refusal_dead_letters_operations_but_an_alarm_is_tried_again() {
        let no = || Failure::Permanent("HTTP 400 invalid: x".into());
        assert!(matches!(
            decide(no(), ops(3, false)),
            Verdict::Settle(Settlement::DeadLetter(_))
        ));
        assert!(matches!(
            decide(no(), ops(3, true)),
            Verdict::Settle(Settlement::Retry { .. })
        ));
        assert!(matches!(
            decide(no(), Sent::Nothing),
            Verdict::Settle(Settlement::DeadLetter(_))
        ));
    }

    #[test]
    fn an_offset_resumes_a_chunk_and_is_transient_elsewhere() {
        assert_eq!(
            decide(Failure::Offset(10), Sent::Chunk { bytes: 5 }),
            Verdict::Resend(Resend::ResumeAt(10))
        );
        assert!(matches!(
            decide(Failure::Offset(10), ops(1, false)),
            Verdict::Settle(Settlement::Retry { .. })
        ));
    }

    #[test]
    fn only_the_servers_own_refusal_is_permanent() {
        let body = |retryable: bool| -> ErrorBody {
            serde_json::from_value(serde_json::json!({
                "error": {"code": "invalid", "message": "m", "retryable": retryable},
                "server_time": "2026-01-01T00:00:00Z"
            }))
            .unwrap()
        };
        assert!(matches!(
            classify(400, Some(body(false)), None),
            Failure::Permanent(_)
        ));
        assert!(matches!(
            classify(400, Some(body(true)), None),
            Failure::Transient { .. }
        ));
        assert!(matches!(
            classify(404, None, None),
            Failure::Transient { .. }
        ));
        assert!(matches!(classify(429, Some(body(false)), Some("7")),
            Failure::Transient { retry_after: Some(d), .. } if d == Duration::from_secs(7)));
        assert!(matches!(classify(413, None, None), Failure::TooLarge(_)));
        assert!(matches!(classify(401, None, None), Failure::Auth(_)));
        let revoked: ErrorBody = serde_json::from_value(serde_json::json!({
            "error": {"code": "revoked", "message": "m", "retryable": false},
            "server_time": "2026-01-01T00:00:00Z"
        }))
        .unwrap();
        assert_eq!(classify(403, Some(revoked.clone()), None), Failure::Revoked);
        assert!(matches!(
            classify(401, Some(revoked), None),
            Failure::Auth(_)
        ));
        assert_eq!(
            decide(Failure::Revoked, ops(2, true)),
            Verdict::Settle(Settlement::Revoke)
        );
    }
}
