//! What the simulator keeps: finished recordings with their fields and state history, events,
//! desktop recording segments and the day's port assignments.

use chrono::NaiveDateTime;
use serde::{Serialize, Serializer};

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

/// Everything kept, in memory.
#[derive(Debug, Default, Clone)]
pub struct Store {
    /// Stopped recordings, oldest first.
    pub recordings: Vec<Recording>,
    /// Logged events, oldest first.
    pub events: Vec<Event>,
}
