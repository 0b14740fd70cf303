//! The control interface of a served simulator: [`SimControl`] carried as JSON over HTTP, so that
//! `sim_*` script functions work against `ecapi serve` as they do on the embedded simulator.
//!
//! One command per POST to `<endpoint>/control`, e.g. `{"fn":"hold","unit":"1","port":"3"}`;
//! the answer is `{"ok":true,"value":...}` or `{"ok":false,"kind":"NotInProfile","message":...}`.
//! Both ends live here: the server calls [`answer`], the SOAP client [`Command::send_json`] and
//! [`read_answer`]. A real Encore server has no such path; the client only offers control when the
//! server said it is a simulator (the [`SIMULATOR_HEADER`] on its WSDL).

use serde_json::{json, Value};

use super::{ControlError, SimControl};
use crate::api::Operation;
use crate::simulator::{Query, TelephonyEvent};

/// The header `ecapi serve` adds to its answers, naming its profile and API version; its presence
/// is how a client knows it may use the control interface.
pub const SIMULATOR_HEADER: &str = "x-ecapi-simulator";

/// The header a client sends the control token in, when the server requires one (`ecapi serve`
/// beyond loopback, or started with `--control-token`). `Authorization` stays free for basic
/// authentication.
pub const CONTROL_TOKEN_HEADER: &str = "x-ecapi-control-token";

/// The path of the control interface under the endpoint.
pub const CONTROL_SUFFIX: &str = "/control";

/// A failure below the Web API that a served simulator can be told to answer with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WireFault {
    /// HTTP 503 with an HTML error page; the request does not reach the simulator.
    HttpError,
    /// A SOAP `InternalServiceFault`; the request does not reach the simulator.
    SoapFault,
    /// HTTP 200 with half an envelope; the simulator has acted on the request.
    BrokenBody,
    /// The connection closes without a complete answer; the simulator has acted on the request.
    Drop,
}

impl WireFault {
    /// Every kind.
    pub const ALL: [WireFault; 4] = [
        WireFault::HttpError,
        WireFault::SoapFault,
        WireFault::BrokenBody,
        WireFault::Drop,
    ];

    /// The kind's name: `http`, `fault`, `broken` or `drop`.
    pub fn as_str(self) -> &'static str {
        match self {
            WireFault::HttpError => "http",
            WireFault::SoapFault => "fault",
            WireFault::BrokenBody => "broken",
            WireFault::Drop => "drop",
        }
    }

    /// The kind named `http`, `fault`, `broken` or `drop`.
    pub fn from_name(name: &str) -> Option<WireFault> {
        WireFault::ALL.into_iter().find(|k| k.as_str() == name)
    }

    /// What the failure looks like, for messages.
    pub fn describe(self) -> &'static str {
        match self {
            WireFault::HttpError => "an HTTP error page",
            WireFault::SoapFault => "a SOAP fault",
            WireFault::BrokenBody => "a broken body",
            WireFault::Drop => "a dropped connection",
        }
    }
}

/// One control request.
#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    /// `sim_reset`.
    Reset,
    /// `sim_advance`.
    Advance(f64),
    /// `sim_hold`.
    Hold(String, String),
    /// `sim_retrieve`.
    Retrieve(String, String),
    /// `sim_hangup`.
    Hangup(String, String),
    /// `sim_fault` with a count.
    Fault(Option<Operation>, u16, Option<u32>),
    /// `sim_fault` with a probability.
    FaultChance(Option<Operation>, u16, f64),
    /// `sim_delay`.
    Delay(Option<Operation>, u64),
    /// A failure below the Web API (served simulators only).
    WireFault(Option<Operation>, WireFault, Option<u32>),
    /// `sim_recordings`, filtered and limited.
    Recordings(Query),
    /// `sim_events`, filtered and limited.
    Events(Query),
    /// `sim_journal`.
    Journal,
    /// `sim_fault` scoped to a unit and port.
    FaultAt(Option<Operation>, u16, Option<u32>, String, String),
    /// `sim_delay` scoped to a unit and port.
    DelayAt(Option<Operation>, u64, String, String),
    /// `sim_at`: seconds ahead, the event, unit, port.
    At(f64, TelephonyEvent, String, String),
    /// `sim_scheduled`.
    Scheduled,
    /// `sim_desktops`.
    Desktops,
    /// `sim_findings`: what the audit found in the traffic so far.
    Findings,
    /// `sim_coverage`: the operations × response codes the client was answered with.
    Coverage,
    /// Makes a session on a served simulator (answered by the server, not a simulator).
    SessionNew,
    /// Ends a session: the one whose control path it is sent to, or the one named.
    SessionDrop(Option<String>),
}

