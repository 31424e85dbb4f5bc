//! Attachments: photos, audio, documents and signatures captured for a report.
//!
//! The core copies each file into a directory it manages, taking the SHA-256 and size
//! while it streams the bytes, so the hash describes exactly what the core holds and
//! will upload. Files are never read whole into memory.

use serde::{Deserialize, Serialize};

use super::validate::{required_text, MAX_SHORT_TEXT};
use crate::error::{CordonError, InputRule, Result};
use crate::time::Timestamp;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
#[serde(rename_all = "snake_case")]
pub enum AttachmentKind {
    Photo,
    Audio,
    Video,
    Document,
    Signature,
}

impl AttachmentKind {
    pub fn as_str(self) -> &'static str {
        match self {
            AttachmentKind::Photo => "photo",
            AttachmentKind::Audio => "audio",
            AttachmentKind::Video => "video",
            AttachmentKind::Document => "document",
            AttachmentKind::Signature => "signature",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [
            AttachmentKind::Photo,
            AttachmentKind::Audio,
            AttachmentKind::Video,
            AttachmentKind::Document,
            AttachmentKind::Signature,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
    }

    /// The top-level media types a kind may carry (`None`: any).
    fn allowed_media_type(self) -> Option<&'static str> {
        match self {
            AttachmentKind::Photo | AttachmentKind::Signature => Some("image"),
            AttachmentKind::Audio => Some("audio"),
            AttachmentKind::Video => Some("video"),
            AttachmentKind::Document => None,
        }
    }
}

/// An attachment held by the core.
/// The largest attachment the device takes and the office accepts: 16 GiB (hours of
/// body-worn video), well past what a phone records in one file.
pub const MAX_ATTACHMENT_BYTES: u64 = 16 * 1024 * 1024 * 1024;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct Attachment {
    pub id: String,
    pub report_id: String,
    pub kind: AttachmentKind,
    /// The name the file had when imported (for display only).
    pub file_name: String,
    pub mime_type: String,
    pub size_bytes: i64,
    /// Hex SHA-256 of the bytes, taken while copying them in.
    pub sha256: String,
    pub captured_at: Timestamp,
}

/// Checks a MIME type's shape (`type/subtype`, RFC 6838 characters) and that it fits
/// the kind.
pub fn validate_mime(kind: AttachmentKind, mime: &str) -> Result<()> {
    required_text("mime_type", mime, MAX_SHORT_TEXT)?;
    let essence = mime.split(';').next().unwrap_or("").trim();
    let valid_token = |t: &str| {
        !t.is_empty()
            && t.chars()
                .all(|c| c.is_ascii_alphanumeric() || "!#$&-^_.+".contains(c))
    };
    let (top, sub) = essence
        .split_once('/')
        .filter(|(t, s)| valid_token(t) && valid_token(s))
        .ok_or_else(|| {
            CordonError::invalid(
                "mime_type",
                InputRule::BadFormat,
                format!("{mime:?} is not type/subtype"),
            )
        })?;
    if let Some(expected) = kind.allowed_media_type() {
        if !top.eq_ignore_ascii_case(expected) {
            return Err(CordonError::invalid(
                "mime_type",
                InputRule::NotAllowed,
                format!("a {} must be {expected}/*, not {top}/{sub}", kind.as_str()),
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mime_must_be_well_formed_and_fit_the_kind() {
        assert!(validate_mime(AttachmentKind::Photo, "image/jpeg").is_ok());
        assert!(validate_mime(AttachmentKind::Document, "application/pdf; charset=binary").is_ok());
        assert!(validate_mime(AttachmentKind::Photo, "audio/aac").is_err());
        assert!(validate_mime(AttachmentKind::Document, "pdf").is_err());
        assert!(validate_mime(AttachmentKind::Document, "text/ plain").is_err());
    }
}
