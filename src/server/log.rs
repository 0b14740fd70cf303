//! The request log: one line per request (and one per connection that ends in a transport
//! failure), as text or as JSON, written by `tracing` off the request path.
//!
//! Each server owns its line queue ([`crate::line_queue`], `tracing-appender`'s non-blocking
//! writer): a request only formats its line and hands it to a channel; a writer thread does the
//! write. Dropping the log flushes what is queued. A text line is written here, once, in the
//! layout of `tracing-subscriber`'s text format (its UTC timestamp with microseconds, then the
//! facts); JSON lines go through a `tracing` dispatcher of their own (no global subscriber, so a
//! process may run several servers, as the tests do). Formatting the text line through `tracing`
//! cost more than the rest of the answer but the reader: its fields were written out, then copied
//! again one character at a time through the subscriber's escaping writer (benches/README.md).
//!
//! Bounded: a line never holds more than [`MAX_FIELD_BYTES`] of any one field (the method, the
//! path and query, the summary, a connection's failure), cut with `…(+N bytes)`, control
//! characters escaped, so a request's size never multiplies into its line. When the writer stalls
//! (standard error a pipe nobody reads), at most [`crate::line_queue::QUEUE_LINES`] lines wait in the
//! channel (and [`crate::line_queue::WRITE_BUFFER`] bytes in the writer's buffer) and the next are dropped, counted, rather than hold memory or requests; the first line that gets
//! through again is followed by `log: N lines dropped while the log writer was stalled`
//! ([`crate::line_queue`]).
//!
//! The facts of a line: the peer, the method, the path and query, the status, a summary of what
//! the request came to (the operation and its response code, a fault, a refusal, with any wire
//! notes), and the time to answer in milliseconds.

use std::borrow::Cow;
use std::fmt::Display;
use std::io::Write;
use std::net::SocketAddr;
use std::time::Duration;

use tracing::Dispatch;

use crate::line_queue::LineQueue;

/// The most bytes of one field a log line holds (UTF-8, cut on a character boundary).
pub const MAX_FIELD_BYTES: usize = 512;

/// A field as logged: its secrets masked ([`crate::secrets::mask`]: the server's basic
/// authentication password and control token), cut to [`MAX_FIELD_BYTES`], control characters
/// escaped.
fn field(text: &str) -> Cow<'_, str> {
    match crate::secrets::mask(text) {
        Cow::Borrowed(text) => cut(text),
        Cow::Owned(masked) => Cow::Owned(cut(&masked).into_owned()),
    }
}

/// Cut to [`MAX_FIELD_BYTES`], control characters escaped.
fn cut(text: &str) -> Cow<'_, str> {
    // Printable ASCII (nearly every field) is checked sixteen bytes at a time; anything else
    // character by character (`char::is_control` is C0, DEL and C1).
    let clean = |s: &str| {
        let printable = |chunk: &[u8]| {
            chunk
                .iter()
                .fold(true, |all, &b| all & (b.wrapping_sub(0x20) < 0x5f))
        };
        s.as_bytes().chunks(16).all(printable) || !s.chars().any(char::is_control)
    };
    if text.len() <= MAX_FIELD_BYTES && clean(text) {
        return Cow::Borrowed(text);
    }
    let mut end = text.len().min(MAX_FIELD_BYTES);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let mut out = String::with_capacity(end + 24);
    for c in text[..end].chars() {
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    if end < text.len() {
        out.push_str(&format!("…(+{} bytes)", text.len() - end));
    }
    Cow::Owned(out)
}

/// How lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LogFormat {
    /// `2026-11-30T01:02:03.456789Z 127.0.0.1:50312 POST /WebAPI/ECAPI.svc 200 PortStatus 100 0.1ms`
    #[default]
    Text,
    /// One JSON object a line: `timestamp`, `level`, `message` (`request`), `peer`, `method`,
    /// `uri`, `status`, `summary`, `ms`, for log collectors.
    Json,
}

/// A server's request log.
pub struct RequestLog {
    /// The JSON lines' dispatcher; `None` for text.
    dispatch: Option<Dispatch>,
    format: LogFormat,
    queue: LineQueue,
}

