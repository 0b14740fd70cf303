//! The REPL as a user meets it: on a real pseudo-terminal (typing, Tab, Ctrl-C, Ctrl-D, history
//! across restarts) and with piped standard input.
//!
//! Each pty test waits for the text it expects (the prompt, a row), never for a fixed time.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use expectrl::process::unix::WaitStatus;
use expectrl::{ControlCode, Eof, Expect, Regex, Session};

/// A fresh prompt, coloured or not. While a line is edited the editor redraws it, prompt included,
/// so the prompt's text alone does not mean the previous line has run; the editor turns bracketed
/// paste on (`ESC[?2004h`) once each time it starts reading a line, so the prompt is matched
/// after that.
const PROMPT: &str = r"\x1b\[\?2004h(?:\x1b\[[0-9;?]*[A-Za-z]|\r)*ecapi>";

fn ecapi() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_ecapi"));
    c.env_remove("ECAPI_ENDPOINT").env_remove("NO_COLOR");
    c
}

type Repl = Session<expectrl::process::unix::UnixProcess, expectrl::process::unix::PtyStream>;

/// The REPL on a pseudo-terminal, with its history in `history`, at its first prompt.
fn repl_with(history: &Path, color: bool) -> Repl {
    let mut cmd = ecapi();
    cmd.env("ECAPI_HISTORY", history).env("TERM", "xterm");
    if !color {
        cmd.env("NO_COLOR", "1");
    }
    let mut p = Session::spawn(cmd).expect("the REPL starts");
    p.set_expect_timeout(Some(Duration::from_secs(30)));
    p.expect("Ctrl-D leaves").unwrap();
    p.expect(Regex(PROMPT)).unwrap();
    p
}

