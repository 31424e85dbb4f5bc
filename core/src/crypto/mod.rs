//! Encryption at rest (issue 13): the key the app supplies ([`key`]) and attachment files
//! sealed in chunks ([`sealed_file`]). Below `store` in the import graph: it knows files
//! and keys, not records.

pub(crate) mod key;
pub mod sealed_file;

pub use key::StoreKey;
