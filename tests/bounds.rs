//! Nothing one request, connection or file can break: the smallest form of each attack on
//! `ecapi serve` and `ecapi proxy`, asserting the bounded behaviour (time, memory, status and
//! message), and for the proxy's record, that every exchange a client was answered is in the file.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{envelope, soap};
use ecapi::api::ApiVersion;
use ecapi::proxy::record;

const BIN: &str = env!("CARGO_BIN_EXE_ecapi");

/// A child process killed when dropped, so a failing test leaves nothing running.
struct Proc(Child);

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Reads the first stdout line holding `http://` and answers the address in it.
fn printed_addr(child: &mut Child) -> SocketAddr {
    let stdout = child.stdout.take().unwrap();
    let mut lines = BufReader::new(stdout).lines();
    let line = lines
        .next()
        .expect("a line on standard output")
        .expect("text");
    let url = line
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .unwrap_or_else(|| panic!("no URL in {line:?}"));
    let hostport = url["http://".len()..].split('/').next().unwrap();
    // Keep reading standard output so the child never blocks on it.
    std::thread::spawn(move || for _ in lines {});
    hostport.parse().unwrap()
}

fn assign_field(value: &str) -> String {
    envelope(&format!(
        "<AssignField xmlns=\"http://tempuri.org/\"><Unit>1</Unit><Port>1</Port>\
         <fieldName>fldCase</fieldName><fieldValue>{value}</fieldValue></AssignField>"
    ))
}

const ASSIGN: &str = "http://tempuri.org/IECAPI/AssignField";

