//! What the office does through the server, and what it reads from it.
//!
//! Writes: one-time enrolment codes, assignments (each upsert is a new server version,
//! delivered through the pull feed of every officer on the assignment), and review
//! outcomes of submitted reports (delivered to the submitting officer). Reads: everything
//! devices sent, as serde-serialisable structs for `cordon admin list` and for tests.
//!
//! Records are keyed by organisation and id (ids are made on devices, so two
//! organisations may hold the same one): a function that names one record takes its
//! organisation too, and each listing has an `_of` form that reads one organisation's
//! records only (the plain form reads every organisation's, each row naming its own).
//!
//! Every function is synchronous and runs its writes in one transaction; it may be
//! called from another process while `cordon serve` runs on the same database.
//!
//! One file per record family ([`assignments`], [`check_ins`], [`reports`],
//! [`attachments`], [`post_orders`], [`sightings`] and the [`bolo`] list, [`movements`],
//! [`rota`], [`handovers`], [`reviewers`]), and the devices ([`revoke_device`]); what every
//! family shares (enrolment, provenance, receipts) is here.

mod assignments;
mod attachments;
mod bolo;
mod check_ins;
mod devices;
mod handovers;
mod movements;
mod post_orders;
mod reports;
mod reviewers;
mod rota;
mod sightings;

pub use assignments::upsert_assignment;
pub use attachments::{attachments, attachments_of, ReceivedAttachment};
pub(crate) use bolo::office_match;
pub use bolo::{
    bolo_list, issue_bolo, issue_bolo_in, update_bolo, update_bolo_in, withdraw_bolo,
    withdraw_bolo_in, BoloInput,
};
pub use check_ins::{check_ins, check_ins_of, ReceivedCheckIn};
pub(crate) use devices::confirm_revocation;
pub use devices::{devices_of, revocation, revoke_device, EnrolledDevice, Revocation};
pub(crate) use handovers::handover_in;
pub use handovers::{handover, handovers_of, unacknowledged_handovers, HandoverAtOffice};
pub use movements::{
    movement_legs, movement_legs_of, movement_log_of, movements_by_assignment_of,
    AssignmentMovements, ReceivedMovementLeg,
};
pub use post_orders::{post_orders_standing, post_orders_standing_of, PostOrdersStanding};
pub use reports::{
    organisations_with_report, record_review, report, reports, reports_of, ReceivedReport,
};
pub(crate) use reviewers::route_report;
pub use reviewers::{
    designated_reviewer, for_review_by, review_as, set_designated_reviewer, set_team_leader,
    team_leader, ReviewedAs, Route, RoutedBy,
};
pub use rota::{
    call_in, call_in_in, rota_of, set_shift, set_shift_in, shift, stand_down, stand_down_in,
    NewShift,
};
pub use sightings::{
    repeat_sightings, repeat_window, set_repeat_window, sighting_photo_file, sighting_photos,
    sightings_of, ReceivedSighting, ReceivedSightingPhoto, RepeatSighting, DEFAULT_REPEAT_WINDOW,
    REPEAT_WINDOW_RANGE,
};

use std::time::Duration;

use cordon_core::Timestamp;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::records;
use crate::state::Server;
use cordon_core::model::validate::{required_text, MAX_SHORT_TEXT};

/// How long an enrolment code is valid unless the office says otherwise.
pub const DEFAULT_CODE_VALIDITY: Duration = Duration::from_secs(72 * 3600);

/// A one-time enrolment code, as handed to the officer. The server keeps only its hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnrolmentCode {
    pub code: String,
    pub organisation_id: String,
    pub officer_id: String,
    pub expires_at: Timestamp,
}

/// The longest an enrolment code may stay valid: it is a secret that enrols a device as
/// an officer, so it should not outlive the officer's joining by much.
pub const MAX_CODE_VALIDITY: Duration = Duration::from_secs(30 * 24 * 3600);

