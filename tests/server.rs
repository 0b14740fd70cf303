//! `ecapi serve` on a free port: the wire contract, every fault case, hostile input, and many
//! clients at once.

mod common;

use std::net::SocketAddr;
use std::sync::Arc;

use common::*;
use ecapi::api::{ApiVersion, Operation};

const NS: &str = "http://tempuri.org/";

fn fault_code(answer: &Answer) -> String {
    let fault = ecapi::soap::decode_fault(answer.body.as_bytes())
        .unwrap_or_else(|| panic!("not a fault: {answer:?}"));
    format!("{}|{}", fault.code(), fault.ns.unwrap_or_default())
}

#[test]
fn a_request_is_answered_exactly_as_the_wire_contract_shows() {
    let server = serve(ApiVersion::V7_1);
    let answer = soap(
        server.addr(),
        "http://tempuri.org/IECAPI/InitStation",
        &envelope(
            "<InitStation xmlns=\"http://tempuri.org/\"><Extension>1234</Extension></InitStation>",
        ),
    );
    assert_eq!(answer.status, 200);
    assert!(answer
        .headers
        .to_ascii_lowercase()
        .contains("content-type: text/xml; charset=utf-8"));
    assert_eq!(
        answer.body,
        "<s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\"><s:Body>\
         <InitStationResponse xmlns=\"http://tempuri.org/\"><InitStationResult \
         xmlns:a=\"http://schemas.datacontract.org/2004/07/ECAPI\" \
         xmlns:i=\"http://www.w3.org/2001/XMLSchema-instance\"><a:responseCode>100</a:responseCode>\
         <a:responseMessage>Command executed as expected</a:responseMessage><a:Port>1</a:Port>\
         <a:Unit>1</a:Unit></InitStationResult></InitStationResponse></s:Body></s:Envelope>"
    );
}

#[test]
fn without_a_soapaction_the_action_is_not_supported_and_the_note_names_the_right_one() {
    let server = serve(ApiVersion::V7_1);
    let answer = post(
        server.addr(),
        "Content-Type: text/xml\r\n",
        envelope(
            "<PortStatus xmlns=\"http://tempuri.org/\"><Unit>1</Unit><Port>7</Port></PortStatus>",
        )
        .as_bytes(),
    );
    assert_eq!(answer.status, 500, "{answer:?}");
    assert_eq!(
        fault_code(&answer),
        "a:ActionNotSupported|http://schemas.microsoft.com/ws/2005/05/addressing/none"
    );
    assert!(answer
        .body
        .contains("The message with Action '' cannot be processed"));
    assert!(
        reason(&answer).contains("send SOAPAction: \"http://tempuri.org/IECAPI/PortStatus\""),
        "{answer:?}"
    );
}

#[test]
fn unknown_action_is_answered_with_action_not_supported_fault() {
    let server = serve(ApiVersion::V7_1);
    let answer = soap(
        server.addr(),
        "http://tempuri.org/IECAPI/FormatDisk",
        &envelope("<PortStatus xmlns=\"http://tempuri.org/\"/>"),
    );
    assert_eq!(answer.status, 500);
    assert_eq!(
        fault_code(&answer),
        "a:ActionNotSupported|http://schemas.microsoft.com/ws/2005/05/addressing/none"
    );
    assert!(answer
        .body
        .contains("'http://tempuri.org/IECAPI/FormatDisk'"));
    assert_still_serving(server.addr());
}

#[test]
fn a_soapaction_in_the_wrong_case_is_not_matched() {
    let server = serve(ApiVersion::V7_1);
    let answer = soap(
        server.addr(),
        "http://tempuri.org/IECAPI/portstatus",
        &envelope("<PortStatus xmlns=\"http://tempuri.org/\"/>"),
    );
    assert_eq!(answer.status, 500);
    assert!(fault_code(&answer).starts_with("a:ActionNotSupported"));
}

#[test]
fn an_operation_of_7_1_is_action_not_supported_under_7_0() {
    let server = serve(ApiVersion::V7_0);
    for (action, body) in [
        (
            "http://tempuri.org/IECAPI/GetField",
            "<GetField xmlns=\"http://tempuri.org/\"/>",
        ),
        ("", "<PortStatusEX xmlns=\"http://tempuri.org/\"/>"),
    ] {
        let answer = soap(server.addr(), action, &envelope(body));
        assert_eq!(answer.status, 500, "{answer:?}");
        assert!(fault_code(&answer).starts_with("a:ActionNotSupported|"));
    }
}

