//! The line editor's helper: completion (script functions, `Port` methods, meta-commands, field
//! names, variables), hints that show a function's forms while it is typed, and the validator that
//! keeps reading lines while a bracket or string is open.

use std::borrow::Cow;
use std::cell::RefCell;
use std::rc::Rc;

use rustyline::completion::{Completer, FilenameCompleter, Pair};
use rustyline::highlight::Highlighter;
use rustyline::hint::{Hint, Hinter};
use rustyline::validate::{ValidationContext, ValidationResult, Validator};
use rustyline::Context;

use super::meta::COMMANDS;
use crate::api::Operation;
use crate::script::docs::{self, Group};

/// The fields the hosted profile knows: the test service's five columns (behaviour spec, "Profile
/// hosted"). Completed inside a string, where `assign_field` and `get_field` take a field name.
pub const FIELDS: [&str; 5] = [
    "fldCampaign",
    "fldClientID",
    "fldCustomerAccountNum",
    "fldCallCategory",
    "fldAccountingNum",
];

/// The properties of a `Response`, offered after a `.` with the `Port` methods: the editor cannot
/// know which of the two a variable holds.
const RESPONSE_PROPERTIES: [&str; 13] = [
    "op",
    "code",
    "message",
    "ok",
    "warning",
    "elapsed_ms",
    "reason",
    "unit",
    "port",
    "url",
    "status",
    "duration",
    "value",
];

/// Names the session defined, which the shell updates after each line.
#[derive(Debug, Default)]
pub struct Names {
    /// Variables in scope.
    pub variables: Vec<String>,
    /// Script-defined functions.
    pub functions: Vec<String>,
    /// Variables holding a `Port`: after their `.`, only the methods.
    pub ports: Vec<String>,
    /// Variables holding a `Response`: after their `.`, only the properties.
    pub responses: Vec<String>,
}

/// The rustyline helper.
pub struct Helper {
    names: Rc<RefCell<Names>>,
    files: FilenameCompleter,
    color: bool,
}

impl Helper {
    /// A helper that completes the session's names too; `color` dims the hints.
    pub fn new(names: Rc<RefCell<Names>>, color: bool) -> Helper {
        Helper {
            names,
            files: FilenameCompleter::new(),
            color,
        }
    }

    /// The candidates for `line` with the cursor at `pos`, and where they replace from.
    pub fn candidates(&self, line: &str, pos: usize) -> (usize, Vec<String>) {
        let before = &line[..pos];
        if before.trim_start().starts_with(':') {
            return self.meta_candidates(before);
        }
        if let Some(quote) = open_string(before) {
            let word = &before[quote + 1..];
            return (quote + 1, matching(FIELDS.iter().copied(), word));
        }
        let start = word_start(before);
        let word = &before[start..];
        if before[..start].ends_with('.') {
            let methods = docs::functions()
                .iter()
                .filter(|d| d.group == Group::PortMethod)
                .map(|d| d.name);
            // What the variable before the dot holds, when the last line left it in scope.
            let object = &before[word_start(&before[..start - 1])..start - 1];
            let names = self.names.borrow();
            let all: Vec<&str> = if names.ports.iter().any(|v| v == object) {
                methods.chain(["unit", "port"]).collect()
            } else if names.responses.iter().any(|v| v == object) {
                RESPONSE_PROPERTIES.to_vec()
            } else {
                methods.chain(RESPONSE_PROPERTIES.iter().copied()).collect()
            };
            return (start, matching(all.into_iter(), word));
        }
        if word.is_empty() {
            return (pos, Vec::new());
        }
        let names = self.names.borrow();
        let functions = docs::functions()
            .iter()
            .filter(|d| d.group != Group::PortMethod)
            .map(|d| d.name);
        let all = functions
            .chain(["print", "debug"])
            .chain(names.variables.iter().map(String::as_str))
            .chain(names.functions.iter().map(String::as_str));
        (start, matching(all, word))
    }

    fn meta_candidates(&self, before: &str) -> (usize, Vec<String>) {
        let offset = before.len() - before.trim_start().len();
        let text = before.trim_start();
        let Some(space) = text.find(char::is_whitespace) else {
            return (offset, matching(COMMANDS.iter().map(|(n, _, _)| *n), text));
        };
        let command = &text[..space];
        let arg_start = before.rfind(char::is_whitespace).map_or(0, |i| i + 1);
        let arg = &before[arg_start..];
        let options: Vec<&str> = match command {
            ":help" => docs::names()
                .chain(Operation::ALL.iter().map(|o| o.name()))
                .collect(),
            ":backend" => vec!["sim"],
            ":api" => vec!["7.0", "7.1"],
            ":trace" => vec!["on", "off"],
            _ => Vec::new(),
        };
        (arg_start, matching(options.into_iter(), arg))
    }

