//! # cordon-core
//!
//! The offline-first core of Cordon, a field app for close protection and security
//! officers. It owns:
//! - [`model`]: assignments, check-ins, incident reports with amendments, attachments,
//!   and the rules every value meets;
//! - [`protocol`]: the wire vocabulary both ends share: operation kinds, lanes, every
//!   payload, the request and response bodies;
//! - [`Store`]: the on-device SQLite store that keeps them, one transaction per write,
//!   with the [`outbox`]: the durable queue of operations that the sync engine delivers to
//!   the office exactly once, in order, urgent first;
//! - [`sync`]: the sync engine that drains the outbox and pulls what the office sends.
//!
//! The modules depend on each other in one direction only (`scripts/check-imports.py`
//! checks it): `time`, `error` <- `model` <- `protocol` <- `store` <- `sync`, with
//! `retry` (backoff) and `sqlite` (the opener shared with the server) beside them.
//!
//! Nothing here does I/O on the network, and nothing here panics on bad input: every
//! public call returns a [`CordonError`] that says what went wrong.
//!
//! ```no_run
//! use cordon_core::{CheckInKind, NewCheckIn, Store};
//! # fn main() -> cordon_core::Result<()> {
//! let store = Store::open("/data/cordon.db")?;
//! store.record_check_in(NewCheckIn {
//!     kind: CheckInKind::Duress,
//!     assignment_id: None,
//!     occurred_at: None,
//!     time_zone: "Europe/London".into(),
//!     location: None,
//!     tag_id: None,
//!     note: None,
//! })?;
//! # Ok(()) }
//! ```

#[cfg(feature = "uniffi")]
uniffi::setup_scaffolding!();

pub mod crypto;
mod error;
pub mod model;
pub mod protocol;
pub mod retry;
pub mod sqlite;
mod store;
pub mod sync;
mod time;

pub use crypto::StoreKey;
pub use error::{CordonError, InputRule, Result};
pub use model::*;
pub use protocol::{Lane, OperationKind, Payload};
pub use retry::{FixedRandom, Random, SeededRandom, SystemRandom};
pub use store::outbox::{
    self, BatchLimits, LaneCounts, OperationState, OutboxOperation, OutboxStatus, Outcome,
};
pub use store::schema::{APPLICATION_ID, CURRENT_VERSION as SCHEMA_VERSION};
pub use store::{
    reseal_attachments, seal_existing_attachments, shift_from_row, DeviceIdentity, NewAmendment,
    RowColumns, Store, StoreOptions,
};
pub use sync::{
    Cancellation, ListenerError, PassOutcome, PassSummary, SyncConfig, SyncEngine, SyncListener,
    SyncStatus, Transport,
};
pub use time::{validate_time_zone, zone, Clock, ManualClock, SystemClock, Timestamp};
