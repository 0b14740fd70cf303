//! A session of its own on a served simulator, as a backend: every request and control command
//! goes to the session's endpoint, and the session is dropped when the backend is.
//!
//! `ecapi test --endpoint URL` builds one per test when the server is an `ecapi serve` (see
//! [`crate::cli`]'s backend), so that tests running in parallel never meet each other's ports,
//! faults or clock moves; against a real Encore server there are no sessions and tests share it.

use super::{Exchange, Http, SimControl, Transport, TransportError};
use crate::api::{ApiVersion, Request};

/// A backend on a session of a served simulator; dropping it ends the session.
#[derive(Debug)]
pub struct Session {
    http: Http,
    /// Whether the session still exists on the server.
    open: bool,
}

impl Session {
    /// Opens a session on the served simulator `server` talks to.
    pub fn open(server: &mut Http) -> Result<Session, super::ControlError> {
        Ok(Session {
            http: server.open_session()?,
            open: true,
        })
    }

    /// The session's endpoint URL.
    pub fn url(&self) -> &str {
        self.http.url()
    }
}

impl Transport for Session {
    fn call(&mut self, request: &Request) -> Result<Exchange, TransportError> {
        self.http.call(request)
    }

    fn api(&self) -> ApiVersion {
        self.http.api()
    }

    fn describe(&self) -> String {
        format!("{}, a session of its own", self.http.describe())
    }

    fn set_trace(&mut self, on: bool) {
        self.http.set_trace(on);
    }

    fn control(&mut self) -> Option<&mut dyn SimControl> {
        self.http.control()
    }

    fn set_cancel(&mut self, cancel: super::Cancel) {
        self.http.set_cancel(cancel);
    }

    fn take_trace(&mut self) -> Option<super::Trace> {
        self.http.take_trace()
    }

    fn warnings(&self) -> Vec<String> {
        self.http.warnings()
    }

    fn finish(&mut self) {
        if std::mem::take(&mut self.open) {
            // A session that cannot be dropped now (the server went away) ends when idle.
            let _ = self.http.drop_session();
        }
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        self.finish();
    }
}
