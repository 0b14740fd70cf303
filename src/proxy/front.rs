//! The proxy's side of the HTTP front door: a request from [`crate::listener`] becomes a call to
//! the forwarder, and its reply an HTTP answer, on hyper directly.
//!
//! Why hyper here and not axum (which `server/` owns, and which runs on this same hyper): the proxy
//! is an HTTP intermediary, not a web application. It needs the connection itself: to close it
//! without an answer when the upstream dropped its own (a hyper service that fails does exactly
//! that, where an axum handler must answer), to send the upstream's status line with its own
//! reason phrase (WCF's 415 carries its message there), and nothing of routing or extractors.
//!
//! The request's body is read within the body timeout (408 after it, as `serve` answers) and only
//! up to `--max-message-size` (413 beyond it, naming the option), so a connection holds at most
//! that much of a request; the upstream's answer is bounded by `--max-response-size`
//! ([`super::forward`]).

use std::net::SocketAddr;

use http_body_util::Full;
use hyper::body::{Body as _, Bytes, Incoming};
use hyper::header::{HeaderValue, CONNECTION, CONTENT_LENGTH, CONTENT_TYPE};
use hyper::StatusCode;

use super::forward::{Forwarder, Reply};
use crate::listener::{read_body, ReadBody};

/// Why a connection was closed without an answer.
#[derive(Debug)]
pub struct DropConnection(&'static str);

impl std::fmt::Display for DropConnection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.0)
    }
}

impl std::error::Error for DropConnection {}

/// Answers one request from `peer`.
pub async fn answer(
    forwarder: &Forwarder,
    request: hyper::Request<Incoming>,
    peer: SocketAddr,
) -> Result<hyper::Response<Full<Bytes>>, DropConnection> {
    let (parts, body) = request.into_parts();
    let limit = forwarder.max_message_size;
    let declared = parts
        .headers
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    let body = if body.is_end_stream() {
        Vec::new()
    } else if declared.is_some_and(|n| n > limit as u64) {
        return Ok(too_large(limit));
    } else {
        let body_timeout = forwarder.limits.body_timeout;
        match read_body(body, limit, body_timeout).await {
            ReadBody::Whole(bytes) if bytes.len() > limit => return Ok(too_large(limit)),
            ReadBody::Whole(bytes) => bytes.to_vec(),
            ReadBody::TimedOut => {
                let text = format!(
                    "ecapi proxy: {}",
                    crate::listener::body_timeout_message(body_timeout)
                );
                let mut response = text_response(StatusCode::REQUEST_TIMEOUT, text);
                // The rest of the body may still come: the connection cannot carry another.
                response
                    .headers_mut()
                    .insert(CONNECTION, HeaderValue::from_static("close"));
                return Ok(response);
            }
            ReadBody::Failed(_) => return Err(DropConnection("the client closed mid-body")),
        }
    };
    let target = parts
        .uri
        .path_and_query()
        .map_or("/", |p| p.as_str())
        .to_string();
    let reply = forwarder
        .handle(parts.method, &target, parts.headers, body, peer)
        .await;
    match reply {
        Reply::Answer {
            status,
            reason,
            headers,
            body,
        } => {
            let mut response = hyper::Response::new(Full::new(Bytes::from(body)));
            *response.status_mut() = status;
            *response.headers_mut() = headers;
            if let Some(Ok(reason)) = reason.map(hyper::ext::ReasonPhrase::try_from) {
                response.extensions_mut().insert(reason);
            }
            Ok(response)
        }
        Reply::Drop => Err(DropConnection("the upstream dropped the connection")),
    }
}

fn text_response(status: StatusCode, text: String) -> hyper::Response<Full<Bytes>> {
    let mut response = hyper::Response::new(Full::new(Bytes::from(text)));
    *response.status_mut() = status;
    response.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    response
}

fn too_large(limit: usize) -> hyper::Response<Full<Bytes>> {
    let mut response = text_response(
        StatusCode::PAYLOAD_TOO_LARGE,
        format!("ecapi proxy: the request is over --max-message-size ({limit} bytes)"),
    );
    // The body is left unread: the connection cannot carry another request.
    response
        .headers_mut()
        .insert(CONNECTION, HeaderValue::from_static("close"));
    response
}
