//! `ecapi ops [OPERATION]`: the operations, their parameters and documentation, from the API model
//! and the script function docs (rendered by [`help`], which the REPL shares).

use super::args::OpsArgs;
use super::backend::UsageError;
use super::exit::{ExitCode, EXIT_SUCCESS};
use crate::api::ApiVersion;
use crate::script::help;
use crate::streams::out;

/// Prints the list, or one entry in full.
pub fn ops(a: OpsArgs) -> Result<ExitCode, UsageError> {
    let api: ApiVersion = a
        .api
        .parse()
        .map_err(|e| UsageError(format!("--api: {e}")))?;
    match a.operation {
        None => out!("{}", help::list(api)),
        Some(name) => out!(
            "{}",
            help::detail(&name, api).map_err(|e| UsageError(e.to_string()))?
        ),
    }
    Ok(EXIT_SUCCESS)
}
