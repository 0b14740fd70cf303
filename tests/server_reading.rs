//! `ecapi serve` reads requests as a WCF service with default settings does (`wire.md`, "How the
//! server reads a request"), one test per step and per case a CRM gets wrong, each asserting the
//! status, the fault (code and string) and the note in `x-ecapi-reason`; and the same requests
//! under `--lenient`, answered kindly with a note.

mod common;

use common::*;
use ecapi::api::ApiVersion;
use ecapi::server::{self, Running, ServeOptions};

const ACTION: &str = "http://tempuri.org/IECAPI/";
const ADDRESSING_NONE: &str = "http://schemas.microsoft.com/ws/2005/05/addressing/none";
const DISPATCHER: &str =
    "http://schemas.microsoft.com/net/2005/12/windowscommunicationfoundation/dispatcher";
const SOAP11: &str = "http://schemas.xmlsoap.org/soap/envelope/";

fn serve_as(api: ApiVersion, lenient: bool) -> Running {
    let mut options = ServeOptions::new("127.0.0.1:0", simulator(api));
    options.log = false;
    options.lenient = lenient;
    server::start(options).expect("the server starts")
}

fn strict() -> Running {
    serve_as(ApiVersion::V7_1, false)
}

fn lenient() -> Running {
    serve_as(ApiVersion::V7_1, true)
}

/// A POST with a content type and, when given, a SOAPAction (quoted).
fn send(server: &Running, content_type: &str, action: Option<&str>, body: &[u8]) -> Answer {
    let mut headers = format!("Content-Type: {content_type}\r\n");
    if let Some(op) = action {
        headers.push_str(&format!("SOAPAction: \"{ACTION}{op}\"\r\n"));
    }
    post(server.addr(), &headers, body)
}

fn utf8(server: &Running, op: &str, body: &str) -> Answer {
    send(server, "text/xml; charset=utf-8", Some(op), body.as_bytes())
}

/// (faultcode, its namespace, faultstring) of an HTTP 500 answer.
fn fault(answer: &Answer) -> (String, String, String) {
    assert_eq!(answer.status, 500, "{answer:?}");
    let f = ecapi::soap::decode_fault(answer.body.as_bytes())
        .unwrap_or_else(|| panic!("not a fault: {answer:?}"));
    (f.code(), f.ns.clone().unwrap_or_default(), f.string)
}

fn code(answer: &Answer) -> u16 {
    assert_eq!(answer.status, 200, "{answer:?}");
    let at = answer
        .body
        .find("<a:responseCode>")
        .expect("a responseCode")
        + 16;
    answer.body[at..at + 3].parse().unwrap()
}

fn port_status(inner: &str) -> String {
    envelope(&format!(
        "<PortStatus xmlns=\"http://tempuri.org/\">{inner}</PortStatus>"
    ))
}

fn assert_reason(answer: &Answer, expected: &str) {
    let reason = reason(answer);
    assert!(
        reason.contains(expected),
        "x-ecapi-reason {reason:?} lacks {expected:?}"
    );
    assert!(reason.len() <= 1024);
    assert!(!reason.chars().any(|c| c.is_control()));
}

// One test per step of wire.md's reading.

#[test]
fn step_1_a_request_over_65536_bytes_is_answered_413() {
    let server = strict();
    let body = port_status(&format!(
        "<Unit>1</Unit><Port>1</Port><!--{}-->",
        "x".repeat(65_536)
    ));
    let answer = utf8(&server, "PortStatus", &body);
    assert_eq!(answer.status, 413, "{answer:?}");
    assert_reason(
        &answer,
        "larger than 65536 bytes: a WCF service refuses it with 413",
    );
    // One byte under the limit is read.
    let fits = port_status(&format!(
        "<Unit>1</Unit><Port>1</Port><!--{}-->",
        "x".repeat(65_536 - port_status("<Unit>1</Unit><Port>1</Port><!---->").len())
    ));
    assert_eq!(fits.len(), 65_536);
    assert_eq!(code(&utf8(&server, "PortStatus", &fits)), 100);
}

