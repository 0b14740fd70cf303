//! One HTTP request in, one HTTP response out: the WSDL route, the SOAP endpoint and its HTTP-level
//! refusals (415, 413, 405, 404), and the log line.

use std::io::Write;
use std::net::SocketAddr;
use std::panic::AssertUnwindSafe;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use axum::body::{to_bytes, Body};
use axum::extract::{ConnectInfo, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::Response;
use axum::routing::any;
use axum::Router;

use super::guard::{self, Guard};
use super::log::RequestLog;
use super::sessions::{self, SESSIONS_PREFIX};
use super::url_player::{self, Page};
use super::ServeOptions;
use crate::api::{ApiVersion, Operation, RequestError};
use crate::client::control::{self, Command, CONTROL_SUFFIX, SIMULATOR_HEADER};
use crate::client::{Embedded, WireFault};
use crate::soap::{self, Fault, Names};

/// The default largest request body: WCF's default `maxReceivedMessageSize`, 65,536 bytes
/// (`wire.md`, Defaults).
pub const DEFAULT_BODY_LIMIT: usize = soap::DEFAULT_MAX_MESSAGE_SIZE;

/// The most `x-ecapi-reason` carries, in bytes (`wire.md`: at most 1,024, no control characters).
pub const REASON_HEADER_LIMIT: usize = 1024;

const TEXT_XML: &str = "text/xml; charset=utf-8";

// Header names made once, not looked up from their text for every answer.
const SIMULATOR: header::HeaderName = header::HeaderName::from_static(SIMULATOR_HEADER);
const REASON: header::HeaderName = header::HeaderName::from_static(crate::client::REASON_HEADER);
const SOAP_ACTION: header::HeaderName = header::HeaderName::from_static("soapaction");

/// What every request handler shares.
#[derive(Debug)]
pub struct AppState {
    /// The simulator, wrapped as the embedded backend so that the control interface runs the very
    /// code `sim_*` functions run locally.
    pub simulator: Arc<Mutex<Embedded>>,
    /// `<profile> <api>`, sent in the simulator header.
    identity: HeaderValue,
    /// Failures below the Web API to answer with, set through the control interface. They live
    /// here, not in the simulator, because only the server knows HTTP.
    wire_faults: Mutex<Vec<WireRule>>,
    pub names: Names,
    /// The answers' envelopes around their values, made once for `names`.
    frames: Arc<soap::ResponseFrames>,
    pub api: ApiVersion,
    body_limit: usize,
    log: Option<Arc<RequestLog>>,
    /// `http` or `https`, for the addresses the WSDL and the service page show.
    scheme: &'static str,
    /// How requests are read: WCF's limits, strict or lenient.
    read: soap::ReadOptions,
    /// Print each exchange's envelopes to standard error.
    trace: bool,
    /// The server's sessions (see [`super::sessions`]); a session shares its server's.
    pub sessions: Option<Arc<super::sessions::Sessions>>,
    /// The session's id, when this is a session's state.
    pub session_id: Option<String>,
    /// The audit's options, for the sessions' simulators too.
    audit: crate::audit::Options,
}

impl AppState {
    pub fn new(mut options: ServeOptions, log: Option<Arc<RequestLog>>) -> AppState {
        let api = options.simulator.api();
        // The simulator answers what the reader lets through: its string quota is the reader's.
        options
            .simulator
            .set_max_string_chars(options.max_string_content_length);
        AppState {
            api,
            identity: HeaderValue::from_str(&format!(
                "{} {}",
                options.simulator.profile(),
                options.simulator.api()
            ))
            .expect("profile and version names are header-safe"),
            audit: options.audit.clone(),
            simulator: Arc::new(Mutex::new(Embedded::with_audit(
                options.simulator,
                options.audit,
            ))),
            wire_faults: Mutex::new(Vec::new()),
            read: soap::ReadOptions {
                version: api,
                names: options.names.clone(),
                max_message_size: options.body_limit,
                max_string_content_length: options.max_string_content_length,
                max_depth: options.max_depth,
                lenient: options.lenient,
                orders: Vec::new(),
            },
            trace: options.trace,
            frames: Arc::new(soap::ResponseFrames::new(&options.names)),
            names: options.names,
            body_limit: options.body_limit,
            log,
            scheme: if options.tls.is_some() {
                "https"
            } else {
                "http"
            },
            sessions: None,
            session_id: None,
        }
    }

    /// The state of a session of this server: its own simulator and wire faults, its endpoint at
    /// `path`, the server's other settings.
    pub fn for_session(
        &self,
        mut simulator: crate::simulator::Simulator,
        path: String,
        id: String,
    ) -> AppState {
        simulator.set_max_string_chars(self.read.max_string_content_length);
        AppState {
            api: self.api,
            identity: self.identity.clone(),
            simulator: Arc::new(Mutex::new(Embedded::with_audit(
                simulator,
                self.audit.clone(),
            ))),
            audit: self.audit.clone(),
            wire_faults: Mutex::new(Vec::new()),
            // The path is not in an answer's envelope: the server's frames serve.
            frames: self.frames.clone(),
            names: Names {
                path,
                ..self.names.clone()
            },
            body_limit: self.body_limit,
            log: self.log.clone(),
            scheme: self.scheme,
            read: self.read.clone(),
            trace: self.trace,
            sessions: self.sessions.clone(),
            session_id: Some(id),
        }
    }
}

/// The routes; the control interface and the player page behind their guards
/// ([`super::guard`]).
pub fn router(state: Arc<AppState>, guard: Arc<Guard>) -> Router {
    let path = state.names.path.clone();
    let control_guard = axum::middleware::from_fn_with_state(guard.clone(), guard::control);
    let player_guard = axum::middleware::from_fn_with_state(guard, guard::player);
    Router::new()
        .route(&path, any(endpoint))
        .route(
            &format!("{path}{CONTROL_SUFFIX}"),
            any(control_endpoint).layer(control_guard.clone()),
        )
        .route(url_player::PATH, any(player).layer(player_guard.clone()))
        .route(
            &format!("{SESSIONS_PREFIX}/{{id}}{path}"),
            any(sessions::endpoint),
        )
        .route(
            &format!("{SESSIONS_PREFIX}/{{id}}{path}{CONTROL_SUFFIX}"),
            any(sessions::control).layer(control_guard),
        )
        .route(
            &format!("{SESSIONS_PREFIX}/{{id}}{}", url_player::PATH),
            any(sessions::player).layer(player_guard),
        )
        .fallback(not_found)
        .with_state(state)
}

/// One rule of failures below the Web API.
#[derive(Debug)]
struct WireRule {
    op: Option<Operation>,
    kind: WireFault,
    /// Calls left; `None` until reset.
    left: Option<u32>,
}

impl AppState {
    /// Adds (or, with a count of 0, removes) the rule for an operation.
    fn set_wire_fault(&self, op: Option<Operation>, kind: WireFault, count: Option<u32>) {
        let mut rules = self.wire_faults.lock().unwrap_or_else(|p| p.into_inner());
        rules.retain(|r| r.op != op);
        if count != Some(0) {
            rules.push(WireRule {
                op,
                kind,
                left: count,
            });
        }
    }

    /// The failure this call of `op` must answer with, if any, counting it.
    fn take_wire_fault(&self, op: Operation) -> Option<WireFault> {
        let mut rules = self.wire_faults.lock().unwrap_or_else(|p| p.into_inner());
        // A rule for the operation wins over a rule for every operation.
        let at = rules
            .iter()
            .position(|r| r.op == Some(op))
            .or_else(|| rules.iter().position(|r| r.op.is_none()))?;
        let kind = rules[at].kind;
        if let Some(left) = &mut rules[at].left {
            *left -= 1;
            if *left == 0 {
                rules.remove(at);
            }
        }
        Some(kind)
    }
}

/// What a request came to, for the log line.
struct Outcome {
    response: Response,
    summary: String,
}

/// A request's body as the endpoint gets it.
pub(super) enum Received {
    /// Read whole by [`super::front`] (up to one byte past the body limit, so that a larger one is
    /// still seen to be larger).
    Whole(axum::body::Bytes),
    /// Still to read (or failing): a body the router handed on.
    Body(Body),
}

pub(super) async fn endpoint(
    State(app): State<Arc<AppState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    request: axum::extract::Request,
) -> Response {
    let started = Instant::now();
    // The request is taken apart rather than extracted piece by piece, which would copy headers.
    let (parts, body) = request.into_parts();
    let (method, uri, headers) = (parts.method, parts.uri, parts.headers);
    let outcome = match method {
        Method::POST => {
            let declared = declared_length(&headers);
            soap_call(
                &app,
                &headers,
                declared,
                Received::Body(body),
                peer,
                started,
            )
            .await
        }
        Method::GET | Method::HEAD => describe(&app, &headers, uri.query()),
        _ => Outcome {
            response: plain(
                StatusCode::METHOD_NOT_ALLOWED,
                "use POST for SOAP, GET ?wsdl",
            ),
            summary: "method not allowed".to_string(),
        },
    };
    finish(&app, outcome, peer, &method, &uri, started)
}

/// A POST to the endpoint's own path, answered as [`endpoint`] answers it through the router,
/// without the router: [`super::front`] calls it for the requests that are nearly all of a
/// server's work, with the body it has already read. The answer carries the `Content-Length`
/// the router would have set (its route sets one whenever the body's size is known), so the
/// bytes on the wire are the same.
pub(super) async fn post(
    app: &AppState,
    peer: SocketAddr,
    parts: axum::http::request::Parts,
    declared: Option<u64>,
    body: Received,
) -> Response {
    let started = Instant::now();
    let outcome = soap_call(app, &parts.headers, declared, body, peer, started).await;
    let mut response = finish(app, outcome, peer, &parts.method, &parts.uri, started);
    if !response.headers().contains_key(header::CONTENT_LENGTH) {
        if let Some(size) = hyper::body::Body::size_hint(response.body()).exact() {
            let mut digits = itoa::Buffer::new();
            if let Ok(value) = HeaderValue::from_str(digits.format(size)) {
                response.headers_mut().insert(header::CONTENT_LENGTH, value);
            }
        }
    }
    response
}

/// Marks the answer as coming from a simulator and logs it.
fn finish(
    app: &AppState,
    mut outcome: Outcome,
    peer: SocketAddr,
    method: &Method,
    uri: &Uri,
    started: Instant,
) -> Response {
    outcome
        .response
        .headers_mut()
        .insert(SIMULATOR, app.identity.clone());
    if let Some(log) = &app.log {
        log.request(
            peer,
            method,
            &super::secret::LoggedUri(uri),
            outcome.response.status().as_u16(),
            &outcome.summary,
            started.elapsed(),
        );
    }
    outcome.response
}

/// The control interface: one JSON command per POST (see [`crate::client::control`]).
///
/// Listings (`recordings`, `events`) are streamed: the answer's head goes out at once and the items
/// follow page by page, each page read under the simulator's lock and serialized after it is
/// released, so a listing of any length never holds SOAP answers for more than one page.
pub(super) async fn control_endpoint(
    State(app): State<Arc<AppState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    request: axum::extract::Request,
) -> Response {
    let started = Instant::now();
    let (parts, body) = request.into_parts();
    let outcome = if parts.method != Method::POST {
        Outcome {
            response: plain(StatusCode::METHOD_NOT_ALLOWED, "POST a JSON command"),
            summary: "control: method not allowed".to_string(),
        }
    } else {
        match to_bytes(body, app.body_limit).await {
            Err(_) => too_large(app.body_limit),
            Ok(bytes) => match control::parse(&bytes) {
                Ok(Command::Recordings(query)) => listing(&app, Listing::Recordings, query),
                Ok(Command::Events(query)) => listing(&app, Listing::Events, query),
                command => control_answer(&app, command),
            },
        }
    };
    finish(&app, outcome, peer, &parts.method, &parts.uri, started)
}

/// Answers a control command other than a listing.
fn control_answer(app: &AppState, command: Result<Command, String>) -> Outcome {
    let mut status = StatusCode::OK;
    let answer = match command {
        Ok(Command::WireFault(op, kind, count)) => {
            app.set_wire_fault(op, kind, count);
            serde_json::json!({"ok": true, "value": null})
        }
        Ok(session @ (Command::SessionNew | Command::SessionDrop(_))) => {
            sessions::answer(app, &session)
        }
        Ok(Command::Journal) => {
            // Copied under the lock (the journal is bounded), serialized after.
            let entries: Result<Vec<_>, _> = {
                let sim = app.simulator.lock().unwrap_or_else(|p| p.into_inner());
                std::panic::catch_unwind(AssertUnwindSafe(|| {
                    sim.simulator().journal().entries().cloned().collect()
                }))
            };
            match entries {
                Ok(entries) => serde_json::json!({"ok": true, "value": entries}),
                Err(_) => {
                    status = StatusCode::INTERNAL_SERVER_ERROR;
                    panicked()
                }
            }
        }
        command => {
            if let Ok(Command::Reset) = command {
                app.wire_faults
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .clear();
            }
            // As for SOAP: a panic while answering is an error answer, not a dropped
            // connection, and the simulator stays usable.
            let mut sim = app.simulator.lock().unwrap_or_else(|p| p.into_inner());
            std::panic::catch_unwind(AssertUnwindSafe(|| control::answer(&mut *sim, command)))
                .unwrap_or_else(|_| {
                    status = StatusCode::INTERNAL_SERVER_ERROR;
                    panicked()
                })
        }
    };
    let summary = format!(
        "control {}",
        if answer["ok"] == true {
            "ok"
        } else {
            "refused"
        }
    );
    let mut response = Response::new(Body::from(answer.to_string()));
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    Outcome { response, summary }
}

/// The control answer for a panic inside the simulator.
fn panicked() -> serde_json::Value {
    serde_json::json!({"ok": false, "kind": "Invalid",
        "message": "the simulator panicked while answering; its state is kept and it goes on serving"})
}

/// Which listing a control command asked for.
#[derive(Debug, Clone, Copy)]
enum Listing {
    Recordings,
    Events,
}

/// How many items a listing reads under the simulator's lock at a time.
const LISTING_PAGE: usize = 256;

/// One page of a listing, read under the lock and serialized after it is released: the items as
/// JSON separated by commas (with a leading comma unless `first`), how many, and the last `seq`.
fn listing_page(
    app: &AppState,
    kind: Listing,
    query: &crate::simulator::Query,
    first: bool,
) -> Result<(Vec<u8>, usize, u64), String> {
    use crate::simulator::Listed;
    enum Page {
        Recordings(Vec<Listed<crate::simulator::Recording>>),
        Events(Vec<Listed<crate::simulator::Event>>),
    }
    let page = {
        let mut sim = app.simulator.lock().unwrap_or_else(|p| p.into_inner());
        let sim = sim.simulator_mut();
        std::panic::catch_unwind(AssertUnwindSafe(|| match kind {
            Listing::Recordings => sim.list_recordings(query).map(Page::Recordings),
            Listing::Events => sim.list_events(query).map(Page::Events),
        }))
        .map_err(|_| "the simulator panicked while listing; its state is kept".to_string())?
        .map_err(|e| e.to_string())?
    };
    fn write<T: serde::Serialize>(items: &[Listed<T>], first: bool, out: &mut Vec<u8>) -> u64 {
        let mut last = 0;
        for (i, item) in items.iter().enumerate() {
            if i > 0 || !first {
                out.push(b',');
            }
            // Plain data (strings, numbers, times as text): serializing cannot fail.
            let _ = serde_json::to_writer(&mut *out, item);
            last = item.seq;
        }
        last
    }
    let mut out = Vec::new();
    let (count, last) = match &page {
        Page::Recordings(items) => (items.len(), write(items, first, &mut out)),
        Page::Events(items) => (items.len(), write(items, first, &mut out)),
    };
    Ok((out, count, last))
}

/// A listing's answer, streamed page by page (see [`control_endpoint`]). A failure before the
/// first item is an ordinary refusal; one later ends the body early, which a client reads as a
/// broken answer.
fn listing(app: &Arc<AppState>, kind: Listing, query: crate::simulator::Query) -> Outcome {
    use axum::body::Bytes;
    let wanted = query.limit;
    let mut page_query = crate::simulator::Query {
        limit: wanted.min(LISTING_PAGE),
        ..query
    };
    let (first, count, last) = match listing_page(app, kind, &page_query, true) {
        Ok(page) => page,
        Err(message) => {
            return control_answer_value(
                StatusCode::OK,
                serde_json::json!({"ok": false, "kind": "Invalid", "message": message}),
            )
        }
    };
    let mut head = br#"{"ok":true,"value":["#.to_vec();
    head.extend_from_slice(&first);
    let more = count == page_query.limit && count < wanted;
    page_query.after = last;
    struct Rest {
        app: Arc<AppState>,
        kind: Listing,
        query: crate::simulator::Query,
        left: usize,
        more: bool,
    }
    let rest = Rest {
        app: app.clone(),
        kind,
        query: page_query,
        left: wanted - count,
        more,
    };
    let pages = futures_util::stream::unfold(Some(rest), |state| async move {
        let mut rest = state?;
        if !rest.more {
            return Some((Ok::<Bytes, std::io::Error>(Bytes::from_static(b"]}")), None));
        }
        rest.query.limit = rest.left.min(LISTING_PAGE);
        match listing_page(&rest.app, rest.kind, &rest.query, false) {
            Ok((bytes, count, last)) => {
                rest.left -= count;
                rest.more = count == rest.query.limit && rest.left > 0;
                rest.query.after = last;
                Some((Ok(Bytes::from(bytes)), Some(rest)))
            }
            Err(message) => Some((Err(std::io::Error::other(message)), None)),
        }
    });
    let head = futures_util::stream::once(async move { Ok(Bytes::from(head)) });
    let mut response = Response::new(Body::from_stream(futures_util::StreamExt::chain(
        head, pages,
    )));
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    Outcome {
        response,
        summary: format!(
            "control {} (streamed)",
            match kind {
                Listing::Recordings => "recordings",
                Listing::Events => "events",
            }
        ),
    }
}

/// A JSON control answer.
fn control_answer_value(status: StatusCode, answer: serde_json::Value) -> Outcome {
    let mut response = Response::new(Body::from(answer.to_string()));
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    Outcome {
        response,
        summary: "control refused".to_string(),
    }
}

async fn soap_call(
    app: &AppState,
    headers: &HeaderMap,
    declared: Option<u64>,
    body: Received,
    peer: SocketAddr,
    started: Instant,
) -> Outcome {
    // Borrowed from the headers unless a byte is not UTF-8 (checked first by `from_utf8`, whose
    // ASCII path is quicker than the lossy conversion's).
    fn text(v: &HeaderValue) -> std::borrow::Cow<'_, str> {
        match std::str::from_utf8(v.as_bytes()) {
            Ok(text) => std::borrow::Cow::Borrowed(text),
            Err(_) => String::from_utf8_lossy(v.as_bytes()),
        }
    }
    // The first value of each, as `HeaderMap::get` gives it, found in one pass over the few
    // headers a request has rather than by hashing each name (a custom name's hash is the
    // dearer part of a look-up).
    let (mut content_type, mut action) = (None, None);
    for (name, value) in headers {
        if content_type.is_none() && name == header::CONTENT_TYPE {
            content_type = Some(text(value));
        } else if action.is_none() && name == SOAP_ACTION {
            action = Some(text(value));
        }
    }
    // Step 1 of wire.md: a declared length over the limit is refused before a byte is read.
    if declared.is_some_and(|n| n > app.body_limit as u64) {
        return too_large(app.body_limit);
    }
    let read = match body {
        Received::Whole(bytes) if bytes.len() > app.body_limit => return too_large(app.body_limit),
        Received::Whole(bytes) => Ok(bytes),
        Received::Body(body) => to_bytes(body, app.body_limit).await,
    };
    let bytes = match read {
        Ok(bytes) => bytes,
        Err(e) => {
            if is_length_limit(&e) {
                return too_large(app.body_limit);
            }
            return Outcome {
                response: plain(
                    StatusCode::BAD_REQUEST,
                    "the request body could not be read",
                ),
                summary: format!("body unreadable: {e}"),
            };
        }
    };
    let incoming = soap::Incoming {
        body: &bytes,
        content_type: content_type.as_deref(),
        soap_action: action.as_deref(),
    };
    let (outcome, answered) = match soap::read_request(&incoming, &app.read) {
        Ok(read) => answer(app, read, peer, started).await,
        Err(refused) => refusal_outcome(app, refused, peer),
    };
    if app.trace {
        print_trace(&incoming, &outcome, answered.as_deref());
    }
    outcome
}

