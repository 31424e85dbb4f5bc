//! Enrolled devices, and revoking one (a phone lost or seized): its token stops working at
//! once, its next contact is told it is revoked, and it then names what it had not sent
//! and destroys what it held. What the office already received stays. Every revocation,
//! and every confirmation, is in the organisation's audit log.

use crate::store::{Conn, OptionalExtension};
use cordon_core::model::validate::{required_text, MAX_SHORT_TEXT};
use cordon_core::protocol::{RevocationReport, UnsentOperation, MAX_UNSENT_LISTED};
use cordon_core::Timestamp;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::operators;
use crate::state::Server;

/// A device enrolled in an organisation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnrolledDevice {
    pub device_id: String,
    pub organisation_id: String,
    pub officer_id: String,
    pub enrolled_at: Timestamp,
    /// Set once the device is revoked.
    pub revocation: Option<Revocation>,
}

/// A device's revocation, and its confirmation once the device made contact.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Revocation {
    pub device_id: String,
    pub organisation_id: String,
    pub officer_id: String,
    pub revoked_at: Timestamp,
    /// Who revoked it: an operator's username, or the name given to `cordon admin`.
    pub revoked_by: String,
    pub reason: String,
    /// When the device's confirmation arrived (the server's clock); none: not yet.
    pub confirmed_at: Option<Timestamp>,
    /// How many operations the device still held unsent when it was told.
    pub unsent_total: Option<i64>,
    /// The first of them (at most 1,000), oldest first: kind, record and time.
    pub unsent: Vec<UnsentOperation>,
}

/// Revokes `device_id` of `organisation_id` on behalf of `actor` (audited in the same
/// transaction). A device of another organisation is not found. Revoking a revoked
/// device changes nothing and returns the first revocation.
pub fn revoke_device(
    server: &Server,
    organisation_id: &str,
    device_id: &str,
    actor: &str,
    reason: &str,
) -> Result<Revocation> {
    required_text("actor", actor, MAX_SHORT_TEXT)?;
    required_text("reason", reason, MAX_SHORT_TEXT)?;
    let now = server.now();
    server.write(|tx| {
        let officer: String = tx
            .query_row(
                "SELECT officer_id FROM device WHERE device_id = ?1 AND organisation_id = ?2",
                [device_id, organisation_id],
                |r| r.get(0),
            )
            .optional()?
            .ok_or_else(|| Error::not_found("device", device_id))?;
        let added = tx.execute(
            "INSERT INTO device_revocation
                 (device_id, organisation_id, officer_id, revoked_at, revoked_by, reason)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT DO NOTHING",
            rusqlite::params![device_id, organisation_id, officer, now, actor, reason],
        )?;
        let outcome = if added == 1 {
            "revoked"
        } else {
            "already revoked"
        };
        operators::audit(
            tx,
            organisation_id,
            actor,
            "device.revoke",
            Some(device_id),
            outcome,
            now,
        )?;
        revocation_in(tx, organisation_id, device_id)?
            .ok_or_else(|| Error::not_found("device", device_id))
    })
}

/// The organisation's devices, newest enrolment first, each with its revocation if any.
pub fn devices_of(server: &Server, organisation_id: &str) -> Result<Vec<EnrolledDevice>> {
    server.read(|c| {
        let listed: Vec<(String, String, Timestamp)> = c
            .prepare_cached(
                "SELECT device_id, officer_id, enrolled_at FROM device
                 WHERE organisation_id = ?1 ORDER BY enrolled_at DESC, device_id",
            )?
            .query_map([organisation_id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
            .collect::<rusqlite::Result<_>>()?;
        listed
            .into_iter()
            .map(|(device_id, officer_id, enrolled_at)| {
                Ok(EnrolledDevice {
                    revocation: revocation_in(c, organisation_id, &device_id)?,
                    device_id,
                    organisation_id: organisation_id.to_owned(),
                    officer_id,
                    enrolled_at,
                })
            })
            .collect()
    })
}

/// One device's revocation (none: not revoked, or not a device of the organisation).
pub fn revocation(
    server: &Server,
    organisation_id: &str,
    device_id: &str,
) -> Result<Option<Revocation>> {
    server.read(|c| revocation_in(c, organisation_id, device_id))
}

fn revocation_in(c: &Conn, organisation_id: &str, device_id: &str) -> Result<Option<Revocation>> {
    let row = c
        .prepare_cached(
            "SELECT officer_id, revoked_at, revoked_by, reason, confirmed_at, unsent_total,
                    unsent
             FROM device_revocation WHERE device_id = ?1 AND organisation_id = ?2",
        )?
        .query_row([device_id, organisation_id], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
                r.get::<_, Option<String>>(6)?,
            ))
        })
        .optional()?;
    let Some((officer_id, revoked_at, revoked_by, reason, confirmed_at, unsent_total, unsent)) =
        row
    else {
        return Ok(None);
    };
    let unsent = match unsent {
        Some(json) => serde_json::from_str(&json)
            .map_err(|e| Error::Storage(format!("unsent operations of {device_id}: {e}")))?,
        None => Vec::new(),
    };
    Ok(Some(Revocation {
        device_id: device_id.to_owned(),
        organisation_id: organisation_id.to_owned(),
        officer_id,
        revoked_at,
        revoked_by,
        reason,
        confirmed_at,
        unsent_total,
        unsent,
    }))
}

/// Records a revoked device's confirmation (its last contact): what it had not sent. The
/// first is kept; a repeat (the answer to the first was lost) changes nothing. Audited
/// as the device's.
pub(crate) fn confirm_revocation(
    server: &Server,
    organisation_id: &str,
    report: &RevocationReport,
) -> Result<()> {
    if report.unsent.len() > MAX_UNSENT_LISTED || report.unsent_total < report.unsent.len() as i64 {
        return Err(Error::invalid(
            "unsent",
            format!(
                "at most {MAX_UNSENT_LISTED} operations are listed, and no more than the total"
            ),
        ));
    }
    for op in &report.unsent {
        required_text("unsent.kind", &op.kind, MAX_SHORT_TEXT)?;
        required_text("unsent.record_id", &op.record_id, MAX_SHORT_TEXT)?;
    }
    let unsent = serde_json::to_string(&report.unsent)
        .map_err(|e| Error::Storage(format!("unsent operations: {e}")))?;
    let now = server.now();
    server.write(|tx| {
        let confirmed = tx.execute(
            "UPDATE device_revocation SET confirmed_at = ?3, unsent_total = ?4, unsent = ?5
             WHERE device_id = ?1 AND organisation_id = ?2 AND confirmed_at IS NULL",
            rusqlite::params![
                report.device_id,
                organisation_id,
                now,
                report.unsent_total,
                unsent
            ],
        )?;
        if confirmed == 1 {
            operators::audit(
                tx,
                organisation_id,
                &format!("device:{}", report.device_id),
                "device.destroyed",
                Some(&report.device_id),
                &format!("destroyed its data; {} unsent", report.unsent_total),
                now,
            )?;
        }
        Ok(())
    })
}