#[test]
fn step_2_a_soap_1_2_content_type_is_answered_415_with_wcfs_status_line_and_no_body() {
    let server = strict();
    let answer = send(
        &server,
        "application/soap+xml; charset=utf-8",
        Some("PortStatus"),
        port_status("<Unit>1</Unit><Port>1</Port>").as_bytes(),
    );
    assert_eq!(answer.status, 415);
    assert!(
        answer.headers.starts_with(
            "HTTP/1.1 415 Cannot process the message because the content type \
             'application/soap+xml; charset=utf-8' was not the expected type \
             'text/xml; charset=utf-8'.\r\n"
        ),
        "{answer:?}"
    );
    assert_eq!(answer.body, "");
    assert_reason(
        &answer,
        "Content-Type 'application/soap+xml; charset=utf-8' arrived",
    );
}

#[test]
fn step_3_a_forbidden_character_reference_is_answered_400_with_no_body() {
    let server = strict();
    let answer = utf8(
        &server,
        "PortStatus",
        &port_status("<Unit>&#1;</Unit><Port>1</Port>"),
    );
    assert_eq!(answer.status, 400, "{answer:?}");
    assert_eq!(answer.body, "");
    assert_reason(&answer, "U+0001 is not allowed in XML 1.0");
    let answer = utf8(&server, "PortStatus", &port_status("<Unit>&#0;</Unit>"));
    assert_eq!(answer.status, 400, "{answer:?}");
    let answer = utf8(&server, "PortStatus", &port_status("<Unit>\u{7}</Unit>"));
    assert_eq!(answer.status, 400, "{answer:?}");
}

#[test]
fn step_4_a_soap_1_2_envelope_is_a_version_mismatch_fault() {
    for server in [strict(), lenient()] {
        let answer = utf8(
            &server,
            "PortStatus",
            "<e:Envelope xmlns:e=\"http://www.w3.org/2003/05/soap-envelope\"><e:Body>\
             <PortStatus xmlns=\"http://tempuri.org/\"><Unit>1</Unit><Port>1</Port></PortStatus>\
             </e:Body></e:Envelope>",
        );
        let (code, ns, string) = fault(&answer);
        assert_eq!((code.as_str(), ns.as_str()), ("s:VersionMismatch", SOAP11));
        assert!(
            string.starts_with("The envelope version of the incoming message (Soap12"),
            "{string}"
        );
        assert_reason(&answer, "a SOAP 1.2 envelope arrived");
    }
}

#[test]
fn step_5_a_must_understand_header_is_a_must_understand_fault() {
    let server = strict();
    let body = "<s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\"><s:Header>\
        <o:Security s:mustUnderstand=\"1\" xmlns:o=\"http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd\">\
        <o:UsernameToken><o:Username>u</o:Username></o:UsernameToken></o:Security></s:Header><s:Body>\
        <PortStatus xmlns=\"http://tempuri.org/\"><Unit>1</Unit><Port>1</Port></PortStatus>\
        </s:Body></s:Envelope>";
    let answer = utf8(&server, "PortStatus", body);
    let (code, ns, string) = fault(&answer);
    assert_eq!((code.as_str(), ns.as_str()), ("s:MustUnderstand", SOAP11));
    assert_eq!(
        string,
        "The header 'Security' from the namespace \
         'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd' was \
         not understood by the recipient of this message, causing the message to not be \
         processed.  This error typically indicates that the sender of this message has enabled \
         a communication protocol that the receiver cannot process.  Please ensure that the \
         configuration of the client's binding is consistent with the service's binding."
    );
    assert_reason(&answer, "header Security");
    // "true" is the same as "1".
    let answer = utf8(
        &server,
        "PortStatus",
        &body.replace("mustUnderstand=\"1\"", "mustUnderstand=\"true\""),
    );
    assert_eq!(fault(&answer).0, "s:MustUnderstand");
    // Under --lenient the header is ignored, and that is noted.
    let answer = utf8(&lenient(), "PortStatus", body);
    assert_eq!(code_of(&answer), 100);
    assert_reason(&answer, "lenient: header Security");
}

fn code_of(answer: &Answer) -> u16 {
    code(answer)
}

