//! The SOAP client: the [`Transport`] for real Encore servers (and `ecapi serve`), over HTTP or
//! HTTPS.
//!
//! A call (a Web API request) goes out on a kept-alive connection of the client's own
//! ([`super::connection`]), written and read by the calling thread itself: one `write` of the
//! request, blocking reads of the answer, no hand-over to another thread and no runtime in between
//! (a hand-over to a runtime's worker and back, two thread wake-ups a call, was most of a call's
//! cost). Each clone has its own connection, so threads calling side by side (`ecapi load`'s
//! agents, `ecapi test`'s sessions) never wait for each other. The call watches the run's
//! [`Cancel`]: a request in flight is abandoned within [`super::cancel::POLL`] when the run is
//! stopped, and its connection closed. TLS is rustls; `--ca-cert` adds a trusted root and
//! `--insecure` turns certificate checks off. When the environment names an HTTP proxy
//! (`HTTP_PROXY`, `HTTPS_PROXY`, `ALL_PROXY`), calls go through reqwest instead, which honours it;
//! a redirect's new address is asked through reqwest too ([`Http::follow`]).
//!
//! What is not a call (the WSDL and the documents it imports, a served simulator's control
//! interface) goes through one reqwest client, whose pool's connections are driven by a
//! single-threaded tokio runtime on the calling thread ([`Http::with_own_pool`] gives a thread a
//! pool of its own, [`Http::for_many_threads`] one driven by worker threads).
//!
//! On connect the client reads the server's WSDL (wire.md, "The client") to learn the contract, the
//! API version the server speaks and the operations it offers. When the WSDL or any document it
//! imports cannot be had (refused, timed out, an HTTP error, not XML), it falls back to the
//! defaults and says which document failed and why ([`Transport::warnings`]). All XML work is in
//! [`crate::soap`]; this module maps HTTP outcomes to [`TransportError`]s a user can act on.

use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use reqwest::header::{HeaderValue, CONTENT_TYPE};
use reqwest::{Client, RequestBuilder, Url};

use super::cancel::POLL;
use super::connection::{Connection, Failure, Origin, RawAnswer};
use super::control::{self, Command, CONTROL_SUFFIX, CONTROL_TOKEN_HEADER, SIMULATOR_HEADER};
use super::{
    Cancel, ControlError, Exchange, SimControl, Stopped, Trace, Transport, TransportError,
};
use crate::api::{ApiVersion, Operation, Request};
use crate::soap::{self, Contract, ContractSource, FetchError, Names, OperationShape, SoapError};

/// The default time to establish a connection.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// The default time for a whole request, from sending to having read the answer.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// How much of an unexpected body an error shows.
const BODY_START: usize = 300;

/// How to reach a server.
#[derive(Debug, Clone)]
pub struct HttpOptions {
    /// The endpoint, e.g. `https://encore.example.com/WebAPI/ECAPI.svc`; user information in the
    /// URL (`https://user:password@host/...`) is used for basic authentication.
    pub url: String,
    /// The API version to speak, when the user chose one (`--api`); `None` takes the version the
    /// server's WSDL describes (7.1 when the WSDL cannot be read).
    pub api: Option<ApiVersion>,
    /// A PEM file with a CA certificate to trust besides the built-in roots.
    pub ca_cert: Option<PathBuf>,
    /// Accept any server certificate (testing only).
    pub insecure: bool,
    /// The basic authentication user (overrides the URL's).
    pub user: Option<String>,
    /// The basic authentication password (overrides the URL's).
    pub password: Option<String>,
    /// The token an `ecapi serve`'s control interface requires (beyond loopback, or when it was
    /// started with `--control-token`), sent in the `x-ecapi-control-token` header.
    pub control_token: Option<String>,
    /// The time to establish a connection.
    pub connect_timeout: Duration,
    /// The time for a whole request (each WSDL document included).
    pub timeout: Duration,
}

impl HttpOptions {
    /// Options for an endpoint with the server's API version, no authentication and the default
    /// timeouts.
    pub fn new(url: impl Into<String>) -> HttpOptions {
        HttpOptions {
            url: url.into(),
            api: None,
            ca_cert: None,
            insecure: false,
            user: None,
            password: None,
            control_token: None,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            timeout: DEFAULT_TIMEOUT,
        }
    }
}

/// The content type of every SOAP 1.1 request.
const SOAP_CONTENT_TYPE: HeaderValue = HeaderValue::from_static("text/xml; charset=utf-8");

/// A SOAP client for one endpoint. Clones share one connection pool and its runtime; clones used
/// on several threads at once take turns driving it (tokio's single-threaded runtime lets one
/// waiting thread drive while the others wait for their answers), so threads that make many calls
/// side by side do better with [`Http::with_own_pool`] or [`Http::for_many_threads`].
#[derive(Debug, Clone)]
pub struct Http {
    /// Drives the pool's connections: on the thread that waits for an answer (`block_on`), or on
    /// worker threads ([`Http::for_many_threads`]).
    runtime: Arc<tokio::runtime::Runtime>,
    client: Client,
    /// What the client was built from, for [`Http::with_own_pool`].
    options: Arc<HttpOptions>,
    url: Url,
    auth: Option<(String, String)>,
    control_token: Option<String>,
    api: ApiVersion,
    contract: Contract,
    /// The operations and the API version the server's WSDL describes; `None` when it could not
    /// be read.
    offered: Option<(Vec<Operation>, ApiVersion)>,
    /// What the user should know about the set-up.
    warnings: Vec<String>,
    /// What a served simulator said it is (`hosted 7.1`); `None` for a real server.
    simulator: Option<String>,
    connect_timeout: Duration,
    timeout: Duration,
    trace: bool,
    /// The trace of the last call, when it failed.
    failed_trace: Option<Trace>,
    cancel: Cancel,
    /// Where calls go on the client's own connection; `None` when they go through reqwest (an
    /// HTTP proxy named by the environment).
    endpoint: Option<Arc<Endpoint>>,
    /// This clone's kept-alive connection for calls.
    kept: Kept,
}

