//! Every rule of the hosted profile (`behavior.md`, "Profile `hosted`"), under API 7.1 and 7.0,
//! against the simulator directly: codes, the order in which checks answer, state transitions, the
//! shared daily counter, midnight, and LogEvent's ties to ports.

use chrono::NaiveDateTime;
use ecapi::api::{ApiVersion, Operation, Param, RecordingState, Request, Response};
use ecapi::simulator::{Clock, Settings, Simulator};

const BOTH: [ApiVersion; 2] = [ApiVersion::V7_0, ApiVersion::V7_1];

fn sim_at(api: ApiVersion, start: &str) -> Simulator {
    let start = NaiveDateTime::parse_from_str(start, "%Y-%m-%d %H:%M:%S").unwrap();
    Simulator::hosted(Settings {
        api,
        clock: Clock::starting_at(start),
        url_base: None,
    })
}

fn sim(api: ApiVersion) -> Simulator {
    sim_at(api, "2026-03-02 09:00:00")
}

fn send(s: &mut Simulator, r: Request) -> Response {
    s.handle(&r).expect("a valid request").response
}

fn on(op: Operation, unit: &str, port: &str) -> Request {
    Request::new(op)
        .with(Param::Unit, unit)
        .with(Param::Port, port)
}

fn call(s: &mut Simulator, op: Operation, port: &str) -> Response {
    send(s, on(op, "1", port))
}

fn station(s: &mut Simulator, ext: &str) -> Response {
    send(
        s,
        Request::new(Operation::InitStation).with(Param::Extension, ext),
    )
}

fn user(s: &mut Simulator, user: &str, machine: &str) -> Response {
    send(
        s,
        Request::new(Operation::InitUser)
            .with(Param::User, user)
            .with(Param::Machine, machine),
    )
}

fn status(s: &mut Simulator, port: &str) -> String {
    call(s, Operation::PortStatus, port)
        .status
        .unwrap()
        .to_string()
}

/// Asserts the code and that its message is the guide's exact text.
#[track_caller]
fn assert_code(r: &Response, code: u16) {
    assert_eq!(r.code, code, "{} answered {} {}", r.op, r.code, r.message);
    let expected = ecapi::api::ResponseCode::from_code(code).unwrap().message();
    assert_eq!(r.message, expected);
}

fn last_reason(s: &Simulator) -> String {
    s.journal().last().unwrap().reason.clone()
}

// --- InitStation and InitUser: the shared daily counter ---------------------------------------

#[test]
fn init_station_hands_out_the_next_port_and_the_same_one_again_that_day() {
    for api in BOTH {
        let mut s = sim(api);
        let a = station(&mut s, "1234");
        assert_code(&a, 100);
        assert_eq!((a.unit(), a.port()), (Some("1"), Some("1")));
        assert_eq!(station(&mut s, "5678").port(), Some("2"));
        assert_eq!(station(&mut s, "1234").port(), Some("1"));
    }
}

#[test]
fn init_station_and_init_user_share_one_counter() {
    for api in BOTH {
        let mut s = sim(api);
        assert_eq!(station(&mut s, "1234").port(), Some("1"));
        assert_eq!(user(&mut s, "smith", "WS1").port(), Some("2"));
        assert_eq!(station(&mut s, "999").port(), Some("3"));
    }
}

#[test]
fn init_user_matches_users_without_regard_to_case_and_ignores_the_machine() {
    for api in BOTH {
        let mut s = sim(api);
        let first = user(&mut s, "Smith", "WS1");
        assert_code(&first, 100);
        let again = user(&mut s, "SMITH", "another-machine");
        assert_eq!(again.port(), first.port());
        assert_eq!(user(&mut s, "jones", "WS1").port(), Some("2"));
    }
}

#[test]
fn an_extension_and_a_user_with_the_same_text_are_different_keys() {
    let mut s = sim(ApiVersion::V7_1);
    assert_eq!(station(&mut s, "smith").port(), Some("1"));
    assert_eq!(user(&mut s, "smith", "m").port(), Some("2"));
}

