//! The result grid: each request a line of input made, as a row like the vendor's sample client
//! shows (operation, elapsed time, code, message, extra fields), coloured by outcome when the
//! terminal supports it.

use std::io::IsTerminal;

use std::time::Duration;

use crate::api::{Response, ResponseCode};
use crate::script::{Attempt, Made};

/// Column widths. The message column fits the common messages; the few longer error messages push
/// the fields right rather than being cut.
const OP: usize = 15;
const ELAPSED: usize = 10;
const CODE: usize = 4;
const MESSAGE: usize = 32;

/// How a row is told apart: success, warning (608, 609, 627) or error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Code 100.
    Success,
    /// A warning code: nothing changed, nothing is wrong.
    Warning,
    /// Any other code, or no answer at all.
    Error,
}

impl Outcome {
    #[cfg(test)]
    fn of(made: &Made) -> Outcome {
        Outcome::of_answer(made.outcome.as_ref().map_err(String::as_str))
    }

    /// The outcome of an answer (or of no answer: the transport error's text).
    pub fn of_answer(answer: Result<&Response, &str>) -> Outcome {
        match answer {
            Ok(r) if r.is_ok() => Outcome::Success,
            Ok(r) if r.response_code().is_some_and(ResponseCode::is_warning) => Outcome::Warning,
            _ => Outcome::Error,
        }
    }

    /// The class of an answer's code (`None`: no answer at all), for other views of an exchange
    /// (`ecapi proxy`'s line) to colour as the grid does.
    pub fn of_code(code: Option<u16>) -> Outcome {
        match code.map(|c| (c, ResponseCode::from_code(c))) {
            Some((100, _)) => Outcome::Success,
            Some((_, Some(rc))) if rc.is_warning() => Outcome::Warning,
            _ => Outcome::Error,
        }
    }

    /// `text` in this outcome's colour when `color` is on.
    pub fn paint(self, text: &str, color: bool) -> String {
        if color {
            format!("{}{text}{RESET}", self.ansi())
        } else {
            text.to_string()
        }
    }

    /// The ANSI colour sequence: green, yellow, red.
    fn ansi(self) -> &'static str {
        match self {
            Outcome::Success => "\x1b[32m",
            Outcome::Warning => "\x1b[33m",
            Outcome::Error => "\x1b[31m",
        }
    }
}

const RESET: &str = "\x1b[0m";
const DIM: &str = "\x1b[2m";

/// Whether to colour output written to standard output: only on a terminal, never when `NO_COLOR`
/// is set to anything (<https://no-color.org>) or the terminal is `dumb`.
pub fn color_stdout() -> bool {
    color_allowed(std::io::stdout().is_terminal())
}

/// See [`color_stdout`]; `terminal` says whether the output is a terminal.
pub fn color_allowed(terminal: bool) -> bool {
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    let dumb = std::env::var("TERM").is_ok_and(|t| t == "dumb");
    terminal && !no_color && !dumb
}

/// The header row.
pub fn header(color: bool) -> String {
    let text = format!(
        "{:OP$}  {:>ELAPSED$}  {:>CODE$}  {:MESSAGE$}  fields",
        "operation", "elapsed", "code", "message"
    );
    if color {
        format!("{DIM}{text}{RESET}")
    } else {
        text
    }
}

/// One row for a request the script made; a non-100 answer from a simulator ends with its
/// reason, after `--`.
pub fn row(made: &Made, color: bool) -> String {
    line(
        made.request.op().name(),
        made.elapsed,
        made.outcome.as_ref().map_err(String::as_str),
        made.reason.as_deref(),
        color,
    )
}

/// One row for an attempt of `retry` or a check of `poll_until`, in the grid's columns: the
/// function, when it started from the first (`+1.20 s`), which attempt (`2/3`, or `#2` for a
/// check), and what it gave (`ok`, `true`, `false`, `threw: …`); the first row of a wait on the
/// simulator's virtual clock says so. After attempts left out (a call keeps its first 10 and its
/// last 100), a line before the row says how many.
pub fn attempt_row(a: &Attempt, color: bool) -> String {
    let at = format!("+{:.2} s", a.at.as_secs_f64());
    let which = match a.of {
        Some(of) => format!("{}/{of}", a.number),
        None => format!("#{}", a.number),
    };
    let outcome = if a.passed {
        Outcome::Success
    } else {
        Outcome::Warning
    };
    let row = format!(
        "{:OP$}  {at:>ELAPSED$}  {which:>CODE$}  {}",
        a.function,
        outcome.paint(&a.outcome(), color)
    );
    let row = match (a.number, a.virtual_clock, color) {
        (1, true, true) => format!("{row}  {DIM}-- on the simulator's virtual clock{RESET}"),
        (1, true, false) => format!("{row}  -- on the simulator's virtual clock"),
        _ => row,
    };
    match (a.gap(), color) {
        (Some(gap), true) => format!("{DIM}... {gap}{RESET}\n{row}"),
        (Some(gap), false) => format!("... {gap}\n{row}"),
        (None, _) => row,
    }
}

