//! What happens around every request, whatever its route: a log span, the body read to
//! its end, and the error body stamped with the server's clock.
//!
//! - **Span**: `request{method, route, device_id}`; [`super::extract::Caller`] fills in
//!   the device. One line when the answer leaves: status, refusal code, latency. Only
//!   ids and counts are logged, never a body, a query string or a header: those carry
//!   tokens, enrolment codes and evidence.
//! - **Drain**: a client that is still writing its body when the server answers may
//!   see its connection reset instead of the answer, so whatever the handler left
//!   unread (a refused request's body, a chunk for a complete attachment) is read and
//!   dropped first, up to [`DRAIN_LIMIT`] bytes and while it keeps arriving.
//! - **Stamp**: a refusal ([`super::answer::ApiError`]) leaves with the protocol's error
//!   body and `server_time` from the server's clock ([`super::answer::stamp`]).

use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::body::{Body, Bytes, HttpBody};
use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::Response;
use http_body::{Frame, SizeHint};
use http_body_util::BodyExt;
use tracing::Instrument;

use axum::http::header::CONNECTION;
use axum::http::HeaderValue;
use axum::response::IntoResponse;

use super::answer::stamp;
use super::extract::declared_length;
use crate::state::Server;

/// The largest body any endpoint takes (an attachment chunk).
const MAX_REQUEST_BODY: usize = cordon_core::protocol::MAX_CHUNK_BYTES;

/// How much of a body the server reads and throws away after answering without it.
const DRAIN_LIMIT: usize = 64 * 1024 * 1024;

/// How long draining waits for the next piece of a body: a client that stopped
/// sending (the chunk upload that timed out) is not waited for again at length.
const DRAIN_IDLE: Duration = Duration::from_secs(5);

pub(crate) async fn per_request(
    State(server): State<Server>,
    request: Request,
    next: Next,
) -> Response {
    let started = Instant::now();
    // The route's template, not the path as sent: one name per endpoint in the logs.
    let route = request.extensions().get::<MatchedPath>().map_or_else(
        || request.uri().path().to_owned(),
        |p| p.as_str().to_owned(),
    );
    let span = tracing::info_span!(
        "request",
        method = %request.method(),
        route = %route,
        device_id = tracing::field::Empty,
    );
    async move {
        // A body larger than any endpoint takes is refused before anything else (the
        // token included). Up to the drain limit it is read and dropped first, so that a
        // client still sending sees the answer; beyond that it is not read at all, and
        // the connection is closed after the answer.
        if let Err(refusal) = declared_length::<MAX_REQUEST_BODY>(request.headers()) {
            let huge = declared_length::<DRAIN_LIMIT>(request.headers()).is_err();
            if !huge {
                let body = SharedBody(Arc::new(Mutex::new(request.into_body())));
                body.drain(server.timeouts().body_idle.min(DRAIN_IDLE))
                    .await;
            }
            let (mut response, refusal_code) = stamp(refusal.into_response(), server.now());
            if huge {
                response
                    .headers_mut()
                    .insert(CONNECTION, HeaderValue::from_static("close"));
            }
            tracing::info!(status = 413, code = refusal_code, "answered");
            return response;
        }
        let (parts, body) = request.into_parts();
        let body = SharedBody(Arc::new(Mutex::new(body)));
        let response = next
            .run(Request::from_parts(parts, Body::new(body.clone())))
            .await;
        body.drain(server.timeouts().body_idle.min(DRAIN_IDLE))
            .await;
        let (response, refusal) = stamp(response, server.now());
        let status = response.status().as_u16();
        let latency_ms = started.elapsed().as_millis() as u64;
        // `code` only on a refusal: the protocol's error code.
        if response.status().is_server_error() {
            tracing::warn!(status, code = refusal, latency_ms, "answered");
        } else {
            tracing::info!(status, code = refusal, latency_ms, "answered");
        }
        response
    }
    .instrument(span)
    .await
}

/// The request body, shared between the handler and the middleware so that what the
/// handler leaves unread can still be drained after it returns.
#[derive(Clone)]
struct SharedBody(Arc<Mutex<Body>>);

impl SharedBody {
    fn lock(&self) -> MutexGuard<'_, Body> {
        // Polling a body cannot leave it half-changed: a poisoned lock is harmless.
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Reads and drops what is left of the body, up to [`DRAIN_LIMIT`] bytes, while
    /// it keeps arriving.
    async fn drain(self, idle: Duration) {
        let mut body = self;
        let mut seen = 0usize;
        while seen <= DRAIN_LIMIT {
            match tokio::time::timeout(idle, body.frame()).await {
                Ok(Some(Ok(frame))) => seen += frame.data_ref().map_or(0, Bytes::len),
                // The end, a broken connection, or a client gone quiet.
                _ => break,
            }
        }
    }
}

impl HttpBody for SharedBody {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        Pin::new(&mut *self.lock()).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.lock().is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.lock().size_hint()
    }
}
