//! `ecapi proxy`, `ecapi replay` and `ecapi script`: a proxy that understands the Encore Web API,
//! standing between any SOAP client (a CRM) and an Encore server (or an `ecapi serve`).
//!
//! It forwards every exchange unchanged, and on the way reads it: one [`Exchange`] per request,
//! which every view reads (as mitmproxy's flow): the live line on standard output, the JSON Lines
//! record, the shadow comparison. At its start it reads the upstream's WSDL as the SOAP client does,
//! so that requests are read under the upstream's own contract. A recording can then be replayed against any backend, or turned
//! into a Rhai flow.
//!
//! | file | owns |
//! |---|---|
//! | `front.rs` | a request from [`crate::listener`] to the forwarder and back (hyper; why not axum is said there), its size and time |
//! | `forward.rs` | forwarding, pass-through of failures, WSDL addresses, the exchange made on the way |
//! | `exchange.rs` | the [`Exchange`] and its live line |
//! | `record.rs` | the JSON Lines record, reading it back |
//! | `record_file.rs` | the record file: lines never lost once answered, read up to the last whole line |
//! | `redact.rs` | `--redact`: the names it takes, values withheld from an exchange |
//! | `compare.rs` | two answers compared, volatile fields by form |
//! | `ports.rs` | the unit and port one server handed out for another's |
//! | `shadow.rs` | `--shadow`: the second backend and the tally per operation |
//! | `fault.rs` | `--fault`, `--delay`, `--seed` |
//! | `replay.rs` | `ecapi replay`: a recording's requests sent again and compared |
//! | `script_gen.rs` | `ecapi script`: a recording as a runnable Rhai flow |
//!
//! The proxy owns its tokio runtime (as `server/` does), so nothing above it is async; it uses
//! `client/` (the shadow), `soap/` and `api/`, and nothing below it imports it.

pub mod compare;
mod exchange;
pub mod fault;
mod forward;
mod front;
pub mod ports;
pub mod record;
pub mod record_file;
pub mod redact;
pub mod replay;
pub mod script_gen;
pub mod shadow;

use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use tokio::sync::oneshot;

pub use exchange::{Answer, Exchange};
pub use fault::{DelayRule, FaultRule};
pub use shadow::{ShadowTarget, Tally};

use fault::Injector;
pub use forward::DEFAULT_MAX_RESPONSE_SIZE;
use forward::{Forwarder, Stats};
use record::Recorder;
use redact::Redaction;
use shadow::Shadow;

use crate::streams::errln;

/// What `ecapi proxy` is told.
#[derive(Debug)]
pub struct ProxyOptions {
    /// The audit's options: every exchange is judged by [`crate::audit`], its findings shown on
    /// the line, kept in the record and counted per rule at exit.
    pub audit: crate::audit::Options,
    /// The address to listen on (port 0 picks a free one).
    pub listen: String,
    /// The upstream's endpoint URL (http or https; user information there becomes basic
    /// authentication for clients that send none, and is never shown or recorded).
    pub upstream: String,
    /// A PEM CA certificate to trust for an HTTPS upstream.
    pub ca_cert: Option<PathBuf>,
    /// Accept any certificate from the upstream (test servers only).
    pub insecure: bool,
    /// How long to wait for the upstream's answer before answering 504.
    pub timeout: Duration,
    /// The timeouts and the connection cap of the proxy's own listener (as `serve`'s).
    pub limits: crate::listener::Limits,
    /// The largest request body read from a client, in bytes; 413 beyond it. Default 65,536
    /// (WCF's `maxReceivedMessageSize`, as `serve`).
    pub max_message_size: usize,
    /// The largest answer read from the upstream, in bytes; 502 beyond it. Default
    /// [`DEFAULT_MAX_RESPONSE_SIZE`].
    pub max_response_size: usize,
    /// Where to record every exchange (JSON Lines).
    pub record: Option<PathBuf>,
    /// Names of parameters, answer fields or Encore fields whose values are never shown or
    /// recorded ([`redact`]).
    pub redact: Vec<String>,
    /// A second backend to compare every answer with.
    pub shadow: Option<ShadowTarget>,
    /// Requests the proxy answers itself.
    pub faults: Vec<FaultRule>,
    /// Requests the proxy holds before forwarding.
    pub delays: Vec<DelayRule>,
    /// The API version the upstream serves: requests are read (and noted) as it reads them.
    pub api: crate::api::ApiVersion,
    /// The seed behind `faults`' probabilities.
    pub seed: u64,
    /// Print one line per exchange on standard output.
    pub print: bool,
    /// Colour those lines.
    pub color: bool,
}

