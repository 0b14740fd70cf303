//! Forwarding: one client request in, the upstream's answer out, unchanged; and the exchange that
//! every view reads (the live line, the record, the shadow's tally) made from it on the way.
//!
//! What passes unchanged: the method, path and query, the body's bytes, every end-to-end header
//! (SOAPAction, Content-Type, Authorization, cookies…), the status with its own reason phrase,
//! the answer's headers and bytes, faults included. Hop-by-hop headers (RFC 9110 §7.6.1) are the
//! connection's and are not forwarded. The upstream's WSDL and schema documents (`?wsdl`,
//! `?singleWsdl`, `?wsdl=…`, `?xsd=…`) come back with their addresses pointed at the proxy.
//! Only a POST to the upstream's endpoint path is a Web API exchange (read, printed, recorded,
//! compared); anything else passes through with a short line and is not recorded.
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
//!   with the reason in a short text body, since the client's own connection did succeed.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::Utc;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue, AUTHORIZATION, CONTENT_TYPE, HOST};
use reqwest::{Method, StatusCode, Url};

use super::compare::Comparison;
use super::exchange::{Answer, Exchange};
use super::fault::Injector;
use super::record::{Recorder, Redaction};
use super::shadow::{Shadow, Tally};
use crate::api::Response;
use crate::soap::{self, Names, SoapError};

/// The largest request body the proxy reads (16 MiB): far above any Web API request, so that the
/// upstream's own limit (WCF's 64 KiB) is the one a client meets.
pub const BODY_LIMIT: usize = 16 * 1024 * 1024;

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
    pub(super) names: Names,
    /// How the upstream reads requests: its API version and WCF's defaults.
    pub(super) read: soap::ReadOptions,
    pub(super) injector: Injector,
    pub(super) recorder: Option<Recorder>,
    pub(super) redaction: Redaction,
    pub(super) shadow: Option<Arc<Shadow>>,
    pub(super) print: bool,
    pub(super) color: bool,
    /// `http://ADDR` of the listener, for WSDL addresses when a client sends no Host header.
    pub(super) origin: String,
    pub(super) stats: Mutex<Stats>,
    /// The audit of every exchange (`crate::audit`).
    pub(super) auditor: Mutex<crate::audit::Auditor>,
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

fn end_to_end(headers: &HeaderMap) -> HeaderMap {
    let mut out = HeaderMap::with_capacity(headers.len());
    for (name, value) in headers {
        if !hop_by_hop(name) {
            out.append(name.clone(), value.clone());
        }
    }
    out
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
        body: Option<Vec<u8>>,
        peer: SocketAddr,
    ) -> Reply {
        let started = Instant::now();
        let time = Utc::now();
        let Some(body) = body else {
            return text_reply(
                StatusCode::PAYLOAD_TOO_LARGE,
                format!(
                    "ecapi proxy: the request body could not be read or is over {BODY_LIMIT} bytes"
                ),
            );
        };
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
        // The request read as the upstream (a WCF service) reads it, with the reader's notes: a
        // CRM bug shows the first time it happens, even when the answer looks fine.
        let incoming = soap::Incoming {
            body: &body,
            content_type: headers.get(CONTENT_TYPE).and_then(|v| v.to_str().ok()),
            soap_action: headers.get("soapaction").and_then(|v| v.to_str().ok()),
        };
        let (request, notes) = match soap::read_request(&incoming, &self.read) {
            Ok(read) => (Some(read.request), read.notes),
            Err(refused) => (None, refused.notes),
        };
        let op = request.as_ref().map(|r| r.op());
        if let Some(op) = op {
            let delay = self.injector.delay(op);
            if !delay.is_zero() {
                tokio::time::sleep(delay).await;
            }
        }

        let injected = op.and_then(|op| self.injector.fault(op).map(|code| (op, code)));
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
                    let text = String::from_utf8_lossy(&up.body).into_owned();
                    let answer = understand(op, up.status, &up.body);
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

        let exchange = Exchange {
            time,
            client: peer,
            action,
            request,
            request_body: String::from_utf8_lossy(&body).into_owned(),
            status,
            answer,
            response_body,
            injected: injected.is_some(),
            elapsed: started.elapsed(),
            notes,
            shadow,
        };
        self.report(&exchange);
        reply
    }

    /// Counts, prints and records an exchange. Runs before the answer goes back, so that what a
    /// client was answered is already in the record.
    fn report(&self, exchange: &Exchange) {
        let seq = {
            let mut stats = self.stats.lock().unwrap_or_else(|p| p.into_inner());
            stats.exchanges += 1;
            if let Some(verdict) = &exchange.shadow {
                stats.tally.add(exchange.op(), verdict);
            }
            stats.exchanges
        };
        let findings = self
            .auditor
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .observe(&exchange.to_exchange(seq));
        if self.print {
            use std::io::Write;
            // A closed standard output must not stop the proxy. A card number is never shown.
            let mut out = std::io::stdout().lock();
            let _ = writeln!(
                out,
                "{}",
                crate::audit::card::mask(&exchange.line(self.color))
            );
            for f in &findings {
                let _ = writeln!(out, "  {}", f.line());
            }
        }
        if let Some(recorder) = &self.recorder {
            let record =
                super::record::Record::of(exchange, &self.redaction).with_findings(&findings);
            if let Err(e) = recorder.write(&record) {
                eprintln!(
                    "ecapi proxy: cannot write to {}: {e}",
                    recorder.path().display()
                );
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
                let mut rewritten = false;
                if describes && up.status == StatusCode::OK {
                    if let Ok(text) = std::str::from_utf8(&up.body) {
                        let origin = headers
                            .get(HOST)
                            .and_then(|h| h.to_str().ok())
                            .map(|h| format!("http://{h}"))
                            .unwrap_or_else(|| self.origin.clone());
                        let doc = soap::rewrite_addresses(text, &self.upstream_origins(), &origin);
                        rewritten = doc != text;
                        up.body = doc.into_bytes();
                    }
                }
                self.print_line(&format!(
                    "{}  {peer}  {shown}  HTTP {}{}  {:.1} ms",
                    Utc::now().format("%H:%M:%S%.3f"),
                    up.status.as_u16(),
                    if rewritten {
                        " (addresses rewritten)"
                    } else {
                        ""
                    },
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
        };
        reply
    }

    fn print_line(&self, line: &str) {
        if self.print {
            use std::io::Write;
            let _ = writeln!(std::io::stdout().lock(), "{line}");
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
        let body = response.bytes().await.map_err(failure)?.to_vec();
        Ok(Upstream {
            status,
            reason,
            headers,
            body,
        })
    }
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

/// What the upstream's answer is, read as the client reads one.
fn understand(op: Option<crate::api::Operation>, status: StatusCode, body: &[u8]) -> Answer {
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
