//! # cordon-ffi
//!
//! The uniffi layer over [`cordon_core`]: what Kotlin (package `io.cordon`) and Swift
//! (module `Cordon`) apps call. It is deliberately thin:
//! - [`CordonStore`] wraps the core's `Store` and [`CordonSync`] its `SyncEngine`; every
//!   method delegates to one core call. Validation, business rules and error mapping all
//!   live in the core, where Rust tests reach them.
//! - The records, enums and errors the methods take and return are the core's own types
//!   (derived behind its `uniffi` feature and generated into `io.cordon.core` / the
//!   `Cordon` module); nothing here copies them. Timestamps cross as `java.time.Instant`
//!   and `Date`; errors as `CordonException` subclasses and a Swift `CordonError` enum
//!   carrying the core's reason.
//! - The app's HTTP stack plugs in as the core's `Transport` foreign trait, and the app
//!   hears status changes through the core's `SyncListener`.
//! - The app receives the core's log lines through a [`LogSink`] of its own, installed
//!   with [`set_log_sink`] (see the `log` module).
//!
//! ## Threads
//! Store calls are short local writes and reads: they are plain (blocking) functions,
//! safe from any thread, serialised inside the core. The calls that talk to the server,
//! [`CordonSync::sync_once`], [`CordonSync::sync_until_drained`] and [`CordonSync::enrol`],
//! are `async` (`suspend` in Kotlin, `async` in Swift): each runs on a thread of its own
//! (the app's `Transport` is called there and may block) and the caller's coroutine or
//! task is resumed when it ends, so nothing ever blocks the main thread. Cancelling the
//! caller does not cut a pass short: it finishes in the background and leaves the outbox
//! consistent, as any pass does.
//!
//! ## Panics
//! Nothing here unwraps or indexes: bad input from an app is a typed error from the core.
//! Should the core ever panic on a worker thread, the caller gets `CordonError::Sync`
//! rather than a hung coroutine; uniffi turns a panic on the calling thread into its
//! internal error.

uniffi::setup_scaffolding!();

#[cfg(feature = "bench")]
mod bench;
mod log;
mod store;
mod sync;
mod worker;

pub use log::{set_log_sink, LogEntry, LogLevel, LogSink, LogSinkError};
pub use store::CordonStore;
pub use sync::{default_sync_config, CordonSync};
pub use worker::SyncCancellation;
