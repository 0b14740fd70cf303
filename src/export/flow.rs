//! The one model of a flow every writer reads: the requests in the order they were sent, each
//! argument as a literal, a value taken from an earlier answer, or an input withheld by
//! `--redact`; the code each answer is expected to carry with its message; and what the flow ran
//! on (API version, HTTPS, basic authentication).
//!
//! [`Flow::build`] makes it once from the exchanges a run recorded ([`Made`], as the runner's
//! record at the transport seam and the REPL's grid hold them; a proxy record is read into the same
//! shape by [`super::sources`]). A value's origin is found by matching: a `Unit` and `Port` equal
//! to those an earlier InitStation or InitUser answered come from that answer (as a pair when both
//! match), and any other argument equal to an earlier answer's `URL` or `fieldValue` comes from it.
//! The latest matching answer wins, as a CRM keeps the latest value in its variable.

use crate::api::{ApiVersion, Operation, Param, ResponseCode, ResultField};
use crate::script::Made;

/// Where an argument's value comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    /// Written in the program as it was sent.
    Literal(String),
    /// A field of an earlier answer: the step's index in [`Flow::steps`] and the field.
    Answer {
        /// The index of the step whose answer carries it.
        step: usize,
        /// The field.
        field: ResultField,
    },
    /// An input of the program (a value withheld by `--redact`): its index in [`Flow::inputs`].
    Input(usize),
}

/// One argument of a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Arg {
    /// The parameter.
    pub param: Param,
    /// Its value.
    pub value: Value,
}

/// One request of the flow and the answer it expects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    /// The operation.
    pub op: Operation,
    /// The arguments, in the wire order of the flow's API version (every parameter, empty ones too,
    /// as the SOAP client sends them).
    pub args: Vec<Arg>,
    /// The responseCode the run met.
    pub expected: u16,
    /// The responseMessage that came with it.
    pub message: String,
    /// The fields of this answer that later steps use, each with its variable's name
    /// (`unit`, `port`, `url`, then `unit2`…), in wire order.
    pub bound: Vec<(ResultField, String)>,
}

impl Step {
    /// The variable holding a field of this step's answer.
    pub fn variable(&self, field: ResultField) -> Option<&str> {
        self.bound
            .iter()
            .find(|(f, _)| *f == field)
            .map(|(_, name)| name.as_str())
    }
}

/// A value the program takes from its environment instead of its text (withheld by `--redact`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Input {
    /// The parameter it stands for.
    pub param: Param,
    /// Its name in snake_case (`user`, `field_value`, `field_value2`).
    pub name: String,
}

impl Input {
    /// The environment variable that gives it: `ECAPI_PARAM_` and the name in capitals.
    pub fn env(&self) -> String {
        format!("ECAPI_PARAM_{}", self.name.to_ascii_uppercase())
    }

    /// The name in camelCase (`fieldValue2`), for Java, JavaScript and C#.
    pub fn camel(&self) -> String {
        camel(&self.name)
    }
}

/// A snake_case name in camelCase.
pub fn camel(snake: &str) -> String {
    let mut out = String::with_capacity(snake.len());
    let mut upper = false;
    for c in snake.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

/// What the flow ran on and came from, for the header and the transport settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    /// What it came from, as the header says it (`scripts/screen_pop.rhai`).
    pub source: String,
    /// The backend it ran on, in words.
    pub backend: String,
    /// The API version it spoke.
    pub api: ApiVersion,
    /// Whether it ran over HTTPS.
    pub https: bool,
    /// Whether it used basic authentication.
    pub basic_auth: bool,
    /// Whether it is an example made up of the guide's values rather than a flow that ran.
    pub example: bool,
}

/// A flow, ready to be written in any language.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Flow {
    /// Where it came from and what it ran on.
    pub origin: Origin,
    /// The requests, in order.
    pub steps: Vec<Step>,
    /// The program's inputs (values withheld by `--redact`), in order of first use.
    pub inputs: Vec<Input>,
    /// Requests of the run the program leaves out (no answer with a code came back), each as
    /// `#N Operation: what happened`.
    pub left_out: Vec<String>,
    /// What else the reader of the program should know about the run, one sentence each (the
    /// simulator control a script used, which a program cannot repeat).
    pub notes: Vec<String>,
}

