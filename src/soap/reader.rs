//! The request reader: bytes, a content type and a SOAPAction in; the [`Request`] a WCF service
//! with default settings would hand its operation, or the answer it would refuse with, out — each
//! with the [`WireNote`]s that say what a kinder reader would have done differently.
//!
//! It follows `wire.md`'s "How the server reads a request" in order; the first step that refuses
//! answers:
//!
//! 1. size (`maxReceivedMessageSize`, 413);
//! 2. content type and charset ([`super::charset`], 415 with WCF's reason phrase);
//! 3. well-formed XML 1.0, no DTD, no forbidden character, nesting within `maxDepth` (400, empty);
//! 4. the envelope (SOAP 1.2: `s:VersionMismatch`; another root: 400);
//! 5. headers (`mustUnderstand`: `s:MustUnderstand`; others ignored);
//! 6. the action (exact, quotes removed; missing: `a:ActionNotSupported` with `''`);
//! 7. the body element by local name and namespace (`a:DeserializationFailed`);
//! 8. the parameters, by WCF's forward-only scan (CoreWCF
//!    `Dispatcher/DataContractSerializerOperationFormatter.cs`, `DeserializeParameters`): for each
//!    element, the parameters not yet read are tried in order from the last one read; a parameter
//!    tried and not matched stays null; an element no parameter matched is skipped.
//!
//! With [`ReadOptions::lenient`] the reader is kind instead (the action from the body element,
//! parameters by local name in any order, namespace or version) and notes each kindness.
//!
//! This module does no I/O: a server, a proxy or a test calls [`read_request`] with what came.

use super::charset::{self, Charset, ContentTypeRefusal, Encoding};
use super::document::{Document, Node};
use super::names::SOAP_ENV_NS;
use super::note::{Kindness, SkipWhy, WireNote};
use super::xml::{first_forbidden, Attr, NsId, XmlError, XSI_NS};
use super::{Fault, Names};
use crate::api::{ApiVersion, Operation, Param, Request};
use std::borrow::Cow;

/// The SOAP 1.2 envelope namespace, refused with `s:VersionMismatch`.
pub const SOAP12_ENV_NS: &str = "http://www.w3.org/2003/05/soap-envelope";

/// WCF's default `maxReceivedMessageSize`, in bytes (`wire.md`, Defaults).
pub const DEFAULT_MAX_MESSAGE_SIZE: usize = 65_536;
/// WCF's default reader quota `maxStringContentLength`, in characters (UTF-16 code units).
pub const DEFAULT_MAX_STRING_CONTENT_LENGTH: usize = 8_192;
/// WCF's default reader quota `maxDepth`, in element levels (the root is level 1).
pub const DEFAULT_MAX_DEPTH: usize = 32;

/// How to read: the service's contract and WCF's limits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadOptions {
    /// The API version served: its operations and parameter names.
    pub version: ApiVersion,
    /// The service's names (namespace, contract: the actions).
    pub names: Names,
    /// The largest body, in bytes (413 above).
    pub max_message_size: usize,
    /// The longest string value, in UTF-16 code units (a fault above).
    pub max_string_content_length: usize,
    /// The deepest nesting, in element levels (400 below).
    pub max_depth: usize,
    /// Read kindly (`serve --lenient`), noting each kindness.
    pub lenient: bool,
    /// Operations whose parameters the service reads in another order than the guides give (as
    /// its WSDL says, [`super::Contract`]: `ecapi proxy` reads as its upstream does); the others
    /// are read in the guides' order.
    pub orders: Vec<(Operation, Vec<Param>)>,
}

impl ReadOptions {
    /// WCF's defaults for a version and names, strict.
    pub fn new(version: ApiVersion, names: Names) -> ReadOptions {
        ReadOptions {
            version,
            names,
            max_message_size: DEFAULT_MAX_MESSAGE_SIZE,
            max_string_content_length: DEFAULT_MAX_STRING_CONTENT_LENGTH,
            max_depth: DEFAULT_MAX_DEPTH,
            lenient: false,
            orders: Vec::new(),
        }
    }

