//! Encryption at rest (issue 13): the key the app supplies ([`key`]) and attachment files
//! sealed in chunks ([`sealed_file`]). The app holds one 32-byte key per store, kept in
//! the Android Keystore or the iOS Keychain and handed to [`crate::Store::open_encrypted`]
//! as a [`StoreKey`]. The core never stores it: it derives one subkey per use (the
//! database's, the attachment files') and wipes every copy it makes when done with it.
//! Below `store` in the import graph: it knows files and keys, not records.

pub(crate) mod key;
pub mod sealed_file;

pub use key::StoreKey;