    /// The hint for `line` when the cursor is at its end.
    pub fn hint_text(&self, line: &str) -> Option<SignatureHint> {
        if line.trim_start().starts_with(':') || open_string(line).is_some() {
            return None;
        }
        let start = word_start(line);
        let word = &line[start..];
        let method = line[..start].ends_with('.');
        let lookup = |name: &str| {
            docs::functions()
                .iter()
                .find(|d| d.name == name && (d.group == Group::PortMethod) == method)
        };
        if word.len() >= 2 {
            if let Some(doc) = lookup(word) {
                return Some(SignatureHint::show(forms(doc.signatures, doc.name)));
            }
            let mut found = docs::functions()
                .iter()
                .filter(|d| (d.group == Group::PortMethod) == method && d.name.starts_with(word));
            if let (Some(doc), None) = (found.next(), found.next()) {
                let rest = &doc.name[word.len()..];
                return Some(SignatureHint {
                    display: format!("{rest}{}", forms(doc.signatures, doc.name)),
                    completion: Some(rest.to_string()),
                });
            }
            return None;
        }
        let (name, is_method) = open_call(line)?;
        let doc = docs::functions()
            .iter()
            .find(|d| d.name == name && (d.group == Group::PortMethod) == is_method)?;
        Some(SignatureHint::show(format!(
            "  {}",
            doc.signatures.join("  |  ")
        )))
    }
}

/// The forms of a function without its name, e.g. `(unit, port) | (unit, port, max_seconds)`.
fn forms(signatures: &[&str], name: &str) -> String {
    signatures
        .iter()
        .map(|s| match s.find(&format!("{name}(")) {
            Some(i) => &s[i + name.len()..],
            None => s,
        })
        .collect::<Vec<_>>()
        .join(" | ")
}

fn matching<'a>(all: impl Iterator<Item = &'a str>, word: &str) -> Vec<String> {
    let mut out: Vec<String> = all
        .filter(|c| c.starts_with(word))
        .map(str::to_string)
        .collect();
    out.sort();
    out.dedup();
    out
}

fn is_ident(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// Where the identifier that ends at the end of `text` starts.
fn word_start(text: &str) -> usize {
    text.char_indices()
        .rev()
        .take_while(|(_, c)| is_ident(*c))
        .last()
        .map_or(text.len(), |(i, _)| i)
}

/// The position of the quote that opens a string still open at the end of `text`, if any.
fn open_string(text: &str) -> Option<usize> {
    let mut open = None;
    let mut escaped = false;
    for (i, c) in text.char_indices() {
        match (open, c) {
            (Some(_), '\\') if !escaped => {
                escaped = true;
                continue;
            }
            (Some(_), '"') if !escaped => open = None,
            (None, '"') => open = Some(i),
            _ => {}
        }
        escaped = false;
    }
    open
}

/// The function whose argument list is open at the end of `text`, and whether it is a method.
fn open_call(text: &str) -> Option<(&str, bool)> {
    let mut depth = 0usize;
    for (i, c) in text.char_indices().rev() {
        match c {
            ')' | ']' | '}' => depth += 1,
            '(' | '[' | '{' if depth > 0 => depth -= 1,
            '(' => {
                let before = &text[..i];
                let start = word_start(before);
                let name = &before[start..];
                return (!name.is_empty()).then(|| (name, before[..start].ends_with('.')));
            }
            '[' | '{' => return None,
            _ => {}
        }
    }
    None
}

/// A hint: what to show after the cursor, and what the right arrow inserts (nothing, for a
/// signature shown inside an argument list).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignatureHint {
    display: String,
    completion: Option<String>,
}

impl SignatureHint {
    fn show(display: String) -> SignatureHint {
        SignatureHint {
            display,
            completion: None,
        }
    }
}

impl Hint for SignatureHint {
    fn display(&self) -> &str {
        &self.display
    }

    fn completion(&self) -> Option<&str> {
        self.completion.as_deref()
    }
}

impl Completer for Helper {
    type Candidate = Pair;

    fn complete(
        &self,
        line: &str,
        pos: usize,
        ctx: &Context<'_>,
    ) -> rustyline::Result<(usize, Vec<Pair>)> {
        let text = line[..pos].trim_start();
        if text.starts_with(":save ") || text.starts_with(":load ") {
            return self.files.complete(line, pos, ctx);
        }
        let (start, names) = self.candidates(line, pos);
        let pairs = names
            .into_iter()
            .map(|n| Pair {
                display: n.clone(),
                replacement: n,
            })
            .collect();
        Ok((start, pairs))
    }
}

