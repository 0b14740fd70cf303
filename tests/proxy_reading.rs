//! What `ecapi proxy` reads of what it forwards, and what it withholds: `--redact` in every output
//! (the line, standard error, the record, replay and script), gzip answers and WSDLs, the
//! connection's own headers, an upstream with a contract of its own, the Host it writes into a
//! WSDL. Scripted upstreams answer exactly what each case needs.

mod common;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use ecapi::api::{ApiVersion, Operation, Param, Request};
use ecapi::client::content_encoding::Coding;
use ecapi::client::{Http, HttpOptions, Transport};
use ecapi::proxy::{self, record, ProxyOptions};
use ecapi::simulator::{ClockMode, DbLocation, RecorderConfig, Settings, Simulator};

const CARD: &str = "4111111111111111";
const LOGIN: &str = "CORP\\bjones";
const NS: &str = "http://tempuri.org/";

// ---------------------------------------------------------------------------------------------
// A scripted upstream and raw HTTP

/// One request as the scripted upstream got it.
#[derive(Debug, Clone)]
struct Got {
    head: String,
}

/// An upstream that answers each request with what `answer` makes of it, one request per
/// connection, and keeps every request it got.
struct Scripted {
    addr: SocketAddr,
    got: Arc<Mutex<Vec<Got>>>,
}

impl Scripted {
    fn start(answer: impl Fn(&Got, SocketAddr) -> Vec<u8> + Send + Sync + 'static) -> Scripted {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let got = Arc::new(Mutex::new(Vec::new()));
        let kept = got.clone();
        let answer = Arc::new(answer);
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { return };
                let kept = kept.clone();
                let answer = answer.clone();
                std::thread::spawn(move || {
                    let Some(request) = read_message(&mut stream) else {
                        return;
                    };
                    let request = Got { head: request.0 };
                    let reply = answer(&request, addr);
                    kept.lock().unwrap().push(request);
                    let _ = stream.write_all(&reply);
                });
            }
        });
        Scripted { addr, got }
    }

    fn url(&self) -> String {
        format!("http://{}/WebAPI/ECAPI.svc", self.addr)
    }

    fn got(&self) -> Vec<Got> {
        self.got.lock().unwrap().clone()
    }
}

/// Reads one HTTP message (head and a Content-Length body) off a stream.
fn read_message(stream: &mut TcpStream) -> Option<(String, Vec<u8>)> {
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let mut bytes = Vec::new();
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        if let Some(at) = bytes.windows(4).position(|w| w == b"\r\n\r\n") {
            break at;
        }
        let n = stream.read(&mut chunk).ok()?;
        if n == 0 {
            return None;
        }
        bytes.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&bytes[..head_end]).into_owned();
    let length = header(&head, "content-length")
        .and_then(|v| v.parse::<usize>().ok())
        .unwrap_or(0);
    let mut body = bytes[head_end + 4..].to_vec();
    while body.len() < length {
        let n = stream.read(&mut chunk).ok()?;
        if n == 0 {
            break;
        }
        body.extend_from_slice(&chunk[..n]);
    }
    Some((head, body))
}

fn header(head: &str, name: &str) -> Option<String> {
    head.lines().skip(1).find_map(|l| {
        let (n, v) = l.split_once(':')?;
        n.trim()
            .eq_ignore_ascii_case(name)
            .then(|| v.trim().to_string())
    })
}

/// An HTTP/1.1 answer with a body and the given extra header lines.
fn http_answer(status: &str, headers: &[&str], body: &[u8]) -> Vec<u8> {
    let mut out = format!("HTTP/1.1 {status}\r\nContent-Length: {}\r\n", body.len());
    for h in headers {
        out.push_str(h);
        out.push_str("\r\n");
    }
    out.push_str("Connection: close\r\n\r\n");
    let mut out = out.into_bytes();
    out.extend_from_slice(body);
    out
}

/// Sends a whole request over a new connection (it asks to close) and reads the answer: head and
/// body bytes.
fn exchange(addr: SocketAddr, request: &[u8]) -> (String, Vec<u8>) {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream.write_all(request).unwrap();
    read_message(&mut stream).expect("an answer")
}

/// A SOAP POST with a body given as bytes.
fn soap_post(path: &str, action: Option<&str>, content_type: &str, body: &[u8]) -> Vec<u8> {
    let mut head = format!(
        "POST {path} HTTP/1.1\r\nHost: test\r\nContent-Type: {content_type}\r\n\
         Content-Length: {}\r\nConnection: close\r\n",
        body.len()
    );
    if let Some(action) = action {
        head.push_str(&format!("SOAPAction: \"{action}\"\r\n"));
    }
    head.push_str("\r\n");
    let mut out = head.into_bytes();
    out.extend_from_slice(body);
    out
}

fn envelope(inner: &str) -> String {
    format!(
        "<s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\"><s:Body>{inner}\
         </s:Body></s:Envelope>"
    )
}

