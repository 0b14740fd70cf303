//! Simulator control from scripts: `sim_reset`, `sim_advance`, telephony events, faults, and what
//! the simulator stored. Against a real server each throws a clear error.

use rhai::{Array, Dynamic, Engine, EvalAltResult};

use super::args::{error, int, unit_or_port};
use super::session::SharedSession;
use crate::api::{Operation, ResponseCode};
use crate::client::{ControlError, SimControl, WireFault};
use crate::simulator::{self, Query, TelephonyEvent};

type Res<T> = Result<T, Box<EvalAltResult>>;

/// Runs `f` on the backend's simulator control, or says the backend has none.
fn with_control<T>(
    session: &SharedSession,
    function: &'static str,
    f: impl FnOnce(&mut dyn SimControl) -> Result<T, ControlError>,
) -> Res<T> {
    let mut s = session.borrow_mut();
    let transport = s.transport();
    let backend = transport.describe();
    let control = transport
        .control()
        .ok_or_else(|| error(ControlError::NotASimulator { function, backend }.to_string()))?;
    f(control).map_err(|e| match e {
        // These already name the function.
        ControlError::NotInProfile(m) => error(m),
        other => error(format!("{function}: {other}")),
    })
}

/// An operation named by its wire or script name, or `*` for every operation.
pub fn operation_arg(function: &str, name: &str) -> Res<Option<Operation>> {
    if name == "*" {
        return Ok(None);
    }
    Operation::lookup(name).map(Some).ok_or_else(|| {
        let hint = super::diagnostic::operation_hint(name);
        error(format!(
            "{function}: unknown operation `{name}`{hint}; use an operation name such as PortStatus, or \"*\" for all"
        ))
    })
}

fn code_arg(function: &str, code: i64) -> Res<u16> {
    u16::try_from(code)
        .ok()
        .and_then(ResponseCode::from_code)
        .map(ResponseCode::code)
        .ok_or_else(|| {
            let codes: Vec<String> = ResponseCode::ALL
                .iter()
                .map(|c| c.code().to_string())
                .collect();
            error(format!(
                "{function}: {code} is not a response code; the codes are {}",
                codes.join(", ")
            ))
        })
}

/// A failure below the Web API by name: `http`, `fault`, `broken` or `drop`.
fn wire_fault_arg(kind: &str) -> Res<WireFault> {
    WireFault::from_name(kind).ok_or_else(|| {
        let kinds: Vec<String> = WireFault::ALL
            .iter()
            .map(|k| format!("\"{}\" ({})", k.as_str(), k.describe()))
            .collect();
        error(format!(
            "sim_fault: `{kind}` is not a failure a served simulator can answer with; the kinds are {}",
            kinds.join(", ")
        ))
    })
}

/// A listing's filters from `#{ unit, port, since, limit }`: `since` is a `seq` (the items after
/// it) or an ISO 8601 time (the items stored at or after it); `limit` defaults to 1,000.
fn query_arg(function: &str, filters: &rhai::Map) -> Res<Query> {
    let mut query = Query::default();
    for (key, value) in filters {
        match key.as_str() {
            "unit" => query.unit = Some(unit_or_port(function, "unit", value)?.to_string()),
            "port" => {
                let port = unit_or_port(function, "port", value)?;
                query.port = Some(port.trim().parse().map_err(|_| {
                    error(format!("{function}: port `{port}` is not a port number"))
                })?);
            }
            "since" if value.is_string() => {
                let text = value.clone().into_string().unwrap_or_default();
                let time = ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f"]
                    .iter()
                    .find_map(|f| chrono::NaiveDateTime::parse_from_str(text.trim(), f).ok())
                    .or_else(|| {
                        chrono::NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d")
                            .ok()
                            .and_then(|d| d.and_hms_opt(0, 0, 0))
                    })
                    .ok_or_else(|| {
                        error(format!(
                            "{function}: since `{text}` is neither a seq (a whole number) nor a time such as 2026-11-23T10:00:00"
                        ))
                    })?;
                query.from = Some(time);
            }
            "since" => {
                let seq = int(function, "since", value)?;
                query.after = u64::try_from(seq).map_err(|_| {
                    error(format!(
                        "{function}: since {seq} must be a seq of 0 or more"
                    ))
                })?;
            }
            "limit" => {
                let limit = int(function, "limit", value)?;
                query.limit = usize::try_from(limit)
                    .ok()
                    .filter(|n| *n >= 1)
                    .ok_or_else(|| error(format!("{function}: limit {limit} must be 1 or more")))?;
            }
            other => {
                return Err(error(format!(
                "{function}: unknown filter `{other}`; the filters are unit, port, since and limit"
            )))
            }
        }
    }
    Ok(query)
}

