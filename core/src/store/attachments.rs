//! Attachment files: streamed into the managed directory while hashed, then recorded
//! with their outbox operations in one transaction.
//!
//! The copy is written to a temporary name, synced, and renamed into place before the
//! database transaction; if that transaction fails the file is removed again. A crash
//! in between leaves at worst a file no record points to (kept: it may be evidence);
//! the database never points at a file that is not whole.

use std::fs::File;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use rusqlite::{Connection, OptionalExtension};
use sha2::{Digest, Sha256};

use super::outbox::enqueue;
use super::{from_json, new_id, Durability, Store};
use crate::crypto::sealed_file::{self, AttachmentReader, FileSource};
use crate::error::{CordonError, InputRule, Result};
use crate::model::validate::{required_text, MAX_SHORT_TEXT};
use crate::model::{
    hex, validate_mime, Attachment, AttachmentKind, ReportState, Sighting, MAX_ATTACHMENT_BYTES,
};
use crate::protocol::{AttachmentUpload, Payload};

/// Bytes read and hashed at a time while importing.
const COPY_CHUNK: usize = 64 * 1024;

pub(super) fn load_for_report(c: &Connection, report_id: &str) -> Result<Vec<Attachment>> {
    let mut stmt = c.prepare_cached(
        "SELECT id, kind, file_name, mime_type, size_bytes, sha256, captured_at
         FROM attachment WHERE report_id = ?1 ORDER BY captured_at, id",
    )?;
    let mut rows = stmt.query([report_id])?;
    let mut out = Vec::new();
    while let Some(r) = rows.next()? {
        let kind: String = r.get(1)?;
        out.push(Attachment {
            id: r.get(0)?,
            report_id: report_id.to_owned(),
            kind: AttachmentKind::parse(&kind).ok_or_else(|| CordonError::Storage {
                detail: format!("unknown attachment kind {kind:?} in the database"),
            })?,
            file_name: r.get(2)?,
            mime_type: r.get(3)?,
            size_bytes: r.get(4)?,
            sha256: r.get(5)?,
            captured_at: r.get(6)?,
        });
    }
    Ok(out)
}

impl Store {
    /// Copies the file at `source` into the store, hashing it on the way, and attaches it
    /// to a draft report. The file is queued for upload in the bulk lane.
    pub fn attach_file(
        &self,
        report_id: &str,
        source: &Path,
        kind: AttachmentKind,
        mime_type: &str,
    ) -> Result<Attachment> {
        validate_mime(kind, mime_type)?;
        let file_name = source
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        required_text("source", &file_name, MAX_SHORT_TEXT)?;
        // Refuse early, before copying megabytes, if the report cannot take it.
        if self.report(report_id)?.state == ReportState::Submitted {
            return Err(CordonError::ReportLocked {
                report_id: report_id.to_owned(),
            });
        }

        let size = std::fs::metadata(source)
            .map_err(|e| CordonError::io(source, e))?
            .len();
        if size > MAX_ATTACHMENT_BYTES {
            return Err(CordonError::invalid(
                "source",
                InputRule::TooLong,
                format!("{size} bytes is more than an attachment may hold (16 GiB)"),
            ));
        }

        let id = new_id();
        let target = self.attachment_path(&id);
        let (size_bytes, sha256) = copy_hashed(source, &target, self.file_key().as_deref())?;
        let attachment = Attachment {
            id,
            report_id: report_id.to_owned(),
            kind,
            file_name,
            mime_type: mime_type.to_owned(),
            // At most 16 GiB (checked above), so it fits.
            size_bytes: i64::try_from(size_bytes).unwrap_or(i64::MAX),
            sha256,
            captured_at: self.now(),
        };
        let recorded = self.record_attachment(&attachment);
        if recorded.is_err() {
            let _ = std::fs::remove_file(&target);
        }
        recorded.map(|()| attachment)
    }

