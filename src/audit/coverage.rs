//! Coverage of a CRM's error handling: which response codes each operation was answered with, and
//! which failures below the Web API (faults, HTTP errors, dropped connections, time-outs) it met,
//! so a QA lead sees what the CRM has never been shown.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde_json::json;

use crate::api::{Operation, ResponseCode};
use crate::exchange::{Exchange, FailureKind, Outcome};

/// Counts of answers by operation and code, and of failures by kind.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Coverage {
    /// (operation, code) → how many answers.
    pub codes: BTreeMap<(Operation, u16), u64>,
    /// failure kind → how many exchanges.
    pub failures: BTreeMap<FailureKind, u64>,
    /// How many exchanges in all.
    pub exchanges: u64,
}

impl Coverage {
    /// Counts one exchange.
    pub fn count(&mut self, ex: &Exchange) {
        self.exchanges += 1;
        match &ex.outcome {
            // Looked up before inserting: a code seen before (nearly every exchange) is found
            // without the entry's bookkeeping.
            Outcome::Answered(r) => match self.codes.get_mut(&(r.op, r.code)) {
                Some(n) => *n += 1,
                None => {
                    self.codes.insert((r.op, r.code), 1);
                }
            },
            Outcome::Failed { kind, .. } => *self.failures.entry(*kind).or_default() += 1,
        }
    }

    /// The codes answered, ascending.
    pub fn codes_seen(&self) -> Vec<u16> {
        let mut codes: Vec<u16> = self.codes.keys().map(|(_, c)| *c).collect();
        codes.sort_unstable();
        codes.dedup();
        codes
    }

    /// The guide's codes never answered to any request, ascending.
    pub fn codes_never_seen(&self) -> Vec<u16> {
        let seen = self.codes_seen();
        let mut out: Vec<u16> = ResponseCode::ALL
            .iter()
            .map(|c| c.code())
            .filter(|c| !seen.contains(c))
            .collect();
        out.sort_unstable();
        out
    }

    /// The operations answered, in the guide's order.
    pub fn operations(&self) -> Vec<Operation> {
        Operation::ALL
            .into_iter()
            .filter(|op| self.codes.keys().any(|(o, _)| o == op))
            .collect()
    }

    /// The matrix as text: a row per operation, a column per code seen, then the failures met and
    /// the codes never seen.
    pub fn text(&self) -> String {
        let codes = self.codes_seen();
        let mut out = String::new();
        let _ = write!(out, "{:16}", "operation");
        for c in &codes {
            let _ = write!(out, " {c:>6}");
        }
        out.push('\n');
        for op in self.operations() {
            let _ = write!(out, "{:16}", op.name());
            for c in &codes {
                match self.codes.get(&(op, *c)) {
                    Some(n) => {
                        let _ = write!(out, " {n:>6}");
                    }
                    None => {
                        let _ = write!(out, " {:>6}", "-");
                    }
                }
            }
            out.push('\n');
        }
        let met: Vec<String> = FailureKind::ALL
            .iter()
            .filter_map(|k| self.failures.get(k).map(|n| format!("{} {n}", k.word())))
            .collect();
        let never: Vec<&str> = FailureKind::ALL
            .iter()
            .filter(|k| **k != FailureKind::Transport && !self.failures.contains_key(k))
            .map(|k| k.word())
            .collect();
        let _ = writeln!(
            out,
            "wire faults met: {}",
            if met.is_empty() {
                "none".to_string()
            } else {
                met.join(", ")
            }
        );
        let _ = writeln!(out, "wire faults never met: {}", never.join(", "));
        let never: Vec<String> = self.codes_never_seen().iter().map(u16::to_string).collect();
        let _ = writeln!(out, "codes never answered: {}", never.join(", "));
        out
    }

    /// The matrix as JSON: `{exchanges, codes: {op: {code: n}}, failures: {kind: n},
    /// never_answered: [code]}`.
    pub fn json(&self) -> serde_json::Value {
        let mut codes = serde_json::Map::new();
        for ((op, code), n) in &self.codes {
            let row = codes
                .entry(op.name())
                .or_insert_with(|| serde_json::Value::Object(Default::default()));
            row[code.to_string()] = json!(n);
        }
        let failures: serde_json::Map<String, serde_json::Value> = self
            .failures
            .iter()
            .map(|(k, n)| (k.word().to_string(), json!(n)))
            .collect();
        json!({
            "exchanges": self.exchanges,
            "codes": codes,
            "failures": failures,
            "never_answered": self.codes_never_seen(),
        })
    }
}
