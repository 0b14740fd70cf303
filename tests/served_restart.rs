//! A served recorder killed with SIGKILL and started again on the same database file still has
//! every recording, event and port assignment it acknowledged, and never hands out an index twice.

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

use ecapi::api::{ApiVersion, Operation, Request, Response};
use ecapi::client::{Http, HttpOptions, Transport};
use ecapi::simulator::{DbLocation, Query, RecorderConfig, Settings, Simulator};

const BIN: &str = env!("CARGO_BIN_EXE_ecapi");

const SITE: &str = r#"
licences = 4

[[unit]]
id = 1
ports = "1-4"

[[user]]
extension = "100"
login = "smith"
unit = 1
port = 1

[[user]]
extension = "200"
login = "jones"
unit = 1
port = 2
"#;

/// `ecapi serve` as a child process, killed when dropped.
struct Served {
    child: Child,
    url: String,
}

impl Served {
    /// Starts the binary on a free port and waits for the endpoint it prints.
    fn start(config: &Path, db: &Path) -> Served {
        let mut child = Command::new(BIN)
            .args([
                "serve",
                "--profile",
                "recorder",
                "--listen",
                "127.0.0.1:0",
                "--quiet",
            ])
            .arg("--config")
            .arg(config)
            .arg("--db")
            .arg(db)
            .stdout(Stdio::piped())
            .spawn()
            .expect("the binary starts");
        let mut first = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut first)
            .expect("the server prints its endpoint");
        let url = first
            .split_whitespace()
            .find(|w| w.starts_with("http://"))
            .unwrap_or_else(|| panic!("no endpoint in {first:?}"))
            .to_string();
        Served { child, url }
    }

    fn client(&self) -> Http {
        Http::connect(HttpOptions::new(&self.url)).expect("the client connects")
    }

    /// SIGKILL: no shutdown, no flush, nothing but what was committed.
    fn kill(mut self) {
        self.child.kill().expect("the server is killed");
        self.child.wait().expect("the server is reaped");
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn call(http: &mut Http, op: Operation, params: &[(&str, &str)]) -> Response {
    let mut req = Request::new(op);
    for (name, value) in params {
        req.set_by_name(name, value).expect("a parameter");
    }
    http.call(&req).expect("an answer").response
}

fn ok(http: &mut Http, op: Operation, params: &[(&str, &str)]) -> Response {
    let response = call(http, op, params);
    assert_eq!(response.code, 100, "{op} {params:?}: {response:?}");
    response
}

/// Records one call on a port with a campaign field and an event; answers its call index.
fn record(http: &mut Http, port: &str, campaign: &str, event: &str) -> String {
    let at = [("Unit", "1"), ("Port", port)];
    ok(
        http,
        Operation::StartRecording,
        &[
            ("Unit", "1"),
            ("Port", port),
            ("maxRecordingTimeInSeconds", "0"),
        ],
    );
    let url = ok(http, Operation::GetUrl, &at).url().unwrap().to_string();
    let index = url
        .split_once("fldCallIndex=")
        .and_then(|(_, rest)| rest.split('&').next())
        .expect("an index in the link")
        .to_string();
    ok(
        http,
        Operation::AssignField,
        &[
            ("Unit", "1"),
            ("Port", port),
            ("fieldName", "fldCampaign"),
            ("fieldValue", campaign),
        ],
    );
    ok(
        http,
        Operation::LogEvent,
        &[
            ("Unit", "1"),
            ("Port", port),
            ("eventType", event),
            ("eventTimestamp", "2026-11-23T10:00:00"),
        ],
    );
    ok(http, Operation::StopRecording, &at);
    index
}

#[test]
fn a_recorder_killed_with_sigkill_keeps_every_acknowledged_recording_event_and_assignment() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("site.toml");
    std::fs::write(&config, SITE).unwrap();
    let db = dir.path().join("recorder.db");

    let served = Served::start(&config, &db);
    let mut http = served.client();
    assert_eq!(
        ok(&mut http, Operation::InitStation, &[("Extension", "100")]).port(),
        Some("1")
    );
    assert_eq!(
        ok(&mut http, Operation::InitStation, &[("Extension", "200")]).port(),
        Some("2")
    );
    let mut acknowledged = Vec::new();
    for round in 0..3 {
        acknowledged.push((
            record(&mut http, "1", &format!("A{round}"), &format!("a{round}")),
            1,
            format!("A{round}"),
        ));
        acknowledged.push((
            record(&mut http, "2", &format!("B{round}"), &format!("b{round}")),
            2,
            format!("B{round}"),
        ));
    }
    ok(
        &mut http,
        Operation::LogEvent,
        &[
            ("eventType", "alone"),
            ("eventTimestamp", "2026-11-23T10:00:00"),
        ],
    );
    // A recording still running is not acknowledged as kept; it must not disturb what is.
    ok(
        &mut http,
        Operation::StartRecording,
        &[
            ("Unit", "1"),
            ("Port", "3"),
            ("maxRecordingTimeInSeconds", "0"),
        ],
    );
    served.kill();

    let served = Served::start(&config, &db);
    let mut http = served.client();
    let recordings = http.control().unwrap().recordings(&Query::all()).unwrap();
    let kept: Vec<(String, u64, String)> = recordings
        .iter()
        .map(|r| {
            (
                r["index"].as_str().unwrap().to_string(),
                r["port"].as_str().unwrap().parse::<u64>().unwrap(),
                r["fields"][0][1].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    assert_eq!(kept, acknowledged, "{recordings:#?}");
    for r in &recordings {
        assert!(r["stopped"].is_string(), "{r}");
        assert_eq!(r["states"][0]["state"], "RECORD", "{r}");
    }

    let events = http.control().unwrap().events(&Query::all()).unwrap();
    let logged: Vec<(&str, Option<&str>)> = events
        .iter()
        .map(|e| (e["type"].as_str().unwrap(), e["recording"].as_str()))
        .collect();
    let mut expected: Vec<(&str, Option<&str>)> = Vec::new();
    let names: Vec<String> = (0..3)
        .flat_map(|r| [format!("a{r}"), format!("b{r}")])
        .collect();
    for (name, (index, _, _)) in names.iter().zip(&acknowledged) {
        expected.push((name, Some(index)));
    }
    expected.push(("alone", None));
    assert_eq!(logged, expected);

    // The day's assignments hold, and no index is handed out again.
    assert_eq!(
        ok(&mut http, Operation::InitStation, &[("Extension", "100")]).port(),
        Some("1")
    );
    let fresh = record(&mut http, "4", "C", "c");
    let mut all: BTreeSet<String> = acknowledged.iter().map(|(i, _, _)| i.clone()).collect();
    assert!(
        all.insert(fresh.clone()),
        "{fresh} was handed out before the restart"
    );
    served.kill();

    let sim = Simulator::recorder(
        Settings {
            api: ApiVersion::V7_1,
            ..Settings::default()
        },
        RecorderConfig::from_toml(SITE).unwrap(),
        DbLocation::File(db.clone()),
    )
    .expect("the database opens");
    let assignments = sim.assignments().unwrap();
    // InitStation after the restart adds a row only when midnight fell in between: the first
    // day's rows are the ones acknowledged before the kill.
    let first_day = assignments[0].day.clone();
    let assignments: Vec<(String, String, u32)> = assignments
        .into_iter()
        .filter(|a| a.day == first_day)
        .map(|a| (a.op, a.key, a.port))
        .collect();
    assert_eq!(
        assignments,
        [
            ("InitStation".to_string(), "100".to_string(), 1),
            ("InitStation".to_string(), "200".to_string(), 2),
        ]
    );
}