#[test]
fn step_6_a_missing_soapaction_is_action_not_supported_with_empty_quotes() {
    let server = strict();
    let body = port_status("<Unit>1</Unit><Port>1</Port>");
    let answer = send(&server, "text/xml; charset=utf-8", None, body.as_bytes());
    let (code, ns, string) = fault(&answer);
    assert_eq!(
        (code.as_str(), ns.as_str()),
        ("a:ActionNotSupported", ADDRESSING_NONE)
    );
    assert!(
        string.starts_with(
            "The message with Action '' cannot be processed at the receiver, due to a \
             ContractFilter mismatch at the EndpointDispatcher."
        ),
        "{string}"
    );
    assert_reason(
        &answer,
        "no SOAPAction arrived: a WCF service dispatches by SOAPAction only, so it answered \
         a:ActionNotSupported with ''; send SOAPAction: \"http://tempuri.org/IECAPI/PortStatus\"",
    );
    // An empty SOAPAction is the same.
    let answer = post(
        server.addr(),
        "Content-Type: text/xml; charset=utf-8\r\nSOAPAction: \"\"\r\n",
        body.as_bytes(),
    );
    assert!(fault(&answer).2.contains("Action ''"));
    // Under --lenient the body element names the operation.
    let answer = send(&lenient(), "text/xml; charset=utf-8", None, body.as_bytes());
    assert_eq!(code_of(&answer), 100);
    assert_reason(
        &answer,
        "lenient: no SOAPAction arrived and the operation was taken from the body",
    );
}

#[test]
fn step_6_a_wildcard_action_names_the_action_to_send_and_the_generated_proxy_that_sends_it() {
    let server = strict();
    let body =
        envelope("<LogEvent xmlns=\"http://tempuri.org/\"><Unit>1</Unit><Port>1</Port></LogEvent>");
    let answer = post(
        server.addr(),
        "Content-Type: text/xml; charset=utf-8\r\nSOAPAction: \"*\"\r\n",
        body.as_bytes(),
    );
    let (code, ns, string) = fault(&answer);
    assert_eq!(
        (code.as_str(), ns.as_str()),
        ("a:ActionNotSupported", ADDRESSING_NONE)
    );
    assert!(string.starts_with("The message with Action '*' cannot be processed"));
    assert_reason(
        &answer,
        "SOAPAction \"*\" arrived: a WCF service dispatches by exact action and has no operation \
         for \"*\", so it answered a:ActionNotSupported; send SOAPAction: \
         \"http://tempuri.org/IECAPI/LogEvent\". A WCF proxy generated from a WSDL without \
         wsaw:Action sends \"*\" for every operation",
    );
}

#[test]
fn step_7_a_body_element_in_another_namespace_is_deserialization_failed() {
    let server = strict();
    let answer = utf8(
        &server,
        "PortStatus",
        &envelope(
            "<e:PortStatus xmlns:e=\"urn:other\"><e:Unit>1</e:Unit><e:Port>1</e:Port>\
             </e:PortStatus>",
        ),
    );
    let (code, ns, string) = fault(&answer);
    assert_eq!(
        (code.as_str(), ns.as_str()),
        ("a:DeserializationFailed", DISPATCHER)
    );
    assert!(
        string.ends_with(
            "Expected to find node type 'Element' with name 'PortStatus' and namespace \
             'http://tempuri.org/'. Found node type 'Element' with name 'e:PortStatus' and \
             namespace 'urn:other'"
        ),
        "{string}"
    );
    assert_reason(&answer, "the Body holds e:PortStatus in 'urn:other'");
}

#[test]
fn step_8_a_parameter_out_of_order_is_skipped_and_read_as_empty() {
    let server = strict();
    let body = port_status("<Port>1</Port><Unit>1</Unit>");
    let answer = utf8(&server, "PortStatus", &body);
    assert_eq!(code(&answer), 606);
    assert_reason(
        &answer,
        "Unit arrived after Port: a WCF service reads parameters in its WSDL's order, so it \
         skipped Unit and read Unit as empty (hence 606); send Unit before Port",
    );
    // The journal has the note too.
    let sim = server.simulator();
    let sim = sim.lock().unwrap();
    let last = sim.simulator().journal().last().unwrap().reason.clone();
    assert!(last.contains("Unit arrived after Port"), "{last}");
    // --lenient reads it, and says a WCF service would not have.
    let answer = utf8(&lenient(), "PortStatus", &body);
    assert_eq!(code(&answer), 100);
    assert_reason(
        &answer,
        "lenient: Unit arrived after Port and was read as Unit",
    );
}

