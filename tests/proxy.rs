//! `ecapi proxy` in process, with an in-process `ecapi serve` as its upstream: forwarding unchanged,
//! failures passed through as such, the WSDL's addresses, the record and its redaction, fault
//! injection, shadow comparison, replay and script generation.

mod common;

use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use ecapi::api::{ApiVersion, Operation, Param, Request};
use ecapi::client::{Embedded, Http, HttpOptions, SimControl, Transport, WireFault};
use ecapi::proxy::compare::Comparison;
use ecapi::proxy::record::{self, Record};
use ecapi::proxy::replay::{replay, Verdict};
use ecapi::proxy::{self, ProxyOptions, ShadowTarget};
use ecapi::server::{ServeOptions, SessionOptions};
use ecapi::simulator::{ClockMode, DbLocation, RecorderConfig, Settings, Simulator};
use ecapi::soap::{encode_request, Names, OperationShape};

fn proxy_to(upstream: &str, record: Option<&Path>) -> proxy::Running {
    let mut options = ProxyOptions::new("127.0.0.1:0", upstream);
    options.record = record.map(Path::to_path_buf);
    proxy::start(options).expect("the proxy starts")
}

/// A request's envelope and SOAPAction, as a client under the default contract sends them.
fn envelope(request: &Request) -> (String, String) {
    let shape = OperationShape::default_for(request.op(), ApiVersion::V7_1, &Names::default());
    (
        encode_request(request, &shape),
        format!("\"{}\"", shape.action),
    )
}

/// POSTs raw bytes; returns status, content type and body, or the transport error's text.
fn post(url: &str, action: &str, body: &str) -> Result<(u16, String, String), String> {
    let client = reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(20))
        .build()
        .unwrap();
    let response = client
        .post(url)
        .header("Content-Type", "text/xml; charset=utf-8")
        .header("SOAPAction", action)
        .body(body.to_string())
        .send()
        .map_err(|e| format!("{e:?}"))?;
    let status = response.status().as_u16();
    let ct = response
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    let body = response.text().map_err(|e| format!("{e:?}"))?;
    Ok((status, ct, body))
}

fn unit_port(op: Operation, unit: &str, port: &str) -> Request {
    Request::new(op)
        .with(Param::Unit, unit)
        .with(Param::Port, port)
}

fn flow() -> Vec<Request> {
    vec![
        Request::new(Operation::InitStation).with(Param::Extension, "1234"),
        unit_port(Operation::StartRecording, "1", "1").with(Param::MaxRecordingTime, "600"),
        unit_port(Operation::AssignField, "1", "1")
            .with(Param::FieldName, "fldClientID")
            .with(Param::FieldValue, "A&B <Renée>"),
        unit_port(Operation::PortStatusEx, "1", "1"),
        unit_port(Operation::GetUrl, "1", "1"),
        unit_port(Operation::PauseRecording, "1", "1"),
        unit_port(Operation::StopRecording, "1", "1"),
        Request::new(Operation::InitStation).with(Param::Extension, ""),
    ]
}

