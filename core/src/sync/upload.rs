//! Uploading attachment bytes: one file at a time, streamed from disk in chunks from the
//! offset the server already holds, so a dropped connection or a killed process resumes
//! rather than restarts. A chunk refused as too large (413) is sent again at half the
//! size, and later chunks stay that small ([`super::policy`]).

use std::sync::atomic::Ordering;

use super::engine::{Flow, SyncEngine};
use super::policy::{self, Failure, Resend, Sent, Verdict};
use super::{HttpMethod, PassSummary, RequestKind, LOG_TARGET};
use crate::error::{CordonError, Result};
use crate::protocol::{AttachmentStatus, AttachmentUpload, Lane};
use crate::store::outbox::{OutboxOperation, Outcome};

impl SyncEngine {
    /// Streams one attachment's bytes (its `attachment.upload` operation, taken) from the
    /// offset the server holds, and settles the operation.
    pub(super) fn upload(
        &self,
        op: OutboxOperation,
        token: &str,
        summary: &mut PassSummary,
    ) -> Result<Flow> {
        let settle = |outcome: Outcome| self.store.settle(&[(op.seq, outcome)]);
        let reject = |reason: String| Outcome::Rejected { reason };
        let payload: AttachmentUpload = match serde_json::from_str(&op.payload) {
            Ok(p) => p,
            Err(e) => {
                settle(reject(format!("upload payload unreadable: {e}")))?;
                return Ok(Flow::Continue);
            }
        };
        // Plaintext at any offset, from a sealed file (decrypting only the chunks the
        // offset needs) or a plain one: the server receives the same bytes either way.
        let mut file = match self.store.attachment_reader(&payload.attachment_id) {
            Ok(f) => f,
            // Still under the key before an unfinished rekey: it waits for
            // `finish_rekey`, never rejected (the bytes are evidence).
            Err(CordonError::WrongKey { .. }) if self.store.rekey_unfinished() => {
                let failure = Failure::transient("the file waits for finish_rekey");
                return self.upload_failed(op.seq, failure, 0, summary, token);
            }
            Err(e) => {
                settle(reject(format!("attachment file: {e}")))?;
                return Ok(Flow::Continue);
            }
        };
        let status_path = format!("/attachments/{}", payload.sha256);
        let request = self.request(
            RequestKind::AttachmentStatus,
            HttpMethod::Get,
            &status_path,
            Vec::new(),
            Some(token),
        );
        summary.requests += 1;
        let mut offset = match self.call::<AttachmentStatus>(request) {
            Ok(s) if s.complete => {
                summary.attachments_completed += 1;
                settle(Outcome::Acknowledged)?;
                return Ok(Flow::Continue);
            }
            Ok(s) => s.received_bytes,
            Err(failure) => return self.upload_failed(op.seq, failure, 0, summary, token),
        };
        let mut buf = Vec::new();
        loop {
            // An alarm raised during a long upload goes out before the next chunk.
            if let Flow::Stop(o) = self.push_lane(Lane::Urgent, token, summary)? {
                self.store.release(&[op.seq])?;
                return Ok(Flow::Stop(o));
            }
            if offset > payload.size_bytes {
                settle(reject(format!(
                    "server holds {offset} bytes of a {}-byte attachment",
                    payload.size_bytes
                )))?;
                return Ok(Flow::Continue);
            }
            let chunk_len =
                usize::try_from(self.chunk_bytes.load(Ordering::Relaxed).max(1)).unwrap_or(1 << 20);
            buf.resize(chunk_len, 0);
            let n = match file.read_at(offset, &mut buf) {
                Ok(n) => n,
                Err(e) => {
                    settle(reject(format!("reading the attachment: {e}")))?;
                    return Ok(Flow::Continue);
                }
            };
            if n == 0 && offset < payload.size_bytes {
                settle(reject(format!(
                    "attachment file is shorter ({offset} bytes) than recorded ({})",
                    payload.size_bytes
                )))?;
                return Ok(Flow::Continue);
            }
            let chunk_path = format!("/attachments/{}?offset={offset}", payload.sha256);
            let request = self.request(
                RequestKind::AttachmentChunk,
                HttpMethod::Put,
                &chunk_path,
                buf[..n].to_vec(),
                Some(token),
            );
            summary.requests += 1;
            let failure = match self.call::<AttachmentStatus>(request) {
                Ok(s) if s.complete => {
                    summary.bytes_uploaded += n as i64;
                    summary.attachments_completed += 1;
                    settle(Outcome::Acknowledged)?;
                    return Ok(Flow::Continue);
                }
                Ok(s) if s.received_bytes <= offset && n > 0 => {
                    Failure::transient("the server did not take the chunk")
                }
                Ok(s) => {
                    summary.bytes_uploaded += n as i64;
                    offset = s.received_bytes;
                    continue;
                }
                Err(failure) => failure,
            };
            match policy::decide(failure, Sent::Chunk { bytes: n }) {
                Verdict::Resend(Resend::ResumeAt(at)) => offset = at,
                Verdict::Resend(Resend::Shrink) => {
                    let smaller = u32::try_from(n / 2).unwrap_or(u32::MAX).max(1);
                    self.chunk_bytes.fetch_min(smaller, Ordering::Relaxed);
                    tracing::info!(
                        target: LOG_TARGET,
                        bytes = n,
                        "attachment chunk too large for the server: halved"
                    );
                }
                Verdict::Resend(Resend::Split) => {
                    // Not a verdict for a chunk; never loop on it.
                    return self.upload_failed(
                        op.seq,
                        Failure::transient("the server answered an upload as if it were a push"),
                        n,
                        summary,
                        token,
                    );
                }
                Verdict::Settle(settlement) => {
                    return self.settle_failed(&[op.seq], settlement, summary, token)
                }
            }
        }
    }

    /// Settles the upload after a failure that leaves nothing to resend.
    fn upload_failed(
        &self,
        seq: i64,
        failure: Failure,
        bytes: usize,
        summary: &mut PassSummary,
        token: &str,
    ) -> Result<Flow> {
        match policy::decide(failure, Sent::Chunk { bytes }) {
            Verdict::Settle(settlement) => self.settle_failed(&[seq], settlement, summary, token),
            // Before any chunk went (the status request), there is nothing to resend:
            // the next pass asks again.
            Verdict::Resend(_) => self.settle_failed(
                &[seq],
                policy::Settlement::retry("the server refused the upload's status request"),
                summary,
                token,
            ),
        }
    }
}
