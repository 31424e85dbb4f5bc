//! The wire vocabulary of the sync protocol (`docs/PROTOCOL.md`), version 1, defined once
//! for both ends: the device's sync engine and store write it, the reference server reads
//! it.
//!
//! - [`operation`]: what an outbox operation asks for ([`OperationKind`]) and the lane it
//!   travels in ([`Lane`]);
//! - [`payload`]: the JSON payload of every operation kind, as one enum ([`Payload`]), and
//!   which lane each goes in;
//! - [`messages`]: the request and response bodies, and the error body.
//!
//! It depends on the model only: the store, the sync engine and the server build on it,
//! never the other way round.

pub mod messages;
pub mod operation;
pub mod payload;

pub use messages::*;
pub use operation::{Lane, OperationKind, MAX_OPERATION_BYTES, PAYLOAD_VERSION};
pub use payload::{AttachmentUpload, Payload, ReportDraft, ReportSubmission};

/// Path prefix of this protocol version.
pub const API_PREFIX: &str = "/v1";
/// Most operations one push may carry.
pub const MAX_PUSH_OPERATIONS: usize = 1000;
/// Largest push request body, in bytes.
pub const MAX_PUSH_BYTES: usize = 4 * 1024 * 1024;
/// Largest attachment chunk body, in bytes.
pub const MAX_CHUNK_BYTES: usize = 8 * 1024 * 1024;