/// The proxy under a file-size limit of `limit` bytes (`ulimit -f`), recording to `record`.
#[cfg(unix)]
fn proxy_with_file_limit(upstream: &str, record: &std::path::Path, limit: u64) -> Proc {
    use std::os::unix::process::CommandExt;
    let mut command = Command::new(BIN);
    command
        .args(["proxy", "--listen", "127.0.0.1:0", "--quiet", "--upstream"])
        .arg(upstream)
        .arg("--record")
        .arg(record)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    // SAFETY: setrlimit is async-signal-safe and touches only the child's limits.
    unsafe {
        command.pre_exec(move || {
            let rl = libc::rlimit {
                rlim_cur: limit,
                rlim_max: limit,
            };
            if libc::setrlimit(libc::RLIMIT_FSIZE, &rl) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    Proc(command.spawn().expect("ecapi proxy starts"))
}

#[cfg(unix)]
#[test]
fn a_record_at_its_file_size_limit_withholds_answers_and_loses_none_it_gave() {
    let upstream = common::serve(ApiVersion::V7_1);
    let dir = tempfile::tempdir().unwrap();
    let rec = dir.path().join("record.jsonl");
    // Room for a handful of lines (each is over 1 KB): the limit is met mid-line.
    let mut proxy = proxy_with_file_limit(&upstream.url(), &rec, 9_000);
    let addr = printed_addr(&mut proxy.0);

    let mut answered = Vec::new();
    let mut withheld = 0;
    for i in 0..30 {
        let value = format!("case-{i:03}");
        let answer = soap(addr, ASSIGN, &assign_field(&value));
        match answer.status {
            200 => answered.push(value),
            502 => {
                withheld += 1;
                assert!(
                    answer.body.contains("could not be recorded in")
                        && answer.body.contains("record.jsonl")
                        && answer.body.contains("its answer is withheld"),
                    "{answer:?}"
                );
            }
            other => panic!("status {other}: {answer:?}"),
        }
    }
    assert!(answered.len() >= 3, "answered {answered:?}");
    assert!(withheld > 0, "the limit was never met");
    // Still running, still refusing rather than answering unrecorded.
    assert!(proxy.0.try_wait().unwrap().is_none(), "the proxy ended");
    assert_eq!(soap(addr, ASSIGN, &assign_field("late")).status, 502);

    // Every answered exchange is in the file, whole; nothing cut short is left in it.
    let recording = record::read(&rec).unwrap();
    assert!(recording.warning.is_none(), "{:?}", recording.warning);
    let recorded: Vec<String> = recording
        .records
        .iter()
        .map(|r| r.parameters["fieldValue"].clone())
        .collect();
    assert_eq!(recorded, answered);

    // Said once on standard error, not once per exchange.
    let _ = proxy.0.kill();
    let _ = proxy.0.wait();
    let mut stderr = String::new();
    proxy
        .0
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    assert_eq!(
        stderr.matches("could not be recorded").count(),
        1,
        "{stderr}"
    );
    assert!(
        stderr.contains("every exchange is answered 502"),
        "{stderr}"
    );
}

#[test]
fn replay_and_script_read_a_record_cut_mid_line_up_to_its_last_whole_line() {
    let upstream = common::serve(ApiVersion::V7_1);
    let dir = tempfile::tempdir().unwrap();
    let rec = dir.path().join("record.jsonl");
    {
        let mut options = ecapi::proxy::ProxyOptions::new("127.0.0.1:0", upstream.url());
        options.record = Some(rec.clone());
        let proxy = ecapi::proxy::start(options).unwrap();
        for i in 0..2 {
            let answer = soap(proxy.addr(), ASSIGN, &assign_field(&format!("v{i}")));
            assert_eq!(answer.status, 200, "{answer:?}");
        }
        proxy.stop();
    }
    // The summary line goes, and the last exchange is cut in its middle (a kill mid-write).
    let text = std::fs::read_to_string(&rec).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let cut = format!("{}\n{}", lines[0], &lines[1][..lines[1].len() / 2]);
    std::fs::write(&rec, cut).unwrap();

    let script = Command::new(BIN).arg("script").arg(&rec).output().unwrap();
    let stderr = String::from_utf8_lossy(&script.stderr);
    assert!(script.status.success(), "{stderr}");
    assert!(
        stderr.contains("record.jsonl:2: the last line is cut short"),
        "{stderr}"
    );
    let flow = String::from_utf8_lossy(&script.stdout);
    assert!(
        flow.contains("\"v0\"") && !flow.contains("\"v1\""),
        "{flow}"
    );

    let replay = Command::new(BIN)
        .arg("replay")
        .arg(&rec)
        .args(["--endpoint", &upstream.url()])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&replay.stderr);
    let stdout = String::from_utf8_lossy(&replay.stdout);
    assert!(
        stderr.contains("record.jsonl:2: the last line is cut short"),
        "{stderr}"
    );
    assert!(
        stdout.contains("1 exchanges replayed"),
        "{stdout}\n{stderr}"
    );
}

/// Resident memory of a process in KiB (VmRSS from /proc), or 0 where there is no /proc.
fn rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

/// `ecapi proxy` as a child process, quiet, with extra options.
fn proxy_child(upstream: &str, extra: &[&str]) -> (Proc, SocketAddr) {
    let mut child = Command::new(BIN)
        .args([
            "proxy",
            "--listen",
            "127.0.0.1:0",
            "--quiet",
            "--upstream",
            upstream,
        ])
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("ecapi proxy starts");
    let addr = printed_addr(&mut child);
    (Proc(child), addr)
}

/// An upstream that reads each request's head and answers it with `answer` (given the stream),
/// one connection at a time on its own thread.
fn scripted_upstream(answer: fn(&mut TcpStream)) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            std::thread::spawn(move || {
                let mut seen = Vec::new();
                let mut buf = [0u8; 8192];
                while !seen.ends_with(b"Envelope>") {
                    match stream.read(&mut buf) {
                        Ok(0) | Err(_) => return,
                        Ok(n) => seen.extend_from_slice(&buf[..n]),
                    }
                }
                answer(&mut stream);
            });
        }
    });
    format!("http://{addr}/WebAPI/ECAPI.svc")
}

