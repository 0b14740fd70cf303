//! Injected faults in the recorder profile: after every check, before any change, and with a
//! probability that repeats given the seed.

mod recorder_support;

use ecapi::api::Operation as Op;
use ecapi::client::{Embedded, Transport};
use recorder_support::*;

fn seeded(seed: u64) -> String {
    format!("fault_seed = {seed}\n{SITE}")
}

fn run(sim: &mut ecapi::simulator::Simulator) -> Vec<u16> {
    (0..40).map(|_| on(sim, Op::PortStatus, "1", "1")).collect()
}

#[test]
fn a_fault_with_a_probability_repeats_given_the_seed() {
    let mut a = recorder(&seeded(11));
    let mut b = recorder(&seeded(11));
    a.faults_mut().set_chance(Some(Op::PortStatus), 651, 0.5);
    b.faults_mut().set_chance(Some(Op::PortStatus), 651, 0.5);
    let codes = run(&mut a);
    assert_eq!(codes, run(&mut b));
    assert!(codes.contains(&651) && codes.contains(&100), "{codes:?}");
    let mut c = recorder(&seeded(12));
    c.faults_mut().set_chance(Some(Op::PortStatus), 651, 0.5);
    assert_ne!(codes, run(&mut c));
}

#[test]
fn the_embedded_control_sets_a_probability_and_refuses_one_above_1() {
    let mut t = Embedded::new(recorder(SITE));
    let ctl = t.control().unwrap();
    assert!(ctl.fault_chance(None, 621, 1.5).is_err());
    ctl.fault_chance(None, 621, 1.0).unwrap();
    assert_eq!(on(t.simulator_mut(), Op::PortStatus, "1", "1"), 621);
    t.control().unwrap().fault(None, 100, None).unwrap();
    assert_eq!(on(t.simulator_mut(), Op::PortStatus, "1", "1"), 100);
}

#[test]
fn a_faulted_stop_leaves_the_recording_running() {
    let mut sim = recorder(SITE);
    on(&mut sim, Op::StartRecording, "1", "1");
    sim.faults_mut().set(Some(Op::StopRecording), 801, Some(1));
    assert_eq!(on(&mut sim, Op::StopRecording, "1", "1"), 801);
    assert!(last_reason(&sim).contains("injected fault"));
    assert_eq!(status(&mut sim, "1"), "RECORD");
    assert!(sim.recordings().unwrap().is_empty());
    assert_eq!(on(&mut sim, Op::StopRecording, "1", "1"), 100);
}

#[test]
fn a_recorder_that_is_down_answers_every_operation_with_the_chosen_code() {
    let mut sim = recorder(SITE);
    sim.faults_mut().set(None, 651, None);
    assert_eq!(
        call(&mut sim, Op::InitStation, &[("Extension", "100")]).code,
        651
    );
    assert_eq!(on(&mut sim, Op::StartRecording, "1", "1"), 651);
    assert_eq!(
        on(&mut sim, Op::StartRecording, "1", "9"),
        611,
        "checks come before faults"
    );
    sim.faults_mut().set(None, 100, None);
    assert_eq!(on(&mut sim, Op::StartRecording, "1", "1"), 100);
}

#[test]
fn a_faulted_start_takes_no_licence_and_no_index() {
    let mut sim = recorder(SITE);
    sim.faults_mut().set(Some(Op::StartRecording), 621, Some(2));
    on(&mut sim, Op::StartRecording, "1", "1");
    on(&mut sim, Op::StartRecording, "1", "2");
    assert_eq!(on(&mut sim, Op::StartRecording, "1", "3"), 100);
    assert_eq!(on(&mut sim, Op::StartRecording, "1", "4"), 100);
}

#[test]
fn a_port_scoped_fault_leaves_other_ports_alone() {
    let mut t = Embedded::new(recorder(SITE));
    t.control()
        .unwrap()
        .fault_at(Some(Op::StartRecording), 618, Some(1), "1", "2")
        .unwrap();
    let sim = t.simulator_mut();
    assert_eq!(on(sim, Op::StartRecording, "1", "1"), 100);
    assert_eq!(on(sim, Op::PortStatus, "1", "3"), 100);
    assert_eq!(on(sim, Op::StartRecording, "1", "2"), 618);
    assert!(last_reason(sim).contains("injected fault"));
    assert_eq!(on(sim, Op::StartRecording, "1", "2"), 100, "used up");
}

#[test]
fn a_scheduled_hold_fires_before_the_first_request_past_its_time() {
    use ecapi::simulator::TelephonyEvent;
    let mut sim = recorder(SITE);
    assert_eq!(on(&mut sim, Op::StartRecording, "1", "1"), 100);
    sim.schedule(30.0, TelephonyEvent::Hold, "1", "1").unwrap();
    sim.advance(29.0).unwrap();
    assert_eq!(status(&mut sim, "1"), "RECORD");
    sim.advance(1.0).unwrap();
    assert_eq!(status(&mut sim, "1"), "SUSPENDED");
    let fired = sim.scheduled();
    assert_eq!(fired.len(), 1);
    assert_eq!(fired[0].outcome, "done");
    // One that cannot happen then is skipped, with the reason kept.
    sim.schedule(0.0, TelephonyEvent::Hold, "1", "1").unwrap();
    assert!(
        sim.scheduled()[1]
            .outcome
            .contains("already has a call on hold"),
        "{:?}",
        sim.scheduled()
    );
    assert!(sim
        .schedule(5.0, TelephonyEvent::Hangup, "1", "99")
        .is_err());
}