/// The endpoint as calls reach it: where to connect, and the fixed parts of a call's head.
#[derive(Debug)]
struct Endpoint {
    origin: Origin,
    /// From the request line to the SOAPAction's opening quote.
    head: String,
    /// From the SOAPAction's closing quote to `content-length: `.
    tail: String,
}

impl Endpoint {
    /// The endpoint at `url` (no user information), with the client's credentials and TLS.
    fn new(
        url: &Url,
        auth: Option<&(String, String)>,
        tls: Option<&Arc<rustls::ClientConfig>>,
    ) -> Option<Endpoint> {
        use base64::Engine as _;
        let host = url.host_str()?.to_string();
        let port = url.port_or_known_default()?;
        let tls = match (url.scheme(), tls) {
            ("https", Some(config)) => {
                let bare = host.trim_start_matches('[').trim_end_matches(']');
                let name = rustls::pki_types::ServerName::try_from(bare.to_string()).ok()?;
                Some((config.clone(), name))
            }
            ("http", _) => None,
            _ => return None,
        };
        let mut target = url.path().to_string();
        if let Some(query) = url.query() {
            target.push('?');
            target.push_str(query);
        }
        // The head reqwest wrote before (hyper's lower-case names, in its order), byte for byte.
        let mut head = format!("POST {target} HTTP/1.1\r\n");
        if let Some((user, password)) = auth {
            let token =
                base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
            head.push_str(&format!("authorization: Basic {token}\r\n"));
        }
        head.push_str("content-type: text/xml; charset=utf-8\r\nsoapaction: \"");
        let shown_host = match url.port() {
            Some(port) => format!("{host}:{port}"),
            None => host.clone(),
        };
        let tail = format!(
            "\"\r\naccept: */*\r\nuser-agent: ecapi/{}\r\nhost: {shown_host}\r\ncontent-length: ",
            env!("CARGO_PKG_VERSION")
        );
        Some(Endpoint {
            origin: Origin { host, port, tls },
            head,
            tail,
        })
    }

    /// A call's request: head and body.
    fn request(&self, action: &str, body: &str) -> Vec<u8> {
        let mut length = itoa::Buffer::new();
        let length = length.format(body.len());
        let mut out =
            Vec::with_capacity(self.head.len() + action.len() + self.tail.len() + 24 + body.len());
        out.extend_from_slice(self.head.as_bytes());
        out.extend_from_slice(action.as_bytes());
        out.extend_from_slice(self.tail.as_bytes());
        out.extend_from_slice(length.as_bytes());
        out.extend_from_slice(b"\r\n\r\n");
        out.extend_from_slice(body.as_bytes());
        out
    }
}

/// A clone's connection: clones start without one, so that no two threads share a socket.
#[derive(Debug, Default)]
struct Kept(Option<Connection>);

impl Clone for Kept {
    fn clone(&self) -> Kept {
        Kept(None)
    }
}

/// Whether the environment names an HTTP proxy, which reqwest (and so the client before it had a
/// call path of its own) honours.
fn environment_proxy() -> bool {
    [
        "HTTP_PROXY",
        "http_proxy",
        "HTTPS_PROXY",
        "https_proxy",
        "ALL_PROXY",
        "all_proxy",
    ]
    .iter()
    .any(|name| std::env::var_os(name).is_some_and(|v| !v.is_empty()))
}

/// How an exchange ended below the SOAP level.
enum Ending {
    /// The run was stopped.
    Stopped(Stopped),
    /// The HTTP layer failed; the status, when it had come.
    Http(reqwest::Error, Option<u16>),
    /// The call's own connection failed.
    Wire(Failure),
}

/// An answer read whole: status, the headers the client reads, the body.
struct Answer {
    status: u16,
    content_type: Option<String>,
    /// A served simulator's reason for a non-100 answer.
    reason: Option<String>,
    /// What a served simulator says it is.
    simulator: Option<String>,
    /// The `WWW-Authenticate` challenge of a 401.
    challenge: Option<String>,
    /// The body, its content coding (gzip, deflate) undone.
    body: Vec<u8>,
    /// Why the body's content coding could not be undone (the body is then as it came).
    coding_error: Option<String>,
}

/// The most a coded answer may decode to (16 MiB), far beyond any Web API answer or WSDL.
const MAX_DECODED: usize = 16 * 1024 * 1024;

impl Http {
    /// Builds the client and reads the server's WSDL. Fails when the server cannot be reached at
    /// all; a WSDL that cannot be fetched or read only makes the client use the default contract
    /// (and say so in [`Transport::warnings`]).
    pub fn connect(options: HttpOptions) -> Result<Http, TransportError> {
        let mut url = Url::parse(options.url.trim()).map_err(|e| TransportError::Http {
            url: options.url.clone(),
            detail: format!("not a URL: {e}"),
        })?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(TransportError::Http {
                url: options.url.clone(),
                detail: format!("the scheme must be http or https, not {}", url.scheme()),
            });
        }
        let url_user = percent_decode(url.username());
        let url_password = url.password().map(percent_decode);
        let user = options
            .user
            .clone()
            .or((!url_user.is_empty()).then_some(url_user));
        let password = options.password.clone().or(url_password);
        let auth = user.map(|u| (u, password.unwrap_or_default()));
        // Credentials travel in the Authorization header, never in the URL shown or logged.
        let _ = url.set_username("");
        let _ = url.set_password(None);
        let shown = url.to_string();

        let (client, runtime) = client_for(&options, &shown, Driver::CallingThread)?;
        let endpoint = if environment_proxy() {
            None
        } else {
            let tls = match url.scheme() {
                "https" => Some(tls_config(&options, &shown)?),
                _ => None,
            };
            Endpoint::new(&url, auth.as_ref(), tls.as_ref()).map(Arc::new)
        };

