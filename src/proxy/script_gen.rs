//! `ecapi script`: a recording turned into a readable, runnable Rhai flow that `expect`s each
//! recorded code, so that a production incident becomes a regression test.
//!
//! Units and ports handed out by a recorded InitStation or InitUser become variables (`unit`,
//! `port`, then `unit2`, `port2`…) taken from that Init's answer at run time, and every later
//! request on the same unit and port uses them; other units and ports stay as written. A recorded
//! `portStatus` or `fieldValue` is asserted too. What a script cannot repeat is kept as a comment
//! saying why: a request that named no operation, a request the proxy answered itself. A request
//! whose answer never came (dropped, timed out) or came as a fault or an HTTP error from inside the
//! server is sent unchecked (a script function throws on those, so inside `try`), since the server
//! may have acted on it.
//!
//! A value `--redact` withheld is not in the recording: each becomes a variable at the top of the
//! flow (`let customer_account_num = "[redacted]"; // withheld by --redact fldCustomerAccountNum`),
//! named after its Encore field (an AssignField's value) or its parameter, used wherever that
//! value was sent, and never asserted. It starts as the placeholder `ecapi replay` sends, so the
//! flow runs as recorded until the real value is put there.

use super::record::Record;
use crate::api::{ApiVersion, Operation, Param, ResultField};

/// A Rhai string literal.
fn lit(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A unit or port as written in the recording: a bare number when it is one, else a string.
fn unit_or_port(text: &str) -> String {
    let plain = !text.is_empty()
        && text.len() < 10
        && text.bytes().all(|b| b.is_ascii_digit())
        && (text == "0" || !text.starts_with('0'));
    if plain {
        text.to_string()
    } else {
        lit(text)
    }
}

/// The variables bound to the units and ports of Init answers.
#[derive(Default)]
struct Vars {
    /// (recorded unit, recorded port, unit variable, port variable).
    pairs: Vec<(String, String, String, String)>,
}

impl Vars {
    fn args(&self, unit: &str, port: &str) -> String {
        match self
            .pairs
            .iter()
            .rev()
            .find(|(u, p, _, _)| u == unit && p == port)
        {
            Some((_, _, uv, pv)) => format!("{uv}, {pv}"),
            None => format!("{}, {}", unit_or_port(unit), unit_or_port(port)),
        }
    }

    /// Binds a new pair; returns the variable names, or `None` when the pair is bound already.
    fn bind(&mut self, unit: &str, port: &str) -> Option<(String, String)> {
        if self.pairs.iter().any(|(u, p, _, _)| u == unit && p == port) {
            return None;
        }
        let n = self.pairs.len() + 1;
        let suffix = if n == 1 { String::new() } else { n.to_string() };
        let (uv, pv) = (format!("unit{suffix}"), format!("port{suffix}"));
        self.pairs
            .push((unit.into(), port.into(), uv.clone(), pv.clone()));
        Some((uv, pv))
    }
}

/// A variable's name from a wire name or an Encore field name: `fldCustomerAccountNum` is
/// `customer_account_num`, `fieldValue` `field_value`.
fn snake(name: &str) -> String {
    let name = match name.get(..3) {
        Some(fld) if fld.eq_ignore_ascii_case("fld") && name.len() > 3 => &name[3..],
        _ => name,
    };
    let mut out = String::new();
    let chars: Vec<char> = name.chars().collect();
    for (i, c) in chars.iter().enumerate() {
        if !(c.is_ascii_alphanumeric() || *c == '_') {
            continue;
        }
        let starts_word = c.is_ascii_uppercase()
            && i > 0
            && (chars[i - 1].is_ascii_lowercase()
                || chars.get(i + 1).is_some_and(|n| n.is_ascii_lowercase()));
        if starts_word && !out.is_empty() && !out.ends_with('_') {
            out.push('_');
        }
        out.push(c.to_ascii_lowercase());
    }
    if out.is_empty() || out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert_str(0, "value_");
    }
    out
}

