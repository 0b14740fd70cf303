//! The raw command line, as clap reads it. Validation into built objects is in `backend.rs` and the
//! subcommands; nothing outside `cli/` sees these types.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Script, test and simulate integrations with the Encore call recorder's Web API.
#[derive(Debug, Parser)]
#[command(
    name = "ecapi",
    version,
    about,
    long_about = None,
    args_conflicts_with_subcommands = true
)]
pub struct Cli {
    /// Options of the REPL that `ecapi` alone starts (`ecapi --endpoint URL` is `ecapi repl
    /// --endpoint URL`).
    #[command(flatten)]
    pub repl: ReplArgs,
    /// What to do; without one, the REPL.
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// The interactive shell (the default).
    Repl(ReplArgs),
    /// Run one script, with the options of its `// args:` line (the command line's win).
    Run(RunArgs),
    /// Run every `.rhai` under the paths as a test; `test("name", || …)` adds named cases, a file's
    /// `// args:` line its options. Exit 1 when a test failed, the backend cannot be reached or no
    /// test was selected.
    Test(TestArgs),
    /// Send one request from the shell, e.g. `ecapi call InitStation Extension=1234`.
    Call(CallArgs),
    /// List the operations, or show one operation or script function in full.
    Ops(OpsArgs),
    /// List the environments of the project file (ecapi.toml, here or in a folder above), or show
    /// one's values and where each comes from (secrets masked).
    Env(super::env_cmd::EnvArgs),
    /// Serve the simulator as a SOAP endpoint at http://ADDR/WebAPI/ECAPI.svc (WSDL at ?wsdl).
    Serve(ServeArgs),
    /// Load test: N agents run a call flow over and over; percentiles, thresholds, reports.
    Load(super::load::LoadArgs),
    /// A simulator session of your own on a shared `ecapi serve`.
    Session(SessionArgs),
    /// Print a shell completion script, e.g. `ecapi completions bash > ~/.local/share/bash-completion/completions/ecapi`.
    Completions(CompletionsArgs),
    /// Stand between a SOAP client and an Encore server: forward, show, record, compare.
    Proxy(super::proxy::ProxyArgs),
    /// Send a recording's requests again and compare each answer with the recorded one.
    Replay(super::replay::ReplayArgs),
    /// Turn a recording into a runnable script that expects each recorded code.
    Script(super::script_cmd::ScriptArgs),
    /// Judge a CRM by Encore's rules: a proxy record or a served journal in, findings out (exit 1
    /// on a finding at or above --fail-on). `--rules` lists the rules.
    Audit(super::audit::AuditArgs),
    /// Write a flow as it ran (a .rhai script, a proxy record) as a program in C#, Java, Python,
    /// JavaScript or curl that checks every code.
    Export(super::export::ExportArgs),
}

/// `ecapi completions`.
#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell.
    #[arg(value_enum, value_name = "SHELL")]
    pub shell: CompletionShell,
}

/// The shells completions are written for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CompletionShell {
    /// Bash.
    Bash,
    /// Zsh.
    Zsh,
    /// Fish.
    Fish,
}

/// Which clock the embedded simulator reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ClockArg {
    /// Wall-clock time.
    Real,
    /// Starts now and moves only with sim_advance.
    Virtual,
}

