//! The URL player page: what a GetURL link opens on a served simulator.
//!
//! A real Encore system plays the recording at `/encore/urlplayer.aspx?fldCallIndex=…&siteid=1`. A
//! simulator has no audio, so its page shows what it knows of the recording instead: unit and port,
//! start and stop, duration, the timeline of states (pauses and holds with their times and
//! durations), the fields assigned and the events logged while it ran. It is plain server-rendered
//! HTML; every value that came from a client is escaped. The data is read through the simulator
//! ([`crate::simulator::Simulator::recording`], [`crate::simulator::Simulator::events_of`]); this module only writes HTML.
//!
//! Opening a link counts for the audit (`url-too-early` when the recording still runs), and the
//! page lists the audit's findings for the recording's port while it ran; a card number in a field
//! is shown masked, as everywhere ecapi prints one.

use std::fmt::Write as _;

use chrono::NaiveDateTime;

use crate::audit::Finding;
use crate::client::Embedded;
use crate::simulator::{
    DesktopView, Event, Recording, SegmentView, SegmentWindow, SimError, SEGMENTS_LISTED,
};

/// The player's path, as GetURL writes it.
pub const PATH: &str = "/encore/urlplayer.aspx";

/// The query parameter naming the recording.
pub(super) const INDEX_PARAM: &str = "fldCallIndex";

/// The query parameter carrying a keyed link's key (see [`super::secret::LinkKeys`]).
pub(super) const KEY_PARAM: &str = "key";

/// What the player answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Page {
    /// The recording's page.
    Found(String),
    /// No recording has that index, or the link names none: a not-found page.
    NotFound(String),
}

/// Answers a request for the player with the query string it came with.
pub fn page(embedded: &mut Embedded, query: Option<&str>) -> Result<Page, SimError> {
    let sim = embedded.simulator_mut();
    let index = query.and_then(|q| param(q, INDEX_PARAM));
    let index = match index {
        Some(index) if is_call_index(&index) => index,
        Some(index) => {
            return Ok(Page::NotFound(not_found(&format!(
                "`{index}` is not a call index: a call index is digits, a dot and digits, as \
                 GetURL writes it."
            ))))
        }
        None => {
            return Ok(Page::NotFound(not_found(&format!(
                "This link names no recording: the player needs {INDEX_PARAM}=<call index>, as \
                 GetURL writes it."
            ))))
        }
    };
    let Some(recording) = sim.recording(&index)? else {
        return Ok(Page::NotFound(not_found(&format!(
            "No recording has the call index `{index}` on this simulator: it was never started \
             here, or it was cancelled (a cancelled recording is not kept)."
        ))));
    };
    let events = sim.events_of(&index)?;
    // Only the segments that overlap the recording: a listing's latest segments may all be later.
    let desktops = sim.desktops_in(&SegmentWindow {
        from: Some(recording.started),
        to: Some(recording.stopped.unwrap_or_else(|| sim.clock().now())),
        limit: SEGMENTS_LISTED,
    })?;
    let now = sim.clock().now();
    let opened = embedded.auditor_mut().player_opened(
        now.and_utc(),
        None,
        &index,
        recording.stopped.is_some(),
    );
    embedded.keep(&opened);
    let findings = findings_of(embedded, &recording, now);
    let mut html = render(&recording, &events, &desktops, now);
    if !findings.is_empty() {
        let end = html.rfind("</body>").unwrap_or(html.len());
        html.insert_str(end, &findings_section(&findings));
    }
    Ok(Page::Found(html))
}

/// The audit's findings for the recording's unit and port from its start to its stop (or now),
/// and those about opening its link.
fn findings_of(embedded: &mut Embedded, rec: &Recording, now: NaiveDateTime) -> Vec<Finding> {
    let port = format!("{}/{}", rec.unit, rec.port);
    let (from, to) = (rec.started.and_utc(), rec.stopped.unwrap_or(now).and_utc());
    embedded
        .findings()
        .filter(|f| {
            let at = chrono::DateTime::parse_from_rfc3339(&f.time).map(|t| t.to_utc());
            let during = at.is_ok_and(|t| t >= from && t <= to);
            (f.port.as_deref() == Some(port.as_str()) && during)
                || (f.rule == crate::audit::RuleId::UrlTooEarly
                    && f.message.contains(&format!("recording {} ", rec.index)))
        })
        .cloned()
        .collect()
}

