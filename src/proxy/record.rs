//! The exchange record (`--record FILE`): one JSON object per line for every SOAP exchange, written
//! before the answer goes back to the client (so nothing a client was answered is missing from the
//! file, even when the proxy is killed), and a summary line at the end.
//!
//! An exchange line holds `kind` (`"exchange"`), `time` (RFC 3339, UTC, milliseconds), `client`
//! (address:port), `operation`, `action` (the SOAPAction, unquoted), `parameters` (wire name to
//! value, 7.1 names), `status` (HTTP), `outcome` (`answered`, `fault`, `http`, `dropped`,
//! `timeout`, `unreachable`), `code`, `message`, `fields` (wire name to value), `fault`
//! (`{code, string}`), `elapsed_ms`, `notes`, `injected`, `request` and `response` (the envelopes
//! as they travelled) and, under `--shadow`, `shadow` (`{agree, differences, unavailable}`). The
//! summary line holds `kind` (`"summary"`), `exchanges`, and `shadow`: per operation, how many
//! answers agreed, differed, or could not be compared.
//!
//! `--redact NAME` replaces the value of every parameter or field of that name (either version's
//! wire name, or a field's script name, in any case) with `[redacted]`, in the parsed values and
//! inside both envelopes. Credentials are never written: no header is recorded, and neither is the
//! upstream's URL.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::compare::{Comparison, Difference, Observed};
use super::exchange::{Answer, Exchange};
use crate::api::{ApiVersion, Operation, Param, Request, Response, ResultField};

pub use super::record_file::Recorder;

/// What a redacted value becomes.
pub const REDACTED: &str = "[redacted]";

/// A recorded fault.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordedFault {
    /// faultcode, as sent (`a:ActionNotSupported`).
    pub code: String,
    /// faultstring.
    pub string: String,
}

/// The shadow's verdict on one exchange.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShadowRecord {
    /// Whether the two answers agreed.
    pub agree: bool,
    /// How they differed (the upstream's side is `expected`).
    #[serde(default)]
    pub differences: Vec<Difference>,
    /// Why the shadow's answer could not be compared, when it could not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unavailable: Option<String>,
}

/// One exchange line of a record file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Record {
    /// `"exchange"`.
    pub kind: String,
    /// When the request arrived (RFC 3339, UTC).
    pub time: String,
    /// The client's address.
    pub client: String,
    /// The operation, when the request named one.
    pub operation: Option<String>,
    /// The SOAPAction header, unquoted.
    pub action: Option<String>,
    /// The parameters read, by their 7.1 wire names.
    #[serde(default)]
    pub parameters: BTreeMap<String, String>,
    /// The HTTP status the client got; `None` when its connection was dropped.
    pub status: Option<u16>,
    /// `answered`, `fault`, `http`, `dropped`, `timeout` or `unreachable`.
    pub outcome: String,
    /// responseCode.
    pub code: Option<u16>,
    /// responseMessage.
    pub message: Option<String>,
    /// The answer's extra fields by wire name.
    #[serde(default)]
    pub fields: BTreeMap<String, String>,
    /// The fault, when the answer was one.
    #[serde(default)]
    pub fault: Option<RecordedFault>,
    /// Milliseconds from the request's arrival to its answer.
    pub elapsed_ms: f64,
    /// The wire notes.
    #[serde(default)]
    pub notes: Vec<String>,
    /// Whether the proxy answered itself (`--fault`).
    #[serde(default)]
    pub injected: bool,
    /// The request envelope.
    pub request: String,
    /// The response body, when there was one.
    pub response: Option<String>,
    /// The shadow's verdict, under `--shadow`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shadow: Option<ShadowRecord>,
}

impl Record {
    /// The record of an exchange, with `redact`'s values withheld.
    pub fn of(e: &Exchange, redact: &Redaction) -> Record {
        let parameters = e
            .request
            .as_ref()
            .map(|r| {
                r.op()
                    .params(ApiVersion::V7_1)
                    .iter()
                    .map(|p| {
                        let name = p.wire_name(ApiVersion::V7_1);
                        (name.to_string(), redact.value(name, r.get(*p)))
                    })
                    .collect()
            })
            .unwrap_or_default();
        let (code, message, fields) = match &e.answer {
            Answer::Response(r) => (
                Some(r.code),
                Some(r.message.to_string()),
                r.fields()
                    .into_iter()
                    .map(|(f, v)| (f.wire_name().to_string(), redact.value(f.wire_name(), &v)))
                    .collect(),
            ),
            _ => (None, None, BTreeMap::new()),
        };
        let fault = match &e.answer {
            Answer::Fault(f) => Some(RecordedFault {
                code: f.code(),
                string: f.string.clone(),
            }),
            _ => None,
        };
        let shadow = e.shadow.as_ref().map(|c| match c {
            Comparison::Agree => ShadowRecord {
                agree: true,
                differences: Vec::new(),
                unavailable: None,
            },
            Comparison::Differ(d) => ShadowRecord {
                agree: false,
                differences: d
                    .iter()
                    .map(|d| {
                        let mut d = d.clone();
                        if redact.covers(&d.what) {
                            d.expected = REDACTED.to_string();
                            d.actual = REDACTED.to_string();
                        }
                        d
                    })
                    .collect(),
                unavailable: None,
            },
            Comparison::Unavailable(why) => ShadowRecord {
                agree: false,
                differences: Vec::new(),
                unavailable: Some(why.clone()),
            },
        });
        Record {
            kind: "exchange".to_string(),
            time: e.time.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            client: e.client.to_string(),
            operation: e.op().map(|op| op.name().to_string()),
            action: e.action.clone(),
            parameters,
            status: e.status,
            outcome: e.answer.kind().to_string(),
            code,
            message,
            fields,
            fault,
            elapsed_ms: (e.elapsed.as_secs_f64() * 1_000_000.0).round() / 1000.0,
            notes: e.notes.iter().map(|n| n.render(code)).collect(),
            injected: e.injected,
            request: redact.envelope(&e.request_body),
            response: e.response_body.as_deref().map(|b| redact.envelope(b)),
            shadow,
        }
    }

