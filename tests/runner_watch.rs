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
    let (tx, lines) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });

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