#[test]
fn a_max_recording_time_that_is_not_an_int_is_deserialization_failed() {
    let server = serve(ApiVersion::V7_1);
    let answer = soap(
        server.addr(),
        "http://tempuri.org/IECAPI/StartRecording",
        &envelope(&format!(
            "<StartRecording xmlns=\"{NS}\"><Unit>1</Unit><Port>1</Port>\
             <maxRecordingTimeInSeconds>abc</maxRecordingTimeInSeconds></StartRecording>"
        )),
    );
    assert_eq!(answer.status, 500);
    assert_eq!(
        fault_code(&answer),
        "a:DeserializationFailed|http://schemas.microsoft.com/net/2005/12/windowscommunicationfoundation/dispatcher"
    );
    assert!(answer
        .body
        .contains("The value 'abc' cannot be parsed as the type 'Int32'"));
    assert_still_serving(server.addr());
}

#[test]
fn a_wrong_content_type_is_answered_with_415() {
    let server = serve(ApiVersion::V7_1);
    for content_type in [
        "application/soap+xml; charset=utf-8",
        "application/json",
        "",
    ] {
        let header = if content_type.is_empty() {
            String::new()
        } else {
            format!("Content-Type: {content_type}\r\n")
        };
        let answer = post(server.addr(), &header, b"<x/>");
        assert_eq!(answer.status, 415, "{content_type}: {answer:?}");
    }
    assert_still_serving(server.addr());
}

/// Asserts WCF's answer to a request that is not readable XML: 400 with an empty body, and a note
/// saying why in `x-ecapi-reason`.
fn assert_bad_request(addr: SocketAddr, body: &[u8]) -> Answer {
    let answer = post(
        addr,
        "Content-Type: text/xml; charset=utf-8\r\nSOAPAction: \"http://tempuri.org/IECAPI/PortStatus\"\r\n",
        body,
    );
    assert_eq!(answer.status, 400, "{answer:?}");
    assert_eq!(answer.body, "", "{answer:?}");
    assert_still_serving(addr);
    answer
}

#[test]
fn truncated_xml_is_answered_with_400() {
    let server = serve(ApiVersion::V7_1);
    let whole = envelope("<PortStatus xmlns=\"http://tempuri.org/\"><Unit>1</Unit></PortStatus>");
    let answer = assert_bad_request(server.addr(), &whole.as_bytes()[..whole.len() / 2]);
    assert!(
        reason(&answer).contains("not XML a WCF service reads"),
        "{answer:?}"
    );
}

#[test]
fn a_dtd_with_an_external_entity_is_refused_without_being_resolved() {
    let server = serve(ApiVersion::V7_1);
    let body = format!(
        "<?xml version=\"1.0\"?><!DOCTYPE s:Envelope [<!ENTITY xxe SYSTEM \"file:///etc/passwd\">]>{}",
        envelope("<InitStation xmlns=\"http://tempuri.org/\"><Extension>&xxe;</Extension></InitStation>")
    );
    let answer = assert_bad_request(server.addr(), body.as_bytes());
    assert!(reason(&answer).contains("DOCTYPE"), "{answer:?}");
    assert!(!answer.headers.contains("root:"));
}

#[test]
fn deeply_nested_elements_are_answered_with_400() {
    let server = serve(ApiVersion::V7_1);
    let depth = 5_000;
    let inner = format!(
        "<PortStatus xmlns=\"http://tempuri.org/\">{}{}</PortStatus>",
        "<a>".repeat(depth),
        "</a>".repeat(depth)
    );
    let answer = assert_bad_request(server.addr(), envelope(&inner).as_bytes());
    assert!(reason(&answer).contains("deeper than 32"), "{answer:?}");
}

#[test]
fn an_empty_body_is_answered_with_400() {
    let server = serve(ApiVersion::V7_1);
    let answer = assert_bad_request(server.addr(), b"");
    assert!(reason(&answer).contains("empty"), "{answer:?}");
}