        let api = options.api.unwrap_or_default();
        let mut http = Http {
            runtime,
            client,
            options: Arc::new(options.clone()),
            url,
            auth,
            control_token: options.control_token.clone(),
            api,
            contract: Contract::defaults(api, &Names::default()),
            offered: None,
            warnings: Vec::new(),
            simulator: None,
            connect_timeout: options.connect_timeout,
            timeout: options.timeout,
            trace: false,
            failed_trace: None,
            cancel: Cancel::default(),
            endpoint,
            kept: Kept::default(),
        };
        http.learn_contract(options.api)?;
        Ok(http)
    }

    /// The contract in use: from the server's WSDL, or the defaults.
    pub fn contract(&self) -> &Contract {
        &self.contract
    }

    /// The same client (endpoint, contract, settings) with a connection pool and runtime of its
    /// own for what is not a call (control commands), for a thread that works alongside others (a
    /// test of `ecapi test` in its session); every clone has its own connection for calls anyway.
    /// The WSDL is not read again. Fails only when the runtime cannot start (no file descriptors
    /// left).
    pub fn with_own_pool(&self) -> Result<Http, TransportError> {
        self.rebuilt(Driver::CallingThread)
    }

    /// The same client with a pool driven by two worker threads, for many threads sending control
    /// commands at once (`ecapi load`'s agents, whose clones all share it; their calls go out on
    /// each clone's own connection): the workers read every connection's answers, and a waiting
    /// thread is woken when its own has come. Fails only when the runtime cannot start.
    pub fn for_many_threads(&self) -> Result<Http, TransportError> {
        self.rebuilt(Driver::Workers(2))
    }

    /// This client with a new pool and runtime.
    fn rebuilt(&self, driver: Driver) -> Result<Http, TransportError> {
        let (client, runtime) = client_for(&self.options, self.url.as_str(), driver)?;
        let mut own = self.clone();
        own.client = client;
        own.runtime = runtime;
        own.warnings = Vec::new();
        own.failed_trace = None;
        Ok(own)
    }

    /// Runs a future on the client's runtime until it ends or the run is stopped.
    fn wait<T>(&self, future: impl Future<Output = T>) -> Result<T, Stopped> {
        self.cancel.check()?;
        let cancel = &self.cancel;
        self.runtime.block_on(async move {
            tokio::pin!(future);
            loop {
                tokio::select! {
                    out = &mut future => return Ok(out),
                    _ = tokio::time::sleep(POLL) => cancel.check()?,
                }
            }
        })
    }

    /// Sends a request and reads its answer whole.
    fn exchange(&self, builder: RequestBuilder) -> Result<Answer, Ending> {
        let answer = self.wait(async move {
            let sent = builder.send().await.map_err(|e| (e, None))?;
            let status = sent.status().as_u16();
            let header = |name: &str| {
                sent.headers()
                    .get(name)
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_string)
            };
            let content_type = header("content-type");
            let reason = header(super::REASON_HEADER);
            let simulator = header(SIMULATOR_HEADER);
            let challenge = header("www-authenticate");
            let coding = header("content-encoding");
            let body = sent.bytes().await.map_err(|e| (e, Some(status)))?;
            let (body, coding_error) =
                match super::content_encoding::decode(coding.as_deref(), &body, MAX_DECODED) {
                    Ok(decoded) => (decoded.into_owned(), None),
                    Err(e) => (body.to_vec(), Some(e.to_string())),
                };
            Ok(Answer {
                status,
                content_type,
                reason,
                simulator,
                challenge,
                body,
                coding_error,
            })
        });
        match answer {
            Err(stopped) => Err(Ending::Stopped(stopped)),
            Ok(Err((e, status))) => Err(Ending::Http(e, status)),
            Ok(Ok(answer)) => Ok(answer),
        }
    }

    /// Sends a call on this clone's kept-alive connection (opening one when there is none or the
    /// server closed it) and reads its answer whole, by the request's timeout; a redirect is
    /// followed ([`Http::follow`]).
    fn call_exchange(
        &mut self,
        endpoint: &Endpoint,
        action: &str,
        body: String,
    ) -> Result<Answer, Ending> {
        self.cancel.check().map_err(Ending::Stopped)?;
        let request = endpoint.request(action, &body);
        let deadline = Instant::now() + self.timeout;
        let mut kept = self.kept.0.take();
        if kept.as_mut().is_some_and(Connection::is_stale) {
            kept = None;
        }
        let mut connection = match kept {
            Some(kept) => kept,
            None => Connection::open(
                &endpoint.origin,
                self.connect_timeout.min(self.timeout),
                &self.cancel,
            )
            .map_err(ending)?,
        };
        let (raw, keep) = connection
            .exchange(&request, deadline, &self.cancel)
            .map_err(ending)?;
        if keep {
            self.kept.0 = Some(connection);
        }
        if let (301 | 302 | 303 | 307 | 308, Some(location)) = (raw.status, &raw.location) {
            return self.follow(raw.status, location, action, body);
        }
        Ok(answer_of(raw))
    }

    /// Follows a call's redirect as the client always has (reqwest's policy, up to ten): 307 and
    /// 308 send the request again to the new address, 301, 302 and 303 ask it with a GET and no
    /// body; the credentials go only to the endpoint's own origin.
    fn follow(
        &self,
        status: u16,
        location: &str,
        action: &str,
        body: String,
    ) -> Result<Answer, Ending> {
        let target = match self.url.join(location) {
            Ok(target) => target,
            // An address reqwest could not follow either: the redirect is the answer.
            Err(_) => {
                return Ok(Answer {
                    status,
                    content_type: None,
                    reason: None,
                    simulator: None,
                    challenge: None,
                    body: Vec::new(),
                    coding_error: None,
                })
            }
        };
        let same_origin = target.origin() == self.url.origin();
        let builder = if matches!(status, 307 | 308) {
            self.client
                .post(target)
                .header(CONTENT_TYPE, SOAP_CONTENT_TYPE)
                .header("SOAPAction", format!("\"{action}\""))
                .body(body)
        } else {
            self.client
                .get(target)
                .header("SOAPAction", format!("\"{action}\""))
        };
        let builder = if same_origin {
            self.with_auth(builder)
        } else {
            builder
        };
        self.exchange(builder)
    }

    fn learn_contract(&mut self, explicit: Option<ApiVersion>) -> Result<(), TransportError> {
        let mut wsdl_url = self.url.clone();
        wsdl_url.set_query(Some("wsdl"));
        let mut unreachable: Option<TransportError> = None;
        let mut simulator: Option<String> = None;
        let result = {
            let mut fetch = |base: Option<&str>, location: &str| {
                let base_url = base.and_then(|b| Url::parse(b).ok());
                let mut target = match &base_url {
                    Some(b) => b.join(location),
                    None => Url::parse(location),
                }
                .map_err(|e| FetchError::from(format!("bad location `{location}`: {e}")))?;
                // A service behind a TLS terminator writes its imports' addresses with its own
                // scheme (http) at the public host and port. One port speaks one protocol, so an
                // import at the importing document's host and port takes that document's scheme.
                if let Some(b) = &base_url {
                    if target.scheme() != b.scheme()
                        && target.host_str() == b.host_str()
                        && target.port_or_known_default() == b.port_or_known_default()
                    {
                        let port = target.port_or_known_default();
                        if target.set_scheme(b.scheme()).is_ok() {
                            let _ = target.set_port(port);
                        }
                    }
                }
                let failed = |detail: String| FetchError {
                    url: Some(target.to_string()),
                    detail,
                };
                let answer = match self.exchange(self.with_auth(self.client.get(target.clone()))) {
                    Ok(answer) => answer,
                    Err(Ending::Stopped(s)) => return Err(failed(s.to_string())),
                    Err(ending @ (Ending::Http(..) | Ending::Wire(_))) => {
                        let error = self.ending_error(ending);
                        let text = match &error {
                            TransportError::Timeout { seconds, .. } => {
                                format!("no answer within {seconds} s")
                            }
                            TransportError::Connect { detail, .. }
                            | TransportError::Tls { detail, .. }
                            | TransportError::Http { detail, .. } => detail.clone(),
                            other => other.to_string(),
                        };
                        // Only the endpoint itself being out of reach fails the connection.
                        if base.is_none() {
                            unreachable = Some(error);
                        }
                        return Err(failed(text));
                    }
                };
                if base.is_none() {
                    simulator = answer.simulator;
                }
                if answer.status == 401 {
                    return Err(failed(
                        "HTTP 401, authentication failed (--user and --password)".to_string(),
                    ));
                }
                if !(200..300).contains(&answer.status) {
                    return Err(failed(format!(
                        "HTTP {}, {}",
                        answer.status,
                        body_start(&answer.body)
                    )));
                }
                if let Some(e) = answer.coding_error {
                    return Err(failed(e));
                }
                let (text, _) = soap::to_utf8(&answer.body, answer.content_type.as_deref())
                    .map_err(|e| failed(e.to_string()))?;
                Ok((target.to_string(), text.into_owned()))
            };
            soap::read_wsdl(wsdl_url.as_str(), &mut fetch)
        };
        self.simulator = simulator;
        match result {
            Ok(server) => {
                let described = server.api();
                self.api = explicit.unwrap_or(described);
                if explicit.is_some_and(|api| api != described) {
                    self.warnings.push(format!(
                        "--api {} contradicts the server's WSDL at {}, which describes API \
                         {described}; requests are made in API {} as asked",
                        self.api,
                        server.url(),
                        self.api
                    ));
                }
                self.contract = server.contract(self.api);
                self.offered = Some((server.offered(), described));
                Ok(())
            }
            // A server that cannot be reached, or whose TLS fails, is an error now rather than at
            // the first call.
            Err(_)
                if matches!(
                    unreachable,
                    Some(TransportError::Connect { .. }) | Some(TransportError::Tls { .. })
                ) =>
            {
                Err(unreachable.expect("matched"))
            }
            Err(e) => {
                self.api = explicit.unwrap_or_default();
                let mut contract = Contract::defaults(self.api, &Names::default());
                contract.source = ContractSource::DefaultsBecause(format!("WSDL not used: {e}"));
                self.contract = contract;
                self.warnings.push(format!(
                    "the server's WSDL could not be used ({e}); using the default contract of API {}",
                    self.api
                ));
                Ok(())
            }
        }
    }

    fn with_auth(&self, builder: RequestBuilder) -> RequestBuilder {
        match &self.auth {
            Some((user, password)) => builder.basic_auth(user, Some(password)),
            None => builder,
        }
    }

    fn transport_error(&self, e: reqwest::Error) -> TransportError {
        let url = self.url.to_string();
        let chain = error_chain(&e);
        let lower = chain.to_ascii_lowercase();
        let tls = [
            "tls",
            "certificate",
            "handshake",
            "corrupt message",
            "rustls",
        ]
        .iter()
        .any(|w| lower.contains(w));
        if e.is_timeout() {
            let limit = if e.is_connect() {
                self.connect_timeout
            } else {
                self.timeout
            };
            TransportError::Timeout {
                url,
                seconds: limit.as_secs_f64(),
            }
        } else if tls {
            TransportError::Tls {
                url,
                detail: with_tls_hint(innermost(&e)),
            }
        } else if e.is_connect() {
            TransportError::Connect {
                url,
                detail: innermost(&e),
            }
        } else {
            TransportError::Http { url, detail: chain }
        }
    }

    fn ending_error(&self, ending: Ending) -> TransportError {
        match ending {
            Ending::Stopped(Stopped::Interrupted) => TransportError::Interrupted {
                url: self.url.to_string(),
            },
            Ending::Stopped(s) => TransportError::Stopped(s),
            Ending::Http(e, _) => self.transport_error(e),
            Ending::Wire(failure) => {
                let url = self.url.to_string();
                match failure {
                    Failure::Stopped(Stopped::Interrupted) => TransportError::Interrupted { url },
                    Failure::Stopped(s) => TransportError::Stopped(s),
                    Failure::Connect(e) => TransportError::Connect {
                        url,
                        detail: e.to_string(),
                    },
                    Failure::ConnectTimeout => TransportError::Timeout {
                        url,
                        seconds: self.connect_timeout.min(self.timeout).as_secs_f64(),
                    },
                    Failure::Timeout => TransportError::Timeout {
                        url,
                        seconds: self.timeout.as_secs_f64(),
                    },
                    Failure::Tls(detail) => TransportError::Tls {
                        url,
                        detail: with_tls_hint(detail),
                    },
                    // The words reqwest and hyper gave these failures before.
                    Failure::Head(what) => TransportError::Http {
                        detail: format!(
                            "error sending request for url ({url}): client error (SendRequest): {what}"
                        ),
                        url,
                    },
                    Failure::Body(_, what) => TransportError::Http {
                        url,
                        detail: format!(
                            "error decoding response body: request or response body error: {what}"
                        ),
                    },
                }
            }
        }
    }

    fn not_soap(&self, status: u16, reason: String, body: &[u8]) -> TransportError {
        TransportError::NotSoap {
            url: self.url.to_string(),
            status,
            reason,
            start: body_start(body),
        }
    }
}