    /// The parameters of `op` in the order this service reads them.
    pub fn parts(&self, op: Operation) -> &[Param] {
        self.orders
            .iter()
            .find(|(o, _)| *o == op)
            .map_or(op.params(self.version), |(_, parts)| parts.as_slice())
    }
}

/// What came over HTTP.
#[derive(Debug, Clone, Copy)]
pub struct Incoming<'a> {
    /// The body, as sent.
    pub body: &'a [u8],
    /// The `Content-Type` header (`None`: absent).
    pub content_type: Option<&'a str>,
    /// The `SOAPAction` header (`None`: absent), quotes and all.
    pub soap_action: Option<&'a str>,
}

/// How a WCF service refuses a request it will not hand to its operation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// HTTP 413, step 1.
    TooLarge,
    /// HTTP 415 with this reason phrase and an empty body, step 2.
    UnsupportedMediaType {
        /// WCF's text for the status line.
        reason_phrase: String,
    },
    /// HTTP 400 with an empty body, steps 3 and 4.
    BadRequest,
    /// HTTP 500 with this SOAP fault, steps 4 to 8.
    Fault(Fault),
}

impl Refusal {
    /// The HTTP status code.
    pub fn status(&self) -> u16 {
        match self {
            Refusal::TooLarge => 413,
            Refusal::UnsupportedMediaType { .. } => 415,
            Refusal::BadRequest => 400,
            Refusal::Fault(_) => 500,
        }
    }
}

/// A request read, with its notes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Read {
    /// The request the operation receives.
    pub request: Request,
    /// What a kinder reader would have done differently, in the order found.
    pub notes: Vec<WireNote>,
    /// The encoding the body was read in.
    pub encoding: Encoding,
}

/// A request refused, with its notes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused {
    /// The answer.
    pub refusal: Refusal,
    /// Why, in the user's words (the last note is the refusal's own).
    pub notes: Vec<WireNote>,
}