/// The `#{ unit, port }` map that scopes a fault or delay to one port.
fn port_scope(function: &str, map: &rhai::Map) -> Res<(String, String)> {
    if let Some(key) = map.keys().find(|k| !["unit", "port"].contains(&k.as_str())) {
        return Err(error(format!(
            "{function}: unknown key `{key}` in the scope; the keys are unit, port"
        )));
    }
    let get = |what: &str| {
        let v = map.get(what).filter(|v| !v.is_unit()).ok_or_else(|| {
            error(format!(
                "{function}: the scope needs both unit and port, e.g. #{{ unit: 1, port: 5 }}; {what} is missing"
            ))
        })?;
        unit_or_port(function, what, v).map(|t| t.to_string())
    };
    Ok((get("unit")?, get("port")?))
}

fn count_arg(function: &str, count: i64) -> Res<u32> {
    u32::try_from(count).map_err(|_| error(format!("{function}: count {count} must be 0 or more")))
}

fn to_array(items: Vec<serde_json::Value>) -> Res<Array> {
    items.into_iter().map(rhai::serde::to_dynamic).collect()
}

/// Registers the `sim_*` functions.
pub fn register(engine: &mut Engine, session: &SharedSession) {
    let s = session.clone();
    engine.register_fn("sim_reset", move || {
        with_control(&s, "sim_reset", |c| c.reset())
    });

    let s = session.clone();
    engine.register_fn("sim_advance", move |seconds: Dynamic| -> Res<()> {
        let secs = if seconds.is_float() {
            seconds.as_float().unwrap_or_default()
        } else {
            // A whole number is checked here, so that a refusal names it as written (a float
            // has no exact form for every i64).
            let whole = int("sim_advance", "seconds", &seconds)?;
            if let Some(refusal) = simulator::advance_refusal(&whole, whole as f64) {
                return Err(error(format!("sim_advance: {refusal}")));
            }
            whole as f64
        };
        with_control(&s, "sim_advance", |c| c.advance(secs))
    });

    type Event = fn(&mut dyn SimControl, &str, &str) -> Result<(), ControlError>;
    let events: [(&'static str, Event); 3] = [
        ("sim_hold", |c, u, p| c.hold(u, p)),
        ("sim_retrieve", |c, u, p| c.retrieve(u, p)),
        ("sim_hangup", |c, u, p| c.hangup(u, p)),
    ];
    for (name, f) in events {
        let s = session.clone();
        engine.register_fn(name, move |unit: Dynamic, port: Dynamic| -> Res<()> {
            let unit = unit_or_port(name, "unit", &unit)?;
            let port = unit_or_port(name, "port", &port)?;
            with_control(&s, name, |c| f(c, &unit, &port))
        });
    }

    let s = session.clone();
    engine.register_fn("sim_fault", move |op: &str, code: i64| -> Res<()> {
        let op = operation_arg("sim_fault", op)?;
        let code = code_arg("sim_fault", code)?;
        with_control(&s, "sim_fault", |c| c.fault(op, code, None))
    });
    let s = session.clone();
    engine.register_fn(
        "sim_fault",
        move |op: &str, code: i64, count: i64| -> Res<()> {
            let op = operation_arg("sim_fault", op)?;
            let code = code_arg("sim_fault", code)?;
            let count = count_arg("sim_fault", count)?;
            with_control(&s, "sim_fault", |c| c.fault(op, code, Some(count)))
        },
    );
    let s = session.clone();
    engine.register_fn(
        "sim_fault",
        move |op: &str, code: i64, probability: f64| -> Res<()> {
            let op = operation_arg("sim_fault", op)?;
            let code = code_arg("sim_fault", code)?;
            with_control(&s, "sim_fault", |c| c.fault_chance(op, code, probability))
        },
    );
    // Failures below the Web API, told apart from a response code by the kind being a string.
    let s = session.clone();
    engine.register_fn("sim_fault", move |op: &str, kind: &str| -> Res<()> {
        let op = operation_arg("sim_fault", op)?;
        let kind = wire_fault_arg(kind)?;
        with_control(&s, "sim_fault", |c| c.wire_fault(op, kind, None))
    });
    let s = session.clone();
    engine.register_fn(
        "sim_fault",
        move |op: &str, kind: &str, count: i64| -> Res<()> {
            let op = operation_arg("sim_fault", op)?;
            let kind = wire_fault_arg(kind)?;
            let count = u32::try_from(count)
                .map_err(|_| error(format!("sim_fault: count {count} must be 0 or more")))?;
            with_control(&s, "sim_fault", |c| c.wire_fault(op, kind, Some(count)))
        },
    );
    let s = session.clone();
    engine.register_fn("sim_delay", move |op: &str, ms: i64| -> Res<()> {
        let op = operation_arg("sim_delay", op)?;
        let ms = u64::try_from(ms).map_err(|_| error(format!("sim_delay: {ms} ms is negative")))?;
        with_control(&s, "sim_delay", |c| c.delay(op, ms))
    });

    // Scoped to one port: other ports (other agents on the same server) are not touched.
    let s = session.clone();
    engine.register_fn(
        "sim_fault",
        move |op: &str, code: i64, count: i64, scope: rhai::Map| -> Res<()> {
            let op = operation_arg("sim_fault", op)?;
            let code = code_arg("sim_fault", code)?;
            let count = count_arg("sim_fault", count)?;
            let (unit, port) = port_scope("sim_fault", &scope)?;
            with_control(&s, "sim_fault", |c| {
                c.fault_at(op, code, Some(count), &unit, &port)
            })
        },
    );
    let s = session.clone();
    engine.register_fn(
        "sim_delay",
        move |op: &str, ms: i64, scope: rhai::Map| -> Res<()> {
            let op = operation_arg("sim_delay", op)?;
            let ms =
                u64::try_from(ms).map_err(|_| error(format!("sim_delay: {ms} ms is negative")))?;
            let (unit, port) = port_scope("sim_delay", &scope)?;
            with_control(&s, "sim_delay", |c| c.delay_at(op, ms, &unit, &port))
        },
    );

    let s = session.clone();
    engine.register_fn(
        "sim_at",
        move |seconds: Dynamic, event: &str, unit: Dynamic, port: Dynamic| -> Res<()> {
            let secs = if seconds.is_float() {
                seconds.as_float().unwrap_or_default()
            } else {
                let whole = int("sim_at", "seconds", &seconds)?;
                if let Some(refusal) = simulator::schedule_refusal(&whole, whole as f64) {
                    return Err(error(format!("sim_at: {refusal}")));
                }
                whole as f64
            };
            let event = TelephonyEvent::from_name(event).ok_or_else(|| {
                error(format!(
                    "sim_at: `{event}` is not a telephony event; the events are \"hold\", \"retrieve\", \"hangup\""
                ))
            })?;
            let unit = unit_or_port("sim_at", "unit", &unit)?;
            let port = unit_or_port("sim_at", "port", &port)?;
            with_control(&s, "sim_at", |c| c.schedule(secs, event, &unit, &port))
        },
    );
    let s = session.clone();
    engine.register_fn("sim_desktops", move || {
        to_array(with_control(&s, "sim_desktops", |c| c.desktops())?)
    });
    let s = session.clone();
    engine.register_fn("sim_scheduled", move || {
        to_array(with_control(&s, "sim_scheduled", |c| c.scheduled())?)
    });

    type Listing = fn(&mut dyn SimControl, &Query) -> Result<Vec<serde_json::Value>, ControlError>;
    let listings: [(&'static str, Listing); 2] = [
        ("sim_recordings", |c, q| c.recordings(q)),
        ("sim_events", |c, q| c.events(q)),
    ];
    for (name, f) in listings {
        let s = session.clone();
        engine.register_fn(name, move || {
            to_array(with_control(&s, name, |c| f(c, &Query::default()))?)
        });
        let s = session.clone();
        engine.register_fn(name, move |filters: rhai::Map| -> Res<Array> {
            let query = query_arg(name, &filters)?;
            to_array(with_control(&s, name, |c| f(c, &query))?)
        });
    }
    let s = session.clone();
    engine.register_fn("sim_journal", move || {
        to_array(with_control(&s, "sim_journal", |c| c.journal())?)
    });

    let s = session.clone();
    engine.register_fn("sim_findings", move || {
        to_array(with_control(&s, "sim_findings", |c| c.findings())?)
    });
    let s = session.clone();
    engine.register_fn("sim_coverage", move || -> Res<Dynamic> {
        rhai::serde::to_dynamic(with_control(&s, "sim_coverage", |c| c.coverage())?)
    });
    let s = session.clone();
    engine.register_fn("expect_no_findings", move || -> Res<()> {
        no_findings(&s, crate::audit::Severity::Info)
    });
    let s = session.clone();
    engine.register_fn("expect_no_findings", move |severity: &str| -> Res<()> {
        let least = crate::audit::Severity::from_word(severity).ok_or_else(|| {
            error(format!(
                "expect_no_findings: severity must be error, warning or info, not {severity:?}"
            ))
        })?;
        no_findings(&s, least)
    });
}

/// Fails with every finding at or above `least`, one per line, when there is any.
fn no_findings(session: &SharedSession, least: crate::audit::Severity) -> Res<()> {
    // At the end of a flow: the checks still waiting for their window are settled now.
    let found = with_control(session, "expect_no_findings", |c| c.findings_settled())?;
    let lines: Vec<String> = found
        .iter()
        .filter(|f| {
            f["severity"]
                .as_str()
                .and_then(crate::audit::Severity::from_word)
                .is_some_and(|s| s >= least)
        })
        .map(|f| {
            format!(
                "{}[{}] {}",
                f["severity"].as_str().unwrap_or("?"),
                f["rule"].as_str().unwrap_or("?"),
                f["message"].as_str().unwrap_or("")
            )
        })
        .collect();
    if lines.is_empty() {
        Ok(())
    } else {
        Err(super::assertions::failure(format!(
            "expect_no_findings: {} finding{}:\n  {}",
            lines.len(),
            if lines.len() == 1 { "" } else { "s" },
            lines.join("\n  ")
        )))
    }
}