    fn record_attachment(&self, a: &Attachment) -> Result<()> {
        let metadata = Payload::AttachmentCreate(a.clone());
        let upload = Payload::AttachmentUpload(AttachmentUpload {
            attachment_id: a.id.clone(),
            sha256: a.sha256.clone(),
            size_bytes: a.size_bytes.unsigned_abs(),
        });
        self.write(Durability::Normal, |tx| {
            // Checked again inside the transaction: the report may have been submitted
            // while the file was copying.
            let state: String = tx
                .query_row(
                    "SELECT state FROM incident_report WHERE id = ?1",
                    [&a.report_id],
                    |r| r.get(0),
                )
                .map_err(|_| CordonError::not_found("incident report", a.report_id.as_str()))?;
            if state != ReportState::Draft.as_str() {
                return Err(CordonError::ReportLocked {
                    report_id: a.report_id.clone(),
                });
            }
            tx.execute(
                "INSERT INTO attachment (id, report_id, kind, file_name, mime_type, size_bytes,
                                         sha256, captured_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                rusqlite::params![
                    a.id,
                    a.report_id,
                    a.kind.as_str(),
                    a.file_name,
                    a.mime_type,
                    a.size_bytes,
                    a.sha256,
                    a.captured_at,
                ],
            )?;
            // The metadata waits for the report; the bytes follow the metadata (same
            // record) and are linked to nothing else, so that a report's later
            // operations wait only for its attachments' metadata, never for their bytes.
            enqueue(tx, &metadata, Some(a.report_id.as_str()), a.captured_at)?;
            enqueue(tx, &upload, None, a.captured_at)?;
            Ok(())
        })
    }

    /// Where the core keeps an attachment's bytes, for the core's own use: `attachment_id`
    /// must be an id the core made. What an app asks for goes through
    /// [`attachment_file`](Self::attachment_file).
    pub fn attachment_path(&self, attachment_id: &str) -> PathBuf {
        self.attachments_dir.join(attachment_id)
    }

    /// The file holding the bytes of an attachment of this store (to show or play it).
    /// Any other id, such as `../../etc/passwd`, is `NotFound`: the path returned is
    /// always inside the store's attachment directory. A store opened with a key keeps
    /// its attachments sealed: no path holds readable bytes, so this is
    /// `AttachmentSealed` there; use [`export_attachment`](Self::export_attachment).
    pub fn attachment_file(&self, attachment_id: &str) -> Result<PathBuf> {
        let (id, _, _) = self.attachment_digest(attachment_id)?;
        if self.file_key().is_some() {
            return Err(CordonError::AttachmentSealed { attachment_id: id });
        }
        Ok(self.attachment_path(&id))
    }

    /// Writes the plaintext of an attachment (a report's or a sighting photo's) to
    /// `destination`, a path the app chooses outside the store, and checks its SHA-256
    /// and size against the record before putting it there: `destination` appears whole
    /// and verified, or not at all (`CorruptAttachment` for bytes that do not match, and
    /// the stored file is left as it is). An existing file at `destination` is replaced.
    /// Works for plain and sealed stores alike, streaming chunk by chunk.
    pub fn export_attachment(&self, attachment_id: &str, destination: &Path) -> Result<()> {
        let (id, sha256, size) = self.attachment_digest(attachment_id)?;
        let bad_destination = |why: &str| {
            CordonError::invalid(
                "destination_path",
                InputRule::BadFormat,
                format!("{}: {why}", destination.display()),
            )
        };
        let file_name = destination
            .file_name()
            .ok_or_else(|| bad_destination("names no file"))?;
        let parent = match destination.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
        let parent = parent
            .canonicalize()
            .map_err(|e| CordonError::io(parent, e))?;
        let store_dir = self
            .attachments_dir
            .canonicalize()
            .map_err(|e| CordonError::io(&self.attachments_dir, e))?;
        if parent.starts_with(&store_dir) {
            return Err(bad_destination("is inside the store's own attachments"));
        }
        if destination.is_dir() {
            return Err(bad_destination("is a directory"));
        }
        let mut partial_name = file_name.to_os_string();
        partial_name.push(".cordon-partial");
        let partial = parent.join(partial_name);
        let target = parent.join(file_name);
        let result = (|| {
            let mut reader =
                AttachmentReader::open(&self.attachment_path(&id), self.file_key().as_deref())?;
            let mut output = File::create(&partial).map_err(|e| CordonError::io(&partial, e))?;
            let mut hasher = Sha256::new();
            let written = reader.for_each_chunk(|chunk| {
                hasher.update(chunk);
                output
                    .write_all(chunk)
                    .map_err(|e| CordonError::io(&partial, e))
            })?;
            let found = hex(&hasher.finalize());
            if found != sha256 || written != size {
                return Err(CordonError::CorruptAttachment {
                    attachment_id: id.clone(),
                    detail: format!(
                        "its bytes ({written}, SHA-256 {found}) are not those recorded \
                         ({size}, {sha256})"
                    ),
                });
            }
            replace_durably(&output, &partial, &target)
        })();
        if result.is_err() {
            let _ = std::fs::remove_file(&partial);
        }
        result
    }