/// Appends the time as `tracing-subscriber`'s text format writes it:
/// `2026-11-30T01:02:03.456789Z` (UTC, microseconds).
fn timestamp(out: &mut String, now: chrono::DateTime<chrono::Utc>) {
    use chrono::{Datelike, Timelike};
    fn pad(out: &mut String, n: u32, width: usize) {
        let mut digits = itoa::Buffer::new();
        let text = digits.format(n);
        for _ in text.len()..width {
            out.push('0');
        }
        out.push_str(text);
    }
    pad(out, now.year().max(0) as u32, 4);
    out.push('-');
    pad(out, now.month(), 2);
    out.push('-');
    pad(out, now.day(), 2);
    out.push('T');
    pad(out, now.hour(), 2);
    out.push(':');
    pad(out, now.minute(), 2);
    out.push(':');
    pad(out, now.second(), 2);
    out.push('.');
    // A leap second's nanoseconds run past 10⁹: the micros stay six digits.
    pad(out, (now.nanosecond() % 1_000_000_000) / 1_000, 6);
    out.push('Z');
}

/// Appends the time now, as [`timestamp`] writes it. The date and the time to the second are
/// formatted once a second (per thread) and reused: only the microseconds change between most
/// lines.
fn timestamp_now(out: &mut String) {
    use std::cell::RefCell;
    use std::time::{SystemTime, UNIX_EPOCH};
    thread_local! {
        /// The second last formatted (since the epoch) and its text up to the `.`.
        static SECOND: RefCell<(u64, String)> = const { RefCell::new((u64::MAX, String::new())) };
    }
    // `chrono::Utc::now` reads the same clock, `SystemTime`.
    let Ok(since) = SystemTime::now().duration_since(UNIX_EPOCH) else {
        return timestamp(out, chrono::Utc::now());
    };
    let (secs, micros) = (since.as_secs(), since.subsec_micros());
    let reused = SECOND.with_borrow_mut(|(second, text)| {
        if *second != secs {
            let Some(time) = i64::try_from(secs)
                .ok()
                .and_then(|s| chrono::DateTime::from_timestamp(s, 0))
            else {
                return false;
            };
            text.clear();
            timestamp(text, time);
            // Up to and with the `.`: the microseconds and the `Z` are the line's own.
            text.truncate(text.len() - "000000Z".len());
            *second = secs;
        }
        out.push_str(text);
        true
    });
    if !reused {
        return timestamp(out, chrono::Utc::now());
    }
    let mut digits = itoa::Buffer::new();
    let text = digits.format(micros);
    for _ in text.len()..6 {
        out.push('0');
    }
    out.push_str(text);
    out.push('Z');
}

/// A text line: the time, a space, then `facts`, and the newline.
fn text_line(facts: std::fmt::Arguments<'_>) -> String {
    use std::fmt::Write as _;
    let mut line = String::with_capacity(160);
    timestamp_now(&mut line);
    line.push(' ');
    let _ = line.write_fmt(facts);
    line.push('\n');
    line
}

/// Appends a field ([`field`]): written in place, and written again only when it has to be
/// masked, cut or escaped.
fn push_field(line: &mut String, value: &dyn Display) {
    use std::fmt::Write as _;
    let start = line.len();
    let _ = write!(line, "{value}");
    if let Cow::Owned(logged) = field(&line[start..]) {
        line.truncate(start);
        line.push_str(&logged);
    }
}

impl std::fmt::Debug for RequestLog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RequestLog")
            .field("format", &self.format)
            .finish()
    }
}

impl RequestLog {
    /// A log writing to standard error.
    pub fn stderr(format: LogFormat) -> RequestLog {
        RequestLog::to(format, std::io::stderr())
    }

    /// A log writing to `out` (from its own thread).
    pub fn to(format: LogFormat, out: impl Write + Send + 'static) -> RequestLog {
        let queue = LineQueue::new(out, "ecapi-serve-log");
        let dispatch = match format {
            LogFormat::Text => None,
            LogFormat::Json => Some(Dispatch::new(
                tracing_subscriber::fmt()
                    .with_writer(queue.writer())
                    .with_ansi(false)
                    .with_target(false)
                    .json()
                    .flatten_event(true)
                    .with_current_span(false)
                    .with_span_list(false)
                    .finish(),
            )),
        };
        RequestLog {
            dispatch,
            format,
            queue,
        }
    }

