//! Help text for the operations and script functions, rendered from the API model and
//! [`docs`](super::docs): what `ecapi ops` prints and what the REPL's `:ops` and `:help NAME` show,
//! written once for both.

use super::diagnostic::closest;
use super::docs::{self, FunctionDoc, Group};
use crate::api::{ApiVersion, Operation};

/// A name that is neither an operation nor a script function.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("no operation or function `{name}`{}", hint(.suggestions))]
pub struct UnknownName {
    /// The name asked for.
    pub name: String,
    /// Close names, best first.
    pub suggestions: Vec<String>,
}

fn hint(suggestions: &[String]) -> String {
    if suggestions.is_empty() {
        "; `ecapi ops` lists the operations".to_string()
    } else {
        format!("; did you mean {}?", suggestions.join(", "))
    }
}

/// The script function's fullest form, in its own argument order (`init_user(user, machine)`),
/// which is not always the wire order (InitUser sends Machine before User).
/// A map argument's keys are left to `ecapi ops NAME`.
fn script_form(op: Operation) -> String {
    let form = docs::find(op.script_name())
        .and_then(|d| d.signatures.iter().max_by_key(|s| s.len()))
        .map_or_else(|| format!("{}()", op.script_name()), |s| s.to_string());
    if form.contains("#{") {
        format!("{}(#{{ type, … }})", op.script_name())
    } else {
        form
    }
}

/// The table of operations for a version: the operation, its script function with the function's
/// own arguments, and the wire parameters in the order they are sent.
pub fn list(api: ApiVersion) -> String {
    let mut out = format!("Encore Web API {api} operations\n\n");
    let width = Operation::ALL
        .iter()
        .map(|o| o.name().len())
        .max()
        .unwrap_or(0);
    let fwidth = Operation::ALL
        .iter()
        .map(|o| script_form(*o).chars().count())
        .max()
        .unwrap_or(0);
    out.push_str(&format!(
        "{:width$}  {:fwidth$}  wire parameters, in order\n",
        "operation", "script function"
    ));
    for op in Operation::ALL {
        let params: Vec<&str> = op.params(api).iter().map(|p| p.wire_name(api)).collect();
        let avail = if op.exists_in(api) {
            String::new()
        } else {
            format!("  [since {}]", op.since())
        };
        out.push_str(&format!(
            "{:width$}  {:fwidth$}  {}{avail}\n",
            op.name(),
            script_form(op),
            params.join(", "),
        ));
    }
    out.push_str(&functions());
    out.push_str("\n`ecapi ops NAME` (in the REPL, `:help NAME`) shows one operation or script function in full.\n");
    out
}

/// The script functions besides the fifteen operations, by group, with their forms.
fn functions() -> String {
    use super::docs::Group;
    let mut out = String::new();
    for group in [
        Group::Port,
        Group::PortMethod,
        Group::Assertion,
        Group::Helper,
        Group::Simulator,
    ] {
        out.push_str(&format!("\n{}\n", group.title()));
        for doc in docs::functions().iter().filter(|d| d.group == group) {
            out.push_str(&format!("  {}\n", doc.signatures.join("   ")));
        }
    }
    out.push_str(
        "\nA Response has op, code, message, ok, warning, elapsed_ms, reason and the fields unit, port,\n\
         url, status, duration, value (() when not returned; unit and port are text, as on the wire).\n",
    );
    out
}

/// One operation or script function in full.
pub fn detail(name: &str, api: ApiVersion) -> Result<String, UnknownName> {
    if let Some(op) = Operation::lookup(name) {
        return Ok(operation_detail(op, api));
    }
    if let Some(doc) = docs::find(name) {
        return Ok(function_detail(doc));
    }
    let mut candidates: Vec<&str> = Operation::ALL.iter().map(|o| o.name()).collect();
    candidates.extend(docs::names());
    let near = closest(name, candidates.into_iter());
    Err(UnknownName {
        name: name.to_string(),
        suggestions: near.into_iter().map(str::to_string).collect(),
    })
}

fn operation_detail(op: Operation, api: ApiVersion) -> String {
    let mut out = format!(
        "{}  (API {} and later)\n\n{}\n\n",
        op.name(),
        op.since(),
        op.doc()
    );
    if !op.exists_in(api) {
        out.push_str(&format!("Not part of API {api}.\n\n"));
    }
    out.push_str("Parameters (7.1 name / 7.0 name), and what the simulator requires:\n");
    for r in crate::simulator::requirements(op, api) {
        let p = r.param;
        let (n71, n70) = (p.wire_name(ApiVersion::V7_1), p.wire_name(ApiVersion::V7_0));
        let ty = if p.is_int() { "int" } else { "string" };
        if n71 == n70 {
            out.push_str(&format!("  {n71} ({ty})\n"));
        } else {
            out.push_str(&format!("  {n71} / {n70} ({ty})\n"));
        }
        let required = match r.when_empty {
            Some(code) => format!("required (empty: {}); ", code.code()),
            None => String::new(),
        };
        out.push_str(&format!("      {required}{}\n", r.form));
    }
    out.push_str("\nResponse: responseCode, responseMessage");
    for f in op.result_fields() {
        out.push_str(&format!(", {}", f.wire_name()));
    }
    out.push_str(" (extra fields only with code 100)\n\n");
    if let Some(doc) = docs::find(op.script_name()) {
        out.push_str(&script_part(doc));
    }
    out
}

fn function_detail(doc: &FunctionDoc) -> String {
    let mut out = format!("{}  ({})\n\n{}\n\n", doc.name, doc.group.title(), doc.doc);
    out.push_str(&script_part(doc));
    out
}

fn script_part(doc: &FunctionDoc) -> String {
    let mut out = String::from("Script:\n");
    for s in doc.signatures {
        out.push_str(&format!("  {s}\n"));
    }
    out.push_str("\nExample:\n");
    for line in doc.example.lines() {
        out.push_str(&format!("  {line}\n"));
    }
    if doc.group == Group::Operation {
        out.push_str(
            "\nReturns a Response: op, code, message, ok, elapsed_ms and the extra fields.\n",
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detail_of_an_operation_shows_its_parameters_and_its_function() {
        let text = detail("StartRecording", ApiVersion::V7_1).unwrap();
        assert!(text.contains("maxRecordingTimeInSeconds (int)"), "{text}");
        assert!(
            text.contains("start_recording(unit, port, max_seconds)"),
            "{text}"
        );
    }

    #[test]
    fn detail_of_an_unknown_name_suggests_close_ones() {
        let err = detail("port_statu", ApiVersion::V7_1).unwrap_err();
        assert!(err.suggestions.contains(&"port_status".to_string()));
        assert!(err
            .to_string()
            .starts_with("no operation or function `port_statu`; did you mean"));
    }
}
