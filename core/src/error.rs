//! The one error type of the core.
//!
//! Every public entry point returns [`CordonError`]. Variants say what a caller can act
//! on (fix the input, reopen, report a corrupt file) rather than carrying SQLite's codes;
//! the mapping from rusqlite's errors lives here and nowhere else. No variant means
//! "something was half-written": every write is one transaction, and an error rolls it
//! back.

use std::path::Path;

/// Errors from the Cordon core.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Error))]
pub enum CordonError {
    /// A value given to the core breaks a rule of the model. `field` names the input
    /// (dotted for nested values, e.g. `location.latitude`).
    #[error("invalid {field}: {reason}")]
    InvalidInput { field: String, reason: String },

    /// The record asked for does not exist on this device.
    #[error("{record} {id} not found")]
    NotFound { record: String, id: String },

    /// The incident report has been submitted; it can only change through an amendment.
    #[error("incident report {report_id} is submitted and locked; amend it instead")]
    ReportLocked { report_id: String },

    /// An amendment was asked for on a report that is still a draft.
    #[error("incident report {report_id} is still a draft; edit it or submit it")]
    ReportNotSubmitted { report_id: String },

    /// The operation exists but is not in a state that allows the request (for example,
    /// requeueing an operation that is not dead).
    #[error("operation {seq} is {state}, not {expected}")]
    InvalidOperationState {
        seq: i64,
        state: String,
        expected: String,
    },

    /// The database was written by a newer version of Cordon. The file is left as it is.
    #[error("database {path} has schema version {found}; this build supports up to {supported}")]
    IncompatibleVersion {
        path: String,
        found: i64,
        supported: i64,
    },

    /// The file is not a Cordon database, or SQLite found it damaged. The file is never
    /// deleted or overwritten: it may hold evidence.
    #[error("database {path} is corrupt or not a Cordon database: {detail}")]
    Corrupt { path: String, detail: String },

    /// A file the core reads or writes (an attachment, the attachment directory) failed.
    #[error("i/o error on {path}: {detail}")]
    Io { path: String, detail: String },

    /// A request to the server failed and there is no queue to retry it from (enrolment).
    #[error("sync failed: {detail}")]
    Sync { detail: String },

    /// Any other storage failure (disk full, read-only file system, ...). The write it
    /// interrupted was rolled back.
    #[error("storage error: {detail}")]
    Storage { detail: String },
}

/// Result type of the core.
pub type Result<T, E = CordonError> = std::result::Result<T, E>;

impl CordonError {
    pub(crate) fn invalid(field: impl Into<String>, reason: impl Into<String>) -> Self {
        CordonError::InvalidInput {
            field: field.into(),
            reason: reason.into(),
        }
    }

    pub(crate) fn not_found(record: &str, id: impl Into<String>) -> Self {
        CordonError::NotFound {
            record: record.to_owned(),
            id: id.into(),
        }
    }

    pub(crate) fn io(path: &Path, err: std::io::Error) -> Self {
        CordonError::Io {
            path: path.display().to_string(),
            detail: err.to_string(),
        }
    }

    /// Maps a SQLite error met while opening or reading the database at `path`.
    pub(crate) fn from_sqlite_at(path: &Path, err: rusqlite::Error) -> Self {
        Self::classify_sqlite(err, path.display().to_string())
    }

    fn classify_sqlite(err: rusqlite::Error, path: String) -> Self {
        let code = match &err {
            rusqlite::Error::SqliteFailure(e, _) => Some(e.code),
            _ => None,
        };
        match code {
            Some(rusqlite::ErrorCode::NotADatabase | rusqlite::ErrorCode::DatabaseCorrupt) => {
                CordonError::Corrupt {
                    path,
                    detail: err.to_string(),
                }
            }
            _ if path.is_empty() => CordonError::Storage {
                detail: err.to_string(),
            },
            _ => CordonError::Storage {
                detail: format!("{path}: {err}"),
            },
        }
    }
}

impl From<rusqlite::Error> for CordonError {
    fn from(err: rusqlite::Error) -> Self {
        Self::classify_sqlite(err, String::new())
    }
}

impl From<serde_json::Error> for CordonError {
    fn from(err: serde_json::Error) -> Self {
        // JSON the core wrote itself failed to round-trip: treat as damaged storage.
        CordonError::Storage {
            detail: format!("stored JSON could not be read: {err}"),
        }
    }
}
