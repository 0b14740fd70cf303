//! `ecapi export`: a flow as it ran, written as a program in a CRM's language.
//!
//! One model of the flow ([`flow`]: the requests in order, each argument a literal, a value from an
//! earlier answer or an input, the code each answer is expected to carry) is built once from the
//! exchanges a run recorded ([`sources`]: the runner's record at the transport seam, the REPL's
//! grid, a proxy record), and every language is a writer over it, one file each: [`curl`] (a POSIX
//! shell script), [`python`] (zeep), [`javascript`] (node-soap), [`java`] (the JDK alone),
//! [`csharp`] (a WCF client). The fixed parts of each program are templates in the writer's file;
//! [`template`] fills them. Nothing here runs a script or opens a connection.
//!
//! Every program speaks the wire as `ecapi serve` reads it (`wire.md`): the SOAPAction
//! `"http://tempuri.org/IECAPI/<Op>"`, the service namespace, the parameters in the order of the
//! guide's table for the API version the flow ran on. Each takes the endpoint URL as its first
//! argument (or `ECAPI_ENDPOINT`), basic-authentication credentials from `ECAPI_USER` and
//! `ECAPI_PASSWORD`, a withheld value from `ECAPI_PARAM_<NAME>`; prints one line per request
//! (operation, code, message, milliseconds) and exits 0 when every code is the expected one, 1
//! naming the first request that is not (or that got no answer), 2 when an input is missing.

pub mod csharp;
pub mod curl;
pub mod flow;
pub mod java;
pub mod javascript;
pub mod python;
pub mod sources;
pub mod template;

use std::fmt;
use std::str::FromStr;

pub use flow::{Arg, Flow, Input, Origin, Step, Value};

use crate::api::{ApiVersion, Operation, Param, Request, Response};
use crate::script::Made;

/// A language a flow can be written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    /// A POSIX shell script of curl calls.
    Curl,
    /// Python with zeep, from the server's WSDL.
    Python,
    /// Node.js with node-soap, from the server's WSDL.
    JavaScript,
    /// Java with the JDK alone, one file run with `java Flow.java`.
    Java,
    /// C# with WCF (`System.ServiceModel`), one `Program.cs`.
    CSharp,
}

impl Lang {
    /// Every language, in the order the help lists them.
    pub const ALL: [Lang; 5] = [
        Lang::CSharp,
        Lang::Java,
        Lang::Python,
        Lang::JavaScript,
        Lang::Curl,
    ];

    /// The name on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Lang::Curl => "curl",
            Lang::Python => "python",
            Lang::JavaScript => "javascript",
            Lang::Java => "java",
            Lang::CSharp => "csharp",
        }
    }

    /// The file name the program expects to be saved as (Java runs `Flow.java` by that name).
    pub fn file_name(self) -> &'static str {
        match self {
            Lang::Curl => "flow.sh",
            Lang::Python => "flow.py",
            Lang::JavaScript => "flow.js",
            Lang::Java => "Flow.java",
            Lang::CSharp => "Program.cs",
        }
    }

    /// The program for a flow.
    pub fn write(self, flow: &Flow) -> String {
        match self {
            Lang::Curl => curl::write(flow),
            Lang::Python => python::write(flow),
            Lang::JavaScript => javascript::write(flow),
            Lang::Java => java::write(flow),
            Lang::CSharp => csharp::write(flow),
        }
    }
}

impl fmt::Display for Lang {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A language name that is none of ours.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown language `{0}`: expected csharp, java, python, javascript or curl")]
pub struct UnknownLang(pub String);

impl FromStr for Lang {
    type Err = UnknownLang;

    fn from_str(s: &str) -> Result<Lang, UnknownLang> {
        match s.trim().to_ascii_lowercase().as_str() {
            "curl" | "sh" | "shell" => Ok(Lang::Curl),
            "python" | "py" | "zeep" => Ok(Lang::Python),
            "javascript" | "js" | "node" => Ok(Lang::JavaScript),
            "java" => Ok(Lang::Java),
            "csharp" | "c#" | "cs" => Ok(Lang::CSharp),
            _ => Err(UnknownLang(s.to_string())),
        }
    }
}

/// The section of the guide that describes an operation: its group, then its own heading.
pub fn guide_section(op: Operation) -> &'static str {
    match op {
        Operation::InitStation | Operation::InitUser => "Initialization Requests",
        Operation::CancelRecording
        | Operation::PauseRecording
        | Operation::ResumeRecording
        | Operation::StartRecording
        | Operation::StopRecording => "Recording Control Requests",
        Operation::AssignField | Operation::LogEvent => "Data Assignment Requests",
        Operation::GetField
        | Operation::GetUrl
        | Operation::PortStatus
        | Operation::PortStatusEx => "Information Requests",
        Operation::DesktopPause | Operation::DesktopResume => "Desktop Recording Requests",
    }
}

