//! The JUnit XML report (`--report-junit FILE`, or `--junit FILE`): a suite per file and a
//! testcase per test (per named case or data row, not per file), with each failure's message and,
//! in its text, the diagnostic and the last requests; captured output goes in `system-out`.
//!
//! A testcase's `classname` is the file's path without its extension and without dots (`cases`
//! for `./cases.rhai`, `scripts/flow_v2` for `scripts/flow.v2.rhai`): Jenkins splits a classname
//! at its last dot into package and class.
//!
//! The layout follows the schema CI servers read (Jenkins' `junit-10.xsd`, which GitLab and GitHub
//! reporters accept too): `testsuites` > `testsuite` (`name`, `tests`, `failures`, `errors`,
//! `skipped`, `time`, `timestamp`) > `testcase` (`name`, `classname`, `time`) holding at most one
//! of `skipped`, `failure` (a failed assertion) or `error` (any other script error). A tagged
//! test's tags come first, as `properties` with a `property name="tag"` per tag.

use std::time::Duration;

use quick_xml::events::{BytesDecl, BytesEnd, BytesStart, BytesText, Event};
use quick_xml::Writer;

use crate::runner::{Status, TestResult};

/// Text as XML 1.0 allows it: control characters other than tab and line ends removed.
/// Text as XML 1.0 allows it (see [`clean`]) and escaped for content and attribute values: for
/// the JUnit reports written without a writer (`ecapi audit`, `ecapi load`).
pub fn xml_text(text: &str) -> String {
    quick_xml::escape::escape(clean(text).as_str()).into_owned()
}

fn clean(text: &str) -> String {
    // XML 1.0's Char: no control character but tab and line ends, and neither U+FFFE nor U+FFFF.
    text.chars()
        .filter(|c| {
            (!c.is_control() || matches!(c, '\t' | '\n' | '\r'))
                && !matches!(c, '\u{FFFE}' | '\u{FFFF}')
        })
        .collect()
}

fn seconds(d: Duration) -> String {
    format!("{:.3}", d.as_secs_f64())
}

#[derive(Default)]
struct Tally {
    tests: usize,
    failures: usize,
    errors: usize,
    skipped: usize,
    time: Duration,
}

impl Tally {
    fn of<'a>(results: impl Iterator<Item = &'a TestResult>) -> Tally {
        let mut t = Tally::default();
        for r in results {
            t.tests += 1;
            t.time += r.elapsed;
            match &r.status {
                Status::Passed => {}
                Status::Failed(f) if f.assertion => t.failures += 1,
                Status::Failed(_) | Status::Interrupted(_) => t.errors += 1,
                Status::Skipped(_) => t.skipped += 1,
            }
        }
        t
    }

    /// The counts as attributes. `skipped` goes on a `testsuite` only: the schema Jenkins reads
    /// (the xunit plugin's `junit-10.xsd`) allows no `skipped` on `testsuites`.
    fn attrs<'a>(&self, e: &mut BytesStart<'a>, skipped: bool) {
        e.push_attribute(("tests", self.tests.to_string().as_str()));
        e.push_attribute(("failures", self.failures.to_string().as_str()));
        e.push_attribute(("errors", self.errors.to_string().as_str()));
        if skipped {
            e.push_attribute(("skipped", self.skipped.to_string().as_str()));
        }
        e.push_attribute(("time", seconds(self.time).as_str()));
    }
}

type W = Writer<Vec<u8>>;

fn text_element(w: &mut W, name: &str, text: &str) -> std::io::Result<()> {
    w.write_event(Event::Start(BytesStart::new(name)))?;
    w.write_event(Event::Text(BytesText::new(&clean(text))))?;
    w.write_event(Event::End(BytesEnd::new(name)))
}

/// The `classname` for a test file: its path without `./`, its extension or dots.
pub fn classname(file: &str) -> String {
    let mut f = file;
    while let Some(rest) = f.strip_prefix("./").or_else(|| f.strip_prefix(".\\")) {
        f = rest;
    }
    let f = f.strip_suffix(".rhai").unwrap_or(f);
    f.replace('.', "_")
}

