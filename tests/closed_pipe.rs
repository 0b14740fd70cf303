//! Every command with its standard output closed, as `ecapi … | head -1` leaves it once `head` has
//! its line: no command panics (exit 101); each finishes its work and exits with the code that work
//! earned. The reading end of the pipe is closed before the command writes anything, so every
//! write it makes fails, the first included.

#![cfg(unix)]

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_ecapi");

fn ecapi(args: &[&str]) -> Command {
    let mut c = Command::new(BIN);
    c.args(args)
        .env_remove("ECAPI_ENDPOINT")
        .env("NO_COLOR", "1")
        .env("ECAPI_HISTORY", "");
    c
}

/// Starts `cmd` with its standard output's reader already gone; `input` is its standard input.
fn spawn_closed(cmd: &mut Command, input: &str) -> Child {
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let mut stdin = child.stdin.take().unwrap();
    let _ = stdin.write_all(input.as_bytes());
    drop(stdin);
    child
}

/// Waits for `child` to end: its exit code and standard error.
fn finish(mut child: Child) -> (Option<i32>, String) {
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    (child.wait().unwrap().code(), err)
}

/// Runs `args` with standard output closed and checks it ends with `code`, without a panic.
#[track_caller]
fn closed(args: &[&str], input: &str, code: i32) -> String {
    let (status, err) = finish(spawn_closed(&mut ecapi(args), input));
    assert!(!err.contains("panicked"), "{args:?}: {err}");
    assert_eq!(status, Some(code), "{args:?}: {err}");
    err
}

fn flow(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path.display().to_string()
}

const CHATTY: &str =
    "let p = station(\"1234\");\nfor i in 0..200 { print(`line ${i}`); p.status(); }\n";

#[test]
fn run_into_a_closed_pipe_finishes_without_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let f = flow(dir.path(), "chatty.rhai", CHATTY);
    closed(&["run", &f], "", 0);
}

#[test]
fn run_verbose_into_a_closed_pipe_finishes_without_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let f = flow(dir.path(), "chatty.rhai", CHATTY);
    closed(&["run", "-v", &f], "", 0);
    // A failing script still says why on standard error and exits 1.
    let bad = flow(
        dir.path(),
        "bad.rhai",
        "station(\"1\");\nassert_eq(1, 2);\n",
    );
    let err = closed(&["run", "-v", &bad], "", 1);
    assert!(err.contains("bad.rhai:2"), "{err}");
}

#[test]
fn test_into_a_closed_pipe_writes_its_reports_and_exits_with_its_code() {
    let dir = tempfile::tempdir().unwrap();
    flow(dir.path(), "a.rhai", CHATTY);
    flow(
        dir.path(),
        "b.rhai",
        "test(\"one\", || assert_eq(1, 1));\ntest(\"two\", || assert_eq(1, 2));\n",
    );
    let junit = dir.path().join("j.xml");
    let suite = dir.path().display().to_string();
    closed(
        &["test", &suite, "--report-junit", junit.to_str().unwrap()],
        "",
        1,
    );
    let xml = std::fs::read_to_string(&junit).unwrap();
    assert!(xml.contains("tests=\"3\""), "{xml}");
    assert!(xml.contains("failures=\"1\""), "{xml}");
}

#[test]
fn test_piped_into_head_writes_its_reports() {
    // The shell's own pipeline: `head -1` leaves after the first line.
    let dir = tempfile::tempdir().unwrap();
    for i in 0..30 {
        flow(dir.path(), &format!("t{i:02}.rhai"), CHATTY);
    }
    let junit = dir.path().join("j.xml");
    let out = Command::new("sh")
        .arg("-c")
        .arg(format!(
            "\"$0\" test -j 2 '{}' --report-junit '{}' 2>err.txt | head -1; cat err.txt",
            dir.path().display(),
            junit.display()
        ))
        .arg(BIN)
        .current_dir(dir.path())
        .env_remove("ECAPI_ENDPOINT")
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(!text.contains("panicked"), "{text}");
    assert_eq!(text.lines().count(), 1, "{text}");
    let xml = std::fs::read_to_string(&junit).unwrap();
    assert!(xml.contains("tests=\"30\""), "{xml}");
}

#[test]
fn call_into_a_closed_pipe_exits_without_a_panic() {
    closed(&["call", "InitStation", "Extension=1234"], "", 0);
    closed(
        &["call", "PortStatusEX", "Unit=1", "Port=5", "--json"],
        "",
        0,
    );
}