    /// The id as stored (the core's UUID, not as given), hex SHA-256 and size of a
    /// report's attachment or a sighting's photo; `NotFound` for any other id.
    fn attachment_digest(&self, attachment_id: &str) -> Result<(String, String, u64)> {
        let found = self.read(|c| {
            let attachment = c
                .prepare_cached("SELECT id, sha256, size_bytes FROM attachment WHERE id = ?1")?
                .query_row([attachment_id], |r| {
                    Ok((r.get::<_, String>(0)?, r.get(1)?, r.get::<_, i64>(2)?))
                })
                .optional()?;
            if let Some((id, sha, size)) = attachment {
                return Ok(Some((id, sha, size.unsigned_abs())));
            }
            let body: Option<String> = c
                .prepare_cached(
                    "SELECT s.body FROM sighting_photo p JOIN sighting s ON s.id = p.sighting_id
                     WHERE p.id = ?1",
                )?
                .query_row([attachment_id], |r| r.get(0))
                .optional()?;
            let Some(body) = body else { return Ok(None) };
            let sighting: Sighting = from_json(&body)?;
            Ok(sighting
                .photos
                .into_iter()
                .find(|p| p.id == attachment_id)
                .map(|p| (p.id, p.sha256, p.size_bytes.unsigned_abs())))
        })?;
        found.ok_or_else(|| CordonError::not_found("attachment", attachment_id))
    }

    /// An attachment's plaintext, for the upload to read at the offsets it needs.
    pub(crate) fn attachment_reader(&self, attachment_id: &str) -> Result<AttachmentReader> {
        AttachmentReader::open(
            &self.attachment_path(attachment_id),
            self.file_key().as_deref(),
        )
    }

    /// The key attachment files are sealed under, if the store has one (a copy, wiped
    /// when dropped: a rekey may replace the store's).
    pub(super) fn file_key(&self) -> Option<zeroize::Zeroizing<[u8; 32]>> {
        self.attachment_key
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
    }
}

/// Reads `source` to its end in chunks, handing each to `f`; returns the byte count.
fn for_each_chunk(source: &Path, mut f: impl FnMut(&[u8]) -> Result<()>) -> Result<u64> {
    let mut input = File::open(source).map_err(|e| CordonError::io(source, e))?;
    let mut buf = vec![0u8; COPY_CHUNK];
    let mut size = 0u64;
    loop {
        let n = match input.read(&mut buf) {
            Ok(0) => return Ok(size),
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(CordonError::io(source, e)),
        };
        f(&buf[..n])?;
        size += n as u64;
    }
}