/// The body's length as its `Content-Length` declares it, when that is a number.
pub(super) fn declared_length(headers: &HeaderMap) -> Option<u64> {
    headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
}

/// The answer to a request refused while reading it, as WCF answers, with its notes.
fn refusal_outcome(
    app: &AppState,
    refused: soap::Refused,
    peer: SocketAddr,
) -> (Outcome, Option<String>) {
    let notes = soap::render_notes(&refused.notes, None);
    let findings = audit_refusal(app, &refused, peer);
    let mut body = None;
    let mut outcome = match refused.refusal {
        // too_large says why itself.
        soap::Refusal::TooLarge => return (too_large(app.body_limit), None),
        soap::Refusal::UnsupportedMediaType { reason_phrase } => Outcome {
            response: empty(StatusCode::UNSUPPORTED_MEDIA_TYPE, Some(&reason_phrase)),
            summary: "refused".to_string(),
        },
        soap::Refusal::BadRequest => Outcome {
            response: empty(StatusCode::BAD_REQUEST, None),
            summary: "refused".to_string(),
        },
        soap::Refusal::Fault(fault) => {
            let xml = fault.encode();
            body = Some(xml.clone());
            Outcome {
                response: xml_response(StatusCode::INTERNAL_SERVER_ERROR, xml),
                summary: fault.code(),
            }
        }
    };
    outcome.summary = format!("{}: {}", outcome.summary, crate::audit::card::mask(&notes));
    for f in &findings {
        outcome.summary.push_str(" | ");
        outcome.summary.push_str(&f.line());
    }
    set_reason(&mut outcome.response, &notes);
    (outcome, body)
}

