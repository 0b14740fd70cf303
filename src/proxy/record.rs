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
use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::compare::{Comparison, Difference, Observed};
use super::exchange::{Answer, Exchange};
use crate::api::{ApiVersion, Operation, Param, Request, Response, ResultField};

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
    /// What the audit found in this exchange when it was recorded (`crate::audit`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub findings: Vec<crate::audit::Finding>,
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
            findings: Vec::new(),
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

impl Record {
    /// The record with every card number the audit found masked (parameters, fields and both
    /// envelopes), and the findings beside it, so that the record never holds a card number in
    /// clear and `ecapi audit` still knows it was there.
    pub fn with_findings(mut self, findings: &[crate::audit::Finding]) -> Record {
        use crate::audit::{card, RuleId};
        if findings.iter().any(|f| f.rule == RuleId::CardData) {
            let mask = |v: &mut String| {
                if let std::borrow::Cow::Owned(m) = card::mask(v) {
                    *v = m;
                }
            };
            self.parameters.values_mut().for_each(mask);
            self.fields.values_mut().for_each(mask);
            mask(&mut self.request);
            if let Some(r) = &mut self.response {
                mask(r);
            }
        }
        self.findings = findings.to_vec();
        self
    }

    /// The record as the audit and every other view read it ([`crate::exchange::Exchange`]),
    /// numbered `seq`; an error when its `time` is not RFC 3339. The notes are kept as text, so
    /// none is known to be harmless.
    pub fn to_exchange(&self, seq: u64) -> Result<crate::exchange::Exchange, String> {
        use crate::exchange::{Exchange, FailureKind, Note, Outcome};
        let sent = DateTime::parse_from_rfc3339(&self.time)
            .map_err(|e| format!("`time` {:?} is not RFC 3339: {e}", self.time))?
            .with_timezone(&Utc);
        let outcome = match (self.outcome.as_str(), self.op(), self.code) {
            ("answered", Some(op), Some(code)) => {
                let mut r = Response::raw(op, code, self.message.clone().unwrap_or_default());
                for field in op.result_fields() {
                    if let Some(v) = self.fields.get(field.wire_name()) {
                        r.set_field(*field, v);
                    }
                }
                Outcome::Answered(r)
            }
            (word, _, _) => Outcome::Failed {
                kind: FailureKind::from_word(word).unwrap_or(FailureKind::Dropped),
                detail: match (&self.fault, self.status) {
                    (Some(f), _) => format!("fault {}: {}", f.code, f.string),
                    (None, Some(status)) => format!("{word} (HTTP {status})"),
                    (None, None) => word.to_string(),
                },
            },
        };
        // A client whose connection was dropped got no answer; any other got one when the
        // proxy was done.
        let elapsed = chrono::Duration::microseconds((self.elapsed_ms * 1000.0) as i64);
        Ok(Exchange {
            seq,
            sent,
            answered: self.status.map(|_| sent + elapsed),
            client: Some(self.client.as_str().into()),
            request: self.to_request(),
            outcome,
            notes: self.notes.iter().map(Note::new).collect(),
        })
    }
}

/// Reads a record file: its exchange lines, in order (summary lines are skipped). A line that is not
/// a record is an error naming the file and line.
pub fn read(path: &Path) -> Result<Vec<Record>, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let mut records = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let at = || format!("{}:{}", path.display(), i + 1);
        let value: serde_json::Value =
            serde_json::from_str(line).map_err(|e| format!("{}: not a JSON line: {e}", at()))?;
        match value.get("kind").and_then(|k| k.as_str()) {
            Some("exchange") => records.push(
                serde_json::from_value(value)
                    .map_err(|e| format!("{}: not an exchange record: {e}", at()))?,
            ),
            Some(_) => {}
            None => return Err(format!("{}: a record without a `kind`", at())),
        }
    }
    Ok(records)
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

/// A record file being written.
#[derive(Debug)]
pub struct Recorder {
    path: PathBuf,
    file: Mutex<File>,
}

impl Recorder {
    /// Creates (or truncates) the file.
    pub fn create(path: &Path) -> std::io::Result<Recorder> {
        Ok(Recorder {
            path: path.to_path_buf(),
            file: Mutex::new(File::create(path)?),
        })
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Appends one line and hands it to the operating system at once (one `write` per line, so
    /// lines from concurrent exchanges never interleave).
    pub fn write<T: Serialize>(&self, value: &T) -> std::io::Result<()> {
        let mut line = serde_json::to_vec(value).map_err(std::io::Error::other)?;
        line.push(b'\n');
        let mut file = self.file.lock().unwrap_or_else(|p| p.into_inner());
        file.write_all(&line)?;
        file.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_record_line_reads_as_an_exchange_with_its_times_answer_and_notes() {
        let line = r#"{"kind":"exchange","time":"2026-12-07T10:00:00.000Z","client":"127.0.0.1:5000","operation":"StopRecording","action":null,"parameters":{"Unit":"1","Port":"5"},"status":200,"outcome":"answered","code":608,"message":"Warning: Port was not recording","elapsed_ms":2.5,"notes":["a note"],"request":""}"#;
        let r: Record = serde_json::from_str(line).unwrap();
        let ex = r.to_exchange(7).unwrap();
        assert_eq!(ex.seq, 7);
        assert_eq!(ex.code(), Some(608));
        assert_eq!((ex.ended() - ex.sent).num_microseconds(), Some(2500));
        assert_eq!(ex.request.unwrap().get(Param::Port), "5");
        assert_eq!(ex.notes[0].text, "a note");
        let dropped = line
            .replace(r#""status":200"#, r#""status":null"#)
            .replace(r#""outcome":"answered""#, r#""outcome":"dropped""#);
        let r: Record = serde_json::from_str(&dropped).unwrap();
        let ex = r.to_exchange(1).unwrap();
        assert_eq!(ex.failure(), Some(crate::exchange::FailureKind::Dropped));
        assert_eq!(ex.answered, None);
    }

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
