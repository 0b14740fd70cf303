//! The command line: arguments (the only place that sees clap), their validation into a
//! configuration of built objects, and the subcommands.

mod args;
mod backend;
mod call;
mod exit;
mod ops;
mod run;

pub use args::{BackendArgs, Cli, Command};
pub use backend::{BackendConfig, UsageError};
pub use exit::{ExitCode, EXIT_FAILURE, EXIT_SUCCESS, EXIT_USAGE};

/// Runs a parsed command line and returns the process's exit code.
pub fn main(cli: Cli) -> ExitCode {
    let result = match cli.command {
        Some(Command::Run(a)) => run::run(a),
        Some(Command::Call(a)) => call::call(a),
        Some(Command::Ops(a)) => ops::ops(a),
        None | Some(Command::Repl(_)) => Err(UsageError::new(
            "the REPL is not available yet; use `ecapi run FILE.rhai` or `ecapi call OPERATION`",
        )),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("ecapi: {e}");
            EXIT_USAGE
        }
    }
}
