//! `ecapi test` as CI runs it when things go wrong: SIGINT and SIGTERM mid-suite still write every
//! report (naming the finished, interrupted and unstarted tests) and exit 130 or 143; results
//! print as they finish; report folders are made before the first test; the command line wins
//! over a file's `// args:` line; `--filter` sees the line's data rows; TAP names stay on one line.

#![cfg(unix)]

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, ChildStdout, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_ecapi");

fn ecapi(dir: &Path, args: &[&str]) -> Output {
    Command::new(BIN)
        .current_dir(dir)
        .env_remove("ECAPI_ENDPOINT")
        .env("NO_COLOR", "1")
        .args(args)
        .output()
        .unwrap()
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
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

/// The lines a reader produces, as they come, on a thread of their own.
fn lines_of(reader: impl std::io::Read + Send + 'static) -> mpsc::Receiver<String> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(reader).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

/// Waits (at most 30 s) for a line containing `needle`; returns the lines seen before it.
#[track_caller]
fn wait_for(lines: &mpsc::Receiver<String>, needle: &str) -> Vec<String> {
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut seen = Vec::new();
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match lines.recv_timeout(left) {
            Ok(line) if line.contains(needle) => return seen,
            Ok(line) => seen.push(line),
            Err(_) => panic!("no line with {needle:?} within 30 s; saw {seen:#?}"),
        }
    }
}

fn signal(child: &Child, name: &str) {
    let ok = Command::new("kill")
        .args([&format!("-{name}"), &child.id().to_string()])
        .status()
        .unwrap();
    assert!(ok.success());
}

/// `ecapi serve` on a free port, logging each request to standard error: its endpoint, and its
/// log lines as they come.
fn serve() -> (Child, String, mpsc::Receiver<String>) {
    let mut server = Command::new(BIN)
        .args(["serve", "--listen", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let out = lines_of(server.stdout.take().unwrap());
    let log = lines_of(server.stderr.take().unwrap());
    let first = out.recv_timeout(Duration::from_secs(30)).unwrap();
    let url = first
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .unwrap()
        .to_string();
    (server, url, log)
}

#[test]
fn sigint_and_sigterm_mid_suite_write_every_report_naming_finished_interrupted_and_unstarted() {
    for (name, code) in [("INT", 130), ("TERM", 143)] {
        // Against a served simulator, whose log shows when the waiting test has started.
        let (mut server, url, log) = serve();
        let dir = folder(&[
            ("a_quick.rhai", "port_status(1, 1);\n"),
            (
                "b_cases.rhai",
                "test(\"waits\", || { port_status_ex(1, 1); sleep(60000); });\n\
                 test(\"after\", || { port_status(1, 2); });\n",
            ),
            ("c_later.rhai", "port_status(1, 3);\n"),
        ]);
        let mut child = Command::new(BIN)
            .current_dir(dir.path())
            .env_remove("ECAPI_ENDPOINT")
            .env("NO_COLOR", "1")
            .args([
                "test",
                ".",
                "-j",
                "1",
                "--endpoint",
                &url,
                "--report-junit",
                "out/deep/j.xml",
                "--report-json",
                "out/r.json",
                "--report-tap",
                "out/t.tap",
                "--report-html",
                "out/r.html",
            ])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // The waiting test has sent its request: it is running, sleeping.
        wait_for(&log, "PortStatusEX");
        signal(&child, name);
        let status = child.wait().unwrap();
        let mut stdout = String::new();
        std::io::Read::read_to_string(&mut child.stdout.take().unwrap(), &mut stdout).unwrap();
        let mut stderr = String::new();
        std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
        assert_eq!(status.code(), Some(code), "SIG{name}\n{stdout}{stderr}");
        let sig = format!("SIG{name}");
        assert!(
            stdout.contains("ok    ./a_quick.rhai"),
            "the finished test is shown: {stdout}"
        );
        assert!(stdout.contains("INTR  ./b_cases.rhai::waits"), "{stdout}");
        assert!(
            stdout.contains("1 passed, 0 failed, 1 interrupted, 2 not started"),
            "{stdout}"
        );
        assert!(
            stderr.contains(&format!("the run was interrupted by {sig}")),
            "{stderr}"
        );

        let junit = std::fs::read_to_string(dir.path().join("out/deep/j.xml")).unwrap();
        assert!(
            junit.contains(r#"<testsuites name="ecapi test" tests="4" failures="0" errors="1" "#),
            "{junit}"
        );
        assert_eq!(junit.matches("<skipped").count(), 2, "{junit}");
        assert!(
            junit.contains(&format!(
                r#"<error message="interrupted by {sig}" type="interrupted">"#
            )),
            "{junit}"
        );
        assert_eq!(
            junit
                .matches(r#"<skipped message="not started: the run was interrupted"/>"#)
                .count(),
            2,
            "{junit}"
        );

        let json: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(dir.path().join("out/r.json")).unwrap())
                .unwrap();
        let tests = json["tests"].as_array().expect("a list of tests");
        // The counts account for every test: one finished, one interrupted, two not started.
        let counts = &json["counts"];
        assert_eq!(counts["tests"], 4, "{counts}");
        assert_eq!(counts["interrupted"], 1, "{counts}");
        assert_eq!(counts["not_started"], 2, "{counts}");
        let status_of = |name: &str| -> Vec<(String, String)> {
            tests
                .iter()
                .filter(|t| {
                    let case = t["case"].as_str().map(|c| format!("::{c}"));
                    format!(
                        "{}{}",
                        t["file"].as_str().unwrap(),
                        case.unwrap_or_default()
                    )
                    .ends_with(name)
                })
                .map(|t| {
                    (
                        t["status"].as_str().unwrap().to_string(),
                        t["message"].as_str().unwrap_or("").to_string(),
                    )
                })
                .collect()
        };
        assert_eq!(status_of("a_quick.rhai"), [("passed".into(), "".into())]);
        assert_eq!(
            status_of("b_cases.rhai::waits"),
            [("interrupted".into(), format!("interrupted by {sig}"))]
        );
        let unstarted = (
            "skipped".to_string(),
            "not started: the run was interrupted".to_string(),
        );
        assert_eq!(
            status_of("b_cases.rhai::after"),
            std::slice::from_ref(&unstarted)
        );
        assert_eq!(status_of("c_later.rhai"), [unstarted]);

        let tap = std::fs::read_to_string(dir.path().join("out/t.tap")).unwrap();
        assert!(
            tap.starts_with(
                "TAP version 13\n1..4\nok 1 - ./a_quick.rhai\nnot ok 2 - ./b_cases.rhai::waits\n"
            ),
            "{tap}"
        );
        assert!(tap.contains("  severity: interrupted\n"), "{tap}");
        assert!(
            tap.ends_with(
                "ok 3 - ./b_cases.rhai::after # SKIP not started: the run was interrupted\n\
                 ok 4 - ./c_later.rhai # SKIP not started: the run was interrupted\n"
            ),
            "{tap}"
        );
        let html = std::fs::read_to_string(dir.path().join("out/r.html")).unwrap();
        assert!(
            html.contains(r#"<span class="badge interrupted">INTERRUPTED</span>"#),
            "{html}"
        );
        assert!(html.contains("not started: the run was interrupted"));

        signal(&server, "TERM");
        server.wait().unwrap();
    }
}

/// Reads standard output line by line until a line names `file`.
fn wait_for_result(stdout: ChildStdout, file: &str) -> (mpsc::Receiver<String>, Vec<String>) {
    let lines = lines_of(stdout);
    let before = wait_for(&lines, file);
    (lines, before)
}

#[test]
fn each_result_is_shown_as_it_finishes_not_after_the_tests_before_it() {
    let dir = folder(&[
        ("a_slow.rhai", "sleep(60000);\n"),
        ("b_fast.rhai", "port_status(1, 1);\n"),
    ]);
    let mut child = Command::new(BIN)
        .current_dir(dir.path())
        .env_remove("ECAPI_ENDPOINT")
        .env("NO_COLOR", "1")
        .args(["test", ".", "-j", "2"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let (_rest, before) = wait_for_result(child.stdout.take().unwrap(), "b_fast.rhai");
    assert!(
        before.iter().all(|l| !l.contains("a_slow")),
        "the slow test is still running: {before:?}"
    );
    signal(&child, "TERM");
    assert_eq!(child.wait().unwrap().code(), Some(143));
}

#[test]
fn a_report_in_a_folder_that_does_not_exist_is_written_there() {
    let dir = folder(&[("t.rhai", "port_status(1, 1);\n")]);
    let out = ecapi(
        dir.path(),
        &[
            "test",
            "t.rhai",
            "--report-junit",
            "out/deep/j.xml",
            "--report-tap",
            "out/other/t.tap",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let junit = std::fs::read_to_string(dir.path().join("out/deep/j.xml")).unwrap();
    assert!(junit.contains(r#"tests="1""#), "{junit}");
    assert!(dir.path().join("out/other/t.tap").is_file());
}

#[test]
fn a_report_that_cannot_be_written_is_an_error_before_the_first_test() {
    let dir = folder(&[("t.rhai", "print(\"ran\");\n"), ("taken", "a file")]);
    let out = ecapi(
        dir.path(),
        &["test", "t.rhai", "--report-json", "taken/r.json"],
    );
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.starts_with("ecapi: --report-json taken/r.json: "),
        "{stderr}"
    );
    assert!(out.stdout.is_empty(), "no test ran: {}", text(&out));
}

#[test]
fn filter_picks_a_row_named_in_the_args_lines_data() {
    let dir = folder(&[
        ("flows/rows.csv", "name,extension\nalice,1001\nbob,1002\n"),
        (
            "flows/agents.rhai",
            "// args: --data rows.csv\nprint(data.extension);\n",
        ),
        ("flows/other.rhai", "print(\"other\");\n"),
    ]);
    let junit = dir.path().join("j.xml");
    let out = ecapi(
        dir.path(),
        &[
            "test",
            "flows",
            "--filter",
            "bob",
            "--report-junit",
            junit.to_str().unwrap(),
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("ok    flows/agents.rhai::bob"), "{stdout}");
    assert!(!stdout.contains("alice"), "{stdout}");
    assert!(stdout.contains("1 passed, 0 failed"), "{stdout}");
    let xml = std::fs::read_to_string(&junit).unwrap();
    assert!(xml.contains("1002"), "bob's row ran: {xml}");
}

#[test]
fn the_command_line_overrides_the_args_line_profile_config_and_set() {
    let dir = folder(&[
        (
            "flows/cfg/recorder.toml",
            "[[unit]]\nid = 7\nports = \"1-2\"\n",
        ),
        (
            "flows/units.rhai",
            "// args: --profile recorder --config cfg/recorder.toml --set who=line\n\
             print(`who=${param(\"who\")} unit7=${port_status(7, 1).code}`);\n",
        ),
        (
            "flows/plain.rhai",
            "print(`plain who=${param(\"who\", \"\")}`);\n",
        ),
    ]);
    let run = |args: &[&str]| {
        let out = ecapi(dir.path(), args);
        assert_eq!(out.status.code(), Some(0), "{args:?}: {}", text(&out));
        let junit = std::fs::read_to_string(dir.path().join("j.xml")).unwrap();
        junit
    };
    let junit = run(&["test", "flows", "--report-junit", "j.xml"]);
    assert!(junit.contains("who=line unit7=100"), "{junit}");
    assert!(junit.contains("plain who=\n</system-out>"), "{junit}");
    // --profile hosted on the recorder file: the hosted service, which has no unit 7 (code 651
    // or so, not 100), and no complaint about the line's --config.
    let junit = run(&[
        "test",
        "flows",
        "--profile",
        "hosted",
        "--report-junit",
        "j.xml",
    ]);
    assert!(junit.contains("who=line unit7="), "{junit}");
    assert!(!junit.contains("unit7=100"), "{junit}");
    // --set on the command line reaches every file, winning over the line's.
    let junit = run(&[
        "test",
        "flows",
        "--set",
        "who=cli",
        "--report-junit",
        "j.xml",
    ]);
    assert!(junit.contains("who=cli unit7=100"), "{junit}");
    assert!(junit.contains("plain who=cli"), "{junit}");
    // --config on the command line replaces the line's.
    std::fs::write(
        dir.path().join("mine.toml"),
        "[[unit]]\nid = 8\nports = \"1-2\"\n",
    )
    .unwrap();
    let junit = run(&[
        "test",
        "flows",
        "--config",
        "mine.toml",
        "--report-junit",
        "j.xml",
    ]);
    assert!(!junit.contains("unit7=100"), "{junit}");
}

#[test]
fn a_tap_name_with_a_line_break_stays_one_line_and_prove_reads_the_stream() {
    let dir = folder(&[
        (
            "rows.json",
            r#"[{"name": "two\nlines", "x": 1}, {"name": "plain # hash", "x": 2}]"#,
        ),
        ("t.rhai", "assert(data.x > 0);\n"),
    ]);
    let out = ecapi(
        dir.path(),
        &[
            "test",
            "t.rhai",
            "--data",
            "rows.json",
            "--report-tap",
            "t.tap",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let tap = std::fs::read_to_string(dir.path().join("t.tap")).unwrap();
    assert_eq!(
        tap,
        "TAP version 13\n1..2\nok 1 - t.rhai::two\\nlines\nok 2 - t.rhai::plain \\# hash\n"
    );
    // Perl's TAP parser, as CI systems use it: every test found, the stream valid.
    let prove = Command::new("prove")
        .args(["--exec", "cat", "t.tap"])
        .current_dir(dir.path())
        .output()
        .expect("prove (Perl's TAP harness) is installed");
    let said = text(&prove);
    assert!(prove.status.success(), "{said}");
    assert!(said.contains("Result: PASS"), "{said}");
    assert!(said.contains("Tests=2"), "{said}");
}

#[test]
fn prove_reads_every_test_of_a_tap_stream_with_failures_and_their_diagnostics() {
    let dir = folder(&[
        (
            "rows.json",
            r#"[{"name": "good", "x": 1}, {"name": "bad", "x": 0}, {"name": "after", "x": 2}]"#,
        ),
        (
            "t.rhai",
            "print(\"a line of output\");\nassert(data.x > 0, \"x must be positive\");\n",
        ),
    ]);
    let out = ecapi(
        dir.path(),
        &[
            "test",
            "t.rhai",
            "--data",
            "rows.json",
            "--report-tap",
            "t.tap",
        ],
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let tap = std::fs::read_to_string(dir.path().join("t.tap")).unwrap();
    assert!(
        tap.contains("  ---\n"),
        "a failure carries its YAML block: {tap}"
    );
    // Perl's TAP parser reads the YAML block of the failure and goes on to the test after it.
    let prove = Command::new("prove")
        .args(["--exec", "cat", "t.tap"])
        .current_dir(dir.path())
        .output()
        .expect("prove (Perl's TAP harness) is installed");
    let said = text(&prove);
    assert!(!said.contains("Parse errors"), "{said}");
    assert!(said.contains("Failed 1/3 subtests"), "{said}");
}
