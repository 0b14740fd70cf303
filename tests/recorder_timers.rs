//! Timers on the virtual clock: maximum recording time and ten-minute desktop segments.

mod recorder_support;

use chrono::Duration;
use ecapi::api::Operation as Op;
use recorder_support::*;

#[test]
fn a_positive_maximum_stops_and_saves_the_recording_after_that_many_seconds() {
    let mut sim = recorder(SITE);
    assert_eq!(start_max(&mut sim, "1", 30), 100);
    assign(&mut sim, "1", "fldCampaign", "Spring");
    sim.advance(29.0).unwrap();
    assert_eq!(status(&mut sim, "1"), "RECORD");
    sim.advance(100.0).unwrap();
    assert_eq!(status(&mut sim, "1"), "NOT RECORDING");
    let recs = sim.recordings().unwrap();
    assert_eq!(recs.len(), 1);
    let rec = &recs[0];
    assert_eq!(rec.ended_by.as_deref(), Some("maximum recording time"));
    assert_eq!(
        rec.stopped,
        Some(start_time() + Duration::seconds(30)),
        "stopped when due, not when seen"
    );
    assert_eq!(rec.fields[0].1, "Spring");
    assert_eq!(on(&mut sim, Op::StopRecording, "1", "1"), 616);
}

#[test]
fn zero_uses_the_configured_default_maximum() {
    let mut sim = recorder(SITE);
    start_max(&mut sim, "1", 0);
    sim.advance(599.0).unwrap();
    assert_eq!(status(&mut sim, "1"), "RECORD");
    sim.advance(1.0).unwrap();
    assert_eq!(status(&mut sim, "1"), "NOT RECORDING");
}

#[test]
fn without_a_file_the_default_maximum_is_an_hour() {
    let mut sim = recorder("");
    on(&mut sim, Op::StartRecording, "1", "1");
    sim.advance(3599.0).unwrap();
    assert_eq!(status(&mut sim, "1"), "RECORD");
    sim.advance(1.0).unwrap();
    assert_eq!(status(&mut sim, "1"), "NOT RECORDING");
}

#[test]
fn time_paused_or_on_hold_does_not_count_towards_the_maximum() {
    let mut sim = recorder(SITE);
    start_max(&mut sim, "1", 60);
    sim.advance(20.0).unwrap();
    on(&mut sim, Op::PauseRecording, "1", "1");
    sim.advance(100.0).unwrap();
    on(&mut sim, Op::ResumeRecording, "1", "1");
    sim.advance(20.0).unwrap();
    sim.hold("1", "1").unwrap();
    sim.advance(100.0).unwrap();
    sim.retrieve("1", "1").unwrap();
    sim.advance(19.0).unwrap();
    assert_eq!(status(&mut sim, "1"), "RECORD", "59 s recorded");
    sim.advance(1.0).unwrap();
    assert_eq!(status(&mut sim, "1"), "NOT RECORDING");
    let states: Vec<&str> = sim.recordings().unwrap()[0]
        .states
        .iter()
        .map(|s| s.state)
        .collect();
    assert_eq!(
        states,
        [
            "RECORD",
            "PAUSE",
            "RECORD",
            "SUSPENDED",
            "RECORD",
            "NOT RECORDING"
        ]
    );
}

#[test]
fn a_recording_stopped_at_its_maximum_gives_its_licence_back_and_leaves_the_held_call() {
    let mut sim = recorder(SITE);
    start_max(&mut sim, "1", 1000);
    sim.hold("1", "1").unwrap();
    start_max(&mut sim, "1", 10);
    assert_eq!(on(&mut sim, Op::StartRecording, "1", "2"), 618);
    sim.advance(10.0).unwrap();
    assert_eq!(status(&mut sim, "1"), "SUSPENDED");
    assert_eq!(
        duration(&mut sim, "1"),
        0,
        "SUSPENDED again from the moment of the stop"
    );
    assert_eq!(on(&mut sim, Op::StartRecording, "1", "2"), 100);
}

#[test]
fn timers_fire_in_the_order_they_were_due() {
    let mut sim = recorder(SITE);
    start_max(&mut sim, "1", 20);
    start_max(&mut sim, "2", 10);
    sim.advance(60.0).unwrap();
    let ports: Vec<u32> = sim.recordings().unwrap().iter().map(|r| r.port).collect();
    assert_eq!(ports, [2, 1]);
}

#[test]
fn desktop_segments_roll_every_ten_minutes_of_the_clock() {
    let mut sim = recorder(SITE);
    sim.advance(25.0 * 60.0).unwrap();
    let segs = sim.desktop_segments().unwrap();
    assert_eq!(segs.len(), 2);
    assert_eq!(segs[0].login, "CORP\\Smith");
    assert_eq!(
        (segs[0].started, segs[0].ended),
        (start_time(), start_time() + Duration::minutes(10))
    );
    assert_eq!(segs[1].ended, start_time() + Duration::minutes(20));
}

#[test]
fn a_desktop_pause_closes_the_current_segment() {
    let mut sim = recorder(SITE);
    sim.advance(12.0 * 60.0).unwrap();
    assert_eq!(
        call(&mut sim, Op::DesktopPause, &[("User", "corp\\smith")]).code,
        100
    );
    let segs = sim.desktop_segments().unwrap();
    assert_eq!(segs.len(), 2);
    assert_eq!(segs[1].started, start_time() + Duration::minutes(10));
    assert_eq!(segs[1].ended, start_time() + Duration::minutes(12));
    sim.advance(3600.0).unwrap();
    assert_eq!(
        sim.desktop_segments().unwrap().len(),
        2,
        "nothing recorded while paused"
    );
    assert_eq!(
        call(&mut sim, Op::DesktopResume, &[("User", "CORP\\Smith")]).code,
        100
    );
    sim.advance(600.0).unwrap();
    let segs = sim.desktop_segments().unwrap();
    assert_eq!(segs.len(), 3);
    assert_eq!(segs[2].started, start_time() + Duration::minutes(72));
}
