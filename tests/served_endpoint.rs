//! A POST to `ecapi serve`'s endpoint is answered without the router (`server::front`); every
//! other request goes through it, a session's endpoint among them. The two ways answer the same
//! request with the same bytes but the date: status line, headers in the same order, body.

mod common;

use std::sync::Arc;
use std::time::Duration;

use ecapi::api::ApiVersion;
use ecapi::client::{Http, HttpOptions, Session};
use ecapi::server::{self, Running, ServeOptions, SessionOptions};

const PATH: &str = "/WebAPI/ECAPI.svc";

fn serve_with_sessions() -> Running {
    let mut options = ServeOptions::new("127.0.0.1:0", common::simulator(ApiVersion::V7_1));
    options.log = false;
    options.sessions = Some(SessionOptions {
        make: Arc::new(|| Ok(common::simulator(ApiVersion::V7_1))),
        idle: Duration::from_secs(600),
        max: 2,
    });
    server::start(options).expect("the server starts")
}

/// The answer to `request` (the request line's path is `{path}`) as raw text, its `date` header
/// taken out.
fn answer(server: &Running, path: &str, request: &str) -> String {
    let request = request.replace("{path}", path);
    let answer = common::raw(server.addr(), request.as_bytes());
    let head: Vec<&str> = answer
        .headers
        .lines()
        .filter(|l| !l.to_ascii_lowercase().starts_with("date:"))
        .collect();
    format!("{}\r\n\r\n{}", head.join("\r\n"), answer.body)
}

const PORT_STATUS: &str = "<s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\">\
    <s:Body><PortStatus xmlns=\"http://tempuri.org/\"><Unit>1</Unit><Port>1</Port></PortStatus>\
    </s:Body></s:Envelope>";

fn post(headers: &str, body: &str) -> String {
    format!(
        "POST {{path}} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n{headers}\
         Content-Length: {}\r\n\r\n{body}",
        body.len()
    )
}

#[test]
fn the_endpoint_answers_as_its_route_would_for_answers_faults_and_refusals() {
    let server = serve_with_sessions();
    let mut main = Http::connect(HttpOptions::new(server.url())).unwrap();
    let session = Session::open(&mut main).unwrap();
    let session_path = session
        .url()
        .strip_prefix(&format!("http://{}", server.addr()))
        .expect("a session's endpoint on the same server")
        .to_string();
    let soap = "Content-Type: text/xml; charset=utf-8\r\n\
                SOAPAction: \"http://tempuri.org/IECAPI/PortStatus\"\r\n";
    let cases = [
        ("a PortStatus", post(soap, PORT_STATUS)),
        (
            "a fault: an unknown action",
            post(
                "Content-Type: text/xml; charset=utf-8\r\nSOAPAction: \"urn:nothing\"\r\n",
                PORT_STATUS,
            ),
        ),
        ("a 415: no content type", post("", PORT_STATUS)),
        ("a 400: not XML", post(soap, "not xml")),
        ("a 400: an empty body", post(soap, "")),
        (
            "a 413: a declared length over the limit",
            "POST {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\
             Content-Length: 99999999\r\n\r\n"
                .to_string(),
        ),
        (
            "a 413: a chunked body over the limit",
            format!(
                "POST {{path}} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n{soap}\
                 Transfer-Encoding: chunked\r\n\r\n11000\r\n{}\r\n0\r\n\r\n",
                "x".repeat(0x11000)
            ),
        ),
    ];
    for (what, request) in cases {
        let direct = answer(&server, PATH, &request);
        let routed = answer(&server, &session_path, &request);
        assert!(direct.starts_with("HTTP/1.1 "), "{what}: {direct}");
        assert_eq!(direct, routed, "{what}: the endpoint and its route differ");
    }
}

#[test]
fn a_port_status_answer_carries_its_headers_in_the_order_the_router_wrote_them() {
    let server = common::serve(ApiVersion::V7_1);
    let request = post(
        "Content-Type: text/xml; charset=utf-8\r\n\
         SOAPAction: \"http://tempuri.org/IECAPI/PortStatus\"\r\n",
        PORT_STATUS,
    );
    let answer = answer(&server, PATH, &request);
    let (head, body) = answer.split_once("\r\n\r\n").unwrap();
    assert_eq!(
        head,
        format!(
            "HTTP/1.1 200 OK\r\ncontent-type: text/xml; charset=utf-8\r\n\
             x-ecapi-simulator: hosted 7.1\r\ncontent-length: {}\r\nconnection: close",
            body.len()
        )
    );
    assert_eq!(body.len(), 453, "{body}");
}

#[test]
fn other_methods_and_paths_still_go_through_the_router() {
    let server = common::serve(ApiVersion::V7_1);
    let get = common::raw(
        server.addr(),
        format!("GET {PATH}?wsdl HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
            .as_bytes(),
    );
    assert_eq!(get.status, 200, "{get:?}");
    assert!(get.body.contains("wsdl:definitions"), "{get:?}");
    let put = common::raw(
        server.addr(),
        format!(
            "PUT {PATH} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"
        )
        .as_bytes(),
    );
    assert_eq!(put.status, 405, "{put:?}");
    // Not the endpoint's path: a trailing slash, another case.
    for path in [format!("{PATH}/"), PATH.to_ascii_lowercase()] {
        let request = post("Content-Type: text/xml; charset=utf-8\r\n", PORT_STATUS);
        let other = common::raw(server.addr(), request.replace("{path}", &path).as_bytes());
        assert_eq!(other.status, 404, "{path}: {other:?}");
    }
}

#[test]
fn a_repeated_soap_action_or_content_type_is_read_by_its_first_value() {
    let server = serve_with_sessions();
    let action = |op: &str| format!("SOAPAction: \"http://tempuri.org/IECAPI/{op}\"\r\n");
    let xml = "Content-Type: text/xml; charset=utf-8\r\n";
    let json = "Content-Type: application/json\r\n";
    let port_status = action("PortStatus");
    let init_user = action("InitUser");
    let cases = [
        (
            "the right action first",
            format!("{xml}{port_status}{init_user}"),
            format!("{xml}{port_status}"),
        ),
        (
            "the wrong action first",
            format!("{xml}{init_user}{port_status}"),
            format!("{xml}{init_user}"),
        ),
        (
            "XML first, between the actions",
            format!("{port_status}{xml}{init_user}{json}"),
            format!("{xml}{port_status}"),
        ),
        (
            "JSON first",
            format!("{json}{port_status}{xml}"),
            format!("{json}{port_status}"),
        ),
    ];
    for (what, repeated, single) in cases {
        let twice = answer(&server, PATH, &post(&repeated, PORT_STATUS));
        let once = answer(&server, PATH, &post(&single, PORT_STATUS));
        assert!(twice.starts_with("HTTP/1.1 "), "{what}: {twice}");
        assert_eq!(twice, once, "{what}");
    }
    // And the cases do differ: the first values decide.
    assert_ne!(
        answer(&server, PATH, &post(&cases_first(), PORT_STATUS)),
        answer(
            &server,
            PATH,
            &post(&format!("{xml}{port_status}"), PORT_STATUS)
        ),
    );
}

/// A request whose first SOAPAction names another operation than its body.
fn cases_first() -> String {
    "Content-Type: text/xml; charset=utf-8\r\n\
     SOAPAction: \"http://tempuri.org/IECAPI/InitUser\"\r\n\
     SOAPAction: \"http://tempuri.org/IECAPI/PortStatus\"\r\n"
        .to_string()
}
