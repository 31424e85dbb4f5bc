//! Handover notes in the console: `GET /console/api/handovers`, the organisation's notes
//! (newest first) and, apart, those the incoming officer has not acknowledged yet. Every
//! field an officer wrote is shown by the page as text.

use axum::extract::State;
use axum::routing::get;
use axum::Router;
use cordon_core::Timestamp;
use serde::Serialize;

use super::{read_own, Signed};
use crate::admin::{self, HandoverAtOffice};
use crate::http::{ApiError, Reply};
use crate::state::Server;

pub(super) fn routes() -> Router<Server> {
    Router::new().route("/api/handovers", get(handovers))
}

#[derive(Serialize)]
struct Handovers {
    server_time: Timestamp,
    /// Not acknowledged yet, oldest first.
    unacknowledged: Vec<HandoverAtOffice>,
    /// Every note, newest first.
    handovers: Vec<HandoverAtOffice>,
}

/// `GET /console/api/handovers`.
async fn handovers(
    State(server): State<Server>,
    Signed(session): Signed,
) -> Result<Reply<Handovers>, ApiError> {
    let (unacknowledged, mut handovers) = read_own(&server, session, |s, org| {
        Ok((
            admin::unacknowledged_handovers(s, org)?,
            admin::handovers_of(s, org)?,
        ))
    })
    .await?;
    handovers.reverse();
    Ok(Reply(Handovers {
        server_time: server.now(),
        unacknowledged,
        handovers,
    }))
}
