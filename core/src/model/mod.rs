//! The domain model: what an officer records and what the office sends, with the rules
//! every value must meet before the store accepts it.
//!
//! Types here are plain data (serde for payloads, uniffi records behind the `uniffi`
//! feature so the bindings carry them without copies). Validation lives beside each type
//! and returns [`CordonError::InvalidInput`](crate::CordonError::InvalidInput) naming the
//! field; the store calls it before it writes anything.

mod alarm;
mod assignment;
mod attachment;
mod checkin;
mod handover;
mod incident;
mod location;
mod message;
mod movement;
mod post_orders;
mod rota;
mod sighting;
pub mod validate;

pub use alarm::*;
pub use assignment::*;
pub use attachment::*;
pub use checkin::*;
pub use handover::*;
pub use incident::*;
pub use location::*;
pub use message::*;
pub use movement::*;
pub use post_orders::*;
pub use rota::*;
pub use sighting::*;