#[test]
fn the_289th_distinct_extension_answers_660_and_a_known_one_still_works() {
    for api in BOTH {
        let mut s = sim(api);
        for i in 1..=288 {
            assert_eq!(
                station(&mut s, &format!("ext{i}")).port(),
                Some(i.to_string().as_str())
            );
        }
        assert_code(&station(&mut s, "ext289"), 660);
        assert!(last_reason(&s).contains("all 288 ports are taken"));
        assert_code(&user(&mut s, "late", "m"), 655);
        assert_eq!(station(&mut s, "ext7").port(), Some("7"));
    }
}

#[test]
fn empty_extension_answers_659() {
    for api in BOTH {
        let mut s = sim(api);
        assert_code(&station(&mut s, ""), 659);
        assert_code(&station(&mut s, "   "), 659);
    }
}

#[test]
fn empty_user_or_machine_answers_654() {
    for api in BOTH {
        let mut s = sim(api);
        assert_code(&user(&mut s, "", "WS1"), 654);
        assert_code(&user(&mut s, "smith", ""), 654);
        assert_code(&user(&mut s, "", ""), 654);
    }
}

#[test]
fn midnight_resets_the_counter_assignments_and_port_states() {
    for api in BOTH {
        let mut s = sim_at(api, "2026-03-02 23:59:00");
        station(&mut s, "a");
        assert_eq!(station(&mut s, "b").port(), Some("2"));
        assert_code(&call(&mut s, Operation::StartRecording, "2"), 100);
        s.advance(59.0).unwrap();
        assert_eq!(status(&mut s, "2"), "RECORD", "still the same day");
        s.advance(1.0).unwrap();
        assert_eq!(status(&mut s, "2"), "NOT RECORDING");
        assert_eq!(station(&mut s, "b").port(), Some("1"));
    }
}

#[test]
fn a_day_passing_between_requests_resets_even_without_advance() {
    let mut s = sim_at(ApiVersion::V7_1, "2026-03-02 12:00:00");
    station(&mut s, "a");
    s.advance(86_400.0).unwrap();
    assert_eq!(station(&mut s, "zzz").port(), Some("1"));
}

// --- Unit and port checks ---------------------------------------------------------------------

#[test]
fn unit_is_any_text_that_trims_to_1() {
    for api in BOTH {
        let mut s = sim(api);
        for unit in ["1", " 1 ", "\t1"] {
            assert_code(&send(&mut s, on(Operation::PortStatus, unit, "5")), 100);
        }
        for unit in ["2", "", "01", "one", "1.0"] {
            assert_code(&send(&mut s, on(Operation::PortStatus, unit, "5")), 606);
        }
    }
}

#[test]
fn port_is_a_whole_number_from_1_to_288() {
    for api in BOTH {
        let mut s = sim(api);
        for port in ["1", "288", " 17 ", "007"] {
            assert_code(&call(&mut s, Operation::PortStatus, port), 100);
        }
        for port in [
            "0",
            "289",
            "",
            "abc",
            "-1",
            "1.5",
            "+3",
            "99999999999999999999",
        ] {
            assert_code(&call(&mut s, Operation::PortStatus, port), 611);
        }
        assert!(last_reason(&s).contains("1 to 288"));
    }
}

#[test]
fn any_valid_port_can_be_addressed_without_being_assigned() {
    let mut s = sim(ApiVersion::V7_1);
    assert_code(&call(&mut s, Operation::StartRecording, "200"), 100);
    assert_eq!(status(&mut s, "200"), "RECORD");
}

#[test]
fn unit_is_checked_before_port() {
    for api in BOTH {
        let mut s = sim(api);
        assert_code(&send(&mut s, on(Operation::StopRecording, "9", "999")), 606);
    }
}

