//! A served simulator stays dependable under abuse: its clock refuses to pass 9999-12-31 with a clear
//! error and goes on answering, a panic poisons nothing, its hosted store keeps a bounded window,
//! listings filter, page and stream without holding SOAP answers, a database file has one server
//! and a damaged one is refused at start, and call indexes never repeat across restarts.

mod common;
mod recorder_support;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use ecapi::api::{ApiVersion, Operation, Param, Request, RequestError, Response};
use ecapi::client::{ControlError, Http, HttpOptions, Transport};
use ecapi::simulator::{
    DbLocation, Query, RecorderConfig, Simulator, MAX_ADVANCE_SECONDS, WINDOW_BYTES, WINDOW_ITEMS,
};

const BIN: &str = env!("CARGO_BIN_EXE_ecapi");

const SITE: &str = r#"
licences = 4

[[unit]]
id = 1
ports = "1-4"
"#;

fn client(url: &str) -> Http {
    Http::connect(HttpOptions::new(url)).expect("the client connects")
}

fn port_status(http: &mut Http) -> Response {
    let req = Request::new(Operation::PortStatus)
        .with(Param::Unit, "1")
        .with(Param::Port, "1");
    http.call(&req).expect("an answer").response
}

fn on(op: Operation, port: &str) -> Request {
    Request::new(op)
        .with(Param::Unit, "1")
        .with(Param::Port, port)
}

/// Start and stop on a port of a simulator in this process.
fn record(sim: &mut Simulator, port: &str) {
    for op in [Operation::StartRecording, Operation::StopRecording] {
        let outcome = sim.handle(&on(op, port)).expect("an answer");
        assert_eq!(outcome.response.code, 100, "{op} on port {port}");
    }
}

/// A LogEvent of some 19,000 characters: user and machine of 8,000, each Parm of 1,000 (the most
/// its column holds).
fn long_event(event_type: &str) -> Request {
    let long = "u".repeat(8_000);
    let parm = "p".repeat(1_000);
    Request::new(Operation::LogEvent)
        .with(Param::EventType, event_type)
        .with(Param::EventTimestamp, "2026-01-15T10:00:00")
        .with(Param::User, long.as_str())
        .with(Param::Machine, long.as_str())
        .with(Param::Parm1, parm.as_str())
        .with(Param::Parm2, parm.as_str())
        .with(Param::Parm3, parm.as_str())
}

fn recorder(db: DbLocation) -> Simulator {
    Simulator::recorder(
        recorder_support::settings(ApiVersion::V7_1),
        RecorderConfig::from_toml(SITE).expect("a valid configuration"),
        db,
    )
    .expect("a simulator")
}

#[test]
fn advancing_a_served_clock_past_9999_is_a_clear_error_and_the_server_goes_on_answering() {
    let server = common::serve(ApiVersion::V7_1);
    let mut http = client(&server.url());
    let mut moves = 0;
    let refusal = loop {
        match http.control().unwrap().advance(MAX_ADVANCE_SECONDS) {
            Ok(()) => moves += 1,
            Err(e) => break e,
        }
        assert!(
            moves < 100,
            "the clock passed 100 centuries without a refusal"
        );
    };
    let ControlError::Invalid(message) = refusal else {
        panic!("not a refusal: {refusal:?}");
    };
    assert!(
        message.contains("would move the clock past 9999-12-31"),
        "{message}"
    );
    assert!(message.contains("the clock is at 99"), "{message}");
    for _ in 0..3 {
        assert_eq!(port_status(&mut http).code, 100);
    }
    // Smaller moves within the range still work.
    http.control().unwrap().advance(60.0).unwrap();
    assert_eq!(port_status(&mut http).code, 100);
    assert!(http.control().unwrap().journal().is_ok());
}

