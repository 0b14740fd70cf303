//! Forwarding: one client request in, the upstream's answer out, unchanged; and the exchange that
//! every view reads (the live line, the record, the shadow's tally) made from it on the way.
//!
//! What passes unchanged: the method, path and query, the body's bytes, every end-to-end header
//! (SOAPAction, Content-Type, Authorization, cookies…), the status with its own reason phrase,
//! the answer's headers and bytes, faults included. Hop-by-hop headers, and any header the
//! `Connection` header names (RFC 9110 §7.6.1), are the connection's and are not forwarded, either
//! way. The upstream's WSDL and schema documents (`?wsdl`, `?singleWsdl`, `?wsdl=…`, `?xsd=…`) come
//! back with their addresses pointed at the proxy (the client's Host when it is a host, escaped;
//! else the proxy's own address), in the content coding they came in.
//! Only a POST to the upstream's endpoint path is a Web API exchange (read, printed, recorded,
//! compared); anything else passes through with a short line and is not recorded.
//!
//! The exchange is read as the two ends read it: the request as the upstream does (its WSDL's
//! namespace, actions and parameter order), the answer as the client does (gzip or deflate undone,
//! UTF-16 decoded). `--redact` withholds its values before any view sees it
//! ([`super::redact`]).
//!
//! When the upstream gives no answer, the client is told the way an HTTP intermediary tells it:
//! - the upstream **dropped** the connection (closed or reset it before a complete answer): the
//!   client's connection is closed without an answer too, so the client meets the very failure it
//!   would have met talking to the upstream directly;
//! - the upstream gave **no answer within the proxy's time-out** (`--timeout`, 30 s by default):
//!   HTTP 504 Gateway Timeout (RFC 9110 §15.6.5), because the proxy cannot hold a request forever
//!   and a 504 is what every gateway in front of IIS (ARR, nginx) answers; a client with a shorter
//!   time-out of its own still meets its own time-out first;
//! - the upstream **cannot be reached** at all (connection refused, DNS, TLS): HTTP 502 Bad Gateway
//!   with the reason in a short text body, since the client's own connection did succeed;
//! - the upstream's answer is **over `--max-response-size`** (declared, or as it streams in): HTTP
//!   502 naming the option and the limit; the proxy reads no more of it, so an answer holds at most
//!   that much memory.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::Utc;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue, AUTHORIZATION, CONTENT_TYPE, HOST};
use reqwest::{Method, StatusCode, Url};

use super::compare::Comparison;
use super::exchange::{Answer, Exchange};
use super::fault::Injector;
use super::record::Recorder;
use super::redact::Redaction;
use super::shadow::{Shadow, Tally};
use crate::api::{Operation, Response};
use crate::client::content_encoding::{self, Coding};
use crate::client::REASON_HEADER;
use crate::soap::{self, Names, SoapError};
use crate::streams::errln;

/// The default `--max-response-size`: 1 MiB, sixteen times a WCF client's own limit on an answer
/// (`maxReceivedMessageSize`, 65,536 bytes) and far above any Web API answer or WSDL document.
pub const DEFAULT_MAX_RESPONSE_SIZE: usize = 1024 * 1024;

/// How many values `--redact` withheld the proxy keeps, newest last, to take out of findings made
/// later about earlier exchanges (a pause's missing DesktopPause, a repeated InitUser).
const WITHHELD_KEPT: usize = 1024;

/// What to send back on the client's connection.
#[derive(Debug)]
pub enum Reply {
    /// An HTTP answer.
    Answer {
        /// The status.
        status: StatusCode,
        /// The upstream's own reason phrase, when it is not the standard one.
        reason: Option<Vec<u8>>,
        /// The headers (hop-by-hop ones removed).
        headers: HeaderMap,
        /// The body.
        body: Vec<u8>,
    },
    /// Close the connection without an answer.
    Drop,
}

/// How a forward failed below HTTP.
enum Failure {
    Dropped(String),
    TimedOut,
    Unreachable(String),
    /// Over `--max-response-size` (the limit).
    TooLarge(usize),
}

/// The upstream's answer, as it came.
struct Upstream {
    status: StatusCode,
    reason: Option<Vec<u8>>,
    headers: HeaderMap,
    body: Vec<u8>,
}

/// Counts kept while the proxy runs, for the summary.
#[derive(Debug, Default, Clone)]
pub struct Stats {
    /// SOAP exchanges seen.
    pub exchanges: u64,
    /// The shadow's verdicts per operation.
    pub tally: Tally,
}

