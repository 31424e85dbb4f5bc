//! Errors of the server's Rust API (opening the database, the admin functions).
//!
//! HTTP answers have their own shape (`crate::http::ApiError`, the protocol's error
//! body); this type is what the `cordon` tool and embedding code see. Variants say what
//! a caller can act on; no variant means "half-written": every write is one transaction.

use std::path::Path;

use cordon_core::CordonError;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// A value given to an admin function breaks a rule (`field` names it).
    #[error("invalid {field}: {reason}")]
    InvalidInput { field: String, reason: String },

    /// The record asked for is not on this server.
    #[error("{record} {id} not found")]
    NotFound { record: String, id: String },

    /// The request is well formed but the record is not in a state that allows it (for
    /// example a review of a report that is still a draft).
    #[error("{0}")]
    Conflict(String),

    /// The file is not SQLite, or it is another application's database (a device's
    /// store, say). It is left as it was.
    #[error("database {path} is not a Cordon server database: {detail}")]
    NotServerDatabase { path: String, detail: String },

    /// The database was written by a newer build of the server. It is left as it was.
    #[error("database {path} has schema version {found}; this build supports up to {supported}")]
    IncompatibleVersion {
        path: String,
        found: i64,
        supported: i64,
    },

    /// Another process holds the database longer than the busy timeout.
    #[error("database is busy: {0}")]
    Busy(String),

    /// Any other SQLite failure; the write it interrupted was rolled back.
    #[error("storage error: {0}")]
    Storage(String),

    /// The alarm is not in a state that allows what was asked (acknowledging a resolved
    /// alarm, resolving one nobody acknowledged). Nothing was written.
    #[error("alarm {alarm_id}: {refusal}")]
    Alarm {
        alarm_id: String,
        refusal: AlarmRefusal,
    },

    /// No operator session, an expired one, or a login that did not match.
    #[error("not signed in: {0}")]
    Unauthenticated(String),

    /// The operator is signed in but may not do this (a role, a missing CSRF token).
    #[error("forbidden: {0}")]
    Forbidden(String),

    /// A file or directory of the server (the blob directory, a blob) failed.
    #[error("i/o error on {path}: {detail}")]
    Io { path: String, detail: String },
}

/// Why an alarm refused a step of its life (see `crate::alarms::life`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum AlarmRefusal {
    #[error("it is already acknowledged")]
    AlreadyAcknowledged,
    #[error("it is already resolved")]
    AlreadyResolved,
    #[error("it must be acknowledged before it is resolved")]
    NotAcknowledged,
    #[error("it was already escalated")]
    AlreadyEscalated,
    #[error("it is not past the organisation's limit for acknowledgement")]
    NotYetDue,
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub(crate) fn invalid(field: impl Into<String>, reason: impl Into<String>) -> Self {
        Error::InvalidInput {
            field: field.into(),
            reason: reason.into(),
        }
    }

    pub(crate) fn not_found(record: &str, id: impl Into<String>) -> Self {
        Error::NotFound {
            record: record.to_owned(),
            id: id.into(),
        }
    }

    pub(crate) fn io(path: &Path, err: std::io::Error) -> Self {
        Error::Io {
            path: path.display().to_string(),
            detail: err.to_string(),
        }
    }
}

impl From<rusqlite::Error> for Error {
    fn from(err: rusqlite::Error) -> Self {
        match &err {
            rusqlite::Error::SqliteFailure(e, _)
                if matches!(
                    e.code,
                    rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked
                ) =>
            {
                Error::Busy(err.to_string())
            }
            _ => Error::Storage(err.to_string()),
        }
    }
}

impl From<serde_json::Error> for Error {
    fn from(err: serde_json::Error) -> Self {
        // JSON the server wrote itself failed to round-trip: damaged storage.
        Error::Storage(format!("stored JSON could not be read: {err}"))
    }
}

impl From<CordonError> for Error {
    fn from(err: CordonError) -> Self {
        // Over HTTP a field is named as the JSON spells it.
        match err.in_wire_spelling() {
            CordonError::InvalidInput { field, reason, .. } => {
                Error::InvalidInput { field, reason }
            }
            CordonError::NotFound { record, id } => Error::NotFound { record, id },
            other => Error::Storage(other.to_string()),
        }
    }
}