/// The findings as a section: each with its rule, message, exchanges and the guide's words.
fn findings_section(findings: &[Finding]) -> String {
    let mut html = String::from("<h2>Audit findings</h2>\n<table class=\"findings\">\n<tr><th>Rule</th><th>Finding</th><th>Exchanges</th><th>The guide</th></tr>\n");
    for f in findings {
        let rule = f.catalogue();
        let seen: Vec<String> = f
            .exchanges
            .iter()
            .map(|s| match s.seq {
                // Not an exchange of the Web API (the player page itself).
                0 => escape(&s.line),
                seq => escape(&format!("#{seq} {}", s.line)),
            })
            .collect();
        let _ = writeln!(
            html,
            "<tr><td class=\"{}\">{}[{}]</td><td>{}</td><td>{}</td><td>“{}” ({})<br>{}</td></tr>",
            f.severity,
            f.severity,
            f.rule,
            escape(&f.message),
            seen.join("<br>"),
            escape(rule.quote),
            escape(rule.source),
            escape(rule.advice),
        );
    }
    html.push_str("</table>\n");
    html
}

/// A query parameter's value, percent-decoded; names compare without regard to case, as the
/// Windows server a real player runs on compares them.
pub(super) fn param(query: &str, name: &str) -> Option<String> {
    query.split('&').find_map(|pair| {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        decode(key)
            .eq_ignore_ascii_case(name)
            .then(|| decode(value))
    })
}

/// Decodes `%XX` escapes and `+` in a query component; a malformed escape stays as written.
fn decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3])
                    .ok()
                    .and_then(|h| u8::from_str_radix(h, 16).ok());
                match hex {
                    Some(b) => {
                        out.push(b);
                        i += 2;
                    }
                    None => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Digits, a dot, digits: the shape of every index the simulator hands out.
fn is_call_index(text: &str) -> bool {
    match text.split_once('.') {
        Some((a, b)) => {
            !a.is_empty()
                && !b.is_empty()
                && a.bytes().all(|c| c.is_ascii_digit())
                && b.bytes().all(|c| c.is_ascii_digit())
        }
        None => false,
    }
}

/// Escapes text for HTML content and attribute values (the one page writer's escaping,
/// [`crate::page::escape`]).
pub fn escape(text: &str) -> String {
    crate::page::escape(text)
}

fn time(t: NaiveDateTime) -> String {
    t.format("%Y-%m-%d %H:%M:%S").to_string()
}

/// A duration as `H:MM:SS`, from milliseconds (rounded down to the second).
fn duration(ms: i64) -> String {
    let s = ms.max(0) / 1000;
    format!("{}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
}

/// What a state means, in words.
fn meaning(state: &str) -> &'static str {
    match state {
        "RECORD" => "recording",
        "PAUSE" => "paused",
        "SUSPENDED" => "on hold",
        "NOT RECORDING" => "stopped",
        _ => "",
    }
}

const STYLE: &str = "body{font-family:sans-serif;margin:2em;max-width:60em}\
table{border-collapse:collapse;margin-bottom:1.5em}\
th,td{border:1px solid #bbb;padding:.25em .6em;text-align:left}\
th{background:#eee}.PAUSE{background:#fff4cc}.SUSPENDED{background:#dde8ff}\
.running{color:#b00;font-weight:bold}.error{color:#b00;font-weight:bold}.warning{color:#a60}";

fn head(title: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>{}</title>\n\
         <style>{STYLE}</style>\n</head>\n<body>\n",
        escape(title)
    )
}

