//! Attachment bytes: resumable uploads into `<db>.blobs/`, verified by SHA-256.
//!
//! A blob (one per organisation and SHA-256, declared by an applied
//! `attachment.create`) is a file named by its row id. A chunk is appended only at the
//! offset the database says the server holds: the file is first cut back to that length
//! (dropping a tail written before a crash and never recorded), the chunk is streamed to
//! disk frame by frame and synced, and only then is the new length recorded. So the
//! database never claims bytes the disk does not hold, and memory holds one frame, never
//! a chunk or a file. If the connection drops mid-chunk, what arrived is kept and the
//! device resumes from `received_bytes`.
//!
//! When the last byte arrives the file is re-read in small pieces and hashed; the length
//! and the verdict are recorded in one statement, so a blob is never seen whole but
//! unverified. A mismatch discards the bytes (`422 hash_mismatch`). Uploads into one
//! blob are serialised by a per-blob lock.

use std::io::{Read, SeekFrom};
use std::path::Path;

use crate::store::OptionalExtension;
use axum::body::Body;
use axum::extract::State;
use cordon_core::protocol::{AttachmentStatus, MAX_CHUNK_BYTES};
use cordon_core::{hex, Timestamp};
use http_body_util::BodyExt;
use sha2::{Digest, Sha256};
use tokio::io::{AsyncSeekExt, AsyncWriteExt};

use crate::error::{Error, Result};
use crate::http::{ApiError, ApiPath, ApiQuery, BodyStream, Caller, Reply};
use crate::state::Server;
use crate::validate::sha256_hex;

/// Bytes read at a time when hashing a completed blob.
const HASH_CHUNK: usize = 64 * 1024;

#[derive(Debug, Clone, Copy)]
struct Blob {
    id: i64,
    size_bytes: u64,
    received_bytes: u64,
    complete: bool,
}

const BLOB_COLUMNS: &str = "id, size_bytes, received_bytes, completed_at IS NOT NULL";

fn blob_from_row(r: &crate::store::Row<'_>) -> rusqlite::Result<Blob> {
    let bytes = |i| r.get::<_, i64>(i).map(|n| u64::try_from(n).unwrap_or(0));
    Ok(Blob {
        id: r.get(0)?,
        size_bytes: bytes(1)?,
        received_bytes: bytes(2)?,
        complete: r.get(3)?,
    })
}

/// The organisation's blob for a SHA-256, if an attachment declared it.
fn find_blob(server: &Server, organisation_id: &str, sha256: &str) -> Result<Option<Blob>> {
    server.read(|c| {
        Ok(c.prepare_cached(&format!(
            "SELECT {BLOB_COLUMNS} FROM blob WHERE organisation_id = ?1 AND sha256 = ?2"
        ))?
        .query_row([organisation_id, sha256], blob_from_row)
        .optional()?)
    })
}

/// A blob as it stands now (read again under the upload lock).
fn reload(server: &Server, blob_id: i64) -> Result<Blob> {
    server.read(|c| {
        Ok(
            c.prepare_cached(&format!("SELECT {BLOB_COLUMNS} FROM blob WHERE id = ?1"))?
                .query_row([blob_id], blob_from_row)?,
        )
    })
}

fn status_of(now: Timestamp, sha256: &str, blob: &Blob) -> AttachmentStatus {
    AttachmentStatus {
        server_time: now,
        sha256: sha256.to_owned(),
        size_bytes: blob.size_bytes,
        received_bytes: blob.received_bytes,
        complete: blob.complete,
    }
}

