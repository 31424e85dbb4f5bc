//! `uniffi-bindgen` at exactly the uniffi version the library is built with (the
//! generated code and the library's scaffolding must agree). A crate of its own so that
//! building the library never compiles the bindgen and its command-line parser.

fn main() {
    uniffi::uniffi_bindgen_main()
}