/// Options that choose and configure the backend, on every command that talks to Encore.
#[derive(Debug, Clone, Args)]
pub struct BackendArgs {
    /// An environment of the project file (`ecapi.toml` here or in a folder above): its options
    /// apply where neither the command line nor a script's `// args:` line sets them
    /// (`ecapi env` lists them).
    #[arg(long = "env", env = "ECAPI_ENV", value_name = "NAME")]
    pub environment: Option<String>,
    /// Mask the value of NAME (a `--set` name, a `--data` column, a script variable, a request
    /// parameter, an Encore field or an environment variable) as *** in every output, report and
    /// log; repeatable. Passwords,
    /// tokens and credentials in URLs are masked without it.
    #[arg(long, value_name = "NAME")]
    pub secret: Vec<String>,
    /// Talk to a real Encore server (or an `ecapi serve`) at this URL instead of the embedded simulator.
    #[arg(long, env = "ECAPI_ENDPOINT", value_name = "URL")]
    pub endpoint: Option<String>,
    /// The embedded simulator's profile: hosted (the vendor's test service, the default) or
    /// recorder (the default with --config).
    #[arg(long, value_name = "PROFILE")]
    pub profile: Option<String>,
    /// The recorder profile's configuration file (see examples/recorder.toml).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// The recorder profile's database file, kept across runs (default: in memory).
    #[arg(long, value_name = "FILE")]
    pub db: Option<PathBuf>,
    /// The API version: 7.0 or 7.1. Default: with --endpoint the version the server's WSDL
    /// describes, else 7.1.
    #[arg(long, value_name = "VERSION")]
    pub api: Option<String>,
    /// Print each request's SOAP envelopes to standard error.
    #[arg(long)]
    pub trace: bool,
    /// The embedded simulator's clock.
    #[arg(long, value_enum, value_name = "CLOCK")]
    pub clock: Option<ClockArg>,
    /// With --endpoint: a PEM file with a CA certificate to trust for HTTPS.
    #[arg(long, value_name = "FILE")]
    pub ca_cert: Option<PathBuf>,
    /// With --endpoint: accept any HTTPS certificate (for test servers only).
    #[arg(long)]
    pub insecure: bool,
    /// With --endpoint: the user for basic authentication (or put it in the URL).
    #[arg(long, env = "ECAPI_USER", value_name = "USER")]
    pub user: Option<String>,
    /// With --endpoint: the password for basic authentication.
    #[arg(
        long,
        env = "ECAPI_PASSWORD",
        value_name = "PASSWORD",
        hide_env_values = true
    )]
    pub password: Option<String>,
    /// With --endpoint: the token of an `ecapi serve`'s control interface (for sim_* functions).
    #[arg(
        long,
        env = "ECAPI_CONTROL_TOKEN",
        value_name = "TOKEN",
        hide_env_values = true
    )]
    pub control_token: Option<String>,
    /// With --endpoint: seconds to wait for each answer (connecting waits at most 10).
    #[arg(long, default_value = "30", value_name = "SECONDS")]
    pub timeout: f64,
}

/// `ecapi repl`.
#[derive(Debug, Args)]
pub struct ReplArgs {
    /// A folder to look in for imported modules, after the importing script's own folder;
    /// repeatable, searched in order.
    #[arg(long, value_name = "DIR")]
    pub module_path: Vec<PathBuf>,
    /// The backend.
    #[command(flatten)]
    pub backend: BackendArgs,
}

/// `ecapi run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// The script to run.
    #[arg(value_name = "FILE.rhai")]
    pub file: PathBuf,
    /// A value for `param(NAME)`; repeatable.
    #[arg(long = "set", value_name = "NAME=VALUE")]
    pub set: Vec<String>,
    /// Stop the script, as an error, when it runs longer than this.
    #[arg(long, value_name = "SECONDS")]
    pub max_time: Option<f64>,
    /// Run the script once per row of this CSV (header row) or JSON (array of objects) file; the
    /// row is the map `data` in the script.
    #[arg(long, value_name = "FILE")]
    pub data: Option<PathBuf>,
    /// Print one row per request (operation, elapsed, code, message, fields), as the REPL does.
    #[arg(long, short = 'v')]
    pub verbose: bool,
    /// A folder to look in for imported modules, after the importing script's own folder;
    /// repeatable, searched in order.
    #[arg(long, value_name = "DIR")]
    pub module_path: Vec<PathBuf>,
    /// The backend.
    #[command(flatten)]
    pub backend: BackendArgs,
}

/// `ecapi test`.
#[derive(Debug, Args)]
pub struct TestArgs {
    /// Files or folders; every `.rhai` file under them is a test (default: the current folder).
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// How many tests run at once (default: the number of cores).
    #[arg(long, short = 'j', value_name = "N")]
    pub jobs: Option<usize>,
    /// Run only the tests whose name (`file`, `file::case`, `file::row`) contains this text.
    #[arg(long, value_name = "TEXT")]
    pub filter: Option<String>,
    /// Run only the tests with this tag (a file's `// tags:` line, a case's
    /// `test(name, #{ tags: [...] }, ...)`); repeatable: a test with any of them runs.
    #[arg(long = "tag", value_name = "TAG")]
    pub tag: Vec<String>,
    /// Leave out the tests with this tag; repeatable; wins over --tag.
    #[arg(long = "skip-tag", value_name = "TAG")]
    pub skip_tag: Vec<String>,
    /// Run the tests, then watch the paths (and --module-path folders) and re-run, on each
    /// change, the test files changed and those that import a changed module; Ctrl-C ends it.
    #[arg(long)]
    pub watch: bool,
    /// Write a JUnit XML report to this file (written whatever happens).
    #[arg(long, visible_alias = "junit", value_name = "FILE")]
    pub report_junit: Option<PathBuf>,
    /// Write a JSON report to this file.
    #[arg(long, value_name = "FILE")]
    pub report_json: Option<PathBuf>,
    /// Write a TAP (version 13) report to this file.
    #[arg(long, value_name = "FILE")]
    pub report_tap: Option<PathBuf>,
    /// Write a self-contained HTML report to this file: every test, its requests as a timeline,
    /// each failure's message and last envelopes.
    #[arg(long, value_name = "FILE")]
    pub report_html: Option<PathBuf>,
    /// Stop starting tests at the first failure; the rest are reported as skipped.
    #[arg(long)]
    pub bail: bool,
    /// Fail a test whose traffic breaks an error rule of `ecapi audit` (the simulator's findings,
    /// or against a real Encore the audit of the requests the test made); the reports show them.
    #[arg(long)]
    pub audit: bool,
    /// Exit 0 when the paths and --filter select no test (by default that is exit 1).
    #[arg(long)]
    pub allow_empty: bool,
    /// Run every file once per row of this CSV (header row) or JSON (array of objects) file, each
    /// row a test named by its `name` column or number; the row is the map `data` in the script.
    #[arg(long, value_name = "FILE")]
    pub data: Option<PathBuf>,
    /// Fail a test, as an error, when it runs longer than this many seconds (default 60; 0 for
    /// no limit). A file's own `--max-time` on its `// args:` line applies to it unless this is
    /// given.
    #[arg(long, visible_alias = "max-time", value_name = "SECONDS")]
    pub test_timeout: Option<f64>,
    /// A value for `param(NAME)` in every test; repeatable. Merged with a file's own `--set`
    /// values, these winning for a name given in both.
    #[arg(long = "set", value_name = "NAME=VALUE")]
    pub set: Vec<String>,
    /// A folder to look in for imported modules, after the importing script's own folder;
    /// repeatable, searched in order.
    #[arg(long, value_name = "DIR")]
    pub module_path: Vec<PathBuf>,
    /// The backend.
    #[command(flatten)]
    pub backend: BackendArgs,
}

