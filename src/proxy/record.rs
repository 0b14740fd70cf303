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
//! `reason` is the upstream's reason for a non-100 code (`x-ecapi-reason`, from an `ecapi serve`),
//! `body_operation` the operation the body names when the SOAPAction names none, and `redacted`
//! maps each parameter or field whose value was withheld to the `--redact` name that withheld it.
//!
//! The record is made from the exchange after `--redact` has withheld its values
//! ([`super::redact`]): a withheld value is `[redacted]` in the parsed values and inside both
//! envelopes, an empty one stays empty. Credentials are never written: no header is recorded, and
//! neither is the upstream's URL.

use std::collections::BTreeMap;
use std::path::Path;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::compare::{Comparison, Difference, Observed};
use super::exchange::{Answer, Exchange};
use crate::api::{ApiVersion, Operation, Request, Response};

pub use super::record_file::Recorder;
pub use super::redact::REDACTED;

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
    /// Those of `notes` that change nothing (a header WCF ignores just as ecapi did), so that the
    /// audit of the record does not count them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub harmless_notes: Vec<String>,
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
    /// The upstream's reason for a non-100 code (`x-ecapi-reason`), when it gave one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The operation the body names, when the request was not read (no or another SOAPAction).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body_operation: Option<String>,
    /// The parameters and fields whose values were withheld (wire name), each with the
    /// `--redact` name that withheld it.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub redacted: BTreeMap<String, String>,
    /// What the audit found in this exchange when it was recorded (`crate::audit`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub findings: Vec<crate::audit::Finding>,
}

impl Record {
    /// The record of an exchange (whose values `--redact` has withheld already).
    pub fn of(e: &Exchange) -> Record {
        let parameters = e
            .request
            .as_ref()
            .map(|r| {
                r.op()
                    .params(ApiVersion::V7_1)
                    .iter()
                    .map(|p| {
                        (
                            p.wire_name(ApiVersion::V7_1).to_string(),
                            r.get(*p).to_string(),
                        )
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
                    .map(|(f, v)| (f.wire_name().to_string(), v.into_owned()))
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
                differences: d.clone(),
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
            notes: e.notes_text(),
            harmless_notes: e.harmless_notes_text(),
            injected: e.injected,
            request: e.request_body.clone(),
            response: e.response_body.clone(),
            shadow,
            reason: e.reason.clone(),
            body_operation: e.request.is_none().then(|| e.body_op.clone()).flatten(),
            redacted: e.redacted.clone(),
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
    /// The record with every card number masked (parameters, fields and both envelopes, the
    /// request's and the answer's), and the findings beside it, so that the record never holds a
    /// card number in clear and `ecapi audit` still knows it was there.
    pub fn with_findings(mut self, findings: &[crate::audit::Finding]) -> Record {
        use crate::audit::card;
        // Every card number, in the request or in the answer (a GetField reading one back).
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
        self.findings = findings.to_vec();
        self
    }

    /// The record as the audit and every other view read it ([`crate::exchange::Exchange`]),
    /// numbered `seq`; an error when its `time` is not RFC 3339. A note is harmless when the record
    /// says so (`harmless_notes`; a record of an older proxy says so of none).
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
            notes: self
                .notes
                .iter()
                .map(|text| Note {
                    harmless: self.harmless_notes.contains(text),
                    text: text.clone(),
                })
                .collect(),
        })
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::Param;

    #[test]
    fn a_record_of_an_older_proxy_reads_without_the_new_fields() {
        let line = r#"{"kind":"exchange","time":"t","client":"c","operation":"PortStatus",
            "action":null,"status":200,"outcome":"answered","code":100,"message":"m",
            "elapsed_ms":1.0,"request":"<x/>","response":null}"#
            .replace('\n', "");
        let r: Record = serde_json::from_str(&line).unwrap();
        assert!(r.redacted.is_empty());
        assert_eq!(r.reason, None);
    }

    #[test]
    fn a_card_number_read_back_in_an_answer_is_masked_with_no_finding_about_it() {
        let line = r#"{"kind":"exchange","time":"2026-12-07T10:00:00.000Z","client":"c","operation":"GetField","action":null,"parameters":{"Unit":"1","Port":"5","fieldName":"fldCampaign"},"status":200,"outcome":"answered","code":100,"message":"m","fields":{"fieldValue":"4111111111111111"},"elapsed_ms":1.0,"request":"","response":"<a:fieldValue>4111111111111111</a:fieldValue>"}"#;
        let r: Record = serde_json::from_str(line).unwrap();
        let r = r.with_findings(&[]);
        assert_eq!(r.fields["fieldValue"], "411111******1111");
        assert!(!r.response.unwrap().contains("4111111111111111"));
    }

    #[test]
    fn a_note_the_record_marks_harmless_reads_back_harmless_and_no_other() {
        let line = r#"{"kind":"exchange","time":"2026-12-07T10:00:00.000Z","client":"c","operation":"PortStatus","action":null,"parameters":{"Unit":"1","Port":"5"},"status":200,"outcome":"answered","code":100,"message":"m","elapsed_ms":1.0,"notes":["header To arrived without mustUnderstand","Port arrived twice"],"harmless_notes":["header To arrived without mustUnderstand"],"request":""}"#;
        let r: Record = serde_json::from_str(line).unwrap();
        let ex = r.to_exchange(1).unwrap();
        let harmless: Vec<bool> = ex.notes.iter().map(|n| n.harmless).collect();
        assert_eq!(harmless, [true, false]);
    }

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
}