/// Makes a one-time code with which a device enrols as `officer_id` of
/// `organisation_id`, valid for `valid_for` (more than zero, at most
/// [`MAX_CODE_VALIDITY`]).
pub fn create_enrolment_code(
    server: &Server,
    organisation_id: &str,
    officer_id: &str,
    valid_for: Duration,
) -> Result<EnrolmentCode> {
    required_text("organisation", organisation_id, MAX_SHORT_TEXT)?;
    required_text("officer", officer_id, MAX_SHORT_TEXT)?;
    if valid_for.is_zero() {
        return Err(Error::invalid("valid_for", "must be more than zero"));
    }
    if valid_for > MAX_CODE_VALIDITY {
        return Err(Error::invalid(
            "valid_for",
            format!(
                "must be at most {} hours (30 days)",
                MAX_CODE_VALIDITY.as_secs() / 3600
            ),
        ));
    }
    let expires_at = server.now().plus(valid_for);
    let code = crate::enrol::create_code(server, organisation_id, officer_id, expires_at)?;
    Ok(EnrolmentCode {
        code,
        organisation_id: organisation_id.to_owned(),
        officer_id: officer_id.to_owned(),
        expires_at,
    })
}

/// Who sent a record, and when the server received it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Provenance {
    pub organisation_id: String,
    pub officer_id: String,
    pub device_id: String,
    /// The server's clock when the record was first received.
    pub received_at: Timestamp,
    /// The record's version on the server.
    pub server_version: i64,
}

impl From<records::RecordRow> for Provenance {
    fn from(r: records::RecordRow) -> Self {
        Provenance {
            organisation_id: r.organisation_id,
            officer_id: r.officer_id,
            device_id: r.device_id,
            received_at: r.received_at,
            server_version: r.server_version,
        }
    }
}

/// The server's receipt for one operation a device pushed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Receipt {
    pub operation_id: String,
    pub device_id: String,
    pub seq: i64,
    pub kind: String,
    pub record_id: String,
    /// `applied` or `rejected`.
    pub status: String,
    pub reason: Option<String>,
    pub server_version: Option<i64>,
    pub received_at: Timestamp,
}

pub(super) fn provenance(
    c: &crate::store::Conn,
    organisation_id: &str,
    id: &str,
) -> Result<Provenance> {
    records::record(c, organisation_id, id)?
        .map(Provenance::from)
        .ok_or_else(|| Error::Storage(format!("record {id} has no ownership row")))
}

/// Every receipt, in the order the operations were received.
pub fn receipts(server: &Server) -> Result<Vec<Receipt>> {
    receipts_in(server, None)
}

/// The receipts of the devices of `organisation_id`, in the order the operations were
/// received.
pub fn receipts_of(server: &Server, organisation_id: &str) -> Result<Vec<Receipt>> {
    receipts_in(server, Some(organisation_id))
}

fn receipts_in(server: &Server, organisation_id: Option<&str>) -> Result<Vec<Receipt>> {
    server.read(|c| {
        let rows = c
            .prepare(
                "SELECT operation_id, receipt.device_id, seq, kind, record_id, status, reason,
                        server_version, received_at
                 FROM receipt JOIN device ON device.device_id = receipt.device_id
                 WHERE CAST(?1 AS TEXT) IS NULL OR device.organisation_id = ?1
                 ORDER BY received_at, receipt.device_id, seq",
            )?
            .query_map([organisation_id], |r| {
                Ok(Receipt {
                    operation_id: r.get(0)?,
                    device_id: r.get(1)?,
                    seq: r.get(2)?,
                    kind: r.get(3)?,
                    record_id: r.get(4)?,
                    status: r.get(5)?,
                    reason: r.get(6)?,
                    server_version: r.get(7)?,
                    received_at: r.get(8)?,
                })
            })?
            .collect::<rusqlite::Result<_>>()?;
        Ok(rows)
    })
}
