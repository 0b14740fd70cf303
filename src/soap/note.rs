//! Wire notes: what the request reader ([`super::reader`]) did that a kinder reader would not
//! have done, as data, and the one function that says it in a CRM developer's words.
//!
//! The reader returns notes beside the request (or the refusal); the server renders them into the
//! journal, its log line and the `x-ecapi-reason` header, and any other caller (a proxy) may render
//! them the same way. A note says what arrived, what a WCF service does with it, and what to change;
//! the answer's response code, known only after the simulator answers, is passed to
//! [`WireNote::render`] so a note can say "hence 606".

use std::fmt::Write as _;

/// Why an element that looks like a parameter was not read as that parameter (`wire.md`, step 8:
/// WCF's DataContractSerializer operation formatter matches by exact local name and namespace, in
/// the WSDL's order).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SkipWhy {
    /// The name differs from the WSDL's only in letter case.
    WrongCase,
    /// The element is in another namespace (the namespace found).
    WrongNamespace(String),
    /// The element is in no namespace.
    NoNamespace,
    /// The name is the other API version's name of the parameter (that version).
    OtherVersion(&'static str),
    /// The parameter arrived after a later one (the later one's name) had been read.
    OutOfOrder(&'static str),
    /// The parameter had already been read; a second one is skipped.
    Duplicate,
}

/// A kindness of `ecapi serve --lenient`: a reading a WCF service would not have made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kindness {
    /// An element WCF would have skipped was read as the parameter.
    ReadSkipped {
        /// The element's name as it arrived.
        name: String,
        /// The parameter's name in the WSDL.
        param: &'static str,
        /// Why WCF would have skipped it.
        why: SkipWhy,
    },
    /// No SOAPAction: the operation was taken from the body element.
    ActionFromBody {
        /// The action WCF needs.
        action: String,
    },
    /// A charset WCF refuses was read.
    Charset(&'static str),
    /// A `mustUnderstand` header WCF would have refused with a fault was ignored.
    MustUnderstandIgnored {
        /// The header's local name.
        name: String,
        /// Its namespace.
        ns: String,
    },
    /// A body element in another namespace (or none) was read.
    BodyNamespace {
        /// The element's name.
        name: String,
        /// The namespace found (empty: none).
        found: String,
        /// The service namespace.
        expected: String,
    },
}

/// One finding of the request reader.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WireNote {
    /// The body is larger than `maxReceivedMessageSize` (step 1, 413).
    TooLarge {
        /// The limit in bytes.
        limit: usize,
    },
    /// The content type is not `text/xml` with a charset WCF reads (step 2, 415).
    ContentType {
        /// The content type as it came (empty: none).
        got: String,
    },
    /// The body is not well-formed XML, has a DTD, a forbidden character, or nests too deep
    /// (step 3, 400).
    NotReadable {
        /// What is wrong.
        why: String,
    },
    /// A SOAP 1.2 envelope (step 4, `s:VersionMismatch`).
    Soap12,
    /// The root is not a SOAP envelope (step 4, 400).
    NotAnEnvelope {
        /// The root's name as written.
        root: String,
    },
    /// A header entry marked `mustUnderstand` (step 5, `s:MustUnderstand`).
    MustUnderstand {
        /// The header's local name.
        name: String,
        /// Its namespace.
        ns: String,
    },
    /// A header entry without `mustUnderstand`, ignored as WCF ignores it (step 5).
    HeaderIgnored {
        /// The header's local name.
        name: String,
    },
    /// No SOAPAction header, or an empty one (step 6, `a:ActionNotSupported`).
    MissingSoapAction {
        /// The action the body element suggests, if it names an operation.
        suggested: Option<String>,
    },
    /// `SOAPAction: "*"` (step 6, `a:ActionNotSupported`): what a WCF proxy generated from a WSDL
    /// without `wsaw:Action` sends.
    WildcardAction {
        /// The action the body element names, if it names an operation.
        suggested: Option<String>,
    },
    /// A SOAPAction that names no operation of this API version (step 6).
    UnknownAction {
        /// The action as it came, quotes removed.
        action: String,
        /// A known action it resembles (other case), or the version that has it.
        hint: Option<String>,
    },
    /// The body element is not the action's request element (step 7).
    WrongBody {
        /// The element expected.
        expected: &'static str,
        /// The element found (qualified name as written; empty: none).
        found: String,
        /// The namespace found.
        found_ns: String,
        /// The service namespace.
        ns: String,
    },
    /// An element that looks like a parameter was skipped and the parameter read as empty.
    Skipped {
        /// The element's name as it arrived.
        name: String,
        /// The parameter's name in the WSDL.
        param: &'static str,
        /// Why.
        why: SkipWhy,
    },
    /// A value that cannot be read as its type (step 8, `a:DeserializationFailed`).
    NotAnInt {
        /// The parameter.
        param: &'static str,
        /// The text.
        value: String,
    },
    /// A string value longer than `maxStringContentLength` (step 8).
    QuotaExceeded {
        /// The parameter.
        param: &'static str,
        /// Its length in UTF-16 code units.
        length: usize,
        /// The quota.
        quota: usize,
    },
    /// A string parameter holding child elements (step 8).
    ChildElements {
        /// The parameter.
        param: &'static str,
    },
    /// A kindness of `--lenient`.
    Lenient(Kindness),
}

