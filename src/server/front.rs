//! What every request to `ecapi serve` meets before the router of [`super::handler`]: basic
//! authentication, then its body read within the body timeout and up to one byte past the body
//! limit (so the handlers get it whole and answer 413 when it is larger), else `408 Request
//! Timeout`. A POST to the endpoint's own path, nearly all of a server's work, then goes straight
//! to [`super::handler::post`] with the bytes read; everything else goes through the router. The
//! connections themselves (TLS, timeouts, the cap) are [`crate::listener`]'s.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{header, HeaderValue, Method, Request, StatusCode};
use axum::response::Response;
use axum::Router;
use hyper::body::{Body as _, Incoming};

use super::guard::BasicAuth;
use super::handler::{self, AppState, Received};
use super::log::RequestLog;
use crate::listener::{read_body, ReadBody};

/// What every request shares.
pub struct Front {
    /// The timeouts and the connection cap.
    pub listener: Arc<crate::listener::Front>,
    /// The largest body handed to the handlers; they answer 413 beyond it.
    pub body_limit: usize,
    pub basic_auth: Option<BasicAuth>,
    pub log: Option<Arc<RequestLog>>,
    /// The endpoint's state: a POST to its path is answered without the router.
    pub endpoint: Arc<AppState>,
}

impl std::fmt::Debug for Front {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Front")
            .field("listener", &self.listener)
            .field("body_limit", &self.body_limit)
            .field("basic_auth", &self.basic_auth.is_some())
            .finish_non_exhaustive()
    }
}

/// One request: basic authentication, then the body within its time, then the router.
pub async fn handle(
    front: Arc<Front>,
    mut router: Router,
    peer: SocketAddr,
    request: Request<Incoming>,
) -> Response {
    let started = Instant::now();
    if let Some(auth) = &front.basic_auth {
        if let Some(refusal) = auth.refusal(request.headers()) {
            log(&front, peer, &request, &refusal, "unauthorized", started);
            return refusal;
        }
    }
    let (mut parts, body) = request.into_parts();
    // A POST to the endpoint is most of a server's work: it skips the router (its matching, its
    // extensions, the body boxed and collected again).
    let direct = parts.method == Method::POST && parts.uri.path() == front.endpoint.names.path;
    if !direct {
        parts.extensions.insert(ConnectInfo(peer));
    }
    let declared = handler::declared_length(&parts.headers);
    // A body declared too large is refused by the handlers without reading it; an empty one has
    // nothing to wait for.
    let body = if body.is_end_stream() || declared.is_some_and(|n| n > front.body_limit as u64) {
        Received::Body(Body::new(body))
    } else {
        let body_timeout = front.listener.limits.body_timeout;
        match read_body(body, front.body_limit, body_timeout).await {
            ReadBody::Whole(bytes) => Received::Whole(bytes),
            // The client closed mid-body: handed on as a failing body.
            ReadBody::Failed(e) => {
                Received::Body(Body::from_stream(futures_util::stream::once(async move {
                    Err::<Vec<u8>, _>(e)
                })))
            }
            ReadBody::TimedOut => {
                let request = Request::from_parts(parts, ());
                let response = request_timeout(body_timeout);
                log(&front, peer, &request, &response, "body timed out", started);
                return response;
            }
        }
    };
    if direct {
        return handler::post(&front.endpoint, peer, parts, declared, body).await;
    }
    let body = match body {
        Received::Whole(bytes) => Body::from(bytes),
        Received::Body(body) => body,
    };
    let request = Request::from_parts(parts, body);
    match tower_service::Service::call(&mut router, request).await {
        Ok(response) => response,
        Err(never) => match never {},
    }
}

fn request_timeout(limit: Duration) -> Response {
    let mut response = Response::new(Body::from(crate::listener::body_timeout_message(limit)));
    *response.status_mut() = StatusCode::REQUEST_TIMEOUT;
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    // The rest of the body may still come: the connection cannot carry another request.
    headers.insert(header::CONNECTION, HeaderValue::from_static("close"));
    response
}

fn log<B>(
    front: &Front,
    peer: SocketAddr,
    request: &Request<B>,
    response: &Response,
    summary: &str,
    started: Instant,
) {
    if let Some(log) = &front.log {
        log.request(
            peer,
            request.method(),
            &super::secret::LoggedUri(request.uri()),
            response.status().as_u16(),
            summary,
            started.elapsed(),
        );
    }
}
