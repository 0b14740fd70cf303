//! One kept-alive HTTP/1.1 connection of the SOAP client, written and read by the calling thread
//! itself: the request goes out in one `write`, the answer comes back through blocking reads on the
//! same socket, so a call wakes its thread once and hands nothing to another thread.
//!
//! Owns: connecting (name resolution and TCP on a helper thread, so that a stop is not held up by
//! an address that never answers), the TLS session (rustls, with the options' trusted roots or no
//! checks at all for `--insecure`), writing a request and reading its answer's head (`httparse`)
//! and body (`Content-Length`, `chunked`, or up to the connection's end). The socket's reads and
//! writes time out every [`POLL`] so that a request in flight is abandoned within that time when
//! the run is stopped ([`Cancel`]) or its deadline (`--timeout`) passes; the connection is then
//! dropped, as it is after any failure and after an answer that ends it (`Connection: close`).
//!
//! Errors are [`Failure`]s; [`super::http`] words them for the user.

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};

use rustls::pki_types::ServerName;

use super::cancel::POLL;
use super::{Cancel, Stopped};

/// The largest answer head read (64 KiB); a longer one is refused, as hyper refuses it.
const MAX_HEAD: usize = 64 * 1024;
/// The most headers an answer head may have.
const MAX_HEADERS: usize = 64;
/// The largest answer body read (64 MiB), far beyond any Web API answer.
const MAX_BODY: usize = 64 * 1024 * 1024;
/// The read buffer's first size.
const BUFFER: usize = 8 * 1024;

/// Where the connections go: the endpoint's host and port, and how to speak TLS to it.
#[derive(Clone)]
pub(super) struct Origin {
    /// The host as the URL names it (`encore.example.com`, `127.0.0.1`, `[::1]`).
    pub host: String,
    /// The port, given or the scheme's default.
    pub port: u16,
    /// The TLS configuration and the name the certificate must carry; `None` for plain HTTP.
    pub tls: Option<(Arc<rustls::ClientConfig>, ServerName<'static>)>,
}

impl std::fmt::Debug for Origin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Origin")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("tls", &self.tls.is_some())
            .finish()
    }
}

/// Why an exchange failed below HTTP's answer.
#[derive(Debug)]
pub(super) enum Failure {
    /// The run was stopped while waiting.
    Stopped(Stopped),
    /// The host's name could not be resolved, or no address accepted the connection.
    Connect(io::Error),
    /// The connection did not come up within the connect timeout.
    ConnectTimeout,
    /// TLS negotiation failed; the text is rustls's.
    Tls(String),
    /// No complete answer within the request's timeout.
    Timeout,
    /// The connection ended before an answer's head came (`status` is `None`), or the head was
    /// not HTTP; the text says which.
    Head(String),
    /// The answer's body could not be read (its status came); the text says why.
    Body(u16, String),
}

/// An answer as it came: the status, the headers the client reads, the body with its content
/// coding still applied.
#[derive(Debug, Default)]
pub(super) struct RawAnswer {
    pub status: u16,
    pub content_type: Option<String>,
    pub content_encoding: Option<String>,
    pub reason: Option<String>,
    pub simulator: Option<String>,
    pub challenge: Option<String>,
    /// Where a redirect (3xx) points.
    pub location: Option<String>,
    pub body: Vec<u8>,
}

/// The socket, plain or under TLS.
enum Stream {
    Plain(TcpStream),
    Tls(Box<rustls::StreamOwned<rustls::ClientConnection, TcpStream>>),
}

impl Stream {
    fn tcp(&self) -> &TcpStream {
        match self {
            Stream::Plain(s) => s,
            Stream::Tls(s) => &s.sock,
        }
    }
}

impl Read for Stream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Stream::Plain(s) => s.read(buf),
            Stream::Tls(s) => s.read(buf),
        }
    }
}

