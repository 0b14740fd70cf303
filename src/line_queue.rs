//! Lines written off the request path by a writer thread, never holding a request: the serve
//! log's and the proxy's lines. A line is handed to a bounded queue ([`QUEUE_LINES`]); when the
//! writer stalls (standard error or output a pipe nobody reads), the next lines are dropped and
//! counted rather than hold memory or requests, and the first line that gets through again is
//! followed by how many were dropped (`tracing-appender`'s lossy non-blocking writer).
//!
//! The writer thread takes every line waiting, writes them into a buffer of [`WRITE_BUFFER`]
//! bytes and flushes it once the queue is empty: under load one `write` carries many lines
//! (one system call a line was most of the log's cost under `ecapi serve`'s load), and a lone
//! line still goes out at once.

use std::io::Write;
use std::sync::atomic::{AtomicUsize, Ordering};

use tracing_appender::non_blocking::{ErrorCounter, NonBlocking, NonBlockingBuilder, WorkerGuard};

/// The most lines waiting for a stalled writer; later ones are dropped and counted.
pub const QUEUE_LINES: usize = 8_192;

/// The bytes the writer thread gathers before writing them out (it writes sooner when the queue
/// runs empty); a stalled writer holds at most this much besides the queue.
pub const WRITE_BUFFER: usize = 8 * 1024;

/// The writer thread's buffer. A write that fails (standard error closed) loses its lines, as an
/// unbuffered write lost its line, and the failure is not reported: the worker ignores failed
/// writes but would print a failed flush to standard error as it ends, which may be what failed.
struct Batched<W: Write>(std::io::BufWriter<W>);

impl<W: Write> Write for Batched<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.write(buf)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        let _ = self.0.flush();
        Ok(())
    }
}

/// A queue of lines to one writer. Dropping it writes what is queued.
pub struct LineQueue {
    writer: NonBlocking,
    dropped: ErrorCounter,
    /// Of the dropped lines, those already said.
    said: AtomicUsize,
    _worker: WorkerGuard,
}

impl std::fmt::Debug for LineQueue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LineQueue")
            .field("dropped", &self.dropped())
            .finish()
    }
}

impl LineQueue {
    /// A queue to `out`, written by a thread of this name.
    pub fn new(out: impl Write + Send + 'static, thread: &str) -> LineQueue {
        let (writer, worker) = NonBlockingBuilder::default()
            .lossy(true)
            .buffered_lines_limit(QUEUE_LINES)
            .thread_name(thread)
            // tracing-appender's worker flushes after it has emptied the queue.
            .finish(Batched(std::io::BufWriter::with_capacity(
                WRITE_BUFFER,
                out,
            )));
        LineQueue {
            dropped: writer.error_counter(),
            writer,
            said: AtomicUsize::new(0),
            _worker: worker,
        }
    }

    /// The writer, for `tracing`: each `write` is one line.
    pub fn writer(&self) -> NonBlocking {
        self.writer.clone()
    }

    /// Lines dropped so far.
    pub fn dropped(&self) -> usize {
        self.dropped.dropped_lines()
    }

    /// Dropped lines already said.
    pub fn said(&self) -> usize {
        self.said.load(Ordering::Acquire)
    }

    /// Hands one line (without its newline) to the writer, then, when this one got through after
    /// some were dropped, `notice(count)` as a line of its own.
    pub fn line(&self, text: &str, notice: impl FnOnce(usize) -> String) {
        let mut line = String::with_capacity(text.len() + 1);
        line.push_str(text);
        line.push('\n');
        self.ended_line(&line, |lost| {
            let mut notice = notice(lost);
            notice.push('\n');
            notice
        });
    }

    /// As [`LineQueue::line`], for a line that already ends in its newline (and a notice that
    /// does too): handed over as it is, without another copy.
    pub fn ended_line(&self, line: &str, notice: impl FnOnce(usize) -> String) {
        debug_assert!(line.ends_with('\n'), "a line ends in its newline: {line:?}");
        let before = self.dropped();
        let _ = self.writer.clone().write(line.as_bytes());
        self.after(before, |lost| {
            let _ = self.writer.clone().write(notice(lost).as_bytes());
        });
    }

    /// After a line was handed over with `before` dropped: when it got through and more had
    /// been dropped than said, says how many with `say` (once, whichever thread comes first).
    pub fn after(&self, before: usize, say: impl FnOnce(usize)) {
        let now = self.dropped();
        let said = self.said.load(Ordering::Acquire);
        if now != before || now == said {
            return;
        }
        if self
            .said
            .compare_exchange(said, now, Ordering::AcqRel, Ordering::Acquire)
            .is_err()
        {
            return;
        }
        say(now - said);
        if self.dropped() != now {
            // The notice itself was dropped: say it again next time.
            self.said.store(said, Ordering::Release);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Standard error closed: every write fails.
    struct Closed;

    impl Write for Closed {
        fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
            Err(std::io::ErrorKind::BrokenPipe.into())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Err(std::io::ErrorKind::BrokenPipe.into())
        }
    }

    #[test]
    fn a_closed_writer_loses_the_buffered_lines_and_flushing_does_not_report_it() {
        let mut out = Batched(std::io::BufWriter::with_capacity(16, Closed));
        assert!(out.write_all(b"a line\n").is_ok());
        assert!(out.flush().is_ok());
        // The buffer stays bounded: what does not fit fails to be written.
        assert!(out.write_all(b"a longer line than the buffer\n").is_err());
        assert!(out.flush().is_ok());
    }

    #[test]
    fn lines_reach_the_writer_once_the_queue_is_dropped() {
        let sink = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        struct Sink(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);
        impl Write for Sink {
            fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
                self.0.lock().unwrap().extend_from_slice(buf);
                Ok(buf.len())
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        let queue = LineQueue::new(Sink(sink.clone()), "line-queue-test");
        for i in 0..1000 {
            queue.line(&format!("line {i}"), |n| format!("{n} dropped"));
        }
        drop(queue);
        let text = String::from_utf8(sink.lock().unwrap().clone()).unwrap();
        assert_eq!(text.lines().count(), 1000, "{text}");
        assert!(text.ends_with("line 999\n"));
    }
}
