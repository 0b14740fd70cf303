//! `retry` and `poll_until` as a user meets them: `ecapi run -v` rows per attempt, the test
//! reports listing attempts, the simulator's virtual clock (no real waiting) and a served
//! simulator (real time).

mod common;

use std::path::Path;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use ecapi::api::ApiVersion;

fn ecapi(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ecapi"))
        .current_dir(dir)
        .env_remove("ECAPI_ENDPOINT")
        .env("NO_COLOR", "1")
        .args(args)
        .output()
        .unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

const THIRD_TIME: &str = r#"let n = 0;
let v = retry(5, 200, || {
    n += 1;
    if n < 3 { throw `not ready (${n})` }
    expect_ok(init_station("1234"));
    n
});
assert_eq(v, 3);
"#;

#[test]
fn run_v_shows_a_row_per_attempt_and_the_block_passes_on_the_third() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("flow.rhai"), THIRD_TIME).unwrap();
    let out = ecapi(dir.path(), &["run", "-v", "flow.rhai"]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}{}", text(&out.stderr));
    let rows: Vec<&str> = stdout.lines().filter(|l| l.starts_with("retry")).collect();
    assert_eq!(rows.len(), 3, "{stdout}");
    assert!(
        rows[0].ends_with("1/5  threw: not ready (1)  -- on the simulator's virtual clock"),
        "{}",
        rows[0]
    );
    assert!(rows[1].contains("+0.20 s   2/5  threw"), "{}", rows[1]);
    assert!(rows[2].ends_with("3/5  ok"), "{}", rows[2]);
    // The request the third attempt made is a row of its own, before the attempt's.
    assert!(stdout.contains("InitStation"), "{stdout}");
}

#[test]
fn a_retry_that_never_passes_fails_naming_three_attempts_in_every_report() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("down.rhai"),
        "test(\"the port comes up\", || {\n    retry(3, 100, || {\n        expect(port_status(1, 5), 612);\n    });\n});\n",
    )
    .unwrap();
    let out = ecapi(
        dir.path(),
        &[
            "test",
            "--report-json",
            "r.json",
            "--report-junit",
            "r.xml",
            "--report-tap",
            "r.tap",
            "--report-html",
            "r.html",
            ".",
        ],
    );
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains("assertion failed: retry gave up after 3 attempts; the last failed with: expected 612 from PortStatus"),
        "{stdout}"
    );
    assert!(stdout.contains("  --> ./down.rhai:3:9"), "{stdout}");
    assert!(
        stdout.contains(
            "attempts:\n  retry attempt 1 of 3 (line 2, +0.00 s virtual): threw: expected 612"
        ),
        "{stdout}"
    );
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("r.json")).unwrap()).unwrap();
    let attempts = json["tests"][0]["attempts"].as_array().unwrap();
    assert_eq!(attempts.len(), 3);
    assert_eq!(attempts[2]["number"], 3);
    assert_eq!(attempts[2]["of"], 3);
    assert_eq!(attempts[2]["at_ms"], 200.0);
    assert_eq!(attempts[2]["passed"], false);
    let junit = std::fs::read_to_string(dir.path().join("r.xml")).unwrap();
    assert!(junit.contains("retry gave up after 3 attempts"), "{junit}");
    assert!(
        junit.contains("  retry attempt 3 of 3 (line 2, +0.20 s virtual): threw"),
        "{junit}"
    );
    let tap = std::fs::read_to_string(dir.path().join("r.tap")).unwrap();
    assert!(
        tap.contains("  attempts:\n    - \"retry attempt 1 of 3"),
        "{tap}"
    );
    let html = std::fs::read_to_string(dir.path().join("r.html")).unwrap();
    assert!(html.contains("<h3>Attempts</h3>"), "{html}");
    assert_eq!(html.matches("<td class=\"num\">3 of 3</td>").count(), 1);
}

