//! `ecapi call OPERATION [Param=Value]…`: one request from the shell.

use super::args::CallArgs;
use super::backend::{BackendConfig, ConnectError, UsageError};
use super::exit::{ExitCode, EXIT_FAILURE, EXIT_SUCCESS};
use crate::api::{Operation, Request};
use crate::script::{stderr_trace, ScriptResponse, Session};
use crate::streams::{errln, outln};

/// Finds an operation by name, or says which exist.
pub fn operation(name: &str) -> Result<Operation, UsageError> {
    Operation::lookup(name).ok_or_else(|| {
        let names: Vec<&str> = Operation::ALL.iter().map(|o| o.name()).collect();
        let hint = crate::script::diagnostic::operation_hint(name);
        UsageError(format!(
            "unknown operation `{name}`{hint}; the operations are: {}",
            names.join(", ")
        ))
    })
}

/// Sends one request; prints the response. Any response code exits 0: it is data. A transport
/// failure (a server that cannot be reached included) exits 1.
pub fn call(a: CallArgs) -> Result<ExitCode, UsageError> {
    let config = BackendConfig::from_args(&a.backend)?;
    let op = operation(&a.operation)?;
    let mut request = Request::new(op);
    let mut seen = Vec::new();
    for p in &a.params {
        let (name, value) = p
            .split_once('=')
            .ok_or_else(|| UsageError(format!("`{p}`: parameters are written Name=Value")))?;
        let param = crate::api::Param::from_wire_name(name.trim());
        if param.is_some() && seen.contains(&param) {
            return Err(UsageError(format!("`{p}`: {} is given twice", name.trim())));
        }
        seen.push(param);
        request
            .set_by_name(name.trim(), value)
            .map_err(|e| UsageError(e.to_string()))?;
    }
    request
        .check(config.api)
        .map_err(|e| UsageError(e.to_string()))?;
    let transport = match config.open() {
        Ok(t) => t,
        Err(ConnectError::Usage(e)) => return Err(e),
        Err(e @ ConnectError::Transport(_)) => {
            errln!("ecapi: {op} failed: {e}");
            return Ok(EXIT_FAILURE);
        }
    };
    if config.trace {
        // Which backend, and for the SOAP client whether the contract came from the WSDL.
        errln!("# {}", transport.describe());
    }
    let mut session = Session::new(transport, Default::default());
    if config.trace {
        session.set_trace(Some(stderr_trace()));
    }
    match session.call(request) {
        Ok(ex) => {
            let r = ScriptResponse {
                inner: ex.response,
                elapsed_ms: ex.elapsed.as_secs_f64() * 1000.0,
                reason: ex.reason,
            };
            if a.json {
                outln!("{}", to_json(&r));
            } else {
                outln!("{r}");
                // Why the code came back, from the simulator (embedded or served) or the server's
                // reading of the request: the same text as `--json`'s `reason`.
                if let Some(reason) = r.reason.as_deref().filter(|t| !t.is_empty()) {
                    outln!("reason: {reason}");
                }
            }
            Ok(EXIT_SUCCESS)
        }
        Err(e) => {
            errln!("ecapi: {op} failed: {e}");
            Ok(EXIT_FAILURE)
        }
    }
}

fn to_json(r: &ScriptResponse) -> String {
    let mut m = serde_json::Map::new();
    m.insert("op".into(), r.inner.op.name().into());
    m.insert("code".into(), r.inner.code.into());
    m.insert("message".into(), r.inner.message.to_string().into());
    m.insert("ok".into(), r.inner.is_ok().into());
    // Microseconds are as precise as a wall clock here is worth.
    m.insert(
        "elapsed_ms".into(),
        ((r.elapsed_ms * 1000.0).round() / 1000.0).into(),
    );
    if let Some(reason) = &r.reason {
        m.insert("reason".into(), reason.clone().into());
    }
    for (field, value) in r.inner.fields() {
        let v: serde_json::Value = match (field.is_int(), value.parse::<i64>()) {
            (true, Ok(n)) => n.into(),
            _ => value.into_owned().into(),
        };
        m.insert(field.script_name().into(), v);
    }
    serde_json::Value::Object(m).to_string()
}
