//! Two calls per port: telephony events (hold, retrieve, hangup), Start from SUSPENDED, requests on
//! the held call when it is alone, Pause of both calls and Resume.

mod recorder_support;

use ecapi::api::Operation as Op;
use ecapi::client::{ControlError, Embedded, Transport};
use ecapi::simulator::{Query, Settings, SimError, Simulator};
use recorder_support::*;

#[test]
fn hold_turns_record_into_suspended_and_retrieve_back() {
    let mut sim = recorder(SITE);
    on(&mut sim, Op::StartRecording, "1", "1");
    sim.hold("1", "1").unwrap();
    assert_eq!(status(&mut sim, "1"), "SUSPENDED");
    sim.retrieve("1", "1").unwrap();
    assert_eq!(status(&mut sim, "1"), "RECORD");
    on(&mut sim, Op::StopRecording, "1", "1");
    let states: Vec<&str> = sim.recordings().unwrap()[0]
        .states
        .iter()
        .map(|s| s.state)
        .collect();
    assert_eq!(states, ["RECORD", "SUSPENDED", "RECORD", "NOT RECORDING"]);
}

#[test]
fn start_from_suspended_records_a_new_active_call_and_the_held_one_stays() {
    let mut sim = recorder(SITE);
    on(&mut sim, Op::StartRecording, "1", "1");
    assign(&mut sim, "1", "fldCampaign", "first");
    sim.hold("1", "1").unwrap();
    assert_eq!(on(&mut sim, Op::StartRecording, "1", "1"), 100);
    assert_eq!(
        status(&mut sim, "1"),
        "RECORD",
        "the active call is reported"
    );
    assert_eq!(
        field(&mut sim, "1", "fldCampaign").value(),
        Some(""),
        "a new recording"
    );
    assign(&mut sim, "1", "fldCampaign", "second");
    assert_eq!(on(&mut sim, Op::StopRecording, "1", "1"), 100);
    assert_eq!(status(&mut sim, "1"), "SUSPENDED", "the held call is left");
    assert_eq!(field(&mut sim, "1", "fldCampaign").value(), Some("first"));
    let recs = sim.recordings().unwrap();
    assert_eq!(recs.len(), 1);
    assert_eq!(recs[0].fields[0].1, "second");
}

#[test]
fn requests_act_on_the_held_call_when_it_is_the_only_one() {
    let mut sim = recorder(SITE);
    on(&mut sim, Op::StartRecording, "1", "1");
    sim.hold("1", "1").unwrap();
    assert_eq!(assign(&mut sim, "1", "fldCampaign", "held"), 100);
    assert_eq!(
        on(&mut sim, Op::GetUrl, "1", "1"),
        608,
        "GetURL needs RECORD or PAUSE"
    );
    assert_eq!(on(&mut sim, Op::StopRecording, "1", "1"), 100);
    assert_eq!(status(&mut sim, "1"), "NOT RECORDING");
    let recs = sim.recordings().unwrap();
    assert_eq!(recs[0].fields[0].1, "held");
    assert_eq!(recs[0].states.last().unwrap().state, "NOT RECORDING");
}

#[test]
fn cancel_in_suspended_discards_the_held_call() {
    let mut sim = recorder(SITE);
    on(&mut sim, Op::StartRecording, "1", "1");
    sim.hold("1", "1").unwrap();
    assert_eq!(on(&mut sim, Op::CancelRecording, "1", "1"), 100);
    assert_eq!(status(&mut sim, "1"), "NOT RECORDING");
    assert!(sim.recordings().unwrap().is_empty());
}

#[test]
fn a_held_call_keeps_its_licence() {
    let mut sim = recorder(SITE);
    on(&mut sim, Op::StartRecording, "1", "1");
    sim.hold("1", "1").unwrap();
    assert_eq!(on(&mut sim, Op::StartRecording, "1", "1"), 100);
    assert_eq!(
        on(&mut sim, Op::StartRecording, "1", "2"),
        618,
        "two calls, two licences"
    );
}

#[test]
fn pause_pauses_both_calls_and_neither_records_again_off_hold() {
    let mut sim = recorder(SITE);
    on(&mut sim, Op::StartRecording, "1", "1");
    sim.hold("1", "1").unwrap();
    assert_eq!(
        on(&mut sim, Op::PauseRecording, "1", "1"),
        100,
        "valid in SUSPENDED"
    );
    assert_eq!(status(&mut sim, "1"), "SUSPENDED");
    sim.retrieve("1", "1").unwrap();
    assert_eq!(status(&mut sim, "1"), "PAUSE", "off hold, still paused");
    assert_eq!(on(&mut sim, Op::ResumeRecording, "1", "1"), 100);
    assert_eq!(status(&mut sim, "1"), "RECORD");
}

#[test]
fn pause_with_two_calls_pauses_the_held_one_too() {
    let mut sim = recorder(SITE);
    on(&mut sim, Op::StartRecording, "1", "1");
    sim.hold("1", "1").unwrap();
    on(&mut sim, Op::StartRecording, "1", "1");
    assert_eq!(on(&mut sim, Op::PauseRecording, "1", "1"), 100);
    assert_eq!(status(&mut sim, "1"), "PAUSE");
    sim.hangup("1", "1").unwrap();
    sim.retrieve("1", "1").unwrap();
    assert_eq!(
        status(&mut sim, "1"),
        "PAUSE",
        "the held call was paused with the active one"
    );
}

