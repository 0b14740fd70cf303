//! The script surface of `scripting.md` on the embedded simulator: every operation function, the
//! `Response` and `Port` types, assertions, helpers and simulator control.

use std::collections::HashMap;

use ecapi::api::ApiVersion;
use ecapi::client::Embedded;
use ecapi::script::{self, Diagnostic, Output, Session};
use ecapi::simulator::{Settings, Simulator};
use rhai::{Dynamic, Scope};

struct Run {
    result: Result<Dynamic, Diagnostic>,
    output: String,
}

fn run_with(src: &str, api: ApiVersion, params: &[(&str, &str)]) -> Run {
    let sim = Simulator::hosted(Settings {
        api,
        ..Settings::default()
    });
    let params: HashMap<String, String> = params
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let session = Session::new(Box::new(Embedded::new(sim)), params).shared();
    let buf = std::rc::Rc::new(std::cell::RefCell::new(String::new()));
    let engine = script::engine(&session, Output::Capture(buf.clone()));
    let result = script::run(&engine, &mut Scope::new(), src);
    let output = buf.borrow().clone();
    Run { result, output }
}

fn run(src: &str) -> Run {
    run_with(src, ApiVersion::V7_1, &[])
}

#[track_caller]
fn ok(src: &str) -> String {
    let r = run(src);
    if let Err(d) = &r.result {
        panic!("script failed: {}\n{}", d.message, d.render("t.rhai", src));
    }
    r.output
}

#[track_caller]
fn fails(src: &str) -> Diagnostic {
    run(src).result.expect_err("the script should fail")
}