/// `ecapi call`.
#[derive(Debug, Args)]
pub struct CallArgs {
    /// The operation, e.g. InitStation (case does not matter; snake_case works too).
    #[arg(value_name = "OPERATION")]
    pub operation: String,
    /// Parameters as Name=Value, with 7.1 or 7.0 names.
    #[arg(value_name = "PARAM=VALUE")]
    pub params: Vec<String>,
    /// Print the response as JSON.
    #[arg(long)]
    pub json: bool,
    /// The backend.
    #[command(flatten)]
    pub backend: BackendArgs,
}

/// `ecapi ops`.
#[derive(Debug, Args)]
pub struct OpsArgs {
    /// An operation or script function to show in full.
    #[arg(value_name = "OPERATION")]
    pub operation: Option<String>,
    /// Show parameter names and availability for this API version.
    #[arg(long, default_value = "7.1", value_name = "VERSION")]
    pub api: String,
    /// Print one request of OPERATION as a program in this language (csharp, java, python,
    /// javascript or curl) instead of its documentation.
    #[arg(long, value_name = "LANG", requires = "operation")]
    pub example: Option<String>,
}

/// What a served simulator keeps, for `ecapi serve --help`.
const SERVE_LIMITS: &str = "\
What it keeps: the hosted profile keeps the last 10,000 recordings and the last 10,000 events in
memory (each within 16 MiB of text; older ones are dropped), the journal the last 10,000 requests
(within 8 MiB). The recorder profile keeps every recording and event in its database: with --db on
disk (one server per file, whatever path names it — a symbolic link, or on Linux a hard link: a
second one refuses to start, naming the first; a damaged file is refused), else in memory (the last
10,000 of each).
sim_recordings and sim_events list at most 1,000 at a time by default; page with `since`.
Simulated time costs what it shows: sim_advance moves the clock at most 100 years per call in
constant time and memory (timers are due times, desktop segments are cut from each run of desktop
recording when listed, never stored one by one); sim_desktops and the URL player show at most
1,000 segments per desktop (the latest, with their total), and sim_at keeps at most 10,000 events.";