impl Write for Stream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Stream::Plain(s) => s.write(buf),
            Stream::Tls(s) => s.write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Stream::Plain(s) => s.flush(),
            Stream::Tls(s) => s.flush(),
        }
    }
}

/// Whether an I/O error is the socket's [`POLL`] timeout running out (`WouldBlock` on Unix,
/// `TimedOut` on Windows), not a failure.
fn is_poll_timeout(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
    )
}

/// The rustls error inside an I/O error, when TLS is what failed.
fn tls_error(e: &io::Error) -> Option<String> {
    e.get_ref()
        .and_then(|inner| inner.downcast_ref::<rustls::Error>())
        .map(ToString::to_string)
}

/// A kept-alive connection to one [`Origin`].
pub(super) struct Connection {
    stream: Stream,
    /// Bytes read and not yet taken: `buf[..filled]`.
    buf: Vec<u8>,
    filled: usize,
}

impl std::fmt::Debug for Connection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connection")
            .field("peer", &self.stream.tcp().peer_addr().ok())
            .finish()
    }
}

impl Connection {
    /// Connects to `origin` (and negotiates TLS) within `timeout`, watching `cancel`.
    pub fn open(
        origin: &Origin,
        timeout: Duration,
        cancel: &Cancel,
    ) -> Result<Connection, Failure> {
        let deadline = Instant::now() + timeout;
        let tcp = connect(&origin.host, origin.port, timeout, deadline, cancel)?;
        let _ = tcp.set_nodelay(true);
        tcp.set_read_timeout(Some(POLL))
            .and_then(|()| tcp.set_write_timeout(Some(POLL)))
            .map_err(Failure::Connect)?;
        let stream = match &origin.tls {
            None => Stream::Plain(tcp),
            Some((config, name)) => {
                let tls = rustls::ClientConnection::new(config.clone(), name.clone())
                    .map_err(|e| Failure::Tls(e.to_string()))?;
                let mut stream = rustls::StreamOwned::new(tls, tcp);
                while stream.conn.is_handshaking() {
                    match stream.conn.complete_io(&mut stream.sock) {
                        Ok(_) => {}
                        Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                        Err(e) if is_poll_timeout(&e) => {
                            cancel.check().map_err(Failure::Stopped)?;
                            if Instant::now() >= deadline {
                                return Err(Failure::ConnectTimeout);
                            }
                        }
                        Err(e) => {
                            return Err(Failure::Tls(
                                tls_error(&e).unwrap_or_else(|| e.to_string()),
                            ))
                        }
                    }
                }
                Stream::Tls(Box::new(stream))
            }
        };
        Ok(Connection {
            stream,
            buf: vec![0; BUFFER],
            filled: 0,
        })
    }

    /// Whether the server has closed this idle connection (or sent something unasked), so that
    /// a request must not be written on it. Looks without waiting.
    pub fn is_stale(&mut self) -> bool {
        if self.filled > 0 {
            return true;
        }
        let mut byte = [0u8; 1];
        match peek_now(self.stream.tcp(), &mut byte) {
            // The peer's end: closed.
            Ok(0) => true,
            // Bytes waiting: on plain HTTP an answer nobody asked for; on TLS records, which may
            // be harmless (a session ticket) or say the server is closing (close_notify).
            Ok(_) => match &mut self.stream {
                Stream::Plain(_) => true,
                Stream::Tls(tls) => tls_closing(tls),
            },
            Err(e) => !is_poll_timeout(&e),
        }
    }

    /// Writes `request` (head and body, whole) and reads the answer, by `deadline`. On `Ok`, the
    /// second value says whether the connection may carry another request.
    pub fn exchange(
        &mut self,
        request: &[u8],
        deadline: Instant,
        cancel: &Cancel,
    ) -> Result<(RawAnswer, bool), Failure> {
        self.write_all(request, deadline, cancel)?;
        self.read_answer(deadline, cancel)
    }

