//! Backend options validated into a configuration, and the backend built from it.

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::args::{BackendArgs, ClockArg};
use super::project;
use crate::api::ApiVersion;
use crate::client::{Embedded, Http, HttpOptions, Session, Transport};
use crate::simulator::{
    Clock, ClockMode, DbLocation, Profile, RecorderConfig, Settings, Simulator,
};
use crate::streams::errln;

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

/// Why a backend could not be built.
#[derive(Debug, Clone)]
pub enum ConnectError {
    /// The options cannot work: bad usage or configuration (exit 2).
    Usage(UsageError),
    /// The server could not be reached, or did not answer as a Web API server: a transport
    /// failure, exit 1 on every command (`scripting.md`, exit codes). The message names the option.
    Transport(String),
}

impl ConnectError {
    /// The error as a usage error, where every failure is one.
    pub fn into_usage(self) -> UsageError {
        match self {
            ConnectError::Usage(u) => u,
            ConnectError::Transport(t) => UsageError(t),
        }
    }
}

impl fmt::Display for ConnectError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConnectError::Usage(e) => e.fmt(f),
            ConnectError::Transport(e) => f.write_str(e),
        }
    }
}

impl From<UsageError> for ConnectError {
    fn from(e: UsageError) -> ConnectError {
        ConnectError::Usage(e)
    }
}

/// The backend to use, validated.
#[derive(Debug, Clone)]
pub struct BackendConfig {
    /// A real server's URL, or `None` for the embedded simulator.
    pub endpoint: Option<String>,
    /// The simulator's profile.
    pub profile: Profile,
    /// The API version: `--api`, else 7.1 (a SOAP client takes the server's instead).
    pub api: ApiVersion,
    /// Whether `--api` was given; without it a SOAP client speaks the version of the server's WSDL.
    pub api_given: bool,
    /// The embedded simulator's options that were given (`--profile`, `--config`, `--db`,
    /// `--clock`): with `--endpoint` they choose nothing, and the client says so.
    pub simulator_options: Vec<&'static str>,
    /// Whether to trace envelopes.
    pub trace: bool,
    /// The simulator's clock.
    pub clock: ClockMode,
    /// The recorder profile's configuration, read and checked (defaults without `--config`).
    pub recorder: RecorderConfig,
    /// Where the recorder profile keeps its database.
    pub db: DbLocation,
    /// A CA certificate to trust for HTTPS.
    pub ca_cert: Option<PathBuf>,
    /// Accept any HTTPS certificate.
    pub insecure: bool,
    /// Basic authentication user.
    pub user: Option<String>,
    /// Basic authentication password.
    pub password: Option<String>,
    /// The token of a served simulator's control interface.
    pub control_token: Option<String>,
    /// Time to wait for each answer.
    pub timeout: Duration,
    /// The `set` values of the environment chosen with `--env`: the weakest `--set` values, under
    /// a script's line and the command line.
    pub env_params: HashMap<String, String>,
    /// The environment's `set` values that read a variable that is not set, each with the error
    /// naming it: an error only for one no `--set` gives.
    pub env_unset_params: HashMap<String, String>,
}

impl BackendConfig {
    /// The `--set` values to run with: the environment's, then `sets` (the command line's and a
    /// script line's, already merged) over them. An environment's value whose variable is not
    /// set is an error unless `sets` gives it.
    pub fn params(
        &self,
        sets: HashMap<String, String>,
    ) -> Result<HashMap<String, String>, UsageError> {
        let mut unset: Vec<(&String, &String)> = self
            .env_unset_params
            .iter()
            .filter(|(name, _)| !sets.contains_key(*name))
            .collect();
        unset.sort();
        if let Some((_, why)) = unset.first() {
            return Err(UsageError((*why).clone()));
        }
        let mut params = self.env_params.clone();
        params.extend(sets);
        Ok(params)
    }
}

