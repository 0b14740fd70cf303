//! The flow in Python, with zeep: the client is built from the server's WSDL (so the wire is the
//! one the WSDL describes: names, order, namespaces, SOAPAction), bound to the endpoint given.
//! Formatted as black writes it (88 columns, double quotes).

use super::flow::{Flow, Step, Value};
use super::template::fill;

const PROGRAM: &str = r##"#!/usr/bin/env python3
"""{{header}}"""

import os
import sys
import time

import requests
import zeep

BINDING = "{{binding}}"

# The messages of the codes the flow expects, as the guide gives them.
MESSAGES = {
{{messages}}}


class FlowFailed(Exception):
    """A request got no answer, or not the expected code."""

{{need}}
def request(service, n, operation, expected, **params):
    """Sends one request, prints its line and checks its code against the expected one."""
    started = time.perf_counter()
    try:
        result = getattr(service, operation)(**params)
    except (zeep.exceptions.Error, requests.RequestException) as e:
        raise FlowFailed(f"#{n} {operation}: no answer: {e}") from e
    ms = round((time.perf_counter() - started) * 1000)
    print(f"{operation:<15} {result.responseCode} {result.responseMessage} {ms} ms")
    if result.responseCode != expected:
        raise FlowFailed(
            f"#{n} {operation}: expected {expected} ({MESSAGES[expected]}), "
            f"got {result.responseCode} ({result.responseMessage})"
        )
    return result


def flow(service):
    """The requests, in the order the flow sent them."""
{{steps}}