#[test]
fn a_long_poll_on_the_virtual_clock_takes_no_real_time() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("poll.rhai"),
        "let waited = poll_until(60000, 1000, || false);\n",
    )
    .unwrap();
    let started = Instant::now();
    let out = ecapi(dir.path(), &["run", "poll.rhai"]);
    let took = started.elapsed();
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("assertion failed: poll_until: the condition did not hold within 60000 ms (61 checks in 60.00 s on the simulator's virtual clock); at the last, the condition gave false"),
        "{stderr}"
    );
    assert!(stderr.contains("--> poll.rhai:1:14"), "{stderr}");
    assert!(
        took < Duration::from_secs(5),
        "{took:?} for a 60 s virtual poll"
    );
}

#[test]
fn against_a_served_simulator_poll_until_waits_real_time() {
    let server = common::serve(ApiVersion::V7_1);
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("poll.rhai"),
        "let p = station(\"1234\");\npoll_until(300, 50, || p.status().status == \"RECORD\");\n",
    )
    .unwrap();
    let started = Instant::now();
    let out = ecapi(
        dir.path(),
        &["run", "poll.rhai", "--endpoint", &server.url()],
    );
    let took = started.elapsed();
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(took >= Duration::from_millis(300), "{took:?}");
    assert!(
        stderr.contains("poll_until: the condition did not hold within 300 ms ("),
        "{stderr}"
    );
    assert!(!stderr.contains("virtual"), "{stderr}");
    assert!(
        stderr.contains("its last request: PortStatus(Unit=\"1\", Port=\"1\") -> 100"),
        "{stderr}"
    );
    // And a condition that holds ends the wait at once.
    std::fs::write(
        dir.path().join("ok.rhai"),
        "let p = station(\"1234\");\np.start();\nlet w = poll_until(5000, 50, || p.status().status == \"RECORD\");\nassert(w < 5000);\n",
    )
    .unwrap();
    let out = ecapi(dir.path(), &["run", "ok.rhai", "--endpoint", &server.url()]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
}

#[test]
fn max_time_stops_a_real_time_poll() {
    let server = common::serve(ApiVersion::V7_1);
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("poll.rhai"),
        "poll_until(3600000, 100, || false);\n",
    )
    .unwrap();
    let started = Instant::now();
    let out = ecapi(
        dir.path(),
        &[
            "run",
            "poll.rhai",
            "--endpoint",
            &server.url(),
            "--max-time",
            "0.3",
        ],
    );
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("stopped after 0.3 s: the script ran past --max-time"),
        "{stderr}"
    );
    assert!(started.elapsed() < Duration::from_secs(30));
}

#[test]
fn a_poll_of_60001_checks_keeps_the_first_10_and_the_last_100_and_says_how_many_are_left_out() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("poll.rhai"),
        "poll_until(600000, 10, || false);\n",
    )
    .unwrap();
    let gap = "poll_until: 59891 checks left out (the first 10 and the last 100 are kept)";

    // -v: 10 rows, the gap, 100 rows; the last is check 60001.
    let out = ecapi(dir.path(), &["run", "-v", "poll.rhai"]);
    assert_eq!(out.status.code(), Some(1));
    let stdout = text(&out.stdout);
    let rows: Vec<&str> = stdout
        .lines()
        .filter(|l| l.starts_with("poll_until "))
        .collect();
    assert_eq!(rows.len(), 110, "{stdout}");
    assert!(rows[9].contains("#10  false"), "{}", rows[9]);
    assert!(rows[10].contains("#59902  false"), "{}", rows[10]);
    assert!(rows[109].contains("#60001  false"), "{}", rows[109]);
    assert!(stdout.contains(&format!("... {gap}\n")), "{stdout}");

    let out = ecapi(
        dir.path(),
        &[
            "test",
            "--report-json",
            "r.json",
            "--report-junit",
            "r.xml",
            "--report-tap",
            "r.tap",
            "--report-html",
            "r.html",
            "poll.rhai",
        ],
    );
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert_eq!(
        stdout.matches("  poll_until check ").count(),
        110,
        "{stdout}"
    );
    assert!(
        stdout.contains(&format!(
            "  poll_until check 10 (line 1, +0.09 s virtual): false\n  {gap}\n  poll_until check 59902 "
        )),
        "{stdout}"
    );
    assert!(stdout.contains("  poll_until check 60001 (line 1, +600.00 s virtual): false"));
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("r.json")).unwrap()).unwrap();
    let attempts = json["tests"][0]["attempts"].as_array().unwrap();
    assert_eq!(attempts.len(), 110);
    assert_eq!(attempts[9]["number"], 10);
    assert_eq!(attempts[9]["left_out_before"], 0);
    assert_eq!(attempts[10]["number"], 59902);
    assert_eq!(attempts[10]["left_out_before"], 59891);
    assert_eq!(attempts[109]["number"], 60001);
    for report in ["r.xml", "r.tap", "r.html"] {
        let body = std::fs::read_to_string(dir.path().join(report)).unwrap();
        assert_eq!(body.matches(gap).count(), 1, "{report}: {body}");
        assert!(body.contains("60001"), "{report}");
        assert!(!body.contains("check 11 "), "{report}");
    }
}

