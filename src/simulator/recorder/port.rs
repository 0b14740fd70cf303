//! A recorder port and its calls: at most one active call and one on hold, each with the recording
//! in progress, its pause and hold flags, and the time it has spent recording against its maximum.
//!
//! A port reports its active call's state, else its held call's, else NOT RECORDING; the time that
//! state began is kept for PortStatusEX.

use chrono::{Duration, NaiveDateTime};

use crate::api::RecordingState;
use crate::simulator::store::{Recording, StateChange};

/// A call being recorded on a port.
#[derive(Debug, Clone)]
pub struct Call {
    /// The recording in progress.
    pub recording: Recording,
    on_hold: bool,
    paused: bool,
    /// The longest it may record, in milliseconds of RECORD.
    max_ms: i64,
    /// Milliseconds spent in RECORD before `record_since`.
    recorded_ms: i64,
    /// When the current stretch of RECORD began; `None` when not recording.
    record_since: Option<NaiveDateTime>,
}

impl Call {
    /// A new call, recording from `now`, that stops after `max_seconds` of recording.
    pub fn start(recording: Recording, max_seconds: u32, now: NaiveDateTime) -> Call {
        let mut call = Call {
            recording,
            on_hold: false,
            paused: false,
            max_ms: i64::from(max_seconds) * 1000,
            recorded_ms: 0,
            record_since: Some(now),
        };
        call.recording.states.push(StateChange {
            state: RecordingState::Record.as_str(),
            at: now,
        });
        call
    }

    /// SUSPENDED on hold, else PAUSE when paused, else RECORD.
    pub fn state(&self) -> RecordingState {
        if self.on_hold {
            RecordingState::Suspended
        } else if self.paused {
            RecordingState::Pause
        } else {
            RecordingState::Record
        }
    }

    /// Changes the hold and pause flags at `now`, keeping the recorded time and the state history.
    pub fn set(&mut self, on_hold: bool, paused: bool, now: NaiveDateTime) {
        let before = self.state();
        self.on_hold = on_hold;
        self.paused = paused;
        let after = self.state();
        if before == after {
            return;
        }
        if let Some(since) = self.record_since.take() {
            self.recorded_ms += (now - since).num_milliseconds();
        }
        if after == RecordingState::Record {
            self.record_since = Some(now);
        }
        self.recording.states.push(StateChange {
            state: after.as_str(),
            at: now,
        });
    }

    /// Puts the call on hold or takes it off, keeping its pause.
    pub fn set_hold(&mut self, on_hold: bool, now: NaiveDateTime) {
        self.set(on_hold, self.paused, now);
    }

    /// Pauses or unpauses the call, keeping its hold.
    pub fn set_paused(&mut self, paused: bool, now: NaiveDateTime) {
        self.set(self.on_hold, paused, now);
    }

    /// When the call reaches its maximum recording time, if it is recording.
    pub fn deadline(&self) -> Option<NaiveDateTime> {
        self.record_since
            .map(|since| since + Duration::milliseconds(self.max_ms - self.recorded_ms))
    }

    /// Seconds of recording so far.
    #[cfg(test)]
    pub fn recorded_seconds(&self, now: NaiveDateTime) -> i64 {
        let running = self
            .record_since
            .map(|s| (now - s).num_milliseconds())
            .unwrap_or(0);
        (self.recorded_ms + running) / 1000
    }

    /// Ends the call at `now`: the recording as it will be stored.
    pub fn finish(mut self, now: NaiveDateTime, ended_by: &str) -> Recording {
        self.recording.states.push(StateChange {
            state: RecordingState::NotRecording.as_str(),
            at: now,
        });
        self.recording.stopped = Some(now);
        self.recording.ended_by = Some(ended_by.to_string());
        self.recording
    }
}

/// Which of a port's two calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Line {
    /// The call the agent is talking on.
    Active,
    /// The call on hold.
    Held,
}

/// One port of a unit.
#[derive(Debug, Clone)]
pub struct Port {
    /// The active call.
    pub active: Option<Call>,
    /// The call on hold.
    pub held: Option<Call>,
    shown: RecordingState,
    since: NaiveDateTime,
}

impl Port {
    /// An idle port.
    pub fn new(now: NaiveDateTime) -> Port {
        Port {
            active: None,
            held: None,
            shown: RecordingState::NotRecording,
            since: now,
        }
    }