/// Adds the secrets the options name to [`crate::secrets`], before anything is written: the
/// password (and its basic authentication header), the control token, the password in the
/// endpoint's URL, the environment's secret values and the `--secret` names, with the values of
/// environment variables of those names.
pub(super) fn register_secrets(a: &BackendArgs, env: Option<&project::Environment>) {
    use crate::secrets;
    // The variable a value came from, for `:save`.
    let variable_of = |key: &str, value: &str, fallback: &str| -> Option<String> {
        env.and_then(|e| e.option(key))
            .filter(|r| r.value == value)
            .and_then(|r| r.variables.first().cloned())
            .or_else(|| {
                (std::env::var(fallback).ok().as_deref() == Some(value))
                    .then(|| fallback.to_string())
            })
    };
    let mut names: Vec<&str> = a.secret.iter().map(String::as_str).collect();
    if let Some(env) = env {
        names.extend(env.secret.iter().map(String::as_str));
    }
    for name in names {
        secrets::add_name(name);
        if let Ok(value) = std::env::var(name) {
            secrets::mark_matched(name);
            secrets::add(&value, Some(name));
        }
    }
    let url = a
        .endpoint
        .as_deref()
        .and_then(|e| reqwest::Url::parse(e.trim()).ok());
    let url_user = url
        .as_ref()
        .map(|u| crate::client::percent_decode(u.username()))
        .unwrap_or_default();
    if let Some(password) = &a.password {
        let user = a.user.clone().unwrap_or_else(|| url_user.clone());
        let variable = variable_of("password", password, "ECAPI_PASSWORD");
        secrets::add_basic_auth(&user, password, variable.as_deref());
    }
    if let Some(endpoint) = &a.endpoint {
        secrets::add_url(endpoint, a.user.as_deref());
    }
    if let Some(token) = &a.control_token {
        let variable = variable_of("control-token", token, "ECAPI_CONTROL_TOKEN");
        secrets::add(token, variable.as_deref());
    }
    if let Some(env) = env {
        for r in env.options.iter().chain(&env.sets) {
            let named = env.sets.contains(r) && secrets::is_secret_name(&r.key);
            if r.secret || named {
                secrets::add(&r.value, r.variables.first().map(String::as_str));
            }
        }
    }
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

/// Where the endpoint of `applied` (the options `given` with the environment `env` under them)
/// was written, for errors: `--endpoint`, or the project file's line
/// (`ecapi.toml:7: env.staging.endpoint`).
pub(super) fn endpoint_source(
    given: &BackendArgs,
    applied: &BackendArgs,
    env: Option<&project::Environment>,
) -> String {
    let from_env = env
        .and_then(|e| Some((e, e.option("endpoint")?)))
        .filter(|(_, r)| {
            given.endpoint != applied.endpoint
                && applied.endpoint.as_deref() == Some(r.value.as_str())
        });
    match from_env {
        Some((e, r)) => format!("{}:{}: env.{}.endpoint", e.file.display(), r.line, e.name),
        None => "--endpoint".to_string(),
    }
}

impl BackendConfig {
    /// Validates the backend options.
    pub fn from_args(given: &BackendArgs) -> Result<BackendConfig, UsageError> {
        let env = match given.environment.as_deref().map(str::trim) {
            Some(name) if !name.is_empty() => Some(project::environment(name)?),
            _ => None,
        };
        let applied;
        let a = match &env {
            Some(env) => {
                applied = project::apply(given, &super::script_args::default_backend(), env)?;
                &applied
            }
            None => given,
        };
        if a.secret.iter().any(|n| n.trim().is_empty()) {
            return Err(UsageError::new(
                "--secret: the name is empty (a --set name, --data column, script variable, request parameter, field or environment variable)",
            ));
        }
        register_secrets(a, env.as_ref());
        let without_defaults =
            project::simulator_taken_whole(a, &super::script_args::default_backend());
        let source = endpoint_source(given, a, env.as_ref());
        let a = &without_defaults;
        let api: Option<ApiVersion> = a
            .api
            .as_deref()
            .map(str::parse)
            .transpose()
            .map_err(|e| UsageError(format!("--api: {e}")))?;
        let (profile, recorder, db) =
            simulator_options(a.profile.as_deref(), a.config.as_deref(), a.db.as_ref())?;
        let endpoint = a.endpoint.clone().filter(|e| !e.trim().is_empty());
        // What can be checked without the network is checked here, so that a failure to connect
        // later is a transport failure, never a mistake in the options.
        if let Some(url) = &endpoint {
            // Masked here, not only where it is written: a URL that does not parse still has
            // its password read as text ([`crate::secrets::add_url`]).
            let shown = crate::secrets::mask(url);
            match reqwest::Url::parse(url.trim()) {
                Ok(u) if matches!(u.scheme(), "http" | "https") => {}
                Ok(u) => {
                    return Err(UsageError(format!(
                        "{source} {shown}: the scheme must be http or https, not {}",
                        u.scheme()
                    )))
                }
                Err(e) => return Err(UsageError(format!("{source} {shown}: not a URL: {e}"))),
            }
        }
        if let Some(path) = &a.ca_cert {
            std::fs::File::open(path)
                .map_err(|e| UsageError(format!("--ca-cert {}: {e}", path.display())))?;
        }
        // A password alone would be sent with an empty user name, which no server accepts.
        let user_in_url = endpoint.as_deref().is_some_and(|e| {
            e.split_once("://")
                .and_then(|(_, rest)| rest.split('/').next())
                .is_some_and(|authority| authority.contains('@'))
        });
        if a.password.is_some() && a.user.is_none() && !user_in_url {
            return Err(UsageError::new(
                "--password (or ECAPI_PASSWORD) needs --user (or ECAPI_USER, or a user in the URL: https://USER@host/...)",
            ));
        }
        if !(a.timeout.is_finite() && a.timeout > 0.0) {
            return Err(UsageError(format!(
                "--timeout {}: expected a positive number of seconds",
                a.timeout
            )));
        }
        Ok(BackendConfig {
            endpoint,
            profile,
            api: api.unwrap_or_default(),
            api_given: api.is_some(),
            simulator_options: [
                ("--profile", a.profile.is_some()),
                ("--config", a.config.is_some()),
                ("--db", a.db.is_some()),
                ("--clock", a.clock.is_some()),
            ]
            .into_iter()
            .filter_map(|(name, given)| given.then_some(name))
            .collect(),
            trace: a.trace,
            clock: match a.clock {
                Some(ClockArg::Real) => ClockMode::Real,
                Some(ClockArg::Virtual) | None => ClockMode::Virtual,
            },
            recorder,
            db,
            ca_cert: a.ca_cert.clone(),
            insecure: a.insecure,
            user: a.user.clone(),
            password: a.password.clone(),
            control_token: a.control_token.clone(),
            timeout: Duration::from_secs_f64(a.timeout),
            env_params: env.as_ref().map(|e| e.params()).unwrap_or_default(),
            env_unset_params: env.as_ref().map(|e| e.unset_params()).unwrap_or_default(),
        })
    }

    /// Builds the backend; any failure is a usage error (the REPL and `serve`, where there is no
    /// script to fail).
    pub fn connect(&self) -> Result<Box<dyn Transport>, UsageError> {
        self.open().map_err(ConnectError::into_usage)
    }

    /// Builds the backend, telling a server that cannot be reached (a transport failure) from
    /// options that cannot work.
    pub fn open(&self) -> Result<Box<dyn Transport>, ConnectError> {
        if self.endpoint.is_some() {
            return Ok(Box::new(self.open_http()?));
        }
        let sim = simulator(
            self.profile,
            self.api,
            self.clock,
            self.recorder.clone(),
            self.db.clone(),
        )?;
        Ok(Box::new(Embedded::new(sim)))
    }

    /// Builds the backend for one test of `ecapi test`: as [`BackendConfig::open`], except that
    /// an `ecapi serve` gives the test a session of its own, dropped with the backend, so tests in
    /// parallel never meet each other's state. A real server is shared as it is.
    pub fn open_isolated(&self) -> Result<Box<dyn Transport>, ConnectError> {
        if self.endpoint.is_none() {
            return self.open();
        }
        let mut http = self.open_http()?;
        if !http.is_simulator() {
            return Ok(Box::new(http));
        }
        let session = Session::open(&mut http).map_err(|e| {
            ConnectError::Transport(format!(
                "--endpoint: a session of its own for the test: {e}"
            ))
        })?;
        Ok(Box::new(session))
    }

    /// As [`BackendConfig::open_isolated`], any failure a usage error.
    pub fn connect_isolated(&self) -> Result<Box<dyn Transport>, UsageError> {
        self.open_isolated().map_err(ConnectError::into_usage)
    }

    /// The SOAP client of `--endpoint`.
    pub fn connect_http(&self) -> Result<Http, UsageError> {
        self.open_http().map_err(ConnectError::into_usage)
    }

    fn open_http(&self) -> Result<Http, ConnectError> {
        let Some(url) = &self.endpoint else {
            return Err(UsageError::new("--endpoint URL is needed").into());
        };
        let http = Http::connect(HttpOptions {
            url: url.clone(),
            api: self.api_given.then_some(self.api),
            ca_cert: self.ca_cert.clone(),
            insecure: self.insecure,
            user: self.user.clone(),
            password: self.password.clone(),
            control_token: self.control_token.clone(),
            connect_timeout: crate::client::DEFAULT_CONNECT_TIMEOUT,
            timeout: self.timeout,
        })
        .map_err(|e| ConnectError::Transport(format!("--endpoint: {e}")))?;
        warn_once(&http.warnings());
        // A served simulator of the profile asked for is what the options asked for (its
        // configuration cannot be compared from here); anything else is named.
        let same_profile = http
            .simulator_identity()
            .and_then(|id| id.split_whitespace().next())
            .is_some_and(|served| served == self.profile.as_str());
        if !self.simulator_options.is_empty() && !same_profile {
            // A script's `// args:` line may ask for the recorder profile; a server answers with
            // its own, so a test that depends on it would fail for a reason nobody named.
            warn_once(&[format!(
                "{} configure{} the embedded simulator and {} not used with --endpoint: {} \
                 answers with its own (start `ecapi serve` with those options to serve them)",
                self.simulator_options.join(", "),
                if self.simulator_options.len() == 1 {
                    "s"
                } else {
                    ""
                },
                if self.simulator_options.len() == 1 {
                    "is"
                } else {
                    "are"
                },
                http.url()
            )]);
        }
        Ok(http)
    }
}

/// Prints the SOAP client's warnings (a WSDL not used, a contradicting `--api`) to standard error,
/// each once per process however many tests connect.
fn warn_once(warnings: &[String]) {
    static SHOWN: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());
    let mut shown = SHOWN.lock().unwrap_or_else(|e| e.into_inner());
    for warning in warnings {
        if !shown.contains(warning) {
            errln!("ecapi: warning: {warning}");
            shown.push(warning.clone());
        }
    }
}

