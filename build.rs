//! Link settings that Cargo's profiles cannot express.
//!
//! On Linux, a release build's debug sections (the line tables that let a panic's backtrace name
//! `src/…:LINE`, see `[profile.release]` in Cargo.toml) are compressed by the linker with zlib, the
//! compression the standard library's backtrace reads (`SHF_COMPRESSED`, ELF gABI), at zlib's
//! default level where the linker lets it be chosen (LLD 19 and later; `.debug_gdb_scripts`, which
//! is loaded, stays as it is). They shrink to about a fifth; nothing else in the binary changes.
//!
//! On Linux, a release build also has the linker fold identical functions into one
//! (`--icf=all`, identical code folding: the same drop glue, sort or closure instantiated for
//! several types), when the linker in use knows the option: LLD (Rust's default linker on
//! x86_64 Linux since 1.90), gold and mold do, GNU ld does not. Whether it does is asked by
//! linking an empty program with it, with the same target, flags and linker as the build, so a
//! toolchain or configuration whose linker is GNU ld builds as before, only without the folding.
//! A folded function keeps one of its names and line tables, so a backtrace frame in one of them
//! may name its twin; ecapi never compares function addresses.
//!
//! Other targets and debug builds are left as they are (debug builds link faster without either).

use std::env;
use std::path::PathBuf;
use std::process::{Command, Stdio};

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=RUSTC_LINKER");
    let linux = env::var("CARGO_CFG_TARGET_OS").is_ok_and(|os| os == "linux");
    // "release" for every profile that inherits from release (`cargo install`, `cargo bench`).
    let release = env::var("PROFILE").is_ok_and(|p| p == "release");
    if linux && release {
        println!("cargo:rustc-link-arg=-Wl,--compress-debug-sections=zlib");
        // LLD 19 and later also take a zlib level: its default, 1, leaves the line tables
        // a sixth larger than zlib's own default, 6.
        let level = "-Wl,--compress-sections=.debug_[!g]*=zlib:6";
        for arg in [level, "-Wl,--icf=all"] {
            if linker_accepts(arg) {
                println!("cargo:rustc-link-arg={arg}");
            }
        }
    }
}

/// Whether the build's linker accepts `arg`: an empty program is compiled and linked with
/// `rustc` for the build's target, with its flags (`CARGO_ENCODED_RUSTFLAGS`), its linker
/// (`RUSTC_LINKER`, when one is configured) and `-C link-arg=ARG`, in `OUT_DIR`. Any failure,
/// including one to run `rustc` at all, counts as "no".
fn linker_accepts(arg: &str) -> bool {
    let (Some(out), Ok(target)) = (
        env::var_os("OUT_DIR").map(PathBuf::from),
        env::var("TARGET"),
    ) else {
        return false;
    };
    let source = out.join("link_probe.rs");
    if std::fs::write(&source, "fn main() {}\n").is_err() {
        return false;
    }
    let rustc = env::var_os("RUSTC").unwrap_or_else(|| "rustc".into());
    let mut probe = Command::new(rustc);
    probe
        .arg("--crate-name=link_probe")
        .arg("--crate-type=bin")
        .arg("--edition=2021")
        .arg("--target")
        .arg(&target);
    if let Ok(flags) = env::var("CARGO_ENCODED_RUSTFLAGS") {
        probe.args(flags.split('\x1f').filter(|flag| !flag.is_empty()));
    }
    if let Some(linker) = env::var_os("RUSTC_LINKER") {
        let mut flag = std::ffi::OsString::from("-Clinker=");
        flag.push(linker);
        probe.arg(flag);
    }
    probe
        .arg(format!("-Clink-arg={arg}"))
        .arg("--out-dir")
        .arg(&out)
        .arg(&source)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    probe.status().is_ok_and(|status| status.success())
}