#[test]
fn required_parameters_are_checked_before_unit_and_port() {
    let mut s = sim(ApiVersion::V7_1);
    let r = on(Operation::AssignField, "9", "999").with(Param::FieldValue, "v");
    assert_code(&send(&mut s, r), 652);
    let r = on(Operation::GetField, "9", "999");
    assert_code(&send(&mut s, r), 652);
    let r = on(Operation::LogEvent, "9", "999").with(Param::EventTimestamp, "t");
    assert_code(&send(&mut s, r), 657);
}

#[test]
fn port_is_checked_before_the_state() {
    let mut s = sim(ApiVersion::V7_1);
    assert_code(&call(&mut s, Operation::StopRecording, "289"), 611);
    assert_code(&call(&mut s, Operation::ResumeRecording, "289"), 611);
}

// --- Recording state machine ------------------------------------------------------------------

#[test]
fn start_from_not_recording_records_and_again_answers_609() {
    for api in BOTH {
        let mut s = sim(api);
        assert_code(&call(&mut s, Operation::StartRecording, "5"), 100);
        assert_eq!(status(&mut s, "5"), "RECORD");
        assert_code(&call(&mut s, Operation::StartRecording, "5"), 609);
        assert_eq!(
            last_reason(&s),
            "port 5 is RECORD; StartRecording needs NOT RECORDING or PAUSE"
        );
    }
}

#[test]
fn start_from_pause_restarts_the_same_recording() {
    for api in BOTH {
        let mut s = sim(api);
        call(&mut s, Operation::StartRecording, "5");
        let before = call(&mut s, Operation::GetUrl, "5")
            .url()
            .map(str::to_string);
        assert_code(&call(&mut s, Operation::PauseRecording, "5"), 100);
        assert_code(&call(&mut s, Operation::StartRecording, "5"), 100);
        assert_eq!(status(&mut s, "5"), "RECORD");
        assert_eq!(
            call(&mut s, Operation::GetUrl, "5").url(),
            before.as_deref()
        );
    }
}

#[test]
fn negative_max_recording_time_answers_653_and_zero_or_positive_is_accepted() {
    for api in BOTH {
        let mut s = sim(api);
        let r = on(Operation::StartRecording, "1", "5").with(Param::MaxRecordingTime, "-1");
        assert_code(&send(&mut s, r), 653);
        assert_eq!(status(&mut s, "5"), "NOT RECORDING");
        let r = on(Operation::StartRecording, "1", "5").with(Param::MaxRecordingTime, "30");
        assert_code(&send(&mut s, r), 100);
    }
}

#[test]
fn max_recording_time_that_is_not_a_number_is_refused_before_any_answer() {
    let mut s = sim(ApiVersion::V7_1);
    let r = on(Operation::StartRecording, "1", "5").with(Param::MaxRecordingTime, "abc");
    let err = s.handle(&r).unwrap_err();
    assert_eq!(
        err.to_string(),
        "maxRecordingTimeInSeconds must be a whole number, got `abc`"
    );
    let entry = s.journal().last().unwrap();
    assert_eq!(
        entry.code, 0,
        "a refused request gets no code, but is journaled"
    );
}

#[test]
fn stop_from_record_ends_the_recording() {
    for api in BOTH {
        let mut s = sim(api);
        call(&mut s, Operation::StartRecording, "5");
        assert_code(&call(&mut s, Operation::StopRecording, "5"), 100);
        assert_eq!(status(&mut s, "5"), "NOT RECORDING");
        assert_eq!(s.store().recordings.len(), 1);
    }
}

#[test]
fn stop_while_paused_answers_608_in_hosted_profile() {
    for api in BOTH {
        let mut s = sim(api);
        call(&mut s, Operation::StartRecording, "5");
        call(&mut s, Operation::PauseRecording, "5");
        assert_code(&call(&mut s, Operation::StopRecording, "5"), 608);
        assert_eq!(status(&mut s, "5"), "PAUSE");
    }
}

#[test]
fn stop_from_not_recording_answers_608() {
    for api in BOTH {
        let mut s = sim(api);
        assert_code(&call(&mut s, Operation::StopRecording, "5"), 608);
    }
}

