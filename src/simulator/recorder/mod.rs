//! Profile `recorder`: a simulator of a real Encore system, following the guides' main sections and
//! `behavior.md`.
//!
//! It owns the configured units and their ports (two calls each), the directory of recorded users,
//! licences, maximum recording times, desktop recording, and the database every acknowledged change
//! is written to before it is answered. Timers (maximum recording time, desktop segments) fire
//! whenever the simulator reads its clock, at the moment they were due.
//!
//! Checks run in the order `behavior.md` fixes: required parameters, Unit (606), Port (611), the
//! state, then licences and injected faults. A request that fails a check changes nothing.

mod calls;
mod desktop;
mod directory;
mod licences;
mod lookups;
mod port;

use std::collections::BTreeMap;

use chrono::NaiveDateTime;

use super::config::{RecorderConfig, UnitConfig};
use super::db::{Db, DbError};
use super::refusal::{Answer, Refusal};
use super::store::{Assignment, DesktopRun, DesktopSegment, Event, Listed, Query, Recording};
use super::Shared;
use crate::api::{Operation, RecordingState, Request, Response, ResponseCode};

use desktop::Desktops;
pub use desktop::{DesktopView, SegmentView, SegmentWindow, SEGMENTS_LISTED, SEGMENT_SECONDS};
use directory::Directory;
use licences::Licences;
use port::{Line, Port};

/// Why a recording ended, as stored.
const BY_STOP: &str = "StopRecording";
const BY_MAX_TIME: &str = "maximum recording time";
const BY_HANGUP: &str = "hangup";

/// A unit and its ports.
#[derive(Debug, Clone)]
struct Unit {
    id: String,
    ports: BTreeMap<u32, Port>,
    /// The ports as configured, e.g. `1-24, 30`, for messages.
    listing: String,
}

/// Writes port numbers as ranges: `1-24, 30`.
fn listing(ports: &std::collections::BTreeSet<u32>) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut run: Option<(u32, u32)> = None;
    for &p in ports {
        run = match run {
            Some((a, b)) if p == b + 1 => Some((a, p)),
            Some((a, b)) => {
                parts.push(if a == b {
                    a.to_string()
                } else {
                    format!("{a}-{b}")
                });
                Some((p, p))
            }
            None => Some((p, p)),
        };
    }
    if let Some((a, b)) = run {
        parts.push(if a == b {
            a.to_string()
        } else {
            format!("{a}-{b}")
        });
    }
    parts.join(", ")
}

/// A database failure while answering: the recorder answers 801, as a real one that cannot write.
fn disk(e: DbError) -> Refusal {
    Refusal::new(
        ResponseCode::DiskError,
        format!("the simulator's database refused the write: {e}"),
    )
}

/// The recorder profile's state.
#[derive(Debug)]
pub struct Recorder {
    config: RecorderConfig,
    directory: Directory,
    units: Vec<Unit>,
    desktops: Desktops,
    licences: Licences,
    db: Db,
    /// Recordings stopped by their maximum time and desktop runs grown, not yet written (only
    /// when a write failed; retried at every tick). At most one run per desktop waits: a later
    /// end replaces an earlier one.
    pending_recordings: Vec<Recording>,
    pending_runs: Vec<DesktopRun>,
}

fn units_of(config: &[UnitConfig], now: NaiveDateTime) -> Vec<Unit> {
    config
        .iter()
        .map(|u| Unit {
            id: u.id.clone(),
            ports: u.ports.iter().map(|p| (*p, Port::new(now))).collect(),
            listing: listing(&u.ports),
        })
        .collect()
}

impl Recorder {
    /// A recorder with idle ports and every recorded desktop recording from `now`.
    pub fn new(config: RecorderConfig, db: Db, now: NaiveDateTime) -> Recorder {
        let directory = Directory::new(config.users.clone());
        Recorder {
            units: units_of(&config.units, now),
            desktops: Desktops::new(directory.desktop_logins(), now),
            licences: Licences {
                total: config.licences,
            },
            directory,
            config,
            db,
            pending_recordings: Vec::new(),
            pending_runs: Vec::new(),
        }
    }

    /// The configuration.
    pub fn config(&self) -> &RecorderConfig {
        &self.config
    }

