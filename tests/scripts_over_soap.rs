//! One script, two backends: every example in `scripts/` prints the same responses through
//! `ecapi serve` and the SOAP client as on the embedded simulator.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

/// The output with what legitimately differs between runs masked: elapsed times (`1.23 ms`) and
/// the hour part of call indexes.
fn normalize(text: &str) -> String {
    text.split_inclusive(char::is_whitespace)
        .map(|word| {
            let token = word.trim_end();
            let is_time = token.contains('.')
                && !token.is_empty()
                && token.chars().all(|c| c.is_ascii_digit() || c == '.');
            if is_time {
                word.replacen(token, "<t>", 1)
            } else if let Some(at) = word.find("fldCallIndex=") {
                let start = at + "fldCallIndex=".len();
                let end = word[start..].find('.').map_or(start, |d| start + d);
                format!("{}<hour>{}", &word[..start], &word[end..])
            } else {
                word.to_string()
            }
        })
        .collect()
}

/// `ecapi run SCRIPT`, which reads the script's `// args:` line itself.
fn run(script: &Path, endpoint: Option<&str>) -> (Option<i32>, String, String) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_ecapi"));
    command
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env_remove("ECAPI_ENDPOINT")
        .env("NO_COLOR", "1");
    command.arg("run").arg(script);
    if let Some(endpoint) = endpoint {
        command.args(["--endpoint", endpoint]);
    }
    let out = command.output().unwrap();
    (
        out.status.code(),
        normalize(&String::from_utf8_lossy(&out.stdout)),
        normalize(&String::from_utf8_lossy(&out.stderr)),
    )
}

/// `ecapi serve` with a script's simulator options on a free port, and its endpoint URL. It runs
/// in the script's folder, as paths in `// args:` are relative to it.
fn serve(args: &[String], dir: &Path) -> (Child, String) {
    let mut server = Command::new(env!("CARGO_BIN_EXE_ecapi"))
        .current_dir(dir)
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--quiet",
            "--clock",
            "virtual",
        ])
        .args(args)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(server.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    let url = first
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .unwrap_or_else(|| panic!("no URL in {first:?}"))
        .to_string();
    (server, url)
}

#[test]
fn every_example_script_answers_the_same_through_ecapi_serve_as_embedded() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("scripts");
    let mut scripts: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "rhai"))
        .collect();
    scripts.sort();
    assert!(!scripts.is_empty());
    for script in scripts {
        let source = std::fs::read_to_string(&script).unwrap();
        let args: Vec<String> = source
            .lines()
            .next()
            .and_then(|l| l.strip_prefix("// args: "))
            .map(|rest| rest.split_whitespace().map(str::to_string).collect())
            .unwrap_or_default();
        // A fresh server per script, as a fresh embedded simulator per run.
        let (mut server, url) = serve(&args, &dir);
        let embedded = run(&script, None);
        let served = run(&script, Some(&url));
        let _ = server.kill();
        let _ = server.wait();
        assert_eq!(embedded.0, Some(0), "{}: {embedded:?}", script.display());
        assert_eq!(embedded, served, "{}", script.display());
    }
}
