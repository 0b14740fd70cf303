//! The journal: every request the simulator answered, with the reason for each non-100 answer, so a
//! user can see why a request failed although the wire message is fixed text.

use std::borrow::Cow;
use std::collections::VecDeque;

use chrono::NaiveDateTime;
use serde::Serialize;

use crate::api::{ApiVersion, Operation, Request};

/// How many entries the journal keeps; older ones are dropped (their count stays in `seq`).
pub const JOURNAL_CAPACITY: usize = 10_000;

/// The most text, in bytes, the entries kept may hold in all (values, message and reason, plus a
/// fixed cost per entry): 8 MiB. Requests with long values drop older entries sooner.
pub const JOURNAL_BYTES: usize = 8 * 1024 * 1024;

/// The fixed cost counted per entry for what surrounds its text.
const ENTRY_COST: usize = 200;

/// One request and its answer.
#[derive(Debug, Clone, Serialize)]
pub struct JournalEntry {
    /// 1 for the first request since the simulator started or was reset.
    pub seq: u64,
    /// The simulator's time when it answered.
    #[serde(serialize_with = "super::store::iso")]
    pub time: NaiveDateTime,
    /// The operation's wire name.
    pub op: &'static str,
    /// The request, kept whole (its values are inline); serialized as its non-empty parameters.
    #[serde(rename = "params", serialize_with = "params")]
    pub request: Request,
    /// responseCode.
    pub code: u16,
    /// responseMessage.
    pub message: Cow<'static, str>,
    /// The request reader's notes (`wire.md`: what a WCF service did that a kinder reader would
    /// not have), then why the answer is not 100; empty when there is neither.
    pub reason: String,
    /// The request reader's notes alone, each in words.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    /// What the audit found in this exchange (`crate::audit`), card numbers masked.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub findings: Vec<crate::audit::Finding>,
}

impl JournalEntry {
    /// The non-empty parameters, by 7.1 wire name.
    pub fn params(&self) -> Vec<(&'static str, &str)> {
        non_empty(&self.request)
    }
}

fn non_empty(request: &Request) -> Vec<(&'static str, &str)> {
    request
        .params(ApiVersion::V7_1)
        .filter(|(_, v)| !v.is_empty())
        .map(|(p, v)| (p.wire_name(ApiVersion::V7_1), v))
        .collect()
}

/// The parameters as the journal shows them: a card number found in a value is masked
/// (`crate::audit::card`), as everywhere ecapi prints one.
fn params<S: serde::Serializer>(request: &Request, s: S) -> Result<S::Ok, S::Error> {
    s.collect_seq(
        non_empty(request)
            .into_iter()
            .map(|(name, value)| (name, crate::audit::card::mask(value))),
    )
}

impl JournalEntry {
    /// What the entry costs in memory, roughly.
    fn weight(&self) -> usize {
        ENTRY_COST
            + self.request.values_len()
            + self.message.len()
            + self.reason.len()
            + self.notes.iter().map(String::len).sum::<usize>()
            + self
                .findings
                .iter()
                .map(|f| f.message.len() + ENTRY_COST)
                .sum::<usize>()
    }
}

/// The request as the journal keeps it: whole, unless a value is longer than the reader quota
/// (`wire.md`: WCF's `maxStringContentLength`, 8,192 characters unless configured), which only a
/// request refused for that can hold; such values are cut to the quota.
fn kept(request: &Request, quota: usize) -> Request {
    if !over(request, quota) {
        return request.clone();
    }
    cut(request, quota)
}

/// [`kept`], written over `into` in place.
fn keep_into(into: &mut Request, request: &Request, quota: usize) {
    if over(request, quota) {
        *into = cut(request, quota);
    } else {
        into.clone_from(request);
    }
}

/// Whether a value of the request is longer than the quota.
fn over(request: &Request, quota: usize) -> bool {
    // No value can be over the quota when all of them together are not.
    request.values_len() > quota
        && request
            .params(ApiVersion::V7_1)
            .any(|(_, v)| v.len() > quota)
}

/// The request with each value cut to the quota.
fn cut(request: &Request, quota: usize) -> Request {
    let mut cut = Request::new(request.op());
    for (p, v) in request.params(ApiVersion::V7_1) {
        let end = v.char_indices().nth(quota).map_or(v.len(), |(i, _)| i);
        cut.set(p, &v[..end]);
    }
    cut
}