    fn write_all(
        &mut self,
        mut data: &[u8],
        deadline: Instant,
        cancel: &Cancel,
    ) -> Result<(), Failure> {
        let sending = |e: io::Error| match tls_error(&e) {
            Some(tls) => Failure::Tls(tls),
            None => Failure::Head(format!("connection error: {e}")),
        };
        while !data.is_empty() {
            self.waited(deadline, cancel)?;
            match self.stream.write(data) {
                Ok(0) => {
                    return Err(Failure::Head(
                        "connection closed before message completed".into(),
                    ))
                }
                Ok(n) => data = &data[n..],
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) if is_poll_timeout(&e) => self.waited(deadline, cancel)?,
                Err(e) => return Err(sending(e)),
            }
        }
        loop {
            match self.stream.flush() {
                Ok(()) => return Ok(()),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) if is_poll_timeout(&e) => self.waited(deadline, cancel)?,
                Err(e) => return Err(sending(e)),
            }
        }
    }

    /// Before each read and write, and after one that gave up for [`POLL`]: stop if the run was
    /// stopped or the deadline passed.
    fn waited(&self, deadline: Instant, cancel: &Cancel) -> Result<(), Failure> {
        cancel.check().map_err(Failure::Stopped)?;
        if Instant::now() >= deadline {
            return Err(Failure::Timeout);
        }
        Ok(())
    }

    /// Reads more bytes after `buf[..filled]`; `Ok(0)` at the connection's end.
    fn fill(&mut self, deadline: Instant, cancel: &Cancel) -> Result<usize, io::Error> {
        if self.filled == self.buf.len() {
            let grown = self.buf.len() * 2;
            self.buf.resize(grown, 0);
        }
        loop {
            // Checked before every read, not only after a read that waited POLL in vain: an answer
            // trickling in a byte at a time must still end at the deadline or a stop.
            if let Err(failure) = self.waited(deadline, cancel) {
                return Err(io::Error::other(Waited(failure)));
            }
            match self.stream.read(&mut self.buf[self.filled..]) {
                Ok(n) => {
                    self.filled += n;
                    return Ok(n);
                }
                // A TLS connection cut without close_notify ends like a plain one.
                Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return Ok(0),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) if is_poll_timeout(&e) => {
                    if let Err(failure) = self.waited(deadline, cancel) {
                        return Err(io::Error::other(Waited(failure)));
                    }
                }
                Err(e) => return Err(e),
            }
        }
    }

    fn read_answer(
        &mut self,
        deadline: Instant,
        cancel: &Cancel,
    ) -> Result<(RawAnswer, bool), Failure> {
        // The head; 1xx interim answers (100 Continue) are skipped.
        let (mut answer, head_len, framing, mut keep) = loop {
            // Nothing read yet (the usual case, before the first read): nothing to parse.
            let parsed = if self.filled == 0 {
                None
            } else {
                let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
                let mut response = httparse::Response::new(&mut headers);
                match response.parse(&self.buf[..self.filled]) {
                    Ok(httparse::Status::Complete(len)) => Some(read_head(&response, len)?),
                    Ok(httparse::Status::Partial) => None,
                    Err(e) => return Err(Failure::Head(parse_error(e).to_string())),
                }
            };
            match parsed {
                Some(head) if (100..200).contains(&head.0.status) && head.0.status != 101 => {
                    self.consume(head.1);
                }
                Some(head) => break head,
                None if self.filled >= MAX_HEAD => {
                    return Err(Failure::Head("message head is too large".into()))
                }
                None => match self.fill(deadline, cancel) {
                    Ok(0) => {
                        return Err(Failure::Head(
                            "connection closed before message completed".into(),
                        ))
                    }
                    Ok(_) => {}
                    Err(e) => return Err(io_failure(e, None)),
                },
            }
        };
        self.consume(head_len);
        let status = answer.status;
        let body_error = |e: io::Error| io_failure(e, Some(status));
        let eof = |status| {
            Failure::Body(
                status,
                "error reading a body from connection: end of file before message length reached"
                    .into(),
            )
        };
        match framing {
            Framing::Empty => {}
            Framing::Length(len) => {
                if len > MAX_BODY {
                    return Err(Failure::Body(
                        status,
                        format!("a body of {len} bytes is too large"),
                    ));
                }
                while self.filled < len {
                    if self.buf.len() < len {
                        self.buf.resize(len, 0);
                    }
                    if self.fill(deadline, cancel).map_err(body_error)? == 0 {
                        return Err(eof(status));
                    }
                }
                answer.body = self.buf[..len].to_vec();
                self.consume(len);
            }
            Framing::Chunked => self.read_chunked(&mut answer.body, status, deadline, cancel)?,
            Framing::UntilClose => {
                keep = false;
                while self.fill(deadline, cancel).map_err(body_error)? > 0 {
                    if self.filled > MAX_BODY {
                        return Err(Failure::Body(status, "the body is too large".into()));
                    }
                }
                answer.body = self.buf[..self.filled].to_vec();
                self.filled = 0;
            }
        }
        // Bytes beyond the answer were not asked for: the connection is not reused.
        Ok((answer, keep && self.filled == 0))
    }

    /// Reads a `chunked` body into `body`, trailers skipped.
    fn read_chunked(
        &mut self,
        body: &mut Vec<u8>,
        status: u16,
        deadline: Instant,
        cancel: &Cancel,
    ) -> Result<(), Failure> {
        let invalid = |what: &str| {
            Failure::Body(
                status,
                format!("error reading a body from connection: {what}"),
            )
        };
        loop {
            // The chunk-size line.
            let line_end = self.line_end(status, deadline, cancel)?;
            let line = &self.buf[..line_end];
            let size_text = line
                .split(|&b| b == b';')
                .next()
                .unwrap_or_default()
                .trim_ascii();
            let size = std::str::from_utf8(size_text)
                .ok()
                .filter(|t| {
                    !t.is_empty() && t.len() <= 16 && t.bytes().all(|b| b.is_ascii_hexdigit())
                })
                .and_then(|t| usize::from_str_radix(t, 16).ok())
                .ok_or_else(|| invalid("invalid chunk size line"))?;
            self.consume(line_end + 2);
            if size == 0 {
                // Trailers, up to the empty line.
                loop {
                    let end = self.line_end(status, deadline, cancel)?;
                    self.consume(end + 2);
                    if end == 0 {
                        return Ok(());
                    }
                }
            }
            // `body` never exceeds MAX_BODY, so this cannot overflow as `body.len() + size` could.
            if size > MAX_BODY - body.len() {
                return Err(Failure::Body(status, "the body is too large".into()));
            }
            let need = size + 2;
            while self.filled < need {
                if self.buf.len() < need {
                    self.buf.resize(need, 0);
                }
                if self
                    .fill(deadline, cancel)
                    .map_err(|e| io_failure(e, Some(status)))?
                    == 0
                {
                    return Err(invalid("end of file before message length reached"));
                }
            }
            if &self.buf[size..need] != b"\r\n" {
                return Err(invalid("invalid chunk end"));
            }
            body.extend_from_slice(&self.buf[..size]);
            self.consume(need);
        }
    }

    /// The position of the first CRLF in the buffer, reading until one comes. A line ended by a
    /// bare LF is refused at once, as hyper refuses it (it would otherwise wait for a CRLF until
    /// the deadline).
    fn line_end(
        &mut self,
        status: u16,
        deadline: Instant,
        cancel: &Cancel,
    ) -> Result<usize, Failure> {
        let mut from = 0;
        loop {
            if let Some(at) = self.buf[from..self.filled].iter().position(|&b| b == b'\n') {
                let at = from + at;
                if at > 0 && self.buf[at - 1] == b'\r' {
                    return Ok(at - 1);
                }
                return Err(Failure::Body(
                    status,
                    "error reading a body from connection: invalid chunk size line".into(),
                ));
            }
            from = self.filled;
            if self.filled > MAX_HEAD {
                return Err(Failure::Body(
                    status,
                    "error reading a body from connection: invalid chunk size line".into(),
                ));
            }
            if self
                .fill(deadline, cancel)
                .map_err(|e| io_failure(e, Some(status)))?
                == 0
            {
                return Err(Failure::Body(
                    status,
                    "error reading a body from connection: end of file before message length reached".into(),
                ));
            }
        }
    }

    /// Drops the first `n` bytes of the buffer.
    fn consume(&mut self, n: usize) {
        self.buf.copy_within(n..self.filled, 0);
        self.filled -= n;
    }
}

