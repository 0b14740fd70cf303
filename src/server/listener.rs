//! The accept loop: connections, TLS, timeouts, the connection cap, basic authentication, the
//! request body read, and graceful shutdown. Below it is hyper's HTTP/1 connection; above it the
//! router of [`super::handler`].
//!
//! Nothing a client does can hold the server's resources for long:
//! - **headers**: a request's head must arrive within [`Limits::header_timeout`] of the moment the
//!   connection starts waiting for it (hyper's `header_read_timeout`), else the connection closes
//!   without an answer, as IIS's HTTP.sys does. The TLS handshake has the same time.
//! - **idle**: between requests, a kept-alive connection may stay silent for
//!   [`Limits::idle_timeout`]; once the next request's first byte arrives, its head has
//!   `header_timeout` again. (hyper times both with one timer; [`HeadTimer`] tells them apart by
//!   whether a byte arrived since the wait began.)
//! - **body**: the whole body must arrive within [`Limits::body_timeout`] of its head, else
//!   `408 Request Timeout` and the connection closes. The body is read here, up to one byte past
//!   the body limit, so the handlers get it whole (and answer 413 as before when it is larger).
//! - **connections**: at most [`Limits::max_connections`] at once; the next is accepted when
//!   one closes (the timeouts above see to that), so one client opening sockets until the
//!   descriptor limit cannot lock everyone else out for longer than a timeout.

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{header, HeaderValue, Request, StatusCode};
use axum::response::Response;
use axum::Router;
use http_body_util::BodyExt;
use hyper::body::{Body as _, Incoming};
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tokio_rustls::TlsAcceptor;

use super::guard::BasicAuth;
use super::log::RequestLog;
use super::ServerError;

/// How long shutdown waits for requests in flight before closing their connections.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// How long the accept loop pauses after the system refused a connection (out of descriptors).
const ACCEPT_BACKOFF: Duration = Duration::from_millis(50);

/// Time limits and the connection cap.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// The time for a request's head (request line and headers) to arrive. Default 10 s.
    pub header_timeout: Duration,
    /// The time for a request's body to arrive, from its head; 408 after it. Default 30 s.
    pub body_timeout: Duration,
    /// The time a kept-alive connection may wait, silent, for its next request. Default 60 s.
    pub idle_timeout: Duration,
    /// The most connections served at once; more wait to be accepted. Default 512, below the
    /// common 1,024-descriptor limit so the server always has descriptors for its own files.
    pub max_connections: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            header_timeout: Duration::from_secs(10),
            body_timeout: Duration::from_secs(30),
            idle_timeout: Duration::from_secs(60),
            max_connections: 512,
        }
    }
}

/// What every connection shares.
pub struct Front {
    pub limits: Limits,
    /// The largest body handed to the handlers; they answer 413 beyond it.
    pub body_limit: usize,
    pub basic_auth: Option<BasicAuth>,
    pub log: Option<Arc<RequestLog>>,
    pub tls: Option<TlsAcceptor>,
}

impl std::fmt::Debug for Front {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Front")
            .field("limits", &self.limits)
            .field("body_limit", &self.body_limit)
            .field("basic_auth", &self.basic_auth.is_some())
            .field("tls", &self.tls.is_some())
            .finish()
    }
}

