//! The HTTP surface: routes, authentication, body limits and the error body.
//!
//! Every response leaves through [`reply`], which stamps `server_time` (from the server's
//! clock) into the JSON body, success or error alike; hyper adds the `Date` header.
//! Bodies are read here with their limit, never through an extractor that would answer a
//! malformed or oversized request in its own words: every refusal is the protocol's
//! error body.

use std::collections::HashMap;

use axum::body::Body;
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::header::{AUTHORIZATION, CONTENT_LENGTH, CONTENT_TYPE, RETRY_AFTER};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use cordon_core::protocol::{ErrorBody, ErrorDetail, HealthResponse};
use cordon_core::Timestamp;
use http_body_util::BodyExt;
use rusqlite::OptionalExtension;
use serde::Serialize;

use crate::error::Error;
use crate::Server;

/// How much of an oversized body is read and thrown away before answering 413, so that
/// a client still writing its body reads the answer instead of a reset connection.
const DRAIN_LIMIT: usize = 64 * 1024 * 1024;

pub(crate) fn router(server: Server) -> Router {
    Router::new()
        .route("/v1/health", get(health))
        .route("/v1/enrol", axum::routing::post(crate::enrol::handle))
        .route("/v1/push", axum::routing::post(crate::push::handle))
        .route("/v1/pull", get(crate::feed::handle))
        .route(
            "/v1/attachments/{sha256}",
            get(crate::attachments::status).put(crate::attachments::upload),
        )
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        // Limits are enforced per route by `read_body` and the chunk writer.
        .layer(DefaultBodyLimit::disable())
        .with_state(server)
}

async fn health(State(server): State<Server>) -> Response {
    let now = server.now();
    reply(
        now,
        Ok(HealthResponse {
            server_time: now,
            status: "ok".into(),
        }),
    )
}

async fn not_found(State(server): State<Server>) -> Response {
    reply::<()>(server.now(), Err(ApiError::not_found("no such endpoint")))
}

async fn method_not_allowed(State(server): State<Server>) -> Response {
    let err = ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        "this endpoint does not take that method",
    );
    reply::<()>(server.now(), Err(err))
}

/// A refusal, rendered as the protocol's error body.
#[derive(Debug)]
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

    pub(crate) fn offset_mismatch(offset: u64, received_bytes: u64) -> Self {
        let mut e = Self::new(
            StatusCode::CONFLICT,
            "offset_mismatch",
            format!("chunk at offset {offset}, but the server holds {received_bytes} bytes"),
        );
        e.received_bytes = Some(received_bytes);
        e
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

    fn retryable(&self) -> bool {
        self.status.is_server_error()
            || matches!(
                self.status,
                StatusCode::REQUEST_TIMEOUT
                    | StatusCode::TOO_MANY_REQUESTS
                    | StatusCode::PAYLOAD_TOO_LARGE
                    | StatusCode::CONFLICT
            )
    }
}

impl From<Error> for ApiError {
    fn from(err: Error) -> Self {
        match err {
            Error::Busy(_) => {
                let mut e = Self::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "busy",
                    "the server's database is busy; try again shortly",
                );
                e.retry_after_secs = Some(1);
                e
            }
            Error::InvalidInput { .. } => Self::bad_request(err.to_string()),
            Error::NotFound { .. } => Self::not_found(err.to_string()),
            other => {
                // The detail is for the operator's log, not for the device.
                eprintln!("cordon-server: internal error: {other}");
                Self::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal",
                    "the server could not complete the request; try again",
                )
            }
        }
    }
}