/// An answer that never ends: chunks of 64 KiB for as long as the proxy reads them.
fn endless_answer(stream: &mut TcpStream) {
    let _ = stream.write_all(
        b"HTTP/1.1 200 OK\r\nContent-Type: text/xml; charset=utf-8\r\nTransfer-Encoding: chunked\r\n\r\n",
    );
    let chunk = [b'x'; 65536];
    loop {
        if stream.write_all(b"10000\r\n").is_err()
            || stream.write_all(&chunk).is_err()
            || stream.write_all(b"\r\n").is_err()
        {
            return;
        }
    }
}

/// An answer declaring 3 GB.
fn huge_declared_answer(stream: &mut TcpStream) {
    let _ = stream.write_all(
        b"HTTP/1.1 200 OK\r\nContent-Type: text/xml; charset=utf-8\r\nContent-Length: 3000000000\r\n\r\n<s:Envelope",
    );
    let _ = stream.flush();
    std::thread::sleep(Duration::from_secs(5));
}

const PORT_STATUS: &str = "http://tempuri.org/IECAPI/PortStatus";

fn port_status() -> String {
    envelope("<PortStatus xmlns=\"http://tempuri.org/\"><Unit>1</Unit><Port>1</Port></PortStatus>")
}

#[test]
fn an_upstream_answer_over_max_response_size_is_a_502_naming_it_in_bounded_memory() {
    for upstream in [
        scripted_upstream(endless_answer),
        scripted_upstream(huge_declared_answer),
    ] {
        let (proxy, addr) = proxy_child(&upstream, &["--max-response-size", "1000000"]);
        let before = rss_kib(proxy.0.id());
        let started = Instant::now();
        for _ in 0..4 {
            let answer = soap(addr, PORT_STATUS, &port_status());
            assert_eq!(answer.status, 502, "{answer:?}");
            assert!(
                answer
                    .body
                    .contains("the upstream's answer is over --max-response-size (1000000 bytes)"),
                "{answer:?}"
            );
        }
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "{:?}",
            started.elapsed()
        );
        let after = rss_kib(proxy.0.id());
        assert!(
            after < before + 32 * 1024,
            "RSS grew from {before} KiB to {after} KiB"
        );
    }
}

#[test]
fn requests_over_max_message_size_get_413_from_the_proxy_and_hold_no_more_than_the_limit() {
    let upstream = common::serve(ApiVersion::V7_1);
    let (proxy, addr) = proxy_child(&upstream.url(), &[]);
    let before = rss_kib(proxy.0.id());
    // Declared too large: refused unread.
    let answer = common::post(
        addr,
        "Content-Type: text/xml; charset=utf-8\r\n",
        &vec![b'x'; 70_000],
    );
    assert_eq!(answer.status, 413, "{answer:?}");
    assert!(
        answer
            .body
            .contains("the request is over --max-message-size (65536 bytes)"),
        "{answer:?}"
    );
    // 32 clients streaming 4 MiB bodies of undeclared length at once: each read to the limit only.
    let clients: Vec<_> = (0..32)
        .map(|_| {
            std::thread::spawn(move || {
                let mut stream = TcpStream::connect(addr).unwrap();
                stream
                    .set_read_timeout(Some(Duration::from_secs(10)))
                    .unwrap();
                let _ = stream.write_all(
                    b"POST /WebAPI/ECAPI.svc HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n",
                );
                let chunk = [b'x'; 65536];
                for _ in 0..64 {
                    if stream.write_all(b"10000\r\n").is_err()
                        || stream.write_all(&chunk).is_err()
                        || stream.write_all(b"\r\n").is_err()
                    {
                        break;
                    }
                }
                common::read_answer(stream).status
            })
        })
        .collect();
    for client in clients {
        assert_eq!(client.join().unwrap(), 413);
    }
    let after = rss_kib(proxy.0.id());
    assert!(
        after < before + 32 * 1024,
        "RSS grew from {before} KiB to {after} KiB"
    );
    common::assert_still_serving(addr);
}

