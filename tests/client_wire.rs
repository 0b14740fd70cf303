//! The SOAP client against small scripted servers, for what a real deployment may send: UTF-16
//! answers, WSDL imports that fail, a 7.0 server, faults and dropped connections under `--trace`,
//! and a request in flight when the run is stopped (wire.md, "The client"; issue 9, point 8).

mod common;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use ecapi::api::{ApiVersion, Operation, Param, Request};
use ecapi::client::{Cancel, Http, HttpOptions, Transport, TransportError};
use ecapi::soap::{self, ContractSource, Names};

/// One request as the scripted server saw it.
#[derive(Debug, Clone)]
struct Seen {
    method: String,
    target: String,
    body: Vec<u8>,
}

/// What the scripted server does with a request.
enum Reply {
    /// These bytes, a whole HTTP answer.
    Raw(Vec<u8>),
    /// Close the connection without answering.
    Drop,
    /// Never answer; hold the connection until the client goes.
    Hang,
}

type Handler = Arc<dyn Fn(&Seen) -> Reply + Send + Sync>;

/// A server on a free local port that answers each request (one a connection) as `handler` says
/// and records every request it read.
struct Scripted {
    addr: SocketAddr,
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl Scripted {
    fn start(handler: impl Fn(&Seen) -> Reply + Send + Sync + 'static) -> Scripted {
        let handler: Handler = Arc::new(handler);
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let log = seen.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { continue };
                let handler = handler.clone();
                let log = log.clone();
                std::thread::spawn(move || serve_one(stream, &handler, &log));
            }
        });
        Scripted { addr, seen }
    }

    fn url(&self) -> String {
        format!("http://{}/WebAPI/ECAPI.svc", self.addr)
    }

    fn posts(&self) -> usize {
        self.seen
            .lock()
            .unwrap()
            .iter()
            .filter(|s| s.method == "POST")
            .count()
    }
}

fn serve_one(mut stream: TcpStream, handler: &Handler, log: &Mutex<Vec<Seen>>) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(30)));
    let Some((head, body)) = common::read_request(&mut stream, &mut Vec::new()) else {
        return;
    };
    let mut first = head.split_whitespace();
    let seen = Seen {
        method: first.next().unwrap_or_default().to_string(),
        target: first.next().unwrap_or_default().to_string(),
        body,
    };
    log.lock().unwrap().push(seen.clone());
    match handler(&seen) {
        Reply::Raw(answer) => {
            let _ = stream.write_all(&answer);
        }
        Reply::Drop => {}
        Reply::Hang => {
            // Until the client closes its side.
            let _ = stream.read(&mut [0u8; 1024]);
        }
    }
}

