//! What the server answers: [`Reply`] for a success, [`ApiError`] for a refusal.
//!
//! Every body is JSON (`application/json; charset=utf-8`) and carries the server's
//! clock as `server_time`. A success body carries it because the handler puts it there
//! (it is part of the protocol's response types). A refusal is built wherever it
//! happens (an extractor, a handler, a conversion from [`Error`]) without the clock:
//! [`ApiError`] renders a bodiless response holding its detail, and [`stamp`], run
//! once per request by the middleware, writes the error body with the time of the
//! answer. So no handler passes `now` around to refuse, and no refusal leaves without
//! the protocol's error body.

use axum::http::header::{CONTENT_TYPE, RETRY_AFTER};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use cordon_core::protocol::{ErrorBody, ErrorDetail};
use cordon_core::Timestamp;
use serde::Serialize;

use crate::error::{AlarmRefusal, Error};

/// A success: the protocol's response body, as it is.
#[derive(Debug)]
pub(crate) struct Reply<T>(pub T);

impl<T: Serialize> IntoResponse for Reply<T> {
    fn into_response(self) -> Response {
        json(StatusCode::OK, &self.0)
    }
}

/// A refusal, rendered as the protocol's error body.
#[derive(Debug, Clone)]
pub(crate) struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
    received_bytes: Option<u64>,
    retry_after_secs: Option<u64>,
}

impl ApiError {
    fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            code,
            message: message.into(),
            received_bytes: None,
            retry_after_secs: None,
        }
    }

    pub(crate) fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "bad_request", message)
    }

    pub(crate) fn unauthorized() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "missing, unknown or revoked token",
        )
    }

    /// The token's device was revoked by the office: it should name what it had not sent
    /// (`POST /v1/revoked`) and destroy what it holds. A 403, not a 401: the credentials
    /// are known and refused for good (and a JDK client streaming a body drops the body of
    /// a 401, which would hide the code).
    pub(crate) fn revoked() -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            "revoked",
            "this device was revoked by the office",
        )
    }

    pub(crate) fn forbidden(message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "forbidden", message)
    }

    pub(crate) fn enrolment_refused() -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            "enrolment_refused",
            "the enrolment code is unknown, used or expired",
        )
    }

    pub(crate) fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", message)
    }

    pub(crate) fn method_not_allowed() -> Self {
        Self::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
            "this endpoint does not take that method",
        )
    }

    pub(crate) fn offset_mismatch(offset: u64, received_bytes: u64) -> Self {
        let mut e = Self::new(
            StatusCode::CONFLICT,
            "offset_mismatch",
            format!("chunk at offset {offset}, but the server holds {received_bytes} bytes"),
        );
        e.received_bytes = Some(received_bytes);
        e
    }

    /// The client stopped sending its body part-way.
    pub(crate) fn body_timeout() -> Self {
        Self::new(
            StatusCode::REQUEST_TIMEOUT,
            "timeout",
            "the request body stopped arriving; send it again",
        )
    }

    pub(crate) fn too_large(limit: usize) -> Self {
        Self::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_large",
            format!("the request body is over the limit of {limit} bytes"),
        )
    }

    pub(crate) fn hash_mismatch(sha256: &str) -> Self {
        Self::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "hash_mismatch",
            format!("the bytes received do not hash to {sha256}; they were discarded"),
        )
    }

    /// Over a rate limit: try again after `wait` (rounded up to whole seconds).
    pub(crate) fn too_many_requests(what: &str, wait: std::time::Duration) -> Self {
        let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
        let mut e = Self::new(
            StatusCode::TOO_MANY_REQUESTS,
            "too_many_requests",
            format!("too many {what}; try again in {secs} s"),
        );
        e.retry_after_secs = Some(secs.max(1));
        e
    }

    fn busy() -> Self {
        let mut e = Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "busy",
            "the server's database is busy; try again shortly",
        );
        e.retry_after_secs = Some(1);
        e
    }

    fn internal() -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "the server could not complete the request; try again",
        )
    }

    /// Whether the device may send the same request again: the error classes of
    /// `docs/PROTOCOL.md`.
    fn retryable(&self) -> bool {
        self.status.is_server_error()
            || matches!(
                self.status,
                StatusCode::REQUEST_TIMEOUT
                    | StatusCode::TOO_MANY_REQUESTS
                    | StatusCode::PAYLOAD_TOO_LARGE
            )
            // A conflict of offsets is resumed; an alarm's state is not retried.
            || self.code == "offset_mismatch"
    }
}

impl From<Error> for ApiError {
    fn from(err: Error) -> Self {
        match err {
            Error::Busy(_) => Self::busy(),
            Error::InvalidInput { .. } => Self::bad_request(err.to_string()),
            Error::NotFound { .. } => Self::not_found(err.to_string()),
            Error::Alarm { refusal, .. } => Self::new(
                StatusCode::CONFLICT,
                match refusal {
                    AlarmRefusal::AlreadyAcknowledged => "alarm_already_acknowledged",
                    AlarmRefusal::AlreadyResolved => "alarm_already_resolved",
                    AlarmRefusal::NotAcknowledged => "alarm_not_acknowledged",
                    AlarmRefusal::AlreadyEscalated => "alarm_already_escalated",
                    AlarmRefusal::NotYetDue => "alarm_not_yet_due",
                },
                err.to_string(),
            ),
            Error::Conflict(_) => Self::new(StatusCode::CONFLICT, "conflict", err.to_string()),
            Error::Unauthenticated(_) => {
                Self::new(StatusCode::UNAUTHORIZED, "unauthorized", err.to_string())
            }
            Error::Forbidden(_) => Self::forbidden(err.to_string()),
            other => {
                // The detail is for the operator's log (storage and i/o failures name
                // tables and files, never a record's content), not for the device.
                tracing::error!(error = %other, "internal error");
                Self::internal()
            }
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = self.status.into_response();
        if let Some(secs) = self.retry_after_secs {
            response
                .headers_mut()
                .insert(RETRY_AFTER, HeaderValue::from(secs));
        }
        response.extensions_mut().insert(Unstamped(self));
        response
    }
}

/// A refusal waiting for [`stamp`] to write its body.
#[derive(Debug, Clone)]
struct Unstamped(ApiError);

/// Writes the error body of a refusal, with `now` as its `server_time`; returns the
/// response and the refusal's code (for the request's log line), or the response as
/// it was if it is not a refusal.
pub(crate) fn stamp(mut response: Response, now: Timestamp) -> (Response, Option<&'static str>) {
    let Some(Unstamped(e)) = response.extensions_mut().remove::<Unstamped>() else {
        return (response, None);
    };
    let body = ErrorBody {
        server_time: now,
        error: ErrorDetail {
            code: e.code.to_owned(),
            message: e.message.clone(),
            retryable: e.retryable(),
        },
        received_bytes: e.received_bytes,
    };
    let mut stamped = json(e.status, &body);
    // Keep what the refusal set besides its body (Retry-After).
    for (name, value) in response.headers() {
        if name != CONTENT_TYPE {
            stamped.headers_mut().insert(name, value.clone());
        }
    }
    (stamped, Some(e.code))
}

fn json<T: Serialize>(status: StatusCode, body: &T) -> Response {
    match serde_json::to_vec(body) {
        Ok(bytes) => (
            status,
            [(
                CONTENT_TYPE,
                HeaderValue::from_static("application/json; charset=utf-8"),
            )],
            bytes,
        )
            .into_response(),
        // Only a bug could get here (every body is plain data); say so without a body
        // that could itself fail.
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}