impl ProxyOptions {
    /// Options that forward to `upstream` and do nothing else: no record, no shadow, no faults,
    /// no printing, a 30 s time-out.
    pub fn new(listen: impl Into<String>, upstream: impl Into<String>) -> ProxyOptions {
        ProxyOptions {
            listen: listen.into(),
            upstream: upstream.into(),
            ca_cert: None,
            insecure: false,
            timeout: Duration::from_secs(30),
            limits: crate::listener::Limits::default(),
            max_message_size: crate::soap::DEFAULT_MAX_MESSAGE_SIZE,
            max_response_size: DEFAULT_MAX_RESPONSE_SIZE,
            record: None,
            redact: Vec::new(),
            shadow: None,
            faults: Vec::new(),
            delays: Vec::new(),
            seed: 0,
            api: crate::api::ApiVersion::V7_1,
            print: false,
            color: false,
            audit: crate::audit::Options::default(),
        }
    }
}

/// Why the proxy could not start.
#[derive(Debug, thiserror::Error)]
pub enum ProxyError {
    /// The upstream URL or TLS options are unusable.
    #[error("--upstream: {0}")]
    Upstream(String),
    /// The record file cannot be created.
    #[error("--record {path}: {source}")]
    Record {
        /// The file.
        path: PathBuf,
        /// What the system said.
        source: std::io::Error,
    },
    /// The shadow backend cannot be used.
    #[error("--shadow: {0}")]
    Shadow(String),
    /// The listen address cannot be bound.
    #[error("cannot listen on {listen}: {source}")]
    Bind {
        /// The address asked for.
        listen: String,
        /// What the system said.
        source: std::io::Error,
    },
    /// A `--redact` name names nothing.
    #[error("{0}")]
    Redact(#[from] redact::UnknownName),
    /// The runtime or the proxy's thread could not start.
    #[error("cannot start the proxy: {0}")]
    Runtime(std::io::Error),
}

/// What a run of the proxy saw, for the summary at exit.
#[derive(Debug, Clone, Default)]
pub struct Summary {
    /// SOAP exchanges seen.
    pub exchanges: u64,
    /// The audit's findings per rule, and its options.
    pub audit: (
        std::collections::BTreeMap<crate::audit::RuleId, u64>,
        crate::audit::Options,
    ),
    /// Under `--shadow`, the agreements and differences per operation.
    pub shadow: Option<Tally>,
}

impl Summary {
    /// The summary as text: the exchange count and, under `--shadow`, the table.
    pub fn render(&self) -> String {
        let mut out = format!("ecapi proxy: {} exchanges\n", self.exchanges);
        if self.audit.1.enabled {
            out.push_str("audit:\n");
            out.push_str(&crate::audit::summary::text(
                &self.audit.0,
                &self.audit.1,
                self.exchanges,
            ));
        }
        if let Some(tally) = &self.shadow {
            out.push_str("shadow comparison:\n");
            out.push_str(&tally.render());
        }
        out
    }
}

/// Reads `--upstream` into a URL without credentials, and the credentials.
fn upstream_url(text: &str) -> Result<(reqwest::Url, Option<(String, String)>), ProxyError> {
    let mut url = reqwest::Url::parse(text.trim())
        .map_err(|e| ProxyError::Upstream(format!("`{text}` is not a URL: {e}")))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(ProxyError::Upstream(format!(
            "the scheme must be http or https, not {}",
            url.scheme()
        )));
    }
    let auth = (!url.username().is_empty()).then(|| {
        (
            crate::client::percent_decode(url.username()),
            url.password()
                .map(crate::client::percent_decode)
                .unwrap_or_default(),
        )
    });
    let _ = url.set_username("");
    let _ = url.set_password(None);
    Ok((url, auth))
}