/// The name of a node's namespace.
fn ns_name<'a>(namespaces: &'a [Cow<'_, str>], ns: Option<NsId>) -> Option<&'a str> {
    ns.map(|id| namespaces[id.index()].as_ref())
}

/// Reads a request as a WCF service does (see the module documentation). Never panics; every
/// input gets a [`Read`] or one of `wire.md`'s answers.
pub fn read_request(incoming: &Incoming<'_>, options: &ReadOptions) -> Result<Read, Refused> {
    let mut notes = Vec::new();
    let refuse = |refusal: Refusal, mut notes: Vec<WireNote>, note: WireNote| {
        notes.push(note);
        Err(Refused { refusal, notes })
    };

    // 1. Size.
    if incoming.body.len() > options.max_message_size {
        return refuse(
            Refusal::TooLarge,
            notes,
            WireNote::TooLarge {
                limit: options.max_message_size,
            },
        );
    }

    // 2. Content type.
    let charset = match charset::content_type(incoming.content_type, options.lenient) {
        Ok(c) => c,
        Err(ContentTypeRefusal::MediaType | ContentTypeRefusal::Charset(_)) => {
            let got = incoming.content_type.unwrap_or("").to_string();
            return refuse(
                Refusal::UnsupportedMediaType {
                    reason_phrase: format!(
                        "Cannot process the message because the content type '{got}' was not the \
                         expected type '{}'.",
                        charset::EXPECTED_CONTENT_TYPE
                    ),
                },
                notes,
                WireNote::ContentType { got },
            );
        }
    };
    if let Charset::Fixed(Encoding::Latin1) = charset {
        notes.push(WireNote::Lenient(Kindness::Charset(
            Encoding::Latin1.name(),
        )));
    }

    // 3. Well-formed XML.
    let unreadable =
        |notes, why: String| refuse(Refusal::BadRequest, notes, WireNote::NotReadable { why });
    let (text, encoding) = match charset::decode(incoming.body, &charset) {
        Ok(t) => t,
        Err(e) => return unreadable(notes, e.0),
    };
    if let Some(c) = first_forbidden(&text) {
        return unreadable(notes, XmlError::ForbiddenChar(c as u32).to_string());
    }
    let doc = match Document::read(&text, options.max_depth) {
        Ok(doc) => doc,
        Err(e) => return unreadable(notes, e.to_string()),
    };
    let (nodes, namespaces) = (&doc.nodes, &doc.namespaces);

    // 4. Envelope.
    let Some(Node::Start {
        ns, local, qname, ..
    }) = nodes.first()
    else {
        return unreadable(notes, XmlError::Empty.to_string());
    };
    let ns_of = |ns: &Option<NsId>| ns_name(namespaces, *ns);
    match ns_of(ns) {
        Some(SOAP_ENV_NS) if local == "Envelope" => {}
        Some(SOAP12_ENV_NS) if local == "Envelope" => {
            return refuse(
                Refusal::Fault(Fault::version_mismatch()),
                notes,
                WireNote::Soap12,
            )
        }
        _ => {
            return refuse(
                Refusal::BadRequest,
                notes,
                WireNote::NotAnEnvelope {
                    root: qname.to_string(),
                },
            )
        }
    }

    // 5. Headers, then the Body.
    let mut at = 1;
    let mut body_at = None;
    while at < nodes.len() {
        match &nodes[at] {
            Node::Start { ns, local, .. }
                if ns_of(ns) == Some(SOAP_ENV_NS) && local == "Header" && body_at.is_none() =>
            {
                let end = doc.skip(at);
                let mut entry = at + 1;
                while entry < end {
                    if let Node::Start {
                        ns, local, attrs, ..
                    } = &nodes[entry]
                    {
                        let ns = ns_of(ns).unwrap_or_default().to_string();
                        if must_understand(attrs) {
                            if !options.lenient {
                                return refuse(
                                    Refusal::Fault(Fault::must_understand(local, &ns)),
                                    notes,
                                    WireNote::MustUnderstand {
                                        name: local.to_string(),
                                        ns,
                                    },
                                );
                            }
                            notes.push(WireNote::Lenient(Kindness::MustUnderstandIgnored {
                                name: local.to_string(),
                                ns,
                            }));
                        } else {
                            notes.push(WireNote::HeaderIgnored {
                                name: local.to_string(),
                            });
                        }
                        entry = doc.skip(entry);
                    } else {
                        entry += 1;
                    }
                }
                at = end;
            }
            Node::Start { ns, local, .. } if ns_of(ns) == Some(SOAP_ENV_NS) && local == "Body" => {
                body_at = Some(at);
                break;
            }
            Node::Start { qname, .. } => {
                return unreadable(
                    notes,
                    format!("'{qname}' where the Envelope must hold a Header or the Body"),
                )
            }
            Node::Text(t) if !t.trim().is_empty() => {
                return unreadable(notes, "text directly in the Envelope".to_string())
            }
            Node::Text(_) => at += 1,
            Node::End => break,
        }
    }
    let Some(body_at) = body_at else {
        return unreadable(notes, "the Envelope has no Body".to_string());
    };

    // The body element, needed by step 6's note and by step 7.
    let body_end = doc.skip(body_at);
    let wrapper_at = (body_at + 1..body_end).find(|i| matches!(nodes[*i], Node::Start { .. }));
    let wrapper = wrapper_at.map(|i| match &nodes[i] {
        Node::Start {
            ns, local, qname, ..
        } => (
            ns_of(ns).unwrap_or_default(),
            local.as_ref(),
            qname.as_ref(),
        ),
        _ => unreachable!("found as a start"),
    });
    let version = options.version;
    let names = &options.names;
    let body_op = wrapper
        .as_ref()
        .and_then(|(_, local, _)| Operation::from_name(local).filter(|op| op.exists_in(version)));

    // 6. Action.
    let action = incoming.soap_action.map(|a| {
        a.strip_prefix('"')
            .and_then(|a| a.strip_suffix('"'))
            .unwrap_or(a)
    });
    let op = match action.filter(|a| !a.is_empty()) {
        None => match body_op.filter(|_| options.lenient) {
            Some(op) => {
                notes.push(WireNote::Lenient(Kindness::ActionFromBody {
                    action: names.action(op),
                }));
                op
            }
            None => {
                return refuse(
                    Refusal::Fault(Fault::action_not_supported("")),
                    notes,
                    WireNote::MissingSoapAction {
                        suggested: body_op.map(|op| names.action(op)),
                    },
                )
            }
        },
        Some(action) => match names
            .action_name(action)
            .and_then(Operation::from_name)
            .filter(|op| op.exists_in(version))
        {
            Some(op) => op,
            None if action == "*" => {
                return refuse(
                    Refusal::Fault(Fault::action_not_supported(action)),
                    notes,
                    WireNote::WildcardAction {
                        suggested: body_op.map(|op| names.action(op)),
                    },
                )
            }
            None => {
                return refuse(
                    Refusal::Fault(Fault::action_not_supported(action)),
                    notes,
                    WireNote::UnknownAction {
                        action: action.to_string(),
                        hint: action_hint(action, options),
                    },
                )
            }
        },
    };

    // 7. Body element.
    let service_ns = names.service_ns.as_str();
    let Some((wrapper_ns, wrapper_local, wrapper_qname)) = wrapper else {
        return refuse(
            Refusal::Fault(Fault::empty_body(op.name())),
            notes,
            WireNote::WrongBody {
                expected: op.name(),
                found: String::new(),
                found_ns: String::new(),
                ns: service_ns.to_string(),
            },
        );
    };
    let wrapper_at = wrapper_at.expect("a wrapper was found");
    if wrapper_local != op.name() || wrapper_ns != service_ns {
        if options.lenient && wrapper_local == op.name() {
            notes.push(WireNote::Lenient(Kindness::BodyNamespace {
                name: wrapper_local.to_string(),
                found: wrapper_ns.to_string(),
                expected: service_ns.to_string(),
            }));
        } else {
            return refuse(
                Refusal::Fault(Fault::invalid_body(
                    service_ns,
                    op.name(),
                    wrapper_qname,
                    wrapper_ns,
                )),
                notes,
                WireNote::WrongBody {
                    expected: op.name(),
                    found: wrapper_qname.to_string(),
                    found_ns: wrapper_ns.to_string(),
                    ns: service_ns.to_string(),
                },
            );
        }
    }

    // 8. Parameters.
    let wrapper_end = doc.skip(wrapper_at);
    let mut children = Vec::new();
    let mut i = wrapper_at + 1;
    while i < wrapper_end {
        if matches!(nodes[i], Node::Start { .. }) {
            children.push(i);
            i = doc.skip(i);
        } else {
            i += 1;
        }
    }
    let parts = options.parts(op);
    // On the stack for every operation of the guides (at most nine parameters).
    let mut on_stack = [None; 12];
    let mut on_heap;
    let assigned: &mut [Option<usize>] = if parts.len() <= on_stack.len() {
        &mut on_stack[..parts.len()]
    } else {
        on_heap = vec![None; parts.len()];
        &mut on_heap
    };
    let mut skipped = Vec::new();
    let mut next = 0;
    let mut c = 0;
    while c < children.len() {
        for (p, param) in parts.iter().enumerate().skip(next) {
            if c < children.len()
                && is_part(&nodes[children[c]], namespaces, *param, version, service_ns)
            {
                assigned[p] = Some(c);
                next = p + 1;
                c += 1;
            }
        }
        if c < children.len() {
            skipped.push(c);
            c += 1;
        }
    }

    let mut request = Request::new(op);
    let ctx = Ctx {
        text: &text,
        nodes,
        doc: &doc,
        namespaces,
        options,
        service_ns,
    };
    for (p, param) in parts.iter().enumerate() {
        if let Some(c) = assigned[p] {
            if let Err(refused) = ctx.read_value(&mut request, *param, children[c]) {
                return refuse(refused.0, notes, refused.1);
            }
        }
    }
    // Elements skipped that look like a parameter: noted (strict) or read (lenient).
    for c in skipped {
        let node = &nodes[children[c]];
        let Some((p, why)) = looks_like(node, namespaces, parts, assigned, c, version, service_ns)
        else {
            continue;
        };
        let name = match node {
            Node::Start { local, .. } => local.to_string(),
            _ => continue,
        };
        let param = parts[p].wire_name(version);
        if options.lenient && why != SkipWhy::Duplicate && assigned[p].is_none() {
            assigned[p] = Some(c);
            notes.push(WireNote::Lenient(Kindness::ReadSkipped {
                name,
                param,
                why,
            }));
            if let Err(refused) = ctx.read_value(&mut request, parts[p], children[c]) {
                return refuse(refused.0, notes, refused.1);
            }
        } else if assigned[p].is_none() {
            notes.push(WireNote::Skipped { name, param, why });
        }
    }
    Ok(Read {
        request,
        notes,
        encoding,
    })
}

/// What reading one value needs.
struct Ctx<'a> {
    text: &'a str,
    nodes: &'a [Node<'a>],
    doc: &'a Document<'a>,
    namespaces: &'a [Cow<'a, str>],
    options: &'a ReadOptions,
    service_ns: &'a str,
}