/// Reads the TLS records waiting on an idle connection without waiting for more: whether they close
/// it (close_notify, an alert, the connection's end) or carry data nobody asked for.
fn tls_closing(tls: &mut rustls::StreamOwned<rustls::ClientConnection, TcpStream>) -> bool {
    if tls.sock.set_nonblocking(true).is_err() {
        return true;
    }
    let closing = loop {
        match tls.conn.read_tls(&mut tls.sock) {
            Ok(0) => break true,
            Ok(_) => {
                if tls.conn.process_new_packets().is_err() {
                    break true;
                }
                let mut byte = [0u8; 1];
                match tls.conn.reader().read(&mut byte) {
                    // Only session tickets and the like so far.
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                    // close_notify (`Ok(0)`), data nobody asked for, or a failure.
                    _ => break true,
                }
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => break e.kind() != io::ErrorKind::WouldBlock,
        }
    };
    tls.sock.set_nonblocking(false).is_err() || closing
}

/// How an answer's body is delimited.
enum Framing {
    Empty,
    Length(usize),
    Chunked,
    UntilClose,
}

/// The facts of a parsed head: the answer (without its body), the head's length, the body's
/// framing, and whether the server keeps the connection.
fn read_head(
    response: &httparse::Response<'_, '_>,
    len: usize,
) -> Result<(RawAnswer, usize, Framing, bool), Failure> {
    let status = response.code.unwrap_or(0);
    let mut answer = RawAnswer {
        status,
        ..RawAnswer::default()
    };
    let mut length: Option<usize> = None;
    let mut chunked = false;
    // HTTP/1.1 keeps the connection unless told otherwise; HTTP/1.0 closes it unless told.
    let mut keep = response.version == Some(1);
    for header in response.headers.iter() {
        // Header values are nearly always ASCII: checked in one pass, converted lossily only when
        // they are not UTF-8.
        let text = || match std::str::from_utf8(header.value) {
            Ok(value) => value.to_owned(),
            Err(_) => String::from_utf8_lossy(header.value).into_owned(),
        };
        let name = header.name;
        if name.eq_ignore_ascii_case("content-type") {
            answer.content_type = Some(text());
        } else if name.eq_ignore_ascii_case("content-length") {
            // Digits only (no sign), and every Content-Length the same number, as hyper reads
            // them: anything else is refused in hyper's words, not guessed at.
            let value = std::str::from_utf8(header.value)
                .ok()
                .map(str::trim)
                .filter(|t| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit()))
                .and_then(|t| t.parse::<usize>().ok());
            match (value, length) {
                (Some(n), None) => length = Some(n),
                (Some(n), Some(before)) if n == before => {}
                _ => return Err(Failure::Head("invalid content-length parsed".into())),
            }
        } else if name.eq_ignore_ascii_case("transfer-encoding") {
            chunked = String::from_utf8_lossy(header.value)
                .rsplit(',')
                .next()
                .is_some_and(|last| last.trim().eq_ignore_ascii_case("chunked"));
        } else if name.eq_ignore_ascii_case("connection") {
            for token in String::from_utf8_lossy(header.value).split(',') {
                if token.trim().eq_ignore_ascii_case("close") {
                    keep = false;
                } else if token.trim().eq_ignore_ascii_case("keep-alive") {
                    keep = true;
                }
            }
        } else if name.eq_ignore_ascii_case("content-encoding") {
            answer.content_encoding = Some(text());
        } else if name.eq_ignore_ascii_case(super::REASON_HEADER) {
            answer.reason = Some(text());
        } else if name.eq_ignore_ascii_case(super::control::SIMULATOR_HEADER) {
            answer.simulator = Some(text());
        } else if name.eq_ignore_ascii_case("www-authenticate") {
            answer.challenge = Some(text());
        } else if name.eq_ignore_ascii_case("location") {
            answer.location = Some(text());
        }
    }
    let framing = if matches!(status, 204 | 304) || (100..200).contains(&status) {
        Framing::Empty
    } else if chunked {
        Framing::Chunked
    } else {
        match length {
            Some(0) => Framing::Empty,
            Some(n) => Framing::Length(n),
            None => Framing::UntilClose,
        }
    };
    Ok((answer, len, framing, keep))
}

