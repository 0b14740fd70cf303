//! `ecapi serve`: the simulator as a SOAP endpoint, answering any CRM as if it were Encore.
//!
//! This is the only module that names the HTTP server crate (axum over hyper) and it owns its tokio
//! runtime, so nothing above it is async. The simulator stays a synchronous state machine behind a
//! mutex: a request holds the lock only while the simulator answers, and injected latency is waited
//! out after the lock is released, so a slow operation never stalls other clients.
//!
//! Bytes become an [`crate::api::Request`] in [`crate::soap::read_request`] (as a WCF service
//! reads them, with notes) and a response becomes
//! bytes in [`crate::soap::encode_response`]; this module only adds HTTP: content type, body limit,
//! status codes, the WSDL route, the URL player page ([`url_player`]), logging and shutdown.

mod handler;
mod sessions;
mod url_player;

use std::future::Future;
use std::io::Write;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use tokio::sync::oneshot;

use crate::client::Embedded;
use crate::simulator::Simulator;
use crate::soap::Names;

pub use handler::DEFAULT_BODY_LIMIT;
pub use sessions::{
    SessionOptions, SimulatorFactory, DEFAULT_MAX_SESSIONS, DEFAULT_SESSION_IDLE, SESSIONS_PREFIX,
};

/// How long shutdown waits for requests in flight before closing their connections.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// What to serve, and where.
#[derive(Debug)]
pub struct ServeOptions {
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
}

impl ServeOptions {
    /// Options with the default names, WCF's default limits (65,536 bytes, 8,192 characters, 32
    /// levels), the strict reading and logging on.
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
    /// The server thread ended abnormally.
    #[error("the server thread panicked")]
    Panicked,
}

/// Serves until Ctrl-C or SIGTERM, printing the endpoint and WSDL URLs once listening.
pub fn serve(options: ServeOptions) -> Result<(), ServerError> {
    let runtime = runtime()?;
    runtime.block_on(async move {
        let (listener, state) = bind(options).await?;
        let addr = listener.local_addr().map_err(ServerError::Serve)?;
        let endpoint = format!("http://{addr}{}", state.names.path);
        let api = state.api;
        // A closed standard output (`ecapi serve | head -1`) must not stop the server.
        let mut out = std::io::stdout();
        let _ = writeln!(
            out,
            "ecapi serve: simulated Encore Web API {api} at {endpoint}"
        );
        let _ = writeln!(out, "WSDL: {endpoint}?wsdl");
        let _ = writeln!(out, "Stop with Ctrl-C.");
        let _ = out.flush();
        run(listener, state, shutdown_signal()).await
    })
}

/// A server running in this process on its own thread, for tests, benchmarks and embedding.
/// Dropping it stops the server.
#[derive(Debug)]
pub struct Running {
    addr: SocketAddr,
    path: String,
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
                let (listener, state) = match bind(options).await {
                    Ok(bound) => bound,
                    Err(e) => {
                        let _ = ready_tx.send(Err(e));
                        return Ok(());
                    }
                };
                let addr = listener.local_addr().map_err(ServerError::Serve);
                let info = addr.map(|a| (a, state.names.path.clone(), state.simulator.clone()));
                let _ = ready_tx.send(info);
                run(listener, state, async {
                    let _ = stop_rx.await;
                })
                .await
            })
        })
        .map_err(ServerError::Runtime)?;
    match ready_rx.recv() {
        Ok(Ok((addr, path, simulator))) => Ok(Running {
            addr,
            path,
            simulator,
            stop: Some(stop_tx),
            thread: Some(thread),
        }),
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

    /// The endpoint's URL, e.g. `http://127.0.0.1:40123/WebAPI/ECAPI.svc`.
    pub fn url(&self) -> String {
        format!("http://{}{}", self.addr, self.path)
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

async fn bind(
    mut options: ServeOptions,
) -> Result<(tokio::net::TcpListener, Arc<handler::AppState>), ServerError> {
    let listener = tokio::net::TcpListener::bind(&options.listen)
        .await
        .map_err(|source| ServerError::Bind {
            listen: options.listen.clone(),
            source,
        })?;
    // GetURL links open the player page served here, unless the configuration names a player.
    let mut addr = listener.local_addr().map_err(ServerError::Serve)?;
    if addr.ip().is_unspecified() {
        // A link to 0.0.0.0 or [::] names no host a browser can open; this machine can.
        addr.set_ip(match addr {
            SocketAddr::V4(_) => std::net::Ipv4Addr::LOCALHOST.into(),
            SocketAddr::V6(_) => std::net::Ipv6Addr::LOCALHOST.into(),
        });
    }
    let base = format!("http://{addr}");
    options.simulator.default_url_player(&base);
    let sessions = options
        .sessions
        .take()
        .map(|s| Arc::new(sessions::Sessions::new(s, base)));
    let mut state = handler::AppState::new(options);
    state.sessions = sessions;
    Ok((listener, Arc::new(state)))
}

async fn run(
    listener: tokio::net::TcpListener,
    state: Arc<handler::AppState>,
    stop: impl Future<Output = ()> + Send + 'static,
) -> Result<(), ServerError> {
    use axum::serve::ListenerExt;
    let router = handler::router(state);
    // Requests and answers are small and synchronous: send each segment at once.
    let listener = listener.tap_io(|tcp| {
        let _ = tcp.set_nodelay(true);
    });
    let stopping = Arc::new(tokio::sync::Notify::new());
    let notify = stopping.clone();
    let server = axum::serve(
        listener,
        router.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(async move {
        stop.await;
        notify.notify_one();
    });
    // Graceful shutdown waits for requests in flight; a client that never finishes its request
    // must not keep the server alive, so the wait is bounded.
    tokio::select! {
        result = server => result.map_err(ServerError::Serve),
        _ = async { stopping.notified().await; tokio::time::sleep(SHUTDOWN_GRACE).await } => Ok(()),
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut term) => {
                term.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
    let _ = writeln!(std::io::stderr(), "ecapi serve: shutting down");
}
