//! The reference server, driven over real HTTP on loopback exactly as a device drives it:
//! one test binary, one module per part of the protocol (`docs/PROTOCOL.md`).

mod alarms;
mod attachments;
mod console;
mod enrol;
mod errors;
mod handovers;
mod harness;
mod hostile_input;
mod isolation;
mod limits;
mod messages;
mod movements;
mod openapi;
mod post_orders;
mod pull;
mod push;
mod reports;
mod reviewers;
mod revocation;
mod rota;
mod sightings;
mod slow_clients;