/// Validates the simulator options that `ecapi serve` shares with the embedded backend:
/// `--profile`, `--config`, `--db`. Without `--profile`, the profile is `recorder` when `--config`
/// configures one and `hosted` otherwise.
pub fn simulator_options(
    profile: Option<&str>,
    config: Option<&Path>,
    db: Option<&PathBuf>,
) -> Result<(Profile, RecorderConfig, DbLocation), UsageError> {
    let profile: Profile = match profile {
        Some(name) => name
            .parse()
            .map_err(|e| UsageError(format!("--profile: {e}")))?,
        None if config.is_some() => Profile::Recorder,
        None => Profile::Hosted,
    };
    if config.is_some() && profile != Profile::Recorder {
        return Err(UsageError::new(
            "--config configures the recorder profile: add --profile recorder",
        ));
    }
    if db.is_some() && profile != Profile::Recorder {
        return Err(UsageError::new(
            "--db keeps the recorder profile's database: add --profile recorder",
        ));
    }
    let recorder = match config {
        Some(path) => read_config(path)?,
        None => RecorderConfig::default(),
    };
    Ok((
        profile,
        recorder,
        db.cloned().map(DbLocation::File).unwrap_or_default(),
    ))
}

/// Builds a simulator (the embedded backend and `ecapi serve`).
pub fn simulator(
    profile: Profile,
    api: ApiVersion,
    clock: ClockMode,
    recorder: RecorderConfig,
    db: DbLocation,
) -> Result<Simulator, UsageError> {
    let settings = Settings {
        api,
        clock: Clock::new(clock),
        url_base: None,
    };
    Ok(match profile {
        Profile::Hosted => Simulator::hosted(settings),
        Profile::Recorder => Simulator::recorder(settings, recorder, db)
            .map_err(|e| UsageError(format!("--profile recorder: {e}")))?,
    })
}

/// Reads `--set NAME=VALUE` options; the value of a name given with `--secret` becomes a secret.
pub fn parse_sets(sets: &[String]) -> Result<HashMap<String, String>, UsageError> {
    let mut map = HashMap::new();
    for s in sets {
        let (name, value) = s
            .split_once('=')
            .ok_or_else(|| UsageError(format!("--set {s}: expected NAME=VALUE")))?;
        if name.trim().is_empty() {
            return Err(UsageError(format!("--set {s}: the name is empty")));
        }
        if crate::secrets::is_secret_name(name.trim()) {
            crate::secrets::add(value, None);
        }
        map.insert(name.trim().to_string(), value.to_string());
    }
    Ok(map)
}

/// Reads `--max-time SECONDS`: a positive number of seconds.
pub fn parse_max_time(t: Option<f64>) -> Result<Option<std::time::Duration>, UsageError> {
    match t {
        None => Ok(None),
        Some(s) if s.is_finite() && s > 0.0 && s < 1e9 => {
            Ok(Some(std::time::Duration::from_secs_f64(s)))
        }
        Some(s) => Err(UsageError(format!(
            "--max-time {s}: expected a positive number of seconds"
        ))),
    }
}
