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
//! On Linux with glibc, a release build's relative relocations (one per pointer in the binary's
//! read-only data: vtables, string tables) are packed (`-z pack-relative-relocs`, RELR: a bitmap
//! in place of 24 bytes each, 0.6 MB less). The loader must know the packed form: glibc 2.36 and
//! later, which LLD's `GLIBC_ABI_DT_RELR` version need makes an older glibc refuse by name
//! (`version 'GLIBC_ABI_DT_RELR' not found`) instead of starting a binary it would mislink. So
//! the option is passed only when a program linked with it, holding a table of pointers, runs
//! here and reads its table back: a build on glibc 2.35 or older, a cross build (host and target
//! differ) or a linker without the option links as before. A binary built here then needs glibc
//! 2.36 to start, as it already needs the glibc it was built against (2.35's symbols on this one).
//!
//! Other targets and debug builds are left as they are (debug builds link faster without any).

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
        let gnu = env::var("CARGO_CFG_TARGET_ENV").is_ok_and(|e| e == "gnu");
        let relr = "-Wl,-z,pack-relative-relocs";
        if gnu && env::var("HOST") == env::var("TARGET") && linked_program_runs(relr) {
            println!("cargo:rustc-link-arg={relr}");
        }
    }
}

/// Whether the build's linker accepts `arg`: an empty program is compiled and linked with
/// `rustc` for the build's target, with its flags (`CARGO_ENCODED_RUSTFLAGS`), its linker
/// (`RUSTC_LINKER`, when one is configured) and `-C link-arg=ARG`, in `OUT_DIR`. Any failure,
/// including one to run `rustc` at all, counts as "no".
fn linker_accepts(arg: &str) -> bool {
    probe(arg, "link_probe", "fn main() {}\n").is_some()
}

/// Whether a program linked with `arg` (as [`linker_accepts`] links it) also runs here and reads
/// back a table of pointers, each one a relative relocation the loader has to apply.
fn linked_program_runs(arg: &str) -> bool {
    const SOURCE: &str = "static NAMES: [&str; 3] = [\"one\", \"two\", \"three\"];\n\
        fn main() {\n\
            let names: Vec<&str> = std::hint::black_box(&NAMES).to_vec();\n\
            std::process::exit(if names.concat() == \"onetwothree\" { 0 } else { 1 });\n\
        }\n";
    probe(arg, "run_probe", SOURCE).is_some_and(|program| {
        Command::new(program)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|status| status.success())
    })
}

/// Compiles and links `source` as the program `name` with `-C link-arg=ARG` (see
/// [`linker_accepts`]); the program's path when that succeeded.
fn probe(arg: &str, name: &str, source_text: &str) -> Option<PathBuf> {
    let out = PathBuf::from(env::var_os("OUT_DIR")?);
    let target = env::var("TARGET").ok()?;
    let source = out.join(format!("{name}.rs"));
    std::fs::write(&source, source_text).ok()?;
    let rustc = env::var_os("RUSTC").unwrap_or_else(|| "rustc".into());
    let mut probe = Command::new(rustc);
    probe
        .arg(format!("--crate-name={name}"))
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
    let linked = probe.status().is_ok_and(|status| status.success());
    linked.then(|| out.join(name))
}