#[test]
fn every_request_and_answer_pass_through_byte_for_byte_and_are_recorded() {
    let dir = tempfile::tempdir().unwrap();
    let rec = dir.path().join("rec.jsonl");
    let behind = common::serve(ApiVersion::V7_1);
    let direct = common::serve(ApiVersion::V7_1);
    let proxy = proxy_to(&behind.url(), Some(&rec));
    for request in flow() {
        let (body, action) = envelope(&request);
        let through = post(&proxy.url(), &action, &body).unwrap();
        let straight = post(&direct.url(), &action, &body).unwrap();
        assert_eq!(through, straight, "{}", request.op());
    }
    // A request the service refuses passes through as refused.
    let refused = post(&proxy.url(), "\"http://tempuri.org/IECAPI/Nope\"", "<x/>").unwrap();
    assert_eq!(
        refused,
        post(&direct.url(), "\"http://tempuri.org/IECAPI/Nope\"", "<x/>").unwrap()
    );
    let records = record::read(&rec).unwrap().records;
    assert_eq!(records.len(), flow().len() + 1);
    for (r, request) in records.iter().zip(flow()) {
        assert_eq!(r.op(), Some(request.op()));
        assert_eq!(
            r.request,
            envelope(&request).0,
            "the envelope as it travelled"
        );
        assert!(r.response.as_deref().unwrap().contains("responseCode"));
        assert_eq!(r.outcome, "answered");
        assert_eq!(r.status, Some(200));
    }
    assert_eq!(records[0].fields.get("Port").map(String::as_str), Some("1"));
    assert_eq!(
        records[6].code,
        Some(608),
        "Stop from PAUSE on the hosted profile"
    );
    assert_eq!(
        records[6].message.as_deref(),
        Some("Warning: Port was not recording")
    );
    assert_eq!(
        records[2].parameters.get("fieldValue").map(String::as_str),
        Some("A&B <Renée>")
    );
    assert_eq!(records[7].code, Some(659));
    let last = records.last().unwrap();
    assert_eq!(last.operation, None);
    // Not a SOAP envelope: HTTP 400 with an empty body, as WCF answers.
    assert_eq!(last.outcome, "http");
    assert_eq!(last.status, Some(400));
    assert_eq!(last.request, "<x/>");
    assert!(!last.notes.is_empty(), "the reader says why");
    // The served simulator saw exactly what the client sent.
    let journal = behind.simulator().lock().unwrap().journal().unwrap();
    let ops: Vec<&str> = journal.iter().map(|e| e["op"].as_str().unwrap()).collect();
    let sent: Vec<&str> = flow().iter().map(|r| r.op().name()).collect();
    assert_eq!(ops, sent);
    for (entry, request) in journal.iter().zip(flow()) {
        let given: Vec<serde_json::Value> = request
            .params(ApiVersion::V7_1)
            .filter(|(_, v)| !v.is_empty())
            .map(|(p, v)| serde_json::json!([p.wire_name(ApiVersion::V7_1), v]))
            .collect();
        assert_eq!(entry["params"], serde_json::Value::Array(given));
    }
    assert_eq!(journal[2]["params"][3][1], "A&B <Renée>");
}

#[test]
fn many_clients_at_once_each_get_their_own_answer() {
    let behind = common::serve(ApiVersion::V7_1);
    let proxy = proxy_to(&behind.url(), None);
    let url = proxy.url();
    let handles: Vec<_> = (0..8)
        .map(|i| {
            let url = url.clone();
            std::thread::spawn(move || {
                let mut http = Http::connect(HttpOptions::new(url)).unwrap();
                for _ in 0..10 {
                    let ext = format!("{}", 5000 + i);
                    let r = http
                        .call(&Request::new(Operation::InitStation).with(Param::Extension, ext))
                        .unwrap();
                    assert_eq!(r.response.code, 100);
                }
                let r = http
                    .call(
                        &Request::new(Operation::InitStation)
                            .with(Param::Extension, format!("{}", 5000 + i)),
                    )
                    .unwrap();
                r.response.port().unwrap().to_string()
            })
        })
        .collect();
    let mut ports: Vec<String> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    ports.sort();
    ports.dedup();
    assert_eq!(
        ports.len(),
        8,
        "each extension kept its own port: {ports:?}"
    );
    assert_eq!(proxy.stop().exchanges, 88);
}