/// Audits a request the reader refused: no operation, a fault or an HTTP refusal, its wire notes
/// (the `wire` rule, and the coverage of failures the client met). It has no journal entry, so
/// its number is 0.
fn audit_refusal(
    app: &AppState,
    refused: &soap::Refused,
    peer: SocketAddr,
) -> Vec<crate::audit::Finding> {
    use crate::exchange::{Exchange, FailureKind, Outcome as Answer};
    let mut sim = app.simulator.lock().unwrap_or_else(|p| p.into_inner());
    if !sim.audits() {
        return Vec::new();
    }
    let (kind, detail) = match &refused.refusal {
        soap::Refusal::Fault(f) => (FailureKind::Fault, f.code()),
        soap::Refusal::TooLarge => (FailureKind::Http, "413".to_string()),
        soap::Refusal::UnsupportedMediaType { .. } => (FailureKind::Http, "415".to_string()),
        soap::Refusal::BadRequest => (FailureKind::Http, "400".to_string()),
    };
    let now = sim.simulator().clock().now().and_utc();
    let exchange = Exchange {
        seq: 0,
        sent: now,
        answered: Some(now),
        client: Some(super::peer::client_text(peer)),
        request: None,
        outcome: Answer::Failed { kind, detail },
        notes: refused.notes.iter().map(|n| n.to_note(None)).collect(),
    };
    sim.audit(&exchange)
}