    /// The call requests act on: the active one, or the held one when it is the only one.
    pub fn target(&self) -> Option<Line> {
        if self.active.is_some() {
            Some(Line::Active)
        } else if self.held.is_some() {
            Some(Line::Held)
        } else {
            None
        }
    }

    /// A call, to change.
    pub fn call_mut(&mut self, line: Line) -> Option<&mut Call> {
        match line {
            Line::Active => self.active.as_mut(),
            Line::Held => self.held.as_mut(),
        }
    }

    /// The call requests act on, to read.
    pub fn target_call(&self) -> Option<&Call> {
        self.active.as_ref().or(self.held.as_ref())
    }

    /// Removes a call.
    pub fn take(&mut self, line: Line) -> Option<Call> {
        match line {
            Line::Active => self.active.take(),
            Line::Held => self.held.take(),
        }
    }

    /// The state the port reports: the active call's, else the held call's, else NOT RECORDING.
    pub fn state(&self) -> RecordingState {
        self.target_call()
            .map(Call::state)
            .unwrap_or(RecordingState::NotRecording)
    }

    /// How many calls hold a licence.
    pub fn calls(&self) -> usize {
        usize::from(self.active.is_some()) + usize::from(self.held.is_some())
    }

    /// Notes the time the reported state changed, after any change to the calls.
    pub fn refresh(&mut self, now: NaiveDateTime) {
        let state = self.state();
        if state != self.shown {
            self.shown = state;
            self.since = now;
        }
    }

    /// Whole seconds since the reported state began; 0 in NOT RECORDING.
    pub fn state_duration(&self, now: NaiveDateTime) -> i64 {
        if self.shown == RecordingState::NotRecording {
            0
        } else {
            (now - self.since).num_seconds().max(0)
        }
    }

    /// Both calls, to change.
    pub fn calls_mut(&mut self) -> impl Iterator<Item = &mut Call> {
        self.active.iter_mut().chain(self.held.iter_mut())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: u32) -> NaiveDateTime {
        chrono::NaiveDate::from_ymd_opt(2026, 11, 23)
            .unwrap()
            .and_hms_opt(10, 0, 0)
            .unwrap()
            + Duration::seconds(s.into())
    }

    fn recording() -> Recording {
        Recording {
            index: "1.0001".to_string(),
            unit: "1".to_string(),
            port: 1,
            started: t(0),
            stopped: None,
            fields: Vec::new(),
            states: Vec::new(),
            ended_by: None,
        }
    }

    #[test]
    fn time_on_hold_or_paused_does_not_count_towards_the_maximum() {
        let mut c = Call::start(recording(), 60, t(0));
        assert_eq!(c.deadline(), Some(t(60)));
        c.set_hold(true, t(10));
        assert_eq!(c.state(), RecordingState::Suspended);
        assert_eq!(c.deadline(), None);
        c.set_hold(false, t(40));
        assert_eq!(c.deadline(), Some(t(90)));
        c.set_paused(true, t(50));
        assert_eq!(c.recorded_seconds(t(70)), 20);
        c.set_paused(false, t(70));
        assert_eq!(c.deadline(), Some(t(110)));
        let states: Vec<&str> = c.recording.states.iter().map(|s| s.state).collect();
        assert_eq!(states, ["RECORD", "SUSPENDED", "RECORD", "PAUSE", "RECORD"]);
    }

    #[test]
    fn a_paused_call_taken_off_hold_stays_paused() {
        let mut c = Call::start(recording(), 60, t(0));
        c.set_hold(true, t(1));
        c.set_paused(true, t(2));
        assert_eq!(c.state(), RecordingState::Suspended);
        c.set_hold(false, t(3));
        assert_eq!(c.state(), RecordingState::Pause);
    }

    #[test]
    fn a_port_reports_the_active_call_else_the_held_one_with_its_duration() {
        let mut p = Port::new(t(0));
        assert_eq!(p.state(), RecordingState::NotRecording);
        assert_eq!(p.state_duration(t(5)), 0);
        let mut held = Call::start(recording(), 60, t(0));
        held.set_hold(true, t(0));
        p.held = Some(held);
        p.refresh(t(0));
        assert_eq!(p.state(), RecordingState::Suspended);
        assert_eq!(p.state_duration(t(7)), 7);
        p.active = Some(Call::start(recording(), 60, t(7)));
        p.refresh(t(7));
        assert_eq!(p.state(), RecordingState::Record);
        assert_eq!(p.state_duration(t(9)), 2);
        assert_eq!(p.target(), Some(Line::Active));
        assert_eq!(p.calls(), 2);
    }
}