/// Which threads drive a pool's connections.
#[derive(Debug, Clone, Copy)]
enum Driver {
    /// The thread waiting for an answer.
    CallingThread,
    /// This many worker threads of their own.
    Workers(usize),
}

/// A client with the options' TLS settings and timeouts, and the runtime that drives its
/// connections. `shown` is the URL for errors.
fn client_for(
    options: &HttpOptions,
    shown: &str,
    driver: Driver,
) -> Result<(Client, Arc<tokio::runtime::Runtime>), TransportError> {
    let mut builder = Client::builder()
        .use_rustls_tls()
        .connect_timeout(options.connect_timeout)
        .timeout(options.timeout)
        .tcp_nodelay(true)
        .user_agent(concat!("ecapi/", env!("CARGO_PKG_VERSION")))
        .danger_accept_invalid_certs(options.insecure);
    if let Some(path) = &options.ca_cert {
        let pem = std::fs::read(path).map_err(|e| TransportError::Tls {
            url: shown.to_string(),
            detail: format!("cannot read the CA certificate {}: {e}", path.display()),
        })?;
        let cert = reqwest::Certificate::from_pem(&pem).map_err(|e| TransportError::Tls {
            url: shown.to_string(),
            detail: format!("{} is not a PEM certificate: {e}", path.display()),
        })?;
        builder = builder.add_root_certificate(cert);
    }
    let client = builder.build().map_err(|e| TransportError::Http {
        url: shown.to_string(),
        detail: error_chain(&e),
    })?;
    let mut builder = match driver {
        // The thread that waits for an answer drives the connection itself (see the module's
        // docs).
        Driver::CallingThread => tokio::runtime::Builder::new_current_thread(),
        Driver::Workers(n) => {
            let mut b = tokio::runtime::Builder::new_multi_thread();
            b.worker_threads(n).thread_name("ecapi-http");
            b
        }
    };
    let runtime = builder
        .enable_all()
        .build()
        .map_err(|e| TransportError::Http {
            url: shown.to_string(),
            detail: format!("cannot start the HTTP client: {e}"),
        })?;
    Ok((client, Arc::new(runtime)))
}