/// How values withheld by `--redact` are recognised: by the parameter's name (a script run, whose
/// values are known), or by the value itself (a record, where they read `[redacted]`).
pub trait Withheld {
    /// Whether the value sent for this parameter is withheld.
    fn withheld(&self, param: Param, value: &str) -> bool;
}

impl<F: Fn(Param, &str) -> bool> Withheld for F {
    fn withheld(&self, param: Param, value: &str) -> bool {
        self(param, value)
    }
}

/// The fields an argument may be taken from, besides the Init answers' unit and port.
const CARRIED: [ResultField; 2] = [ResultField::Url, ResultField::FieldValue];

impl Flow {
    /// The flow of a run: every request answered with a code becomes a step; the others are listed
    /// in [`Flow::left_out`].
    pub fn build(origin: Origin, made: &[Made], withheld: &dyn Withheld) -> Flow {
        let api = origin.api;
        let mut steps: Vec<Step> = Vec::new();
        // The fields each step's answer carried (100 answers only), by step index.
        let mut answers: Vec<Vec<(ResultField, String)>> = Vec::new();
        let mut inputs: Vec<Input> = Vec::new();
        // The value each input stood for, to give the same value the same input.
        let mut input_values: Vec<String> = Vec::new();
        let mut left_out = Vec::new();
        for (i, m) in made.iter().enumerate() {
            let op = m.request.op();
            let response = match &m.outcome {
                Ok(r) => r,
                Err(e) => {
                    left_out.push(format!("#{} {}: {e}", i + 1, op.name()));
                    continue;
                }
            };
            let pair = init_pair(
                &answers,
                &steps,
                m.request.get(Param::Unit),
                m.request.get(Param::Port),
            );
            let mut args = Vec::new();
            for &param in op.params(api) {
                let text = m.request.get(param);
                let from_answer = match param {
                    Param::Unit | Param::Port if !text.is_empty() => pair
                        .or_else(|| latest(&answers, param_field(param), text))
                        .map(|step| (step, param_field(param))),
                    Param::Unit | Param::Port => None,
                    _ if text.is_empty() => None,
                    _ => CARRIED
                        .iter()
                        .filter_map(|f| latest(&answers, *f, text).map(|s| (s, *f)))
                        .max_by_key(|(s, _)| *s),
                };
                let value = match from_answer {
                    Some((step, field)) => Value::Answer { step, field },
                    None if withheld.withheld(param, text) => {
                        let at = inputs
                            .iter()
                            .zip(&input_values)
                            .position(|(inp, v)| inp.param == param && v == text);
                        Value::Input(at.unwrap_or_else(|| {
                            let base = snake(param.wire_name(ApiVersion::V7_1));
                            let same = inputs.iter().filter(|i| i.param == param).count();
                            let name = if same == 0 {
                                base
                            } else {
                                format!("{base}{}", same + 1)
                            };
                            inputs.push(Input { param, name });
                            input_values.push(text.to_string());
                            inputs.len() - 1
                        }))
                    }
                    None => Value::Literal(text.to_string()),
                };
                args.push(Arg { param, value });
            }
            let fields = if response.is_ok() {
                response
                    .fields()
                    .into_iter()
                    .filter(|(_, v)| !v.is_empty() && v != super::sources::REDACTED)
                    .map(|(f, v)| (f, v.into_owned()))
                    .collect()
            } else {
                Vec::new()
            };
            answers.push(fields);
            steps.push(Step {
                op,
                args,
                expected: response.code,
                message: response.message.to_string(),
                bound: Vec::new(),
            });
        }
        bind(&mut steps);
        Flow {
            origin,
            steps,
            inputs,
            left_out,
            notes: Vec::new(),
        }
    }

    /// The guide's message for a code, else the one the run met.
    pub fn message(step: &Step) -> &str {
        match ResponseCode::from_code(step.expected) {
            Some(code) if step.message.is_empty() => code.message(),
            _ => &step.message,
        }
    }
}

