//! The TAP report (`--report-tap FILE`), in TAP version 13 (<https://testanything.org/tap-version-13-specification.html>):
//! the version line, the plan `1..N`, then a numbered `ok` / `not ok` line per test. A skipped
//! test is `ok N - name # SKIP reason`; a failed one is followed by a YAML diagnostics block,
//! indented two spaces between `---` and `...`, with the message, severity, the diagnostic, the
//! last requests, the attempts of `retry` and `poll_until`, and the output.

use crate::runner::{Status, TestResult};

/// A YAML double-quoted scalar: JSON's string syntax is a subset of YAML's.
fn quoted(text: &str) -> String {
    serde_json::Value::from(text).to_string()
}

/// A YAML literal block (`|`) holding `text`, its lines indented by `indent` spaces. Plain `|`,
/// not `|-`: Perl's TAP::Harness (`prove`) reads only `|` and `>` and stops at anything else.
fn block(text: &str, indent: usize) -> String {
    let pad = " ".repeat(indent);
    let mut out = String::from("|\n");
    for line in text.trim_end().lines() {
        // A control character has no place in a YAML block; tabs and line ends are not kept there.
        let line: String = line
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect();
        out.push_str(&format!("{pad}{}\n", line.trim_end()));
    }
    out
}

/// A test's description: its name on one line, with `\` and `#` (TAP's directive mark) escaped
/// and line breaks and other control characters written as escapes (`\n`, `\r`, `\t`, `\u{1b}`),
/// since a TAP line ends at a line break (a `--data` cell may hold one).
fn description(r: &TestResult) -> String {
    let mut out = String::new();
    for c in r.id.name().chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '#' => out.push_str("\\#"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    out
}

/// The report for `results`, in report order.
pub fn render(results: &[TestResult]) -> String {
    let mut out = format!("TAP version 13\n1..{}\n", results.len());
    for (i, r) in results.iter().enumerate() {
        let n = i + 1;
        let name = description(r);
        match &r.status {
            Status::Passed => out.push_str(&format!("ok {n} - {name}\n")),
            Status::Skipped(why) => {
                out.push_str(&format!("ok {n} - {name} # SKIP {}\n", why.reason()))
            }
            Status::Failed(f) | Status::Interrupted(f) => {
                out.push_str(&format!("not ok {n} - {name}\n"));
                out.push_str("  ---\n");
                out.push_str(&format!("  message: {}\n", quoted(&f.message)));
                let severity = match &r.status {
                    Status::Interrupted(_) => "interrupted",
                    _ if f.assertion => "fail",
                    _ => "error",
                };
                out.push_str(&format!("  severity: {severity}\n"));
                out.push_str(&format!(
                    "  duration_ms: {:.3}\n",
                    r.elapsed.as_secs_f64() * 1000.0
                ));
                out.push_str(&format!("  diagnostic: {}", block(&f.report, 4)));
                let last = r.last_requests();
                if !last.is_empty() {
                    out.push_str("  requests:\n");
                    for q in &last {
                        out.push_str(&format!("    - {}\n", quoted(q)));
                    }
                }
                let attempts = r.attempt_lines();
                if !attempts.is_empty() {
                    out.push_str("  attempts:\n");
                    for a in &attempts {
                        out.push_str(&format!("    - {}\n", quoted(a)));
                    }
                }
                if !r.output.trim().is_empty() {
                    out.push_str(&format!("  output: {}", block(&r.output, 4)));
                }
                out.push_str("  ...\n");
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runner::report::fixture::result;
    use crate::runner::{Failure, Skip};

    #[test]
    fn a_failure_gets_a_yaml_block_and_a_skip_its_directive() {
        let failed = Status::Failed(Failure {
            assertion: true,
            message: "expected \"100\" # got 608".into(),
            report: "assertion failed\n  --> t/a.rhai:3:1\n".into(),
        });
        let tap = render(&[
            result(Some("one"), Status::Passed),
            result(Some("two #2"), failed),
            result(None, Status::Skipped(Skip::Bail)),
        ]);
        assert_eq!(
            tap,
            "TAP version 13\n1..3\nok 1 - t/a.rhai::one\nnot ok 2 - t/a.rhai::two \\#2\n  ---\n  message: \"expected \\\"100\\\" # got 608\"\n  severity: fail\n  duration_ms: 2.500\n  diagnostic: |\n    assertion failed\n      --> t/a.rhai:3:1\n  requests:\n    - \"InitStation(Extension=\\\"1\\\") -> 100 Command executed as expected\"\n  output: |\n    hello\n  ...\nok 3 - t/a.rhai # SKIP not run: --bail stopped the run at a failure\n"
        );
    }

    #[test]
    fn a_name_with_line_breaks_stays_on_one_line() {
        let mut r = result(Some("two\nlines\r\tand \u{1b} esc"), Status::Passed);
        r.id.row = Some("row # 1".into());
        let tap = render(&[r]);
        assert_eq!(
            tap,
            "TAP version 13\n1..1\nok 1 - t/a.rhai::row \\# 1::two\\nlines\\r\\tand \\u{1b} esc\n"
        );
    }

    #[test]
    fn an_interrupted_test_is_not_ok_with_its_severity() {
        let stopped = Status::Interrupted(Failure {
            assertion: false,
            message: "interrupted by SIGTERM".into(),
            report: "error: interrupted by SIGTERM\n".into(),
        });
        let tap = render(&[
            result(None, stopped),
            result(Some("later"), Status::Skipped(Skip::Interrupted)),
        ]);
        assert!(tap.contains("not ok 1 - t/a.rhai\n  ---\n  message: \"interrupted by SIGTERM\"\n  severity: interrupted\n"), "{tap}");
        assert!(
            tap.ends_with("ok 2 - t/a.rhai::later # SKIP not started: the run was interrupted\n"),
            "{tap}"
        );
    }
}