/// The caller's blob for the SHA-256 in the path (taken in the lower case the core
/// writes): 404 whether no attachment declared it or another organisation's did, so
/// nothing is revealed across organisations.
async fn caller_blob(
    server: &Server,
    caller: Caller,
    sha256: String,
) -> Result<(String, Blob), ApiError> {
    let sha = sha256.to_ascii_lowercase();
    sha256_hex("sha256", &sha).map_err(|e| ApiError::bad_request(e.to_string()))?;
    let lookup = sha.clone();
    let blob = server
        .blocking(move |s| find_blob(s, &caller.organisation_id, &lookup))
        .await?;
    match blob {
        Some(b) => Ok((sha, b)),
        None => Err(ApiError::not_found(
            "no attachment of this organisation declares that sha256",
        )),
    }
}

/// `GET /v1/attachments/{sha256}`.
pub(crate) async fn status(
    State(server): State<Server>,
    caller: Caller,
    ApiPath(sha256): ApiPath<String>,
) -> Result<Reply<AttachmentStatus>, ApiError> {
    let (sha, blob) = caller_blob(&server, caller, sha256).await?;
    Ok(Reply(status_of(server.now(), &sha, &blob)))
}

/// The query of `PUT /v1/attachments/{sha256}`.
#[derive(Debug, serde::Deserialize)]
pub(crate) struct ChunkQuery {
    /// Where the chunk goes: the `received_bytes` the server holds.
    offset: u64,
}

/// `PUT /v1/attachments/{sha256}?offset=<n>`.
pub(crate) async fn upload(
    State(server): State<Server>,
    caller: Caller,
    ApiPath(sha256): ApiPath<String>,
    ApiQuery(ChunkQuery { offset }): ApiQuery<ChunkQuery>,
    BodyStream(body): BodyStream<MAX_CHUNK_BYTES>,
) -> Result<Reply<AttachmentStatus>, ApiError> {
    let (sha, blob) = caller_blob(&server, caller, sha256).await?;
    let lock = server.upload_lock(blob.id);
    let _one_writer = lock.lock().await;
    // And one across the processes sharing the blob directory.
    let blob_id = blob.id;
    let _one_process = server.blocking(move |s| s.lock_blob(blob_id)).await?;
    // Read again under the lock: another request may have appended meanwhile.
    let blob = server.blocking(move |s| reload(s, blob_id)).await?;
    if blob.complete {
        // The body is left unread; the middleware drains it.
        return Ok(Reply(status_of(server.now(), &sha, &blob)));
    }
    if offset != blob.received_bytes {
        return Err(ApiError::offset_mismatch(offset, blob.received_bytes));
    }

    let idle = server.timeouts().body_idle;
    let appended = append(&server.blob_path(blob.id), &blob, body, idle).await?;
    let held = Blob {
        received_bytes: blob.received_bytes + appended.bytes,
        ..blob
    };
    let expected = sha.clone();
    let now = server.now();
    let Some(held) = server
        .blocking(move |s| record(s, held, &expected, now))
        .await?
    else {
        tracing::info!(sha256 = %sha, "attachment bytes do not hash to their sha256; discarded");
        return Err(ApiError::hash_mismatch(&sha));
    };
    tracing::debug!(
        sha256 = %sha,
        offset,
        bytes = appended.bytes,
        complete = held.complete,
        "chunk appended"
    );
    if let Some(e) = appended.refusal {
        return Err(e);
    }
    Ok(Reply(status_of(now, &sha, &held)))
}

/// Records how many bytes the blob's file now holds. At the last byte it hashes the file
/// first: a match is recorded complete; a mismatch discards the bytes (recorded as none
/// before the file is cut, so the database never claims bytes that are gone) and gives
/// `None`.
fn record(server: &Server, held: Blob, sha256: &str, now: Timestamp) -> Result<Option<Blob>> {
    let as_i64 = |n: u64| i64::try_from(n).unwrap_or(i64::MAX);
    if held.received_bytes < held.size_bytes {
        server.write(|tx| {
            tx.execute(
                "UPDATE blob SET received_bytes = ?2 WHERE id = ?1",
                rusqlite::params![held.id, as_i64(held.received_bytes)],
            )?;
            Ok(())
        })?;
        return Ok(Some(held));
    }
    let path = server.blob_path(held.id);
    if hash_file(&path, held.size_bytes)? == sha256 {
        server.write(|tx| {
            tx.execute(
                "UPDATE blob SET received_bytes = ?2, completed_at = ?3 WHERE id = ?1",
                rusqlite::params![held.id, as_i64(held.size_bytes), now],
            )?;
            Ok(())
        })?;
        return Ok(Some(Blob {
            complete: true,
            ..held
        }));
    }
    server.write(|tx| {
        tx.execute(
            "UPDATE blob SET received_bytes = 0 WHERE id = ?1",
            [held.id],
        )?;
        Ok(())
    })?;
    discard(&path)?;
    Ok(None)
}

