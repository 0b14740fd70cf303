//! `ecapi test`, `run` and `call` as a CI pipeline uses them: exit codes on an unreachable
//! endpoint and on an empty selection, a script's own `// args:` line from any folder, data-driven
//! runs, `--bail`, `run -v`, and each report format checked against its consumer's rules
//! (JUnit as Jenkins' schema has it, TAP version 13, JSON, and the HTML page in headless
//! Chromium).

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use quick_xml::events::Event;
use quick_xml::Reader;

fn ecapi(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ecapi"))
        .current_dir(dir)
        .env_remove("ECAPI_ENDPOINT")
        .env("NO_COLOR", "1")
        .args(args)
        .output()
        .unwrap()
}

fn text(out: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A folder of scripts: `(relative path, text)`.
fn folder(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (name, body) in files {
        let path = dir.path().join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, body).unwrap();
    }
    dir
}

/// An endpoint nothing listens on: a port the system handed out and that was closed again.
fn closed_endpoint() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    format!("http://127.0.0.1:{port}/WebAPI/ECAPI.svc")
}

const PASSING: &str = "expect_ok(station(\"4001\").start());\n";
const CASES: &str = "test(\"starts\", || { expect_ok(station(\"4001\").start()); });\n\
                     test(\"stops twice\", || { let p = station(\"4001\"); p.start(); p.stop(); expect_ok(p.stop()); });\n";

#[test]
fn call_run_and_test_exit_1_when_the_endpoint_cannot_be_reached() {
    let dir = folder(&[("a.rhai", PASSING)]);
    let url = closed_endpoint();
    let d = dir.path();
    for args in [
        vec!["call", "InitStation", "Extension=1", "--endpoint", &url],
        vec!["run", "a.rhai", "--endpoint", &url],
        vec!["test", ".", "--endpoint", &url],
    ] {
        let out = ecapi(d, &args);
        let (_, err) = text(&out);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {err}");
        assert!(err.contains("cannot connect to"), "{args:?}: {err}");
    }
    // A URL that cannot work is bad usage, found before any connection.
    let out = ecapi(d, &["call", "InitStation", "--endpoint", "ftp://host/x"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out).1.contains("the scheme must be http or https"));
}

/// A parsed XML element: name, attributes, children and text.
#[derive(Debug, Default)]
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
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

fn parse_xml(xml: &str) -> Element {
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
            ..Element::default()
        }
    }
    let mut reader = Reader::from_str(xml);
    let mut stack = vec![Element::default()];
    loop {
        match reader.read_event().unwrap() {
            Event::Start(e) => stack.push(element(&e)),
            Event::Empty(e) => {
                let el = element(&e);
                stack.last_mut().unwrap().children.push(el);
            }
            Event::End(_) => {
                let el = stack.pop().unwrap();
                stack.last_mut().unwrap().children.push(el);
            }
            Event::Text(t) => stack
                .last_mut()
                .unwrap()
                .text
                .push_str(&t.xml10_content().unwrap()),
            Event::Eof => break,
            _ => {}
        }
    }
    stack.pop().unwrap().children.pop().unwrap()
}