/// The field an Init answer gives for a unit or port parameter.
fn param_field(param: Param) -> ResultField {
    if param == Param::Unit {
        ResultField::Unit
    } else {
        ResultField::Port
    }
}

/// The latest step whose answer carried `field` with this text.
fn latest(answers: &[Vec<(ResultField, String)>], field: ResultField, text: &str) -> Option<usize> {
    answers
        .iter()
        .rposition(|fields| fields.iter().any(|(f, v)| *f == field && v == text))
}

/// The latest Init step whose answer gave both this unit and this port.
fn init_pair(
    answers: &[Vec<(ResultField, String)>],
    steps: &[Step],
    unit: &str,
    port: &str,
) -> Option<usize> {
    if unit.is_empty() || port.is_empty() {
        return None;
    }
    answers.iter().enumerate().rev().find_map(|(i, fields)| {
        let has = |field, text: &str| fields.iter().any(|(f, v)| *f == field && v == text);
        let init = matches!(steps[i].op, Operation::InitStation | Operation::InitUser);
        (init && has(ResultField::Unit, unit) && has(ResultField::Port, port)).then_some(i)
    })
}

/// Names the variables of the fields later steps use: `unit`, `port`, `url`, `value`, then
/// `unit2`… in the order the answers came.
fn bind(steps: &mut [Step]) {
    let mut used: Vec<(usize, ResultField)> = Vec::new();
    for step in steps.iter() {
        for arg in &step.args {
            if let Value::Answer { step, field } = arg.value {
                if !used.contains(&(step, field)) {
                    used.push((step, field));
                }
            }
        }
    }
    let mut counts: Vec<(ResultField, usize)> = Vec::new();
    for (i, step) in steps.iter_mut().enumerate() {
        for field in step.op.result_fields() {
            if !used.contains(&(i, *field)) {
                continue;
            }
            let n = match counts.iter_mut().find(|(f, _)| f == field) {
                Some((_, n)) => {
                    *n += 1;
                    *n
                }
                None => {
                    counts.push((*field, 1));
                    1
                }
            };
            let base = field.script_name();
            let name = if n == 1 {
                base.to_string()
            } else {
                format!("{base}{n}")
            };
            step.bound.push((*field, name));
        }
    }
}