    /// Logs one answered request.
    pub fn request(
        &self,
        peer: SocketAddr,
        method: &dyn Display,
        uri: &dyn Display,
        status: u16,
        summary: &str,
        elapsed: Duration,
    ) {
        if self.format == LogFormat::Text {
            // Written piece by piece into the one line handed to the writer thread.
            let mut line = String::with_capacity(160 + summary.len().min(MAX_FIELD_BYTES));
            timestamp_now(&mut line);
            line.push(' ');
            // As `SocketAddr`'s `Display` writes it, remembered for the connection's next line.
            line.push_str(&super::peer::client_text(peer));
            line.push(' ');
            push_field(&mut line, method);
            line.push(' ');
            push_field(&mut line, uri);
            line.push(' ');
            let mut digits = itoa::Buffer::new();
            line.push_str(digits.format(status));
            line.push(' ');
            line.push_str(&field(summary));
            line.push(' ');
            // `{ms:.1}` as whole tenths: the same digits without formatting a float.
            let tenths = (elapsed.as_secs_f64() * 10_000.0).round() as u64;
            line.push_str(digits.format(tenths / 10));
            line.push('.');
            line.push(char::from(b'0' + (tenths % 10) as u8));
            line.push_str("ms\n");
            return self.text(line);
        }
        let ms = (elapsed.as_secs_f64() * 10_000.0).round() / 10.0;
        let (method, uri) = (method.to_string(), uri.to_string());
        let (method, uri, summary) = (field(&method), field(&uri), field(summary));
        self.emit(|| match self.format {
            LogFormat::Text => unreachable!("text lines are written by RequestLog::text"),
            LogFormat::Json => tracing::info!(
                peer = %peer,
                method = %method,
                uri = %uri,
                status,
                summary = %summary,
                ms,
                "request"
            ),
        });
    }

    /// Logs a connection that ended without an answer (a timeout, a TLS handshake refused).
    pub fn connection(&self, peer: SocketAddr, what: &dyn Display) {
        let what = what.to_string();
        let what = field(&what);
        if self.format == LogFormat::Text {
            return self.text(text_line(format_args!("{peer} connection closed: {what}")));
        }
        self.emit(|| tracing::info!(peer = %peer, closed = %what, "connection"));
    }

    /// Writes one text line (ending in its newline), then, when it got through after lines were
    /// dropped, how many were.
    fn text(&self, line: String) {
        self.queue.ended_line(&line, |lost| {
            text_line(format_args!(
                "log: {lost} lines dropped while the log writer was stalled"
            ))
        });
    }