/// hyper's words for a head that is not HTTP, which the client's messages have always used.
fn parse_error(e: httparse::Error) -> &'static str {
    match e {
        httparse::Error::Version => "invalid HTTP version parsed",
        httparse::Error::Status => "invalid HTTP status-code parsed",
        httparse::Error::TooManyHeaders => "message head is too large",
        _ => "invalid HTTP header parsed",
    }
}

/// A stop or timeout carried through an `io::Error` out of [`Connection::fill`].
#[derive(Debug)]
struct Waited(Failure);

impl std::fmt::Display for Waited {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?}", self.0)
    }
}

impl std::error::Error for Waited {}

/// The failure a read's error stands for: a stop or timeout, TLS, or the connection failing
/// (before the head, or in the body of an answer with `status`).
fn io_failure(e: io::Error, status: Option<u16>) -> Failure {
    if e.get_ref().is_some_and(|inner| inner.is::<Waited>()) {
        let inner = e.into_inner().expect("checked").downcast::<Waited>();
        return match inner {
            Ok(waited) => waited.0,
            Err(other) => Failure::Head(other.to_string()),
        };
    }
    if let Some(tls) = tls_error(&e) {
        return Failure::Tls(tls);
    }
    match status {
        None => Failure::Head(format!("connection error: {e}")),
        Some(status) => Failure::Body(status, format!("error reading a body from connection: {e}")),
    }
}

