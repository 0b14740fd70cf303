//! `ecapi serve`: the simulator as a SOAP endpoint, answering any CRM as if it were Encore.
//!
//! This is the only module that names the HTTP server crates (axum's router over hyper's HTTP/1
//! connections, accepted by [`crate::listener`]) and it owns its tokio runtime, so nothing above it is
//! async. The simulator stays a synchronous state machine behind a
//! mutex: a request holds the lock only while the simulator answers, and injected latency is waited
//! out after the lock is released, so a slow operation never stalls other clients.
//!
//! Bytes become an [`crate::api::Request`] in [`crate::soap::read_request`] (as a WCF service
//! reads them, with notes) and a response becomes
//! bytes in [`crate::soap::encode_response`] (through [`crate::soap::ResponseFrames`], its fixed
//! parts made once); this module only adds HTTP: content type, body limit,
//! status codes, the WSDL route, the URL player page ([`url_player`]), logging and shutdown.

mod front;
mod guard;
mod handler;
mod log;
mod peer;
mod secret;
mod sessions;
mod tls;
mod url_player;

use std::future::Future;
use std::io::Write;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::thread;

use tokio::sync::oneshot;

use crate::client::Embedded;
use crate::simulator::Simulator;
use crate::soap::Names;

pub use crate::listener::Limits;
pub use guard::{BasicAuth, TOKEN_HEADER};
pub use handler::DEFAULT_BODY_LIMIT;
pub use log::LogFormat;
pub use sessions::{
    SessionOptions, SimulatorFactory, DEFAULT_MAX_SESSIONS, DEFAULT_SESSION_IDLE, SESSIONS_PREFIX,
};
pub use tls::{TlsSource, CA_FILE};

/// What to serve, and where.
#[derive(Debug)]
pub struct ServeOptions {
    /// The audit's options (`crate::audit`); the recorder profile's directory adds its seats and,
    /// unless these name some, its desktop users.
    pub audit: crate::audit::Options,
    /// The address to listen on, e.g. `127.0.0.1:8080` (port 0 picks a free one).
    pub listen: String,
    /// The simulator to answer with; its API version decides the operations and the WSDL.
    pub simulator: Simulator,
    /// The contract's names (service namespace, endpoint path...).
    pub names: Names,
    /// The largest request body accepted, in bytes (WCF's `maxReceivedMessageSize`); larger ones
    /// are answered with 413.
    pub body_limit: usize,
    /// The longest string value read, in characters (WCF's `maxStringContentLength`).
    pub max_string_content_length: usize,
    /// The deepest element nesting read (WCF's `maxDepth`).
    pub max_depth: usize,
    /// Read requests kindly instead of as WCF does, noting each kindness.
    pub lenient: bool,
    /// Print each exchange's envelopes to standard error.
    pub trace: bool,
    /// Whether to log one line per request to stderr.
    pub log: bool,
    /// Whether and how to offer simulator sessions (see [`sessions`]); `None`: none.
    pub sessions: Option<SessionOptions>,
    /// How log lines are written.
    pub log_format: LogFormat,
    /// Timeouts and the connection cap.
    pub limits: Limits,
    /// HTTPS: where the certificate comes from; `None`: plain HTTP.
    pub tls: Option<TlsSource>,
    /// Basic authentication every request must carry; `None`: none.
    pub basic_auth: Option<BasicAuth>,
    /// Whether the control interface answers (`--no-control` turns it off: 404).
    pub control: bool,
    /// The control interface's token. Required whenever given; when not given, one is made at
    /// start if the server listens beyond loopback or [`ServeOptions::require_control_token`].
    pub control_token: Option<String>,
    /// Require the control token even on loopback (as beyond it), e.g. to test a client.
    pub require_control_token: bool,
    /// Key GetURL links to the server's own player even on loopback (as beyond it).
    pub key_player_links: bool,
}

