//! Findings as values, and the one function for each way they are said: [`Finding::text`] (a log
//! line, the proxy's line, the text summary) and [`Finding::json`] (the journal, the record, the
//! JSON report, `sim_findings()`). Every value a finding shows passed through the card-data mask.

use std::fmt::Write as _;

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};

use super::card;
use super::rule::{Rule, RuleId, Severity};
use crate::api::{ApiVersion, Request};
use crate::exchange::{Exchange, Outcome};

/// An exchange as a finding names it: its number, when it was sent, and one line saying it
/// (operation, parameters, answer), card numbers masked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Seen {
    /// The exchange's number in its source.
    pub seq: u64,
    /// When it was sent (RFC 3339, UTC, milliseconds).
    pub time: String,
    /// `PauseRecording Unit=1 Port=1 -> 100 Command executed as expected`.
    pub line: String,
}

impl Seen {
    /// The exchange, said in one line.
    pub fn of(ex: &Exchange) -> Seen {
        Seen {
            seq: ex.seq,
            time: stamp(ex.sent),
            line: summary(ex),
        }
    }
}

/// A time as findings write it.
pub(crate) fn stamp(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// The request's non-empty parameters by 7.1 wire name, card numbers masked.
pub fn params_line(request: &Request) -> String {
    let mut out = String::new();
    for (p, v) in request.params(ApiVersion::V7_1) {
        if v.is_empty() {
            continue;
        }
        if !out.is_empty() {
            out.push(' ');
        }
        let _ = write!(out, "{}={}", p.wire_name(ApiVersion::V7_1), card::mask(v));
    }
    out
}

/// `Operation params -> code message`, or what happened instead.
fn summary(ex: &Exchange) -> String {
    let mut line = match &ex.request {
        Some(r) => {
            let params = params_line(r);
            if params.is_empty() {
                r.op().name().to_string()
            } else {
                format!("{} {params}", r.op().name())
            }
        }
        None => "(no operation)".to_string(),
    };
    match &ex.outcome {
        Outcome::Answered(r) => {
            let _ = write!(line, " -> {} {}", r.code, r.message);
        }
        Outcome::Failed { kind, detail } => {
            let _ = write!(line, " -> {}: {}", kind.word(), card::mask(detail));
        }
    }
    line
}

/// A rule broken: which, when, where, what happened, and the exchanges that show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    /// The rule.
    pub rule: RuleId,
    /// The rule's severity.
    pub severity: Severity,
    /// When it happened (the last exchange's time; RFC 3339, UTC).
    pub time: String,
    /// The unit and port concerned (`1/5`), when there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port: Option<String>,
    /// The client concerned, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client: Option<String>,
    /// What happened, in words, card numbers masked.
    pub message: String,
    /// The exchanges that show it, oldest first.
    pub exchanges: Vec<Seen>,
}

impl Finding {
    /// A finding of `rule` at the time of the last of `seen`.
    pub fn new(rule: RuleId, message: String, seen: Vec<Seen>) -> Finding {
        Finding {
            rule,
            severity: rule.rule().severity,
            time: seen.last().map(|s| s.time.clone()).unwrap_or_default(),
            port: None,
            client: None,
            message,
            exchanges: seen,
        }
    }

    /// The finding with its port.
    pub fn at_port(mut self, port: Option<String>) -> Finding {
        self.port = port;
        self
    }

    /// The finding with its client.
    pub fn from_client(mut self, client: Option<&str>) -> Finding {
        self.client = client.map(str::to_string);
        self
    }

    /// The rule's catalogue entry.
    pub fn catalogue(&self) -> &'static Rule {
        self.rule.rule()
    }

    /// One line: `error[card-data] port 1/1: what happened (#3, #4)`.
    pub fn line(&self) -> String {
        let mut out = format!("{}[{}]", self.severity, self.rule);
        if let Some(p) = &self.port {
            let _ = write!(out, " port {p}");
        }
        if let Some(c) = &self.client {
            let _ = write!(out, " client {c}");
        }
        let _ = write!(out, ": {}", self.message);
        // Number 0 is no exchange of the Web API (a player page opened).
        if self.exchanges.iter().any(|s| s.seq > 0) {
            let seqs: Vec<String> = self
                .exchanges
                .iter()
                .filter(|s| s.seq > 0)
                .map(|s| format!("#{}", s.seq))
                .collect();
            let _ = write!(out, " ({})", seqs.join(", "));
        }
        out
    }

    /// The finding in full, for a person: its line, each exchange, the guide's words and what to
    /// change.
    pub fn text(&self) -> String {
        let rule = self.catalogue();
        let mut out = format!("{}  {}\n", self.time, self.line());
        for s in &self.exchanges {
            match s.seq {
                0 => writeln!(out, "    {}  {}", s.time, s.line),
                seq => writeln!(out, "    #{seq} {}  {}", s.time, s.line),
            }
            .expect("writing to a String");
        }
        let _ = writeln!(out, "    = {}: \"{}\"", rule.source, rule.quote);
        let _ = writeln!(out, "    = help: {}", rule.advice);
        out
    }

    /// The finding as JSON: the fields above plus the rule's `source`, `quote` and `advice`.
    pub fn json(&self) -> serde_json::Value {
        let rule = self.catalogue();
        let mut v = serde_json::to_value(self).expect("a finding serializes");
        if let Some(map) = v.as_object_mut() {
            map.insert("source".into(), rule.source.into());
            map.insert("quote".into(), rule.quote.into());
            map.insert("advice".into(), rule.advice.into());
        }
        v
    }
}
