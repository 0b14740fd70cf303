//! The proxy's own HTTP listener, on hyper directly.
//!
//! Why hyper here and not axum (which `server/` owns, and which runs on this same hyper): the proxy
//! is an HTTP intermediary, not a web application. It needs the connection itself: to close it
//! without an answer when the upstream dropped its own (a hyper service that fails does exactly
//! that, where an axum handler must answer), to send the upstream's status line with its own
//! reason phrase (WCF's 415 carries its message there), and nothing of routing or extractors. A
//! thin adapter in `server/` would only have to re-expose those hyper details through axum, so the
//! proxy names hyper, in this one file, and `server/` stays the only user of axum.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;

use super::forward::{Forwarder, Reply};

/// Accepts connections until `stop` completes, each served on its own task with keep-alive.
pub async fn serve(
    listener: tokio::net::TcpListener,
    forwarder: Arc<Forwarder>,
    stop: impl Future<Output = ()>,
) {
    tokio::pin!(stop);
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            _ = &mut stop => return,
        };
        let (stream, peer) = match accepted {
            Ok(pair) => pair,
            Err(_) => {
                // Out of descriptors and the like: wait a moment rather than spin or stop.
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        // Requests and answers are small and synchronous: send each segment at once.
        let _ = stream.set_nodelay(true);
        let forwarder = forwarder.clone();
        tokio::spawn(async move {
            let service = service_fn(move |request: hyper::Request<Incoming>| {
                let forwarder = forwarder.clone();
                async move { answer(&forwarder, request, peer).await }
            });
            let _ = http1::Builder::new()
                .keep_alive(true)
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

/// Why a connection was closed without an answer: the upstream closed its own.
#[derive(Debug)]
struct DropConnection;

impl std::fmt::Display for DropConnection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("the upstream dropped the connection")
    }
}

impl std::error::Error for DropConnection {}

async fn answer(
    forwarder: &Forwarder,
    request: hyper::Request<Incoming>,
    peer: SocketAddr,
) -> Result<hyper::Response<Full<Bytes>>, DropConnection> {
    let (parts, body) = request.into_parts();
    let body = http_body_util::BodyExt::collect(http_body_util::Limited::new(
        body,
        super::forward::BODY_LIMIT,
    ))
    .await
    .map(|b| b.to_bytes().to_vec());
    let target = parts
        .uri
        .path_and_query()
        .map_or("/", |p| p.as_str())
        .to_string();
    let reply = forwarder
        .handle(parts.method, &target, parts.headers, body.ok(), peer)
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
        Reply::Drop => Err(DropConnection),
    }
}
