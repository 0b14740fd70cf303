//! Every kind of simulator refusal is explained where the user looks: the reason for a code other
//! than 100 is in `ecapi serve`'s log line (text and `--log-format json`), in plain `ecapi call`
//! output (a `reason:` line, against a served simulator and the embedded one alike) and in the
//! `x-ecapi-reason` header (which `ecapi call` reads to print it when served).
//!
//! The cases cover each kind of refusal the simulator makes: the required parameters, an event's
//! text, unit and port ranges, a port's state, a negative maximum time, the day's ports running
//! out and an injected fault (hosted); the directory, units and ports, columns and their types,
//! desktops, a port's state and licences (recorder).

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{channel, Receiver};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_ecapi");

/// A running `ecapi serve` with its log lines (standard error) arriving on a channel.
struct Served {
    child: Child,
    url: String,
    log: Receiver<String>,
}

impl Served {
    fn start(args: &[&str]) -> Served {
        let mut child = Command::new(BIN)
            .args(["serve", "--listen", "127.0.0.1:0"])
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut out = BufReader::new(child.stdout.take().unwrap()).lines();
        let first = out.next().unwrap().unwrap();
        let url = first
            .split_whitespace()
            .find(|w| w.starts_with("http://"))
            .unwrap()
            .to_string();
        // The rest of standard output is not needed; keep reading so the server never blocks.
        std::thread::spawn(move || for _ in out {});
        let (tx, log) = channel();
        let err = child.stderr.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(err).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Served { child, url, log }
    }

    /// The next log line containing `text`, waiting at most 5 seconds.
    fn log_line_with(&self, text: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(5);
        let mut seen = Vec::new();
        while let Some(left) = deadline.checked_duration_since(Instant::now()) {
            match self.log.recv_timeout(left) {
                Ok(line) if line.contains(text) => return line,
                Ok(line) => seen.push(line),
                Err(_) => break,
            }
        }
        panic!("no log line contains {text:?}; lines: {seen:#?}");
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `ecapi call OP PARAMS… EXTRA…`: its standard output (it must exit 0: a code is data).
fn call(op: &str, params: &[&str], extra: &[&str]) -> String {
    let out = Command::new(BIN)
        .arg("call")
        .arg(op)
        .args(params)
        .args(extra)
        .env_remove("ECAPI_ENDPOINT")
        .output()
        .unwrap();
    assert!(out.status.success(), "{op} {params:?}: {out:?}");
    String::from_utf8(out.stdout).unwrap()
}

/// The `reason:` line of plain `ecapi call` output.
fn reason_line(output: &str) -> Option<&str> {
    output.lines().find_map(|l| l.strip_prefix("reason: "))
}

/// A request and the refusal it meets.
struct Case<'a> {
    op: &'a str,
    params: &'a [&'a str],
    code: u16,
    /// Words the reason must hold.
    says: &'a str,
    /// For a case that depends on earlier requests: a script that brings a fresh embedded
    /// simulator to the same state and prints the case's `reason: …` line (each `ecapi call` is
    /// a fresh simulator).
    embedded: Option<&'a str>,
    /// A script run against the served simulator first (`ecapi run --endpoint`), to bring it to
    /// the state the case needs through the control interface or requests.
    served_setup: Option<&'a str>,
}

/// Runs the cases in order against a served simulator started with `serve_args` and checks each
/// refusal's reason: in plain `ecapi call` output against the server, the same against the
/// embedded simulator (with `embedded_args`), and in the server's log line.
fn check(serve_args: &[&str], embedded_args: &[&str], json: bool, cases: &[Case]) {
    let mut args = serve_args.to_vec();
    if json {
        args.extend(["--log-format", "json"]);
    }
    let served = Served::start(&args);
    for case in cases {
        if let Some(script) = case.served_setup {
            let out = run_script(script, &["--endpoint", &served.url]);
            assert!(out.is_empty() || !out.contains("FAIL"), "{out}");
        }
        let out = call(case.op, case.params, &["--endpoint", &served.url]);
        assert!(
            out.lines()
                .next()
                .unwrap_or_default()
                .contains(&format!(" {} ", case.code)),
            "{} {:?}: {out}",
            case.op,
            case.params
        );
        if case.code == 100 {
            assert_eq!(reason_line(&out), None, "{out}");
            continue;
        }
        let reason = reason_line(&out)
            .unwrap_or_else(|| panic!("{} {:?}: no reason line: {out}", case.op, case.params));
        assert!(
            reason.contains(case.says),
            "{reason:?} lacks {:?}",
            case.says
        );

        // The log line names the operation, the code and the same reason.
        let line = served.log_line_with(&format!("{} {}", case.op, case.code));
        if json {
            let v: serde_json::Value = serde_json::from_str(&line).unwrap();
            // The reason first; the audit's findings, if any, follow after ` | `.
            let summary = v["summary"].as_str().unwrap();
            assert_eq!(
                summary.split(" | ").next().unwrap(),
                format!("{} {}: {reason}", case.op, case.code),
                "{line}"
            );
        } else {
            assert!(
                line.contains(&format!(" {} {}: {reason} ", case.op, case.code)),
                "{line}"
            );
        }

        // The embedded simulator says the same.
        if !json {
            let embedded = embedded_run(case, embedded_args);
            assert_eq!(reason_line(&embedded), Some(reason), "{embedded}");
        }
    }
}

