//! The one error type of the core.
//!
//! Every public entry point returns [`CordonError`]. Variants say what a caller can act
//! on (fix the input, reopen, report a corrupt file) rather than carrying SQLite's codes;
//! the mapping from rusqlite's errors lives here and nowhere else. No variant means
//! "something was half-written": every write is one transaction, and an error rolls it
//! back.

use std::path::Path;

/// Errors from the Cordon core.
///
/// In Kotlin and Swift, `toString()` / `localizedDescription` is the message below (one
/// line, no stack trace): `invalid note: holds text the app could not encode ...`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Error), uniffi::export(Display))]
pub enum CordonError {
    /// A value given to the core breaks a rule of the model. `field` names the input as
    /// Kotlin and Swift spell it (lowerCamelCase, dotted for nested values, indexed in
    /// lists: `location.fixTime`, `persons[2].description`); `rule` says which rule it
    /// broke, for code to act on; `reason` says it in English, for logs and developers.
    #[error("invalid {field}: {reason}")]
    InvalidInput {
        field: String,
        rule: InputRule,
        reason: String,
    },

    /// The record asked for does not exist on this device.
    #[error("{record} {id} not found")]
    NotFound { record: String, id: String },

    /// The incident report has been submitted; it can only change through an amendment.
    #[error("incident report {report_id} is submitted and locked; amend it instead")]
    ReportLocked { report_id: String },

    /// An amendment was asked for on a report that is still a draft.
    #[error("incident report {report_id} is still a draft; edit it or submit it")]
    ReportNotSubmitted { report_id: String },

    /// An acknowledgement of post orders names a version that is not the one the device
    /// holds for the assignment now (an older one, or one not yet downloaded): the
    /// officer acknowledges what the phone shows, `current`.
    #[error("post orders version {version} of assignment {assignment_id} is not the current one ({current})")]
    PostOrdersNotCurrent {
        assignment_id: String,
        version: i32,
        current: i32,
    },

    /// The handover note named is not addressed to this device's officer (their own note
    /// to someone else, or another officer's): only the incoming officer acknowledges it.
    #[error("handover {handover_id} is not addressed to this officer")]
    HandoverNotForYou { handover_id: String },

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

    /// The bytes given as a store key cannot be one (a key is 32 bytes). Nothing was
    /// opened or changed.
    #[error("invalid store key: {reason}")]
    InvalidKey { reason: String },

    /// The store at `path` is encrypted and cannot be read with the key given, or no key
    /// was given for it. The file is left byte for byte as it was: open it again with
    /// its key.
    #[error("database {path} is encrypted and the key given does not open it (or no key was given); it was left as it was")]
    WrongKey { path: String },

    /// A file the core reads or writes (an attachment, the attachment directory) failed.
    #[error("i/o error on {path}: {detail}")]
    Io { path: String, detail: String },

    /// The office revoked this device (lost or seized): the store destroyed what it held,
    /// and every call on it now answers this. Open a new store and enrol again to go on.
    #[error("this device was revoked by the office; its data was destroyed")]
    Revoked,

    /// A request to the server failed and there is no queue to retry it from (enrolment).
    #[error("sync failed: {detail}")]
    Sync { detail: String },

    /// Any other storage failure (disk full, read-only file system, ...). The write it
    /// interrupted was rolled back.
    #[error("storage error: {detail}")]
    Storage { detail: String },
}

/// Which rule of the model an input broke: what an app matches on to choose its own
/// words (the `reason` beside it is English for developers and logs).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
pub enum InputRule {
    /// A value that must be given is missing (an assignment for a welfare check-in, a
    /// tag id for a checkpoint, at least one site).
    Required,
    /// Text that must say something is empty or only spaces.
    Blank,
    /// Text, a list or a file is longer or larger than allowed.
    TooLong,
    /// Text holds a control character other than newline, carriage return or tab.
    ControlCharacter,
    /// Text the app could not encode (a lone UTF-16 surrogate, such as half an emoji) or
    /// a Unicode noncharacter.
    MalformedText,
    /// A number or an instant lies outside its range (an instant: 1970 to 2200).
    OutOfRange,
    /// A date that is no time at all (NaN, infinite, beyond any calendar).
    NotATime,
    /// An instant later than the device's clock allows.
    InTheFuture,
    /// Two values are in the wrong order (discovered before it occurred, ends before it
    /// starts, a grace period longer than its interval).
    OutOfOrder,
    /// Not a zone of the IANA time zone database.
    UnknownTimeZone,
    /// A value with a fixed shape does not have it (a MIME type, a URL, a path, an id).
    BadFormat,
    /// A value this kind of record does not take (a tag id on a welfare check-in, a PDF
    /// as a photo, a configuration value the protocol cannot use).
    NotAllowed,
    /// It names a record that is not on this device (an assignment not yet downloaded).
    UnknownRecord,
    /// An amendment that changes nothing.
    NoChange,
}

/// Result type of the core.
pub type Result<T, E = CordonError> = std::result::Result<T, E>;

impl CordonError {
    /// `field` as the core names it (`location.fix_time`), stored as the apps spell it
    /// (`location.fixTime`): one spelling for every caller of the core.
    pub(crate) fn invalid(field: &str, rule: InputRule, reason: impl Into<String>) -> Self {
        CordonError::InvalidInput {
            field: app_spelling(field),
            rule,
            reason: reason.into(),
        }
    }

    /// The same error with a field named as the wire protocol (JSON) spells it
    /// (`location.fix_time`): what the office answers over HTTP.
    pub fn in_wire_spelling(self) -> Self {
        match self {
            CordonError::InvalidInput {
                field,
                rule,
                reason,
            } => CordonError::InvalidInput {
                field: wire_spelling(&field),
                rule,
                reason,
            },
            other => other,
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

/// `check_in_policy.interval_secs` -> `checkInPolicy.intervalSecs`: what uniffi makes of
/// the Rust names in Kotlin and Swift, segment by segment.
fn app_spelling(field: &str) -> String {
    let mut out = String::with_capacity(field.len());
    let mut upper = false;
    for c in field.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

/// `fixTime` → `fix_time`: the inverse of [`app_spelling`].
fn wire_spelling(field: &str) -> String {
    let mut out = String::with_capacity(field.len() + 4);
    for c in field.chars() {
        if c.is_ascii_uppercase() {
            out.push('_');
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_wire_spells_fields_as_the_protocol_does() {
        let e = CordonError::invalid("location.fix_time", InputRule::NotATime, "not a time");
        let CordonError::InvalidInput { field, .. } = e.clone() else {
            unreachable!()
        };
        assert_eq!(field, "location.fixTime");
        let CordonError::InvalidInput { field, .. } = e.in_wire_spelling() else {
            unreachable!()
        };
        assert_eq!(field, "location.fix_time");
    }

    #[test]
    fn fields_are_named_as_kotlin_and_swift_spell_them() {
        for (core, app) in [
            ("note", "note"),
            ("assignment_id", "assignmentId"),
            ("location.fix_time", "location.fixTime"),
            ("location.accuracy_m", "location.accuracyM"),
            ("persons[12].description", "persons[12].description"),
            (
                "check_in_policy.interval_secs",
                "checkInPolicy.intervalSecs",
            ),
        ] {
            assert_eq!(app_spelling(core), app);
        }
    }
}
