//! A served simulator left running for a team, through real HTTP: the control interface refuses
//! cross-site and rebound requests and requires its token where told to; player links carry a
//! key; the service page escapes the Host; slow and idle clients are cut off by the timeouts;
//! HTTPS with a generated CA and basic authentication work with the project's own client.

mod common;
mod recorder_support;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use common::*;
use ecapi::api::{ApiVersion, Operation, Request};
use ecapi::client::{Http, HttpOptions, Transport, TransportError};
use ecapi::server::{self, BasicAuth, Limits, Running, ServeOptions, TlsSource};
use ecapi::simulator::{DbLocation, RecorderConfig, Simulator};

const BIN: &str = env!("CARGO_BIN_EXE_ecapi");

fn serve_with(change: impl FnOnce(&mut ServeOptions)) -> Running {
    let mut options = ServeOptions::new("127.0.0.1:0", simulator(ApiVersion::V7_1));
    options.log = false;
    change(&mut options);
    server::start(options).expect("the server starts")
}

/// A control command POSTed with the given extra header lines.
fn control(addr: SocketAddr, headers: &str) -> Answer {
    let body = r#"{"fn":"journal"}"#;
    raw(
        addr,
        format!(
            "POST /WebAPI/ECAPI.svc/control HTTP/1.1\r\nConnection: close\r\n{headers}\
             Content-Length: {}\r\n\r\n{body}",
            body.len()
        )
        .as_bytes(),
    )
}

fn status_request() -> Request {
    Request::new(Operation::PortStatus)
        .with(ecapi::api::Param::Unit, "1")
        .with(ecapi::api::Param::Port, "3")
}

