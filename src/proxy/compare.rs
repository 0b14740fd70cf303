//! Two answers to the same request compared field by field: the shadow's against the upstream's
//! (`--shadow`) and a backend's against a recording's (`ecapi replay`).
//!
//! Code, message, and the presence and value of each extra field are compared, except the fields
//! that differ between two correct servers by nature, which are compared by form:
//! - `Port` of InitStation and InitUser: a whole number (the hosted service hands ports out from a
//!   daily counter, a recorder from its directory);
//! - `URL` of GetURL: the link's shape, its path and query with every run of digits taken as one
//!   digit and the origin and a session's `/sessions/<id>` prefix left out (each server, and each
//!   session of an `ecapi serve`, has its own player and recording index);
//! - `stateDuration` of PortStatusEX: within [`DURATION_TOLERANCE`] seconds of each other.

use std::fmt;

use crate::api::{Operation, Response, ResultField};
use crate::server::SESSIONS_PREFIX;

/// How far apart two `stateDuration`s may be and still agree, in seconds: two servers asked a
/// moment apart, or a recording replayed later, count the same state's seconds from different
/// starts.
pub const DURATION_TOLERANCE: i64 = 2;

/// An answer, as far as comparisons go.
#[derive(Debug, Clone, PartialEq)]
pub enum Observed {
    /// A SOAP answer with a responseCode.
    Response(Response),
    /// A SOAP fault, by its faultcode (`a:ActionNotSupported`).
    Fault(String),
    /// No SOAP answer (an HTTP error, a dropped connection…), said in words.
    NoAnswer(String),
}

impl Observed {
    fn kind(&self) -> String {
        match self {
            Observed::Response(r) => format!("code {}", r.code),
            Observed::Fault(code) => format!("fault {code}"),
            Observed::NoAnswer(what) => what.clone(),
        }
    }
}

/// One way two answers differ.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Difference {
    /// What differs: `code`, `message`, `answer`, or a field's wire name (`portStatus`).
    pub what: String,
    /// The reference answer's side (the upstream's, or the recording's); `(none)` when absent.
    pub expected: String,
    /// The other side.
    pub actual: String,
}

impl fmt::Display for Difference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {} against {}", self.what, self.expected, self.actual)
    }
}

/// The verdict on a pair of answers.
#[derive(Debug, Clone, PartialEq)]
pub enum Comparison {
    /// They agree (volatile fields by form).
    Agree,
    /// They differ, in these ways.
    Differ(Vec<Difference>),
    /// The other side could not be asked (it failed below the Web API, or the request named no
    /// operation), said in words.
    Unavailable(String),
}

impl Comparison {
    /// The verdict from a list of differences.
    pub fn of(differences: Vec<Difference>) -> Comparison {
        if differences.is_empty() {
            Comparison::Agree
        } else {
            Comparison::Differ(differences)
        }
    }
}

const NONE: &str = "(none)";

/// Every difference between `expected` and `actual` (both answers to an `op` request).
pub fn compare(expected: &Observed, actual: &Observed) -> Vec<Difference> {
    let (e, a) = match (expected, actual) {
        (Observed::Response(e), Observed::Response(a)) => (e, a),
        (e, a) if e == a => return Vec::new(),
        (e, a) => {
            return vec![Difference {
                what: "answer".to_string(),
                expected: e.kind(),
                actual: a.kind(),
            }]
        }
    };
    let mut out = Vec::new();
    if e.code != a.code {
        out.push(Difference {
            what: "code".to_string(),
            expected: e.code.to_string(),
            actual: a.code.to_string(),
        });
    }
    if e.message != a.message {
        out.push(Difference {
            what: "message".to_string(),
            expected: quoted(Some(&e.message)),
            actual: quoted(Some(&a.message)),
        });
    }
    for field in e.op.result_fields() {
        let (x, y) = (e.field(*field), a.field(*field));
        let agree = match (&x, &y) {
            // A value withheld by `--redact` when recorded cannot be compared; its presence is.
            (Some(x), Some(_)) if x == super::redact::REDACTED => true,
            (Some(x), Some(y)) => same_form(e.op, *field, x, y),
            (None, None) => true,
            _ => false,
        };
        if !agree {
            out.push(Difference {
                what: field.wire_name().to_string(),
                expected: quoted(x.as_deref()),
                actual: quoted(y.as_deref()),
            });
        }
    }
    out
}

fn quoted(value: Option<&str>) -> String {
    match value {
        // Quoted as Rust writes a string, so a value holding quotes stays readable.
        Some(v) => format!("{v:?}"),
        None => NONE.to_string(),
    }
}

/// Whether two values of a field agree, volatile fields by form.
fn same_form(op: Operation, field: ResultField, x: &str, y: &str) -> bool {
    match field {
        ResultField::Port if matches!(op, Operation::InitStation | Operation::InitUser) => {
            let whole =
                |s: &str| !s.trim().is_empty() && s.trim().bytes().all(|b| b.is_ascii_digit());
            whole(x) && whole(y)
        }
        ResultField::Url => url_shape(x) == url_shape(y),
        ResultField::StateDuration => match (x.trim().parse::<i64>(), y.trim().parse::<i64>()) {
            (Ok(x), Ok(y)) => (x - y).abs() <= DURATION_TOLERANCE,
            _ => x == y,
        },
        _ => x == y,
    }
}