impl ServeOptions {
    /// Options with the default names, WCF's default limits (65,536 bytes, 8,192 characters, 32
    /// levels), the strict reading, logging on, the default timeouts, plain HTTP without
    /// authentication, and the control interface on.
    pub fn new(listen: impl Into<String>, simulator: Simulator) -> ServeOptions {
        ServeOptions {
            listen: listen.into(),
            simulator,
            names: Names::default(),
            body_limit: DEFAULT_BODY_LIMIT,
            max_string_content_length: crate::soap::DEFAULT_MAX_STRING_CONTENT_LENGTH,
            max_depth: crate::soap::DEFAULT_MAX_DEPTH,
            lenient: false,
            trace: false,
            log: true,
            sessions: None,
            log_format: LogFormat::Text,
            limits: Limits::default(),
            tls: None,
            basic_auth: None,
            control: true,
            control_token: None,
            require_control_token: false,
            key_player_links: false,
            audit: crate::audit::Options::default(),
        }
    }
}

/// Why the server could not run.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    /// The listen address could not be bound (in use, not local, not an address).
    #[error("cannot listen on {listen}: {source}")]
    Bind {
        /// The address asked for.
        listen: String,
        /// What the system reported.
        source: std::io::Error,
    },
    /// The async runtime could not be started.
    #[error("cannot start the server runtime: {0}")]
    Runtime(std::io::Error),
    /// Accepting connections failed.
    #[error("the server stopped: {0}")]
    Serve(std::io::Error),
    /// The TLS certificate or key could not be read or made.
    #[error("HTTPS: {0}")]
    Tls(String),
    /// The control token could not be made.
    #[error("cannot make the control token: {0}")]
    Token(String),
    /// The server thread ended abnormally.
    #[error("the server thread panicked")]
    Panicked,
}

/// Serves until Ctrl-C or SIGTERM, printing the endpoint and WSDL URLs once listening.
pub fn serve(options: ServeOptions) -> Result<(), ServerError> {
    let runtime = runtime()?;
    // A token the user supplied is theirs to know: it is shown masked, so that a CI log does
    // not carry it; only a token made here is printed, as clients need it.
    let supplied = options.control_token.is_some();
    runtime.block_on(async move {
        let bound = bind(options).await?;
        let endpoint = bound.url();
        let api = bound.state.api;
        // A closed standard output (`ecapi serve | head -1`) must not stop the server.
        let mut out = std::io::stdout();
        let _ = writeln!(
            out,
            "ecapi serve: simulated Encore Web API {api} at {endpoint}"
        );
        let _ = writeln!(out, "WSDL: {endpoint}?wsdl");
        if let Some(ca) = &bound.ca_file {
            let _ = writeln!(out, "HTTPS: clients trust the CA in {}", ca.display());
        }
        if !bound.guard.control {
            let _ = writeln!(out, "Control interface: off");
        } else if let Some(token) = &bound.guard.token {
            let (token, how) = if supplied {
                (crate::secrets::MASK, "as given")
            } else {
                (token.as_str(), "made at start")
            };
            let _ = writeln!(
                out,
                "Control token: {token} ({how}; clients: --control-token or ECAPI_CONTROL_TOKEN)"
            );
        }
        let _ = writeln!(out, "Stop with Ctrl-C.");
        let _ = out.flush();
        run(bound, shutdown_signal()).await
    })
}

/// A server running in this process on its own thread, for tests, benchmarks and embedding.
/// Dropping it stops the server.
#[derive(Debug)]
pub struct Running {
    addr: SocketAddr,
    scheme: &'static str,
    path: String,
    control_token: Option<String>,
    simulator: Arc<Mutex<Embedded>>,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<thread::JoinHandle<Result<(), ServerError>>>,
}

