//! `ecapi test --tag` and `--skip-tag`: files tagged by their `// tags:` line, cases by
//! `test(name, #{ tags: [...] }, …)`; exactly the tagged tests run, the reports carry the tags,
//! and a tag no test has is warned of with the tags there are.

use std::path::Path;
use std::process::{Command, Output};

fn folder() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let files = [
        (
            "smoke.rhai",
            "// A quick look.\n// args: --api 7.1\n// tags: smoke\nexpect_ok(init_station(\"1234\"));\n",
        ),
        ("pci.rhai", "// tags: pci nightly\nlet p = station(\"1234\");\nexpect_ok(p.start());\n"),
        (
            "cases.rhai",
            "let p = station(\"1234\");\n\
             test(\"pauses for the card number\", #{ tags: [\"pci\"] }, || { p.start(); expect_ok(p.pause()); });\n\
             test(\"untagged\", || { expect_ok(p.status()); });\n\
             test(\"smoke case\", #{ tags: \"smoke fast\" }, || { expect_ok(p.status()); });\n",
        ),
        ("plain.rhai", "expect_ok(init_station(\"1234\"));\n"),
    ];
    for (name, text) in files {
        std::fs::write(dir.path().join(name), text).unwrap();
    }
    dir
}

fn ecapi(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ecapi"))
        .current_dir(dir)
        .env_remove("ECAPI_ENDPOINT")
        .env("NO_COLOR", "1")
        .arg("test")
        .args(["--jobs", "1"])
        .args(args)
        .output()
        .unwrap()
}

/// The names of the tests that ran, from the lines `ok    NAME (1.2 ms)`.
fn ran(out: &Output) -> Vec<String> {
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.strip_prefix("ok    "))
        .map(|l| l[..l.rfind(" (").unwrap()].to_string())
        .collect()
}

#[test]
fn tag_pci_runs_exactly_the_tagged_files_and_cases() {
    let dir = folder();
    let out = ecapi(
        dir.path(),
        &["--tag", "pci", ".", "--report-json", "r.json"],
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert_eq!(
        ran(&out),
        ["./cases.rhai::pauses for the card number", "./pci.rhai"]
    );
    assert_eq!(stdout.lines().last(), Some("2 passed, 0 failed, 4 skipped"));
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("r.json")).unwrap()).unwrap();
    let tests = json["tests"].as_array().unwrap();
    let by_name = |n: &str| tests.iter().find(|t| t["name"] == n).unwrap();
    assert_eq!(
        by_name("./pci.rhai")["tags"],
        serde_json::json!(["pci", "nightly"])
    );
    assert_eq!(
        by_name("./cases.rhai::smoke case")["tags"],
        serde_json::json!(["smoke", "fast"])
    );
    assert_eq!(
        by_name("./cases.rhai::smoke case")["message"],
        "left out by --tag or --skip-tag"
    );
}

#[test]
fn tags_are_any_of_and_skip_tag_wins() {
    let dir = folder();
    let out = ecapi(
        dir.path(),
        &[
            "--tag",
            "pci",
            "--tag",
            "smoke",
            "--skip-tag",
            "nightly",
            ".",
        ],
    );
    assert_eq!(
        ran(&out),
        [
            "./cases.rhai::pauses for the card number",
            "./cases.rhai::smoke case",
            "./smoke.rhai"
        ]
    );
    let out = ecapi(dir.path(), &["--skip-tag", "pci", "."]);
    assert_eq!(
        ran(&out),
        [
            "./cases.rhai::untagged",
            "./cases.rhai::smoke case",
            "./plain.rhai",
            "./smoke.rhai"
        ]
    );
}

#[test]
fn junit_carries_each_tests_tags_as_properties() {
    let dir = folder();
    let out = ecapi(dir.path(), &[".", "--report-junit", "r.xml"]);
    assert_eq!(out.status.code(), Some(0));
    let xml = std::fs::read_to_string(dir.path().join("r.xml")).unwrap();
    assert!(
        xml.contains("<testcase name=\"./pci.rhai\" classname=\"pci\" time=\"")
            && xml.contains("<properties>\n        <property name=\"tag\" value=\"pci\"/>\n        <property name=\"tag\" value=\"nightly\"/>\n      </properties>"),
        "{xml}"
    );
    assert!(
        xml.contains("<testcase name=\"pauses for the card number\" classname=\"cases\" time=\"")
    );
    assert_eq!(xml.matches("<property name=\"tag\"").count(), 6, "{xml}");
    // An untagged test has no properties.
    let plain = &xml[xml.find("<testcase name=\"./plain.rhai\"").unwrap()..];
    assert!(plain[..plain.find('>').unwrap()].ends_with('/'), "{plain}");
}

#[test]
fn the_html_report_filters_by_tag_without_script() {
    let dir = folder();
    let out = ecapi(dir.path(), &[".", "--report-html", "r.html"]);
    assert_eq!(out.status.code(), Some(0));
    let html = std::fs::read_to_string(dir.path().join("r.html")).unwrap();
    // Tags sorted: fast, nightly, pci, smoke.
    assert!(html.contains(r#"<label for="tag-3">pci</label>"#), "{html}");
    assert!(html.contains("#tag-3:checked ~ main details.test:not(.tag-3) { display: none; }"));
    assert!(
        html.contains(r#"<details class="test passed tag-3 tag-2" id="test-"#),
        "{html}"
    );
    assert!(html.contains(r#"<span class="tag">nightly</span>"#));
}

#[test]
fn a_tag_no_test_has_is_warned_of_naming_the_tags_there_are() {
    let dir = folder();
    let out = ecapi(dir.path(), &["--tag", "pcii", "."]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("ecapi: warning: --tag pcii matches no test (did you mean pci?); the tags are fast, nightly, pci, smoke"),
        "{stderr}"
    );
    assert!(
        stderr.contains(
            "ecapi: no test ran: the tags chosen (--tag pcii) select none of the 6 tests"
        ),
        "{stderr}"
    );
}

#[test]
fn malformed_tags_are_errors_naming_where() {
    let dir = folder();
    std::fs::write(
        dir.path().join("bad.rhai"),
        "//tags: pci\nexpect_ok(init_station(\"1\"));\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("badcase.rhai"),
        "test(\"x\", #{ tag: [\"pci\"] }, || { });\n",
    )
    .unwrap();
    let out = ecapi(dir.path(), &["."]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains(
            "error: ./bad.rhai:1: `//tags: pci` is not a tags line: write it `// tags: smoke pci`"
        ),
        "{stdout}"
    );
    assert!(
        stdout.contains("error: test: unknown option `tag`; the options are tags"),
        "{stdout}"
    );
    let out = ecapi(dir.path(), &["--tag", "a b", "."]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--tag a b: `a b` is not a tag"));
}