/// The case against the embedded simulator: plain `ecapi call`, or its script under `ecapi run`.
fn embedded_run(case: &Case, embedded_args: &[&str]) -> String {
    match case.embedded {
        None => call(case.op, case.params, embedded_args),
        Some(script) => run_script(script, embedded_args),
    }
}

/// `ecapi run` of a script with backend options: its standard output (it must pass).
fn run_script(script: &str, backend: &[&str]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("case.rhai");
    std::fs::write(&path, script).unwrap();
    let out = Command::new(BIN)
        .arg("run")
        .arg(&path)
        .args(backend)
        .env_remove("ECAPI_ENDPOINT")
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    String::from_utf8(out.stdout).unwrap()
}

const HOSTED: &[Case] = &[
    Case {
        op: "InitStation",
        params: &["Extension="],
        code: 659,
        says: "Extension is empty",
        embedded: None,
        served_setup: None,
    },
    Case {
        op: "AssignField",
        params: &["Unit=1", "Port=1", "fieldName=", "fieldValue=x"],
        code: 652,
        says: "fieldName is empty",
        embedded: None,
        served_setup: None,
    },
    Case {
        op: "LogEvent",
        params: &["Unit=1", "Port=1", "eventTimestamp=2026-01-15T10:00:00"],
        code: 657,
        says: "eventType is empty",
        embedded: None,
        served_setup: None,
    },
    Case {
        op: "LogEvent",
        params: &["Unit=1", "Port=1", "eventType=Transfer"],
        code: 653,
        says: "eventTimestamp is empty",
        embedded: None,
        served_setup: None,
    },
    Case {
        op: "PortStatus",
        params: &["Unit=2", "Port=1"],
        code: 606,
        says: "Unit `2` is not a unit here",
        embedded: None,
        served_setup: None,
    },
    Case {
        op: "PortStatus",
        params: &["Unit=1", "Port=999"],
        code: 611,
        says: "Port `999` is not a port of unit 1",
        embedded: None,
        served_setup: None,
    },
    Case {
        op: "StopRecording",
        params: &["Unit=1", "Port=5"],
        code: 608,
        says: "port 5 is NOT RECORDING",
        embedded: None,
        served_setup: None,
    },
    Case {
        op: "StartRecording",
        params: &["Unit=1", "Port=6", "maxRecordingTimeInSeconds=-5"],
        code: 653,
        says: "cannot be negative",
        embedded: None,
        served_setup: None,
    },
    // Every port handed out for the day: the 289th station is refused with 660.
    Case {
        op: "InitStation",
        params: &["Extension=9999"],
        code: 660,
        says: "all 288 ports are taken for today",
        embedded: Some(
            "for n in 0..288 { init_station(`${1000 + n}`); }\n\
             print(\"reason: \" + init_station(\"9999\").reason);",
        ),
        served_setup: Some("for n in 0..288 { init_station(`${1000 + n}`); }"),
    },
    // A fault injected with sim_fault (through the control interface when served).
    Case {
        op: "PortStatus",
        params: &["Unit=1", "Port=1"],
        code: 651,
        says: "injected fault: PortStatus answers 651",
        embedded: Some(
            "sim_fault(\"PortStatus\", 651, 1);\n\
             print(\"reason: \" + port_status(1, 1).reason);",
        ),
        served_setup: Some("sim_fault(\"PortStatus\", 651, 1);"),
    },
];

#[test]
fn every_hosted_refusal_is_explained_in_the_log_line_and_plain_call_output() {
    check(&[], &[], false, HOSTED);
}