/// A bounded log of the most recent exchanges: at most [`JOURNAL_CAPACITY`] entries within
/// [`JOURNAL_BYTES`].
///
/// Each entry is boxed so that a full journal (the usual state of a long run) records a request
/// by writing over its oldest entry in place and moving that pointer to the back, instead of
/// building a new entry and moving it in while the oldest is moved out and dropped.
#[derive(Debug)]
pub struct Journal {
    entries: VecDeque<Box<JournalEntry>>,
    seq: u64,
    weight: usize,
    /// The longest value kept, in characters: the simulator's string quota.
    quota: usize,
}

impl Default for Journal {
    fn default() -> Self {
        Journal {
            entries: VecDeque::new(),
            seq: 0,
            weight: 0,
            quota: crate::api::MAX_STRING_CHARS,
        }
    }
}

impl Journal {
    /// Sets the longest value kept, in characters (the simulator's string quota).
    pub fn set_quota(&mut self, quota: usize) {
        self.quota = quota;
    }

    /// Records an answer.
    pub fn record(
        &mut self,
        time: NaiveDateTime,
        request: &Request,
        code: u16,
        message: Cow<'static, str>,
        reason: String,
    ) {
        self.seq += 1;
        let entry = if self.entries.len() >= JOURNAL_CAPACITY {
            // Full: the oldest entry is written over, in place.
            let mut oldest = self.entries.pop_front().expect("a full journal");
            self.weight -= oldest.weight();
            let entry = &mut *oldest;
            entry.seq = self.seq;
            entry.time = time;
            entry.op = Operation::name(request.op());
            keep_into(&mut entry.request, request, self.quota);
            entry.code = code;
            entry.message = message;
            entry.reason = reason;
            entry.notes.clear();
            entry.findings.clear();
            oldest
        } else {
            Box::new(JournalEntry {
                seq: self.seq,
                time,
                op: Operation::name(request.op()),
                request: kept(request, self.quota),
                code,
                message,
                reason,
                notes: Vec::new(),
                findings: Vec::new(),
            })
        };
        self.weight += entry.weight();
        self.entries.push_back(entry);
        while self.entries.len() > JOURNAL_CAPACITY
            || (self.weight > JOURNAL_BYTES && self.entries.len() > 1)
        {
            if let Some(old) = self.entries.pop_front() {
                self.weight -= old.weight();
            }
        }
    }

    /// Puts a note (what the request reader did, in words) before the most recent entry's
    /// reason: it is usually the cause of that reason.
    pub fn note_last(&mut self, note: &str) {
        if let Some(last) = self.entries.back_mut() {
            // The entry's weight is counted in the total: take it out and put it back grown.
            self.weight -= last.weight();
            last.notes.push(note.to_string());
            if last.reason.is_empty() {
                last.reason = note.to_string();
            } else {
                last.reason = format!("{note}; {}", last.reason);
            }
            self.weight += last.weight();
        }
    }

    /// Attaches an audit finding to the entry numbered `seq`, when it is still kept.
    pub fn attach(&mut self, seq: u64, finding: crate::audit::Finding) {
        // The entry is usually the last one, or close to it.
        if let Some(e) = self.entries.iter_mut().rev().find(|e| e.seq == seq) {
            self.weight += finding.message.len() + ENTRY_COST;
            e.findings.push(finding);
        }
    }

    /// The entries kept, oldest first.
    pub fn entries(&self) -> impl Iterator<Item = &JournalEntry> {
        self.entries.iter().map(|e| &**e)
    }

    /// How many requests were answered in all.
    pub fn total(&self) -> u64 {
        self.seq
    }

    /// The most recent entry.
    pub fn last(&self) -> Option<&JournalEntry> {
        self.entries.back().map(|e| &**e)
    }

    /// Forgets everything.
    pub fn clear(&mut self) {
        self.entries.clear();
        self.seq = 0;
        self.weight = 0;
    }

