//! `ecapi` and `ecapi repl`: the interactive shell, given a backend built from the validated
//! options (and rebuilt from them for `:backend` and `:api`).

use super::args::ReplArgs;
use super::args::{BackendArgs, ClockArg};
use super::backend::{BackendConfig, UsageError};
use super::exit::{ExitCode, EXIT_FAILURE, EXIT_SUCCESS};
use crate::repl::{self, Backend, Options, SavedArg, SavedArgs};
use crate::simulator::Profile;
use crate::streams::errln;

/// Runs the shell. Piped input that had an error exits 1, so a CI job notices.
pub fn repl(a: ReplArgs) -> Result<ExitCode, UsageError> {
    let config = BackendConfig::from_args(&a.backend)?;
    let saved_args = saved_args(&a.backend, &config);
    let env_params = config.params(Default::default())?;
    let https = config
        .endpoint
        .as_deref()
        .is_some_and(|e| e.starts_with("https:"));
    let basic_auth = config.user.is_some();
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
        saved_args,
        module_path: a.module_path,
        export: Some(Box::new(move |lang, made, backend, api| {
            super::export::repl_export(lang, made, backend, api, https, basic_auth)
        })),
        params: env_params,
    };
    match repl::run(options) {
        Ok(true) => Ok(EXIT_SUCCESS),
        Ok(false) => Ok(EXIT_FAILURE),
        Err(repl::ReplError::Connect(e)) => Err(UsageError(e)),
        Err(e) => {
            errln!("ecapi: {e}");
            Ok(EXIT_FAILURE)
        }
    }
}

/// The backend options given, as `:save` writes them on a script's `// args:` line.
fn saved_args(a: &BackendArgs, config: &BackendConfig) -> SavedArgs {
    let word = |w: &str| SavedArg::Word(w.to_string());
    let path = |p: &std::path::Path| {
        SavedArg::Path(std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf()))
    };
    let mut saved = SavedArgs::default();
    // A saved script runs in the environment it was written in (its password read where it runs).
    if let Some(env) = a.environment.as_deref().filter(|e| !e.trim().is_empty()) {
        saved.embedded.extend([word("--env"), word(env)]);
        saved.endpoint.extend([word("--env"), word(env)]);
    }
    if config.profile == Profile::Recorder && a.config.is_none() {
        saved.embedded.extend([word("--profile"), word("recorder")]);
    }
    if let Some(file) = &a.config {
        saved.embedded.extend([word("--config"), path(file)]);
    }
    if let Some(file) = &a.db {
        saved.embedded.extend([word("--db"), path(file)]);
    }
    if a.clock == Some(ClockArg::Real) {
        saved.embedded.extend([word("--clock"), word("real")]);
    }
    if let Some(file) = &a.ca_cert {
        saved.endpoint.extend([word("--ca-cert"), path(file)]);
    }
    if a.insecure {
        saved.endpoint.push(word("--insecure"));
    }
    if a.timeout != 30.0 {
        saved
            .endpoint
            .extend([word("--timeout"), word(&a.timeout.to_string())]);
    }
    saved
}