#[test]
fn non_utf8_bytes_are_answered_with_400() {
    let server = serve(ApiVersion::V7_1);
    let mut body = envelope(
        "<PortStatus xmlns=\"http://tempuri.org/\"><Unit>X</Unit><Port>1</Port></PortStatus>",
    )
    .into_bytes();
    let at = body.iter().position(|b| *b == b'X').unwrap();
    body.splice(at..at + 1, [0xff, 0xfe, 0xc3]);
    let answer = assert_bad_request(server.addr(), &body);
    assert!(reason(&answer).contains("not utf-8"), "{answer:?}");
}

#[test]
fn xml_that_is_not_a_soap_envelope_is_answered_with_400() {
    let server = serve(ApiVersion::V7_1);
    let answer = assert_bad_request(server.addr(), b"<html><body>hello</body></html>");
    assert!(
        reason(&answer).contains("the root element is 'html'"),
        "{answer:?}"
    );
    assert_bad_request(server.addr(), b"this is not XML at all");
}

#[test]
fn a_50_mb_body_is_answered_with_413_and_the_server_keeps_serving() {
    let server = serve(ApiVersion::V7_1);
    let body = vec![b'a'; 50 * 1024 * 1024];
    let answer = post(server.addr(), "Content-Type: text/xml\r\n", &body);
    assert_eq!(answer.status, 413);
    assert_still_serving(server.addr());
}

#[test]
fn a_chunked_body_over_the_limit_is_answered_with_413() {
    let server = serve(ApiVersion::V7_1);
    let mut request = format!(
        "POST /WebAPI/ECAPI.svc HTTP/1.1\r\nHost: {}\r\nConnection: close\r\nContent-Type: text/xml\r\n\
         Transfer-Encoding: chunked\r\n\r\n",
        server.addr()
    )
    .into_bytes();
    let chunk = vec![b'a'; 256 * 1024];
    for _ in 0..8 {
        request.extend_from_slice(format!("{:x}\r\n", chunk.len()).as_bytes());
        request.extend_from_slice(&chunk);
        request.extend_from_slice(b"\r\n");
    }
    request.extend_from_slice(b"0\r\n\r\n");
    assert_eq!(raw(server.addr(), &request).status, 413);
    assert_still_serving(server.addr());
}

#[test]
fn the_wsdl_is_served_for_the_version_with_the_address_the_client_used() {
    let server = serve(ApiVersion::V7_0);
    let get = |query: &str| {
        raw(
            server.addr(),
            format!(
                "GET /WebAPI/ECAPI.svc?{query} HTTP/1.1\r\nHost: recorder.example:8080\r\nConnection: close\r\n\r\n"
            )
            .as_bytes(),
        )
    };
    let at = "http://recorder.example:8080/WebAPI/ECAPI.svc";
    for query in ["wsdl", "singleWsdl", "WSDL", "SINGLEWSDL"] {
        let answer = get(query);
        assert_eq!(answer.status, 200, "{query}");
        assert!(answer
            .body
            .contains(&format!("<soap:address location=\"{at}\"/>")));
        assert!(answer
            .body
            .contains("wsaw:Action=\"http://tempuri.org/IECAPI/InitUser\""));
        assert!(!answer.body.contains("GetField"));
    }
    // ?wsdl imports its schemas from where the client found it, as WCF's ?wsdl does.
    let wsdl = get("wsdl").body;
    assert!(wsdl.contains(&format!("schemaLocation=\"{at}?xsd=xsd0\"")));
    assert!(get("singleWsdl").body.contains("name=\"userName\""));
    let xsd0 = get("xsd=xsd0");
    assert_eq!(xsd0.status, 200);
    assert!(xsd0.body.contains("name=\"userName\""));
    assert!(xsd0
        .body
        .contains(&format!("schemaLocation=\"{at}?xsd=xsd2\"")));
    assert_eq!(get("xsd=xsd1").status, 200);
    assert!(get("xsd=xsd2").body.contains("name=\"InitUserResult\""));
}

#[test]
fn other_paths_and_methods_get_http_errors() {
    let server = serve(ApiVersion::V7_1);
    let get = |line: &str| {
        raw(
            server.addr(),
            format!("{line} HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: 0\r\n\r\n")
                .as_bytes(),
        )
        .status
    };
    assert_eq!(get("GET /nothing"), 404);
    assert_eq!(get("DELETE /WebAPI/ECAPI.svc"), 405);
    // The contract is in the binding's namespace: no ?wsdl=wsdl0, three schemas.
    assert_eq!(get("GET /WebAPI/ECAPI.svc?wsdl=wsdl0"), 404);
    assert_eq!(get("GET /WebAPI/ECAPI.svc?xsd=xsd3"), 404);
    assert_eq!(get("GET /WebAPI/ECAPI.svc?disco"), 404);
    assert_eq!(get("GET /WebAPI/ECAPI.svc"), 200);
}