fn op_json(op: Option<Operation>) -> Value {
    op.map_or(Value::Null, |o| Value::from(o.name()))
}

impl Command {
    /// The command as the JSON the server reads.
    pub fn send_json(&self) -> Value {
        match self {
            Command::Reset => json!({"fn": "reset"}),
            Command::Advance(s) => json!({"fn": "advance", "seconds": s}),
            Command::Hold(u, p) => json!({"fn": "hold", "unit": u, "port": p}),
            Command::Retrieve(u, p) => json!({"fn": "retrieve", "unit": u, "port": p}),
            Command::Hangup(u, p) => json!({"fn": "hangup", "unit": u, "port": p}),
            Command::Fault(op, code, count) => {
                json!({"fn": "fault", "op": op_json(*op), "code": code, "count": count})
            }
            Command::FaultChance(op, code, p) => {
                json!({"fn": "fault_chance", "op": op_json(*op), "code": code, "probability": p})
            }
            Command::Delay(op, ms) => json!({"fn": "delay", "op": op_json(*op), "ms": ms}),
            Command::WireFault(op, kind, count) => {
                json!({"fn": "wire_fault", "op": op_json(*op), "kind": kind.as_str(), "count": count})
            }
            Command::Recordings(q) => query_json("recordings", q),
            Command::Events(q) => query_json("events", q),
            Command::Journal => json!({"fn": "journal"}),
            Command::FaultAt(op, code, count, u, p) => json!({
                "fn": "fault", "op": op_json(*op), "code": code, "count": count,
                "unit": u, "port": p
            }),
            Command::DelayAt(op, ms, u, p) => {
                json!({"fn": "delay", "op": op_json(*op), "ms": ms, "unit": u, "port": p})
            }
            Command::At(s, e, u, p) => {
                json!({"fn": "at", "seconds": s, "event": e.as_str(), "unit": u, "port": p})
            }
            Command::Scheduled => json!({"fn": "scheduled"}),
            Command::Desktops => json!({"fn": "desktops"}),
            Command::Findings => json!({"fn": "findings"}),
            Command::Coverage => json!({"fn": "coverage"}),
            Command::SessionNew => json!({"fn": "session_new"}),
            Command::SessionDrop(id) => json!({"fn": "session_drop", "id": id}),
        }
    }