#[test]
fn pause_only_from_record_else_608() {
    for api in BOTH {
        let mut s = sim(api);
        assert_code(&call(&mut s, Operation::PauseRecording, "5"), 608);
        call(&mut s, Operation::StartRecording, "5");
        assert_code(&call(&mut s, Operation::PauseRecording, "5"), 100);
        assert_eq!(status(&mut s, "5"), "PAUSE");
        assert_code(&call(&mut s, Operation::PauseRecording, "5"), 608);
    }
}

#[test]
fn resume_only_from_pause_else_627() {
    let mut s = sim(ApiVersion::V7_1);
    assert_code(&call(&mut s, Operation::ResumeRecording, "5"), 627);
    call(&mut s, Operation::StartRecording, "5");
    assert_code(&call(&mut s, Operation::ResumeRecording, "5"), 627);
    call(&mut s, Operation::PauseRecording, "5");
    assert_code(&call(&mut s, Operation::ResumeRecording, "5"), 100);
    assert_eq!(status(&mut s, "5"), "RECORD");
}

#[test]
fn cancel_always_answers_100_and_leaves_not_recording() {
    for api in BOTH {
        let mut s = sim(api);
        assert_code(&call(&mut s, Operation::CancelRecording, "5"), 100);
        call(&mut s, Operation::StartRecording, "5");
        assert_code(&call(&mut s, Operation::CancelRecording, "5"), 100);
        assert_eq!(status(&mut s, "5"), "NOT RECORDING");
        call(&mut s, Operation::StartRecording, "6");
        call(&mut s, Operation::PauseRecording, "6");
        assert_code(&call(&mut s, Operation::CancelRecording, "6"), 100);
        assert_eq!(status(&mut s, "6"), "NOT RECORDING");
        assert!(s.store().recordings.is_empty(), "cancel discards");
    }
}

#[test]
fn cancel_still_checks_unit_and_port() {
    let mut s = sim(ApiVersion::V7_1);
    assert_code(&send(&mut s, on(Operation::CancelRecording, "2", "5")), 606);
    assert_code(&call(&mut s, Operation::CancelRecording, "0"), 611);
}

#[test]
fn ports_are_independent() {
    let mut s = sim(ApiVersion::V7_1);
    call(&mut s, Operation::StartRecording, "5");
    assert_eq!(status(&mut s, "6"), "NOT RECORDING");
    assert_code(&call(&mut s, Operation::StartRecording, "6"), 100);
}

// --- Fields and URLs --------------------------------------------------------------------------

fn assign(s: &mut Simulator, port: &str, name: &str, value: &str) -> Response {
    send(
        s,
        on(Operation::AssignField, "1", port)
            .with(Param::FieldName, name)
            .with(Param::FieldValue, value),
    )
}

#[test]
fn assign_field_in_record_or_pause_else_608() {
    for api in BOTH {
        let mut s = sim(api);
        assert_code(&assign(&mut s, "5", "fldClientID", "C1"), 608);
        call(&mut s, Operation::StartRecording, "5");
        assert_code(&assign(&mut s, "5", "fldClientID", "C1"), 100);
        call(&mut s, Operation::PauseRecording, "5");
        assert_code(&assign(&mut s, "5", "fldCampaign", "W"), 100);
        call(&mut s, Operation::StartRecording, "5");
        call(&mut s, Operation::StopRecording, "5");
        let rec = &s.store().recordings[0];
        assert_eq!(rec.field("fldClientID"), Some("C1"));
        assert_eq!(rec.field("fldCampaign"), Some("W"));
    }
}

#[test]
fn assign_field_with_an_empty_name_or_value_answers_652() {
    for api in BOTH {
        let mut s = sim(api);
        call(&mut s, Operation::StartRecording, "5");
        assert_code(&assign(&mut s, "5", "", "v"), 652);
        assert_code(&assign(&mut s, "5", "fldClientID", ""), 652);
    }
}