/// Everything a request needs: the upstream client and the views.
#[derive(Debug)]
pub struct Forwarder {
    pub(super) client: reqwest::Client,
    /// The upstream's URL, without credentials.
    pub(super) upstream: Url,
    /// Basic authentication from the upstream URL's user information, for clients that send none.
    pub(super) auth: Option<(String, String)>,
    pub(super) timeout: Duration,
    /// The timeouts and the connection cap of the proxy's listener.
    pub(super) limits: crate::listener::Limits,
    /// The largest request body read from a client (`--max-message-size`).
    pub(super) max_message_size: usize,
    /// The largest answer read from the upstream (`--max-response-size`).
    pub(super) max_response_size: usize,
    /// The upstream's names (from its WSDL, else the defaults): faults the proxy makes use them.
    pub(super) names: Names,
    /// How the upstream reads requests: its API version, its names and WCF's defaults.
    pub(super) read: soap::ReadOptions,
    /// Actions the upstream's WSDL gives that are not `names`' own form, with their operations:
    /// the reader is handed the form it knows.
    pub(super) actions: Vec<(String, Operation)>,
    /// What the proxy warned of at its start.
    pub(super) warnings: Vec<String>,
    pub(super) injector: Injector,
    pub(super) recorder: Option<Recorder>,
    pub(super) redaction: Redaction,
    pub(super) shadow: Option<Arc<Shadow>>,
    /// Where the line per exchange goes (standard output), when printed.
    pub(super) print: Option<crate::line_queue::LineQueue>,
    pub(super) color: bool,
    /// `http://ADDR` of the listener, for WSDL addresses when a client sends no Host header.
    pub(super) origin: String,
    pub(super) stats: Mutex<Stats>,
    /// Whether the last record line failed to be written (said once on standard error).
    pub(super) record_failing: AtomicBool,
    /// Whether exchanges are audited (`--no-audit` turns it off).
    pub(super) audits: bool,
    /// The audit of every exchange (`crate::audit`), with the values `--redact` withheld lately
    /// (at most [`WITHHELD_KEPT`], newest last), to take out of the findings it makes.
    pub(super) auditor: Mutex<(crate::audit::Auditor, VecDeque<String>)>,
}

/// Headers that belong to one connection (RFC 9110 §7.6.1), plus the framing that hyper and
/// reqwest set from the body.
fn hop_by_hop(name: &HeaderName) -> bool {
    matches!(
        name.as_str(),
        "connection"
            | "keep-alive"
            | "proxy-connection"
            | "proxy-authenticate"
            | "proxy-authorization"
            | "te"
            | "trailer"
            | "transfer-encoding"
            | "upgrade"
            | "content-length"
            | "host"
    )
}

/// The headers that cross the proxy: all but the hop-by-hop set and those the `Connection` header
/// names as the connection's own (RFC 9110 §7.6.1), either way.
fn end_to_end(headers: &HeaderMap) -> HeaderMap {
    let named: Vec<String> = headers
        .get_all(reqwest::header::CONNECTION)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|t| t.trim().to_ascii_lowercase())
        .filter(|t| !t.is_empty())
        .collect();
    let mut out = HeaderMap::with_capacity(headers.len());
    for (name, value) in headers {
        if !hop_by_hop(name) && !named.iter().any(|n| n == name.as_str()) {
            out.append(name.clone(), value.clone());
        }
    }
    out
}

/// The most a coded answer may decode to (16 MiB), for reading it; the client gets it as it came.
const MAX_DECODED: usize = 16 * 1024 * 1024;

/// The origin a client's Host header gives, when it is one (a host and an optional port, nothing
/// else: it is written into the WSDL the client reads).
fn origin_from_host(host: &str) -> Option<String> {
    let host = host.trim();
    let fine = !host.is_empty()
        && host.len() <= 255
        && host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b".-_:[]%".contains(&b));
    fine.then(|| format!("http://{host}"))
}

/// Text for the views: the body in the encoding its Content-Type and first bytes say (UTF-16
/// included), else as UTF-8 with replacement characters.
fn text_of(body: &[u8], content_type: Option<&str>) -> String {
    match soap::to_utf8(body, content_type) {
        Ok((text, _)) => String::from_utf8_lossy(&text).into_owned(),
        Err(_) => String::from_utf8_lossy(body).into_owned(),
    }
}

fn text_reply(status: StatusCode, text: String) -> Reply {
    let mut headers = HeaderMap::new();
    headers.insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    Reply::Answer {
        status,
        reason: None,
        headers,
        body: text.into_bytes(),
    }
}

