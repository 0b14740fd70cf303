//! `ecapi serve` and `--endpoint` as a user runs them: the binary serves, prints where, answers
//! `ecapi call --endpoint`, and stops cleanly on SIGTERM.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_ecapi");

#[test]
fn serve_prints_its_urls_answers_the_client_and_stops_on_sigterm() {
    let mut server = Command::new(BIN)
        .args(["serve", "--listen", "127.0.0.1:0", "--quiet"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(server.stdout.take().unwrap()).lines();
    let first = lines.next().unwrap().unwrap();
    let url = first
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .unwrap()
        .to_string();
    assert!(url.ends_with("/WebAPI/ECAPI.svc"), "{first}");
    assert_eq!(lines.next().unwrap().unwrap(), format!("WSDL: {url}?wsdl"));

    let call = Command::new(BIN)
        .args([
            "call",
            "InitStation",
            "Extension=1234",
            "--json",
            "--endpoint",
            &url,
        ])
        .output()
        .unwrap();
    assert!(call.status.success(), "{call:?}");
    let answer: serde_json::Value = serde_json::from_slice(&call.stdout).unwrap();
    assert_eq!(answer["code"], 100);
    assert_eq!(answer["port"], "1");

    let traced = Command::new(BIN)
        .args([
            "call",
            "PortStatus",
            "Unit=1",
            "Port=1",
            "--trace",
            "--endpoint",
            &url,
        ])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&traced.stderr);
    assert!(
        stderr.starts_with(&format!(
            "# SOAP client for {url}, API 7.1, contract from {url}?wsdl"
        )),
        "{stderr}"
    );
    assert!(
        stderr.contains("<a:portStatus>NOT RECORDING</a:portStatus>"),
        "{stderr}"
    );

    let status = Command::new("kill")
        .args(["-TERM", &server.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    assert!(server.wait().unwrap().success());
}

#[test]
fn an_unreachable_endpoint_is_reported_before_anything_runs_as_a_transport_failure() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/WebAPI/ECAPI.svc", listener.local_addr().unwrap());
    drop(listener);
    let call = Command::new(BIN)
        .args(["call", "PortStatus", "Unit=1", "Port=1"])
        .env("ECAPI_ENDPOINT", &url)
        .output()
        .unwrap();
    // scripting.md: a transport failure is exit 1 on every command; 2 is bad usage only.
    assert_eq!(call.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&call.stderr);
    assert!(stderr.contains("cannot connect to"), "{stderr}");
}
