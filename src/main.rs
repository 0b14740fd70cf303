//! The `ecapi` binary: parses the command line and hands it to [`ecapi::cli`].

use clap::Parser;

/// mimalloc rather than the system's allocator: every request `ecapi serve` answers and every
/// call a script makes allocates and frees a few dozen small blocks (texts, headers, the
/// exchange the audit reads), and under glibc's malloc that was about a sixth of a served
/// PortStatus's instructions (benches/README.md, "Where the time goes: `ecapi serve`"). It
/// builds from C with the compiler `cc` finds, on Windows (MSVC or GNU) as on Unix.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    let cli = ecapi::cli::Cli::parse();
    std::process::ExitCode::from(ecapi::cli::main(cli))
}

#[cfg(test)]
mod tests {
    /// A backtrace taken in this binary names the source line of each of its frames: the profiles
    /// keep line tables for this package (`debug = "line-tables-only"` in Cargo.toml) and, on
    /// Linux, in the binary itself while the rest of the debug information goes to .dwo files
    /// (.cargo/config.toml). `benches/first_run.sh` checks the same of a release build's panic.
    #[test]
    fn backtraces_name_source_lines() {
        #[inline(never)]
        fn captured() -> (std::backtrace::Backtrace, u32) {
            (std::backtrace::Backtrace::force_capture(), line!())
        }
        let (trace, line) = captured();
        let text = trace.to_string();
        assert!(
            text.contains(&format!("main.rs:{line}:")),
            "no main.rs:{line} in\n{text}"
        );
    }
}
