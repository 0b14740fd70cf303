//! `ecapi session new|drop`: a simulator session of one's own on a shared `ecapi serve`, for a
//! developer whose CRM points at a staging server others use too. `new` prints the session's
//! endpoint URL; the session ends with `drop` or after the server's idle time.

use super::args::{SessionAction, SessionArgs};
use super::backend::{BackendConfig, UsageError};
use super::exit::{ExitCode, EXIT_FAILURE, EXIT_SUCCESS};
use crate::streams::{errln, outln};

/// Makes or ends a session.
pub fn session(a: SessionArgs) -> Result<ExitCode, UsageError> {
    match a.action {
        SessionAction::New(backend) => {
            let config = BackendConfig::from_args(&backend)?;
            if config.endpoint.is_none() {
                return Err(UsageError::new(
                    "ecapi session new needs --endpoint URL of an ecapi serve",
                ));
            }
            let mut server = config.connect_http()?;
            match server.open_session() {
                Ok(session) => {
                    outln!("{}", session.url());
                    Ok(EXIT_SUCCESS)
                }
                Err(e) => {
                    errln!("ecapi session new: {e}");
                    Ok(EXIT_FAILURE)
                }
            }
        }
        SessionAction::Drop(d) => {
            let mut backend = d.backend;
            backend.endpoint = Some(d.url);
            let mut session = BackendConfig::from_args(&backend)?.connect_http()?;
            match session.drop_session() {
                Ok(()) => Ok(EXIT_SUCCESS),
                Err(e) => {
                    errln!("ecapi session drop: {e}");
                    Ok(EXIT_FAILURE)
                }
            }
        }
    }
}