impl Ctx<'_> {
    /// Reads the element at `at` as `param` into `request`, as WCF's DataContractSerializer reads a
    /// string or an int.
    fn read_value(
        &self,
        request: &mut Request,
        param: Param,
        at: usize,
    ) -> Result<(), Box<(Refusal, WireNote)>> {
        let name = param.wire_name(self.options.version);
        let Node::Start {
            attrs, at: offset, ..
        } = &self.nodes[at]
        else {
            return Ok(());
        };
        if attrs
            .iter()
            .any(|a| a.local == "nil" && a.ns.as_deref() == Some(XSI_NS) && is_true(&a.value))
        {
            // A .NET client sends every null parameter so, and WCF reads it as null without a
            // word: nothing to note (the answer's reason names a parameter that mattered).
            request.set(param, "");
            return Ok(());
        }
        let end = self.doc.skip(at);
        // Most values are one piece of text, read without a copy.
        let mut value: Cow<'_, str> = Cow::Borrowed("");
        for node in &self.nodes[at + 1..end.saturating_sub(1)] {
            match node {
                Node::Text(t) if value.is_empty() => value = Cow::Borrowed(t.as_ref()),
                Node::Text(t) => value.to_mut().push_str(t),
                Node::Start {
                    ns,
                    qname,
                    at: child_at,
                    ..
                } => {
                    let (line, position) = line_and_position(self.text, *child_at);
                    return Err(Box::new((
                        Refusal::Fault(Fault::string_with_child(
                            self.service_ns,
                            name,
                            qname,
                            ns_name(self.namespaces, *ns).unwrap_or(""),
                            line,
                            position,
                        )),
                        WireNote::ChildElements { param: name },
                    )));
                }
                Node::End => {}
            }
        }
        if param.is_int() {
            let trimmed = value.trim_matches(|c| matches!(c, ' ' | '\t' | '\r' | '\n'));
            if trimmed.parse::<i32>().is_err() {
                return Err(Box::new((
                    Refusal::Fault(Fault::deserialization_failed(self.service_ns, name, &value)),
                    WireNote::NotAnInt {
                        param: name,
                        value: value.into_owned(),
                    },
                )));
            }
            request.set(param, trimmed);
            return Ok(());
        }
        let quota = self.options.max_string_content_length;
        // WCF counts UTF-16 code units; a character outside the BMP counts twice.
        let length = if value.len() <= quota {
            value.chars().count()
        } else {
            value.encode_utf16().count()
        };
        // The quota holds under --lenient too: the simulator behind the reader keeps it as well.
        if length > quota {
            let (line, position) = line_and_position(self.text, *offset);
            return Err(Box::new((
                Refusal::Fault(Fault::string_quota(
                    self.service_ns,
                    name,
                    quota,
                    line,
                    position,
                )),
                WireNote::QuotaExceeded {
                    param: name,
                    length,
                    quota,
                },
            )));
        }
        request.set(param, value.as_ref());
        Ok(())
    }
}

