//! The flow in JavaScript for Node.js, with node-soap: the client is built from the server's WSDL
//! and bound to the endpoint given; arguments are passed in the WSDL's order. Formatted as
//! Prettier writes it (80 columns, double quotes, semicolons).

use super::flow::{Flow, Step, Value};
use super::template::{comment, fill};

const PROGRAM: &str = r##"#!/usr/bin/env node
{{header}}"use strict";

const soap = require("soap");

/** The messages of the codes the flow expects, as the guide gives them. */
const MESSAGES = {
{{messages}}};

/** A request got no answer, or not the expected code. */
class FlowFailed extends Error {}

/** Sends one request, prints its line and checks its code against the expected one. */
async function request(client, n, operation, expected, args) {
  const started = process.hrtime.bigint();
  let answer;
  try {
    [answer] = await client[`${operation}Async`](args);
  } catch (e) {
    throw new FlowFailed(`#${n} ${operation}: no answer: ${e.message}`);
  }
  const result = answer[`${operation}Result`];
  const ms = Number((process.hrtime.bigint() - started) / 1000000n);
  const code = Number(result.responseCode);
  console.log(
    `${operation.padEnd(15)} ${code} ${result.responseMessage} ${ms} ms`,
  );
  if (code !== expected) {
    throw new FlowFailed(
      `#${n} ${operation}: expected ${expected} (${MESSAGES[expected]}), ` +
        `got ${code} (${result.responseMessage})`,
    );
  }
  return result;
}
{{need}}
/** The requests, in the order the flow sent them. */
async function flow(client) {
{{steps}}}

async function main() {
  const endpoint = process.argv[2] || process.env.ECAPI_ENDPOINT;
  if (!endpoint) {
    console.error("usage: node {{file}} ENDPOINT_URL (or set ECAPI_ENDPOINT)");
    return 2;
  }
{{client}}  try {
    await flow(client);
  } catch (e) {
    if (!(e instanceof FlowFailed)) {
      throw e;
    }
    console.error(`FAIL ${e.message}`);
    return 1;
  }
  return 0;
}

main().then(
  (status) => process.exit(status),
  (e) => {
    console.error(`FAIL ${e.message}`);
    process.exit(1);
  },
);
"##;

const NEED: &str = r##"
/** A value the flow takes from the environment. */
function need(name, what) {
  const value = process.env[name];
  if (value === undefined) {
    console.error(`set ${name}: the ${what} withheld by --redact`);
    process.exit(2);
  }
  return value;
}
"##;

const CLIENT: &str = r##"  let client;
  try {
    client = await soap.createClientAsync(`${endpoint}?wsdl`, { endpoint });
  } catch (e) {
    // node-soap's message goes on with the whole answer; its first line says it.
    const why = e.message.split("\n")[0];
    console.error(`FAIL cannot read the service description: ${why}`);
    return 1;
  }
"##;

const CLIENT_AUTH: &str = r##"  const auth = new soap.BasicAuthSecurity(
    process.env.ECAPI_USER,
    process.env.ECAPI_PASSWORD || "",
  );
  const wsdlHeaders = {};
  auth.addHeaders(wsdlHeaders);
  let client;
  try {
    client = await soap.createClientAsync(`${endpoint}?wsdl`, {
      endpoint,
      wsdl_headers: wsdlHeaders,
    });
  } catch (e) {
    // node-soap's message goes on with the whole answer; its first line says it.
    const why = e.message.split("\n")[0];
    console.error(`FAIL cannot read the service description: ${why}`);
    return 1;
  }
  client.setSecurity(auth);
"##;

