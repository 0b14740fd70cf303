//! Backend options validated into a configuration, and the backend built from it.

use std::collections::HashMap;
use std::fmt;

use super::args::{BackendArgs, ClockArg};
use crate::api::ApiVersion;
use crate::client::{Embedded, Transport};
use crate::simulator::{
    Clock, ClockMode, DbLocation, Profile, RecorderConfig, Settings, Simulator,
};

/// Bad usage or configuration: the message says what and how to fix it; exit code 2.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsageError(pub String);

impl UsageError {
    /// A usage error with a message.
    pub fn new(msg: impl Into<String>) -> UsageError {
        UsageError(msg.into())
    }
}

impl fmt::Display for UsageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for UsageError {}

/// The backend to use, validated.
#[derive(Debug, Clone)]
pub struct BackendConfig {
    /// A real server's URL, or `None` for the embedded simulator.
    pub endpoint: Option<String>,
    /// The simulator's profile.
    pub profile: Profile,
    /// The API version.
    pub api: ApiVersion,
    /// Whether to trace envelopes.
    pub trace: bool,
    /// The simulator's clock.
    pub clock: ClockMode,
    /// The recorder profile's configuration, read and checked (defaults without `--config`).
    pub recorder: RecorderConfig,
    /// Where the recorder profile keeps its database.
    pub db: DbLocation,
}

/// Reads and checks a recorder configuration file, naming the file and line of a problem.
fn read_config(path: &std::path::Path) -> Result<RecorderConfig, UsageError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| UsageError(format!("--config {}: {e}", path.display())))?;
    RecorderConfig::from_toml(&text).map_err(|e| match e.line {
        Some(line) => UsageError(format!("{}:{line}: {}", path.display(), e.message)),
        None => UsageError(format!("{}: {}", path.display(), e.message)),
    })
}

impl BackendConfig {
    /// Validates the backend options.
    pub fn from_args(a: &BackendArgs) -> Result<BackendConfig, UsageError> {
        let api: ApiVersion = a
            .api
            .parse()
            .map_err(|e| UsageError(format!("--api: {e}")))?;
        let profile: Profile = a
            .profile
            .parse()
            .map_err(|e| UsageError(format!("--profile: {e}")))?;
        if a.config.is_some() && profile != Profile::Recorder {
            return Err(UsageError::new(
                "--config configures the recorder profile: add --profile recorder",
            ));
        }
        if a.db.is_some() && profile != Profile::Recorder {
            return Err(UsageError::new(
                "--db keeps the recorder profile's database: add --profile recorder",
            ));
        }
        let recorder = match &a.config {
            Some(path) => read_config(path)?,
            None => RecorderConfig::default(),
        };
        let endpoint = a.endpoint.clone().filter(|e| !e.trim().is_empty());
        Ok(BackendConfig {
            endpoint,
            profile,
            api,
            trace: a.trace,
            clock: match a.clock {
                Some(ClockArg::Real) => ClockMode::Real,
                Some(ClockArg::Virtual) | None => ClockMode::Virtual,
            },
            recorder,
            db: a.db.clone().map(DbLocation::File).unwrap_or_default(),
        })
    }

    /// Builds the backend.
    pub fn connect(&self) -> Result<Box<dyn Transport>, UsageError> {
        if let Some(url) = &self.endpoint {
            return Err(UsageError(format!(
                "--endpoint {url}: the SOAP client is not available yet; leave out --endpoint (and ECAPI_ENDPOINT) to use the embedded simulator"
            )));
        }
        let settings = Settings {
            api: self.api,
            clock: Clock::new(self.clock),
            url_base: None,
        };
        let sim = match self.profile {
            Profile::Hosted => Simulator::hosted(settings),
            Profile::Recorder => {
                Simulator::recorder(settings, self.recorder.clone(), self.db.clone())
                    .map_err(|e| UsageError(format!("--profile recorder: {e}")))?
            }
        };
        Ok(Box::new(Embedded::new(sim)))
    }
}

/// Reads `--set NAME=VALUE` options.
pub fn parse_sets(sets: &[String]) -> Result<HashMap<String, String>, UsageError> {
    let mut map = HashMap::new();
    for s in sets {
        let (name, value) = s
            .split_once('=')
            .ok_or_else(|| UsageError(format!("--set {s}: expected NAME=VALUE")))?;
        if name.trim().is_empty() {
            return Err(UsageError(format!("--set {s}: the name is empty")));
        }
        map.insert(name.trim().to_string(), value.to_string());
    }
    Ok(map)
}
