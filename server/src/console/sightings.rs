//! The console's surveillance log: the organisation's BOLO list (issued and withdrawn by
//! an operator, each step audited with its effect in one transaction, a refusal on its
//! own), its sightings with BOLO matches first and flagged (the device's match and the
//! office's, both shown: a match must not be missed), and repeat sightings within the
//! organisation's window. Officer-written text is shown by the page as text only.

use axum::extract::State;
use axum::http::HeaderMap;
use axum::routing::{get, post};
use axum::Router;
use cordon_core::{BoloEntry, BoloPriority, Timestamp};
use serde::{Deserialize, Serialize};

use super::{json_body, read_own, refusal_code, Signed, MAX_BODY};
use crate::admin::{self, BoloInput, ReceivedSighting, RepeatSighting};
use crate::http::{ApiError, ApiPath, BodyBytes, Reply};
use crate::operators;
use crate::state::Server;

/// The routes, merged into the console's router.
pub(super) fn router() -> Router<Server> {
    Router::new()
        .route("/api/sightings", get(sightings))
        .route("/api/bolo", post(issue))
        .route("/api/bolo/{id}/withdraw", post(withdraw))
}

#[derive(Serialize)]
struct Sightings {
    server_time: Timestamp,
    /// The BOLO list in force, most urgent first.
    bolo: Vec<BoloEntry>,
    /// BOLO matches (the device's or the office's) first, then the rest, newest first.
    sightings: Vec<ReceivedSighting>,
    /// Runs of the same registration by different officers or places, newest first.
    repeats: Vec<RepeatSighting>,
    repeat_window_secs: u64,
}

/// `GET /console/api/sightings`.
async fn sightings(
    State(server): State<Server>,
    Signed(session): Signed,
) -> Result<Reply<Sightings>, ApiError> {
    let (bolo, sightings, repeats, window) = read_own(&server, session, |s, org| {
        Ok((
            admin::bolo_list(s, org, false)?,
            admin::sightings_of(s, org)?,
            admin::repeat_sightings(s, org, None)?,
            admin::repeat_window(s, org)?,
        ))
    })
    .await?;
    Ok(Reply(Sightings {
        server_time: server.now(),
        bolo,
        sightings,
        repeats,
        repeat_window_secs: window.as_secs(),
    }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct BoloRequest {
    registration: Option<String>,
    description: Option<String>,
    reason: String,
    priority: BoloPriority,
}

#[derive(Serialize)]
struct OneEntry {
    server_time: Timestamp,
    entry: BoloEntry,
}

/// Runs an operator's step on the BOLO list with its audit row in one transaction, or
/// audits the refusal on its own.
async fn audited(
    server: &Server,
    session: operators::Session,
    action: &'static str,
    subject: Option<String>,
    step: impl FnOnce(&crate::store::Conn, &str, Timestamp) -> crate::error::Result<BoloEntry>
        + Send
        + 'static,
) -> Result<Reply<OneEntry>, ApiError> {
    let operator = session.operator;
    let entry = server
        .blocking(move |s| {
            let now = s.now();
            let done = s.write(|tx| {
                let entry = step(tx, &operator.organisation_id, now)?;
                operators::audit(
                    tx,
                    &operator.organisation_id,
                    &operator.username,
                    action,
                    Some(&entry.id),
                    "ok",
                    now,
                )?;
                Ok(entry)
            });
            if let Err(e) = &done {
                operators::audit_refusal(
                    s,
                    &operator,
                    action,
                    subject.as_deref(),
                    refusal_code(e),
                )?;
            }
            done
        })
        .await?;
    Ok(Reply(OneEntry {
        server_time: server.now(),
        entry,
    }))
}

/// `POST /console/api/bolo`: an operator issues an entry; every officer of the
/// organisation receives it through the pull feed.
async fn issue(
    State(server): State<Server>,
    Signed(session): Signed,
    headers: HeaderMap,
    BodyBytes(body): BodyBytes<MAX_BODY>,
) -> Result<Reply<OneEntry>, ApiError> {
    let r: BoloRequest = json_body(&headers, &body)?;
    let input = BoloInput {
        registration: r.registration,
        description: r.description,
        reason: r.reason,
        priority: r.priority,
    };
    audited(&server, session, "bolo.issue", None, move |tx, org, now| {
        admin::issue_bolo_in(tx, org, &input, now)
    })
    .await
}

/// `POST /console/api/bolo/{id}/withdraw`: the entry stops matching on the phones once
/// they pull the withdrawal, and at the office at once.
async fn withdraw(
    State(server): State<Server>,
    Signed(session): Signed,
    ApiPath(id): ApiPath<String>,
) -> Result<Reply<OneEntry>, ApiError> {
    let subject = Some(id.clone());
    audited(
        &server,
        session,
        "bolo.withdraw",
        subject,
        move |tx, org, now| admin::withdraw_bolo_in(tx, org, &id, now),
    )
    .await
}
