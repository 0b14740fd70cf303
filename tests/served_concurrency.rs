//! Many clients driving different ports of a served recorder at once: licences are never
//! over-committed, and every acknowledged recording is kept exactly once.

mod common;
mod recorder_support;

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Barrier};
use std::thread;

use ecapi::api::{ApiVersion, Operation, Request, Response};
use ecapi::client::{Http, HttpOptions, Transport};
use ecapi::simulator::{DbLocation, RecorderConfig, Simulator};

const PORTS: usize = 12;
const LICENCES: usize = 5;
const ROUNDS: usize = 15;

fn call(http: &mut Http, op: Operation, params: &[(&str, &str)]) -> Response {
    let mut req = Request::new(op);
    for (name, value) in params {
        req.set_by_name(name, value).expect("a parameter");
    }
    http.call(&req).expect("an answer").response
}

/// What one client saw.
#[derive(Debug, Default)]
struct Tally {
    /// Starts answered 100 in the first round, when every client starts before any stops.
    first_round_starts: usize,
    /// Starts answered 618 (no licence).
    refused: usize,
    /// Recordings whose Stop was answered 100: index, port, campaign.
    stopped: Vec<(String, u32, String)>,
}

#[test]
fn many_clients_on_different_ports_never_over_commit_licences_nor_lose_or_duplicate_a_recording() {
    let config = RecorderConfig::from_toml(&format!(
        "licences = {LICENCES}\n[[unit]]\nid = 1\nports = \"1-{PORTS}\"\n"
    ))
    .expect("a valid configuration");
    let sim = Simulator::recorder(
        recorder_support::settings(ApiVersion::V7_1),
        config,
        DbLocation::Memory,
    )
    .expect("a simulator");
    let server = common::serve_sim(sim);
    let url = server.url();

    // Recordings a client holds between Start answered 100 and Stop sent: each of them is running
    // on the server at that moment, so the count never exceeds the server's own.
    let holding = Arc::new(AtomicUsize::new(0));
    let most_held = Arc::new(AtomicUsize::new(0));
    let everyone_started = Arc::new(Barrier::new(PORTS));

    let clients: Vec<_> = (1..=PORTS as u32)
        .map(|port| {
            let url = url.clone();
            let (holding, most_held) = (holding.clone(), most_held.clone());
            let everyone_started = everyone_started.clone();
            thread::spawn(move || {
                let mut http = Http::connect(HttpOptions::new(url)).expect("the client connects");
                let port_text = port.to_string();
                let at = [("Unit", "1"), ("Port", port_text.as_str())];
                let mut tally = Tally::default();
                for round in 0..ROUNDS {
                    let start = call(
                        &mut http,
                        Operation::StartRecording,
                        &[at[0], at[1], ("maxRecordingTimeInSeconds", "0")],
                    );
                    let started = match start.code {
                        100 => true,
                        618 => false,
                        other => panic!("port {port}: StartRecording answered {other}"),
                    };
                    if started {
                        let now = holding.fetch_add(1, Ordering::SeqCst) + 1;
                        most_held.fetch_max(now, Ordering::SeqCst);
                    } else {
                        tally.refused += 1;
                    }
                    if round == 0 {
                        tally.first_round_starts = usize::from(started);
                        // Nobody stops until everybody has tried: exactly the licences succeed.
                        everyone_started.wait();
                    }
                    if !started {
                        continue;
                    }
                    let campaign = format!("p{port}r{round}");
                    let assign = call(
                        &mut http,
                        Operation::AssignField,
                        &[
                            at[0],
                            at[1],
                            ("fieldName", "fldCampaign"),
                            ("fieldValue", &campaign),
                        ],
                    );
                    assert_eq!(assign.code, 100, "port {port}: {assign:?}");
                    let link = call(&mut http, Operation::GetUrl, &at);
                    assert_eq!(link.code, 100, "port {port}: {link:?}");
                    let link = link.url().expect("a URL").to_string();
                    let index = link
                        .split_once("fldCallIndex=")
                        .and_then(|(_, rest)| rest.split('&').next())
                        .expect("an index in the link")
                        .to_string();
                    holding.fetch_sub(1, Ordering::SeqCst);
                    let stop = call(&mut http, Operation::StopRecording, &at);
                    assert_eq!(stop.code, 100, "port {port}: {stop:?}");
                    tally.stopped.push((index, port, campaign));
                }
                tally
            })
        })
        .collect();
    let tallies: Vec<Tally> = clients
        .into_iter()
        .map(|c| c.join().expect("a client finished"))
        .collect();

    assert_eq!(
        tallies.iter().map(|t| t.first_round_starts).sum::<usize>(),
        LICENCES,
        "with every port starting at once, exactly the licences succeed"
    );
    let most = most_held.load(Ordering::SeqCst);
    assert!(
        most <= LICENCES,
        "{most} recordings ran at once with {LICENCES} licences"
    );
    let acknowledged: Vec<&(String, u32, String)> =
        tallies.iter().flat_map(|t| &t.stopped).collect();
    let refused: usize = tallies.iter().map(|t| t.refused).sum();
    assert_eq!(acknowledged.len() + refused, PORTS * ROUNDS);

    let sim = server.simulator();
    let kept = sim
        .lock()
        .unwrap()
        .simulator_mut()
        .recordings()
        .expect("the database reads");
    assert_eq!(
        kept.len(),
        acknowledged.len(),
        "kept and acknowledged differ"
    );
    let indexes: BTreeSet<&str> = kept.iter().map(|r| r.index.as_str()).collect();
    assert_eq!(indexes.len(), kept.len(), "an index was handed out twice");
    let mut kept: Vec<(String, u32, String)> = kept
        .into_iter()
        .map(|r| {
            let campaign = r.field("fldCampaign").unwrap_or_default().to_string();
            (r.index, r.port, campaign)
        })
        .collect();
    let mut acknowledged: Vec<(String, u32, String)> = acknowledged.into_iter().cloned().collect();
    kept.sort();
    acknowledged.sort();
    assert_eq!(kept, acknowledged);
    // Every licence is back: five new recordings start, and a sixth finds none.
    drop(sim);
    let mut http = Http::connect(HttpOptions::new(url)).unwrap();
    for port in 1..=LICENCES {
        let port = port.to_string();
        let start = call(
            &mut http,
            Operation::StartRecording,
            &[
                ("Unit", "1"),
                ("Port", &port),
                ("maxRecordingTimeInSeconds", "0"),
            ],
        );
        assert_eq!(start.code, 100, "port {port}: {start:?}");
    }
    let sixth = call(
        &mut http,
        Operation::StartRecording,
        &[
            ("Unit", "1"),
            ("Port", "12"),
            ("maxRecordingTimeInSeconds", "0"),
        ],
    );
    assert_eq!(sixth.code, 618, "{sixth:?}");
}
