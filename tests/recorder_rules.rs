//! The recorder profile's rules for one call per port: directory lookups, unit and port checks,
//! state checks, licences, fields, URLs, durations and events, in `behavior.md`'s check order.

mod recorder_support;

use ecapi::api::{ApiVersion, Operation as Op};
use ecapi::simulator::{Profile, RecorderConfig};
use recorder_support::*;

#[test]
fn a_recorder_without_a_file_has_unit_1_with_288_ports() {
    let mut sim = recorder("");
    assert_eq!(sim.profile(), Profile::Recorder);
    assert_eq!(on(&mut sim, Op::StartRecording, "1", "288"), 100);
    assert_eq!(on(&mut sim, Op::StartRecording, "1", "289"), 611);
    assert_eq!(on(&mut sim, Op::StartRecording, "2", "1"), 606);
}

#[test]
fn the_example_configuration_is_valid() {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/examples/recorder.toml"
    ))
    .unwrap();
    let c = RecorderConfig::from_toml(&text).unwrap();
    assert_eq!(c.units.len(), 2);
    assert_eq!(c.licences, 6);
}

#[test]
fn init_station_finds_the_extensions_port_in_the_directory() {
    let mut sim = recorder(SITE);
    let r = call(&mut sim, Op::InitStation, &[("Extension", "200")]);
    assert_eq!((r.code, r.unit(), r.port()), (100, Some("1"), Some("2")));
    let again = call(&mut sim, Op::InitStation, &[("Extension", "200")]);
    assert_eq!(again.port(), Some("2"));
    let days = sim.assignments().unwrap();
    assert_eq!(days.len(), 1, "one assignment per key and day");
    assert_eq!(
        (days[0].op.as_str(), days[0].key.as_str(), days[0].port),
        ("InitStation", "200", 2)
    );
}

#[test]
fn init_station_answers_659_for_no_extension_660_for_an_unknown_one_and_661_for_two_ports() {
    let mut sim = recorder(SITE);
    assert_eq!(
        call(&mut sim, Op::InitStation, &[("Extension", " ")]).code,
        659
    );
    assert_eq!(
        call(&mut sim, Op::InitStation, &[("Extension", "999")]).code,
        660
    );
    assert!(last_reason(&sim).contains("999"));
    assert_eq!(
        call(&mut sim, Op::InitStation, &[("Extension", "300")]).code,
        661
    );
}

#[test]
fn init_user_matches_the_login_id_without_regard_to_case() {
    let mut sim = recorder(SITE);
    let r = call(
        &mut sim,
        Op::InitUser,
        &[("User", "corp\\SMITH"), ("Machine", "PC1")],
    );
    assert_eq!((r.code, r.port()), (100, Some("1")));
}

#[test]
fn init_user_answers_654_without_machine_655_for_an_unknown_login_and_656_for_two_ports() {
    let mut sim = recorder(SITE);
    assert_eq!(call(&mut sim, Op::InitUser, &[("User", "jones")]).code, 654);
    assert_eq!(
        call(
            &mut sim,
            Op::InitUser,
            &[("User", "nobody"), ("Machine", "PC")]
        )
        .code,
        655
    );
    assert_eq!(
        call(
            &mut sim,
            Op::InitUser,
            &[("User", "HotDesk"), ("Machine", "PC")]
        )
        .code,
        656
    );
}

#[test]
fn an_unknown_unit_answers_606_and_a_port_not_on_the_unit_611() {
    let mut sim = recorder(SITE);
    assert_eq!(on(&mut sim, Op::PortStatus, "7", "1"), 606);
    assert_eq!(on(&mut sim, Op::PortStatus, "1", "5"), 611);
    assert_eq!(on(&mut sim, Op::PortStatus, "1", "x"), 611);
    assert_eq!(on(&mut sim, Op::PortStatus, " 01 ", " 4 "), 100);
    assert!(last_reason(&sim).is_empty());
    on(&mut sim, Op::PortStatus, "1", "5");
    assert!(last_reason(&sim).contains("1-4"), "{}", last_reason(&sim));
}

#[test]
fn required_parameters_come_before_the_unit_and_the_unit_before_the_port() {
    let mut sim = recorder(SITE);
    let r = call(
        &mut sim,
        Op::AssignField,
        &[("Unit", "9"), ("Port", "9"), ("fieldValue", "x")],
    );
    assert_eq!(r.code, 652);
    assert_eq!(on(&mut sim, Op::StopRecording, "9", "9"), 606);
    assert_eq!(on(&mut sim, Op::StopRecording, "1", "9"), 611);
    assert_eq!(on(&mut sim, Op::StopRecording, "1", "1"), 616);
}