#[test]
fn a_block_that_takes_arguments_is_refused_naming_the_mistake() {
    let dir = tempfile::tempdir().unwrap();
    for (script, said, line) in [
        (
            "retry(3, 10, |x| x);\n",
            "retry: the block must take no arguments, but it takes 1 argument; write || …, not |x| …",
            "1:1",
        ),
        (
            "let y = 1;\nretry(3, 10, |x, z| x + y);\n",
            "retry: the block must take no arguments, but it takes 2 arguments",
            "2:1",
        ),
        (
            "poll_until(100, 10, |a| true);\n",
            "poll_until: the condition must take no arguments, but it takes 1 argument",
            "1:1",
        ),
        (
            "fn ready(p) { true }\npoll_until(100, 10, Fn(\"ready\"));\n",
            "poll_until: the condition must take no arguments, but it takes 1 argument; wrap it: || ready(…)",
            "2:1",
        ),
    ] {
        std::fs::write(dir.path().join("c.rhai"), script).unwrap();
        let out = ecapi(dir.path(), &["run", "c.rhai"]);
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{script}: {stderr}");
        assert!(stderr.contains(said), "{script}: {stderr}");
        assert!(stderr.contains(&format!("c.rhai:{line}")), "{script}: {stderr}");
        assert!(!stderr.contains("anon$"), "{stderr}");
    }
    // A closure that captures variables and takes none is fine, as is one in a test case.
    std::fs::write(
        dir.path().join("ok.rhai"),
        "let y = 2;\nassert_eq(retry(3, 10, || y), 2);\ntest(\"case\", || { let z = 3; assert_eq(retry(2, 10, || z), 3); });\n",
    )
    .unwrap();
    let out = ecapi(dir.path(), &["test", "ok.rhai"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
    std::fs::write(
        dir.path().join("bad.rhai"),
        "test(\"case\", || { retry(2, 10, |x| x); });\n",
    )
    .unwrap();
    let out = ecapi(dir.path(), &["test", "bad.rhai"]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains("retry: the block must take no arguments"),
        "{stdout}"
    );
}

#[test]
fn a_poll_that_times_out_is_a_failure_as_a_failed_assertion_in_retry_is() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("waits.rhai"),
        "test(\"poll\", || { poll_until(1000, 100, || false); });\ntest(\"retry\", || { retry(2, 10, || assert(false, \"no\")); });\ntest(\"broken\", || { no_such_function(); });\n",
    )
    .unwrap();
    let out = ecapi(
        dir.path(),
        &["test", "--report-junit", "r.xml", "waits.rhai"],
    );
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("FAIL  waits.rhai::poll"), "{stdout}");
    assert!(stdout.contains("FAIL  waits.rhai::retry"), "{stdout}");
    assert!(stdout.contains("ERROR waits.rhai::broken"), "{stdout}");
    assert!(
        stdout.contains("assertion failed: poll_until: the condition did not hold within 1000 ms"),
        "{stdout}"
    );
    let junit = std::fs::read_to_string(dir.path().join("r.xml")).unwrap();
    assert_eq!(junit.matches("<failure").count(), 2, "{junit}");
    assert_eq!(junit.matches("<error").count(), 1, "{junit}");
}
