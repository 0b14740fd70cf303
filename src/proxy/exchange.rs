//! The one exchange type every view of the proxy reads (as mitmproxy's flow): what the client sent,
//! what it got and from whom, how long it took, the wire notes, and the shadow's verdict. The live
//! line is [`Exchange::line`]; the record is [`super::record::Record::of`].

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::Duration;

use chrono::{DateTime, Utc};

use super::compare::{Comparison, Observed};
use crate::api::{ApiVersion, Operation, Param, Request, Response};
use crate::repl::grid::Outcome;
use crate::soap::{Fault, WireNote};

/// What came back to the client.
#[derive(Debug, Clone, PartialEq)]
pub enum Answer {
    /// A SOAP answer with a responseCode (any code: a non-100 code is an answer like any other).
    Response(Response),
    /// A SOAP fault (HTTP 500), passed through.
    Fault(Fault),
    /// Any other HTTP answer (415, 413, 401, an HTML error page…), passed through.
    Http {
        /// The status code.
        status: u16,
        /// What the body was, in a few words.
        what: String,
    },
    /// The upstream closed the connection without a complete answer; the client's connection was
    /// closed the same way.
    Dropped(String),
    /// The upstream gave no answer within the proxy's time-out; the client got a 504.
    TimedOut(Duration),
    /// The upstream could not be reached at all; the client got a 502.
    Unreachable(String),
}

impl Answer {
    /// The responseCode, when there is one.
    pub fn code(&self) -> Option<u16> {
        match self {
            Answer::Response(r) => Some(r.code),
            _ => None,
        }
    }

    /// One word for the kind of answer, as the record's `outcome` says it.
    pub fn kind(&self) -> &'static str {
        match self {
            Answer::Response(_) => "answered",
            Answer::Fault(_) => "fault",
            Answer::Http { .. } => "http",
            Answer::Dropped(_) => "dropped",
            Answer::TimedOut(_) => "timeout",
            Answer::Unreachable(_) => "unreachable",
        }
    }

    /// The answer as the comparisons see it.
    pub fn observed(&self) -> Observed {
        match self {
            Answer::Response(r) => Observed::Response(r.clone()),
            Answer::Fault(f) => Observed::Fault(f.code()),
            other => Observed::NoAnswer(other.describe()),
        }
    }

    /// The code and message, or what happened instead, for the live line.
    pub fn describe(&self) -> String {
        match self {
            Answer::Response(r) => format!("{} {}", r.code, r.message),
            Answer::Fault(f) => format!("fault {}: {}", f.code(), cut(&f.string)),
            Answer::Http { status, what } => format!("HTTP {status} {what}"),
            Answer::Dropped(why) => format!("dropped connection ({why})"),
            Answer::TimedOut(after) => {
                format!("no answer within {:.1} s (504)", after.as_secs_f64())
            }
            Answer::Unreachable(why) => format!("upstream unreachable (502): {why}"),
        }
    }
}

/// The start of a long text, for the line (the record keeps it whole).
fn cut(text: &str) -> String {
    const MAX: usize = 80;
    match text.char_indices().nth(MAX) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text.to_string(),
    }
}

/// One request and its answer, as the proxy saw them.
#[derive(Debug, Clone)]
pub struct Exchange {
    /// When the request arrived.
    pub time: DateTime<Utc>,
    /// The client's address.
    pub client: SocketAddr,
    /// The SOAPAction header, quotes removed; `None` when absent.
    pub action: Option<String>,
    /// The request as read, when it names an operation.
    pub request: Option<Request>,
    /// The request envelope as it travelled (UTF-8, lossy for other encodings).
    pub request_body: String,
    /// The HTTP status the client got (`None` when its connection was dropped).
    pub status: Option<u16>,
    /// What the client got.
    pub answer: Answer,
    /// The response body as it travelled, when there was one.
    pub response_body: Option<String>,
    /// Whether the proxy answered itself (`--fault`) instead of the upstream.
    pub injected: bool,
    /// From the request's arrival to the answer being ready to send.
    pub elapsed: Duration,
    /// What a WCF service did in reading the request that a kinder reader would not have
    /// (`wire.md`), as the request reader found it.
    pub notes: Vec<WireNote>,
    /// The shadow's answer compared with the upstream's, under `--shadow`.
    pub shadow: Option<Comparison>,
    /// The upstream's reason for a non-100 code (`x-ecapi-reason`, as an `ecapi serve` gives it).
    pub reason: Option<String>,
    /// The operation the body's element names (when the request was not read, the line still
    /// says what it was).
    pub body_op: Option<String>,
    /// Values `--redact` withheld, taken out of the notes when they are rendered.
    pub withheld: Vec<String>,
    /// Parameters and fields whose values `--redact` withheld, each with the name that did.
    pub redacted: BTreeMap<String, String>,
}

