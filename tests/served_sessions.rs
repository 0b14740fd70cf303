//! Simulator sessions on `ecapi serve`: `ecapi test --endpoint` gives every test a session of its
//! own, so tests in parallel keep their own faults and state, run after run; sessions are made and
//! dropped through the control interface, expire when idle, and are bounded in number.

mod common;

use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use ecapi::api::{ApiVersion, Operation, Request};
use ecapi::client::{Http, HttpOptions, Session, Transport};
use ecapi::server::{self, Running, ServeOptions, SessionOptions};

const BIN: &str = env!("CARGO_BIN_EXE_ecapi");

fn serve_with_sessions(idle: Duration, max: usize) -> Running {
    let mut options = ServeOptions::new("127.0.0.1:0", common::simulator(ApiVersion::V7_1));
    options.log = false;
    options.sessions = Some(SessionOptions {
        make: Arc::new(|| Ok(common::simulator(ApiVersion::V7_1))),
        idle,
        max,
    });
    server::start(options).expect("the server starts")
}

/// A test that passes only when no other test touches its simulator: it consumes its own fault,
/// and sees exactly its own requests in the journal and its own port.
fn isolated_test(n: usize) -> String {
    format!(
        r#"sim_fault("StartRecording", 618, 1);
sim_fault("GetURL", 651, 2);
let p = station("10{n}");
assert_eq(p.port, "1");
assert_eq(p.start().code, 618);
assert_eq(p.start().code, 100);
assert_eq(p.url().code, 651);
assert_eq(p.url().code, 651);
assert_eq(p.url().code, 100);
expect_ok(p.stop());
assert_eq(sim_journal().len(), 7);
assert_eq(sim_recordings().len(), 1);
"#
    )
}

#[test]
fn eight_parallel_tests_with_faults_pass_on_a_served_simulator_three_runs_in_a_row() {
    // As many sessions as tests at once: a run that left its sessions behind fails the next.
    let server = serve_with_sessions(Duration::from_secs(600), 8);
    let dir = tempfile::tempdir().unwrap();
    for n in 0..8 {
        std::fs::write(dir.path().join(format!("t{n}.rhai")), isolated_test(n)).unwrap();
    }
    for run in 1..=3 {
        let out = Command::new(BIN)
            .args(["test", "--jobs", "8", "--endpoint", &server.url()])
            .arg(dir.path())
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "run {run}: {stdout}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(stdout.contains("8 passed, 0 failed"), "run {run}: {stdout}");
    }
    // The server's own simulator saw none of it.
    let sim = server.simulator();
    assert_eq!(sim.lock().unwrap().simulator().journal().total(), 0);
}

fn get(addr: std::net::SocketAddr, path: &str) -> common::Answer {
    common::raw(
        addr,
        format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n").as_bytes(),
    )
}

fn client(url: &str) -> Http {
    Http::connect(HttpOptions::new(url)).unwrap()
}

fn station(t: &mut dyn Transport, ext: &str) -> String {
    let r = t
        .call(&Request::new(Operation::InitStation).with(ecapi::api::Param::Extension, ext))
        .unwrap();
    r.response.port().unwrap_or_default().to_string()
}

#[test]
fn a_session_has_its_own_endpoint_wsdl_and_state_and_ends_when_dropped() {
    let server = serve_with_sessions(Duration::from_secs(600), 4);
    let mut main = client(&server.url());
    let mut a = Session::open(&mut main).unwrap();
    let mut b = Session::open(&mut main).unwrap();
    let url = a.url().to_string();
    let id = url
        .strip_prefix(&format!("http://{}/sessions/", server.addr()))
        .and_then(|rest| rest.strip_suffix("/WebAPI/ECAPI.svc"))
        .unwrap_or_else(|| panic!("a session endpoint: {url}"))
        .to_string();
    assert_eq!(id.len(), 32, "{id}");
    let wsdl = get(
        server.addr(),
        &format!("/sessions/{id}/WebAPI/ECAPI.svc?wsdl"),
    );
    assert_eq!(wsdl.status, 200);
    assert!(
        wsdl.body.contains(&format!("location=\"{url}\"")),
        "{wsdl:?}"
    );
    // Each session numbers its own ports from 1; the server's own simulator is untouched.
    assert_eq!(station(&mut a, "1001"), "1");
    assert_eq!(station(&mut a, "1002"), "2");
    assert_eq!(station(&mut b, "2001"), "1");
    assert_eq!(station(&mut main, "3001"), "1");
    drop(a);
    let gone = get(
        server.addr(),
        &format!("/sessions/{id}/WebAPI/ECAPI.svc?wsdl"),
    );
    assert_eq!(gone.status, 404);
    assert!(gone.body.contains(&format!("no session {id}")), "{gone:?}");
}

#[test]
fn sessions_beyond_the_maximum_are_refused_and_idle_ones_expire() {
    let server = serve_with_sessions(Duration::from_millis(300), 1);
    let mut main = client(&server.url());
    let first = main.open_session().unwrap();
    let refused = main.open_session().unwrap_err().to_string();
    assert!(
        refused.contains("already has 1 sessions, its most (ecapi serve --max-sessions)"),
        "{refused}"
    );
    // Left idle, the first session ends, and a new one can be made.
    let deadline = Instant::now() + Duration::from_secs(10);
    let second = loop {
        match main.open_session() {
            Ok(s) => break s,
            Err(e) if Instant::now() < deadline => {
                assert!(e.to_string().contains("its most"), "{e}");
                std::thread::sleep(Duration::from_millis(50));
            }
            Err(e) => panic!("the idle session never ended: {e}"),
        }
    };
    assert_ne!(first.url(), second.url());
    let path = first.url().split_once("/sessions/").unwrap().1;
    let gone = get(server.addr(), &format!("/sessions/{path}?wsdl"));
    assert_eq!(gone.status, 404, "{gone:?}");
}

#[test]
fn ecapi_session_new_prints_an_endpoint_that_works_and_drop_ends_it() {
    let server = serve_with_sessions(Duration::from_secs(600), 4);
    let out = Command::new(BIN)
        .args(["session", "new", "--endpoint", &server.url()])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let url = String::from_utf8(out.stdout).unwrap().trim().to_string();
    assert!(url.contains("/sessions/"), "{url}");
    let call = Command::new(BIN)
        .args(["call", "InitStation", "Extension=1", "--endpoint", &url])
        .output()
        .unwrap();
    assert!(call.status.success(), "{call:?}");
    let dropped = Command::new(BIN)
        .args(["session", "drop", &url])
        .output()
        .unwrap();
    assert!(dropped.status.success(), "{dropped:?}");
    let again = Command::new(BIN)
        .args(["session", "drop", &url])
        .output()
        .unwrap();
    assert_eq!(again.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&again.stderr).contains("no session"),
        "{again:?}"
    );
}
