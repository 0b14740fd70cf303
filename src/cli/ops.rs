//! `ecapi ops [OPERATION]`: the operations, their parameters and documentation, from the API model
//! and the script function docs.

use super::args::OpsArgs;
use super::backend::UsageError;
use super::exit::{ExitCode, EXIT_SUCCESS};
use crate::api::{ApiVersion, Operation};
use crate::script::docs::{self, FunctionDoc, Group};

/// Prints the list, or one entry in full.
pub fn ops(a: OpsArgs) -> Result<ExitCode, UsageError> {
    let api: ApiVersion = a
        .api
        .parse()
        .map_err(|e| UsageError(format!("--api: {e}")))?;
    match a.operation {
        None => print!("{}", list(api)),
        Some(name) => print!("{}", detail(&name, api)?),
    }
    Ok(EXIT_SUCCESS)
}

/// The table of operations for a version.
pub fn list(api: ApiVersion) -> String {
    let mut out = format!("Encore Web API {api} operations\n\n");
    let width = Operation::ALL
        .iter()
        .map(|o| o.name().len())
        .max()
        .unwrap_or(0);
    let fwidth = Operation::ALL
        .iter()
        .map(|o| o.script_name().len())
        .max()
        .unwrap_or(0);
    for op in Operation::ALL {
        let params: Vec<&str> = op.params(api).iter().map(|p| p.wire_name(api)).collect();
        let avail = if op.exists_in(api) {
            String::new()
        } else {
            format!("  [since {}]", op.since())
        };
        out.push_str(&format!(
            "{:width$}  {:fwidth$}  ({}){avail}\n",
            op.name(),
            op.script_name(),
            params.join(", "),
        ));
    }
    out.push_str("\n`ecapi ops NAME` shows one operation or script function in full.\n");
    out
}

/// One operation or script function in full.
pub fn detail(name: &str, api: ApiVersion) -> Result<String, UsageError> {
    if let Some(op) = Operation::lookup(name) {
        return Ok(operation_detail(op, api));
    }
    if let Some(doc) = docs::find(name) {
        return Ok(function_detail(doc));
    }
    let mut candidates: Vec<&str> = Operation::ALL.iter().map(|o| o.name()).collect();
    candidates.extend(docs::names());
    let near = crate::script::diagnostic::closest(name, candidates.into_iter());
    let hint = if near.is_empty() {
        "; `ecapi ops` lists the operations".to_string()
    } else {
        format!("; did you mean {}?", near.join(", "))
    };
    Err(UsageError(format!(
        "no operation or function `{name}`{hint}"
    )))
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
    out.push_str("Parameters (7.1 name / 7.0 name):\n");
    for p in op.params(api) {
        let (n71, n70) = (p.wire_name(ApiVersion::V7_1), p.wire_name(ApiVersion::V7_0));
        let ty = if p.is_int() { "int" } else { "string" };
        if n71 == n70 {
            out.push_str(&format!("  {n71} ({ty})\n"));
        } else {
            out.push_str(&format!("  {n71} / {n70} ({ty})\n"));
        }
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