#[test]
fn many_clients_at_once_leave_the_simulator_consistent() {
    let server = Arc::new(serve(ApiVersion::V7_1));
    let threads = 8;
    let per_thread = 20;
    let handles: Vec<_> = (0..threads)
        .map(|t| {
            let server = server.clone();
            std::thread::spawn(move || {
                let mut ports = Vec::new();
                // Each extension twice: the second answer must repeat the first.
                for round in 0..2 {
                    for i in 0..per_thread {
                        let ext = format!("{}", 1000 + t * per_thread + i);
                        let answer = soap(
                            server.addr(),
                            "http://tempuri.org/IECAPI/InitStation",
                            &envelope(&format!(
                                "<InitStation xmlns=\"{NS}\"><Extension>{ext}</Extension></InitStation>"
                            )),
                        );
                        let response =
                            ecapi::soap::decode_response(answer.body.as_bytes(), Operation::InitStation)
                                .unwrap();
                        assert_eq!(response.code, 100);
                        let port: u32 = response.port().unwrap().parse().unwrap();
                        if round == 0 {
                            ports.push(port);
                        } else {
                            assert_eq!(ports[i], port, "extension {ext} moved");
                        }
                    }
                }
                ports
            })
        })
        .collect();
    let mut all: Vec<u32> = handles
        .into_iter()
        .flat_map(|h| h.join().unwrap())
        .collect();
    all.sort();
    let expected: Vec<u32> = (1..=(threads * per_thread) as u32).collect();
    assert_eq!(
        all, expected,
        "every extension got its own port, none skipped"
    );
    let sim = server.simulator();
    let sim = sim.lock().unwrap();
    assert_eq!(
        sim.simulator().journal().entries().count(),
        threads * per_thread * 2
    );
}

#[test]
fn a_client_that_expects_100_continue_is_told_to_continue_then_answered() {
    // .NET clients, WCF's own included, send `Expect: 100-continue` with every POST.
    use std::io::{Read, Write};
    let server = serve(ApiVersion::V7_1);
    let body = envelope(&format!(
        "<PortStatus xmlns=\"{NS}\"><Unit>1</Unit><Port>1</Port></PortStatus>"
    ));
    let mut stream = std::net::TcpStream::connect(server.addr()).unwrap();
    write!(
        stream,
        "POST /WebAPI/ECAPI.svc HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: text/xml; charset=utf-8\r\n\
         SOAPAction: \"http://tempuri.org/IECAPI/PortStatus\"\r\nExpect: 100-continue\r\nContent-Length: {}\r\n\r\n",
        body.len()
    )
    .unwrap();
    let mut interim = [0u8; 25];
    stream.read_exact(&mut interim).unwrap();
    assert_eq!(&interim, b"HTTP/1.1 100 Continue\r\n\r\n");
    stream.write_all(body.as_bytes()).unwrap();
    let answer = read_answer(stream);
    assert_eq!(answer.status, 200);
    assert!(answer
        .body
        .contains("<a:portStatus>NOT RECORDING</a:portStatus>"));
}

#[test]
fn a_body_that_is_not_the_soapactions_operation_is_answered_with_deserialization_failed() {
    let server = serve(ApiVersion::V7_1);
    let answer = soap(
        server.addr(),
        "http://tempuri.org/IECAPI/GetURL",
        &envelope(
            "<PortStatus xmlns=\"http://tempuri.org/\"><Unit>1</Unit><Port>7</Port></PortStatus>",
        ),
    );
    assert_eq!(answer.status, 500);
    assert_eq!(
        fault_code(&answer),
        "a:DeserializationFailed|http://schemas.microsoft.com/net/2005/12/windowscommunicationfoundation/dispatcher"
    );
    assert!(
        answer
            .body
            .contains("Expected to find node type 'Element' with name 'GetURL'"),
        "{}",
        answer.body
    );
    assert_still_serving(server.addr());
}
