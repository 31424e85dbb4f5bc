//! Handover notes as the office holds them: each note the outgoing officer's device sent
//! (applied by `apply::handovers`), and whether and when the incoming officer
//! acknowledged it. The office watches the notes not yet acknowledged
//! ([`unacknowledged_handovers`]): a handover is a transfer of responsibility for the
//! principal, and one nobody acknowledged is an open question.

use crate::store::{Conn, OptionalExtension};
use cordon_core::{Handover, NewHandover, Timestamp};
use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::state::Server;

/// A handover note at the office, with who sent it from where and what became of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HandoverAtOffice {
    pub organisation_id: String,
    /// The note as the devices hold it (`acknowledged_at`: the incoming device's clock).
    #[serde(flatten)]
    pub handover: Handover,
    /// The outgoing officer's device.
    pub device_id: String,
    /// The server's clock when the note arrived.
    pub received_at: Timestamp,
    /// The server's clock when the acknowledgement arrived (none: not acknowledged).
    pub acknowledgement_received_at: Option<Timestamp>,
}

const SELECT: &str = "SELECT h.organisation_id, h.id, h.from_officer_id, h.assignment_id,
        h.to_officer_id, h.principal_state, h.open_issues, h.equipment_and_keys, h.watch_for,
        h.written_at, k.acknowledged_at, h.device_id, h.received_at, k.received_at
    FROM handover h
    LEFT JOIN handover_ack k ON k.organisation_id = h.organisation_id AND k.handover_id = h.id";

fn row(r: &crate::store::Row<'_>) -> rusqlite::Result<HandoverAtOffice> {
    Ok(HandoverAtOffice {
        organisation_id: r.get(0)?,
        handover: Handover {
            id: r.get(1)?,
            from_officer_id: r.get(2)?,
            note: NewHandover {
                assignment_id: r.get(3)?,
                to_officer_id: r.get(4)?,
                principal_state: r.get(5)?,
                open_issues: r.get(6)?,
                equipment_and_keys: r.get(7)?,
                watch_for: r.get(8)?,
            },
            written_at: r.get(9)?,
            acknowledged_at: r.get(10)?,
        },
        device_id: r.get(11)?,
        received_at: r.get(12)?,
        acknowledgement_received_at: r.get(13)?,
    })
}

/// `organisation_id`'s note `id`, if the office holds it.
pub(crate) fn handover_in(
    c: &Conn,
    organisation_id: &str,
    id: &str,
) -> Result<Option<HandoverAtOffice>> {
    Ok(c.prepare_cached(&format!(
        "{SELECT} WHERE h.organisation_id = ?1 AND h.id = ?2"
    ))?
    .query_row([organisation_id, id], row)
    .optional()?)
}

fn list(
    server: &Server,
    organisation_id: &str,
    unacknowledged: bool,
) -> Result<Vec<HandoverAtOffice>> {
    server.read(|c| {
        Ok(c.prepare_cached(&format!(
            "{SELECT} WHERE h.organisation_id = ?1 AND (?2 = 0 OR k.handover_id IS NULL)
             ORDER BY h.received_at, h.id"
        ))?
        .query_map(rusqlite::params![organisation_id, unacknowledged], row)?
        .collect::<rusqlite::Result<_>>()?)
    })
}

/// Every handover note of `organisation_id`, in the order the office received them.
pub fn handovers_of(server: &Server, organisation_id: &str) -> Result<Vec<HandoverAtOffice>> {
    list(server, organisation_id, false)
}

/// The notes of `organisation_id` the incoming officer has not acknowledged yet (as far
/// as the office has heard), oldest first.
pub fn unacknowledged_handovers(
    server: &Server,
    organisation_id: &str,
) -> Result<Vec<HandoverAtOffice>> {
    list(server, organisation_id, true)
}

/// One note of `organisation_id`.
pub fn handover(server: &Server, organisation_id: &str, id: &str) -> Result<HandoverAtOffice> {
    server
        .read(|c| handover_in(c, organisation_id, id))?
        .ok_or_else(|| crate::error::Error::not_found("handover", id))
}
