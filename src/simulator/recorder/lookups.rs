//! The requests answered from the directory: InitStation (by extension), InitUser (by login ID,
//! without regard to case) and LogEvent (tied to a port given, or under 7.1 to the user's port).

use chrono::NaiveDateTime;

use super::directory::Lookup;
use super::{disk, Recorder};
use crate::api::{ApiVersion, Operation, Param, Request, Response, ResponseCode};
use crate::simulator::refusal::{Answer, Refusal};
use crate::simulator::store::{Assignment, Event};
use crate::simulator::Shared;

impl Recorder {
    /// Records the day's assignment and answers with the unit and port.
    fn assign(
        &mut self,
        sh: &mut Shared,
        op: Operation,
        key: &str,
        (unit, port): (String, u32),
        now: NaiveDateTime,
    ) -> Answer<Response> {
        sh.fault_gate(op)?;
        self.db
            .save_assignment(&Assignment {
                day: now.date().to_string(),
                op: op.name().to_string(),
                key: key.trim().to_string(),
                unit: unit.clone(),
                port,
                at: now,
            })
            .map_err(disk)?;
        let mut r = Response::ok(op);
        r.set_unit(unit);
        r.set_port(port.to_string());
        Ok(r)
    }

    pub(super) fn init_station(
        &mut self,
        sh: &mut Shared,
        req: &Request,
        now: NaiveDateTime,
    ) -> Answer<Response> {
        let ext = req.get(Param::Extension);
        match self.directory.by_extension(ext) {
            Lookup::None => Err(Refusal::new(
                ResponseCode::NoPortForStation,
                format!("no user in the directory has extension `{}`", ext.trim()),
            )),
            Lookup::Several(n) => Err(Refusal::new(
                ResponseCode::SeveralPortsForStation,
                format!("extension `{}` is recorded on {n} ports", ext.trim()),
            )),
            Lookup::One(unit, port) => {
                self.assign(sh, Operation::InitStation, ext, (unit, port), now)
            }
        }
    }

    pub(super) fn init_user(
        &mut self,
        sh: &mut Shared,
        req: &Request,
        now: NaiveDateTime,
    ) -> Answer<Response> {
        let user = req.get(Param::User);
        match self.directory.by_login(user) {
            Lookup::None => Err(Refusal::new(
                ResponseCode::NoPortForUser,
                format!("no user in the directory has login ID `{}`", user.trim()),
            )),
            Lookup::Several(n) => Err(Refusal::new(
                ResponseCode::SeveralPortsForUser,
                format!("login ID `{}` is recorded on {n} ports", user.trim()),
            )),
            Lookup::One(unit, port) => {
                self.assign(sh, Operation::InitUser, user, (unit, port), now)
            }
        }
    }

    pub(super) fn log_event(
        &mut self,
        sh: &mut Shared,
        req: &Request,
        now: NaiveDateTime,
    ) -> Answer<Response> {
        let op = Operation::LogEvent;
        let (unit, port) = (req.get(Param::Unit), req.get(Param::Port));
        let mut tied = None;
        if !unit.is_empty() || !port.is_empty() {
            let u = self.find_unit(unit)?;
            tied = Some((u, self.find_port(u, port)?));
        }
        super::super::checks::event_text(req, sh.api)?;
        if tied.is_none() && sh.api >= ApiVersion::V7_1 {
            if let Lookup::One(unit, port) = self.directory.by_login(req.get(Param::User)) {
                tied = self
                    .units
                    .iter()
                    .position(|u| u.id == unit)
                    .map(|u| (u, port));
            }
        }
        sh.fault_gate(op)?;
        let (unit, port, recording) = match tied {
            Some((u, n)) => {
                let p = self.port_mut(u, n);
                let recording = p.target_call().map(|c| c.recording.index.clone());
                (Some(self.units[u].id.clone()), Some(n), recording)
            }
            None => (None, None, None),
        };
        self.db
            .save_event(&Event {
                logged: now,
                event_type: req.get(Param::EventType).to_string(),
                timestamp: req.get(Param::EventTimestamp).to_string(),
                unit,
                port,
                user: req.get(Param::User).to_string(),
                machine: req.get(Param::Machine).to_string(),
                parm1: req.get(Param::Parm1).to_string(),
                parm2: req.get(Param::Parm2).to_string(),
                parm3: req.get(Param::Parm3).to_string(),
                recording,
            })
            .map_err(disk)?;
        Ok(Response::ok(op))
    }
}