def main():
    endpoint = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("ECAPI_ENDPOINT")
    if not endpoint:
        print(
            "usage: python3 {{file}} ENDPOINT_URL (or set ECAPI_ENDPOINT)",
            file=sys.stderr,
        )
        return 2
{{client}}    try:
        flow(client.create_service(BINDING, endpoint))
    except FlowFailed as e:
        print(f"FAIL {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
"##;

const NEED: &str = r##"
def need(name, what):
    """A value the flow takes from the environment."""
    value = os.environ.get(name)
    if value is None:
        print(f"set {name}: the {what} withheld by --redact", file=sys.stderr)
        sys.exit(2)
    return value

"##;

const CLIENT: &str = r##"    try:
        client = zeep.Client(endpoint + "?wsdl")
    except (zeep.exceptions.Error, requests.RequestException) as e:
        print(f"FAIL cannot read the service description: {e}", file=sys.stderr)
        return 1
"##;

const CLIENT_AUTH: &str = r##"    session = requests.Session()
    session.auth = (os.environ["ECAPI_USER"], os.environ.get("ECAPI_PASSWORD", ""))
    try:
        client = zeep.Client(
            endpoint + "?wsdl", transport=zeep.Transport(session=session)
        )
    except (zeep.exceptions.Error, requests.RequestException) as e:
        print(f"FAIL cannot read the service description: {e}", file=sys.stderr)
        return 1
"##;

/// The program for a flow.
pub fn write(flow: &Flow) -> String {
    let mut header = super::summary(flow);
    header.push(String::new());
    header.push(
        "Run it with Python 3 and zeep (pip install zeep), which builds the client from the"
            .to_string(),
    );
    header.push("server's WSDL:".to_string());
    header.push(String::new());
    header.push("    python3 flow.py http://127.0.0.1:8080/WebAPI/ECAPI.svc".to_string());
    header.push(String::new());
    header.extend(super::usage_notes(flow));
    let header = header.join("\n") + "\n";
    let mut steps = String::new();
    for input in &flow.inputs {
        steps.push_str(&format!(
            "    {} = need({}, {})\n",
            input.name,
            lit(&input.env()),
            lit(input.param.wire_name(flow.origin.api))
        ));
    }
    for (i, step) in flow.steps.iter().enumerate() {
        if i > 0 || !flow.inputs.is_empty() {
            steps.push('\n');
        }
        steps.push_str(&write_step(flow, i, step));
    }
    if flow.steps.is_empty() {
        steps.push_str("    pass\n");
    }
    let names = crate::soap::Names::default();
    let binding = format!(
        "{{{}}}BasicHttpBinding_{}",
        names.service_ns, names.contract
    );
    let need = if flow.inputs.is_empty() { "" } else { NEED };
    let messages: String = super::expected_codes(flow)
        .iter()
        .map(|(code, message)| format!("    {code}: {},\n", lit(message)))
        .collect();
    let client = if flow.origin.basic_auth {
        CLIENT_AUTH
    } else {
        CLIENT
    };
    fill(
        PROGRAM,
        &[
            ("header", &header),
            ("binding", &binding),
            ("messages", &messages),
            ("need", need),
            ("steps", &steps),
            ("file", super::Lang::Python.file_name()),
            ("client", client),
        ],
    )
}

fn write_step(flow: &Flow, i: usize, step: &Step) -> String {
    let api = flow.origin.api;
    let mut args = vec![
        "service".to_string(),
        (i + 1).to_string(),
        lit(step.op.name()),
        step.expected.to_string(),
    ];
    for arg in &step.args {
        let value = match &arg.value {
            Value::Literal(text) if arg.param.is_int() => match text.trim() {
                "" => "0".to_string(),
                t if t.parse::<i32>().is_ok() => t.to_string(),
                t => lit(t),
            },
            Value::Literal(text) => lit(text),
            Value::Answer { step, field } => flow.steps[*step]
                .variable(*field)
                .expect("a field used later is bound")
                .to_string(),
            Value::Input(at) => flow.inputs[*at].name.clone(),
        };
        args.push(format!("{}={value}", arg.param.wire_name(api)));
    }
    let head = if step.bound.is_empty() {
        "request"
    } else {
        "result = request"
    };
    let mut out = format!("    # {}\n", super::step_comment(step.op, api));
    out.push_str(&call("    ", head, &args));
    for (field, var) in &step.bound {
        out.push_str(&format!("    {var} = result.{}\n", field.wire_name()));
    }
    out
}

/// A call as black lays it out: on one line when it fits in 88 columns, else its arguments on one
/// indented line when they fit, else one argument per line with a trailing comma.
fn call(indent: &str, head: &str, args: &[String]) -> String {
    const WIDTH: usize = 88;
    let joined = args.join(", ");
    let one = format!("{indent}{head}({joined})");
    if one.chars().count() <= WIDTH {
        return one + "\n";
    }
    let inner = format!("{indent}    ");
    if inner.chars().count() + joined.chars().count() <= WIDTH {
        return format!("{indent}{head}(\n{inner}{joined}\n{indent})\n");
    }
    let mut out = format!("{indent}{head}(\n");
    for a in args {
        out.push_str(&format!("{inner}{a},\n"));
    }
    out.push_str(&format!("{indent})\n"));
    out
}

/// A Python string literal, double-quoted as black prefers (single quotes when the text holds a
/// double quote and no single one, as black leaves them).
fn lit(text: &str) -> String {
    let quote = if text.contains('"') && !text.contains('\'') {
        '\''
    } else {
        '"'
    };
    let mut out = String::with_capacity(text.len() + 2);
    out.push(quote);
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c if c.is_control() => out.push_str(&format!("\\x{:02x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push(quote);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literals_escape_what_python_needs() {
        assert_eq!(lit("a\"b"), "'a\"b'");
        assert_eq!(lit("it's \"x\""), "\"it's \\\"x\\\"\"");
        assert_eq!(lit("a\\b\n"), "\"a\\\\b\\n\"");
    }

    #[test]
    fn long_calls_break_as_black_breaks_them() {
        let short = call("    ", "f", &["a".into(), "b".into()]);
        assert_eq!(short, "    f(a, b)\n");
        let long: Vec<String> = (0..12).map(|i| format!("argument_{i}")).collect();
        let out = call("    ", "f", &long);
        assert!(out.starts_with("    f(\n        argument_0,\n"), "{out}");
        assert!(out.ends_with("        argument_11,\n    )\n"), "{out}");
    }
}
