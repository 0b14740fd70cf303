//! The URL player on a served simulator: the link GetURL answers opens a page for the recording,
//! with its unit and port, times, timeline of states, fields and events; an unknown index opens a
//! not-found page.

mod common;
mod recorder_support;

use ecapi::api::{ApiVersion, Operation, Request, Response};
use ecapi::client::{Http, HttpOptions, Transport};
use ecapi::server::Running;
use ecapi::simulator::{DbLocation, RecorderConfig, Simulator};

/// A site without a URL player of its own, so that links point at the server.
const SITE: &str = r#"
licences = 4

[[unit]]
id = 1
ports = "1-4"

[[user]]
extension = "100"
login = "smith"
unit = 1
port = 3
"#;

fn served(toml: &str) -> Running {
    let config = RecorderConfig::from_toml(toml).expect("a valid configuration");
    let sim = Simulator::recorder(
        recorder_support::settings(ApiVersion::V7_1),
        config,
        DbLocation::Memory,
    )
    .expect("a simulator");
    common::serve_sim(sim)
}

fn client(server: &Running) -> Http {
    Http::connect(HttpOptions::new(server.url())).expect("the client connects")
}

fn call(http: &mut Http, op: Operation, params: &[(&str, &str)]) -> Response {
    let mut req = Request::new(op);
    for (name, value) in params {
        req.set_by_name(name, value).expect("a parameter");
    }
    http.call(&req).expect("an answer").response
}

const PORT: &[(&str, &str)] = &[("Unit", "1"), ("Port", "3")];

fn with<'a>(extra: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    PORT.iter().chain(extra).copied().collect()
}

/// GETs a page: status and body.
fn get(url: &str) -> (u16, String) {
    let answer = reqwest::blocking::get(url).expect("the page answers");
    let status = answer.status().as_u16();
    (status, answer.text().expect("a body"))
}

fn advance(http: &mut Http, seconds: f64) {
    http.control().unwrap().advance(seconds).unwrap();
}

/// Records on port 3 through pauses, a hold, fields and events; answers the GetURL link.
fn flow(http: &mut Http) -> String {
    assert_eq!(
        call(http, Operation::InitStation, &[("Extension", "100")]).code,
        100
    );
    assert_eq!(
        call(
            http,
            Operation::StartRecording,
            &with(&[("maxRecordingTimeInSeconds", "0")])
        )
        .code,
        100
    );
    let url = call(http, Operation::GetUrl, PORT)
        .url()
        .expect("a URL")
        .to_string();
    assert_eq!(
        call(
            http,
            Operation::AssignField,
            &with(&[
                ("fieldName", "fldCampaign"),
                ("fieldValue", "<Spring & \"Sale\">")
            ])
        )
        .code,
        100
    );
    advance(http, 30.0);
    assert_eq!(call(http, Operation::PauseRecording, PORT).code, 100);
    advance(http, 12.0);
    assert_eq!(call(http, Operation::ResumeRecording, PORT).code, 100);
    advance(http, 8.0);
    http.control().unwrap().hold("1", "3").unwrap();
    advance(http, 20.0);
    http.control().unwrap().retrieve("1", "3").unwrap();
    assert_eq!(
        call(
            http,
            Operation::LogEvent,
            &with(&[
                ("eventType", "Sale<1>"),
                ("eventTimestamp", "2026-11-23T09:01:10"),
                ("Parm1", "a&b")
            ]),
        )
        .code,
        100
    );
    advance(http, 10.0);
    url
}

#[test]
fn the_get_url_link_opens_a_page_with_the_timeline_fields_and_events_of_a_stopped_recording() {
    let server = served(SITE);
    let mut http = client(&server);
    let url = flow(&mut http);
    assert!(
        url.starts_with(&format!(
            "http://{}/encore/urlplayer.aspx?fldCallIndex=",
            server.addr()
        )),
        "{url}"
    );
    assert_eq!(call(&mut http, Operation::StopRecording, PORT).code, 100);

    let (status, page) = get(&url);
    assert_eq!(status, 200, "{page}");
    for expected in [
        "<tr><th>Unit</th><td>1</td></tr>",
        "<tr><th>Port</th><td>3</td></tr>",
        "<tr><th>Started</th><td>2026-11-23 09:00:00</td></tr>",
        "<tr><th>Stopped</th><td>2026-11-23 09:01:20</td></tr>",
        "<tr><th>Duration</th><td>0:01:20</td></tr>",
        "<tr><th>Ended by</th><td>StopRecording</td></tr>",
        "<tr><th>Recorded</th><td>0:00:48</td></tr>",
        "<tr><th>Paused</th><td>0:00:12</td></tr>",
        "<tr><th>On hold</th><td>0:00:20</td></tr>",
        "<td>RECORD</td><td>recording</td><td>2026-11-23 09:00:00</td><td>2026-11-23 09:00:30</td><td>0:00:30</td>",
        "<td>PAUSE</td><td>paused</td><td>2026-11-23 09:00:30</td><td>2026-11-23 09:00:42</td><td>0:00:12</td>",
        "<td>RECORD</td><td>recording</td><td>2026-11-23 09:00:42</td><td>2026-11-23 09:00:50</td><td>0:00:08</td>",
        "<td>SUSPENDED</td><td>on hold</td><td>2026-11-23 09:00:50</td><td>2026-11-23 09:01:10</td><td>0:00:20</td>",
        "<td>RECORD</td><td>recording</td><td>2026-11-23 09:01:10</td><td>2026-11-23 09:01:20</td><td>0:00:10</td>",
        "<tr><td>fldCampaign</td><td>&lt;Spring &amp; &quot;Sale&quot;&gt;</td></tr>",
        "<td>Sale&lt;1&gt;</td><td>2026-11-23T09:01:10</td>",
        "<td>a&amp;b</td>",
    ] {
        assert!(page.contains(expected), "missing {expected:?} in\n{page}");
    }
    assert!(!page.contains("<Spring"), "an unescaped value in\n{page}");
}

