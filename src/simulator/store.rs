//! What the simulator keeps: finished recordings with their fields and state history, events,
//! desktop recording segments and the day's port assignments.
//!
//! The hosted profile keeps recordings and events in memory, each in a bounded [`Window`]: the most
//! recent [`WINDOW_ITEMS`] within [`WINDOW_BYTES`] of text, older ones dropped, so that a server
//! left running for days stays the same size. Every item kept has a sequence number (`seq`), 1 for
//! the first since start or reset, never reused, by which listings page (see [`Query`]).

use std::collections::VecDeque;

use chrono::NaiveDateTime;
use serde::{Serialize, Serializer};

/// The most recordings (and, apart, events) the hosted profile keeps in memory.
pub const WINDOW_ITEMS: usize = 10_000;

/// The most text, in bytes, the recordings (and, apart, the events) kept in memory may hold,
/// counting a fixed cost per item for what surrounds the text: 16 MiB.
pub const WINDOW_BYTES: usize = 16 * 1024 * 1024;

/// How many items a listing returns when the caller names no limit (`scripting.md`).
pub const DEFAULT_LIMIT: usize = 1_000;

/// Which recordings or events a listing returns: those matching every filter given, oldest first,
/// at most `limit`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Query {
    /// Only those of this unit.
    pub unit: Option<String>,
    /// Only those of this port.
    pub port: Option<u32>,
    /// Only those whose `seq` is greater: 0 lists from the oldest kept; the last `seq` of a page
    /// asks for the next page.
    pub after: u64,
    /// Only those stored at or after this time: a recording by when it stopped, an event by when
    /// it was logged.
    pub from: Option<NaiveDateTime>,
    /// The most items returned.
    pub limit: usize,
}

impl Default for Query {
    fn default() -> Self {
        Query {
            unit: None,
            port: None,
            after: 0,
            from: None,
            limit: DEFAULT_LIMIT,
        }
    }
}

impl Query {
    /// Every item kept, without a limit.
    pub fn all() -> Query {
        Query {
            limit: usize::MAX,
            ..Query::default()
        }
    }

    fn matches(
        &self,
        unit: Option<&str>,
        port: Option<u32>,
        stored: Option<NaiveDateTime>,
    ) -> bool {
        self.unit.as_deref().is_none_or(|u| unit == Some(u))
            && self.port.is_none_or(|p| port == Some(p))
            && self.from.is_none_or(|f| stored.is_some_and(|t| t >= f))
    }

    /// Whether a recording passes the unit, port and time filters.
    pub fn matches_recording(&self, r: &Recording) -> bool {
        self.matches(Some(&r.unit), Some(r.port), r.stopped)
    }

    /// Whether an event passes the unit, port and time filters.
    pub fn matches_event(&self, e: &Event) -> bool {
        self.matches(e.unit.as_deref(), e.port, Some(e.logged))
    }
}

/// An item of a listing with its sequence number, serialized as the item's map plus `seq`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Listed<T> {
    /// 1 for the first item stored since start or reset; never reused.
    pub seq: u64,
    /// The item.
    #[serde(flatten)]
    pub item: T,
}

/// What an item costs in memory, roughly: its text plus a fixed cost for its structure.
pub trait Weigh {
    /// Bytes.
    fn weight(&self) -> usize;
}

impl Weigh for Recording {
    fn weight(&self) -> usize {
        160 + self.index.len()
            + self.unit.len()
            + self.ended_by.as_ref().map_or(0, String::len)
            + self
                .fields
                .iter()
                .map(|(n, v)| 48 + n.len() + v.len())
                .sum::<usize>()
            + 24 * self.states.len()
    }
}

impl Weigh for Event {
    fn weight(&self) -> usize {
        220 + self.event_type.len()
            + self.timestamp.len()
            + self.unit.as_ref().map_or(0, String::len)
            + self.user.len()
            + self.machine.len()
            + self.parm1.len()
            + self.parm2.len()
            + self.parm3.len()
            + self.recording.as_ref().map_or(0, String::len)
    }
}

/// The most recent items, within a count and a weight; the oldest are dropped first.
#[derive(Debug, Clone)]
pub struct Window<T> {
    items: VecDeque<(u64, usize, T)>,
    last_seq: u64,
    weight: usize,
    max_items: usize,
    max_weight: usize,
}

impl<T> Default for Window<T> {
    fn default() -> Self {
        Window::new(WINDOW_ITEMS, WINDOW_BYTES)
    }
}

impl<T> Window<T> {
    /// An empty window keeping at most `max_items` weighing at most `max_weight` in all (the newest
    /// item is always kept, whatever it weighs).
    pub fn new(max_items: usize, max_weight: usize) -> Window<T> {
        Window {
            items: VecDeque::new(),
            last_seq: 0,
            weight: 0,
            max_items: max_items.max(1),
            max_weight,
        }
    }