#[test]
fn a_text_plain_control_post_is_refused_with_415() {
    let server = serve(ApiVersion::V7_1);
    let addr = server.addr();
    let refused = control(
        addr,
        &format!("Host: {addr}\r\nContent-Type: text/plain\r\n"),
    );
    assert_eq!(refused.status, 415, "{refused:?}");
    assert!(
        refused
            .body
            .contains("takes only 'application/json', not 'text/plain'"),
        "{refused:?}"
    );
    let form = control(
        addr,
        &format!("Host: {addr}\r\nContent-Type: application/x-www-form-urlencoded\r\n"),
    );
    assert_eq!(form.status, 415, "{form:?}");
    let json = control(
        addr,
        &format!("Host: {addr}\r\nContent-Type: application/json\r\n"),
    );
    assert_eq!(json.status, 200, "{json:?}");
    assert!(json.body.starts_with(r#"{"ok":true"#), "{json:?}");
}

#[test]
fn a_control_request_with_a_foreign_host_is_refused_with_403() {
    let server = serve(ApiVersion::V7_1);
    let addr = server.addr();
    let port = addr.port();
    let rebound = control(
        addr,
        &format!("Host: attacker.example:{port}\r\nContent-Type: application/json\r\n"),
    );
    assert_eq!(rebound.status, 403, "{rebound:?}");
    assert!(
        rebound.body.contains("the Host 'attacker.example:")
            && rebound.body.contains("does not name this server"),
        "{rebound:?}"
    );
    assert!(!rebound.body.contains("\"ok\""), "{rebound:?}");
    for host in [format!("localhost:{port}"), format!("[::1]:{port}")] {
        let ok = control(
            addr,
            &format!("Host: {host}\r\nContent-Type: application/json\r\n"),
        );
        assert_eq!(ok.status, 200, "{host}: {ok:?}");
    }
    // The player page, which shows recordings' fields, is guarded alike.
    let player = raw(
        addr,
        format!(
            "GET /encore/urlplayer.aspx?fldCallIndex=1.1 HTTP/1.1\r\nHost: attacker.example:{port}\r\nConnection: close\r\n\r\n"
        )
        .as_bytes(),
    );
    assert_eq!(player.status, 403, "{player:?}");
}

#[test]
fn a_server_that_requires_the_token_refuses_control_without_it_and_obeys_with_it() {
    let server = serve_with(|o| o.require_control_token = true);
    let token = server
        .control_token()
        .expect("a token was made")
        .to_string();
    assert_eq!(token.len(), 32, "{token}");
    let addr = server.addr();
    let json = format!("Host: {addr}\r\nContent-Type: application/json\r\n");

    let without = control(addr, &json);
    assert_eq!(without.status, 403, "{without:?}");
    assert!(
        without.body.contains("needs its token") && without.body.contains("ECAPI_CONTROL_TOKEN"),
        "{without:?}"
    );
    let wrong = control(
        addr,
        &format!("{json}x-ecapi-control-token: {}0\r\n", &token[1..]),
    );
    assert_eq!(wrong.status, 403, "{wrong:?}");
    assert!(wrong.body.contains("token is wrong"), "{wrong:?}");
    let with = control(addr, &format!("{json}x-ecapi-control-token: {token}\r\n"));
    assert_eq!(with.status, 200, "{with:?}");

    // The project's client: sim_* functions fail clearly without the token and work with it.
    let mut http = Http::connect(HttpOptions::new(server.url())).unwrap();
    let err = http.control().unwrap().reset().unwrap_err().to_string();
    assert!(
        err.contains("403") && err.contains("needs its token"),
        "{err}"
    );
    // Said as a refusal of the control interface, not as a SOAP answer gone wrong.
    assert!(
        err.starts_with("the control interface of ") && !err.contains("not a SOAP response"),
        "{err}"
    );
    let mut options = HttpOptions::new(server.url());
    options.control_token = Some(token);
    let mut http = Http::connect(options).unwrap();
    http.call(&status_request()).unwrap();
    let journal = http.control().unwrap().journal().unwrap();
    assert_eq!(journal.len(), 1, "{journal:?}");
}

#[test]
fn a_given_control_token_is_required_even_on_loopback() {
    let server = serve_with(|o| o.control_token = Some("s3cret".to_string()));
    assert_eq!(server.control_token(), Some("s3cret"));
    let addr = server.addr();
    let json = format!("Host: {addr}\r\nContent-Type: application/json\r\n");
    assert_eq!(control(addr, &json).status, 403);
    assert_eq!(
        control(addr, &format!("{json}X-Ecapi-Control-Token: s3cret\r\n")).status,
        200
    );
}

#[test]
fn no_control_answers_404_and_the_soap_endpoint_still_serves() {
    let server = serve_with(|o| o.control = false);
    let addr = server.addr();
    let off = control(
        addr,
        &format!("Host: {addr}\r\nContent-Type: application/json\r\n"),
    );
    assert_eq!(off.status, 404, "{off:?}");
    assert!(off.body.contains("--no-control"), "{off:?}");
    assert_still_serving(addr);
}

#[test]
fn the_service_page_escapes_the_host_it_reflects() {
    let server = serve(ApiVersion::V7_1);
    let page = raw(
        server.addr(),
        b"GET /WebAPI/ECAPI.svc HTTP/1.1\r\nHost: x\"><script>alert(1)</script>\r\nConnection: close\r\n\r\n",
    );
    assert_eq!(page.status, 200, "{page:?}");
    assert!(!page.body.contains("<script>"), "{page:?}");
    assert!(
        page.body.contains(
            "http://x&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;/WebAPI/ECAPI.svc?wsdl"
        ),
        "{page:?}"
    );
}

const SITE: &str = r#"
licences = 4

[[unit]]
id = 1
ports = "1-4"

[[user]]
extension = "100"
login = "smith"
unit = 1
port = 3
"#;

#[test]
fn a_player_link_opens_only_with_its_key_on_a_server_that_keys_links() {
    let config = RecorderConfig::from_toml(SITE).unwrap();
    let sim = Simulator::recorder(
        recorder_support::settings(ApiVersion::V7_1),
        config,
        DbLocation::Memory,
    )
    .unwrap();
    let mut options = ServeOptions::new("127.0.0.1:0", sim);
    options.log = false;
    options.key_player_links = true;
    let server = server::start(options).unwrap();
    let mut http = Http::connect(HttpOptions::new(server.url())).unwrap();
    let call = |http: &mut Http, op: Operation, params: &[(&str, &str)]| {
        let mut req = Request::new(op);
        for (name, value) in params {
            req.set_by_name(name, value).unwrap();
        }
        http.call(&req).unwrap().response
    };
    let port = [("Unit", "1"), ("Port", "3")];
    assert_eq!(
        call(&mut http, Operation::InitStation, &[("Extension", "100")]).code,
        100
    );
    let start = [
        ("Unit", "1"),
        ("Port", "3"),
        ("maxRecordingTimeInSeconds", "0"),
    ];
    assert_eq!(call(&mut http, Operation::StartRecording, &start).code, 100);
    let link = call(&mut http, Operation::GetUrl, &port)
        .url()
        .unwrap()
        .to_string();
    let (without_key, key) = link.split_once("&key=").expect("the link carries a key");
    assert_eq!(key.len(), 32, "{link}");
    assert!(key.bytes().all(|b| b.is_ascii_hexdigit()), "{link}");

    let get = |url: &str| {
        let answer = reqwest::blocking::get(url).unwrap();
        (answer.status().as_u16(), answer.text().unwrap())
    };
    let (status, page) = get(&link);
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("<tr><th>Port</th><td>3</td></tr>"), "{page}");
    let (status, page) = get(without_key);
    assert_eq!(status, 404, "{page}");
    assert!(page.contains("key is missing or wrong"), "{page}");
    let (status, _) = get(&format!("{without_key}&key={}", "0".repeat(32)));
    assert_eq!(status, 404);
    // The key of one recording opens no other: the next index with this key is refused.
    let index = without_key
        .split("fldCallIndex=")
        .nth(1)
        .unwrap()
        .split('&')
        .next()
        .unwrap();
    let (hours, n) = index.split_once('.').unwrap();
    let next: u32 = n.parse().unwrap();
    let other = link.replace(index, &format!("{hours}.{:04}", next + 1));
    assert_eq!(get(&other).0, 404);
}

/// Reads from a connection until it closes; how long that took. Panics if it stays open 10 s.
fn time_until_closed(mut stream: TcpStream) -> Duration {
    let started = Instant::now();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let mut buf = [0u8; 4096];
    loop {
        match stream.read(&mut buf) {
            Ok(0) => return started.elapsed(),
            Ok(_) => continue,
            Err(e)
                if e.kind() == std::io::ErrorKind::WouldBlock
                    || e.kind() == std::io::ErrorKind::TimedOut =>
            {
                panic!("the connection is still open after 10 s")
            }
            // A reset is a close too.
            Err(_) => return started.elapsed(),
        }
    }
}

fn short(header: u64, body: u64, idle: u64) -> impl FnOnce(&mut ServeOptions) {
    move |o| {
        o.limits = Limits {
            header_timeout: Duration::from_millis(header),
            body_timeout: Duration::from_millis(body),
            idle_timeout: Duration::from_millis(idle),
            max_connections: 512,
        }
    }
}

#[test]
fn headers_dribbled_past_the_header_timeout_close_the_connection() {
    let server = serve_with(short(300, 10_000, 10_000));
    let mut stream = TcpStream::connect(server.addr()).unwrap();
    stream
        .write_all(b"POST /WebAPI/ECAPI.svc HTTP/1.1\r\nHo")
        .unwrap();
    let took = time_until_closed(stream);
    assert!(took >= Duration::from_millis(250), "closed after {took:?}");
    // A silent connection is closed alike.
    let took = time_until_closed(TcpStream::connect(server.addr()).unwrap());
    assert!(took >= Duration::from_millis(250), "closed after {took:?}");
    assert_still_serving(server.addr());
}

#[test]
fn a_body_shorter_than_its_content_length_is_answered_with_408() {
    let server = serve_with(short(10_000, 300, 10_000));
    let mut stream = TcpStream::connect(server.addr()).unwrap();
    stream
        .write_all(
            format!(
                "POST /WebAPI/ECAPI.svc HTTP/1.1\r\nHost: {}\r\nContent-Type: text/xml; charset=utf-8\r\n\
                 SOAPAction: \"http://tempuri.org/IECAPI/PortStatus\"\r\nContent-Length: 400\r\n\r\n<s:Envelope",
                server.addr()
            )
            .as_bytes(),
        )
        .unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let answer = read_answer(stream);
    assert_eq!(answer.status, 408, "{answer:?}");
    assert!(
        answer
            .headers
            .to_ascii_lowercase()
            .contains("connection: close"),
        "{answer:?}"
    );
    assert!(
        answer.body.contains("did not arrive within 0.3 s"),
        "{answer:?}"
    );
}

#[test]
fn an_endless_chunked_body_is_cut_off_with_408() {
    let server = serve_with(short(10_000, 300, 10_000));
    let mut stream = TcpStream::connect(server.addr()).unwrap();
    stream
        .write_all(
            b"POST /WebAPI/ECAPI.svc HTTP/1.1\r\nHost: x\r\nContent-Type: text/xml\r\n\
              Transfer-Encoding: chunked\r\n\r\n5\r\n<s:En\r\n",
        )
        .unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    assert_eq!(read_answer(stream).status, 408);
}

/// Sends one keep-alive request and reads its answer (by Content-Length), leaving the
/// connection open.
fn one_kept_alive_request(stream: &mut TcpStream, addr: SocketAddr) {
    stream
        .write_all(format!("GET /WebAPI/ECAPI.svc HTTP/1.1\r\nHost: {addr}\r\n\r\n").as_bytes())
        .unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        let n = stream.read(&mut buf).unwrap();
        assert!(n > 0, "closed before the answer");
        got.extend_from_slice(&buf[..n]);
        let text = String::from_utf8_lossy(&got);
        if let Some((head, body)) = text.split_once("\r\n\r\n") {
            let length: usize = head
                .lines()
                .find_map(|l| {
                    l.to_ascii_lowercase()
                        .strip_prefix("content-length:")
                        .map(|v| v.trim().parse().unwrap())
                })
                .unwrap();
            if body.len() >= length {
                assert!(head.starts_with("HTTP/1.1 200"), "{head}");
                return;
            }
        }
    }
}

