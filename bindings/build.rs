//! Link flags of the phone builds.
//!
//! Android 15 devices may run with 16 KB memory pages, and Google Play requires apps that
//! target Android 15 to ship native libraries whose LOAD segments are 16 KB aligned; a
//! library linked with `max-page-size=16384` loads on 4 KB and 16 KB devices alike. The
//! flag lives here rather than in RUSTFLAGS or `.cargo/config.toml` because cargo-ndk sets
//! CARGO_ENCODED_RUSTFLAGS, which overrides both; `bindings/android/build.sh` checks the
//! alignment of every `libcordon.so` it built.
fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    if std::env::var("CARGO_CFG_TARGET_OS").as_deref() == Ok("android") {
        println!("cargo:rustc-link-arg=-Wl,-z,max-page-size=16384");
    }
}