/// The failure of a call's own connection as an [`Ending`].
fn ending(failure: Failure) -> Ending {
    match failure {
        Failure::Stopped(stopped) => Ending::Stopped(stopped),
        other => Ending::Wire(other),
    }
}

/// An answer of a call's own connection, its content coding undone.
fn answer_of(raw: RawAnswer) -> Answer {
    let (body, coding_error) = match super::content_encoding::decode(
        raw.content_encoding.as_deref(),
        &raw.body,
        MAX_DECODED,
    ) {
        Ok(std::borrow::Cow::Borrowed(_)) => (raw.body, None),
        Ok(decoded) => (decoded.into_owned(), None),
        Err(e) => (raw.body, Some(e.to_string())),
    };
    Answer {
        status: raw.status,
        content_type: raw.content_type,
        reason: raw.reason,
        simulator: raw.simulator,
        challenge: raw.challenge,
        body,
        coding_error,
    }
}

/// The TLS configuration of calls: the built-in roots (the ones reqwest trusts) and `--ca-cert`'s,
/// or no certificate checks at all with `--insecure`.
fn tls_config(
    options: &HttpOptions,
    shown: &str,
) -> Result<Arc<rustls::ClientConfig>, TransportError> {
    use rustls::pki_types::pem::PemObject as _;
    use rustls::pki_types::CertificateDer;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let failed = |detail: String| TransportError::Tls {
        url: shown.to_string(),
        detail,
    };
    let builder = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| failed(e.to_string()))?;
    let config = if options.insecure {
        builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(AnyCertificate(provider)))
            .with_no_client_auth()
    } else {
        let mut roots = rustls::RootCertStore {
            roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
        };
        if let Some(path) = &options.ca_cert {
            let pem = std::fs::read(path).map_err(|e| {
                failed(format!(
                    "cannot read the CA certificate {}: {e}",
                    path.display()
                ))
            })?;
            for cert in CertificateDer::pem_slice_iter(&pem) {
                let cert = cert.map_err(|e| {
                    failed(format!("{} is not a PEM certificate: {e}", path.display()))
                })?;
                roots.add(cert).map_err(|e| {
                    failed(format!(
                        "{} is not a usable CA certificate: {e}",
                        path.display()
                    ))
                })?;
            }
        }
        builder.with_root_certificates(roots).with_no_client_auth()
    };
    Ok(Arc::new(config))
}