/// The upstream's contract (namespace, actions), read from its WSDL as the SOAP client reads one
/// ([`crate::client::Http`]), so that requests are read as the upstream reads them; when the WSDL
/// cannot be had, the default contract, with a warning naming the document and why.
fn upstream_contract(options: &ProxyOptions) -> (crate::soap::Contract, Vec<String>) {
    use crate::client::{Http, HttpOptions, Transport};
    use crate::soap::{Contract, ContractSource, Names};
    // A start must not wait long on an upstream that is down: the proxy still forwards to it.
    let wait = options.timeout.min(Duration::from_secs(10));
    let http = Http::connect(HttpOptions {
        url: options.upstream.clone(),
        api: Some(options.api),
        ca_cert: options.ca_cert.clone(),
        insecure: options.insecure,
        user: None,
        password: None,
        control_token: None,
        connect_timeout: wait.min(crate::client::DEFAULT_CONNECT_TIMEOUT),
        timeout: wait,
    });
    match http {
        Ok(http) => {
            let contract = http.contract().clone();
            // The client's warnings: the WSDL not used (then the default contract is the one
            // requests are read with), or one describing another API version than --api.
            let warnings = match &contract.source {
                ContractSource::Wsdl(_) => http.warnings(),
                _ => http
                    .warnings()
                    .into_iter()
                    .map(|w| format!("{w}; requests are read with it"))
                    .collect(),
            };
            (contract, warnings)
        }
        Err(e) => {
            let shown = upstream_url(&options.upstream)
                .map(|(mut url, _)| {
                    url.set_query(Some("wsdl"));
                    url.to_string()
                })
                .unwrap_or_default();
            let mut contract = Contract::defaults(options.api, &Names::default());
            contract.source = ContractSource::DefaultsBecause(format!("{shown}: {e}"));
            (
                contract,
                vec![format!(
                    "the upstream's WSDL at {shown} could not be read ({e}); requests are read \
                     with the default contract of API {}",
                    options.api
                )],
            )
        }
    }
}

/// Builds everything but the listener. Blocking work (reading certificates, connecting the shadow)
/// happens here, outside any runtime.
fn prepare(options: ProxyOptions) -> Result<(String, Forwarder), ProxyError> {
    let redaction = Redaction::new(&options.redact)?;
    let (upstream, auth) = upstream_url(&options.upstream)?;
    let (contract, warnings) = upstream_contract(&options);
    let mut builder = reqwest::Client::builder()
        .use_rustls_tls()
        .connect_timeout(crate::client::DEFAULT_CONNECT_TIMEOUT)
        .tcp_nodelay(true)
        .pool_idle_timeout(Duration::from_secs(60))
        // Redirects are the client's to follow, not the proxy's.
        .redirect(reqwest::redirect::Policy::none())
        .danger_accept_invalid_certs(options.insecure);
    if let Some(path) = &options.ca_cert {
        let pem = std::fs::read(path).map_err(|e| {
            ProxyError::Upstream(format!(
                "cannot read the CA certificate {}: {e}",
                path.display()
            ))
        })?;
        let cert = reqwest::Certificate::from_pem(&pem).map_err(|e| {
            ProxyError::Upstream(format!("{} is not a PEM certificate: {e}", path.display()))
        })?;
        builder = builder.add_root_certificate(cert);
    }
    let client = builder
        .build()
        .map_err(|e| ProxyError::Upstream(e.to_string()))?;
    let recorder = match &options.record {
        Some(path) => Some(Recorder::create(path).map_err(|source| ProxyError::Record {
            path: path.clone(),
            source,
        })?),
        None => None,
    };
    let shadow = match options.shadow {
        Some(target) => Some(Arc::new(
            Shadow::connect(target).map_err(|e| ProxyError::Shadow(e.to_string()))?,
        )),
        None => None,
    };
    let actions = contract
        .operations
        .iter()
        .filter(|shape| shape.action != contract.names.action(shape.op))
        .map(|shape| (shape.action.clone(), shape.op))
        .collect();
    let forwarder = Forwarder {
        client,
        upstream,
        auth,
        timeout: options.timeout,
        limits: options.limits,
        max_message_size: options.max_message_size,
        max_response_size: options.max_response_size,
        read: crate::soap::ReadOptions {
            orders: contract
                .operations
                .iter()
                .filter_map(|shape| {
                    let parts: Vec<_> = shape.params.iter().filter_map(|(_, p)| *p).collect();
                    (parts != shape.op.params(options.api)).then_some((shape.op, parts))
                })
                .collect(),
            ..crate::soap::ReadOptions::new(options.api, contract.names.clone())
        },
        names: contract.names,
        actions,
        warnings,
        injector: Injector::new(options.faults, options.delays, options.seed),
        recorder,
        redaction,
        shadow,
        print: options
            .print
            .then(|| crate::line_queue::LineQueue::new(std::io::stdout(), "ecapi-proxy-out")),
        color: options.color,
        origin: String::new(),
        stats: Mutex::new(Stats::default()),
        record_failing: Default::default(),
        audits: options.audit.enabled,
        auditor: Mutex::new((
            crate::audit::Auditor::new(options.audit.clone()),
            Default::default(),
        )),
    };
    Ok((options.listen, forwarder))
}