    /// Reads a command sent by [`Command::send_json`].
    pub fn from_json(v: &Value) -> Result<Command, String> {
        let text = |k: &str| {
            v.get(k)
                .and_then(Value::as_str)
                .map(str::to_string)
                .ok_or_else(|| format!("`{k}` must be a string"))
        };
        let number = |k: &str| {
            v.get(k)
                .and_then(Value::as_f64)
                .ok_or_else(|| format!("`{k}` must be a number"))
        };
        let op = || match v.get("op") {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(name)) => Operation::from_name(name)
                .map(Some)
                .ok_or_else(|| format!("unknown operation `{name}`")),
            Some(_) => Err("`op` must be an operation name or null".to_string()),
        };
        let code = || {
            v.get("code")
                .and_then(Value::as_u64)
                .and_then(|c| u16::try_from(c).ok())
                .ok_or_else(|| "`code` must be a response code".to_string())
        };
        // A fault or delay with a unit and port is scoped to that port.
        let scope = || match (v.get("unit"), v.get("port")) {
            (None | Some(Value::Null), None | Some(Value::Null)) => Ok(None),
            _ => Ok::<_, String>(Some((text("unit")?, text("port")?))),
        };
        let count = || {
            v.get("count")
                .and_then(Value::as_u64)
                .map(|c| u32::try_from(c).unwrap_or(u32::MAX))
        };
        match v.get("fn").and_then(Value::as_str).unwrap_or_default() {
            "reset" => Ok(Command::Reset),
            "advance" => Ok(Command::Advance(number("seconds")?)),
            "hold" => Ok(Command::Hold(text("unit")?, text("port")?)),
            "retrieve" => Ok(Command::Retrieve(text("unit")?, text("port")?)),
            "hangup" => Ok(Command::Hangup(text("unit")?, text("port")?)),
            "fault" => Ok(match scope()? {
                None => Command::Fault(op()?, code()?, count()),
                Some((u, p)) => Command::FaultAt(op()?, code()?, count(), u, p),
            }),
            "fault_chance" => Ok(Command::FaultChance(op()?, code()?, number("probability")?)),
            "delay" => {
                let ms = number("ms")?;
                if !(ms.is_finite() && ms >= 0.0 && ms.fract() == 0.0) {
                    return Err(format!(
                        "`ms` must be a whole number of 0 or more, not {ms}"
                    ));
                }
                if ms > super::MAX_DELAY_MS as f64 {
                    return Err(format!(
                        "a delay of {ms} ms is too long: at most {} ms (10 minutes)",
                        super::MAX_DELAY_MS
                    ));
                }
                let ms = ms as u64;
                Ok(match scope()? {
                    None => Command::Delay(op()?, ms),
                    Some((u, p)) => Command::DelayAt(op()?, ms, u, p),
                })
            }
            "at" => Ok(Command::At(
                number("seconds")?,
                TelephonyEvent::from_name(&text("event")?)
                    .ok_or_else(|| "`event` must be hold, retrieve or hangup".to_string())?,
                text("unit")?,
                text("port")?,
            )),
            "scheduled" => Ok(Command::Scheduled),
            "desktops" => Ok(Command::Desktops),
            "session_new" => Ok(Command::SessionNew),
            "session_drop" => Ok(Command::SessionDrop(
                v.get("id").and_then(Value::as_str).map(str::to_string),
            )),
            "wire_fault" => Ok(Command::WireFault(
                op()?,
                WireFault::from_name(&text("kind")?)
                    .ok_or_else(|| "`kind` must be http, fault, broken or drop".to_string())?,
                v.get("count")
                    .and_then(Value::as_u64)
                    .map(|c| u32::try_from(c).unwrap_or(u32::MAX)),
            )),
            "recordings" => Ok(Command::Recordings(query_of(v)?)),
            "events" => Ok(Command::Events(query_of(v)?)),
            "journal" => Ok(Command::Journal),
            "findings" => Ok(Command::Findings),
            "coverage" => Ok(Command::Coverage),
            other => Err(format!("unknown control function `{other}`")),
        }
    }

    /// Runs the command on a simulator's control.
    pub fn apply(self, control: &mut dyn SimControl) -> Result<Value, ControlError> {
        let done = |r: Result<(), ControlError>| r.map(|()| Value::Null);
        match self {
            Command::Reset => done(control.reset()),
            Command::Advance(s) => done(control.advance(s)),
            Command::Hold(u, p) => done(control.hold(&u, &p)),
            Command::Retrieve(u, p) => done(control.retrieve(&u, &p)),
            Command::Hangup(u, p) => done(control.hangup(&u, &p)),
            Command::Fault(op, code, count) => done(control.fault(op, code, count)),
            Command::FaultChance(op, code, p) => done(control.fault_chance(op, code, p)),
            Command::Delay(op, ms) => done(control.delay(op, ms)),
            Command::WireFault(op, kind, count) => done(control.wire_fault(op, kind, count)),
            Command::Recordings(q) => control.recordings(&q).map(Value::from),
            Command::Events(q) => control.events(&q).map(Value::from),
            Command::Journal => control.journal().map(Value::from),
            Command::FaultAt(op, code, count, u, p) => {
                done(control.fault_at(op, code, count, &u, &p))
            }
            Command::DelayAt(op, ms, u, p) => done(control.delay_at(op, ms, &u, &p)),
            Command::At(s, e, u, p) => done(control.schedule(s, e, &u, &p)),
            Command::Scheduled => control.scheduled().map(Value::from),
            Command::Desktops => control.desktops().map(Value::from),
            Command::Findings => control.findings().map(Value::from),
            Command::Coverage => control.coverage(),
            Command::SessionNew | Command::SessionDrop(_) => Err(ControlError::Invalid(
                "sessions are made and dropped by ecapi serve, not by a simulator".to_string(),
            )),
        }
    }
}

/// A listing command: `{"fn": name, "unit", "port", "after", "from", "limit"}`, filters left out
/// when not given.
fn query_json(name: &str, q: &Query) -> Value {
    let mut v = json!({"fn": name, "after": q.after});
    if let Some(u) = &q.unit {
        v["unit"] = json!(u);
    }
    if let Some(p) = q.port {
        v["port"] = json!(p);
    }
    if let Some(t) = q.from {
        v["from"] = json!(t.format(TIME).to_string());
    }
    v["limit"] = if q.limit == usize::MAX {
        Value::Null
    } else {
        json!(q.limit)
    };
    v
}

/// How a listing's `from` travels: ISO 8601 without a zone, to the millisecond.
const TIME: &str = "%Y-%m-%dT%H:%M:%S%.3f";