/// The innermost cause of an error, which says what actually happened (`connection reset`).
fn innermost(e: &dyn std::error::Error) -> String {
    let mut cause: &dyn std::error::Error = e;
    while let Some(next) = cause.source() {
        cause = next;
    }
    cause.to_string()
}

impl Forwarder {
    /// Answers one request from `peer`: a SOAP POST is understood, recorded and compared; anything
    /// else (the WSDL, a GET of the endpoint) is passed through.
    pub async fn handle(
        &self,
        method: Method,
        target: &str,
        headers: HeaderMap,
        body: Vec<u8>,
        peer: SocketAddr,
    ) -> Reply {
        let started = Instant::now();
        let time = Utc::now();
        // Only a POST to the endpoint is a Web API exchange; the WSDL, the endpoint's page and
        // anything else (a served simulator's control interface) pass through unrecorded.
        let path = target.split_once('?').map_or(target, |(p, _)| p);
        if method != Method::POST || path != self.upstream.path() {
            return self.pass(method, target, &headers, body, peer).await;
        }

        let action = headers
            .get("soapaction")
            .and_then(|v| v.to_str().ok())
            .map(|a| a.trim().trim_matches('"').to_string());
        // An action the upstream's WSDL gives in a form of its own is handed to the reader in the
        // form it knows.
        let known = action.as_deref().and_then(|a| {
            self.actions
                .iter()
                .find(|(given, _)| given == a)
                .map(|(_, op)| format!("\"{}\"", self.names.action(*op)))
        });
        let content_type = headers.get(CONTENT_TYPE).and_then(|v| v.to_str().ok());
        // The request read as the upstream (a WCF service) reads it, with the reader's notes: a
        // CRM bug shows the first time it happens, even when the answer looks fine.
        let incoming = soap::Incoming {
            body: &body,
            content_type,
            soap_action: known
                .as_deref()
                .or_else(|| headers.get("soapaction").and_then(|v| v.to_str().ok())),
        };
        let (request, notes) = match soap::read_request(&incoming, &self.read) {
            Ok(read) => (Some(read.request), read.notes),
            Err(refused) => (None, refused.notes),
        };
        let request_text = text_of(&body, content_type);
        let body_op = match &request {
            Some(_) => None,
            None => soap::body_element(&request_text)
                .and_then(|name| Operation::from_name(&name))
                .map(|op| op.name().to_string()),
        };
        let op = request.as_ref().map(|r| r.op());
        if let Some(op) = op {
            let delay = self.injector.delay(op);
            if !delay.is_zero() {
                tokio::time::sleep(delay).await;
            }
        }

        let injected = op.and_then(|op| self.injector.fault(op).map(|code| (op, code)));
        let mut reason = None;
        let (status, answer, response_body, reply) = match injected {
            Some((op, code)) => {
                let response = Response::new(op, code);
                let xml = soap::encode_response(&response, &self.names);
                let mut headers = HeaderMap::new();
                headers.insert(
                    CONTENT_TYPE,
                    HeaderValue::from_static("text/xml; charset=utf-8"),
                );
                let reply = Reply::Answer {
                    status: StatusCode::OK,
                    reason: None,
                    headers,
                    body: xml.clone().into_bytes(),
                };
                (Some(200), Answer::Response(response), Some(xml), reply)
            }
            None => match self.send(method, target, &headers, body.clone()).await {
                Ok(up) => {
                    reason = up
                        .headers
                        .get(REASON_HEADER)
                        .and_then(|v| v.to_str().ok())
                        .map(str::to_string);
                    let (answer, text) = read_answer(op, &up);
                    let reply = Reply::Answer {
                        status: up.status,
                        reason: up.reason,
                        headers: up.headers,
                        body: up.body,
                    };
                    (Some(up.status.as_u16()), answer, Some(text), reply)
                }
                Err(Failure::Dropped(why)) => (None, Answer::Dropped(why), None, Reply::Drop),
                Err(Failure::TimedOut) => {
                    let text = format!(
                        "ecapi proxy: no answer from the upstream within {} s",
                        self.timeout.as_secs_f64()
                    );
                    (
                        Some(504),
                        Answer::TimedOut(self.timeout),
                        Some(text.clone()),
                        text_reply(StatusCode::GATEWAY_TIMEOUT, text),
                    )
                }
                Err(Failure::Unreachable(why)) => {
                    let text = format!("ecapi proxy: cannot reach the upstream: {why}");
                    (
                        Some(502),
                        Answer::Unreachable(why),
                        Some(text.clone()),
                        text_reply(StatusCode::BAD_GATEWAY, text),
                    )
                }
                Err(Failure::TooLarge(limit)) => {
                    let text = too_large(limit);
                    (
                        Some(502),
                        Answer::Http {
                            status: 502,
                            what: text.clone(),
                        },
                        Some(text.clone()),
                        text_reply(StatusCode::BAD_GATEWAY, text),
                    )
                }
            },
        };

        let shadow = match (&self.shadow, &request) {
            (None, _) => None,
            (Some(_), _) if injected.is_some() => None,
            (Some(_), None) => Some(Comparison::Unavailable(
                "the request named no operation".to_string(),
            )),
            (Some(shadow), Some(request)) => {
                let (shadow, request, upstream) = (shadow.clone(), request.clone(), answer.clone());
                Some(
                    tokio::task::spawn_blocking(move || shadow.ask(&request, &upstream))
                        .await
                        .unwrap_or_else(|_| {
                            Comparison::Unavailable("the shadow panicked".to_string())
                        }),
                )
            }
        };

        let mut exchange = Exchange {
            time,
            client: peer,
            action,
            request,
            request_body: request_text,
            status,
            answer,
            response_body,
            injected: injected.is_some(),
            elapsed: started.elapsed(),
            notes,
            shadow,
            reason,
            body_op,
            withheld: Vec::new(),
            redacted: Default::default(),
        };
        // The audit reads the values as they travelled (a withheld card number or login is still
        // judged); its findings are said with the withheld values taken out.
        let seq = {
            let mut stats = self.stats.lock().unwrap_or_else(|p| p.into_inner());
            stats.exchanges += 1;
            stats.exchanges
        };
        let audited = self.audits.then(|| exchange.to_exchange(seq));
        // Before any view reads it: nothing withheld can reach one.
        self.redaction.apply(&mut exchange);
        let findings = match &audited {
            Some(audited) => self.audit(audited, &exchange.withheld),
            None => Vec::new(),
        };
        match self.report(&exchange, &findings) {
            Ok(()) => reply,
            // What cannot be recorded is not answered: the record holds every answer a client got.
            Err(_) if matches!(reply, Reply::Drop) => reply,
            Err(why) => text_reply(StatusCode::BAD_GATEWAY, why),
        }
    }

