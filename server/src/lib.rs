//! # cordon-server
//!
//! The reference sync server: the office's end of the protocol in `docs/PROTOCOL.md`.
//! It owns:
//! - one SQLite file (WAL) holding devices, received records, receipts, assignments and
//!   the pull feed ([`db`]), and a directory `<db>.blobs/` beside it holding attachment
//!   bytes, appended chunk by chunk as they arrive;
//! - the HTTP API (`/v1/enrol`, `/v1/health`, `/v1/push`, `/v1/pull`,
//!   `/v1/attachments/{sha256}`), served by [`serve`] from [`Server::router`];
//! - the control room: [`alarms`] (raised by duress and panic check-ins and by the
//!   dead-man timer, an append-only life), [`operators`] (accounts, sessions, audit), and
//!   the console at `/console` with its assets compiled in;
//! - [`admin`]: what the office does (enrolment codes, assignments, review outcomes)
//!   and what it reads (received check-ins, reports, attachments, receipts).
//!
//! What it promises, beside the protocol itself: a push commits whole or not at all; a
//! replayed operation changes nothing; bad input of any kind is answered with the
//! protocol's error body (never a panic, never a partial write); only SHA-256 digests of
//! enrolment codes and tokens are stored.
//!
//! ```no_run
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let server = cordon_server::Server::open("/var/lib/cordon/server.db")?;
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
//! println!("listening on http://{}", listener.local_addr()?);
//! cordon_server::serve(listener, server).await?;
//! # Ok(()) }
//! ```

pub mod admin;
pub mod alarms;
mod apply;
mod console;
pub mod db;
mod enrol;
mod error;
mod feed;
mod group_commit;
mod http;
mod limits;
mod listen;
pub mod messages;
mod movements;
pub mod operators;
mod push;
mod records;
mod revoked;
mod routes;
mod secret;
mod state;
mod store;
#[cfg(test)]
mod upgrade_tests;
mod uploads;
mod validate;

use std::future::Future;

pub use error::{AlarmRefusal, Error, Result};
pub use limits::{Rate, RateLimits};
pub use state::{is_postgres_url, Server, Timeouts, DEFAULT_TIMER_PERIOD};

/// Serves the API on `listener` until the process ends.
pub async fn serve(listener: tokio::net::TcpListener, server: Server) -> std::io::Result<()> {
    serve_with_shutdown(listener, server, std::future::pending()).await
}

/// Serves the API on `listener` until `shutdown` completes, then stops accepting and
/// finishes the requests in progress (a push in flight commits or rolls back whole).
pub async fn serve_with_shutdown(
    listener: tokio::net::TcpListener,
    server: Server,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    listen::run(listener, server, shutdown).await
}