fn runtime() -> Result<tokio::runtime::Runtime, ProxyError> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("ecapi-proxy-worker")
        .build()
        .map_err(ProxyError::Runtime)
}

async fn bind(
    listen: &str,
    forwarder: &mut Forwarder,
) -> Result<tokio::net::TcpListener, ProxyError> {
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .map_err(|source| ProxyError::Bind {
            listen: listen.to_string(),
            source,
        })?;
    let addr = listener.local_addr().map_err(ProxyError::Runtime)?;
    forwarder.origin = format!("http://{addr}");
    Ok(listener)
}

impl Forwarder {
    fn summary(&self) -> Summary {
        let stats = self.stats.lock().unwrap_or_else(|p| p.into_inner());
        let audit = {
            let mut guard = self.auditor.lock().unwrap_or_else(|p| p.into_inner());
            let (auditor, recent) = &mut *guard;
            let recent: Vec<String> = recent.iter().cloned().collect();
            let late = auditor.finish();
            for f in &late {
                // Said without the values `--redact` withheld, as every finding before it.
                let line = redact::scrub(&f.line(), &recent);
                self.print_line(&format!("  {line}"));
            }
            (auditor.counts().clone(), auditor.options().clone())
        };
        Summary {
            audit,
            exchanges: stats.exchanges,
            shadow: self.shadow.as_ref().map(|_| stats.tally.clone()),
        }
    }

    /// Writes the summary line into the record, if there is one.
    fn record_summary(&self, summary: &Summary) {
        if let Some(recorder) = &self.recorder {
            let line = serde_json::json!({
                "kind": "summary",
                "time": chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
                "exchanges": summary.exchanges,
                "shadow": summary.shadow.as_ref().map(|t| &t.operations),
            });
            let _ = recorder.write(&line);
        }
    }
}

/// Serves connections with the forwarder until `stop` completes.
async fn serve(
    listener: tokio::net::TcpListener,
    forwarder: Arc<Forwarder>,
    stop: impl std::future::Future<Output = ()> + Send,
) {
    let front = Arc::new(crate::listener::Front {
        limits: forwarder.limits,
        tls: None,
        on_closed: None,
    });
    let service = move |request, peer| {
        let forwarder = forwarder.clone();
        async move { front::answer(&forwarder, request, peer).await }
    };
    crate::listener::run(listener, front, service, stop).await;
}