#[test]
fn a_script_advancing_the_embedded_clock_past_9999_fails_with_the_message_not_a_crash() {
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("forever.rhai");
    std::fs::write(&script, "loop { sim_advance(100 * 366 * 86400); }\n").unwrap();
    let out = Command::new(BIN)
        .arg("run")
        .arg(&script)
        .output()
        .expect("the binary runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_ne!(out.status.code(), Some(101), "a panic: {stderr}");
    assert!(!out.status.success());
    assert!(
        stderr.contains("would move the clock past 9999-12-31"),
        "{stderr}"
    );
    assert!(stderr.contains("forever.rhai:1"), "{stderr}");
}

#[test]
fn a_request_after_a_panic_that_poisoned_the_simulator_lock_is_answered_with_the_state_kept() {
    let server = common::serve(ApiVersion::V7_1);
    let mut http = client(&server.url());
    assert_eq!(
        http.call(&on(Operation::StartRecording, "2"))
            .unwrap()
            .response
            .code,
        100
    );
    let sim = server.simulator();
    let poisoner = std::thread::spawn(move || {
        let _held = sim.lock().unwrap();
        panic!("a panic while the simulator is locked");
    });
    assert!(poisoner.join().is_err());
    assert!(server.simulator().is_poisoned());
    let status = http.call(&on(Operation::PortStatus, "2")).unwrap().response;
    assert_eq!(status.code, 100);
    assert_eq!(
        status.status.as_deref(),
        Some("RECORD"),
        "the state is kept"
    );
    assert_eq!(
        http.call(&on(Operation::StopRecording, "2"))
            .unwrap()
            .response
            .code,
        100
    );
    let recordings = http
        .control()
        .unwrap()
        .recordings(&Query::default())
        .unwrap();
    assert_eq!(recordings.len(), 1);
}

#[test]
fn the_hosted_store_keeps_the_newest_recordings_and_events_within_its_window() {
    let mut sim = common::simulator(ApiVersion::V7_1);
    let extra = 5;
    for _ in 0..WINDOW_ITEMS + extra {
        record(&mut sim, "1");
    }
    let kept = sim.list_recordings(&Query::all()).unwrap();
    assert_eq!(kept.len(), WINDOW_ITEMS);
    assert_eq!(kept[0].seq, extra as u64 + 1, "the oldest are gone");
    assert_eq!(kept.last().unwrap().seq, (WINDOW_ITEMS + extra) as u64);
    assert_eq!(
        sim.store().recordings.total(),
        (WINDOW_ITEMS + extra) as u64
    );

    // Events with long values drop older ones by weight, long before the count.
    for n in 0..1_000 {
        let outcome = sim.handle(&long_event(&format!("E{n}"))).unwrap();
        assert_eq!(outcome.response.code, 100, "{:?}", outcome.reason);
    }
    let events = sim.events().unwrap();
    assert!(
        events.len() < 1_000 && events.len() * 19_000 <= WINDOW_BYTES,
        "{}",
        events.len()
    );
    assert_eq!(events.last().unwrap().event_type, "E999");
}

#[test]
fn a_value_longer_than_the_reader_quota_is_refused_by_the_embedded_simulator_and_not_kept() {
    let mut sim = common::simulator(ApiVersion::V7_1);
    let req = Request::new(Operation::LogEvent).with(Param::EventType, "e".repeat(1_000_000));
    match sim.handle(&req) {
        Err(RequestError::TooLong {
            param,
            chars,
            limit,
        }) => {
            assert_eq!((param, chars, limit), ("eventType", 1_000_000, 8_192));
        }
        other => panic!("not refused for its length: {other:?}"),
    }
    assert!(sim.events().unwrap().is_empty());
    let entry = sim.journal().last().expect("journaled");
    assert_eq!(entry.request.get(Param::EventType).len(), 8_192);
}

/// `--max-string-content-length` above WCF's default: the reader and the simulator behind it
/// follow it, so a longer value is answered and kept whole, and one beyond it is refused naming it.
#[test]
fn a_string_quota_above_8192_reaches_the_simulator() {
    let mut options =
        ecapi::server::ServeOptions::new("127.0.0.1:0", common::simulator(ApiVersion::V7_1));
    options.log = false;
    options.max_string_content_length = 20_000;
    let server = ecapi::server::start(options).unwrap();
    let mut http = client(&server.url());
    let event = |n: usize| {
        Request::new(Operation::LogEvent)
            .with(Param::EventType, "e".repeat(n))
            .with(Param::EventTimestamp, "2026-01-15T10:00:00")
    };
    let answer = http.call(&event(12_000)).expect("an answer");
    assert_eq!(answer.response.code, 100, "{:?}", answer.response);
    let events = http.control().unwrap().events(&Query::default()).unwrap();
    assert_eq!(
        events.last().unwrap()["type"].as_str().map(str::len),
        Some(12_000)
    );
    let refused = http.call(&event(20_001)).unwrap_err().to_string();
    assert!(refused.contains("quota (20000)"), "{refused}");

    // The embedded simulator follows the same setting.
    let mut sim = common::simulator(ApiVersion::V7_1);
    sim.set_max_string_chars(20_000);
    assert_eq!(sim.handle(&event(12_000)).unwrap().response.code, 100);
    match sim.handle(&event(20_001)) {
        Err(RequestError::TooLong { chars, limit, .. }) => {
            assert_eq!((chars, limit), (20_001, 20_000))
        }
        other => panic!("not refused for its length: {other:?}"),
    }
}

#[test]
fn listings_filter_by_unit_port_and_time_and_page_by_seq_over_the_control_interface() {
    let server = common::serve(ApiVersion::V7_1);
    let mut http = client(&server.url());
    for round in 0..3 {
        for port in ["1", "2"] {
            http.call(&on(Operation::StartRecording, port)).unwrap();
            http.call(&on(Operation::StopRecording, port)).unwrap();
        }
        if round == 0 {
            http.control().unwrap().advance(3600.0).unwrap();
        }
    }
    let list = |http: &mut Http, q: Query| http.control().unwrap().recordings(&q).unwrap();
    let seqs = |items: &[serde_json::Value]| -> Vec<u64> {
        items.iter().map(|r| r["seq"].as_u64().unwrap()).collect()
    };
    assert_eq!(
        seqs(&list(&mut http, Query::default())),
        vec![1, 2, 3, 4, 5, 6]
    );
    let port2 = Query {
        port: Some(2),
        ..Query::default()
    };
    let all2 = list(&mut http, port2.clone());
    assert_eq!(seqs(&all2), vec![2, 4, 6]);
    assert!(all2.iter().all(|r| r["port"] == "2"));
    let first = list(
        &mut http,
        Query {
            limit: 2,
            ..port2.clone()
        },
    );
    assert_eq!(seqs(&first), vec![2, 4]);
    let next = list(&mut http, Query { after: 4, ..port2 });
    assert_eq!(seqs(&next), vec![6]);
    let unit2 = Query {
        unit: Some("2".into()),
        ..Query::default()
    };
    assert!(list(&mut http, unit2).is_empty());
    // The hour passed after the first round: a time filter keeps the later two rounds.
    let later = chrono::NaiveDateTime::parse_from_str(
        all2[1]["stopped"].as_str().unwrap(),
        "%Y-%m-%dT%H:%M:%S",
    )
    .unwrap();
    let since = Query {
        from: Some(later),
        ..Query::default()
    };
    assert_eq!(seqs(&list(&mut http, since)), vec![3, 4, 5, 6]);
}

/// Reads from a socket until `enough` says so (or the peer closes); answers everything read.
fn read_until(stream: &mut TcpStream, mut enough: impl FnMut(&[u8]) -> bool) -> Vec<u8> {
    let mut bytes = Vec::new();
    let mut chunk = vec![0u8; 64 * 1024];
    while !enough(&bytes) {
        match stream.read(&mut chunk) {
            Ok(0) => break,
            Ok(n) => bytes.extend_from_slice(&chunk[..n]),
            Err(e) => panic!("the listing broke off: {e}"),
        }
    }
    bytes
}

#[test]
fn soap_requests_are_answered_while_a_long_listing_is_still_being_produced() {
    // 1,500 events of 19,000 characters each: a 28 MB listing, far more than the socket buffers
    // between server and client hold, so the server cannot finish it while the client waits.
    let mut sim = recorder(DbLocation::Memory);
    for n in 0..1_500 {
        let outcome = sim.handle(&long_event(&format!("Before{n}"))).unwrap();
        assert_eq!(outcome.response.code, 100, "{:?}", outcome.reason);
    }
    let server = common::serve_sim(sim);
    let mut listing = TcpStream::connect(server.addr()).unwrap();
    listing
        .set_read_timeout(Some(Duration::from_secs(60)))
        .unwrap();
    let command = r#"{"fn":"events","limit":null}"#;
    write!(
        listing,
        "POST /WebAPI/ECAPI.svc/control HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{command}",
        command.len()
    )
    .unwrap();
    // The head and the first items, then the client stops reading.
    let head = read_until(&mut listing, |b| b.len() >= 100_000);
    let text = String::from_utf8_lossy(&head);
    assert!(
        text.starts_with("HTTP/1.1 200"),
        "{}",
        &text[..200.min(text.len())]
    );
    assert!(text.contains(r#"{"ok":true,"value":["#));

    // Meanwhile SOAP is answered, and what it stores lands at the end of the listing still being
    // produced: the listing had not been taken before this request.
    let mut http = client(&server.url());
    let during = Request::new(Operation::LogEvent)
        .with(Param::EventType, "DuringListing")
        .with(Param::EventTimestamp, "2026-01-15T10:00:00");
    assert_eq!(http.call(&during).unwrap().response.code, 100);
    assert_eq!(port_status(&mut http).code, 100);

    let mut all = head;
    all.extend(read_until(&mut listing, |_| false));
    let text = String::from_utf8_lossy(&all);
    let during_at = text
        .find(r#""type":"DuringListing""#)
        .expect("the event stored during the listing is in it");
    assert!(text[during_at..].contains("]}"), "it is the last item");
    assert_eq!(text.matches(r#""seq":"#).count(), 1_501);
    assert!(!text[during_at..].contains(r#""type":"Before"#));
}

#[test]
fn call_indexes_go_on_after_a_restart_on_the_same_database() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("rec.db");
    let mut indexes = Vec::new();
    for _run in 0..2 {
        let mut sim = recorder(DbLocation::File(path.clone()));
        for port in ["1", "2"] {
            record(&mut sim, port);
        }
        indexes.extend(sim.recordings().unwrap().into_iter().map(|r| r.index));
    }
    // The second run lists the first run's two and its own two.
    assert_eq!(indexes.len(), 6);
    let mut distinct = indexes.clone();
    distinct.sort();
    distinct.dedup();
    assert_eq!(distinct.len(), 4, "{indexes:?}");
}

/// Runs `ecapi serve` on a database and answers its exit status and standard error, or `None`
/// (with the child killed) when it is still serving after printing its endpoint.
fn serve_db(config: &Path, db: &Path) -> std::process::Child {
    Command::new(BIN)
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
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary starts")
}

/// Waits for a child to print its endpoint on standard output.
fn endpoint(child: &mut std::process::Child) -> String {
    let mut out = child.stdout.take().unwrap();
    let line = read_line(&mut out);
    line.split_whitespace()
        .find(|w| w.starts_with("http://"))
        .unwrap_or_else(|| panic!("no endpoint in {line:?}"))
        .to_string()
}

fn read_line(r: &mut impl Read) -> String {
    let mut line = Vec::new();
    let mut byte = [0u8; 1];
    while r.read(&mut byte).unwrap_or(0) == 1 && byte[0] != b'\n' {
        line.push(byte[0]);
    }
    String::from_utf8_lossy(&line).into_owned()
}

#[test]
fn a_second_server_on_the_same_database_file_refuses_to_start() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("site.toml");
    std::fs::write(&config, SITE).unwrap();
    let db = dir.path().join("rec.db");
    let mut first = serve_db(&config, &db);
    let url = endpoint(&mut first);
    let second = serve_db(&config, &db).wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&second.stderr);
    assert!(!second.status.success(), "the second server started");
    assert!(
        stderr.contains("rec.db is in use by another ecapi"),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!("(process {})", first.id())),
        "{stderr}"
    );
    // The first goes on serving.
    assert_eq!(port_status(&mut client(&url)).code, 100);
    first.kill().unwrap();
    first.wait().unwrap();
    // Once it is gone, the file can be served again.
    let mut third = serve_db(&config, &db);
    let url = endpoint(&mut third);
    assert_eq!(port_status(&mut client(&url)).code, 100);
    third.kill().unwrap();
    third.wait().unwrap();
}

/// A second server given another name of the first one's database (a symbolic link, or on Linux a
/// hard link) refuses to start and names the first.
#[cfg(unix)]
#[test]
fn a_second_server_through_a_symlink_or_hard_link_to_the_database_refuses_to_start() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("site.toml");
    std::fs::write(&config, SITE).unwrap();
    let db = dir.path().join("rec.db");
    let mut first = serve_db(&config, &db);
    let url = endpoint(&mut first);
    let elsewhere = dir.path().join("other");
    std::fs::create_dir(&elsewhere).unwrap();
    let symlink = elsewhere.join("linked.db");
    std::os::unix::fs::symlink(&db, &symlink).unwrap();
    let hard = elsewhere.join("hard.db");
    std::fs::hard_link(&db, &hard).unwrap();
    let mut names = vec![symlink];
    if cfg!(target_os = "linux") {
        names.push(hard);
    }
    for name in names {
        let second = serve_db(&config, &name).wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&second.stderr);
        assert!(
            !second.status.success(),
            "a second server started on {}",
            name.display()
        );
        assert!(stderr.contains("is in use by another ecapi"), "{stderr}");
        assert!(
            stderr.contains(&format!("(process {})", first.id())),
            "{stderr}"
        );
    }
    // The first goes on serving, alone.
    assert_eq!(port_status(&mut client(&url)).code, 100);
    first.kill().unwrap();
    first.wait().unwrap();
}

#[test]
fn a_database_with_damaged_pages_is_refused_at_start_with_what_to_do() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("site.toml");
    std::fs::write(&config, SITE).unwrap();
    let db = dir.path().join("rec.db");
    {
        let mut sim = recorder(DbLocation::File(db.clone()));
        for _ in 0..50 {
            record(&mut sim, "1");
        }
    }
    let mut bytes = std::fs::read(&db).unwrap();
    assert!(bytes.len() >= 4 * 4096, "{} bytes", bytes.len());
    // Garbage over every page but the first (the header stays, so SQLite opens it).
    for (i, b) in bytes.iter_mut().enumerate().skip(4096) {
        *b = (i * 7 % 251) as u8;
    }
    let damaged = dir.path().join("damaged.db");
    std::fs::write(&damaged, &bytes).unwrap();
    let out = serve_db(&config, &damaged).wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "a damaged database was served");
    assert!(stderr.contains("damaged.db is damaged"), "{stderr}");
    assert!(stderr.contains("restore it from a backup"), "{stderr}");
    // The file is left as it was found.
    assert_eq!(std::fs::read(&damaged).unwrap(), bytes);
}

#[test]
fn scheduled_events_and_delays_beyond_their_bounds_are_refused_with_the_bound() {
    use ecapi::client::{Embedded, SimControl};
    use ecapi::simulator::TelephonyEvent;
    let mut sim = Embedded::new(recorder(DbLocation::Memory));
    for _ in 0..10_000 {
        sim.schedule(3600.0, TelephonyEvent::Hold, "1", "1")
            .unwrap();
    }
    let e = sim
        .schedule(3600.0, TelephonyEvent::Hold, "1", "1")
        .unwrap_err();
    assert!(
        e.to_string().contains("10000 events are already waiting"),
        "{e}"
    );
    let e = sim.delay(None, 600_001).unwrap_err();
    assert!(e.to_string().contains("at most 600000 ms"), "{e}");
    sim.delay(None, 600_000).unwrap();
    // Over the control interface, the number as sent is named.
    let e = ecapi::client::control::parse(br#"{"fn":"delay","op":null,"ms":1e30}"#).unwrap_err();
    assert!(
        e.contains("a delay of 1000000000000000000000000000000 ms is too long"),
        "{e}"
    );
}