/// Resolves `host` and connects to its first address that accepts, within `timeout`. The work is
/// done on a helper thread so that a stop ends the wait at once (std's connect cannot be
/// interrupted); an abandoned attempt ends on its own at the timeout.
fn connect(
    host: &str,
    port: u16,
    timeout: Duration,
    deadline: Instant,
    cancel: &Cancel,
) -> Result<TcpStream, Failure> {
    cancel.check().map_err(Failure::Stopped)?;
    // An IPv6 address without the brackets the URL writes it in.
    let bare = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host);
    let target = bare.to_string();
    let (send, receive) = mpsc::channel();
    let attempt = move || {
        let outcome = (target.as_str(), port)
            .to_socket_addrs()
            .and_then(|addrs| connect_any(addrs.collect(), timeout));
        let _ = send.send(outcome);
    };
    let spawned = std::thread::Builder::new()
        .name("ecapi-connect".into())
        .spawn(attempt);
    let outcome = match spawned {
        Ok(_) => loop {
            match receive.recv_timeout(POLL) {
                Ok(outcome) => break outcome,
                Err(mpsc::RecvTimeoutError::Timeout) => {
                    cancel.check().map_err(Failure::Stopped)?;
                    if Instant::now() >= deadline + POLL {
                        return Err(Failure::ConnectTimeout);
                    }
                }
                Err(mpsc::RecvTimeoutError::Disconnected) => {
                    return Err(Failure::Connect(io::Error::other(
                        "the connecting thread ended",
                    )))
                }
            }
        },
        // No thread to be had: connect on this one.
        Err(_) => {
            let addrs = (bare, port).to_socket_addrs().map_err(Failure::Connect)?;
            connect_any(addrs.collect(), timeout)
        }
    };
    outcome.map_err(|e| {
        if e.kind() == io::ErrorKind::TimedOut {
            Failure::ConnectTimeout
        } else {
            Failure::Connect(e)
        }
    })
}

