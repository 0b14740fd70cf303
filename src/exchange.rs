//! The one exchange every view reads: a request, the answer or its failure, when each was sent and
//! answered, the client, and the wire notes. The proxy's record line, `serve`'s journal entry and
//! the runner's record at the transport seam each convert into it (the conversions live beside
//! each view), and the audit ([`crate::audit`]) reads nothing else.
//!
//! It sits beside [`crate::api`] and knows only its vocabulary: no XML, no HTTP, no I/O.

use chrono::{DateTime, Utc};

use crate::api::{Operation, Request, Response};

/// What became of a request that got no SOAP answer with a code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum FailureKind {
    /// A SOAP fault (HTTP 500).
    Fault,
    /// Another HTTP answer (415, 413, 503, an error page…).
    Http,
    /// The connection closed before a complete answer.
    Dropped,
    /// No answer within the time allowed.
    TimedOut,
    /// The server could not be reached.
    Unreachable,
    /// A script's transport failed and only its message was kept (the runner's record).
    Transport,
}

impl FailureKind {
    /// Every kind, in the order coverage tables list them.
    pub const ALL: [FailureKind; 6] = [
        FailureKind::Fault,
        FailureKind::Http,
        FailureKind::Dropped,
        FailureKind::TimedOut,
        FailureKind::Unreachable,
        FailureKind::Transport,
    ];

    /// One word, as the proxy's record says it (`fault`, `http`, `dropped`, `timeout`,
    /// `unreachable`; and `transport`).
    pub fn word(self) -> &'static str {
        match self {
            FailureKind::Fault => "fault",
            FailureKind::Http => "http",
            FailureKind::Dropped => "dropped",
            FailureKind::TimedOut => "timeout",
            FailureKind::Unreachable => "unreachable",
            FailureKind::Transport => "transport",
        }
    }

    /// The kind a record's `outcome` word names; `None` for `answered` and unknown words.
    pub fn from_word(word: &str) -> Option<FailureKind> {
        FailureKind::ALL.into_iter().find(|k| k.word() == word)
    }
}

/// The answer, or what happened instead.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// A SOAP answer with a responseCode (any code).
    Answered(Response),
    /// No answer with a code: what happened, and in a few words how.
    Failed {
        /// The kind of failure.
        kind: FailureKind,
        /// What happened, in words (a faultcode, an HTTP status, the transport's message).
        detail: String,
    },
}

/// A wire note: what a WCF service did in reading the request that a kinder reader would not
/// have (`wire.md`), in words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    /// The note in the user's words.
    pub text: String,
    /// Whether a WCF service reads the request the same way ecapi did, so that the CRM behaves the
    /// same against Encore (an ignored header without `mustUnderstand`); every other note
    /// means the CRM would misbehave there.
    pub harmless: bool,
}

impl Note {
    /// A note that means the CRM would misbehave against Encore.
    pub fn new(text: impl Into<String>) -> Note {
        Note {
            text: text.into(),
            harmless: false,
        }
    }
}

/// One request and its answer, as any view saw them.
#[derive(Debug, Clone, PartialEq)]
pub struct Exchange {
    /// Its place in its source, from 1 (a record's exchange number, a journal's `seq`).
    pub seq: u64,
    /// When the request was sent (arrived, for a server or a proxy).
    pub sent: DateTime<Utc>,
    /// When the answer was complete; `None` when none came.
    pub answered: Option<DateTime<Utc>>,
    /// Who sent it (address:port for a server or proxy, a test's name for the runner), when known.
    pub client: Option<compact_str::CompactString>,
    /// The request as read; `None` when it named no operation.
    pub request: Option<Request>,
    /// The answer or its failure.
    pub outcome: Outcome,
    /// The wire notes.
    pub notes: Vec<Note>,
}

impl Exchange {
    /// The operation, when the request named one.
    pub fn op(&self) -> Option<Operation> {
        self.request.as_ref().map(Request::op)
    }

    /// The responseCode, when there is one.
    pub fn code(&self) -> Option<u16> {
        match &self.outcome {
            Outcome::Answered(r) => Some(r.code),
            Outcome::Failed { .. } => None,
        }
    }

    /// The answer, when there is one with a code.
    pub fn response(&self) -> Option<&Response> {
        match &self.outcome {
            Outcome::Answered(r) => Some(r),
            Outcome::Failed { .. } => None,
        }
    }

    /// The answer, taken out of the exchange, when there is one with a code.
    pub fn into_response(self) -> Option<Response> {
        match self.outcome {
            Outcome::Answered(r) => Some(r),
            Outcome::Failed { .. } => None,
        }
    }

    /// The failure's kind, when there was no answer with a code.
    pub fn failure(&self) -> Option<FailureKind> {
        match &self.outcome {
            Outcome::Answered(_) => None,
            Outcome::Failed { kind, .. } => Some(*kind),
        }
    }

    /// When the exchange was over: answered, or else sent.
    pub fn ended(&self) -> DateTime<Utc> {
        self.answered.unwrap_or(self.sent)
    }

    /// A client's address as [`Exchange::client`] holds it, `127.0.0.1:50312` (`[::1]:50312` for
    /// IPv6): what `SocketAddr`'s `Display` writes, but an IPv4 address, every request's case
    /// under `ecapi serve`, without the formatting machinery.
    pub fn client_of(peer: std::net::SocketAddr) -> compact_str::CompactString {
        // Written into a `String` and moved in once (an IPv4 address, at most 21 characters,
        // inline): pushing piece by piece into the CompactString cost three times as much.
        let mut out = String::with_capacity(24);
        Exchange::write_client(&mut out, peer);
        compact_str::CompactString::from(out)
    }

    /// Appends [`Exchange::client_of`]`(peer)` to `out` (a log line writes it in place).
    pub fn write_client(out: &mut impl std::fmt::Write, peer: std::net::SocketAddr) {
        match peer {
            std::net::SocketAddr::V4(v4) => {
                let mut digits = itoa::Buffer::new();
                for (i, octet) in v4.ip().octets().into_iter().enumerate() {
                    if i > 0 {
                        let _ = out.write_char('.');
                    }
                    let _ = out.write_str(digits.format(octet));
                }
                let _ = out.write_char(':');
                let _ = out.write_str(digits.format(v4.port()));
            }
            v6 => {
                let _ = write!(out, "{v6}");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_client_is_written_as_its_socket_address_displays() {
        for addr in [
            "127.0.0.1:50312",
            "0.0.0.0:0",
            "255.255.255.255:65535",
            "10.0.20.3:8080",
            "[::1]:50312",
            "[fe80::1%2]:1",
        ] {
            let addr: std::net::SocketAddr = addr.parse().unwrap();
            assert_eq!(Exchange::client_of(addr), addr.to_string());
            let mut line = "a line: ".to_string();
            Exchange::write_client(&mut line, addr);
            assert_eq!(line, format!("a line: {addr}"));
        }
    }

    #[test]
    fn failure_words_are_the_records_outcome_words() {
        for k in FailureKind::ALL {
            assert_eq!(FailureKind::from_word(k.word()), Some(k));
        }
        assert_eq!(FailureKind::from_word("answered"), None);
    }
}
