//! The router, in one place: every endpoint of `docs/PROTOCOL.md` and the handler that
//! answers it, under the API prefix, with the one middleware every request passes.

use axum::extract::State;
use axum::routing::{get, post};
use axum::Router;
use cordon_core::protocol::{HealthResponse, API_PREFIX};

use crate::http::{middleware, ApiError, Reply};
use crate::state::Server;
use crate::{enrol, feed, push, revoked, uploads};

impl Server {
    /// The HTTP API as an axum router (state included), for embedding or for
    /// [`serve`](crate::serve).
    pub fn router(&self) -> Router {
        router(self.clone())
    }
}

fn router(server: Server) -> Router {
    let api = Router::new()
        .route("/health", get(health))
        .route("/enrol", post(enrol::handle))
        .route("/push", post(push::handle))
        .route("/pull", get(feed::handle))
        .route("/revoked", post(revoked::handle))
        .route(
            "/attachments/{sha256}",
            get(uploads::status).put(uploads::upload),
        );
    Router::new()
        .nest(API_PREFIX, api)
        .nest("/console", crate::console::router())
        .route(
            "/console/",
            get(|| async { axum::response::Redirect::permanent("/console") }),
        )
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
