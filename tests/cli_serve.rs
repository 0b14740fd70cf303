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

/// Sends a raw HTTP request and returns the whole answer.
fn raw_post(addr: &str, headers: &str, body: &str) -> String {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(addr).unwrap();
    write!(
        stream,
        "POST /WebAPI/ECAPI.svc HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n{headers}\
         Content-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    answer
}

#[test]
fn serve_trace_prints_what_each_client_sent_and_got_refusals_included() {
    let mut server = Command::new(BIN)
        .args(["serve", "--listen", "127.0.0.1:0", "--quiet", "--trace"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(server.stdout.take().unwrap()).lines();
    let first = lines.next().unwrap().unwrap();
    let url = first
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .unwrap()
        .to_string();
    let addr = url
        .trim_start_matches("http://")
        .split('/')
        .next()
        .unwrap()
        .to_string();
    let body = "<s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\"><s:Body>\
                <PortStatus xmlns=\"http://tempuri.org/\"><Unit>1</Unit><Port></Port>\
                </PortStatus></s:Body></s:Envelope>";
    let ok = raw_post(
        &addr,
        "Content-Type: text/xml; charset=utf-8\r\nSOAPAction: \"http://tempuri.org/IECAPI/PortStatus\"\r\n",
        body,
    );
    assert!(ok.starts_with("HTTP/1.1 200"), "{ok}");
    let refused = raw_post(&addr, "Content-Type: text/xml; charset=utf-8\r\n", body);
    assert!(refused.starts_with("HTTP/1.1 500"), "{refused}");
    let unsupported = raw_post(&addr, "Content-Type: application/json\r\n", "{}");
    assert!(unsupported.starts_with("HTTP/1.1 415"), "{unsupported}");

    let status = Command::new("kill")
        .args(["-TERM", &server.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let out = server.wait_with_output().unwrap();
    let trace = String::from_utf8_lossy(&out.stderr);
    // The request as it came, indented, an empty element kept empty; then the answer.
    assert!(
        trace.contains(
            "SOAPAction: \"http://tempuri.org/IECAPI/PortStatus\"\n\
             <s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\">\n  <s:Body>\n    \
             <PortStatus xmlns=\"http://tempuri.org/\">\n      <Unit>1</Unit>\n"
        ),
        "{trace}"
    );
    assert!(trace.contains("<-- HTTP 200 OK\n<s:Envelope"), "{trace}");
    assert!(
        trace.contains("<a:responseCode>"),
        "the answer is shown: {trace}"
    );
    // The fault, with its note in the summary line.
    assert!(
        trace.contains("--> a:ActionNotSupported: no SOAPAction arrived"),
        "{trace}"
    );
    assert!(trace.contains("SOAPAction: (none)"), "{trace}");
    assert!(
        trace.contains("<-- HTTP 500 Internal Server Error\n"),
        "{trace}"
    );
    assert!(
        trace.contains("a:ActionNotSupported</faultcode>"),
        "{trace}"
    );
    // The refusal, with WCF's status line and its empty body.
    assert!(
        trace.contains(
            "<-- HTTP 415 Cannot process the message because the content type \
             'application/json' was not the expected type 'text/xml; charset=utf-8'.\n(empty body)"
        ),
        "{trace}"
    );
}

/// The banner of `ecapi serve` started with `args` and `envs`, read up to its last line; the
/// server is stopped.
fn banner(dir: &std::path::Path, args: &[&str], envs: &[(&str, &str)]) -> String {
    let mut cmd = Command::new(BIN);
    cmd.current_dir(dir)
        .env_remove("ECAPI_CONTROL_TOKEN")
        .env_remove("ECAPI_ENV")
        .args(["serve", "--listen", "127.0.0.1:0", "--quiet"])
        .args(args)
        .stdout(Stdio::piped());
    for (k, v) in envs {
        cmd.env(k, v);
    }
    let mut server = cmd.spawn().unwrap();
    let mut shown = String::new();
    for line in BufReader::new(server.stdout.take().unwrap()).lines() {
        let line = line.unwrap();
        shown.push_str(&line);
        shown.push('\n');
        if line.starts_with("Stop with Ctrl-C") {
            break;
        }
    }
    server.kill().unwrap();
    server.wait().unwrap();
    shown
}

#[test]
fn serve_shows_a_supplied_control_token_masked_in_its_banner() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("ecapi.toml"),
        "[env.ci]\ncontrol-token = \"${SERVE_TOKEN_VAR}\"\n",
    )
    .unwrap();
    /// Options, environment variables and the token they supply.
    type Case<'a> = (&'a [&'a str], &'a [(&'a str, &'a str)], &'a str);
    let cases: [Case; 3] = [
        (&["--control-token", "TokOpt-4417"], &[], "TokOpt-4417"),
        (
            &[],
            &[("ECAPI_CONTROL_TOKEN", "TokEnv-5528")],
            "TokEnv-5528",
        ),
        (
            &["--env", "ci"],
            &[("SERVE_TOKEN_VAR", "TokToml-6639")],
            "TokToml-6639",
        ),
    ];
    for (args, envs, token) in cases {
        let shown = banner(dir.path(), args, envs);
        assert!(!shown.contains(token), "{args:?} {envs:?}:\n{shown}");
        assert!(
            shown.contains("Control token: *** (as given;"),
            "{args:?} {envs:?}:\n{shown}"
        );
    }
    // Without a token on loopback the control interface needs none, and none is shown.
    let shown = banner(dir.path(), &[], &[]);
    assert!(!shown.contains("Control token"), "{shown}");
}
