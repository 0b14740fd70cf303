//! `ecapi test` on `tests/fixtures/runner/`: passing, failing and erroring scripts, a file of named
//! cases, and a nested folder. The summary line, the exit code, the JUnit report's structure, and
//! parallel runs reporting exactly what one job does.

use std::path::Path;
use std::process::{Command, Output};

use quick_xml::events::Event;
use quick_xml::Reader;

const FIXTURES: &str = "tests/fixtures/runner";

fn ecapi_test(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ecapi"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env_remove("ECAPI_ENDPOINT")
        .env("NO_COLOR", "1")
        .arg("test")
        .args(args)
        .output()
        .unwrap()
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The report with each `(1.2 ms)` replaced, as times differ from run to run.
fn masked(text: &str) -> String {
    text.lines()
        .map(|l| match l.rfind(" (") {
            Some(i) if l.ends_with(" ms)") => format!("{} (<t>)", &l[..i]),
            _ => l.to_string(),
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn the_fixture_folder_reports_every_test_and_ends_with_the_summary_line() {
    // One job finishes, and so shows, the tests in report order.
    let out = ecapi_test(&["--jobs", "1", FIXTURES]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert_eq!(text.lines().last(), Some("5 passed, 3 failed"), "{text}");
    let lines: Vec<String> = masked(&text)
        .lines()
        .take_while(|l| !l.is_empty())
        .map(str::to_string)
        .collect();
    assert_eq!(
        lines,
        [
            "ok    tests/fixtures/runner/cases.rhai::the first station takes port 1 (<t>)",
            "ok    tests/fixtures/runner/cases.rhai::a start then a stop both answer 100 (<t>)",
            "FAIL  tests/fixtures/runner/cases.rhai::a failing case: a second start expected to answer 100 (<t>)",
            "ok    tests/fixtures/runner/cases.rhai::each case starts on a fresh simulator (<t>)",
            "ERROR tests/fixtures/runner/erroring.rhai (<t>)",
            "FAIL  tests/fixtures/runner/failing.rhai (<t>)",
            "ok    tests/fixtures/runner/nested/deeper.rhai::warnings are not errors (<t>)",
            "ok    tests/fixtures/runner/passing.rhai (<t>)",
        ]
    );
}

#[test]
fn a_failure_shows_its_position_the_caret_the_last_requests_and_the_output() {
    let text = stdout(&ecapi_test(&[&format!("{FIXTURES}/failing.rhai")]));
    let expected = "\
---- tests/fixtures/runner/failing.rhai
assertion failed: expected 100 from StopRecording, got 608 Warning: Port was not recording (simulator: port 1 is NOT RECORDING; StopRecording needs RECORD)
  --> tests/fixtures/runner/failing.rhai:6:1
   |
 6 | expect_ok(agent.stop());
   | ^
last requests:
  InitStation(Extension=\"4023\") -> 100 Command executed as expected
  StartRecording(Unit=\"1\", Port=\"1\", maxRecordingTimeInSeconds=\"0\") -> 100 Command executed as expected
  StopRecording(Unit=\"1\", Port=\"1\") -> 100 Command executed as expected
  StopRecording(Unit=\"1\", Port=\"1\") -> 608 Warning: Port was not recording
output:
  stopped once
";
    assert!(text.contains(expected), "{text}");
}

#[test]
fn a_case_failing_inside_its_closure_points_at_the_line_in_the_closure() {
    let text = stdout(&ecapi_test(&["--filter", "a failing case", FIXTURES]));
    assert!(
        text.contains("  --> tests/fixtures/runner/cases.rhai:16:5\n"),
        "{text}"
    );
    assert!(
        text.contains("output:\n  status before: RECORD\n"),
        "{text}"
    );
    assert!(!text.contains("anon$"), "{text}");
}

#[test]
fn the_example_scripts_pass_each_with_the_options_of_its_args_line() {
    let scripts = std::fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts"))
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .path()
                .extension()
                .is_some_and(|x| x == "rhai")
        })
        .count();
    let out = ecapi_test(&[&format!("{FIXTURES}/passing.rhai"), "scripts"]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(text.contains("ok    scripts/recorder_hold.rhai"), "{text}");
    assert!(
        text.ends_with(&format!("\n{} passed, 0 failed\n", scripts + 1)),
        "{text}"
    );
}

#[test]
fn the_filter_runs_matching_tests_and_counts_the_rest_as_skipped() {
    let out = ecapi_test(&["--filter", "fresh simulator", FIXTURES]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert_eq!(text.lines().last(), Some("1 passed, 0 failed, 7 skipped"));
}

#[test]
fn parallel_runs_report_the_same_as_one_job() {
    // The lines shown as tests finish come in the order they finish; the failures in full and the
    // summary after them are in report order whatever the jobs.
    let split = |text: String| -> (Vec<String>, String) {
        let text = masked(&text);
        let (shown, rest) = text.split_once("\n\n").unwrap_or((&text, ""));
        let mut shown: Vec<String> = shown.lines().map(str::to_string).collect();
        shown.sort();
        (shown, rest.to_string())
    };
    let one = split(stdout(&ecapi_test(&["--jobs", "1", FIXTURES, "scripts"])));
    for jobs in ["2", "4"] {
        let many = split(stdout(&ecapi_test(&["--jobs", jobs, FIXTURES, "scripts"])));
        pretty_assertions::assert_eq!(one, many, "--jobs {jobs}");
    }
}

#[test]
fn a_missing_path_is_a_usage_error() {
    let out = ecapi_test(&["no/such/folder"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no/such/folder: no such file or folder"));
}

/// An element of the report, as much of it as the schema check needs.
#[derive(Debug)]
struct Element {
    name: String,
    attrs: Vec<(String, String)>,
    children: Vec<Element>,
    text: String,
}

impl Element {
    fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    fn count(&self, name: &str) -> usize {
        self.children.iter().filter(|c| c.name == name).count()
    }
}

fn parse(xml: &str) -> Element {
    fn element(e: &quick_xml::events::BytesStart<'_>) -> Element {
        Element {
            name: String::from_utf8(e.name().as_ref().to_vec()).unwrap(),
            attrs: e
                .attributes()
                .map(|a| {
                    let a = a.unwrap();
                    (
                        String::from_utf8(a.key.as_ref().to_vec()).unwrap(),
                        a.normalized_value(quick_xml::XmlVersion::Explicit1_0)
                            .unwrap()
                            .into_owned(),
                    )
                })
                .collect(),
            children: Vec::new(),
            text: String::new(),
        }
    }
    let mut reader = Reader::from_str(xml);
    let mut stack: Vec<Element> = vec![Element {
        name: "#document".into(),
        attrs: Vec::new(),
        children: Vec::new(),
        text: String::new(),
    }];
    loop {
        match reader.read_event().expect("well-formed XML") {
            Event::Start(e) => stack.push(element(&e)),
            Event::Empty(e) => stack.last_mut().unwrap().children.push(element(&e)),
            Event::End(_) => {
                let done = stack.pop().unwrap();
                stack.last_mut().unwrap().children.push(done);
            }
            Event::Text(t) => stack
                .last_mut()
                .unwrap()
                .text
                .push_str(&t.xml10_content().unwrap()),
            Event::GeneralRef(r) => {
                let text = match r.as_ref() {
                    b"lt" => "<",
                    b"gt" => ">",
                    b"amp" => "&",
                    b"quot" => "\"",
                    b"apos" => "'",
                    other => panic!("unexpected entity {:?}", String::from_utf8_lossy(other)),
                };
                stack.last_mut().unwrap().text.push_str(text);
            }
            Event::Eof => break,
            _ => {}
        }
    }
    let mut doc = stack.pop().unwrap();
    assert_eq!(doc.children.len(), 1, "one root element");
    doc.children.pop().unwrap()
}

fn is_number(v: Option<&str>) -> bool {
    v.is_some_and(|v| v.parse::<f64>().is_ok_and(|n| n >= 0.0))
}

fn is_count(v: Option<&str>) -> bool {
    v.is_some_and(|v| v.parse::<usize>().is_ok())
}

/// Checks the rules of Jenkins' `junit-10.xsd` that a report can break: the element nesting, the
/// required attributes and their types, at most one outcome per testcase, and counts that add up.
fn check_schema(root: &Element) {
    assert_eq!(root.name, "testsuites");
    for suite in &root.children {
        assert_eq!(suite.name, "testsuite");
        assert!(suite.attr("name").is_some_and(|n| !n.is_empty()));
        for a in ["tests", "failures", "errors", "skipped"] {
            assert!(is_count(suite.attr(a)), "testsuite {a}");
        }
        assert!(is_number(suite.attr("time")));
        assert!(suite.attr("timestamp").is_some_and(|t| {
            chrono::NaiveDateTime::parse_from_str(t, "%Y-%m-%dT%H:%M:%S").is_ok()
        }));
        let mut counts = [0usize; 3];
        for case in &suite.children {
            assert_eq!(case.name, "testcase", "a testsuite holds testcases");
            assert!(case.attr("name").is_some_and(|n| !n.is_empty()));
            // Jenkins splits a classname at its last dot into package and class.
            assert!(case.attr("classname").is_some_and(|c| !c.contains('.')));
            assert!(is_number(case.attr("time")));
            for child in &case.children {
                assert!(
                    ["skipped", "failure", "error", "system-out", "system-err"]
                        .contains(&child.name.as_str()),
                    "unexpected <{}>",
                    child.name
                );
                if child.name == "failure" || child.name == "error" {
                    assert!(child.attr("message").is_some() && child.attr("type").is_some());
                }
            }
            let outcomes = case.count("skipped") + case.count("failure") + case.count("error");
            assert!(outcomes <= 1, "one outcome per testcase");
            counts[0] += case.count("failure");
            counts[1] += case.count("error");
            counts[2] += case.count("skipped");
        }
        assert_eq!(
            suite.attr("tests"),
            Some(suite.children.len().to_string().as_str())
        );
        assert_eq!(suite.attr("failures"), Some(counts[0].to_string().as_str()));
        assert_eq!(suite.attr("errors"), Some(counts[1].to_string().as_str()));
        assert_eq!(suite.attr("skipped"), Some(counts[2].to_string().as_str()));
    }
}

#[test]
fn the_junit_report_has_a_testcase_per_case_and_follows_the_schema() {
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("report.xml");
    let out = ecapi_test(&[FIXTURES, "--junit", report.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let root = parse(&std::fs::read_to_string(&report).unwrap());
    check_schema(&root);
    assert_eq!(root.attr("tests"), Some("8"));
    assert_eq!(root.attr("failures"), Some("2"));
    assert_eq!(root.attr("errors"), Some("1"));

    let cases: Vec<&Element> = root.children.iter().flat_map(|s| &s.children).collect();
    let names: Vec<&str> = cases.iter().map(|c| c.attr("name").unwrap()).collect();
    assert_eq!(names.len(), 8);
    assert!(names.contains(&"each case starts on a fresh simulator"));
    let failing = cases
        .iter()
        .find(|c| c.attr("name") == Some("tests/fixtures/runner/failing.rhai"))
        .unwrap();
    let failure = &failing.children[0];
    assert_eq!(failure.name, "failure");
    assert_eq!(
        failure.attr("message"),
        Some("expected 100 from StopRecording, got 608 Warning: Port was not recording (simulator: port 1 is NOT RECORDING; StopRecording needs RECORD)")
    );
    assert!(failure
        .text
        .contains("StopRecording(Unit=\"1\", Port=\"1\") -> 608 Warning: Port was not recording"));
    let erroring = cases
        .iter()
        .find(|c| c.attr("name") == Some("tests/fixtures/runner/erroring.rhai"))
        .unwrap();
    assert_eq!(erroring.children[0].name, "error");
    assert!(Path::new(&report).exists());
}

#[test]
fn two_cases_with_one_name_fail_the_file_instead_of_hiding_one() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("dup.rhai"),
        "test(\"start\", || { port_status(1, 1); });\ntest(\"start\", || { port_status(1, 2); });\n",
    )
    .unwrap();
    let out = ecapi_test(&[dir.path().to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    assert!(
        text.contains("error: two cases are named `start` (lines 1 and 2): give each test(...) a name of its own\n  --> "),
        "{text}"
    );
    assert!(text.trim_end().ends_with("0 passed, 1 failed"), "{text}");
}
