//! One HTTP request in, one HTTP response out: the WSDL route, the SOAP endpoint and its HTTP-level
//! refusals (415, 413, 405, 404), and the log line.

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
use super::url_player::{self, Page};
use super::ServeOptions;
use crate::api::{ApiVersion, Operation, RequestError};
use crate::client::control::{self, Command, CONTROL_SUFFIX, SIMULATOR_HEADER};
use crate::client::{Embedded, WireFault};
use crate::soap::{self, Fault, Names};

/// The default largest request body: 1 MiB, far above any real request (a LogEvent with three
/// full Parm values is under 8 KiB).
pub const DEFAULT_BODY_LIMIT: usize = 1024 * 1024;

const TEXT_XML: &str = "text/xml; charset=utf-8";

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
    pub api: ApiVersion,
    body_limit: usize,
    log: Option<Arc<RequestLog>>,
    /// `http` or `https`, for the addresses the WSDL and the service page show.
    scheme: &'static str,
}

impl AppState {
    pub fn new(options: ServeOptions, log: Option<Arc<RequestLog>>) -> AppState {
        AppState {
            api: options.simulator.api(),
            identity: HeaderValue::from_str(&format!(
                "{} {}",
                options.simulator.profile(),
                options.simulator.api()
            ))
            .expect("profile and version names are header-safe"),
            simulator: Arc::new(Mutex::new(Embedded::new(options.simulator))),
            wire_faults: Mutex::new(Vec::new()),
            names: options.names,
            body_limit: options.body_limit,
            log,
            scheme: if options.tls.is_some() {
                "https"
            } else {
                "http"
            },
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
            any(control_endpoint).layer(control_guard),
        )
        .route(url_player::PATH, any(player).layer(player_guard))
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

async fn endpoint(
    State(app): State<Arc<AppState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    request: axum::extract::Request,
) -> Response {
    let started = Instant::now();
    // The request is taken apart rather than extracted piece by piece, which would copy headers.
    let (parts, body) = request.into_parts();
    let (method, uri, headers) = (parts.method, parts.uri, parts.headers);
    let outcome = match method {
        Method::POST => soap_call(&app, &headers, body).await,
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
        .insert(SIMULATOR_HEADER, app.identity.clone());
    if let Some(log) = &app.log {
        log.request(
            peer,
            method,
            uri,
            outcome.response.status().as_u16(),
            &outcome.summary,
            started.elapsed(),
        );
    }
    outcome.response
}

/// The control interface: one JSON command per POST (see [`crate::client::control`]).
async fn control_endpoint(
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
            Ok(bytes) => {
                let answer = match control::parse(&bytes) {
                    Ok(Command::WireFault(op, kind, count)) => {
                        app.set_wire_fault(op, kind, count);
                        serde_json::json!({"ok": true, "value": null})
                    }
                    command => {
                        if let Ok(Command::Reset) = command {
                            app.wire_faults
                                .lock()
                                .unwrap_or_else(|p| p.into_inner())
                                .clear();
                        }
                        let mut sim = app.simulator.lock().unwrap_or_else(|p| p.into_inner());
                        control::answer(&mut *sim, command)
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
                response.headers_mut().insert(
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("application/json"),
                );
                Outcome { response, summary }
            }
        }
    };
    finish(&app, outcome, peer, &parts.method, &parts.uri, started)
}

async fn soap_call(app: &AppState, headers: &HeaderMap, body: Body) -> Outcome {
    if !is_text_xml(headers.get(header::CONTENT_TYPE)) {
        let got = headers
            .get(header::CONTENT_TYPE)
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
            .unwrap_or_default();
        return Outcome {
            response: plain(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                &format!(
                    "Cannot process the message because the content type '{got}' was not the \
                     expected type '{TEXT_XML}'."
                ),
            ),
            summary: format!("content type '{got}'"),
        };
    }
    // A declared length over the limit is refused before a byte of the body is read.
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > app.body_limit as u64) {
        return too_large(app.body_limit);
    }
    let bytes = match to_bytes(body, app.body_limit).await {
        Ok(bytes) => bytes,
        Err(e) => {
            let length_error = std::error::Error::source(&e)
                .map(|s| s.to_string().contains("length limit"))
                .unwrap_or(false)
                || e.to_string().contains("length limit");
            if length_error {
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
    let action = headers
        .get("soapaction")
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
    let request = match soap::decode_request(&bytes, action.as_deref(), app.api, &app.names) {
        Ok(request) => request,
        Err(e) => return fault_outcome(e.to_fault(), &e.to_string()),
    };
    let op = request.op();
    let wire_fault = app.take_wire_fault(op);
    match wire_fault {
        Some(WireFault::HttpError) => {
            let mut response = Response::new(Body::from(
                "<html><head><title>Service Unavailable</title></head><body><h1>Service \
                 Unavailable</h1><p>The recorder is not answering (simulated).</p></body></html>",
            ));
            *response.status_mut() = StatusCode::SERVICE_UNAVAILABLE;
            response.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/html; charset=utf-8"),
            );
            return Outcome {
                response,
                summary: format!("{op} simulated HTTP error"),
            };
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
        std::panic::catch_unwind(AssertUnwindSafe(|| sim.simulator_mut().handle(&request)))
    };
    match answer {
        Ok(Ok(outcome)) => {
            if !outcome.delay.is_zero() {
                tokio::time::sleep(outcome.delay).await;
            }
            let xml = soap::encode_response(&outcome.response, &app.names);
            let summary = format!("{op} {}", outcome.response.code);
            let reason = outcome.reason;
            match wire_fault {
                Some(WireFault::BrokenBody) => Outcome {
                    response: xml_response(StatusCode::OK, xml[..xml.len() / 2].to_string()),
                    summary: format!("{summary}, simulated broken body"),
                },
                Some(WireFault::Drop) => Outcome {
                    response: dropped(),
                    summary: format!("{summary}, simulated dropped connection"),
                },
                _ => {
                    let mut response = xml_response(StatusCode::OK, xml);
                    if let Some(value) = reason.as_deref().map(header_text) {
                        // Only a simulator says why; clients other than ours ignore the header.
                        if let Ok(v) = header::HeaderValue::from_str(&value) {
                            response
                                .headers_mut()
                                .insert(crate::client::REASON_HEADER, v);
                        }
                    }
                    Outcome { response, summary }
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

/// Text fit for a header value: printable ASCII, anything else as `?`.
fn header_text(s: &str) -> String {
    s.chars()
        .map(|c| if (' '..='~').contains(&c) { c } else { '?' })
        .collect()
}

fn describe(app: &AppState, headers: &HeaderMap, query: Option<&str>) -> Outcome {
    let key = query
        .and_then(|q| q.split('&').next())
        .map(|k| k.split('=').next().unwrap_or(k).to_ascii_lowercase());
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("localhost");
    let address = format!("{}://{host}{}", app.scheme, app.names.path);
    match key.as_deref() {
        Some("wsdl") | Some("singlewsdl") => Outcome {
            response: xml_response(StatusCode::OK, soap::wsdl(app.api, &app.names, &address)),
            summary: "WSDL".to_string(),
        },
        Some(other) => Outcome {
            response: plain(StatusCode::NOT_FOUND, "this service publishes ?wsdl only"),
            summary: format!("no such document ?{other}"),
        },
        None => {
            // The address comes from the client's Host header: escaped like any value.
            let address = url_player::escape(&address);
            let page = format!(
                "<html><head><title>ECAPI</title></head><body><h1>ECAPI</h1><p>A simulated \
                 Encore Web API {}. Its description: <a href=\"{address}?wsdl\">{address}?wsdl</a>\
                 </p></body></html>",
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
async fn player(
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
            url_player::page(sim.simulator_mut(), parts.uri.query())
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

fn is_text_xml(value: Option<&HeaderValue>) -> bool {
    value
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|media| media.trim().eq_ignore_ascii_case("text/xml"))
}

fn too_large(limit: usize) -> Outcome {
    Outcome {
        response: plain(
            StatusCode::PAYLOAD_TOO_LARGE,
            &format!("the request body is larger than {limit} bytes"),
        ),
        summary: "body too large".to_string(),
    }
}

fn fault_outcome(fault: Fault, why: &str) -> Outcome {
    let summary = format!("{} ({why})", fault.code());
    Outcome {
        response: xml_response(StatusCode::INTERNAL_SERVER_ERROR, fault.encode()),
        summary,
    }
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

fn plain(status: StatusCode, text: &str) -> Response {
    let mut response = Response::new(Body::from(text.to_string()));
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    response
}