/// Removes the temporary copies (`*.partial`) that a process killed while attaching a
/// file left in `dir`. Only those: a copy another live process is still writing holds a
/// lock on its file and is left alone, and no other file is touched (attachment bytes are
/// evidence). Returns how many were removed.
pub(super) fn remove_abandoned_copies(dir: &Path) -> Result<usize> {
    let mut removed = 0;
    let entries = std::fs::read_dir(dir).map_err(|e| CordonError::io(dir, e))?;
    for entry in entries {
        let entry = entry.map_err(|e| CordonError::io(dir, e))?;
        let path = entry.path();
        let is_partial = path.extension().is_some_and(|e| e == PARTIAL_EXTENSION);
        if !is_partial || !entry.file_type().is_ok_and(|t| t.is_file()) {
            continue;
        }
        let Ok(file) = File::open(&path) else {
            continue;
        };
        match file.try_lock() {
            Ok(()) => {
                drop(file);
                std::fs::remove_file(&path).map_err(|e| CordonError::io(&path, e))?;
                removed += 1;
            }
            // Another process is copying into it right now.
            Err(std::fs::TryLockError::WouldBlock) => {}
            Err(std::fs::TryLockError::Error(e)) => return Err(CordonError::io(&path, e)),
        }
    }
    if removed > 0 {
        tracing::info!(removed, "removed copies of attachments abandoned mid-copy");
    }
    Ok(removed)
}

/// The extension of an attachment's copy while it is being written.
pub(super) const PARTIAL_EXTENSION: &str = "partial";

/// The size and hex SHA-256 of an attachment's plaintext (sealed under `key`, or plain),
/// streamed.
pub(super) fn hash_file(path: &Path, key: Option<&[u8; 32]>) -> Result<(u64, String)> {
    let mut hasher = Sha256::new();
    let size = AttachmentReader::open(path, key)?.for_each_chunk(|chunk| {
        hasher.update(chunk);
        Ok(())
    })?;
    Ok((size, hex(&hasher.finalize())))
}

/// Streams `source` into `target` (via a temporary file, synced, renamed, and the
/// directory synced), sealed under `key` if there is one, returning the size and hex
/// SHA-256 of the plaintext.
pub(super) fn copy_hashed(
    source: &Path,
    target: &Path,
    key: Option<&[u8; 32]>,
) -> Result<(u64, String)> {
    let meta = std::fs::metadata(source).map_err(|e| CordonError::io(source, e))?;
    if !meta.is_file() {
        return Err(CordonError::invalid(
            "source",
            InputRule::BadFormat,
            format!("{} is not a file", source.display()),
        ));
    }
    let partial = target.with_extension(PARTIAL_EXTENSION);
    let result = (|| {
        let mut output = File::create(&partial).map_err(|e| CordonError::io(&partial, e))?;
        // Held while the copy runs: a store opened meanwhile (another process on the same
        // file) sees the copy is alive and leaves it alone (see `remove_abandoned_copies`).
        output.lock().map_err(|e| CordonError::io(&partial, e))?;
        let written = match key {
            Some(key) => {
                let file = File::open(source).map_err(|e| CordonError::io(source, e))?;
                let mut source = FileSource { file, path: source };
                sealed_file::seal(key, &mut source, &mut output, &partial)?
            }
            None => {
                let mut hasher = Sha256::new();
                let size = for_each_chunk(source, |chunk| {
                    hasher.update(chunk);
                    output
                        .write_all(chunk)
                        .map_err(|e| CordonError::io(&partial, e))
                })?;
                (size, hex(&hasher.finalize()))
            }
        };
        replace_durably(&output, &partial, target)?;
        Ok(written)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&partial);
    }
    result
}

/// Syncs `output` (the file at `partial`), renames it to `target` and syncs the
/// directory, so that `target` is either what it was or `output`'s bytes, whole.
pub(super) fn replace_durably(output: &File, partial: &Path, target: &Path) -> Result<()> {
    output.sync_all().map_err(|e| CordonError::io(partial, e))?;
    std::fs::rename(partial, target).map_err(|e| CordonError::io(target, e))?;
    if let Some(dir) = target.parent() {
        // The rename is durable only once the directory is.
        File::open(dir)
            .and_then(|d| d.sync_all())
            .map_err(|e| CordonError::io(dir, e))?;
    }
    Ok(())
}
