//! Diagnostics that point at the script: `file:line:col`, the source line with a caret, the message,
//! and for an unknown function the closest names.

use rhai::{EvalAltResult, ParseError, Position};

use super::assertions::{is_assertion, AssertionFailure};
use super::docs::{self, Group};

/// A script error, ready to print.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// What went wrong.
    pub message: String,
    /// Where: 1-based line and column, when known.
    pub line: Option<usize>,
    /// See `line`.
    pub column: Option<usize>,
    /// Extra lines (a call chain, a suggestion).
    pub notes: Vec<String>,
    /// Whether it is a failed assertion rather than an error.
    pub assertion: bool,
    /// The module file the position is in, when it is not the script itself (an error inside an
    /// imported `helpers.rhai`).
    pub file: Option<String>,
}

/// Up to three names close to `name`, best first.
pub fn closest<'a>(name: &str, candidates: impl Iterator<Item = &'a str>) -> Vec<&'a str> {
    let lower = name.to_lowercase();
    let mut scored: Vec<(f64, &str)> = candidates
        .filter(|c| *c != name)
        .map(|c| {
            let cl = c.to_lowercase();
            let mut score = strsim::jaro_winkler(&lower, &cl);
            if !lower.is_empty() && (cl.starts_with(&lower) || cl.contains(&lower)) {
                score += 0.2;
            }
            (score, c)
        })
        .filter(|(s, _)| *s >= 0.8)
        .collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(b.1)));
    let mut out: Vec<&str> = Vec::new();
    for (_, c) in scored {
        if !out.contains(&c) {
            out.push(c);
        }
        if out.len() == 3 {
            break;
        }
    }
    out
}

/// Rhai's message without the ` (line L, position C)` it appends.
fn strip_position(text: &str) -> String {
    let first = text.lines().next().unwrap_or(text);
    match first.rfind(" (line ") {
        Some(i) if first.ends_with(')') => first[..i].to_string(),
        _ => first.to_string(),
    }
}

/// ` (did you mean A, B?)` for a name that is no operation, or nothing when none is close.
pub fn operation_hint(name: &str) -> String {
    let names = crate::api::Operation::ALL.iter().map(|o| o.name());
    let near = closest(name, names);
    if near.is_empty() {
        String::new()
    } else {
        format!(" (did you mean {}?)", near.join(", "))
    }
}

fn at(pos: Position) -> (Option<usize>, Option<usize>) {
    (pos.line(), pos.position())
}

/// Explains a call to a function that does not exist with those arguments.
fn function_not_found(signature: &str, script_functions: &[String]) -> (String, Vec<String>) {
    // Rhai writes the signature as `name (type1, type2)`; a method call puts the object's type first.
    let name = signature.split([' ', '(']).next().unwrap_or(signature);
    let types = signature
        .find('(')
        .map(|i| signature[i..].trim())
        .unwrap_or("()")
        .replace("&str | ImmutableString | String", "string");
    if types.starts_with("(Port") && docs::find(name).is_none_or(|d| d.group != Group::PortMethod) {
        let methods: Vec<&str> = docs::functions()
            .iter()
            .filter(|d| d.group == Group::PortMethod)
            .map(|d| d.name)
            .collect();
        let near = closest(name, methods.iter().copied());
        let help = if near.is_empty() {
            format!("help: the methods are {}", methods.join(", "))
        } else {
            format!("help: did you mean {}?", near.join(", "))
        };
        return (format!("Port has no method `{name}`"), vec![help]);
    }
    if let Some(doc) = docs::find(name) {
        let forms = doc.signatures.join(" or ");
        return (
            format!("{name} cannot take the arguments {types}: it takes {forms}"),
            vec![format!("help: {}", doc.doc)],
        );
    }
    let mut candidates: Vec<&str> = docs::names().collect();
    candidates.extend(script_functions.iter().map(String::as_str));
    candidates.extend(COMMON_BUILTINS.iter().copied());
    let near: Vec<String> = closest(name, candidates.into_iter())
        .into_iter()
        .map(str::to_string)
        .collect();
    let mut notes = Vec::new();
    if !near.is_empty() {
        notes.push(format!("help: did you mean {}?", near.join(", ")));
    }
    (
        format!("unknown function `{name}` with arguments {types}"),
        notes,
    )
}