#[test]
fn get_field_answers_123_in_record_or_pause_else_608() {
    let mut s = sim(ApiVersion::V7_1);
    let get = |s: &mut Simulator| {
        send(
            s,
            on(Operation::GetField, "1", "5").with(Param::FieldName, "fldClientID"),
        )
    };
    assert_code(&get(&mut s), 608);
    assert_eq!(get(&mut s).value(), None, "no fieldValue without 100");
    call(&mut s, Operation::StartRecording, "5");
    assert_eq!(get(&mut s).value(), Some("123"));
    call(&mut s, Operation::PauseRecording, "5");
    assert_eq!(get(&mut s).value(), Some("123"));
    let empty = send(&mut s, on(Operation::GetField, "1", "5"));
    assert_code(&empty, 652);
}

#[test]
fn get_url_names_the_current_recording_and_each_recording_gets_its_own_index() {
    for api in BOTH {
        let mut s = sim(api);
        assert_code(&call(&mut s, Operation::GetUrl, "5"), 608);
        call(&mut s, Operation::StartRecording, "5");
        let first = call(&mut s, Operation::GetUrl, "5")
            .url()
            .unwrap()
            .to_string();
        let prefix = "https://encore.dvsanalytics.com/encore/urlplayer.aspx?fldCallIndex=";
        assert!(first.starts_with(prefix), "{first}");
        assert!(first.ends_with("&siteid=1"), "{first}");
        let index = &first[prefix.len()..first.len() - "&siteid=1".len()];
        let (a, b) = index.split_once('.').expect("digits, a dot, digits");
        assert!(!a.is_empty() && a.bytes().all(|c| c.is_ascii_digit()));
        assert!(!b.is_empty() && b.bytes().all(|c| c.is_ascii_digit()));
        call(&mut s, Operation::PauseRecording, "5");
        assert_eq!(call(&mut s, Operation::GetUrl, "5").url().unwrap(), first);
        call(&mut s, Operation::StartRecording, "5");
        call(&mut s, Operation::StopRecording, "5");
        call(&mut s, Operation::StartRecording, "5");
        let second = call(&mut s, Operation::GetUrl, "5")
            .url()
            .unwrap()
            .to_string();
        assert_ne!(first, second);
        call(&mut s, Operation::StartRecording, "6");
        assert_ne!(call(&mut s, Operation::GetUrl, "6").url().unwrap(), second);
    }
}

#[test]
fn get_url_uses_a_configured_url_player_base() {
    let mut s = Simulator::hosted(Settings {
        url_base: Some("http://127.0.0.1:8080/".into()),
        ..Settings::default()
    });
    call(&mut s, Operation::StartRecording, "5");
    let url = call(&mut s, Operation::GetUrl, "5")
        .url()
        .unwrap()
        .to_string();
    assert!(url.starts_with("http://127.0.0.1:8080/encore/urlplayer.aspx?fldCallIndex="));
}

// --- Status -----------------------------------------------------------------------------------

#[test]
fn port_status_reports_every_state_the_hosted_service_reaches() {
    for api in BOTH {
        let mut s = sim(api);
        let r = call(&mut s, Operation::PortStatus, "5");
        assert_code(&r, 100);
        assert_eq!(r.state(), Some(RecordingState::NotRecording));
        call(&mut s, Operation::StartRecording, "5");
        assert_eq!(status(&mut s, "5"), "RECORD");
        call(&mut s, Operation::PauseRecording, "5");
        assert_eq!(status(&mut s, "5"), "PAUSE");
    }
}

#[test]
fn port_status_ex_reports_0_when_not_recording_and_20_otherwise() {
    let mut s = sim(ApiVersion::V7_1);
    let r = call(&mut s, Operation::PortStatusEx, "5");
    assert_eq!(
        (r.status.as_deref(), r.duration),
        (Some("NOT RECORDING"), Some(0))
    );
    call(&mut s, Operation::StartRecording, "5");
    s.advance(300.0).unwrap();
    let r = call(&mut s, Operation::PortStatusEx, "5");
    assert_eq!(
        (r.status.as_deref(), r.duration),
        (Some("RECORD"), Some(20))
    );
    call(&mut s, Operation::PauseRecording, "5");
    let r = call(&mut s, Operation::PortStatusEx, "5");
    assert_eq!((r.status.as_deref(), r.duration), (Some("PAUSE"), Some(20)));
}

