//! The console's live stream: `GET /console/api/events`, server-sent events.
//!
//! The stream says `changed` (with a fingerprint as data) when the operator's
//! organisation's alarms, check-ins, assignments, reports, messages (sent, delivered,
//! read), post orders acknowledgements, the rota, handovers or report routes changed, and once at the start. It wakes on every
//! write this process commits ([`Server::changes`]), and every [`POLL`] besides, for
//! writes by another process (`cordon admin`) and to notice an ended session; it looks at
//! its own organisation only, so an operator learns nothing of another's activity. It
//! ends when the session ends or the server stops.

use std::convert::Infallible;
use std::time::Duration;

use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures_util::stream::Stream;

use super::Signed;
use crate::error::Result;
use crate::operators;
use crate::state::Server;

/// How often the stream looks without being woken.
const POLL: Duration = Duration::from_secs(2);

struct Watch {
    server: Server,
    token: String,
    organisation_id: String,
    changes: tokio::sync::watch::Receiver<u64>,
    stopping: tokio::sync::watch::Receiver<bool>,
    last: Option<String>,
}

/// `GET /console/api/events`.
pub(super) async fn events(
    State(server): State<Server>,
    Signed(session): Signed,
) -> Sse<impl Stream<Item = std::result::Result<Event, Infallible>>> {
    let watch = Watch {
        changes: server.changes(),
        stopping: server.stopping(),
        server,
        token: session.token,
        organisation_id: session.operator.organisation_id,
        last: None,
    };
    let stream = futures_util::stream::unfold(watch, |mut w| async move {
        loop {
            if *w.stopping.borrow() {
                return None;
            }
            let (token, org) = (w.token.clone(), w.organisation_id.clone());
            let now = w
                .server
                .blocking(move |s| {
                    operators::session(s, &token)?;
                    fingerprint(s, &org)
                })
                .await;
            let Ok(now) = now else {
                return None; // the session ended (or the database failed): the page signs in again
            };
            if w.last.as_deref() != Some(now.as_str()) {
                w.last = Some(now.clone());
                let event = Event::default().event("changed").data(now);
                return Some((Ok(event), w));
            }
            tokio::select! {
                _ = w.changes.changed() => {}
                _ = w.stopping.changed() => {}
                () = tokio::time::sleep(POLL) => {}
            }
        }
    });
    Sse::new(stream).keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
}

/// What changes when anything the console shows of `organisation_id` changes.
fn fingerprint(server: &Server, organisation_id: &str) -> Result<String> {
    server.read(|c| {
        Ok(c.prepare_cached(
            "SELECT (SELECT coalesce(max(seq), 0) FROM alarm_event WHERE organisation_id = ?1)
                    || ':' || (SELECT coalesce(max(received_at), 0) || '.' || count(*)
                               FROM last_check_in WHERE organisation_id = ?1)
                    || ':' || (SELECT coalesce(max(updated_at), 0) || '.' || count(*)
                               FROM assignment WHERE organisation_id = ?1)
                    || ':' || (SELECT count(*) || '.' || coalesce(sum(amendments), 0)
                                      || '.' || count(submitted_at)
                               FROM report WHERE organisation_id = ?1)
                    || ':' || (SELECT count(*) FROM review WHERE organisation_id = ?1)
                    || ':' || (SELECT count(*) FROM message WHERE organisation_id = ?1)
                    || '.' || (SELECT count(*) FROM message_delivery WHERE organisation_id = ?1)
                    || '.' || (SELECT count(*) FROM message_read WHERE organisation_id = ?1)
                    || ':' || (SELECT count(*) FROM post_orders_ack WHERE organisation_id = ?1)
                    || ':' || (SELECT count(*) || '.' || count(confirmed_at)
                               FROM device_revocation WHERE organisation_id = ?1)
                    || '.' || (SELECT count(*) FROM device WHERE organisation_id = ?1)
                    || ':' || (SELECT count(*) FROM sighting WHERE organisation_id = ?1)
                    || '.' || (SELECT coalesce(max(updated_at), 0) || '.' || count(*)
                               FROM bolo WHERE organisation_id = ?1)
                    || ':' || (SELECT coalesce(max(seq), 0) FROM movement_event
                               WHERE organisation_id = ?1)
                    || '.' || (SELECT count(*) FROM movement_leg WHERE organisation_id = ?1)
                    || ':' || (SELECT count(*) FROM rota_shift WHERE organisation_id = ?1)
                    || '.' || (SELECT count(*) FROM rota_call WHERE organisation_id = ?1)
                    || '.' || (SELECT count(*) FROM handover WHERE organisation_id = ?1)
                    || '.' || (SELECT count(*) FROM handover_ack WHERE organisation_id = ?1)
                    || '.' || (SELECT count(*) FROM report_route WHERE organisation_id = ?1)",
        )?
        .query_row([organisation_id], |r| r.get(0))?)
    })
}
