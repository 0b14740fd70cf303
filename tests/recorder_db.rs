//! The recorder's database: what is acknowledged is written, survives a reopen, and is what
//! `sim_recordings()` and `sim_events()` read.

mod recorder_support;

use ecapi::api::{ApiVersion, Operation as Op};
use ecapi::client::{Embedded, Transport};
use ecapi::simulator::{DbLocation, Query, RecorderConfig, SimError, Simulator};
use recorder_support::*;

fn on_file(path: &std::path::Path) -> Simulator {
    Simulator::recorder(
        settings(ApiVersion::V7_1),
        RecorderConfig::from_toml(SITE).unwrap(),
        DbLocation::File(path.to_path_buf()),
    )
    .unwrap()
}

#[test]
fn a_simulator_reopened_on_the_same_file_has_every_recording_event_and_assignment() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("recorder.db");
    let index = {
        let mut sim = on_file(&path);
        call(&mut sim, Op::InitStation, &[("Extension", "100")]);
        call(
            &mut sim,
            Op::InitUser,
            &[("User", "JONES"), ("Machine", "PC")],
        );
        on(&mut sim, Op::StartRecording, "1", "1");
        assign(&mut sim, "1", "fldCampaign", "Spring");
        call(
            &mut sim,
            Op::LogEvent,
            &[
                ("Unit", "1"),
                ("Port", "1"),
                ("eventType", "Sale"),
                ("eventTimestamp", "t"),
            ],
        );
        sim.advance(5.0).unwrap();
        on(&mut sim, Op::StopRecording, "1", "1");
        call(&mut sim, Op::DesktopPause, &[("User", "corp\\smith")]);
        on(&mut sim, Op::StartRecording, "1", "2");
        sim.recordings().unwrap()[0].index.clone()
        // Dropped without any shutdown: only what was committed remains.
    };
    let mut sim = on_file(&path);
    let recs = sim.recordings().unwrap();
    assert_eq!(
        recs.len(),
        1,
        "the unstopped recording on port 2 was never acknowledged as saved"
    );
    assert_eq!(recs[0].index, index);
    assert_eq!(
        recs[0].fields[0],
        ("fldCampaign".to_string(), "Spring".to_string())
    );
    assert_eq!(recs[0].states.len(), 2);
    let events = sim.events().unwrap();
    assert_eq!(
        (
            events[0].event_type.as_str(),
            events[0].recording.as_deref()
        ),
        ("Sale", Some(index.as_str()))
    );
    let days = sim.assignments().unwrap();
    let keys: Vec<&str> = days.iter().map(|a| a.key.as_str()).collect();
    assert_eq!(keys, ["100", "JONES"]);
    assert_eq!(sim.desktop_segments().unwrap().len(), 1);
}

#[test]
fn call_indexes_stay_unique_across_a_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("recorder.db");
    let mut urls = Vec::new();
    for _ in 0..2 {
        let mut sim = on_file(&path);
        on(&mut sim, Op::StartRecording, "1", "1");
        urls.push(
            call(&mut sim, Op::GetUrl, &[("Unit", "1"), ("Port", "1")])
                .url()
                .unwrap()
                .to_string(),
        );
        on(&mut sim, Op::StopRecording, "1", "1");
    }
    assert_ne!(urls[0], urls[1]);
    let sim_recs = on_file(&path).recordings().unwrap();
    assert_ne!(sim_recs[0].index, sim_recs[1].index);
}

#[test]
fn a_file_that_is_not_a_database_is_refused_at_start() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("notes.db");
    std::fs::write(
        &path,
        "these are not the tables you are looking for, not at all".repeat(100),
    )
    .unwrap();
    let err = Simulator::recorder(
        settings(ApiVersion::V7_1),
        RecorderConfig::default(),
        DbLocation::File(path.clone()),
    )
    .unwrap_err();
    assert!(matches!(err, SimError::Database(_)));
    assert!(err.to_string().contains("notes.db"), "{err}");
}

#[test]
fn sim_recordings_and_sim_events_read_the_database() {
    let mut t = Embedded::new(recorder(SITE));
    on(t.simulator_mut(), Op::StartRecording, "1", "3");
    on(t.simulator_mut(), Op::StopRecording, "1", "3");
    call(
        t.simulator_mut(),
        Op::LogEvent,
        &[("eventType", "X"), ("eventTimestamp", "t")],
    );
    let ctl = t.control().unwrap();
    let recs = ctl.recordings(&Query::all()).unwrap();
    assert_eq!(recs[0]["port"], "3", "text, as in a Response");
    assert_eq!(recs[0]["states"][0]["state"], "RECORD");
    assert_eq!(ctl.events(&Query::all()).unwrap()[0]["type"], "X");
}

#[test]
fn reset_empties_the_database_but_keeps_indexes_unique() {
    let mut sim = recorder(SITE);
    on(&mut sim, Op::StartRecording, "1", "1");
    on(&mut sim, Op::StopRecording, "1", "1");
    let first = sim.recordings().unwrap()[0].index.clone();
    sim.reset().unwrap();
    assert!(sim.recordings().unwrap().is_empty());
    assert_eq!(status(&mut sim, "1"), "NOT RECORDING");
    on(&mut sim, Op::StartRecording, "1", "1");
    on(&mut sim, Op::StopRecording, "1", "1");
    assert_ne!(sim.recordings().unwrap()[0].index, first);
}

#[test]
fn a_recorder_can_move_to_another_thread() {
    fn send<T: Send>(_: &T) {}
    send(&recorder(SITE));
}