/// A link's shape: its path and query, without the origin and without the `/sessions/<id>`
/// prefix of a simulator session on an `ecapi serve` (each session has its own id, like each
/// server its own origin), with every run of digits as `#`.
pub fn url_shape(url: &str) -> String {
    let rest = url
        .split_once("://")
        .map(|(_, rest)| rest.find('/').map_or("", |at| &rest[at..]))
        .unwrap_or(url);
    let rest = rest
        .strip_prefix(SESSIONS_PREFIX)
        .and_then(|r| r.strip_prefix('/'))
        .and_then(|r| r.find('/').map(|at| &r[at..]))
        .unwrap_or(rest);
    let mut shape = String::with_capacity(rest.len());
    let mut in_digits = false;
    for c in rest.chars() {
        if c.is_ascii_digit() {
            if !in_digits {
                shape.push('#');
            }
            in_digits = true;
        } else {
            shape.push(c);
            in_digits = false;
        }
    }
    shape
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::ResponseCode;

    fn status_ex(state: &str, seconds: i64) -> Observed {
        let mut r = Response::ok(Operation::PortStatusEx);
        r.status = Some(state.into());
        r.duration = Some(seconds);
        Observed::Response(r)
    }

    #[test]
    fn stop_from_pause_100_against_608_names_code_and_message() {
        let e = Observed::Response(Response::ok(Operation::StopRecording));
        let a = Observed::Response(Response::new(
            Operation::StopRecording,
            ResponseCode::PortNotRecording,
        ));
        let diffs = compare(&e, &a);
        let text: Vec<String> = diffs.iter().map(ToString::to_string).collect();
        assert_eq!(
            text,
            vec![
                "code 100 against 608",
                "message \"Command executed as expected\" against \"Warning: Port was not recording\""
            ]
        );
    }

    #[test]
    fn volatile_fields_compare_by_form() {
        assert!(compare(&status_ex("RECORD", 20), &status_ex("RECORD", 22)).is_empty());
        let far = compare(&status_ex("RECORD", 20), &status_ex("RECORD", 23));
        assert_eq!(far[0].what, "stateDuration");
        assert_eq!(far[0].to_string(), "stateDuration \"20\" against \"23\"");
        let url = |u: &str| {
            let mut r = Response::ok(Operation::GetUrl);
            r.set_url(u);
            Observed::Response(r)
        };
        assert!(compare(
            &url("https://encore.dvsanalytics.com/encore/urlplayer.aspx?fldCallIndex=3.1&siteid=1"),
            &url("http://127.0.0.1:4000/encore/urlplayer.aspx?fldCallIndex=17.25&siteid=1"),
        )
        .is_empty());
        assert_eq!(
            compare(&url("http://a/x?i=1"), &url("http://a/y?i=1"))[0].what,
            "URL"
        );
        let init = |port: &str| {
            let mut r = Response::ok(Operation::InitStation);
            r.set_port(port);
            r.set_unit("1");
            Observed::Response(r)
        };
        assert!(compare(&init("3"), &init("41")).is_empty());
        assert_eq!(compare(&init("3"), &init("x"))[0].what, "Port");
    }

    #[test]
    fn a_missing_field_and_a_fault_are_differences() {
        let mut with = Response::ok(Operation::PortStatus);
        with.status = Some("RECORD".into());
        let without = Response::ok(Operation::PortStatus);
        let diffs = compare(&Observed::Response(with), &Observed::Response(without));
        assert_eq!(diffs[0].to_string(), "portStatus \"RECORD\" against (none)");
        let fault = Observed::Fault("a:ActionNotSupported".into());
        let diffs = compare(
            &Observed::Response(Response::ok(Operation::PortStatus)),
            &fault,
        );
        assert_eq!(
            diffs[0].to_string(),
            "answer code 100 against fault a:ActionNotSupported"
        );
        assert!(compare(&fault, &fault.clone()).is_empty());
    }

    #[test]
    fn links_on_sessions_of_one_server_compare_by_shape_without_the_session_prefix() {
        let a = "http://127.0.0.1:8080/sessions/0f3a9c55e1d24b7a8c6e2f1d0b9a8c7e/encore/urlplayer.aspx?rec=12";
        let b = "http://127.0.0.1:8080/sessions/a1b2c3d4e5f60718293a4b5c6d7e8f90/encore/urlplayer.aspx?rec=7";
        let plain = "http://127.0.0.1:9090/encore/urlplayer.aspx?rec=3";
        assert_eq!(url_shape(a), "/encore/urlplayer.aspx?rec=#");
        assert_eq!(url_shape(a), url_shape(b));
        assert_eq!(url_shape(a), url_shape(plain));
        // A different page under a session is still a different shape.
        let other = "http://127.0.0.1:8080/sessions/0f3a9c55e1d24b7a8c6e2f1d0b9a8c7e/encore/other.aspx?rec=12";
        assert_ne!(url_shape(a), url_shape(other));
        // A path that only starts like one is left alone.
        assert_eq!(url_shape("http://h/sessionsX/p"), "/sessionsX/p");
    }
}
