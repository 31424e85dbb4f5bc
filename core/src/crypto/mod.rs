//! Keys for encryption at rest.
//!
//! The app holds one 32-byte key per store, kept in the Android Keystore or the iOS
//! Keychain and handed to [`crate::Store::open_encrypted`] as a [`StoreKey`]. The core
//! never stores it: it derives one subkey per use (the database's, the attachment
//! files') and wipes every copy it makes when done with it.

mod key;

pub use key::StoreKey;