    /// Audits an exchange as it travelled, and says its findings (and any earlier ones now
    /// certain) without the values `--redact` withheld from it or from the exchanges before it.
    fn audit(
        &self,
        exchange: &crate::exchange::Exchange,
        withheld: &[String],
    ) -> Vec<crate::audit::Finding> {
        let mut guard = self.auditor.lock().unwrap_or_else(|p| p.into_inner());
        let (auditor, recent) = &mut *guard;
        for v in withheld {
            if !v.is_empty() && !recent.contains(v) {
                if recent.len() == WITHHELD_KEPT {
                    recent.pop_front();
                }
                recent.push_back(v.clone());
            }
        }
        let mut findings = auditor.observe(exchange);
        if !recent.is_empty() {
            let recent: Vec<String> = recent.iter().cloned().collect();
            for f in &mut findings {
                f.message = super::redact::scrub(&f.message, &recent);
                for seen in &mut f.exchanges {
                    seen.line = super::redact::scrub(&seen.line, &recent);
                }
            }
        }
        findings
    }

    /// Counts, prints and records an exchange with its findings. Runs before the answer goes
    /// back, so that what a client was answered is already in the record.
    ///
    /// # Errors
    /// When the record line cannot be written: the text of the 502 that replaces the answer. The
    /// first failure (and the first after the record worked again) is said on standard error.
    fn report(
        &self,
        exchange: &Exchange,
        findings: &[crate::audit::Finding],
    ) -> Result<(), String> {
        if let Some(verdict) = &exchange.shadow {
            let mut stats = self.stats.lock().unwrap_or_else(|p| p.into_inner());
            stats.tally.add(exchange.op(), verdict);
        }
        if self.print.is_some() {
            // A card number is never shown.
            let mut text = crate::audit::card::mask(&exchange.line(self.color)).into_owned();
            for f in findings {
                text.push_str("\n  ");
                text.push_str(&f.line());
            }
            self.print_line(&text);
        }
        let Some(recorder) = &self.recorder else {
            return Ok(());
        };
        let record = super::record::Record::of(exchange).with_findings(findings);
        match recorder.write(&record) {
            Ok(()) => {
                if self.record_failing.swap(false, Ordering::Relaxed) {
                    errln!(
                        "ecapi proxy: writing to {} again; exchanges are answered again",
                        recorder.path().display()
                    );
                }
                Ok(())
            }
            Err(e) => {
                let why = format!(
                    "ecapi proxy: the exchange could not be recorded in {} ({e}); its answer is withheld",
                    recorder.path().display()
                );
                if !self.record_failing.swap(true, Ordering::Relaxed) {
                    errln!(
                        "{why}; until the record can be written, every exchange is answered 502"
                    );
                }
                Err(why)
            }
        }
    }

