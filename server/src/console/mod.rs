//! The control-room console at `/console`: a page, one script and one stylesheet, all
//! compiled into the binary (control rooms are often cut off from the internet: no CDN),
//! and the JSON API the page calls, under `/console/api`.
//!
//! - **Signing in** (`POST /console/api/login`) sets the session cookie: `HttpOnly`,
//!   `SameSite=Strict`, `Path=/console`, and `Secure` when the request came over TLS (a
//!   proxy's `X-Forwarded-Proto: https`) or the server was told to (`cordon serve
//!   --secure-cookies`). Every state-changing request must carry the session's CSRF
//!   token in `X-CSRF-Token` ([`session::Signed`]); login itself takes only JSON, which a
//!   cross-site form cannot send.
//! - **Scope**: every read and action goes through the session's organisation.
//! - **Live**: `GET /console/api/events` is a server-sent event stream that says
//!   `changed` whenever the organisation's alarms, check-ins, assignments, reports,
//!   messages, post orders acknowledgements, sightings or the BOLO list changed ([`live`]); the page
//!   then reads what it shows again.
//! - **Audit**: every action and every refusal of one is written to the audit log, an
//!   alarm's step in the same transaction as its effect (a report's review in the next).
//! - **Headers**: a Content-Security-Policy without `'unsafe-inline'` (the page has no
//!   inline script or style), `nosniff`, no referrer, no framing, no caching of answers.

mod assets;
mod devices;
mod handovers;
mod live;
mod movements;
mod reviews;
mod rota;
mod session;
mod sightings;

