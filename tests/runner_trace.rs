//! `ecapi test --trace` (on the command line or a file's `// args:` line): each test's envelopes
//! on standard error, whole and labelled with the test's name, however many tests run at once.

use std::path::Path;
use std::process::{Command, Output};

fn ecapi(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ecapi"))
        .current_dir(dir)
        .env_remove("ECAPI_ENDPOINT")
        .env_remove("ECAPI_ENV")
        .env("NO_COLOR", "1")
        .args(args)
        .output()
        .unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A file whose cases each ask for the status of their own port, three times.
fn cases(port: u32) -> String {
    let mut s = String::new();
    for c in ["a", "b", "c"] {
        s.push_str(&format!(
            "test(\"{c}\", || {{ for i in 0..3 {{ port(1, {port}).status(); }} }});\n"
        ));
    }
    s
}

/// The `# trace of NAME` blocks of standard error: each test's name and its text.
fn blocks(stderr: &str) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for line in stderr.lines() {
        if let Some(name) = line.strip_prefix("# trace of ") {
            out.push((name.to_string(), String::new()));
        } else if let Some((_, body)) = out.last_mut() {
            body.push_str(line);
            body.push('\n');
        }
    }
    out
}

#[test]
fn test_trace_prints_each_tests_envelopes_whole_and_labelled_with_parallel_tests() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("p7.rhai"), cases(7)).unwrap();
    std::fs::write(dir.path().join("p8.rhai"), cases(8)).unwrap();
    let out = ecapi(dir.path(), &["test", "--trace", "-j", "2", "."]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{}{stderr}", text(&out.stdout));
    let blocks = blocks(&stderr);
    let mut names: Vec<&str> = blocks.iter().map(|(n, _)| n.as_str()).collect();
    names.sort_unstable();
    assert_eq!(
        names,
        [
            "./p7.rhai::a",
            "./p7.rhai::b",
            "./p7.rhai::c",
            "./p8.rhai::a",
            "./p8.rhai::b",
            "./p8.rhai::c"
        ]
    );
    for (name, body) in &blocks {
        let (own, other) = if name.contains("p7") { (7, 8) } else { (8, 7) };
        // Three exchanges, each with its request and answer, and none of another test's.
        assert_eq!(body.matches("--> PortStatus").count(), 3, "{name}:\n{body}");
        assert_eq!(body.matches("<-- HTTP 200").count(), 3, "{name}:\n{body}");
        assert_eq!(
            body.matches(&format!("<Port>{own}</Port>")).count(),
            3,
            "{name}:\n{body}"
        );
        assert!(
            !body.contains(&format!("<Port>{other}</Port>")),
            "{name}:\n{body}"
        );
        assert!(
            body.contains("<a:responseCode>100</a:responseCode>"),
            "{body}"
        );
    }
}

#[test]
fn a_files_args_line_trace_traces_that_file_only() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("traced.rhai"),
        "// args: --trace\nport(1, 3).status();\n",
    )
    .unwrap();
    std::fs::write(dir.path().join("quiet.rhai"), "port(1, 4).status();\n").unwrap();
    let out = ecapi(
        dir.path(),
        &["test", "-j", "1", "traced.rhai", "quiet.rhai"],
    );
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{}{stderr}", text(&out.stdout));
    let blocks = blocks(&stderr);
    assert_eq!(blocks.len(), 1, "{stderr}");
    assert_eq!(blocks[0].0, "traced.rhai");
    assert!(blocks[0].1.contains("<Port>3</Port>"), "{stderr}");
    assert!(!stderr.contains("<Port>4</Port>"), "{stderr}");
}

#[test]
fn without_trace_no_envelopes_are_printed() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("one.rhai"), "port(1, 4).status();\n").unwrap();
    let out = ecapi(dir.path(), &["test", "one.rhai"]);
    assert_eq!(out.status.code(), Some(0));
    let stderr = text(&out.stderr);
    assert!(!stderr.contains("Envelope"), "{stderr}");
    assert!(!stderr.contains("# trace of"), "{stderr}");
}
