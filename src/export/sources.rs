//! The exchanges a flow is built from, read directly from where they were recorded: the runner's
//! record at the transport seam ([`crate::runner::record::Log`]), a proxy record
//! ([`crate::proxy::record::Record`]), or the requests a REPL session made. Each becomes the
//! [`Made`] the script functions report, so that [`super::Flow::build`] reads one shape.

use std::time::Duration;

use crate::api::{ApiVersion, Operation, Param, Response};
use crate::proxy::record::Record;
use crate::runner::record::Log;
use crate::script::Made;

/// What a proxy record holds in place of a value withheld by `--redact`.
pub use crate::proxy::record::REDACTED;

/// The requests of a run, in order.
pub fn from_log(log: &Log) -> Vec<Made> {
    log.calls.iter().map(|c| c.made.clone()).collect()
}

/// The requests of a proxy record, in order. A request that named no operation is left out; one
/// the client got no SOAP answer with a code for (a fault, an HTTP error, a dropped connection, an
/// answer the proxy made up) comes with what happened instead, and the flow leaves it out naming
/// it.
pub fn from_records(records: &[Record]) -> Vec<Made> {
    records
        .iter()
        .filter_map(|r| {
            let request = r.to_request()?;
            let op = request.op();
            let outcome = match (r.outcome.as_str(), r.code, r.injected) {
                (_, _, true) => Err("answered by the proxy itself (--fault)".to_string()),
                ("answered", Some(code), false) => Ok(response(op, code, r)),
                (outcome, _, _) => Err(match &r.fault {
                    Some(f) => format!("a fault, {}: {}", f.code, f.string),
                    None => format!("{outcome} (HTTP {})", r.status.unwrap_or_default()),
                }),
            };
            Some(Made {
                request,
                outcome,
                elapsed: Duration::from_secs_f64(r.elapsed_ms.max(0.0) / 1000.0),
                reason: None,
            })
        })
        .collect()
}

fn response(op: Operation, code: u16, r: &Record) -> Response {
    let mut response = Response::raw(op, code, r.message.clone().unwrap_or_default());
    for field in op.result_fields() {
        if let Some(v) = r.fields.get(field.wire_name()) {
            response.set_field(*field, v);
        }
    }
    response
}

/// The API version a recorded client spoke: 7.0 when a request carried 7.0's names (`userName`,
/// `machineName`) and no 7.1 operation was used, else 7.1.
pub fn api_of(records: &[Record]) -> ApiVersion {
    let only_7_1 = records
        .iter()
        .filter_map(Record::op)
        .any(|op| op.since() == ApiVersion::V7_1);
    let names_7_0 = records.iter().any(|r| {
        [Param::User, Param::Machine].iter().any(|p| {
            let name = p.wire_name(ApiVersion::V7_0);
            r.request.contains(&format!("<{name}>")) || r.request.contains(&format!(":{name}>"))
        })
    });
    if names_7_0 && !only_7_1 {
        ApiVersion::V7_0
    } else {
        ApiVersion::V7_1
    }
}

/// Whether a recorded value was withheld.
pub fn withheld_in_record(_: Param, value: &str) -> bool {
    value == REDACTED
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(op: &str, request: &str, params: &[(&str, &str)]) -> Record {
        Record {
            kind: "exchange".into(),
            time: "2026-12-01T10:00:00.000Z".into(),
            client: "127.0.0.1:5000".into(),
            operation: Some(op.into()),
            action: None,
            parameters: params
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            status: Some(200),
            outcome: "answered".into(),
            code: Some(100),
            message: Some("Command executed as expected".into()),
            fields: Default::default(),
            fault: None,
            elapsed_ms: 1.0,
            notes: Vec::new(),
            harmless_notes: Vec::new(),
            injected: false,
            request: request.into(),
            response: None,
            shadow: None,
            reason: None,
            body_operation: None,
            redacted: Default::default(),
            findings: Vec::new(),
        }
    }

    #[test]
    fn a_client_that_sent_7_0_names_spoke_7_0_unless_it_used_a_7_1_operation() {
        let init = record(
            "InitUser",
            "<InitUser xmlns=\"http://tempuri.org/\"><userName>j</userName><machineName>m</machineName></InitUser>",
            &[("User", "j"), ("Machine", "m")],
        );
        assert_eq!(api_of(std::slice::from_ref(&init)), ApiVersion::V7_0);
        let pause = record("DesktopPause", "<DesktopPause/>", &[("User", "j")]);
        assert_eq!(api_of(&[init, pause]), ApiVersion::V7_1);
    }

    #[test]
    fn an_injected_answer_is_no_answer_from_the_server() {
        let mut r = record("PortStatus", "", &[("Unit", "1"), ("Port", "1")]);
        r.injected = true;
        let made = from_records(&[r]);
        assert_eq!(
            made[0].outcome.as_ref().unwrap_err(),
            "answered by the proxy itself (--fault)"
        );
    }
}