/// Accepts connections and serves them with `router` until `stop` completes, then gives
/// requests in flight [`SHUTDOWN_GRACE`] to finish.
pub async fn run(
    listener: TcpListener,
    front: Arc<Front>,
    router: Router,
    stop: impl Future<Output = ()> + Send + 'static,
) -> Result<(), ServerError> {
    let slots = Arc::new(Semaphore::new(front.limits.max_connections.max(1)));
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    tokio::pin!(stop);
    loop {
        let slot = tokio::select! {
            _ = &mut stop => break,
            slot = slots.clone().acquire_owned() => slot.expect("the semaphore is never closed"),
        };
        let (tcp, peer) = tokio::select! {
            _ = &mut stop => break,
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                // Out of descriptors, or a connection reset before it was accepted: the
                // listener itself is fine, so wait a moment and go on.
                Err(_) => {
                    tokio::time::sleep(ACCEPT_BACKOFF).await;
                    continue;
                }
            },
        };
        // Requests and answers are small and synchronous: send each segment at once.
        let _ = tcp.set_nodelay(true);
        let front = front.clone();
        let router = router.clone();
        let watcher = graceful.watcher();
        tokio::spawn(async move {
            let _slot = slot;
            let read = Arc::new(AtomicU64::new(0));
            let tcp = Counted {
                inner: tcp,
                read: read.clone(),
            };
            match front.tls.clone() {
                None => serve_connection(tcp, read, peer, front, router, watcher).await,
                Some(acceptor) => {
                    let handshake =
                        tokio::time::timeout(front.limits.header_timeout, acceptor.accept(tcp));
                    match handshake.await {
                        Ok(Ok(tls)) => {
                            serve_connection(tls, read, peer, front, router, watcher).await
                        }
                        Ok(Err(e)) => {
                            if let Some(log) = &front.log {
                                log.connection(peer, &format!("TLS handshake failed: {e}"));
                            }
                        }
                        Err(_) => {
                            if let Some(log) = &front.log {
                                log.connection(peer, &"TLS handshake timed out");
                            }
                        }
                    }
                }
            }
        });
    }
    drop(listener);
    // Graceful shutdown waits for requests in flight; a client that never finishes its request
    // must not keep the server alive, so the wait is bounded.
    let _ = tokio::time::timeout(SHUTDOWN_GRACE, graceful.shutdown()).await;
    Ok(())
}

async fn serve_connection<I>(
    io: I,
    read: Arc<AtomicU64>,
    peer: SocketAddr,
    front: Arc<Front>,
    router: Router,
    watcher: hyper_util::server::graceful::Watcher,
) where
    I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let timer = HeadTimer {
        read,
        heads: Arc::new(AtomicU64::new(0)),
        header: front.limits.header_timeout,
        idle: front.limits.idle_timeout,
    };
    let service = hyper::service::service_fn(move |request: Request<Incoming>| {
        let front = front.clone();
        let router = router.clone();
        async move { Ok::<_, Infallible>(handle(&front, router, peer, request).await) }
    });
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(timer)
        .header_read_timeout(timer_placeholder())
        .keep_alive(true);
    let connection = http.serve_connection(TokioIo::new(io), service);
    // A connection that ends in a timeout or a client's reset is nothing to report.
    let _ = watcher.watch(connection).await;
}

/// hyper needs a duration to turn its header timer on; [`HeadTimer`] decides the real deadline.
fn timer_placeholder() -> Duration {
    Duration::from_secs(1)
}

/// One request: basic authentication, then the body within its time, then the router.
async fn handle(
    front: &Front,
    mut router: Router,
    peer: SocketAddr,
    request: Request<Incoming>,
) -> Response {
    let started = Instant::now();
    if let Some(auth) = &front.basic_auth {
        if let Some(refusal) = auth.refusal(request.headers()) {
            log(front, peer, &request, &refusal, "unauthorized", started);
            return refusal;
        }
    }
    let (mut parts, body) = request.into_parts();
    parts.extensions.insert(ConnectInfo(peer));
    let declared = parts
        .headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    // A body declared too large is refused by the handlers without reading it; an empty one has
    // nothing to wait for.
    let body = if body.is_end_stream() || declared.is_some_and(|n| n > front.body_limit as u64) {
        Body::new(body)
    } else {
        match tokio::time::timeout(front.limits.body_timeout, read_body(body, front.body_limit))
            .await
        {
            Ok(body) => body,
            Err(_) => {
                let request = Request::from_parts(parts, ());
                let response = request_timeout(front.limits.body_timeout);
                log(front, peer, &request, &response, "body timed out", started);
                return response;
            }
        }
    };
    let request = Request::from_parts(parts, body);
    match tower_service::Service::call(&mut router, request).await {
        Ok(response) => response,
        Err(never) => match never {},
    }
}