#[test]
fn ops_into_a_closed_pipe_exits_without_a_panic() {
    closed(&["ops"], "", 0);
    closed(&["ops", "GetURL"], "", 0);
}

#[test]
fn completions_into_a_closed_pipe_exit_without_a_panic() {
    for shell in ["bash", "zsh", "fish"] {
        closed(&["completions", shell], "", 0);
    }
}

#[test]
fn the_repl_with_piped_input_into_a_closed_pipe_exits_without_a_panic() {
    let input =
        "let p = station(\"1234\");\np.start();\n:help\nfor i in 0..50 { print(i); }\np.status()\n";
    closed(&["repl"], input, 0);
}

#[test]
fn replay_and_script_into_a_closed_pipe_exit_without_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let rec = dir.path().join("rec.jsonl");
    std::fs::write(&rec, "").unwrap();
    let rec = rec.display().to_string();
    // Nothing to compare is exit 1; what matters is that it says so rather than panicking.
    let err = closed(&["replay", &rec], "", 1);
    assert!(err.contains("nothing was compared"), "{err}");
    closed(&["script", &rec], "", 0);
}

#[test]
fn load_into_a_closed_pipe_exits_without_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let f = flow(
        dir.path(),
        "flow.rhai",
        "let p = station(\"1234\");\np.start();\np.stop();\n",
    );
    closed(
        &[
            "load",
            &f,
            "--agents",
            "2",
            "--duration",
            "0.3",
            "--no-progress",
        ],
        "",
        0,
    );
}

/// A free loopback port (bound, then let go).
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Waits until something accepts connections on `port`.
fn wait_listening(port: u16) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "nothing listens on {port}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn terminate(child: &Child) {
    let ok = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(ok.success());
}

#[test]
fn serve_session_and_proxy_into_a_closed_pipe_run_and_stop_without_a_panic() {
    let port = free_port();
    let listen = format!("127.0.0.1:{port}");
    let server = spawn_closed(&mut ecapi(&["serve", "--listen", &listen, "--quiet"]), "");
    wait_listening(port);
    let endpoint = format!("http://{listen}/WebAPI/ECAPI.svc");
    closed(
        &[
            "call",
            "InitStation",
            "Extension=1",
            "--endpoint",
            &endpoint,
        ],
        "",
        0,
    );
    closed(&["session", "new", "--endpoint", &endpoint], "", 0);

    let proxy_port = free_port();
    let proxy_listen = format!("127.0.0.1:{proxy_port}");
    let proxy = spawn_closed(
        &mut ecapi(&["proxy", "--listen", &proxy_listen, "--upstream", &endpoint]),
        "",
    );
    wait_listening(proxy_port);
    // An exchange through it, which it prints a line for.
    let through = format!("http://{proxy_listen}/WebAPI/ECAPI.svc");
    closed(
        &["call", "InitStation", "Extension=2", "--endpoint", &through],
        "",
        0,
    );
    terminate(&proxy);
    let (code, err) = finish(proxy);
    assert!(!err.contains("panicked"), "{err}");
    assert_eq!(code, Some(0), "{err}");

    terminate(&server);
    let (code, err) = finish(server);
    assert!(!err.contains("panicked"), "{err}");
    assert_eq!(code, Some(0), "{err}");
}

/// Both standard output and standard error closed, as `ecapi … 2>&1 | head -1` leaves them.
fn both_closed(args: &[&str]) -> Option<i32> {
    let mut child = ecapi(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    drop(child.stderr.take());
    child.wait().unwrap().code()
}

#[test]
fn commands_with_standard_error_closed_too_exit_with_their_own_code() {
    let dir = tempfile::tempdir().unwrap();
    let bad = flow(
        dir.path(),
        "bad.rhai",
        "station(\"1\");\nassert_eq(1, 2);\n",
    );
    // A panic would be exit 101; each exits as its work says.
    assert_eq!(both_closed(&["run", "-v", &bad]), Some(1));
    let junit = dir.path().join("j.xml");
    assert_eq!(
        both_closed(&["test", &bad, "--report-junit", junit.to_str().unwrap()]),
        Some(1)
    );
    assert!(std::fs::read_to_string(&junit)
        .unwrap()
        .contains("failures=\"1\""));
    assert_eq!(both_closed(&["call", "NoSuchOperation"]), Some(2));
    assert_eq!(both_closed(&["run", "missing.rhai"]), Some(2));
}