/// `ecapi serve`.
#[derive(Debug, Args)]
#[command(after_help = SERVE_LIMITS)]
pub struct ServeArgs {
    /// The audit's options (`ecapi audit --rules` lists the rules); `--desktop-users none` keeps
    /// the recorder profile's directory.
    #[command(flatten)]
    pub audit: super::audit::AuditOptionArgs,
    /// Do not audit the traffic (no findings, no coverage).
    #[arg(long)]
    pub no_audit: bool,
    /// An environment of the project file (`ecapi.toml` here or in a folder above): its simulator
    /// options (profile, config, db, clock, api) and control token apply where the command line
    /// gives none.
    #[arg(long = "env", env = "ECAPI_ENV", value_name = "NAME")]
    pub environment: Option<String>,
    /// The address to listen on (port 0 picks a free port).
    #[arg(long, default_value = "127.0.0.1:8080", value_name = "ADDR")]
    pub listen: String,
    /// The simulator's profile: hosted (the vendor's test service, the default) or recorder (the
    /// default with --config).
    #[arg(long, value_name = "PROFILE")]
    pub profile: Option<String>,
    /// The recorder profile's configuration file.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// The recorder profile's database file (kept across runs); in memory without it.
    #[arg(long, value_name = "FILE")]
    pub db: Option<PathBuf>,
    /// The API version: 7.0 or 7.1 (default 7.1).
    #[arg(long, value_name = "VERSION")]
    pub api: Option<String>,
    /// The simulator's clock; a served simulator follows the wall clock (real) unless told
    /// otherwise.
    #[arg(long, value_enum, value_name = "CLOCK")]
    pub clock: Option<ClockArg>,
    /// Do not log one line per request to standard error.
    #[arg(long)]
    pub quiet: bool,
    /// Read requests kindly (action from the body element, parameters by name in any order,
    /// namespace or version, latin-1), noting each kindness; default: read as a WCF service does.
    #[arg(long)]
    pub lenient: bool,
    /// Print each exchange's envelopes (request and answer, faults and refusals) to standard error.
    #[arg(long)]
    pub trace: bool,
    /// The largest request in bytes (WCF maxReceivedMessageSize); larger ones get 413.
    #[arg(long, default_value_t = 65_536, value_name = "BYTES")]
    pub max_message_size: usize,
    /// The longest string value in characters (WCF maxStringContentLength); longer is a fault.
    #[arg(long, default_value_t = 8_192, value_name = "CHARS")]
    pub max_string_content_length: usize,
    /// The deepest element nesting (WCF maxDepth); deeper requests get 400.
    #[arg(long, default_value_t = 32, value_name = "LEVELS")]
    pub max_depth: usize,
    /// End a simulator session left idle this long (sessions: `ecapi session new`, `ecapi test`).
    #[arg(long, default_value = "600", value_name = "SECONDS")]
    pub session_idle: f64,
    /// The most simulator sessions at once; 0 offers none.
    #[arg(long, default_value = "64", value_name = "N")]
    pub max_sessions: usize,
    /// How each request's log line is written: text, or json for log collectors.
    #[arg(long, value_enum, default_value = "text", value_name = "FORMAT")]
    pub log_format: LogFormatArg,
    /// Serve HTTPS with this PEM certificate (chain); needs --tls-key.
    #[arg(
        long,
        value_name = "FILE",
        requires = "tls_key",
        conflicts_with = "tls_self_signed"
    )]
    pub tls_cert: Option<PathBuf>,
    /// The PEM private key of --tls-cert.
    #[arg(long, value_name = "FILE", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    /// Serve HTTPS with a certificate issued by a test CA kept in DIR (made on first use); clients
    /// trust DIR/ca.pem.
    #[arg(long, value_name = "DIR")]
    pub tls_self_signed: Option<PathBuf>,
    /// Require basic authentication with these credentials (401 without them, as IIS answers).
    #[arg(long, value_name = "USER:PASSWORD")]
    pub basic_auth: Option<String>,
    /// The control interface's token (clients pass it with --control-token or
    /// ECAPI_CONTROL_TOKEN). Required when given; beyond loopback one is made and printed at start
    /// when not given.
    #[arg(
        long,
        env = "ECAPI_CONTROL_TOKEN",
        hide_env_values = true,
        value_name = "TOKEN"
    )]
    pub control_token: Option<String>,
    /// Turn the control interface (sim_* functions over HTTP) off: it answers 404.
    #[arg(long)]
    pub no_control: bool,
    /// The timeouts and the connection cap.
    #[command(flatten)]
    pub connections: super::connection_args::ConnectionArgs,
}

/// `--log-format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormatArg {
    /// One line of text per request.
    Text,
    /// One JSON object per request.
    Json,
}

/// `ecapi session`.
#[derive(Debug, Args)]
pub struct SessionArgs {
    /// What to do.
    #[command(subcommand)]
    pub action: SessionAction,
}

/// `ecapi session new|drop`.
#[derive(Debug, Subcommand)]
pub enum SessionAction {
    /// Make a simulator session of your own on an `ecapi serve` and print its endpoint URL: point
    /// a CRM, `ecapi --endpoint` or zeep at it. It ends when dropped or after the server's idle time.
    New(BackendArgs),
    /// End a session, given its endpoint URL.
    Drop(SessionDropArgs),
}

/// `ecapi session drop`.
#[derive(Debug, Args)]
pub struct SessionDropArgs {
    /// The session's endpoint URL, as `ecapi session new` printed it.
    #[arg(value_name = "URL")]
    pub url: String,
    /// The backend options (TLS, authentication); its --endpoint is the URL given.
    #[command(flatten)]
    pub backend: BackendArgs,
}