/// A wire name in snake_case: `fieldValue` is `field_value`, `Parm1` is `parm1`.
fn snake(name: &str) -> String {
    let mut out = String::with_capacity(name.len() + 4);
    for (i, c) in name.chars().enumerate() {
        if c.is_ascii_uppercase() {
            if i > 0 {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::{Request, Response};
    use std::time::Duration;

    fn made(request: Request, response: Response) -> Made {
        Made {
            request,
            outcome: Ok(response),
            elapsed: Duration::ZERO,
            reason: None,
        }
    }

    fn init(ext: &str, unit: &str, port: &str) -> Made {
        let mut r = Response::ok(Operation::InitStation);
        r.set_field(ResultField::Unit, unit);
        r.set_field(ResultField::Port, port);
        made(
            Request::new(Operation::InitStation).with(Param::Extension, ext),
            r,
        )
    }

    fn on(op: Operation, unit: &str, port: &str) -> Request {
        Request::new(op)
            .with(Param::Unit, unit)
            .with(Param::Port, port)
    }

    fn origin() -> Origin {
        Origin {
            source: "t.rhai".into(),
            backend: "the embedded simulator".into(),
            api: ApiVersion::V7_1,
            https: false,
            basic_auth: false,
            example: false,
        }
    }

    fn none(_: Param, _: &str) -> bool {
        false
    }

    #[test]
    fn unit_and_port_come_from_the_init_answer_that_gave_them_never_as_literals() {
        let run = [
            init("4021", "1", "1"),
            init("4022", "1", "2"),
            made(
                on(Operation::StartRecording, "1", "1"),
                Response::ok(Operation::StartRecording),
            ),
            made(
                on(Operation::StopRecording, "1", "2"),
                Response::new(Operation::StopRecording, ResponseCode::PortNotRecording),
            ),
            made(
                on(Operation::PortStatus, "1", "7"),
                Response::ok(Operation::PortStatus),
            ),
        ];
        let flow = Flow::build(origin(), &run, &none);
        let start = &flow.steps[2].args;
        assert_eq!(
            start[0].value,
            Value::Answer {
                step: 0,
                field: ResultField::Unit
            }
        );
        assert_eq!(
            start[1].value,
            Value::Answer {
                step: 0,
                field: ResultField::Port
            }
        );
        assert_eq!(start[2].value, Value::Literal("0".into()));
        assert_eq!(
            flow.steps[3].args[1].value,
            Value::Answer {
                step: 1,
                field: ResultField::Port
            }
        );
        assert_eq!(flow.steps[3].expected, 608);
        assert_eq!(flow.steps[3].message, "Warning: Port was not recording");
        // Port 7 was never handed out: a literal; unit 1 is the latest Init's.
        assert_eq!(flow.steps[4].args[1].value, Value::Literal("7".into()));
        assert_eq!(
            flow.steps[4].args[0].value,
            Value::Answer {
                step: 1,
                field: ResultField::Unit
            }
        );
        assert_eq!(
            flow.steps[0].bound,
            vec![
                (ResultField::Port, "port".to_string()),
                (ResultField::Unit, "unit".to_string())
            ]
        );
        assert_eq!(
            flow.steps[1].bound,
            vec![
                (ResultField::Port, "port2".to_string()),
                (ResultField::Unit, "unit2".to_string())
            ]
        );
    }

    #[test]
    fn a_link_from_get_url_stored_in_a_field_is_taken_from_the_answer() {
        let mut url = Response::ok(Operation::GetUrl);
        url.set_field(ResultField::Url, "https://e/x?i=1");
        let run = [
            init("4021", "1", "1"),
            made(on(Operation::GetUrl, "1", "1"), url),
            made(
                on(Operation::AssignField, "1", "1")
                    .with(Param::FieldName, "fldLink")
                    .with(Param::FieldValue, "https://e/x?i=1"),
                Response::ok(Operation::AssignField),
            ),
        ];
        let flow = Flow::build(origin(), &run, &none);
        assert_eq!(
            flow.steps[2].args[3].value,
            Value::Answer {
                step: 1,
                field: ResultField::Url
            }
        );
        assert_eq!(flow.steps[1].variable(ResultField::Url), Some("url"));
    }

    #[test]
    fn withheld_values_become_inputs_one_per_distinct_value() {
        let run = [
            made(
                Request::new(Operation::DesktopPause).with(Param::User, "jsmith"),
                Response::ok(Operation::DesktopPause),
            ),
            made(
                Request::new(Operation::DesktopResume).with(Param::User, "jsmith"),
                Response::ok(Operation::DesktopResume),
            ),
            made(
                Request::new(Operation::DesktopResume).with(Param::User, "bjones"),
                Response::ok(Operation::DesktopResume),
            ),
        ];
        let user = |p: Param, _: &str| p == Param::User;
        let flow = Flow::build(origin(), &run, &user);
        assert_eq!(flow.steps[0].args[0].value, Value::Input(0));
        assert_eq!(flow.steps[1].args[0].value, Value::Input(0));
        assert_eq!(flow.steps[2].args[0].value, Value::Input(1));
        assert_eq!(flow.inputs[1].name, "user2");
        assert_eq!(flow.inputs[1].env(), "ECAPI_PARAM_USER2");
    }

    #[test]
    fn a_request_without_an_answer_is_left_out_and_said() {
        let run = [Made {
            request: Request::new(Operation::InitStation).with(Param::Extension, "1"),
            outcome: Err("connection refused".into()),
            elapsed: Duration::ZERO,
            reason: None,
        }];
        let flow = Flow::build(origin(), &run, &none);
        assert!(flow.steps.is_empty());
        assert_eq!(flow.left_out, ["#1 InitStation: connection refused"]);
    }

    #[test]
    fn names_convert_between_cases() {
        assert_eq!(snake("fieldValue"), "field_value");
        assert_eq!(snake("User"), "user");
        assert_eq!(camel("field_value2"), "fieldValue2");
    }
}
