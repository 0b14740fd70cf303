//! Request and response envelopes, both ways, for every operation: generated from the API model
//! ([`Operation::params`], [`Operation::result_fields`]) rather than written out per operation.
//!
//! Writers are strict: they produce exactly the shapes of `wire.md`, compact, as WCF does. Readers
//! are tolerant: they match elements by local name, accept parameters in any order, in any
//! namespace and under either version's names, and treat `i:nil` or a missing element as "not
//! given".

use std::borrow::Cow;

use super::contract::OperationShape;
use super::document::{Document, Node};
use super::fault::Fault;
use super::names::{Names, SOAP_ENV_NS};
use super::xml::{push_attr, push_text, Attr, Item, Piece, Pull, XmlError, MAX_DEPTH, XSI_NS};
use super::SoapError;
use crate::api::{ApiVersion, Operation, Param, Request, Response, ResponseCode, ResultField};

const ENVELOPE_OPEN: &str =
    "<s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\"><s:Body>";
const ENVELOPE_CLOSE: &str = "</s:Body></s:Envelope>";

/// The request envelope for `request`, shaped as `shape` says (parameter names and order).
///
/// `maxRecordingTimeInSeconds` is an `xs:int` and is never sent empty: an empty value goes as `0`.
pub fn encode_request(request: &Request, shape: &OperationShape) -> String {
    let mut out = String::with_capacity(256);
    out.push_str(ENVELOPE_OPEN);
    out.push('<');
    out.push_str(request.op().name());
    out.push_str(" xmlns=\"");
    push_attr(&mut out, &shape.ns);
    out.push_str("\">");
    for (name, param) in &shape.params {
        let Some(param) = param else { continue };
        let mut value = request.get(*param);
        if param.is_int() && value.trim().is_empty() {
            value = "0";
        }
        out.push('<');
        out.push_str(name);
        out.push('>');
        push_text(&mut out, value);
        out.push_str("</");
        out.push_str(name);
        out.push('>');
    }
    out.push_str("</");
    out.push_str(request.op().name());
    out.push('>');
    out.push_str(ENVELOPE_CLOSE);
    out
}

/// The response envelope for `response`, exactly as WCF writes it: `<Op>Response` in the service
/// namespace holding `<Op>Result`, whose fields are in the result namespace, `responseCode` and
/// `responseMessage` first, then the operation's extra fields in ordinal order when the code is 100
/// (a field the response lacks is written `i:nil`). [`ResponseFrames`] writes the same bytes with
/// the fixed parts made once.
pub fn encode_response(response: &Response, names: &Names) -> String {
    Frame::new(response.op, names).write(response)
}

/// The fixed parts of every operation's response envelope for one set of [`Names`], written once:
/// [`ResponseFrames::encode`] is [`encode_response`] without escaping the namespaces and joining
/// the wrapper elements again for every answer (`ecapi serve` keeps one for its names).
#[derive(Debug, Clone)]
pub struct ResponseFrames {
    /// Indexed by the operation's discriminant.
    frames: Vec<Option<Frame>>,
    names: Names,
}

impl ResponseFrames {
    /// The frames of every operation for `names`.
    pub fn new(names: &Names) -> ResponseFrames {
        let mut frames = Vec::new();
        for op in Operation::ALL {
            let at = op as usize;
            if frames.len() <= at {
                frames.resize_with(at + 1, || None);
            }
            frames[at] = Some(Frame::new(op, names));
        }
        ResponseFrames {
            frames,
            names: names.clone(),
        }
    }

    /// The response envelope for `response`: the very bytes of [`encode_response`] with these
    /// names.
    pub fn encode(&self, response: &Response) -> String {
        match self.frames.get(response.op as usize) {
            Some(Some(frame)) => frame.write(response),
            _ => encode_response(response, &self.names),
        }
    }
}

/// One operation's response envelope around its code, message and fields.
#[derive(Debug, Clone)]
struct Frame {
    /// From the envelope's start to the opening `responseCode` tag.
    head: String,
    /// From the closing `Result` tag to the envelope's end.
    tail: String,
}