#[test]
fn status_fields_are_absent_when_the_code_is_not_100() {
    let mut s = sim(ApiVersion::V7_1);
    let r = call(&mut s, Operation::PortStatusEx, "999");
    assert_code(&r, 611);
    assert_eq!((r.status, r.duration), (None, None));
}

// --- LogEvent ---------------------------------------------------------------------------------

fn event(unit: &str, port: &str, user: &str) -> Request {
    on(Operation::LogEvent, unit, port)
        .with(Param::User, user)
        .with(Param::EventType, "NOTE")
        .with(Param::EventTimestamp, "2026-03-02T09:00:00")
}

#[test]
fn log_event_needs_a_type_then_a_timestamp() {
    for api in BOTH {
        let mut s = sim(api);
        let r = Request::new(Operation::LogEvent).with(Param::EventTimestamp, "t");
        assert_code(&send(&mut s, r), 657);
        let r = Request::new(Operation::LogEvent).with(Param::EventType, "NOTE");
        assert_code(&send(&mut s, r), 653);
        assert_eq!(last_reason(&s), "eventTimestamp is empty");
        assert_code(&send(&mut s, event("", "", "")), 100);
    }
}

#[test]
fn log_event_checks_unit_and_port_when_either_is_given() {
    for api in BOTH {
        let mut s = sim(api);
        assert_code(&send(&mut s, event("1", "", "")), 611);
        assert_code(&send(&mut s, event("", "5", "")), 606);
        assert_code(&send(&mut s, event("3", "5", "")), 606);
        assert_code(&send(&mut s, event("1", "289", "")), 611);
        assert_code(&send(&mut s, event("1", "5", "")), 100);
    }
}

#[test]
fn log_event_parms_over_1024_characters_answer_653() {
    for api in BOTH {
        let mut s = sim(api);
        let ok = "é".repeat(1024);
        let r = event("", "", "")
            .with(Param::Parm1, ok.clone())
            .with(Param::Parm3, ok);
        assert_code(&send(&mut s, r), 100);
        let r = event("", "", "").with(Param::Parm2, "x".repeat(1025));
        assert_code(&send(&mut s, r), 653);
    }
}

#[test]
fn log_event_ties_to_the_users_port_under_7_1_only() {
    let mut s = sim(ApiVersion::V7_1);
    let port = user(&mut s, "Smith", "WS1").port().unwrap().to_string();
    call(&mut s, Operation::StartRecording, &port);
    assert_code(&send(&mut s, event("", "", "smith")), 100);
    let e = s.store().events.last().unwrap().clone();
    assert_eq!(e.port, Some(port.parse().unwrap()));
    assert!(e.recording.is_some(), "tied to the running recording");

    let mut s = sim(ApiVersion::V7_0);
    let port = user(&mut s, "Smith", "WS1").port().unwrap().to_string();
    call(&mut s, Operation::StartRecording, &port);
    assert_code(&send(&mut s, event("", "", "smith")), 100);
    let e = s.store().events.last().unwrap();
    assert_eq!((e.port, e.recording.as_deref()), (None, None));
}

#[test]
fn log_event_without_a_users_port_is_logged_untied() {
    let mut s = sim(ApiVersion::V7_1);
    assert_code(&send(&mut s, event("", "", "nobody")), 100);
    let e = s.store().events.last().unwrap();
    assert_eq!((e.port, e.recording.as_deref()), (None, None));
}

#[test]
fn log_event_on_a_port_that_is_not_recording_has_no_recording_index() {
    let mut s = sim(ApiVersion::V7_1);
    assert_code(&send(&mut s, event("1", "9", "")), 100);
    let e = s.store().events.last().unwrap();
    assert_eq!((e.port, e.recording.as_deref()), (Some(9), None));
}