/// The program for a flow.
pub fn write(flow: &Flow) -> String {
    let mut header = super::summary(flow);
    header.push(String::new());
    header.push("Run it with Node.js and node-soap (npm install soap):".to_string());
    header.push(String::new());
    header.push("  node flow.js http://127.0.0.1:8080/WebAPI/ECAPI.svc".to_string());
    header.push(String::new());
    header.extend(super::usage_notes(flow));
    let mut steps = String::new();
    for input in &flow.inputs {
        steps.push_str(&format!(
            "  const {} = need({}, {});\n",
            input.camel(),
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
    let need = if flow.inputs.is_empty() { "" } else { NEED };
    let messages: String = super::expected_codes(flow)
        .iter()
        .map(|(code, message)| format!("  {code}: {},\n", lit(message)))
        .collect();
    let client = if flow.origin.basic_auth {
        CLIENT_AUTH
    } else {
        CLIENT
    };
    fill(
        PROGRAM,
        &[
            ("header", &comment("// ", &header)),
            ("need", need),
            ("messages", &messages),
            ("steps", &steps),
            ("file", super::Lang::JavaScript.file_name()),
            ("client", client),
        ],
    )
}

fn write_step(flow: &Flow, i: usize, step: &Step) -> String {
    let api = flow.origin.api;
    let mut entries = Vec::new();
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
            Value::Input(at) => flow.inputs[*at].camel(),
        };
        let name = arg.param.wire_name(api);
        // Prettier writes `{ Unit: unit }` as `{ Unit: unit }`: only an identical name shortens.
        entries.push(if name == value {
            name.to_string()
        } else {
            format!("{name}: {value}")
        });
    }
    let object = if entries.is_empty() {
        "{}".to_string()
    } else {
        format!("{{ {} }}", entries.join(", "))
    };
    let head = if step.bound.is_empty() {
        "await request".to_string()
    } else {
        format!("const {} = await request", result_var(i))
    };
    let args = [
        "client".to_string(),
        (i + 1).to_string(),
        lit(step.op.name()),
        step.expected.to_string(),
    ];
    let mut out = format!("  // {}\n", super::step_comment(step.op, api));
    out.push_str(&call(&head, &args, &object, &entries));
    for (field, var) in &step.bound {
        out.push_str(&format!(
            "  const {var} = {}.{};\n",
            result_var(i),
            field.wire_name()
        ));
    }
    out
}

/// The name of a step's result: `r1`, `r2`… (a result is kept only when later steps use it).
fn result_var(i: usize) -> String {
    format!("r{}", i + 1)
}

/// A call as Prettier lays it out in a function body: on one line when it fits in 80 columns;
/// else with the object (the last argument) hugged, one entry per line, when the line up to its
/// brace fits; else the arguments one per line with a trailing comma, the object on one line
/// when it fits, else broken one entry per line.
fn call(head: &str, args: &[String], object: &str, entries: &[String]) -> String {
    const WIDTH: usize = 80;
    let one = format!("  {head}({}, {object});", args.join(", "));
    if one.chars().count() <= WIDTH {
        return one + "\n";
    }
    let hugged = format!("  {head}({}, {{", args.join(", "));
    if !entries.is_empty() && hugged.chars().count() <= WIDTH {
        let mut out = hugged + "\n";
        for e in entries {
            out.push_str(&format!("    {e},\n"));
        }
        out.push_str("  });\n");
        return out;
    }
    let mut out = format!("  {head}(\n");
    for a in args {
        out.push_str(&format!("    {a},\n"));
    }
    if format!("    {object},").chars().count() <= WIDTH || entries.is_empty() {
        out.push_str(&format!("    {object},\n"));
    } else {
        out.push_str("    {\n");
        for e in entries {
            out.push_str(&format!("      {e},\n"));
        }
        out.push_str("    },\n");
    }
    out.push_str("  );\n");
    out
}

/// A JavaScript string literal, double-quoted as Prettier prefers (single quotes when the text
/// holds more double quotes than single ones, as Prettier chooses).
fn lit(text: &str) -> String {
    let doubles = text.matches('"').count();
    let singles = text.matches('\'').count();
    let quote = if doubles > singles { '\'' } else { '"' };
    let mut out = String::with_capacity(text.len() + 2);
    out.push(quote);
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
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
    fn literals_pick_the_quote_prettier_picks() {
        assert_eq!(lit("a"), "\"a\"");
        assert_eq!(lit("say \"hi\""), "'say \"hi\"'");
        assert_eq!(lit("it's"), "\"it's\"");
    }
}