#[test]
fn a_recording_still_running_shows_as_running_until_now() {
    let server = served(SITE);
    let mut http = client(&server);
    let url = flow(&mut http);
    let (status, page) = get(&url);
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("still recording"), "{page}");
    assert!(
        page.contains("<tr><th>Duration</th><td>0:01:20 so far</td></tr>"),
        "{page}"
    );
    assert!(
        page.contains("<td>RECORD</td><td>recording</td><td>2026-11-23 09:01:10</td><td><span class=\"running\">now</span></td><td>0:00:10</td>"),
        "{page}"
    );
    assert!(!page.contains("Ended by"), "{page}");
}

#[test]
fn an_unknown_or_malformed_index_answers_404_with_a_not_found_page() {
    let server = served(SITE);
    let base = format!("http://{}/encore/urlplayer.aspx", server.addr());
    for (query, says) in [
        (
            "?fldCallIndex=999999.9999&siteid=1",
            "No recording has the call index `999999.9999`",
        ),
        (
            "?fldCallIndex=%3Cscript%3E&siteid=1",
            "`&lt;script&gt;` is not a call index",
        ),
        ("?siteid=1", "This link names no recording"),
        ("", "This link names no recording"),
    ] {
        let (status, page) = get(&format!("{base}{query}"));
        assert_eq!(status, 404, "{query}: {page}");
        assert!(
            page.contains("<h1>Recording not found</h1>"),
            "{query}: {page}"
        );
        assert!(page.contains(says), "{query}: {page}");
        assert!(!page.contains("<script>"), "{query}: {page}");
    }
}

/// Starts a recording on port 3 and answers GetURL.
fn get_url(server: &Running) -> Response {
    let mut http = client(server);
    assert_eq!(
        call(
            &mut http,
            Operation::StartRecording,
            &with(&[("maxRecordingTimeInSeconds", "0")])
        )
        .code,
        100
    );
    call(&mut http, Operation::GetUrl, PORT)
}

#[test]
fn a_configured_url_player_gives_way_to_the_servers_own_so_that_links_open() {
    let server = served(&format!(
        "url_player = \"https://encore.example.com\"\n{SITE}"
    ));
    let url = get_url(&server).url().unwrap().to_string();
    assert!(
        url.starts_with(&format!(
            "http://{}/encore/urlplayer.aspx?fldCallIndex=",
            server.addr()
        )),
        "{url}"
    );
    let (status, page) = get(&url);
    assert_eq!(status, 200, "{page}");
}

#[test]
fn a_configured_url_player_used_when_served_keeps_its_links() {
    let server = served(&format!(
        "url_player = \"https://encore.example.com\"\nurl_player_when_served = true\n{SITE}"
    ));
    let url = get_url(&server).url().unwrap().to_string();
    assert!(
        url.starts_with("https://encore.example.com/encore/urlplayer.aspx?fldCallIndex="),
        "{url}"
    );
}

#[test]
fn no_url_player_used_when_served_answers_658_as_embedded() {
    let server = served(&format!("url_player_when_served = true\n{SITE}"));
    let answer = get_url(&server);
    assert_eq!(answer.code, 658);
    assert_eq!(answer.url(), None);
}

