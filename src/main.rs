//! The `ecapi` binary: parses the command line and hands it to [`ecapi::cli`].

use clap::Parser;

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