/// Renders a handler's outcome: the success body as it is (it carries `server_time`),
/// or the error body stamped with `now`.
pub(crate) fn reply<T: Serialize>(now: Timestamp, result: Result<T, ApiError>) -> Response {
    match result {
        Ok(body) => json(StatusCode::OK, &body),
        Err(e) => {
            let body = ErrorBody {
                server_time: now,
                error: ErrorDetail {
                    code: e.code.to_owned(),
                    message: e.message.clone(),
                    retryable: e.retryable(),
                },
                received_bytes: e.received_bytes,
            };
            let mut response = json(e.status, &body);
            if let Some(secs) = e.retry_after_secs {
                response
                    .headers_mut()
                    .insert(RETRY_AFTER, HeaderValue::from(secs));
            }
            response
        }
    }
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

/// The enrolled device a request's bearer token belongs to.
#[derive(Debug, Clone)]
pub(crate) struct Caller {
    pub device_id: String,
    pub organisation_id: String,
    pub officer_id: String,
}

/// Checks `Authorization: Bearer <token>` against the devices' token hashes.
pub(crate) async fn authenticate(server: &Server, headers: &HeaderMap) -> Result<Caller, ApiError> {
    let token = headers
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            let (scheme, token) = v.trim().split_once(' ')?;
            scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
        })
        .filter(|t| !t.is_empty())
        .ok_or_else(ApiError::unauthorized)?;
    let token_hash = crate::enrol::digest(token);
    let caller = server
        .blocking(move |s| {
            s.read(|c| {
                Ok(c.prepare_cached(
                    "SELECT device_id, organisation_id, officer_id FROM device
                     WHERE token_hash = ?1",
                )?
                .query_row([token_hash], |r| {
                    Ok(Caller {
                        device_id: r.get(0)?,
                        organisation_id: r.get(1)?,
                        officer_id: r.get(2)?,
                    })
                })
                .optional()?)
            })
        })
        .await?;
    caller.ok_or_else(ApiError::unauthorized)
}

/// Reads a whole request body of at most `limit` bytes. Over the limit, the rest is read
/// and dropped (up to [`DRAIN_LIMIT`]) and the answer is 413.
pub(crate) async fn read_body(
    headers: &HeaderMap,
    body: Body,
    limit: usize,
) -> Result<Vec<u8>, ApiError> {
    let declared = content_length(headers);
    if declared.is_some_and(|n| n > limit as u64) {
        drain(body).await;
        return Err(ApiError::too_large(limit));
    }
    let mut bytes = Vec::with_capacity(declared.map_or(0, |n| n as usize));
    let mut body = body;
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|e| ApiError::bad_request(format!("reading the body: {e}")))?;
        if let Some(data) = frame.data_ref() {
            if bytes.len() + data.len() > limit {
                drain(body).await;
                return Err(ApiError::too_large(limit));
            }
            bytes.extend_from_slice(data);
        }
    }
    Ok(bytes)
}

/// Reads and drops what is left of a body, up to [`DRAIN_LIMIT`] bytes.
pub(crate) async fn drain(mut body: Body) {
    let mut seen = 0usize;
    while let Some(Ok(frame)) = body.frame().await {
        seen += frame.data_ref().map_or(0, |d| d.len());
        if seen > DRAIN_LIMIT {
            break;
        }
    }
}

pub(crate) fn content_length(headers: &HeaderMap) -> Option<u64> {
    headers
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
}

/// The query string as a map; a malformed one is a 400.
pub(crate) type QueryMap =
    Result<Query<HashMap<String, String>>, axum::extract::rejection::QueryRejection>;

pub(crate) fn query_map(q: QueryMap) -> Result<HashMap<String, String>, ApiError> {
    q.map(|Query(m)| m)
        .map_err(|e| ApiError::bad_request(format!("malformed query string: {e}")))
}

/// An optional non-negative integer query parameter.
pub(crate) fn query_u64(q: &HashMap<String, String>, name: &str) -> Result<Option<u64>, ApiError> {
    q.get(name)
        .map(|v| {
            v.parse::<u64>().map_err(|_| {
                ApiError::bad_request(format!("{name} must be a non-negative integer, not {v:?}"))
            })
        })
        .transpose()
}

pub(crate) type PathParam = Result<Path<String>, axum::extract::rejection::PathRejection>;

pub(crate) fn path_param(p: PathParam) -> Result<String, ApiError> {
    p.map(|Path(s)| s)
        .map_err(|e| ApiError::bad_request(format!("malformed path: {e}")))
}
