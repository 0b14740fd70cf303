//! Nothing one request, connection or file can break: the smallest form of each attack on
//! `ecapi serve` and `ecapi proxy`, asserting the bounded behaviour (time, memory, status and
//! message), and for the proxy's record, that every exchange a client was answered is in the file.

mod common;

use std::io::{BufRead, BufReader, Read};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};

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
