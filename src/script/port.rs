//! `Port`: a unit and port found once (`station`, `user_port`) or known in advance (`port`), with
//! methods for the requests that address it.

use compact_str::CompactString;
use rhai::{Dynamic, Engine, EvalAltResult, Map};

use super::args::{error, max_seconds, text, unit_or_port};
use super::operations::{log_event_request, send};
use super::response::ScriptResponse;
use super::session::SharedSession;
use crate::api::{Operation, Param, Request};

/// A recording unit and port.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Port {
    /// The unit, as text.
    pub unit: CompactString,
    /// The port, as text.
    pub port: CompactString,
}

impl Port {
    fn request(&self, op: Operation) -> Request {
        Request::new(op)
            .with(Param::Unit, self.unit.clone())
            .with(Param::Port, self.port.clone())
    }
}

impl std::fmt::Display for Port {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Port(unit {}, port {})", self.unit, self.port)
    }
}

type Res<T> = Result<T, Box<EvalAltResult>>;

/// Turns an InitStation or InitUser response into a Port, or throws with its code and message.
fn port_from(what: &str, r: ScriptResponse) -> Res<Port> {
    if !r.inner.is_ok() {
        return Err(error(format!(
            "{} for {what} answered {} {}",
            r.inner.op, r.inner.code, r.inner.message
        )));
    }
    match (r.inner.unit(), r.inner.port()) {
        (Some(unit), Some(port)) => Ok(Port {
            unit: unit.into(),
            port: port.into(),
        }),
        _ => Err(error(format!(
            "{} for {what} answered 100 without Unit and Port",
            r.inner.op
        ))),
    }
}

/// Registers `Port`, `station`, `user_port`, `port` and the methods.
pub fn register(engine: &mut Engine, session: &SharedSession) {
    use Operation as O;

    engine
        .register_type_with_name::<Port>("Port")
        .register_get("unit", |p: &mut Port| p.unit.to_string())
        .register_get("port", |p: &mut Port| p.port.to_string())
        .register_fn("to_string", |p: &mut Port| p.to_string())
        .register_fn("to_debug", |p: &mut Port| p.to_string())
        .register_fn("==", |a: Port, b: Port| a == b)
        .register_fn("!=", |a: Port, b: Port| a != b);

    let s = session.clone();
    engine.register_fn("station", move |ext: Dynamic| {
        let ext = text("station", "extension", &ext)?;
        let r = send(
            &s,
            Request::new(O::InitStation).with(Param::Extension, ext.clone()),
        )?;
        port_from(&format!("extension {ext:?}"), r)
    });
    let s = session.clone();
    engine.register_fn("user_port", move |user: Dynamic| {
        let user = text("user_port", "user", &user)?;
        let r = send(
            &s,
            Request::new(O::InitUser)
                .with(Param::Machine, user.clone())
                .with(Param::User, user.clone()),
        )?;
        port_from(&format!("user {user:?}"), r)
    });
    let s = session.clone();
    engine.register_fn("user_port", move |user: Dynamic, machine: Dynamic| {
        let user = text("user_port", "user", &user)?;
        let machine = text("user_port", "machine", &machine)?;
        let r = send(
            &s,
            Request::new(O::InitUser)
                .with(Param::Machine, machine)
                .with(Param::User, user.clone()),
        )?;
        port_from(&format!("user {user:?}"), r)
    });
    engine.register_fn("port", |unit: Dynamic, port: Dynamic| -> Res<Port> {
        Ok(Port {
            unit: unit_or_port("port", "unit", &unit)?,
            port: unit_or_port("port", "port", &port)?,
        })
    });

    for (method, op) in [
        ("start", O::StartRecording),
        ("stop", O::StopRecording),
        ("cancel", O::CancelRecording),
        ("pause", O::PauseRecording),
        ("resume", O::ResumeRecording),
        ("url", O::GetUrl),
        ("status", O::PortStatus),
        ("status_ex", O::PortStatusEx),
    ] {
        let s = session.clone();
        engine.register_fn(method, move |p: &mut Port| send(&s, p.request(op)));
    }
    let s = session.clone();
    engine.register_fn("start", move |p: &mut Port, max: Dynamic| {
        let max = max_seconds("start", &max)?;
        send(
            &s,
            p.request(O::StartRecording)
                .with(Param::MaxRecordingTime, max.to_string()),
        )
    });
    let s = session.clone();
    engine.register_fn(
        "assign",
        move |p: &mut Port, name: Dynamic, value: Dynamic| {
            let r = p
                .request(O::AssignField)
                .with(Param::FieldName, text("assign", "name", &name)?)
                .with(Param::FieldValue, text("assign", "value", &value)?);
            send(&s, r)
        },
    );
    let s = session.clone();
    engine.register_fn("field", move |p: &mut Port, name: Dynamic| {
        let r = p
            .request(O::GetField)
            .with(Param::FieldName, text("field", "name", &name)?);
        send(&s, r)
    });
    let s = session.clone();
    engine.register_fn("log", move |p: &mut Port, event_type: Dynamic| {
        let mut map = Map::new();
        map.insert("type".into(), event_type);
        send(&s, log_event_request(&s, p.request(O::LogEvent), &map)?)
    });
    let s = session.clone();
    engine.register_fn(
        "log",
        move |p: &mut Port, event_type: Dynamic, extra: Map| {
            let mut map = extra;
            map.insert("type".into(), event_type);
            send(&s, log_event_request(&s, p.request(O::LogEvent), &map)?)
        },
    );
}
