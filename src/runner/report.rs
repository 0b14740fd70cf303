//! The text report of a test run: a line per test with its time, then each failure in full (the
//! diagnostic with `file:line:col` and a caret, the last requests, the captured output), then the
//! summary line `N passed, N failed` (`, N skipped` when some were).

use super::{Status, TestResult};

const GREEN: &str = "\x1b[32m";
const RED: &str = "\x1b[31m";
const RESET: &str = "\x1b[0m";

/// The line for one test, or `None` for a skipped one (the summary counts those).
pub fn line(r: &TestResult, color: bool) -> Option<String> {
    let (word, on) = match &r.status {
        Status::Passed => ("ok", GREEN),
        Status::Failed(f) if f.assertion => ("FAIL", RED),
        Status::Failed(_) => ("ERROR", RED),
        Status::Skipped => return None,
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

/// Every failure in full, or nothing when none failed.
pub fn failures(results: &[TestResult]) -> String {
    let mut out = String::new();
    for r in results {
        let Status::Failed(f) = &r.status else {
            continue;
        };
        out.push_str(&format!("\n---- {}\n{}", r.id.name(), f.report));
        if !r.requests.is_empty() {
            out.push_str("last requests:\n");
            for q in &r.requests {
                out.push_str(&format!("  {q}\n"));
            }
        }
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

/// How many passed, failed and were skipped.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    /// Ran to the end.
    pub passed: usize,
    /// Failed an assertion or threw.
    pub failed: usize,
    /// Left out by the filter.
    pub skipped: usize,
}

impl Counts {
    /// Counts the results.
    pub fn of(results: &[TestResult]) -> Counts {
        let mut c = Counts::default();
        for r in results {
            match r.status {
                Status::Passed => c.passed += 1,
                Status::Failed(_) => c.failed += 1,
                Status::Skipped => c.skipped += 1,
            }
        }
        c
    }
}

impl std::fmt::Display for Counts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} passed, {} failed", self.passed, self.failed)?;
        if self.skipped > 0 {
            write!(f, ", {} skipped", self.skipped)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::runner::{Failure, TestId};

    fn result(case: Option<&str>, status: Status) -> TestResult {
        TestResult {
            id: TestId {
                file: "t/a.rhai".into(),
                case: case.map(str::to_string),
            },
            status,
            elapsed: Duration::from_micros(2500),
            output: "hello\n".into(),
            requests: vec![
                "InitStation(Extension=\"1\") -> 100 Command executed as expected".into(),
            ],
        }
    }

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
        assert_eq!(line(&result(None, Status::Skipped), false), None);
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
        rs.push(result(None, Status::Skipped));
        assert_eq!(Counts::of(&rs).to_string(), "1 passed, 1 failed, 1 skipped");
    }
}
