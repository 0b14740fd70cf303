//! `ecapi` and `ecapi repl`: the interactive shell, given a backend built from the validated
//! options (and rebuilt from them for `:backend` and `:api`).

use super::args::ReplArgs;
use super::backend::{BackendConfig, UsageError};
use super::exit::{ExitCode, EXIT_FAILURE, EXIT_SUCCESS};
use crate::repl::{self, Backend, Options};

/// Runs the shell. Piped input that had an error exits 1, so a CI job notices.
pub fn repl(a: ReplArgs) -> Result<ExitCode, UsageError> {
    let config = BackendConfig::from_args(&a.backend)?;
    let options = Options {
        backend: Backend {
            endpoint: config.endpoint.clone(),
            api: config.api,
        },
        trace: config.trace,
        connect: Box::new(move |b: &Backend| {
            let mut c = config.clone();
            c.endpoint = b.endpoint.clone();
            // `:api` chooses a version as --api does.
            c.api_given = c.api_given || b.api != c.api;
            c.api = b.api;
            c.connect().map_err(|e| e.to_string())
        }),
    };
    match repl::run(options) {
        Ok(true) => Ok(EXIT_SUCCESS),
        Ok(false) => Ok(EXIT_FAILURE),
        Err(repl::ReplError::Connect(e)) => Err(UsageError(e)),
        Err(e) => {
            eprintln!("ecapi: {e}");
            Ok(EXIT_FAILURE)
        }
    }
}
