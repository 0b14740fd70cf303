//! The SOAP client's own connection for calls, against a scripted server that keeps connections
//! open: the request's head byte for byte, kept-alive reuse, `Connection: close`, a connection the
//! server closed while idle, `chunked` and `gzip` answers, an HTTP/1.0 answer read to the end,
//! interim `100 Continue` answers, and the bad paths (reset mid-answer, a head too large, an
//! answer that stalls past `--timeout`, a stop while the answer is awaited).

mod common;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use ecapi::api::{Operation, Param, Request};
use ecapi::client::{Cancel, Http, HttpOptions, Transport, TransportError};

/// A PortStatus answer's envelope, as an Encore server sends it.
const ANSWER: &str = "<s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\"><s:Body>\
<PortStatusResponse xmlns=\"http://tempuri.org/\"><PortStatusResult \
xmlns:a=\"http://schemas.datacontract.org/2004/07/ECAPI\" \
xmlns:i=\"http://www.w3.org/2001/XMLSchema-instance\"><a:responseCode>100</a:responseCode>\
<a:responseMessage>Success</a:responseMessage></PortStatusResult></PortStatusResponse>\
</s:Body></s:Envelope>";

/// What the server does with the `n`th POST (from 0) of the run.
enum Reply {
    /// Write these bytes and keep reading the connection.
    Keep(Vec<u8>),
    /// Write these bytes and close the connection.
    Close(Vec<u8>),
    /// Write these bytes, then reset the connection (SO_LINGER 0).
    Reset(Vec<u8>),
    /// Write these bytes and then nothing, holding the connection until the client goes.
    Stall(Vec<u8>),
    /// Write these bytes one at a time, this long apart, until done or the client goes.
    Trickle(Vec<u8>, Duration),
}

/// What the server saw.
#[derive(Default)]
struct Log {
    /// Each POST's head, as sent.
    heads: Vec<String>,
    /// Connections accepted.
    connections: usize,
    /// Connections the server closed.
    closed: usize,
}

struct Server {
    addr: SocketAddr,
    log: Arc<Mutex<Log>>,
}

impl Server {
    /// A server whose GETs (the WSDL) answer 404, so the client uses its default contract, and
    /// whose POSTs are answered as `reply` says.
    fn start(reply: impl Fn(usize) -> Reply + Send + Sync + 'static) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let log = Arc::new(Mutex::new(Log::default()));
        let shared = log.clone();
        let reply = Arc::new(reply);
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { continue };
                shared.lock().unwrap().connections += 1;
                let log = shared.clone();
                let reply = reply.clone();
                std::thread::spawn(move || serve(stream, &*reply, &log));
            }
        });
        Server { addr, log }
    }

    fn url(&self) -> String {
        format!("http://{}/WebAPI/ECAPI.svc", self.addr)
    }

    fn heads(&self) -> Vec<String> {
        self.log.lock().unwrap().heads.clone()
    }

    fn connections(&self) -> usize {
        self.log.lock().unwrap().connections
    }
}

fn serve(mut stream: TcpStream, reply: &(dyn Fn(usize) -> Reply + Send + Sync), log: &Mutex<Log>) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(30)));
    let mut bytes = Vec::new();
    loop {
        let Some((head, _body)) = common::read_request(&mut stream, &mut bytes) else {
            return;
        };
        if head.starts_with("GET") {
            let _ = stream.write_all(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n");
            continue;
        }
        let n = {
            let mut log = log.lock().unwrap();
            log.heads.push(head);
            log.heads.len() - 1
        };
        match reply(n) {
            Reply::Keep(answer) => {
                let _ = stream.write_all(&answer);
            }
            Reply::Close(answer) => {
                let _ = stream.write_all(&answer);
                drop(stream);
                log.lock().unwrap().closed += 1;
                return;
            }
            Reply::Reset(answer) => {
                let _ = stream.write_all(&answer);
                reset(stream);
                return;
            }
            Reply::Stall(answer) => {
                let _ = stream.write_all(&answer);
                let _ = stream.read(&mut [0u8; 1024]);
                return;
            }
            Reply::Trickle(answer, gap) => {
                for byte in answer {
                    if stream.write_all(&[byte]).is_err() {
                        return;
                    }
                    std::thread::sleep(gap);
                }
            }
        }
    }
}