#[test]
fn a_dropped_connection_reaches_the_client_dropped_and_a_fault_as_the_fault() {
    let dir = tempfile::tempdir().unwrap();
    let rec = dir.path().join("rec.jsonl");
    let behind = common::serve(ApiVersion::V7_1);
    let proxy = proxy_to(&behind.url(), Some(&rec));
    let mut control = Http::connect(HttpOptions::new(behind.url())).unwrap();
    let control = control.control().unwrap();
    control
        .wire_fault(Some(Operation::PortStatus), WireFault::Drop, Some(1))
        .unwrap();
    control
        .wire_fault(Some(Operation::GetUrl), WireFault::SoapFault, Some(1))
        .unwrap();
    let (body, action) = envelope(&unit_port(Operation::PortStatus, "1", "1"));
    let dropped = post(&proxy.url(), &action, &body).unwrap_err();
    assert!(
        dropped.contains("IncompleteMessage") || dropped.contains("closed"),
        "{dropped}"
    );
    let (body, action) = envelope(&unit_port(Operation::GetUrl, "1", "1"));
    let (status, _, fault) = post(&proxy.url(), &action, &body).unwrap();
    assert_eq!(status, 500);
    assert!(fault.contains("a:InternalServiceFault"), "{fault}");
    let records = record::read(&rec).unwrap().records;
    assert_eq!(records[0].outcome, "dropped");
    assert_eq!(records[0].status, None);
    assert_eq!(records[0].response, None);
    assert_eq!(records[1].outcome, "fault");
    assert_eq!(
        records[1].fault.as_ref().unwrap().code,
        "a:InternalServiceFault"
    );
    assert_eq!(records[1].response.as_deref(), Some(fault.as_str()));
}

#[test]
fn a_silent_upstream_gives_504_after_the_time_out_and_an_absent_one_502() {
    // An upstream that accepts connections and never answers.
    let silent = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = silent.local_addr().unwrap();
    let keep = std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in silent.incoming().take(1) {
            held.push(stream);
            std::thread::sleep(Duration::from_secs(3));
        }
    });
    let mut options = ProxyOptions::new("127.0.0.1:0", format!("http://{addr}/WebAPI/ECAPI.svc"));
    options.timeout = Duration::from_millis(300);
    let proxy = proxy::start(options).unwrap();
    let (body, action) = envelope(&unit_port(Operation::PortStatus, "1", "1"));
    let (status, _, text) = post(&proxy.url(), &action, &body).unwrap();
    assert_eq!(status, 504, "{text}");
    assert!(
        text.contains("no answer from the upstream within 0.3 s"),
        "{text}"
    );
    drop(proxy);
    let _ = keep.join();

    let gone = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let proxy = proxy_to(&format!("http://{gone}/WebAPI/ECAPI.svc"), None);
    let (status, _, text) = post(&proxy.url(), &action, &body).unwrap();
    assert_eq!(status, 502);
    assert!(
        text.starts_with("ecapi proxy: cannot reach the upstream"),
        "{text}"
    );
}

#[test]
fn the_wsdl_through_the_proxy_names_the_proxy_and_a_client_works_from_it() {
    let behind = common::serve(ApiVersion::V7_1);
    let proxy = proxy_to(&behind.url(), None);
    let wsdl = reqwest::blocking::get(format!("{}?wsdl", proxy.url()))
        .unwrap()
        .text()
        .unwrap();
    assert!(
        wsdl.contains(&format!("location=\"{}\"", proxy.url())),
        "{wsdl}"
    );
    assert!(!wsdl.contains(&behind.addr().to_string()));
    // WCF's ?wsdl imports its schemas by address: those point at the proxy too, and so does the
    // message schema's import of the result schema.
    assert!(
        wsdl.contains(&format!("schemaLocation=\"{}?xsd=xsd0\"", proxy.url())),
        "{wsdl}"
    );
    for query in ["xsd=xsd0", "singleWsdl"] {
        let doc = reqwest::blocking::get(format!("{}?{query}", proxy.url()))
            .unwrap()
            .text()
            .unwrap();
        assert!(doc.contains("InitStation"), "{query}: {doc}");
        assert!(!doc.contains(&behind.addr().to_string()), "{query}: {doc}");
    }
    let mut http = Http::connect(HttpOptions::new(proxy.url())).unwrap();
    let r = http
        .call(&Request::new(Operation::InitStation).with(Param::Extension, "1"))
        .unwrap();
    assert_eq!(r.response.code, 100);
}