    /// Anything but a SOAP POST: passed through, with a WSDL's addresses rewritten.
    async fn pass(
        &self,
        method: Method,
        target: &str,
        headers: &HeaderMap,
        body: Vec<u8>,
        peer: SocketAddr,
    ) -> Reply {
        let started = Instant::now();
        let shown = format!("{method} {target}");
        let reply = match self.send(method, target, headers, body).await {
            Ok(mut up) => {
                let describes = target.contains('?');
                let mut said = String::new();
                if describes && up.status == StatusCode::OK {
                    let origin = headers
                        .get(HOST)
                        .and_then(|h| h.to_str().ok())
                        .and_then(origin_from_host)
                        .unwrap_or_else(|| self.origin.clone());
                    match self.rewrite_document(&up, &origin) {
                        Ok(Some(body)) => {
                            said = " (addresses rewritten)".to_string();
                            up.body = body;
                        }
                        Ok(None) => {}
                        Err(why) => said = format!(" (addresses not rewritten: {why})"),
                    }
                }
                self.print_line(&format!(
                    "{}  {peer}  {shown}  HTTP {}{said}  {:.1} ms",
                    Utc::now().format("%H:%M:%S%.3f"),
                    up.status.as_u16(),
                    started.elapsed().as_secs_f64() * 1000.0
                ));
                Reply::Answer {
                    status: up.status,
                    reason: up.reason,
                    headers: up.headers,
                    body: up.body,
                }
            }
            Err(Failure::Dropped(_)) => Reply::Drop,
            Err(Failure::TimedOut) => text_reply(
                StatusCode::GATEWAY_TIMEOUT,
                "ecapi proxy: no answer from the upstream in time".to_string(),
            ),
            Err(Failure::Unreachable(why)) => text_reply(
                StatusCode::BAD_GATEWAY,
                format!("ecapi proxy: cannot reach the upstream: {why}"),
            ),
            Err(Failure::TooLarge(limit)) => text_reply(StatusCode::BAD_GATEWAY, too_large(limit)),
        };
        reply
    }

    /// A WSDL or schema document with its addresses pointed at `origin`, coded as it came (gzip,
    /// deflate); `None` when nothing changed; an error saying why it cannot be read (it then goes
    /// as it came).
    fn rewrite_document(&self, up: &Upstream, origin: &str) -> Result<Option<Vec<u8>>, String> {
        let header = up
            .headers
            .get(reqwest::header::CONTENT_ENCODING)
            .and_then(|v| v.to_str().ok());
        let coding = Coding::of(header).map_err(|e| e.to_string())?;
        let decoded =
            content_encoding::decode(header, &up.body, MAX_DECODED).map_err(|e| e.to_string())?;
        let Ok(text) = std::str::from_utf8(&decoded) else {
            return Err("not UTF-8 text".to_string());
        };
        let doc = soap::rewrite_addresses(text, &self.upstream_origins(), origin);
        if doc == text {
            return Ok(None);
        }
        // Content-Length is set from the new body when it is sent; the coding stays the one the
        // client accepted.
        Ok(Some(match coding {
            Some(coding) => coding.encode(doc.as_bytes()),
            None => doc.into_bytes(),
        }))
    }

    /// Prints a line on standard output, off the request path: a closed or stalled standard
    /// output never stops or holds the proxy (lines are dropped, then counted).
    pub(super) fn print_line(&self, line: &str) {
        if let Some(out) = &self.print {
            out.line(line, |lost| {
                format!("ecapi proxy: {lost} lines dropped while standard output was stalled")
            });
        }
    }

