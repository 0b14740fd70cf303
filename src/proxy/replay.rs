//! `ecapi replay`: a recording's requests sent again, in order, to any backend (the embedded
//! simulator, an `ecapi serve`, a real server), each answer compared with the recorded one
//! ([`super::compare`], volatile fields by form).
//!
//! Units and ports handed out by the recording's Init answers are translated to the ones the
//! backend hands out ([`super::ports`]). What cannot be compared is said, not hidden:
//! - a request that named no operation cannot be sent again (the upstream answered it with a fault
//!   or an HTTP error that only its bytes explain): skipped;
//! - a request the proxy answered itself (`--fault`) never reached the upstream: skipped;
//! - a request whose answer never came (dropped, timed out), or came as a fault or an HTTP error
//!   from inside the server, is sent, since the upstream may have acted on it, but its answer is
//!   not compared (see [`Record::observed`]).
//!
//! A value `--redact` withheld is not known: the request carries the placeholder
//! [`REDACTED`](super::redact::REDACTED) in its place, a withheld answer field is not compared
//! (its presence is), and the report names each such value as redacted.

use std::time::{Duration, Instant};

use super::compare::{compare, Difference, Observed};
use super::ports::PortMap;
use super::record::Record;
use crate::api::{Operation, Param, Request};
use crate::client::{Transport, TransportError};

/// How one recorded exchange replayed.
#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    /// The answer agrees with the recorded one.
    Passed,
    /// The answer differs, in these ways.
    Differs(Vec<Difference>),
    /// Sent but not compared, or not sent: why.
    NotCompared(String),
    /// The backend failed below the Web API where the recording has an answer.
    Failed(String),
}

/// One recorded exchange replayed.
#[derive(Debug, Clone)]
pub struct Replayed {
    /// Its position among the recording's exchanges, from 1.
    pub index: usize,
    /// The operation, when the request named one.
    pub op: Option<Operation>,
    /// The request as sent (units and ports translated); `None` when not sent.
    pub request: Option<Request>,
    /// How it went.
    pub verdict: Verdict,
    /// How long the backend took.
    pub elapsed: Duration,
    /// Parameters sent as the placeholder and answer fields not compared, because `--redact`
    /// withheld their values: wire name and the `--redact` name.
    pub redacted: Vec<(String, String)>,
}

impl Replayed {
    /// One line: position, operation, verdict.
    pub fn line(&self) -> String {
        let mut line = self.verdict_line();
        if !self.redacted.is_empty() {
            let sent = |wire: &str| {
                let param = Param::from_wire_name(wire);
                self.op
                    .zip(param)
                    .is_some_and(|(op, p)| op.params(crate::api::ApiVersion::V7_1).contains(&p))
            };
            let names: Vec<String> = self
                .redacted
                .iter()
                .map(|(wire, by)| {
                    let what = if sent(wire) {
                        format!("{wire} sent as {}", super::redact::REDACTED)
                    } else {
                        format!("{wire} not compared")
                    };
                    format!("{what} (--redact {by})")
                })
                .collect();
            line.push_str(&format!(" [redacted: {}]", names.join(", ")));
        }
        line
    }

    fn verdict_line(&self) -> String {
        let op = self.op.map_or("?", Operation::name);
        match &self.verdict {
            Verdict::Passed => format!("ok      #{} {op}", self.index),
            Verdict::Differs(d) => {
                let d: Vec<String> = d.iter().map(ToString::to_string).collect();
                format!("DIFFERS #{} {op}: {}", self.index, d.join("; "))
            }
            Verdict::NotCompared(why) => format!("skipped #{} {op}: {why}", self.index),
            Verdict::Failed(why) => format!("FAILED  #{} {op}: {why}", self.index),
        }
    }

    /// Whether this one makes the replay fail.
    pub fn is_failure(&self) -> bool {
        matches!(self.verdict, Verdict::Differs(_) | Verdict::Failed(_))
    }
}

