//! The only place that knows XML: request and response envelopes, faults, and the WSDL.
//!
//! (Placeholder until the codec lands: `trace_of` renders the exchange without envelopes.)

use crate::api::{ApiVersion, Request, Response};
use crate::client::Trace;

/// The envelopes the simulator would exchange for a request and its response.
pub fn trace_of(request: &Request, response: &Response, version: ApiVersion) -> Trace {
    let params: Vec<String> = request
        .params(version)
        .map(|(p, v)| format!("{}={v}", p.wire_name(version)))
        .collect();
    Trace {
        action: format!("http://tempuri.org/IECAPI/{}", request.op().name()),
        request: params.join(" "),
        status: 200,
        response: format!("{} {}", response.code, response.message),
    }
}