    /// The operation recorded, when it is one of the API's.
    pub fn op(&self) -> Option<Operation> {
        self.operation.as_deref().and_then(Operation::from_name)
    }

    /// The request again, from the recorded parameters; `None` when it named no operation.
    pub fn to_request(&self) -> Option<Request> {
        let mut request = Request::new(self.op()?);
        for (name, value) in &self.parameters {
            let _ = request.set_by_name(name, value);
        }
        Some(request)
    }

    /// The recorded answer as comparisons see it: only a SOAP answer with a code. `None` when the
    /// client got none (dropped, timed out, unreachable), when the proxy made it up (`--fault`),
    /// and for a fault or HTTP error answered to a request the service had read (the request
    /// reader refuses every request a WCF service refuses, and those name no operation): such a
    /// failure came from inside the server (an `InternalServiceFault`, an error page), not from the
    /// request, so another backend is not expected to repeat it.
    pub fn observed(&self) -> Option<Observed> {
        if self.injected {
            return None;
        }
        match self.outcome.as_str() {
            "answered" => {
                let op = self.op()?;
                let mut r = Response::raw(op, self.code?, self.message.clone().unwrap_or_default());
                for field in op.result_fields() {
                    if let Some(v) = self.fields.get(field.wire_name()) {
                        r.set_field(*field, v);
                    }
                }
                Some(Observed::Response(r))
            }
            _ => None,
        }
    }
}

/// A record file read back: its exchange records, in order (summary lines are skipped), and the
/// warning when its last line was cut short and left out ([`super::record_file::read_lines`]).
#[derive(Debug, Default)]
pub struct Recording {
    /// The exchange records.
    pub records: Vec<Record>,
    /// What was left out, when the last line was cut short.
    pub warning: Option<String>,
}

/// Reads a record file up to its last whole line. A line that is not a record is an error naming
/// the file and line.
pub fn read(path: &Path) -> Result<Recording, String> {
    let lines = super::record_file::read_lines(path)?;
    let mut records = Vec::new();
    for (n, value) in lines.lines {
        let at = || format!("{}:{n}", path.display());
        match value.get("kind").and_then(|k| k.as_str()) {
            Some("exchange") => records.push(
                serde_json::from_value(value)
                    .map_err(|e| format!("{}: not an exchange record: {e}", at()))?,
            ),
            Some(_) => {}
            None => return Err(format!("{}: a record without a `kind`", at())),
        }
    }
    Ok(Recording {
        records,
        warning: lines.warning,
    })
}

/// The names whose values `--redact` withholds.
#[derive(Debug, Clone, Default)]
pub struct Redaction {
    names: Vec<String>,
}

impl Redaction {
    /// From `--redact` names: a parameter's name in either version stands for both (`User` and
    /// `userName`), and a field's script name for its wire name (`value` for `fieldValue`).
    pub fn new(names: &[String]) -> Redaction {
        let mut out: Vec<String> = Vec::new();
        for name in names {
            let name = name.trim();
            if name.is_empty() {
                continue;
            }
            out.push(name.to_string());
            if let Some(p) = Param::from_wire_name(name) {
                for v in ApiVersion::ALL {
                    out.push(p.wire_name(v).to_string());
                }
            }
            for f in ALL_FIELDS {
                if f.script_name().eq_ignore_ascii_case(name) {
                    out.push(f.wire_name().to_string());
                }
            }
        }
        out.sort_unstable_by_key(|n| n.to_ascii_lowercase());
        out.dedup_by(|a, b| a.eq_ignore_ascii_case(b));
        Redaction { names: out }
    }

    /// Whether values of this name are withheld.
    pub fn covers(&self, name: &str) -> bool {
        self.names.iter().any(|n| n.eq_ignore_ascii_case(name))
    }

    /// The value to record for a parameter or field of this name.
    pub fn value(&self, name: &str, value: &str) -> String {
        if self.covers(name) {
            REDACTED.to_string()
        } else {
            value.to_string()
        }
    }

    /// An envelope with the values withheld; one that cannot be read is withheld whole.
    pub fn envelope(&self, xml: &str) -> String {
        if self.names.is_empty() {
            return xml.to_string();
        }
        crate::soap::redact_elements(xml, &self.names, REDACTED).unwrap_or_else(|| {
            "[withheld: the envelope could not be read to redact it]".to_string()
        })
    }
}

const ALL_FIELDS: [ResultField; 6] = [
    ResultField::Port,
    ResultField::Unit,
    ResultField::Url,
    ResultField::FieldValue,
    ResultField::PortStatus,
    ResultField::StateDuration,
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redaction_covers_both_versions_names_and_script_names() {
        let r = Redaction::new(&["user".into(), "value".into()]);
        assert!(r.covers("User"));
        assert!(r.covers("userName"));
        assert!(r.covers("fieldValue"));
        assert!(!r.covers("Unit"));
        assert_eq!(r.value("USERNAME", "jsmith"), REDACTED);
        assert_eq!(r.value("Unit", "1"), "1");
    }
}