// --- Desktop ----------------------------------------------------------------------------------

#[test]
fn desktop_requests_need_a_user_and_otherwise_answer_100() {
    let mut s = sim(ApiVersion::V7_1);
    for op in [Operation::DesktopPause, Operation::DesktopResume] {
        assert_code(&send(&mut s, Request::new(op)), 662);
        assert_code(
            &send(&mut s, Request::new(op).with(Param::User, "smith")),
            100,
        );
        assert_code(
            &send(&mut s, Request::new(op).with(Param::User, "smith")),
            100,
        );
    }
}

// --- API 7.0 ----------------------------------------------------------------------------------

#[test]
fn the_five_7_1_operations_do_not_exist_under_7_0() {
    let mut s = sim(ApiVersion::V7_0);
    for op in [
        Operation::ResumeRecording,
        Operation::GetField,
        Operation::PortStatusEx,
        Operation::DesktopPause,
        Operation::DesktopResume,
    ] {
        let err = s.handle(&on(op, "1", "5")).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!("{} is not part of API 7.0: it was added in 7.1", op.name())
        );
        let entry = s.journal().last().unwrap();
        assert_eq!(
            (entry.op, entry.code),
            (op.name(), 0),
            "journaled with code 0"
        );
        assert_eq!(entry.reason, err.to_string());
    }
}

// --- Journal and faults -----------------------------------------------------------------------

#[test]
fn the_journal_keeps_every_answer_with_the_reason_for_refusals() {
    let mut s = sim(ApiVersion::V7_1);
    call(&mut s, Operation::PortStatus, "5");
    call(&mut s, Operation::StopRecording, "5");
    let entries: Vec<_> = s.journal().entries().collect();
    assert_eq!(entries.len(), 2);
    assert_eq!(
        (entries[0].seq, entries[0].code, entries[0].reason.as_str()),
        (1, 100, "")
    );
    assert_eq!(entries[1].op, "StopRecording");
    assert_eq!(entries[1].code, 608);
    assert_eq!(
        entries[1].reason,
        "port 5 is NOT RECORDING; StopRecording needs RECORD"
    );
    assert_eq!(entries[1].params(), vec![("Unit", "1"), ("Port", "5")]);
}

#[test]
fn an_injected_fault_answers_only_where_the_request_would_succeed_and_changes_nothing() {
    let mut s = sim(ApiVersion::V7_1);
    s.faults_mut()
        .set(Some(Operation::StartRecording), 618, Some(1));
    assert_code(&call(&mut s, Operation::StartRecording, "999"), 611);
    assert_code(&call(&mut s, Operation::StartRecording, "5"), 618);
    assert_eq!(
        last_reason(&s),
        "injected fault: StartRecording answers 618"
    );
    assert_eq!(status(&mut s, "5"), "NOT RECORDING");
    assert_code(&call(&mut s, Operation::StartRecording, "5"), 100);
}

#[test]
fn reset_clears_ports_assignments_store_faults_and_journal() {
    let mut s = sim(ApiVersion::V7_1);
    station(&mut s, "a");
    call(&mut s, Operation::StartRecording, "1");
    call(&mut s, Operation::StopRecording, "1");
    s.faults_mut().set(None, 651, None);
    s.reset().unwrap();
    assert!(s.store().recordings.is_empty());
    assert_eq!(s.journal().total(), 0);
    assert_eq!(station(&mut s, "zzz").port(), Some("1"));
}

#[test]
fn extensions_and_users_are_keyed_trimmed() {
    let mut s = sim(ApiVersion::V7_1);
    assert_eq!(station(&mut s, "100").port(), Some("1"));
    assert_eq!(station(&mut s, " 100 ").port(), Some("1"));
    assert_eq!(user(&mut s, " Smith", "m").port(), Some("2"));
    assert_eq!(user(&mut s, "smith ", "m").port(), Some("2"));
}
