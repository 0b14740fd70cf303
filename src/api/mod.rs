//! The Encore Web API itself, as the vendor's guides define it: the fifteen operations and their
//! parameters in API 7.0 and 7.1, requests, responses, response codes with their exact messages, and
//! recording states.
//!
//! This module owns the vocabulary every other layer speaks. It does no I/O, knows nothing of XML,
//! HTTP or Rhai, and is the single source for the script functions, `ecapi ops`, the REPL's help and
//! the WSDL.

mod operation;
mod param;
mod recording_state;
mod request;
mod response;
mod response_code;
mod version;

pub use operation::{Operation, ResultField};
pub use param::Param;
pub use recording_state::RecordingState;
pub use request::{Request, RequestError, MAX_STRING_CHARS};
pub use response::Response;
pub use response_code::ResponseCode;
pub use version::{ApiVersion, UnknownVersion};