/// Starts a server on its own thread and returns once it is listening, with the bound address (so
/// `listen` may use port 0).
pub fn start(options: ServeOptions) -> Result<Running, ServerError> {
    let (ready_tx, ready_rx) = std::sync::mpsc::channel();
    let (stop_tx, stop_rx) = oneshot::channel::<()>();
    let thread = thread::Builder::new()
        .name("ecapi-serve".to_string())
        .spawn(move || -> Result<(), ServerError> {
            let runtime = match runtime() {
                Ok(rt) => rt,
                Err(e) => {
                    let _ = ready_tx.send(Err(e));
                    return Ok(());
                }
            };
            runtime.block_on(async move {
                let bound = match bind(options).await {
                    Ok(bound) => bound,
                    Err(e) => {
                        let _ = ready_tx.send(Err(e));
                        return Ok(());
                    }
                };
                let _ = ready_tx.send(Ok(Running {
                    addr: bound.addr,
                    scheme: bound.scheme(),
                    path: bound.state.names.path.clone(),
                    control_token: bound.guard.token.clone(),
                    simulator: bound.state.simulator.clone(),
                    stop: None,
                    thread: None,
                }));
                run(bound, async {
                    let _ = stop_rx.await;
                })
                .await
            })
        })
        .map_err(ServerError::Runtime)?;
    match ready_rx.recv() {
        Ok(Ok(mut running)) => {
            running.stop = Some(stop_tx);
            running.thread = Some(thread);
            Ok(running)
        }
        Ok(Err(e)) => {
            let _ = thread.join();
            Err(e)
        }
        Err(_) => Err(match thread.join() {
            Ok(Err(e)) => e,
            _ => ServerError::Panicked,
        }),
    }
}

impl Running {
    /// The address the server listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The endpoint's URL, e.g. `http://127.0.0.1:40123/WebAPI/ECAPI.svc` (`https://` when
    /// serving HTTPS).
    pub fn url(&self) -> String {
        format!("{}://{}{}", self.scheme, self.addr, self.path)
    }

    /// The token the control interface requires, if it requires one.
    pub fn control_token(&self) -> Option<&str> {
        self.control_token.as_deref()
    }

    /// The simulator being served (as the embedded backend it is wrapped in), e.g. to inspect its
    /// state after a test.
    pub fn simulator(&self) -> Arc<Mutex<Embedded>> {
        self.simulator.clone()
    }

    /// Stops the server and waits for it.
    pub fn stop(mut self) -> Result<(), ServerError> {
        self.shutdown()
    }

    fn shutdown(&mut self) -> Result<(), ServerError> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        match self.thread.take() {
            Some(thread) => thread.join().map_err(|_| ServerError::Panicked)?,
            None => Ok(()),
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.shutdown();
    }
}

fn runtime() -> Result<tokio::runtime::Runtime, ServerError> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("ecapi-serve-worker")
        .build()
        .map_err(ServerError::Runtime)
}

/// A server bound to its address, ready to run.
struct Bound {
    listener: tokio::net::TcpListener,
    addr: SocketAddr,
    state: Arc<handler::AppState>,
    guard: Arc<guard::Guard>,
    front: Arc<front::Front>,
    /// The CA file clients trust, with `--tls-self-signed`.
    ca_file: Option<std::path::PathBuf>,
}

impl Bound {
    fn scheme(&self) -> &'static str {
        if self.front.listener.tls.is_some() {
            "https"
        } else {
            "http"
        }
    }

    fn url(&self) -> String {
        format!("{}://{}{}", self.scheme(), self.addr, self.state.names.path)
    }
}