/// Reads a body whole, or up to one byte past `limit` (the handlers then answer 413); a body
/// that fails (the client closed mid-body) is handed on as a failing body.
async fn read_body(mut body: Incoming, limit: usize) -> Body {
    let mut data = Vec::new();
    loop {
        match body.frame().await {
            None => return Body::from(data),
            Some(Ok(frame)) => {
                if let Ok(chunk) = frame.into_data() {
                    data.extend_from_slice(&chunk);
                    if data.len() > limit {
                        return Body::from(data);
                    }
                }
            }
            Some(Err(e)) => {
                let failing = futures_util::stream::once(async move { Err::<Vec<u8>, _>(e) });
                return Body::from_stream(failing);
            }
        }
    }
}

fn request_timeout(limit: Duration) -> Response {
    let mut response = Response::new(Body::from(format!(
        "the request body did not arrive within {} s",
        limit.as_secs_f64()
    )));
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
            request.uri(),
            response.status().as_u16(),
            summary,
            started.elapsed(),
        );
    }
}

/// A connection's stream, counting the bytes read so that [`HeadTimer`] knows whether a request
/// has begun to arrive.
struct Counted<S> {
    inner: S,
    read: Arc<AtomicU64>,
}

impl<S: AsyncRead + Unpin> AsyncRead for Counted<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.inner).poll_read(cx, buf);
        let got = buf.filled().len() - before;
        if got > 0 {
            self.read.fetch_add(got as u64, Ordering::Relaxed);
        }
        polled
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Counted<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}

/// The timer hyper's HTTP/1 server uses to time the reading of a request head. hyper asks it
/// for a deadline each time the connection starts waiting for a head: for the first request
/// that is the header timeout; for the next ones, the idle timeout until a byte arrives, then
/// the header timeout from that moment.
#[derive(Clone)]
struct HeadTimer {
    read: Arc<AtomicU64>,
    heads: Arc<AtomicU64>,
    header: Duration,
    idle: Duration,
}

impl hyper::rt::Timer for HeadTimer {
    fn sleep(&self, duration: Duration) -> Pin<Box<dyn hyper::rt::Sleep>> {
        Box::pin(HeadWait {
            sleep: Box::pin(tokio::time::sleep(duration)),
            idle: None,
        })
    }

    fn sleep_until(&self, _deadline: std::time::Instant) -> Pin<Box<dyn hyper::rt::Sleep>> {
        let first = self.heads.fetch_add(1, Ordering::Relaxed) == 0;
        let (wait, idle) = if first {
            (self.header, None)
        } else {
            let read_at_start = self.read.load(Ordering::Relaxed);
            (
                self.idle,
                Some((self.read.clone(), read_at_start, self.header)),
            )
        };
        Box::pin(HeadWait {
            sleep: Box::pin(tokio::time::sleep(wait)),
            idle,
        })
    }
}

/// A wait for a request head (see [`HeadTimer`]).
struct HeadWait {
    sleep: Pin<Box<tokio::time::Sleep>>,
    /// While idle: the byte counter, its value when the wait began, and the header timeout to
    /// switch to once it moves.
    idle: Option<(Arc<AtomicU64>, u64, Duration)>,
}

impl Future for HeadWait {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if let Some((read, at_start, header)) = &self.idle {
            if read.load(Ordering::Relaxed) != *at_start {
                let deadline = tokio::time::Instant::now() + *header;
                self.idle = None;
                self.sleep.as_mut().reset(deadline);
            }
        }
        self.sleep.as_mut().poll(cx)
    }
}

impl hyper::rt::Sleep for HeadWait {}
