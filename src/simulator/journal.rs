//! The journal: every request the simulator answered, with the reason for each non-100 answer, so a
//! user can see why a request failed although the wire message is fixed text.

use std::borrow::Cow;
use std::collections::VecDeque;

use chrono::NaiveDateTime;
use serde::Serialize;

use crate::api::{ApiVersion, Operation, Request};

/// How many entries the journal keeps; older ones are dropped (their count stays in `seq`).
pub const JOURNAL_CAPACITY: usize = 10_000;

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
    /// Why the answer is not 100, then the request reader's notes (`wire.md`: what a WCF service
    /// did that a kinder reader would not have); empty when there is neither.
    pub reason: String,
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

fn params<S: serde::Serializer>(request: &Request, s: S) -> Result<S::Ok, S::Error> {
    s.collect_seq(non_empty(request))
}

/// A bounded log of the most recent exchanges.
#[derive(Debug, Default)]
pub struct Journal {
    entries: VecDeque<JournalEntry>,
    seq: u64,
}

impl Journal {
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
        if self.entries.len() == JOURNAL_CAPACITY {
            self.entries.pop_front();
        }
        self.entries.push_back(JournalEntry {
            seq: self.seq,
            time,
            op: Operation::name(request.op()),
            request: request.clone(),
            code,
            message,
            reason,
        });
    }

    /// Adds a note (what the request reader did, in words) to the most recent entry's reason.
    pub fn note_last(&mut self, note: &str) {
        if let Some(last) = self.entries.back_mut() {
            if !last.reason.is_empty() {
                last.reason.push_str("; ");
            }
            last.reason.push_str(note);
        }
    }

    /// The entries kept, oldest first.
    pub fn entries(&self) -> impl Iterator<Item = &JournalEntry> {
        self.entries.iter()
    }

    /// How many requests were answered in all.
    pub fn total(&self) -> u64 {
        self.seq
    }

    /// The most recent entry.
    pub fn last(&self) -> Option<&JournalEntry> {
        self.entries.back()
    }

    /// Forgets everything.
    pub fn clear(&mut self) {
        self.entries.clear();
        self.seq = 0;
    }
}
