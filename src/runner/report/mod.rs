//! The reports of a test run, each a view of one result model ([`super::TestResult`], in report
//! order), as hurl's `report/` does: the text report here (a line per test with its time, then
//! each failure in full: the diagnostic with `file:line:col` and a caret, the last requests, the
//! captured output; then the summary line `N passed, N failed`, with `, N skipped` when some
//! were), and one module per file format: [`junit`], [`tap`], [`json`], [`html`].

pub mod html;
pub mod json;
pub mod junit;
pub mod tap;

use std::time::Duration;

use super::{Call, Skip, Status, TestResult};
use crate::api::ResponseCode;

/// A whole run, as the file reports show it: its results in report order, when it started and
/// how long it took.
#[derive(Debug, Clone, Copy)]
pub struct Run<'a> {
    /// Every test, in report order.
    pub results: &'a [TestResult],
    /// When the run started, ISO 8601 in local time (`2026-11-30T01:02:03`).
    pub started: &'a str,
    /// How long the run took.
    pub elapsed: Duration,
}

/// How a request's answer is told apart in the reports, as the REPL's grid colours it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    /// Code 100.
    Success,
    /// A warning code (608, 609, 627): nothing changed, nothing is wrong.
    Warning,
    /// Any other code.
    Refused,
    /// No answer at all.
    Error,
}

impl Class {
    /// The class of a request's answer.
    pub fn of(call: &Call) -> Class {
        match &call.made.outcome {
            Ok(r) if r.is_ok() => Class::Success,
            Ok(r) if r.response_code().is_some_and(ResponseCode::is_warning) => Class::Warning,
            Ok(_) => Class::Refused,
            Err(_) => Class::Error,
        }
    }

    /// Its name in the JSON report and the HTML page's CSS.
    pub fn name(self) -> &'static str {
        match self {
            Class::Success => "success",
            Class::Warning => "warning",
            Class::Refused => "refused",
            Class::Error => "error",
        }
    }
}

/// A test's status as one word: `passed`, `failed` (an assertion), `error`, `interrupted` or
/// `skipped` (a test the run was stopped before is `skipped`, its reason saying so).
pub fn status_word(s: &Status) -> &'static str {
    match s {
        Status::Passed => "passed",
        Status::Failed(f) if f.assertion => "failed",
        Status::Failed(_) => "error",
        Status::Interrupted(_) => "interrupted",
        Status::Skipped(_) => "skipped",
    }
}

const GREEN: &str = "\x1b[32m";
const RED: &str = "\x1b[31m";
const RESET: &str = "\x1b[0m";

/// The line for one test, or `None` for a skipped one (the summary counts those).
pub fn line(r: &TestResult, color: bool) -> Option<String> {
    let (word, on) = match &r.status {
        Status::Passed => ("ok", GREEN),
        Status::Failed(f) if f.assertion => ("FAIL", RED),
        Status::Failed(_) => ("ERROR", RED),
        Status::Interrupted(_) => ("INTR", RED),
        Status::Skipped(_) => return None,
    };
    let word = if color {
        format!("{on}{word:5}{RESET}")
    } else {
        format!("{word:5}")
    };
    Some(format!(
        "{word} {} ({:.1} ms)",
        r.id.name(),
        r.elapsed.as_secs_f64() * 1000.0
    ))
}

/// A test's envelopes under `--trace` (standard error, before its line): a header naming the test,
/// then each exchange as `--trace` prints it ([`crate::script::render_trace`]).
pub fn trace_block(r: &TestResult) -> String {
    format!("# trace of {}\n{}", r.id.name(), r.trace)
}

/// `attempts:` and a line per attempt of `retry` or check of `poll_until`, when the test made any.
fn push_attempts(out: &mut String, r: &TestResult) {
    let attempts = r.attempt_lines();
    if !attempts.is_empty() {
        out.push_str("attempts:\n");
        for a in &attempts {
            out.push_str(&format!("  {a}\n"));
        }
    }
}

/// Every failure in full, or nothing when none failed.
pub fn failures(results: &[TestResult]) -> String {
    let mut out = String::new();
    for r in results {
        let Some(f) = r.status.failure() else {
            continue;
        };
        out.push_str(&format!("\n---- {}\n{}", r.id.name(), f.report));
        let last = r.last_requests();
        if !last.is_empty() {
            out.push_str("last requests:\n");
            for q in &last {
                out.push_str(&format!("  {q}\n"));
            }
        }
        push_attempts(&mut out, r);
        if !r.output.is_empty() {
            out.push_str("output:\n");
            for l in r.output.lines() {
                out.push_str(&format!("  {l}\n"));
            }
        }
    }
    if out.is_empty() {
        out
    } else {
        format!("\nfailures:\n{out}")
    }
}

