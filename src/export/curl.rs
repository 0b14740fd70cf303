//! The flow as a POSIX shell script of curl calls: each request's envelope written out, its code
//! read back with sed and checked; the first surprise ends the script with exit 1. Formatted as
//! `shfmt` writes it (tabs).

use super::flow::{Flow, Step, Value};
use super::template::{comment, fill, xml_text};

const PROGRAM: &str = r##"#!/bin/sh
{{header}}set -u

endpoint=${1:-${ECAPI_ENDPOINT:-}}
if [ -z "$endpoint" ]; then
	echo "usage: sh {{file}} ENDPOINT_URL (or set ECAPI_ENDPOINT)" >&2
	exit 2
fi
{{inputs}}
# Ends the flow: fail N OPERATION WHY.
fail() {
	echo "FAIL #$1 $2: $3" >&2
	exit 1
}

# The text of an element of the last answer ($body), found by its local name.
field() {
	printf '%s' "$body" | sed -n "s/.*<\([A-Za-z0-9_]*:\)\{0,1\}$1\( [^>]*\)\{0,1\}>\([^<]*\)<\/.*/\3/p"
}

# XML text as plain text, for the printed message.
plain() {
	sed -e 's/&lt;/</g' -e 's/&gt;/>/g' -e 's/&quot;/"/g' -e "s/&apos;/'/g" -e 's/&amp;/\&/g'
}

# Sends one request and checks its code: request N OPERATION CODE 'MESSAGE' BODY, where CODE and
# MESSAGE are the expected answer and BODY the operation's element. The answer stays in $body.
request() {
	envelope="<s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\"><s:Body>$5</s:Body></s:Envelope>"
	out=$(printf '%s' "$envelope" | curl -sS -w '\n%{http_code} %{time_total}' \
		-H 'Content-Type: text/xml; charset=utf-8' \
		-H "SOAPAction: \"{{action_prefix}}$2\""{{auth}} \
		--data-binary @- "$endpoint") || fail "$1" "$2" "no answer"
	body=$(printf '%s\n' "$out" | sed '$d')
	status=$(printf '%s\n' "$out" | sed -n '$s/ .*//p')
	ms=$(printf '%s\n' "$out" | sed -n '$s/.* //p' | awk '{ printf "%d", $1 * 1000 }')
	if [ "$status" != 200 ]; then
		fail "$1" "$2" "HTTP $status $(field faultstring | plain)"
	fi
	code=$(field responseCode)
	message=$(field responseMessage | plain)
	printf '%-15s %s %s %s ms\n' "$2" "$code" "$message" "$ms"
	if [ "$code" != "$3" ]; then
		fail "$1" "$2" "expected $3 ($4), got $code ($message)"
	fi
}
{{steps}}"##;

const INPUT: &str = r##"if [ -z "${{{env}}:-}" ]; then
	echo "set {{env}}: the {{param}} withheld by --redact" >&2
	exit 2
fi
{{name}}=$(printf '%s' "${{env}}" | sed -e 's/&/\&amp;/g' -e 's/</\&lt;/g' -e 's/>/\&gt;/g')
"##;

const AUTH_CHECK: &str = r##"if [ -z "${ECAPI_USER:-}" ]; then
	echo "set ECAPI_USER and ECAPI_PASSWORD: the flow used basic authentication" >&2
	exit 2
fi
"##;

const STEP: &str = r##"
# {{comment}}
request {{n}} {{op}} {{code}} {{message}} \
	"{{body}}"
{{binds}}"##;

/// The script for a flow.
pub fn write(flow: &Flow) -> String {
    let api = flow.origin.api;
    let mut header = super::summary(flow);
    header.push(String::new());
    header.push("Run it with a POSIX shell and curl:".to_string());
    header.push(String::new());
    header.push("  sh flow.sh http://127.0.0.1:8080/WebAPI/ECAPI.svc".to_string());
    header.push(String::new());
    header.extend(super::usage_notes(flow));
    let mut inputs = String::new();
    if flow.origin.basic_auth {
        inputs.push_str(AUTH_CHECK);
    }
    for input in &flow.inputs {
        let env = input.env();
        inputs.push_str(&fill(
            INPUT,
            &[
                ("env", &env),
                ("param", input.param.wire_name(api)),
                ("name", &input.name),
            ],
        ));
    }
    let steps: String = flow
        .steps
        .iter()
        .enumerate()
        .map(|(i, step)| write_step(flow, i, step))
        .collect();
    let names = crate::soap::Names::default();
    let action_prefix = names.action(crate::api::Operation::InitStation);
    let action_prefix = action_prefix.trim_end_matches("InitStation");
    let auth = if flow.origin.basic_auth {
        " \\\n\t\t--user \"$ECAPI_USER:${ECAPI_PASSWORD:-}\""
    } else {
        ""
    };
    fill(
        PROGRAM,
        &[
            ("header", &comment("# ", &header)),
            ("file", super::Lang::Curl.file_name()),
            ("inputs", &inputs),
            ("action_prefix", action_prefix),
            ("auth", auth),
            ("steps", &steps),
        ],
    )
}

fn write_step(flow: &Flow, i: usize, step: &Step) -> String {
    let api = flow.origin.api;
    let ns = crate::soap::Names::default().service_ns;
    let op = step.op.name();
    let mut body = format!("<{op} xmlns=\\\"{}\\\">", dq(&ns));
    for arg in &step.args {
        let name = arg.param.wire_name(api);
        let value = match &arg.value {
            Value::Literal(text) => {
                // An empty xs:int is never sent: the SOAP client sends 0.
                if arg.param.is_int() && text.trim().is_empty() {
                    "0".to_string()
                } else {
                    dq(&xml_text(text))
                }
            }
            Value::Answer { step, field } => {
                let var = flow.steps[*step]
                    .variable(*field)
                    .expect("a field used later is bound");
                format!("${{{var}}}")
            }
            Value::Input(at) => format!("${{{}}}", flow.inputs[*at].name),
        };
        body.push_str(&format!("<{name}>{value}</{name}>"));
    }
    body.push_str(&format!("</{op}>"));
    let binds: String = step
        .bound
        .iter()
        .map(|(field, var)| format!("{var}=$(field {})\n", field.wire_name()))
        .collect();
    fill(
        STEP,
        &[
            ("comment", &super::step_comment(step.op, api)),
            ("n", &(i + 1).to_string()),
            ("op", op),
            ("code", &step.expected.to_string()),
            ("message", &sq(Flow::message(step))),
            ("body", &body),
            ("binds", &binds),
        ],
    )
}

/// Text for the inside of a double-quoted shell word.
fn dq(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '"' | '\\' | '$' | '`') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// A single-quoted shell word.
fn sq(text: &str) -> String {
    format!("'{}'", text.replace('\'', r#"'\''"#))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shell_quoting_keeps_every_character() {
        assert_eq!(dq(r#"a"$`\b"#), r#"a\"\$\`\\b"#);
        assert_eq!(sq("it's"), r#"'it'\''s'"#);
    }
}