#[test]
fn redacted_values_and_credentials_never_reach_the_record() {
    let dir = tempfile::tempdir().unwrap();
    let rec = dir.path().join("rec.jsonl");
    let behind = common::serve(ApiVersion::V7_1);
    let upstream = behind
        .url()
        .replace("http://", "http://crm-user:Sup3rSecret@");
    let mut options = ProxyOptions::new("127.0.0.1:0", upstream);
    options.record = Some(rec.clone());
    options.redact = vec!["fieldvalue".into(), "User".into()];
    let proxy = proxy::start(options).unwrap();
    let mut http = Http::connect(HttpOptions::new(proxy.url())).unwrap();
    for request in [
        unit_port(Operation::StartRecording, "1", "2"),
        unit_port(Operation::AssignField, "1", "2")
            .with(Param::FieldName, "fldClientID")
            .with(Param::FieldValue, "4111-1111"),
        unit_port(Operation::GetField, "1", "2").with(Param::FieldName, "fldClientID"),
        Request::new(Operation::InitUser)
            .with(Param::User, "CORP\\jsmith")
            .with(Param::Machine, "WS-9"),
    ] {
        assert_eq!(http.call(&request).unwrap().response.code, 100);
    }
    drop(proxy);
    let text = std::fs::read_to_string(&rec).unwrap();
    for secret in ["4111-1111", "jsmith", "Sup3rSecret", "crm-user", "123<"] {
        assert!(!text.contains(secret), "{secret} in {text}");
    }
    let records = record::read(&rec).unwrap().records;
    assert_eq!(records[1].parameters["fieldValue"], "[redacted]");
    assert_eq!(records[1].parameters["fieldName"], "fldClientID");
    assert!(records[1]
        .request
        .contains("<fieldValue>[redacted]</fieldValue>"));
    assert_eq!(records[2].fields["fieldValue"], "[redacted]");
    assert!(records[2]
        .response
        .as_deref()
        .unwrap()
        .contains("<a:fieldValue>[redacted]</a:fieldValue>"));
    assert_eq!(records[3].parameters["User"], "[redacted]");
    assert_eq!(records[3].parameters["Machine"], "WS-9");

    // A redacted recording still becomes a regression check: a withheld value is neither
    // compared by replay nor asserted by the script (GetField answered `123` here and does again).
    let mut fresh = Embedded::new(Simulator::hosted(Settings::default()));
    let results = replay(&records, &mut fresh);
    assert!(
        results.iter().all(|r| r.verdict == Verdict::Passed),
        "{results:#?}"
    );
    let flow = ecapi::proxy::script_gen::script(&records, "rec.jsonl");
    assert!(
        !flow.contains("assert_eq(r.value, \"[redacted]\")"),
        "{flow}"
    );
}

#[test]
fn injected_faults_carry_the_exact_message_and_never_reach_the_upstream() {
    let behind = common::serve(ApiVersion::V7_1);
    let mut options = ProxyOptions::new("127.0.0.1:0", behind.url());
    options.faults = vec!["StartRecording=618".parse().unwrap()];
    options.delays = vec!["PortStatus=150".parse().unwrap()];
    let proxy = proxy::start(options).unwrap();
    let mut http = Http::connect(HttpOptions::new(proxy.url())).unwrap();
    let r = http
        .call(&unit_port(Operation::StartRecording, "1", "3"))
        .unwrap();
    assert_eq!(r.response.code, 618);
    assert_eq!(
        r.response.message,
        ecapi::api::ResponseCode::from_code(618).unwrap().message()
    );
    let r = http
        .call(&unit_port(Operation::PortStatus, "1", "3"))
        .unwrap();
    assert_eq!(r.response.status.as_deref(), Some("NOT RECORDING"));
    assert!(r.elapsed >= Duration::from_millis(150), "{:?}", r.elapsed);
    let journal = behind.simulator().lock().unwrap().journal().unwrap();
    let ops: Vec<&str> = journal.iter().map(|e| e["op"].as_str().unwrap()).collect();
    assert_eq!(ops, ["PortStatus"]);
}