/// The property and type of Rhai's "Unknown property 'URL' - a getter is not registered for type
/// 'Response'" (rhai `func/func_call.rs`).
fn unknown_property(text: &str) -> Option<(&str, &str)> {
    let rest = text.strip_prefix("Unknown property '")?;
    let (prop, rest) = rest.split_once("' - a getter is not registered for type '")?;
    Some((prop, rest.strip_suffix('\'')?))
}

/// The properties of the script types, for suggestions.
const PROPERTIES: &[(&str, &[&str])] = &[
    (
        "Response",
        &[
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
        ],
    ),
    ("Port", &["unit", "port"]),
];

/// Explains a property that the value's type does not have.
fn property_not_found(prop: &str, type_name: &str) -> (String, Vec<String>) {
    let Some((_, props)) = PROPERTIES.iter().find(|(t, _)| *t == type_name) else {
        return (format!("{type_name} has no property `{prop}`"), Vec::new());
    };
    // A name in the wrong case (`r.URL`) is the likeliest slip.
    let near: Vec<&str> = match props.iter().find(|p| p.eq_ignore_ascii_case(prop)) {
        Some(same) => vec![same],
        None => closest(prop, props.iter().copied()),
    };
    let help = if near.is_empty() {
        format!(
            "help: the properties of a {type_name} are {}",
            props.join(", ")
        )
    } else {
        let near: Vec<String> = near.iter().map(|n| format!("`{n}`")).collect();
        format!("help: did you mean {}?", near.join(", "))
    };
    (format!("{type_name} has no property `{prop}`"), vec![help])
}

/// Rhai's own functions that scripts commonly call, for suggestions.
const COMMON_BUILTINS: &[&str] = &[
    "print",
    "debug",
    "len",
    "to_string",
    "type_of",
    "push",
    "contains",
    "keys",
    "values",
    "to_int",
    "to_float",
    "parse_int",
    "parse_float",
    "sub_string",
    "trim",
    "split",
    "join",
    "index_of",
    "starts_with",
    "ends_with",
    "is_empty",
    "timestamp",
    "elapsed",
];

impl Diagnostic {
    /// From a syntax error.
    pub fn from_parse(err: &ParseError) -> Diagnostic {
        let (line, column) = at(err.1);
        // Strict variables report an unknown name while compiling; it is not a syntax error.
        let message = match &*err.0 {
            rhai::ParseErrorType::VariableUndefined(name) => format!(
                "undefined variable `{name}`: declare it with `let {name} = ...;` before this line"
            ),
            other => format!("syntax error: {other}"),
        };
        Diagnostic {
            message,
            line,
            column,
            notes: Vec::new(),
            assertion: false,
            file: None,
        }
    }

    /// From a runtime error; `script_functions` are the names the script defines, for suggestions.
    pub fn from_eval(err: &EvalAltResult, script_functions: &[String]) -> Diagnostic {
        let assertion = is_assertion(err);
        let mut notes = Vec::new();
        // Descend into calls of script-defined functions: the innermost position is the culprit;
        // the calls leading there become notes.
        // Descend into calls of script-defined functions and into imported modules: the innermost
        // position is the culprit; the calls and imports leading there become notes. `file` is
        // the module file the current position is in (`None`: the script itself).
        let mut e = err;
        let mut file: Option<String> = None;
        let place = |file: &Option<String>, pos: Position| match file {
            Some(f) => format!("{f}:{}", pos.line().unwrap_or(0)),
            None => format!("line {}", pos.line().unwrap_or(0)),
        };
        loop {
            match e {
                EvalAltResult::ErrorInFunctionCall(name, source, inner, pos) => {
                    // A closure's generated name (`anon$…`) tells the reader nothing; the
                    // position does.
                    if !name.starts_with("anon$") {
                        notes.push(format!(
                            "in call to function `{name}` at {}",
                            place(&file, *pos)
                        ));
                    }
                    // The function's body is in the file it was defined in: a module names its
                    // file as its source, the script has none.
                    file = (!source.is_empty()).then(|| source.clone());
                    e = inner;
                }
                EvalAltResult::ErrorInModule(module, inner, pos) => {
                    notes.push(format!(
                        "in module {module} imported at {}",
                        place(&file, *pos)
                    ));
                    file = Some(module.clone());
                    e = inner;
                }
                _ => break,
            }
        }
        notes.reverse();
        let pos = e.position();
        let (line, column) = at(pos);
        let message = match e {
            EvalAltResult::ErrorRuntime(v, _) => match v.clone().try_cast::<AssertionFailure>() {
                Some(a) => a.message,
                None => v.to_string(),
            },
            EvalAltResult::ErrorTerminated(why, _) => why.to_string(),
            EvalAltResult::ErrorDataTooLarge(..) | EvalAltResult::ErrorStackOverflow(..) => {
                super::Limits::explain(e).unwrap_or_else(|| strip_position(&e.to_string()))
            }
            EvalAltResult::ErrorDotExpr(text, _) if unknown_property(text).is_some() => {
                let (prop, type_name) = unknown_property(text).expect("matched");
                let (m, mut extra) = property_not_found(prop, type_name);
                notes.append(&mut extra);
                m
            }
            EvalAltResult::ErrorFunctionNotFound(sig, _) => {
                let (m, mut extra) = function_not_found(sig, script_functions);
                notes.append(&mut extra);
                m
            }
            other => strip_position(&other.to_string()),
        };
        Diagnostic {
            message,
            line,
            column,
            notes,
            assertion,
            file,
        }
    }