    /// How many items are kept.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// Whether none is kept.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// How many were ever stored (the last `seq` given).
    pub fn total(&self) -> u64 {
        self.last_seq
    }

    /// The items kept, oldest first.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = &T> + ExactSizeIterator {
        self.items.iter().map(|(_, _, t)| t)
    }

    /// The newest item kept.
    pub fn last(&self) -> Option<&T> {
        self.items.back().map(|(_, _, t)| t)
    }

    /// The items kept with their `seq`, oldest first, from the first whose `seq` is above `after`.
    pub fn after(&self, after: u64) -> impl Iterator<Item = (u64, &T)> {
        let start = self.items.partition_point(|(seq, _, _)| *seq <= after);
        self.items.range(start..).map(|(seq, _, t)| (*seq, t))
    }

    /// Forgets every item; `seq` starts again at 1.
    pub fn clear(&mut self) {
        *self = Window::new(self.max_items, self.max_weight);
    }
}

/// The `i`th item kept, oldest first.
impl<T> std::ops::Index<usize> for Window<T> {
    type Output = T;

    fn index(&self, i: usize) -> &T {
        &self.items[i].2
    }
}

impl<T: Weigh> Window<T> {
    /// Keeps an item, dropping the oldest until the window is within its bounds again.
    pub fn push(&mut self, item: T) {
        let w = item.weight();
        self.last_seq += 1;
        self.items.push_back((self.last_seq, w, item));
        self.weight += w;
        while self.items.len() > self.max_items
            || (self.weight > self.max_weight && self.items.len() > 1)
        {
            if let Some((_, w, _)) = self.items.pop_front() {
                self.weight -= w;
            }
        }
    }
}

impl<T: Clone> Window<T> {
    /// The items a query selects, with their `seq`, oldest first.
    pub fn page(&self, query: &Query, keep: impl Fn(&Query, &T) -> bool) -> Vec<Listed<T>> {
        self.after(query.after)
            .filter(|(_, t)| keep(query, t))
            .take(query.limit)
            .map(|(seq, t)| Listed {
                seq,
                item: t.clone(),
            })
            .collect()
    }
}

/// Serializes a time as ISO 8601 without a zone.
pub(crate) fn iso<S: Serializer>(t: &NaiveDateTime, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&t.format("%Y-%m-%dT%H:%M:%S").to_string())
}

/// Serializes a port number as text, as a Response carries it (`r.port == p.port` in scripts).
fn text<S: Serializer>(n: &u32, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(n)
}

fn text_opt<S: Serializer>(n: &Option<u32>, s: S) -> Result<S::Ok, S::Error> {
    match n {
        Some(n) => s.collect_str(n),
        None => s.serialize_none(),
    }
}

fn iso_opt<S: Serializer>(t: &Option<NaiveDateTime>, s: S) -> Result<S::Ok, S::Error> {
    match t {
        Some(t) => iso(t, s),
        None => s.serialize_none(),
    }
}

/// One state a recording went through, and when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StateChange {
    /// The state's wire text.
    pub state: &'static str,
    /// When it began.
    #[serde(serialize_with = "iso")]
    pub at: NaiveDateTime,
}

/// A recording, from Start to Stop.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Recording {
    /// The call index that GetURL names (`fldCallIndex`).
    pub index: String,
    /// The unit.
    pub unit: String,
    /// The port (text when serialized, as in a Response).
    #[serde(serialize_with = "text")]
    pub port: u32,
    /// When StartRecording began it.
    #[serde(serialize_with = "iso")]
    pub started: NaiveDateTime,
    /// When it was stopped; `None` while it runs.
    #[serde(serialize_with = "iso_opt")]
    pub stopped: Option<NaiveDateTime>,
    /// The fields assigned, in order of first assignment.
    pub fields: Vec<(String, String)>,
    /// The states it went through.
    pub states: Vec<StateChange>,
    /// What ended it (`StopRecording`, `maximum recording time`, `hangup`), where the profile says.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ended_by: Option<String>,
}

impl Recording {
    /// Assigns a field, replacing an earlier value of the same column.
    pub fn assign(&mut self, name: &str, value: &str) {
        match self.fields.iter_mut().find(|(n, _)| n == name) {
            Some(slot) => slot.1 = value.to_string(),
            None => self.fields.push((name.to_string(), value.to_string())),
        }
    }

