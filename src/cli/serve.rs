//! `ecapi serve`: the simulator as a SOAP endpoint until Ctrl-C or SIGTERM.

use std::sync::Arc;
use std::time::Duration;

use super::args::{ClockArg, LogFormatArg, ServeArgs};
use super::backend::{simulator, simulator_options, UsageError};
use super::exit::{ExitCode, EXIT_SUCCESS};
use super::{project, script_args};
use crate::api::ApiVersion;
use crate::server::{
    self, BasicAuth, LogFormat, ServeOptions, SessionOptions, SimulatorFactory, TlsSource,
};
use crate::simulator::{ClockMode, DbLocation};

/// Lays the environment chosen with `--env` under the simulator's options and the control token
/// (an environment's endpoint, user and client options are the clients', not the server's), and
/// adds the server's own secrets (the basic authentication password, the control token) to those
/// masked in its output.
fn with_environment(a: &mut ServeArgs) -> Result<(), UsageError> {
    if let Some(name) = a
        .environment
        .as_deref()
        .map(str::trim)
        .filter(|n| !n.is_empty())
    {
        let env = project::environment(name)?;
        let default = script_args::default_backend();
        let mut given = default.clone();
        given.profile = a.profile.clone();
        given.config = a.config.clone();
        given.db = a.db.clone();
        given.control_token = a.control_token.clone();
        given.api = a.api.clone();
        given.clock = a.clock;
        let applied = project::apply(&given, &default, &env)?;
        a.profile = applied.profile;
        a.config = applied.config;
        a.db = applied.db;
        a.control_token = applied.control_token;
        a.api = applied.api;
        a.clock = applied.clock;
    }
    if let Some((user, password)) = a.basic_auth.as_deref().and_then(|b| b.split_once(':')) {
        crate::secrets::add_basic_auth(user, password, None);
    }
    if let Some(token) = &a.control_token {
        crate::secrets::add(token, None);
    }
    Ok(())
}

/// Serves until stopped; a listen address that cannot be bound is a usage error.
pub fn serve(mut a: ServeArgs) -> Result<ExitCode, UsageError> {
    with_environment(&mut a)?;
    let api: ApiVersion = match &a.api {
        Some(text) => text
            .parse()
            .map_err(|e| UsageError(format!("--api: {e}")))?,
        None => ApiVersion::default(),
    };
    let (profile, recorder, db) =
        simulator_options(a.profile.as_deref(), a.config.as_deref(), a.db.as_ref())?;
    let clock = match a.clock {
        Some(ClockArg::Real) | None => ClockMode::Real,
        Some(ClockArg::Virtual) => ClockMode::Virtual,
    };
    let limits = a.connections.limits()?;
    let basic_auth = a
        .basic_auth
        .as_deref()
        .map(BasicAuth::parse)
        .transpose()
        .map_err(|e| UsageError(format!("--basic-auth: {e}")))?;
    let tls = match (a.tls_cert, a.tls_key, a.tls_self_signed) {
        (Some(cert), Some(key), _) => Some(TlsSource::Files { cert, key }),
        (_, _, Some(dir)) => Some(TlsSource::SelfSigned(dir)),
        _ => None,
    };
    let control_token = a.control_token.filter(|t| !t.trim().is_empty());
    if !(a.session_idle.is_finite() && a.session_idle > 0.0 && a.session_idle < 1e9) {
        return Err(UsageError(format!(
            "--session-idle {}: expected a positive number of seconds",
            a.session_idle
        )));
    }
    let mut options = ServeOptions::new(
        a.listen,
        simulator(profile, api, clock, recorder.clone(), db)?,
    );
    options.log = !a.quiet;
    options.log_format = match a.log_format {
        LogFormatArg::Text => LogFormat::Text,
        LogFormatArg::Json => LogFormat::Json,
    };
    options.limits = limits;
    options.tls = tls;
    options.basic_auth = basic_auth;
    options.control = !a.no_control;
    options.control_token = control_token;
    options.lenient = a.lenient;
    options.audit = a.audit.options()?;
    options.audit.enabled = !a.no_audit;
    options.trace = a.trace;
    options.body_limit = a.max_message_size;
    options.max_string_content_length = a.max_string_content_length;
    options.max_depth = a.max_depth;
    if a.max_sessions > 0 {
        // Each session's simulator is built as the server's, its recorder database in memory.
        let make: SimulatorFactory = Arc::new(move || {
            simulator(profile, api, clock, recorder.clone(), DbLocation::default())
                .map_err(|e| e.to_string())
        });
        options.sessions = Some(SessionOptions {
            make,
            idle: Duration::from_secs_f64(a.session_idle),
            max: a.max_sessions,
        });
    }
    server::serve(options).map_err(|e| UsageError(e.to_string()))?;
    Ok(EXIT_SUCCESS)
}
