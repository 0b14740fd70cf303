//! The envelopes of one exchange as `--trace` shows them: what went, what came back (or what
//! happened instead), pretty-printed by [`pretty`](super::pretty) without touching a value.

use super::contract::OperationShape;
use super::envelope::{encode_request, encode_response};
use super::names::Names;
use super::pretty::pretty;
use crate::api::{ApiVersion, Request, Response};

/// One exchange's envelopes, for `--trace` (wire.md, "The client": every exchange, a fault, an
/// HTTP error and a dropped connection included).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Trace {
    /// The SOAPAction header value, unquoted.
    pub action: String,
    /// The request envelope as sent, pretty-printed.
    pub request: String,
    /// The HTTP status of the answer (200 for the embedded simulator); 0 when no answer came.
    pub status: u16,
    /// The response body as received (decoded to text when it came as UTF-16), pretty-printed;
    /// empty when no answer came.
    pub response: String,
    /// What happened instead of a complete answer: the connection closed, the time ran out, the
    /// run was stopped. `None` when an answer came whole.
    pub failure: Option<String>,
}

impl Trace {
    /// The trace of an exchange that got an answer: both bodies pretty-printed.
    pub fn answered(action: &str, request: &str, status: u16, response: &str) -> Trace {
        Trace {
            action: action.to_string(),
            request: pretty(request),
            status,
            response: pretty(response),
            failure: None,
        }
    }

    /// The trace of an exchange that got no (complete) answer.
    pub fn unanswered(action: &str, request: &str, failure: impl Into<String>) -> Trace {
        Trace {
            action: action.to_string(),
            request: pretty(request),
            status: 0,
            response: String::new(),
            failure: Some(failure.into()),
        }
    }
}

/// The envelopes the simulator would exchange for a request and its response, pretty-printed, under
/// the default names.
pub fn trace_of(request: &Request, response: &Response, version: ApiVersion) -> Trace {
    let names = Names::default();
    let shape = OperationShape::default_for(request.op(), version, &names);
    Trace::answered(
        &shape.action,
        &encode_request(request, &shape),
        200,
        &encode_response(response, &names),
    )
}