fn testcase(w: &mut W, r: &TestResult) -> std::io::Result<()> {
    let mut start = BytesStart::new("testcase");
    start.push_attribute(("name", clean(&r.id.short()).as_str()));
    start.push_attribute(("classname", clean(&classname(&r.id.file)).as_str()));
    start.push_attribute(("time", seconds(r.elapsed).as_str()));
    if r.status == Status::Passed && r.output.is_empty() && r.tags.is_empty() {
        return w.write_event(Event::Empty(start));
    }
    w.write_event(Event::Start(start))?;
    if !r.tags.is_empty() {
        // One `tag` property per tag, as JUnit 5 and pytest write a case's tags and markers.
        w.write_event(Event::Start(BytesStart::new("properties")))?;
        for tag in &r.tags {
            let mut p = BytesStart::new("property");
            p.push_attribute(("name", "tag"));
            p.push_attribute(("value", clean(tag).as_str()));
            w.write_event(Event::Empty(p))?;
        }
        w.write_event(Event::End(BytesEnd::new("properties")))?;
    }
    match &r.status {
        Status::Passed => {}
        Status::Skipped(why) => {
            let mut e = BytesStart::new("skipped");
            e.push_attribute(("message", why.reason()));
            w.write_event(Event::Empty(e))?;
        }
        Status::Failed(f) | Status::Interrupted(f) => {
            let (tag, kind) = if matches!(r.status, Status::Interrupted(_)) {
                ("error", "interrupted")
            } else if f.assertion {
                ("failure", "assertion")
            } else {
                ("error", "error")
            };
            let mut e = BytesStart::new(tag);
            e.push_attribute(("message", clean(&f.message).as_str()));
            e.push_attribute(("type", kind));
            w.write_event(Event::Start(e))?;
            let mut body = f.report.clone();
            let last = r.last_requests();
            if !last.is_empty() {
                body.push_str("last requests:\n");
                for q in &last {
                    body.push_str(&format!("  {q}\n"));
                }
            }
            for (i, a) in r.attempt_lines().iter().enumerate() {
                if i == 0 {
                    body.push_str("attempts:\n");
                }
                body.push_str(&format!("  {a}\n"));
            }
            w.write_event(Event::Text(BytesText::new(&clean(&body))))?;
            w.write_event(Event::End(BytesEnd::new(tag)))?;
        }
    }
    if !r.output.is_empty() {
        text_element(w, "system-out", &r.output)?;
    }
    w.write_event(Event::End(BytesEnd::new("testcase")))
}

/// The report for `results` (in report order), stamped with `timestamp` (ISO 8601).
pub fn render(results: &[TestResult], timestamp: &str) -> String {
    let mut w = Writer::new_with_indent(Vec::new(), b' ', 2);
    write(&mut w, results, timestamp).expect("writing to memory does not fail");
    let mut xml = String::from_utf8(w.into_inner()).expect("the writer writes UTF-8");
    xml.push('\n');
    xml
}

fn write(w: &mut W, results: &[TestResult], timestamp: &str) -> std::io::Result<()> {
    w.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))?;
    let mut root = BytesStart::new("testsuites");
    root.push_attribute(("name", "ecapi test"));
    Tally::of(results.iter()).attrs(&mut root, false);
    w.write_event(Event::Start(root))?;
    // Results come grouped by file, so consecutive runs of one file make its suite.
    for chunk in results.chunk_by(|a, b| a.id.file == b.id.file) {
        let mut suite = BytesStart::new("testsuite");
        suite.push_attribute(("name", clean(&chunk[0].id.file).as_str()));
        Tally::of(chunk.iter()).attrs(&mut suite, true);
        suite.push_attribute(("timestamp", timestamp));
        w.write_event(Event::Start(suite))?;
        for r in chunk {
            testcase(w, r)?;
        }
        w.write_event(Event::End(BytesEnd::new("testsuite")))?;
    }
    w.write_event(Event::End(BytesEnd::new("testsuites")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::{Operation, ResponseCode};
    use crate::runner::report::fixture;

    #[test]
    fn text_keeps_only_what_xml_allows() {
        assert_eq!(clean("a\u{1b}[31mb\u{FFFE}c\u{FFFF}\td\n"), "a[31mbc\td\n");
    }
    use crate::runner::{Failure, Skip};

    fn result(file: &str, case: Option<&str>, status: Status) -> TestResult {
        let mut r = fixture::result(case, status);
        r.id.file = file.into();
        r.elapsed = Duration::from_millis(3);
        r.output = String::new();
        r.calls = vec![fixture::call(
            Operation::StopRecording,
            ResponseCode::PortNotRecording,
        )];
        r
    }

    #[test]
    fn classnames_have_no_dots() {
        assert_eq!(classname("./cases.rhai"), "cases");
        assert_eq!(classname("scripts/flow.v2.rhai"), "scripts/flow_v2");
        assert_eq!(classname("../x/a.rhai"), "__/x/a");
    }

    #[test]
    fn each_case_is_a_testcase_in_its_files_suite() {
        let failure = Status::Failed(Failure {
            assertion: true,
            message: "expected 100 from StopRecording, got 608 <warning> & \u{1b}[31m".into(),
            report: "assertion failed: …\n".into(),
        });
        let xml = render(
            &[
                result("a.rhai", Some("one"), Status::Passed),
                result("a.rhai", Some("two"), failure),
                result("b.rhai", None, Status::Skipped(Skip::Filter)),
            ],
            "2024-05-01T10:00:00",
        );
        assert!(xml.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"ecapi test\" tests=\"3\" failures=\"1\" errors=\"0\" time=\"0.009\">"), "{xml}");
        assert!(
            xml.contains("<testsuite name=\"a.rhai\" tests=\"2\" failures=\"1\""),
            "{xml}"
        );
        assert!(
            xml.contains("<testcase name=\"two\" classname=\"a\" time=\"0.003\">"),
            "{xml}"
        );
        assert!(xml.contains("message=\"expected 100 from StopRecording, got 608 &lt;warning&gt; &amp; [31m\" type=\"assertion\""), "{xml}");
        assert!(
            xml.contains("last requests:\n  StopRecording() -&gt; 608"),
            "{xml}"
        );
        assert!(xml.contains("<testcase name=\"b.rhai\" classname=\"b\" time=\"0.003\">\n      <skipped message=\"left out by --filter\"/>"), "{xml}");
    }
}