#[test]
fn every_hosted_refusal_is_explained_in_the_json_log_line() {
    check(&[], &[], true, HOSTED);
}

fn recorder_config() -> String {
    format!("{}/examples/recorder.toml", env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn every_recorder_refusal_is_explained_in_the_log_line_and_plain_call_output() {
    let config = recorder_config();
    let args = ["--config", config.as_str()];
    let cases = [
        Case {
            op: "InitStation",
            params: &["Extension=9999"],
            code: 660,
            says: "no user in the directory has extension `9999`",
            embedded: None,
            served_setup: None,
        },
        Case {
            op: "InitStation",
            params: &["Extension=2999"],
            code: 661,
            says: "extension `2999` is recorded on 2 ports",
            embedded: None,
            served_setup: None,
        },
        Case {
            op: "InitUser",
            params: &["User=CORP\\nobody", "Machine=WS-1"],
            code: 655,
            says: "no user in the directory has login ID `CORP\\nobody`",
            embedded: None,
            served_setup: None,
        },
        Case {
            op: "PortStatus",
            params: &["Unit=9", "Port=1"],
            code: 606,
            says: "Unit `9` is not configured",
            embedded: None,
            served_setup: None,
        },
        Case {
            op: "PortStatus",
            params: &["Unit=2", "Port=9"],
            code: 611,
            says: "Port `9` is not a port of unit 2",
            embedded: None,
            served_setup: None,
        },
        Case {
            op: "DesktopPause",
            params: &["User=CORP\\bjones"],
            code: 663,
            says: "user `CORP\\bjones`",
            embedded: None,
            served_setup: None,
        },
        Case {
            op: "DesktopResume",
            params: &["User=CORP\\asmith"],
            code: 665,
            says: "DesktopResume needs NOT RECORDING",
            embedded: None,
            served_setup: None,
        },
        Case {
            op: "StopRecording",
            params: &["Unit=1", "Port=3"],
            code: 616,
            says: "unit 1 port 3 is NOT RECORDING",
            embedded: None,
            served_setup: None,
        },
        // Six licences: the seventh recording is refused.
        Case {
            op: "StartRecording",
            params: &["Unit=1", "Port=1"],
            code: 100,
            says: "",
            embedded: None,
            served_setup: None,
        },
        Case {
            op: "StartRecording",
            params: &["Unit=1", "Port=2"],
            code: 100,
            says: "",
            embedded: None,
            served_setup: None,
        },
        Case {
            op: "StartRecording",
            params: &["Unit=1", "Port=3"],
            code: 100,
            says: "",
            embedded: None,
            served_setup: None,
        },
        Case {
            op: "StartRecording",
            params: &["Unit=1", "Port=4"],
            code: 100,
            says: "",
            embedded: None,
            served_setup: None,
        },
        Case {
            op: "StartRecording",
            params: &["Unit=1", "Port=5"],
            code: 100,
            says: "",
            embedded: None,
            served_setup: None,
        },
        Case {
            op: "StartRecording",
            params: &["Unit=1", "Port=6"],
            code: 100,
            says: "",
            embedded: None,
            served_setup: None,
        },
        Case {
            op: "StartRecording",
            params: &["Unit=1", "Port=7"],
            code: 618,
            says: "all 6 licences are in use",
            embedded: Some(
                "for port in 1..=6 { start_recording(1, port); }\n\
                 print(\"reason: \" + start_recording(1, 7).reason);",
            ),
            served_setup: None,
        },
        Case {
            op: "AssignField",
            params: &["Unit=1", "Port=1", "fieldName=fldNope", "fieldValue=x"],
            code: 653,
            says: "column `fldNope` is not configured",
            embedded: Some(
                "start_recording(1, 1);\n\
                 print(\"reason: \" + assign_field(1, 1, \"fldNope\", \"x\").reason);",
            ),
            served_setup: None,
        },
        Case {
            op: "AssignField",
            params: &[
                "Unit=1",
                "Port=1",
                "fieldName=fldAccountingNum",
                "fieldValue=abc",
            ],
            code: 653,
            says: "fldAccountingNum refuses the value",
            embedded: Some(
                "start_recording(1, 1);\n\
                 print(\"reason: \" + assign_field(1, 1, \"fldAccountingNum\", \"abc\").reason);",
            ),
            served_setup: None,
        },
    ];
    check(&args, &args, false, &cases);
}
