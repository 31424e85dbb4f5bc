//! Attachments: metadata of a file on a draft report, one blob per organisation and hash
//! ([`declare_blob`], which a sighting's photos use too).

use crate::store::{Conn, OptionalExtension};
use cordon_core::model::validate::MAX_SHORT_TEXT;
use cordon_core::protocol::WireOperation;
use cordon_core::{validate_mime, Attachment, ReportState, MAX_ATTACHMENT_BYTES};

use super::{reject, same_record, text, Refusal};

use crate::error::Error;
use crate::http::Caller;
use crate::records;
use crate::validate::sha256_hex;

/// `attachment.create`: an attachment's metadata; its bytes arrive by `PUT`.
pub(super) fn create(
    tx: &Conn,
    caller: &Caller,
    op: &WireOperation,
    a: Attachment,
) -> Result<(), Refusal> {
    same_record("id", &a.id, op)?;
    let report = records::record(tx, &caller.organisation_id, &a.report_id)?;
    if !report
        .as_ref()
        .is_some_and(|r| r.family == "report" && r.device_id == caller.device_id)
    {
        return reject(format!("unknown report {}", a.report_id));
    }
    match records::report(tx, &caller.organisation_id, &a.report_id)? {
        Some(row) if row.state == ReportState::Draft => {}
        _ => return reject("the report is submitted; attachments are added to drafts only"),
    }
    validate_mime(a.kind, &a.mime_type)?;
    text("file_name", &a.file_name, MAX_SHORT_TEXT)?;
    let blob_id = declare_blob(tx, &caller.organisation_id, &a.sha256, a.size_bytes)?;
    tx.prepare_cached(
        "INSERT INTO attachment (organisation_id, id, report_id, blob_id, body)
         VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(rusqlite::params![
        caller.organisation_id,
        a.id,
        a.report_id,
        blob_id,
        serde_json::to_string(&a).map_err(Error::from)?
    ])?;
    Ok(())
}

/// The organisation's blob for `sha256` of `size` bytes, declared now if it is new: the
/// bytes then arrive by `PUT /v1/attachments/{sha256}`. One blob per organisation and
/// SHA-256: the same bytes attached twice (to a report, to a sighting) are stored and
/// uploaded once. A size that differs from the one declared before is refused.
pub(super) fn declare_blob(
    tx: &Conn,
    organisation_id: &str,
    sha256: &str,
    size_bytes: i64,
) -> Result<i64, Refusal> {
    sha256_hex("sha256", sha256).map_err(|e| Refusal::Rejected(e.to_string()))?;
    // Signed in the core's record (for Kotlin and Swift); the wire never had a negative.
    let Ok(unsigned) = u64::try_from(size_bytes) else {
        return reject(format!("size_bytes {size_bytes} is negative"));
    };
    if unsigned > MAX_ATTACHMENT_BYTES {
        return reject(format!(
            "size_bytes {unsigned} is more than an attachment may hold ({MAX_ATTACHMENT_BYTES})"
        ));
    }
    let size = size_bytes;
    let blob: Option<(i64, i64)> = tx
        .prepare_cached(
            "SELECT id, size_bytes FROM blob WHERE organisation_id = ?1 AND sha256 = ?2",
        )?
        .query_row([organisation_id, sha256], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    match blob {
        Some((_, known)) if known != size => reject(format!(
            "size_bytes {size} differs from the {known} bytes declared before for this sha256"
        )),
        Some((id, _)) => Ok(id),
        None => Ok(tx
            .prepare_cached(
                "INSERT INTO blob (organisation_id, sha256, size_bytes) VALUES (?1, ?2, ?3)
                     RETURNING id",
            )?
            .query_row(rusqlite::params![organisation_id, sha256, size], |r| {
                r.get(0)
            })?),
    }
}