/// The rules of Jenkins' JUnit schema (`junit-10.xsd`) that a report can break, plus Jenkins'
/// own reading: a classname without dots. Returns every testcase.
fn check_junit(root: &Element) -> Vec<&Element> {
    assert_eq!(root.name, "testsuites");
    let mut cases = Vec::new();
    for suite in &root.children {
        assert_eq!(suite.name, "testsuite");
        for a in [
            "name",
            "tests",
            "failures",
            "errors",
            "skipped",
            "time",
            "timestamp",
        ] {
            assert!(suite.attr(a).is_some(), "testsuite without {a}");
        }
        let count = |kind: &str| {
            suite
                .children
                .iter()
                .filter(|c| c.children.iter().any(|o| o.name == kind))
                .count()
                .to_string()
        };
        assert_eq!(
            suite.attr("tests").unwrap(),
            suite.children.len().to_string()
        );
        assert_eq!(suite.attr("failures").unwrap(), count("failure"));
        assert_eq!(suite.attr("errors").unwrap(), count("error"));
        assert_eq!(suite.attr("skipped").unwrap(), count("skipped"));
        for case in &suite.children {
            assert_eq!(case.name, "testcase");
            assert!(case.attr("name").is_some_and(|n| !n.is_empty()));
            assert!(case.attr("time").unwrap().parse::<f64>().is_ok());
            let class = case.attr("classname").unwrap();
            assert!(!class.is_empty() && !class.contains('.'), "{class}");
            let outcomes = case
                .children
                .iter()
                .filter(|c| ["failure", "error", "skipped"].contains(&c.name.as_str()))
                .count();
            assert!(outcomes <= 1);
            for o in &case.children {
                if o.name == "failure" || o.name == "error" {
                    assert!(o.attr("message").is_some() && o.attr("type").is_some());
                }
            }
            cases.push(case);
        }
    }
    cases
}

#[test]
fn an_unreachable_endpoint_still_writes_the_junit_report_with_every_test_in_error() {
    let dir = folder(&[("a.rhai", PASSING), ("sub/b.rhai", PASSING)]);
    let url = closed_endpoint();
    let out = ecapi(
        dir.path(),
        &["test", ".", "--endpoint", &url, "--report-junit", "r.xml"],
    );
    assert_eq!(out.status.code(), Some(1));
    let root = parse_xml(&std::fs::read_to_string(dir.path().join("r.xml")).unwrap());
    let cases = check_junit(&root);
    assert_eq!(root.attr("errors"), Some("2"));
    assert_eq!(cases.len(), 2);
    assert_eq!(cases[0].attr("classname"), Some("a"));
    assert_eq!(cases[1].attr("classname"), Some("sub/b"));
    for c in cases {
        let e = &c.children[0];
        assert_eq!(e.name, "error");
        assert!(e.attr("message").unwrap().contains("cannot connect to"));
    }
}

#[test]
fn a_selection_of_no_test_exits_1_unless_allowed() {
    let dir = folder(&[("a.rhai", PASSING), ("empty/notes.txt", "")]);
    let out = ecapi(dir.path(), &["test", ".", "--filter", "nothing like it"]);
    assert_eq!(out.status.code(), Some(1));
    let (_, err) = text(&out);
    assert!(
        err.contains("no test ran: --filter `nothing like it` selects none of the 1 tests"),
        "{err}"
    );
    let out = ecapi(
        dir.path(),
        &["test", ".", "--filter", "nothing like it", "--allow-empty"],
    );
    assert_eq!(out.status.code(), Some(0));
    let out = ecapi(dir.path(), &["test", "empty"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out)
        .1
        .contains("no test ran: no .rhai file under empty"));
}

/// A script whose `// args:` names a recorder configuration beside it: unit 7, ports 1 and 2.
fn recorder_folder() -> tempfile::TempDir {
    folder(&[
        ("flows/cfg/recorder.toml", "[[unit]]\nid = 7\nports = \"1-2\"\n"),
        (
            "flows/units.rhai",
            "// Needs its own recorder.\n// args: --profile recorder --config cfg/recorder.toml --set who=line\n\
             expect_ok(port_status(7, 2));\nassert(port_status(7, 3).code != 100, \"port 3 is not configured\");\n\
             print(`who=${param(\"who\")}`);\n",
        ),
    ])
}

#[test]
fn args_lines_are_read_relative_to_the_script_from_any_folder_by_test_and_run() {
    let dir = recorder_folder();
    let flows = dir.path().join("flows");
    for (cwd, args) in [
        (flows.as_path(), vec!["test", "."]),
        (dir.path(), vec!["test", "flows"]),
        (dir.path(), vec!["test", "flows/units.rhai"]),
    ] {
        let out = ecapi(cwd, &args);
        let (o, e) = text(&out);
        assert_eq!(out.status.code(), Some(0), "{args:?}\n{o}{e}");
        assert!(o.ends_with("1 passed, 0 failed\n"), "{o}");
    }
    let out = ecapi(dir.path(), &["run", "flows/units.rhai"]);
    assert_eq!(out.status.code(), Some(0), "{:?}", text(&out));
    assert_eq!(text(&out).0, "who=line\n");
    // The command line wins over the line.
    let out = ecapi(dir.path(), &["run", "flows/units.rhai", "--set", "who=cli"]);
    assert_eq!(text(&out).0, "who=cli\n");
}