fn response_envelope(op: &str, ns: &str, fields: &str) -> String {
    envelope(&format!(
        "<{op}Response xmlns=\"{ns}\"><{op}Result xmlns:a=\"http://schemas.datacontract.org/2004/07/ECAPI\" \
         xmlns:i=\"http://www.w3.org/2001/XMLSchema-instance\"><a:responseCode>100</a:responseCode>\
         <a:responseMessage>Command executed as expected</a:responseMessage>{fields}</{op}Result>\
         </{op}Response>"
    ))
}

// ---------------------------------------------------------------------------------------------
// --redact through a proxy process

fn ecapi() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_ecapi"));
    c.env("NO_COLOR", "1").env_remove("ECAPI_ENDPOINT");
    c
}

/// Starts `ecapi proxy` with `args`, reads its banner up to the WSDL line; returns the child and
/// the endpoint URL.
fn proxy_process(upstream: &str, args: &[&str]) -> (Child, String, String) {
    let mut child = ecapi()
        .args(["proxy", "--listen", "127.0.0.1:0", "--upstream", upstream])
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = child.stdout.take().unwrap();
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
    child.stdout = Some(stdout);
    (child, url, String::from_utf8_lossy(&banner).into_owned())
}

/// Stops the proxy (SIGTERM where there is one) and returns what it wrote after its banner on
/// standard output, and on standard error.
fn stop(mut child: Child) -> (String, String) {
    #[cfg(unix)]
    Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    #[cfg(not(unix))]
    child.kill().unwrap();
    let mut out = String::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut out)
        .unwrap();
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    let _ = child.wait();
    (out, err)
}

