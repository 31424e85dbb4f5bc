//! Secrets the server hands out (device tokens) and how every secret is kept: only its
//! SHA-256, so a copy of the database lets nobody enrol or act as a device.

use cordon_core::hex;
use sha2::{Digest, Sha256};

/// Hex SHA-256 of a secret, as stored.
pub(crate) fn digest(secret: &str) -> String {
    hex(&Sha256::digest(secret.as_bytes()))
}

/// A fresh device token: 32 random bytes in hex.
pub(crate) fn new_token() -> String {
    let mut bytes = [0u8; 32];
    rand::fill(&mut bytes);
    hex(&bytes)
}