#[test]
fn an_args_line_asking_for_a_simulator_profile_is_named_as_unused_against_an_endpoint() {
    // The recorder flow's `// args:` asks for a recorder of its own; a served hosted simulator
    // answers instead, and the run must say so rather than fail for an unnamed reason.
    let dir = recorder_folder();
    let mut options = ecapi::server::ServeOptions::new(
        "127.0.0.1:0",
        ecapi::simulator::Simulator::hosted(ecapi::simulator::Settings::default()),
    );
    options.log = false;
    let server = ecapi::server::start(options).unwrap();
    let url = server.url();
    for args in [
        vec!["test", "flows", "--endpoint", &url],
        vec!["run", "flows/units.rhai", "--endpoint", &url],
    ] {
        let out = ecapi(dir.path(), &args);
        let (o, e) = text(&out);
        assert_eq!(out.status.code(), Some(1), "{args:?}\n{o}{e}");
        assert_eq!(
            e.matches("warning: --profile, --config configure the embedded simulator and are not used with --endpoint")
                .count(),
            1,
            "{args:?}\n{e}"
        );
    }
}

#[test]
fn a_malformed_args_line_is_an_error_naming_its_file_and_line() {
    let dir = folder(&[
        ("nospace.rhai", "// A flow.\n//args: --api 7.0\nprint(1);\n"),
        ("unknown.rhai", "// args: --no-such-option\nprint(1);\n"),
        ("good.rhai", PASSING),
    ]);
    let out = ecapi(dir.path(), &["run", "nospace.rhai"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out).1.contains(
        "nospace.rhai:2: `//args: --api 7.0` is not an options line: write it `// args: OPTIONS`"
    ));
    let out = ecapi(dir.path(), &["run", "unknown.rhai"]);
    assert_eq!(out.status.code(), Some(2));
    let (_, err) = text(&out);
    assert!(
        err.contains("unknown.rhai:1: // args: unexpected argument '--no-such-option'"),
        "{err}"
    );
    // Under test, each such file is a test in error and the others still run.
    let out = ecapi(dir.path(), &["test", "."]);
    assert_eq!(out.status.code(), Some(1));
    let (o, _) = text(&out);
    assert!(o.contains("ok    ./good.rhai"), "{o}");
    assert!(o.contains("ERROR ./nospace.rhai"), "{o}");
    assert!(o.contains("./nospace.rhai:2: `//args: --api 7.0`"), "{o}");
    assert!(o.ends_with("1 passed, 2 failed\n"), "{o}");
}

#[test]
fn a_file_the_filter_excludes_is_not_read_so_a_broken_one_does_not_matter() {
    let dir = folder(&[
        ("broken.rhai", "//args: --nope\nlet = ;\n"),
        ("good.rhai", PASSING),
        ("named.rhai", CASES),
    ]);
    let out = ecapi(dir.path(), &["test", ".", "--filter", "good"]);
    let (o, e) = text(&out);
    assert_eq!(out.status.code(), Some(0), "{o}{e}");
    assert!(o.ends_with("1 passed, 0 failed, 2 skipped\n"), "{o}");
    // A case's name selects it inside a file whose name does not match.
    let out = ecapi(dir.path(), &["test", ".", "--filter", "stops twice"]);
    let (o, _) = text(&out);
    assert!(o.contains("FAIL  ./named.rhai::stops twice"), "{o}");
    assert!(o.ends_with("0 passed, 1 failed, 3 skipped\n"), "{o}");
}