/// A whole HTTP answer with the right Content-Length.
fn answer(status: &str, content_type: &str, body: &[u8]) -> Reply {
    let mut out = format!(
        "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    )
    .into_bytes();
    out.extend_from_slice(body);
    Reply::Raw(out)
}

fn xml(body: &str) -> Reply {
    answer("200 OK", "text/xml; charset=utf-8", body.as_bytes())
}

/// The WSDL `ecapi serve` publishes for a version.
fn wsdl(version: ApiVersion) -> String {
    soap::single_wsdl(
        version,
        &Names::default(),
        "http://example/WebAPI/ECAPI.svc",
    )
}

const PORT_STATUS_ANSWER: &str = "<s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\"><s:Body>\
    <PortStatusResponse xmlns=\"http://tempuri.org/\"><PortStatusResult \
    xmlns:a=\"http://schemas.datacontract.org/2004/07/ECAPI\" xmlns:i=\"http://www.w3.org/2001/XMLSchema-instance\">\
    <a:responseCode>100</a:responseCode><a:responseMessage>Command executed as expected – é</a:responseMessage>\
    <a:portStatus>Recording</a:portStatus></PortStatusResult></PortStatusResponse></s:Body></s:Envelope>";

fn port_status() -> Request {
    Request::new(Operation::PortStatus)
        .with(Param::Unit, "1")
        .with(Param::Port, "1")
}

fn utf16(text: &str, big_endian: bool, bom: bool) -> Vec<u8> {
    let units = bom
        .then_some(0xFEFF_u16)
        .into_iter()
        .chain(text.encode_utf16());
    units
        .flat_map(|u| {
            if big_endian {
                u.to_be_bytes()
            } else {
                u.to_le_bytes()
            }
        })
        .collect()
}

fn connect(url: &str, api: Option<ApiVersion>) -> Http {
    let mut options = HttpOptions::new(url);
    options.api = api;
    options.timeout = Duration::from_secs(5);
    Http::connect(options).expect("the client connects")
}

#[test]
fn utf16_answers_are_read_in_both_byte_orders() {
    // WCF with textEncoding="utf-16": little endian with a mark; a proxy may send big endian
    // without one, saying so in the charset.
    let cases = [
        (
            "text/xml; charset=utf-16",
            utf16(PORT_STATUS_ANSWER, false, true),
        ),
        (
            "text/xml; charset=UTF-16BE",
            utf16(PORT_STATUS_ANSWER, true, false),
        ),
        (
            "text/xml; charset=utf-16LE",
            utf16(PORT_STATUS_ANSWER, false, false),
        ),
    ];
    for (content_type, body) in cases {
        let server = Scripted::start(move |seen| {
            if seen.method == "GET" {
                xml(&wsdl(ApiVersion::V7_1))
            } else {
                answer("200 OK", content_type, &body)
            }
        });
        let mut http = connect(&server.url(), None);
        http.set_trace(true);
        let exchange = http
            .call(&port_status())
            .unwrap_or_else(|e| panic!("{content_type}: {e}"));
        assert_eq!(exchange.response.code, 100, "{content_type}");
        assert_eq!(
            exchange.response.message, "Command executed as expected – é",
            "{content_type}"
        );
        let status = exchange
            .response
            .fields()
            .into_iter()
            .find(|(f, _)| f.wire_name() == "portStatus");
        assert_eq!(
            status.map(|(_, v)| v.into_owned()).as_deref(),
            Some("Recording")
        );
        // The trace shows the answer as text, not as UTF-16 bytes.
        let trace = exchange.trace.unwrap();
        assert!(
            trace
                .response
                .contains("<a:portStatus>Recording</a:portStatus>"),
            "{}",
            trace.response
        );
    }
}

#[test]
fn an_answer_in_a_charset_wcf_never_sends_is_not_soap_and_says_which() {
    let server = Scripted::start(|seen| {
        if seen.method == "GET" {
            xml(&wsdl(ApiVersion::V7_1))
        } else {
            answer(
                "200 OK",
                "text/xml; charset=iso-8859-1",
                PORT_STATUS_ANSWER.as_bytes(),
            )
        }
    });
    let err = connect(&server.url(), None)
        .call(&port_status())
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("the answer's charset `iso-8859-1` is not one a WCF service sends"),
        "{err}"
    );
}

/// A WSDL that imports one document from `location`, as WCF splits its description.
fn importing(location: &str) -> String {
    format!(
        "<wsdl:definitions targetNamespace=\"http://tempuri.org/\" xmlns:wsdl=\"http://schemas.xmlsoap.org/wsdl/\">\
         <wsdl:import namespace=\"http://tempuri.org/\" location=\"{location}\"/></wsdl:definitions>"
    )
}

/// Connects to a server whose WSDL imports `location`, which fails as `bad` says; returns the
/// client and the server.
fn with_failing_import(
    location: impl Fn(SocketAddr) -> String,
    bad: fn(&Seen) -> Option<Reply>,
    timeout: Duration,
) -> (Http, Scripted, String) {
    let root = Arc::new(Mutex::new(String::new()));
    let doc = root.clone();
    let server = Scripted::start(move |seen| {
        if let Some(reply) = bad(seen) {
            return reply;
        }
        match seen.method.as_str() {
            "GET" => xml(&doc.lock().unwrap()),
            _ => xml(PORT_STATUS_ANSWER),
        }
    });
    let import = location(server.addr);
    *root.lock().unwrap() = importing(&import);
    let mut options = HttpOptions::new(server.url());
    options.timeout = timeout;
    let http = Http::connect(options).expect("a failing import does not fail the connection");
    (http, server, import)
}

fn assert_falls_back_naming(http: &mut Http, import: &str, why: &str) {
    let warnings = http.warnings();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(
        warnings[0].starts_with("the server's WSDL could not be used (")
            && warnings[0].contains(import)
            && warnings[0].contains(why)
            && warnings[0].ends_with("; using the default contract of API 7.1"),
        "{}",
        warnings[0]
    );
    assert!(
        matches!(&http.contract().source, ContractSource::DefaultsBecause(w) if w.contains(import)),
        "{:?}",
        http.contract().source
    );
    assert_eq!(http.api(), ApiVersion::V7_1);
    // The defaults work against the server.
    assert_eq!(http.call(&port_status()).unwrap().response.code, 100);
}