fn repl(dir: &tempfile::TempDir) -> Repl {
    repl_with(&dir.path().join("history"), false)
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Types a line and waits for the next prompt; returns what was shown in between. Waiting matters:
/// the editor asks the terminal for the cursor position before each prompt, and keys typed ahead
/// of that answer are lost, as they would be for a person typing.
fn line(p: &mut Repl, text_in: &str) -> String {
    p.send_line(text_in).unwrap();
    let shown = p.expect(Regex(PROMPT)).unwrap();
    text(shown.before())
}

#[test]
fn the_banner_names_the_backend_and_the_api_version() {
    let mut cmd = ecapi();
    cmd.env("ECAPI_HISTORY", "").env("TERM", "xterm");
    let mut p = Session::spawn(cmd).unwrap();
    p.set_expect_timeout(Some(Duration::from_secs(30)));
    let banner = p.expect("Ctrl-D leaves").unwrap();
    let banner = text(banner.before());
    assert!(banner.contains("Encore Web API 7.1"), "{banner}");
    assert!(
        banner.contains("embedded simulator, profile hosted"),
        "{banner}"
    );
    assert!(banner.contains(":help"), "{banner}");
}

#[test]
fn typing_a_call_prints_a_grid_row() {
    let dir = tempfile::tempdir().unwrap();
    let mut p = repl(&dir);
    line(&mut p, "init_station(\"1234\")");
    p.send_line("stop_recording(1, 1)").unwrap();
    p.expect(Regex(
        r"StopRecording +\d+\.\d\d ms +608  Warning: Port was not recording",
    ))
    .unwrap();
}

#[test]
fn rows_are_coloured_by_outcome_on_a_terminal_without_no_color() {
    let dir = tempfile::tempdir().unwrap();
    let mut p = repl_with(&dir.path().join("history"), true);
    let shown = line(&mut p, "init_station(\"1234\")");
    assert!(
        shown.contains("\x1b[32m 100  Command executed as expected"),
        "{shown:?}"
    );
    let shown = line(&mut p, "stop_recording(1, 1)");
    assert!(
        shown.contains("\x1b[33m 608  Warning: Port was not recording"),
        "{shown:?}"
    );
    let shown = line(&mut p, "stop_recording(9, 1)");
    assert!(shown.contains("\x1b[31m 606"), "{shown:?}");
}

#[test]
fn tab_completes_port_st_to_the_two_functions() {
    let dir = tempfile::tempdir().unwrap();
    let mut p = repl(&dir);
    p.send("port_st").unwrap();
    p.send("\t").unwrap();
    // The first Tab completes the common part; the second lists both.
    p.expect("port_status").unwrap();
    p.send("\t").unwrap();
    let listed = p.expect("port_status_ex").unwrap();
    let listed = text(listed.before());
    assert!(listed.contains("port_status"), "{listed}");
    p.send("(1, 1)\r").unwrap();
    p.expect(Regex(
        r"PortStatus +\d+\.\d\d ms +100 .*status=NOT RECORDING",
    ))
    .unwrap();
}

/// The continuation prompt, once the editor reads the next line of an open construct.
const MORE: &str = r"\x1b\[\?2004h(?:\x1b\[[0-9;?]*[A-Za-z]|\r)*  \.\.\.>";

#[test]
fn an_open_brace_continues_on_the_next_line_after_a_continuation_prompt() {
    let dir = tempfile::tempdir().unwrap();
    let mut p = repl(&dir);
    // While the brace is open the shell keeps reading, and says so with `...>`.
    p.send_line("fn twice(x) {").unwrap();
    p.expect(Regex(MORE)).unwrap();
    p.send_line("  x * 2").unwrap();
    p.expect(Regex(MORE)).unwrap();
    let shown = line(&mut p, "}");
    assert!(!shown.contains("error"), "{shown}");
    let shown = line(&mut p, "twice(21)");
    assert!(shown.contains("=> 42"), "{shown}");
}

#[test]
fn save_writes_a_script_that_run_runs_with_the_same_results() {
    let dir = tempfile::tempdir().unwrap();
    let saved = dir.path().join("flow.rhai");
    let mut p = repl(&dir);
    let mut shown = String::new();
    for input in [
        "let agent = station(\"4023\")",
        "agent.start()",
        "agent.start()",
        "not_a_function()",
        "fn label(r) { `${r.op} ${r.code}` }",
        "print(label(agent.stop()))",
        "for e in sim_journal() { print(`journal ${e.op} ${e.code}`) }",
    ] {
        shown.push_str(&line(&mut p, input));
    }
    assert!(
        shown.contains("unknown function `not_a_function`"),
        "{shown}"
    );
    let printed: Vec<&str> = shown
        .lines()
        .map(str::trim_end)
        .filter(|l| l.starts_with("StopRecording 100") || l.starts_with("journal "))
        .collect();
    let saved_text = line(&mut p, &format!(":save {}", saved.display()));
    assert!(saved_text.contains("saved 6 statement(s)"), "{saved_text}");

    let out = ecapi().arg("run").arg(&saved).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let expected = "StopRecording 100\n\
         journal InitStation 100\n\
         journal StartRecording 100\n\
         journal StartRecording 609\n\
         journal StopRecording 100\n";
    assert_eq!(text(&out.stdout), expected);
    assert_eq!(printed, expected.lines().collect::<Vec<_>>());
}

#[test]
fn history_survives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let mut p = repl(&dir);
    assert!(line(&mut p, "print(6 * 7)").contains("42"));
    p.send(ControlCode::EndOfTransmission).unwrap();
    p.expect(Eof).unwrap();

    let mut p = repl(&dir);
    p.send("\x1b[A").unwrap(); // Up: the line from the last session
    p.expect("print(6 * 7)").unwrap();
    p.send("\r").unwrap();
    p.expect("42").unwrap();
    p.send_line(":history").unwrap();
    p.expect(Regex(r"1  print\(6 \* 7\)")).unwrap();
}

#[test]
fn ctrl_c_abandons_the_input_and_ctrl_d_exits() {
    let dir = tempfile::tempdir().unwrap();
    let mut p = repl(&dir);
    p.send("init_station(").unwrap();
    p.expect("init_station(").unwrap();
    p.send(ControlCode::EndOfText).unwrap(); // Ctrl-C
    p.expect(Regex(PROMPT)).unwrap();
    // Were the abandoned text still there, this would continue `init_station(` instead.
    p.send_line("1 + 1").unwrap();
    p.expect("=> 2").unwrap();
    // A person presses Ctrl-D at the prompt; before it, the terminal is not the editor's yet.
    p.expect(Regex(PROMPT)).unwrap();
    p.send(ControlCode::EndOfTransmission).unwrap(); // Ctrl-D
    p.expect(Eof).unwrap();
    assert!(matches!(
        p.get_process().wait(),
        Ok(WaitStatus::Exited(_, 0))
    ));
}