impl WireNote {
    /// The note in the user's words: what arrived, what a WCF service did, what to change. `code`
    /// is the answer's responseCode when the simulator answered.
    pub fn render(&self, code: Option<u16>) -> String {
        let hence = match code {
            Some(c) if c != 100 => format!(" (hence {c})"),
            _ => String::new(),
        };
        match self {
            WireNote::TooLarge { limit } => format!(
                "the request is larger than {limit} bytes: a WCF service refuses it with 413 \
                 (maxReceivedMessageSize); send less, or raise --max-message-size"
            ),
            WireNote::ContentType { got } => format!(
                "Content-Type '{got}' arrived: a WCF service with basicHttpBinding reads only \
                 text/xml in utf-8 or utf-16, so it answered 415; send Content-Type: text/xml; \
                 charset=utf-8"
            ),
            WireNote::NotReadable { why } => format!(
                "the request is not XML a WCF service reads ({why}), so it answered 400 with an \
                 empty body; send well-formed XML 1.0 without a DTD"
            ),
            WireNote::Soap12 => "a SOAP 1.2 envelope arrived: a WCF service with basicHttpBinding \
                 speaks SOAP 1.1 only, so it answered s:VersionMismatch; use the envelope namespace \
                 http://schemas.xmlsoap.org/soap/envelope/ and Content-Type text/xml"
                .to_string(),
            WireNote::NotAnEnvelope { root } => format!(
                "the root element is '{root}', not a SOAP 1.1 Envelope, so a WCF service answered \
                 400; wrap the request in <s:Envelope \
                 xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\"><s:Body>"
            ),
            WireNote::MustUnderstand { name, ns } => format!(
                "header {name} ({ns}) arrived with mustUnderstand: a WCF service with \
                 basicHttpBinding understands no header, so it answered s:MustUnderstand; leave \
                 the header out or drop mustUnderstand"
            ),
            WireNote::HeaderIgnored { name } => format!(
                "header {name} arrived without mustUnderstand: a WCF service ignores it, as here"
            ),
            WireNote::MissingSoapAction { suggested } => {
                let mut s = "no SOAPAction arrived: a WCF service dispatches by SOAPAction only, \
                             so it answered a:ActionNotSupported with ''"
                    .to_string();
                match suggested {
                    Some(action) => {
                        let _ = write!(s, "; send SOAPAction: \"{action}\"");
                    }
                    None => s.push_str("; send the operation's SOAPAction from the WSDL"),
                }
                s
            }
            WireNote::WildcardAction { suggested } => {
                let send = match suggested {
                    Some(action) => format!("send SOAPAction: \"{action}\""),
                    None => "send the operation's SOAPAction from the WSDL".to_string(),
                };
                format!(
                    "SOAPAction \"*\" arrived: a WCF service dispatches by exact action and has no \
                     operation for \"*\", so it answered a:ActionNotSupported; {send}. A WCF proxy \
                     generated from a WSDL without wsaw:Action sends \"*\" for every operation: \
                     generate it again from this service's ?wsdl, which has them"
                )
            }
            WireNote::UnknownAction { action, hint } => {
                let mut s = format!(
                    "SOAPAction '{action}' names no operation of this service: a WCF service \
                     compares actions exactly, so it answered a:ActionNotSupported"
                );
                if let Some(hint) = hint {
                    let _ = write!(s, "; {hint}");
                }
                s
            }
            WireNote::WrongBody {
                expected,
                found,
                found_ns,
                ns,
            } => {
                if found.is_empty() {
                    format!(
                        "the Body holds no element: a WCF service expects {expected} in '{ns}', \
                         so it answered a:DeserializationFailed"
                    )
                } else {
                    format!(
                        "the Body holds {found} in '{found_ns}': the SOAPAction names {expected}, \
                         so a WCF service expects {expected} in '{ns}' and answered \
                         a:DeserializationFailed; send <{expected} xmlns=\"{ns}\">"
                    )
                }
            }
            WireNote::Skipped { name, param, why } => {
                let (arrived, rule, change) = skip_words(name, param, why);
                format!(
                    "{arrived}: {rule}, so it skipped {name} and read {param} as empty{hence}; \
                     {change}"
                )
            }
            WireNote::NotAnInt { param, value } => format!(
                "{param} arrived as '{value}': a WCF service reads it as xs:int, so it answered \
                 a:DeserializationFailed; send a whole number, or leave the element out for 0"
            ),
            WireNote::QuotaExceeded {
                param,
                length,
                quota,
            } => format!(
                "{param} arrived with {length} characters: a WCF service reads at most {quota} \
                 (maxStringContentLength), so it answered a:DeserializationFailed; send at most \
                 {quota}"
            ),
            WireNote::ChildElements { param } => format!(
                "{param} arrived holding elements: a WCF service reads it as xs:string, so it \
                 answered a:DeserializationFailed; send text only (escape < as &lt;)"
            ),
            WireNote::Lenient(kindness) => format!("lenient: {}", kindness_words(kindness)),
        }
    }
}