/// An answer with an empty body and, when given, a reason phrase in the status line.
fn empty(status: StatusCode, phrase: Option<&str>) -> Response {
    let mut response = Response::new(Body::empty());
    *response.status_mut() = status;
    if let Some(phrase) =
        phrase.and_then(|p| hyper::ext::ReasonPhrase::try_from(p.to_string()).ok())
    {
        response.extensions_mut().insert(phrase);
    }
    response
}

/// Sets `x-ecapi-reason` to `text`, bounded (see [`reason_header_value`]); nothing when empty.
fn set_reason(response: &mut Response, text: &str) {
    if text.is_empty() {
        return;
    }
    if let Ok(v) = HeaderValue::from_str(&reason_header_value(text)) {
        // Only a simulator says why; clients other than ours ignore the header.
        response.headers_mut().insert(REASON, v);
    }
}

/// Prints one exchange for `serve --trace`, in the client's `--trace` layout: the request as it
/// came (pretty-printed when it is XML), then the status and the answer.
fn print_trace(incoming: &soap::Incoming<'_>, outcome: &Outcome, answered: Option<&str>) {
    let request = match soap::charset::content_type(incoming.content_type, true)
        .ok()
        .and_then(|c| soap::charset::decode(incoming.body, &c).ok())
    {
        Some((text, _)) => soap::pretty(&text),
        None => String::from_utf8_lossy(incoming.body).into_owned(),
    };
    let status = outcome.response.status();
    let phrase = outcome
        .response
        .extensions()
        .get::<hyper::ext::ReasonPhrase>()
        .map(|p| String::from_utf8_lossy(p.as_bytes()).into_owned())
        .or_else(|| status.canonical_reason().map(str::to_string))
        .unwrap_or_default();
    let text = format!(
        "--> {}\nContent-Type: {}\nSOAPAction: {}\n{}\n<-- HTTP {} {phrase}\n{}\n",
        outcome.summary,
        incoming.content_type.unwrap_or("(none)"),
        incoming.soap_action.unwrap_or("(none)"),
        request.trim_end(),
        status.as_u16(),
        answered
            .map(soap::pretty)
            .as_deref()
            .map(str::trim_end)
            .unwrap_or("(empty body)"),
    );
    let mut err = std::io::stderr().lock();
    let _ = writeln!(err, "{}", crate::secrets::mask(&text));
}