/// How long until the server closes `stream` (reads until EOF or reset).
fn time_until_closed(mut stream: TcpStream) -> Duration {
    let started = Instant::now();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let mut buf = [0u8; 4096];
    loop {
        match stream.read(&mut buf) {
            Ok(0) => return started.elapsed(),
            Ok(_) => continue,
            Err(e)
                if e.kind() == std::io::ErrorKind::WouldBlock
                    || e.kind() == std::io::ErrorKind::TimedOut =>
            {
                panic!("the connection is still open after 10 s")
            }
            Err(_) => return started.elapsed(),
        }
    }
}

#[test]
fn the_proxy_has_serves_header_body_and_idle_timeouts() {
    let upstream = common::serve(ApiVersion::V7_1);
    let (_proxy, addr) = proxy_child(
        &upstream.url(),
        &[
            "--header-timeout",
            "0.3",
            "--body-timeout",
            "0.3",
            "--idle-timeout",
            "0.6",
        ],
    );
    // Headers dribbled, and a silent connection: closed after the header timeout.
    let mut dribble = TcpStream::connect(addr).unwrap();
    dribble
        .write_all(b"POST /WebAPI/ECAPI.svc HTTP/1.1\r\nHo")
        .unwrap();
    let took = time_until_closed(dribble);
    assert!(
        (250..3000).contains(&took.as_millis()),
        "closed after {took:?}"
    );
    let took = time_until_closed(TcpStream::connect(addr).unwrap());
    assert!(
        (250..3000).contains(&took.as_millis()),
        "closed after {took:?}"
    );

    // A body shorter than its Content-Length: 408 after the body timeout, naming it.
    let started = Instant::now();
    let answer = common::raw(
        addr,
        b"POST /WebAPI/ECAPI.svc HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n<s:Env",
    );
    assert_eq!(answer.status, 408, "{answer:?}");
    assert!(
        answer
            .body
            .contains("the request body did not arrive within 0.3 s"),
        "{answer:?}"
    );
    assert!(started.elapsed() < Duration::from_secs(3));

    // Kept alive after an answer: closed after the idle timeout, not the header timeout.
    let mut kept = TcpStream::connect(addr).unwrap();
    let body = port_status();
    kept.write_all(
        format!(
            "POST /WebAPI/ECAPI.svc HTTP/1.1\r\nHost: x\r\nContent-Type: text/xml; charset=utf-8\r\n\
             SOAPAction: \"{PORT_STATUS}\"\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        )
        .as_bytes(),
    )
    .unwrap();
    kept.set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let mut buf = [0u8; 4096];
    let mut got = Vec::new();
    while !String::from_utf8_lossy(&got).contains("</s:Envelope>") {
        let n = kept.read(&mut buf).unwrap();
        assert!(n > 0, "closed before the answer");
        got.extend_from_slice(&buf[..n]);
    }
    let took = time_until_closed(kept);
    assert!(
        (450..3000).contains(&took.as_millis()),
        "closed after {took:?}"
    );
}

/// Idle clients that reconnect the moment they are closed, until dropped: half never send a
/// byte, half make one request and then keep the connection alive, silent.
struct Reconnecting {
    stop: Arc<AtomicBool>,
    /// Connections opened so far.
    connects: Arc<std::sync::atomic::AtomicUsize>,
    threads: Vec<std::thread::JoinHandle<()>>,
}

impl Reconnecting {
    fn start(addr: SocketAddr, clients: usize) -> Reconnecting {
        let stop = Arc::new(AtomicBool::new(false));
        let connects = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let threads = (0..clients)
            .map(|i| {
                let stop = stop.clone();
                let connects = connects.clone();
                std::thread::spawn(move || {
                    while !stop.load(Ordering::Relaxed) {
                        let Ok(mut stream) = TcpStream::connect(addr) else {
                            continue;
                        };
                        connects.fetch_add(1, Ordering::Relaxed);
                        // Half ask for a page first, then stay kept alive and idle.
                        if i % 2 == 1 {
                            let _ = stream
                                .write_all(b"GET /WebAPI/ECAPI.svc HTTP/1.1\r\nHost: x\r\n\r\n");
                        }
                        let _ = stream.set_read_timeout(Some(Duration::from_millis(100)));
                        let mut buf = [0u8; 16];
                        // Silent until closed, then again at once.
                        loop {
                            match stream.read(&mut buf) {
                                Ok(0) => break,
                                Ok(_) => {}
                                Err(e)
                                    if e.kind() == std::io::ErrorKind::WouldBlock
                                        || e.kind() == std::io::ErrorKind::TimedOut =>
                                {
                                    if stop.load(Ordering::Relaxed) {
                                        return;
                                    }
                                }
                                Err(_) => break,
                            }
                        }
                    }
                })
            })
            .collect();
        Reconnecting {
            stop,
            connects,
            threads,
        }
    }
}

impl Drop for Reconnecting {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
    }
}

