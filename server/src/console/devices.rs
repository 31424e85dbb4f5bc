//! The organisation's devices in the console, and revoking one (a phone lost or seized):
//! `GET /console/api/devices` for every operator, `POST /console/api/devices/{id}/revoke`
//! for supervisors. A revocation is audited with its effect (`admin::revoke_device`); a
//! refusal on its own.

use axum::extract::State;
use axum::http::HeaderMap;
use cordon_core::Timestamp;
use serde::{Deserialize, Serialize};

use super::{json_body, read_own, refusal_code, Signed, MAX_BODY};
use crate::admin::{self, EnrolledDevice, Revocation};
use crate::error::Error;
use crate::http::{ApiError, ApiPath, BodyBytes, Reply};
use crate::operators::{self, Role};
use crate::state::Server;

#[derive(Serialize)]
pub(super) struct Devices {
    server_time: Timestamp,
    /// Newest enrolment first, each with its revocation (and the device's confirmation).
    devices: Vec<EnrolledDevice>,
}

/// `GET /console/api/devices`.
pub(super) async fn list(
    State(server): State<Server>,
    Signed(session): Signed,
) -> Result<Reply<Devices>, ApiError> {
    let devices = read_own(&server, session, admin::devices_of).await?;
    Ok(Reply(Devices {
        server_time: server.now(),
        devices,
    }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RevokeRequest {
    reason: String,
}

#[derive(Serialize)]
pub(super) struct Revoked {
    server_time: Timestamp,
    revocation: Revocation,
}

/// `POST /console/api/devices/{id}/revoke`: a supervisor shuts a device out.
pub(super) async fn revoke(
    State(server): State<Server>,
    Signed(session): Signed,
    ApiPath(id): ApiPath<String>,
    headers: HeaderMap,
    BodyBytes(body): BodyBytes<MAX_BODY>,
) -> Result<Reply<Revoked>, ApiError> {
    let request: RevokeRequest = json_body(&headers, &body)?;
    let operator = session.operator;
    let revocation = server
        .blocking(move |s| {
            let done = if operator.role == Role::Supervisor {
                admin::revoke_device(
                    s,
                    &operator.organisation_id,
                    &id,
                    &operator.username,
                    &request.reason,
                )
            } else {
                Err(Error::Forbidden(
                    "devices are revoked by supervisors".into(),
                ))
            };
            if let Err(e) = &done {
                let outcome = match e {
                    Error::Forbidden(_) => "forbidden",
                    other => refusal_code(other),
                };
                operators::audit_refusal(s, &operator, "device.revoke", Some(&id), outcome)?;
            }
            done
        })
        .await?;
    Ok(Reply(Revoked {
        server_time: server.now(),
        revocation,
    }))
}