/// Answers a request that was read: the simulator's answer, with the reader's notes in the
/// journal, the log line and `x-ecapi-reason`. The second value is the answer's body, for
/// `--trace`. The exchange is audited ([`crate::audit`]) under the simulator's lock; its findings
/// join the journal and the log line.
async fn answer(
    app: &AppState,
    read: soap::Read,
    peer: SocketAddr,
    started: Instant,
) -> (Outcome, Option<String>) {
    let soap::Read { request, notes, .. } = read;
    let op = request.op();
    let wire_fault = app.take_wire_fault(op);
    match wire_fault {
        Some(WireFault::HttpError) => {
            let html = "<html><head><title>Service Unavailable</title></head><body><h1>Service \
                 Unavailable</h1><p>The recorder is not answering (simulated).</p></body></html>";
            let mut response = Response::new(Body::from(html));
            *response.status_mut() = StatusCode::SERVICE_UNAVAILABLE;
            response.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/html; charset=utf-8"),
            );
            let outcome = Outcome {
                response,
                summary: format!("{op} simulated HTTP error"),
            };
            return (outcome, Some(html.to_string()));
        }
        Some(WireFault::SoapFault) => {
            return fault_outcome(Fault::internal_service_fault(), "simulated fault");
        }
        _ => {}
    }
    // The lock is held only while the simulator answers; a panic inside it becomes a fault
    // instead of a dropped connection and a poisoned simulator.
    let answer = {
        let mut sim = app.simulator.lock().unwrap_or_else(|p| p.into_inner());
        let answer =
            std::panic::catch_unwind(AssertUnwindSafe(|| sim.simulator_mut().handle(&request)));
        // The notes join the journal entry just made, worded with the code it answered.
        if !notes.is_empty() {
            let code = match &answer {
                Ok(Ok(outcome)) => Some(outcome.response.code),
                _ => None,
            };
            sim.simulator_mut()
                .note_last(&soap::render_notes(&notes, code));
        }
        let findings = match &answer {
            Ok(Ok(outcome)) if sim.audits() => {
                // Sent when it arrived, answered after any simulated delay, on the simulator's
                // clock so that sim_advance moves the audit's windows too. A virtual clock stands
                // still between requests, so under it an exchange takes no time (and requests
                // cannot be seen to overlap).
                let now = sim.simulator().clock().now().and_utc();
                let real = sim.simulator().clock().mode() == crate::simulator::ClockMode::Real;
                let span = |d: std::time::Duration| {
                    if real {
                        chrono::Duration::from_std(d).unwrap_or_default()
                    } else {
                        chrono::Duration::zero()
                    }
                };
                let (waited, delay) = (span(started.elapsed()), span(outcome.delay));
                let code = Some(outcome.response.code);
                let exchange = crate::exchange::Exchange {
                    seq: sim.simulator().journal().total(),
                    sent: now - waited,
                    answered: Some(now + delay),
                    client: Some(super::peer::client_text(peer)),
                    request: Some(request),
                    outcome: crate::exchange::Outcome::Answered(outcome.response.clone()),
                    notes: notes.iter().map(|n| n.to_note(code)).collect(),
                };
                sim.audit(&exchange)
            }
            _ => Vec::new(),
        };
        (answer, findings)
    };
    let (answer, findings) = answer;
    match answer {
        Ok(Ok(outcome)) => {
            if !outcome.delay.is_zero() {
                tokio::time::sleep(outcome.delay).await;
            }
            let code = outcome.response.code;
            let xml = app.frames.encode(&outcome.response);
            // What changed the outcome first, then the simulator's reason, then the headers WCF
            // ignores as ecapi did (zeep sends three WS-Addressing headers with every request):
            // they must not push the reason out of a line cut to its length.
            let (ignored, telling): (Vec<_>, Vec<_>) = notes
                .iter()
                .cloned()
                .partition(|n| n.to_note(Some(code)).harmless);
            let reason = if notes.is_empty() {
                outcome.reason.unwrap_or_default()
            } else {
                [
                    soap::render_notes(&telling, Some(code)),
                    outcome.reason.unwrap_or_default(),
                    soap::render_notes(&ignored, Some(code)),
                ]
                .into_iter()
                .filter(|s| !s.is_empty())
                .collect::<Vec<_>>()
                .join("; ")
            };
            // The line says why, as the header does: the wire notes, then the simulator's reason
            // for a code other than 100.
            let mut summary = String::with_capacity(op.name().len() + 4);
            summary.push_str(op.name());
            summary.push(' ');
            summary.push_str(itoa::Buffer::new().format(code));
            if !reason.is_empty() {
                summary.push_str(": ");
                summary.push_str(&crate::audit::card::mask(&reason));
            }
            for f in &findings {
                summary.push_str(" | ");
                summary.push_str(&f.line());
            }
            match wire_fault {
                Some(WireFault::BrokenBody) => {
                    let half = xml[..xml.len() / 2].to_string();
                    let outcome = Outcome {
                        response: xml_response(StatusCode::OK, half.clone()),
                        summary: format!("{summary}, simulated broken body"),
                    };
                    (outcome, Some(half))
                }
                Some(WireFault::Drop) => (
                    Outcome {
                        response: dropped(),
                        summary: format!("{summary}, simulated dropped connection"),
                    },
                    Some("(connection dropped)".to_string()),
                ),
                _ => {
                    // The answer's text is kept for `--trace` only; otherwise it moves into the
                    // response as it is.
                    let traced = app.trace.then(|| xml.clone());
                    let mut response = xml_response(StatusCode::OK, xml);
                    set_reason(&mut response, &reason);
                    (Outcome { response, summary }, traced)
                }
            }
        }
        Ok(Err(RequestError::NotAnInteger { param, value })) => fault_outcome(
            Fault::deserialization_failed(&app.names.service_ns, param, &value),
            &format!("{op} {param}={value}"),
        ),
        Ok(Err(RequestError::NotInVersion { op, .. })) => fault_outcome(
            Fault::action_not_supported(&app.names.action(op)),
            &format!("{op} not in API {}", app.api),
        ),
        Ok(Err(e)) => fault_outcome(Fault::internal_service_fault(), &e.to_string()),
        Err(_) => fault_outcome(Fault::internal_service_fault(), "simulator panicked"),
    }
}

