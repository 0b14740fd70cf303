//! `ecapi proxy`: its options, validated into [`crate::proxy::ProxyOptions`], and the run until
//! Ctrl-C or SIGTERM, with the summary at the end.

use std::path::PathBuf;
use std::time::Duration;

use clap::Args;

use super::backend::{simulator, simulator_options, UsageError};
use super::connection_args::ConnectionArgs;
use super::exit::{ExitCode, EXIT_SUCCESS};
use super::{project, script_args};
use crate::api::ApiVersion;
use crate::client::{HttpOptions, DEFAULT_CONNECT_TIMEOUT};
use crate::proxy::{self, DelayRule, FaultRule, ProxyOptions, ShadowTarget};
use crate::simulator::ClockMode;
use crate::streams::out;

/// `ecapi proxy`.
#[derive(Debug, Args)]
pub struct ProxyArgs {
    /// The audit's options (`ecapi audit --rules` lists the rules).
    #[command(flatten)]
    pub audit: super::audit::AuditOptionArgs,
    /// Do not audit the traffic (no findings on the lines, in the record or at exit).
    #[arg(long)]
    pub no_audit: bool,
    /// The address to listen on (port 0 picks a free port); clients use the upstream's path here.
    #[arg(long, default_value = "127.0.0.1:8088", value_name = "ADDR")]
    pub listen: String,
    /// The Encore server (or `ecapi serve`) to forward to, e.g.
    /// https://encore:8443/WebAPI/ECAPI.svc (default: the endpoint of the environment of --env).
    #[arg(long, value_name = "URL", required_unless_present = "environment")]
    pub upstream: Option<String>,
    /// An environment of the project file (`ecapi.toml` here or in a folder above): its endpoint
    /// is the upstream (with its user and password, for clients that send none), its `ca-cert`
    /// and `insecure` apply, where the command line gives none.
    #[arg(long = "env", env = "ECAPI_ENV", value_name = "NAME")]
    pub environment: Option<String>,
    /// Record every exchange to this file, one JSON object per line.
    #[arg(long, value_name = "FILE")]
    pub record: Option<PathBuf>,
    /// Withhold the values of this parameter or answer field (fieldValue, User…), or those
    /// assigned to and read from this Encore field (fldCustomerAccountNum), from every output:
    /// the line, the record, the notes, the shadow's differences. Repeatable; an unknown name is
    /// refused.
    #[arg(long, value_name = "NAME")]
    pub redact: Vec<String>,
    /// Also send each request to a second backend and report where its answer differs:
    /// `embedded` (the simulator, with --profile/--config/--api) or a server's URL.
    #[arg(long, value_name = "embedded|URL")]
    pub shadow: Option<String>,
    /// The embedded shadow's profile: hosted (the default) or recorder (the default with
    /// --config).
    #[arg(long, value_name = "PROFILE")]
    pub profile: Option<String>,
    /// The embedded shadow's recorder configuration.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// The API version the upstream serves (requests are read and noted as it reads them), and
    /// the shadow's: 7.0 or 7.1.
    #[arg(long, default_value = "7.1", value_name = "VERSION")]
    pub api: String,
    /// Answer OPERATION with CODE (and its exact message) instead of forwarding, always or with
    /// a probability from 0 to 1; e.g. StartRecording=618:0.25. Repeatable.
    #[arg(long, value_name = "OPERATION=CODE[:PROBABILITY]")]
    pub fault: Vec<String>,
    /// Hold each OPERATION request this many milliseconds before forwarding; repeatable.
    #[arg(long, value_name = "OPERATION=MS")]
    pub delay: Vec<String>,
    /// The seed behind --fault probabilities (the same seed fires on the same requests).
    #[arg(long, default_value = "0", value_name = "N")]
    pub seed: u64,
    /// A PEM file with a CA certificate to trust for an HTTPS upstream (and shadow).
    #[arg(long, value_name = "FILE")]
    pub ca_cert: Option<PathBuf>,
    /// Accept any HTTPS certificate from the upstream (for test servers only).
    #[arg(long)]
    pub insecure: bool,
    /// Seconds to wait for the upstream's answer; then the client gets a 504.
    #[arg(long, default_value = "30", value_name = "SECONDS")]
    pub timeout: f64,
    /// Do not print a line per exchange.
    #[arg(long)]
    pub quiet: bool,
    /// The largest request in bytes (as serve's, WCF maxReceivedMessageSize); larger ones get 413
    /// from the proxy, unread.
    #[arg(long, default_value_t = 65_536, value_name = "BYTES")]
    pub max_message_size: usize,
    /// The largest answer in bytes read from the upstream; a larger one gets 502 naming this
    /// option, and no more of it is read.
    #[arg(long, default_value_t = proxy::DEFAULT_MAX_RESPONSE_SIZE, value_name = "BYTES")]
    pub max_response_size: usize,
    /// The timeouts and the connection cap, as serve's.
    #[command(flatten)]
    pub connections: ConnectionArgs,
}

