//! The SOAP client against an in-process `ecapi serve`: every operation answers as the embedded
//! simulator does, the contract is learnt from the WSDL, and each kind of failure is its own error.

mod common;

use std::time::Duration;

use common::*;
use ecapi::api::{ApiVersion, Operation, Param, Request};
use ecapi::client::{Embedded, Http, HttpOptions, Transport, TransportError};
use ecapi::soap::ContractSource;

/// A call flow that touches all fifteen operations, successes and refusals alike.
fn flow() -> Vec<Request> {
    let up = |op| {
        Request::new(op)
            .with(Param::Unit, "1")
            .with(Param::Port, "1")
    };
    vec![
        Request::new(Operation::InitStation).with(Param::Extension, "1234"),
        Request::new(Operation::InitStation).with(Param::Extension, ""),
        Request::new(Operation::InitUser)
            .with(Param::User, "Renée <O'Brien> & co")
            .with(Param::Machine, "WS-1"),
        up(Operation::PortStatus),
        up(Operation::StartRecording).with(Param::MaxRecordingTime, "600"),
        up(Operation::StartRecording),
        up(Operation::AssignField)
            .with(Param::FieldName, "fldClientID")
            .with(Param::FieldValue, "A&B \"42\""),
        up(Operation::GetField).with(Param::FieldName, "fldClientID"),
        up(Operation::GetUrl),
        up(Operation::PauseRecording),
        up(Operation::PortStatusEx),
        up(Operation::ResumeRecording),
        up(Operation::ResumeRecording),
        Request::new(Operation::LogEvent)
            .with(Param::EventType, "Transfer")
            .with(Param::EventTimestamp, "2026-01-15T10:00:00")
            .with(Param::Parm1, "é<>&"),
        Request::new(Operation::LogEvent).with(Param::EventType, "x"),
        up(Operation::StopRecording),
        up(Operation::StopRecording),
        up(Operation::CancelRecording),
        Request::new(Operation::PortStatus)
            .with(Param::Unit, "2")
            .with(Param::Port, "1"),
        Request::new(Operation::PortStatus)
            .with(Param::Unit, "1")
            .with(Param::Port, "999"),
        Request::new(Operation::DesktopPause).with(Param::User, "jsmith"),
        Request::new(Operation::DesktopResume).with(Param::User, ""),
    ]
}

fn client(url: &str, api: ApiVersion) -> Http {
    let mut options = HttpOptions::new(url);
    options.api = Some(api);
    Http::connect(options).expect("the client connects")
}

#[test]
fn every_operation_through_the_client_answers_as_the_embedded_simulator_in_both_versions() {
    for api in ApiVersion::ALL {
        let server = serve(api);
        let mut http = client(&server.url(), api);
        let mut embedded = Embedded::new(simulator(api));
        let mut compared = 0;
        for request in flow() {
            let over_http = http.call(&request);
            let local = embedded.call(&request);
            match (over_http, local) {
                (Ok(a), Ok(b)) => {
                    assert_eq!(a.response, b.response, "{} under {api}", request.op());
                    compared += 1;
                }
                // The server's WSDL lacks the operation: refused before sending, naming the
                // server's version, where the simulator refuses it for the version.
                (
                    Err(TransportError::NotOffered {
                        op, api: server, ..
                    }),
                    Err(TransportError::Request(_)),
                ) => {
                    assert_eq!((op, server), (request.op(), api));
                    assert!(!request.op().exists_in(api));
                }
                (a, b) => panic!("{} under {api}: {a:?} vs {b:?}", request.op()),
            }
        }
        assert!(compared >= 15, "{compared}");
    }
}

#[test]
fn the_client_learns_the_contract_from_the_servers_wsdl_and_says_so() {
    let server = serve(ApiVersion::V7_0);
    let http = client(&server.url(), ApiVersion::V7_0);
    assert_eq!(
        http.contract().source,
        ContractSource::Wsdl(format!("{}?wsdl", server.url()))
    );
    assert!(
        http.describe().contains("contract from http://"),
        "{}",
        http.describe()
    );
    let init_user = http.contract().shape(Operation::InitUser).unwrap();
    assert_eq!(init_user.params[0].0, "userName");
}

