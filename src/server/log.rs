//! The request log: one line per request (and one per connection that ends in a transport
//! failure), as text or as JSON, written by `tracing` off the request path.
//!
//! Each server owns its `tracing` dispatcher (no global subscriber, so a process may run several
//! servers, as the tests do) whose writer is `tracing-appender`'s non-blocking writer: a request
//! only formats its line and hands it to a channel; a writer thread does the write. The channel
//! does not drop lines: when the writer falls behind by 128,000 lines, requests wait for it.
//! Dropping the log flushes what is queued.
//!
//! The facts of a line: the peer, the method, the path and query, the status, a summary of what
//! the request came to (the operation and its response code, a fault, a refusal, with any wire
//! notes), and the time to answer in milliseconds.

use std::fmt::Display;
use std::io::Write;
use std::net::SocketAddr;
use std::time::Duration;

use tracing::Dispatch;
use tracing_appender::non_blocking::{NonBlockingBuilder, WorkerGuard};

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
    dispatch: Dispatch,
    format: LogFormat,
    _worker: WorkerGuard,
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
        let (writer, worker) = NonBlockingBuilder::default()
            .lossy(false)
            .thread_name("ecapi-serve-log")
            .finish(out);
        let builder = tracing_subscriber::fmt()
            .with_writer(writer)
            .with_ansi(false)
            .with_target(false);
        let dispatch = match format {
            LogFormat::Text => Dispatch::new(builder.with_level(false).finish()),
            LogFormat::Json => Dispatch::new(
                builder
                    .json()
                    .flatten_event(true)
                    .with_current_span(false)
                    .with_span_list(false)
                    .finish(),
            ),
        };
        RequestLog {
            dispatch,
            format,
            _worker: worker,
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
        let ms = (elapsed.as_secs_f64() * 10_000.0).round() / 10.0;
        tracing::dispatcher::with_default(&self.dispatch, || match self.format {
            LogFormat::Text => {
                tracing::info!("{peer} {method} {uri} {status} {summary} {ms:.1}ms")
            }
            LogFormat::Json => tracing::info!(
                peer = %peer,
                method = %method,
                uri = %uri,
                status,
                summary,
                ms,
                "request"
            ),
        });
    }

    /// Logs a connection that ended without an answer (a timeout, a TLS handshake refused).
    pub fn connection(&self, peer: SocketAddr, what: &dyn Display) {
        tracing::dispatcher::with_default(&self.dispatch, || match self.format {
            LogFormat::Text => tracing::info!("{peer} connection closed: {what}"),
            LogFormat::Json => tracing::info!(peer = %peer, closed = %what, "connection"),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
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