impl Frame {
    fn new(op: Operation, names: &Names) -> Frame {
        let op = op.name();
        let mut head = String::with_capacity(320);
        head.push_str(ENVELOPE_OPEN);
        head.push('<');
        head.push_str(op);
        head.push_str("Response xmlns=\"");
        push_attr(&mut head, &names.service_ns);
        head.push_str("\"><");
        head.push_str(op);
        head.push_str("Result xmlns:a=\"");
        push_attr(&mut head, &names.result_ns);
        head.push_str("\" xmlns:i=\"");
        head.push_str(XSI_NS);
        head.push_str("\"><a:responseCode>");
        let mut tail = String::with_capacity(64);
        tail.push_str("</");
        tail.push_str(op);
        tail.push_str("Result></");
        tail.push_str(op);
        tail.push_str("Response>");
        tail.push_str(ENVELOPE_CLOSE);
        Frame { head, tail }
    }

    fn write(&self, response: &Response) -> String {
        let mut out = String::with_capacity(self.head.len() + self.tail.len() + 384);
        out.push_str(&self.head);
        out.push_str(itoa::Buffer::new().format(response.code));
        out.push_str("</a:responseCode><a:responseMessage>");
        push_text(&mut out, &response.message);
        out.push_str("</a:responseMessage>");
        if response.is_ok() {
            for field in response.op.result_fields() {
                let name = field.wire_name();
                match response.field(*field) {
                    Some(value) => {
                        out.push_str("<a:");
                        out.push_str(name);
                        out.push('>');
                        push_text(&mut out, &value);
                        out.push_str("</a:");
                        out.push_str(name);
                        out.push('>');
                    }
                    None => {
                        out.push_str("<a:");
                        out.push_str(name);
                        out.push_str(" i:nil=\"true\"/>");
                    }
                }
            }
        }
        out.push_str(&self.tail);
        out
    }
}

/// Reads a request envelope kindly: parameters by local name in any order, namespace or version.
/// `ecapi serve` reads as WCF does instead ([`super::read_request`], which also says what it did);
/// this stays for round trips of what [`encode_request`] writes.
///
/// The operation comes from the SOAPAction header (`soap_action`, quoted or not) when it is given
/// and not empty, else from the body element's name; either must name an operation of `version`.
pub fn decode_request(
    body: &[u8],
    soap_action: Option<&str>,
    version: ApiVersion,
    names: &Names,
) -> Result<Request, SoapError> {
    let action = soap_action
        .map(|a| a.trim().trim_matches('"').trim())
        .filter(|a| !a.is_empty());
    let by_action = match action {
        Some(action) => Some(
            Operation::ALL
                .into_iter()
                .find(|op| op.exists_in(version) && names.action(*op) == action)
                .ok_or_else(|| SoapError::UnknownAction(action.to_string()))?,
        ),
        None => None,
    };

    let mut pull = Pull::new(body);
    enter_body(&mut pull)?;
    // The first element in the body is the operation's wrapper.
    let wrapper = loop {
        match pull.next_in()? {
            Item::Start { local, .. } => break local,
            Item::Text(t) if t.trim().is_empty() => {}
            Item::Text(_) => return Err(SoapError::NotSoap("text directly in the Body".into())),
            Item::End => return Err(SoapError::NotSoap("the Body is empty".into())),
        }
    };
    let op = match by_action {
        // WCF dispatches by the action, then its formatter expects the operation's own element.
        Some(op) if wrapper != op.name() => {
            return Err(SoapError::WrongBody {
                ns: names.service_ns.clone(),
                expected: op.name().to_string(),
                found: wrapper,
            })
        }
        Some(op) => op,
        None => Operation::from_name(&wrapper)
            .filter(|op| op.exists_in(version))
            .ok_or_else(|| SoapError::UnknownAction(wrapper.clone()))?,
    };

    let mut request = Request::new(op);
    let takes = op.params(ApiVersion::V7_1);
    loop {
        match pull.next_in()? {
            Item::Start { local, attrs, .. } => {
                let nil = is_nil(&attrs);
                let value = pull.text_of_element()?;
                let Some(param) = Param::from_wire_name(&local).filter(|p| takes.contains(p))
                else {
                    // WCF skips elements its message contract does not name.
                    continue;
                };
                if param.is_int() {
                    if nil {
                        continue;
                    }
                    if value.trim().parse::<i32>().is_err() {
                        return Err(SoapError::BadParameter {
                            ns: names.service_ns.clone(),
                            name: local,
                            value,
                        });
                    }
                }
                request.set(param, if nil { String::new() } else { value });
            }
            Item::Text(_) => {}
            Item::End => break,
        }
    }
    // The rest of the body and envelope must still be well-formed.
    while pull.next_item()?.is_some() {}
    Ok(request)
}

