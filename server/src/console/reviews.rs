//! The reviewer's queue in the console: `GET /console/api/reports/for-me`, the submitted
//! reports routed to the signed-in operator (as team leader of the report's assignment or
//! as the organisation's designated reviewer) that nobody has reviewed yet, oldest first.
//! The review itself is `POST /console/api/reports/{id}/review` (in `console/mod.rs`).

use axum::extract::State;
use axum::routing::get;
use axum::Router;
use cordon_core::Timestamp;
use serde::Serialize;

use super::Signed;
use crate::admin::{self, ReceivedReport};
use crate::http::{ApiError, Reply};
use crate::state::Server;

pub(super) fn routes() -> Router<Server> {
    Router::new().route("/api/reports/for-me", get(for_me))
}

#[derive(Serialize)]
struct ForMe {
    server_time: Timestamp,
    reports: Vec<ReceivedReport>,
}

/// `GET /console/api/reports/for-me`.
async fn for_me(
    State(server): State<Server>,
    Signed(session): Signed,
) -> Result<Reply<ForMe>, ApiError> {
    let operator = session.operator;
    let reports = server
        .blocking(move |s| admin::for_review_by(s, &operator.organisation_id, &operator.username))
        .await?;
    Ok(Reply(ForMe {
        server_time: server.now(),
        reports,
    }))
}