/// (what arrived, the WCF rule that skipped it, what to change)
fn skip_words(name: &str, param: &str, why: &SkipWhy) -> (String, String, String) {
    match why {
        SkipWhy::WrongCase => (
            format!("{name} arrived where the WSDL has {param}"),
            "a WCF service matches parameter names case-sensitively".to_string(),
            format!("spell it {param}"),
        ),
        SkipWhy::WrongNamespace(ns) => (
            format!("{name} arrived in namespace '{ns}'"),
            "a WCF service reads parameters only in the service namespace".to_string(),
            "put it in the operation element's namespace".to_string(),
        ),
        SkipWhy::NoNamespace => (
            format!("{name} arrived in no namespace"),
            "a WCF service reads parameters only in the service namespace".to_string(),
            "put it in the operation element's namespace (an xmlns on the operation element \
             reaches it unless it is prefixed or resets xmlns)"
                .to_string(),
        ),
        SkipWhy::OtherVersion(version) => (
            format!("{name} arrived, the API {version} name of {param}"),
            format!("a WCF service of this API version knows only {param}"),
            format!("send {param}"),
        ),
        SkipWhy::OutOfOrder(later) => (
            format!("{name} arrived after {later}"),
            "a WCF service reads parameters in its WSDL's order".to_string(),
            format!("send {param} before {later}"),
        ),
        SkipWhy::Duplicate => (
            format!("{name} arrived twice"),
            "a WCF service reads each parameter once".to_string(),
            format!("send {param} once"),
        ),
    }
}