    /// The value assigned to a column.
    pub fn field(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// An event written by LogEvent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Event {
    /// When the simulator received it.
    #[serde(serialize_with = "iso")]
    pub logged: NaiveDateTime,
    /// eventType.
    #[serde(rename = "type")]
    pub event_type: String,
    /// eventTimestamp, as sent.
    pub timestamp: String,
    /// The unit it is tied to, if any.
    pub unit: Option<String>,
    /// The port it is tied to, if any (text when serialized, as in a Response).
    #[serde(serialize_with = "text_opt")]
    pub port: Option<u32>,
    /// User, as sent.
    pub user: String,
    /// Machine, as sent.
    pub machine: String,
    /// Parm1..Parm3, as sent.
    pub parm1: String,
    /// See `parm1`.
    pub parm2: String,
    /// See `parm1`.
    pub parm3: String,
    /// The index of the recording running on its port when it was logged.
    pub recording: Option<String>,
}

/// A stretch of a user's desktop recording: at most ten minutes, closed early by DesktopPause.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DesktopSegment {
    /// The user's login ID, as configured.
    pub login: String,
    /// When the segment began.
    #[serde(serialize_with = "iso")]
    pub started: NaiveDateTime,
    /// When it closed.
    #[serde(serialize_with = "iso")]
    pub ended: NaiveDateTime,
}

/// A stretch of a user's desktop recording as the database keeps it: from the start (or
/// DesktopResume) to DesktopPause, or, while it still records, to the end of its last whole
/// ten-minute segment. Its segments are derived from it when listed, never stored one by one, so
/// that moving the clock costs the same however far it moves.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DesktopRun {
    /// The user's login ID, as configured.
    pub login: String,
    /// When the run began: its first segment's start.
    #[serde(serialize_with = "iso")]
    pub started: NaiveDateTime,
    /// Where it ends so far.
    #[serde(serialize_with = "iso")]
    pub ended: NaiveDateTime,
}

/// A port handed out by InitStation or InitUser on a given day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Assignment {
    /// The day, `YYYY-MM-DD`.
    pub day: String,
    /// `InitStation` or `InitUser`.
    pub op: String,
    /// The extension or login ID asked for, as sent.
    pub key: String,
    /// The unit.
    pub unit: String,
    /// The port.
    pub port: u32,
    /// When it was first handed out that day.
    #[serde(serialize_with = "iso")]
    pub at: NaiveDateTime,
}

/// Everything the hosted profile keeps, in memory, each kind in its bounded [`Window`].
#[derive(Debug, Default, Clone)]
pub struct Store {
    /// Stopped recordings, oldest first.
    pub recordings: Window<Recording>,
    /// Logged events, oldest first.
    pub events: Window<Event>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(n: usize, parm1: usize) -> Event {
        Event {
            logged: NaiveDateTime::default(),
            event_type: format!("E{n}"),
            timestamp: String::new(),
            unit: None,
            port: None,
            user: String::new(),
            machine: String::new(),
            parm1: "x".repeat(parm1),
            parm2: String::new(),
            parm3: String::new(),
            recording: None,
        }
    }

    #[test]
    fn a_window_keeps_the_newest_items_within_its_count_and_seq_goes_on() {
        let mut w = Window::new(3, usize::MAX);
        for n in 1..=5 {
            w.push(event(n, 0));
        }
        assert_eq!(w.len(), 3);
        assert_eq!(w.total(), 5);
        let kept: Vec<u64> = w.after(0).map(|(seq, _)| seq).collect();
        assert_eq!(kept, vec![3, 4, 5]);
        let next: Vec<&str> = w.after(3).map(|(_, e)| e.event_type.as_str()).collect();
        assert_eq!(next, vec!["E4", "E5"]);
    }

    #[test]
    fn a_window_drops_the_oldest_to_stay_within_its_weight() {
        let mut w = Window::new(100, 10_000);
        for n in 1..=10 {
            w.push(event(n, 3_000));
        }
        assert!(w.iter().map(Weigh::weight).sum::<usize>() <= 10_000);
        assert_eq!(w.len(), 3);
        assert_eq!(w.iter().last().unwrap().event_type, "E10");
        // An item heavier than the whole window is still kept, alone.
        w.push(event(11, 50_000));
        assert_eq!(w.len(), 1);
    }

    #[test]
    fn a_page_filters_then_limits_and_names_each_item_s_seq() {
        let mut w = Window::default();
        for n in 1..=6 {
            let mut e = event(n, 0);
            e.port = Some(if n % 2 == 0 { 2 } else { 1 });
            e.unit = Some("1".to_string());
            w.push(e);
        }
        let q = Query {
            port: Some(2),
            limit: 2,
            ..Query::default()
        };
        let page = w.page(&q, Query::matches_event);
        let seqs: Vec<u64> = page.iter().map(|l| l.seq).collect();
        assert_eq!(seqs, vec![2, 4]);
        let next = w.page(&Query { after: 4, ..q }, Query::matches_event);
        assert_eq!(next.iter().map(|l| l.seq).collect::<Vec<_>>(), vec![6]);
        let json = serde_json::to_value(&page[0]).unwrap();
        assert_eq!(json["seq"], 2);
        assert_eq!(json["type"], "E2");
        let other_unit = Query {
            unit: Some("2".to_string()),
            ..Query::default()
        };
        assert!(w.page(&other_unit, Query::matches_event).is_empty());
    }
}