#[test]
fn data_rows_from_csv_are_cases_named_by_their_name_column_or_number() {
    let dir = folder(&[
        ("agents.csv", "name,extension\nalice,4001\nbob,bad\n,4003\n"),
        (
            "flow.rhai",
            "let r = expect_ok(init_station(data.extension));\nassert(data.extension.len() == 4, `extension ${data.extension}: ${r.code}`);\n",
        ),
    ]);
    let out = ecapi(
        dir.path(),
        &[
            "test",
            "flow.rhai",
            "--data",
            "agents.csv",
            "--report-json",
            "r.json",
        ],
    );
    let (o, _) = text(&out);
    assert_eq!(out.status.code(), Some(1), "{o}");
    assert!(o.contains("ok    flow.rhai::alice"), "{o}");
    assert!(o.contains("FAIL  flow.rhai::bob"), "{o}");
    assert!(o.contains("extension bad: 100"), "{o}");
    assert!(o.contains("ok    flow.rhai::row 3"), "{o}");
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("r.json")).unwrap()).unwrap();
    assert_eq!(v["tests"][1]["row"], "bob");
}

#[test]
fn data_rows_from_json_keep_their_types_and_run_runs_once_per_row() {
    let dir = folder(&[
        (
            "agents.json",
            r#"[{"name": "alice", "unit": 1, "port": 2}, {"name": "bob", "unit": 1, "port": 3}]"#,
        ),
        (
            "flow.rhai",
            "assert_eq(type_of(data.port), \"i64\");\nprint(`${data.name} ${port_status(data.unit, data.port).code}`);\n",
        ),
    ]);
    let out = ecapi(dir.path(), &["run", "flow.rhai", "--data", "agents.json"]);
    assert_eq!(out.status.code(), Some(0), "{:?}", text(&out));
    assert_eq!(text(&out).0, "alice 100\nbob 100\n");
    let out = ecapi(dir.path(), &["test", "flow.rhai", "--data", "agents.json"]);
    assert_eq!(out.status.code(), Some(0), "{:?}", text(&out));
    assert!(text(&out).0.ends_with("2 passed, 0 failed\n"));
}

#[test]
fn a_malformed_data_file_is_an_error_naming_its_line_or_row() {
    let dir = folder(&[
        ("short.csv", "name,unit\nalice,1\nbob\n"),
        ("bad.json", "[{\"name\": \"a\"},\n {\"name\" \"b\"}]"),
        ("mixed.json", "[{\"name\": \"a\"}, 7]"),
        ("flow.rhai", "print(data.name);\n"),
    ]);
    for (file, expected) in [
        (
            "short.csv",
            "--data short.csv:3: row 2 has 1 fields, the header row 2",
        ),
        ("bad.json", "--data bad.json:2:"),
        (
            "mixed.json",
            "--data mixed.json: row 2 is a number, not an object",
        ),
    ] {
        for cmd in ["run", "test"] {
            let out = ecapi(dir.path(), &[cmd, "flow.rhai", "--data", file]);
            assert_eq!(out.status.code(), Some(2), "{cmd} {file}");
            let (_, err) = text(&out);
            assert!(err.contains(expected), "{cmd} {file}: {err}");
        }
    }
}

#[test]
fn bail_stops_at_the_first_failure_and_reports_the_rest_as_skipped() {
    let dir = folder(&[
        ("a.rhai", "assert(false, \"first\");\n"),
        ("b.rhai", PASSING),
        ("c.rhai", CASES),
    ]);
    let out = ecapi(
        dir.path(),
        &["test", ".", "--bail", "-j", "1", "--report-junit", "r.xml"],
    );
    let (o, _) = text(&out);
    assert_eq!(out.status.code(), Some(1), "{o}");
    assert!(o.ends_with("0 passed, 1 failed, 2 skipped\n"), "{o}");
    let root = parse_xml(&std::fs::read_to_string(dir.path().join("r.xml")).unwrap());
    let cases = check_junit(&root);
    let skipped = &cases[1].children[0];
    assert_eq!(skipped.name, "skipped");
    assert!(skipped.attr("message").unwrap().contains("--bail"));
    // Without --bail, everything runs.
    let out = ecapi(dir.path(), &["test", ".", "-j", "1"]);
    assert!(text(&out).0.ends_with("2 passed, 2 failed\n"));
}