/// Connects to the first of `addrs` that accepts; the last address's error otherwise.
fn connect_any(addrs: Vec<SocketAddr>, timeout: Duration) -> io::Result<TcpStream> {
    let mut last = io::Error::new(io::ErrorKind::NotFound, "the host name has no address");
    for addr in addrs {
        match TcpStream::connect_timeout(&addr, timeout) {
            Ok(stream) => return Ok(stream),
            Err(e) => last = e,
        }
    }
    Err(last)
}

/// Peeks at the socket without waiting.
#[cfg(unix)]
fn peek_now(tcp: &TcpStream, buf: &mut [u8]) -> io::Result<usize> {
    use std::os::fd::AsRawFd;
    // SAFETY: `buf` is valid for `buf.len()` bytes and the descriptor is open for `tcp`'s life.
    let n = unsafe {
        libc::recv(
            tcp.as_raw_fd(),
            buf.as_mut_ptr().cast(),
            buf.len(),
            libc::MSG_PEEK | libc::MSG_DONTWAIT,
        )
    };
    if n < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(n as usize)
    }
}

/// Peeks at the socket without waiting.
#[cfg(not(unix))]
fn peek_now(tcp: &TcpStream, buf: &mut [u8]) -> io::Result<usize> {
    tcp.set_nonblocking(true)?;
    let peeked = tcp.peek(buf);
    tcp.set_nonblocking(false)?;
    peeked
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::TcpListener;

    fn webpki_config() -> Arc<rustls::ClientConfig> {
        let roots = rustls::RootCertStore {
            roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
        };
        Arc::new(
            rustls::ClientConfig::builder_with_provider(Arc::new(
                rustls::crypto::ring::default_provider(),
            ))
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_root_certificates(roots)
            .with_no_client_auth(),
        )
    }

    fn origin(port: u16) -> Origin {
        Origin {
            host: "127.0.0.1".into(),
            port,
            tls: Some((
                webpki_config(),
                ServerName::try_from("localhost".to_string()).unwrap(),
            )),
        }
    }

    /// A TLS server's configuration with a new self-signed certificate for `localhost`, and that
    /// certificate.
    fn self_signed_server() -> (
        rustls::ServerConfig,
        rustls::pki_types::CertificateDer<'static>,
    ) {
        let made = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
        let config = rustls::ServerConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(
            vec![made.cert.der().clone()],
            rustls::pki_types::PrivatePkcs8KeyDer::from(made.key_pair.serialize_der()).into(),
        )
        .unwrap();
        (config, made.cert.der().clone())
    }

    #[test]
    fn a_server_certificate_from_an_unknown_issuer_is_a_tls_failure_naming_it() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let (server, _) = self_signed_server();
        std::thread::spawn(move || {
            let (mut tcp, _) = listener.accept().unwrap();
            let mut tls = rustls::ServerConnection::new(Arc::new(server)).unwrap();
            let _ = tls.complete_io(&mut tcp);
            let _ = tls.complete_io(&mut tcp);
        });
        let failure = Connection::open(&origin(port), Duration::from_secs(10), &Cancel::default())
            .unwrap_err();
        match failure {
            Failure::Tls(text) => assert_eq!(text, "invalid peer certificate: UnknownIssuer"),
            other => panic!("expected a TLS failure, got {other:?}"),
        }
    }

    #[test]
    fn an_idle_tls_connection_the_server_closed_with_close_notify_is_stale_and_an_open_one_is_not()
    {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let (server, cert) = self_signed_server();
        let mut roots = rustls::RootCertStore::empty();
        roots.add(cert).unwrap();
        let client = rustls::ClientConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
        let (answered, closed) = (mpsc::channel::<()>(), mpsc::channel::<()>());
        let (told_close, close) = mpsc::channel::<()>();
        let (answered_tx, answered_rx) = answered;
        let (closed_tx, closed_rx) = closed;
        std::thread::spawn(move || {
            let (tcp, _) = listener.accept().unwrap();
            let tls = rustls::ServerConnection::new(Arc::new(server)).unwrap();
            let mut stream = rustls::StreamOwned::new(tls, tcp);
            let mut seen = Vec::new();
            let mut buf = [0u8; 1024];
            while !seen.windows(4).any(|w| w == b"\r\n\r\n") {
                let n = stream.read(&mut buf).unwrap();
                seen.extend_from_slice(&buf[..n]);
            }
            stream
                .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
                .unwrap();
            stream.flush().unwrap();
            answered_tx.send(()).unwrap();
            close.recv().unwrap();
            stream.conn.send_close_notify();
            stream.conn.complete_io(&mut stream.sock).unwrap();
            closed_tx.send(()).unwrap();
            // The TCP connection stays open: only the close_notify says the server is done.
            std::thread::sleep(Duration::from_secs(5));
        });
        let origin = Origin {
            host: "127.0.0.1".into(),
            port,
            tls: Some((
                Arc::new(client),
                ServerName::try_from("localhost".to_string()).unwrap(),
            )),
        };
        let cancel = Cancel::default();
        let mut connection = Connection::open(&origin, Duration::from_secs(10), &cancel).unwrap();
        let deadline = Instant::now() + Duration::from_secs(10);
        let (answer, keep) = connection
            .exchange(
                b"GET / HTTP/1.1\r\nhost: localhost\r\n\r\n",
                deadline,
                &cancel,
            )
            .unwrap();
        assert_eq!(
            (answer.status, answer.body.as_slice(), keep),
            (200, &b"ok"[..], true)
        );
        answered_rx.recv().unwrap();
        assert!(!connection.is_stale(), "open, idle, session tickets read");
        told_close.send(()).unwrap();
        closed_rx.recv().unwrap();
        // The close_notify is on its way over loopback; look until it has come (bounded).
        while !connection.is_stale() {
            assert!(Instant::now() < deadline, "the close_notify was never seen");
            std::thread::sleep(Duration::from_millis(2));
        }
    }

    #[test]
    fn a_plain_http_server_spoken_to_in_tls_is_a_tls_failure() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        std::thread::spawn(move || {
            let (mut tcp, _) = listener.accept().unwrap();
            let mut buf = [0u8; 1024];
            let _ = tcp.read(&mut buf);
            let _ = tcp.write_all(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n");
        });
        let failure = Connection::open(&origin(port), Duration::from_secs(10), &Cancel::default())
            .unwrap_err();
        match failure {
            Failure::Tls(text) => assert!(text.contains("corrupt message"), "{text}"),
            other => panic!("expected a TLS failure, got {other:?}"),
        }
    }

    #[test]
    fn a_refused_connection_is_a_connect_failure_and_a_stop_ends_the_wait_for_it() {
        let port = {
            let listener = TcpListener::bind("127.0.0.1:0").unwrap();
            listener.local_addr().unwrap().port()
        };
        let plain = Origin {
            host: "127.0.0.1".into(),
            port,
            tls: None,
        };
        match Connection::open(&plain, Duration::from_secs(10), &Cancel::default()) {
            Err(Failure::Connect(e)) => assert_eq!(e.kind(), io::ErrorKind::ConnectionRefused),
            other => panic!("expected a refused connection, got {other:?}"),
        }
        let stopped = Cancel::default();
        stopped
            .flag()
            .store(true, std::sync::atomic::Ordering::SeqCst);
        assert!(matches!(
            Connection::open(&plain, Duration::from_secs(10), &stopped),
            Err(Failure::Stopped(Stopped::Interrupted))
        ));
    }
}