fn recorder() -> Simulator {
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

fn utf16le(text: &str) -> Vec<u8> {
    let mut out = vec![0xFF, 0xFE];
    for unit in text.encode_utf16() {
        out.extend_from_slice(&unit.to_le_bytes());
    }
    out
}

/// Sends, through the proxy at `url`, a card number assigned to fldCustomerAccountNum and read
/// back, and a Windows login, in every form a CRM might give them.
fn send_secrets(url: &str) {
    let addr: SocketAddr = url
        .trim_start_matches("http://")
        .split('/')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let path = "/WebAPI/ECAPI.svc";
    let xml = "text/xml; charset=utf-8";
    let action = |op: &str| format!("{NS}IECAPI/{op}");
    let send = |op: &str, body: &[u8], ct: &str| {
        let (head, _) = exchange(addr, &soap_post(path, Some(&action(op)), ct, body));
        head
    };
    let start = envelope(&format!(
        "<StartRecording xmlns=\"{NS}\"><Unit>1</Unit><Port>5</Port></StartRecording>"
    ));
    assert!(send("StartRecording", start.as_bytes(), xml).contains(" 200 "));
    // Prefixed and in CDATA: read and assigned.
    let assign = envelope(&format!(
        "<q:AssignField xmlns:q=\"{NS}\"><q:Unit>1</q:Unit><q:Port>5</q:Port>\
         <q:fieldName>fldCustomerAccountNum</q:fieldName>\
         <q:fieldValue><![CDATA[{CARD}]]></q:fieldValue></q:AssignField>"
    ));
    assert!(send("AssignField", assign.as_bytes(), xml).contains(" 200 "));
    // The recorder answers it back.
    let get = envelope(&format!(
        "<GetField xmlns=\"{NS}\"><Unit>1</Unit><Port>5</Port>\
         <fieldName>fldCustomerAccountNum</fieldName></GetField>"
    ));
    assert!(send("GetField", get.as_bytes(), xml).contains(" 200 "));
    // Character references, and the field named by a reference too.
    let card_refs: String = CARD.chars().map(|c| format!("&#{};", c as u32)).collect();
    let assign = envelope(&format!(
        "<AssignField xmlns=\"{NS}\"><Unit>1</Unit><Port>5</Port>\
         <fieldName>fld&#67;ustomerAccountNum</fieldName><fieldValue>{card_refs}</fieldValue>\
         </AssignField>"
    ));
    send("AssignField", assign.as_bytes(), xml);
    // The wrong case: WCF skips the element (a note says so), its value is still withheld.
    let assign = envelope(&format!(
        "<AssignField xmlns=\"{NS}\"><Unit>1</Unit><Port>5</Port>\
         <fieldName>fldCustomerAccountNum</fieldName><FIELDVALUE>{CARD}</FIELDVALUE></AssignField>"
    ));
    send("AssignField", assign.as_bytes(), xml);
    // UTF-16, as a .NET client configured so sends it.
    let assign = envelope(&format!(
        "<AssignField xmlns=\"{NS}\"><Unit>1</Unit><Port>5</Port>\
         <fieldName>fldCustomerAccountNum</fieldName><fieldValue>{CARD}</fieldValue></AssignField>"
    ));
    send("AssignField", &utf16le(&assign), "text/xml; charset=utf-16");
    // Cut short: the upstream refuses it, the record keeps none of it.
    let cut = &assign[..assign.find(CARD).unwrap() + CARD.len()];
    send("AssignField", cut.as_bytes(), xml);
    // A value holding a child element: WCF faults, and the fault must not quote it.
    let child = envelope(&format!(
        "<AssignField xmlns=\"{NS}\"><Unit>1</Unit><Port>5</Port>\
         <fieldName>fldCustomerAccountNum</fieldName><fieldValue><b>{CARD}</b></fieldValue>\
         </AssignField>"
    ));
    send("AssignField", child.as_bytes(), xml);
    // A Windows login, prefixed, and in DesktopPause.
    let init = envelope(&format!(
        "<e:InitUser xmlns:e=\"{NS}\"><e:Machine>WS-9</e:Machine><e:User>{LOGIN}</e:User>\
         </e:InitUser>"
    ));
    send("InitUser", init.as_bytes(), xml);
    let pause = envelope(&format!(
        "<DesktopPause xmlns=\"{NS}\"><User>CORP&#92;bjones</User></DesktopPause>"
    ));
    send("DesktopPause", pause.as_bytes(), xml);
    // An empty value stays empty.
    let empty = envelope(&format!(
        "<AssignField xmlns=\"{NS}\"><Unit>1</Unit><Port>5</Port>\
         <fieldName>fldCustomerAccountNum</fieldName><fieldValue></fieldValue></AssignField>"
    ));
    send("AssignField", empty.as_bytes(), xml);
}

/// Every form in which a secret could show: as sent, and as UTF-16 or JSON would carry it.
fn assert_no_secret(what: &str, text: &str, secrets: &[&str]) {
    for secret in secrets {
        assert!(!text.contains(secret), "{secret} in {what}:\n{text}");
        let json = secret.replace('\\', "\\\\");
        assert!(!text.contains(&json), "{secret} in {what}:\n{text}");
        let nul: String = secret.chars().map(|c| format!("{c}\\u0000")).collect();
        assert!(!text.contains(&nul), "{secret} (UTF-16) in {what}");
    }
    // The card in any run of its digits that could only be it, the login without its domain.
    if secrets.contains(&CARD) {
        assert!(!text.contains("411111111111"), "card digits in {what}");
    }
    if secrets.contains(&LOGIN) {
        assert!(!text.contains("bjones"), "login in {what}");
    }
}

/// Runs the secrets through a proxy process with `redact`, then replays and scripts the record;
/// every output is checked, and the replay and the script must pass against a fresh recorder.
fn secrets_withheld_everywhere(redact: &[&str], secrets: &[&str]) -> (Vec<record::Record>, String) {
    let dir = tempfile::tempdir().unwrap();
    let rec = dir.path().join("rec.jsonl");
    let upstream = common::serve_sim(recorder());
    let mut args = vec!["--record", rec.to_str().unwrap(), "--shadow", "embedded"];
    for r in redact {
        args.push("--redact");
        args.push(r);
    }
    let (child, url, banner) = proxy_process(&upstream.url(), &args);
    assert!(banner.contains("withholding: "), "{banner}");
    send_secrets(&url);
    let (out, err) = stop(child);
    assert!(out.contains("AssignField"), "{out}");
    assert!(out.contains("[redacted]"), "{out}");
    // The audit judges the values as they travelled: a withheld card number is still found, and
    // said masked.
    assert!(out.contains("error[card-data]"), "{out}");
    assert_no_secret("standard output", &out, secrets);
    assert_no_secret("standard error", &err, secrets);
    let text = std::fs::read_to_string(&rec).unwrap();
    assert_no_secret("the record", &text, secrets);
    let records = record::read(&rec).unwrap().records;

    let replay = ecapi()
        .arg("replay")
        .arg(&rec)
        .args(["--profile", "recorder"])
        .output()
        .unwrap();
    let replay_out = String::from_utf8_lossy(&replay.stdout).into_owned()
        + String::from_utf8_lossy(&replay.stderr).as_ref();
    assert_no_secret("the replay", &replay_out, secrets);
    assert_eq!(replay.status.code(), Some(0), "{replay_out}");
    assert!(replay_out.contains("redacted: "), "{replay_out}");

    let flow = dir.path().join("flow.rhai");
    let script = ecapi()
        .arg("script")
        .arg(&rec)
        .arg("-o")
        .arg(&flow)
        .output()
        .unwrap();
    assert!(script.status.success());
    let flow_text = std::fs::read_to_string(&flow).unwrap();
    assert_no_secret("the script", &flow_text, secrets);
    let run = ecapi()
        .arg("run")
        .arg(&flow)
        .args(["--profile", "recorder"])
        .output()
        .unwrap();
    let run_out = String::from_utf8_lossy(&run.stdout).into_owned()
        + String::from_utf8_lossy(&run.stderr).as_ref();
    assert!(run.status.success(), "{flow_text}\n{run_out}");
    assert_no_secret("the script's run", &run_out, secrets);
    (records, flow_text)
}

#[test]
fn redacting_field_value_and_user_withholds_a_card_and_a_login_from_every_output() {
    let (records, flow) = secrets_withheld_everywhere(&["fieldValue", "User"], &[CARD, LOGIN]);
    let assigns: Vec<&record::Record> = records
        .iter()
        .filter(|r| {
            r.body_operation.as_deref() == Some("AssignField")
                || r.operation.as_deref() == Some("AssignField")
        })
        .collect();
    assert_eq!(assigns[0].parameters["fieldValue"], "[redacted]");
    assert_eq!(assigns[0].redacted["fieldValue"], "fieldValue");
    // An empty value stays empty, and is not said to be withheld.
    let last = assigns.last().unwrap();
    assert_eq!(last.parameters["fieldValue"], "");
    assert!(last.redacted.is_empty(), "{:?}", last.redacted);
    // The cut envelope is withheld whole.
    assert!(records
        .iter()
        .any(|r| r.request == ecapi::proxy::redact::WITHHELD_ENVELOPE));
    let init = records
        .iter()
        .find(|r| r.operation.as_deref() == Some("InitUser"))
        .unwrap();
    assert_eq!(init.parameters["User"], "[redacted]");
    assert_eq!(init.parameters["Machine"], "WS-9");
    assert!(
        flow.contains("let user = \"[redacted]\"; // withheld by --redact User"),
        "{flow}"
    );
    assert!(
        flow.contains(
            "let customer_account_num = \"[redacted]\"; // withheld by --redact fieldValue"
        ),
        "{flow}"
    );
    assert!(flow.contains("init_user(user, \"WS-9\")"), "{flow}");
}

#[test]
fn redacting_an_encore_field_withholds_what_is_assigned_to_it_and_read_from_it() {
    let (records, flow) = secrets_withheld_everywhere(&["fldCustomerAccountNum"], &[CARD]);
    let get = records
        .iter()
        .find(|r| r.operation.as_deref() == Some("GetField"))
        .unwrap();
    assert_eq!(get.code, Some(100));
    assert_eq!(get.fields["fieldValue"], "[redacted]");
    assert_eq!(get.redacted["fieldValue"], "fldCustomerAccountNum");
    assert!(get.response.as_deref().unwrap().contains(">[redacted]<"));
    // The login was not asked for: it stays.
    let init = records
        .iter()
        .find(|r| r.operation.as_deref() == Some("InitUser"))
        .unwrap();
    assert_eq!(init.parameters["User"], LOGIN);
    assert!(
        flow.contains("// withheld by --redact fldCustomerAccountNum"),
        "{flow}"
    );
}

#[test]
fn an_unknown_redact_name_exits_2_naming_the_closest() {
    for (typo, closest) in [
        ("feldValue", "fieldValue"),
        ("CustomerAccountNum", "fldCustomerAccountNum"),
        ("usr", "User"),
    ] {
        let out = ecapi()
            .args([
                "proxy",
                "--listen",
                "127.0.0.1:0",
                "--upstream",
                "http://127.0.0.1:9/WebAPI/ECAPI.svc",
                "--redact",
                typo,
            ])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains(&format!("--redact {typo}"))
                && err.contains(&format!("closest is {closest}")),
            "{err}"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Reading what is forwarded

/// A one-document WSDL for PortStatus under `ns`, addressed at `addr`.
fn wsdl_for(addr: SocketAddr) -> String {
    ecapi::soap::single_wsdl(
        ApiVersion::V7_1,
        &ecapi::soap::Names::default(),
        &format!("http://{addr}/WebAPI/ECAPI.svc"),
    )
}

#[test]
fn a_gzip_answer_and_a_gzip_wsdl_are_read_and_the_client_gets_them_coded() {
    let upstream = Scripted::start(|got, addr| {
        let gzip = header(&got.head, "accept-encoding").is_some_and(|v| v.contains("gzip"));
        let (ct, body) = if got.head.starts_with("GET") {
            ("text/xml; charset=UTF-8", wsdl_for(addr))
        } else {
            (
                "text/xml; charset=utf-8",
                response_envelope("PortStatus", NS, "<a:portStatus>RECORD</a:portStatus>"),
            )
        };
        if gzip {
            let coded = Coding::Gzip.encode(body.as_bytes());
            http_answer(
                "200 OK",
                &[&format!("Content-Type: {ct}"), "Content-Encoding: gzip"],
                &coded,
            )
        } else {
            http_answer("200 OK", &[&format!("Content-Type: {ct}")], body.as_bytes())
        }
    });
    let dir = tempfile::tempdir().unwrap();
    let rec = dir.path().join("rec.jsonl");
    let mut options = ProxyOptions::new("127.0.0.1:0", upstream.url());
    options.record = Some(rec.clone());
    let proxy = proxy::start(options).unwrap();
    assert!(proxy.warnings().is_empty(), "{:?}", proxy.warnings());

    // The WSDL, asked for with gzip: rewritten, coded again, with its own length.
    let get = format!(
        "GET /WebAPI/ECAPI.svc?wsdl HTTP/1.1\r\nHost: {}\r\nAccept-Encoding: gzip\r\n\
         Connection: close\r\n\r\n",
        proxy.addr()
    );
    let (head, body) = exchange(proxy.addr(), get.as_bytes());
    assert_eq!(
        header(&head, "content-encoding").as_deref(),
        Some("gzip"),
        "{head}"
    );
    assert_eq!(
        header(&head, "content-length").unwrap(),
        body.len().to_string()
    );
    let wsdl = String::from_utf8(Coding::Gzip.decode(&body, 1 << 20).unwrap()).unwrap();
    assert!(
        wsdl.contains(&format!("location=\"{}\"", proxy.url())),
        "{wsdl}"
    );
    assert!(!wsdl.contains(&upstream.addr.to_string()));

    // A gzip answer: the client gets the upstream's bytes; the line and record read it.
    let request = envelope(&format!(
        "<PortStatus xmlns=\"{NS}\"><Unit>1</Unit><Port>5</Port></PortStatus>"
    ));
    let mut post = soap_post(
        "/WebAPI/ECAPI.svc",
        Some(&format!("{NS}IECAPI/PortStatus")),
        "text/xml; charset=utf-8",
        request.as_bytes(),
    );
    let at = post.windows(2).position(|w| w == b"\r\n").unwrap() + 2;
    post.splice(at..at, b"Accept-Encoding: gzip\r\n".iter().copied());
    let (head, body) = exchange(proxy.addr(), &post);
    assert_eq!(header(&head, "content-encoding").as_deref(), Some("gzip"));
    let expected = Coding::Gzip.encode(
        response_envelope("PortStatus", NS, "<a:portStatus>RECORD</a:portStatus>").as_bytes(),
    );
    assert_eq!(body, expected, "forwarded unchanged");

    // The SOAP client, through the proxy, reads the gzip WSDL and a gzip answer alike.
    let http = Http::connect(HttpOptions::new(proxy.url())).unwrap();
    assert!(http.warnings().is_empty(), "{:?}", http.warnings());
    drop(proxy);
    let records = record::read(&rec).unwrap().records;
    assert_eq!(records[0].operation.as_deref(), Some("PortStatus"));
    assert_eq!(records[0].code, Some(100));
    assert_eq!(records[0].fields["portStatus"], "RECORD");
    assert!(records[0].response.as_deref().unwrap().contains("RECORD"));
}

#[test]
fn the_soap_client_reads_a_gzip_answer() {
    let upstream = Scripted::start(|got, addr| {
        let body = if got.head.starts_with("GET") {
            wsdl_for(addr)
        } else {
            response_envelope("PortStatus", NS, "<a:portStatus>PAUSE</a:portStatus>")
        };
        http_answer(
            "200 OK",
            &[
                "Content-Type: text/xml; charset=utf-8",
                "Content-Encoding: gzip",
            ],
            &Coding::Gzip.encode(body.as_bytes()),
        )
    });
    let mut http = Http::connect(HttpOptions::new(upstream.url())).unwrap();
    assert!(http.warnings().is_empty(), "{:?}", http.warnings());
    let r = http
        .call(
            &Request::new(Operation::PortStatus)
                .with(Param::Unit, "1")
                .with(Param::Port, "5"),
        )
        .unwrap();
    assert_eq!(r.response.status.as_deref(), Some("PAUSE"));
}

#[test]
fn headers_named_in_connection_stay_on_their_own_connection_both_ways() {
    let upstream = Scripted::start(|got, addr| {
        if got.head.starts_with("GET") {
            return http_answer("404 Not Found", &[], b"");
        }
        let _ = addr;
        http_answer(
            "200 OK",
            &[
                "Content-Type: text/xml; charset=utf-8",
                "X-Upstream-Hop: secret-of-the-upstream-connection",
                "Connection: X-Upstream-Hop",
                "X-End-To-End: kept",
            ],
            response_envelope("PortStatus", NS, "<a:portStatus>RECORD</a:portStatus>").as_bytes(),
        )
    });
    let proxy = proxy::start(ProxyOptions::new("127.0.0.1:0", upstream.url())).unwrap();
    // No WSDL: the default contract, and a warning naming the document.
    assert!(
        proxy
            .warnings()
            .iter()
            .any(|w| w.contains(&format!("{}?wsdl", upstream.url())) && w.contains("404")),
        "{:?}",
        proxy.warnings()
    );
    let request = envelope(&format!(
        "<PortStatus xmlns=\"{NS}\"><Unit>1</Unit><Port>5</Port></PortStatus>"
    ));
    let raw = format!(
        "POST /WebAPI/ECAPI.svc HTTP/1.1\r\nHost: x\r\nContent-Type: text/xml; charset=utf-8\r\n\
         SOAPAction: \"{NS}IECAPI/PortStatus\"\r\nX-Client-Hop: 1\r\nKeep-Alive: timeout=5\r\n\
         Connection: close, X-Client-Hop\r\nX-Crm: kept\r\nContent-Length: {}\r\n\r\n{request}",
        request.len()
    );
    let (head, _) = exchange(proxy.addr(), raw.as_bytes());
    assert!(head.contains(" 200 "), "{head}");
    assert_eq!(header(&head, "x-upstream-hop"), None, "{head}");
    assert_eq!(header(&head, "x-end-to-end").as_deref(), Some("kept"));
    let posted = upstream
        .got()
        .into_iter()
        .find(|g| g.head.starts_with("POST"))
        .unwrap();
    assert_eq!(
        header(&posted.head, "x-client-hop"),
        None,
        "{}",
        posted.head
    );
    assert_eq!(header(&posted.head, "keep-alive"), None, "{}", posted.head);
    assert_eq!(header(&posted.head, "x-crm").as_deref(), Some("kept"));
}

/// A WSDL split as WCF splits it when the contract's namespace is not the service's: the binding
/// and service in tempuri.org, the port type in `?wsdl=wsdl0`, the elements in `?xsd=xsd0`.
/// StopRecording has an action of its own and its parameters the other way round.
fn split_wsdl(query: &str, addr: SocketAddr, ns: &str) -> String {
    let base = format!("http://{addr}/WebAPI/ECAPI.svc");
    let wsdl = "http://schemas.xmlsoap.org/wsdl/";
    let soap = "http://schemas.xmlsoap.org/wsdl/soap/";
    let xs = "http://www.w3.org/2001/XMLSchema";
    let ops = ["PortStatus", "StopRecording"];
    match query {
        "wsdl" => {
            let bound: String = ops
                .iter()
                .map(|op| {
                    // StopRecording has an action of its own, as [OperationContract(Action=…)]
                    // gives one.
                    let action = if *op == "StopRecording" {
                        "urn:encore:stop".to_string()
                    } else {
                        format!("{ns}/IECAPI/{op}")
                    };
                    format!(
                        "<wsdl:operation name=\"{op}\"><soap:operation soapAction=\"{action}\" \
                         style=\"document\"/><wsdl:input><soap:body use=\"literal\"/></wsdl:input>\
                         <wsdl:output><soap:body use=\"literal\"/></wsdl:output></wsdl:operation>"
                    )
                })
                .collect();
            format!(
                "<wsdl:definitions name=\"ECAPI\" targetNamespace=\"http://tempuri.org/\" \
                 xmlns:wsdl=\"{wsdl}\" xmlns:soap=\"{soap}\" xmlns:i0=\"{ns}\">\
                 <wsdl:import namespace=\"{ns}\" location=\"{base}?wsdl=wsdl0\"/>\
                 <wsdl:types/><wsdl:binding name=\"BasicHttpBinding_IECAPI\" type=\"i0:IECAPI\">\
                 <soap:binding transport=\"http://schemas.xmlsoap.org/soap/http\"/>{bound}\
                 </wsdl:binding><wsdl:service name=\"ECAPI\"><wsdl:port name=\"BasicHttpBinding_IECAPI\" \
                 binding=\"tns:BasicHttpBinding_IECAPI\"><soap:address location=\"{base}\"/>\
                 </wsdl:port></wsdl:service></wsdl:definitions>"
            )
        }
        "wsdl=wsdl0" => {
            let port_ops: String = ops
                .iter()
                .map(|op| {
                    format!(
                        "<wsdl:operation name=\"{op}\"><wsdl:input message=\"tns:IECAPI_{op}_InputMessage\"/>\
                         <wsdl:output message=\"tns:IECAPI_{op}_OutputMessage\"/></wsdl:operation>"
                    )
                })
                .collect();
            format!(
                "<wsdl:definitions targetNamespace=\"{ns}\" xmlns:wsdl=\"{wsdl}\" xmlns:tns=\"{ns}\" \
                 xmlns:xsd=\"{xs}\"><wsdl:types><xsd:schema targetNamespace=\"{ns}/Imports\">\
                 <xsd:import schemaLocation=\"{base}?xsd=xsd0\" namespace=\"{ns}\"/></xsd:schema>\
                 </wsdl:types><wsdl:portType name=\"IECAPI\">{port_ops}</wsdl:portType>\
                 </wsdl:definitions>"
            )
        }
        _ => format!(
            "<xs:schema elementFormDefault=\"qualified\" targetNamespace=\"{ns}\" xmlns:xs=\"{xs}\">\
             <xs:element name=\"PortStatus\"><xs:complexType><xs:sequence>\
             <xs:element minOccurs=\"0\" name=\"Unit\" nillable=\"true\" type=\"xs:string\"/>\
             <xs:element minOccurs=\"0\" name=\"Port\" nillable=\"true\" type=\"xs:string\"/>\
             </xs:sequence></xs:complexType></xs:element>\
             <xs:element name=\"StopRecording\"><xs:complexType><xs:sequence>\
             <xs:element minOccurs=\"0\" name=\"Port\" nillable=\"true\" type=\"xs:string\"/>\
             <xs:element minOccurs=\"0\" name=\"Unit\" nillable=\"true\" type=\"xs:string\"/>\
             </xs:sequence></xs:complexType></xs:element></xs:schema>"
        ),
    }
}

#[test]
fn an_upstream_with_its_own_contract_namespace_is_read_by_its_split_wsdl() {
    const OWN: &str = "http://encore.example.com/webapi/2014";
    let upstream = Scripted::start(|got, addr| {
        let line = got.head.lines().next().unwrap_or_default().to_string();
        if line.starts_with("GET") {
            let query = line
                .split_whitespace()
                .nth(1)
                .and_then(|t| t.split_once('?'))
                .map_or("", |(_, q)| q)
                .to_string();
            return http_answer(
                "200 OK",
                &["Content-Type: text/xml; charset=UTF-8"],
                split_wsdl(&query, addr, OWN).as_bytes(),
            );
        }
        let action = header(&got.head, "soapaction").unwrap_or_default();
        let op = match action.trim_matches('"') {
            "urn:encore:stop" => "StopRecording".to_string(),
            other => other.rsplit('/').next().unwrap_or_default().to_string(),
        };
        let fields = if op == "PortStatus" {
            "<a:portStatus>NOT RECORDING</a:portStatus>"
        } else {
            ""
        };
        let body = response_envelope(&op, OWN, fields).replace(
            "<a:responseCode>100</a:responseCode><a:responseMessage>Command executed as expected",
            if op == "StopRecording" {
                "<a:responseCode>608</a:responseCode><a:responseMessage>Warning: Port was not recording"
            } else {
                "<a:responseCode>100</a:responseCode><a:responseMessage>Command executed as expected"
            },
        );
        http_answer(
            "200 OK",
            &[
                "Content-Type: text/xml; charset=utf-8",
                "x-ecapi-reason: port 5 is not recording",
            ],
            body.as_bytes(),
        )
    });
    let dir = tempfile::tempdir().unwrap();
    let rec = dir.path().join("rec.jsonl");
    // Two operations of 7.0 are all this WSDL describes.
    let (child, url, _) = proxy_process(
        &upstream.url(),
        &["--record", rec.to_str().unwrap(), "--api", "7.0"],
    );
    // The SOAP client learns the same contract through the proxy and speaks it.
    let mut http = Http::connect(HttpOptions::new(url.clone())).unwrap();
    assert!(http.warnings().is_empty(), "{:?}", http.warnings());
    assert_eq!(http.contract().names.service_ns, OWN);
    let at = |op| {
        Request::new(op)
            .with(Param::Unit, "1")
            .with(Param::Port, "5")
    };
    assert_eq!(
        http.call(&at(Operation::PortStatus)).unwrap().response.code,
        100
    );
    assert_eq!(
        http.call(&at(Operation::StopRecording))
            .unwrap()
            .response
            .code,
        608
    );
    // A body that names its operation with no SOAPAction: named by the body on the line.
    let addr: SocketAddr = url
        .trim_start_matches("http://")
        .split('/')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let body = envelope(&format!(
        "<PortStatus xmlns=\"{OWN}\"><Unit>1</Unit><Port>5</Port></PortStatus>"
    ));
    exchange(
        addr,
        &soap_post(
            "/WebAPI/ECAPI.svc",
            None,
            "text/xml; charset=utf-8",
            body.as_bytes(),
        ),
    );
    let (out, err) = stop(child);
    assert!(!err.contains("warning"), "{err}");
    let lines: Vec<&str> = out.lines().filter(|l| l.contains("127.0.0.1")).collect();
    let port_status = lines.iter().find(|l| l.contains("PortStatus ")).unwrap();
    assert!(
        port_status.contains("Unit=1 Port=5  100 Command executed as expected"),
        "{out}"
    );
    assert!(!port_status.contains("note:"), "{port_status}");
    let stop_line = lines.iter().find(|l| l.contains("StopRecording")).unwrap();
    assert!(
        stop_line.contains("608 Warning: Port was not recording")
            && stop_line.contains("reason: port 5 is not recording"),
        "{stop_line}"
    );
    assert!(lines.iter().any(|l| l.contains("PortStatus?")), "{out}");
    let records = record::read(&rec).unwrap().records;
    assert_eq!(records[0].operation.as_deref(), Some("PortStatus"));
    assert_eq!(records[0].code, Some(100));
    assert!(records[0].notes.is_empty(), "{:?}", records[0].notes);
    assert_eq!(records[1].operation.as_deref(), Some("StopRecording"));
    assert_eq!(records[1].action.as_deref(), Some("urn:encore:stop"));
    assert_eq!(records[1].parameters["Unit"], "1");
    assert_eq!(records[1].parameters["Port"], "5");
    assert!(records[1].notes.is_empty(), "{:?}", records[1].notes);
    assert_eq!(records[1].code, Some(608));
    assert_eq!(
        records[1].reason.as_deref(),
        Some("port 5 is not recording")
    );
    assert_eq!(records[2].operation, None);
    assert_eq!(records[2].body_operation.as_deref(), Some("PortStatus"));
}

#[test]
fn the_proxy_escapes_a_hostile_host_header_out_of_the_wsdl() {
    let behind = common::serve(ApiVersion::V7_1);
    let proxy = proxy::start(ProxyOptions::new("127.0.0.1:0", behind.url())).unwrap();
    let get =
        "GET /WebAPI/ECAPI.svc?wsdl HTTP/1.1\r\nHost: x\"><evil/>\r\nConnection: close\r\n\r\n";
    let (head, body) = exchange(proxy.addr(), get.as_bytes());
    assert!(head.contains(" 200 "), "{head}");
    let wsdl = String::from_utf8(body).unwrap();
    assert!(!wsdl.contains("<evil/>"), "{wsdl}");
    // A Host that is no host falls back to the proxy's own address.
    assert!(
        wsdl.contains(&format!("location=\"{}\"", proxy.url())),
        "{wsdl}"
    );
}

#[test]
fn an_upstream_whose_wsdl_describes_another_api_version_is_warned_of() {
    let behind = common::serve(ApiVersion::V7_0);
    let proxy = proxy::start(ProxyOptions::new("127.0.0.1:0", behind.url())).unwrap();
    assert!(
        proxy
            .warnings()
            .iter()
            .any(|w| w.contains("describes API 7.0")),
        "{:?}",
        proxy.warnings()
    );
    let same = common::serve(ApiVersion::V7_1);
    let proxy = proxy::start(ProxyOptions::new("127.0.0.1:0", same.url())).unwrap();
    assert!(proxy.warnings().is_empty(), "{:?}", proxy.warnings());
}

#[test]
fn a_deflate_utf16_answer_is_read_and_its_withheld_field_taken_out() {
    let upstream = Scripted::start(|got, addr| {
        if got.head.starts_with("GET") {
            return http_answer(
                "200 OK",
                &["Content-Type: text/xml; charset=utf-8"],
                wsdl_for(addr).as_bytes(),
            );
        }
        // WCF with textEncoding="utf-16", behind a front end that compresses.
        let body = response_envelope(
            "GetField",
            NS,
            &format!("<a:fieldValue>{CARD}</a:fieldValue>"),
        );
        http_answer(
            "200 OK",
            &[
                "Content-Type: text/xml; charset=utf-16",
                "Content-Encoding: deflate",
            ],
            &Coding::Deflate.encode(&utf16le(&body)),
        )
    });
    let dir = tempfile::tempdir().unwrap();
    let rec = dir.path().join("rec.jsonl");
    let mut options = ProxyOptions::new("127.0.0.1:0", upstream.url());
    options.record = Some(rec.clone());
    options.redact = vec!["fldCustomerAccountNum".into()];
    let proxy = proxy::start(options).unwrap();
    let request = envelope(&format!(
        "<GetField xmlns=\"{NS}\"><Unit>1</Unit><Port>5</Port>\
         <fieldName>FLDCUSTOMERACCOUNTNUM</fieldName></GetField>"
    ));
    let (head, body) = exchange(
        proxy.addr(),
        &soap_post(
            "/WebAPI/ECAPI.svc",
            Some(&format!("{NS}IECAPI/GetField")),
            "text/xml; charset=utf-8",
            request.as_bytes(),
        ),
    );
    assert_eq!(
        header(&head, "content-encoding").as_deref(),
        Some("deflate")
    );
    // The client gets the card: only the views are withheld from.
    let text = Coding::Deflate.decode(&body, 1 << 20).unwrap();
    assert_eq!(
        text,
        utf16le(&response_envelope(
            "GetField",
            NS,
            &format!("<a:fieldValue>{CARD}</a:fieldValue>")
        ))
    );
    drop(proxy);
    let recorded = std::fs::read_to_string(&rec).unwrap();
    assert_no_secret("the record", &recorded, &[CARD]);
    let records = record::read(&rec).unwrap().records;
    assert_eq!(records[0].code, Some(100));
    assert_eq!(records[0].fields["fieldValue"], "[redacted]");
    assert!(
        records[0]
            .response
            .as_deref()
            .unwrap()
            .contains("<a:fieldValue>[redacted]</a:fieldValue>"),
        "{recorded}"
    );
}

#[test]
fn no_audit_leaves_the_proxy_s_lines_and_summary_without_findings() {
    let upstream = common::serve_sim(recorder());
    for (args, audited) in [(&[][..], true), (&["--no-audit"][..], false)] {
        let (child, url, _) = proxy_process(&upstream.url(), args);
        send_secrets(&url);
        let (out, _) = stop(child);
        assert_eq!(out.contains("error[card-data]"), audited, "{args:?}: {out}");
        assert_eq!(out.contains("audit:"), audited, "{args:?}: {out}");
        // The card is masked on the line either way.
        assert!(!out.contains(CARD), "{args:?}: {out}");
    }
}
