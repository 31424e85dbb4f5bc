//! Compiles SQLite3 Multiple Ciphers into `libsqlite3.a`, the SQLite of every Cordon build.
//!
//! rusqlite is used without its `bundled` feature, so libsqlite3-sys compiles no SQLite
//! of its own and asks the linker for a library named `sqlite3`. This script puts its
//! archive under that name in a directory handed to every link after this crate (a
//! `-L` that comes before the system's directories, so a system `libsqlite3` is never
//! the one found; `.cargo/config.toml` also turns libsqlite3-sys's pkg-config probe off)
//! and links the same archive statically into this crate, so a static library
//! (`libcordon.a` for iOS) carries SQLite inside it.
//!
//! The options are libsqlite3-sys's own for its bundled build (so the server, the CLI
//! and the phone library behave as they did on bundled SQLite), plus the ciphers: the
//! store uses AEGIS-256 (an AES-based AEAD, fast on every phone CPU with AES
//! instructions: chosen by measurement in docs/PERFORMANCE.md); ChaCha20-Poly1305
//! (sqlite3mc's default) and the SQLCipher-compatible AES-256 scheme stay compiled for
//! that comparison; the other schemes (AES-128/256 without authentication, RC4, Ascon)
//! are left out.
use std::env;

fn main() {
    let dir = sqlite3mc_src::source_dir();
    let source = dir.join(sqlite3mc_src::SOURCE_FILE);
    println!("cargo:rerun-if-changed=build.rs");
    let temp_store = if env::var("CARGO_CFG_TARGET_OS").as_deref() == Ok("android") {
        "3"
    } else {
        "2"
    };
    let mut build = cc::Build::new();
    build
        .file(&source)
        .include(dir)
        .define("SQLITE_CORE", None)
        .define("SQLITE_DEFAULT_FOREIGN_KEYS", "1")
        .define("SQLITE_ENABLE_API_ARMOR", None)
        .define("SQLITE_ENABLE_COLUMN_METADATA", None)
        .define("SQLITE_ENABLE_DBSTAT_VTAB", None)
        .define("SQLITE_ENABLE_FTS3", None)
        .define("SQLITE_ENABLE_FTS3_PARENTHESIS", None)
        .define("SQLITE_ENABLE_FTS5", None)
        .define("SQLITE_ENABLE_JSON1", None)
        .define("SQLITE_ENABLE_LOAD_EXTENSION", "1")
        .define("SQLITE_ENABLE_RTREE", None)
        .define("SQLITE_ENABLE_STAT4", None)
        .define("SQLITE_SOUNDEX", None)
        .define("SQLITE_THREADSAFE", "1")
        .define("SQLITE_USE_URI", None)
        .define("HAVE_USLEEP", "1")
        .define("HAVE_ISNAN", None)
        .define("HAVE_LOCALTIME_R", None)
        .define("_POSIX_THREAD_SAFE_FUNCTIONS", None)
        // Temporary tables and sort files are not encrypted: keep them in memory (always
        // on Android, where SQLite cannot find a directory for them, as libsqlite3-sys).
        .define("SQLITE_TEMP_STORE", temp_store)
        // The ciphers.
        .define("CODEC_TYPE", "CODEC_TYPE_CHACHA20")
        .define("HAVE_CIPHER_CHACHA20", "1")
        .define("HAVE_CIPHER_SQLCIPHER", "1")
        .define("HAVE_CIPHER_AES_128_CBC", "0")
        .define("HAVE_CIPHER_AES_256_CBC", "0")
        .define("HAVE_CIPHER_RC4", "0")
        .define("HAVE_CIPHER_ASCON128", "0")
        .define("HAVE_CIPHER_AEGIS", "1")
        .warnings(false)
        // Only this script's own link lines below.
        .cargo_metadata(false);
    build.compile("sqlite3");
    let out = env::var("OUT_DIR").expect("OUT_DIR");
    println!("cargo:rustc-link-search=native={out}");
    println!("cargo:rustc-link-lib=static=sqlite3");
}
