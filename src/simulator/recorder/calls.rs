//! The requests that address a unit and port: Start, Stop, Cancel, Pause, Resume, AssignField,
//! GetField, GetURL, PortStatus and PortStatusEX, acting on the port's active call, or on its held
//! call when that is the only one.

use chrono::NaiveDateTime;

use super::port::{Call, Line};
use super::{disk, Recorder, BY_STOP};
use crate::api::{Operation, Param, RecordingState as S, Request, Response, ResponseCode};
use crate::simulator::refusal::{Answer, Refusal};
use crate::simulator::store::Recording;
use crate::simulator::Shared;

fn wrong_state(
    code: ResponseCode,
    op: Operation,
    unit: &str,
    port: u32,
    st: S,
    needs: &str,
) -> Refusal {
    Refusal::new(
        code,
        format!("unit {unit} port {port} is {st}; {op} needs {needs}"),
    )
}

impl Recorder {
    /// Answers a request that addresses a unit and port.
    pub(super) fn port_request(
        &mut self,
        sh: &mut Shared,
        req: &Request,
        now: NaiveDateTime,
    ) -> Answer<Response> {
        let op = req.op();
        let u = self.find_unit(req.get(Param::Unit))?;
        let n = self.find_port(u, req.get(Param::Port))?;
        let unit = self.units[u].id.clone();
        let state = self.port_mut(u, n).state();
        let refuse = |code, needs| Err(wrong_state(code, op, &unit, n, state, needs));
        match op {
            Operation::StartRecording => {
                let max = req.max_recording_time().unwrap_or(0);
                if max < 0 {
                    return Err(Refusal::new(
                        ResponseCode::UnexpectedError,
                        format!("maxRecordingTimeInSeconds is {max}; it cannot be negative"),
                    ));
                }
                if state == S::Record {
                    return refuse(
                        ResponseCode::PortAlreadyRecording,
                        "NOT RECORDING, PAUSE or SUSPENDED",
                    );
                }
                // From PAUSE the paused call records again; otherwise a new call is recorded.
                let new_call = state != S::Pause;
                if new_call {
                    self.licences.check(self.in_use())?;
                }
                sh.fault_gate(op)?;
                if new_call {
                    let index = sh.next_index(now);
                    self.db.set_last_index(sh.last_index).map_err(disk)?;
                    let max = if max > 0 {
                        max as u32
                    } else {
                        self.config.max_recording_seconds
                    };
                    let recording = Recording {
                        index,
                        unit,
                        port: n,
                        started: now,
                        stopped: None,
                        fields: Vec::new(),
                        states: Vec::new(),
                        ended_by: None,
                    };
                    let p = self.port_mut(u, n);
                    if let Some(held) = p.held.as_mut() {
                        held.set_paused(false, now);
                    }
                    p.active = Some(Call::start(recording, max, now));
                } else {
                    for call in self.port_mut(u, n).calls_mut() {
                        call.set_paused(false, now);
                    }
                }
                self.port_mut(u, n).refresh(now);
                Ok(Response::ok(op))
            }
            Operation::StopRecording | Operation::CancelRecording => {
                if state == S::NotRecording {
                    return refuse(
                        ResponseCode::PortNotInRecordOrPause,
                        "RECORD, PAUSE or SUSPENDED",
                    );
                }
                sh.fault_gate(op)?;
                let p = self.units[u].ports.get_mut(&n).expect("a found port");
                let line = p.target().expect("a port not NOT RECORDING has a call");
                if op == Operation::StopRecording {
                    let rec = p
                        .call_mut(line)
                        .expect("the target call")
                        .clone()
                        .finish(now, BY_STOP);
                    // Written before the answer: nothing acknowledged is lost.
                    self.db.save_recording(&rec).map_err(disk)?;
                }
                p.take(line);
                p.refresh(now);
                Ok(Response::ok(op))
            }
            Operation::PauseRecording => {
                if !matches!(state, S::Record | S::Suspended) {
                    return refuse(ResponseCode::PortNotRecording, "RECORD or SUSPENDED");
                }
                sh.fault_gate(op)?;
                let p = self.port_mut(u, n);
                for call in p.calls_mut() {
                    call.set_paused(true, now);
                }
                p.refresh(now);
                Ok(Response::ok(op))
            }
            Operation::ResumeRecording => {
                if state == S::NotRecording {
                    return refuse(
                        ResponseCode::PortNotInPauseMode,
                        "PAUSE, RECORD or SUSPENDED",
                    );
                }
                sh.fault_gate(op)?;
                let p = self.port_mut(u, n);
                for call in p.calls_mut() {
                    call.set_paused(false, now);
                }
                p.refresh(now);
                Ok(Response::ok(op))
            }
            Operation::AssignField | Operation::GetField => {
                if state == S::NotRecording {
                    return refuse(ResponseCode::PortNotRecording, "RECORD, PAUSE or SUSPENDED");
                }
                let name = req.get(Param::FieldName);
                let column = self.config.column(name).cloned();
                if op == Operation::AssignField {
                    let value = req.get(Param::FieldValue);
                    let Some(column) = column else {
                        let names: Vec<&str> = self
                            .config
                            .columns
                            .iter()
                            .map(|c| c.name.as_str())
                            .collect();
                        return Err(Refusal::new(
                            ResponseCode::UnexpectedError,
                            format!(
                                "column `{name}` is not configured; the columns are {}",
                                names.join(", ")
                            ),
                        ));
                    };
                    column.sql_type.check(value).map_err(|why| {
                        Refusal::new(
                            ResponseCode::UnexpectedError,
                            format!("{} refuses the value: {why}", column.name),
                        )
                    })?;
                    sh.fault_gate(op)?;
                    let p = self.port_mut(u, n);
                    let line = p.target().expect("a port not NOT RECORDING has a call");
                    p.call_mut(line)
                        .expect("the target call")
                        .recording
                        .assign(&column.name, value);
                    Ok(Response::ok(op))
                } else {
                    sh.fault_gate(op)?;
                    let p = self.port_mut(u, n);
                    let call = p
                        .target_call()
                        .expect("a port not NOT RECORDING has a call");
                    let value = column
                        .and_then(|c| call.recording.field(&c.name).map(str::to_string))
                        .unwrap_or_default();
                    let mut r = Response::ok(op);
                    r.set_value(value);
                    Ok(r)
                }
            }
            Operation::GetUrl => {
                if !matches!(state, S::Record | S::Pause) {
                    return refuse(ResponseCode::PortNotRecording, "RECORD or PAUSE");
                }
                let Some(base) = sh.url_base.clone() else {
                    return Err(Refusal::new(
                        ResponseCode::UrlPlayerNotDefined,
                        "no URL player base is configured (url_player in the configuration)",
                    ));
                };
                sh.fault_gate(op)?;
                let p = self.port_mut(u, n);
                let call = p
                    .call_mut(Line::Active)
                    .expect("RECORD or PAUSE is the active call");
                let url = sh.url_for(&base, &call.recording.index);
                let mut r = Response::ok(op);
                r.set_url(url);
                Ok(r)
            }
            Operation::PortStatus | Operation::PortStatusEx => {
                sh.fault_gate(op)?;
                let p = self.port_mut(u, n);
                let mut r = Response::ok(op);
                r.status = Some(state.text());
                if op == Operation::PortStatusEx {
                    r.duration = Some(p.state_duration(now));
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
}