#[test]
fn an_import_that_refuses_connections_falls_back_to_the_defaults_naming_it() {
    let refused = {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap()
    };
    let (mut http, _server, import) = with_failing_import(
        move |_| format!("http://{refused}/svc?wsdl=wsdl0"),
        |_| None,
        Duration::from_secs(30),
    );
    assert_falls_back_naming(&mut http, &import, "refused");
}

#[test]
fn an_import_that_times_out_falls_back_to_the_defaults_naming_it() {
    let (mut http, _server, import) = with_failing_import(
        |addr| format!("http://{addr}/WebAPI/ECAPI.svc?wsdl=wsdl0"),
        |seen| seen.target.ends_with("wsdl=wsdl0").then_some(Reply::Hang),
        Duration::from_secs(2),
    );
    assert_falls_back_naming(&mut http, &import, "no answer within 2 s");
}

#[test]
fn an_import_that_answers_404_falls_back_to_the_defaults_naming_it() {
    let (mut http, _server, import) = with_failing_import(
        |addr| format!("http://{addr}/WebAPI/ECAPI.svc?xsd=xsd0"),
        |seen| {
            seen.target
                .ends_with("xsd=xsd0")
                .then(|| answer("404 Not Found", "text/html", b"<h1>Not Found</h1>"))
        },
        Duration::from_secs(30),
    );
    assert_falls_back_naming(&mut http, &import, "HTTP 404, <h1>Not Found</h1>");
}

#[test]
fn an_import_that_is_not_xml_falls_back_to_the_defaults_naming_it() {
    // A relative location, resolved against the importing document.
    let (mut http, server, _) = with_failing_import(
        |_| "ECAPI.svc?wsdl=wsdl0".to_string(),
        |seen| {
            seen.target
                .ends_with("wsdl=wsdl0")
                .then(|| answer("200 OK", "text/xml", b"Service Unavailable"))
        },
        Duration::from_secs(30),
    );
    let resolved = format!("{}?wsdl=wsdl0", server.url());
    assert_falls_back_naming(&mut http, &resolved, "is not readable XML");
}

#[test]
fn a_7_0_server_gives_its_version_and_a_7_1_operation_fails_before_anything_is_sent() {
    let server = Scripted::start(|seen| match seen.method.as_str() {
        "GET" => xml(&wsdl(ApiVersion::V7_0)),
        _ => xml(PORT_STATUS_ANSWER),
    });
    let mut http = connect(&server.url(), None);
    assert_eq!(http.api(), ApiVersion::V7_0);
    assert!(http.warnings().is_empty(), "{:?}", http.warnings());
    assert_eq!(http.call(&port_status()).unwrap().response.code, 100);
    assert_eq!(server.posts(), 1);
    let sent = server.seen.lock().unwrap().last().unwrap().body.clone();
    assert!(
        String::from_utf8(sent).unwrap().contains(
            "<PortStatus xmlns=\"http://tempuri.org/\"><Unit>1</Unit><Port>1</Port></PortStatus>"
        ),
        "the request is UTF-8 in the 7.0 contract"
    );
    let get_field = Request::new(Operation::GetField)
        .with(Param::Unit, "1")
        .with(Param::Port, "1")
        .with(Param::FieldName, "f");
    let err = http.call(&get_field).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "GetField is not offered by the server at {} (its WSDL describes API 7.0)",
            server.url()
        )
    );
    assert_eq!(server.posts(), 1, "nothing was sent");
}