fn kindness_words(kindness: &Kindness) -> String {
    match kindness {
        Kindness::ReadSkipped { name, param, why } => {
            let (arrived, rule, change) = skip_words(name, param, why);
            format!(
                "{arrived} and was read as {param}; {rule} and would have skipped it (read as \
                 empty); {change}"
            )
        }
        Kindness::ActionFromBody { action } => format!(
            "no SOAPAction arrived and the operation was taken from the body; a WCF service \
             would have answered a:ActionNotSupported; send SOAPAction: \"{action}\""
        ),
        Kindness::Charset(charset) => format!(
            "the body was read as {charset}; a WCF service would have answered 415; send \
             Content-Type: text/xml; charset=utf-8"
        ),
        Kindness::MustUnderstandIgnored { name, ns } => format!(
            "header {name} ({ns}) with mustUnderstand was ignored; a WCF service would have \
             answered s:MustUnderstand"
        ),
        Kindness::BodyNamespace {
            name,
            found,
            expected,
        } => format!(
            "{name} arrived in {}, and was read; a WCF service expects '{expected}' and would \
             have answered a:DeserializationFailed",
            if found.is_empty() {
                "no namespace".to_string()
            } else {
                format!("namespace '{found}'")
            }
        ),
    }
}

impl WireNote {
    /// The note as the one exchange type keeps it ([`crate::exchange::Note`]), worded with the
    /// answer's code: harmless only for a header WCF ignores just as ecapi did.
    pub fn to_note(&self, code: Option<u16>) -> crate::exchange::Note {
        crate::exchange::Note {
            text: self.render(code),
            harmless: matches!(self, WireNote::HeaderIgnored { .. }),
        }
    }
}

/// Every note rendered and joined with `; `, for a journal entry or a log line.
pub fn render_notes(notes: &[WireNote], code: Option<u16>) -> String {
    let mut out = String::new();
    for note in notes {
        if !out.is_empty() {
            out.push_str("; ");
        }
        out.push_str(&note.render(code));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_parameter_out_of_order_says_what_wcf_did_and_the_code_it_caused() {
        let note = WireNote::Skipped {
            name: "Unit".into(),
            param: "Unit",
            why: SkipWhy::OutOfOrder("Port"),
        };
        assert_eq!(
            note.render(Some(606)),
            "Unit arrived after Port: a WCF service reads parameters in its WSDL's order, so it \
             skipped Unit and read Unit as empty (hence 606); send Unit before Port"
        );
        assert!(!note.render(Some(100)).contains("hence"));
    }

    #[test]
    fn lenient_notes_say_what_wcf_would_have_done() {
        let note = WireNote::Lenient(Kindness::ReadSkipped {
            name: "unit".into(),
            param: "Unit",
            why: SkipWhy::WrongCase,
        });
        assert_eq!(
            note.render(Some(100)),
            "lenient: unit arrived where the WSDL has Unit and was read as Unit; a WCF service \
             matches parameter names case-sensitively and would have skipped it (read as empty); \
             spell it Unit"
        );
    }

    #[test]
    fn a_wildcard_action_names_the_action_to_send_and_who_sends_it() {
        let note = WireNote::WildcardAction {
            suggested: Some("http://tempuri.org/IECAPI/LogEvent".into()),
        };
        let text = note.render(None);
        assert!(text.starts_with("SOAPAction \"*\" arrived"), "{text}");
        assert!(text.contains("send SOAPAction: \"http://tempuri.org/IECAPI/LogEvent\""));
        assert!(text.contains("generated from a WSDL without wsaw:Action sends \"*\""));
    }
}