/// The variable standing for a withheld parameter of a record, if it was withheld.
fn withheld_var(r: &Record, op: Operation, param: Param) -> Option<String> {
    let wire = param.wire_name(ApiVersion::V7_1);
    r.redacted.get(wire)?;
    let field = r
        .parameters
        .get(Param::FieldName.wire_name(ApiVersion::V7_1))
        .filter(|f| !f.trim().is_empty());
    Some(match (op, param, field) {
        (Operation::AssignField, Param::FieldValue, Some(field)) => snake(field.trim()),
        _ => snake(wire),
    })
}

/// The variables for withheld values, in order of first use: name and the `--redact` name.
fn withheld_vars(records: &[Record]) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for r in records {
        let Some(op) = r.op() else { continue };
        for param in op.params(ApiVersion::V7_1) {
            let Some(var) = withheld_var(r, op, *param) else {
                continue;
            };
            let by = r.redacted[param.wire_name(ApiVersion::V7_1)].clone();
            if !out.iter().any(|(v, _)| *v == var) {
                out.push((var, by));
            }
        }
    }
    out
}

/// The call expression for a recorded request.
fn call(op: Operation, r: &Record, vars: &Vars) -> String {
    let p = |param: Param| {
        r.parameters
            .get(param.wire_name(ApiVersion::V7_1))
            .map_or("", String::as_str)
    };
    // A string argument: the recorded value, or the variable standing for a withheld one.
    let a = |param: Param| withheld_var(r, op, param).unwrap_or_else(|| lit(p(param)));
    let at = || vars.args(p(Param::Unit), p(Param::Port));
    let name = op.script_name();
    match op {
        Operation::InitStation => format!("{name}({})", a(Param::Extension)),
        Operation::InitUser if p(Param::Machine) == p(Param::User) => {
            format!("{name}({})", a(Param::User))
        }
        Operation::InitUser => {
            format!("{name}({}, {})", a(Param::User), a(Param::Machine))
        }
        Operation::StartRecording => match p(Param::MaxRecordingTime).trim() {
            "" | "0" => format!("{name}({})", at()),
            max => format!("{name}({}, {max})", at()),
        },
        Operation::AssignField => format!(
            "{name}({}, {}, {})",
            at(),
            a(Param::FieldName),
            a(Param::FieldValue)
        ),
        Operation::GetField => format!("{name}({}, {})", at(), a(Param::FieldName)),
        Operation::LogEvent => {
            let mut entries = Vec::new();
            let (unit, port) = (p(Param::Unit), p(Param::Port));
            if !unit.is_empty() || !port.is_empty() {
                let args = vars.args(unit, port);
                let (u, pt) = args.split_once(", ").unwrap_or((&args, ""));
                entries.push(format!("unit: {u}"));
                entries.push(format!("port: {pt}"));
            }
            for (key, param) in crate::script::LOG_EVENT_KEYS {
                if matches!(param, Param::Unit | Param::Port) {
                    continue;
                }
                let v = p(param);
                // The timestamp is always given: a script's default would be "now".
                if !v.is_empty() || param == Param::EventTimestamp {
                    entries.push(format!("{key}: {}", a(param)));
                }
            }
            format!("{name}(#{{ {} }})", entries.join(", "))
        }
        Operation::DesktopPause | Operation::DesktopResume => {
            format!("{name}({})", a(Param::User))
        }
        _ => format!("{name}({})", at()),
    }
}

