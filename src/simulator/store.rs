//! What the simulator keeps: finished recordings with their fields and state history, and events.

use chrono::NaiveDateTime;
use serde::{Serialize, Serializer};

/// Serializes a time as ISO 8601 without a zone.
pub(crate) fn iso<S: Serializer>(t: &NaiveDateTime, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&t.format("%Y-%m-%dT%H:%M:%S").to_string())
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
    /// The port.
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
    /// The port it is tied to, if any.
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

/// Everything kept, in memory.
#[derive(Debug, Default, Clone)]
pub struct Store {
    /// Stopped recordings, oldest first.
    pub recordings: Vec<Recording>,
    /// Logged events, oldest first.
    pub events: Vec<Event>,
}