/// Runs until Ctrl-C or SIGTERM, printing where it listens, then the summary.
pub fn run(options: ProxyOptions) -> Result<Summary, ProxyError> {
    let (listen, mut forwarder) = prepare(options)?;
    let runtime = runtime()?;
    let summary = runtime.block_on(async move {
        let listener = bind(&listen, &mut forwarder).await?;
        let endpoint = format!("{}{}", forwarder.origin, forwarder.upstream.path());
        let mut out = std::io::stdout();
        let _ = writeln!(
            out,
            "ecapi proxy: {endpoint} → {}",
            forwarder.upstream.as_str()
        );
        if let Some(shadow) = &forwarder.shadow {
            let _ = writeln!(out, "shadow: {}", shadow.describe());
        }
        for warning in &forwarder.warnings {
            errln!("ecapi proxy: warning: {warning}");
        }
        if let Some(recorder) = &forwarder.recorder {
            let _ = writeln!(out, "recording to {}", recorder.path().display());
        }
        if !forwarder.redaction.is_empty() {
            let _ = writeln!(out, "withholding: {}", forwarder.redaction.describe());
        }
        let _ = writeln!(out, "WSDL: {endpoint}?wsdl");
        let _ = writeln!(out, "Stop with Ctrl-C.");
        let _ = out.flush();
        let forwarder = Arc::new(forwarder);
        serve(listener, forwarder.clone(), crate::shutdown::requested()).await;
        let summary = forwarder.summary();
        forwarder.record_summary(&summary);
        Ok::<_, ProxyError>(summary)
    })?;
    // The runtime is dropped here, closing connections still open.
    drop(runtime);
    Ok(summary)
}

/// A proxy running in this process on its own thread, for tests, benchmarks and embedding.
#[derive(Debug)]
pub struct Running {
    addr: SocketAddr,
    path: String,
    warnings: Vec<String>,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<thread::JoinHandle<Summary>>,
}

/// Starts a proxy on its own thread and returns once it listens.
pub fn start(options: ProxyOptions) -> Result<Running, ProxyError> {
    let (listen, mut forwarder) = prepare(options)?;
    let (ready_tx, ready_rx) = std::sync::mpsc::channel();
    let (stop_tx, stop_rx) = oneshot::channel::<()>();
    let thread = thread::Builder::new()
        .name("ecapi-proxy".to_string())
        .spawn(move || {
            let runtime = match runtime() {
                Ok(rt) => rt,
                Err(e) => {
                    let _ = ready_tx.send(Err(e));
                    return Summary::default();
                }
            };
            runtime.block_on(async move {
                let listener = match bind(&listen, &mut forwarder).await {
                    Ok(l) => l,
                    Err(e) => {
                        let _ = ready_tx.send(Err(e));
                        return Summary::default();
                    }
                };
                let addr = listener.local_addr().map_err(ProxyError::Runtime);
                let _ = ready_tx.send(addr.map(|a| {
                    (
                        a,
                        forwarder.upstream.path().to_string(),
                        forwarder.warnings.clone(),
                    )
                }));
                let forwarder = Arc::new(forwarder);
                serve(listener, forwarder.clone(), async {
                    let _ = stop_rx.await;
                })
                .await;
                let summary = forwarder.summary();
                forwarder.record_summary(&summary);
                summary
            })
        })
        .map_err(ProxyError::Runtime)?;
    match ready_rx.recv() {
        Ok(Ok((addr, path, warnings))) => Ok(Running {
            addr,
            path,
            warnings,
            stop: Some(stop_tx),
            thread: Some(thread),
        }),
        Ok(Err(e)) => {
            let _ = thread.join();
            Err(e)
        }
        Err(_) => Err(ProxyError::Runtime(std::io::Error::other(
            "the proxy thread ended before listening",
        ))),
    }
}

impl Running {
    /// The address the proxy listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// What the proxy warned of at its start (the upstream's WSDL not read, say).
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }

    /// The proxy's endpoint URL: its address with the upstream's path.
    pub fn url(&self) -> String {
        format!("http://{}{}", self.addr, self.path)
    }

    /// Stops the proxy and returns what it saw (the record gets its summary line).
    pub fn stop(mut self) -> Summary {
        self.shutdown()
    }

    fn shutdown(&mut self) -> Summary {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        self.thread
            .take()
            .and_then(|t| t.join().ok())
            .unwrap_or_default()
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.shutdown();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upstream_credentials_are_taken_out_of_the_url() {
        let (url, auth) =
            upstream_url("https://CORP%5Csmith:p%40ss@encore:8443/WebAPI/ECAPI.svc").unwrap();
        assert_eq!(url.as_str(), "https://encore:8443/WebAPI/ECAPI.svc");
        assert_eq!(auth, Some(("CORP\\smith".to_string(), "p@ss".to_string())));
        assert!(upstream_url("ftp://x/").is_err());
        assert!(upstream_url("not a url").is_err());
    }
}