fn recorder_sim() -> Simulator {
    Simulator::recorder(
        Settings {
            api: ApiVersion::V7_1,
            clock: ecapi::simulator::Clock::new(ClockMode::Real),
            url_base: None,
        },
        RecorderConfig::default(),
        DbLocation::Memory,
    )
    .unwrap()
}

#[test]
fn a_recorder_upstream_shadowed_by_the_hosted_simulator_differs_only_where_the_profiles_do() {
    let dir = tempfile::tempdir().unwrap();
    let rec = dir.path().join("rec.jsonl");
    let behind = common::serve_sim(recorder_sim());
    let mut options = ProxyOptions::new("127.0.0.1:0", behind.url());
    options.record = Some(rec.clone());
    options.shadow = Some(ShadowTarget::Embedded(Box::new(Simulator::hosted(
        Settings {
            api: ApiVersion::V7_1,
            clock: ecapi::simulator::Clock::new(ClockMode::Real),
            url_base: None,
        },
    ))));
    let proxy = proxy::start(options).unwrap();
    let mut http = Http::connect(HttpOptions::new(proxy.url())).unwrap();
    let steps = [
        unit_port(Operation::PortStatus, "1", "5"),
        unit_port(Operation::PortStatusEx, "1", "5"),
        unit_port(Operation::StartRecording, "1", "5"),
        unit_port(Operation::AssignField, "1", "5")
            .with(Param::FieldName, "fldClientID")
            .with(Param::FieldValue, "42"),
        unit_port(Operation::GetField, "1", "5").with(Param::FieldName, "fldClientID"),
        unit_port(Operation::GetUrl, "1", "5"),
        unit_port(Operation::PauseRecording, "1", "5"),
        unit_port(Operation::StopRecording, "1", "5"),
    ];
    for step in &steps {
        http.call(step).unwrap();
    }
    let summary = proxy.stop();
    let records = record::read(&rec).unwrap().records;
    let differences: Vec<String> = records
        .iter()
        .filter_map(|r| {
            let s = r.shadow.as_ref().unwrap();
            assert!(s.unavailable.is_none(), "{s:?}");
            (!s.agree).then(|| {
                let d: Vec<String> = s.differences.iter().map(ToString::to_string).collect();
                format!("{}: {}", r.operation.as_deref().unwrap(), d.join("; "))
            })
        })
        .collect();
    assert_eq!(
        differences,
        [
            "GetField: fieldValue \"42\" against \"123\"",
            "StopRecording: code 100 against 608; message \"Command executed as expected\" \
             against \"Warning: Port was not recording\"",
        ]
    );
    let tally = summary.shadow.unwrap();
    assert_eq!(tally.total().agree, 6);
    assert_eq!(tally.total().differ, 2);
    assert_eq!(tally.operations["StopRecording"].differ, 1);
    // The record ends with the summary line, counting per operation.
    let text = std::fs::read_to_string(&rec).unwrap();
    let last: serde_json::Value = serde_json::from_str(text.lines().last().unwrap()).unwrap();
    assert_eq!(last["kind"], "summary");
    assert_eq!(last["shadow"]["StopRecording"]["differ"], 1);
    assert_eq!(last["shadow"]["PortStatus"]["agree"], 1);
    let _ = Comparison::Agree;
}