// The cases a CRM gets wrong, each one test (strict, then lenient).

fn strict_and_lenient(op: &str, body: &str, strict_code: u16, note: &str, kind_note: &str) {
    let answer = utf8(&strict(), op, body);
    assert_eq!(code(&answer), strict_code, "{answer:?}");
    assert_reason(&answer, note);
    let answer = utf8(&lenient(), op, body);
    assert_eq!(code(&answer), 100, "{answer:?}");
    assert_reason(&answer, kind_note);
}

#[test]
fn a_parameter_in_the_wrong_case_is_skipped() {
    strict_and_lenient(
        "PortStatus",
        &port_status("<unit>1</unit><Port>1</Port>"),
        606,
        "unit arrived where the WSDL has Unit: a WCF service matches parameter names \
         case-sensitively, so it skipped unit and read Unit as empty (hence 606); spell it Unit",
        "lenient: unit arrived where the WSDL has Unit and was read as Unit",
    );
}

#[test]
fn a_parameter_in_another_namespace_is_skipped() {
    strict_and_lenient(
        "PortStatus",
        &port_status("<x:Unit xmlns:x=\"urn:x\">1</x:Unit><Port>1</Port>"),
        606,
        "Unit arrived in namespace 'urn:x': a WCF service reads parameters only in the service \
         namespace, so it skipped Unit and read Unit as empty (hence 606)",
        "lenient: Unit arrived in namespace 'urn:x' and was read as Unit",
    );
}

#[test]
fn a_parameter_in_no_namespace_is_skipped() {
    strict_and_lenient(
        "PortStatus",
        &envelope(
            "<t:PortStatus xmlns:t=\"http://tempuri.org/\"><Unit>1</Unit><t:Port>1</t:Port>\
             </t:PortStatus>",
        ),
        606,
        "Unit arrived in no namespace: a WCF service reads parameters only in the service \
         namespace, so it skipped Unit and read Unit as empty (hence 606)",
        "lenient: Unit arrived in no namespace and was read as Unit",
    );
}

#[test]
fn the_7_0_names_under_7_1_are_skipped() {
    let body = envelope(
        "<InitUser xmlns=\"http://tempuri.org/\"><userName>smith</userName>\
         <machineName>PC1</machineName></InitUser>",
    );
    let answer = utf8(&strict(), "InitUser", &body);
    assert_ne!(code(&answer), 100, "{answer:?}");
    assert_reason(
        &answer,
        "userName arrived, the API 7.0 name of User: a WCF service of this API version knows only \
         User, so it skipped userName and read User as empty",
    );
    assert_reason(&answer, "machineName arrived, the API 7.0 name of Machine");
    let answer = utf8(&lenient(), "InitUser", &body);
    assert_eq!(code(&answer), 100, "{answer:?}");
    assert_reason(
        &answer,
        "lenient: userName arrived, the API 7.0 name of User and was read",
    );
}

#[test]
fn a_must_understand_0_header_is_ignored_and_noted() {
    let body = "<s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\"><s:Header>\
        <h:Trace s:mustUnderstand=\"0\" xmlns:h=\"urn:h\">x</h:Trace></s:Header><s:Body>\
        <PortStatus xmlns=\"http://tempuri.org/\"><Unit>1</Unit><Port>1</Port></PortStatus>\
        </s:Body></s:Envelope>";
    let answer = utf8(&strict(), "PortStatus", body);
    assert_eq!(code(&answer), 100);
    assert_reason(
        &answer,
        "header Trace arrived without mustUnderstand: a WCF service ignores it",
    );
}