#[test]
fn start_from_record_answers_609() {
    let mut sim = recorder(SITE);
    assert_eq!(on(&mut sim, Op::StartRecording, "1", "1"), 100);
    assert_eq!(on(&mut sim, Op::StartRecording, "1", "1"), 609);
}

#[test]
fn start_from_pause_records_the_same_call_again() {
    let mut sim = recorder(SITE);
    on(&mut sim, Op::StartRecording, "1", "1");
    assert_eq!(assign(&mut sim, "1", "fldCampaign", "Spring"), 100);
    assert_eq!(on(&mut sim, Op::PauseRecording, "1", "1"), 100);
    assert_eq!(on(&mut sim, Op::StartRecording, "1", "1"), 100);
    assert_eq!(status(&mut sim, "1"), "RECORD");
    assert_eq!(field(&mut sim, "1", "fldCampaign").value(), Some("Spring"));
}

#[test]
fn a_new_recording_beyond_the_licence_count_answers_618() {
    let mut sim = recorder(SITE);
    assert_eq!(on(&mut sim, Op::StartRecording, "1", "1"), 100);
    assert_eq!(on(&mut sim, Op::StartRecording, "1", "2"), 100);
    assert_eq!(on(&mut sim, Op::StartRecording, "1", "3"), 618);
    assert_eq!(status(&mut sim, "3"), "NOT RECORDING");
    assert_eq!(on(&mut sim, Op::StopRecording, "1", "1"), 100);
    assert_eq!(
        on(&mut sim, Op::StartRecording, "1", "3"),
        100,
        "a stop gives its licence back"
    );
}

#[test]
fn a_full_recorder_answers_the_state_check_before_licences_and_licences_before_faults() {
    let mut sim = recorder(SITE);
    on(&mut sim, Op::StartRecording, "1", "1");
    on(&mut sim, Op::StartRecording, "1", "2");
    sim.faults_mut().set(Some(Op::StartRecording), 621, Some(1));
    assert_eq!(on(&mut sim, Op::StartRecording, "1", "1"), 609);
    assert_eq!(on(&mut sim, Op::StartRecording, "1", "3"), 618);
    on(&mut sim, Op::CancelRecording, "1", "2");
    assert_eq!(
        on(&mut sim, Op::StartRecording, "1", "3"),
        621,
        "the fault was not used up"
    );
    assert_eq!(on(&mut sim, Op::StartRecording, "1", "3"), 100);
}

#[test]
fn stop_from_not_recording_answers_616() {
    let mut sim = recorder(SITE);
    assert_eq!(on(&mut sim, Op::StopRecording, "1", "1"), 616);
}

#[test]
fn cancel_from_not_recording_answers_616() {
    let mut sim = recorder(SITE);
    assert_eq!(on(&mut sim, Op::CancelRecording, "1", "1"), 616);
}

#[test]
fn stop_from_pause_saves_the_recording_with_its_fields() {
    let mut sim = recorder(SITE);
    on(&mut sim, Op::StartRecording, "1", "1");
    assign(&mut sim, "1", "fldCampaign", "Spring");
    assign(&mut sim, "1", "fldAccountingNum", "42");
    sim.advance(30.0).unwrap();
    on(&mut sim, Op::PauseRecording, "1", "1");
    assert_eq!(on(&mut sim, Op::StopRecording, "1", "1"), 100);
    assert_eq!(status(&mut sim, "1"), "NOT RECORDING");
    let recs = sim.recordings().unwrap();
    assert_eq!(recs.len(), 1);
    let fields: Vec<(&str, &str)> = recs[0]
        .fields
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect();
    assert_eq!(
        fields,
        [("fldCampaign", "Spring"), ("fldAccountingNum", "42")]
    );
    let states: Vec<&str> = recs[0].states.iter().map(|s| s.state).collect();
    assert_eq!(states, ["RECORD", "PAUSE", "NOT RECORDING"]);
    assert_eq!(recs[0].ended_by.as_deref(), Some("StopRecording"));
    assert_eq!(
        (recs[0].stopped.unwrap() - recs[0].started).num_seconds(),
        30
    );
}

#[test]
fn cancel_discards_the_recording_and_its_fields() {
    let mut sim = recorder(SITE);
    on(&mut sim, Op::StartRecording, "1", "1");
    assign(&mut sim, "1", "fldCampaign", "Spring");
    assert_eq!(on(&mut sim, Op::CancelRecording, "1", "1"), 100);
    assert!(sim.recordings().unwrap().is_empty());
    on(&mut sim, Op::StartRecording, "1", "1");
    assert_eq!(field(&mut sim, "1", "fldCampaign").value(), Some(""));
}

