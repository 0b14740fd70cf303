//! The fifteen operation functions, each the guide's name in snake_case, over the session's backend.
//!
//! Every function returns a `Response` and never throws for a code other than 100; it throws only
//! when no response code came back (transport or protocol failure), or when its arguments are wrong.

use rhai::{Dynamic, Engine, EvalAltResult, Map};

use super::args::{error, max_seconds, text, unit_or_port, with_unit_or_port};
use super::response::ScriptResponse;
use super::session::SharedSession;
use crate::api::{Operation, Param, Request};

/// The keys `log_event` accepts, and the parameter each fills.
pub const LOG_EVENT_KEYS: [(&str, Param); 9] = [
    ("type", Param::EventType),
    ("timestamp", Param::EventTimestamp),
    ("unit", Param::Unit),
    ("port", Param::Port),
    ("user", Param::User),
    ("machine", Param::Machine),
    ("parm1", Param::Parm1),
    ("parm2", Param::Parm2),
    ("parm3", Param::Parm3),
];

type Res<T> = Result<T, Box<EvalAltResult>>;

/// Sends a request and wraps the answer; a transport failure becomes a script error.
pub fn send(session: &SharedSession, request: Request) -> Res<ScriptResponse> {
    let op = request.op();
    let exchange = session.borrow_mut().call(request).map_err(|e| match e {
        // A stopped run ends the script; `try` does not catch it.
        crate::client::TransportError::Stopped(s) => super::stop::terminated(s),
        e => error(format!("{op} failed: {e}")),
    })?;
    Ok(ScriptResponse {
        inner: exchange.response,
        elapsed_ms: exchange.elapsed.as_secs_f64() * 1000.0,
        reason: exchange.reason,
    })
}

/// A request for a unit and port, read from script arguments.
pub fn port_request(op: Operation, unit: &Dynamic, port: &Dynamic) -> Res<Request> {
    let f = op.script_name();
    // Both texts lent straight to the request, which writes them once (the unit is checked first).
    with_unit_or_port(f, "unit", unit, |unit| {
        with_unit_or_port(f, "port", port, |port| {
            Request::with_unit_and_port(op, unit, port)
        })
    })?
}

/// The current time as ISO 8601, the default eventTimestamp: the embedded simulator's clock (so
/// that timestamps follow `sim_advance`), else the local wall clock.
pub fn now_iso(session: &SharedSession) -> String {
    let simulated = session
        .borrow_mut()
        .transport()
        .control()
        .and_then(|c| c.clock());
    simulated
        .unwrap_or_else(|| chrono::Local::now().naive_local())
        .format("%Y-%m-%dT%H:%M:%S%.3f")
        .to_string()
}

/// A LogEvent request from a map of `log_event`'s keys, on top of `base`.
pub fn log_event_request(session: &SharedSession, mut request: Request, map: &Map) -> Res<Request> {
    for (key, value) in map {
        // () is "not given", for every key alike.
        if value.is_unit() {
            continue;
        }
        let param = LOG_EVENT_KEYS
            .iter()
            .find(|(k, _)| *k == key.as_str())
            .map(|(_, p)| *p)
            .ok_or_else(|| {
                let keys: Vec<&str> = LOG_EVENT_KEYS.iter().map(|(k, _)| *k).collect();
                error(format!(
                    "log_event: unknown key `{key}`; the keys are {}",
                    keys.join(", ")
                ))
            })?;
        let value = match param {
            Param::Unit | Param::Port => unit_or_port("log_event", key, value)?,
            _ => text("log_event", key, value)?.into(),
        };
        request.set(param, value);
    }
    let timestamp_given = map.get("timestamp").is_some_and(|v| !v.is_unit());
    if request.get(Param::EventTimestamp).is_empty() && !timestamp_given {
        request.set(Param::EventTimestamp, now_iso(session));
    }
    Ok(request)
}

/// Registers the fifteen operation functions.
pub fn register(engine: &mut Engine, session: &SharedSession) {
    use Operation as O;

    let s = session.clone();
    engine.register_fn("init_station", move |ext: Dynamic| {
        let ext = text("init_station", "extension", &ext)?;
        send(&s, Request::new(O::InitStation).with(Param::Extension, ext))
    });

    let s = session.clone();
    engine.register_fn("init_user", move |user: Dynamic| {
        let user = text("init_user", "user", &user)?;
        send(
            &s,
            Request::new(O::InitUser)
                .with(Param::Machine, user.clone())
                .with(Param::User, user),
        )
    });
    let s = session.clone();
    engine.register_fn("init_user", move |user: Dynamic, machine: Dynamic| {
        let user = text("init_user", "user", &user)?;
        let machine = text("init_user", "machine", &machine)?;
        send(
            &s,
            Request::new(O::InitUser)
                .with(Param::Machine, machine)
                .with(Param::User, user),
        )
    });

    for op in [
        O::CancelRecording,
        O::PauseRecording,
        O::ResumeRecording,
        O::StopRecording,
        O::GetUrl,
        O::PortStatus,
        O::PortStatusEx,
    ] {
        let s = session.clone();
        engine.register_fn(op.script_name(), move |unit: Dynamic, port: Dynamic| {
            send(&s, port_request(op, &unit, &port)?)
        });
    }

    let s = session.clone();
    engine.register_fn("start_recording", move |unit: Dynamic, port: Dynamic| {
        send(&s, port_request(O::StartRecording, &unit, &port)?)
    });
    let s = session.clone();
    engine.register_fn(
        "start_recording",
        move |unit: Dynamic, port: Dynamic, max: Dynamic| {
            let max = max_seconds("start_recording", &max)?;
            let r = port_request(O::StartRecording, &unit, &port)?
                .with(Param::MaxRecordingTime, max.to_string());
            send(&s, r)
        },
    );

    let s = session.clone();
    engine.register_fn(
        "assign_field",
        move |unit: Dynamic, port: Dynamic, name: Dynamic, value: Dynamic| {
            let r = port_request(O::AssignField, &unit, &port)?
                .with(Param::FieldName, text("assign_field", "name", &name)?)
                .with(Param::FieldValue, text("assign_field", "value", &value)?);
            send(&s, r)
        },
    );

    let s = session.clone();
    engine.register_fn(
        "get_field",
        move |unit: Dynamic, port: Dynamic, name: Dynamic| {
            let r = port_request(O::GetField, &unit, &port)?
                .with(Param::FieldName, text("get_field", "name", &name)?);
            send(&s, r)
        },
    );

    let s = session.clone();
    engine.register_fn("log_event", move |map: Map| {
        send(&s, log_event_request(&s, Request::new(O::LogEvent), &map)?)
    });

    for op in [O::DesktopPause, O::DesktopResume] {
        let s = session.clone();
        engine.register_fn(op.script_name(), move |user: Dynamic| {
            let user = text(op.script_name(), "user", &user)?;
            send(&s, Request::new(op).with(Param::User, user))
        });
    }
}