/// Sends probes while the cap is held by reconnecting idle clients; answers each probe's time.
fn probes_among_reconnecting_idle_clients(addr: SocketAddr) -> Vec<Duration> {
    let idle = Reconnecting::start(addr, 24);
    // Wait (bounded) until every idle client has connected at least once.
    let deadline = Instant::now() + Duration::from_secs(5);
    while idle.connects.load(Ordering::Relaxed) < 24 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
    assert!(idle.connects.load(Ordering::Relaxed) >= 24);
    let times = (0..8)
        .map(|_| {
            let started = Instant::now();
            let answer = soap(addr, PORT_STATUS, &port_status());
            assert_eq!(answer.status, 200, "{answer:?}");
            assert!(answer.body.contains("<a:responseCode>100</a:responseCode>"));
            started.elapsed()
        })
        .collect();
    drop(idle);
    times
}

#[test]
fn reconnecting_idle_clients_at_serves_cap_cannot_keep_a_probe_waiting_over_100_ms() {
    let mut options =
        ecapi::server::ServeOptions::new("127.0.0.1:0", common::simulator(ApiVersion::V7_1));
    options.log = false;
    options.limits.max_connections = 16;
    let server = ecapi::server::start(options).unwrap();
    let times = probes_among_reconnecting_idle_clients(server.addr());
    assert!(
        times.iter().all(|t| *t < Duration::from_millis(100)),
        "{times:?}"
    );
}

#[test]
fn reconnecting_idle_clients_at_the_proxys_cap_cannot_keep_a_probe_waiting_over_100_ms() {
    let upstream = common::serve(ApiVersion::V7_1);
    let (_proxy, addr) = proxy_child(&upstream.url(), &["--max-connections", "16"]);
    let times = probes_among_reconnecting_idle_clients(addr);
    assert!(
        times.iter().all(|t| *t < Duration::from_millis(100)),
        "{times:?}"
    );
}

/// Sends `n` GETs of `target` on a kept-alive connection at once (pipelined) and reads every
/// answer whole; answers their statuses.
fn pipelined_gets(stream: &mut TcpStream, target: &str, n: usize) -> Vec<u16> {
    pipelined(
        stream,
        &format!("GET {target} HTTP/1.1\r\nHost: x\r\n\r\n"),
        n,
    )
}

/// Sends `request` `n` times on a kept-alive connection at once and reads every answer whole.
fn pipelined(stream: &mut TcpStream, request: &str, n: usize) -> Vec<u16> {
    let writer = {
        let mut stream = stream.try_clone().unwrap();
        let all = request.repeat(n);
        std::thread::spawn(move || stream.write_all(all.as_bytes()).unwrap())
    };
    let mut statuses = Vec::new();
    let mut got = Vec::new();
    let mut buf = [0u8; 65536];
    while statuses.len() < n {
        if let Some(end) = got.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&got[..end]).to_ascii_lowercase();
            let length: usize = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .map_or(0, |v| v.trim().parse().unwrap());
            if got.len() >= end + 4 + length {
                statuses.push(head.split_whitespace().nth(1).unwrap().parse().unwrap());
                got.drain(..end + 4 + length);
                continue;
            }
        }
        let read = stream
            .read(&mut buf)
            .unwrap_or_else(|e| panic!("no answer within the read timeout: {e}"));
        assert!(read > 0, "closed before the answer");
        got.extend_from_slice(&buf[..read]);
    }
    writer.join().unwrap();
    statuses
}

