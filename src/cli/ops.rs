//! `ecapi ops [OPERATION]`: the operations, their parameters and documentation, from the API model
//! and the script function docs (rendered by [`help`], which the REPL shares); with `--example
//! LANG`, one request of the operation as a program in that language ([`crate::export`]).

use super::args::OpsArgs;
use super::backend::UsageError;
use super::exit::{ExitCode, EXIT_SUCCESS};
use crate::api::{ApiVersion, Operation};
use crate::export::Lang;
use crate::script::help;
use crate::streams::out;

/// Prints the list, or one entry in full.
pub fn ops(a: OpsArgs) -> Result<ExitCode, UsageError> {
    let api: ApiVersion = a
        .api
        .parse()
        .map_err(|e| UsageError(format!("--api: {e}")))?;
    if let (Some(lang), Some(name)) = (&a.example, &a.operation) {
        let lang: Lang = lang
            .parse()
            .map_err(|e: crate::export::UnknownLang| UsageError(format!("--example: {e}")))?;
        let op = Operation::lookup(name).ok_or_else(|| {
            UsageError(format!(
                "--example: `{name}` is not an operation; `ecapi ops` lists them"
            ))
        })?;
        if !op.exists_in(api) {
            return Err(UsageError(format!(
                "{op} is not part of API {api}: it was added in {}",
                op.since()
            )));
        }
        out!("{}", super::export::example(op, api, lang));
        return Ok(EXIT_SUCCESS);
    }
    match a.operation {
        None => out!("{}", help::list(api)),
        Some(name) => out!(
            "{}",
            help::detail(&name, api).map_err(|e| UsageError(e.to_string()))?
        ),
    }
    Ok(EXIT_SUCCESS)
}
