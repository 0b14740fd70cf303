//! Golden tests: every example in `scripts/` runs with the output it is expected to print, and every
//! script in `tests/golden/errors/` produces the expected diagnostics and exit code.
//!
//! Each `.golden` file holds the exit code, standard output and standard error of one run, with
//! elapsed times and call indexes masked. Run with `UPDATE_GOLDEN=1` to rewrite them after a change
//! that is meant to alter output, then review the diff.

use std::path::{Path, PathBuf};
use std::process::Command;

use pretty_assertions::assert_eq;

fn ecapi() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_ecapi"));
    c.env_remove("ECAPI_ENDPOINT").env("NO_COLOR", "1");
    c
}

/// Masks what changes from run to run: elapsed times and the hour part of call indexes.
fn normalize(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for line in text.lines() {
        let mut l = line.to_string();
        // "0.02 ms" -> "<t> ms"
        while let Some(i) = find_ms(&l) {
            let (start, end) = i;
            l.replace_range(start..end, "<t> ms");
        }
        if let Some(i) = l.find("fldCallIndex=") {
            let start = i + "fldCallIndex=".len();
            let end = l[start..].find('.').map(|d| start + d).unwrap_or(start);
            l.replace_range(start..end, "<hour>");
        }
        out.push_str(&l);
        out.push('\n');
    }
    out
}

/// The span of a `<digits>.<digits> ms` in the line.
fn find_ms(l: &str) -> Option<(usize, usize)> {
    let bytes = l.as_bytes();
    let mut i = 0;
    while let Some(off) = l[i..].find(" ms") {
        let end = i + off;
        let mut start = end;
        while start > 0 && (bytes[start - 1].is_ascii_digit() || bytes[start - 1] == b'.') {
            start -= 1;
        }
        if start < end && l[start..end].contains('.') {
            return Some((start, end + 3));
        }
        i = end + 3;
    }
    None
}

fn run_golden(script: &Path, golden: &Path, extra: &[&str]) {
    let mut args: Vec<String> = vec!["run".into(), script.display().to_string()];
    args.extend(extra.iter().map(|s| s.to_string()));
    // `ecapi run` reads the script's own `// args:` line.
    let out = ecapi().args(&args).output().unwrap();
    let actual = format!(
        "exit: {}\n--- stdout\n{}--- stderr\n{}",
        out.status.code().unwrap_or(-1),
        normalize(&String::from_utf8_lossy(&out.stdout)),
        normalize(&String::from_utf8_lossy(&out.stderr)),
    );
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(golden, &actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(golden).unwrap_or_else(|_| {
        panic!(
            "{} is missing: run with UPDATE_GOLDEN=1 to create it",
            golden.display()
        )
    });
    assert_eq!(expected, actual, "{}", script.display());
}

fn scripts_in(dir: &str) -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join(dir);
    let mut v: Vec<PathBuf> = std::fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "rhai"))
        .collect();
    v.sort();
    v
}

#[test]
fn every_example_script_prints_its_expected_output() {
    let scripts = scripts_in("scripts");
    assert!(scripts.len() >= 4, "scripts/ holds the example flows");
    let golden_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/scripts");
    for s in scripts {
        let name = s.file_stem().unwrap().to_string_lossy().to_string();
        // Scripts are run by relative path so that diagnostics name them as a user would see.
        let rel = PathBuf::from("scripts").join(s.file_name().unwrap());
        std::env::set_current_dir(env!("CARGO_MANIFEST_DIR")).unwrap();
        run_golden(&rel, &golden_dir.join(format!("{name}.golden")), &[]);
    }
}

#[test]
fn every_error_script_prints_its_expected_diagnostics() {
    let dir = "tests/golden/errors";
    let scripts = scripts_in(dir);
    assert!(!scripts.is_empty());
    std::env::set_current_dir(env!("CARGO_MANIFEST_DIR")).unwrap();
    for s in scripts {
        let rel = PathBuf::from(dir).join(s.file_name().unwrap());
        run_golden(&rel, &rel.with_extension("golden"), &[]);
    }
}

#[test]
fn normalize_masks_times_and_call_indexes() {
    assert_eq!(
        normalize("GetURL 0.02 ms 100 x | url=h?fldCallIndex=235774.0001&siteid=1"),
        "GetURL <t> ms 100 x | url=h?fldCallIndex=<hour>.0001&siteid=1\n"
    );
    assert_eq!(normalize("took 12 ms"), "took 12 ms\n");
}