/// What appending a chunk achieved: the bytes kept on disk (synced), and a refusal to
/// answer with once they are recorded (a dropped connection keeps what arrived).
struct Appended {
    bytes: u64,
    refusal: Option<ApiError>,
}

/// Streams `body` onto the end of the blob's file at `blob.received_bytes`. A body that
/// goes `idle` without a byte ends the chunk: what arrived is kept, and the attachment
/// is free for the device's next attempt.
async fn append(
    path: &Path,
    blob: &Blob,
    mut body: Body,
    idle: std::time::Duration,
) -> Result<Appended, ApiError> {
    let io = |e: std::io::Error| ApiError::from(Error::io(path, e));
    let mut file = tokio::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(path)
        .await
        .map_err(io)?;
    // Anything past the recorded length was written before a crash and never recorded.
    file.set_len(blob.received_bytes).await.map_err(io)?;
    file.seek(SeekFrom::Start(blob.received_bytes))
        .await
        .map_err(io)?;
    let room = blob.size_bytes.saturating_sub(blob.received_bytes);
    let mut written = 0u64;
    let mut dropped = false;
    let refused = loop {
        // A phone that lost signal mid-chunk may never close its connection: stop
        // waiting after a while, so the upload lock is not held for ever.
        let frame = match tokio::time::timeout(idle, body.frame()).await {
            Err(_) | Ok(None) => break None,
            Ok(Some(Err(_))) => {
                dropped = true;
                break None;
            }
            Ok(Some(Ok(frame))) => frame,
        };
        let Some(data) = frame.data_ref() else {
            continue;
        };
        let n = data.len() as u64;
        if written + n > MAX_CHUNK_BYTES as u64 {
            break Some(ApiError::too_large(MAX_CHUNK_BYTES));
        }
        if written + n > room {
            break Some(ApiError::bad_request(format!(
                "the chunk runs past the declared size of {} bytes",
                blob.size_bytes
            )));
        }
        if let Err(e) = file.write_all(data).await {
            let _ = file.set_len(blob.received_bytes).await;
            return Err(io(e));
        }
        written += n;
    };
    if let Some(e) = refused {
        // A refused chunk leaves nothing behind: the device sends it again, smaller or
        // corrected. (The middleware reads the rest of it.)
        file.set_len(blob.received_bytes).await.map_err(io)?;
        return Err(e);
    }
    file.flush().await.map_err(io)?;
    file.sync_data().await.map_err(io)?;
    Ok(Appended {
        bytes: written,
        refusal: dropped.then(|| ApiError::bad_request("the chunk was cut short")),
    })
}

/// Hex SHA-256 of the first `size` bytes of the file, read a piece at a time.
fn hash_file(path: &Path, size: u64) -> Result<String> {
    let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let mut reader = file.take(size);
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; HASH_CHUNK];
    loop {
        match reader.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => hasher.update(&buf[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(Error::io(path, e)),
        }
    }
    Ok(hex(&hasher.finalize()))
}

/// Drops a blob's bytes, keeping the (empty) file for the next attempt.
fn discard(path: &Path) -> Result<()> {
    std::fs::OpenOptions::new()
        .write(true)
        .open(path)
        .and_then(|f| f.set_len(0))
        .map_err(|e| Error::io(path, e))
}