/// The upstream URL: `--upstream`, else the endpoint of the environment of `--env` with its user
/// and password in the URL's user information (the proxy sends them for clients that send none);
/// the environment's `ca-cert` and `insecure` apply where the command line gives none. The
/// upstream's password is masked in the proxy's output.
fn upstream(a: &mut ProxyArgs) -> Result<String, UsageError> {
    let env = match a.environment.as_deref().map(str::trim) {
        Some(name) if !name.is_empty() => Some(project::environment(name)?),
        _ => None,
    };
    let mut given = script_args::default_backend();
    given.endpoint = a.upstream.clone();
    given.ca_cert = a.ca_cert.clone();
    given.insecure = a.insecure;
    let applied = match &env {
        Some(env) => project::apply(&given, &script_args::default_backend(), env)?,
        None => given,
    };
    super::backend::register_secrets(&applied, env.as_ref());
    a.ca_cert = applied.ca_cert.clone();
    a.insecure = applied.insecure;
    let Some(url) = applied.endpoint.clone() else {
        return Err(UsageError::new(
            "--upstream URL is needed (or --env NAME with an endpoint)",
        ));
    };
    if a.upstream.is_some() {
        return Ok(url);
    }
    let mut parsed = reqwest::Url::parse(url.trim())
        .map_err(|e| UsageError(format!("--env: endpoint {url}: not a URL: {e}")))?;
    if parsed.username().is_empty() {
        if let Some(user) = &applied.user {
            let _ = parsed.set_username(user);
            let _ = parsed.set_password(applied.password.as_deref());
        }
    }
    crate::secrets::add_url(parsed.as_str(), None);
    Ok(parsed.to_string())
}

/// Runs the proxy until stopped; bad options are usage errors.
pub fn proxy(mut a: ProxyArgs) -> Result<ExitCode, UsageError> {
    let upstream = upstream(&mut a)?;
    if !(a.timeout.is_finite() && a.timeout > 0.0 && a.timeout < 1e9) {
        return Err(UsageError(format!(
            "--timeout {}: expected a positive number of seconds",
            a.timeout
        )));
    }
    let timeout = Duration::from_secs_f64(a.timeout);
    let limits = a.connections.limits()?;
    for (name, value) in [
        ("max-message-size", a.max_message_size),
        ("max-response-size", a.max_response_size),
    ] {
        if value == 0 {
            return Err(UsageError(format!("--{name} 0: expected at least 1 byte")));
        }
    }
    let faults = a
        .fault
        .iter()
        .map(|f| f.parse::<FaultRule>())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| UsageError(format!("--fault {e}")))?;
    let delays = a
        .delay
        .iter()
        .map(|d| d.parse::<DelayRule>())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| UsageError(format!("--delay {e}")))?;
    let api: ApiVersion = a
        .api
        .parse()
        .map_err(|e| UsageError(format!("--api: {e}")))?;
    let shadow = match a.shadow.as_deref().map(str::trim) {
        None => None,
        Some("embedded") => {
            let (profile, recorder, db) =
                simulator_options(a.profile.as_deref(), a.config.as_deref(), None)?;
            // The real clock, as a served simulator's: state durations then compare with the
            // upstream's.
            Some(ShadowTarget::Embedded(Box::new(simulator(
                profile,
                api,
                ClockMode::Real,
                recorder,
                db,
            )?)))
        }
        Some(url) if url.starts_with("http://") || url.starts_with("https://") => {
            Some(ShadowTarget::Url(HttpOptions {
                url: url.to_string(),
                api: Some(api),
                ca_cert: a.ca_cert.clone(),
                insecure: a.insecure,
                user: None,
                password: None,
                connect_timeout: DEFAULT_CONNECT_TIMEOUT,
                timeout,
                control_token: None,
            }))
        }
        Some(other) => {
            return Err(UsageError(format!(
                "--shadow {other}: expected `embedded` or a server's http(s) URL"
            )))
        }
    };
    if a.shadow.is_none() && (a.config.is_some() || a.profile.is_some()) {
        return Err(UsageError::new(
            "--profile and --config configure the embedded shadow: add --shadow embedded",
        ));
    }
    let options = ProxyOptions {
        listen: a.listen,
        upstream,
        ca_cert: a.ca_cert,
        insecure: a.insecure,
        timeout,
        limits,
        max_message_size: a.max_message_size,
        max_response_size: a.max_response_size,
        record: a.record,
        redact: a.redact,
        shadow,
        faults,
        delays,
        seed: a.seed,
        api,
        print: !a.quiet,
        color: crate::repl::grid::color_stdout(),
        audit: crate::audit::Options {
            enabled: !a.no_audit,
            ..a.audit.options()?
        },
    };
    let summary = proxy::run(options).map_err(|e| UsageError(e.to_string()))?;
    out!("{}", summary.render());
    Ok(EXIT_SUCCESS)
}