/// The page of a recording, as of `now` (the simulator's clock) for one still running. Of the
/// `desktops`, those of the user whose phone is the recording's unit and port show the segments
/// that overlap the recording.
pub fn render(
    rec: &Recording,
    events: &[Event],
    desktops: &[DesktopView],
    now: NaiveDateTime,
) -> String {
    let index = escape(&rec.index);
    let mut html = head(&format!("Recording {}", rec.index));
    let _ = writeln!(html, "<h1>Recording {index}</h1>");
    let end = rec.stopped.unwrap_or(now);
    let _ = writeln!(html, "<table class=\"summary\">");
    let row = |html: &mut String, name: &str, value: &str| {
        let _ = writeln!(html, "<tr><th>{name}</th><td>{value}</td></tr>");
    };
    row(&mut html, "Call index", &index);
    row(&mut html, "Unit", &escape(&rec.unit));
    row(&mut html, "Port", &rec.port.to_string());
    row(&mut html, "Started", &time(rec.started));
    match rec.stopped {
        Some(stopped) => row(&mut html, "Stopped", &time(stopped)),
        None => row(
            &mut html,
            "Stopped",
            "<span class=\"running\">still recording</span>",
        ),
    }
    let total = (end - rec.started).num_milliseconds();
    row(
        &mut html,
        "Duration",
        &if rec.stopped.is_some() {
            duration(total)
        } else {
            format!("{} so far", duration(total))
        },
    );
    if let Some(by) = &rec.ended_by {
        row(&mut html, "Ended by", &escape(by));
    }
    // Time spent in each state, from the timeline below.
    let mut spent = [("RECORD", 0i64), ("PAUSE", 0), ("SUSPENDED", 0)];
    let stretches = timeline(rec, now);
    for (state, from, to) in &stretches {
        if let Some(slot) = spent.iter_mut().find(|(s, _)| s == state) {
            slot.1 += (*to - *from).num_milliseconds();
        }
    }
    row(&mut html, "Recorded", &duration(spent[0].1));
    row(&mut html, "Paused", &duration(spent[1].1));
    row(&mut html, "On hold", &duration(spent[2].1));
    let _ = writeln!(html, "</table>");

    let _ = writeln!(html, "<h2>Timeline</h2>");
    let _ = writeln!(
        html,
        "<table class=\"timeline\">\n<tr><th>State</th><th></th><th>From</th><th>To</th><th>Duration</th></tr>"
    );
    let last = stretches.len().saturating_sub(1);
    for (i, (state, from, to)) in stretches.iter().enumerate() {
        let running = rec.stopped.is_none() && i == last;
        let _ = writeln!(
            html,
            "<tr class=\"{state}\"><td>{state}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            meaning(state),
            time(*from),
            if running {
                "<span class=\"running\">now</span>".to_string()
            } else {
                time(*to)
            },
            duration((*to - *from).num_milliseconds()),
        );
    }
    let _ = writeln!(html, "</table>");

    let _ = writeln!(html, "<h2>Fields</h2>");
    if rec.fields.is_empty() {
        let _ = writeln!(html, "<p>No field was assigned.</p>");
    } else {
        let _ = writeln!(
            html,
            "<table class=\"fields\">\n<tr><th>Column</th><th>Value</th></tr>"
        );
        for (name, value) in &rec.fields {
            let _ = writeln!(
                html,
                "<tr><td>{}</td><td>{}</td></tr>",
                escape(name),
                escape(&crate::audit::card::mask(value))
            );
        }
        let _ = writeln!(html, "</table>");
    }

    let _ = writeln!(html, "<h2>Events</h2>");
    if events.is_empty() {
        let _ = writeln!(html, "<p>No event was logged during this recording.</p>");
    } else {
        let _ = writeln!(
            html,
            "<table class=\"events\">\n<tr><th>Logged</th><th>Type</th><th>Timestamp</th>\
             <th>User</th><th>Machine</th><th>Parm1</th><th>Parm2</th><th>Parm3</th></tr>"
        );
        for e in events {
            let _ = writeln!(
                html,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                time(e.logged),
                escape(&e.event_type),
                escape(&e.timestamp),
                escape(&e.user),
                escape(&e.machine),
                escape(&e.parm1),
                escape(&e.parm2),
                escape(&e.parm3),
            );
        }
        let _ = writeln!(html, "</table>");
    }
    desktop_section(&mut html, rec, desktops, now);
    html.push_str("</body>\n</html>\n");
    html
}