#[test]
fn every_operation_function_returns_a_response_with_its_operation_name() {
    let out = ok(r#"
        let p = station("1234");
        for r in [
            init_station("1234"), init_user("smith"), init_user("smith", "WS1"),
            start_recording(1, p.port), start_recording(1, 9, 30), pause_recording(1, p.port),
            resume_recording(1, p.port), assign_field(1, p.port, "fldClientID", "C1"),
            get_field(1, p.port, "fldClientID"), get_url(1, p.port), port_status(1, p.port),
            port_status_ex(1, p.port), stop_recording(1, p.port), cancel_recording(1, p.port),
            log_event(#{ type: "X" }), desktop_pause("smith"), desktop_resume("smith"),
        ] {
            print(`${r.op} ${r.code}`);
        }
    "#);
    assert_eq!(
        out,
        "InitStation 100\nInitUser 100\nInitUser 100\nStartRecording 100\nStartRecording 100\n\
         PauseRecording 100\nResumeRecording 100\nAssignField 100\nGetField 100\nGetURL 100\n\
         PortStatus 100\nPortStatusEX 100\nStopRecording 100\nCancelRecording 100\nLogEvent 100\n\
         DesktopPause 100\nDesktopResume 100\n"
    );
}

#[test]
fn response_properties_carry_code_message_ok_and_fields_or_unit_when_absent() {
    let out = ok(r#"
        let r = init_station("55");
        print([r.code, r.message, r.ok, r.warning, r.unit, r.port, type_of(r.elapsed_ms)]);
        let s = port_status_ex(1, 3);
        print([s.status, s.duration, s.url, s.value]);
        let w = stop_recording(1, 3);
        print([w.code, w.ok, w.warning, w.status]);
    "#);
    assert_eq!(
        out,
        "[100, \"Command executed as expected\", true, false, \"1\", \"1\", \"f64\"]\n\
         [\"NOT RECORDING\", 0, (), ()]\n\
         [608, false, true, ()]\n"
    );
}

#[test]
fn a_printed_response_is_one_line_with_operation_time_code_message_and_fields() {
    let out = ok(r#"print(port_status(1, 4));"#);
    let line = out.trim_end();
    assert!(line.starts_with("PortStatus "), "{line}");
    assert!(
        line.ends_with(" ms 100 Command executed as expected | status=NOT RECORDING"),
        "{line}"
    );
}

#[test]
fn unit_and_port_accept_integers_or_strings() {
    let out = ok(r#"
        print(port_status(1, 7).code);
        print(port_status("1", "7").code);
        print(port_status(" 1 ", 7).code);
        print(port_status(1, "abc").code);
    "#);
    assert_eq!(out, "100\n100\n100\n611\n");
    let d = fails("port_status(1, [7]);");
    assert_eq!(
        d.message,
        "port_status: port must be an integer or a string, not array"
    );
}

#[test]
fn port_methods_send_the_requests_for_their_port() {
    let out = ok(r#"
        let p = station("1234");
        print(p);
        print([p.unit, p.port]);
        for r in [p.start(), p.assign("fldCampaign", "W"), p.field("fldCampaign"), p.pause(),
                  p.resume(), p.status(), p.status_ex(), p.log("NOTE"),
                  p.log("NOTE", #{ parm1: "x" }), p.stop(), p.start(60), p.cancel()] {
            print(`${r.op} ${r.code}`);
        }
        let q = port(1, 12);
        print(q.url().code);
        assert(q == port("1", "12"));
    "#);
    assert_eq!(
        out,
        "Port(unit 1, port 1)\n[\"1\", \"1\"]\nStartRecording 100\nAssignField 100\n\
         GetField 100\nPauseRecording 100\nResumeRecording 100\nPortStatus 100\n\
         PortStatusEX 100\nLogEvent 100\nLogEvent 100\nStopRecording 100\n\
         StartRecording 100\nCancelRecording 100\n608\n"
    );
}

#[test]
fn station_and_user_port_throw_with_code_and_message_when_not_100() {
    let d = fails(r#"station("")"#);
    assert_eq!(
        d.message,
        "InitStation for extension \"\" answered 659 Error: Extension must be provided"
    );
    let d = fails(r#"user_port("smith", "")"#);
    assert_eq!(
        d.message,
        "InitUser for user \"smith\" answered 654 Error: Both User name and machine name must be provided"
    );
}

#[test]
fn a_thrown_error_can_be_caught_by_the_script() {
    let out = ok(r#"
        try { station(""); } catch (e) { print(`caught: ${e}`); }
    "#);
    assert!(
        out.starts_with("caught: InitStation for extension"),
        "{out}"
    );
}

#[test]
fn log_event_fills_the_timestamp_and_refuses_unknown_keys() {
    let out = ok(r#"
        log_event(#{ type: "A", unit: 1, port: 4, user: "u", machine: "m", parm1: 1, parm2: true, parm3: "c" });
        let e = sim_events()[0];
        print([e.type, e.unit, e.port, e.user, e.machine, e.parm1, e.parm2, e.parm3]);
        print(e.timestamp.len() >= 19);
        print(log_event(#{ type: "B", timestamp: "" }).code);
    "#);
    assert_eq!(
        out,
        "[\"A\", \"1\", \"4\", \"u\", \"m\", \"1\", \"true\", \"c\"]\ntrue\n653\n"
    );
    let d = fails(r#"log_event(#{ typ: "A" })"#);
    assert_eq!(
        d.message,
        "log_event: unknown key `typ`; the keys are type, timestamp, unit, port, user, machine, parm1, parm2, parm3"
    );
}

#[test]
fn the_five_7_1_functions_fail_under_7_0_naming_the_version() {
    for (call, op) in [
        ("resume_recording(1, 1)", "ResumeRecording"),
        ("get_field(1, 1, \"f\")", "GetField"),
        ("port_status_ex(1, 1)", "PortStatusEX"),
        ("desktop_pause(\"u\")", "DesktopPause"),
        ("desktop_resume(\"u\")", "DesktopResume"),
    ] {
        let d = run_with(call, ApiVersion::V7_0, &[]).result.unwrap_err();
        assert_eq!(
            d.message,
            format!("{op} failed: {op} is not part of API 7.0: it was added in 7.1")
        );
        assert!(!d.assertion);
    }
    let r = run_with("port_status(1, 1).code", ApiVersion::V7_0, &[]);
    assert_eq!(r.result.unwrap().as_int().unwrap(), 100);
}

#[test]
fn expect_returns_the_response_or_fails_as_an_assertion() {
    let out = ok(r#"print(expect(stop_recording(1, 2), 608).code);"#);
    assert_eq!(out, "608\n");
    let d = fails("expect_ok(stop_recording(1, 2));");
    assert!(d.assertion);
    assert_eq!(
        d.message,
        "expected 100 from StopRecording, got 608 Warning: Port was not recording (simulator: port 2 is NOT RECORDING; StopRecording needs RECORD)"
    );
    assert_eq!((d.line, d.column), (Some(1), Some(1)));
}

#[test]
fn assert_and_assert_eq_fail_as_assertions_with_their_messages() {
    let d = fails("assert(1 > 2, \"one is not more than two\");");
    assert!(d.assertion);
    assert_eq!(d.message, "assertion failed: one is not more than two");
    let d = fails("assert(false);");
    assert_eq!(d.message, "assertion failed");
    let d = fails("assert_eq(port_status(1, 1).status, \"RECORD\");");
    assert_eq!(
        d.message,
        "assert_eq: actual \"NOT RECORDING\" (string), expected \"RECORD\" (string)"
    );
    ok("assert_eq([1, \"a\"], [1, \"a\"]); assert_eq(3, 3);");
}

#[test]
fn param_reads_set_values_converting_to_the_defaults_type() {
    let r = run_with(
        r#"print([param("ext"), param("n", 1) + 1, param("missing", "d"), param("flag", false)]);"#,
        ApiVersion::V7_1,
        &[("ext", "4021"), ("n", "41"), ("flag", "true")],
    );
    assert_eq!(r.output, "[\"4021\", 42, \"d\", true]\n");
    let r = run_with(r#"param("n", 1)"#, ApiVersion::V7_1, &[("n", "x")]);
    assert_eq!(
        r.result.unwrap_err().message,
        "param: --set n=x is not a whole number, as its default 1 is"
    );
}

#[test]
fn env_and_now_help_scripts() {
    let out = ok(r#"print(type_of(env("ECAPI_NO_SUCH_VARIABLE"))); print(now().len() >= 19);"#);
    assert_eq!(out, "()\ntrue\n");
}

#[test]
fn sim_advance_past_midnight_resets_the_day() {
    let out = ok(r#"
        let p = station("a");
        p.start();
        sim_advance(86400);
        print(p.status().status);
        print(station("b").port);
    "#);
    assert_eq!(out, "NOT RECORDING\n1\n");
    let d = fails("sim_advance(-1);");
    assert_eq!(
        d.message,
        "sim_advance: the clock only moves forward: cannot advance by -1 seconds"
    );
}

#[test]
fn a_whole_number_of_seconds_refused_is_named_exactly_not_rounded_through_a_float() {
    // 2^53 + 1 has no exact f64: rounded, it would read 9007199254740992.
    let d = fails("sim_advance(9007199254740993);");
    assert_eq!(
        d.message,
        "sim_advance: cannot advance by 9007199254740993 seconds: at most 3162240000 (100 years) at a time"
    );
    let d = fails("sim_advance(-9007199254740993);");
    assert_eq!(
        d.message,
        "sim_advance: the clock only moves forward: cannot advance by -9007199254740993 seconds"
    );
    let d = fails(r#"sim_at(-9007199254740993, "hold", 1, 1);"#);
    assert_eq!(
        d.message,
        "sim_at: -9007199254740993 seconds ahead is not a time on the clock: from 0 to 3162240000 (100 years)"
    );
    let d = fails(r#"sim_at(-1.5, "hold", 1, 1);"#);
    assert_eq!(
        d.message,
        "sim_at: -1.5 seconds ahead is not a time on the clock: from 0 to 3162240000 (100 years)"
    );
}

#[test]
fn sim_journal_explains_each_refusal() {
    let out = ok(r#"
        stop_recording(1, 8);
        let j = sim_journal();
        print(j.len());
        print([j[0].op, j[0].code, j[0].reason]);
    "#);
    assert_eq!(
        out,
        "1\n[\"StopRecording\", 608, \"port 8 is NOT RECORDING; StopRecording needs RECORD\"]\n"
    );
}

#[test]
fn sim_fault_answers_a_code_for_the_next_calls_and_sim_reset_clears_everything() {
    let out = ok(r#"
        sim_fault("start_recording", 618, 2);
        print([start_recording(1, 1).code, start_recording(1, 1).code, start_recording(1, 1).code]);
        sim_fault("*", 651);
        print([port_status(1, 1).code, init_station("x").code]);
        sim_reset();
        print([port_status(1, 1).status, sim_journal().len()]);
    "#);
    assert_eq!(out, "[618, 618, 100]\n[651, 651]\n[\"NOT RECORDING\", 1]\n");
    let d = fails("sim_fault(\"PortStatus\", 700);");
    assert!(d
        .message
        .starts_with("sim_fault: 700 is not a response code; the codes are 100, 606"));
}

#[test]
fn sim_recordings_hold_stopped_recordings_with_their_fields_and_states() {
    let out = ok(r#"
        let p = station("1");
        p.start(); p.assign("fldClientID", "C9"); p.pause(); p.start(); p.stop();
        p.start(); p.cancel();
        let recs = sim_recordings();
        print(recs.len());
        print(recs[0].fields);
        print(recs[0].states.map(|s| s.state));
    "#);
    assert_eq!(
        out,
        "1\n[[\"fldClientID\", \"C9\"]]\n[\"RECORD\", \"PAUSE\", \"RECORD\", \"NOT RECORDING\"]\n"
    );
}

#[test]
fn telephony_events_need_the_recorder_profile() {
    let d = fails("sim_hold(1, 1);");
    assert_eq!(
        d.message,
        "sim_hold needs the recorder profile (--profile recorder): the hosted service has no telephony events"
    );
}

#[test]
fn an_unknown_function_suggests_the_closest_names() {
    let d = fails("let x = 1;\nport_statu(1, 2);");
    assert_eq!(
        d.message,
        "unknown function `port_statu` with arguments (i64, i64)"
    );
    assert_eq!((d.line, d.column), (Some(2), Some(1)));
    assert_eq!(
        d.notes,
        vec!["help: did you mean port_status, port_status_ex, port?"]
    );
}

#[test]
fn a_script_defined_function_is_suggested_too() {
    let d = fails("fn open_call() { 1 }\nopen_cal();");
    assert_eq!(d.notes, vec!["help: did you mean open_call?"]);
}

#[test]
fn an_undefined_variable_is_reported_before_anything_runs() {
    let r = run("init_station(\"1\");\nprint(extension);");
    let d = r.result.unwrap_err();
    assert_eq!(
        d.message,
        "undefined variable `extension`: declare it with `let extension = ...;` before this line"
    );
    assert_eq!(d.line, Some(2));
    assert_eq!(r.output, "", "a compile error runs nothing");
}

#[test]
fn sim_advance_refuses_more_than_a_century_instead_of_overflowing() {
    for amount in ["1e300", "9223372036854775807"] {
        let d = fails(&format!("sim_advance({amount});"));
        assert!(
            d.message
                .contains("at most 3162240000 (100 years) at a time"),
            "{}",
            d.message
        );
    }
}

#[test]
fn sleep_counts_milliseconds_for_integers_and_floats() {
    let started = std::time::Instant::now();
    ok("sleep(1); sleep(1.5);");
    assert!(
        started.elapsed() < std::time::Duration::from_millis(900),
        "not seconds"
    );
    assert_eq!(
        fails("sleep(-1);").message,
        "sleep: -1 ms is not a duration"
    );
}

#[test]
fn responses_compare_by_what_the_server_answered() {
    let out = ok(r#"
        let a = port_status(1, 3);
        let b = port_status(1, 3);
        print([a == b, a != stop_recording(1, 3)]);
        assert_eq(a, b);
    "#);
    assert_eq!(out, "[true, true]\n");
}

#[test]
fn max_seconds_must_fit_an_xs_int() {
    let d = fails("start_recording(1, 7, 9999999999);");
    assert_eq!(
        d.message,
        "start_recording: max_seconds 9999999999 does not fit maxRecordingTimeInSeconds, an xs:int (-2147483648 to 2147483647)"
    );
    let d = fails("port(1, 7).start(\"soon\");");
    assert_eq!(
        d.message,
        "start: max_seconds must be a whole number, got \"soon\""
    );
}

#[test]
fn error_messages_name_script_types() {
    let d = fails("init_station(port(1, 2));");
    assert_eq!(
        d.message,
        "init_station: extension must be a string, not Port"
    );
    let d = fails("port_status(port_status(1, 1), 1);");
    assert_eq!(
        d.message,
        "port_status: unit must be an integer or a string, not Response"
    );
}

#[test]
fn unit_values_in_a_log_event_map_count_as_not_given() {
    let out = ok(r#"
        print(log_event(#{ type: "A", unit: (), port: (), timestamp: () }).code);
        print(sim_events()[0].timestamp.len() >= 19);
    "#);
    assert_eq!(out, "100\ntrue\n");
}

#[test]
fn a_non_100_response_carries_the_simulators_reason_and_expect_shows_it() {
    let out = ok(r#"
        print(stop_recording(1, 5).reason);
        print(type_of(port_status(1, 5).reason));
    "#);
    assert_eq!(
        out,
        "port 5 is NOT RECORDING; StopRecording needs RECORD\n()\n"
    );
    let d = fails("expect_ok(stop_recording(1, 5));");
    assert_eq!(
        d.message,
        "expected 100 from StopRecording, got 608 Warning: Port was not recording (simulator: port 5 is NOT RECORDING; StopRecording needs RECORD)"
    );
}

#[test]
fn now_and_log_events_default_timestamp_follow_the_simulators_clock() {
    let out = ok(r#"
        let before = now();
        sim_advance(2 * 86400);
        let after = now();
        log_event(#{ type: "NOTE" });
        print(before < after);
        print(sim_events()[0].timestamp == after);
        print(sim_events()[0].timestamp.sub_string(0, 10) == sim_journal()[-1].time.sub_string(0, 10));
    "#);
    assert_eq!(out, "true\ntrue\ntrue\n");
}

#[test]
fn unit_as_a_request_value_is_an_error_naming_the_argument() {
    let d = fails("let x; assign_field(1, 5, \"fldClientID\", x);");
    assert_eq!(
        d.message,
        "assign_field: value is () (no value): pass a string, or \"\" for an empty value"
    );
}

#[test]
fn sim_at_and_port_scopes_are_checked() {
    let d = fails("sim_at(5, \"park\", 1, 5);");
    assert!(
        d.message.contains("`park` is not a telephony event"),
        "{}",
        d.message
    );
    let d = fails("sim_fault(\"StartRecording\", 618, 1, #{ unit: 1 });");
    assert!(d.message.contains("port is missing"), "{}", d.message);
    let d = fails("sim_at(5, \"hold\", 1, 5);");
    assert!(
        d.message.contains("needs the recorder profile"),
        "{}",
        d.message
    );
    let out = ok(r#"
        sim_fault("PortStatus", 621, 1, #{ unit: 1, port: 5 });
        print(port_status(1, 6).code);
        print(port_status(1, 5).code);
    "#);
    assert_eq!(out, "100\n621\n");
}

#[test]
fn a_property_in_the_wrong_case_gets_a_did_you_mean() {
    let d = fails("let r = init_station(\"1\"); r.URL");
    assert_eq!(d.message, "Response has no property `URL`");
    assert_eq!(d.notes, ["help: did you mean `url`?"]);
    let d = fails("let p = station(\"1\"); p.prot");
    assert_eq!(d.message, "Port has no property `prot`");
    assert_eq!(d.notes, ["help: did you mean `port`?"]);
}

#[test]
fn sim_recordings_give_unit_and_port_as_text_like_a_response() {
    let out = ok(r#"
        let p = station("1");
        p.start();
        p.stop();
        let r = sim_recordings()[0];
        print([type_of(r.unit), type_of(r.port), r.port == p.port]);
    "#);
    assert_eq!(out, "[\"string\", \"string\", true]\n");
}