#[test]
fn an_idle_kept_alive_connection_is_closed_after_the_idle_timeout() {
    let server = serve_with(short(10_000, 10_000, 300));
    let addr = server.addr();
    let mut stream = TcpStream::connect(addr).unwrap();
    one_kept_alive_request(&mut stream, addr);
    let took = time_until_closed(stream);
    assert!(took >= Duration::from_millis(250), "closed after {took:?}");
    assert!(
        took < Duration::from_secs(5),
        "closed after {took:?}, not at the idle timeout"
    );
}

#[test]
fn between_requests_the_idle_timeout_applies_not_the_header_timeout() {
    let server = serve_with(short(200, 10_000, 10_000));
    let addr = server.addr();
    let mut stream = TcpStream::connect(addr).unwrap();
    one_kept_alive_request(&mut stream, addr);
    // Three header timeouts of silence between requests: still open, since the idle time is 10 s.
    std::thread::sleep(Duration::from_millis(600));
    one_kept_alive_request(&mut stream, addr);
}

#[test]
fn a_head_begun_after_kept_alive_requests_has_the_header_timeout_not_the_idle_timeout() {
    let server = serve_with(short(300, 10_000, 3_000));
    let addr = server.addr();
    let mut stream = TcpStream::connect(addr).unwrap();
    for _ in 0..3 {
        one_kept_alive_request(&mut stream, addr);
    }
    stream
        .write_all(b"POST /WebAPI/ECAPI.svc HTTP/1.1\r\nHo")
        .unwrap();
    let took = time_until_closed(stream);
    assert!(took >= Duration::from_millis(250), "closed after {took:?}");
    assert!(
        took < Duration::from_millis(2_500),
        "closed after {took:?}, not at the header timeout"
    );
}

