//! The example configuration works as the README shows it: `ecapi serve --profile recorder
//! --config examples/recorder.toml` hands out GetURL links that open on that server, and the
//! configuration answers the same codes embedded and served.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_ecapi");

fn example() -> String {
    format!("{}/examples/recorder.toml", env!("CARGO_MANIFEST_DIR"))
}

/// `ecapi serve` as the README runs it (on a free port), and its endpoint URL.
struct Served(Child, String);

impl Served {
    fn start() -> Served {
        let config = example();
        let mut child = Command::new(BIN)
            .args(["serve", "--listen", "127.0.0.1:0", "--profile", "recorder"])
            .args(["--config", &config, "--quiet"])
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut out = BufReader::new(child.stdout.take().unwrap()).lines();
        let first = out.next().unwrap().unwrap();
        let url = first
            .split_whitespace()
            .find(|w| w.starts_with("http://"))
            .unwrap()
            .to_string();
        std::thread::spawn(move || for _ in out {});
        Served(child, url)
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn call_json(url: &str, op: &str, params: &[&str]) -> serde_json::Value {
    let out = Command::new(BIN)
        .args(["call", op])
        .args(params)
        .args(["--json", "--endpoint", url])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn the_readme_serve_command_hands_out_player_links_that_open_on_that_server() {
    let served = Served::start();
    let url = &served.1;
    let station = call_json(url, "InitStation", &["Extension=2001"]);
    assert_eq!(station["code"], 100);
    assert_eq!(
        call_json(url, "StartRecording", &["Unit=1", "Port=1"])["code"],
        100
    );
    assert_eq!(
        call_json(
            url,
            "AssignField",
            &[
                "Unit=1",
                "Port=1",
                "fieldName=fldCustomerAccountNum",
                "fieldValue=ACC-778812"
            ]
        )["code"],
        100
    );
    let link = call_json(url, "GetURL", &["Unit=1", "Port=1"]);
    assert_eq!(link["code"], 100);
    let link = link["url"].as_str().unwrap();
    // The configuration names https://encore.example.com, but served the link must open here.
    let origin = url.trim_end_matches("/WebAPI/ECAPI.svc");
    assert!(
        link.starts_with(&format!("{origin}/encore/urlplayer.aspx?fldCallIndex=")),
        "{link}"
    );
    let page = reqwest::blocking::get(link).unwrap();
    assert_eq!(page.status().as_u16(), 200);
    let page = page.text().unwrap();
    assert!(page.contains("<tr><th>Port</th><td>1</td></tr>"), "{page}");
    assert!(page.contains("ACC-778812"), "{page}");
}

/// A flow over the example configuration's directory, columns, desktops and licences that prints
/// each code.
const FLOW: &str = r#"
let codes = [];
codes.push(init_station("2001").code);
codes.push(init_station("9999").code);
codes.push(init_station("2999").code);
codes.push(init_user(`CORP\bjones`, "WS-2").code);
codes.push(start_recording(1, 1).code);
codes.push(assign_field(1, 1, "fldCustomerAccountNum", "ACC-1").code);
codes.push(assign_field(1, 1, "fldAccountingNum", "abc").code);
codes.push(assign_field(1, 1, "fldNope", "x").code);
codes.push(get_url(1, 1).code);
codes.push(pause_recording(1, 1).code);
codes.push(stop_recording(1, 1).code);
codes.push(stop_recording(1, 1).code);
codes.push(desktop_pause(`CORP\bjones`).code);
codes.push(desktop_pause(`CORP\asmith`).code);
codes.push(desktop_resume(`CORP\asmith`).code);
for port in 1..=7 { codes.push(start_recording(1, port).code); }
codes.push(port_status(2, 9).code);
codes.push(port_status(9, 1).code);
print(codes);
"#;

#[test]
fn the_example_configuration_answers_the_same_codes_embedded_and_served() {
    let dir = tempfile::tempdir().unwrap();
    let flow = dir.path().join("flow.rhai");
    std::fs::write(&flow, FLOW).unwrap();
    let config = example();
    let run = |backend: &[&str]| {
        let out = Command::new(BIN)
            .arg("run")
            .arg(&flow)
            .args(backend)
            .env_remove("ECAPI_ENDPOINT")
            .output()
            .unwrap();
        assert!(out.status.success(), "{out:?}");
        String::from_utf8(out.stdout).unwrap()
    };
    let embedded = run(&["--profile", "recorder", "--config", &config]);
    let served = Served::start();
    let over_soap = run(&["--endpoint", &served.1]);
    assert_eq!(
        embedded.trim(),
        "[100, 660, 661, 100, 100, 100, 653, 653, 100, 100, 100, 616, 663, 100, 100, \
         100, 100, 100, 100, 100, 100, 618, 611, 606]"
    );
    assert_eq!(over_soap, embedded);

    // The example call flows that use the configuration pass served as they pass embedded
    // (`ecapi test` gives each a session of its own on the server).
    let scripts: Vec<String> = [
        "recorder_down",
        "recorder_hold",
        "recorder_licences",
        "recorder_max_time",
        "recorder_rejected_field",
    ]
    .iter()
    .map(|s| format!("{}/scripts/{s}.rhai", env!("CARGO_MANIFEST_DIR")))
    .collect();
    let out = Command::new(BIN)
        .arg("test")
        .args(&scripts)
        .args(["--endpoint", &served.1])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}");
    assert!(
        stdout.trim_end().ends_with("5 passed, 0 failed"),
        "{stdout}"
    );
}