/// The value of `x-ecapi-reason` for a text: printable ASCII only (anything else becomes `?`, so
/// no control character reaches a header), at most [`REASON_HEADER_LIMIT`] bytes, cut with `…`
/// written as `...`.
pub fn reason_header_value(text: &str) -> String {
    let mut out = String::with_capacity(text.len().min(REASON_HEADER_LIMIT));
    for c in text.chars() {
        if out.len() == REASON_HEADER_LIMIT {
            out.truncate(REASON_HEADER_LIMIT - 3);
            out.push_str("...");
            break;
        }
        out.push(if (' '..='~').contains(&c) { c } else { '?' });
    }
    out
}

fn describe(app: &AppState, headers: &HeaderMap, query: Option<&str>) -> Outcome {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("localhost");
    let address = format!("{}://{host}{}", app.scheme, app.names.path);
    let query = query.filter(|q| !q.is_empty());
    let document = query.map(|q| (q, soap::WsdlDocument::from_query(q)));
    match document {
        Some((q, Some(doc))) => match soap::wsdl_document(doc, app.api, &app.names, &address) {
            Some(text) => Outcome {
                response: xml_response(StatusCode::OK, text),
                summary: match doc {
                    soap::WsdlDocument::Wsdl => "WSDL".to_string(),
                    other => format!("WSDL ?{}", other.query()),
                },
            },
            None => Outcome {
                response: plain(StatusCode::NOT_FOUND, "no such metadata document"),
                summary: format!("no such document ?{q}"),
            },
        },
        Some((q, None)) => Outcome {
            response: plain(
                StatusCode::NOT_FOUND,
                "this service publishes ?wsdl, ?singleWsdl and the documents they import",
            ),
            summary: format!("no such document ?{q}"),
        },
        None => {
            // The address comes from the client's Host header: escaped like any value.
            let address = url_player::escape(&address);
            let page = format!(
                "<html><head><title>ECAPI</title></head><body><h1>ECAPI</h1><p>A simulated \
                 Encore Web API {}. Its description: <a href=\"{address}?wsdl\">{address}?wsdl</a>\
                 </p><p>As a single file (as WCF offers it, for toolkits that read one document): \
                 <a href=\"{address}?singleWsdl\">{address}?singleWsdl</a></p></body></html>",
                app.api
            );
            let mut response = Response::new(Body::from(page));
            response.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/html; charset=utf-8"),
            );
            Outcome {
                response,
                summary: "service page".to_string(),
            }
        }
    }
}