#[test]
fn silence_after_kept_alive_requests_is_closed_at_the_idle_timeout_not_before() {
    let server = serve_with(short(300, 10_000, 1_500));
    let addr = server.addr();
    let mut stream = TcpStream::connect(addr).unwrap();
    for _ in 0..3 {
        one_kept_alive_request(&mut stream, addr);
    }
    let took = time_until_closed(stream);
    assert!(
        took >= Duration::from_millis(1_400),
        "closed after {took:?}"
    );
}

#[test]
fn stopping_closes_idle_connections_at_once_rather_than_after_the_grace() {
    let server = serve_with(short(10_000, 10_000, 60_000));
    let addr = server.addr();
    let mut answered = TcpStream::connect(addr).unwrap();
    for _ in 0..2 {
        one_kept_alive_request(&mut answered, addr);
    }
    let silent = TcpStream::connect(addr).unwrap();
    assert_still_serving(addr);
    let started = Instant::now();
    server.stop().unwrap();
    let took = started.elapsed();
    // The grace for requests in flight is 5 s; with none in flight, nothing waits for it.
    assert!(took < Duration::from_secs(3), "stopped after {took:?}");
    assert!(time_until_closed(answered) < Duration::from_secs(3));
    assert!(time_until_closed(silent) < Duration::from_secs(3));
}

