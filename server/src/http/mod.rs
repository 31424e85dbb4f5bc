//! The HTTP vocabulary of `docs/PROTOCOL.md`, below every handler (the router that
//! joins them is `crate::routes`).
//!
//! Handlers read as the protocol: what they take is typed by extractors
//! ([`extract`]: the calling device, the query, the path, the body within its limit),
//! what they give is a [`Reply`] or an [`ApiError`] ([`answer`]). Everything common to
//! every request (the log span, reading the rest of a body, stamping the error body
//! with the server's clock) is one middleware ([`middleware`]), which also covers the
//! answers to unknown paths and methods, so every refusal is the protocol's error body.

mod answer;
mod extract;
pub(crate) mod middleware;

pub(crate) use answer::{ApiError, Reply};
pub(crate) use extract::{
    ApiPath, ApiQuery, BodyBytes, BodyStream, Caller, ClientAddress, PeerAddress, RevokedCaller,
};
