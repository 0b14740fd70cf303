//! Desktop recording by user: each recorded desktop is RECORD or NOT RECORDING, and records in
//! segments of at most ten minutes of the clock. A segment rolls over every ten minutes from its
//! start; DesktopPause closes it early.

use std::collections::BTreeMap;

use chrono::{Duration, NaiveDateTime};

use crate::api::RecordingState;
use crate::simulator::store::DesktopSegment;

/// The longest a desktop segment runs, in seconds.
pub const SEGMENT_SECONDS: i64 = 600;

/// One recorded desktop as `sim_desktops()` shows it: its state and every segment, the open one
/// included.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct DesktopView {
    /// The login, as configured.
    pub login: String,
    /// `RECORD` or `NOT RECORDING`.
    pub state: String,
    /// The unit of the user's phone, when the directory gives the login one port.
    pub unit: Option<String>,
    /// The port of the user's phone (text, as in a Response).
    pub port: Option<String>,
    /// The segments, oldest first; the last is open while the desktop records.
    pub segments: Vec<SegmentView>,
}

/// A desktop segment; an open one has no end yet.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SegmentView {
    /// When it began.
    #[serde(serialize_with = "crate::simulator::store::iso")]
    pub started: NaiveDateTime,
    /// When it closed; `None` while open.
    #[serde(serialize_with = "iso_or_null")]
    pub ended: Option<NaiveDateTime>,
    /// Whether it is still recording.
    pub open: bool,
}

fn iso_or_null<S: serde::Serializer>(t: &Option<NaiveDateTime>, s: S) -> Result<S::Ok, S::Error> {
    match t {
        Some(t) => crate::simulator::store::iso(t, s),
        None => s.serialize_none(),
    }
}

/// The recorded desktops, by login matched without regard to case.
#[derive(Debug, Clone, Default)]
pub struct Desktops {
    /// Lowercased login → (configured login, start of the open segment when recording).
    users: BTreeMap<String, (String, Option<NaiveDateTime>)>,
}

impl Desktops {
    /// Every desktop recording from `now`.
    pub fn new(logins: Vec<String>, now: NaiveDateTime) -> Desktops {
        Desktops {
            users: logins
                .into_iter()
                .map(|l| (l.to_lowercase(), (l, Some(now))))
                .collect(),
        }
    }

    /// A desktop's state; `None` for a login without desktop recording.
    pub fn state(&self, login: &str) -> Option<RecordingState> {
        self.users.get(&login.to_lowercase()).map(|(_, open)| {
            if open.is_some() {
                RecordingState::Record
            } else {
                RecordingState::NotRecording
            }
        })
    }

    /// Closes every segment that has run ten minutes by `now`, opening the next one where the last
    /// closed. Returns the closed segments, oldest first.
    pub fn roll(&mut self, now: NaiveDateTime) -> Vec<DesktopSegment> {
        let len = Duration::seconds(SEGMENT_SECONDS);
        let mut closed = Vec::new();
        for (login, open) in self.users.values_mut() {
            while let Some(start) = *open {
                if start + len > now {
                    break;
                }
                closed.push(DesktopSegment {
                    login: login.clone(),
                    started: start,
                    ended: start + len,
                });
                *open = Some(start + len);
            }
        }
        closed.sort_by(|a, b| (a.ended, &a.login).cmp(&(b.ended, &b.login)));
        closed
    }

    /// The segment DesktopPause would close at `now` (the caller stores it, then calls `pause`).
    pub fn open_segment(&self, login: &str, now: NaiveDateTime) -> Option<DesktopSegment> {
        let (name, open) = self.users.get(&login.to_lowercase())?;
        open.map(|start| DesktopSegment {
            login: name.clone(),
            started: start,
            ended: now,
        })
    }

    /// The open segment's start for every recorded desktop: (configured login, start while
    /// recording), by login.
    pub fn open_segments(&self) -> impl Iterator<Item = (&str, Option<NaiveDateTime>)> {
        self.users
            .values()
            .map(|(login, open)| (login.as_str(), *open))
    }

    /// Stops a desktop's recording.
    pub fn pause(&mut self, login: &str) {
        if let Some((_, open)) = self.users.get_mut(&login.to_lowercase()) {
            *open = None;
        }
    }

    /// Starts a desktop's recording again, with a new segment from `now`.
    pub fn resume(&mut self, login: &str, now: NaiveDateTime) {
        if let Some((_, open)) = self.users.get_mut(&login.to_lowercase()) {
            *open = Some(now);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: i64) -> NaiveDateTime {
        chrono::NaiveDate::from_ymd_opt(2026, 11, 23)
            .unwrap()
            .and_hms_opt(9, 0, 0)
            .unwrap()
            + Duration::seconds(s)
    }

    #[test]
    fn segments_roll_every_ten_minutes_and_a_pause_closes_one_early() {
        let mut d = Desktops::new(vec!["Smith".to_string()], t(0));
        assert_eq!(d.state("SMITH"), Some(RecordingState::Record));
        assert!(d.roll(t(599)).is_empty());
        let closed = d.roll(t(1805));
        let spans: Vec<(NaiveDateTime, NaiveDateTime)> =
            closed.iter().map(|s| (s.started, s.ended)).collect();
        assert_eq!(
            spans,
            [(t(0), t(600)), (t(600), t(1200)), (t(1200), t(1800))]
        );
        let last = d.open_segment("smith", t(1900)).unwrap();
        assert_eq!((last.started, last.ended), (t(1800), t(1900)));
        d.pause("smith");
        assert_eq!(d.state("smith"), Some(RecordingState::NotRecording));
        assert!(d.roll(t(9000)).is_empty());
        d.resume("smith", t(9000));
        assert_eq!(d.roll(t(9600))[0].started, t(9000));
    }
}
