//! Simulated time costs what it shows: a served recorder with two desktop users moves its clock by
//! a hundred years at a time in constant time and memory, its SOAP endpoint keeps answering while
//! the control interface works, and the desktops listing stays bounded.

mod common;
mod recorder_support;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use ecapi::api::{ApiVersion, Operation, Request};
use ecapi::client::{Http, HttpOptions, Transport};
use ecapi::simulator::{
    DbLocation, RecorderConfig, Simulator, MAX_ADVANCE_SECONDS, SEGMENTS_LISTED,
};

const SITE: &str = r#"
licences = 4

[[unit]]
id = 1
ports = "1-4"

[[user]]
extension = "100"
login = "smith"
unit = 1
port = 1
desktop = true

[[user]]
extension = "200"
login = "jones"
unit = 1
port = 2
desktop = true
"#;

/// The longest a SOAP answer may take while the clock is moved: far above its usual few
/// milliseconds, far below the minutes a century of stored segments took.
const PROBE_DEADLINE: Duration = Duration::from_secs(3);

/// The resident set of this process, in KiB (Linux).
#[cfg(target_os = "linux")]
fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap()
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmRSS in /proc/self/status")
}

#[test]
fn centuries_of_advance_with_two_desktop_users_take_bounded_time_and_memory_while_soap_answers() {
    let dir = tempfile::tempdir().unwrap();
    let config = RecorderConfig::from_toml(SITE).unwrap();
    let sim = Simulator::recorder(
        recorder_support::settings(ApiVersion::V7_1),
        config,
        DbLocation::File(dir.path().join("rec.db")),
    )
    .unwrap();
    let server = common::serve_sim(sim);
    #[cfg(target_os = "linux")]
    let rss_before = rss_kib();

    let done = Arc::new(AtomicBool::new(false));
    let url = server.url();
    let mover = {
        let done = done.clone();
        std::thread::spawn(move || {
            let mut http = Http::connect(HttpOptions::new(url)).unwrap();
            // From 2026 to past 9000: seventy moves of a century each, a pause and resume between.
            for i in 0..70 {
                http.control()
                    .unwrap()
                    .advance(MAX_ADVANCE_SECONDS)
                    .unwrap();
                if i == 35 {
                    for op in [Operation::DesktopPause, Operation::DesktopResume] {
                        let mut req = Request::new(op);
                        req.set_by_name("User", "jones").unwrap();
                        assert_eq!(http.call(&req).unwrap().response.code, 100);
                    }
                }
            }
            done.store(true, Ordering::SeqCst);
        })
    };

    let mut http = Http::connect(HttpOptions::new(server.url())).unwrap();
    let mut probes = 0;
    let mut slowest = Duration::ZERO;
    while !done.load(Ordering::SeqCst) || probes < 5 {
        let mut req = Request::new(Operation::PortStatus);
        req.set_by_name("Unit", "1").unwrap();
        req.set_by_name("Port", "1").unwrap();
        let asked = Instant::now();
        let answer = http
            .call(&req)
            .expect("PortStatus answers during the advance");
        slowest = slowest.max(asked.elapsed());
        assert_eq!(answer.response.code, 100);
        probes += 1;
    }
    mover.join().unwrap();
    assert!(
        slowest < PROBE_DEADLINE,
        "the slowest of {probes} SOAP probes took {slowest:?}"
    );

    let desktops = http.control().unwrap().desktops().unwrap();
    assert_eq!(desktops.len(), 2, "{desktops:#?}");
    for d in &desktops {
        let segments = d["segments"].as_array().unwrap();
        assert_eq!(segments.len(), SEGMENTS_LISTED, "{}", d["login"]);
        assert_eq!(segments.last().unwrap()["open"], true);
        let total = d["segments_total"].as_u64().unwrap();
        // Seventy centuries of ten-minute segments, give or take the pause.
        let expected = (70.0 * MAX_ADVANCE_SECONDS / 600.0) as u64;
        assert!(
            total.abs_diff(expected) <= 2,
            "{}: {total} segments, {expected} expected",
            d["login"]
        );
    }
    #[cfg(target_os = "linux")]
    {
        let grown = rss_kib().saturating_sub(rss_before);
        assert!(grown < 64 * 1024, "RSS grew by {grown} KiB");
    }
}
