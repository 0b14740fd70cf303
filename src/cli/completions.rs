//! `ecapi completions bash|zsh|fish`: the shell's completion script for every command and option,
//! generated from the clap definitions by `clap_complete`, printed to standard output.

use std::io::Write as _;

use clap::CommandFactory;
use clap_complete::Shell;

use super::args::{Cli, CompletionShell, CompletionsArgs};
use super::backend::UsageError;
use super::exit::{ExitCode, EXIT_SUCCESS};

/// Prints the completion script.
pub fn completions(a: CompletionsArgs) -> Result<ExitCode, UsageError> {
    let shell = match a.shell {
        CompletionShell::Bash => Shell::Bash,
        CompletionShell::Zsh => Shell::Zsh,
        CompletionShell::Fish => Shell::Fish,
    };
    let mut command = Cli::command();
    // Written whole into memory first: clap_complete panics when its writer fails, and standard
    // output may be a pipe whose reader left (`ecapi completions bash | head -1`).
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut command, "ecapi", &mut script);
    let mut stdout = std::io::stdout();
    let _ = stdout.write_all(&script).and_then(|()| stdout.flush());
    Ok(EXIT_SUCCESS)
}