/// `--insecure`: every server certificate and handshake signature is accepted, as reqwest's
/// `danger_accept_invalid_certs` accepted them.
#[derive(Debug)]
struct AnyCertificate(Arc<rustls::crypto::CryptoProvider>);

impl rustls::client::danger::ServerCertVerifier for AnyCertificate {
    fn verify_server_cert(
        &self,
        _end_entity: &rustls::pki_types::CertificateDer<'_>,
        _intermediates: &[rustls::pki_types::CertificateDer<'_>],
        _server_name: &rustls::pki_types::ServerName<'_>,
        _ocsp_response: &[u8],
        _now: rustls::pki_types::UnixTime,
    ) -> Result<rustls::client::danger::ServerCertVerified, rustls::Error> {
        Ok(rustls::client::danger::ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        _message: &[u8],
        _cert: &rustls::pki_types::CertificateDer<'_>,
        _dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        Ok(rustls::client::danger::HandshakeSignatureValid::assertion())
    }

    fn verify_tls13_signature(
        &self,
        _message: &[u8],
        _cert: &rustls::pki_types::CertificateDer<'_>,
        _dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        Ok(rustls::client::danger::HandshakeSignatureValid::assertion())
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// The start of a body for an error message, or `(empty body)`.
fn body_start(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let start: String = text.trim().chars().take(BODY_START).collect();
    if start.is_empty() {
        "(empty body)".to_string()
    } else {
        start
    }
}

impl Transport for Http {
    fn call(&mut self, request: &Request) -> Result<Exchange, TransportError> {
        self.failed_trace = None;
        let op = request.op();
        if let Some((offered, described)) = &self.offered {
            if !offered.contains(&op) {
                return Err(TransportError::NotOffered {
                    op,
                    url: self.url.to_string(),
                    api: *described,
                });
            }
        }
        request.check(self.api)?;
        let default_shape;
        let shape = match self.contract.shape(op) {
            Some(shape) => shape,
            None => {
                default_shape = OperationShape::default_for(op, self.api, &self.contract.names);
                &default_shape
            }
        };
        let body = soap::encode_request(request, shape);
        let action = shape.action.clone();
        let started = Instant::now();
        // The request's own copy is kept only for a trace.
        let (body, sent) = if self.trace {
            (body.clone(), body)
        } else {
            (String::new(), body)
        };
        let exchanged = match self.endpoint.clone() {
            Some(endpoint) => self.call_exchange(&endpoint, &action, sent),
            None => {
                let builder = self
                    .with_auth(self.client.post(self.url.clone()))
                    .header(CONTENT_TYPE, SOAP_CONTENT_TYPE)
                    .header("SOAPAction", format!("\"{action}\""))
                    .body(sent);
                self.exchange(builder)
            }
        };
        let answer = match exchanged {
            Ok(answer) => answer,
            Err(ending) => {
                // A connection that drops after the status line still shows that status.
                let status = match &ending {
                    Ending::Http(_, status) => status.unwrap_or(0),
                    Ending::Wire(Failure::Body(status, _)) => *status,
                    Ending::Stopped(_) | Ending::Wire(_) => 0,
                };
                let error = self.ending_error(ending);
                if self.trace {
                    let mut trace = Trace::unanswered(&action, &body, error.to_string());
                    trace.status = status;
                    self.failed_trace = Some(trace);
                }
                return Err(error);
            }
        };
        let elapsed = started.elapsed();
        let status = answer.status;
        let decoded = soap::to_utf8(&answer.body, answer.content_type.as_deref());
        let trace = self.trace.then(|| {
            let text = match &decoded {
                Ok((text, _)) => String::from_utf8_lossy(text),
                Err(_) => String::from_utf8_lossy(&answer.body),
            };
            Trace::answered(&action, &body, status, &text)
        });
        let outcome = match decoded {
            _ if answer.coding_error.is_some() => Err(self.not_soap(
                status,
                answer.coding_error.clone().unwrap_or_default(),
                &answer.body,
            )),
            _ if status == 401 => Err(TransportError::Unauthorized {
                url: self.url.to_string(),
                challenge: match (&self.auth, &answer.challenge) {
                    (Some(_), _) => "the credentials given were refused".to_string(),
                    (None, Some(c)) => format!("no credentials were given; it asks for {c}"),
                    (None, None) => "no credentials were given".to_string(),
                },
            }),
            Err(e) => Err(self.not_soap(status, e.to_string(), &answer.body)),
            Ok((text, _)) => match soap::decode_response(&text, op) {
                Ok(response) if status == 200 => Ok(response),
                Ok(_) => Err(self.not_soap(
                    status,
                    "a response envelope with an error status".to_string(),
                    &text,
                )),
                Err(SoapError::Fault(fault)) => Err(TransportError::Fault {
                    code: fault.code(),
                    string: fault.string,
                }),
                Err(e) => {
                    let reason = if status != 200 {
                        format!(
                            "an error page ({})",
                            answer.content_type.as_deref().unwrap_or("")
                        )
                    } else {
                        e.to_string()
                    };
                    Err(self.not_soap(status, reason, &text))
                }
            },
        };
        match outcome {
            Ok(response) => Ok(Exchange {
                response,
                elapsed,
                trace,
                reason: answer.reason,
            }),
            Err(e) => {
                self.failed_trace = trace;
                Err(e)
            }
        }
    }

    fn api(&self) -> ApiVersion {
        self.api
    }

    fn describe(&self) -> String {
        let served = match &self.simulator {
            Some(identity) => format!(", served simulator ({identity})"),
            None => String::new(),
        };
        format!(
            "SOAP client for {}, API {}, {}{served}",
            self.url, self.api, self.contract.source
        )
    }

    fn set_trace(&mut self, on: bool) {
        self.trace = on;
    }

    fn control(&mut self) -> Option<&mut dyn SimControl> {
        if self.simulator.is_some() {
            Some(self)
        } else {
            None
        }
    }

    fn take_trace(&mut self) -> Option<Trace> {
        self.failed_trace.take()
    }

    fn warnings(&self) -> Vec<String> {
        self.warnings.clone()
    }

    fn set_cancel(&mut self, cancel: Cancel) {
        self.cancel = cancel;
    }
}

impl Http {
    /// Whether the server is an `ecapi serve` (it marked its WSDL with [`SIMULATOR_HEADER`]).
    pub fn is_simulator(&self) -> bool {
        self.simulator.is_some()
    }

    /// What a served simulator says it is (`<profile> <api>`, e.g. `recorder 7.1`); `None` for a
    /// real server.
    pub fn simulator_identity(&self) -> Option<&str> {
        self.simulator.as_deref()
    }

    /// The endpoint's URL, without credentials.
    pub fn url(&self) -> &str {
        self.url.as_str()
    }

    /// Asks a served simulator for a session of its own (see `ecapi serve`'s sessions) and returns
    /// a client of the session's endpoint, with this client's settings and contract. Fails on a
    /// real server (no control interface) and when the server refuses (too many sessions). The
    /// session's client has a pool of its own ([`Http::with_own_pool`]): sessions serve tests that
    /// run side by side.
    pub fn open_session(&mut self) -> Result<Http, ControlError> {
        if self.simulator.is_none() {
            return Err(ControlError::Invalid(format!(
                "{} is not an ecapi serve: only a served simulator has sessions",
                self.url
            )));
        }
        let answer = self.command(Command::SessionNew)?;
        let path = answer
            .get("path")
            .and_then(serde_json::Value::as_str)
            .ok_or_else(|| {
                ControlError::Invalid(format!("the server answered {answer} for a new session"))
            })?;
        let mut url = self.url.clone();
        url.set_path(path);
        let session_url = url.clone();
        let session = Http {
            runtime: self.runtime.clone(),
            client: self.client.clone(),
            options: self.options.clone(),
            url,
            auth: self.auth.clone(),
            control_token: self.control_token.clone(),
            api: self.api,
            contract: self.contract.clone(),
            offered: self.offered.clone(),
            warnings: Vec::new(),
            simulator: self.simulator.clone(),
            connect_timeout: self.connect_timeout,
            timeout: self.timeout,
            trace: self.trace,
            failed_trace: None,
            cancel: self.cancel.clone(),
            endpoint: self.endpoint.as_ref().and_then(|e| {
                let tls = e.origin.tls.as_ref().map(|(config, _)| config);
                Endpoint::new(&session_url, self.auth.as_ref(), tls).map(Arc::new)
            }),
            kept: Kept::default(),
        };
        // Without a runtime of its own (no file descriptor left), it shares this one's.
        Ok(session.with_own_pool().unwrap_or(session))
    }

    /// Ends the session this client talks to (a client from [`Http::open_session`]).
    pub fn drop_session(&mut self) -> Result<(), ControlError> {
        self.command(Command::SessionDrop(None)).map(drop)
    }

    /// Sends one command to a served simulator's control interface.
    fn command(&mut self, command: Command) -> Result<serde_json::Value, ControlError> {
        let mut url = self.url.clone();
        url.set_path(&format!("{}{CONTROL_SUFFIX}", self.url.path()));
        let mut builder = self
            .with_auth(self.client.post(url))
            .header("Content-Type", "application/json");
        if let Some(token) = &self.control_token {
            builder = builder.header(CONTROL_TOKEN_HEADER, token);
        }
        let builder = builder.body(command.send_json().to_string());
        let answer = self
            .exchange(builder)
            .map_err(|e| ControlError::Transport(self.ending_error(e)))?;
        match serde_json::from_slice::<serde_json::Value>(&answer.body) {
            Ok(json) if answer.status == 200 => control::read_answer(&json),
            // The guards of `ecapi serve` answer in plain text that says what to do.
            _ if matches!(answer.status, 401 | 403 | 404 | 415 | 421)
                && answer
                    .content_type
                    .as_deref()
                    .is_some_and(|t| t.starts_with("text/plain")) =>
            {
                let text = String::from_utf8_lossy(&answer.body);
                let mut text: String = text.trim().chars().take(400).collect();
                if text.is_empty() {
                    text = "no reason given".to_string();
                }
                Err(ControlError::Refused {
                    url: self.url.to_string(),
                    status: answer.status,
                    text,
                })
            }
            _ => Err(ControlError::Transport(self.not_soap(
                answer.status,
                "not an answer of the simulator's control interface".to_string(),
                &answer.body,
            ))),
        }
    }

    fn list(&mut self, command: Command) -> Result<Vec<serde_json::Value>, ControlError> {
        match self.command(command)? {
            serde_json::Value::Array(items) => Ok(items),
            other => Err(ControlError::Invalid(format!(
                "the simulator answered {other} where a list was expected"
            ))),
        }
    }
}

/// Simulator control over HTTP, offered only when the server is an `ecapi serve`.
impl SimControl for Http {
    fn reset(&mut self) -> Result<(), ControlError> {
        self.command(Command::Reset).map(drop)
    }

    fn advance(&mut self, seconds: f64) -> Result<(), ControlError> {
        self.command(Command::Advance(seconds)).map(drop)
    }

    fn hold(&mut self, unit: &str, port: &str) -> Result<(), ControlError> {
        self.command(Command::Hold(unit.into(), port.into()))
            .map(drop)
    }

    fn retrieve(&mut self, unit: &str, port: &str) -> Result<(), ControlError> {
        self.command(Command::Retrieve(unit.into(), port.into()))
            .map(drop)
    }

    fn hangup(&mut self, unit: &str, port: &str) -> Result<(), ControlError> {
        self.command(Command::Hangup(unit.into(), port.into()))
            .map(drop)
    }

    fn fault(
        &mut self,
        op: Option<Operation>,
        code: u16,
        count: Option<u32>,
    ) -> Result<(), ControlError> {
        self.command(Command::Fault(op, code, count)).map(drop)
    }

    fn fault_chance(
        &mut self,
        op: Option<Operation>,
        code: u16,
        probability: f64,
    ) -> Result<(), ControlError> {
        self.command(Command::FaultChance(op, code, probability))
            .map(drop)
    }

    fn delay(&mut self, op: Option<Operation>, ms: u64) -> Result<(), ControlError> {
        self.command(Command::Delay(op, ms)).map(drop)
    }

    fn wire_fault(
        &mut self,
        op: Option<Operation>,
        kind: super::WireFault,
        count: Option<u32>,
    ) -> Result<(), ControlError> {
        self.command(Command::WireFault(op, kind, count)).map(drop)
    }

    fn recordings(
        &mut self,
        query: &crate::simulator::Query,
    ) -> Result<Vec<serde_json::Value>, ControlError> {
        self.list(Command::Recordings(query.clone()))
    }

    fn events(
        &mut self,
        query: &crate::simulator::Query,
    ) -> Result<Vec<serde_json::Value>, ControlError> {
        self.list(Command::Events(query.clone()))
    }

    fn journal(&mut self) -> Result<Vec<serde_json::Value>, ControlError> {
        self.list(Command::Journal)
    }

    fn fault_at(
        &mut self,
        op: Option<Operation>,
        code: u16,
        count: Option<u32>,
        unit: &str,
        port: &str,
    ) -> Result<(), ControlError> {
        self.command(Command::FaultAt(op, code, count, unit.into(), port.into()))
            .map(drop)
    }

    fn delay_at(
        &mut self,
        op: Option<Operation>,
        ms: u64,
        unit: &str,
        port: &str,
    ) -> Result<(), ControlError> {
        self.command(Command::DelayAt(op, ms, unit.into(), port.into()))
            .map(drop)
    }

    fn schedule(
        &mut self,
        seconds: f64,
        event: crate::simulator::TelephonyEvent,
        unit: &str,
        port: &str,
    ) -> Result<(), ControlError> {
        self.command(Command::At(seconds, event, unit.into(), port.into()))
            .map(drop)
    }

    fn desktops(&mut self) -> Result<Vec<serde_json::Value>, ControlError> {
        self.list(Command::Desktops)
    }

    fn scheduled(&mut self) -> Result<Vec<serde_json::Value>, ControlError> {
        self.list(Command::Scheduled)
    }

    fn findings(&mut self) -> Result<Vec<serde_json::Value>, ControlError> {
        self.list(Command::Findings)
    }

    fn coverage(&mut self) -> Result<serde_json::Value, ControlError> {
        self.command(Command::Coverage)
    }
}

/// Every message in an error's source chain, outermost first.
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let message = s.to_string();
        if !text.contains(&message) {
            text.push_str(": ");
            text.push_str(&message);
        }
        source = s.source();
    }
    text
}

/// The innermost message of an error's source chain: the one that says what happened
/// ("Connection refused", "invalid peer certificate: UnknownIssuer").
fn innermost(e: &dyn std::error::Error) -> String {
    let mut last = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        last = s.to_string();
        source = s.source();
    }
    last
}

/// Decodes `%XX` escapes of URL user information.
pub fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let (Some(h), Some(l)) = (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                out.push((h * 16 + l) as u8);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {

    #[test]
    fn percent_decode_reads_two_hex_digits_and_leaves_anything_else_as_written() {
        assert_eq!(percent_decode("p%40ss%2fw"), "p@ss/w");
        assert_eq!(percent_decode("%+1%4"), "%+1%4");
        assert_eq!(percent_decode("100%"), "100%");
    }
    use super::*;

    #[test]
    fn user_information_is_percent_decoded() {
        assert_eq!(percent_decode("p%40ss%3Aword"), "p@ss:word");
        assert_eq!(percent_decode("plain%"), "plain%");
    }
}

/// Adds what to do to the certificate failures people meet with test servers.
fn with_tls_hint(detail: String) -> String {
    let hint = if detail.contains("CaUsedAsEndEntity") {
        "; the server presents a CA certificate as its own (a self-signed certificate made with \
         `openssl req -x509`): issue the server a certificate from that CA and pass the CA with \
         --ca-cert, or use --insecure for a test server"
    } else if detail.contains("UnknownIssuer") {
        "; pass the CA that issued the server's certificate with --ca-cert FILE, or use \
         --insecure for a test server"
    } else if detail.contains("NotValidForName") {
        "; the certificate does not name the host in --endpoint"
    } else {
        ""
    };
    format!("{detail}{hint}")
}

#[cfg(test)]
mod tls_hint_tests {
    use super::with_tls_hint;

    #[test]
    fn certificate_failures_say_what_to_do() {
        let d = with_tls_hint("invalid peer certificate: UnknownIssuer".into());
        assert!(d.ends_with("pass the CA that issued the server's certificate with --ca-cert FILE, or use --insecure for a test server"), "{d}");
        let d =
            with_tls_hint("invalid peer certificate: Other(OtherError(CaUsedAsEndEntity))".into());
        assert!(d.contains("presents a CA certificate as its own"), "{d}");
        assert_eq!(
            with_tls_hint("handshake failure".into()),
            "handshake failure"
        );
    }
}