#[test]
fn resume_returns_the_paused_active_call_to_record_and_the_held_one_stays_suspended() {
    let mut sim = recorder(SITE);
    on(&mut sim, Op::StartRecording, "1", "1");
    sim.hold("1", "1").unwrap();
    on(&mut sim, Op::StartRecording, "1", "1");
    on(&mut sim, Op::PauseRecording, "1", "1");
    assert_eq!(on(&mut sim, Op::ResumeRecording, "1", "1"), 100);
    assert_eq!(status(&mut sim, "1"), "RECORD");
    on(&mut sim, Op::StopRecording, "1", "1");
    assert_eq!(status(&mut sim, "1"), "SUSPENDED");
    sim.retrieve("1", "1").unwrap();
    assert_eq!(
        status(&mut sim, "1"),
        "RECORD",
        "the resume reached the held call"
    );
}

#[test]
fn resume_in_suspended_answers_100_and_the_call_stays_on_hold() {
    let mut sim = recorder(SITE);
    on(&mut sim, Op::StartRecording, "1", "1");
    sim.hold("1", "1").unwrap();
    on(&mut sim, Op::PauseRecording, "1", "1");
    assert_eq!(on(&mut sim, Op::ResumeRecording, "1", "1"), 100);
    assert_eq!(status(&mut sim, "1"), "SUSPENDED");
    sim.retrieve("1", "1").unwrap();
    assert_eq!(status(&mut sim, "1"), "RECORD");
}

#[test]
fn hangup_saves_the_recording_and_leaves_the_held_call() {
    let mut sim = recorder(SITE);
    on(&mut sim, Op::StartRecording, "1", "1");
    sim.hold("1", "1").unwrap();
    on(&mut sim, Op::StartRecording, "1", "1");
    sim.advance(5.0).unwrap();
    sim.hangup("1", "1").unwrap();
    assert_eq!(status(&mut sim, "1"), "SUSPENDED");
    sim.hangup("1", "1").unwrap();
    assert_eq!(status(&mut sim, "1"), "NOT RECORDING");
    let recs = sim.recordings().unwrap();
    assert_eq!(recs.len(), 2);
    assert!(recs.iter().all(|r| r.ended_by.as_deref() == Some("hangup")));
}

#[test]
fn telephony_events_that_cannot_happen_are_refused_with_a_reason() {
    let mut sim = recorder(SITE);
    let err = sim.hold("1", "1").unwrap_err();
    assert!(matches!(err, SimError::Telephony(_)));
    assert!(err.to_string().contains("no active call"), "{err}");
    assert!(sim
        .retrieve("1", "1")
        .unwrap_err()
        .to_string()
        .contains("no call on hold"));
    assert!(sim
        .hangup("1", "1")
        .unwrap_err()
        .to_string()
        .contains("no call to hang up"));
    assert!(sim
        .hold("1", "9")
        .unwrap_err()
        .to_string()
        .contains("not a port of unit 1"));
    assert!(sim
        .hold("5", "1")
        .unwrap_err()
        .to_string()
        .contains("Unit `5`"));
    on(&mut sim, Op::StartRecording, "1", "1");
    sim.hold("1", "1").unwrap();
    on(&mut sim, Op::StartRecording, "1", "1");
    let err = sim.hold("1", "1").unwrap_err().to_string();
    assert!(err.contains("two calls at most"), "{err}");
    let err = sim.retrieve("1", "1").unwrap_err().to_string();
    assert!(err.contains("has an active call"), "{err}");
}

#[test]
fn the_embedded_control_passes_telephony_events_to_the_recorder() {
    let mut t = Embedded::new(recorder(SITE));
    on(t.simulator_mut(), Op::StartRecording, "1", "1");
    let ctl = t.control().unwrap();
    ctl.hold("1", "1").unwrap();
    assert_eq!(status(t.simulator_mut(), "1"), "SUSPENDED");
    let ctl = t.control().unwrap();
    ctl.retrieve("1", "1").unwrap();
    ctl.hangup("1", "1").unwrap();
    let recs = ctl.recordings(&Query::all()).unwrap();
    assert_eq!(recs.len(), 1);
    assert_eq!(recs[0]["ended_by"], "hangup");
    let err = ctl.hangup("1", "1").unwrap_err();
    assert!(matches!(err, ControlError::Invalid(_)));
    assert!(err.to_string().contains("no call to hang up"), "{err}");
}

#[test]
fn the_hosted_profile_keeps_refusing_telephony_events() {
    let mut t = Embedded::new(Simulator::hosted(Settings::default()));
    let err = t.control().unwrap().hold("1", "1").unwrap_err();
    assert!(matches!(err, ControlError::NotInProfile(_)));
    assert!(
        err.to_string()
            .contains("sim_hold needs the recorder profile"),
        "{err}"
    );
}