#[test]
fn a_stalled_standard_error_neither_stops_serve_nor_grows_its_memory_and_lines_stay_short() {
    let mut child = Command::new(BIN)
        .args(["serve", "--listen", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Standard error is a pipe nobody reads (yet).
    let stderr = child.stderr.take().unwrap();
    let addr = printed_addr(&mut child);
    let server = Proc(child);
    let long = format!("/WebAPI/ECAPI.svc?{}", "q".repeat(60_000));
    let mut stream = TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    pipelined_gets(&mut stream, &long, 1);
    let before = rss_kib(server.0.id());
    let started = Instant::now();
    // 600 lines of 60 KB requests would hold 36 MB if each line were kept whole; then more
    // lines than the log's queue holds.
    for _ in 0..6 {
        pipelined_gets(&mut stream, &long, 100);
    }
    for _ in 0..100 {
        pipelined_gets(&mut stream, "/WebAPI/ECAPI.svc?short", 100);
    }
    let took = started.elapsed();
    let after = rss_kib(server.0.id());
    assert!(took < Duration::from_secs(30), "{took:?}");
    assert!(
        after < before + 20 * 1024,
        "RSS grew from {before} KiB to {after} KiB"
    );
    common::assert_still_serving(addr);

    // Read standard error again: the lines are short, and the dropped ones are counted.
    let reader = std::thread::spawn(move || {
        let mut lines = Vec::new();
        for line in BufReader::new(stderr).lines() {
            let Ok(line) = line else { break };
            let done = line.contains("lines dropped while the log writer was stalled");
            lines.push(line);
            if done {
                break;
            }
        }
        lines
    });
    let deadline = Instant::now() + Duration::from_secs(10);
    while !reader.is_finished() && Instant::now() < deadline {
        pipelined_gets(&mut stream, "/WebAPI/ECAPI.svc?after", 1);
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(
        reader.is_finished(),
        "no count of dropped lines within 10 s"
    );
    let lines = reader.join().unwrap();
    let longest = lines.iter().map(String::len).max().unwrap();
    assert!(longest < 2_000, "a line of {longest} bytes");
    assert!(
        lines.last().unwrap().contains(" lines dropped"),
        "{:?}",
        lines.last()
    );
}

#[test]
fn a_stalled_standard_output_does_not_stop_the_proxy() {
    let upstream = common::serve(ApiVersion::V7_1);
    let mut child = Command::new(BIN)
        .args([
            "proxy",
            "--listen",
            "127.0.0.1:0",
            "--upstream",
            &upstream.url(),
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // The first line says where it listens; then standard output is a pipe nobody reads.
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut first = String::new();
    stdout.read_line(&mut first).unwrap();
    let hostport = first
        .split_whitespace()
        .find_map(|w| w.strip_prefix("http://"))
        .and_then(|w| w.split('/').next())
        .unwrap();
    let addr: SocketAddr = hostport.parse().unwrap();
    let proxy = Proc(child);
    let body = port_status();
    let request = format!(
        "POST /WebAPI/ECAPI.svc HTTP/1.1\r\nHost: x\r\nContent-Type: text/xml; charset=utf-8\r\n\
         SOAPAction: \"{PORT_STATUS}\"\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    let mut stream = TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    // Far more lines than the pipe holds (64 KiB, some 500 lines): every exchange still answered.
    let started = Instant::now();
    for _ in 0..20 {
        assert!(pipelined(&mut stream, &request, 100)
            .iter()
            .all(|s| *s == 200));
    }
    assert!(started.elapsed() < Duration::from_secs(30));
    common::assert_still_serving(addr);
    drop(stdout);
    drop(proxy);
}