/// The comment above a request: `InitStation: guide 7.1, Initialization Requests > InitStation`.
pub fn step_comment(op: Operation, api: ApiVersion) -> String {
    format!(
        "{}: guide {api}, {} > {}",
        op.name(),
        guide_section(op),
        op.name()
    )
}

/// The header's first lines, shared by every language: what the program came from and what it
/// checks, as plain sentences (each writer puts them in its own comments).
pub fn summary(flow: &Flow) -> Vec<String> {
    let o = &flow.origin;
    if o.example {
        let op = flow.steps.first().map_or("", |s| s.op.name());
        return wrap(
            &format!(
                "An example of one {op} request (Encore Web API {}), with example values, checked \
                 against code 100. Made by `{}`; it needs nothing of ecapi to run.",
                o.api, o.source
            ),
            90,
        );
    }
    let mut text = format!(
        "The flow of {} as it ran on {} (Encore Web API {}): {} request{}, each checked against \
         the code it was answered then. Made by `ecapi export`; it needs nothing of ecapi to run.",
        o.source,
        o.backend,
        o.api,
        flow.steps.len(),
        if flow.steps.len() == 1 { "" } else { "s" }
    );
    for left in &flow.left_out {
        text.push_str(&format!(
            " Left out, with no answer carrying a code: {left}."
        ));
    }
    for note in &flow.notes {
        text.push(' ');
        text.push_str(note);
    }
    wrap(&text, 90)
}

/// Text broken into lines of at most `width` characters, at spaces.
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split(' ') {
        if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > width {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

/// The codes the flow expects, each once, in numeric order, with the guide's message (the one the
/// run met for a code the guides do not list).
pub fn expected_codes(flow: &Flow) -> Vec<(u16, &str)> {
    let mut codes: Vec<(u16, &str)> = Vec::new();
    for step in &flow.steps {
        if !codes.iter().any(|(c, _)| *c == step.expected) {
            codes.push((step.expected, Flow::message(step)));
        }
    }
    codes.sort_by_key(|(c, _)| *c);
    codes
}

/// The header's closing lines: the environment the program reads and what it prints.
pub fn usage_notes(flow: &Flow) -> Vec<String> {
    let mut lines = vec!["The endpoint URL is the first argument, or ECAPI_ENDPOINT.".to_string()];
    if flow.origin.basic_auth {
        lines.push("Basic authentication: ECAPI_USER and ECAPI_PASSWORD.".to_string());
    }
    for (i, input) in flow.inputs.iter().enumerate() {
        // A parameter withheld with different values has an input per value, counted in order.
        let nth = flow.inputs[..i]
            .iter()
            .filter(|other| other.param == input.param)
            .count();
        let which = match nth {
            0 => String::new(),
            n => format!(" (its value number {})", n + 1),
        };
        lines.push(format!(
            "{}: the {} withheld by --redact{which}.",
            input.env(),
            input.param.wire_name(flow.origin.api)
        ));
    }
    lines.push(
        "Prints one line per request (operation, code, message, milliseconds); exits 0 when every"
            .to_string(),
    );
    lines.push(
        "code is the expected one, 1 naming the first request that is not, 2 on a usage error."
            .to_string(),
    );
    lines
}

/// Example values for one request of `ecapi ops OP --example` and the REPL: the values of the
/// guide's examples, on unit 1, port 1.
pub fn example(op: Operation, api: ApiVersion) -> Flow {
    let mut request = Request::new(op);
    for p in op.params(ApiVersion::V7_1) {
        let value = match p {
            Param::Extension => "4021",
            Param::User => "jsmith",
            Param::Machine => "WS-JSMITH",
            Param::Unit | Param::Port => "1",
            Param::MaxRecordingTime => "0",
            Param::FieldName => "fldCustomerAccountNum",
            Param::FieldValue => "ACC-778812",
            Param::EventTimestamp => "2026-01-01 09:00:00",
            Param::EventType => "CallTransferred",
            Param::Parm1 => "queue 4",
            Param::Parm2 | Param::Parm3 => "",
        };
        request.set(*p, value);
    }
    let made = Made {
        request,
        outcome: Ok(Response::ok(op)),
        elapsed: std::time::Duration::ZERO,
        reason: None,
    };
    let origin = Origin {
        source: format!("ecapi ops {} --example", op.name()),
        backend: String::new(),
        api,
        https: false,
        basic_auth: false,
        example: true,
    };
    Flow::build(origin, &[made], &|_: Param, _: &str| false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn languages_parse_by_name_and_alias_and_an_unknown_one_is_named() {
        for lang in Lang::ALL {
            assert_eq!(lang.name().parse::<Lang>(), Ok(lang));
        }
        assert_eq!("C#".parse::<Lang>(), Ok(Lang::CSharp));
        assert_eq!(
            "cobol".parse::<Lang>().unwrap_err().to_string(),
            "unknown language `cobol`: expected csharp, java, python, javascript or curl"
        );
    }
}
