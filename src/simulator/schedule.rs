//! Telephony events scheduled on the simulator's clock (`sim_at`): a hold, retrieve or hang-up
//! that happens at a time ahead, so that a CRM under test meets it with no script driving it.
//!
//! The simulator is a state machine without threads, so "happens on its own" means: the simulator
//! applies every event that is due, at its due time and in due order, at the first moment it
//! observes its clock at or past that time — before it answers a request, when the clock is
//! advanced, and when what it stored is read. A served simulator on the real clock therefore fires
//! a scheduled hold before answering the first request that arrives after it is due.

use std::collections::VecDeque;
use std::fmt;

use chrono::NaiveDateTime;
use serde::Serialize;

/// How many events may wait at once; `sim_at` beyond it is refused, so that scripts cannot grow the
/// list (read at every request) without bound.
pub const MAX_PENDING: usize = 10_000;

/// How many fired events are kept for `sim_scheduled()`; older ones are dropped.
const FIRED_CAPACITY: usize = 1_000;

/// A telephony event that can be scheduled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum TelephonyEvent {
    /// The active call goes on hold (`sim_hold`).
    Hold,
    /// The held call comes back (`sim_retrieve`).
    Retrieve,
    /// The call ends (`sim_hangup`).
    Hangup,
}

impl TelephonyEvent {
    /// Every event, in the order messages list them.
    pub const ALL: [TelephonyEvent; 3] = [
        TelephonyEvent::Hold,
        TelephonyEvent::Retrieve,
        TelephonyEvent::Hangup,
    ];

    /// The event's name in scripts and on the control interface: `hold`, `retrieve`, `hangup`.
    pub fn as_str(self) -> &'static str {
        match self {
            TelephonyEvent::Hold => "hold",
            TelephonyEvent::Retrieve => "retrieve",
            TelephonyEvent::Hangup => "hangup",
        }
    }

    /// The event of that name (case does not matter).
    pub fn from_name(name: &str) -> Option<TelephonyEvent> {
        TelephonyEvent::ALL
            .into_iter()
            .find(|e| e.as_str().eq_ignore_ascii_case(name.trim()))
    }
}

impl fmt::Display for TelephonyEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One scheduled event.
#[derive(Debug, Clone, Serialize)]
pub struct Scheduled {
    /// When it happens, on the simulator's clock.
    #[serde(serialize_with = "super::store::iso")]
    pub due: NaiveDateTime,
    /// What happens.
    pub event: TelephonyEvent,
    /// The unit, as given.
    pub unit: String,
    /// The port, as given.
    pub port: String,
    /// `pending`, `done`, or why it could not happen then (e.g. no active call to hold).
    pub outcome: String,
}

/// The events waiting for their time, and the last ones that fired.
#[derive(Debug, Default)]
pub struct Schedule {
    pending: Vec<Scheduled>,
    fired: VecDeque<Scheduled>,
}

impl Schedule {
    /// How many events wait.
    pub fn pending_count(&self) -> usize {
        self.pending.len()
    }

    /// Adds an event.
    pub fn add(&mut self, due: NaiveDateTime, event: TelephonyEvent, unit: &str, port: &str) {
        self.pending.push(Scheduled {
            due,
            event,
            unit: unit.to_string(),
            port: port.to_string(),
            outcome: "pending".to_string(),
        });
    }

    /// Whether no event is waiting (the common case, checked on every request).
    pub fn is_idle(&self) -> bool {
        self.pending.is_empty()
    }

    /// Removes and returns the events due by `now`, in due order (events due at the same time in
    /// the order they were scheduled).
    pub fn take_due(&mut self, now: NaiveDateTime) -> Vec<Scheduled> {
        let (mut due, waiting): (Vec<_>, Vec<_>) = std::mem::take(&mut self.pending)
            .into_iter()
            .partition(|s| s.due <= now);
        self.pending = waiting;
        due.sort_by_key(|s| s.due);
        due
    }

    /// Keeps a fired event with its outcome.
    pub fn fired(&mut self, event: Scheduled) {
        if self.fired.len() == FIRED_CAPACITY {
            self.fired.pop_front();
        }
        self.fired.push_back(event);
    }

    /// The fired events, oldest first, then the pending ones in due order.
    pub fn list(&self) -> Vec<Scheduled> {
        let mut pending = self.pending.clone();
        pending.sort_by_key(|s| s.due);
        self.fired.iter().cloned().chain(pending).collect()
    }

    /// Forgets every event.
    pub fn clear(&mut self) {
        self.pending.clear();
        self.fired.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S").unwrap()
    }

    #[test]
    fn due_events_come_out_in_due_order_and_later_ones_wait() {
        let mut s = Schedule::default();
        s.add(
            at("2026-11-30 10:00:30"),
            TelephonyEvent::Retrieve,
            "1",
            "5",
        );
        s.add(at("2026-11-30 10:00:10"), TelephonyEvent::Hold, "1", "5");
        s.add(at("2026-11-30 10:01:00"), TelephonyEvent::Hangup, "1", "5");
        assert!(s.take_due(at("2026-11-30 10:00:00")).is_empty());
        let due: Vec<_> = s
            .take_due(at("2026-11-30 10:00:30"))
            .into_iter()
            .map(|e| e.event)
            .collect();
        assert_eq!(due, [TelephonyEvent::Hold, TelephonyEvent::Retrieve]);
        assert!(!s.is_idle());
        assert_eq!(
            TelephonyEvent::from_name(" HOLD "),
            Some(TelephonyEvent::Hold)
        );
        assert_eq!(TelephonyEvent::from_name("park"), None);
    }
}
