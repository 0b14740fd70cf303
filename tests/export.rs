//! `ecapi export`, `ecapi ops OP --example` and the REPL's `:export`: the generated programs
//! against golden files (one flow per language, in `tests/golden/export/`), values from answers as
//! variables, withheld values as inputs, proxy records, and every way an export is refused.
//!
//! Run with `UPDATE_GOLDEN=1` to rewrite the golden files after a change meant to alter the
//! generated code, then review the diff. That the programs run, unchanged, against `ecapi serve`
//! is `tests/interop/export.sh`.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use pretty_assertions::assert_eq;

fn ecapi() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_ecapi"));
    c.env_remove("ECAPI_ENDPOINT")
        .env_remove("ECAPI_USER")
        .env_remove("ECAPI_PASSWORD")
        .env("NO_COLOR", "1");
    c
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn run(args: &[&str]) -> Output {
    ecapi()
        .args(args)
        .current_dir(root())
        .output()
        .expect("ecapi runs")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Compares with a golden file, or rewrites it under `UPDATE_GOLDEN=1`.
fn golden(name: &str, actual: &str) {
    let path = root().join("tests/golden/export").join(name);
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e} (run with UPDATE_GOLDEN=1)", path.display()));
    assert_eq!(expected, actual, "{name}");
}

/// Exports a flow and returns the program.
fn export(flow: &str, lang: &str, extra: &[&str]) -> String {
    let mut args = vec!["export", flow, "--lang", lang];
    args.extend_from_slice(extra);
    let o = run(&args);
    assert!(o.status.success(), "{}", stderr(&o));
    stdout(&o)
}

#[test]
fn the_screen_pop_as_a_curl_script_matches_its_golden_file() {
    golden(
        "screen_pop.sh",
        &export("scripts/screen_pop.rhai", "curl", &[]),
    );
}

#[test]
fn the_late_pause_with_withheld_field_names_as_python_matches_its_golden_file() {
    golden(
        "recorder_late_pause.py",
        &export(
            "tests/fixtures/export/recorder_late_pause.rhai",
            "python",
            &["--redact", "fieldName"],
        ),
    );
}

#[test]
fn the_payment_as_javascript_matches_its_golden_file() {
    golden(
        "payment.js",
        &export("scripts/payment.rhai", "javascript", &[]),
    );
}

#[test]
fn the_late_pause_as_java_matches_its_golden_file() {
    golden(
        "Flow.java",
        &export(
            "tests/fixtures/export/recorder_late_pause.rhai",
            "java",
            &[],
        ),
    );
}