#[test]
fn an_api_version_that_contradicts_the_servers_wsdl_is_a_warning() {
    let server = Scripted::start(|seen| match seen.method.as_str() {
        "GET" => xml(&wsdl(ApiVersion::V7_0)),
        _ => xml(PORT_STATUS_ANSWER),
    });
    let mut http = connect(&server.url(), Some(ApiVersion::V7_1));
    assert_eq!(http.api(), ApiVersion::V7_1, "as asked");
    assert_eq!(
        http.warnings(),
        vec![format!(
            "--api 7.1 contradicts the server's WSDL at {}?wsdl, which describes API 7.0; \
             requests are made in API 7.1 as asked",
            server.url()
        )]
    );
    let err = http
        .call(&Request::new(Operation::DesktopPause).with(Param::User, "u"))
        .unwrap_err();
    assert!(
        matches!(
            err,
            TransportError::NotOffered {
                api: ApiVersion::V7_0,
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(server.posts(), 0);
    // A 7.1 server asked for 7.0 warns the same way.
    let server = Scripted::start(|_| xml(&wsdl(ApiVersion::V7_1)));
    let http = connect(&server.url(), Some(ApiVersion::V7_0));
    assert!(
        http.warnings()[0].starts_with("--api 7.0 contradicts"),
        "{:?}",
        http.warnings()
    );
}

/// The `--trace` output of one call through a session, and the call's error.
fn traced(server: &Scripted) -> (String, TransportError) {
    let out = Arc::new(Mutex::new(String::new()));
    let sink_out = out.clone();
    let mut session =
        ecapi::script::Session::new(Box::new(connect(&server.url(), None)), Default::default());
    session.set_trace(Some(Box::new(move |op, elapsed, trace| {
        sink_out
            .lock()
            .unwrap()
            .push_str(&ecapi::script::render_trace(op, elapsed, trace));
    })));
    let err = session.call(port_status()).unwrap_err();
    let text = out.lock().unwrap().clone();
    (text, err)
}

#[test]
fn a_fault_under_trace_shows_the_request_and_the_fault_as_they_went_and_came() {
    let fault = "<s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\"><s:Body><s:Fault>\
        <faultcode xmlns:a=\"http://schemas.microsoft.com/net/2005/12/windowscommunicationfoundation/dispatcher\">a:InternalServiceFault</faultcode>\
        <faultstring xml:lang=\"en-US\">The server was unable to process the request.</faultstring></s:Fault></s:Body></s:Envelope>";
    let server = Scripted::start(move |seen| match seen.method.as_str() {
        "GET" => xml(&wsdl(ApiVersion::V7_1)),
        _ => answer(
            "500 Internal Server Error",
            "text/xml; charset=utf-8",
            fault.as_bytes(),
        ),
    });
    let (trace, err) = traced(&server);
    assert!(matches!(err, TransportError::Fault { .. }), "{err:?}");
    assert!(trace.starts_with("--> PortStatus ("), "{trace}");
    assert!(
        trace.contains("SOAPAction: \"http://tempuri.org/IECAPI/PortStatus\"\n"),
        "{trace}"
    );
    assert!(
        trace.contains("\n      <Unit>1</Unit>\n      <Port>1</Port>\n"),
        "{trace}"
    );
    assert!(trace.contains("\n<-- HTTP 500\n<s:Envelope"), "{trace}");
    assert!(
        trace.contains("\n      <faultstring xml:lang=\"en-US\">The server was unable to process the request.</faultstring>\n"),
        "{trace}"
    );
}

#[test]
fn an_http_error_under_trace_shows_its_status_and_body() {
    let server = Scripted::start(|seen| match seen.method.as_str() {
        "GET" => xml(&wsdl(ApiVersion::V7_1)),
        _ => answer(
            "503 Service Unavailable",
            "text/html",
            b"<html><body>Down for maintenance</body></html>",
        ),
    });
    let (trace, err) = traced(&server);
    assert!(
        matches!(err, TransportError::NotSoap { status: 503, .. }),
        "{err:?}"
    );
    assert!(
        trace.contains("\n<-- HTTP 503\n<html>\n  <body>Down for maintenance</body>\n</html>\n"),
        "{trace}"
    );
}

#[test]
fn a_dropped_connection_under_trace_shows_the_request_and_that_no_answer_came() {
    let server = Scripted::start(|seen| match seen.method.as_str() {
        "GET" => xml(&wsdl(ApiVersion::V7_1)),
        _ => Reply::Drop,
    });
    let (trace, err) = traced(&server);
    assert!(matches!(err, TransportError::Http { .. }), "{err:?}");
    assert!(trace.contains("<Port>1</Port>"), "{trace}");
    assert!(!trace.contains("<-- HTTP"), "{trace}");
    assert!(
        trace.contains(&format!("\n<-- no answer: {err}\n")),
        "{trace}"
    );
}

#[test]
fn a_request_in_flight_ends_when_the_run_is_interrupted() {
    let server = Scripted::start(|seen| match seen.method.as_str() {
        "GET" => xml(&wsdl(ApiVersion::V7_1)),
        _ => Reply::Hang,
    });
    let mut options = HttpOptions::new(server.url());
    options.timeout = Duration::from_secs(120);
    let mut http = Http::connect(options).unwrap();
    let cancel = Cancel::default();
    http.set_cancel(cancel.clone());
    let flag = cancel.flag().clone();
    let seen = server.seen.clone();
    let setter = std::thread::spawn(move || {
        // Ctrl-C once the request has reached the server and waits for its answer.
        let deadline = Instant::now() + Duration::from_secs(60);
        while seen.lock().unwrap().iter().all(|s| s.method != "POST") && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(10));
        }
        flag.store(true, Ordering::SeqCst);
    });
    let started = Instant::now();
    let err = http.call(&port_status()).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "interrupted (Ctrl-C) while waiting for {}; the server may have acted on the request",
            server.url()
        )
    );
    assert!(
        started.elapsed() < Duration::from_secs(60),
        "{:?}",
        started.elapsed()
    );
    setter.join().unwrap();
    assert_eq!(server.posts(), 1, "the request was in flight");
}

