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
            .finish(std::io::BufWriter::with_capacity(WRITE_BUFFER, out));
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
        let before = self.dropped();
        let _ = self.writer.clone().write(line.as_bytes());
        self.after(before, |lost| {
            let mut notice = notice(lost);
            notice.push('\n');
            let _ = self.writer.clone().write(notice.as_bytes());
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