fn recorded_flow(dir: &Path) -> Vec<Record> {
    let rec = dir.join("rec.jsonl");
    let behind = common::serve(ApiVersion::V7_1);
    let proxy = proxy_to(&behind.url(), Some(&rec));
    let mut http = Http::connect(HttpOptions::new(proxy.url())).unwrap();
    // A port handed out by the counter: 1 for the first extension of the day, then 2.
    http.call(&Request::new(Operation::InitStation).with(Param::Extension, "7001"))
        .unwrap();
    let r = http
        .call(&Request::new(Operation::InitStation).with(Param::Extension, "7002"))
        .unwrap();
    let port = r.response.port().unwrap().to_string();
    for step in [
        unit_port(Operation::StartRecording, "1", &port),
        unit_port(Operation::PauseRecording, "1", &port),
        unit_port(Operation::StopRecording, "1", &port),
        unit_port(Operation::PortStatus, "1", &port),
    ] {
        http.call(&step).unwrap();
    }
    drop(proxy);
    record::read(&rec).unwrap().records
}

#[test]
fn a_replay_against_the_same_profile_passes_and_against_another_names_each_difference() {
    let dir = tempfile::tempdir().unwrap();
    let records = recorded_flow(dir.path());
    assert_eq!(records.len(), 6);
    // The embedded simulator's counter has handed out port 1 already: the replay's ports follow.
    let mut sim = Simulator::hosted(Settings::default());
    sim.handle(&Request::new(Operation::InitStation).with(Param::Extension, "9999"))
        .unwrap();
    let mut hosted = Embedded::new(sim);
    let results = replay(&records, &mut hosted);
    assert!(
        results.iter().all(|r| r.verdict == Verdict::Passed),
        "{results:#?}"
    );
    let mut recorder = Embedded::new(recorder_sim());
    let results = replay(&records, &mut recorder);
    let lines: Vec<String> = results
        .iter()
        .filter(|r| r.is_failure())
        .map(|r| r.line())
        .collect();
    assert_eq!(
        lines,
        [
            "DIFFERS #1 InitStation: code 100 against 660; message \"Command executed as \
             expected\" against \"Error: No recording port is defined for the specified station\"; Port \"1\" against (none); \
             Unit \"1\" against (none)",
            "DIFFERS #2 InitStation: code 100 against 660; message \"Command executed as \
             expected\" against \"Error: No recording port is defined for the specified station\"; Port \"2\" against (none); \
             Unit \"1\" against (none)",
            "DIFFERS #5 StopRecording: code 608 against 100; message \"Warning: Port was not \
             recording\" against \"Command executed as expected\"",
            "DIFFERS #6 PortStatus: portStatus \"PAUSE\" against \"NOT RECORDING\"",
        ]
    );
}

#[test]
fn a_script_made_from_a_recording_passes_against_a_fresh_server() {
    let dir = tempfile::tempdir().unwrap();
    let records = recorded_flow(dir.path());
    let flow = ecapi::proxy::script_gen::script(&records, "rec.jsonl");
    assert!(flow.contains("let r = expect(init_station(\"7002\"), 100);\nlet unit2 = r.unit;\nlet port2 = r.port;\n"), "{flow}");
    assert!(
        flow.contains("expect(stop_recording(unit2, port2), 608);"),
        "{flow}"
    );
    assert!(flow.contains("assert_eq(r.status, \"PAUSE\");"), "{flow}");
    let file = dir.path().join("flow.rhai");
    std::fs::write(&file, &flow).unwrap();
    let fresh = common::serve(ApiVersion::V7_1);
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_ecapi"))
        .args(["run", file.to_str().unwrap(), "--endpoint", &fresh.url()])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{flow}\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    // Against a server where the counter has moved on, the variables still follow the answers.
    let moved = common::serve(ApiVersion::V7_1);
    let mut http = Http::connect(HttpOptions::new(moved.url())).unwrap();
    for ext in ["1", "2", "3"] {
        http.call(&Request::new(Operation::InitStation).with(Param::Extension, ext))
            .unwrap();
    }
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_ecapi"))
        .args(["run", file.to_str().unwrap(), "--endpoint", &moved.url()])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn ecapi_replay_exits_1_naming_the_differences_and_writes_junit() {
    let dir = tempfile::tempdir().unwrap();
    let _ = recorded_flow(dir.path());
    let rec = dir.path().join("rec.jsonl");
    let run = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_ecapi"))
            .arg("replay")
            .arg(&rec)
            .args(args)
            .env_remove("ECAPI_ENDPOINT")
            .output()
            .unwrap()
    };
    let same = run(&[]);
    assert_eq!(
        same.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&same.stdout)
    );
    let junit = dir.path().join("junit.xml");
    let other = run(&[
        "--profile",
        "recorder",
        "--report-junit",
        junit.to_str().unwrap(),
    ]);
    assert_eq!(other.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&other.stdout);
    assert!(
        stdout.contains("DIFFERS #5 StopRecording: code 608 against 100"),
        "{stdout}"
    );
    assert!(stdout.contains("6 exchanges replayed"), "{stdout}");
    let xml = std::fs::read_to_string(&junit).unwrap();
    assert!(xml.contains("tests=\"6\""), "{xml}");
    assert!(xml.contains("failures=\"4\""), "{xml}");
    // A file that is not a recording is a usage error naming the line.
    let bad = dir.path().join("bad.jsonl");
    std::fs::write(&bad, "{\"kind\":\"exchange\"}\n").unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_ecapi"))
        .arg("replay")
        .arg(&bad)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("bad.jsonl:1: not an exchange record"));
}

