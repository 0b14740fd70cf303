//! The command line: arguments (the only place that sees clap), their validation into a
//! configuration of built objects, and the subcommands.

mod args;
mod audit;
mod backend;
mod call;
mod completions;
mod connection_args;
mod env_cmd;
mod exit;
mod export;
mod load;
mod ops;
mod project;
mod proxy;
mod repl;
mod replay;
mod report_path;
mod run;
mod script_args;
mod script_cmd;
mod serve;
mod session;
mod test;
mod watch;

use crate::streams::errln;
pub use args::{BackendArgs, Cli, Command};
pub use backend::{BackendConfig, UsageError};
pub use exit::{ExitCode, EXIT_FAILURE, EXIT_SUCCESS, EXIT_USAGE};

/// Runs a parsed command line and returns the process's exit code.
pub fn main(cli: Cli) -> ExitCode {
    // The commands that run scripts, after which a `--secret` name that named nothing is told.
    let runs_scripts = matches!(
        cli.command,
        Some(Command::Run(_) | Command::Test(_) | Command::Load(_) | Command::Repl(_)) | None
    );
    let result = match cli.command {
        Some(Command::Run(a)) => run::run(a),
        Some(Command::Test(a)) => test::test(a),
        Some(Command::Call(a)) => call::call(a),
        Some(Command::Ops(a)) => ops::ops(a),
        Some(Command::Env(a)) => env_cmd::env(a),
        Some(Command::Serve(a)) => serve::serve(a),
        Some(Command::Session(a)) => session::session(a),
        Some(Command::Completions(a)) => completions::completions(a),
        Some(Command::Proxy(a)) => proxy::proxy(a),
        Some(Command::Replay(a)) => replay::replay(a),
        Some(Command::Script(a)) => script_cmd::script(a),
        Some(Command::Repl(a)) => repl::repl(a),
        Some(Command::Load(a)) => load::load(a),
        Some(Command::Audit(a)) => audit::audit(a),
        Some(Command::Export(a)) => export::export(a),
        // Without a subcommand, the REPL, with the options given before any subcommand.
        None => repl::repl(cli.repl),
    };
    if runs_scripts && result.is_ok() {
        warn_unmatched_secrets();
    }
    match result {
        Ok(code) => code,
        Err(e) => {
            errln!("ecapi: {e}");
            EXIT_USAGE
        }
    }
}

/// Warns of each `--secret` name that named nothing in the run (a typo masks nothing), naming
/// the closest name seen.
fn warn_unmatched_secrets() {
    for (name, closest) in crate::secrets::unmatched() {
        let hint = closest
            .map(|c| format!(" (did you mean `{c}`?)"))
            .unwrap_or_default();
        errln!(
            "warning: --secret {name} named nothing: no --set name, --data column, script variable, request parameter, field or environment variable of that name was seen, so nothing was masked for it{hint}"
        );
    }
}