    /// The upstream's origin as a WSDL may write it: as configured, and with the default port
    /// spelled out or left out.
    fn upstream_origins(&self) -> Vec<String> {
        let url = &self.upstream;
        let host = url.host_str().unwrap_or_default();
        let scheme = url.scheme();
        let mut origins = Vec::new();
        match (url.port(), url.port_or_known_default()) {
            (Some(port), _) => origins.push(format!("{scheme}://{host}:{port}")),
            (None, Some(default)) => {
                origins.push(format!("{scheme}://{host}:{default}"));
                origins.push(format!("{scheme}://{host}"));
            }
            (None, None) => origins.push(format!("{scheme}://{host}")),
        }
        origins
    }

    /// Sends a request to the upstream at the same path and query.
    async fn send(
        &self,
        method: Method,
        target: &str,
        headers: &HeaderMap,
        body: Vec<u8>,
    ) -> Result<Upstream, Failure> {
        let mut url = self.upstream.clone();
        let (path, query) = match target.split_once('?') {
            Some((p, q)) => (p, Some(q)),
            None => (target, None),
        };
        url.set_path(path);
        url.set_query(query);
        let mut builder = self
            .client
            .request(method, url)
            .headers(end_to_end(headers))
            .timeout(self.timeout)
            .body(body);
        if let (Some((user, password)), false) = (&self.auth, headers.contains_key(AUTHORIZATION)) {
            builder = builder.basic_auth(user, Some(password));
        }
        let response = builder.send().await.map_err(failure)?;
        let status = response.status();
        let reason = response
            .extensions()
            .get::<hyper::ext::ReasonPhrase>()
            .map(|r| r.as_bytes().to_vec());
        let headers = end_to_end(response.headers());
        // Bounded: declared too large is refused unread; otherwise read until past the limit.
        let limit = self.max_response_size;
        if response.content_length().is_some_and(|n| n > limit as u64) {
            return Err(Failure::TooLarge(limit));
        }
        let mut response = response;
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(failure)? {
            if body.len() + chunk.len() > limit {
                return Err(Failure::TooLarge(limit));
            }
            body.extend_from_slice(&chunk);
        }
        Ok(Upstream {
            status,
            reason,
            headers,
            body,
        })
    }
}

/// The text of the 502 for an answer over `--max-response-size`.
fn too_large(limit: usize) -> String {
    format!("ecapi proxy: the upstream's answer is over --max-response-size ({limit} bytes)")
}

/// How a reqwest error reached the client.
fn failure(e: reqwest::Error) -> Failure {
    if e.is_timeout() {
        Failure::TimedOut
    } else if e.is_connect() {
        Failure::Unreachable(innermost(&e))
    } else {
        Failure::Dropped(innermost(&e))
    }
}

/// The upstream's answer as the views read it, and its text: its content coding undone (the client
/// gets it as it came), in its own character encoding.
fn read_answer(op: Option<Operation>, up: &Upstream) -> (Answer, String) {
    let header = |name| {
        up.headers
            .get(name)
            .and_then(|v: &HeaderValue| v.to_str().ok())
    };
    let decoded = match content_encoding::decode(
        header(reqwest::header::CONTENT_ENCODING),
        &up.body,
        MAX_DECODED,
    ) {
        Ok(decoded) => decoded,
        Err(e) => {
            let what = format!("not readable: {e}");
            return (
                Answer::Http {
                    status: up.status.as_u16(),
                    what: what.clone(),
                },
                format!("[{what}]"),
            );
        }
    };
    let content_type = header(CONTENT_TYPE);
    match soap::to_utf8(&decoded, content_type) {
        Ok((text, _)) => (
            understand(op, up.status, &text),
            String::from_utf8_lossy(&text).into_owned(),
        ),
        Err(_) => (
            understand(op, up.status, &decoded),
            String::from_utf8_lossy(&decoded).into_owned(),
        ),
    }
}

/// What the upstream's answer is, read as the client reads one.
fn understand(op: Option<Operation>, status: StatusCode, body: &[u8]) -> Answer {
    let result = match op {
        Some(op) => soap::decode_response(body, op).map(Some),
        None => match soap::decode_fault(body) {
            Some(f) => Err(SoapError::Fault(f)),
            None => Ok(None),
        },
    };
    match result {
        Ok(Some(response)) if status == StatusCode::OK => Answer::Response(response),
        Err(SoapError::Fault(fault)) => Answer::Fault(fault),
        _ => {
            let text = String::from_utf8_lossy(body);
            let start: String = text.trim().chars().take(60).collect();
            Answer::Http {
                status: status.as_u16(),
                what: if start.is_empty() {
                    "(empty body)".to_string()
                } else {
                    format!("not a SOAP answer: {start}")
                },
            }
        }
    }
}