#[test]
fn the_screen_pop_as_csharp_and_its_project_match_their_golden_files() {
    let dir = tempfile::tempdir().unwrap();
    let program = dir.path().join("Program.cs");
    let o = run(&[
        "export",
        "scripts/screen_pop.rhai",
        "--lang",
        "csharp",
        "-o",
        program.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("Program.csproj (9 requests)"),
        "{}",
        stderr(&o)
    );
    golden("Program.cs", &std::fs::read_to_string(&program).unwrap());
    golden(
        "Program.csproj",
        &std::fs::read_to_string(dir.path().join("Program.csproj")).unwrap(),
    );
}

#[test]
fn unit_and_port_are_variables_from_the_init_answer_never_copied_literals() {
    for lang in ["curl", "python", "javascript", "java", "csharp"] {
        let program = export("scripts/payment.rhai", lang, &[]);
        // Port 2 was InitStation's answer: it must not appear as a literal anywhere.
        for literal in [
            "<Port>2</Port>",
            "Port=\"2\"",
            "Port: \"2\"",
            "\"Port\", \"2\"",
        ] {
            assert!(!program.contains(literal), "{lang}: {literal}\n{program}");
        }
        assert!(
            program.contains("4022"),
            "{lang}: the extension is a literal"
        );
    }
}

#[test]
fn the_7_0_api_uses_its_own_parameter_names_and_order() {
    let dir = tempfile::tempdir().unwrap();
    let flow = dir.path().join("user.rhai");
    std::fs::write(
        &flow,
        "let p = init_user(\"jsmith\", \"WS-1\");\nexpect_ok(start_recording(p.unit, p.port));\n",
    )
    .unwrap();
    let o = run(&[
        "export",
        flow.to_str().unwrap(),
        "--lang",
        "curl",
        "--api",
        "7.0",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let program = stdout(&o);
    assert!(
        program.contains("<InitUser xmlns=\\\"http://tempuri.org/\\\"><userName>jsmith</userName><machineName>WS-1</machineName></InitUser>"),
        "{program}"
    );
    assert!(
        program.contains("# InitUser: guide 7.0, Initialization Requests > InitUser"),
        "{program}"
    );
}

#[test]
fn a_proxy_record_becomes_a_flow_with_redacted_values_as_inputs() {
    let dir = tempfile::tempdir().unwrap();
    let record = dir.path().join("crm.jsonl");
    let line = |op: &str, params: &str, code: u16, fields: &str| {
        format!(
            r#"{{"kind":"exchange","time":"2026-12-01T10:00:00.000Z","client":"127.0.0.1:5000","operation":"{op}","action":"http://tempuri.org/IECAPI/{op}","parameters":{params},"status":200,"outcome":"answered","code":{code},"message":"{}","fields":{fields},"elapsed_ms":1.5,"request":"<s:Envelope/>","response":"<s:Envelope/>"}}"#,
            if code == 100 {
                "Command executed as expected"
            } else {
                "Warning: Port was not recording"
            }
        )
    };
    let text = [
        line(
            "InitUser",
            r#"{"Machine":"WS-1","User":"[redacted]"}"#,
            100,
            r#"{"Port":"4","Unit":"1"}"#,
        ),
        line(
            "StopRecording",
            r#"{"Unit":"1","Port":"4"}"#,
            608,
            "{}",
        ),
        r#"{"kind":"exchange","time":"2026-12-01T10:00:01.000Z","client":"127.0.0.1:5000","operation":"PortStatus","action":"x","parameters":{"Unit":"1","Port":"4"},"status":null,"outcome":"dropped","code":null,"message":null,"fields":{},"elapsed_ms":3.0,"request":"","response":null}"#.to_string(),
        r#"{"kind":"summary","exchanges":3,"shadow":{}}"#.to_string(),
    ]
    .join("\n");
    std::fs::write(&record, text).unwrap();
    let o = run(&["export", record.to_str().unwrap(), "--lang", "python"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let program = stdout(&o);
    assert!(
        program.contains(r#"user = need("ECAPI_PARAM_USER", "User")"#),
        "{program}"
    );
    assert!(program.contains("Machine=\"WS-1\", User=user"), "{program}");
    assert!(
        program.contains("request(service, 2, \"StopRecording\", 608, Unit=unit, Port=port)"),
        "{program}"
    );
    assert!(
        program
            .replace('\n', " ")
            .contains("Left out, with no answer carrying a code: #3 PortStatus: dropped (HTTP 0)."),
        "{program}"
    );
    assert!(
        stderr(&o).contains("left out #3 PortStatus: dropped"),
        "{}",
        stderr(&o)
    );
    // The record keeps no header: --user says the server asked for basic authentication.
    let o = run(&[
        "export",
        record.to_str().unwrap(),
        "--lang",
        "csharp",
        "--user",
        "crm",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stdout(&o).contains("BasicHttpSecurityMode.TransportCredentialOnly"),
        "{}",
        stdout(&o)
    );
}

#[test]
fn ops_example_prints_one_request_in_the_language() {
    let o = run(&["ops", "start_recording", "--example", "java"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let program = stdout(&o);
    assert!(program.contains("public class Flow"), "{program}");
    assert!(
        program.contains("request(1, \"StartRecording\", 100, \"Unit\", \"1\", \"Port\", \"1\""),
        "{program}"
    );
    assert!(program.contains("\"Unit\", \"1\""), "{program}");
    assert!(
        program.contains("\"maxRecordingTimeInSeconds\", \"0\""),
        "{program}"
    );
    assert!(
        program.contains("An example of one StartRecording request"),
        "{program}"
    );
    let o = run(&["ops", "GetField", "--example", "csharp", "--api", "7.0"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("GetField is not part of API 7.0: it was added in 7.1"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn an_unknown_language_is_named_with_the_ones_there_are() {
    let o = run(&["export", "scripts/payment.rhai", "--lang", "cobol"]);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(
        stderr(&o),
        "ecapi: --lang: unknown language `cobol`: expected csharp, java, python, javascript or curl\n"
    );
    let o = run(&["ops", "PortStatus", "--example", "perl"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("unknown language `perl`"));
}

#[test]
fn a_script_that_fails_exports_nothing_and_says_where_it_failed() {
    let dir = tempfile::tempdir().unwrap();
    let flow = dir.path().join("bad.rhai");
    std::fs::write(
        &flow,
        "let a = station(\"4021\");\nexpect(a.stop(), 100);\n",
    )
    .unwrap();
    let out = dir.path().join("flow.py");
    let o = run(&[
        "export",
        flow.to_str().unwrap(),
        "--lang",
        "python",
        "-o",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(err.contains("bad.rhai:2:1"), "{err}");
    assert!(
        err.contains("failed, so there is no flow to export"),
        "{err}"
    );
    assert!(!out.exists(), "nothing is written");
}

#[test]
fn a_flow_without_an_answered_request_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let flow = dir.path().join("empty.rhai");
    std::fs::write(&flow, "let x = 1;\n").unwrap();
    let o = run(&["export", flow.to_str().unwrap(), "--lang", "curl"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("no request was answered with a code, so there is nothing to export"),
        "{}",
        stderr(&o)
    );
    let o = run(&["export", "missing.jsonl", "--lang", "curl"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("cannot read missing.jsonl"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn a_data_row_out_of_range_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("rows.csv");
    std::fs::write(&data, "extension\n4021\n").unwrap();
    let o = run(&[
        "export",
        "scripts/screen_pop.rhai",
        "--lang",
        "curl",
        "--data",
        data.to_str().unwrap(),
        "--row",
        "3",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("--row 3:"), "{}", stderr(&o));
    assert!(stderr(&o).contains("has 1 rows"), "{}", stderr(&o));
}

/// Runs the REPL with piped input in `dir`.
fn repl(dir: &Path, input: &str) -> Output {
    let mut child = ecapi()
        .current_dir(dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

#[test]
fn the_repl_exports_its_session_to_a_file_and_prints_the_last_request() {
    let dir = tempfile::tempdir().unwrap();
    let o = repl(
        dir.path(),
        "let a = station(\"4021\");\na.start();\n:export curl flow.sh\n:export python\n",
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(out.contains("exported 2 request(s) to flow.sh"), "{out}");
    let script = std::fs::read_to_string(dir.path().join("flow.sh")).unwrap();
    assert!(
        script.contains("The flow of an ecapi REPL session as it ran on the embedded simulator"),
        "{script}"
    );
    assert!(
        script.contains("<Unit>${unit}</Unit><Port>${port}</Port>"),
        "{script}"
    );
    // The last request alone: its unit and port are literals, there being no Init before it.
    assert!(
        out.contains(
            "request(service, 1, \"StartRecording\", 100, Unit=\"1\", Port=\"1\", maxRecordingTimeInSeconds=0)"
        ) || out.contains("\"StartRecording\",\n"),
        "{out}"
    );
}

#[test]
fn the_repl_says_when_there_is_nothing_to_export_or_the_language_is_unknown() {
    let dir = tempfile::tempdir().unwrap();
    let o = repl(dir.path(), ":export curl\n");
    assert!(
        stderr(&o).contains("error: no request was answered with a code yet: nothing to export"),
        "{}",
        stderr(&o)
    );
    let o = repl(dir.path(), "station(\"1\");\n:export fortran\n");
    assert!(
        stderr(&o).contains("error: unknown language `fortran`"),
        "{}",
        stderr(&o)
    );
    assert_eq!(
        o.status.code(),
        Some(1),
        "piped input with an error exits 1"
    );
}

#[test]
fn a_script_that_played_the_phone_system_says_the_program_cannot_repeat_it() {
    let o = run(&["export", "scripts/recorder_hold.rhai", "--lang", "curl"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("simulator control (sim_hangup, sim_hold, sim_retrieve)"),
        "{}",
        stderr(&o)
    );
    let header: String = stdout(&o)
        .lines()
        .take_while(|l| l.starts_with('#'))
        .collect::<Vec<_>>()
        .join(" ");
    assert!(
        header.contains("which this program cannot repeat"),
        "{header}"
    );
}

#[test]
fn the_output_folder_is_made_when_it_does_not_exist() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("crm").join("deep").join("Program.cs");
    let flow = root().join("scripts/payment.rhai");
    let o = run(&[
        "export",
        flow.to_str().unwrap(),
        "--lang",
        "csharp",
        "-o",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(std::fs::read_to_string(&out)
        .unwrap()
        .contains("ServiceContract"));
    assert!(out.with_extension("csproj").exists());
}

#[test]
fn a_scripts_imports_are_found_beside_it_and_in_module_path_as_run_finds_them() {
    let dir = tempfile::tempdir().unwrap();
    let tests = dir.path().join("tests");
    let lib = dir.path().join("lib");
    std::fs::create_dir_all(&tests).unwrap();
    std::fs::create_dir_all(&lib).unwrap();
    std::fs::write(tests.join("_helpers.rhai"), "fn ext() { \"4021\" }\n").unwrap();
    std::fs::write(
        tests.join("smoke.rhai"),
        "import \"_helpers\" as h;\nexpect_ok(init_station(h::ext()));\n",
    )
    .unwrap();
    std::fs::write(lib.join("shared.rhai"), "fn ext() { \"7399\" }\n").unwrap();
    std::fs::write(
        tests.join("uses_lib.rhai"),
        "import \"shared\" as s;\nexpect_ok(init_station(s::ext()));\n",
    )
    .unwrap();
    let in_dir = |args: &[&str]| {
        ecapi()
            .args(args)
            .current_dir(dir.path())
            .output()
            .expect("ecapi runs")
    };

    // Run from the folder above the script's, as `ecapi run tests/smoke.rhai` would be.
    let out = in_dir(&["export", "tests/smoke.rhai", "--lang", "python"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("Extension=\"4021\""),
        "{}",
        stdout(&out)
    );

    // A module elsewhere needs --module-path, and the error says so without it.
    let out = in_dir(&["export", "tests/uses_lib.rhai", "--lang", "curl"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("module \"shared\" not found"),
        "{}",
        stderr(&out)
    );
    let out = in_dir(&[
        "export",
        "tests/uses_lib.rhai",
        "--lang",
        "curl",
        "--module-path",
        "lib",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stdout(&out).contains("7399"), "{}", stdout(&out));
}
