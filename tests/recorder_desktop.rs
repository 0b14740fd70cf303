//! DesktopPause and DesktopResume in the recorder profile: 662, 663, 664, 665.

mod recorder_support;

use ecapi::api::{ApiVersion, Operation as Op};
use ecapi::api::{Request, RequestError};
use recorder_support::*;

fn desktop(sim: &mut ecapi::simulator::Simulator, op: Op, user: &str) -> u16 {
    call(sim, op, &[("User", user)]).code
}

#[test]
fn an_empty_user_answers_662() {
    let mut sim = recorder(SITE);
    assert_eq!(desktop(&mut sim, Op::DesktopPause, ""), 662);
    assert_eq!(desktop(&mut sim, Op::DesktopResume, " "), 662);
}

#[test]
fn an_unknown_user_or_one_without_desktop_recording_answers_663() {
    let mut sim = recorder(SITE);
    assert_eq!(desktop(&mut sim, Op::DesktopPause, "nobody"), 663);
    assert!(last_reason(&sim).contains("not in the directory"));
    assert_eq!(desktop(&mut sim, Op::DesktopPause, "jones"), 663);
    assert!(last_reason(&sim).contains("desktop recording off"));
}

#[test]
fn a_desktop_starts_recording_so_resume_answers_665() {
    let mut sim = recorder(SITE);
    assert_eq!(desktop(&mut sim, Op::DesktopResume, "CORP\\Smith"), 665);
}

#[test]
fn pause_twice_answers_664_and_resume_after_pause_answers_100() {
    let mut sim = recorder(SITE);
    assert_eq!(desktop(&mut sim, Op::DesktopPause, "CORP\\Smith"), 100);
    assert_eq!(desktop(&mut sim, Op::DesktopPause, "corp\\smith"), 664);
    assert_eq!(desktop(&mut sim, Op::DesktopResume, "CORP\\SMITH"), 100);
    assert_eq!(desktop(&mut sim, Op::DesktopResume, "CORP\\Smith"), 665);
}

#[test]
fn the_desktop_operations_do_not_exist_under_7_0() {
    let mut sim = recorder_api(SITE, ApiVersion::V7_0);
    let err = sim.handle(&Request::new(Op::DesktopPause)).unwrap_err();
    assert!(matches!(err, RequestError::NotInVersion { .. }));
}
