//! [`StoreKey`]: the store's 32-byte key, and the subkeys derived from it.

use hkdf::Hkdf;
use sha2::Sha256;
use zeroize::Zeroizing;

use crate::error::{CordonError, Result};

/// The length of a store key and of each subkey, in bytes.
pub const KEY_LEN: usize = 32;

/// A store's key: 32 bytes from the Android Keystore or the iOS Keychain.
///
/// Held in memory that is wiped when it is dropped. It is not `Clone` (one owner: the
/// store it opens) and its `Debug` shows no key bytes. The database and the attachment
/// files each use their own subkey derived from it by HKDF-SHA256, so the same bytes
/// never key two ciphers.
pub struct StoreKey {
    bytes: Zeroizing<[u8; KEY_LEN]>,
}

impl StoreKey {
    /// A key from `bytes`, which must be exactly 32 bytes long
    /// ([`CordonError::InvalidKey`] otherwise). The caller wipes its own copy.
    pub fn from_bytes(bytes: &[u8]) -> Result<StoreKey> {
        if bytes.len() != KEY_LEN {
            return Err(CordonError::InvalidKey {
                reason: format!(
                    "a store key is {KEY_LEN} bytes long; {} bytes were given",
                    bytes.len()
                ),
            });
        }
        let mut key = Zeroizing::new([0u8; KEY_LEN]);
        key.copy_from_slice(bytes);
        Ok(StoreKey { bytes: key })
    }

    /// The database's subkey (SQLite3 Multiple Ciphers' raw key).
    pub(crate) fn database_key(&self) -> Zeroizing<[u8; KEY_LEN]> {
        self.subkey(b"cordon/v1/database")
    }

    /// The attachment files' subkey.
    pub(crate) fn attachment_key(&self) -> Zeroizing<[u8; KEY_LEN]> {
        self.subkey(b"cordon/v1/attachments")
    }

    fn subkey(&self, info: &[u8]) -> Zeroizing<[u8; KEY_LEN]> {
        let mut out = Zeroizing::new([0u8; KEY_LEN]);
        Hkdf::<Sha256>::new(None, self.bytes.as_slice())
            .expand(info, out.as_mut_slice())
            .expect("32 bytes is a valid HKDF-SHA256 output length");
        out
    }
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
    fn only_32_bytes_make_a_key() {
        for len in [0, 1, 16, 31, 33, 64] {
            let err = StoreKey::from_bytes(&vec![7u8; len]).unwrap_err();
            assert!(
                matches!(&err, CordonError::InvalidKey { reason } if reason.contains(&format!("{len} bytes were given"))),
                "{len}: {err:?}"
            );
        }
        assert!(StoreKey::from_bytes(&[7u8; 32]).is_ok());
    }

    #[test]
    fn the_subkeys_differ_from_each_other_and_from_the_key_and_follow_it() {
        let key = StoreKey::from_bytes(&[7u8; 32]).unwrap();
        let (db, files) = (key.database_key(), key.attachment_key());
        assert_ne!(*db, *files);
        assert_ne!(*db, [7u8; 32]);
        assert_ne!(*files, [7u8; 32]);
        // Deterministic: the same key opens the same store again.
        assert_eq!(
            *db,
            *StoreKey::from_bytes(&[7u8; 32]).unwrap().database_key()
        );
        assert_ne!(
            *db,
            *StoreKey::from_bytes(&[8u8; 32]).unwrap().database_key()
        );
    }

    #[test]
    fn debug_shows_no_key_bytes() {
        let key = StoreKey::from_bytes(&[0xAB; 32]).unwrap();
        let shown = format!("{key:?}");
        assert_eq!(shown, "StoreKey(..)");
    }
}