#[test]
fn a_proxy_process_prints_a_line_per_exchange_and_its_summary_on_sigterm() {
    let behind = common::serve(ApiVersion::V7_1);
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_ecapi"))
        .args([
            "proxy",
            "--listen",
            "127.0.0.1:0",
            "--upstream",
            &behind.url(),
            "--shadow",
            "embedded",
        ])
        .env("NO_COLOR", "1")
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = child.stdout.take().unwrap();
    // Read the banner up to the WSDL line, which names the address.
    let mut banner = Vec::new();
    let mut byte = [0u8; 1];
    let url = loop {
        assert_eq!(stdout.read(&mut byte).unwrap(), 1, "the proxy exited");
        banner.push(byte[0]);
        let text = String::from_utf8_lossy(&banner);
        if let Some(line) = text
            .lines()
            .find(|l| l.starts_with("WSDL: ") && text.ends_with('\n'))
        {
            break line["WSDL: ".len()..line.len() - "?wsdl".len()].to_string();
        }
    };
    let mut http = Http::connect(HttpOptions::new(url)).unwrap();
    http.call(&unit_port(Operation::StopRecording, "1", "9"))
        .unwrap();
    #[cfg(unix)]
    {
        std::process::Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status()
            .unwrap();
    }
    #[cfg(not(unix))]
    child.kill().unwrap();
    let mut rest = String::new();
    stdout.read_to_string(&mut rest).unwrap();
    let status = child.wait().unwrap();
    let line = rest.lines().find(|l| l.contains("StopRecording")).unwrap();
    assert!(
        line.contains("StopRecording    Unit=1 Port=9  608 Warning: Port was not recording"),
        "{line}"
    );
    #[cfg(unix)]
    {
        assert!(status.success(), "{rest}");
        assert!(rest.contains("ecapi proxy: 1 exchanges"), "{rest}");
        assert!(
            rest.contains("StopRecording          1       0           0"),
            "{rest}"
        );
    }
    let _ = std::io::stdout().flush();
}