    /// Renders the diagnostic against the script's source:
    ///
    /// ```text
    /// error: expected 100 from StopRecording, got 608 Warning: Port was not recording
    ///   --> flow.rhai:3:1
    ///    |
    ///  3 | expect_ok(stop_recording(1, 5));
    ///    | ^
    /// ```
    ///
    /// An error inside an imported module is shown at the module's file and line, with its line
    /// read from that file.
    pub fn render(&self, file: &str, source: &str) -> String {
        let module_text;
        let (file, source) = match &self.file {
            Some(module) => {
                module_text = std::fs::read_to_string(module).unwrap_or_default();
                (module.as_str(), module_text.as_str())
            }
            None => (file, source),
        };
        let kind = if self.assertion {
            "assertion failed"
        } else {
            "error"
        };
        let message = self
            .message
            .strip_prefix("assertion failed: ")
            .unwrap_or(&self.message);
        let mut out = format!("{kind}: {message}\n");
        match (self.line, self.column) {
            (Some(line), col) => {
                let col = col.unwrap_or(1);
                out.push_str(&format!("  --> {file}:{line}:{col}\n"));
                if let Some(text) = source.lines().nth(line - 1) {
                    let gutter = line.to_string().len();
                    let pad = " ".repeat(gutter);
                    out.push_str(&format!(" {pad} |\n"));
                    out.push_str(&format!(" {line} | {text}\n"));
                    // Pad by display width, so the caret stays under wide (CJK) characters; tabs
                    // are kept so the terminal expands them the same way on both lines.
                    let caret_pad: String = text
                        .chars()
                        .take(col.saturating_sub(1))
                        .map(|c| match c {
                            '\t' => "\t".to_string(),
                            c => " ".repeat(unicode_width::UnicodeWidthChar::width(c).unwrap_or(0)),
                        })
                        .collect();
                    out.push_str(&format!(" {pad} | {caret_pad}^\n"));
                }
            }
            (None, _) => out.push_str(&format!("  --> {file}\n")),
        }
        for note in &self.notes {
            out.push_str(&format!("  = {note}\n"));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn closest_names_prefer_prefixes() {
        let near = closest("port_statu", docs::names());
        assert_eq!(near[..2], ["port_status", "port_status_ex"]);
        assert!(closest("zzzz", docs::names()).is_empty());
    }

    #[test]
    fn the_caret_stays_under_the_column_after_wide_characters() {
        let d = Diagnostic {
            message: "boom".into(),
            line: Some(1),
            column: Some(13),
            notes: vec![],
            assertion: false,
            file: None,
        };
        let text = d.render("f.rhai", "let 名前 = 1; boom();");
        assert!(
            text.ends_with(" 1 | let 名前 = 1; boom();\n   |               ^\n"),
            "{text}"
        );
    }

    #[test]
    fn render_puts_a_caret_under_the_column() {
        let d = Diagnostic {
            message: "boom".into(),
            line: Some(2),
            column: Some(3),
            notes: vec!["help: x".into()],
            assertion: false,
            file: None,
        };
        let text = d.render("f.rhai", "let a = 1;\n  boom();\n");
        assert_eq!(
            text,
            "error: boom\n  --> f.rhai:2:3\n   |\n 2 |   boom();\n   |   ^\n  = help: x\n"
        );
    }
}