/// Reads a listing's filters; a missing `limit` is the default (1,000), `null` means none.
fn query_of(v: &Value) -> Result<Query, String> {
    let whole = |k: &str| -> Result<Option<u64>, String> {
        match v.get(k) {
            None | Some(Value::Null) => Ok(None),
            Some(n) => n
                .as_u64()
                .map(Some)
                .ok_or_else(|| format!("`{k}` must be a whole number of 0 or more, not {n}")),
        }
    };
    let unit = match v.get("unit") {
        None | Some(Value::Null) => None,
        Some(Value::String(u)) => Some(u.clone()),
        Some(other) => return Err(format!("`unit` must be a string, not {other}")),
    };
    let port = whole("port")?
        .map(|p| u32::try_from(p).map_err(|_| format!("`port` {p} is not a port number")))
        .transpose()?;
    let from = match v.get("from") {
        None | Some(Value::Null) => None,
        Some(Value::String(t)) => Some(
            chrono::NaiveDateTime::parse_from_str(t, "%Y-%m-%dT%H:%M:%S%.f").map_err(|_| {
                format!("`from` must be a time such as 2026-11-23T10:00:00, not `{t}`")
            })?,
        ),
        Some(other) => return Err(format!("`from` must be a time, not {other}")),
    };
    let limit = match v.get("limit") {
        None => crate::simulator::DEFAULT_LIMIT,
        Some(Value::Null) => usize::MAX,
        Some(_) => usize::try_from(whole("limit")?.unwrap_or_default()).unwrap_or(usize::MAX),
    };
    Ok(Query {
        unit,
        port,
        after: whole("after")?.unwrap_or(0),
        from,
        limit,
    })
}

/// The server's side: reads one JSON command.
pub fn parse(body: &[u8]) -> Result<Command, String> {
    serde_json::from_slice::<Value>(body)
        .map_err(|e| format!("not JSON: {e}"))
        .and_then(|v| Command::from_json(&v))
}

/// The server's side: runs one command read by [`parse`] and returns the JSON answer.
pub fn answer(control: &mut dyn SimControl, command: Result<Command, String>) -> Value {
    let result = match command {
        Ok(command) => command.apply(control),
        Err(message) => Err(ControlError::Invalid(message)),
    };
    match result {
        Ok(value) => json!({"ok": true, "value": value}),
        Err(ControlError::NotInProfile(message)) => {
            json!({"ok": false, "kind": "NotInProfile", "message": message})
        }
        Err(e) => json!({"ok": false, "kind": "Invalid", "message": e.to_string()}),
    }
}

/// The client's side: the value of an answer, or its error.
pub fn read_answer(answer: &Value) -> Result<Value, ControlError> {
    if answer.get("ok").and_then(Value::as_bool) == Some(true) {
        return Ok(answer.get("value").cloned().unwrap_or(Value::Null));
    }
    let message = answer
        .get("message")
        .and_then(Value::as_str)
        .unwrap_or("the simulator refused the control request")
        .to_string();
    Err(match answer.get("kind").and_then(Value::as_str) {
        Some("NotInProfile") => ControlError::NotInProfile(message),
        _ => ControlError::Invalid(message),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_command_reads_back_as_sent() {
        for command in [
            Command::Reset,
            Command::Advance(1.5),
            Command::Hold("1".into(), "3".into()),
            Command::Retrieve("1".into(), "3".into()),
            Command::Hangup("1".into(), "3".into()),
            Command::Fault(Some(Operation::PortStatusEx), 610, Some(2)),
            Command::Fault(None, 801, None),
            Command::FaultChance(None, 621, 0.25),
            Command::Delay(Some(Operation::GetUrl), 250),
            Command::WireFault(None, WireFault::Drop, Some(1)),
            Command::WireFault(Some(Operation::PortStatus), WireFault::HttpError, None),
            Command::Recordings(Query::default()),
            Command::Recordings(Query::all()),
            Command::Events(Query {
                unit: Some("1".into()),
                port: Some(3),
                after: 41,
                from: chrono::NaiveDate::from_ymd_opt(2026, 11, 23)
                    .and_then(|d| d.and_hms_milli_opt(10, 0, 0, 250)),
                limit: 5,
            }),
            Command::Journal,
            Command::FaultAt(
                Some(Operation::StartRecording),
                618,
                Some(1),
                "1".into(),
                "5".into(),
            ),
            Command::DelayAt(None, 300, "1".into(), "5".into()),
            Command::At(30.0, TelephonyEvent::Hold, "1".into(), "5".into()),
            Command::Scheduled,
            Command::Desktops,
            Command::SessionNew,
            Command::SessionDrop(None),
            Command::SessionDrop(Some("ab12".into())),
        ] {
            assert_eq!(Command::from_json(&command.send_json()), Ok(command));
        }
    }

    #[test]
    fn a_refusal_keeps_its_kind_and_message() {
        let answer = json!({"ok": false, "kind": "NotInProfile", "message": "no hold in hosted"});
        assert_eq!(
            read_answer(&answer),
            Err(ControlError::NotInProfile("no hold in hosted".into()))
        );
    }
}
