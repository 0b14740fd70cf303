//! Helpers for the recorder profile's integration tests: a simulator on a virtual clock, requests
//! built from wire names, and short answers.
#![allow(dead_code)]

use chrono::NaiveDateTime;
use ecapi::api::{ApiVersion, Operation, Request, Response};
use ecapi::simulator::{Clock, DbLocation, RecorderConfig, Settings, Simulator};

/// The virtual clock's start: a Monday morning.
pub fn start_time() -> NaiveDateTime {
    NaiveDateTime::parse_from_str("2026-11-23 09:00:00", "%Y-%m-%d %H:%M:%S").unwrap()
}

/// Settings with a virtual clock at `start_time()`.
pub fn settings(api: ApiVersion) -> Settings {
    Settings {
        api,
        clock: Clock::starting_at(start_time()),
        url_base: None,
    }
}

/// A recorder configured by a TOML text, with an in-memory database.
pub fn recorder(toml: &str) -> Simulator {
    recorder_api(toml, ApiVersion::V7_1)
}

/// The same under a chosen API version.
pub fn recorder_api(toml: &str, api: ApiVersion) -> Simulator {
    let config = RecorderConfig::from_toml(toml).expect("a valid configuration");
    Simulator::recorder(settings(api), config, DbLocation::Memory).expect("a simulator")
}

/// A small site: unit 1 ports 1-4, two licences unless told, a URL player, users.
pub const SITE: &str = r#"
licences = 2
max_recording_seconds = 600
url_player = "https://encore.example.com"

[[unit]]
id = 1
ports = "1-4"

[[user]]
extension = "100"
login = 'CORP\Smith'
unit = 1
port = 1
desktop = true

[[user]]
extension = "200"
login = "jones"
unit = 1
port = 2

[[user]]
extension = "300"
login = "hotdesk"
unit = 1
port = 3

[[user]]
extension = "300"
login = "HOTDESK"
unit = 1
port = 4
"#;

/// Sends a request given as wire names and values.
pub fn call(sim: &mut Simulator, op: Operation, params: &[(&str, &str)]) -> Response {
    let mut req = Request::new(op);
    for (name, value) in params {
        req.set_by_name(name, value)
            .expect("a parameter of the operation");
    }
    sim.handle(&req)
        .expect("a request the version knows")
        .response
}

/// The code of a request on unit and port.
pub fn on(sim: &mut Simulator, op: Operation, unit: &str, port: &str) -> u16 {
    call(sim, op, &[("Unit", unit), ("Port", port)]).code
}

/// StartRecording with a maximum time.
pub fn start_max(sim: &mut Simulator, port: &str, max: i64) -> u16 {
    call(
        sim,
        Operation::StartRecording,
        &[
            ("Unit", "1"),
            ("Port", port),
            ("maxRecordingTimeInSeconds", &max.to_string()),
        ],
    )
    .code
}

/// PortStatus's state text on unit 1.
pub fn status(sim: &mut Simulator, port: &str) -> String {
    let r = call(sim, Operation::PortStatus, &[("Unit", "1"), ("Port", port)]);
    r.status
        .map(|s| s.to_string())
        .unwrap_or_else(|| format!("code {}", r.code))
}

/// PortStatusEX's stateDuration on unit 1.
pub fn duration(sim: &mut Simulator, port: &str) -> i64 {
    call(
        sim,
        Operation::PortStatusEx,
        &[("Unit", "1"), ("Port", port)],
    )
    .duration
    .expect("a duration")
}

/// AssignField on unit 1.
pub fn assign(sim: &mut Simulator, port: &str, name: &str, value: &str) -> u16 {
    call(
        sim,
        Operation::AssignField,
        &[
            ("Unit", "1"),
            ("Port", port),
            ("fieldName", name),
            ("fieldValue", value),
        ],
    )
    .code
}

/// GetField's answer on unit 1.
pub fn field(sim: &mut Simulator, port: &str, name: &str) -> Response {
    call(
        sim,
        Operation::GetField,
        &[("Unit", "1"), ("Port", port), ("fieldName", name)],
    )
}

/// The journal's reason for the last answer.
pub fn last_reason(sim: &Simulator) -> String {
    sim.journal()
        .last()
        .map(|e| e.reason.clone())
        .unwrap_or_default()
}
