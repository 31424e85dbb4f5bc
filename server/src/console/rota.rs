//! The duty rota in the console: `GET /console/api/rota` (every shift of the
//! organisation, with its call-in and stand-down), and the two actions on an on-call
//! officer, `POST /console/api/rota/{shift_id}/call-in` and `.../stand-down`, each
//! audited in the same transaction as its effect (a refusal on its own). The officer's
//! phone receives the new rota through the pull feed.

use axum::extract::State;
use axum::routing::{get, post};
use axum::Router;
use cordon_core::{Shift, Timestamp};
use serde::Serialize;

use super::{read_own, refusal_code, Signed};
use crate::admin;
use crate::error::Error;
use crate::http::{ApiError, ApiPath, Reply};
use crate::operators::{self, Operator};
use crate::state::Server;

pub(super) fn routes() -> Router<Server> {
    Router::new()
        .route("/api/rota", get(rota))
        .route("/api/rota/{id}/call-in", post(call_in))
        .route("/api/rota/{id}/stand-down", post(stand_down))
}

#[derive(Serialize)]
struct RotaAnswer {
    server_time: Timestamp,
    /// Every shift of the organisation, by assignment and start.
    shifts: Vec<Shift>,
}

/// `GET /console/api/rota`.
async fn rota(
    State(server): State<Server>,
    Signed(session): Signed,
) -> Result<Reply<RotaAnswer>, ApiError> {
    let shifts = read_own(&server, session, |s, org| admin::rota_of(s, org, None)).await?;
    Ok(Reply(RotaAnswer {
        server_time: server.now(),
        shifts,
    }))
}

#[derive(Serialize)]
struct OneShift {
    server_time: Timestamp,
    shift: Shift,
}

/// `POST /console/api/rota/{id}/call-in`: the on-call officer is called in.
async fn call_in(
    State(server): State<Server>,
    Signed(session): Signed,
    ApiPath(id): ApiPath<String>,
) -> Result<Reply<OneShift>, ApiError> {
    act(
        &server,
        session.operator,
        "rota.call_in",
        id,
        admin::call_in_in,
    )
    .await
}

/// `POST /console/api/rota/{id}/stand-down`: the called-in officer is stood down.
async fn stand_down(
    State(server): State<Server>,
    Signed(session): Signed,
    ApiPath(id): ApiPath<String>,
) -> Result<Reply<OneShift>, ApiError> {
    act(
        &server,
        session.operator,
        "rota.stand_down",
        id,
        admin::stand_down_in,
    )
    .await
}

type Step = fn(&crate::store::Conn, &str, &str, &str, Timestamp) -> crate::Result<Shift>;

/// Runs a call-in step and its audit line in one transaction; a refusal is audited on its
/// own (the step's transaction rolled back).
async fn act(
    server: &Server,
    operator: Operator,
    action: &'static str,
    shift_id: String,
    step: Step,
) -> Result<Reply<OneShift>, ApiError> {
    let shift = server
        .blocking(move |s| {
            let now = s.now();
            let org = &operator.organisation_id;
            let done = s.write(|tx| {
                let shift = step(tx, org, &shift_id, &operator.username, now)?;
                operators::audit(
                    tx,
                    org,
                    &operator.username,
                    action,
                    Some(&shift_id),
                    "ok",
                    now,
                )?;
                Ok(shift)
            });
            if let Err(e) = &done {
                let outcome = match e {
                    Error::Conflict(_) => "conflict",
                    e => refusal_code(e),
                };
                operators::audit_refusal(s, &operator, action, Some(&shift_id), outcome)?;
            }
            done
        })
        .await?;
    Ok(Reply(OneShift {
        server_time: server.now(),
        shift,
    }))
}