/// Whether an element is exactly the parameter (WCF's `IsStartElement(name, ns)`).
fn is_part(
    node: &Node<'_>,
    namespaces: &[Cow<'_, str>],
    param: Param,
    version: ApiVersion,
    service_ns: &str,
) -> bool {
    matches!(node, Node::Start { ns, local, .. }
        if local == param.wire_name(version) && ns_name(namespaces, *ns) == Some(service_ns))
}

/// The parameter a skipped element looks like, and why WCF did not read it as that.
fn looks_like(
    node: &Node<'_>,
    namespaces: &[Cow<'_, str>],
    parts: &[Param],
    assigned: &[Option<usize>],
    child: usize,
    version: ApiVersion,
    service_ns: &str,
) -> Option<(usize, SkipWhy)> {
    let Node::Start { ns, local, .. } = node else {
        return None;
    };
    let ns = ns_name(namespaces, *ns);
    let other = ApiVersion::ALL.into_iter().find(|v| *v != version)?;
    let ns_why = || match ns {
        None => Some(SkipWhy::NoNamespace),
        Some(n) if n != service_ns => Some(SkipWhy::WrongNamespace(n.to_string())),
        Some(_) => None,
    };
    for (p, param) in parts.iter().enumerate() {
        let wire = param.wire_name(version);
        if local == wire {
            if let Some(why) = ns_why() {
                return Some((p, why));
            }
            return match assigned[p] {
                Some(read) if read < child => Some((p, SkipWhy::Duplicate)),
                _ => {
                    // The parameter read last before this element: the one it arrived after.
                    let later = assigned
                        .iter()
                        .enumerate()
                        .filter(|(_, a)| a.is_some_and(|a| a < child))
                        .map(|(q, _)| q)
                        .max()
                        .map(|q| parts[q].wire_name(version))
                        .unwrap_or(wire);
                    Some((p, SkipWhy::OutOfOrder(later)))
                }
            };
        }
    }
    for (p, param) in parts.iter().enumerate() {
        if local.eq_ignore_ascii_case(param.wire_name(version)) {
            return Some((p, SkipWhy::WrongCase));
        }
    }
    for (p, param) in parts.iter().enumerate() {
        let old = param.wire_name(other);
        if old != param.wire_name(version) && local.eq_ignore_ascii_case(old) {
            return Some((p, SkipWhy::OtherVersion(other.as_str())));
        }
    }
    None
}

/// A hint for an action that names no operation.
fn action_hint(action: &str, options: &ReadOptions) -> Option<String> {
    let names = &options.names;
    for op in Operation::ALL {
        let right = names.action(op);
        if right == action && !op.exists_in(options.version) {
            return Some(format!(
                "{} exists only from API {}, and this service is API {}",
                op.name(),
                op.since(),
                options.version
            ));
        }
        if right.eq_ignore_ascii_case(action) && op.exists_in(options.version) {
            return Some(format!("send \"{right}\" (actions are case-sensitive)"));
        }
    }
    let last = action.rsplit('/').next().unwrap_or(action);
    Operation::ALL
        .into_iter()
        .find(|op| op.exists_in(options.version) && op.name() == last)
        .map(|op| {
            format!(
                "this service's action for {last} is \"{}\"",
                names.action(op)
            )
        })
}

fn must_understand(attrs: &[Attr]) -> bool {
    attrs.iter().any(|a| {
        a.local == "mustUnderstand" && a.ns.as_deref() == Some(SOAP_ENV_NS) && is_true(&a.value)
    })
}

fn is_true(value: &str) -> bool {
    matches!(value.trim(), "1" | "true")
}

/// 1-based line and position (in characters) of a byte offset, as XML readers report them.
fn line_and_position(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let mut cut = offset;
    while !text.is_char_boundary(cut) {
        cut -= 1;
    }
    let before = &text[..cut];
    let line = before.matches('\n').count() + 1;
    let start = before.rfind('\n').map_or(0, |i| i + 1);
    (line, before[start..].chars().count() + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    const ENV: &str = "<s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\"><s:Body>";
    const END: &str = "</s:Body></s:Envelope>";

    fn read(body: &str, action: Option<&str>, lenient: bool) -> Result<Read, Refused> {
        let mut options = ReadOptions::new(ApiVersion::V7_1, Names::default());
        options.lenient = lenient;
        read_request(
            &Incoming {
                body: body.as_bytes(),
                content_type: Some("text/xml; charset=utf-8"),
                soap_action: action,
            },
            &options,
        )
    }

    const PORT_STATUS: Option<&str> = Some("\"http://tempuri.org/IECAPI/PortStatus\"");

    #[test]
    fn parameters_in_order_are_read_without_notes() {
        let xml = format!(
            "{ENV}<PortStatus xmlns=\"http://tempuri.org/\"><Unit>1</Unit><Port>2</Port>\
             </PortStatus>{END}"
        );
        let read = read(&xml, PORT_STATUS, false).unwrap();
        assert_eq!(read.request.get(Param::Unit), "1");
        assert_eq!(read.request.get(Param::Port), "2");
        assert!(read.notes.is_empty(), "{:?}", read.notes);
    }

    #[test]
    fn a_parameter_after_a_later_one_is_skipped_and_noted() {
        let xml = format!(
            "{ENV}<PortStatus xmlns=\"http://tempuri.org/\"><Port>2</Port><Unit>1</Unit>\
             </PortStatus>{END}"
        );
        let got = read(&xml, PORT_STATUS, false).unwrap();
        assert_eq!(got.request.get(Param::Unit), "");
        assert_eq!(got.request.get(Param::Port), "2");
        assert_eq!(
            got.notes,
            vec![WireNote::Skipped {
                name: "Unit".into(),
                param: "Unit",
                why: SkipWhy::OutOfOrder("Port")
            }]
        );
        let kind = read(&xml, PORT_STATUS, true).unwrap();
        assert_eq!(kind.request.get(Param::Unit), "1");
        assert!(matches!(kind.notes[0], WireNote::Lenient(_)));
    }

    #[test]
    fn a_value_in_pieces_around_references_reads_whole() {
        let xml = format!(
            "{ENV}<PortStatus xmlns=\"http://tempuri.org/\"><Unit>&#49;<![CDATA[2]]>3</Unit>\
             <Port>&#50;&#x30;</Port></PortStatus>{END}"
        );
        let got = read(&xml, PORT_STATUS, false).unwrap();
        assert_eq!(
            (got.request.get(Param::Unit), got.request.get(Param::Port)),
            ("123", "20")
        );
    }

    #[test]
    fn an_unknown_element_does_not_stop_the_scan() {
        let xml = format!(
            "{ENV}<PortStatus xmlns=\"http://tempuri.org/\"><X>0</X><Unit>1</Unit><Port>2</Port>\
             </PortStatus>{END}"
        );
        let got = read(&xml, PORT_STATUS, false).unwrap();
        assert_eq!(
            (got.request.get(Param::Unit), got.request.get(Param::Port)),
            ("1", "2")
        );
    }

    #[test]
    fn the_string_quota_counts_characters() {
        let at = |n: usize| {
            format!(
                "{ENV}<PortStatus xmlns=\"http://tempuri.org/\"><Unit>{}</Unit><Port>2</Port>\
                 </PortStatus>{END}",
                "é".repeat(n)
            )
        };
        assert!(read(&at(8192), PORT_STATUS, false).is_ok());
        let refused = read(&at(8193), PORT_STATUS, false).unwrap_err();
        let Refusal::Fault(fault) = refused.refusal else {
            panic!("{refused:?}")
        };
        assert!(fault.string.contains("quota (8192)"), "{}", fault.string);
        // The position is just after the start tag, where the value begins.
        assert!(
            fault
                .string
                .ends_with("Line 1, position 119.'.  Please see InnerException for more details."),
            "{}",
            fault.string
        );
    }
}