#[test]
fn connections_over_the_cap_all_busy_wait_until_timeouts_free_a_slot() {
    let server = serve_with(|o| {
        short(10_000, 300, 10_000)(o);
        o.limits.max_connections = 2;
    });
    let addr = server.addr();
    // Two clients hold every slot with a request whose body never comes (busy, not idle): the
    // server's `100 Continue` says it is reading each.
    let mut holders = [
        TcpStream::connect(addr).unwrap(),
        TcpStream::connect(addr).unwrap(),
    ];
    for holder in &mut holders {
        holder
            .write_all(
                b"POST /WebAPI/ECAPI.svc HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 10\r\n\r\n",
            )
            .unwrap();
        holder
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        let mut buf = [0u8; 64];
        let n = holder.read(&mut buf).unwrap();
        assert!(
            String::from_utf8_lossy(&buf[..n]).starts_with("HTTP/1.1 100"),
            "{:?}",
            String::from_utf8_lossy(&buf[..n])
        );
    }
    // A third is served once the body timeout has closed them.
    let started = Instant::now();
    assert_still_serving(addr);
    assert!(
        started.elapsed() >= Duration::from_millis(250),
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn a_client_waiting_at_the_cap_is_served_as_soon_as_a_busy_connection_turns_idle() {
    let server = serve_with(|o| {
        short(10_000, 10_000, 10_000)(o);
        o.limits.max_connections = 1;
    });
    let addr = server.addr();
    // The one slot is busy: the server is reading this request's body (its `100 Continue`).
    let body = envelope(
        "<PortStatus xmlns=\"http://tempuri.org/\"><Unit>1</Unit><Port>1</Port></PortStatus>",
    );
    let mut holder = TcpStream::connect(addr).unwrap();
    holder
        .write_all(
            format!(
                "POST /WebAPI/ECAPI.svc HTTP/1.1\r\nHost: x\r\nContent-Type: text/xml; charset=utf-8\r\n\
                 SOAPAction: \"http://tempuri.org/IECAPI/PortStatus\"\r\nExpect: 100-continue\r\n\
                 Content-Length: {}\r\n\r\n",
                body.len()
            )
            .as_bytes(),
        )
        .unwrap();
    holder
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let mut buf = [0u8; 4096];
    let n = holder.read(&mut buf).unwrap();
    assert!(String::from_utf8_lossy(&buf[..n]).starts_with("HTTP/1.1 100"));
    // A second client is connected (in the listen backlog), waiting for the slot...
    let mut second = TcpStream::connect(addr).unwrap();
    let waiting = std::thread::spawn(move || {
        let started = Instant::now();
        second
            .write_all(b"GET /WebAPI/ECAPI.svc HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            .unwrap();
        let answer = read_answer(second);
        assert_eq!(answer.status, 200, "{answer:?}");
        started.elapsed()
    });
    // The server's accepting it cannot be seen from here; this pause lets it happen before the
    // slot turns idle, so the wait below is the one under test (the test passes without it too,
    // but would then not test the wait).
    std::thread::sleep(Duration::from_millis(200));
    // ...which the holder's answer frees: its connection stays open, kept alive and idle.
    holder.write_all(body.as_bytes()).unwrap();
    let answered = Instant::now();
    let n = holder.read(&mut buf).unwrap();
    let answer = String::from_utf8_lossy(&buf[..n]).to_string();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(
        !answer.to_ascii_lowercase().contains("connection: close"),
        "{answer}"
    );
    let waited = waiting.join().unwrap();
    assert!(
        answered.elapsed() < Duration::from_secs(2),
        "the waiting client was served {waited:?} after it came, {:?} after the slot turned idle",
        answered.elapsed()
    );
}

#[test]
fn at_the_cap_an_idle_connection_is_closed_for_the_next_at_once() {
    let server = serve_with(|o| {
        short(10_000, 10_000, 10_000)(o);
        o.limits.max_connections = 2;
    });
    let addr = server.addr();
    // Two clients hold every slot without sending anything (idle).
    let idle = [
        TcpStream::connect(addr).unwrap(),
        TcpStream::connect(addr).unwrap(),
    ];
    // A third is served at once, and the first idle one is the one closed for it.
    let started = Instant::now();
    assert_still_serving(addr);
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    let [first, _second] = idle;
    assert!(time_until_closed(first) < Duration::from_secs(2));
}

/// A server with a self-signed CA in a fresh directory.
fn https(change: impl FnOnce(&mut ServeOptions)) -> (Running, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let ca_dir = dir.path().join("ca");
    let server = serve_with(|o| {
        o.tls = Some(TlsSource::SelfSigned(ca_dir));
        change(o);
    });
    (server, dir)
}

#[test]
fn https_with_the_generated_ca_is_trusted_by_the_client_given_ca_cert_and_refused_without() {
    let (server, dir) = https(|_| {});
    let url = server.url();
    assert!(url.starts_with("https://127.0.0.1:"), "{url}");
    let mut options = HttpOptions::new(&url);
    options.ca_cert = Some(dir.path().join("ca").join(server::CA_FILE));
    let mut http = Http::connect(options).expect("the client trusts the CA");
    assert!(
        http.describe()
            .contains(&format!("contract from {url}?wsdl")),
        "{}",
        http.describe()
    );
    assert_eq!(http.call(&status_request()).unwrap().response.code, 100);

    let err = match Http::connect(HttpOptions::new(&url)) {
        Err(e) => e,
        Ok(mut http) => http.call(&status_request()).unwrap_err(),
    };
    match &err {
        TransportError::Tls { detail, .. } => assert!(detail.contains("UnknownIssuer"), "{detail}"),
        other => panic!("expected a TLS error, got {other:?}"),
    }
}

#[test]
fn basic_auth_answers_401_as_iis_does_without_or_with_wrong_credentials_and_200_with_them() {
    let server = serve_with(|o| o.basic_auth = Some(BasicAuth::parse("crm:pa:ss").unwrap()));
    let addr = server.addr();
    let body = envelope(
        "<PortStatus xmlns=\"http://tempuri.org/\"><Unit>1</Unit><Port>1</Port></PortStatus>",
    );
    let soap_headers = "Content-Type: text/xml; charset=utf-8\r\nSOAPAction: \"http://tempuri.org/IECAPI/PortStatus\"\r\n";
    let without = post(addr, soap_headers, body.as_bytes());
    assert_eq!(without.status, 401, "{without:?}");
    assert!(
        without
            .headers
            .contains(&format!("www-authenticate: Basic realm=\"{}\"", addr.ip())),
        "{without:?}"
    );
    assert!(
        without
            .body
            .contains("401 - Unauthorized: Access is denied due to invalid credentials."),
        "{without:?}"
    );
    // "crm:wrong", base64.
    let wrong = post(
        addr,
        &format!("{soap_headers}Authorization: Basic Y3JtOndyb25n\r\n"),
        body.as_bytes(),
    );
    assert_eq!(wrong.status, 401, "{wrong:?}");
    // The WSDL is behind it too.
    let wsdl = raw(
        addr,
        format!("GET /WebAPI/ECAPI.svc?wsdl HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n")
            .as_bytes(),
    );
    assert_eq!(wsdl.status, 401, "{wsdl:?}");

    let mut options = HttpOptions::new(server.url());
    options.user = Some("crm".into());
    options.password = Some("pa:ss".into());
    let mut http = Http::connect(options).unwrap();
    assert!(
        http.describe().contains("contract from"),
        "{}",
        http.describe()
    );
    assert_eq!(http.call(&status_request()).unwrap().response.code, 100);
    // Control too, with the same credentials.
    http.control()
        .expect("the WSDL said simulator")
        .reset()
        .unwrap();

    let mut options = HttpOptions::new(server.url());
    options.user = Some("crm".into());
    options.password = Some("nope".into());
    let err = match Http::connect(options) {
        Err(e) => e.to_string(),
        Ok(mut http) => http.call(&status_request()).unwrap_err().to_string(),
    };
    assert!(err.contains("401"), "{err}");
    // wire.md, "The client": a 401 is said as "authentication failed".
    assert!(
        err.contains("authentication failed") && err.contains("were refused"),
        "{err}"
    );
}

#[test]
fn ecapi_serve_over_https_with_basic_auth_answers_ecapi_call_given_the_ca_and_credentials() {
    use std::io::BufRead;
    use std::process::{Command, Stdio};
    let dir = tempfile::tempdir().unwrap();
    let ca_dir = dir.path().join("ca");
    let mut serve = Command::new(BIN)
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--quiet",
            "--basic-auth",
            "a:b",
            "--tls-self-signed",
        ])
        .arg(&ca_dir)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = std::io::BufReader::new(serve.stdout.take().unwrap()).lines();
    let first = lines.next().unwrap().unwrap();
    let url = first
        .split_whitespace()
        .find(|w| w.starts_with("https://"))
        .unwrap()
        .to_string();
    let _wsdl = lines.next().unwrap().unwrap();
    let https = lines.next().unwrap().unwrap();
    assert!(https.contains("ca.pem"), "{https}");
    let ca = ca_dir.join("ca.pem");
    let call = Command::new(BIN)
        .args([
            "call",
            "PortStatus",
            "Unit=1",
            "Port=1",
            "--json",
            "--endpoint",
            &url,
            "--user",
            "a",
            "--password",
            "b",
            "--ca-cert",
        ])
        .arg(&ca)
        .output()
        .unwrap();
    let _ = Command::new("kill")
        .args(["-TERM", &serve.id().to_string()])
        .status();
    let _ = serve.wait();
    assert!(call.status.success(), "{call:?}");
    let answer: serde_json::Value = serde_json::from_slice(&call.stdout).unwrap();
    assert_eq!(answer["code"], 100);
}