#[test]
fn a_refusal_s_reason_comes_before_the_notes_of_headers_wcf_ignores() {
    // As zeep sends every request when the WSDL has wsaw:Action: WS-Addressing headers without
    // mustUnderstand. The simulator's reason for the refusal must come first.
    let body = "<s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\" \
        xmlns:wsa=\"http://www.w3.org/2005/08/addressing\"><s:Header>\
        <wsa:Action>http://tempuri.org/IECAPI/LogEvent</wsa:Action>\
        <wsa:MessageID>urn:uuid:1</wsa:MessageID><wsa:To>http://x/</wsa:To></s:Header><s:Body>\
        <LogEvent xmlns=\"http://tempuri.org/\"><Unit>1</Unit><Port>1</Port><eventType>T</eventType>\
        </LogEvent></s:Body></s:Envelope>";
    let answer = utf8(&strict(), "LogEvent", body);
    assert_ne!(code(&answer), 100, "{answer:?}");
    let reason = reason(&answer);
    let first = reason.split("; ").next().unwrap();
    assert!(!first.contains("mustUnderstand"), "{reason}");
    assert!(
        reason.contains("header MessageID arrived without mustUnderstand"),
        "{reason}"
    );
}

fn utf16(text: &str, little: bool, bom: bool) -> Vec<u8> {
    let mut units: Vec<u16> = Vec::new();
    if bom {
        units.push(0xFEFF);
    }
    units.extend(text.encode_utf16());
    units
        .into_iter()
        .flat_map(|u| {
            if little {
                u.to_le_bytes()
            } else {
                u.to_be_bytes()
            }
        })
        .collect()
}

#[test]
fn a_utf16le_request_is_read() {
    let server = strict();
    let body = format!(
        "<?xml version=\"1.0\" encoding=\"utf-16\"?>{}",
        port_status("<Unit>1</Unit><Port>1</Port>")
    );
    let answer = send(
        &server,
        "text/xml; charset=utf-16LE",
        Some("PortStatus"),
        &utf16(&body, true, false),
    );
    assert_eq!(code(&answer), 100);
    // WCF's textEncoding="utf-16": charset utf-16 and a byte-order mark.
    let answer = send(
        &server,
        "text/xml; charset=utf-16",
        Some("PortStatus"),
        &utf16(&body, true, true),
    );
    assert_eq!(code(&answer), 100);
}

#[test]
fn a_utf16be_request_is_read() {
    let server = strict();
    let body = port_status("<Unit>1</Unit><Port>1</Port>");
    let answer = send(
        &server,
        "text/xml; charset=UTF-16BE",
        Some("PortStatus"),
        &utf16(&body, false, false),
    );
    assert_eq!(code(&answer), 100);
    // Without a charset the byte-order mark decides.
    let answer = send(
        &server,
        "text/xml",
        Some("PortStatus"),
        &utf16(&body, false, true),
    );
    assert_eq!(code(&answer), 100);
}

#[test]
fn an_iso_8859_1_request_is_answered_415() {
    let body = port_status("<Unit>1</Unit><Port>1</Port>");
    let answer = send(
        &strict(),
        "text/xml; charset=iso-8859-1",
        Some("PortStatus"),
        body.as_bytes(),
    );
    assert_eq!(answer.status, 415, "{answer:?}");
    assert!(answer.headers.starts_with(
        "HTTP/1.1 415 Cannot process the message because the content type 'text/xml; \
         charset=iso-8859-1' was not the expected type 'text/xml; charset=utf-8'."
    ));
    let answer = send(
        &lenient(),
        "text/xml; charset=iso-8859-1",
        Some("PortStatus"),
        body.as_bytes(),
    );
    assert_eq!(code(&answer), 100);
    assert_reason(&answer, "lenient: the body was read as iso-8859-1");
}

#[test]
fn a_dtd_is_answered_400_even_under_lenient() {
    for server in [strict(), lenient()] {
        let body = format!(
            "<?xml version=\"1.0\"?><!DOCTYPE x [<!ENTITY e \"1\">]>{}",
            port_status("<Unit>&e;</Unit><Port>1</Port>")
        );
        let answer = utf8(&server, "PortStatus", &body);
        assert_eq!(answer.status, 400, "{answer:?}");
        assert_eq!(answer.body, "");
        assert_reason(&answer, "DOCTYPE");
    }
}

#[test]
fn a_string_of_8192_characters_is_read() {
    let body = envelope(&format!(
        "<LogEvent xmlns=\"http://tempuri.org/\"><Unit>1</Unit><Port>1</Port>\
         <Parm1>{}</Parm1></LogEvent>",
        "é".repeat(8192)
    ));
    let answer = utf8(&strict(), "LogEvent", &body);
    assert_eq!(answer.status, 200, "{answer:?}");
}

