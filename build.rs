//! Link settings that Cargo's profiles cannot express.
//!
//! On Linux, a release build's debug sections (the line tables that let a panic's backtrace name
//! `src/…:LINE`, see `[profile.release]` in Cargo.toml) are compressed by the linker with zlib, the
//! compression the standard library's backtrace reads (`SHF_COMPRESSED`, ELF gABI). They shrink to
//! about a quarter; nothing else in the binary changes. Other targets and debug builds are left as
//! they are (debug builds link faster uncompressed).

use std::env;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    let linux = env::var("CARGO_CFG_TARGET_OS").is_ok_and(|os| os == "linux");
    // "release" for every profile that inherits from release (`cargo install`, `cargo bench`).
    let release = env::var("PROFILE").is_ok_and(|p| p == "release");
    if linux && release {
        println!("cargo:rustc-link-arg=-Wl,--compress-debug-sections=zlib");
    }
}
