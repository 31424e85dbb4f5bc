//! The HTTP surface of `docs/PROTOCOL.md`: the router, in one place.
//!
//! Handlers read as the protocol: what they take is typed by extractors
//! ([`extract`]: the calling device, the query, the path, the body within its limit),
//! what they give is a [`Reply`] or an [`ApiError`] ([`answer`]). Everything common to
//! every request (the log span, reading the rest of a body, stamping the error body
//! with the server's clock) is one middleware ([`middleware`]), which also covers the
//! answers to unknown paths and methods, so every refusal is the protocol's error body.

mod answer;
mod extract;
mod middleware;

use axum::extract::State;
use axum::routing::{get, post};
use axum::Router;
use cordon_core::protocol::{HealthResponse, API_PREFIX};

pub(crate) use answer::{ApiError, Reply};
pub(crate) use extract::{ApiPath, ApiQuery, BodyBytes, BodyStream, Caller};

use crate::Server;

pub(crate) fn router(server: Server) -> Router {
    let api = Router::new()
        .route("/health", get(health))
        .route("/enrol", post(crate::enrol::handle))
        .route("/push", post(crate::push::handle))
        .route("/pull", get(crate::feed::handle))
        .route(
            "/attachments/{sha256}",
            get(crate::attachments::status).put(crate::attachments::upload),
        );
    Router::new()
        .nest(API_PREFIX, api)
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(axum::middleware::from_fn_with_state(
            server.clone(),
            middleware::per_request,
        ))
        .with_state(server)
}

/// `GET /v1/health`.
async fn health(State(server): State<Server>) -> Reply<HealthResponse> {
    Reply(HealthResponse {
        server_time: server.now(),
        status: "ok".into(),
    })
}

async fn not_found() -> ApiError {
    ApiError::not_found("no such endpoint")
}

async fn method_not_allowed() -> ApiError {
    ApiError::method_not_allowed()
}