/// The flow for a recording; `source` names the file in the header comment.
pub fn script(records: &[Record], source: &str) -> String {
    let mut out = String::new();
    out.push_str(&format!(
        "// Made by `ecapi script` from {source}: {} recorded exchanges",
        records.len()
    ));
    if let Some(first) = records.first() {
        out.push_str(&format!(", from {}", first.time));
    }
    out.push_str(".\n// Each request expects the code the server answered then; unit and port come from the\n// Init answers. Run it with `ecapi run FILE.rhai` (add --endpoint URL for a server).\n");
    let withheld = withheld_vars(records);
    if !withheld.is_empty() {
        out.push_str(
            "\n// Values the recording withheld: each starts as the placeholder `ecapi replay` sends;\n// put the real value here.\n",
        );
        for (var, by) in &withheld {
            out.push_str(&format!(
                "let {var} = {}; // withheld by --redact {by}\n",
                lit(super::redact::REDACTED)
            ));
        }
    }
    let mut vars = Vars::default();
    for (i, r) in records.iter().enumerate() {
        let n = i + 1;
        out.push('\n');
        let Some(op) = r.op() else {
            out.push_str(&format!(
                "// #{n}: a request that named no operation (SOAPAction {}{}), answered {}: not repeatable from a script.\n",
                r.action.as_deref().map_or("absent".to_string(), |a| format!("'{a}'")),
                r.body_operation.as_deref().map_or(String::new(), |b| format!(", body {b}")),
                describe(r)
            ));
            continue;
        };
        if r.injected {
            out.push_str(&format!(
                "// #{n}: {} was answered {} by the proxy itself (--fault); the server never saw it.\n",
                op.name(),
                describe(r)
            ));
            continue;
        }
        let expr = call(op, r, &vars);
        match (r.outcome.as_str(), r.code) {
            ("answered", Some(code)) => {
                let checks: Vec<(&str, &String)> =
                    [ResultField::PortStatus, ResultField::FieldValue]
                        .iter()
                        .filter_map(|f| r.fields.get(f.wire_name()).map(|v| (f.script_name(), v)))
                        // A value withheld by `--redact` is not known, so it is not asserted.
                        .filter(|(_, v)| v.as_str() != super::redact::REDACTED)
                        .collect();
                let is_init = matches!(op, Operation::InitStation | Operation::InitUser);
                let bound = match (is_init, r.fields.get("Unit"), r.fields.get("Port")) {
                    (true, Some(u), Some(p)) if code == 100 => vars.bind(u, p),
                    _ => None,
                };
                if bound.is_none() && checks.is_empty() {
                    out.push_str(&format!("expect({expr}, {code});\n"));
                    continue;
                }
                out.push_str(&format!("let r = expect({expr}, {code});\n"));
                if let Some((uv, pv)) = bound {
                    out.push_str(&format!("let {uv} = r.unit;\nlet {pv} = r.port;\n"));
                }
                for (name, value) in checks {
                    out.push_str(&format!("assert_eq(r.{name}, {});\n", lit(value)));
                }
            }
            ("dropped" | "timeout" | "fault" | "http", _) => {
                out.push_str(&format!(
                    "// #{n}: the recorded answer was {}; sent again, not checked.\ntry {{ {expr}; }} catch {{ }}\n",
                    describe(r)
                ));
            }
            _ => {
                out.push_str(&format!(
                    "// #{n}: {expr} was answered {}: not repeatable from a script.\n",
                    describe(r)
                ));
            }
        }
    }
    out
}

fn describe(r: &Record) -> String {
    match (&r.fault, r.outcome.as_str(), r.code) {
        (Some(f), _, _) => format!("with the fault {}", f.code),
        (_, "dropped", _) => "a dropped connection".to_string(),
        (_, "timeout", _) => "no answer in time".to_string(),
        (_, "http", _) => format!("with HTTP {}", r.status.unwrap_or_default()),
        (_, _, Some(code)) => format!("{code}"),
        (_, outcome, _) => outcome.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literals_and_numbers_are_written_as_rhai_reads_them() {
        assert_eq!(lit("A&B \"x\"\\\n"), "\"A&B \\\"x\\\"\\\\\\n\"");
        assert_eq!(unit_or_port("5"), "5");
        assert_eq!(unit_or_port("007"), "\"007\"");
        assert_eq!(unit_or_port(" 1"), "\" 1\"");
        assert_eq!(unit_or_port(""), "\"\"");
    }

    #[test]
    fn withheld_values_are_named_after_their_field_or_parameter() {
        assert_eq!(snake("fldCustomerAccountNum"), "customer_account_num");
        assert_eq!(snake("fldClientID"), "client_id");
        assert_eq!(snake("fieldValue"), "field_value");
        assert_eq!(snake("User"), "user");
        assert_eq!(snake("fld9x"), "value_9x");
    }
}
