//! Errors of the transport seam: everything that keeps a request from getting a response code.

use super::Stopped;
use crate::api::{ApiVersion, Operation, RequestError};

/// Why a request got no response code. Each message is meant to be read by the user as is.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum TransportError {
    /// The request itself cannot be sent (an operation the API version lacks, a bad integer).
    #[error("{0}")]
    Request(#[from] RequestError),
    /// The server's WSDL does not describe the operation, so it was not sent (wire.md, "The
    /// client").
    #[error("{op} is not offered by the server at {url} (its WSDL describes API {api})")]
    NotOffered {
        /// The operation.
        op: Operation,
        /// The endpoint.
        url: String,
        /// The API version the server's WSDL describes.
        api: ApiVersion,
    },
    /// The run was stopped (Ctrl-C, `--max-time`) while the request waited for its answer.
    #[error("{0}")]
    Stopped(#[from] Stopped),
    /// The server could not be reached.
    #[error("cannot connect to {url}: {detail}")]
    Connect {
        /// The endpoint.
        url: String,
        /// What the connection attempt reported.
        detail: String,
    },
    /// TLS negotiation failed (untrusted certificate, wrong host name...).
    #[error("TLS failure talking to {url}: {detail}")]
    Tls {
        /// The endpoint.
        url: String,
        /// What the TLS layer reported.
        detail: String,
    },
    /// No answer in time.
    #[error("no answer from {url} within {seconds} s")]
    Timeout {
        /// The endpoint.
        url: String,
        /// The timeout that ran out.
        seconds: f64,
    },
    /// The server answered with a SOAP fault.
    #[error("SOAP fault {code}: {string}")]
    Fault {
        /// faultcode, as sent (e.g. `a:ActionNotSupported`).
        code: String,
        /// faultstring.
        string: String,
    },
    /// The server answered with something that is not a SOAP response.
    #[error("HTTP {status} from {url} is not a SOAP response ({reason}); it starts: {start}")]
    NotSoap {
        /// The endpoint.
        url: String,
        /// The HTTP status.
        status: u16,
        /// What is wrong with it.
        reason: String,
        /// The start of the body.
        start: String,
    },
    /// HTTP 401: the server (IIS's basic authentication, for one) refused the credentials, or
    /// none were given (wire.md, "The client": said as "authentication failed").
    #[error(
        "authentication failed: HTTP 401 from {url} ({challenge}); give the server's user with \
         --user and --password (or in the URL)"
    )]
    Unauthorized {
        /// The endpoint.
        url: String,
        /// What the server asked for (its `WWW-Authenticate` header), or that credentials were
        /// sent and refused.
        challenge: String,
    },
    /// The user interrupted the wait for an answer (Ctrl-C in the REPL). The server may have acted
    /// on the request.
    #[error(
        "interrupted (Ctrl-C) while waiting for {url}; the server may have acted on the request"
    )]
    Interrupted {
        /// The endpoint (or the embedded simulator).
        url: String,
    },
    /// Anything else the HTTP layer reported.
    #[error("HTTP error talking to {url}: {detail}")]
    Http {
        /// The endpoint.
        url: String,
        /// What went wrong.
        detail: String,
    },
}

/// Why a simulator control request failed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ControlError {
    /// The backend is not a simulator.
    #[error("{function} needs a simulator; the backend is a real Encore server ({backend})")]
    NotASimulator {
        /// The script function called.
        function: &'static str,
        /// The backend's description.
        backend: String,
    },
    /// The simulator's profile has no such thing (calls on hold in `hosted`).
    #[error("{0}")]
    NotInProfile(String),
    /// An argument the simulator cannot act on.
    #[error("{0}")]
    Invalid(String),
    /// The served simulator's control interface refused the command below the JSON level: no
    /// or a wrong control token (403), a Host it does not serve, a server with `--no-control`
    /// (404). The text is the server's own.
    #[error("the control interface of {url} refused the command (HTTP {status}): {text}")]
    Refused {
        /// The endpoint whose control interface was asked.
        url: String,
        /// The HTTP status.
        status: u16,
        /// What the server said, trimmed.
        text: String,
    },
    /// The served simulator's control interface failed.
    #[error("{0}")]
    Transport(#[from] TransportError),
}