/// Closes `stream` with a reset (SO_LINGER of 0) rather than an orderly end.
#[cfg(target_os = "linux")]
fn reset(stream: TcpStream) {
    use std::os::fd::AsRawFd;
    let linger = libc::linger {
        l_onoff: 1,
        l_linger: 0,
    };
    // SAFETY: a valid descriptor and a `struct linger` of the size given.
    unsafe {
        libc::setsockopt(
            stream.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_LINGER,
            (&linger as *const libc::linger).cast(),
            std::mem::size_of::<libc::linger>() as libc::socklen_t,
        );
    }
}

/// Elsewhere, an orderly close.
#[cfg(not(target_os = "linux"))]
fn reset(stream: TcpStream) {
    drop(stream);
}

/// A whole answer carrying `body` with a Content-Length, and `extra` header lines.
fn with_length(extra: &str, body: &[u8]) -> Vec<u8> {
    let mut out = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: text/xml; charset=utf-8\r\n{extra}Content-Length: {}\r\n\r\n",
        body.len()
    )
    .into_bytes();
    out.extend_from_slice(body);
    out
}

fn port_status() -> Request {
    let mut r = Request::new(Operation::PortStatus);
    r.set(Param::Unit, "1");
    r.set(Param::Port, "1");
    r
}

fn client(url: &str) -> Http {
    Http::connect(HttpOptions::new(url)).unwrap()
}

#[test]
fn the_request_head_is_written_byte_for_byte_as_before_with_the_users_credentials() {
    let server = Server::start(|_| Reply::Keep(with_length("", ANSWER.as_bytes())));
    let mut options = HttpOptions::new(server.url());
    options.user = Some("crm".into());
    options.password = Some("s:cret".into());
    let mut http = Http::connect(options).unwrap();
    assert_eq!(http.call(&port_status()).unwrap().response.code, 100);
    let heads = server.heads();
    let body_len = ecapi::soap::encode_request(
        &port_status(),
        &ecapi::soap::OperationShape::default_for(
            Operation::PortStatus,
            http.api(),
            &ecapi::soap::Names::default(),
        ),
    )
    .len();
    assert_eq!(
        heads[0],
        format!(
            "POST /WebAPI/ECAPI.svc HTTP/1.1\r\n\
             authorization: Basic Y3JtOnM6Y3JldA==\r\n\
             content-type: text/xml; charset=utf-8\r\n\
             soapaction: \"http://tempuri.org/IECAPI/PortStatus\"\r\n\
             accept: */*\r\n\
             user-agent: ecapi/{}\r\n\
             host: {}\r\n\
             content-length: {body_len}\r\n\r\n",
            env!("CARGO_PKG_VERSION"),
            server.addr
        )
    );
}

#[test]
fn calls_share_one_kept_alive_connection_until_the_server_says_close() {
    let server = Server::start(|n| match n {
        2 => Reply::Close(with_length("Connection: close\r\n", ANSWER.as_bytes())),
        _ => Reply::Keep(with_length("", ANSWER.as_bytes())),
    });
    let mut http = client(&server.url());
    let before = server.connections();
    for _ in 0..3 {
        assert_eq!(http.call(&port_status()).unwrap().response.code, 100);
    }
    assert_eq!(
        server.connections() - before,
        1,
        "three calls, one connection"
    );
    // The third answer closed it: the fourth call opens another.
    assert_eq!(http.call(&port_status()).unwrap().response.code, 100);
    assert_eq!(server.connections() - before, 2);
    assert_eq!(server.heads().len(), 4, "each request sent once");
}

#[test]
fn a_connection_the_server_closed_while_idle_is_replaced_and_the_request_sent_once() {
    // The server answers and then closes without saying so (as at an idle timeout).
    let server = Server::start(|_| Reply::Close(with_length("", ANSWER.as_bytes())));
    let mut http = client(&server.url());
    let before = server.connections();
    assert_eq!(http.call(&port_status()).unwrap().response.code, 100);
    let deadline = Instant::now() + Duration::from_secs(10);
    while server.log.lock().unwrap().closed < 1 {
        assert!(Instant::now() < deadline, "the server never closed");
        std::thread::sleep(Duration::from_millis(2));
    }
    assert_eq!(http.call(&port_status()).unwrap().response.code, 100);
    assert_eq!(server.heads().len(), 2, "each request sent once");
    assert_eq!(server.connections() - before, 2);
}