/// Reads a response envelope for `op`, as the client does: fields are found by local name anywhere
/// under the body; a fault in the body comes back as [`SoapError::Fault`].
pub fn decode_response(body: &[u8], op: Operation) -> Result<Response, SoapError> {
    // An answer of the usual shape is read from its nodes; anything else (a fault, a document the
    // quick scan leaves to the pull parser, an answer missing its code) is read by the stream
    // below, which says what is wrong. Both give the same response for the same answer.
    if let Some(response) = std::str::from_utf8(body)
        .ok()
        .and_then(|text| Document::quick(text, MAX_DEPTH))
        .and_then(|doc| response_of(&doc, op))
    {
        return Ok(response);
    }
    decode_response_streamed(body, op)
}

/// [`decode_response`] in one pass of the pull parser, for every answer.
fn decode_response_streamed(body: &[u8], op: Operation) -> Result<Response, SoapError> {
    let mut pull = Pull::new(body);
    enter_body(&mut pull)?;
    let mut code: Option<String> = None;
    let mut message: Option<String> = None;
    let mut fields: Vec<(ResultField, Option<String>)> = Vec::new();
    let mut first = true;
    loop {
        // Pieces, not items: the names of the elements passed over are not copied.
        let piece = pull
            .next_piece()?
            .ok_or_else(|| XmlError::Malformed("unexpected end of document".to_string()))?;
        match piece {
            Piece::Start { local, attrs, .. } => {
                if first && local == "Fault" {
                    return Err(SoapError::Fault(Fault::read(&mut pull)?));
                }
                first = false;
                let wanted = match local.as_ref() {
                    "responseCode" | "responseMessage" => true,
                    _ => op.result_fields().iter().any(|f| f.wire_name() == local),
                };
                if !wanted {
                    continue;
                }
                let nil = is_nil(&attrs);
                let text = pull.text_of_element()?;
                let text = if nil { None } else { Some(text) };
                match local.as_ref() {
                    "responseCode" => code = code.or(text),
                    "responseMessage" => message = message.or(text),
                    name => {
                        let field = *op
                            .result_fields()
                            .iter()
                            .find(|f| f.wire_name() == name)
                            .expect("matched above");
                        if !fields.iter().any(|(f, _)| *f == field) {
                            fields.push((field, text));
                        }
                    }
                }
            }
            Piece::Text(_) => {}
            Piece::End if pull.depth() < 2 => break,
            Piece::End => {}
        }
    }
    while pull.next_piece()?.is_some() {}
    let code =
        code.ok_or_else(|| SoapError::NotSoap(format!("the answer to {op} has no responseCode")))?;
    let code: u16 = code
        .trim()
        .parse()
        .map_err(|_| SoapError::NotSoap(format!("responseCode `{code}` is not a number")))?;
    let mut response = Response::raw(op, code, Cow::Owned(message.unwrap_or_default()));
    for (field, text) in fields {
        if let Some(text) = text {
            response.set_field(field, &text);
        }
    }
    Ok(response)
}

