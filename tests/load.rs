//! `ecapi load`: agents against the embedded simulator and a served one, counts that add up,
//! thresholds and exit codes, the open model's queueing, failed iterations, `--merge`, and the HTML
//! report in headless Chromium.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

use ecapi::api::{ApiVersion, Operation};
use serde_json::Value;

fn ecapi(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ecapi"))
        .args(args)
        .env_remove("ECAPI_ENDPOINT")
        .env("NO_COLOR", "1")
        .output()
        .unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// A folder for one test's flow and reports.
fn folder() -> tempfile::TempDir {
    tempfile::tempdir().unwrap()
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

fn json(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn n(v: &Value) -> u64 {
    v.as_u64().unwrap_or_else(|| panic!("not a count: {v}"))
}

/// A call: the agent's station, a recording started and tagged, the port checked twice, stopped.
const CALL: &str = r#"
let p = station(4000 + agent.index);
expect_ok(p.start());
expect_ok(p.assign("fldCampaign", "load"));
p.status();
p.status();
expect_ok(p.stop());
"#;

#[test]
fn fifty_agents_on_the_embedded_simulator_give_counts_that_add_up() {
    let dir = folder();
    let flow = write(dir.path(), "call.rhai", CALL);
    let summary = dir.path().join("s.json");
    let out = ecapi(&[
        "load",
        flow.to_str().unwrap(),
        "--agents",
        "50",
        "--duration",
        "2",
        "--summary-json",
        summary.to_str().unwrap(),
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
    let s = json(&summary);
    let completed = n(&s["iterations"]["completed"]);
    assert!(
        completed >= 50,
        "every agent completes at least one call: {s}"
    );
    assert_eq!(n(&s["iterations"]["failed"]), 0);
    // The end lets running iterations finish, so none is cut short and every count adds up: the
    // requests the 50 iterations running at the end sent after it are counted apart.
    assert_eq!(n(&s["iterations"]["interrupted"]), 0);
    let ops = &s["operations"];
    for (op, per_call) in [
        ("InitStation", 1),
        ("StartRecording", 1),
        ("AssignField", 1),
        ("PortStatus", 2),
        ("StopRecording", 1),
    ] {
        let count = n(&ops[op]["count"]);
        assert!(
            (per_call * (completed - 50)..=per_call * completed).contains(&count),
            "{op}: {count} of {completed} calls"
        );
        assert_eq!(n(&ops[op]["codes"]["100"]), count, "{op}");
    }
    let after_end = n(&s["after_end"]["requests"]);
    assert!(after_end < 6 * 50, "{}", s["after_end"]);
    assert_eq!(n(&s["requests"]["count"]) + after_end, 6 * completed);
    assert_eq!(s["agents"], 50);
    assert_eq!(s["model"], "closed");
    let timeline_requests: u64 = s["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| n(&t["requests"]))
        .sum();
    assert_eq!(
        timeline_requests,
        n(&s["requests"]["count"]),
        "the timeline holds every request of the figures"
    );
    let table = stdout(&out);
    assert!(
        table.contains("iterations: ") && table.contains("PortStatus"),
        "{table}"
    );

    // Merged with a second process that saw the same (its run id aside), the counts double and
    // the percentiles stay exactly.
    let mut twin = s.clone();
    twin["runs"] = serde_json::json!(["0123456789abcdef"]);
    let twin_path = dir.path().join("twin.json");
    std::fs::write(&twin_path, twin.to_string()).unwrap();
    let merged = dir.path().join("m.json");
    let out = ecapi(&[
        "load",
        "--merge",
        summary.to_str().unwrap(),
        twin_path.to_str().unwrap(),
        "--summary-json",
        merged.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let m = json(&merged);
    assert_eq!(n(&m["requests"]["count"]), 2 * n(&s["requests"]["count"]));
    assert_eq!(n(&m["agents"]), 100);
    assert_eq!(n(&m["processes"]), 2);
    for p in ["p50", "p95", "p99", "max"] {
        assert_eq!(
            m["requests"]["latency_ms"][p], s["requests"]["latency_ms"][p],
            "{p}"
        );
    }
    assert!(
        stdout(&out).contains("2 processes merged"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn a_failing_threshold_exits_1_and_holding_ones_exit_0() {
    let dir = folder();
    let flow = write(dir.path(), "status.rhai", "port_status(1, 5);\n");
    let file = flow.to_str().unwrap();
    let holding = ecapi(&[
        "load",
        file,
        "--agents",
        "5",
        "--duration",
        "1",
        "--threshold",
        "p95<5s",
        "--threshold",
        "errors<1%",
        "--threshold",
        "PortStatus.p99<5000ms",
        "--threshold",
        "rate>1/s",
    ]);
    assert_eq!(
        holding.status.code(),
        Some(0),
        "{}{}",
        stdout(&holding),
        stderr(&holding)
    );
    let table = stdout(&holding);
    assert!(table.contains("pass  p95<5s"), "{table}");
    assert!(table.contains("pass  rate>1/s"), "{table}");

    let failing = ecapi(&[
        "load",
        file,
        "--agents",
        "5",
        "--duration",
        "1",
        "--threshold",
        "errors<1%",
        "--threshold",
        "rate>100000000/s",
        "--threshold",
        "InitStation.p95<1s",
    ]);
    assert_eq!(
        failing.status.code(),
        Some(1),
        "{}{}",
        stdout(&failing),
        stderr(&failing)
    );
    let table = stdout(&failing);
    assert!(table.contains("pass  errors<1%"), "{table}");
    assert!(table.contains("FAIL  rate>100000000/s"), "{table}");
    // A threshold on an operation the flow never calls fails rather than passing on nothing.
    let line = table
        .lines()
        .find(|l| l.contains("InitStation.p95<1s"))
        .unwrap_or_else(|| panic!("{table}"));
    assert!(
        line.starts_with("  FAIL") && line.ends_with("no InitStation requests were made"),
        "{line}"
    );
}

#[test]
fn a_malformed_threshold_is_bad_usage_with_exit_2() {
    let dir = folder();
    let flow = write(dir.path(), "status.rhai", "port_status(1, 5);\n");
    let out = ecapi(&[
        "load",
        flow.to_str().unwrap(),
        "--duration",
        "1",
        "--threshold",
        "p95 < 200 furlongs",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        stderr(&out),
        "ecapi: --threshold 'p95 < 200 furlongs': a latency is in ms, s or us, not `furlongs` \
         (e.g. p95<200ms)\n"
    );
    let out = ecapi(&[
        "load",
        flow.to_str().unwrap(),
        "--duration",
        "1",
        "--rate",
        "lots",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("--rate lots: expected iterations per second"));
}

#[test]
fn failed_iterations_are_counted_with_their_reason_and_the_test_goes_on() {
    let dir = folder();
    let flow = write(
        dir.path(),
        "flaky.rhai",
        "let r = port_status(1, 5);\n\
         if agent.iteration % 2 == 1 { expect(r, 601); }\n",
    );
    let summary = dir.path().join("s.json");
    let out = ecapi(&[
        "load",
        flow.to_str().unwrap(),
        "--agents",
        "4",
        "--duration",
        "1",
        "--summary-json",
        summary.to_str().unwrap(),
        "--threshold",
        "failed<10%",
    ]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "the failed share breaks the threshold"
    );
    let s = json(&summary);
    let it = &s["iterations"];
    let (completed, failed) = (n(&it["completed"]), n(&it["failed"]));
    assert!(failed > 0 && completed > 0, "{it}");
    // Each agent alternates, so the two differ by at most one per agent.
    assert!(completed.abs_diff(failed) <= 4, "{it}");
    // An iteration that started before the end may send its request just after it: that request
    // is kept out of the figures (and counted under `after_end`), its iteration is not.
    assert_eq!(
        n(&s["operations"]["PortStatus"]["count"]) + n(&s["after_end"]["requests"]),
        completed + failed
    );
    let failures = it["failures"].as_object().unwrap();
    assert_eq!(failures.len(), 1, "{failures:?}");
    let (why, count) = failures.iter().next().unwrap();
    assert!(
        why.starts_with("line 2: ") && why.contains("PortStatus"),
        "{why}"
    );
    assert_eq!(n(count), failed);
    assert!(
        stdout(&out).contains(&format!("failed ×{failed}: line 2: ")),
        "{}",
        stdout(&out)
    );
    // A threshold on failures is there, so no word about unchecked failures.
    assert!(!stdout(&out).contains("no threshold checks that"));

    // Without one, the run passes (k6's model) but says that failures went unchecked.
    let out = ecapi(&[
        "load",
        flow.to_str().unwrap(),
        "--agents",
        "4",
        "--duration",
        "1",
        "--threshold",
        "p95<10s",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("iterations failed (")
            && stdout(&out).contains("--threshold 'failed<1%'"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn the_open_model_shows_a_slow_server_s_queueing_where_the_closed_model_does_not() {
    let server = common::serve(ApiVersion::V7_1);
    server
        .simulator()
        .lock()
        .unwrap()
        .simulator_mut()
        .faults_mut()
        .set_delay(Some(Operation::PortStatus), Duration::from_millis(50));
    let dir = folder();
    let flow = write(
        dir.path(),
        "status.rhai",
        "transaction(\"check\", || port_status(1, 5));\n",
    );
    let url = server.url();
    let run = |extra: &[&str], name: &str| -> Value {
        let summary = dir.path().join(name);
        let mut args = vec![
            "load",
            flow.to_str().unwrap(),
            "--endpoint",
            &url,
            "--agents",
            "2",
            "--duration",
            "2",
            "--summary-json",
            summary.to_str().unwrap(),
        ];
        args.extend_from_slice(extra);
        let out = ecapi(&args);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}{}",
            stdout(&out),
            stderr(&out)
        );
        json(&summary)
    };
    // Two agents and answers of at least 50 ms serve at most 40 calls a second; 150 are due each
    // second, so calls wait for a free agent. The checks rest on that bound, not on how fast this
    // machine happens to be: a busy machine only makes the queue longer.
    let closed = run(&[], "closed.json");
    let open = run(&["--rate", "150/s"], "open.json");
    assert_eq!(open["model"], "open");
    let figure = |s: &Value, kind: &str, p: &str| s["requests"][kind][p].as_f64().unwrap();
    // The closed model waits for the server: what a request met is its service time, exactly.
    for p in ["p50", "p99", "max"] {
        assert_eq!(
            figure(&closed, "latency_ms", p),
            figure(&closed, "service_ms", p),
            "{p}"
        );
    }
    assert_eq!(closed["model"], "closed");
    // The open model counts from when each call was due: call k (of the 40 a second) starts at
    // least 25·k ms in, but was due at 6.7·k ms, so the median call of even a dozen waited 100 ms
    // more than the server took.
    let (latency_p50, service_p50) = (
        figure(&open, "latency_ms", "p50"),
        figure(&open, "service_ms", "p50"),
    );
    assert!(
        latency_p50 >= service_p50 + 100.0,
        "open latency p50 {latency_p50} ms, service p50 {service_p50} ms: {}",
        open["requests"]
    );
    assert!(n(&open["iterations"]["waited"]) > 0);
    assert!(n(&open["iterations"]["missed"]) > 0);
    // The transaction around the call is counted from when it was due too: never faster than
    // the call inside it (the histograms keep 3 figures).
    for p in ["p50", "p95", "max"] {
        let check = open["transactions"]["check"]["duration_ms"][p]
            .as_f64()
            .unwrap();
        let call = figure(&open, "latency_ms", p);
        assert!(
            check >= call * 0.999,
            "{p}: transaction {check} ms, its call {call} ms"
        );
    }
    // The wait is the server's doing, so it is in latency, not in the generator's lag.
    assert!(
        open["lag"]["ms"]["p99"].as_f64().unwrap() < latency_p50,
        "{}",
        open["lag"]
    );
}

#[test]
fn in_the_open_model_no_iteration_waits_for_an_agent_while_agents_are_idle() {
    // Fifty agents for five iterations a second of one quick call: every iteration finds an idle
    // agent, the first (due at the very start) included.
    let dir = folder();
    let flow = write(dir.path(), "light.rhai", "port_status(1, 5);\n");
    let summary = dir.path().join("s.json");
    let out = ecapi(&[
        "load",
        flow.to_str().unwrap(),
        "--rate",
        "5/s",
        "--agents",
        "50",
        "--duration",
        "1",
        "--summary-json",
        summary.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let s = json(&summary);
    assert_eq!(n(&s["iterations"]["completed"]), 5, "{}", s["iterations"]);
    assert_eq!(n(&s["iterations"]["waited"]), 0, "{}", s["iterations"]);
    assert!(
        stdout(&out).contains("open model: 0 waited for a free agent"),
        "{}",
        stdout(&out)
    );
}

/// The chromium binary, when installed.
fn chromium() -> Option<&'static str> {
    ["chromium", "chromium-browser", "google-chrome"]
        .into_iter()
        .find(|b| {
            Command::new(b)
                .arg("--version")
                .output()
                .is_ok_and(|o| o.status.success())
        })
}

#[test]
fn the_html_report_opens_in_headless_chromium_without_console_errors() {
    let dir = folder();
    let flow = write(
        dir.path(),
        "call.rhai",
        "let r = transaction(\"status\", || port_status(1, 5));\n\
         if agent.iteration % 5 == 4 { expect(r, 601); }\n",
    );
    let report = dir.path().join("report.html");
    let out = ecapi(&[
        "load",
        flow.to_str().unwrap(),
        "--stage",
        "0.5s:3",
        "--stage",
        "0.5s:3",
        "--report-html",
        report.to_str().unwrap(),
        "--threshold",
        "p99<10s",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let page = std::fs::read_to_string(&report).unwrap();
    // Self-contained: no script, no link, no request of any kind.
    assert!(!page.contains("<script") && !page.contains("<link") && !page.contains("src="));
    assert!(!page
        .replace("http://www.w3.org/2000/svg", "")
        .contains("://"));
    assert_eq!(
        chart_titles(&page),
        [
            "Response time percentiles over time",
            "Active agents over time",
            "Responses and iterations per second over time",
            "Errors and interruptions over time",
            "Response time distribution",
            "Response codes and errors",
            "p95 against active agents",
            "p95 against responses per second",
            "PortStatus: response time distribution",
            "PortStatus: response time percentiles over time",
            "PortStatus: p95 against active agents",
            "PortStatus: p95 against responses per second",
            "status: duration distribution",
            "status: duration percentiles over time",
            "status: p95 against active agents",
            "status: p95 against responses per second",
        ]
    );
    let Some(dom) = open_in_chromium(&report) else {
        return;
    };
    assert!(
        dom.contains("<svg") && dom.contains("every threshold holds"),
        "{dom}"
    );
    assert!(
        dom.contains("(stages 0.5s:3 0.5s:3)") && dom.contains("<td>status</td>"),
        "the stages and the transaction's row: {dom}"
    );
}

/// The title of every chart on a page, in order (each `<svg>`'s accessible name).
fn chart_titles(page: &str) -> Vec<String> {
    page.split("<svg")
        .skip(1)
        .map(|s| {
            let at = s.find("aria-label=\"").expect("every chart has a title") + 12;
            s[at..at + s[at..].find('"').unwrap()].to_string()
        })
        .collect()
}

/// Opens a page in headless Chromium and returns its DOM, having checked that the console stayed
/// free of errors; `None` (said on standard error) when Chromium is not installed.
fn open_in_chromium(report: &Path) -> Option<String> {
    let Some(browser) = chromium() else {
        eprintln!("SKIPPED: chromium is not installed (.ci/run installs it); the page was checked without it");
        return None;
    };
    let run = Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--enable-logging=stderr",
            "--v=0",
            "--dump-dom",
        ])
        .arg(format!("file://{}", report.display()))
        .output()
        .unwrap();
    let log = stderr(&run);
    let console: Vec<&str> = log
        .lines()
        .filter(|l| l.contains(":CONSOLE") || l.contains("Uncaught") || l.contains("ERR_"))
        .collect();
    assert!(console.is_empty(), "console: {console:?}");
    Some(stdout(&run))
}

#[test]
fn each_agent_sees_its_own_data_row_and_index() {
    let dir = folder();
    let data = write(
        dir.path(),
        "agents.csv",
        "ext,login\n4000,anna\n4001,bo\n4002,cy\n",
    );
    // Five agents over three rows: agents 3 and 4 start over at the first rows.
    let flow = write(
        dir.path(),
        "data.rhai",
        "assert_eq(agent.data.ext, `${4000 + agent.index % 3}`);\n\
         let p = station(agent.data.ext);\n\
         assert_eq(agent.iteration >= 0, true);\n",
    );
    let summary = dir.path().join("s.json");
    let out = ecapi(&[
        "load",
        flow.to_str().unwrap(),
        "--agents",
        "5",
        "--duration",
        "1",
        "--data",
        data.to_str().unwrap(),
        "--summary-json",
        summary.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let s = json(&summary);
    assert_eq!(n(&s["iterations"]["failed"]), 0, "{}", s["iterations"]);
    assert!(n(&s["iterations"]["completed"]) >= 5);

    let bad = write(dir.path(), "bad.csv", "ext,login\n4000\n");
    let out = ecapi(&[
        "load",
        flow.to_str().unwrap(),
        "--duration",
        "1",
        "--data",
        bad.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("bad.csv: line 2: 1 fields, but the header names 2"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn a_flow_that_never_completes_exits_1_with_its_reason_and_one_that_does_not_compile_too() {
    let dir = folder();
    let flow = write(dir.path(), "typo.rhai", "port_statsu(1, 5);\n");
    let out = ecapi(&["load", flow.to_str().unwrap(), "--duration", "1"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stdout(&out).contains("line 1: unknown function `port_statsu`")
            && stdout(&out).contains("did you mean port_status"),
        "{}",
        stdout(&out)
    );
    assert!(stderr(&out).contains("no iteration of"), "{}", stderr(&out));

    let flow = write(dir.path(), "syntax.rhai", "let x = ;\n");
    let out = ecapi(&["load", flow.to_str().unwrap(), "--duration", "1"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("syntax.rhai:1:9"), "{}", stderr(&out));
}

/// Every second of a summary's timeline: (t, requests, p99 ms).
fn seconds(s: &Value) -> Vec<(u64, u64, f64)> {
    s["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| (n(&t["t"]), n(&t["requests"]), t["p99"].as_f64().unwrap()))
        .collect()
}

#[test]
fn at_the_end_running_iterations_finish_at_their_own_pace_and_their_late_requests_stay_out() {
    // A server answering in 1 ms; agents spread over the first second, each call a request, a
    // second of talk, a request. When the time is up, most agents are in their talk.
    let server = common::serve(ApiVersion::V7_1);
    server
        .simulator()
        .lock()
        .unwrap()
        .simulator_mut()
        .faults_mut()
        .set_delay(None, Duration::from_millis(1));
    let dir = folder();
    let flow = write(
        dir.path(),
        "talk.rhai",
        "port_status(1, 5);\nsleep(1000);\nport_status(1, 5);\n",
    );
    let summary = dir.path().join("s.json");
    let url = server.url();
    let out = ecapi(&[
        "load",
        flow.to_str().unwrap(),
        "--endpoint",
        &url,
        "--agents",
        "20",
        "--ramp-up",
        "1",
        "--duration",
        "3",
        "--summary-json",
        summary.to_str().unwrap(),
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
    let s = json(&summary);
    let it = &s["iterations"];
    // Every sleep ran its full second: none was cut short by the end.
    assert!(it["duration_ms"]["min"].as_f64().unwrap() >= 1000.0, "{it}");
    assert_eq!(n(&it["interrupted"]), 0, "{it}");
    assert_eq!(n(&it["failed"]), 0, "{it}");
    // The agents talking at the end asked again after it; those requests are counted apart.
    let after_end = n(&s["after_end"]["requests"]);
    assert!((1..=20).contains(&after_end), "{}", s["after_end"]);
    assert_eq!(
        n(&s["requests"]["count"]) + after_end,
        2 * n(&it["completed"])
    );
    // The timeline ends with the test, and its last second is no worse than the steady ones: no
    // burst (a busy machine's noise aside).
    let timeline = seconds(&s);
    assert!(timeline.iter().all(|(t, _, _)| *t < 3), "{timeline:?}");
    let (last, steady) = timeline.split_last().unwrap();
    let steady_p99 = steady.iter().map(|(_, _, p)| *p).fold(0.0, f64::max);
    assert!(
        last.2 <= 2.0 * steady_p99 + 20.0,
        "last second p99 {} ms, steady {steady_p99} ms: {timeline:?}",
        last.2
    );
    assert!(
        stdout(&out).contains("graceful stop 30 s: "),
        "{}",
        stdout(&out)
    );
}

#[test]
fn iterations_still_running_when_the_grace_period_ends_are_interrupted() {
    let dir = folder();
    let flow = write(
        dir.path(),
        "long.rhai",
        "port_status(1, 5);\nsleep(60000);\n",
    );
    let summary = dir.path().join("s.json");
    let started = std::time::Instant::now();
    let out = ecapi(&[
        "load",
        flow.to_str().unwrap(),
        "--agents",
        "3",
        "--duration",
        "1",
        "--graceful-stop",
        "0.5",
        "--summary-json",
        summary.to_str().unwrap(),
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
    // Cut at 1.5 s, not a minute later.
    assert!(started.elapsed() < Duration::from_secs(20));
    let s = json(&summary);
    let it = &s["iterations"];
    assert_eq!(
        (n(&it["completed"]), n(&it["failed"]), n(&it["interrupted"])),
        (0, 0, 3),
        "{it}"
    );
    assert_eq!(s["graceful_stop_s"], 0.5);
    assert!(
        stdout(&out).contains("graceful stop 0.5 s: 0 requests sent after the end (not in the figures), 3 iterations interrupted at its end"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn requests_in_flight_when_a_server_stops_answering_count_as_interrupted_and_fail_errors() {
    let server = common::serve(ApiVersion::V7_1);
    let dir = folder();
    // Agent 0's fourth call makes the server stop answering (a delay of ten minutes): from then
    // on both agents wait for answers that never come.
    let flow = write(
        dir.path(),
        "stall.rhai",
        "port_status(1, 5);\n\
         if agent.index == 0 && agent.iteration == 3 { sim_delay(\"*\", 600000); }\n\
         sleep(20);\n",
    );
    let summary = dir.path().join("s.json");
    let report = dir.path().join("r.html");
    let url = server.url();
    let out = ecapi(&[
        "load",
        flow.to_str().unwrap(),
        "--endpoint",
        &url,
        "--agents",
        "2",
        "--duration",
        "1",
        "--graceful-stop",
        "0.5",
        "--threshold",
        "errors<1%",
        "--summary-json",
        summary.to_str().unwrap(),
        "--report-html",
        report.to_str().unwrap(),
    ]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
    let s = json(&summary);
    let ps = &s["operations"]["PortStatus"];
    assert_eq!(n(&ps["errors_by_kind"]["interrupted"]), 2, "{ps}");
    assert_eq!(n(&s["requests"]["errors"]), 2);
    assert_eq!(n(&s["iterations"]["interrupted"]), 2, "{}", s["iterations"]);
    assert!(n(&ps["count"]) >= 6, "{ps}");
    assert_eq!(s["thresholds"][0]["pass"], false, "{}", s["thresholds"]);
    let table = stdout(&out);
    assert!(table.contains("FAIL  errors<1%"), "{table}");
    assert!(table.contains("interrupted×2"), "{table}");
    let page = std::fs::read_to_string(&report).unwrap();
    assert!(page.contains("2 iterations interrupted at its end"));
    // The server's delayed answers would hold its shutdown for seconds; the process ends anyway.
    std::mem::forget(server);
}

#[test]
fn a_flow_that_fails_at_once_backs_off_instead_of_spinning() {
    let dir = folder();
    let flow = write(dir.path(), "typo.rhai", "port_statsu(1, 5);\n");
    let summary = dir.path().join("s.json");
    let out = ecapi(&[
        "load",
        flow.to_str().unwrap(),
        "--agents",
        "2",
        "--duration",
        "2",
        "--summary-json",
        summary.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    // Waits of 10, 20, 40 … ms, up to a second, between failures: 10 or 11 each in 2 s, where
    // spinning made hundreds of thousands.
    let failed = n(&json(&summary)["iterations"]["failed"]);
    assert!((2..=24).contains(&failed), "{failed} failed iterations");
}

#[test]
fn the_readme_s_percentile_thresholds_are_accepted() {
    let dir = folder();
    let flow = write(
        dir.path(),
        "status.rhai",
        "port_status(1, 5);\nsleep(50);\n",
    );
    let out = ecapi(&[
        "load",
        flow.to_str().unwrap(),
        "--duration",
        "0.5",
        "--threshold",
        "p(99.9)<1s",
        "--threshold",
        "PortStatus.p(99.9) < 1000ms",
        "--threshold",
        "p99.9<1s",
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
    assert!(
        stdout(&out).contains("pass  p(99.9)<1s"),
        "{}",
        stdout(&out)
    );
}

/// Runs a short test and returns its summary's path.
fn summary_of(dir: &Path, name: &str, duration: &str) -> PathBuf {
    let flow = write(dir, "status.rhai", "port_status(1, 5);\nsleep(20);\n");
    let summary = dir.join(name);
    let out = ecapi(&[
        "load",
        flow.to_str().unwrap(),
        "--duration",
        duration,
        "--summary-json",
        summary.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    summary
}

#[test]
fn a_merge_with_a_stopped_run_does_not_pass() {
    let dir = folder();
    let a = summary_of(dir.path(), "a.json", "0.3");
    let mut b = json(&a);
    b["runs"] = serde_json::json!(["00000000000000b1"]);
    b["stopped_by"] = serde_json::json!("SIGTERM");
    let b_path = write(dir.path(), "b.json", &b.to_string());
    let merged = dir.path().join("m.json");
    let out = ecapi(&[
        "load",
        "--merge",
        a.to_str().unwrap(),
        b_path.to_str().unwrap(),
        "--threshold",
        "p95<60s",
        "--summary-json",
        merged.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("FAIL: stopped by SIGTERM after "),
        "{}",
        stdout(&out)
    );
    let m = json(&merged);
    assert_eq!(m["passed"], false);
    assert_eq!(m["stopped_by"], "SIGTERM");
    assert_eq!(m["thresholds"][0]["pass"], true);
}

#[test]
fn merge_refuses_a_summary_twice_and_says_which_runs_differ() {
    let dir = folder();
    let a = summary_of(dir.path(), "a.json", "0.5");
    let a_str = a.to_str().unwrap();
    let out = ecapi(&["load", "--merge", a_str, a_str]);
    assert_eq!(out.status.code(), Some(2), "{}", stdout(&out));
    assert!(
        stderr(&out).contains("the same file as")
            && stderr(&out).contains("counts its requests twice"),
        "{}",
        stderr(&out)
    );
    // A copy is the same run under another name.
    let copy = dir.path().join("copy.json");
    std::fs::copy(&a, &copy).unwrap();
    let out = ecapi(&["load", "--merge", a_str, copy.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("is already in"), "{}", stderr(&out));

    // Runs of another length and another flow merge, with a word on each difference.
    let mut b = json(&a);
    b["runs"] = serde_json::json!(["00000000000000b0"]);
    b["duration_s"] = serde_json::json!(7.5);
    b["flow"] = serde_json::json!("other.rhai");
    let b_path = write(dir.path(), "b.json", &b.to_string());
    let out = ecapi(&["load", "--merge", a_str, b_path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("the runs differ in duration (") && err.contains("b.json 7.5 s"),
        "{err}"
    );
    assert!(
        err.contains("the runs ran different flows (") && err.contains("b.json other.rhai"),
        "{err}"
    );
}

/// A V2 histogram header that claims 5 significant figures up to 2⁶² and 4 GB of counts, in base64.
fn greedy_histogram() -> String {
    let mut bytes = Vec::new();
    bytes.extend_from_slice(&0x1c84_9313_u32.to_be_bytes());
    bytes.extend_from_slice(&u32::MAX.to_be_bytes());
    bytes.extend_from_slice(&0_u32.to_be_bytes());
    bytes.extend_from_slice(&5_u32.to_be_bytes());
    bytes.extend_from_slice(&1_u64.to_be_bytes());
    bytes.extend_from_slice(&(1_u64 << 62).to_be_bytes());
    bytes.extend_from_slice(&1.0_f64.to_be_bytes());
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

#[test]
fn a_hand_edited_summary_is_refused_quickly_without_allocating_what_it_claims() {
    let dir = folder();
    let a = summary_of(dir.path(), "a.json", "0.5");
    let mut edited = json(&a);
    for second in edited["timeline"].as_array_mut().unwrap() {
        second["histogram"] = serde_json::json!(greedy_histogram());
    }
    let bad = write(dir.path(), "bad.json", &edited.to_string());
    // Under a 1 GB address space (where the shell can set one): the 4 GB of counts it claims
    // would abort the process.
    let started = std::time::Instant::now();
    let out = if cfg!(target_os = "linux") {
        Command::new("sh")
            .arg("-c")
            .arg(format!(
                "ulimit -v 1000000; exec '{}' load --merge '{}'",
                env!("CARGO_BIN_EXE_ecapi"),
                bad.display()
            ))
            .output()
            .unwrap()
    } else {
        ecapi(&["load", "--merge", bad.to_str().unwrap()])
    };
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(started.elapsed() < Duration::from_secs(10));
    assert!(
        stderr(&out).contains("timeline[0]: \"histogram\": not an HDR histogram: it claims 4294967295 bytes of counts"),
        "{}",
        stderr(&out)
    );

    // Counts near u64's top that would wrap when merged.
    let mut big = json(&a);
    big["runs"] = serde_json::json!(["00000000000000b1"]);
    big["iterations"]["completed"] = serde_json::json!(u64::MAX);
    let big_path = write(dir.path(), "big.json", &big.to_string());
    let out = ecapi(&[
        "load",
        "--merge",
        a.to_str().unwrap(),
        big_path.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", stdout(&out));
    assert!(
        stderr(&out).contains("is more than a count can hold"),
        "{}",
        stderr(&out)
    );
}

#[cfg(unix)]
#[test]
fn sigterm_and_sigint_end_the_run_and_write_the_summary_and_the_report() {
    use std::io::{BufRead, BufReader};
    use std::process::Stdio;
    for (signal, code) in [("TERM", 143), ("INT", 130)] {
        let server = common::serve(ApiVersion::V7_1);
        let url = server.url();
        let dir = folder();
        let flow = write(dir.path(), "call.rhai", "port_status(1, 5);\nsleep(100);\n");
        let summary = dir.path().join("s.json");
        let report = dir.path().join("r.html");
        let junit = dir.path().join("j.xml");
        let mut child = Command::new(env!("CARGO_BIN_EXE_ecapi"))
            .args([
                "load",
                flow.to_str().unwrap(),
                "--endpoint",
                &url,
                "--agents",
                "3",
                "--duration",
                "600",
                // Holds: a stopped run must fail all the same.
                "--threshold",
                "p95<60s",
                "--summary-json",
                summary.to_str().unwrap(),
                "--report-html",
                report.to_str().unwrap(),
                "--report-junit",
                junit.to_str().unwrap(),
            ])
            .env_remove("ECAPI_ENDPOINT")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // The banner comes once the signals are listened for; the agents are in their calls
        // once the server has had three requests.
        let mut err = BufReader::new(child.stderr.take().unwrap());
        let mut banner = String::new();
        err.read_line(&mut banner).unwrap();
        assert!(
            banner.starts_with("ecapi load: 3 agents running"),
            "{banner}"
        );
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        while server
            .simulator()
            .lock()
            .unwrap()
            .simulator()
            .journal()
            .total()
            < 3
        {
            assert!(
                std::time::Instant::now() < deadline,
                "the agents never called"
            );
            std::thread::sleep(Duration::from_millis(10));
        }
        // Twice at once, as `timeout` delivers it (to the command, then to its process group):
        // one request to end, not a second one to interrupt.
        let kill = Command::new("sh")
            .arg("-c")
            .arg(format!(
                "kill -{signal} {pid} && kill -{signal} {pid}",
                pid = child.id()
            ))
            .status()
            .unwrap();
        assert!(kill.success());
        let mut rest = String::new();
        std::io::Read::read_to_string(&mut err, &mut rest).unwrap();
        let out = child.wait_with_output().unwrap();
        assert_eq!(out.status.code(), Some(code), "SIG{signal}: {rest}");
        assert!(
            rest.contains(&format!("SIG{signal}: ending the test")),
            "{rest}"
        );
        let s = json(&summary);
        assert_eq!(s["stopped_by"], format!("SIG{signal}"));
        assert!(s["duration_s"].as_f64().unwrap() < 600.0);
        // The calls under way finished in the grace period, their sleeps running out.
        assert_eq!(n(&s["iterations"]["interrupted"]), 0, "{}", s["iterations"]);
        assert!(n(&s["iterations"]["completed"]) >= 3, "{}", s["iterations"]);
        // Not a pass anywhere: the JSON, the page's headline, JUnit and the console.
        assert_eq!(s["passed"], false, "{}", s["thresholds"]);
        assert_eq!(s["thresholds"][0]["pass"], true, "{}", s["thresholds"]);
        let page = std::fs::read_to_string(&report).unwrap();
        assert!(page.contains(&format!("stopped by SIG{signal}")));
        assert!(
            page.contains(&format!("<p class=\"fail\">stopped by SIG{signal} after ")),
            "{page}"
        );
        assert!(!page.contains("every threshold holds"), "{page}");
        let xml = std::fs::read_to_string(&junit).unwrap();
        assert!(xml.contains("tests=\"2\" failures=\"1\""), "{xml}");
        assert!(xml.contains("<testcase name=\"run completed\""), "{xml}");
        assert!(
            xml.contains(&format!("message=\"stopped by SIG{signal} after ")),
            "{xml}"
        );
        assert!(stdout(&out).contains(&format!("stopped by SIG{signal}")));
        assert!(
            stdout(&out).contains(&format!("FAIL: stopped by SIG{signal} after ")),
            "{}",
            stdout(&out)
        );
    }
}

#[cfg(target_os = "linux")]
#[test]
fn more_agents_than_the_machine_allows_are_refused_before_the_start_with_the_cause() {
    let dir = folder();
    let flow = write(dir.path(), "status.rhai", "port_status(1, 5);\n");
    // Under a 1.5 GB address space, 3,000 stacks of 1 MiB cannot all be mapped.
    let out = Command::new("sh")
        .arg("-c")
        .arg(format!(
            "ulimit -v 1500000; exec '{}' load '{}' --agents 3000 --duration 1",
            env!("CARGO_BIN_EXE_ecapi"),
            flow.display()
        ))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.starts_with("ecapi: --agents 3000: this machine runs at most about ")
            && err.contains("RLIMIT_AS")
            && err.contains("--merge"),
        "{err}"
    );
    assert!(!err.contains("panicked"), "{err}");
    // The documented maximum, where vm.max_map_count is the default's 65,530.
    let maps: u64 = std::fs::read_to_string("/proc/sys/vm/max_map_count")
        .map_or(u64::MAX, |t| t.trim().parse().unwrap_or(u64::MAX));
    if maps < 20_000 * 4 {
        let out = ecapi(&[
            "load",
            flow.to_str().unwrap(),
            "--agents",
            "20000",
            "--duration",
            "1",
        ]);
        assert_eq!(out.status.code(), Some(2));
        assert!(
            stderr(&out).contains(&format!("vm.max_map_count is {maps}")),
            "{}",
            stderr(&out)
        );
    }
}

#[cfg(unix)]
#[test]
fn a_second_signal_cuts_the_graceful_stop_short() {
    use std::io::{BufRead, BufReader};
    use std::process::Stdio;
    let server = common::serve(ApiVersion::V7_1);
    let url = server.url();
    let dir = folder();
    let flow = write(
        dir.path(),
        "long.rhai",
        "port_status(1, 5);\nsleep(600000);\n",
    );
    let summary = dir.path().join("s.json");
    let mut child = Command::new(env!("CARGO_BIN_EXE_ecapi"))
        .args([
            "load",
            flow.to_str().unwrap(),
            "--endpoint",
            &url,
            "--agents",
            "2",
            "--duration",
            "600",
            "--summary-json",
            summary.to_str().unwrap(),
        ])
        .env_remove("ECAPI_ENDPOINT")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut err = BufReader::new(child.stderr.take().unwrap());
    let kill = |pid: u32| {
        assert!(Command::new("kill")
            .args(["-TERM", &pid.to_string()])
            .status()
            .unwrap()
            .success())
    };
    let mut line = String::new();
    err.read_line(&mut line).unwrap();
    assert!(line.starts_with("ecapi load: 2 agents running"), "{line}");
    // Both agents are in their call once the server has had their requests.
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while server
        .simulator()
        .lock()
        .unwrap()
        .simulator()
        .journal()
        .total()
        < 2
    {
        assert!(
            std::time::Instant::now() < deadline,
            "the agents never called"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    kill(child.id());
    line.clear();
    err.read_line(&mut line).unwrap();
    assert!(
        line.contains("SIGTERM: ending the test; running iterations have 30 s"),
        "{line}"
    );
    // A repeat within half a second is the same request delivered twice (as `timeout` does);
    // a second signal comes later.
    let first = std::time::Instant::now();
    while first.elapsed() < Duration::from_millis(600) {
        std::thread::sleep(Duration::from_millis(20));
    }
    let started = std::time::Instant::now();
    kill(child.id());
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(143));
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "not the 30 s of grace"
    );
    let s = json(&summary);
    assert_eq!(n(&s["iterations"]["interrupted"]), 2, "{}", s["iterations"]);
}

#[test]
fn report_paths_are_made_and_checked_before_the_run_starts() {
    let dir = folder();
    let flow = write(dir.path(), "f.rhai", "port_status(1, 5);\n");
    write(dir.path(), "afile", "not a folder\n");
    // A path that cannot be written is refused before any agent starts.
    let bad = dir.path().join("afile").join("s.json");
    let out = ecapi(&[
        "load",
        flow.to_str().unwrap(),
        "--duration",
        "60",
        "--summary-json",
        bad.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("--summary-json"), "{}", stderr(&out));
    assert!(stderr(&out).contains("not a folder"), "{}", stderr(&out));
    assert!(
        !stderr(&out).contains(" running "),
        "the run did not start: {}",
        stderr(&out)
    );
    // Folders that do not exist yet are made.
    let deep = dir.path().join("out").join("deep");
    let out = ecapi(&[
        "load",
        flow.to_str().unwrap(),
        "--duration",
        "1",
        "--summary-json",
        deep.join("s.json").to_str().unwrap(),
        "--report-html",
        deep.join("r.html").to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(json(&deep.join("s.json"))["iterations"].is_object());
    assert!(std::fs::read_to_string(deep.join("r.html"))
        .unwrap()
        .contains("<html"));
}

#[test]
fn report_junit_has_a_testcase_per_threshold_failing_when_it_fails() {
    let dir = folder();
    let flow = write(dir.path(), "f.rhai", "port_status(1, 5);\n");
    let junit = dir.path().join("out").join("j.xml");
    let out = ecapi(&[
        "load",
        flow.to_str().unwrap(),
        "--duration",
        "1",
        "--threshold",
        "p(99.9)<10s",
        "--threshold",
        "rate<1",
        "--report-junit",
        junit.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let xml = std::fs::read_to_string(&junit).unwrap();
    assert!(
        xml.contains("<testsuites name=\"ecapi load\" tests=\"2\" failures=\"1\""),
        "{xml}"
    );
    assert!(
        xml.contains("<testcase name=\"p(99.9)&lt;10s\" classname=\"load\""),
        "{xml}"
    );
    assert_eq!(xml.matches("<failure ").count(), 1, "{xml}");
    assert!(xml.contains("rate&lt;1 failed: measured"), "{xml}");
}

/// A call for the baseline tests, with a pause between calls so that the load machine stays quiet
/// and the figures are the simulator's.
const BASELINE_CALL: &str = r#"
let p = station(4000 + agent.index);
transaction("start", || { expect_ok(p.start()); });
expect_ok(p.assign("fldCampaign", "load"));
p.status();
transaction("wrap-up", || { expect_ok(p.stop()); });
sleep(5);
"#;

fn load_ok(args: &[&str]) -> Output {
    let out = ecapi(args);
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
    out
}

/// The `regressed` flag of each operation and transaction in a summary's `baseline` section.
fn regressed(s: &Value) -> Vec<(String, bool)> {
    ["operations", "transactions"]
        .iter()
        .flat_map(|section| s["baseline"][section].as_object().unwrap())
        .map(|(name, row)| (name.clone(), row["regressed"].as_bool().unwrap()))
        .collect()
}

#[test]
fn a_run_compared_with_itself_marks_nothing() {
    let dir = folder();
    let flow = write(dir.path(), "call.rhai", BASELINE_CALL);
    let first = dir.path().join("first.json");
    let again = dir.path().join("again.json");
    load_ok(&[
        "load",
        flow.to_str().unwrap(),
        "--agents",
        "2",
        "--duration",
        "1",
        "--summary-json",
        first.to_str().unwrap(),
    ]);
    // The same run read back (a merge of one) against itself as the baseline.
    let out = load_ok(&[
        "load",
        "--merge",
        first.to_str().unwrap(),
        "--baseline",
        first.to_str().unwrap(),
        "--threshold",
        "p95<=baseline",
        "--summary-json",
        again.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    let text = stdout(&out);
    assert!(text.contains("compared with the baseline"), "{text}");
    assert!(text.contains("nothing slower beyond noise"), "{text}");
    assert!(
        !text.contains('*') || text.matches('*').count() == 1,
        "only the legend's star: {text}"
    );
    let s = json(&again);
    let rows = regressed(&s);
    assert_eq!(rows.len(), 5 + 2, "{}", s["baseline"]);
    assert!(rows.iter().all(|(_, r)| !r), "{rows:?}");
    let sections = ["operations", "transactions"];
    for (name, row) in sections
        .iter()
        .flat_map(|section| s["baseline"][section].as_object().unwrap())
    {
        assert_eq!(row["verdict"], "within noise", "{name}");
        assert_eq!(row["ks"]["d"], 0.0, "{name}");
        assert_eq!(row["figures"], row["baseline"], "{name}");
        for (p, change) in row["change"].as_object().unwrap() {
            if p != "rate" {
                assert_eq!(change["beyond_noise"], false, "{name} {p}");
            }
        }
    }
    assert_eq!(s["baseline"]["regressed"], false);
    assert_eq!(s["thresholds"][0]["pass"], true, "{}", s["thresholds"]);
}

#[test]
fn a_delay_on_start_recording_marks_it_and_the_transaction_around_it_and_nothing_else() {
    let dir = folder();
    let flow = write(dir.path(), "call.rhai", BASELINE_CALL);
    let slow = write(
        dir.path(),
        "slow.rhai",
        &format!("sim_delay(\"StartRecording\", 20);\n{BASELINE_CALL}"),
    );
    let base = dir.path().join("base.json");
    let now = dir.path().join("now.json");
    let report = dir.path().join("report.html");
    load_ok(&[
        "load",
        flow.to_str().unwrap(),
        "--agents",
        "4",
        "--duration",
        "2",
        "--summary-json",
        base.to_str().unwrap(),
    ]);
    let out = load_ok(&[
        "load",
        slow.to_str().unwrap(),
        "--agents",
        "4",
        "--duration",
        "2",
        "--baseline",
        base.to_str().unwrap(),
        "--threshold",
        "StartRecording.p50<baseline*1.2",
        "--threshold",
        "StartRecording.p50>baseline*2",
        "--summary-json",
        now.to_str().unwrap(),
        "--report-html",
        report.to_str().unwrap(),
    ]);
    // The first relative threshold fails, the second holds.
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    let text = stdout(&out);
    assert!(
        text.contains("slower beyond noise: StartRecording, start\n"),
        "{text}"
    );
    let s = json(&now);
    let marked: Vec<String> = regressed(&s)
        .into_iter()
        .filter(|(_, r)| *r)
        .map(|(name, _)| name)
        .collect();
    // The transaction around StartRecording is slower with it; the one around StopRecording not.
    assert_eq!(marked, ["StartRecording", "start"], "{}", s["baseline"]);
    assert_eq!(
        s["baseline"]["transactions"]["wrap-up"]["regressed"], false,
        "{}",
        s["baseline"]
    );
    let sr = &s["baseline"]["operations"]["StartRecording"];
    assert_eq!(sr["change"]["p50"]["direction"], "slower", "{sr}");
    assert!(
        sr["figures"]["latency_ms"]["p50"].as_f64().unwrap() >= 20.0,
        "{sr}"
    );
    assert!(
        sr["baseline"]["latency_ms"]["p50"].as_f64().unwrap() < 20.0,
        "{sr}"
    );
    let verdicts: Vec<bool> = s["thresholds"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["pass"].as_bool().unwrap())
        .collect();
    assert_eq!(verdicts, [false, true], "{}", s["thresholds"]);
    assert!(
        s["thresholds"][0]["shown"]
            .as_str()
            .unwrap()
            .contains(" (baseline "),
        "{}",
        s["thresholds"]
    );
    // The report draws both distributions on one chart and has the comparison.
    let page = std::fs::read_to_string(&report).unwrap();
    let chart = page
        .split("<figure>")
        .find(|f| f.contains("aria-label=\"StartRecording: response time distribution\""))
        .unwrap();
    assert!(
        chart.contains(">this run</text>") && chart.contains(">baseline</text>"),
        "{chart}"
    );
    assert!(page.contains("Compared with the baseline"));
    assert_eq!(
        chart_titles(&page).len(),
        8 + 4 * (5 + 2),
        "{:?}",
        chart_titles(&page)
    );
    if let Some(dom) = open_in_chromium(&report) {
        assert!(dom.contains("slower beyond noise: StartRecording"), "{dom}");
    }
}

#[test]
fn a_relative_threshold_without_a_baseline_is_bad_usage_before_the_run() {
    let dir = folder();
    let flow = write(dir.path(), "f.rhai", "port_status(1, 5);\n");
    let out = ecapi(&[
        "load",
        flow.to_str().unwrap(),
        "--duration",
        "30",
        "--threshold",
        "p95<1s",
        "--threshold",
        "StartRecording.p95 < baseline*1.2",
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains(
            "--threshold 'StartRecording.p95 < baseline*1.2' compares with the baseline: give the \
             earlier run's summary as --baseline OLD.json"
        ),
        "{}",
        stderr(&out)
    );
    assert!(stdout(&out).is_empty(), "no run: {}", stdout(&out));
}

#[test]
fn a_bad_baseline_file_exits_2_naming_the_file_and_what_is_wrong() {
    let dir = folder();
    let flow = write(dir.path(), "f.rhai", "port_status(1, 5);\n");
    let not_json = write(dir.path(), "notes.json", "p95 was 12 ms\n");
    let k6 = write(dir.path(), "k6.json", r#"{"format": "k6", "metrics": {}}"#);
    let later = write(
        dir.path(),
        "later.json",
        r#"{"format": "ecapi-load-summary/2"}"#,
    );
    let partial = write(
        dir.path(),
        "partial.json",
        r#"{"format": "ecapi-load-summary/1", "flow": "f.rhai"}"#,
    );
    let binary = dir.path().join("binary.json");
    std::fs::write(&binary, [0xff, 0xfe, 0x00, 0x7b]).unwrap();
    let missing = dir.path().join("missing.json");
    for (file, why) in [
        (missing.as_path(), "no such file".to_string()),
        (dir.path(), "cannot read it: ".to_string()),
        (binary.as_path(), "not text (UTF-8), so not a summary".to_string()),
        (not_json.as_path(), "not JSON: ".to_string()),
        (
            k6.as_path(),
            "not an ecapi load summary (its \"format\" is \"k6\", expected \"ecapi-load-summary/1\")"
                .to_string(),
        ),
        (
            later.as_path(),
            "an ecapi load summary of format version 2; this ecapi reads version 1".to_string(),
        ),
        (partial.as_path(), "\"backend\" is missing".to_string()),
    ] {
        let out = ecapi(&[
            "load",
            flow.to_str().unwrap(),
            "--duration",
            "30",
            "--baseline",
            file.to_str().unwrap(),
        ]);
        assert_eq!(out.status.code(), Some(2), "{file:?}: {}", stderr(&out));
        let expected = format!("--baseline {}: {why}", file.display());
        assert!(
            stderr(&out).contains(&expected),
            "{expected}\n{}",
            stderr(&out)
        );
        assert!(stdout(&out).is_empty(), "no run: {}", stdout(&out));
    }
}

/// Each second of a summary's timeline as (t, agents in the test, the stages' target).
fn agents_and_target(s: &Value) -> Vec<(u64, u64, f64)> {
    s["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| (n(&t["t"]), n(&t["agents"]), t["target"].as_f64().unwrap()))
        .collect()
}

/// A short call: iterations of about 60 ms, so an agent leaving on a ramp-down is gone well
/// within the second.
const SHORT_CALL: &str = r#"
let p = station(4000 + agent.index);
expect_ok(p.start());
p.status();
expect_ok(p.stop());
sleep(50);
"#;

#[test]
fn stages_of_agents_ramp_up_hold_and_down_within_one_agent_of_the_target_every_second() {
    // The issue's shape: 5 s up to 20 agents, 5 s at 20, 5 s down to 0.
    let dir = folder();
    let flow = write(dir.path(), "call.rhai", SHORT_CALL);
    let summary = dir.path().join("s.json");
    let out = ecapi(&[
        "load",
        flow.to_str().unwrap(),
        "--stage",
        "5s:20",
        "--stage",
        "5:20",
        "--stage",
        "5s:0",
        "--summary-json",
        summary.to_str().unwrap(),
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
    let s = json(&summary);
    assert_eq!(
        (s["agents"].as_u64(), s["model"].as_str()),
        (Some(20), Some("closed"))
    );
    assert_eq!(
        s["stages"][2],
        serde_json::json!({"duration_s": 5.0, "target": 0.0})
    );
    let seconds = agents_and_target(&s);
    assert_eq!(seconds.len(), 15, "{seconds:?}");
    let want = [
        4.0, 8.0, 12.0, 16.0, 20.0, 20.0, 20.0, 20.0, 20.0, 20.0, 16.0, 12.0, 8.0, 4.0, 0.0,
    ];
    for ((t, agents, target), want) in seconds.iter().zip(want) {
        assert_eq!(*target, want, "second {t}");
        assert!(
            (*agents as f64 - target).abs() <= 1.0,
            "second {t}: {agents} agents in the test, the target {target}: {seconds:?}"
        );
    }
    // The agents leaving finished their iterations: none was cut.
    assert_eq!(n(&s["iterations"]["interrupted"]), 0);
    assert_eq!(n(&s["iterations"]["failed"]), 0);
    assert!(
        stdout(&out).contains("(stages 5s:20 5s:20 5s:0)"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn a_rate_stage_starts_as_many_iterations_each_second_as_it_makes_due() {
    // Up to 20 iterations a second over 2 s, 2 s at 20/s, down to none over 2 s: 80 in all.
    let dir = folder();
    let flow = write(dir.path(), "status.rhai", "port_status(1, 5);\n");
    let summary = dir.path().join("s.json");
    let out = ecapi(&[
        "load",
        flow.to_str().unwrap(),
        "--agents",
        "4",
        "--stage",
        "2s:20/s",
        "--stage",
        "2s:1200/m",
        "--stage",
        "2s:0/s",
        "--summary-json",
        summary.to_str().unwrap(),
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
    let s = json(&summary);
    assert_eq!(s["model"], "open");
    assert_eq!(s["rate"], 20.0);
    let mut due_total = 0;
    let seconds: Vec<(u64, u64, u64)> = s["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| (n(&t["t"]), n(&t["due"]), n(&t["started"])))
        .collect();
    let due: Vec<u64> = seconds.iter().map(|s| s.1).collect();
    assert_eq!(due, [5, 15, 20, 20, 15, 5], "{seconds:?}");
    for (t, due, started) in &seconds {
        due_total += due;
        assert!(
            due.abs_diff(*started) <= 1,
            "second {t}: {started} started, {due} due: {seconds:?}"
        );
    }
    assert_eq!(due_total, 80);
    assert_eq!(n(&s["iterations"]["completed"]), 80);
    assert_eq!(n(&s["iterations"]["missed"]), 0);
}

#[test]
fn malformed_or_conflicting_stages_exit_2_naming_the_bad_value() {
    let dir = folder();
    let flow = write(dir.path(), "status.rhai", "port_status(1, 5);\n");
    let file = flow.to_str().unwrap();
    let refused = |args: &[&str], says: &str| {
        let mut all = vec!["load", file];
        all.extend_from_slice(args);
        let out = ecapi(&all);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        assert!(
            stderr(&out).contains(says),
            "{args:?} should say {says:?}: {}",
            stderr(&out)
        );
    };
    refused(
        &["--stage", "5x:10"],
        "--stage 5x:10: `5x` is not a duration",
    );
    refused(
        &["--stage", "10s:"],
        "--stage 10s:: no target after the colon",
    );
    refused(
        &["--stage", "10s:-1"],
        "--stage 10s:-1: `-1` is not a number of agents",
    );
    refused(&["--stage", "10s:2.5"], "`2.5` is not a number of agents");
    refused(
        &["--stage", "10s"],
        "--stage 10s: expected DURATION:AGENTS or DURATION:RATE/s",
    );
    refused(
        &["--stage", "10s:5/h"],
        "--stage 10s:5/h: `5/h` is not a rate",
    );
    refused(
        &["--stage", "10s:5/s", "--stage", "10s:20"],
        "--stage 10s:20 and --stage 10s:5/s: the stages are all agents (closed model) or all rates",
    );
    refused(
        &["--stage", "0s:5", "--stage", "0:10"],
        "the stages last 0 s in all",
    );
    refused(&["--stage", "10s:0"], "every target is 0");
    refused(
        &["--stage", "10s:5", "--duration", "10"],
        "--stage and --duration do not go together",
    );
    refused(
        &["--stage", "10s:5", "--ramp-up", "2"],
        "--stage and --ramp-up do not go together",
    );
    refused(
        &["--stage", "10s:5", "--rate", "5/s"],
        "--stage and --rate do not go together",
    );
    refused(
        &["--stage", "10s:5", "--agents", "5"],
        "--agents 5 and --stage DURATION:AGENTS do not go together",
    );
}

/// A flow whose every iteration is one transaction around three calls of 5 ms each or more.
const THREE_CALLS: &str = r#"
let p = station(4000 + agent.index);
sim_delay("*", 5);
let code = transaction("call", || {
    expect_ok(p.start());
    p.status();
    expect_ok(p.stop());
    transaction("check", || p.status().code)
});
if code != 100 { throw "the block's value comes back: " + code; }
if agent.iteration % 4 == 3 {
    transaction("payment/pause", || { throw "declined"; });
}
"#;

#[test]
fn a_transaction_around_three_calls_counts_each_iteration_and_lasts_at_least_its_calls() {
    let dir = folder();
    let flow = write(dir.path(), "call.rhai", THREE_CALLS);
    let summary = dir.path().join("s.json");
    let junit = dir.path().join("j.xml");
    let html = dir.path().join("r.html");
    let out = ecapi(&[
        "load",
        flow.to_str().unwrap(),
        "--agents",
        "3",
        "--duration",
        "1",
        "--summary-json",
        summary.to_str().unwrap(),
        "--report-junit",
        junit.to_str().unwrap(),
        "--report-html",
        html.to_str().unwrap(),
        "--threshold",
        "call.p95<10s",
        "--threshold",
        "call/check.max<1ms",
        "--threshold",
        "payment/pause.failed<1%",
        "--threshold",
        "call.failed<=0%",
        "--threshold",
        "p95<10s",
    ]);
    // Two transaction thresholds fail (the check takes 5 ms; every payment throws).
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
    let s = json(&summary);
    let iterations = n(&s["iterations"]["completed"]) + n(&s["iterations"]["failed"]);
    let call = &s["transactions"]["call"];
    assert_eq!(n(&call["count"]), iterations, "{call}");
    assert_eq!(n(&call["failed"]), 0);
    assert_eq!(n(&s["transactions"]["call/check"]["count"]), iterations);
    let pause = &s["transactions"]["payment/pause"];
    assert_eq!(n(&pause["failed"]), n(&pause["count"]));
    assert_eq!(n(&s["iterations"]["failed"]), n(&pause["count"]));
    // Four calls of 5 ms at least inside; the block's wall time holds them all.
    let ms = |v: &Value, figure: &str, p: &str| v[figure][p].as_f64().unwrap();
    assert!(ms(call, "response_time_ms", "min") >= 20.0, "{call}");
    for p in ["min", "p50", "p90", "p95", "p99", "max"] {
        assert!(
            ms(call, "duration_ms", p) >= ms(call, "response_time_ms", p),
            "{p}: {call}"
        );
    }
    // The requests' time added up is the time of the calls made inside: within the histograms'
    // precision of the operations' own service times (InitStation is outside the transaction).
    let service_sum: f64 = ["StartRecording", "PortStatus", "StopRecording"]
        .iter()
        .map(|op| {
            let o = &s["operations"][op];
            ms(o, "service_ms", "mean") * n(&o["count"]) as f64
        })
        .sum();
    let response_sum = ms(call, "response_time_ms", "mean") * n(&call["count"]) as f64;
    assert!(
        (response_sum - service_sum).abs() <= service_sum * 0.05 + 5.0,
        "{response_sum} ms in transactions, {service_sum} ms of service"
    );
    // Per second too, for the report's charts.
    let per_second: u64 = s["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["transactions"]["call"]["count"].as_u64().unwrap_or(0))
        .sum();
    assert_eq!(per_second, iterations);

    let table = stdout(&out);
    assert!(table.contains("pass  call.p95<10s"), "{table}");
    assert!(table.contains("FAIL  call/check.max<1ms"), "{table}");
    assert!(table.contains("FAIL  payment/pause.failed<1%"), "{table}");
    assert!(table.contains("pass  call.failed<=0%"), "{table}");
    let row = table.lines().find(|l| l.starts_with("call/check")).unwrap();
    assert!(
        row.split_whitespace().nth(1) == Some(&iterations.to_string()),
        "{row}"
    );

    // JUnit: one testcase per threshold, transactions' included, failing as they fail.
    let xml = std::fs::read_to_string(&junit).unwrap();
    let mut reader = quick_xml::Reader::from_str(&xml);
    let (mut cases, mut failures) = (Vec::new(), 0);
    loop {
        match reader.read_event() {
            Ok(quick_xml::events::Event::Eof) => break,
            Ok(quick_xml::events::Event::Start(e) | quick_xml::events::Event::Empty(e)) => {
                match e.name().as_ref() {
                    b"testcase" => cases.push(
                        e.try_get_attribute("name")
                            .unwrap()
                            .unwrap()
                            .normalized_value(quick_xml::XmlVersion::Explicit1_0)
                            .unwrap()
                            .into_owned(),
                    ),
                    b"failure" => failures += 1,
                    _ => {}
                }
            }
            Ok(_) => {}
            Err(e) => panic!("{e}: {xml}"),
        }
    }
    assert_eq!(
        cases,
        [
            "call.p95<10s",
            "call/check.max<1ms",
            "payment/pause.failed<1%",
            "call.failed<=0%",
            "p95<10s"
        ]
    );
    assert_eq!(failures, 2, "{xml}");
    assert!(std::fs::read_to_string(&html)
        .unwrap()
        .contains("<td>call/check</td>"));

    // Merged with a twin, the transactions add up.
    let mut twin = s.clone();
    twin["runs"] = serde_json::json!(["0123456789abcdef"]);
    let twin_path = write(dir.path(), "twin.json", &twin.to_string());
    let merged = dir.path().join("m.json");
    let out = ecapi(&[
        "load",
        "--merge",
        summary.to_str().unwrap(),
        twin_path.to_str().unwrap(),
        "--summary-json",
        merged.to_str().unwrap(),
        "--threshold",
        "call.p95<10s",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let m = json(&merged);
    assert_eq!(n(&m["transactions"]["call"]["count"]), 2 * iterations);
    assert_eq!(
        m["transactions"]["call"]["duration_ms"]["p95"],
        call["duration_ms"]["p95"]
    );
}

#[test]
fn outside_load_a_transaction_runs_its_block_and_returns_its_value() {
    let dir = folder();
    let flow = write(
        dir.path(),
        "t.rhai",
        "let code = transaction(\"call\", || { transaction(\"inner\", || port_status(1, 5).code) });\n\
         if code != 100 { throw \"got \" + code; }\n\
         transaction(\"payment\", || { throw \"declined\"; });\n",
    );
    let out = ecapi(&["run", "-v", flow.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("transaction call/inner: "), "{text}");
    assert!(text.contains("transaction call: "), "{text}");
    assert!(
        text.contains("transaction payment: ") && text.contains(", failed"),
        "{text}"
    );
    // The block's error goes on up with its own line.
    assert!(
        stderr(&out).contains("declined") && stderr(&out).contains(":3:"),
        "{}",
        stderr(&out)
    );
    let bad = write(
        dir.path(),
        "bad.rhai",
        "transaction(\"take payment\", || 1);\n",
    );
    let out = ecapi(&["run", bad.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("holds ' '"), "{}", stderr(&out));
}

#[test]
fn a_transaction_named_as_an_operation_is_refused_at_run_time_naming_the_operation() {
    let dir = folder();
    let named_as_op = write(
        dir.path(),
        "op.rhai",
        "transaction(\"StartRecording\", || port_status(1, 5));\n",
    );
    let summary = dir.path().join("op.json");
    let out = ecapi(&[
        "load",
        named_as_op.to_str().unwrap(),
        "--agents",
        "1",
        "--duration",
        "0.3",
        "--summary-json",
        summary.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stdout(&out).contains(
            ": line 1: transaction: the name \"StartRecording\" is the name of the operation \
             StartRecording"
        ),
        "{}",
        stdout(&out)
    );
    let s = json(&summary);
    assert_eq!(
        s["transactions"],
        serde_json::json!({}),
        "{}",
        s["transactions"]
    );
    assert!(n(&s["iterations"]["failed"]) >= 1, "{}", s["iterations"]);
}

#[test]
fn an_agent_leaving_at_a_lower_stage_is_interrupted_when_its_graceful_ramp_down_runs_out() {
    // Agent 1 is in from 0.25 s to 1 s; its ten-second call is cut 0.3 s later. Agent 0 stays to
    // the end of the test, where --graceful-stop 0 cuts its call.
    let dir = folder();
    let flow = write(
        dir.path(),
        "long.rhai",
        "transaction(\"talk\", || sleep(10000));\n",
    );
    let summary = dir.path().join("s.json");
    let out = ecapi(&[
        "load",
        flow.to_str().unwrap(),
        "--stage",
        "0.5s:2",
        "--stage",
        "0.5s:1",
        "--stage",
        "2s:1",
        "--graceful-ramp-down",
        "0.3",
        "--graceful-stop",
        "0",
        "--summary-json",
        summary.to_str().unwrap(),
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
    let s = json(&summary);
    assert_eq!(s["graceful_ramp_down_s"], 0.3);
    assert_eq!(n(&s["iterations"]["interrupted"]), 2, "{}", s["iterations"]);
    // One by the ramp-down, told apart from the one the test's end cut.
    assert_eq!(
        n(&s["iterations"]["interrupted_at_ramp_down"]),
        1,
        "{}",
        s["iterations"]
    );
    let text = stdout(&out);
    assert!(
        text.contains(
            "1 iteration interrupted at its end; graceful ramp-down 0.3 s: 1 iteration \
             interrupted as its agent left"
        ),
        "{text}"
    );
    assert_eq!(n(&s["iterations"]["failed"]), 0, "{}", s["iterations"]);
    assert_eq!(n(&s["transactions"]["talk"]["interrupted"]), 2);
    let per_second: Vec<(u64, u64, u64)> = s["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| (n(&t["t"]), n(&t["interrupted"]), n(&t["agents"])))
        .collect();
    // The cut at 1.3 s falls in second 1, the test's stop in its last second.
    assert_eq!(
        per_second,
        [(0, 0, 2), (1, 1, 1), (2, 1, 1)],
        "{per_second:?}"
    );

    let without_stages = ecapi(&[
        "load",
        flow.to_str().unwrap(),
        "--duration",
        "1",
        "--graceful-ramp-down",
        "1",
    ]);
    assert_eq!(without_stages.status.code(), Some(2));
    assert!(
        stderr(&without_stages)
            .contains("--graceful-ramp-down 1: agents leave at a lower stage only with --stage"),
        "{}",
        stderr(&without_stages)
    );
}