#[test]
fn ctrl_c_stops_a_running_statement_and_the_session_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let mut p = repl(&dir);
    line(&mut p, "let n = 0;");
    p.send_line("loop { n += 1; if n == 1 { print(\"run\" + \"ning\") } }")
        .unwrap();
    // Once the statement runs, the tty is in its normal mode again, so Ctrl-C is a signal.
    p.expect("running").unwrap();
    p.send(ControlCode::EndOfText).unwrap();
    p.expect("interrupted (Ctrl-C)").unwrap();
    p.expect(Regex(PROMPT)).unwrap();
    p.send_line("n > 0").unwrap();
    p.expect("=> true").unwrap();
}

#[test]
fn ctrl_c_ends_a_request_waiting_for_its_answer() {
    let dir = tempfile::tempdir().unwrap();
    let mut p = repl(&dir);
    line(&mut p, "sim_delay(\"PortStatus\", 60000);");
    p.send_line("print(\"send\" + \"ing\"); port_status(1, 1)")
        .unwrap();
    // The request is on its way (its answer would take a minute): Ctrl-C ends the wait.
    p.expect("sending").unwrap();
    p.send(ControlCode::EndOfText).unwrap();
    p.expect("interrupted (Ctrl-C) while waiting for the embedded simulator")
        .unwrap();
    p.expect(Regex(PROMPT)).unwrap();
    let shown = line(&mut p, "1 + 1");
    assert!(shown.contains("=> 2"), "{shown}");
}

#[test]
fn errors_show_a_caret_and_the_session_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let mut p = repl(&dir);
    line(&mut p, "let a = 1;");
    p.send_line("a + nope").unwrap();
    p.expect(Regex(
        r"--> <repl>:1:5\r\n +\|\r\n 1 \| a \+ nope\r\n +\|     \^",
    ))
    .unwrap();
    p.send_line("a + 1").unwrap();
    p.expect("=> 2").unwrap();
}

fn piped(input: &str) -> (Option<i32>, String, String) {
    use std::io::Write;
    let mut child = ecapi()
        .arg("repl")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    (out.status.code(), text(&out.stdout), text(&out.stderr))
}

#[test]
fn piped_statements_print_plain_rows_and_values() {
    let (code, out, err) =
        piped("let p = station(\"1234\");\nfn twice(x) {\n  x * 2\n}\ntwice(21)\np.start()\n");
    assert_eq!(code, Some(0), "{err}");
    assert!(
        !out.contains('\x1b'),
        "no colour when not a terminal: {out:?}"
    );
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 4, "{out}");
    assert!(lines[0].starts_with("operation  "), "{out}");
    assert!(lines[1].starts_with("InitStation"), "{out}");
    assert_eq!(lines[2], "=> 42");
    assert!(lines[3].starts_with("StartRecording"), "{out}");
    assert!(
        lines[3].contains(" 100  Command executed as expected"),
        "{out}"
    );
}

#[test]
fn a_piped_error_is_reported_the_rest_still_runs_and_the_exit_code_is_1() {
    let (code, out, err) = piped("missing(1)\nprint(\"after\")\n");
    assert_eq!(code, Some(1));
    assert_eq!(out, "after\n");
    assert!(
        err.starts_with("error: unknown function `missing`"),
        "{err}"
    );
    assert!(err.contains(" 1 | missing(1)\n   | ^\n"), "{err}");
}

#[test]
fn piped_meta_commands_work_too() {
    let (code, out, _) = piped(":help port_status\n:api 7.0\n:ops\n");
    assert_eq!(code, Some(0));
    assert!(out.contains("port_status(unit, port)"), "{out}");
    assert!(out.contains("Encore Web API 7.0 operations"), "{out}");
}

#[test]
fn a_failed_line_is_not_saved_and_its_names_are_undone() {
    let (code, out, err) = piped(
        "let a = 1;\nlet p = station(\"1\"); let a = 2; p.strat();\nprint(a);\nprint(p)\n:save /dev/null\n",
    );
    assert_eq!(code, Some(1));
    assert!(err.contains("Port has no method `strat`"), "{err}");
    assert!(err.contains("undefined variable `p`"), "{err}");
    assert!(out.contains("\n1\n"), "a is 1 again: {out}");
    assert!(out.contains("saved 2 statement(s)"), "{out}");
}