/// The desktop segments of the recording's user that overlap the recording; nothing when the
/// port's user has no recorded desktop.
fn desktop_section(
    html: &mut String,
    rec: &Recording,
    desktops: &[DesktopView],
    now: NaiveDateTime,
) {
    let port = rec.port.to_string();
    let end = rec.stopped.unwrap_or(now);
    let mine: Vec<&DesktopView> = desktops
        .iter()
        .filter(|d| {
            d.unit.as_deref() == Some(rec.unit.as_str()) && d.port.as_deref() == Some(&port)
        })
        .collect();
    if mine.is_empty() {
        return;
    }
    let _ = writeln!(html, "<h2>Desktop</h2>");
    let overlapping: Vec<(&str, &SegmentView)> = mine
        .iter()
        .flat_map(|d| d.segments.iter().map(move |s| (d.login.as_str(), s)))
        .filter(|(_, s)| s.started < end && s.ended.unwrap_or(now) > rec.started)
        .collect();
    if overlapping.is_empty() {
        let _ = writeln!(
            html,
            "<p>No desktop segment of {} overlaps this recording.</p>",
            escape(&mine[0].login)
        );
        return;
    }
    let _ = writeln!(
        html,
        "<table class=\"desktop\">\n<tr><th>Login</th><th>From</th><th>To</th><th>Duration</th></tr>"
    );
    for (login, s) in overlapping {
        let to = s.ended.unwrap_or(now);
        let _ = writeln!(
            html,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            escape(login),
            time(s.started),
            if s.open {
                "<span class=\"running\">recording</span>".to_string()
            } else {
                time(to)
            },
            duration((to - s.started).num_milliseconds()),
        );
    }
    let _ = writeln!(html, "</table>");
}

/// The stretches of a recording's states: state, from, to. The NOT RECORDING that ends a stopped
/// recording is its end, not a stretch; a running recording's last state lasts until `now`.
fn timeline(
    rec: &Recording,
    now: NaiveDateTime,
) -> Vec<(&'static str, NaiveDateTime, NaiveDateTime)> {
    let end = rec.stopped.unwrap_or(now);
    rec.states
        .iter()
        .enumerate()
        .filter(|(_, s)| s.state != "NOT RECORDING")
        .map(|(i, s)| {
            let to = rec.states.get(i + 1).map(|n| n.at).unwrap_or(end);
            (s.state, s.at, to)
        })
        .collect()
}

/// The page for a link that names no known recording.
pub fn not_found(why: &str) -> String {
    let mut html = head("Recording not found");
    let _ = writeln!(
        html,
        "<h1>Recording not found</h1>\n<p>{}</p>\n</body>\n</html>",
        escape(why)
    );
    html
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::simulator::StateChange;

    fn at(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S").unwrap()
    }

    #[test]
    fn query_values_are_found_without_regard_to_case_and_decoded() {
        assert_eq!(
            param("siteid=1&FLDCALLINDEX=12%2E5+x", INDEX_PARAM).as_deref(),
            Some("12.5 x")
        );
        assert_eq!(param("siteid=1", INDEX_PARAM), None);
        assert_eq!(decode("100%"), "100%");
        assert_eq!(decode("%zz%41"), "%zzA");
    }

    #[test]
    fn only_digits_dot_digits_is_a_call_index() {
        assert!(is_call_index("235000.0001"));
        for bad in ["", "12", ".5", "5.", "1.2.3", "1a.2", "<b>.1"] {
            assert!(!is_call_index(bad), "{bad}");
        }
    }

    #[test]
    fn a_running_recording_shows_its_last_state_lasting_until_now() {
        let rec = Recording {
            index: "1.0001".to_string(),
            unit: "1".to_string(),
            port: 3,
            started: at("2026-11-23 10:00:00"),
            stopped: None,
            fields: Vec::new(),
            states: vec![
                StateChange {
                    state: "RECORD",
                    at: at("2026-11-23 10:00:00"),
                },
                StateChange {
                    state: "SUSPENDED",
                    at: at("2026-11-23 10:00:30"),
                },
            ],
            ended_by: None,
        };
        let html = render(&rec, &[], &[], at("2026-11-23 10:01:45"));
        assert!(html.contains("still recording"), "{html}");
        assert!(html.contains("0:01:45 so far"), "{html}");
        assert!(
            html.contains("<td>SUSPENDED</td><td>on hold</td><td>2026-11-23 10:00:30</td><td><span class=\"running\">now</span></td><td>0:01:15</td>"),
            "{html}"
        );
    }
}
