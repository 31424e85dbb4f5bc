//! The store key the app supplies (32 bytes from the platform keystore) and the subkeys
//! the core derives from it. The core never writes it anywhere and wipes every copy it
//! made when that copy is dropped.

use hkdf::Hkdf;
use sha2::Sha256;
use zeroize::Zeroizing;

use crate::error::{CordonError, Result};

/// The key a store is opened with. Holds its bytes in memory that is wiped on drop;
/// `Debug` prints no byte of it, and it is not `Clone` (one owner).
pub struct StoreKey {
    bytes: Zeroizing<[u8; 32]>,
}

impl StoreKey {
    /// A key from exactly 32 bytes; any other length is `InvalidKey`. The caller's own
    /// buffer is not touched (wipe it once this returns).
    pub fn from_bytes(bytes: &[u8]) -> Result<StoreKey> {
        let mut key = Zeroizing::new([0u8; 32]);
        if bytes.len() != key.len() {
            return Err(CordonError::InvalidKey {
                reason: format!("a store key is 32 bytes, not {}", bytes.len()),
            });
        }
        key.copy_from_slice(bytes);
        Ok(StoreKey { bytes: key })
    }

    /// The SQLCipher key of the database.
    #[allow(dead_code)] // enc-db's; kept so that both helpers share one shape.
    pub(crate) fn database_key(&self) -> Zeroizing<[u8; 32]> {
        self.subkey(b"cordon/v1/database")
    }

    /// The key attachment files are sealed under (`crypto::sealed_file`).
    pub(crate) fn attachment_key(&self) -> Zeroizing<[u8; 32]> {
        self.subkey(b"cordon/v1/attachments")
    }

    fn subkey(&self, info: &[u8]) -> Zeroizing<[u8; 32]> {
        derive(self.bytes.as_slice(), None, info)
    }
}

/// HKDF-SHA256 of `ikm` (with `salt`) expanded to 32 bytes for `info`.
pub(crate) fn derive(ikm: &[u8], salt: Option<&[u8]>, info: &[u8]) -> Zeroizing<[u8; 32]> {
    let mut out = Zeroizing::new([0u8; 32]);
    Hkdf::<Sha256>::new(salt, ikm)
        .expand(info, out.as_mut_slice())
        // 32 bytes is far below HKDF-SHA256's limit of 255 * 32.
        .unwrap_or_else(|_| unreachable!("32 bytes is a valid HKDF-SHA256 output length"));
    out
}

impl std::fmt::Debug for StoreKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("StoreKey(..)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_is_32_bytes_and_never_printed() {
        assert!(matches!(
            StoreKey::from_bytes(&[7; 31]),
            Err(CordonError::InvalidKey { .. })
        ));
        assert!(matches!(
            StoreKey::from_bytes(&[7; 33]),
            Err(CordonError::InvalidKey { .. })
        ));
        let key = StoreKey::from_bytes(&[7; 32]).unwrap();
        assert_eq!(format!("{key:?}"), "StoreKey(..)");
        assert_ne!(*key.attachment_key(), *key.database_key());
        assert_ne!(*key.attachment_key(), [7; 32]);
    }
}