#[test]
fn a_chunked_answer_with_extensions_and_trailers_is_read_whole() {
    let half = ANSWER.len() / 2;
    let server = Server::start(move |_| {
        let (a, b) = ANSWER.split_at(half);
        Reply::Keep(
            format!(
                "HTTP/1.1 200 OK\r\nContent-Type: text/xml; charset=utf-8\r\nTransfer-Encoding: chunked\r\n\r\n\
                 {:x};name=value\r\n{a}\r\n{:X}\r\n{b}\r\n0\r\nX-Trailer: yes\r\n\r\n",
                a.len(),
                b.len()
            )
            .into_bytes(),
        )
    });
    let mut http = client(&server.url());
    for _ in 0..2 {
        assert_eq!(http.call(&port_status()).unwrap().response.code, 100);
    }
    assert_eq!(
        server.connections(),
        2,
        "the WSDL's connection and one for both calls"
    );
}

#[test]
fn a_gzip_answer_is_inflated() {
    use flate2::write::GzEncoder;
    let mut encoder = GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(ANSWER.as_bytes()).unwrap();
    let zipped = encoder.finish().unwrap();
    let server =
        Server::start(move |_| Reply::Keep(with_length("Content-Encoding: gzip\r\n", &zipped)));
    let mut http = client(&server.url());
    assert_eq!(http.call(&port_status()).unwrap().response.code, 100);
}

#[test]
fn an_http_1_0_answer_without_a_length_is_read_to_the_connections_end() {
    let server = Server::start(|_| {
        Reply::Close(
            format!("HTTP/1.0 200 OK\r\nContent-Type: text/xml\r\n\r\n{ANSWER}").into_bytes(),
        )
    });
    let mut http = client(&server.url());
    assert_eq!(http.call(&port_status()).unwrap().response.code, 100);
    assert_eq!(http.call(&port_status()).unwrap().response.code, 100);
}

#[test]
fn an_interim_100_continue_is_skipped() {
    let server = Server::start(|_| {
        let mut out = b"HTTP/1.1 100 Continue\r\n\r\n".to_vec();
        out.extend(with_length("", ANSWER.as_bytes()));
        Reply::Keep(out)
    });
    let mut http = client(&server.url());
    assert_eq!(http.call(&port_status()).unwrap().response.code, 100);
    assert_eq!(http.call(&port_status()).unwrap().response.code, 100);
}

#[cfg(target_os = "linux")]
#[test]
fn a_reset_in_the_middle_of_the_body_is_an_http_error_keeping_the_status_in_the_trace() {
    let server = Server::start(|_| {
        Reply::Reset(
            b"HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\nContent-Length: 5000\r\n\r\n<s:Envelope"
                .to_vec(),
        )
    });
    let mut http = client(&server.url());
    http.set_trace(true);
    let err = http.call(&port_status()).unwrap_err();
    let text = err.to_string();
    assert!(matches!(err, TransportError::Http { .. }), "{err:?}");
    assert!(
        text.contains("error decoding response body: request or response body error: error reading a body from connection: "),
        "{text}"
    );
    assert_eq!(http.take_trace().unwrap().status, 200);
    // The client recovers on a new connection.
    let server = Server::start(|_| Reply::Keep(with_length("", ANSWER.as_bytes())));
    let mut http = client(&server.url());
    assert_eq!(http.call(&port_status()).unwrap().response.code, 100);
}

#[test]
fn a_connection_closed_before_the_answer_is_an_http_error_in_the_words_of_before() {
    let server = Server::start(|_| Reply::Close(b"HTTP/1.1 200 OK\r\nContent-Ty".to_vec()));
    let mut http = client(&server.url());
    let err = http.call(&port_status()).unwrap_err().to_string();
    assert_eq!(
        err,
        format!(
            "HTTP error talking to {0}: error sending request for url ({0}): client error \
             (SendRequest): connection closed before message completed",
            server.url()
        )
    );
}

