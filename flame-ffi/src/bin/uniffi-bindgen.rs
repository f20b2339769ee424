//! Generates the Kotlin and Swift bindings from the built `flame_ffi` library:
//!
//! ```text
//! cargo run -p flame-ffi --features bindgen --bin uniffi-bindgen -- generate \
//!     --library target/debug/libflame_ffi.so --language kotlin --out-dir OUT
//! ```

fn main() {
    uniffi::uniffi_bindgen_main()
}
