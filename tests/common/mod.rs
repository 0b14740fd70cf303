//! Helpers shared by the integration tests: simulators with a fixed clock, an in-process server on
//! a free port, and raw HTTP for requests no well-behaved client would send.

#![allow(dead_code)]

pub mod not_well_formed;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use chrono::NaiveDate;
use ecapi::api::ApiVersion;
use ecapi::server::{self, Running, ServeOptions};
use ecapi::simulator::{Clock, Settings, Simulator};

/// A hosted simulator whose virtual clock starts at the same instant in every test, so that two
/// simulators given the same requests answer the same.
pub fn simulator(api: ApiVersion) -> Simulator {
    let origin = NaiveDate::from_ymd_opt(2026, 1, 15)
        .unwrap()
        .and_hms_opt(10, 0, 0)
        .unwrap();
    Simulator::hosted(Settings {
        api,
        clock: Clock::starting_at(origin),
        url_base: None,
    })
}

/// A server on a free local port, quiet.
pub fn serve(api: ApiVersion) -> Running {
    serve_sim(simulator(api))
}

/// A server for a given simulator on a free local port, quiet.
pub fn serve_sim(sim: Simulator) -> Running {
    let mut options = ServeOptions::new("127.0.0.1:0", sim);
    options.log = false;
    server::start(options).expect("the server starts")
}

/// A server on a free local port, quiet, that requires basic authentication as `crm` with
/// `password` and offers simulator sessions (as `ecapi serve` does, for `ecapi test`).
pub fn serve_with_password(password: &str) -> Running {
    let mut options = ServeOptions::new("127.0.0.1:0", simulator(ApiVersion::V7_1));
    options.log = false;
    options.basic_auth = Some(server::BasicAuth::parse(&format!("crm:{password}")).unwrap());
    options.sessions = Some(server::SessionOptions::new(std::sync::Arc::new(|| {
        Ok(simulator(ApiVersion::V7_1))
    })));
    server::start(options).expect("the server starts")
}

/// An HTTP answer read off the socket.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub headers: String,
    pub body: String,
}

/// Reads one HTTP request as a test server sees it: its head (up to and including the blank line)
/// and its `Content-Length` body. `buffered` holds bytes already read from `stream` and keeps what
/// was read past this request (the next request on a kept-alive connection). `None` when the
/// connection ends or fails first.
pub fn read_request(stream: &mut TcpStream, buffered: &mut Vec<u8>) -> Option<(String, Vec<u8>)> {
    let mut chunk = [0u8; 8192];
    let head_end = loop {
        if let Some(i) = buffered.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        match stream.read(&mut chunk) {
            Ok(0) | Err(_) => return None,
            Ok(n) => buffered.extend_from_slice(&chunk[..n]),
        }
    };
    let head = String::from_utf8_lossy(&buffered[..head_end]).into_owned();
    let length: usize = head
        .lines()
        .find_map(|l| {
            let (name, value) = l.split_once(':')?;
            name.eq_ignore_ascii_case("content-length")
                .then(|| value.trim().parse().ok())?
        })
        .unwrap_or(0);
    while buffered.len() < head_end + length {
        match stream.read(&mut chunk) {
            Ok(0) | Err(_) => return None,
            Ok(n) => buffered.extend_from_slice(&chunk[..n]),
        }
    }
    let body = buffered[head_end..head_end + length].to_vec();
    buffered.drain(..head_end + length);
    Some((head, body))
}

/// Sends raw bytes (a whole request) and reads the answer until the server closes.
pub fn raw(addr: SocketAddr, request: &[u8]) -> Answer {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    // The server may answer before reading everything (413); a write error then is expected.
    let _ = stream.write_all(request);
    read_answer(stream)
}

/// Reads one answer from a stream whose request asked for `Connection: close`.
pub fn read_answer(mut stream: TcpStream) -> Answer {
    let mut bytes = Vec::new();
    let mut chunk = [0u8; 8192];
    loop {
        match stream.read(&mut chunk) {
            Ok(0) => break,
            Ok(n) => bytes.extend_from_slice(&chunk[..n]),
            // A reset after the answer was read (the server closed with unread input) ends it.
            Err(_) if !bytes.is_empty() => break,
            Err(e) => panic!("no answer: {e}"),
        }
    }
    let text = String::from_utf8_lossy(&bytes).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("not an HTTP answer: {text:?}"));
    Answer {
        status,
        headers: head.to_string(),
        body: body.to_string(),
    }
}

/// The value of a header of an answer (name in any case), or "" when absent.
pub fn header_of(answer: &Answer, name: &str) -> String {
    answer
        .headers
        .lines()
        .filter_map(|l| l.split_once(':'))
        .find(|(n, _)| n.trim().eq_ignore_ascii_case(name))
        .map(|(_, v)| v.trim().to_string())
        .unwrap_or_default()
}

/// The `x-ecapi-reason` header of an answer: why, in the user's words ("" when absent).
pub fn reason(answer: &Answer) -> String {
    header_of(answer, "x-ecapi-reason")
}

/// A POST of `body` to the endpoint with the given extra header lines.
pub fn post(addr: SocketAddr, headers: &str, body: &[u8]) -> Answer {
    let mut request = format!(
        "POST /WebAPI/ECAPI.svc HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n{headers}Content-Length: {}\r\n\r\n",
        body.len()
    )
    .into_bytes();
    request.extend_from_slice(body);
    raw(addr, &request)
}

/// A SOAP POST with the right content type and a SOAPAction.
pub fn soap(addr: SocketAddr, action: &str, body: &str) -> Answer {
    post(
        addr,
        &format!("Content-Type: text/xml; charset=utf-8\r\nSOAPAction: \"{action}\"\r\n"),
        body.as_bytes(),
    )
}

/// The envelope around a body element.
pub fn envelope(inner: &str) -> String {
    format!(
        "<s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\"><s:Body>{inner}</s:Body></s:Envelope>"
    )
}

/// Asserts the server still answers a PortStatus correctly.
pub fn assert_still_serving(addr: SocketAddr) {
    let answer = soap(
        addr,
        "http://tempuri.org/IECAPI/PortStatus",
        &envelope(
            "<PortStatus xmlns=\"http://tempuri.org/\"><Unit>1</Unit><Port>1</Port></PortStatus>",
        ),
    );
    assert_eq!(answer.status, 200, "{answer:?}");
    assert!(
        answer.body.contains("<a:responseCode>100</a:responseCode>"),
        "{answer:?}"
    );
}

/// A server that answers every request on every connection with the same raw bytes, then closes:
/// a stand-in for misbehaving servers, proxies and login pages. Empty bytes drop the connection
/// without an answer.
pub fn canned(answer: &'static [u8]) -> SocketAddr {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            // Read the request head (and a small body) before answering, as a server would.
            let mut buf = [0u8; 65536];
            let _ = stream.set_read_timeout(Some(Duration::from_millis(200)));
            let mut seen = Vec::new();
            while let Ok(n) = stream.read(&mut buf) {
                if n == 0 {
                    break;
                }
                seen.extend_from_slice(&buf[..n]);
                if seen.windows(4).any(|w| w == b"\r\n\r\n") && seen.ends_with(b"Envelope>") {
                    break;
                }
                if seen.windows(4).any(|w| w == b"\r\n\r\n") && seen.starts_with(b"GET") {
                    break;
                }
            }
            let _ = stream.write_all(answer);
        }
    });
    addr
}