#[test]
fn save_from_a_recorder_repl_writes_args_relative_to_the_script_and_replays() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("site.toml");
    std::fs::write(
        &config,
        "[[unit]]\nid = 1\nports = 4\n\n[[user]]\nextension = \"2001\"\nlogin = \"asmith\"\nunit = 1\nport = 3\n",
    )
    .unwrap();
    let flows = dir.path().join("flows");
    std::fs::create_dir(&flows).unwrap();
    let saved = flows.join("hold.rhai");
    let input = format!(
        "let p = station(\"2001\"); p.strat();\n\
         let agent = station(\"2001\");\n\
         expect_ok(agent.start());\n\
         sim_hold(agent.unit, agent.port);\n\
         assert_eq(agent.status().status, \"SUSPENDED\");\n\
         :save {}\n",
        saved.display()
    );
    use std::io::Write;
    let mut child = ecapi()
        .args(["repl", "--config"])
        .arg(&config)
        .current_dir(dir.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        text(&out.stdout).contains("saved 4 statement(s)"),
        "{out:?}"
    );
    let script = std::fs::read_to_string(&saved).unwrap();
    let first = script.lines().next().unwrap();
    assert_eq!(first, "// args: --config ../site.toml");
    assert!(script.contains("// Run it with: ecapi run "), "{script}");
    assert!(!script.contains("strat"), "{script}");
    // Replayed from another folder, on the backend its // args: line names, with the command the
    // header prints.
    let command = script
        .lines()
        .find_map(|l| l.strip_prefix("// Run it with: "))
        .unwrap();
    let words: Vec<&str> = command.split_whitespace().collect();
    assert_eq!(words[..2], ["ecapi", "run"], "{command}");
    let replay = ecapi()
        .args(&words[1..])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(
        replay.status.success(),
        "{}{}",
        text(&replay.stdout),
        text(&replay.stderr)
    );
}

#[test]
fn api_alone_shows_the_version_and_rows_show_the_simulators_reason() {
    let (code, out, _) = piped(":api\nport_status(1, 999)\n");
    assert_eq!(code, Some(0));
    assert!(
        out.contains("API 7.1 (the operations of the 7.1 guide)"),
        "{out}"
    );
    let row = out.lines().find(|l| l.starts_with("PortStatus")).unwrap();
    assert!(row.contains(" 611  Error: Port does not exist"), "{row}");
    assert!(row.contains("  -- "), "{row}");
}

#[test]
fn the_journal_shows_as_a_table() {
    let (code, out, _) = piped("init_station(\"1234\");\nsim_journal()\n");
    assert_eq!(code, Some(0));
    let header = out.lines().find(|l| l.starts_with("seq")).expect(&out);
    for column in ["time", "op", "params", "code", "message", "reason"] {
        assert!(header.contains(column), "{header}");
    }
    assert!(out.contains("(1 row)"), "{out}");
}

/// Five statements arriving in one read, as a paste without bracketed paste (or tmux send-keys)
/// delivers them: each runs, in order.
#[test]
fn five_lines_written_at_once_all_run_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let mut p = repl(&dir);
    p.send(
        "print(1000 + 1)\nprint(1000 + 2)\ninit_station(\"1234\")\nlet x = 1003;\nprint(x + 1)\nprint(1000 + 5)\n",
    )
    .unwrap();
    p.expect("1001").unwrap();
    p.expect("1002").unwrap();
    p.expect("InitStation").unwrap();
    p.expect("1004").unwrap();
    p.expect("1005").unwrap();
    p.expect(Regex(PROMPT)).unwrap();
}

/// A bracketed paste arrives as one input holding line breaks: Enter runs every line of it, in
/// order, as if each had been typed (a block spread over lines stays one statement).
#[test]
fn a_bracketed_paste_runs_every_pasted_line_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let mut p = repl(&dir);
    p.send(
        "\x1b[200~print(2000 + 1)\nfn twice(n) {\n  n * 2\n}\nprint(twice(1001))\ninit_station(\"1234\")\nprint(2000 + 5)\n\x1b[201~",
    )
    .unwrap();
    p.send("\r").unwrap();
    p.expect("2001").unwrap();
    p.expect("2002").unwrap();
    p.expect("InitStation").unwrap();
    p.expect("2005").unwrap();
    p.expect(Regex(PROMPT)).unwrap();
}