use axum::extract::State;
use axum::http::header::{
    CACHE_CONTROL, CONTENT_SECURITY_POLICY, REFERRER_POLICY, SET_COOKIE, X_CONTENT_TYPE_OPTIONS,
    X_FRAME_OPTIONS,
};
use axum::http::{HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use cordon_core::Timestamp;
use serde::{Deserialize, Serialize};

use crate::admin::{self, PostOrdersStanding, ReceivedReport};
use crate::alarms::{self, Actor, Alarm, OnDuty, Resolution};
use crate::error::Error;
use crate::http::{ApiError, ApiPath, BodyBytes, ClientAddress, Reply};
use crate::messages::{self, NewMessage, SentMessage};
use crate::operators::{self, AuditEntry, Operator, Role, Session};
use crate::state::Server;

pub(crate) use session::Signed;

/// The Content-Security-Policy of every console answer.
pub const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
    connect-src 'self'; img-src 'self'; base-uri 'none'; form-action 'self'; \
    frame-ancestors 'none'";

/// The largest console request body: a resolution with its note, or a message of 2,000
/// characters of up to 4 bytes each as a browser's JSON.stringify sends them.
const MAX_BODY: usize = 16 * 1024;

/// The console's routes, to be nested at `/console`.
pub(crate) fn router() -> Router<Server> {
    Router::new()
        .route("/", get(assets::index))
        .route("/app.js", get(assets::script))
        .route("/app.css", get(assets::style))
        .route("/favicon.svg", get(assets::icon))
        .route("/api/login", post(login))
        .route("/api/logout", post(logout))
        .route("/api/session", get(whoami))
        .route("/api/alarms", get(alarm_queue))
        .route("/api/alarms/{id}", get(one_alarm))
        .route("/api/alarms/{id}/acknowledge", post(acknowledge))
        .route("/api/alarms/{id}/resolve", post(resolve))
        .route("/api/officers", get(officers))
        .route("/api/reports", get(reports))
        .route("/api/post-orders", get(post_orders))
        .route("/api/movements", get(movements::movements))
        .route("/api/reports/{id}/review", post(review))
        .route("/api/messages", get(message_list).post(send_message))
        .route("/api/devices", get(devices::list))
        .route("/api/devices/{id}/revoke", post(devices::revoke))
        .route("/api/audit", get(audit))
        .route("/api/events", get(live::events))
        .merge(sightings::router())
        .merge(rota::routes())
        .merge(handovers::routes())
        .merge(reviews::routes())
        .layer(axum::middleware::map_response(security_headers))
}

async fn security_headers(mut response: Response) -> Response {
    let h = response.headers_mut();
    h.insert(CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP));
    h.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    h.insert(X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.entry(CACHE_CONTROL)
        .or_insert(HeaderValue::from_static("no-store"));
    response
}

/// A JSON body of at most [`MAX_BODY`] bytes, as `T`, or `400 bad_request` naming what is
/// wrong. The console sends JSON only: a body of another type is refused.
fn json_body<T: serde::de::DeserializeOwned>(
    headers: &HeaderMap,
    body: &[u8],
) -> Result<T, ApiError> {
    let json = headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if !json {
        return Err(ApiError::bad_request(
            "send JSON (Content-Type: application/json)",
        ));
    }
    serde_json::from_slice(body).map_err(|e| ApiError::bad_request(format!("invalid request: {e}")))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LoginRequest {
    organisation: String,
    username: String,
    password: String,
}

/// Who is signed in, and the token to send back on every action.
#[derive(Serialize)]
struct SessionAnswer {
    server_time: Timestamp,
    operator: Operator,
    csrf_token: String,
    expires_at: Timestamp,
}

/// `POST /console/api/login`.
async fn login(
    State(server): State<Server>,
    ClientAddress(address): ClientAddress,
    headers: HeaderMap,
    BodyBytes(body): BodyBytes<MAX_BODY>,
) -> Result<Response, ApiError> {
    server
        .limits()
        .login(address)
        .map_err(|wait| ApiError::too_many_requests("sign-in attempts", wait))?;
    let request: LoginRequest = json_body(&headers, &body)?;
    let session = server
        .blocking(move |s| {
            operators::login(
                s,
                &request.organisation,
                &request.username,
                &request.password,
            )
        })
        .await?;
    let secure = server.secure_cookies() || session::over_tls(&headers);
    let cookie = session::cookie(&session.token, secure, operators::SESSION_MAX.as_secs());
    let answer = SessionAnswer {
        server_time: server.now(),
        operator: session.operator,
        csrf_token: session.csrf_token,
        expires_at: session.expires_at,
    };
    let mut response = Reply(answer).into_response();
    response.headers_mut().insert(SET_COOKIE, cookie);
    Ok(response)
}

/// `POST /console/api/logout`.
async fn logout(
    State(server): State<Server>,
    headers: HeaderMap,
    Signed(session): Signed,
) -> Result<Response, ApiError> {
    server
        .blocking(move |s| operators::logout(s, &session))
        .await?;
    let secure = server.secure_cookies() || session::over_tls(&headers);
    let mut response = Reply(Done {
        server_time: server.now(),
    })
    .into_response();
    response
        .headers_mut()
        .insert(SET_COOKIE, session::cookie("", secure, 0));
    Ok(response)
}

#[derive(Serialize)]
struct Done {
    server_time: Timestamp,
}

/// `GET /console/api/session`: who is signed in (the page asks on load).
async fn whoami(State(server): State<Server>, Signed(session): Signed) -> Reply<SessionAnswer> {
    Reply(SessionAnswer {
        server_time: server.now(),
        operator: session.operator,
        csrf_token: session.csrf_token,
        expires_at: session.expires_at,
    })
}

/// Runs `read` off the async runtime on the signed-in operator's own organisation: every
/// console read is scoped by this one function, so no handler can leave the scope out.
async fn read_own<T: Send + 'static>(
    server: &Server,
    session: Session,
    read: impl FnOnce(&Server, &str) -> crate::error::Result<T> + Send + 'static,
) -> Result<T, ApiError> {
    let org = session.operator.organisation_id;
    Ok(server.blocking(move |s| read(s, &org)).await?)
}

#[derive(Serialize)]
struct AlarmQueue {
    server_time: Timestamp,
    /// Not resolved, most urgent and oldest first.
    open: Vec<Alarm>,
    /// The last few resolved, newest first.
    resolved: Vec<Alarm>,
}

/// `GET /console/api/alarms`.
async fn alarm_queue(
    State(server): State<Server>,
    Signed(session): Signed,
) -> Result<Reply<AlarmQueue>, ApiError> {
    let (open, resolved) = read_own(&server, session, |s, org| {
        Ok((
            alarms::open_alarms(s, org)?,
            alarms::resolved_alarms(s, org, 20)?,
        ))
    })
    .await?;
    Ok(Reply(AlarmQueue {
        server_time: server.now(),
        open,
        resolved,
    }))
}

#[derive(Serialize)]
struct OneAlarm {
    server_time: Timestamp,
    alarm: Alarm,
}

/// `GET /console/api/alarms/{id}`.
async fn one_alarm(
    State(server): State<Server>,
    Signed(session): Signed,
    ApiPath(id): ApiPath<String>,
) -> Result<Reply<OneAlarm>, ApiError> {
    let alarm = read_own(&server, session, move |s, org| alarms::alarm(s, org, &id)).await?;
    Ok(Reply(OneAlarm {
        server_time: server.now(),
        alarm,
    }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AcknowledgeRequest {
    note: Option<String>,
}

/// `POST /console/api/alarms/{id}/acknowledge`.
async fn acknowledge(
    State(server): State<Server>,
    Signed(session): Signed,
    ApiPath(id): ApiPath<String>,
    headers: HeaderMap,
    BodyBytes(body): BodyBytes<MAX_BODY>,
) -> Result<Reply<OneAlarm>, ApiError> {
    let request: AcknowledgeRequest = json_body(&headers, &body)?;
    let note = request.note.filter(|n| !n.trim().is_empty());
    act(
        &server,
        session.operator,
        "alarm.acknowledge",
        id,
        move |tx, actor, id, now| alarms::acknowledge_in(tx, actor, id, note.as_deref(), now),
    )
    .await
}

/// `POST /console/api/alarms/{id}/resolve`.
async fn resolve(
    State(server): State<Server>,
    Signed(session): Signed,
    ApiPath(id): ApiPath<String>,
    headers: HeaderMap,
    BodyBytes(body): BodyBytes<MAX_BODY>,
) -> Result<Reply<OneAlarm>, ApiError> {
    let mut resolution: Resolution = json_body(&headers, &body)?;
    resolution.police_reference = resolution.police_reference.filter(|r| !r.trim().is_empty());
    resolution.note = resolution.note.filter(|n| !n.trim().is_empty());
    act(
        &server,
        session.operator,
        "alarm.resolve",
        id,
        move |tx, actor, id, now| alarms::resolve_in(tx, actor, id, &resolution, now),
    )
    .await
}

/// Runs an operator's action on an alarm and its audit line in one transaction; a
/// refusal is audited on its own (the action's transaction rolled back).
async fn act(
    server: &Server,
    operator: Operator,
    action: &'static str,
    alarm_id: String,
    f: impl FnOnce(&crate::store::Tx<'_>, &Actor<'_>, &str, Timestamp) -> crate::Result<Alarm>
        + Send
        + 'static,
) -> Result<Reply<OneAlarm>, ApiError> {
    let result = server
        .blocking(move |s| {
            let now = s.now();
            let actor = Actor {
                organisation_id: &operator.organisation_id,
                username: &operator.username,
            };
            let done = s.write(|tx| {
                let alarm = f(tx, &actor, &alarm_id, now)?;
                operators::audit(
                    tx,
                    &operator.organisation_id,
                    &operator.username,
                    action,
                    Some(&alarm_id),
                    "ok",
                    now,
                )?;
                Ok(alarm)
            });
            if let Err(e) = &done {
                let outcome = refusal_code(e);
                operators::audit_refusal(s, &operator, action, Some(&alarm_id), outcome)?;
            }
            done
        })
        .await;
    let alarm = result?;
    tracing::info!(alarm_id = %alarm.id, action, "operator action");
    Ok(Reply(OneAlarm {
        server_time: server.now(),
        alarm,
    }))
}

fn refusal_code(e: &Error) -> &'static str {
    match e {
        Error::Alarm { .. } => "illegal_transition",
        Error::InvalidInput { .. } => "invalid_input",
        Error::NotFound { .. } => "not_found",
        _ => "failed",
    }
}

#[derive(Serialize)]
struct Officers {
    server_time: Timestamp,
    /// Officers whose welfare clock runs, overdue first, then by officer.
    on_duty: Vec<OnDuty>,
}

/// `GET /console/api/officers`.
async fn officers(
    State(server): State<Server>,
    Signed(session): Signed,
) -> Result<Reply<Officers>, ApiError> {
    let mut on_duty = read_own(&server, session, alarms::on_duty).await?;
    on_duty.sort_by_key(|d| {
        (
            !matches!(d.welfare, cordon_core::WelfareStatus::Overdue { .. }),
            d.officer_id.clone(),
            d.assignment_id.clone(),
        )
    });
    Ok(Reply(Officers {
        server_time: server.now(),
        on_duty,
    }))
}

#[derive(Serialize)]
struct Audit {
    server_time: Timestamp,
    entries: Vec<AuditEntry>,
}

/// `GET /console/api/audit`: supervisors only.
async fn audit(
    State(server): State<Server>,
    Signed(session): Signed,
) -> Result<Reply<Audit>, ApiError> {
    if session.operator.role != Role::Supervisor {
        return Err(Error::Forbidden("the audit log is for supervisors".into()).into());
    }
    let entries = read_own(&server, session, |s, org| operators::audit_log(s, org, 200)).await?;
    Ok(Reply(Audit {
        server_time: server.now(),
        entries,
    }))
}

#[derive(Serialize)]
struct Reports {
    server_time: Timestamp,
    /// The organisation's incident reports, newest first, each with its hash chain
    /// recomputed by the server, its amendments and its reviews.
    reports: Vec<ReceivedReport>,
}

/// `GET /console/api/reports`.
async fn reports(
    State(server): State<Server>,
    Signed(session): Signed,
) -> Result<Reply<Reports>, ApiError> {
    let mut reports = read_own(&server, session, admin::reports_of).await?;
    reports.reverse();
    Ok(Reply(Reports {
        server_time: server.now(),
        reports,
    }))
}

#[derive(Serialize)]
struct PostOrders {
    server_time: Timestamp,
    /// Every officer on every assignment of the organisation, by assignment and officer,
    /// with the post orders version issued last and the newest one they acknowledged.
    post_orders: Vec<PostOrdersStanding>,
}

/// `GET /console/api/post-orders`: who has acknowledged which version of which
/// assignment's post orders.
async fn post_orders(
    State(server): State<Server>,
    Signed(session): Signed,
) -> Result<Reply<PostOrders>, ApiError> {
    let post_orders = read_own(&server, session, admin::post_orders_standing_of).await?;
    Ok(Reply(PostOrders {
        server_time: server.now(),
        post_orders,
    }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ReviewRequest {
    outcome: cordon_core::ReviewOutcome,
    note: Option<String>,
}

#[derive(Serialize)]
struct Reviewed {
    server_time: Timestamp,
    review: cordon_core::ReportReview,
}

/// `POST /console/api/reports/{id}/review`: the report's routed reviewer (or a supervisor
/// standing in, audited `ok_stand_in`; see `admin::review_as`) accepts or returns a
/// submitted report; the officer receives the outcome through the pull feed. Audited
/// after the review's own transaction (and a refusal on its own).
async fn review(
    State(server): State<Server>,
    Signed(session): Signed,
    ApiPath(id): ApiPath<String>,
    headers: HeaderMap,
    BodyBytes(body): BodyBytes<MAX_BODY>,
) -> Result<Reply<Reviewed>, ApiError> {
    let request: ReviewRequest = json_body(&headers, &body)?;
    let operator = session.operator;
    let result = server
        .blocking(move |s| {
            let note = request.note.as_deref().filter(|n| !n.trim().is_empty());
            let done = admin::review_as(s, &operator, &id, request.outcome, note);
            let outcome = match &done {
                Ok((_, admin::ReviewedAs::Routed)) => "ok",
                Ok((_, admin::ReviewedAs::StandIn)) => "ok_stand_in",
                Err(Error::Forbidden(_)) => "forbidden",
                Err(Error::Conflict(_)) => "conflict",
                Err(e) => refusal_code(e),
            };
            operators::audit_refusal(s, &operator, "report.review", Some(&id), outcome)?;
            done.map(|(review, _)| review)
        })
        .await?;
    Ok(Reply(Reviewed {
        server_time: server.now(),
        review: result,
    }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MessageRequest {
    officer_id: String,
    body: String,
    alarm_id: Option<String>,
}

#[derive(Serialize)]
struct OneMessage {
    server_time: Timestamp,
    message: SentMessage,
}

#[derive(Serialize)]
struct Messages {
    server_time: Timestamp,
    /// The organisation's messages, newest first, each with its delivery and read.
    messages: Vec<SentMessage>,
}

/// How many messages the console lists.
const MESSAGES_LISTED: usize = 50;

/// `GET /console/api/messages`.
async fn message_list(
    State(server): State<Server>,
    Signed(session): Signed,
) -> Result<Reply<Messages>, ApiError> {
    let messages = read_own(&server, session, |s, org| {
        messages::messages_of(s, org, MESSAGES_LISTED)
    })
    .await?;
    Ok(Reply(Messages {
        server_time: server.now(),
        messages,
    }))
}

/// `POST /console/api/messages`: an operator writes to an officer of their organisation,
/// optionally about an alarm; the officer's device receives it through the pull feed.
/// Audited with the message in one transaction (a refusal on its own); never the body.
async fn send_message(
    State(server): State<Server>,
    Signed(session): Signed,
    headers: HeaderMap,
    BodyBytes(body): BodyBytes<MAX_BODY>,
) -> Result<Reply<OneMessage>, ApiError> {
    let request: MessageRequest = json_body(&headers, &body)?;
    let operator = session.operator;
    let message = server
        .blocking(move |s| {
            let now = s.now();
            let alarm_id = request.alarm_id.as_deref().filter(|a| !a.trim().is_empty());
            let new = NewMessage {
                organisation_id: &operator.organisation_id,
                sender: &operator.username,
                officer_id: &request.officer_id,
                alarm_id,
                body: &request.body,
            };
            let done = s.write(|tx| {
                let message = messages::send_in(tx, &new, now)?;
                operators::audit(
                    tx,
                    &operator.organisation_id,
                    &operator.username,
                    "message.send",
                    Some(&message.id),
                    "ok",
                    now,
                )?;
                Ok(message)
            });
            if let Err(e) = &done {
                let subject = Some(request.officer_id.as_str());
                operators::audit_refusal(s, &operator, "message.send", subject, refusal_code(e))?;
            }
            done
        })
        .await?;
    Ok(Reply(OneMessage {
        server_time: server.now(),
        message,
    }))
}
