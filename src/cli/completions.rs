//! `ecapi completions bash|zsh|fish`: the shell's completion script for every command and option,
//! generated from the clap definitions by `clap_complete`, printed to standard output.

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
    clap_complete::generate(shell, &mut command, "ecapi", &mut std::io::stdout());
    Ok(EXIT_SUCCESS)
}