async fn bind(mut options: ServeOptions) -> Result<Bound, ServerError> {
    let listener = tokio::net::TcpListener::bind(&options.listen)
        .await
        .map_err(|source| ServerError::Bind {
            listen: options.listen.clone(),
            source,
        })?;
    let bound = listener.local_addr().map_err(ServerError::Serve)?;
    // Beyond loopback, anyone on the network may reach the server: the control interface needs
    // a token and player links a key.
    let exposed = !bound.ip().is_loopback();
    let token = match options.control_token.take() {
        Some(token) => Some(token),
        None if options.control && (exposed || options.require_control_token) => {
            Some(secret::random_token().map_err(ServerError::Token)?)
        }
        None => None,
    };
    let link_keys = (exposed || options.key_player_links)
        .then(|| match &token {
            Some(token) => Ok(secret::LinkKeys::new(token)),
            None => secret::random_token().map(|s| secret::LinkKeys::new(&s)),
        })
        .transpose()
        .map_err(ServerError::Token)?;
    let log = options
        .log
        .then(|| Arc::new(log::RequestLog::stderr(options.log_format)));
    let guard = Arc::new(guard::Guard {
        control: options.control,
        token,
        link_keys,
        hosts: guard::Hosts::new(&options.listen, bound.ip()),
        log: log.clone(),
    });

    let listen_host = {
        let host = options.listen.rsplit_once(':').map_or("", |(h, _)| h);
        host.trim_start_matches('[')
            .trim_end_matches(']')
            .to_string()
    };
    let (tls, ca_file) = match &options.tls {
        None => (None, None),
        Some(source) => {
            let mut hosts = Vec::new();
            if !listen_host.is_empty() && !bound.ip().is_unspecified() {
                hosts.push(listen_host.clone());
            }
            let acceptor = tls::acceptor(source, &hosts).map_err(ServerError::Tls)?;
            let ca = match source {
                TlsSource::SelfSigned(dir) => Some(dir.join(CA_FILE)),
                TlsSource::Files { .. } => None,
            };
            (Some(acceptor), ca)
        }
    };
    let scheme = if tls.is_some() { "https" } else { "http" };

    // GetURL links open the player page served here, unless the configuration names a player.
    let mut addr = bound;
    if addr.ip().is_unspecified() {
        // A link to 0.0.0.0 or [::] names no host a browser can open; this machine can.
        addr.set_ip(match addr {
            SocketAddr::V4(_) => std::net::Ipv4Addr::LOCALHOST.into(),
            SocketAddr::V6(_) => std::net::Ipv6Addr::LOCALHOST.into(),
        });
    }
    let base = format!("{scheme}://{addr}");
    let signer = guard.link_keys.as_ref().map(|k| k.signer(None));
    match &signer {
        Some(signer) => {
            options
                .simulator
                .sign_own_player_links(&base, signer.clone());
        }
        None => options.simulator.default_url_player(&base),
    }
    let offered = options
        .sessions
        .take()
        .map(|s| Arc::new(sessions::Sessions::new(s, base, guard.link_keys.clone())));
    let on_closed = log.clone().map(|log| -> crate::listener::OnClosed {
        Arc::new(move |peer, what: &str| log.connection(peer, &what))
    });
    let limits = options.limits;
    let body_limit = options.body_limit;
    let basic_auth = options.basic_auth.clone();
    let mut state = handler::AppState::new(options, log.clone());
    state.sessions = offered;
    let state = Arc::new(state);
    let front = Arc::new(front::Front {
        listener: Arc::new(crate::listener::Front {
            limits,
            tls,
            on_closed,
        }),
        body_limit,
        basic_auth,
        log,
        endpoint: state.clone(),
    });
    Ok(Bound {
        listener,
        addr: bound,
        state,
        guard,
        front,
        ca_file,
    })
}

async fn run(
    bound: Bound,
    stop: impl Future<Output = ()> + Send + 'static,
) -> Result<(), ServerError> {
    let router = handler::router(bound.state, bound.guard);
    let front = bound.front;
    let connections = front.listener.clone();
    let service = move |request, peer| {
        let (front, router) = (front.clone(), router.clone());
        async move {
            Ok::<_, std::convert::Infallible>(front::handle(front, router, peer, request).await)
        }
    };
    crate::listener::run(bound.listener, connections, service, stop).await;
    Ok(())
}

async fn shutdown_signal() {
    crate::shutdown::requested().await;
    let _ = writeln!(std::io::stderr(), "ecapi serve: shutting down");
}