/// Sends every recorded request to `backend`, in order, and compares the answers.
pub fn replay(records: &[Record], backend: &mut dyn Transport) -> Vec<Replayed> {
    let mut ports = PortMap::default();
    let mut out = Vec::with_capacity(records.len());
    for (i, record) in records.iter().enumerate() {
        let index = i + 1;
        let op = record.op();
        let redacted: Vec<(String, String)> = record
            .redacted
            .iter()
            .map(|(w, by)| (w.clone(), by.clone()))
            .collect();
        let skip = |why: String| Replayed {
            index,
            op,
            request: None,
            verdict: Verdict::NotCompared(why),
            elapsed: Duration::ZERO,
            redacted: Vec::new(),
        };
        let Some(request) = record.to_request() else {
            out.push(skip(format!(
                "the request named no operation (SOAPAction {}{}); its {} cannot be sent again",
                record
                    .action
                    .as_deref()
                    .map_or("absent".to_string(), |a| format!("'{a}'")),
                record
                    .body_operation
                    .as_deref()
                    .map_or(String::new(), |b| format!(", body {b}")),
                record.outcome
            )));
            continue;
        };
        if record.injected {
            out.push(skip(
                "the proxy answered it itself (--fault); the upstream never saw it".to_string(),
            ));
            continue;
        }
        let request = ports.translate(&request);
        let started = Instant::now();
        let result = backend.call(&request);
        let elapsed = started.elapsed();
        let actual = match result {
            Ok(exchange) => Observed::Response(exchange.response),
            Err(TransportError::Fault { code, .. }) => Observed::Fault(code),
            Err(e) => Observed::NoAnswer(e.to_string()),
        };
        let verdict = match (record.observed(), &actual) {
            (None, _) => Verdict::NotCompared(format!(
                "sent, but the recording has no answer to compare with ({})",
                record.outcome
            )),
            (Some(_), Observed::NoAnswer(why)) => Verdict::Failed(why.clone()),
            (Some(expected), actual) => {
                if let (Observed::Response(e), Observed::Response(a)) = (&expected, actual) {
                    if matches!(e.op, Operation::InitStation | Operation::InitUser) {
                        ports.learn(e, a);
                    }
                }
                let d = compare(&expected, actual);
                if d.is_empty() {
                    Verdict::Passed
                } else {
                    Verdict::Differs(d)
                }
            }
        };
        out.push(Replayed {
            index,
            op,
            request: Some(request),
            verdict,
            elapsed,
            redacted,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client::Embedded;
    use crate::simulator::{Settings, Simulator};
    use std::collections::BTreeMap;

    fn record(op: &str, params: &[(&str, &str)], code: u16, message: &str) -> Record {
        Record {
            kind: "exchange".into(),
            time: "2026-11-30T01:00:00.000Z".into(),
            client: "127.0.0.1:1".into(),
            operation: Some(op.into()),
            action: None,
            parameters: params
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            status: Some(200),
            outcome: "answered".into(),
            code: Some(code),
            message: Some(message.into()),
            fields: BTreeMap::new(),
            fault: None,
            elapsed_ms: 1.0,
            notes: vec![],
            harmless_notes: vec![],
            injected: false,
            request: String::new(),
            response: None,
            shadow: None,
            reason: None,
            body_operation: None,
            redacted: BTreeMap::new(),
            findings: Vec::new(),
        }
    }

    #[test]
    fn a_replay_follows_the_recorded_ports_and_names_each_difference() {
        let ok = "Command executed as expected";
        let mut init = record("InitStation", &[("Extension", "1234")], 100, ok);
        init.fields.insert("Port".into(), "40".into());
        init.fields.insert("Unit".into(), "1".into());
        let start = record("StartRecording", &[("Unit", "1"), ("Port", "40")], 100, ok);
        let stop = record(
            "StopRecording",
            &[("Unit", "1"), ("Port", "40")],
            608,
            "Warning: Port was not recording",
        );
        let mut sim = Embedded::new(Simulator::hosted(Settings::default()));
        let results = replay(&[init, start, stop], &mut sim);
        assert_eq!(results[0].verdict, Verdict::Passed, "{results:?}");
        assert_eq!(results[1].verdict, Verdict::Passed);
        // The simulator's port was recording, so its Stop answers 100 where the recording has 608.
        assert_eq!(
            results[2].line(),
            "DIFFERS #3 StopRecording: code 608 against 100; message \"Warning: Port was not \
             recording\" against \"Command executed as expected\""
        );
        assert!(results[2].is_failure());
        assert_eq!(
            results[1]
                .request
                .as_ref()
                .unwrap()
                .get(crate::api::Param::Port),
            "1"
        );
    }
}