/// The parameters worth a glance on the line: who and where.
const SHOWN: [Param; 5] = [
    Param::Unit,
    Param::Port,
    Param::Extension,
    Param::User,
    Param::FieldName,
];

impl Exchange {
    /// The operation, when the request named one.
    pub fn op(&self) -> Option<Operation> {
        self.request.as_ref().map(Request::op)
    }

    /// The wire notes that change nothing (a header WCF ignores just as ecapi did), as text, any
    /// value `--redact` withheld taken out: the record keeps them apart, so that `ecapi audit`
    /// reading it after the fact judges as the live audit did.
    pub fn harmless_notes_text(&self) -> Vec<String> {
        self.notes
            .iter()
            .map(|n| n.to_note(self.answer.code()))
            .filter(|n| n.harmless)
            .map(|n| super::redact::scrub(&n.text, &self.withheld))
            .collect()
    }

    /// The wire notes as text, any value `--redact` withheld taken out.
    pub fn notes_text(&self) -> Vec<String> {
        self.notes
            .iter()
            .map(|n| super::redact::scrub(&n.render(self.answer.code()), &self.withheld))
            .collect()
    }

    /// The exchange as one line: time, client, operation, the parameters that matter (unit, port,
    /// extension, user, field name), code and message (coloured by class as the REPL's grid is,
    /// when `color`), the answer's fields, elapsed ms, then any wire notes and shadow differences.
    pub fn line(&self, color: bool) -> String {
        let time = self.time.format("%H:%M:%S%.3f");
        // A request the upstream would not read is named by its body, marked with `?`.
        let op = match (&self.request, &self.body_op, &self.action) {
            (Some(r), _, _) => r.op().name().to_string(),
            (None, Some(body), _) => format!("{body}?"),
            (None, None, Some(a)) if !a.is_empty() => format!("? {a}"),
            (None, None, _) => "?".to_string(),
        };
        let params: Vec<String> = self
            .request
            .as_ref()
            .map(|r| {
                SHOWN
                    .iter()
                    .filter(|p| r.op().params(ApiVersion::V7_1).contains(p))
                    .map(|p| format!("{}={}", p.wire_name(ApiVersion::V7_1), r.get(*p)))
                    .collect()
            })
            .unwrap_or_default();
        let outcome = Outcome::of_code(self.answer.code());
        let answer = outcome.paint(&self.answer.describe(), color);
        let mut line = format!("{time}  {}  {op:15}", self.client);
        if !params.is_empty() {
            line.push_str("  ");
            line.push_str(&params.join(" "));
        }
        line.push_str("  ");
        line.push_str(&answer);
        if let Answer::Response(r) = &self.answer {
            for (field, value) in r.fields() {
                line.push_str(&format!(" {}={value}", field.script_name()));
            }
        }
        line.push_str(&format!("  {:.1} ms", self.elapsed.as_secs_f64() * 1000.0));
        if self.injected {
            line.push_str("  [injected by --fault]");
        }
        let notes = self.notes_text();
        // A served simulator gives its wire reading's notes as its reason too (joined by `; `):
        // each said once, as a note.
        if let Some(reason) = &self.reason {
            let own: Vec<&str> = reason
                .split("; ")
                .filter(|part| !part.is_empty() && !notes.iter().any(|n| n == part))
                .collect();
            if !own.is_empty() {
                line.push_str("  reason: ");
                line.push_str(&own.join("; "));
            }
        }
        for note in notes {
            line.push_str("  note: ");
            line.push_str(&note);
        }
        match &self.shadow {
            Some(Comparison::Differ(diffs)) => {
                let text: Vec<String> = diffs.iter().map(ToString::to_string).collect();
                let text = format!("shadow differs: {}", text.join("; "));
                line.push_str("  ");
                line.push_str(&Outcome::Warning.paint(&text, color));
            }
            Some(Comparison::Unavailable(why)) => {
                line.push_str(&format!("  shadow: {why}"));
            }
            _ => {}
        }
        line
    }
}