#[test]
fn a_request_in_flight_ends_at_the_time_limit() {
    let server = Scripted::start(|seen| match seen.method.as_str() {
        "GET" => xml(&wsdl(ApiVersion::V7_1)),
        _ => Reply::Hang,
    });
    let mut options = HttpOptions::new(server.url());
    options.timeout = Duration::from_secs(120);
    let mut http = Http::connect(options).unwrap();
    let cancel = Cancel::new(Default::default(), Some(Duration::from_millis(300)));
    cancel.restart();
    http.set_cancel(cancel);
    let err = http.call(&port_status()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "stopped after 0.3 s: the script ran past --max-time"
    );
}

/// Runs the binary; returns its exit code, standard error and how long it took.
fn ecapi(args: &[&str]) -> (i32, String, Duration) {
    let started = Instant::now();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_ecapi"))
        .args(args)
        .env_remove("ECAPI_ENDPOINT")
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        started.elapsed(),
    )
}

#[test]
fn ecapi_call_names_the_servers_version_for_an_operation_it_lacks_and_warns_of_a_contradicting_api()
{
    let server = Scripted::start(|seen| match seen.method.as_str() {
        "GET" => xml(&wsdl(ApiVersion::V7_0)),
        _ => xml(PORT_STATUS_ANSWER),
    });
    let url = server.url();
    let (code, err, _) = ecapi(&[
        "call",
        "GetField",
        "Unit=1",
        "Port=1",
        "FieldName=f",
        "--endpoint",
        &url,
    ]);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains(&format!(
            "GetField is not offered by the server at {url} (its WSDL describes API 7.0)"
        )),
        "{err}"
    );
    let (code, err, _) = ecapi(&[
        "call",
        "PortStatus",
        "Unit=1",
        "Port=1",
        "--endpoint",
        &url,
        "--api",
        "7.1",
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(
        err.starts_with("ecapi: warning: --api 7.1 contradicts the server's WSDL"),
        "{err}"
    );
    assert_eq!(server.posts(), 1, "only the PortStatus was sent");
}

#[test]
fn ecapi_call_traces_a_dropped_connection() {
    let server = Scripted::start(|seen| match seen.method.as_str() {
        "GET" => xml(&wsdl(ApiVersion::V7_1)),
        _ => Reply::Drop,
    });
    let (code, err, _) = ecapi(&[
        "call",
        "PortStatus",
        "Unit=1",
        "Port=1",
        "--endpoint",
        &server.url(),
        "--trace",
    ]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("\n      <Unit>1</Unit>\n"), "{err}");
    assert!(
        err.contains("\n<-- no answer: HTTP error talking to "),
        "{err}"
    );
}

#[test]
fn max_time_stops_a_sleep_and_a_request_in_flight_at_the_script_line() {
    let server = Scripted::start(|seen| match seen.method.as_str() {
        "GET" => xml(&wsdl(ApiVersion::V7_1)),
        _ => Reply::Hang,
    });
    let dir = tempfile::tempdir().unwrap();
    let sleepy = dir.path().join("sleepy.rhai");
    std::fs::write(
        &sleepy,
        "print(\"a\");\ntry { sleep(60000); } catch { print(\"caught\"); }\nprint(\"b\");\n",
    )
    .unwrap();
    let (code, err, took) = ecapi(&["run", sleepy.to_str().unwrap(), "--max-time", "0.5"]);
    assert_eq!(code, 1, "{err}");
    assert!(took < Duration::from_secs(30), "{took:?}");
    assert!(
        err.starts_with("error: stopped after 0.5 s: the script ran past --max-time\n"),
        "{err}"
    );
    assert!(err.contains("sleepy.rhai:2:"), "{err}");

    let waiting = dir.path().join("waiting.rhai");
    std::fs::write(&waiting, "let p = port(1, 1);\nlet r = p.status();\n").unwrap();
    let (code, err, took) = ecapi(&[
        "run",
        waiting.to_str().unwrap(),
        "--max-time",
        "0.5",
        "--endpoint",
        &server.url(),
        "--timeout",
        "120",
    ]);
    assert_eq!(code, 1, "{err}");
    assert!(took < Duration::from_secs(30), "{took:?}");
    assert!(
        err.starts_with("error: stopped after 0.5 s: the script ran past --max-time\n"),
        "{err}"
    );
    assert!(err.contains("waiting.rhai:2:"), "{err}");
}