#[test]
fn without_a_wsdl_the_client_uses_the_defaults_and_says_why() {
    let server = serve(ApiVersion::V7_1);
    let url = format!("http://{}/elsewhere", server.addr());
    let mut http = client(&url, ApiVersion::V7_1);
    assert!(
        http.describe().contains("default contract (WSDL not used"),
        "{}",
        http.describe()
    );
    // The path answers 404 with a text page: an HTTP error, showing its start.
    let err = http.call(&Request::new(Operation::PortStatus)).unwrap_err();
    match err {
        TransportError::NotSoap { status, start, .. } => {
            assert_eq!(status, 404);
            assert!(start.starts_with("no service at /elsewhere"), "{start}");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn an_operation_the_servers_wsdl_lacks_is_refused_before_it_is_sent() {
    // A 7.1 client against a 7.0 server: GetField is not in the server's contract.
    let server = serve(ApiVersion::V7_0);
    let mut http = client(&server.url(), ApiVersion::V7_1);
    let err = http.call(&Request::new(Operation::GetField)).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "GetField is not offered by the server at {} (its WSDL describes API 7.0)",
            server.url()
        )
    );
    assert!(http.control().unwrap().journal().unwrap().is_empty());
    // Without --api the client speaks the server's version.
    let http = Http::connect(HttpOptions::new(server.url())).unwrap();
    assert_eq!(http.api(), ApiVersion::V7_0);
}

#[test]
fn a_refused_connection_is_a_connect_error() {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let err = Http::connect(HttpOptions::new(format!(
        "http://127.0.0.1:{port}/WebAPI/ECAPI.svc"
    )))
    .unwrap_err();
    assert!(matches!(err, TransportError::Connect { .. }), "{err:?}");
    assert!(err.to_string().to_lowercase().contains("refused"), "{err}");
}

#[test]
fn https_to_a_plain_http_server_is_a_tls_error() {
    let server = serve(ApiVersion::V7_1);
    let err = Http::connect(HttpOptions::new(format!(
        "https://{}/WebAPI/ECAPI.svc",
        server.addr()
    )))
    .unwrap_err();
    assert!(matches!(err, TransportError::Tls { .. }), "{err:?}");
}

#[test]
fn a_missing_ca_certificate_file_is_a_tls_error_naming_it() {
    let mut options = HttpOptions::new("https://127.0.0.1:1/WebAPI/ECAPI.svc");
    options.ca_cert = Some("/nonexistent/ca.pem".into());
    let err = Http::connect(options).unwrap_err();
    assert!(err.to_string().contains("/nonexistent/ca.pem"), "{err}");
}

#[test]
fn a_slow_answer_is_a_timeout() {
    let mut sim = simulator(ApiVersion::V7_1);
    sim.faults_mut()
        .set_delay(Some(Operation::PortStatus), Duration::from_secs(3));
    let server = serve_sim(sim);
    let mut options = HttpOptions::new(server.url());
    options.timeout = Duration::from_millis(300);
    let mut http = Http::connect(options).unwrap();
    let err = http
        .call(
            &Request::new(Operation::PortStatus)
                .with(Param::Unit, "1")
                .with(Param::Port, "1"),
        )
        .unwrap_err();
    assert_eq!(
        err,
        TransportError::Timeout {
            url: server.url(),
            seconds: 0.3
        }
    );
}

#[test]
fn tracing_captures_the_envelopes_as_exchanged() {
    let server = serve(ApiVersion::V7_1);
    let mut http = client(&server.url(), ApiVersion::V7_1);
    http.set_trace(true);
    let exchange = http
        .call(&Request::new(Operation::InitStation).with(Param::Extension, "77"))
        .unwrap();
    let trace = exchange.trace.unwrap();
    assert_eq!(trace.action, "http://tempuri.org/IECAPI/InitStation");
    assert_eq!(trace.status, 200);
    assert!(
        trace
            .request
            .contains("\n      <Extension>77</Extension>\n"),
        "{}",
        trace.request
    );
    assert!(
        trace.response.contains("<a:Port>1</a:Port>"),
        "{}",
        trace.response
    );
    http.set_trace(false);
    let exchange = http
        .call(&Request::new(Operation::InitStation).with(Param::Extension, "77"))
        .unwrap();
    assert!(exchange.trace.is_none());
}

#[test]
fn credentials_in_the_url_are_not_shown() {
    let server = serve(ApiVersion::V7_1);
    let url = format!("http://agent:s%40cret@{}/WebAPI/ECAPI.svc", server.addr());
    let http = client(&url, ApiVersion::V7_1);
    assert!(!http.describe().contains("cret"), "{}", http.describe());
}

#[test]
fn the_embedded_trace_shows_the_envelopes_the_server_would_exchange() {
    let mut embedded = Embedded::new(simulator(ApiVersion::V7_1));
    embedded.set_trace(true);
    let request = Request::new(Operation::InitStation).with(Param::Extension, "1234");
    let trace = embedded.call(&request).unwrap().trace.unwrap();
    let server = serve(ApiVersion::V7_1);
    let mut http = client(&server.url(), ApiVersion::V7_1);
    http.set_trace(true);
    let over_http = http.call(&request).unwrap().trace.unwrap();
    assert_eq!(trace, over_http);
}

#[test]
fn a_served_simulator_is_controlled_through_the_client_and_a_plain_server_is_not() {
    let server = serve(ApiVersion::V7_1);
    let mut http = client(&server.url(), ApiVersion::V7_1);
    assert!(
        http.describe().contains("served simulator (hosted 7.1)"),
        "{}",
        http.describe()
    );
    let control = http.control().expect("ecapi serve offers control");
    control
        .fault(Some(Operation::PortStatus), 610, Some(1))
        .unwrap();
    assert_eq!(
        control.hold("1", "1"),
        Err(ecapi::client::ControlError::NotInProfile(
            "sim_hold needs the recorder profile (--profile recorder): the hosted service has no telephony events"
                .into()
        ))
    );
    let status = Request::new(Operation::PortStatus)
        .with(Param::Unit, "1")
        .with(Param::Port, "1");
    assert_eq!(http.call(&status).unwrap().response.code, 610);
    assert_eq!(http.call(&status).unwrap().response.code, 100);
    let journal = http.control().unwrap().journal().unwrap();
    assert_eq!(journal.len(), 2);

    let mut elsewhere = client(
        &format!("http://{}/elsewhere", server.addr()),
        ApiVersion::V7_1,
    );
    assert!(elsewhere.control().is_none());
}

/// A whole HTTP answer with the right Content-Length.
fn answer(status: &str, content_type: &str, body: &str) -> &'static [u8] {
    let text = format!(
        "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    Box::leak(text.into_bytes().into_boxed_slice())
}

fn call_canned(answer: &'static [u8]) -> TransportError {
    let addr = canned(answer);
    let mut http = client(&format!("http://{addr}/WebAPI/ECAPI.svc"), ApiVersion::V7_1);
    http.call(&Request::new(Operation::PortStatus)).unwrap_err()
}

#[test]
fn an_html_page_with_status_200_is_not_soap_and_shows_its_start() {
    let err = call_canned(answer(
        "200 OK",
        "text/html",
        "<html><body>Please log in</body></html",
    ));
    match err {
        TransportError::NotSoap { status, start, .. } => {
            assert_eq!(status, 200);
            assert!(start.starts_with("<html><body>Please log in"), "{start}");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn an_empty_error_answer_is_not_soap_and_says_the_body_is_empty() {
    let err = call_canned(answer("500 Internal Server Error", "text/plain", ""));
    match &err {
        TransportError::NotSoap { status, start, .. } => {
            assert_eq!((*status, start.as_str()), (500, "(empty body)"));
        }
        other => panic!("{other:?}"),
    }
    assert!(
        err.to_string().starts_with("HTTP 500 from http://"),
        "{err}"
    );
}

#[test]
fn a_gateway_error_page_shows_its_status_and_start() {
    let err = call_canned(answer(
        "502 Bad Gateway",
        "text/plain",
        "upstream unreachable.",
    ));
    assert!(
        matches!(&err, TransportError::NotSoap { status: 502, start, .. } if start == "upstream unreachable."),
        "{err:?}"
    );
}

#[test]
fn an_envelope_without_a_response_code_is_not_soap() {
    let err = call_canned(answer(
        "200 OK",
        "text/xml",
        "<s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\"><s:Body><X/></s:Body></s:Envelope>",
    ));
    match err {
        TransportError::NotSoap { status, reason, .. } => {
            assert_eq!(status, 200);
            assert!(reason.contains("no responseCode"), "{reason}");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_wcf_fault_with_exception_detail_is_read_for_its_code_and_string() {
    let err = call_canned(answer(
        "500 Internal Server Error",
        "text/xml; charset=utf-8",
        "<s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\"><s:Body><s:Fault>\
         <faultcode xmlns:a=\"http://schemas.microsoft.com/net/2005/12/windowscommunicationfoundation/dispatcher\">\
         a:InternalServiceFault</faultcode><faultstring xml:lang=\"en-US\">Object reference not set</faultstring>\
         <detail><ExceptionDetail xmlns=\"http://schemas.datacontract.org/2004/07/System.ServiceModel\">\
         <Message>x</Message></ExceptionDetail></detail></s:Fault></s:Body></s:Envelope>",
    ));
    assert_eq!(
        err,
        TransportError::Fault {
            code: "a:InternalServiceFault".into(),
            string: "Object reference not set".into()
        }
    );
}

#[test]
fn a_connection_dropped_without_an_answer_is_an_http_error() {
    let err = call_canned(b"");
    assert!(
        matches!(
            err,
            TransportError::Http { .. } | TransportError::Connect { .. }
        ),
        "{err:?}"
    );
}

#[test]
fn a_served_simulator_fails_below_the_web_api_when_told_to() {
    use ecapi::client::WireFault;
    let server = serve(ApiVersion::V7_1);
    let mut http = client(&server.url(), ApiVersion::V7_1);
    let status = Request::new(Operation::PortStatus)
        .with(Param::Unit, "1")
        .with(Param::Port, "1");
    let mut next_after = |kind: WireFault| {
        http.control()
            .unwrap()
            .wire_fault(Some(Operation::PortStatus), kind, Some(1))
            .unwrap();
        let failed = http.call(&status).unwrap_err();
        // One call only: the next is answered.
        assert_eq!(http.call(&status).unwrap().response.code, 100);
        failed
    };
    assert!(matches!(
        next_after(WireFault::HttpError),
        TransportError::NotSoap { status: 503, .. }
    ));
    assert!(matches!(
        next_after(WireFault::SoapFault),
        TransportError::Fault { code, .. } if code == "a:InternalServiceFault"
    ));
    assert!(matches!(
        next_after(WireFault::BrokenBody),
        TransportError::NotSoap { status: 200, reason, .. } if reason.contains("not well-formed")
    ));
    assert!(matches!(
        next_after(WireFault::Drop),
        TransportError::Http { .. }
    ));
    // A rule without a count lasts until reset, and covers every operation when it names none.
    let control = http.control().unwrap();
    control
        .wire_fault(None, WireFault::HttpError, None)
        .unwrap();
    assert!(http.call(&status).is_err());
    assert!(http.call(&status).is_err());
    http.control().unwrap().reset().unwrap();
    assert_eq!(http.call(&status).unwrap().response.code, 100);
}

#[test]
fn the_embedded_simulator_cannot_fail_below_the_web_api() {
    let mut embedded = Embedded::new(simulator(ApiVersion::V7_1));
    let err = embedded
        .control()
        .unwrap()
        .wire_fault(None, ecapi::client::WireFault::Drop, Some(1))
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "only a served simulator (ecapi serve) can answer with a dropped connection"
    );
}

#[test]
fn a_served_simulator_gives_its_reason_for_a_non_100_answer_as_the_embedded_one_does() {
    let server = serve(ApiVersion::V7_1);
    let mut http = client(&server.url(), ApiVersion::V7_1);
    let mut embedded = Embedded::new(simulator(ApiVersion::V7_1));
    let stop = Request::new(Operation::StopRecording)
        .with(Param::Unit, "1")
        .with(Param::Port, "5");
    let over_http = http.call(&stop).unwrap();
    let local = embedded.call(&stop).unwrap();
    assert_eq!(over_http.response.code, 608);
    assert_eq!(
        over_http.reason.as_deref(),
        Some("port 5 is NOT RECORDING; StopRecording needs RECORD")
    );
    assert_eq!(over_http.reason, local.reason);
    let status = Request::new(Operation::PortStatus)
        .with(Param::Unit, "1")
        .with(Param::Port, "5");
    assert_eq!(http.call(&status).unwrap().reason, None);
}
