//! Tenants apart on one `ecapi serve`: every simulator (the server's own and each session) counts
//! its call indexes from 1, so a player link's key binds the simulator as well as the recording;
//! a session's control path reaches only that session; and the request log shows only the start
//! of session ids.

mod common;
mod recorder_support;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use ecapi::api::{ApiVersion, Operation, Param, Request};
use ecapi::client::{Http, HttpOptions, Transport};
use ecapi::server::{self, Running, ServeOptions, SessionOptions};
use ecapi::simulator::{DbLocation, RecorderConfig, Simulator};

const BIN: &str = env!("CARGO_BIN_EXE_ecapi");

/// A site without a URL player of its own, so that links point at the server.
const SITE: &str = r#"
licences = 4

[[unit]]
id = 1
ports = "1-4"

[[user]]
extension = "100"
login = "smith"
unit = 1
port = 3
"#;

fn recorder() -> Simulator {
    Simulator::recorder(
        recorder_support::settings(ApiVersion::V7_1),
        RecorderConfig::from_toml(SITE).unwrap(),
        DbLocation::Memory,
    )
    .unwrap()
}

fn serve_keyed() -> Running {
    let mut options = ServeOptions::new("127.0.0.1:0", recorder());
    options.log = false;
    options.key_player_links = true;
    options.sessions = Some(SessionOptions::new(Arc::new(|| Ok(recorder()))));
    server::start(options).expect("the server starts")
}

/// Records a call on a fresh simulator and answers its GetURL link.
fn record(t: &mut dyn Transport, extension: &str) -> String {
    let station = t
        .call(&Request::new(Operation::InitStation).with(Param::Extension, extension))
        .unwrap()
        .response;
    let port = station.port().expect("a port").to_string();
    let on = |op| {
        Request::new(op)
            .with(Param::Unit, "1")
            .with(Param::Port, port.as_str())
    };
    assert_eq!(
        t.call(&on(Operation::StartRecording))
            .unwrap()
            .response
            .code,
        100
    );
    let url = t
        .call(&on(Operation::GetUrl))
        .unwrap()
        .response
        .url()
        .expect("a link")
        .to_string();
    assert_eq!(
        t.call(&on(Operation::StopRecording)).unwrap().response.code,
        100
    );
    url
}

fn get(server: &Running, url: &str) -> common::Answer {
    let path = url
        .split_once(&server.addr().to_string())
        .map(|(_, p)| p.to_string())
        .unwrap_or_else(|| panic!("a link to this server: {url}"));
    common::raw(
        server.addr(),
        format!(
            "GET {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n",
            server.addr()
        )
        .as_bytes(),
    )
}

/// The id in a session's endpoint or link.
fn session_id(url: &str) -> String {
    url.split_once("/sessions/")
        .and_then(|(_, rest)| rest.split('/').next())
        .unwrap_or_else(|| panic!("a session address: {url}"))
        .to_string()
}

#[test]
fn a_player_link_opens_only_its_own_simulator_s_recording() {
    let server = serve_keyed();
    let mut main = Http::connect(HttpOptions::new(server.url())).unwrap();
    let mut a = main.open_session().unwrap();
    let mut b = main.open_session().unwrap();
    let main_link = record(&mut main, "100");
    let a_link = record(&mut a, "100");
    let b_link = record(&mut b, "100");
    // The same call index in all three: only the key tells them apart.
    let index = |l: &str| {
        l.split("fldCallIndex=")
            .nth(1)
            .unwrap()
            .split('&')
            .next()
            .unwrap()
            .to_string()
    };
    assert_eq!(index(&main_link), index(&a_link));
    assert_eq!(index(&a_link), index(&b_link));
    for link in [&main_link, &a_link, &b_link] {
        assert_eq!(get(&server, link).status, 200, "{link}");
    }
    let key = |l: &str| l.split("key=").nth(1).unwrap().to_string();
    let (a_id, b_id) = (session_id(a.url()), session_id(b.url()));
    // A's key on the server's own player, and on B's.
    let a_on_main = main_link.replace(&key(&main_link), &key(&a_link));
    let a_on_b = b_link.replace(&key(&b_link), &key(&a_link));
    let main_on_a = a_link.replace(&key(&a_link), &key(&main_link));
    for (what, link) in [
        ("A's key on the server's player", a_on_main),
        ("A's key on B's player", a_on_b),
        ("the server's key on A's player", main_on_a),
    ] {
        let answer = get(&server, &link);
        assert_eq!(answer.status, 404, "{what}: {answer:?}");
        assert!(answer.body.contains("key is missing or wrong"), "{what}");
    }
    assert_ne!(a_id, b_id);
}

