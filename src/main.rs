//! The `ecapi` binary: parses the command line and hands it to [`ecapi::cli`].

use clap::Parser;

fn main() -> std::process::ExitCode {
    let cli = ecapi::cli::Cli::parse();
    std::process::ExitCode::from(ecapi::cli::main(cli))
}