#[test]
fn pause_outside_record_or_suspended_answers_608() {
    let mut sim = recorder(SITE);
    assert_eq!(on(&mut sim, Op::PauseRecording, "1", "1"), 608);
    on(&mut sim, Op::StartRecording, "1", "1");
    on(&mut sim, Op::PauseRecording, "1", "1");
    assert_eq!(on(&mut sim, Op::PauseRecording, "1", "1"), 608);
}

#[test]
fn resume_answers_627_in_not_recording_and_100_in_record() {
    let mut sim = recorder(SITE);
    assert_eq!(on(&mut sim, Op::ResumeRecording, "1", "1"), 627);
    on(&mut sim, Op::StartRecording, "1", "1");
    assert_eq!(on(&mut sim, Op::ResumeRecording, "1", "1"), 100);
    on(&mut sim, Op::PauseRecording, "1", "1");
    assert_eq!(on(&mut sim, Op::ResumeRecording, "1", "1"), 100);
    assert_eq!(status(&mut sim, "1"), "RECORD");
}

#[test]
fn assign_field_outside_a_recording_answers_608() {
    let mut sim = recorder(SITE);
    assert_eq!(assign(&mut sim, "1", "fldCampaign", "x"), 608);
    assert_eq!(field(&mut sim, "1", "fldCampaign").code, 608);
}

#[test]
fn a_column_that_is_not_configured_answers_653_and_nothing_is_stored() {
    let mut sim = recorder(SITE);
    on(&mut sim, Op::StartRecording, "1", "1");
    assert_eq!(assign(&mut sim, "1", "fldNotThere", "x"), 653);
    assert!(last_reason(&sim).contains("fldNotThere"));
    assert_eq!(field(&mut sim, "1", "fldNotThere").value(), Some(""));
}

#[test]
fn a_value_too_long_for_its_varchar_answers_653_and_keeps_the_old_value() {
    let mut sim = recorder(SITE);
    on(&mut sim, Op::StartRecording, "1", "1");
    assert_eq!(assign(&mut sim, "1", "fldClientID", "C-1"), 100);
    assert_eq!(assign(&mut sim, "1", "fldClientID", &"x".repeat(17)), 653);
    assert!(
        last_reason(&sim).contains("varchar(16)"),
        "{}",
        last_reason(&sim)
    );
    assert_eq!(field(&mut sim, "1", "fldClientID").value(), Some("C-1"));
    assert_eq!(assign(&mut sim, "1", "fldClientID", &"é".repeat(16)), 100);
}

#[test]
fn a_value_that_is_not_a_number_for_smallint_answers_653() {
    let mut sim = recorder(SITE);
    on(&mut sim, Op::StartRecording, "1", "1");
    assert_eq!(assign(&mut sim, "1", "fldAccountingNum", "12a"), 653);
    assert_eq!(assign(&mut sim, "1", "fldAccountingNum", "40000"), 653);
    assert_eq!(assign(&mut sim, "1", "fldAccountingNum", "-32768"), 100);
    on(&mut sim, Op::StopRecording, "1", "1");
    let recs = sim.recordings().unwrap();
    assert_eq!(
        recs[0].fields,
        [("fldAccountingNum".to_string(), "-32768".to_string())]
    );
}

#[test]
fn get_field_answers_the_assigned_value_or_an_empty_string() {
    let mut sim = recorder(SITE);
    on(&mut sim, Op::StartRecording, "1", "1");
    assign(&mut sim, "1", "fldCampaign", "Spring");
    let r = field(&mut sim, "1", "FLDCAMPAIGN");
    assert_eq!((r.code, r.value()), (100, Some("Spring")));
    assert_eq!(field(&mut sim, "1", "fldCallCategory").value(), Some(""));
    assert_eq!(field(&mut sim, "1", "fldUnknown").value(), Some(""));
}

#[test]
fn get_url_without_a_url_player_base_answers_658() {
    let mut sim = recorder("");
    assert_eq!(
        on(&mut sim, Op::GetUrl, "1", "1"),
        608,
        "the state is checked first"
    );
    on(&mut sim, Op::StartRecording, "1", "1");
    assert_eq!(on(&mut sim, Op::GetUrl, "1", "1"), 658);
}

#[test]
fn get_url_names_the_current_recording() {
    let mut sim = recorder(SITE);
    on(&mut sim, Op::StartRecording, "1", "1");
    let url = call(&mut sim, Op::GetUrl, &[("Unit", "1"), ("Port", "1")])
        .url()
        .unwrap()
        .to_string();
    on(&mut sim, Op::PauseRecording, "1", "1");
    let paused = call(&mut sim, Op::GetUrl, &[("Unit", "1"), ("Port", "1")])
        .url()
        .unwrap()
        .to_string();
    assert_eq!(url, paused);
    on(&mut sim, Op::StopRecording, "1", "1");
    let index = &sim.recordings().unwrap()[0].index;
    assert_eq!(
        url,
        format!("https://encore.example.com/encore/urlplayer.aspx?fldCallIndex={index}&siteid=1")
    );
}