/// Posts a control command to a path, as any loopback client could.
fn control(server: &Running, path: &str, json: &str) -> common::Answer {
    common::raw(
        server.addr(),
        format!(
            "POST {path} HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\n\
             Content-Length: {}\r\nConnection: close\r\n\r\n{json}",
            server.addr(),
            json.len()
        )
        .as_bytes(),
    )
}

#[test]
fn a_session_s_control_path_cannot_drop_another_session() {
    let server = serve_keyed();
    let mut main = Http::connect(HttpOptions::new(server.url())).unwrap();
    let a = main.open_session().unwrap();
    let mut b = main.open_session().unwrap();
    let (a_id, b_id) = (session_id(a.url()), session_id(b.url()));
    let a_control = format!("/sessions/{a_id}/WebAPI/ECAPI.svc/control");
    let refused = control(
        &server,
        &a_control,
        &format!(r#"{{"fn":"session_drop","id":"{b_id}"}}"#),
    );
    assert!(refused.body.contains(r#""ok":false"#), "{refused:?}");
    assert!(
        refused.body.contains("drops only its own session"),
        "{refused:?}"
    );
    // B lives on; A may drop itself, by its own id or without one.
    assert_eq!(
        b.call(&Request::new(Operation::InitStation).with(Param::Extension, "100"))
            .unwrap()
            .response
            .code,
        100
    );
    let own = control(
        &server,
        &a_control,
        &format!(r#"{{"fn":"session_drop","id":"{a_id}"}}"#),
    );
    assert!(own.body.contains(r#""ok":true"#), "{own:?}");
    // The server's own control path may still drop any session.
    let by_server = control(
        &server,
        "/WebAPI/ECAPI.svc/control",
        &format!(r#"{{"fn":"session_drop","id":"{b_id}"}}"#),
    );
    assert!(by_server.body.contains(r#""ok":true"#), "{by_server:?}");
}

#[test]
fn the_request_log_shows_only_the_start_of_a_session_id() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("site.toml");
    std::fs::write(&config, SITE).unwrap();
    let mut child = Command::new(BIN)
        .args(["serve", "--listen", "127.0.0.1:0", "--profile", "recorder"])
        .arg("--config")
        .arg(&config)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    out.read_line(&mut line).unwrap();
    let url = line
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .unwrap_or_else(|| panic!("no endpoint in {line:?}"))
        .to_string();
    let lines = Arc::new(Mutex::new(Vec::<String>::new()));
    let reader = {
        let lines = lines.clone();
        let err = BufReader::new(child.stderr.take().unwrap());
        std::thread::spawn(move || {
            for l in err.lines().map_while(Result::ok) {
                lines.lock().unwrap().push(l);
            }
        })
    };
    let mut main = Http::connect(HttpOptions::new(url)).unwrap();
    let mut a = main.open_session().unwrap();
    let id = session_id(a.url());
    record(&mut a, "100");
    let deadline = Instant::now() + Duration::from_secs(10);
    let logged = loop {
        let seen = lines.lock().unwrap().clone();
        if seen.iter().filter(|l| l.contains("/sessions/")).count() >= 4 {
            break seen;
        }
        assert!(
            Instant::now() < deadline,
            "no session lines logged: {seen:#?}"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    child.kill().unwrap();
    child.wait().unwrap();
    reader.join().unwrap();
    let text = logged.join("\n");
    assert!(
        !text.contains(&id),
        "the whole session id is logged:\n{text}"
    );
    assert!(
        text.contains(&format!("/sessions/{}…/", &id[..8])),
        "{text}"
    );
}