/// [`decode_response`] over a document's nodes, for an answer with a Body that is not a fault and
/// holds a `responseCode` that is a number; `None` for anything else.
fn response_of(doc: &Document<'_>, op: Operation) -> Option<Response> {
    let nodes = &doc.nodes;
    let soap = |ns: &Option<_>| doc.ns_name(*ns) == Some(SOAP_ENV_NS);
    match nodes.first()? {
        Node::Start { ns, local, .. } if local == "Envelope" && soap(ns) => {}
        _ => return None,
    }
    // The Envelope's children: a Header passed over, then the Body.
    let mut at = 1;
    let body = loop {
        match nodes.get(at)? {
            Node::Start { ns, local, .. } if local == "Body" && soap(ns) => break at,
            Node::Start { ns, local, .. } if local == "Header" && soap(ns) => at = doc.skip(at),
            Node::Text(_) => at += 1,
            _ => return None,
        }
    };
    let body_end = doc.skip(body) - 1;
    let mut code: Option<Cow<'_, str>> = None;
    let mut message: Option<Cow<'_, str>> = None;
    // Each result field's text, first found first kept, by its place in the operation's list.
    let wanted = op.result_fields();
    let mut fields: [Option<Option<Cow<'_, str>>>; 2] = [None, None];
    let mut first = true;
    let mut at = body + 1;
    while at < body_end {
        let Node::Start { local, attrs, .. } = &nodes[at] else {
            at += 1;
            continue;
        };
        if first && local == "Fault" {
            return None;
        }
        first = false;
        let field = match local.as_ref() {
            "responseCode" | "responseMessage" => None,
            name => match wanted.iter().position(|f| f.wire_name() == name) {
                Some(field) if field < fields.len() => Some(field),
                Some(_) => return None,
                None => {
                    at += 1;
                    continue;
                }
            },
        };
        let end = doc.skip(at);
        let text = (!is_nil(attrs)).then(|| text_within(&nodes[at + 1..end]));
        at = end;
        match (local.as_ref(), field) {
            ("responseCode", _) => code = code.or(text),
            ("responseMessage", _) => message = message.or(text),
            (_, Some(field)) => {
                fields[field].get_or_insert(text);
            }
            (_, None) => {}
        }
    }
    let code: u16 = code?.trim().parse().ok()?;
    // The guide's message for the code, as nearly every answer carries it, is not copied.
    let message = match message {
        None => Cow::Borrowed(""),
        Some(m) => match ResponseCode::from_code(code).map(ResponseCode::message) {
            Some(known) if known == m => Cow::Borrowed(known),
            _ => Cow::Owned(m.into_owned()),
        },
    };
    let mut response = Response::raw(op, code, message);
    for (field, text) in wanted.iter().zip(fields) {
        if let Some(Some(text)) = text {
            response.set_field(*field, &text);
        }
    }
    Some(response)
}

/// The text of a run of nodes, joined (borrowed when it is one piece).
fn text_within<'t>(nodes: &[Node<'t>]) -> Cow<'t, str> {
    let mut text: Cow<'t, str> = Cow::Borrowed("");
    for node in nodes {
        if let Node::Text(t) = node {
            if text.is_empty() {
                text = t.clone();
            } else {
                text.to_mut().push_str(t);
            }
        }
    }
    text
}

/// Reads a body that should be a fault (an HTTP 500), returning the fault if it is one.
pub fn decode_fault(body: &[u8]) -> Option<Fault> {
    match decode_response(body, Operation::PortStatus) {
        Err(SoapError::Fault(fault)) => Some(fault),
        _ => None,
    }
}

/// Moves `pull` into the SOAP 1.1 `Body`, skipping any `Header`.
fn enter_body(pull: &mut Pull<'_>) -> Result<(), SoapError> {
    match pull.next_item()? {
        Some(Item::Start { ns, local, .. }) if local == "Envelope" => {
            if ns.as_deref() != Some(SOAP_ENV_NS) {
                return Err(SoapError::NotSoap(format!(
                    "the Envelope is not in the SOAP 1.1 namespace ({})",
                    ns.as_deref().unwrap_or("no namespace")
                )));
            }
        }
        Some(Item::Start { local, .. }) => {
            return Err(SoapError::NotSoap(format!(
                "the root element is `{local}`, not a SOAP Envelope"
            )))
        }
        _ => return Err(SoapError::Xml(XmlError::Empty)),
    }
    loop {
        match pull.next_in()? {
            Item::Start { ns, local, .. }
                if local == "Body" && ns.as_deref() == Some(SOAP_ENV_NS) =>
            {
                return Ok(())
            }
            Item::Start { ns, local, .. }
                if local == "Header" && ns.as_deref() == Some(SOAP_ENV_NS) =>
            {
                pull.skip_element()?
            }
            Item::Start { local, .. } => {
                return Err(SoapError::NotSoap(format!(
                    "unexpected `{local}` in the Envelope"
                )))
            }
            Item::Text(_) => {}
            Item::End => return Err(SoapError::NotSoap("the Envelope has no Body".into())),
        }
    }
}

