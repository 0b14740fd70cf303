//! Scripts split into files: `import "helpers" as h;` finds `helpers.rhai` beside the importing
//! script whatever the working folder, and in `--module-path` folders; an error inside a module
//! points at the module's file and line; `ecapi test` does not run helper modules as tests.

use std::path::Path;
use std::process::{Command, Output};

fn ecapi(cwd: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ecapi"))
        .args(args)
        .current_dir(cwd)
        .env_remove("ECAPI_ENDPOINT")
        .env("NO_COLOR", "1")
        .output()
        .unwrap()
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// Line 9 of the helpers is the one that fails in `broken()`.
const HELPERS: &str = r#"// Helpers shared by the flows.
fn agent(extension) {
    let p = station(extension);
    p
}

fn broken(p) {
    let r = p.status();
    assert_eq(r.status, "RECORDING");
}

fn record(p) {
    expect_ok(p.start());
    expect_ok(p.stop());
}
"#;

/// suite/flows/{flow,bad}.rhai importing suite/flows/helpers.rhai, and suite/shared/common.rhai
/// for --module-path.
fn suite(root: &Path) {
    let flows = root.join("suite/flows");
    std::fs::create_dir_all(&flows).unwrap();
    std::fs::create_dir_all(root.join("suite/shared")).unwrap();
    std::fs::create_dir_all(root.join("elsewhere")).unwrap();
    std::fs::write(flows.join("helpers.rhai"), HELPERS).unwrap();
    std::fs::write(
        flows.join("flow.rhai"),
        "import \"helpers\" as h;\nlet p = h::agent(\"1234\");\nh::record(p);\nprint(\"flow done\");\n",
    )
    .unwrap();
    std::fs::write(
        flows.join("bad.rhai"),
        "import \"helpers\" as h;\nlet p = h::agent(\"1234\");\nh::broken(p);\n",
    )
    .unwrap();
    std::fs::write(
        root.join("suite/shared/common.rhai"),
        "fn greeting() { \"from common\" }\n",
    )
    .unwrap();
}

#[test]
fn run_finds_the_module_beside_the_script_from_another_working_folder() {
    let dir = tempfile::tempdir().unwrap();
    suite(dir.path());
    let o = ecapi(
        &dir.path().join("elsewhere"),
        &["run", "../suite/flows/flow.rhai"],
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(text(&o).contains("flow done"), "{}", text(&o));
    // And from the folder above, with a relative path, as CI runs it.
    let o = ecapi(dir.path(), &["run", "suite/flows/flow.rhai"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
}

#[test]
fn an_error_inside_a_module_names_the_modules_file_and_line_and_shows_it() {
    let dir = tempfile::tempdir().unwrap();
    suite(dir.path());
    let o = ecapi(dir.path(), &["run", "suite/flows/bad.rhai"]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let err = String::from_utf8_lossy(&o.stderr);
    let at = Path::new("suite/flows/helpers.rhai").display().to_string();
    assert!(err.contains(&format!("--> {at}:9:5")), "{err}");
    assert!(
        err.contains(" 9 |     assert_eq(r.status, \"RECORDING\");"),
        "{err}"
    );
    assert!(
        err.contains("in call to function `broken` at line 3"),
        "{err}"
    );
}

#[test]
fn a_syntax_error_in_a_module_and_a_missing_module_are_clear() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::write(root.join("broken.rhai"), "fn ok() { 1 }\nlet x = ;\n").unwrap();
    std::fs::write(root.join("uses.rhai"), "import \"broken\" as b;\n").unwrap();
    let o = ecapi(root, &["run", "uses.rhai"]);
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("broken.rhai:2:"), "{err}");
    assert!(err.contains(" 2 | let x = ;"), "{err}");
    assert!(
        err.contains("in module broken.rhai imported at line 1"),
        "{err}"
    );

    std::fs::write(root.join("lost.rhai"), "import \"nowhere\" as n;\n").unwrap();
    let o = ecapi(root, &["run", "lost.rhai"]);
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("module \"nowhere\" not found: looked for nowhere.rhai"),
        "{err}"
    );
    assert!(err.contains("--module-path DIR"), "{err}");
}

#[test]
fn module_path_adds_a_folder_to_look_in_for_run_and_the_args_line() {
    let dir = tempfile::tempdir().unwrap();
    suite(dir.path());
    let flows = dir.path().join("suite/flows");
    std::fs::write(
        flows.join("greet.rhai"),
        "import \"common\" as c;\nprint(c::greeting());\n",
    )
    .unwrap();
    let o = ecapi(
        dir.path(),
        &[
            "run",
            "suite/flows/greet.rhai",
            "--module-path",
            "suite/shared",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(text(&o).contains("from common"));
    // In the script's own `// args:` line, relative to the script's folder.
    std::fs::write(
        flows.join("greet2.rhai"),
        "// args: --module-path ../shared\nimport \"common\" as c;\nprint(c::greeting());\n",
    )
    .unwrap();
    let o = ecapi(
        &dir.path().join("elsewhere"),
        &["run", "../suite/flows/greet2.rhai"],
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
}

#[test]
fn test_runs_flows_importing_helpers_and_not_the_helpers_themselves() {
    let dir = tempfile::tempdir().unwrap();
    suite(dir.path());
    std::fs::remove_file(dir.path().join("suite/flows/bad.rhai")).unwrap();
    std::fs::write(
        dir.path().join("suite/flows/_fixtures.rhai"),
        "throw \"a helper run as a test\";\n",
    )
    .unwrap();
    std::fs::create_dir_all(dir.path().join("suite/lib")).unwrap();
    std::fs::write(
        dir.path().join("suite/lib/more.rhai"),
        "throw \"a helper run as a test\";\n",
    )
    .unwrap();
    let junit = dir.path().join("j.xml");
    let o = ecapi(
        &dir.path().join("elsewhere"),
        &[
            "test",
            "../suite",
            "--module-path",
            "../suite/shared",
            "--report-junit",
            junit.to_str().unwrap(),
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let xml = std::fs::read_to_string(&junit).unwrap();
    assert!(xml.contains("tests=\"1\""), "{xml}");
    assert!(xml.contains("flow.rhai"), "{xml}");
    assert!(!xml.contains("helpers.rhai"), "{xml}");
    assert!(!xml.contains("common.rhai"), "{xml}");
}

#[test]
fn test_shows_an_error_inside_a_module_at_the_modules_line() {
    let dir = tempfile::tempdir().unwrap();
    suite(dir.path());
    let o = ecapi(dir.path(), &["test", "suite/flows/bad.rhai"]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let out = text(&o);
    assert!(out.contains("helpers.rhai:9:5"), "{out}");
    assert!(out.contains("assert_eq(r.status, \"RECORDING\");"), "{out}");
}

#[test]
fn load_runs_a_flow_importing_helpers_from_another_working_folder() {
    let dir = tempfile::tempdir().unwrap();
    suite(dir.path());
    let summary = dir.path().join("s.json");
    let o = ecapi(
        &dir.path().join("elsewhere"),
        &[
            "load",
            "../suite/flows/flow.rhai",
            "--agents",
            "2",
            "--duration",
            "0.5",
            "--no-progress",
            "--summary-json",
            summary.to_str().unwrap(),
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&summary).unwrap()).unwrap();
    assert!(json.to_string().contains("StartRecording"), "{json}");
}

#[test]
fn the_repl_imports_from_the_working_folder_and_module_path() {
    use std::io::Write;
    let dir = tempfile::tempdir().unwrap();
    suite(dir.path());
    let mut child = Command::new(env!("CARGO_BIN_EXE_ecapi"))
        .args(["--module-path", "suite/shared"])
        .current_dir(dir.path())
        .env_remove("ECAPI_ENDPOINT")
        .env("ECAPI_HISTORY", "")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        // A module imported on one line is known by its name on the lines after.
        .write_all(b"import \"common\" as c;\nprint(c::greeting());\nimport \"suite/flows/helpers\" as h;\nlet p = h::agent(\"1234\");\nprint(p.port);\n")
        .unwrap();
    let o = child.wait_with_output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.contains("from common"), "{out}");
    assert!(out.contains("\n1\n") || out.ends_with("1\n"), "{out}");
}