#[test]
fn a_string_of_8193_characters_is_deserialization_failed() {
    let body = envelope(&format!(
        "<LogEvent xmlns=\"http://tempuri.org/\"><Unit>1</Unit><Port>1</Port>\
         <Parm1>{}</Parm1></LogEvent>",
        "é".repeat(8193)
    ));
    let answer = utf8(&strict(), "LogEvent", &body);
    let (code, ns, string) = fault(&answer);
    assert_eq!(
        (code.as_str(), ns.as_str()),
        ("a:DeserializationFailed", DISPATCHER)
    );
    assert!(
        string.starts_with(
            "The formatter threw an exception while trying to deserialize the message: There was \
             an error while trying to deserialize parameter http://tempuri.org/:Parm1. The \
             InnerException message was 'There was an error deserializing the object of type \
             System.String. The maximum string content length quota (8192) has been exceeded \
             while reading XML data. This quota may be increased by changing the \
             MaxStringContentLength property on the XmlDictionaryReaderQuotas object used when \
             creating the XML reader. Line 1, position "
        ),
        "{string}"
    );
    assert_reason(
        &answer,
        "Parm1 arrived with 8193 characters: a WCF service reads at most 8192",
    );
    // --lenient keeps the quota.
    let answer = utf8(&lenient(), "LogEvent", &body);
    assert_eq!(fault(&answer).0, "a:DeserializationFailed");
}

#[test]
fn a_nil_parameter_is_read_as_empty_without_a_note() {
    // What a .NET client sends for every null parameter: WCF reads it silently, and so do we; the
    // answer's reason names the empty Unit.
    let answer = utf8(
        &strict(),
        "PortStatus",
        &port_status(
            "<Unit i:nil=\"true\" xmlns:i=\"http://www.w3.org/2001/XMLSchema-instance\"/>\
             <Port>1</Port>",
        ),
    );
    assert_eq!(code(&answer), 606);
    let reason = reason(&answer);
    assert!(!reason.contains("i:nil"), "{reason}");
}

#[test]
fn an_empty_or_unreadable_int_is_deserialization_failed() {
    for value in ["", "abc"] {
        let answer = utf8(
            &strict(),
            "StartRecording",
            &envelope(&format!(
                "<StartRecording xmlns=\"http://tempuri.org/\"><Unit>1</Unit><Port>1</Port>\
                 <maxRecordingTimeInSeconds>{value}</maxRecordingTimeInSeconds></StartRecording>"
            )),
        );
        let (code, _, string) = fault(&answer);
        assert_eq!(code, "a:DeserializationFailed");
        assert!(
            string.contains(&format!(
                "The value '{value}' cannot be parsed as the type 'Int32'."
            )),
            "{string}"
        );
        assert_reason(&answer, "maxRecordingTimeInSeconds arrived as");
    }
}

#[test]
fn a_string_parameter_holding_an_element_is_deserialization_failed() {
    let answer = utf8(
        &strict(),
        "PortStatus",
        &port_status("<Unit><b>1</b></Unit><Port>1</Port>"),
    );
    let (code, _, string) = fault(&answer);
    assert_eq!(code, "a:DeserializationFailed");
    assert!(
        string.contains(
            "End element 'Unit' from namespace 'http://tempuri.org/' expected. Found element 'b' \
             from namespace 'http://tempuri.org/'."
        ),
        "{string}"
    );
    assert_reason(&answer, "Unit arrived holding elements");
}

#[test]
fn limits_are_options_of_serve() {
    let mut options = ServeOptions::new("127.0.0.1:0", simulator(ApiVersion::V7_1));
    options.log = false;
    options.max_string_content_length = 4;
    options.max_depth = 4;
    let server = server::start(options).unwrap();
    let answer = utf8(
        &server,
        "PortStatus",
        &port_status("<Unit>12345</Unit><Port>1</Port>"),
    );
    assert!(fault(&answer).2.contains("quota (4)"));
    let answer = utf8(&server, "PortStatus", &port_status("<Unit><a/></Unit>"));
    assert_eq!(answer.status, 400, "{answer:?}");
    assert_reason(&answer, "deeper than 4 levels");
}