#[test]
fn the_hosted_profile_serves_the_page_of_its_recordings_too() {
    let server = common::serve(ApiVersion::V7_1);
    let mut http = client(&server);
    let port = &[("Unit", "1"), ("Port", "7")];
    assert_eq!(
        call(
            &mut http,
            Operation::StartRecording,
            &[
                ("Unit", "1"),
                ("Port", "7"),
                ("maxRecordingTimeInSeconds", "0")
            ]
        )
        .code,
        100
    );
    let link = call(&mut http, Operation::GetUrl, port)
        .url()
        .unwrap()
        .to_string();
    // The hosted service's links name the vendor's player; the same path is served here.
    let (_, query) = link.split_once('?').unwrap();
    assert_eq!(call(&mut http, Operation::StopRecording, port).code, 100);
    let (status, page) = get(&format!(
        "http://{}/encore/urlplayer.aspx?{query}",
        server.addr()
    ));
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("<tr><th>Port</th><td>7</td></tr>"), "{page}");
}

#[test]
fn the_page_lists_the_desktop_segments_that_overlap_the_recording_and_sim_desktops_shows_them() {
    let server = served(&SITE.replace("port = 3\n", "port = 3\ndesktop = true\n"));
    let mut http = client(&server);
    // A segment of the desktop closes before the call: it does not overlap.
    advance(&mut http, 650.0);
    assert_eq!(
        call(&mut http, Operation::InitStation, &[("Extension", "100")]).code,
        100
    );
    assert_eq!(
        call(
            &mut http,
            Operation::StartRecording,
            &with(&[("maxRecordingTimeInSeconds", "0")])
        )
        .code,
        100
    );
    let url = call(&mut http, Operation::GetUrl, PORT)
        .url()
        .expect("a URL")
        .to_string();
    advance(&mut http, 600.0);
    assert_eq!(call(&mut http, Operation::StopRecording, PORT).code, 100);
    advance(&mut http, 700.0);

    let desktops = http.control().unwrap().desktops().unwrap();
    assert_eq!(desktops.len(), 1, "{desktops:#?}");
    let smith = &desktops[0];
    assert_eq!(
        (
            &smith["login"],
            &smith["state"],
            &smith["unit"],
            &smith["port"]
        ),
        (
            &serde_json::json!("smith"),
            &serde_json::json!("RECORD"),
            &serde_json::json!("1"),
            &serde_json::json!("3")
        )
    );
    let segments = smith["segments"].as_array().unwrap();
    // 0-600, 600-1200, 1200-1800, and the open one from 1800 (the clock is at 1950).
    assert_eq!(segments.len(), 4, "{segments:#?}");
    assert!(segments[..3]
        .iter()
        .all(|s| s["open"] == false && s["ended"].is_string()));
    assert_eq!(segments[3]["open"], true);
    assert!(segments[3]["ended"].is_null());

    let (status, page) = get(&url);
    assert_eq!(status, 200, "{page}");
    let section = page.split("<h2>Desktop</h2>").nth(1).expect(&page);
    // The call ran from 650 s to 1250 s: the segments 600-1200 and 1200-1800 overlap it.
    assert_eq!(
        section.matches("<tr><td>smith</td>").count(),
        2,
        "{section}"
    );
}

#[test]
fn the_player_page_shows_the_audits_findings_and_a_link_opened_while_recording_is_url_too_early() {
    let server = served(SITE);
    let mut http = client(&server);
    assert_eq!(
        call(&mut http, Operation::InitStation, &[("Extension", "100")]).code,
        100
    );
    assert_eq!(
        call(
            &mut http,
            Operation::StartRecording,
            &with(&[("maxRecordingTimeInSeconds", "0")])
        )
        .code,
        100
    );
    let url = call(&mut http, Operation::GetUrl, PORT)
        .url()
        .expect("a URL")
        .to_string();
    let card = [
        ("fieldName", "fldCampaign"),
        ("fieldValue", "4111111111111111"),
    ];
    assert_eq!(
        call(&mut http, Operation::AssignField, &with(&card)).code,
        100
    );
    // Opened while the recording still runs.
    let (status, page) = get(&url);
    assert_eq!(status, 200);
    assert!(page.contains("<h2>Audit findings</h2>"), "{page}");
    assert!(page.contains("error[card-data]"), "{page}");
    assert!(page.contains("warning[url-too-early]"), "{page}");
    assert!(page.contains("411111******1111"), "{page}");
    assert!(
        !page.contains("4111111111111111"),
        "the card number in clear: {page}"
    );
    let findings = http.control().unwrap().findings().unwrap();
    let rules: Vec<&str> = findings.iter().filter_map(|f| f["rule"].as_str()).collect();
    assert_eq!(rules, ["card-data", "url-too-early"]);
    // After the stop the link is fine: no second url-too-early.
    assert_eq!(call(&mut http, Operation::StopRecording, PORT).code, 100);
    let (_, page) = get(&url);
    assert_eq!(page.matches("url-too-early").count(), 1, "{page}");
    assert_eq!(http.control().unwrap().findings().unwrap().len(), 2);
}
