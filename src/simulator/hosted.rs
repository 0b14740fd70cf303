//! Profile `hosted`: the vendor's public test service, as the guides' Appendix A describes it and
//! `behavior.md` settles it.
//!
//! One unit (`1`), ports 1 to 288, a daily counter that InitStation and InitUser share, and the
//! service's own state rules (Stop from PAUSE answers 608, Cancel always succeeds, GetField answers
//! `123`, PortStatusEX reports 0 or 20 seconds).

use std::collections::HashMap;

use chrono::NaiveDateTime;

use super::refusal::{Answer, Refusal};
use super::store::{Event, Recording, StateChange};
use super::Shared;
use crate::api::{ApiVersion, Operation, Param, RecordingState, Request, Response, ResponseCode};

/// The number of ports on the hosted service's one unit.
pub const PORTS: u32 = 288;

/// The text the hosted service answers GetField with.
pub const FIELD_VALUE: &str = "123";

/// The stateDuration the hosted service reports in any state but NOT RECORDING.
pub const STATE_DURATION: i64 = 20;

/// The URL player base the hosted service's links use when none is configured.
pub const DEFAULT_URL_BASE: &str = "https://encore.dvsanalytics.com";

/// One port's recording.
#[derive(Debug, Clone, Default)]
struct PortSlot {
    state: RecordingState,
    recording: Option<Recording>,
}

/// The hosted service's state for one day.
#[derive(Debug, Clone)]
pub struct Hosted {
    stations: HashMap<String, u32>,
    users: HashMap<String, u32>,
    last_port: u32,
    ports: Vec<PortSlot>,
}

impl Default for Hosted {
    fn default() -> Self {
        Hosted {
            stations: HashMap::new(),
            users: HashMap::new(),
            last_port: 0,
            ports: vec![PortSlot::default(); PORTS as usize],
        }
    }
}

/// `text` without the blanks around it, as [`str::trim`] gives it: read without decoding a
/// character when the text starts and ends with an ASCII character that is not a blank (a unit
/// and a port as scripts and CRMs send them).
fn blanks_trimmed(text: &str) -> &str {
    let plain = |b: Option<&u8>| b.is_some_and(|b| b.is_ascii() && !char::from(*b).is_whitespace());
    let bytes = text.as_bytes();
    if plain(bytes.first()) && plain(bytes.last()) {
        text
    } else {
        text.trim()
    }
}

/// Reads Unit: any text that trims to `1`.
fn check_unit(unit: &str) -> Answer<()> {
    if blanks_trimmed(unit) == "1" {
        Ok(())
    } else {
        Err(Refusal::new(
            ResponseCode::UnitDoesNotExist,
            format!("Unit `{unit}` is not a unit here: the hosted service has unit 1 only"),
        ))
    }
}

/// Reads Port: a decimal integer from 1 to 288 (surrounding blanks allowed).
fn check_port(port: &str) -> Answer<u32> {
    let t = blanks_trimmed(port);
    // Digits only (no sign), read in one pass; too many of them is no port either.
    let n = (!t.is_empty()).then_some(t).and_then(|t| {
        t.bytes().try_fold(0u32, |n, b| {
            b.is_ascii_digit()
                .then(|| n.checked_mul(10)?.checked_add(u32::from(b - b'0')))
                .flatten()
        })
    });
    match n {
        Some(n) if (1..=PORTS).contains(&n) => Ok(n),
        _ => Err(Refusal::new(
            ResponseCode::PortDoesNotExist,
            format!("Port `{port}` is not a port of unit 1: ports are whole numbers 1 to {PORTS}"),
        )),
    }
}

fn wrong_state(
    code: ResponseCode,
    op: Operation,
    port: u32,
    st: RecordingState,
    needs: &str,
) -> Refusal {
    Refusal::new(code, format!("port {port} is {st}; {op} needs {needs}"))
}

impl Hosted {
    /// Forgets the day's assignments and every port's state (the nightly reset).
    pub fn reset_day(&mut self) {
        *self = Hosted::default();
    }

    /// The port a user was given today, by InitUser (matched without regard to case).
    pub fn user_port(&self, user: &str) -> Option<u32> {
        self.users.get(&user.trim().to_lowercase()).copied()
    }

    /// The recording in progress with a call index, if any.
    pub fn running(&self, index: &str) -> Option<&Recording> {
        self.ports
            .iter()
            .filter_map(|slot| slot.recording.as_ref())
            .find(|r| r.index == index)
    }

    /// The state of a port (1-based).
    pub fn state(&self, port: u32) -> RecordingState {
        self.ports[(port - 1) as usize].state
    }