#[test]
fn run_verbose_prints_a_grid_row_per_request() {
    let dir = folder(&[(
        "a.rhai",
        "let p = station(\"4001\");\np.start();\np.start();\n",
    )]);
    let out = ecapi(dir.path(), &["run", "a.rhai", "-v"]);
    assert_eq!(out.status.code(), Some(0));
    let (o, _) = text(&out);
    let lines: Vec<&str> = o.lines().collect();
    assert_eq!(lines.len(), 4, "{o}");
    assert!(lines[0].starts_with("operation"), "{o}");
    assert!(lines[1].starts_with("InitStation"), "{o}");
    assert!(
        lines[2].contains(" 100  Command executed as expected"),
        "{o}"
    );
    assert!(
        lines[3].contains(" 609  Warning: Port already recording"),
        "{o}"
    );
}

/// A run with a pass, an assertion failure, an error and a skip, writing every report.
fn mixed_run() -> (tempfile::TempDir, Output) {
    let dir = folder(&[
        ("t_cases.rhai", CASES),
        (
            "t_erroring.rhai",
            "station(\"4001\");\nno_such_function();\n",
        ),
        ("skipped.rhai", PASSING),
    ]);
    let out = ecapi(
        dir.path(),
        &[
            "test",
            ".",
            "--filter",
            "t_",
            "--report-junit",
            "r.xml",
            "--report-tap",
            "r.tap",
            "--report-json",
            "r.json",
            "--report-html",
            "r.html",
        ],
    );
    (dir, out)
}

#[test]
fn the_tap_report_follows_tap_version_13() {
    let (dir, out) = mixed_run();
    assert_eq!(out.status.code(), Some(1));
    let tap = std::fs::read_to_string(dir.path().join("r.tap")).unwrap();
    let mut lines = tap.lines().peekable();
    assert_eq!(lines.next(), Some("TAP version 13"));
    let plan: usize = lines
        .next()
        .and_then(|l| l.strip_prefix("1.."))
        .and_then(|n| n.parse().ok())
        .expect("the plan follows the version line");
    let mut n = 0;
    let mut not_ok = 0;
    while let Some(line) = lines.next() {
        n += 1;
        let rest = if let Some(r) = line.strip_prefix("not ok ") {
            not_ok += 1;
            // A YAML block: `  ---`, lines indented at least two spaces, `  ...`.
            assert_eq!(lines.next(), Some("  ---"), "{tap}");
            let mut keys = Vec::new();
            loop {
                let l = lines.next().expect("the block ends with `  ...`");
                if l == "  ..." {
                    break;
                }
                assert!(l.starts_with("  "), "{l:?}");
                if !l.starts_with("   ") {
                    keys.push(l.trim().split(':').next().unwrap().to_string());
                }
            }
            assert!(keys.contains(&"message".to_string()), "{keys:?}");
            assert!(keys.contains(&"severity".to_string()), "{keys:?}");
            r
        } else {
            line.strip_prefix("ok ").expect("a test line")
        };
        let (num, desc) = rest.split_once(" - ").unwrap();
        assert_eq!(num.parse::<usize>().unwrap(), n, "numbered in order");
        if desc.contains("# SKIP") {
            assert!(desc.ends_with("# SKIP left out by --filter"), "{desc}");
        }
    }
    assert_eq!(n, plan);
    assert_eq!(not_ok, 2);
}

#[test]
fn the_json_report_has_every_test_and_its_requests() {
    let (dir, _) = mixed_run();
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("r.json")).unwrap()).unwrap();
    let tests = v["tests"].as_array().unwrap();
    assert_eq!(v["counts"]["tests"], tests.len());
    let status: Vec<&str> = tests
        .iter()
        .map(|t| t["status"].as_str().unwrap())
        .collect();
    assert_eq!(status, ["skipped", "passed", "failed", "error"]);
    let failed = &tests[2];
    assert_eq!(failed["name"], "./t_cases.rhai::stops twice");
    let codes: Vec<u64> = failed["requests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["code"].as_u64().unwrap())
        .collect();
    assert_eq!(codes, [100, 100, 100, 608]);
    assert!(failed["requests"][3]["at_ms"].as_f64().unwrap() >= 0.0);
    assert!(failed["last_envelopes"]["response"]
        .as_str()
        .unwrap()
        .contains("<a:responseCode>608</a:responseCode>"));
}