impl Exchange {
    /// The exchange as the audit and every other view read it ([`crate::exchange::Exchange`]),
    /// numbered `seq`.
    pub fn to_exchange(&self, seq: u64) -> crate::exchange::Exchange {
        use crate::exchange::{FailureKind, Outcome};
        let outcome = match &self.answer {
            Answer::Response(r) => Outcome::Answered(r.clone()),
            other => Outcome::Failed {
                kind: match other {
                    Answer::Fault(_) => FailureKind::Fault,
                    Answer::Http { .. } => FailureKind::Http,
                    Answer::TimedOut(_) => FailureKind::TimedOut,
                    Answer::Unreachable(_) => FailureKind::Unreachable,
                    _ => FailureKind::Dropped,
                },
                detail: other.describe(),
            },
        };
        let elapsed = chrono::Duration::from_std(self.elapsed).unwrap_or_default();
        crate::exchange::Exchange {
            seq,
            sent: self.time,
            answered: self.status.map(|_| self.time + elapsed),
            client: Some(crate::exchange::Exchange::client_of(self.client)),
            request: self.request.clone(),
            outcome,
            notes: self
                .notes
                .iter()
                .map(|n| {
                    let mut note = n.to_note(self.answer.code());
                    // A note may quote a value `--redact` withheld: findings never show it.
                    note.text = super::redact::scrub(&note.text, &self.withheld);
                    note
                })
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::ResponseCode;

    fn exchange(answer: Answer) -> Exchange {
        Exchange {
            time: DateTime::parse_from_rfc3339("2026-11-30T01:02:03.456Z")
                .unwrap()
                .with_timezone(&Utc),
            client: "127.0.0.1:5000".parse().unwrap(),
            action: Some("http://tempuri.org/IECAPI/StopRecording".into()),
            request: Some(
                Request::new(Operation::StopRecording)
                    .with(Param::Unit, "1")
                    .with(Param::Port, "5"),
            ),
            request_body: String::new(),
            status: Some(200),
            answer,
            response_body: None,
            injected: false,
            elapsed: Duration::from_micros(1250),
            notes: vec![WireNote::HeaderIgnored {
                name: "Session".into(),
            }],
            shadow: None,
            reason: None,
            body_op: None,
            withheld: Vec::new(),
            redacted: BTreeMap::new(),
        }
    }

    #[test]
    fn a_line_names_time_client_operation_parameters_code_message_elapsed_and_notes() {
        let e = exchange(Answer::Response(Response::new(
            Operation::StopRecording,
            ResponseCode::PortNotRecording,
        )));
        assert_eq!(
            e.line(false),
            "01:02:03.456  127.0.0.1:5000  StopRecording    Unit=1 Port=5  608 Warning: Port was \
             not recording  1.2 ms  note: header Session arrived without mustUnderstand: a WCF \
             service ignores it, as here"
        );
        assert!(e.line(true).contains("\x1b[33m608 Warning"));
    }

    #[test]
    fn the_upstream_s_reason_says_only_what_the_notes_do_not() {
        let mut e = exchange(Answer::Response(Response::new(
            Operation::StopRecording,
            ResponseCode::PortNotRecording,
        )));
        e.notes.push(WireNote::HeaderIgnored { name: "To".into() });
        let notes = e.notes_text();
        // An `ecapi serve` upstream joins its notes and the simulator's reason with `; `.
        e.reason = Some(format!("{}; {}; port 5 is idle", notes[0], notes[1]));
        let line = e.line(false);
        assert_eq!(
            line.matches("arrived without mustUnderstand").count(),
            2,
            "{line}"
        );
        assert!(line.contains("  reason: port 5 is idle  note: "), "{line}");
        e.reason = Some(notes.join("; "));
        assert!(!e.line(false).contains("reason:"), "{}", e.line(false));
    }

    #[test]
    fn a_dropped_connection_is_said_as_such_in_red() {
        let e = exchange(Answer::Dropped(
            "connection closed before the answer".into(),
        ));
        let line = e.line(true);
        assert!(line.contains("\x1b[31mdropped connection"), "{line:?}");
    }
}