    /// Answers one request.
    pub fn answer(
        &mut self,
        sh: &mut Shared,
        req: &Request,
        now: NaiveDateTime,
    ) -> Answer<Response> {
        let op = req.op();
        match op {
            Operation::InitStation => self.init_station(sh, req),
            Operation::InitUser => self.init_user(sh, req),
            Operation::LogEvent => self.log_event(sh, req, now),
            Operation::DesktopPause | Operation::DesktopResume => {
                sh.fault_gate(op)?;
                Ok(Response::ok(op))
            }
            _ => self.port_request(sh, req, now),
        }
    }

    fn take_port(&mut self, sh: &mut Shared, op: Operation, code: ResponseCode) -> Answer<u32> {
        if self.last_port >= PORTS {
            return Err(Refusal::new(
                code,
                format!("all {PORTS} ports are taken for today; the counter resets at midnight"),
            ));
        }
        sh.fault_gate(op)?;
        self.last_port += 1;
        Ok(self.last_port)
    }

    fn init_station(&mut self, sh: &mut Shared, req: &Request) -> Answer<Response> {
        let ext = req.get(Param::Extension);
        // Keys are compared trimmed, as Unit is: " 100" and "100" are the same extension.
        let ext = ext.trim();
        let port = match self.stations.get(ext) {
            Some(p) => {
                sh.fault_gate(Operation::InitStation)?;
                *p
            }
            None => {
                let p =
                    self.take_port(sh, Operation::InitStation, ResponseCode::NoPortForStation)?;
                self.stations.insert(ext.to_string(), p);
                p
            }
        };
        Ok(assigned(Operation::InitStation, port))
    }

    fn init_user(&mut self, sh: &mut Shared, req: &Request) -> Answer<Response> {
        let user = req.get(Param::User);
        let key = user.trim().to_lowercase();
        let port = match self.users.get(&key) {
            Some(p) => {
                sh.fault_gate(Operation::InitUser)?;
                *p
            }
            None => {
                let p = self.take_port(sh, Operation::InitUser, ResponseCode::NoPortForUser)?;
                self.users.insert(key, p);
                p
            }
        };
        Ok(assigned(Operation::InitUser, port))
    }

    fn log_event(
        &mut self,
        sh: &mut Shared,
        req: &Request,
        now: NaiveDateTime,
    ) -> Answer<Response> {
        let op = Operation::LogEvent;
        let (unit, port) = (req.get(Param::Unit), req.get(Param::Port));
        let mut tied = None;
        if !unit.is_empty() || !port.is_empty() {
            check_unit(unit)?;
            tied = Some(check_port(port)?);
        }
        super::checks::event_text(req, sh.api)?;
        if tied.is_none() && sh.api >= ApiVersion::V7_1 {
            tied = self.user_port(req.get(Param::User));
        }
        sh.fault_gate(op)?;
        let recording = tied.and_then(|p| {
            self.ports[(p - 1) as usize]
                .recording
                .as_ref()
                .map(|r| r.index.clone())
        });
        sh.store.events.push(Event {
            logged: now,
            event_type: req.get(Param::EventType).to_string(),
            timestamp: req.get(Param::EventTimestamp).to_string(),
            unit: tied.map(|_| "1".to_string()),
            port: tied,
            user: req.get(Param::User).to_string(),
            machine: req.get(Param::Machine).to_string(),
            parm1: req.get(Param::Parm1).to_string(),
            parm2: req.get(Param::Parm2).to_string(),
            parm3: req.get(Param::Parm3).to_string(),
            recording,
        });
        Ok(Response::ok(op))
    }

