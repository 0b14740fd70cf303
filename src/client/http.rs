//! The SOAP client: the [`Transport`] for real Encore servers (and `ecapi serve`), over HTTP or
//! HTTPS.
//!
//! One blocking reqwest client holds one connection pool, so a script's requests reuse a kept-alive
//! connection. TLS is rustls; `--ca-cert` adds a trusted root and `--insecure` turns certificate
//! checks off. On connect the client reads the server's WSDL to learn the contract (falling back to
//! the defaults of the wire contract, and saying so in [`Transport::describe`]). All XML work is in
//! [`crate::soap`]; this module maps HTTP outcomes to [`TransportError`]s a user can act on.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use reqwest::blocking::{Client, RequestBuilder};
use reqwest::Url;

use super::control::{self, Command, CONTROL_SUFFIX, CONTROL_TOKEN_HEADER, SIMULATOR_HEADER};
use super::{ControlError, Exchange, SimControl, Trace, Transport, TransportError};
use crate::api::{ApiVersion, Operation, Request};
use crate::soap::{self, Contract, ContractSource, Names, OperationShape, SoapError};

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
    /// The API version to speak.
    pub api: ApiVersion,
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
    /// The time for a whole request.
    pub timeout: Duration,
}

impl HttpOptions {
    /// Options for an endpoint with API 7.1, no authentication and the default timeouts.
    pub fn new(url: impl Into<String>) -> HttpOptions {
        HttpOptions {
            url: url.into(),
            api: ApiVersion::default(),
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

/// A SOAP client for one endpoint. Clones share one connection pool (`ecapi load` gives each agent
/// a clone, so a thousand agents keep a pool of kept-alive connections, not a thousand clients).
#[derive(Debug, Clone)]
pub struct Http {
    client: Client,
    url: Url,
    auth: Option<(String, String)>,
    control_token: Option<String>,
    api: ApiVersion,
    contract: Contract,
    /// What a served simulator said it is (`hosted 7.1`); `None` for a real server.
    simulator: Option<String>,
    connect_timeout: Duration,
    timeout: Duration,
    trace: bool,
    /// Set by Ctrl-C in the REPL: a request waiting for its answer gives up.
    interrupt: Option<Arc<AtomicBool>>,
}

impl Http {
    /// Builds the client and reads the server's WSDL. Fails when the server cannot be reached at
    /// all; a WSDL that cannot be fetched or read only makes the client use the default contract.
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

        let mut builder = Client::builder()
            .use_rustls_tls()
            .connect_timeout(options.connect_timeout)
            .timeout(options.timeout)
            .tcp_nodelay(true)
            .user_agent(concat!("ecapi/", env!("CARGO_PKG_VERSION")))
            .danger_accept_invalid_certs(options.insecure);
        if let Some(path) = &options.ca_cert {
            let pem = std::fs::read(path).map_err(|e| TransportError::Tls {
                url: shown.clone(),
                detail: format!("cannot read the CA certificate {}: {e}", path.display()),
            })?;
            let cert = reqwest::Certificate::from_pem(&pem).map_err(|e| TransportError::Tls {
                url: shown.clone(),
                detail: format!("{} is not a PEM certificate: {e}", path.display()),
            })?;
            builder = builder.add_root_certificate(cert);
        }
        let client = builder.build().map_err(|e| TransportError::Http {
            url: shown.clone(),
            detail: error_chain(&e),
        })?;

        let mut http = Http {
            client,
            url,
            auth,
            control_token: options.control_token.clone(),
            api: options.api,
            contract: Contract::defaults(options.api, &Names::default()),
            simulator: None,
            connect_timeout: options.connect_timeout,
            timeout: options.timeout,
            trace: false,
            interrupt: None,
        };
        let (contract, simulator) = http.learn_contract()?;
        http.contract = contract;
        http.simulator = simulator;
        Ok(http)
    }

    /// The contract in use: from the server's WSDL, or the defaults.
    pub fn contract(&self) -> &Contract {
        &self.contract
    }

    fn learn_contract(&self) -> Result<(Contract, Option<String>), TransportError> {
        let mut wsdl_url = self.url.clone();
        wsdl_url.set_query(Some("wsdl"));
        let mut unreachable: Option<TransportError> = None;
        let mut simulator: Option<String> = None;
        let result = {
            let mut fetch = |base: Option<&str>, location: &str| {
                let target = match base {
                    Some(base) => Url::parse(base).and_then(|b| b.join(location)),
                    None => Url::parse(location),
                }
                .map_err(|e| format!("bad location `{location}`: {e}"))?;
                let response = self
                    .with_auth(self.client.get(target.clone()))
                    .send()
                    .map_err(|e| {
                        let error = self.transport_error(e);
                        let text = error.to_string();
                        if unreachable.is_none() {
                            unreachable = Some(error);
                        }
                        text
                    })?;
                let status = response.status();
                if base.is_none() {
                    simulator = response
                        .headers()
                        .get(SIMULATOR_HEADER)
                        .and_then(|v| v.to_str().ok())
                        .map(str::to_string);
                }
                if !status.is_success() {
                    return Err(format!("HTTP {}", status.as_u16()));
                }
                let bytes = response.bytes().map_err(|e| error_chain(&e))?;
                Ok((target.to_string(), bytes.to_vec()))
            };
            soap::read_contract(wsdl_url.as_str(), self.api, &mut fetch)
        };
        match result {
            Ok(contract) => Ok((contract, simulator)),
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
                let mut contract = Contract::defaults(self.api, &Names::default());
                contract.source = ContractSource::DefaultsBecause(format!("WSDL not used: {e}"));
                Ok((contract, simulator))
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

    fn not_soap(&self, status: u16, reason: String, body: &[u8]) -> TransportError {
        let text = String::from_utf8_lossy(body);
        let start: String = text.trim().chars().take(BODY_START).collect();
        TransportError::NotSoap {
            url: self.url.to_string(),
            status,
            reason,
            start: if start.is_empty() {
                "(empty body)".to_string()
            } else {
                start
            },
        }
    }
}

impl Transport for Http {
    fn call(&mut self, request: &Request) -> Result<Exchange, TransportError> {
        request.check(self.api)?;
        let op = request.op();
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
        let builder = self
            .with_auth(self.client.post(self.url.clone()))
            .header("Content-Type", "text/xml; charset=utf-8")
            .header("SOAPAction", format!("\"{action}\""))
            .body(body.clone());
        let Fetched {
            status,
            content_type,
            reason,
            bytes,
        } = self.fetch(builder)?;
        let elapsed = started.elapsed();

        let response = match soap::decode_response(&bytes, op) {
            Ok(response) if status == 200 => response,
            Ok(_) => {
                return Err(self.not_soap(
                    status,
                    "a response envelope with an error status".to_string(),
                    &bytes,
                ))
            }
            Err(SoapError::Fault(fault)) => {
                return Err(TransportError::Fault {
                    code: fault.code(),
                    string: fault.string,
                })
            }
            Err(e) => {
                let reason = if status != 200 {
                    format!("an error page ({content_type})")
                } else {
                    e.to_string()
                };
                return Err(self.not_soap(status, reason, &bytes));
            }
        };
        let trace = self.trace.then(|| Trace {
            action,
            request: soap::pretty(&body),
            status,
            response: soap::pretty(&String::from_utf8_lossy(&bytes)),
        });
        Ok(Exchange {
            response,
            elapsed,
            trace,
            reason,
        })
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

    fn set_interrupt(&mut self, flag: Arc<AtomicBool>) {
        self.interrupt = Some(flag);
    }

    fn control(&mut self) -> Option<&mut dyn SimControl> {
        if self.simulator.is_some() {
            Some(self)
        } else {
            None
        }
    }
}

/// An answer read whole.
struct Fetched {
    status: u16,
    content_type: String,
    reason: Option<String>,
    bytes: Vec<u8>,
}

impl Http {
    /// Sends a request and reads its answer whole. With an interrupt flag the wait happens on a
    /// helper thread, so that Ctrl-C can end it (the request itself finishes, unseen, in the
    /// background); without one, on this thread.
    fn fetch(&self, builder: RequestBuilder) -> Result<Fetched, TransportError> {
        fn read(builder: RequestBuilder) -> Result<Fetched, reqwest::Error> {
            let sent = builder.send()?;
            let header = |name: &str| {
                sent.headers()
                    .get(name)
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_string)
            };
            let content_type = header("content-type").unwrap_or_default();
            let reason = header(super::REASON_HEADER);
            let status = sent.status().as_u16();
            let bytes = sent.bytes()?.to_vec();
            Ok(Fetched {
                status,
                content_type,
                reason,
                bytes,
            })
        }
        let Some(flag) = &self.interrupt else {
            return read(builder).map_err(|e| self.transport_error(e));
        };
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let _ = tx.send(read(builder));
        });
        loop {
            match rx.recv_timeout(Duration::from_millis(25)) {
                Ok(result) => return result.map_err(|e| self.transport_error(e)),
                Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {
                    if flag.load(Ordering::SeqCst) {
                        return Err(TransportError::Interrupted {
                            url: self.url.to_string(),
                        });
                    }
                }
                Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => {
                    return Err(TransportError::Http {
                        url: self.url.to_string(),
                        detail: "the request ended without an answer".to_string(),
                    })
                }
            }
        }
    }

    /// Whether the server is an `ecapi serve` (it marked its WSDL with [`SIMULATOR_HEADER`]).
    pub fn is_simulator(&self) -> bool {
        self.simulator.is_some()
    }

    /// The endpoint's URL, without credentials.
    pub fn url(&self) -> &str {
        self.url.as_str()
    }

    /// Asks a served simulator for a session of its own (see `ecapi serve`'s sessions) and returns
    /// a client of the session's endpoint, with this client's settings and contract. Fails on a
    /// real server (no control interface) and when the server refuses (too many sessions).
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
        Ok(Http {
            client: self.client.clone(),
            url,
            auth: self.auth.clone(),
            control_token: self.control_token.clone(),
            api: self.api,
            contract: self.contract.clone(),
            simulator: self.simulator.clone(),
            connect_timeout: self.connect_timeout,
            timeout: self.timeout,
            trace: self.trace,
            interrupt: self.interrupt.clone(),
        })
    }

    /// Ends the session this client talks to (a client from [`Http::open_session`]).
    pub fn drop_session(&mut self) -> Result<(), ControlError> {
        self.command(Command::SessionDrop(None)).map(drop)
    }

    /// Sends one command to a served simulator's control interface.
    fn command(&mut self, command: Command) -> Result<serde_json::Value, ControlError> {
        let mut url = self.url.clone();
        url.set_path(&format!("{}{CONTROL_SUFFIX}", self.url.path()));
        let mut request = self
            .with_auth(self.client.post(url))
            .header("Content-Type", "application/json");
        if let Some(token) = &self.control_token {
            request = request.header(CONTROL_TOKEN_HEADER, token);
        }
        let sent = request
            .body(command.send_json().to_string())
            .send()
            .map_err(|e| self.transport_error(e))?;
        let status = sent.status().as_u16();
        let bytes = sent.bytes().map_err(|e| self.transport_error(e))?;
        match serde_json::from_slice::<serde_json::Value>(&bytes) {
            Ok(answer) if status == 200 => control::read_answer(&answer),
            _ => Err(ControlError::Transport(self.not_soap(
                status,
                "not an answer of the simulator's control interface".to_string(),
                &bytes,
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
fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("");
            if let Ok(b) = u8::from_str_radix(hex, 16) {
                out.push(b);
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
