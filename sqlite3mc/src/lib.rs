//! SQLite3 Multiple Ciphers, linked as the SQLite of every Cordon build (see build.rs),
//! and the two functions of its C API that rusqlite does not bind: keying and rekeying a
//! connection.
//!
//! A key is passed as sqlite3mc's raw form, `raw:` followed by the 32 key bytes, so no
//! key derivation runs and no hex text of the key is made.

use std::ffi::{c_char, c_int, c_void};

extern "C" {
    fn sqlite3_key_v2(
        db: *mut c_void,
        db_name: *const c_char,
        key: *const c_void,
        n: c_int,
    ) -> c_int;
    fn sqlite3_rekey_v2(
        db: *mut c_void,
        db_name: *const c_char,
        key: *const c_void,
        n: c_int,
    ) -> c_int;
    fn sqlite3mc_version() -> *const c_char;
    fn sqlite3mc_cipher_index(name: *const c_char) -> c_int;
    fn sqlite3mc_config(db: *mut c_void, param: *const c_char, value: c_int) -> c_int;
    fn sqlite3mc_config_cipher(
        db: *mut c_void,
        cipher: *const c_char,
        param: *const c_char,
        value: c_int,
    ) -> c_int;
}

const MAIN: &[u8] = b"main\0";

/// Chooses the cipher scheme of the connection `db` (sqlite3mc's name: `c"chacha20"`,
/// `c"sqlcipher"`) and the size of the plaintext header it leaves at the start of the
/// file (0: none; 32 keeps SQLite's header readable, as iOS needs). Call it before
/// [`key`]. `false` if the scheme is not compiled in or a value was refused.
///
/// # Safety
/// As for [`key`].
pub unsafe fn configure(db: *mut c_void, cipher: &std::ffi::CStr, plaintext_header: c_int) -> bool {
    let index = sqlite3mc_cipher_index(cipher.as_ptr());
    if index <= 0 || sqlite3mc_config(db, c"cipher".as_ptr(), index) < 0 {
        return false;
    }
    sqlite3mc_config_cipher(
        db,
        cipher.as_ptr(),
        c"plaintext_header_size".as_ptr(),
        plaintext_header,
    ) >= 0
        && sqlite3mc_config(db, c"cipher".as_ptr(), -1) == index
}

/// Sets the key of the `main` database of the connection `db` (a `sqlite3*`), before
/// anything reads it. `key` is the raw form (`raw:` and the key bytes). Returns SQLite's
/// result code.
///
/// # Safety
/// `db` must be an open `sqlite3*` connection used by no other thread during the call.
pub unsafe fn key(db: *mut c_void, key: &[u8]) -> c_int {
    let n = c_int::try_from(key.len()).unwrap_or(c_int::MAX);
    sqlite3_key_v2(db, MAIN.as_ptr().cast(), key.as_ptr().cast(), n)
}

/// Re-encrypts the `main` database of the connection `db` with `key` (the raw form; an
/// empty key decrypts it). Returns SQLite's result code.
///
/// # Safety
/// As for [`key`].
pub unsafe fn rekey(db: *mut c_void, key: &[u8]) -> c_int {
    let n = c_int::try_from(key.len()).unwrap_or(c_int::MAX);
    sqlite3_rekey_v2(db, MAIN.as_ptr().cast(), key.as_ptr().cast(), n)
}

/// sqlite3mc's version string ("SQLite3 Multiple Ciphers 2.6.1"): the proof, in tests,
/// that this SQLite is the one linked.
pub fn version() -> String {
    // SAFETY: a pointer to a static NUL-terminated string.
    unsafe { std::ffi::CStr::from_ptr(sqlite3mc_version()) }
        .to_string_lossy()
        .into_owned()
}
