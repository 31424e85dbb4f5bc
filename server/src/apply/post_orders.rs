//! Post orders acknowledged (`post_orders.acknowledge`): the officer acknowledged a
//! version of the post orders of an assignment they are on.

use crate::store::{Conn, OptionalExtension};
use cordon_core::protocol::WireOperation;
use cordon_core::{Assignment, PostOrdersAcknowledgement, Timestamp};

use super::{reject, same_record, Refusal};
use crate::http::Caller;

/// `post_orders.acknowledge`: the assignment is one the officer is on in the device's
/// organisation, and the version is one the office has issued (the current one or an
/// earlier one: an acknowledgement written offline may arrive after a newer version).
/// The first acknowledgement of a version by an officer is kept; a repeat (a second
/// device, a reinstalled app) is applied and changes nothing.
pub(super) fn acknowledge(
    tx: &Conn,
    caller: &Caller,
    op: &WireOperation,
    ack: &PostOrdersAcknowledgement,
    now: Timestamp,
) -> Result<(), Refusal> {
    ack.validate()?;
    same_record("id", &ack.id, op)?;
    let body: Option<String> = tx
        .prepare_cached(
            "SELECT a.body FROM assignment a
             JOIN assignment_officer o
               ON o.organisation_id = a.organisation_id AND o.assignment_id = a.id
             WHERE a.organisation_id = ?1 AND a.id = ?2 AND o.officer_id = ?3",
        )?
        .query_row(
            [
                &caller.organisation_id,
                &ack.assignment_id,
                &caller.officer_id,
            ],
            |r| r.get(0),
        )
        .optional()?;
    let Some(body) = body else {
        return reject("unknown assignment");
    };
    let assignment: Assignment = serde_json::from_str(&body).map_err(crate::error::Error::from)?;
    let current = assignment.post_orders.version;
    if ack.version > current {
        return reject(format!(
            "unknown post orders version {} (the office's current version is {current})",
            ack.version
        ));
    }
    tx.prepare_cached(
        "INSERT INTO post_orders_ack (organisation_id, assignment_id, officer_id,
                                                version, id, device_id, acknowledged_at,
                                                received_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) ON CONFLICT DO NOTHING",
    )?
    .execute(rusqlite::params![
        caller.organisation_id,
        ack.assignment_id,
        caller.officer_id,
        ack.version,
        ack.id,
        caller.device_id,
        ack.acknowledged_at,
        now
    ])?;
    tracing::info!(assignment_id = %ack.assignment_id, version = ack.version, "post orders acknowledged");
    Ok(())
}