fn is_nil(attrs: &[Attr]) -> bool {
    attrs.iter().any(|a| {
        a.local == "nil"
            && a.ns.as_deref() == Some(XSI_NS)
            && matches!(a.value.trim(), "true" | "1")
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::soap::Contract;

    fn shape(op: Operation, v: ApiVersion) -> OperationShape {
        OperationShape::default_for(op, v, &Names::default())
    }

    #[test]
    fn the_init_station_request_matches_the_wire_contract_example() {
        let req = Request::new(Operation::InitStation).with(Param::Extension, "1234");
        assert_eq!(
            encode_request(&req, &shape(Operation::InitStation, ApiVersion::V7_1)),
            "<s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\"><s:Body>\
             <InitStation xmlns=\"http://tempuri.org/\"><Extension>1234</Extension></InitStation>\
             </s:Body></s:Envelope>"
        );
    }

    #[test]
    fn every_request_round_trips_in_both_versions() {
        for v in ApiVersion::ALL {
            let contract = Contract::defaults(v, &Names::default());
            for shape in &contract.operations {
                let mut req = Request::new(shape.op);
                for (i, p) in shape.op.params(v).iter().enumerate() {
                    let value = if p.is_int() {
                        "42".to_string()
                    } else {
                        format!("v{i} <&> \"é\"")
                    };
                    req.set(*p, value);
                }
                let xml = encode_request(&req, shape);
                let back = decode_request(xml.as_bytes(), None, v, &Names::default()).unwrap();
                assert_eq!(back, req, "{} {v}", shape.op);
                let back = decode_request(
                    xml.as_bytes(),
                    Some(&format!("\"{}\"", shape.action)),
                    v,
                    &Names::default(),
                )
                .unwrap();
                assert_eq!(back, req, "{} {v}", shape.op);
            }
        }
    }

    #[test]
    fn parameters_are_read_in_any_order_namespace_and_version() {
        let xml = r#"<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/">
            <soap:Header><x:Anything xmlns:x="urn:x"/></soap:Header>
            <soap:Body><e:InitUser xmlns:e="urn:other">
              <e:userName>smith</e:userName><machineName xsi:nil="true" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"/>
              <Unknown>ignored</Unknown>
            </e:InitUser></soap:Body></soap:Envelope>"#;
        let req =
            decode_request(xml.as_bytes(), None, ApiVersion::V7_1, &Names::default()).unwrap();
        assert_eq!(req.op(), Operation::InitUser);
        assert_eq!(req.get(Param::User), "smith");
        assert_eq!(req.get(Param::Machine), "");
    }

    #[test]
    fn an_operation_of_7_1_is_an_unknown_action_under_7_0() {
        let req = Request::new(Operation::GetField);
        let xml = encode_request(&req, &shape(Operation::GetField, ApiVersion::V7_1));
        let names = Names::default();
        assert_eq!(
            decode_request(xml.as_bytes(), None, ApiVersion::V7_0, &names),
            Err(SoapError::UnknownAction("GetField".into()))
        );
        assert_eq!(
            decode_request(
                xml.as_bytes(),
                Some("\"http://tempuri.org/IECAPI/GetField\""),
                ApiVersion::V7_0,
                &names
            ),
            Err(SoapError::UnknownAction(
                "http://tempuri.org/IECAPI/GetField".into()
            ))
        );
    }

    #[test]
    fn a_max_time_that_is_not_an_int_cannot_be_deserialized() {
        let xml = "<s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\"><s:Body>\
                   <StartRecording xmlns=\"http://tempuri.org/\"><Unit>1</Unit><Port>1</Port>\
                   <maxRecordingTimeInSeconds>abc</maxRecordingTimeInSeconds></StartRecording>\
                   </s:Body></s:Envelope>";
        assert_eq!(
            decode_request(xml.as_bytes(), None, ApiVersion::V7_1, &Names::default()),
            Err(SoapError::BadParameter {
                ns: "http://tempuri.org/".into(),
                name: "maxRecordingTimeInSeconds".into(),
                value: "abc".into()
            })
        );
    }

    #[test]
    fn a_response_round_trips_with_fields_only_when_the_code_is_100() {
        let mut ok = Response::ok(Operation::PortStatusEx);
        ok.set_field(ResultField::PortStatus, "RECORD");
        ok.set_field(ResultField::StateDuration, "20");
        let xml = encode_response(&ok, &Names::default());
        assert_eq!(
            decode_response(xml.as_bytes(), Operation::PortStatusEx),
            Ok(ok)
        );

        let refused = Response::new(
            Operation::InitStation,
            ResponseCode::from_code(606).unwrap(),
        );
        let xml = encode_response(&refused, &Names::default());
        assert!(!xml.contains("a:Port"), "{xml}");
        assert_eq!(refused.port(), None);
        assert_eq!(
            decode_response(xml.as_bytes(), Operation::InitStation),
            Ok(refused)
        );
    }

    #[test]
    fn a_nil_field_is_not_returned() {
        let xml = r#"<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body>
            <GetURLResponse xmlns="http://tempuri.org/"><GetURLResult xmlns:a="urn:any" xmlns:i="http://www.w3.org/2001/XMLSchema-instance">
            <a:responseCode>100</a:responseCode><a:responseMessage>ok</a:responseMessage><a:URL i:nil="true"/>
            </GetURLResult></GetURLResponse></s:Body></s:Envelope>"#;
        let r = decode_response(xml.as_bytes(), Operation::GetUrl).unwrap();
        assert_eq!((r.code, r.url()), (100, None));
    }

    #[test]
    fn a_wcf_fault_is_decoded_with_its_code_namespace_and_string() {
        let xml = r#"<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><s:Fault><faultcode xmlns:a="http://schemas.microsoft.com/net/2005/12/windowscommunicationfoundation/dispatcher">a:DeserializationFailed</faultcode><faultstring xml:lang="en-US">The formatter threw an exception</faultstring></s:Fault></s:Body></s:Envelope>"#;
        let fault = decode_fault(xml.as_bytes()).unwrap();
        assert_eq!(fault.code(), "a:DeserializationFailed");
        assert_eq!(fault.local, "DeserializationFailed");
        assert_eq!(fault.ns.as_deref(), Some(crate::soap::names::DISPATCHER_NS));
        assert_eq!(fault.string, "The formatter threw an exception");
    }

    #[test]
    fn the_frames_write_every_operations_response_as_encode_response_does() {
        let odd = Names {
            service_ns: "urn:a&b<c>\"d\"\te".into(),
            contract: "IRecorder".into(),
            result_ns: "http://example.com/ünï\r\n".into(),
            path: "/x".into(),
        };
        for names in [Names::default(), odd] {
            let frames = ResponseFrames::new(&names);
            for op in Operation::ALL {
                let mut full = Response::ok(op);
                for (i, field) in op.result_fields().iter().enumerate() {
                    full.set_field(*field, &format!("v{i} <&> \r é"));
                }
                let mut refused = Response::new(op, ResponseCode::from_code(606).unwrap());
                refused.message = "a <message> & \"more\"".into();
                for response in [Response::ok(op), full, refused] {
                    let expected = encode_response(&response, &names);
                    assert_eq!(frames.encode(&response), expected, "{op:?}");
                    assert!(expected.contains(&format!("<{}Response xmlns=", op.name())));
                }
            }
        }
    }

    #[test]
    fn every_fault_we_write_reads_back_the_same() {
        for fault in [
            Fault::action_not_supported("urn:x"),
            Fault::deserialization_failed(
                "http://tempuri.org/",
                "maxRecordingTimeInSeconds",
                "a<b",
            ),
            Fault::internal_service_fault(),
            Fault::client("not XML"),
        ] {
            assert_eq!(decode_fault(fault.encode().as_bytes()), Some(fault));
        }
    }

    mod properties {
        use super::*;
        use proptest::prelude::*;
        use proptest::sample::select;
        use proptest::strategy::ValueTree;

        const FIELDS: &[&str] = &[
            "<a:responseCode>100</a:responseCode>",
            "<a:responseCode> 606 </a:responseCode>",
            "<a:responseCode>1&#48;0</a:responseCode>",
            "<a:responseCode>x</a:responseCode>",
            "<a:responseCode i:nil=\"true\"/>",
            "<a:responseMessage>ok</a:responseMessage>",
            "<a:responseMessage>a&amp;b<![CDATA[c]]></a:responseMessage>",
            "<a:responseMessage i:nil=\"true\"/>",
            "<a:responseMessage/>",
            "<a:PortStatus>IDLE</a:PortStatus>",
            "<a:PortStatus i:nil='1'/>",
            "<a:PortStatus><b>x</b>y</a:PortStatus>",
            "<a:StateDuration> 20 </a:StateDuration>",
            "<a:FieldValue>v&lt;</a:FieldValue>",
            "<a:Other><a:responseCode>101</a:responseCode></a:Other>",
            " ",
            "<!-- c -->",
        ];
        const FIRSTS: &[&str] = &[
            "",
            "",
            "",
            "<s:Fault><faultcode>s:Client</faultcode><faultstring>no</faultstring></s:Fault>",
            "<Fault/>",
            "text",
        ];
        const ROOTS: &[(&str, &str)] = &[
            (
                "<s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\">",
                "</s:Envelope>",
            ),
            (
                "<s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\">",
                "</s:Envelope>",
            ),
            ("<s:Envelope xmlns:s=\"urn:other\">", "</s:Envelope>"),
            ("<Envelope>", "</Envelope>"),
        ];

        fn answer() -> impl Strategy<Value = (Operation, String)> {
            (
                select(&[Operation::PortStatus, Operation::PortStatusEx, Operation::GetField][..]),
                prop_oneof![6 => Just(ROOTS[0]), 1 => select(ROOTS)],
                any::<bool>(),
                prop_oneof![6 => Just(""), 1 => select(FIRSTS)],
                (
                    prop_oneof![
                        6 => Just("<a:responseCode>100</a:responseCode><a:responseMessage>\
                                   Command executed as expected</a:responseMessage>"),
                        1 => Just("<a:responseCode>606</a:responseCode><a:responseMessage>\
                                   Error: Recording unit does not exist</a:responseMessage>"),
                        1 => Just(""),
                    ],
                    prop::collection::vec(select(FIELDS), 0..6),
                )
                    .prop_map(|(code, fields)| format!("{code}{}", fields.concat())),
                prop::option::weighted(0.2, (any::<prop::sample::Index>(), select(&["<", ">", "&", "/", " ", ""][..]))),
            )
                .prop_map(|(op, (open, close), header, first, fields, mutation)| {
                    let header = if header {
                        "<s:Header><h:x xmlns:h='urn:h'>1</h:x></s:Header>"
                    } else {
                        ""
                    };
                    let mut xml = format!(
                        "{open}{header}<s:Body>{first}<{op}Response xmlns=\"http://tempuri.org/\">\
                         <{op}Result xmlns:a=\"urn:r\" xmlns:i=\"http://www.w3.org/2001/XMLSchema-instance\">\
                         {fields}</{op}Result></{op}Response></s:Body>{close}"
                    );
                    if let Some((at, insert)) = mutation {
                        let cut = at.index(xml.len());
                        if insert.is_empty() {
                            xml.remove(cut);
                        } else {
                            xml.insert_str(cut, insert);
                        }
                    }
                    (op, xml)
                })
        }

        /// The property below is not vacuous: the answers read from nodes are a good share.
        #[test]
        fn the_generated_answers_exercise_both_ways() {
            let mut runner = proptest::test_runner::TestRunner::deterministic();
            let strategy = answer();
            let (mut quick, mut total) = (0, 0);
            for _ in 0..400 {
                let (op, xml) = strategy.new_tree(&mut runner).unwrap().current();
                total += 1;
                quick += usize::from(
                    Document::quick(&xml, MAX_DEPTH)
                        .and_then(|doc| response_of(&doc, op))
                        .is_some(),
                );
            }
            assert!(
                quick * 5 > total && quick * 5 < total * 4,
                "{quick} of {total}"
            );
        }

        proptest! {
            #![proptest_config(ProptestConfig {
                cases: 512,
                failure_persistence: None,
                ..ProptestConfig::default()
            })]

            /// An answer read from its nodes reads as the pull parser's stream reads it.
            #[test]
            fn the_answer_reader_agrees_with_the_streamed_reading((op, xml) in answer()) {
                prop_assert_eq!(
                    decode_response(xml.as_bytes(), op),
                    decode_response_streamed(xml.as_bytes(), op),
                    "{}", xml
                );
            }
        }
    }
}
