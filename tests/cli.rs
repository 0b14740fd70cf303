//! The command line: `run`, `call` and `ops`, their output and exit codes (`scripting.md`: 0 success,
//! 1 script error or failed assertion, 2 bad usage or configuration).

use std::process::{Command, Output};

fn ecapi(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ecapi"))
        .args(args)
        .env_remove("ECAPI_ENDPOINT")
        .env("NO_COLOR", "1")
        .output()
        .unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn script(text: &str) -> tempfile::TempPath {
    let f = tempfile::Builder::new().suffix(".rhai").tempfile().unwrap();
    std::fs::write(f.path(), text).unwrap();
    f.into_temp_path()
}

#[test]
fn call_prints_one_response_line_and_exits_0() {
    let o = ecapi(&["call", "InitStation", "Extension=1234"]);
    assert_eq!(o.status.code(), Some(0));
    let out = stdout(&o);
    assert!(out.starts_with("InitStation "), "{out}");
    assert!(
        out.ends_with(" ms 100 Command executed as expected | port=1 unit=1\n"),
        "{out}"
    );
}

#[test]
fn call_exits_0_for_a_non_100_code_because_it_is_data() {
    let o = ecapi(&["call", "StopRecording", "Unit=1", "Port=5"]);
    assert_eq!(o.status.code(), Some(0));
    assert!(stdout(&o).contains(" 608 Warning: Port was not recording"));
}

#[test]
fn call_json_prints_the_response_as_an_object() {
    let o = ecapi(&["call", "port_status_ex", "unit=1", "PORT=5", "--json"]);
    assert_eq!(o.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v["op"], "PortStatusEX");
    assert_eq!(v["code"], 100);
    assert_eq!(v["message"], "Command executed as expected");
    assert_eq!(v["ok"], true);
    assert_eq!(v["status"], "NOT RECORDING");
    assert_eq!(v["duration"], 0);
    assert!(v["elapsed_ms"].is_f64());
}

#[test]
fn call_accepts_7_0_parameter_names() {
    let o = ecapi(&[
        "call",
        "InitUser",
        "userName=smith",
        "machineName=WS1",
        "--api",
        "7.0",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stdout(&o).contains(" 100 "));
}

#[test]
fn call_with_an_unknown_operation_exits_2_and_lists_the_valid_ones() {
    let o = ecapi(&["call", "PortStat"]);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(
        err.contains("unknown operation `PortStat` (did you mean PortStatus, PortStatusEX?)"),
        "{err}"
    );
    assert!(
        err.contains("the operations are: InitStation, InitUser, CancelRecording"),
        "{err}"
    );
    assert!(err.contains("DesktopResume"), "{err}");
}

#[test]
fn call_with_an_unknown_parameter_exits_2_and_lists_the_operations_parameters() {
    let o = ecapi(&["call", "AssignField", "Unit=1", "Field=x"]);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(
        stderr(&o),
        "ecapi: AssignField has no parameter `Field`; its parameters are: Unit, Port, fieldName, fieldValue\n"
    );
}

#[test]
fn call_with_a_parameter_not_written_name_value_exits_2() {
    let o = ecapi(&["call", "InitStation", "1234"]);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(
        stderr(&o),
        "ecapi: `1234`: parameters are written Name=Value\n"
    );
}

#[test]
fn call_of_a_7_1_operation_under_7_0_exits_2_naming_the_version() {
    let o = ecapi(&["call", "GetField", "--api", "7.0"]);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(
        stderr(&o),
        "ecapi: GetField is not part of API 7.0: it was added in 7.1\n"
    );
}

#[test]
fn call_with_a_max_time_that_is_not_a_number_exits_2() {
    let o = ecapi(&[
        "call",
        "StartRecording",
        "Unit=1",
        "Port=1",
        "maxRecordingTimeInSeconds=abc",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(
        stderr(&o),
        "ecapi: maxRecordingTimeInSeconds must be a whole number, got `abc`\n"
    );
}

#[test]
fn a_bad_api_version_or_profile_exits_2() {
    let o = ecapi(&["call", "PortStatus", "--api", "8.0"]);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(
        stderr(&o),
        "ecapi: --api: unknown API version `8.0`: expected 7.0 or 7.1\n"
    );
    let o = ecapi(&["call", "PortStatus", "--profile", "cloud"]);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(
        stderr(&o),
        "ecapi: --profile: unknown profile `cloud`: expected hosted or recorder\n"
    );
}

#[test]
fn run_exits_0_when_the_script_completes() {
    let s = script("let p = station(\"1\"); expect_ok(p.start()); print(p.status().status);");
    let o = ecapi(&["run", s.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(stdout(&o), "RECORD\n");
}

#[test]
fn run_exits_1_on_a_failed_assertion_with_file_line_column_and_caret() {
    let s = script("let p = port(1, 2);\n  expect_ok(p.stop());\n");
    let path = s.to_str().unwrap();
    let o = ecapi(&["run", path]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(
        stderr(&o),
        format!(
            "assertion failed: expected 100 from StopRecording, got 608 Warning: Port was not recording (simulator: port 2 is NOT RECORDING; StopRecording needs RECORD)\n  --> {path}:2:3\n   |\n 2 |   expect_ok(p.stop());\n   |   ^\n"
        )
    );
}

#[test]
fn run_passes_set_values_to_param() {
    let s = script("print(param(\"ext\") + \"/\" + param(\"n\", 0));");
    let o = ecapi(&[
        "run",
        s.to_str().unwrap(),
        "--set",
        "ext=4021",
        "--set",
        "n=7",
    ]);
    assert_eq!(stdout(&o), "4021/7\n");
}

#[test]
fn run_with_a_malformed_set_or_a_missing_file_exits_2() {
    let s = script("1");
    let o = ecapi(&["run", s.to_str().unwrap(), "--set", "novalue"]);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(stderr(&o), "ecapi: --set novalue: expected NAME=VALUE\n");
    let o = ecapi(&["run", "/no/such/file.rhai"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).starts_with("ecapi: cannot read /no/such/file.rhai: "),
        "{}",
        stderr(&o)
    );
}

#[test]
fn run_trace_shows_the_envelopes_on_standard_error() {
    let s = script("port_status(1, 1);");
    let o = ecapi(&["run", s.to_str().unwrap(), "--trace"]);
    assert_eq!(o.status.code(), Some(0));
    let err = stderr(&o);
    assert!(
        err.contains("SOAPAction: \"http://tempuri.org/IECAPI/PortStatus\""),
        "{err}"
    );
}

#[test]
fn ops_lists_every_operation_with_its_function_and_parameters() {
    let o = ecapi(&["ops"]);
    assert_eq!(o.status.code(), Some(0));
    let out = stdout(&o);
    for op in ecapi::api::Operation::ALL {
        let line = out
            .lines()
            .find(|l| l.split_whitespace().next() == Some(op.name()))
            .unwrap_or_else(|| panic!("{op} listed"));
        assert!(line.contains(op.script_name()), "{line}");
    }
    // The function's own argument order, and the wire's beside it.
    let init_user = out.lines().find(|l| l.starts_with("InitUser ")).unwrap();
    assert!(
        init_user.contains("init_user(user, machine)")
            && init_user.trim_end().ends_with("Machine, User"),
        "{out}"
    );
    let o = ecapi(&["ops", "--api", "7.0"]);
    let out = stdout(&o);
    let init_user = out.lines().find(|l| l.starts_with("InitUser ")).unwrap();
    assert!(init_user.ends_with("userName, machineName"), "{out}");
    let get_field = out.lines().find(|l| l.starts_with("GetField ")).unwrap();
    assert!(
        get_field.contains("get_field(unit, port, name)")
            && get_field.ends_with("Unit, Port, fieldName  [since 7.1]"),
        "{out}"
    );
}

#[test]
fn ops_shows_one_operation_with_parameters_fields_and_script_docs() {
    let o = ecapi(&["ops", "InitUser"]);
    assert_eq!(o.status.code(), Some(0));
    let out = stdout(&o);
    assert!(out.starts_with("InitUser  (API 7.0 and later)\n"), "{out}");
    assert!(
        out.contains(
            "  Machine / machineName (string)\n      required (empty: 654); any text\n  \
             User / userName (string)\n      required (empty: 654); a Windows login ID"
        ),
        "{out}"
    );
    assert!(
        out.contains("Response: responseCode, responseMessage, Port, Unit"),
        "{out}"
    );
    assert!(out.contains("  init_user(user, machine)\n"), "{out}");
    let o = ecapi(&["ops", "station"]);
    assert!(stdout(&o).starts_with("station  (Ports)\n"));
}

#[test]
fn ops_says_which_parameters_the_simulator_requires_and_in_what_form() {
    let out = stdout(&ecapi(&["ops", "LogEvent"]));
    assert!(
        out.contains("  eventTimestamp (string)\n      required (empty: 653); any text"),
        "{out}"
    );
    assert!(
        out.contains("  eventType (string)\n      required (empty: 657)"),
        "{out}"
    );
    assert!(
        out.contains(
            "  Parm1 (string)\n      optional; at most 1,024 characters (653 when longer)"
        ),
        "{out}"
    );
    let out = stdout(&ecapi(&["ops", "start_recording"]));
    assert!(
        out.contains(
            "  maxRecordingTimeInSeconds (int)\n      a whole number of seconds, 0 or more"
        ),
        "{out}"
    );
}

#[test]
fn ops_with_an_unknown_name_exits_2_with_a_suggestion() {
    let o = ecapi(&["ops", "GetUrl2"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("did you mean GetURL"), "{}", stderr(&o));
}

#[test]
fn ops_shows_parameters_in_the_order_of_the_chosen_version() {
    let out = stdout(&ecapi(&["ops", "InitUser", "--api", "7.0"]));
    let user = out.find("  User / userName (string)\n").expect("User");
    let machine = out
        .find("  Machine / machineName (string)\n")
        .expect("Machine");
    assert!(user < machine, "{out}");
}

#[test]
fn call_refuses_a_parameter_given_twice() {
    let o = ecapi(&["call", "PortStatus", "Unit=1", "Port=1", "unit=2"]);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(stderr(&o), "ecapi: `unit=2`: unit is given twice\n");
}

#[test]
fn run_max_time_stops_a_script_that_runs_too_long_with_exit_1() {
    let s = script("let n = 0;\nloop { n += 1; }\n");
    let o = ecapi(&["run", s.to_str().unwrap(), "--max-time", "0.2"]);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(
        err.starts_with("error: stopped after 0.2 s: the script ran past --max-time\n  --> "),
        "{err}"
    );
    let o = ecapi(&["run", s.to_str().unwrap(), "--max-time", "0"]);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(
        stderr(&o),
        "ecapi: --max-time 0: expected a positive number of seconds\n"
    );
}

#[test]
fn test_timeout_fails_only_the_test_that_runs_too_long() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("quick.rhai"), "port_status(1, 1);").unwrap();
    std::fs::write(dir.path().join("forever.rhai"), "loop { }").unwrap();
    // `--max-time` is another name for `--test-timeout` under `ecapi test`.
    for option in ["--test-timeout", "--max-time"] {
        let o = ecapi(&["test", dir.path().to_str().unwrap(), option, "0.2"]);
        assert_eq!(o.status.code(), Some(1));
        let out = stdout(&o);
        assert!(
            out.contains(
                "error: the test ran past its time limit of 0.2 s and was stopped \
                 (--test-timeout SECS sets the limit; 0 for none)\n  --> "
            ),
            "{out}"
        );
        assert!(out.trim_end().ends_with("1 passed, 1 failed"), "{out}");
    }
    let o = ecapi(&["test", dir.path().to_str().unwrap(), "--test-timeout=-1"]);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(
        stderr(&o),
        "ecapi: --test-timeout -1: expected a number of seconds (0 for no limit)\n"
    );
}

#[test]
fn a_files_own_max_time_applies_unless_the_command_line_sets_a_test_timeout() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("own.rhai"),
        "// args: --max-time 0.2\nloop { }",
    )
    .unwrap();
    let o = ecapi(&["test", dir.path().to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stdout(&o).contains("stopped after 0.2 s: the script ran past --max-time"),
        "{}",
        stdout(&o)
    );
    let o = ecapi(&[
        "test",
        dir.path().to_str().unwrap(),
        "--test-timeout",
        "0.3",
    ]);
    assert!(
        stdout(&o).contains("the test ran past its time limit of 0.3 s"),
        "{}",
        stdout(&o)
    );
}

#[test]
fn plain_ecapi_takes_the_repls_backend_options() {
    use std::io::Write;
    let mut child = Command::new(env!("CARGO_BIN_EXE_ecapi"))
        .args(["--api", "7.0"])
        .env_remove("ECAPI_ENDPOINT")
        .env("NO_COLOR", "1")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"port_status(1, 1)\nport_status_ex(1, 1)\n")
        .unwrap();
    let o = child.wait_with_output().unwrap();
    assert_eq!(o.status.code(), Some(1), "the 7.1 call failed under 7.0");
    assert!(stdout(&o).contains("PortStatus "), "{}", stdout(&o));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("PortStatusEX is not part of API 7.0"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn a_password_without_a_user_is_bad_usage() {
    let o = ecapi(&[
        "call",
        "PortStatus",
        "Unit=1",
        "Port=1",
        "--endpoint",
        "http://127.0.0.1:9/x",
        "--password",
        "secret",
    ]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("--password (or ECAPI_PASSWORD) needs --user"),
        "{err}"
    );
}

#[test]
fn completions_are_printed_for_bash_zsh_and_fish() {
    for (shell, mark) in [
        ("bash", "complete -F _ecapi"),
        ("zsh", "#compdef ecapi"),
        ("fish", "complete -c ecapi"),
    ] {
        let o = ecapi(&["completions", shell]);
        assert_eq!(o.status.code(), Some(0), "{shell}");
        let out = stdout(&o);
        assert!(
            out.contains(mark),
            "{shell}: {}",
            &out[..out.len().min(300)]
        );
        assert!(out.contains("session"), "{shell} completes subcommands");
        assert!(out.contains("max-sessions"), "{shell} completes options");
    }
    let o = ecapi(&["completions", "powershell"]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn a_run_whose_standard_output_is_closed_does_not_panic() {
    // `ecapi run flow.rhai | head -1`: the reader goes away while the script still prints.
    use std::io::Read;
    use std::process::Stdio;
    let dir = tempfile::tempdir().unwrap();
    let flow = dir.path().join("chatty.rhai");
    std::fs::write(
        &flow,
        "for i in 0..20000 { print(`line ${i} of a chatty flow`); }\n",
    )
    .unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_ecapi"))
        .args(["run", flow.to_str().unwrap()])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = [0u8; 16];
    child.stdout.take().unwrap().read_exact(&mut first).unwrap();
    // The pipe's reading end is dropped here, so every later write fails with EPIPE.
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    let status = child.wait().unwrap();
    assert!(!err.contains("panicked"), "{err}");
    assert_eq!(status.code(), Some(0), "{err}");
}