#[test]
fn what_a_wcf_service_did_in_reading_is_noted_on_the_record() {
    let dir = tempfile::tempdir().unwrap();
    let rec = dir.path().join("rec.jsonl");
    let behind = common::serve(ApiVersion::V7_1);
    let proxy = proxy_to(&behind.url(), Some(&rec));
    let out_of_order = "<s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\"><s:Body>\
        <PortStatus xmlns=\"http://tempuri.org/\"><Port>1</Port><Unit>1</Unit></PortStatus>\
        </s:Body></s:Envelope>";
    let (status, _, body) = post(
        &proxy.url(),
        "\"http://tempuri.org/IECAPI/PortStatus\"",
        out_of_order,
    )
    .unwrap();
    assert_eq!(status, 200);
    assert!(body.contains(">606<"), "{body}");
    let (status, _, _) = post(&proxy.url(), "", out_of_order).unwrap();
    assert_eq!(status, 500);
    let records = record::read(&rec).unwrap().records;
    assert_eq!(records[0].code, Some(606));
    assert_eq!(records[0].notes.len(), 1, "{:?}", records[0].notes);
    assert!(
        records[0].notes[0].contains("Unit"),
        "{:?}",
        records[0].notes
    );
    assert!(
        records[0].notes[0].contains("(hence 606)"),
        "{:?}",
        records[0].notes
    );
    assert_eq!(records[1].outcome, "fault");
    assert!(
        records[1].notes.iter().any(|n| n.contains("SOAPAction")),
        "{:?}",
        records[1].notes
    );
}

/// A simulator session of its own on `server`, made as a user makes one; its endpoint URL.
fn new_session(server: &str) -> String {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_ecapi"))
        .args(["session", "new", "--endpoint", server])
        .env_remove("ECAPI_ENDPOINT")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let url = String::from_utf8_lossy(&out.stdout).trim().to_string();
    assert!(url.contains("/sessions/"), "{url}");
    url
}

#[test]
fn a_replay_against_another_session_of_the_same_server_compares_links_by_shape() {
    let dir = tempfile::tempdir().unwrap();
    let rec = dir.path().join("rec.jsonl");
    // A recorder without a URL player of its own: links point at the server, under the session.
    let site = || {
        let config = RecorderConfig::from_toml(
            "licences = 4\n[[unit]]\nid = 1\nports = \"1-4\"\n[[user]]\nextension = \"100\"\nunit = 1\nport = 3\n",
        )
        .unwrap();
        Simulator::recorder(
            Settings {
                api: ApiVersion::V7_1,
                clock: ecapi::simulator::Clock::new(ClockMode::Real),
                url_base: None,
            },
            config,
            DbLocation::Memory,
        )
    };
    let mut options = ServeOptions::new("127.0.0.1:0", site().unwrap());
    options.log = false;
    options.sessions = Some(SessionOptions {
        make: Arc::new(move || site().map_err(|e| e.to_string())),
        idle: Duration::from_secs(600),
        max: 4,
    });
    let server = ecapi::server::start(options).unwrap();
    let (first, second) = (new_session(&server.url()), new_session(&server.url()));
    let proxy = proxy_to(&first, Some(&rec));
    let mut http = Http::connect(HttpOptions::new(proxy.url())).unwrap();
    let r = http
        .call(&Request::new(Operation::InitStation).with(Param::Extension, "100"))
        .unwrap();
    let (unit, port) = (r.response.unit().unwrap(), r.response.port().unwrap());
    for op in [
        Operation::StartRecording,
        Operation::GetUrl,
        Operation::StopRecording,
    ] {
        http.call(&unit_port(op, unit, port)).unwrap();
    }
    drop(proxy);
    let records = record::read(&rec).unwrap().records;
    let link = records[2].observed();
    assert!(
        format!("{link:?}").contains("/sessions/"),
        "the recorded link is on the first session: {link:?}"
    );
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_ecapi"))
        .arg("replay")
        .arg(&rec)
        .args(["--endpoint", &second])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(stdout.contains("ok      #3 GetURL"), "{stdout}");
    assert!(stdout.contains("4 agree, 0 differ"), "{stdout}");
}

#[test]
fn a_replay_that_compared_nothing_exits_1_and_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let rec = dir.path().join("empty.jsonl");
    std::fs::write(&rec, "").unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_ecapi"))
        .arg("replay")
        .arg(&rec)
        .env_remove("ECAPI_ENDPOINT")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("nothing was compared: none of the 0 exchanges"),
        "{stderr}"
    );
}