/// The URL player page of a recording (see [`url_player`]).
pub(super) async fn player(
    State(app): State<Arc<AppState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    request: axum::extract::Request,
) -> Response {
    let started = Instant::now();
    let (parts, _) = request.into_parts();
    let outcome = if parts.method != Method::GET && parts.method != Method::HEAD {
        Outcome {
            response: plain(StatusCode::METHOD_NOT_ALLOWED, "use GET"),
            summary: "player: method not allowed".to_string(),
        }
    } else {
        let page = {
            let mut sim = app.simulator.lock().unwrap_or_else(|p| p.into_inner());
            url_player::page(&mut sim, parts.uri.query())
        };
        match page {
            Ok(Page::Found(html)) => Outcome {
                response: html_response(StatusCode::OK, html),
                summary: "player".to_string(),
            },
            Ok(Page::NotFound(html)) => Outcome {
                response: html_response(StatusCode::NOT_FOUND, html),
                summary: "player: no such recording".to_string(),
            },
            Err(e) => Outcome {
                response: plain(StatusCode::INTERNAL_SERVER_ERROR, &e.to_string()),
                summary: format!("player: {e}"),
            },
        }
    };
    finish(&app, outcome, peer, &parts.method, &parts.uri, started)
}

async fn not_found(uri: Uri) -> Response {
    plain(
        StatusCode::NOT_FOUND,
        &format!("no service at {}", uri.path()),
    )
}