    /// How many entries are kept.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether no entry is kept.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

impl JournalEntry {
    /// The entry as the audit and every other view read it ([`crate::exchange::Exchange`]): sent
    /// and answered at the simulator's time of answering, from no known client.
    pub fn to_exchange(&self) -> crate::exchange::Exchange {
        crate::exchange::Exchange {
            seq: self.seq,
            sent: self.time.and_utc(),
            answered: Some(self.time.and_utc()),
            client: None,
            request: Some(self.request.clone()),
            outcome: crate::exchange::Outcome::Answered(crate::api::Response::raw(
                self.request.op(),
                self.code,
                self.message.clone(),
            )),
            notes: self.notes.iter().map(crate::exchange::Note::new).collect(),
        }
    }
}

/// A journal entry read back from its JSON (`sim_journal()`, the control interface's `journal`,
/// one entry per line or an array of them).
#[derive(Debug, Clone, serde::Deserialize)]
pub struct ExportedEntry {
    /// As [`JournalEntry::seq`].
    pub seq: u64,
    /// The simulator's time, ISO 8601 without a zone (as the journal writes it).
    pub time: String,
    /// The operation's wire name.
    pub op: String,
    /// The non-empty parameters: `[wire name, value]` pairs.
    #[serde(default)]
    pub params: Vec<(String, String)>,
    /// responseCode (0: refused before any answer).
    pub code: u16,
    /// responseMessage.
    #[serde(default)]
    pub message: String,
    /// The request reader's notes.
    #[serde(default)]
    pub notes: Vec<String>,
}

impl ExportedEntry {
    /// The exported entry as an exchange; an error naming what is wrong when its operation or time
    /// cannot be read. An entry with code 0 (refused before any answer) is a fault.
    pub fn to_exchange(&self) -> Result<crate::exchange::Exchange, String> {
        use crate::exchange::{Exchange, FailureKind, Note, Outcome};
        let op = Operation::from_name(&self.op)
            .ok_or_else(|| format!("`op` {:?} is not an operation of the Web API", self.op))?;
        let time = NaiveDateTime::parse_from_str(&self.time, "%Y-%m-%dT%H:%M:%S%.f")
            .map_err(|e| format!("`time` {:?} is not an ISO 8601 time: {e}", self.time))?
            .and_utc();
        let mut request = Request::new(op);
        for (name, value) in &self.params {
            request
                .set_by_name(name, value)
                .map_err(|e| format!("`params`: {e}"))?;
        }
        let outcome = if self.code == 0 {
            Outcome::Failed {
                kind: FailureKind::Fault,
                detail: self.message.clone(),
            }
        } else {
            Outcome::Answered(crate::api::Response::raw(
                op,
                self.code,
                self.message.clone(),
            ))
        };
        Ok(Exchange {
            seq: self.seq,
            sent: time,
            answered: Some(time),
            client: None,
            request: Some(request),
            outcome,
            notes: self.notes.iter().map(Note::new).collect(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::Param;

    fn log_event(parm: &str) -> Request {
        Request::new(Operation::LogEvent)
            .with(Param::EventType, "Sale")
            .with(Param::Parm1, parm)
    }

    #[test]
    fn the_journal_keeps_its_count_and_its_bytes_bounded() {
        let mut j = Journal::default();
        let t = NaiveDateTime::default();
        for _ in 0..JOURNAL_CAPACITY + 5 {
            j.record(
                t,
                &log_event("x"),
                100,
                Cow::Borrowed("Success"),
                String::new(),
            );
        }
        assert_eq!(j.len(), JOURNAL_CAPACITY);
        assert_eq!(j.total(), JOURNAL_CAPACITY as u64 + 5);
        let big = "y".repeat(8_000);
        for _ in 0..5_000 {
            j.record(
                t,
                &log_event(&big),
                100,
                Cow::Borrowed("Success"),
                String::new(),
            );
        }
        let kept: usize = j.entries().map(JournalEntry::weight).sum();
        assert!(kept <= JOURNAL_BYTES, "{kept} bytes kept");
        assert!(j.len() < 5_000);
        assert_eq!(j.last().unwrap().seq, JOURNAL_CAPACITY as u64 + 5_005);
    }

    #[test]
    fn a_full_journal_writes_over_its_oldest_entry_leaving_nothing_of_it() {
        let mut j = Journal::default();
        let t = NaiveDateTime::default();
        for i in 0..JOURNAL_CAPACITY {
            j.record(
                t,
                &log_event(&format!("old {i}")),
                653,
                Cow::Borrowed("Error"),
                "a reason".into(),
            );
            j.note_last("a note");
        }
        let finding = crate::audit::Finding::new(
            crate::audit::RuleId::Wire,
            "a finding".to_string(),
            Vec::new(),
        );
        j.attach(1, finding);
        let later = t + chrono::TimeDelta::seconds(1);
        j.record(
            later,
            &Request::new(Operation::PortStatus)
                .with(Param::Unit, "1")
                .with(Param::Port, "5"),
            100,
            Cow::Borrowed("Success"),
            String::new(),
        );
        assert_eq!(j.len(), JOURNAL_CAPACITY);
        let first = j.entries().next().unwrap();
        assert_eq!(first.seq, 2);
        assert_eq!(first.request.get(Param::Parm1), "old 1");
        let last = j.last().unwrap();
        assert_eq!(last.seq, JOURNAL_CAPACITY as u64 + 1);
        assert_eq!(last.time, later);
        assert_eq!(last.op, "PortStatus");
        assert_eq!(last.params(), [("Unit", "1"), ("Port", "5")]);
        assert_eq!((last.code, last.message.as_ref()), (100, "Success"));
        assert!(last.reason.is_empty() && last.notes.is_empty() && last.findings.is_empty());
        let seqs: Vec<u64> = j.entries().map(|e| e.seq).collect();
        assert!(seqs.windows(2).all(|w| w[1] == w[0] + 1));
        let kept: usize = j.entries().map(JournalEntry::weight).sum();
        assert_eq!(j.weight, kept);
        // A value over the quota written over an old entry is cut to it, as in a new one.
        j.record(
            later,
            &log_event(&"é".repeat(10_000)),
            0,
            Cow::Borrowed(""),
            "too long".into(),
        );
        let cut = j.last().unwrap().request.get(Param::Parm1);
        assert_eq!(cut.chars().count(), crate::api::MAX_STRING_CHARS);
        assert_eq!(j.len(), JOURNAL_CAPACITY);
        let kept: usize = j.entries().map(JournalEntry::weight).sum();
        assert_eq!(j.weight, kept);
    }

    #[test]
    fn a_note_added_to_an_entry_is_counted_in_the_bytes_kept() {
        let mut j = Journal::default();
        let t = NaiveDateTime::default();
        // Notes grow entries after they were counted; the entries later dropped must not take
        // more than was counted (an underflow panicked the simulator after some 50,000 requests).
        for _ in 0..JOURNAL_CAPACITY * 2 {
            j.record(
                t,
                &log_event("x"),
                100,
                Cow::Borrowed("Success"),
                String::new(),
            );
            j.note_last(&"n".repeat(200));
        }
        let kept: usize = j.entries().map(JournalEntry::weight).sum();
        assert_eq!(j.weight, kept);
    }

    #[test]
    fn an_exported_entry_reads_back_as_the_same_exchange_with_its_notes() {
        let mut j = Journal::default();
        let t = NaiveDateTime::parse_from_str("2026-12-07T10:00:01", "%Y-%m-%dT%H:%M:%S").unwrap();
        j.record(
            t,
            &log_event("x"),
            653,
            Cow::Borrowed("Error"),
            "no time".into(),
        );
        j.note_last("Parm1 arrived twice");
        let entry = j.last().unwrap();
        let json = serde_json::to_string(entry).unwrap();
        let back: ExportedEntry = serde_json::from_str(&json).unwrap();
        let ex = back.to_exchange().unwrap();
        assert_eq!(ex, entry.to_exchange());
        assert_eq!(ex.code(), Some(653));
        assert_eq!(ex.notes[0].text, "Parm1 arrived twice");
        let bad: ExportedEntry =
            serde_json::from_str(r#"{"seq":1,"time":"x","op":"Nope","code":100}"#).unwrap();
        assert!(bad.to_exchange().unwrap_err().contains("Nope"));
    }

    #[test]
    fn a_value_over_the_quota_is_kept_cut_to_it() {
        let mut j = Journal::default();
        let huge = "é".repeat(1_000_000);
        j.record(
            NaiveDateTime::default(),
            &log_event(&huge),
            0,
            Cow::Borrowed(""),
            "too long".into(),
        );
        let kept = j.last().unwrap().request.get(Param::Parm1);
        assert_eq!(kept.chars().count(), crate::api::MAX_STRING_CHARS);
    }
}