#[test]
fn an_answer_that_is_not_http_names_what_is_wrong() {
    let server = Server::start(|_| Reply::Close(b"SSH-2.0-OpenSSH_9.6\r\n\r\n".to_vec()));
    let mut http = client(&server.url());
    let err = http.call(&port_status()).unwrap_err().to_string();
    assert!(err.ends_with("invalid HTTP version parsed"), "{err}");
}

#[test]
fn an_answer_head_beyond_64_kib_is_refused() {
    let server = Server::start(|_| {
        let mut out = b"HTTP/1.1 200 OK\r\n".to_vec();
        for i in 0..40 {
            out.extend(format!("X-Filler-{i}: {}\r\n", "a".repeat(2000)).into_bytes());
        }
        Reply::Stall(out)
    });
    let mut http = client(&server.url());
    let err = http.call(&port_status()).unwrap_err().to_string();
    assert!(err.ends_with("message head is too large"), "{err}");
}

#[test]
fn an_answer_that_stalls_mid_body_times_out_at_the_request_timeout() {
    let server = Server::start(|_| {
        Reply::Stall(
            b"HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\nContent-Length: 900\r\n\r\n<s:Env"
                .to_vec(),
        )
    });
    let mut options = HttpOptions::new(server.url());
    options.timeout = Duration::from_millis(400);
    let mut http = Http::connect(options).unwrap();
    let started = Instant::now();
    let err = http.call(&port_status()).unwrap_err();
    assert!(
        matches!(err, TransportError::Timeout { seconds, .. } if seconds == 0.4),
        "{err:?}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn a_stop_while_the_body_is_awaited_abandons_the_request_at_once() {
    let server = Server::start(|_| {
        Reply::Stall(
            b"HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\nContent-Length: 900\r\n\r\n".to_vec(),
        )
    });
    let mut http = client(&server.url());
    let flag = Arc::new(AtomicBool::new(false));
    http.set_cancel(Cancel::new(flag.clone(), None));
    let setter = {
        let flag = flag.clone();
        let log = server.log.clone();
        std::thread::spawn(move || {
            // Once the request has arrived, stop the run.
            let deadline = Instant::now() + Duration::from_secs(20);
            while log.lock().unwrap().heads.is_empty() && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(2));
            }
            flag.store(true, Ordering::SeqCst);
            Instant::now()
        })
    };
    let err = http.call(&port_status()).unwrap_err();
    let stopped_at = setter.join().unwrap();
    assert!(matches!(err, TransportError::Interrupted { .. }), "{err:?}");
    assert!(
        stopped_at.elapsed() < Duration::from_secs(2),
        "{:?}",
        stopped_at.elapsed()
    );
}

#[test]
fn with_an_http_proxy_in_the_environment_calls_go_through_it_as_before() {
    // The "proxy" answers whatever it is sent; the endpoint itself (port 9) is never reached.
    let proxy = Server::start(|_| Reply::Keep(with_length("", ANSWER.as_bytes())));
    let endpoint = "http://127.0.0.1:9/WebAPI/ECAPI.svc";
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_ecapi"))
        .args([
            "call",
            "PortStatus",
            "Unit=1",
            "Port=1",
            "--endpoint",
            endpoint,
        ])
        .env("HTTP_PROXY", format!("http://{}", proxy.addr))
        .env_remove("NO_PROXY")
        .env_remove("no_proxy")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let heads = proxy.heads();
    assert_eq!(heads.len(), 1, "{heads:?}");
    assert!(
        heads[0].starts_with(&format!("POST {endpoint} HTTP/1.1\r\n")),
        "{}",
        heads[0]
    );
}