#[test]
fn port_status_ex_reports_whole_seconds_since_the_state_began() {
    let mut sim = recorder(SITE);
    sim.advance(50.0).unwrap();
    assert_eq!(duration(&mut sim, "1"), 0, "0 in NOT RECORDING");
    on(&mut sim, Op::StartRecording, "1", "1");
    sim.advance(12.9).unwrap();
    assert_eq!(duration(&mut sim, "1"), 12);
    on(&mut sim, Op::PauseRecording, "1", "1");
    sim.advance(3.0).unwrap();
    let r = call(&mut sim, Op::PortStatusEx, &[("Unit", "1"), ("Port", "1")]);
    assert_eq!((r.status.as_deref(), r.duration), (Some("PAUSE"), Some(3)));
    on(&mut sim, Op::ResumeRecording, "1", "1");
    sim.advance(1.0).unwrap();
    assert_eq!(duration(&mut sim, "1"), 1);
}

#[test]
fn log_event_records_the_index_of_the_ports_recording() {
    let mut sim = recorder(SITE);
    on(&mut sim, Op::StartRecording, "1", "2");
    let r = call(
        &mut sim,
        Op::LogEvent,
        &[
            ("Unit", "1"),
            ("Port", "2"),
            ("eventType", "Sale"),
            ("eventTimestamp", "2026-11-23T09:00:00"),
            ("Parm1", "£12"),
        ],
    );
    assert_eq!(r.code, 100);
    on(&mut sim, Op::StopRecording, "1", "2");
    let index = sim.recordings().unwrap()[0].index.clone();
    let events = sim.events().unwrap();
    assert_eq!(events[0].recording.as_deref(), Some(index.as_str()));
    assert_eq!((events[0].port, events[0].parm1.as_str()), (Some(2), "£12"));
}

#[test]
fn log_event_checks_type_then_unit_and_port_then_timestamp_and_parms() {
    let mut sim = recorder(SITE);
    let ts = ("eventTimestamp", "2026-11-23T09:00:00");
    assert_eq!(call(&mut sim, Op::LogEvent, &[("Unit", "9"), ts]).code, 657);
    assert_eq!(
        call(&mut sim, Op::LogEvent, &[("Unit", "9"), ("eventType", "X")]).code,
        606
    );
    assert_eq!(
        call(&mut sim, Op::LogEvent, &[("Unit", "1"), ("eventType", "X")]).code,
        611
    );
    assert_eq!(
        call(&mut sim, Op::LogEvent, &[("eventType", "X")]).code,
        653
    );
    let long = "p".repeat(1025);
    assert_eq!(
        call(
            &mut sim,
            Op::LogEvent,
            &[("eventType", "X"), ts, ("Parm3", &long)]
        )
        .code,
        653
    );
    assert!(sim.events().unwrap().is_empty());
}

#[test]
fn log_event_under_7_1_ties_the_event_to_the_users_port_in_the_directory() {
    let mut sim = recorder(SITE);
    on(&mut sim, Op::StartRecording, "1", "1");
    let ts = ("eventTimestamp", "2026-11-23T09:00:00");
    call(
        &mut sim,
        Op::LogEvent,
        &[("User", "corp\\smith"), ("eventType", "Hello"), ts],
    );
    call(
        &mut sim,
        Op::LogEvent,
        &[("User", "stranger"), ("eventType", "Hello"), ts],
    );
    let events = sim.events().unwrap();
    assert_eq!(
        (events[0].unit.as_deref(), events[0].port),
        (Some("1"), Some(1))
    );
    assert!(events[0].recording.is_some());
    assert_eq!(
        events[1].port, None,
        "a user not in the directory leaves the event untied"
    );
}

#[test]
fn log_event_under_7_0_does_not_look_the_user_up() {
    let mut sim = recorder_api(SITE, ApiVersion::V7_0);
    let r = call(
        &mut sim,
        Op::LogEvent,
        &[
            ("userName", "jones"),
            ("eventType", "Hello"),
            ("eventTimestamp", "now"),
        ],
    );
    assert_eq!(r.code, 100);
    assert_eq!(sim.events().unwrap()[0].port, None);
}

#[test]
fn a_negative_maximum_answers_653() {
    let mut sim = recorder(SITE);
    assert_eq!(start_max(&mut sim, "1", -1), 653);
    assert_eq!(status(&mut sim, "1"), "NOT RECORDING");
}