    /// The database.
    pub fn db(&self) -> &Db {
        &self.db
    }

    /// Back to idle ports and fresh desktops, with an empty database (the call index counter stays).
    pub fn reset(&mut self, now: NaiveDateTime) -> Result<(), DbError> {
        self.units = units_of(&self.config.units, now);
        self.desktops = Desktops::new(self.directory.desktop_logins(), now);
        self.pending_recordings.clear();
        self.pending_runs.clear();
        self.db.clear()
    }

    /// Fires every timer due by `now`: recordings that reach their maximum time are stopped and
    /// saved at the moment they reached it; desktop runs are written up to their last whole
    /// segment (constant work per desktop, however far the clock moved).
    pub fn tick(&mut self, now: NaiveDateTime) {
        let mut due: Vec<(NaiveDateTime, usize, u32)> = Vec::new();
        for (u, unit) in self.units.iter().enumerate() {
            for (n, port) in &unit.ports {
                if let Some(d) = port.active.as_ref().and_then(|c| c.deadline()) {
                    if d <= now {
                        due.push((d, u, *n));
                    }
                }
            }
        }
        due.sort_unstable();
        for (at, u, n) in due {
            let port = self.units[u].ports.get_mut(&n).expect("a configured port");
            if let Some(call) = port.take(Line::Active) {
                self.pending_recordings.push(call.finish(at, BY_MAX_TIME));
            }
            port.refresh(at);
        }
        for run in self.desktops.roll(now) {
            self.pending_runs
                .retain(|p| !(p.login == run.login && p.started == run.started));
            self.pending_runs.push(run);
        }
        // A failed write stays pending and is tried again at the next tick.
        let _ = self.flush();
    }

    /// Writes what timers produced.
    fn flush(&mut self) -> Result<(), DbError> {
        while let Some(rec) = self.pending_recordings.first() {
            self.db.save_recording(rec)?;
            self.pending_recordings.remove(0);
        }
        if !self.pending_runs.is_empty() {
            self.db.save_runs(&self.pending_runs)?;
            self.pending_runs.clear();
        }
        Ok(())
    }

    /// The unit a request names: its ID as configured, blanks aside (numbers compare as numbers).
    fn find_unit(&self, text: &str) -> Answer<usize> {
        let t = text.trim();
        let numeric = t.parse::<i64>().ok();
        self.units
            .iter()
            .position(|u| u.id == t || (numeric.is_some() && u.id.parse::<i64>().ok() == numeric))
            .ok_or_else(|| {
                let ids: Vec<&str> = self.units.iter().map(|u| u.id.as_str()).collect();
                Refusal::new(
                    ResponseCode::UnitDoesNotExist,
                    format!(
                        "Unit `{text}` is not configured: the units are {}",
                        ids.join(", ")
                    ),
                )
            })
    }