fn too_large(limit: usize) -> Outcome {
    let note = soap::WireNote::TooLarge { limit }.render(None);
    let mut response = plain(
        StatusCode::PAYLOAD_TOO_LARGE,
        &format!("the request body is larger than {limit} bytes"),
    );
    set_reason(&mut response, &note);
    Outcome {
        response,
        summary: format!("413: {note}"),
    }
}

fn fault_outcome(fault: Fault, why: &str) -> (Outcome, Option<String>) {
    let summary = format!("{} ({why})", fault.code());
    let xml = fault.encode();
    let outcome = Outcome {
        response: xml_response(StatusCode::INTERNAL_SERVER_ERROR, xml.clone()),
        summary,
    };
    (outcome, Some(xml))
}

fn xml_response(status: StatusCode, xml: String) -> Response {
    let mut response = Response::new(Body::from(xml));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(TEXT_XML));
    response
}

/// An answer whose body fails at once, so that the connection closes without a complete answer.
fn dropped() -> Response {
    let failing = futures_util::stream::once(async {
        Err::<axum::body::Bytes, std::io::Error>(std::io::Error::other(
            "simulated dropped connection",
        ))
    });
    xml_response_body(Body::from_stream(failing))
}

fn xml_response_body(body: Body) -> Response {
    let mut response = Response::new(body);
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(TEXT_XML));
    response
}

fn html_response(status: StatusCode, html: String) -> Response {
    let mut response = Response::new(Body::from(html));
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    response
}

pub(super) fn plain(status: StatusCode, text: &str) -> Response {
    let mut response = Response::new(Body::from(text.to_string()));
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    response
}

/// Whether reading a body failed because it passed the limit given to `to_bytes` (its error
/// kind, `http_body_util::LengthLimitError`, somewhere in the chain), rather than because the
/// connection failed.
fn is_length_limit(e: &axum::Error) -> bool {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(error) = source {
        if error.is::<http_body_util::LengthLimitError>() {
            return true;
        }
        source = error.source();
    }
    false
}
