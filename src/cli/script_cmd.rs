//! `ecapi script`: a recording turned into a runnable Rhai flow.

use std::path::PathBuf;

use clap::Args;

use super::backend::UsageError;
use super::exit::{ExitCode, EXIT_SUCCESS};
use crate::proxy::{record, script_gen};
use crate::streams::{errln, out};

/// `ecapi script`.
#[derive(Debug, Args)]
pub struct ScriptArgs {
    /// A recording made by `ecapi proxy --record`.
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    /// Write the flow here instead of to standard output.
    #[arg(long, short = 'o', value_name = "OUT.rhai")]
    pub output: Option<PathBuf>,
}

/// Writes the flow.
pub fn script(a: ScriptArgs) -> Result<ExitCode, UsageError> {
    let recording = record::read(&a.file).map_err(UsageError)?;
    if let Some(warning) = &recording.warning {
        errln!("ecapi: warning: {warning}");
    }
    let records = recording.records;
    let name = a.file.file_name().map_or_else(
        || a.file.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    let flow = script_gen::script(&records, &name);
    match &a.output {
        Some(out) => std::fs::write(out, flow)
            .map_err(|e| UsageError(format!("-o {}: {e}", out.display())))?,
        None => out!("{flow}"),
    }
    Ok(EXIT_SUCCESS)
}
