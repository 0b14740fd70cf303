//! `ecapi test --watch`: the tests run once, then a file changed on disk is re-run within 2 s, a
//! helper module's change re-runs the tests that import it (and only those), and SIGINT ends the
//! watch with exit 130.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// The watching process, ended when the test ends however it ends.
struct Watching(Child);

impl Drop for Watching {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Waits, up to `limit`, for a line holding `needle`; returns the lines before it.
#[track_caller]
fn wait_for(lines: &mpsc::Receiver<String>, needle: &str, limit: Duration) -> Vec<String> {
    let deadline = Instant::now() + limit;
    let mut seen = Vec::new();
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match lines.recv_timeout(left) {
            Ok(line) if line.contains(needle) => return seen,
            Ok(line) => seen.push(line),
            Err(_) => panic!("no line with {needle:?} within {limit:?}; saw {seen:#?}"),
        }
    }
}

/// The lines a child writes to `out`, as they come.
fn lines_of(out: impl std::io::Read + Send + 'static) -> mpsc::Receiver<String> {
    let (tx, lines) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(out).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    lines
}

fn write(dir: &Path, name: &str, text: &str) {
    std::fs::write(dir.join(name), text).unwrap();
}

#[test]
fn a_changed_file_and_the_importers_of_a_changed_helper_are_re_run() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(root, "_helpers.rhai", "fn ext() { \"1234\" }\n");
    write(
        root,
        "a.rhai",
        "import \"_helpers\" as h;\nexpect_ok(init_station(h::ext()));\n",
    );
    write(root, "b.rhai", "expect_ok(init_station(\"4000\"));\n");
    let mut child = Command::new(env!("CARGO_BIN_EXE_ecapi"))
        .current_dir(root)
        .env_remove("ECAPI_ENDPOINT")
        .env("NO_COLOR", "1")
        .args(["test", "--watch", "--jobs", "1", "."])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let watching = Watching(child);
    let lines = lines_of(stdout);

    let first = wait_for(
        &lines,
        "] all tests run: 2 passed, 0 failed; watching .",
        Duration::from_secs(30),
    );
    assert!(
        first.iter().any(|l| l.starts_with("ok    ./a.rhai")),
        "{first:#?}"
    );
    assert!(
        first.iter().any(|l| l.starts_with("ok    ./b.rhai")),
        "{first:#?}"
    );

    // A test file changed: it alone runs again, within 2 s of the change.
    let changed = Instant::now();
    write(root, "b.rhai", "assert(false, \"b fails now\");\n");
    let rerun = wait_for(
        &lines,
        "1 changed (b.rhai), 1 test file re-run: 0 passed, 1 failed; watching",
        Duration::from_secs(2),
    );
    assert!(changed.elapsed() < Duration::from_secs(2));
    assert!(
        rerun.iter().any(|l| l.starts_with("FAIL  ./b.rhai")),
        "{rerun:#?}"
    );
    assert!(!rerun.iter().any(|l| l.contains("a.rhai")), "{rerun:#?}");

    // A helper changed: the test importing it runs again, not the other.
    write(root, "_helpers.rhai", "fn ext() { \"5678\" }\n");
    let rerun = wait_for(
        &lines,
        "1 changed (_helpers.rhai), 1 test file re-run: 1 passed, 0 failed",
        Duration::from_secs(10),
    );
    assert!(
        rerun.iter().any(|l| l.starts_with("ok    ./a.rhai")),
        "{rerun:#?}"
    );
    assert!(!rerun.iter().any(|l| l.contains("b.rhai")), "{rerun:#?}");

    // A file that is no script (an editor's backup) runs nothing; the next change still does.
    write(root, "notes.txt", "x");
    write(root, "c.rhai", "expect_ok(init_station(\"77\"));\n");
    let rerun = wait_for(
        &lines,
        "1 changed (c.rhai), 1 test file re-run: 1 passed",
        Duration::from_secs(10),
    );
    assert!(
        rerun.iter().any(|l| l.starts_with("ok    ./c.rhai")),
        "{rerun:#?}"
    );

    #[cfg(unix)]
    {
        let mut watching = watching;
        let ok = Command::new("kill")
            .args(["-INT", &watching.0.id().to_string()])
            .status()
            .unwrap();
        assert!(ok.success());
        let deadline = Instant::now() + Duration::from_secs(10);
        let status = loop {
            if let Some(s) = watching.0.try_wait().unwrap() {
                break s;
            }
            assert!(Instant::now() < deadline, "--watch did not end at SIGINT");
            std::thread::sleep(Duration::from_millis(20));
        };
        assert_eq!(status.code(), Some(130));
    }
    #[cfg(not(unix))]
    drop(watching);
}

#[test]
fn with_tag_a_re_run_does_not_warn_and_the_reports_hold_the_whole_suite() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(
        root,
        "fast.rhai",
        "// tags: fast\nexpect_ok(init_station(\"1\"));\n",
    );
    write(
        root,
        "other.rhai",
        "// tags: fast\nexpect_ok(init_station(\"2\"));\n",
    );
    write(root, "slow.rhai", "expect_ok(init_station(\"3\"));\n");
    let mut child = Command::new(env!("CARGO_BIN_EXE_ecapi"))
        .current_dir(root)
        .env_remove("ECAPI_ENDPOINT")
        .env("NO_COLOR", "1")
        .args([
            "test",
            "--watch",
            "--tag",
            "fast",
            "--jobs",
            "1",
            "--report-json",
            "r.json",
            ".",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let stderr = child.stderr.take().unwrap();
    let watching = Watching(child);
    let lines = lines_of(stdout);
    let errors = lines_of(stderr);
    let report = || -> Vec<(String, String)> {
        let text = std::fs::read_to_string(root.join("r.json")).unwrap();
        let json: serde_json::Value = serde_json::from_str(&text).unwrap();
        json["tests"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| {
                (
                    t["name"].as_str().unwrap().to_string(),
                    t["status"].as_str().unwrap().to_string(),
                )
            })
            .collect()
    };

    wait_for(&lines, "] all tests run: 2 passed", Duration::from_secs(30));
    let first = report();
    assert_eq!(first.len(), 3, "{first:?}");

    // An untagged file changed: re-run (and left out by the tag) without a warning.
    write(root, "slow.rhai", "expect_ok(init_station(\"33\"));\n");
    wait_for(
        &lines,
        "1 changed (slow.rhai), 1 test file re-run",
        Duration::from_secs(10),
    );
    assert_eq!(report(), first, "the reports still hold the whole suite");

    // A tagged file changed: its new result joins the others' last ones.
    write(
        root,
        "fast.rhai",
        "// tags: fast\nassert(false, \"now it fails\");\n",
    );
    wait_for(
        &lines,
        "1 changed (fast.rhai), 1 test file re-run: 0 passed, 1 failed",
        Duration::from_secs(10),
    );
    let now = report();
    assert_eq!(now.len(), 3, "{now:?}");
    let status = |name: &str| {
        now.iter()
            .find(|(n, _)| n == name)
            .map(|(_, s)| s.clone())
            .unwrap_or_else(|| panic!("{name} is not in {now:?}"))
    };
    assert_eq!(status("./fast.rhai"), "failed");
    assert_eq!(status("./other.rhai"), "passed");
    assert_eq!(status("./slow.rhai"), "skipped");

    // Its standard error closes when it ends.
    drop(watching);
    let stderr: String = errors.iter().map(|l| l + "\n").collect();
    assert!(!stderr.contains("warning"), "{stderr}");
    assert!(!stderr.contains("no test ran"), "{stderr}");
}