    /// Writes one JSON line, then, when it got through after lines were dropped, how many were.
    fn emit(&self, line: impl FnOnce()) {
        let Some(dispatch) = &self.dispatch else {
            return;
        };
        let before = self.queue.dropped();
        tracing::dispatcher::with_default(dispatch, line);
        self.queue.after(before, |lost| {
            tracing::dispatcher::with_default(dispatch, || {
                tracing::info!(dropped = lost, "log lines dropped")
            })
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::line_queue::{QUEUE_LINES, WRITE_BUFFER};
    use std::sync::{Arc, Mutex};

    #[derive(Clone, Default)]
    struct Sink(Arc<Mutex<Vec<u8>>>);

    impl Write for Sink {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    fn logged(format: LogFormat) -> String {
        let sink = Sink::default();
        let log = RequestLog::to(format, sink.clone());
        log.request(
            "127.0.0.1:5000".parse().unwrap(),
            &"POST",
            &"/WebAPI/ECAPI.svc",
            200,
            "PortStatus 100",
            Duration::from_micros(1234),
        );
        // Dropping the log flushes its queue.
        drop(log);
        let text = String::from_utf8(sink.0.lock().unwrap().clone()).unwrap();
        text
    }

    #[test]
    fn a_text_line_has_the_time_then_the_facts() {
        let line = logged(LogFormat::Text);
        assert!(
            line.trim_end()
                .ends_with(" 127.0.0.1:5000 POST /WebAPI/ECAPI.svc 200 PortStatus 100 1.2ms"),
            "{line}"
        );
        assert_eq!(line.lines().count(), 1, "{line}");
    }

    #[test]
    fn a_text_line_starts_with_the_utc_time_to_the_microsecond_as_tracing_writes_it() {
        let line = logged(LogFormat::Text);
        let (time, _) = line.split_once(' ').unwrap();
        assert_eq!(time.len(), "2026-11-30T01:02:03.456789Z".len(), "{line}");
        assert!(
            chrono::NaiveDateTime::parse_from_str(time, "%Y-%m-%dT%H:%M:%S%.6fZ").is_ok(),
            "{line}"
        );
        let mut out = String::new();
        let t = chrono::DateTime::parse_from_rfc3339("2026-01-02T03:04:05.000067891Z").unwrap();
        timestamp(&mut out, t.to_utc());
        assert_eq!(out, "2026-01-02T03:04:05.000067Z");
        // The layout of tracing-subscriber's own text format, which wrote these lines before.
        let sink = Sink::default();
        let subscriber = tracing_subscriber::fmt()
            .with_writer({
                let sink = sink.clone();
                move || sink.clone()
            })
            .with_ansi(false)
            .with_target(false)
            .with_level(false)
            .finish();
        tracing::subscriber::with_default(subscriber, || tracing::info!("facts"));
        let theirs = String::from_utf8(sink.0.lock().unwrap().clone()).unwrap();
        let (their_time, rest) = theirs.split_once(' ').unwrap();
        assert_eq!(rest, "facts\n");
        assert_eq!(their_time.len(), time.len(), "{theirs}");
        assert!(
            chrono::NaiveDateTime::parse_from_str(their_time, "%Y-%m-%dT%H:%M:%S%.6fZ").is_ok()
        );
    }

    #[test]
    fn a_text_line_gives_the_time_to_answer_in_tenths_of_a_millisecond_as_it_always_did() {
        for micros in [0, 49, 50, 1_234, 99_951, 1_000_000, 86_400_000_123] {
            let sink = Sink::default();
            let log = RequestLog::to(LogFormat::Text, sink.clone());
            let elapsed = Duration::from_micros(micros);
            log.request(
                "127.0.0.1:1".parse().unwrap(),
                &"POST",
                &"/",
                200,
                "x",
                elapsed,
            );
            drop(log);
            let line = String::from_utf8(sink.0.lock().unwrap().clone()).unwrap();
            let ms = (elapsed.as_secs_f64() * 10_000.0).round() / 10.0;
            assert!(
                line.ends_with(&format!(" x {ms:.1}ms\n")),
                "{micros}: {line}"
            );
        }
    }

    #[test]
    fn a_field_is_cut_to_its_length_and_control_characters_escaped() {
        let long = "é".repeat(2_000);
        let cut = field(&long);
        assert!(cut.len() <= MAX_FIELD_BYTES + 24, "{}", cut.len());
        assert!(cut.ends_with("…(+3488 bytes)"), "{cut}");
        assert_eq!(field("a\nb"), "a\\nb");
        assert!(matches!(field("PortStatus 100"), Cow::Borrowed(_)));
    }

    #[test]
    fn a_control_character_anywhere_in_a_field_is_escaped_and_printable_text_is_kept() {
        let ascii: String = (0x20u8..0x7f).map(char::from).collect();
        assert!(matches!(field(&ascii), Cow::Borrowed(_)));
        assert!(matches!(field("héllo wörld, ünïcode €"), Cow::Borrowed(_)));
        for control in ['\0', '\t', '\r', '\u{1b}', '\u{7f}', '\u{85}', '\u{9f}'] {
            for at in [0, 15, 16, 17, 40] {
                let mut text = "PortStatus 100 with a reason of forty-some".to_string();
                text.insert(at, control);
                let logged = field(&text);
                assert!(!logged.contains(control), "{control:?} at {at}: {logged}");
                assert_eq!(
                    logged.replace(&control.escape_default().to_string(), ""),
                    text.replace(control, "")
                );
            }
        }
    }

    #[test]
    fn a_field_written_in_place_is_the_field_as_logged() {
        for text in [
            "PortStatus 100",
            "a\nb\tc",
            &"é".repeat(2_000),
            "",
            "x\u{7f}",
        ] {
            let mut line = "before ".to_string();
            push_field(&mut line, &text);
            assert_eq!(line, format!("before {}", field(text)), "{text:?}");
        }
    }

    #[test]
    fn the_time_now_is_the_clock_read_at_the_line_to_the_microsecond() {
        // Many lines within one second reuse its date and time; each has its own microseconds.
        let mut previous = String::new();
        for _ in 0..2_000 {
            let before = chrono::Utc::now();
            let mut text = String::new();
            timestamp_now(&mut text);
            let after = chrono::Utc::now();
            let parsed = chrono::NaiveDateTime::parse_from_str(&text, "%Y-%m-%dT%H:%M:%S%.6fZ")
                .unwrap_or_else(|e| panic!("{text}: {e}"))
                .and_utc();
            let micros = |t: chrono::DateTime<chrono::Utc>| t.timestamp_micros();
            assert!(
                micros(before) <= micros(parsed) && micros(parsed) <= micros(after),
                "{before} <= {text} <= {after}"
            );
            assert!(text >= previous, "{text} after {previous}");
            let mut written = String::new();
            timestamp(&mut written, parsed);
            assert_eq!(text, written);
            previous = text;
        }
    }

    /// A writer that blocks until released, as a pipe nobody reads.
    struct Stalled(Arc<(Mutex<bool>, std::sync::Condvar)>, Sink);

    impl Write for Stalled {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            let (lock, released) = &*self.0;
            let mut open = lock.lock().unwrap();
            while !*open {
                open = released.wait(open).unwrap();
            }
            self.1.write(buf)
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_stalled_writer_drops_lines_without_waiting_and_says_how_many_when_it_recovers() {
        let gate = Arc::new((Mutex::new(false), std::sync::Condvar::new()));
        let sink = Sink::default();
        let log = RequestLog::to(LogFormat::Text, Stalled(gate.clone(), sink.clone()));
        let peer = "127.0.0.1:5000".parse().unwrap();
        let started = std::time::Instant::now();
        for _ in 0..QUEUE_LINES * 2 {
            log.request(peer, &"POST", &"/", 200, "x", Duration::ZERO);
        }
        // Nothing waited for the writer.
        assert!(started.elapsed() < Duration::from_secs(5));
        let dropped = log.queue.dropped();
        // Held: the queue, the line being written, and what the writer's buffer took before
        // the write blocked (each line here is longer than 40 bytes).
        assert!(dropped >= QUEUE_LINES - 1 - WRITE_BUFFER / 40, "{dropped}");
        {
            let (lock, released) = &*gate;
            *lock.lock().unwrap() = true;
            released.notify_all();
        }
        // Once the queue drains, the next line gets through and the count follows it.
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        loop {
            log.request(peer, &"POST", &"/", 200, "after", Duration::ZERO);
            if log.queue.said() > 0 || std::time::Instant::now() > deadline {
                break;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        drop(log);
        let text = String::from_utf8(sink.0.lock().unwrap().clone()).unwrap();
        let notice = text
            .lines()
            .find(|l| l.contains("lines dropped while the log writer was stalled"))
            .unwrap_or_else(|| panic!("no notice in {} lines", text.lines().count()));
        let said: usize = notice
            .split("log: ")
            .nth(1)
            .and_then(|rest| rest.split(' ').next())
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("{notice}"));
        assert!(said >= dropped, "{notice} (dropped {dropped})");
    }

    #[test]
    fn a_json_line_has_each_fact_as_a_field() {
        let line = logged(LogFormat::Json);
        let v: serde_json::Value = serde_json::from_str(line.trim()).unwrap();
        assert_eq!(v["peer"], "127.0.0.1:5000");
        assert_eq!(v["method"], "POST");
        assert_eq!(v["uri"], "/WebAPI/ECAPI.svc");
        assert_eq!(v["status"], 200);
        assert_eq!(v["summary"], "PortStatus 100");
        assert_eq!(v["ms"], 1.2);
        assert!(v["timestamp"].is_string(), "{v}");
    }
}