    /// The port a request names on a unit: a decimal number among the unit's ports.
    fn find_port(&self, unit: usize, text: &str) -> Answer<u32> {
        let t = text.trim();
        let u = &self.units[unit];
        let n = if !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit()) {
            t.parse::<u32>().ok()
        } else {
            None
        };
        match n {
            Some(n) if u.ports.contains_key(&n) => Ok(n),
            _ => Err(Refusal::new(
                ResponseCode::PortDoesNotExist,
                format!(
                    "Port `{text}` is not a port of unit {}: its ports are {}",
                    u.id, u.listing
                ),
            )),
        }
    }

    /// A port, to change.
    fn port_mut(&mut self, unit: usize, port: u32) -> &mut Port {
        self.units[unit]
            .ports
            .get_mut(&port)
            .expect("a port found by find_port")
    }

    /// How many recordings are in progress (each holds a licence).
    fn in_use(&self) -> usize {
        self.units
            .iter()
            .flat_map(|u| u.ports.values())
            .map(Port::calls)
            .sum()
    }

    /// Answers one request; timers must have been fired up to `now`.
    pub fn answer(
        &mut self,
        sh: &mut Shared,
        req: &Request,
        now: NaiveDateTime,
    ) -> Answer<Response> {
        match req.op() {
            Operation::InitStation => self.init_station(sh, req, now),
            Operation::InitUser => self.init_user(sh, req, now),
            Operation::LogEvent => self.log_event(sh, req, now),
            Operation::DesktopPause | Operation::DesktopResume => self.desktop(sh, req, now),
            _ => self.port_request(sh, req, now),
        }
    }

    /// DesktopPause and DesktopResume.
    fn desktop(&mut self, sh: &mut Shared, req: &Request, now: NaiveDateTime) -> Answer<Response> {
        let op = req.op();
        let user = req.get(crate::api::Param::User);
        let Some(login) = self.directory.desktop_login(user).map(str::to_string) else {
            let why = match self.directory.by_login(user) {
                directory::Lookup::None => "is not in the directory",
                _ => "has desktop recording off",
            };
            return Err(Refusal::new(
                ResponseCode::DesktopNotPossible,
                format!("user `{}` {why}", user.trim()),
            ));
        };
        let state = self.desktops.state(&login).unwrap_or_default();
        if op == Operation::DesktopPause {
            if state != RecordingState::Record {
                return Err(Refusal::new(
                    ResponseCode::DesktopPauseFailed,
                    format!("the desktop of `{login}` is {state}; DesktopPause needs RECORD"),
                ));
            }
            sh.fault_gate(op)?;
            // What timers left unwritten goes first, so that the closing end is the last word.
            self.flush().map_err(disk)?;
            if let Some(run) = self.desktops.closing_run(&login, now) {
                self.db.save_runs(&[run]).map_err(disk)?;
            }
            self.desktops.pause(&login);
        } else {
            if state != RecordingState::NotRecording {
                return Err(Refusal::new(
                    ResponseCode::DesktopResumeFailed,
                    format!(
                        "the desktop of `{login}` is {state}; DesktopResume needs NOT RECORDING"
                    ),
                ));
            }
            sh.fault_gate(op)?;
            self.desktops.resume(&login, now);
        }
        Ok(Response::ok(op))
    }

    /// Resolves a unit and port for a telephony event, in words for the caller.
    pub(crate) fn resolve(&self, unit: &str, port: &str) -> Result<(usize, u32), String> {
        let u = self.find_unit(unit).map_err(|r| r.reason)?;
        let p = self.find_port(u, port).map_err(|r| r.reason)?;
        Ok((u, p))
    }

    /// Telephony: the active call on a port goes on hold (RECORD becomes SUSPENDED).
    pub fn hold(&mut self, unit: &str, port: &str, now: NaiveDateTime) -> Result<(), String> {
        let (u, n) = self.resolve(unit, port)?;
        let id = self.units[u].id.clone();
        let p = self.port_mut(u, n);
        if p.held.is_some() {
            return Err(format!(
                "unit {id} port {n} already has a call on hold; a port carries two calls at most"
            ));
        }
        let Some(mut call) = p.take(Line::Active) else {
            return Err(format!(
                "unit {id} port {n} has no active call to put on hold (it is NOT RECORDING)"
            ));
        };
        call.set_hold(true, now);
        p.held = Some(call);
        p.refresh(now);
        Ok(())
    }

    /// Telephony: the held call on a port is taken off hold (it records again unless paused).
    pub fn retrieve(&mut self, unit: &str, port: &str, now: NaiveDateTime) -> Result<(), String> {
        let (u, n) = self.resolve(unit, port)?;
        let id = self.units[u].id.clone();
        let p = self.port_mut(u, n);
        if p.active.is_some() {
            return Err(format!(
                "unit {id} port {n} has an active call; hang it up before taking the held call off hold"
            ));
        }
        let Some(mut call) = p.take(Line::Held) else {
            return Err(format!("unit {id} port {n} has no call on hold"));
        };
        call.set_hold(false, now);
        p.active = Some(call);
        p.refresh(now);
        Ok(())
    }

    /// Telephony: the active call on a port ends (or the held one, when it is the only one); its
    /// recording is stopped and saved with its fields.
    pub fn hangup(&mut self, unit: &str, port: &str, now: NaiveDateTime) -> Result<(), String> {
        let (u, n) = self.resolve(unit, port)?;
        let id = self.units[u].id.clone();
        let p = self.units[u]
            .ports
            .get_mut(&n)
            .expect("a port found by resolve");
        let Some(line) = p.target() else {
            return Err(format!("unit {id} port {n} has no call to hang up"));
        };
        let rec = p
            .call_mut(line)
            .expect("the target call")
            .clone()
            .finish(now, BY_HANGUP);
        self.db
            .save_recording(&rec)
            .map_err(|e| format!("the recording could not be saved: {e}"))?;
        p.take(line);
        p.refresh(now);
        Ok(())
    }

    /// The stopped recordings a query selects, from the database.
    pub fn list_recordings(&mut self, query: &Query) -> Result<Vec<Listed<Recording>>, DbError> {
        self.flush()?;
        self.db.list_recordings(query)
    }

    /// A recording by call index: one in progress on a port (not yet stopped), else a stopped one
    /// from the database.
    pub fn recording(&mut self, index: &str) -> Result<Option<Recording>, DbError> {
        let running = self
            .units
            .iter()
            .flat_map(|u| u.ports.values())
            .flat_map(|p| p.active.iter().chain(p.held.iter()))
            .find(|c| c.recording.index == index);
        if let Some(call) = running {
            return Ok(Some(call.recording.clone()));
        }
        self.flush()?;
        self.db.recording(index)
    }

    /// The events tied to a recording, from the database.
    pub fn events_of(&self, index: &str) -> Result<Vec<Event>, DbError> {
        self.db.events_of(index)
    }

    /// The logged events a query selects, from the database.
    pub fn list_events(&self, query: &Query) -> Result<Vec<Listed<Event>>, DbError> {
        self.db.list_events(query)
    }

    /// The latest closed desktop segments (at most [`SEGMENTS_LISTED`] per desktop), ordered by
    /// end.
    pub fn segments(&mut self, now: NaiveDateTime) -> Result<Vec<DesktopSegment>, DbError> {
        Ok(desktop::closed_segments(
            &self.desktops(now, &SegmentWindow::default())?,
        ))
    }

    /// Every recorded desktop with its state and the segments of a window (runs closed from the
    /// database, then the one in progress, cut into segments), in login order. Bounded by the
    /// runs kept and the window's limit, never by how long the desktops recorded.
    pub fn desktops(
        &mut self,
        now: NaiveDateTime,
        window: &SegmentWindow,
    ) -> Result<Vec<DesktopView>, DbError> {
        self.flush()?;
        let stored = self.db.runs()?;
        let mut views = Vec::new();
        for (login, open) in self.desktops.open_runs() {
            let (unit, port) = match self.directory.by_login(login) {
                directory::Lookup::One(unit, port) => (Some(unit), Some(port.to_string())),
                _ => (None, None),
            };
            // Once written (up to its last whole segment), the run in progress is in the database
            // too: it is cut from memory, up to the clock's time, instead.
            let in_db = open
                .filter(|(_, written)| *written)
                .map(|(started, _)| started);
            let mut runs: Vec<(NaiveDateTime, NaiveDateTime, bool)> = stored
                .iter()
                .filter(|r| r.login.eq_ignore_ascii_case(login) && Some(r.started) != in_db)
                .map(|r| (r.started, r.ended, false))
                .collect();
            if let Some((started, _)) = open {
                runs.push((started, now.max(started), true));
            }
            let (segments, segments_total) = desktop::segments_in(&runs, window);
            views.push(DesktopView {
                login: login.to_string(),
                state: if open.is_some() {
                    RecordingState::Record
                } else {
                    RecordingState::NotRecording
                }
                .to_string(),
                unit,
                port,
                segments,
                segments_total,
            });
        }
        Ok(views)
    }

    /// Every port assignment, from the database.
    pub fn assignments(&self) -> Result<Vec<Assignment>, DbError> {
        self.db.assignments()
    }

    /// The state a port reports, for a unit and port as configured.
    pub fn port_state(&self, unit: &str, port: u32) -> Option<RecordingState> {
        self.units
            .iter()
            .find(|u| u.id == unit)
            .and_then(|u| u.ports.get(&port))
            .map(Port::state)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn port_listings_are_written_as_ranges() {
        let set = [1, 2, 3, 5, 7, 8].into_iter().collect();
        assert_eq!(listing(&set), "1-3, 5, 7-8");
    }
}
