//! `POST /v1/revoked`: the last contact of a device the office revoked. Told `403
//! revoked` on any call, the device sends what it had not sent (names and times, never
//! content) with its old token, then destroys what it holds. Accepted only from a
//! revoked device, for itself; a repeat changes nothing.

use axum::extract::State;
use cordon_core::protocol::RevocationReport;
use serde::Serialize;

use crate::admin;
use crate::http::{ApiError, BodyBytes, Reply, RevokedCaller};
use crate::state::Server;

/// The largest report accepted (1,000 operations named, with room to spare).
const MAX_REVOKED_BYTES: usize = 512 * 1024;

#[derive(Debug, Serialize)]
pub(crate) struct RevokedAnswer {
    server_time: cordon_core::Timestamp,
    /// Always true: the device should now destroy what it holds.
    destroy: bool,
}

pub(crate) async fn handle(
    State(server): State<Server>,
    RevokedCaller(caller): RevokedCaller,
    BodyBytes(body): BodyBytes<MAX_REVOKED_BYTES>,
) -> Result<Reply<RevokedAnswer>, ApiError> {
    let report: RevocationReport = serde_json::from_slice(&body)
        .map_err(|e| ApiError::bad_request(format!("invalid revocation report: {e}")))?;
    caller.require_own(&report.device_id)?;
    let organisation_id = caller.organisation_id.clone();
    server
        .blocking(move |s| admin::confirm_revocation(s, &organisation_id, &report))
        .await?;
    tracing::warn!(device_id = %caller.device_id, "revoked device confirmed it destroys its data");
    Ok(Reply(RevokedAnswer {
        server_time: server.now(),
        destroy: true,
    }))
}
