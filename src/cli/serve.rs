//! `ecapi serve`: the simulator as a SOAP endpoint until Ctrl-C or SIGTERM.

use super::args::{ClockArg, ServeArgs};
use super::backend::{simulator, simulator_options, UsageError};
use super::exit::{ExitCode, EXIT_SUCCESS};
use crate::api::ApiVersion;
use crate::server::{self, ServeOptions};
use crate::simulator::ClockMode;

/// Serves until stopped; a listen address that cannot be bound is a usage error.
pub fn serve(a: ServeArgs) -> Result<ExitCode, UsageError> {
    let api: ApiVersion = a
        .api
        .parse()
        .map_err(|e| UsageError(format!("--api: {e}")))?;
    let (profile, recorder, db) =
        simulator_options(&a.profile, a.config.as_deref(), a.db.as_ref())?;
    let clock = match a.clock {
        ClockArg::Real => ClockMode::Real,
        ClockArg::Virtual => ClockMode::Virtual,
    };
    let mut options = ServeOptions::new(a.listen, simulator(profile, api, clock, recorder, db)?);
    options.log = !a.quiet;
    options.lenient = a.lenient;
    options.trace = a.trace;
    options.body_limit = a.max_message_size;
    options.max_string_content_length = a.max_string_content_length;
    options.max_depth = a.max_depth;
    server::serve(options).map_err(|e| UsageError(e.to_string()))?;
    Ok(EXIT_SUCCESS)
}
