//! The only place that knows XML: request and response envelopes, SOAP 1.1 faults, the WSDL that
//! `ecapi serve` publishes, the reader that learns a server's contract from its WSDL, and the
//! pretty-printer behind `--trace`.
//!
//! Everything is generated from the API model ([`crate::api`]), so an operation or parameter added
//! there reaches the envelopes and the WSDL without touching this module. Every byte read from the
//! network goes through one guarded parser ([`xml::Pull`]) that never resolves a DTD or an external
//! entity.
//!
//! | file | owns |
//! |---|---|
//! | `names.rs` | fixed namespaces and the configurable names (service namespace, contract...) |
//! | `contract.rs` | how a client addresses each operation (SOAPAction, parameter order) |
//! | `envelope.rs` | request and response envelopes, both ways |
//! | `fault.rs` | SOAP 1.1 faults as WCF writes them |
//! | `wsdl.rs` | the WSDL we serve, in WCF's documents (`?wsdl`, `?xsd=xsdN`, `?singleWsdl`) |
//! | `wsdl_reader.rs` | a server's WSDL, read into a [`Contract`] |
//! | `pretty.rs` | indentation for `--trace` |
//! | `trace.rs` | one exchange's envelopes as `--trace` shows them |
//! | `encoding.rs` | the character encoding of an answer (UTF-8, UTF-16 either way round) |
//! | `rewrite.rs` | `ecapi proxy`'s edits in passing: redacted values, WSDL addresses |
//! | `xml.rs` | the guarded pull parser and escaping |
//! | `document.rs` | a whole document as a list of nodes: a quick scan, else the pull parser |
//! | `charset.rs` | the content types and charsets WCF reads, bytes to text |
//! | `reader.rs` | a request read as a WCF service reads it, step by step (`wire.md`) |
//! | `note.rs` | wire notes: what that reading did that a kinder one would not, in words |

pub mod charset;
mod contract;
mod document;
mod encoding;
mod envelope;
mod fault;
pub mod names;
mod note;
mod pretty;
mod reader;
mod rewrite;
mod trace;
mod wsdl;
mod wsdl_reader;
pub mod xml;

pub use contract::{Contract, ContractSource, OperationShape};
pub use encoding::{to_utf8, EncodingError};
pub use envelope::{
    decode_fault, decode_request, decode_response, encode_request, encode_response, ResponseFrames,
};
pub use fault::Fault;
pub use names::Names;
pub use note::{render_notes, Kindness, SkipWhy, WireNote};
pub use pretty::pretty;
pub use reader::{
    read_request, Incoming, Read, ReadOptions, Refusal, Refused, DEFAULT_MAX_DEPTH,
    DEFAULT_MAX_MESSAGE_SIZE, DEFAULT_MAX_STRING_CONTENT_LENGTH,
};
pub use rewrite::{body_element, element_texts, redact_elements, rewrite_addresses, Redacted};
pub use trace::{trace_of, Trace};
pub use wsdl::{
    single_wsdl, wsdl_document, WsdlDocument, SERIALIZATION_NS, WCF_DEFAULT_NS, WSAW_NS,
};
pub use wsdl_reader::{read_contract, read_wsdl, FetchError, ServerWsdl, WsdlError};
pub use xml::XmlError;

/// Why an envelope could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SoapError {
    /// The bytes are not acceptable XML.
    #[error("{0}")]
    Xml(#[from] XmlError),
    /// Well-formed XML, but not a SOAP 1.1 message of this contract.
    #[error("not a SOAP 1.1 message: {0}")]
    NotSoap(String),
    /// The SOAPAction or body element names no operation of the API version.
    #[error("no operation answers to `{0}`")]
    UnknownAction(String),
    /// A parameter's text cannot be read as its type.
    #[error("parameter {name} cannot be read as an integer: `{value}`")]
    BadParameter {
        /// The parameter's namespace.
        ns: String,
        /// The parameter's element name.
        name: String,
        /// Its text.
        value: String,
    },
    /// The SOAPAction names one operation and the body's element another (or is not one).
    #[error("the SOAPAction names {expected} but the body holds `{found}`")]
    WrongBody {
        /// The service namespace.
        ns: String,
        /// The operation the action names.
        expected: String,
        /// The body element found.
        found: String,
    },
    /// The body is a SOAP fault.
    #[error("SOAP fault {}: {}", .0.code(), .0.string)]
    Fault(Fault),
}

impl SoapError {
    /// The fault a server answers this error with, as WCF would.
    pub fn to_fault(&self) -> Fault {
        match self {
            SoapError::UnknownAction(action) => Fault::action_not_supported(action),
            SoapError::BadParameter { ns, name, value } => {
                Fault::deserialization_failed(ns, name, value)
            }
            SoapError::WrongBody {
                ns,
                expected,
                found,
            } => Fault::wrong_body(ns, expected, found),
            SoapError::Xml(e) => Fault::client(&e.to_string()),
            SoapError::NotSoap(why) => Fault::client(why),
            SoapError::Fault(fault) => fault.clone(),
        }
    }
}