/// One exchange as a line: the operation, the elapsed time, the code and message (or "no answer"
/// and the transport error), the extra fields, in the grid's columns, and a simulator's reason
/// for a non-100 answer after `--`. The REPL's grid and `ecapi run -v` print it; anything else
/// that shows an exchange should too.
pub fn line(
    op: &str,
    elapsed: Duration,
    answer: Result<&Response, &str>,
    reason: Option<&str>,
    color: bool,
) -> String {
    let elapsed = format!("{:.2} ms", elapsed.as_secs_f64() * 1000.0);
    let (code, message, fields) = match answer {
        Ok(r) => {
            let fields: Vec<String> = r
                .fields()
                .into_iter()
                .map(|(f, v)| format!("{}={v}", f.script_name()))
                .collect();
            (r.code.to_string(), r.message.to_string(), fields.join(" "))
        }
        Err(e) => ("-".to_string(), format!("no answer: {e}"), String::new()),
    };
    let (on, off) = if color {
        (Outcome::of_answer(answer).ansi(), RESET)
    } else {
        ("", "")
    };
    let line = format!(
        "{op:OP$}  {elapsed:>ELAPSED$}  {on}{code:>CODE$}  {message:MESSAGE$}{off}  {fields}"
    );
    let line = line.trim_end();
    match reason.filter(|r| !r.is_empty()) {
        Some(reason) if color => format!("{line}  {DIM}-- {reason}{RESET}"),
        Some(reason) => format!("{line}  -- {reason}"),
        None => line.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::api::{Operation, Param, Request, Response};

    fn made(code: ResponseCode, unit: Option<&str>) -> Made {
        let mut r = Response::new(Operation::InitStation, code);
        if let Some(u) = unit {
            r.set_unit(u);
            r.set_port("7");
        }
        Made {
            request: Request::new(Operation::InitStation).with(Param::Extension, "1234"),
            outcome: Ok(r),
            elapsed: Duration::from_micros(1500),
            reason: None,
        }
    }

    #[test]
    fn a_non_100_row_ends_with_the_simulators_reason() {
        let mut m = made(ResponseCode::UnitDoesNotExist, None);
        m.reason = Some("unit 9 is not configured".into());
        let text = row(&m, false);
        assert!(text.ends_with("  -- unit 9 is not configured"), "{text}");
        assert!(text.contains("606"), "{text}");
    }

    #[test]
    fn a_row_has_operation_elapsed_code_message_and_fields() {
        let text = row(&made(ResponseCode::Success, Some("1")), false);
        assert!(text.starts_with("InitStation      "), "{text}");
        assert!(
            text.contains("1.50 ms   100  Command executed as expected"),
            "{text}"
        );
        assert!(text.ends_with("port=7 unit=1"), "{text}");
    }

    #[test]
    fn columns_line_up_with_the_header() {
        let h = header(false);
        let r = row(&made(ResponseCode::Success, Some("1")), false);
        assert_eq!(h.find("code").map(|i| i + 4), r.find("100").map(|i| i + 3));
        assert_eq!(h.find("fields"), r.find("port="));
    }

    #[test]
    fn outcomes_are_coloured_green_yellow_red_only_when_asked() {
        let ok = row(&made(ResponseCode::Success, None), true);
        assert!(ok.contains("\x1b[32m 100"), "{ok:?}");
        let warn = made(ResponseCode::PortNotRecording, None);
        assert_eq!(Outcome::of(&warn), Outcome::Warning);
        assert!(row(&warn, true).contains("\x1b[33m"));
        let err = made(ResponseCode::UnitDoesNotExist, None);
        assert_eq!(Outcome::of(&err), Outcome::Error);
        assert!(row(&err, true).contains("\x1b[31m"));
        assert!(!row(&err, false).contains('\x1b'));
    }
}