fn chromium() -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .flat_map(|d| ["chromium", "chromium-browser"].map(|n| d.join(n)))
        .find(|p| p.is_file())
}

/// Runs a command, killing it after `limit`.
fn run_with_limit(mut command: Command, limit: Duration) -> Output {
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + limit;
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("chromium did not finish within {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    child.wait_with_output().unwrap()
}

fn headless(browser: &Path, profile: &Path, extra: &[&str], page: &Path) -> Output {
    let mut c = Command::new(browser);
    c.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--no-first-run",
        "--enable-logging=stderr",
        "--v=0",
    ])
    .arg(format!("--user-data-dir={}", profile.display()))
    .args(extra)
    .arg(format!("file://{}", page.display()));
    run_with_limit(c, Duration::from_secs(120))
}

#[test]
fn the_html_report_opens_in_headless_chromium_without_console_errors() {
    let (dir, _) = mixed_run();
    let page = dir.path().join("r.html");
    let html = std::fs::read_to_string(&page).unwrap();
    assert!(html.contains("./t_cases.rhai::stops twice"));
    let Some(browser) = chromium() else {
        eprintln!("SKIPPED: chromium is not installed (.ci/run installs it); the HTML report was not opened in a browser");
        return;
    };
    let profile = tempfile::tempdir().unwrap();
    let dom = headless(&browser, profile.path(), &["--dump-dom"], &page);
    let (built, log) = text(&dom);
    assert!(
        built.contains("data-ready=\"1\""),
        "the page's script did not run:\n{log}"
    );
    assert!(built.contains("<svg class=\"timeline\""), "no timeline");
    for bad in [
        "Uncaught",
        "CONSOLE(",
        "console.error",
        "ERR_FILE_NOT_FOUND",
    ] {
        assert!(!log.contains(bad), "{bad} in chromium's log:\n{log}");
    }
    let shot = std::env::var_os("ECAPI_REPORT_SCREENSHOT")
        .map(PathBuf::from)
        .unwrap_or_else(|| dir.path().join("r.png"));
    let profile = tempfile::tempdir().unwrap();
    let out = headless(
        &browser,
        profile.path(),
        &[
            &format!("--screenshot={}", shot.display()),
            "--window-size=1200,1400",
        ],
        &page,
    );
    let (_, log) = text(&out);
    assert!(!log.contains("Uncaught"), "{log}");
    let png = std::fs::read(&shot).unwrap_or_else(|e| panic!("no screenshot: {e}\n{log}"));
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"), "not a PNG");
    assert!(png.len() > 10_000, "a blank page? {} bytes", png.len());
}

#[test]
fn a_files_own_max_time_applies_under_test_and_the_command_lines_wins() {
    let dir = folder(&[
        ("spin.rhai", "// args: --max-time 0.2\nloop { }\n"),
        ("quick.rhai", PASSING),
    ]);
    let out = ecapi(dir.path(), &["test", "."]);
    let (o, _) = text(&out);
    assert_eq!(out.status.code(), Some(1), "{o}");
    assert!(
        o.contains("stopped after 0.2 s: the script ran past --max-time"),
        "{o}"
    );
    assert!(o.ends_with("1 passed, 1 failed\n"), "{o}");
    // Under `test`, `--max-time` on the command line is `--test-timeout`.
    let out = ecapi(dir.path(), &["test", ".", "--max-time", "0.1"]);
    assert!(
        text(&out)
            .0
            .contains("the test ran past its time limit of 0.1 s"),
        "{:?}",
        text(&out)
    );
}