/// How many passed, failed, were interrupted, were not started and were skipped.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    /// Ran to the end.
    pub passed: usize,
    /// Failed an assertion or threw.
    pub failed: usize,
    /// Running when the run was stopped.
    pub interrupted: usize,
    /// Not started because the run was stopped.
    pub not_started: usize,
    /// Left out by the filter or by `--bail`.
    pub skipped: usize,
}

impl Counts {
    /// How many ran (passed, failed or were interrupted).
    pub fn ran(&self) -> usize {
        self.passed + self.failed + self.interrupted
    }

    /// Counts the results.
    pub fn of(results: &[TestResult]) -> Counts {
        let mut c = Counts::default();
        for r in results {
            match r.status {
                Status::Passed => c.passed += 1,
                Status::Failed(_) => c.failed += 1,
                Status::Interrupted(_) => c.interrupted += 1,
                Status::Skipped(Skip::Interrupted) => c.not_started += 1,
                Status::Skipped(_) => c.skipped += 1,
            }
        }
        c
    }
}

impl std::fmt::Display for Counts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} passed, {} failed", self.passed, self.failed)?;
        if self.interrupted > 0 {
            write!(f, ", {} interrupted", self.interrupted)?;
        }
        if self.not_started > 0 {
            write!(f, ", {} not started", self.not_started)?;
        }
        if self.skipped > 0 {
            write!(f, ", {} skipped", self.skipped)?;
        }
        Ok(())
    }
}

/// Results to test the report writers with.
#[cfg(test)]
pub(crate) mod fixture {
    use std::time::Duration;

    use crate::api::{ApiVersion, Operation, Param, Request, Response, ResponseCode};
    use crate::client::Trace;
    use crate::runner::{Call, Status, TestId, TestResult};
    use crate::script::Made;

    /// A request made 1 ms into a test, taking 1.5 ms, answered `code`.
    pub fn call(op: Operation, code: ResponseCode) -> Call {
        Call {
            made: Made {
                request: Request::new(op).with(Param::Extension, "1"),
                outcome: Ok(Response::new(op, code)),
                elapsed: Duration::from_micros(1500),
                reason: None,
            },
            at: Duration::from_millis(1),
        }
    }

    /// A test of `t/a.rhai` (the case `case`, when given) that printed "hello" and made one
    /// InitStation request.
    pub fn result(case: Option<&str>, status: Status) -> TestResult {
        TestResult {
            id: TestId {
                file: "t/a.rhai".into(),
                row: None,
                case: case.map(str::to_string),
            },
            status,
            elapsed: Duration::from_micros(2500),
            output: "hello\n".into(),
            calls: vec![call(Operation::InitStation, ResponseCode::Success)],
            dropped: 0,
            envelopes: Some(Trace {
                action: "http://tempuri.org/IECAPI/InitStation".into(),
                request: "<s:Envelope><s:Body><InitStation/></s:Body></s:Envelope>".into(),
                status: 200,
                response: "<s:Envelope><s:Body><InitStationResponse/></s:Body></s:Envelope>".into(),
                failure: None,
            }),
            api: ApiVersion::V7_1,
            attempts: Vec::new(),
            tags: Vec::new(),
            trace: String::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::fixture::result;
    use super::*;
    use crate::runner::{Failure, Skip};

    fn failed(assertion: bool) -> Status {
        Status::Failed(Failure {
            assertion,
            message: "boom".into(),
            report: "error: boom\n  --> t/a.rhai:1:1\n".into(),
        })
    }

    #[test]
    fn lines_name_the_test_its_outcome_and_time() {
        assert_eq!(
            line(&result(None, Status::Passed), false).unwrap(),
            "ok    t/a.rhai (2.5 ms)"
        );
        assert_eq!(
            line(&result(Some("two"), failed(true)), false).unwrap(),
            "FAIL  t/a.rhai::two (2.5 ms)"
        );
        assert!(line(&result(None, failed(false)), false)
            .unwrap()
            .starts_with("ERROR "));
        assert_eq!(
            line(&result(None, Status::Skipped(Skip::Filter)), false),
            None
        );
    }

    #[test]
    fn failures_show_the_diagnostic_requests_and_output() {
        let text = failures(&[
            result(None, Status::Passed),
            result(Some("x"), failed(true)),
        ]);
        assert_eq!(
            text,
            "\nfailures:\n\n---- t/a.rhai::x\nerror: boom\n  --> t/a.rhai:1:1\nlast requests:\n  InitStation(Extension=\"1\") -> 100 Command executed as expected\noutput:\n  hello\n"
        );
        assert_eq!(failures(&[result(None, Status::Passed)]), "");
    }

    #[test]
    fn the_summary_mentions_skipped_only_when_some_were() {
        let mut rs = vec![result(None, Status::Passed), result(None, failed(false))];
        assert_eq!(Counts::of(&rs).to_string(), "1 passed, 1 failed");
        rs.push(result(None, Status::Skipped(Skip::Filter)));
        assert_eq!(Counts::of(&rs).to_string(), "1 passed, 1 failed, 1 skipped");
    }
}