impl Hinter for Helper {
    type Hint = SignatureHint;

    fn hint(&self, line: &str, pos: usize, _ctx: &Context<'_>) -> Option<SignatureHint> {
        // Only at the end of the line: a hint in the middle would cover what follows.
        if pos < line.len() {
            return None;
        }
        self.hint_text(line)
    }
}

impl Highlighter for Helper {
    fn highlight_hint<'h>(&self, hint: &'h str) -> Cow<'h, str> {
        if self.color {
            Cow::Owned(format!("\x1b[2m{hint}\x1b[0m"))
        } else {
            Cow::Borrowed(hint)
        }
    }
}

/// Every line is accepted as typed: the shell gathers lines until the input is complete (see
/// [`super::input::is_complete`]) and shows its continuation prompt meanwhile, which the editor's own multi-line
/// mode cannot.
impl Validator for Helper {
    fn validate(&self, _ctx: &mut ValidationContext<'_>) -> rustyline::Result<ValidationResult> {
        Ok(ValidationResult::Valid(None))
    }
}

impl rustyline::Helper for Helper {}

#[cfg(test)]
mod tests {
    use super::*;

    fn helper() -> Helper {
        let names = Names {
            variables: vec!["agent".into(), "answer".into(), "x".into()],
            functions: vec!["tolerate".into()],
            ports: vec!["agent".into()],
            responses: vec!["answer".into()],
        };
        Helper::new(Rc::new(RefCell::new(names)), false)
    }

    #[test]
    fn after_a_dot_a_port_offers_its_methods_and_a_response_its_properties() {
        let port = complete("agent.");
        assert!(port.contains(&"status_ex".to_string()) && port.contains(&"unit".to_string()));
        assert!(!port.contains(&"elapsed_ms".to_string()), "{port:?}");
        let response = complete("answer.");
        assert!(response.contains(&"reason".to_string()) && response.contains(&"code".to_string()));
        assert!(!response.contains(&"stop".to_string()), "{response:?}");
        let unknown = complete("x.");
        assert!(unknown.contains(&"stop".to_string()) && unknown.contains(&"code".to_string()));
    }

    fn complete(line: &str) -> Vec<String> {
        helper().candidates(line, line.len()).1
    }

    #[test]
    fn a_prefix_completes_to_the_functions_it_starts() {
        assert_eq!(complete("port_st"), ["port_status", "port_status_ex"]);
        assert_eq!(complete("let r = init_s"), ["init_station"]);
    }

    #[test]
    fn variables_and_script_functions_complete_too() {
        assert_eq!(complete("ag"), ["agent"]);
        assert_eq!(complete("tol"), ["tolerate"]);
    }

    #[test]
    fn after_a_dot_port_methods_and_response_properties_complete() {
        assert_eq!(complete("agent.sta"), ["start", "status", "status_ex"]);
        assert_eq!(complete("r.mes"), ["message"]);
    }

    #[test]
    fn inside_a_string_field_names_complete() {
        let (start, names) = helper().candidates("p.assign(\"fldC", 14);
        assert_eq!(start, 10);
        assert_eq!(
            names,
            [
                "fldCallCategory",
                "fldCampaign",
                "fldClientID",
                "fldCustomerAccountNum"
            ]
        );
    }

    #[test]
    fn meta_commands_and_their_arguments_complete() {
        assert_eq!(complete(":h"), [":help", ":history"]);
        assert_eq!(complete(":api 7"), ["7.0", "7.1"]);
        assert_eq!(complete(":help port_status_"), ["port_status_ex"]);
    }

    #[test]
    fn a_function_being_typed_hints_its_name_and_forms() {
        let h = helper().hint_text("init_sta").unwrap();
        assert_eq!(h.display(), "tion(extension)");
        assert_eq!(h.completion(), Some("tion"));
        let h = helper().hint_text("start_recording").unwrap();
        assert_eq!(h.display(), "(unit, port) | (unit, port, max_seconds)");
        assert_eq!(h.completion(), None);
    }

    #[test]
    fn an_open_argument_list_hints_the_signatures() {
        let h = helper().hint_text("let r = start_recording(1, ").unwrap();
        assert_eq!(
            h.display(),
            "  start_recording(unit, port)  |  start_recording(unit, port, max_seconds)"
        );
        assert_eq!(
            helper().hint_text("agent.log(").unwrap().display(),
            "  p.log(type)  |  p.log(type, map)"
        );
        assert_eq!(helper().hint_text("nothing(1, "), None);
    }
}