#[test]
fn a_307_redirect_sends_the_call_again_to_the_new_address_and_a_302_asks_it_with_a_get() {
    let server = Server::start(|n| {
        match n {
        0 => Reply::Keep(
            b"HTTP/1.1 307 Temporary Redirect\r\nLocation: /Moved/ECAPI.svc\r\nContent-Length: 0\r\n\r\n"
                .to_vec(),
        ),
        2 => Reply::Keep(
            b"HTTP/1.1 302 Found\r\nLocation: /Moved/ECAPI.svc\r\nContent-Length: 0\r\n\r\n".to_vec(),
        ),
        _ => Reply::Keep(with_length("", ANSWER.as_bytes())),
    }
    });
    let mut http = client(&server.url());
    assert_eq!(http.call(&port_status()).unwrap().response.code, 100);
    let heads = server.heads();
    assert_eq!(heads.len(), 2, "{heads:?}");
    assert!(
        heads[1].starts_with("POST /Moved/ECAPI.svc HTTP/1.1\r\n"),
        "{}",
        heads[1]
    );
    assert!(
        heads[1]
            .to_ascii_lowercase()
            .contains("soapaction: \"http://tempuri.org/iecapi/portstatus\"\r\n"),
        "{}",
        heads[1]
    );
    // A 302 turns the POST into a GET, which this server answers 404: not a SOAP answer.
    let err = http.call(&port_status()).unwrap_err();
    assert!(
        matches!(err, TransportError::NotSoap { status: 404, .. }),
        "{err:?}"
    );
    assert_eq!(server.heads().len(), 3, "the GET is not a POST");
}

#[test]
fn a_chunk_size_beyond_any_body_is_an_http_error_not_a_crash() {
    let server = Server::start(|_| {
        Reply::Stall(
            b"HTTP/1.1 200 OK\r\nContent-Type: text/xml; charset=utf-8\r\nTransfer-Encoding: chunked\r\n\r\n\
              1\r\nx\r\nffffffffffffffff\r\nabc"
                .to_vec(),
        )
    });
    let mut http = client(&server.url());
    let err = http.call(&port_status()).unwrap_err().to_string();
    assert!(err.ends_with("the body is too large"), "{err}");
}

#[test]
fn an_answer_trickling_in_still_ends_at_the_request_timeout() {
    // 453 bytes 5 ms apart would take over two seconds; the deadline is 300 ms.
    let server = Server::start(|_| {
        Reply::Trickle(with_length("", ANSWER.as_bytes()), Duration::from_millis(5))
    });
    let mut options = HttpOptions::new(server.url());
    options.timeout = Duration::from_millis(300);
    let mut http = Http::connect(options).unwrap();
    let started = Instant::now();
    let err = http.call(&port_status()).unwrap_err();
    let took = started.elapsed();
    assert!(
        matches!(err, TransportError::Timeout { seconds, .. } if seconds == 0.3),
        "{err:?}"
    );
    assert!(took < Duration::from_millis(1500), "{took:?}");
}

#[test]
fn a_content_length_with_a_sign_or_two_different_lengths_is_refused_in_hyper_words() {
    for head in [
        format!("Content-Length: +{}\r\n", ANSWER.len()),
        format!("Content-Length: {}\r\nContent-Length: 5\r\n", ANSWER.len()),
    ] {
        let answer = format!(
            "HTTP/1.1 200 OK\r\nContent-Type: text/xml; charset=utf-8\r\n{head}\r\n{ANSWER}"
        );
        let server = Server::start(move |_| Reply::Keep(answer.clone().into_bytes()));
        let mut http = client(&server.url());
        let err = http.call(&port_status()).unwrap_err().to_string();
        assert!(
            err.ends_with("invalid content-length parsed"),
            "{head}: {err}"
        );
    }
    // The same length twice is one length.
    let answer = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: text/xml; charset=utf-8\r\nContent-Length: {0}\r\n\
         Content-Length: {0}\r\n\r\n{ANSWER}",
        ANSWER.len()
    );
    let server = Server::start(move |_| Reply::Keep(answer.clone().into_bytes()));
    assert_eq!(
        client(&server.url())
            .call(&port_status())
            .unwrap()
            .response
            .code,
        100
    );
}

#[test]
fn a_chunk_line_ended_by_a_bare_line_feed_is_refused_at_once() {
    let answer = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: text/xml; charset=utf-8\r\nTransfer-Encoding: chunked\r\n\r\n\
         {:x}\n{ANSWER}\n0\n\n",
        ANSWER.len()
    );
    let server = Server::start(move |_| Reply::Stall(answer.clone().into_bytes()));
    let mut options = HttpOptions::new(server.url());
    options.timeout = Duration::from_secs(20);
    let mut http = Http::connect(options).unwrap();
    let started = Instant::now();
    let err = http.call(&port_status()).unwrap_err().to_string();
    assert!(err.ends_with("invalid chunk size line"), "{err}");
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
}