    /// Requests that address a unit and port.
    fn port_request(
        &mut self,
        sh: &mut Shared,
        req: &Request,
        now: NaiveDateTime,
    ) -> Answer<Response> {
        use RecordingState as S;
        let op = req.op();
        // Required parameters come first (652), then Unit (606), then Port (611).
        check_unit(req.get(Param::Unit))?;
        let port = check_port(req.get(Param::Port))?;
        let state = self.state(port);
        let recording_or_paused = matches!(state, S::Record | S::Pause);
        match op {
            Operation::StartRecording => {
                let max = req.max_recording_time().unwrap_or(0);
                if max < 0 {
                    return Err(Refusal::new(
                        ResponseCode::UnexpectedError,
                        format!("maxRecordingTimeInSeconds is {max}; it cannot be negative"),
                    ));
                }
                if !matches!(state, S::NotRecording | S::Pause) {
                    return Err(wrong_state(
                        ResponseCode::PortAlreadyRecording,
                        op,
                        port,
                        state,
                        "NOT RECORDING or PAUSE",
                    ));
                }
                sh.fault_gate(op)?;
                let slot = &mut self.ports[(port - 1) as usize];
                if slot.recording.is_none() {
                    slot.recording = Some(Recording {
                        index: sh.next_index(now),
                        unit: "1".to_string(),
                        port,
                        started: now,
                        stopped: None,
                        fields: Vec::new(),
                        states: Vec::new(),
                        ended_by: None,
                    });
                }
                self.set_state(port, S::Record, now);
                Ok(Response::ok(op))
            }
            Operation::StopRecording => {
                if state != S::Record {
                    return Err(wrong_state(
                        ResponseCode::PortNotRecording,
                        op,
                        port,
                        state,
                        "RECORD",
                    ));
                }
                sh.fault_gate(op)?;
                self.set_state(port, S::NotRecording, now);
                if let Some(mut rec) = self.ports[(port - 1) as usize].recording.take() {
                    rec.stopped = Some(now);
                    sh.store.recordings.push(rec);
                }
                Ok(Response::ok(op))
            }
            Operation::PauseRecording => {
                if state != S::Record {
                    return Err(wrong_state(
                        ResponseCode::PortNotRecording,
                        op,
                        port,
                        state,
                        "RECORD",
                    ));
                }
                sh.fault_gate(op)?;
                self.set_state(port, S::Pause, now);
                Ok(Response::ok(op))
            }
            Operation::ResumeRecording => {
                if state != S::Pause {
                    return Err(wrong_state(
                        ResponseCode::PortNotInPauseMode,
                        op,
                        port,
                        state,
                        "PAUSE",
                    ));
                }
                sh.fault_gate(op)?;
                self.set_state(port, S::Record, now);
                Ok(Response::ok(op))
            }
            Operation::CancelRecording => {
                sh.fault_gate(op)?;
                if state != S::NotRecording {
                    self.set_state(port, S::NotRecording, now);
                }
                self.ports[(port - 1) as usize].recording = None;
                Ok(Response::ok(op))
            }
            Operation::AssignField | Operation::GetField | Operation::GetUrl => {
                if !recording_or_paused {
                    return Err(wrong_state(
                        ResponseCode::PortNotRecording,
                        op,
                        port,
                        state,
                        "RECORD or PAUSE",
                    ));
                }
                sh.fault_gate(op)?;
                let rec = self.ports[(port - 1) as usize]
                    .recording
                    .as_mut()
                    .expect("a port in RECORD or PAUSE has a recording");
                let mut r = Response::ok(op);
                match op {
                    Operation::AssignField => {
                        rec.assign(req.get(Param::FieldName), req.get(Param::FieldValue))
                    }
                    Operation::GetField => r.set_value(FIELD_VALUE),
                    _ => {
                        let base = sh.url_base.as_deref().unwrap_or(DEFAULT_URL_BASE);
                        r.set_url(sh.url_for(base, &rec.index));
                    }
                }
                Ok(r)
            }
            Operation::PortStatus | Operation::PortStatusEx => {
                sh.fault_gate(op)?;
                let mut r = Response::ok(op);
                r.status = Some(state.text());
                if op == Operation::PortStatusEx {
                    r.duration = Some(if state == S::NotRecording {
                        0
                    } else {
                        STATE_DURATION
                    });
                }
                Ok(r)
            }
            Operation::InitStation
            | Operation::InitUser
            | Operation::LogEvent
            | Operation::DesktopPause
            | Operation::DesktopResume => unreachable!("{op} does not address a port"),
        }
    }

    fn set_state(&mut self, port: u32, state: RecordingState, now: NaiveDateTime) {
        let slot = &mut self.ports[(port - 1) as usize];
        slot.state = state;
        if let Some(rec) = slot.recording.as_mut() {
            rec.states.push(StateChange {
                state: state.as_str(),
                at: now,
            });
        }
    }
}

fn assigned(op: Operation, port: u32) -> Response {
    let mut r = Response::ok(op);
    r.set_unit("1");
    r.set_port(compact_str::ToCompactString::to_compact_string(&port));
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blanks_are_trimmed_as_str_trim_trims_them() {
        for text in [
            "",
            " ",
            "1",
            " 1",
            "1 ",
            "\u{b}1\u{b}",
            "\u{a0}1",
            "1\u{3000}",
            "\t5\r\n",
            "é",
            "1 2",
            "\u{85}7\u{85}",
            "x\u{c}",
        ] {
            assert_eq!(blanks_trimmed(text), text.trim(), "{text:?}");
        }
    }

    #[test]
    fn a_port_is_whole_digits_from_1_to_288_with_blanks_around_allowed() {
        for (text, port) in [("5", 5), (" 288 ", 288), ("007", 7), ("\t1\n", 1)] {
            assert_eq!(check_port(text).ok(), Some(port), "{text:?}");
        }
        for text in [
            "",
            " ",
            "+5",
            "-1",
            "0",
            "289",
            "4294967295",
            "4294967296",
            "99999999999999999999",
            "5a",
            "1 2",
            "\u{FF15}",
        ] {
            let refused = check_port(text).unwrap_err();
            assert_eq!(refused.code, ResponseCode::PortDoesNotExist, "{text:?}");
        }
    }
}
