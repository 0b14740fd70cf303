//! What an agent records, and where: [`Event`]s in the agent's own [`Buffer`], which the collector
//! empties a few times a second (so a thousand agents never queue on one lock), and [`Measured`],
//! the transport wrapper that times every request at the [`Transport`] seam.

use std::cell::Cell;
use std::rc::Rc;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use super::schedule::EndSignal;
use crate::api::{ApiVersion, Operation, Request};
use crate::client::{Exchange, SimControl, Transport, TransportError};

/// How a request ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The server answered with this response code (100 or not: a code is data).
    Code(u16),
    /// No response code: the transport failed, for this reason.
    Error(ErrorKind),
}

/// Why a request got no response code, by [`TransportError`] variant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum ErrorKind {
    /// The request could not be sent (an operation the API version lacks, a bad integer).
    Request,
    /// The server could not be reached.
    Connect,
    /// TLS negotiation failed.
    Tls,
    /// No answer within the time-out.
    Timeout,
    /// A SOAP fault.
    Fault,
    /// An answer that is not a SOAP response.
    NotSoap,
    /// HTTP 401: authentication failed.
    Unauthorized,
    /// Still waiting for the answer when the run was stopped (the end of the grace period).
    Interrupted,
    /// Any other HTTP failure.
    Http,
}

impl ErrorKind {
    /// The kind of a transport error.
    pub fn of(e: &TransportError) -> ErrorKind {
        match e {
            TransportError::Request(_) | TransportError::NotOffered { .. } => ErrorKind::Request,
            TransportError::Connect { .. } => ErrorKind::Connect,
            TransportError::Tls { .. } => ErrorKind::Tls,
            TransportError::Timeout { .. } => ErrorKind::Timeout,
            TransportError::Fault { .. } => ErrorKind::Fault,
            TransportError::NotSoap { .. } => ErrorKind::NotSoap,
            TransportError::Unauthorized { .. } => ErrorKind::Unauthorized,
            TransportError::Interrupted { .. } | TransportError::Stopped(_) => {
                ErrorKind::Interrupted
            }
            TransportError::Http { .. } => ErrorKind::Http,
        }
    }

    /// The name used in summaries: `connect`, `timeout`, `not_soap`…
    pub fn name(self) -> &'static str {
        match self {
            ErrorKind::Request => "request",
            ErrorKind::Connect => "connect",
            ErrorKind::Tls => "tls",
            ErrorKind::Timeout => "timeout",
            ErrorKind::Fault => "fault",
            ErrorKind::NotSoap => "not_soap",
            ErrorKind::Unauthorized => "unauthorized",
            ErrorKind::Interrupted => "interrupted",
            ErrorKind::Http => "http",
        }
    }
}

/// How an iteration of the flow ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IterationEnd {
    /// The flow ran to its end.
    Completed,
    /// The flow threw (an error, a failed `expect` or assertion): the line and message.
    Failed(String),
    /// The test ended while it ran (past the grace period).
    Interrupted,
    /// Its agent was leaving at a lower stage and the graceful ramp-down ran out while it ran.
    RampedDown,
}

/// How a transaction ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransactionEnd {
    /// Its block ran to its end.
    Completed,
    /// Its block threw.
    Failed,
    /// The test's stop (the end of the grace period) cut it.
    Interrupted,
}

/// One thing an agent saw. Times are microseconds; `at_ms` is when it happened, in milliseconds
/// since the test started.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// A request and its answer.
    Request {
        /// The operation.
        op: Operation,
        /// From when the request was due (its iteration's due time, shifted by the time the flow
        /// took to reach it) to its answer: the latency a user of the server met.
        latency_us: u64,
        /// From sending to the answer: the server's (and network's) own time.
        service_us: u64,
        /// The answer.
        outcome: Outcome,
        /// When the answer came (for a request interrupted at the end of the grace period: when
        /// it was sent).
        at_ms: u64,
        /// Sent after the test's time was up, by an iteration finishing during the grace period:
        /// kept out of the figures (unless interrupted), as production never sees it.
        after_end: bool,
    },
    /// An iteration ended.
    Iteration {
        /// How.
        end: IterationEnd,
        /// How long it ran.
        duration_us: u64,
        /// When it ended.
        at_ms: u64,
    },
    /// A `transaction(name, block)` ended. Like iterations (and k6's groups), one that ends in the
    /// grace period counts, in the test's last second.
    Transaction {
        /// Its full name (`payment/pause`).
        name: String,
        /// The wall time of its block.
        duration_us: u64,
        /// The time of the requests inside it, added up.
        response_us: u64,
        /// How it ended.
        end: TransactionEnd,
        /// When it ended.
        at_ms: u64,
    },
    /// An iteration started.
    Started {
        /// When.
        at_ms: u64,
    },
    /// The agent joined the test (closed model: the stages' target rose past it).
    Joined {
        /// When.
        at_ms: u64,
    },
    /// The agent left the test before its end (the target fell back to its index and its
    /// iteration finished, or was cut).
    Left {
        /// When.
        at_ms: u64,
    },
    /// The generator was late by this much: an agent started, woke from `sleep` or picked up a due
    /// iteration this long after it meant to (the load machine's own delay, not the server's).
    Lag {
        /// How late.
        us: u64,
        /// Whether this was an iteration that, in the open model, waited for a free agent first
        /// (the waiting itself is counted in latency, not here).
        waited: bool,
    },
}

/// An agent's events since the collector last took them, and what it has in flight: the request
/// waiting for its answer and the iteration running, so that whatever is still unfinished when the
/// collector gives up on the agent is counted as interrupted, not lost.
#[derive(Debug, Default)]
pub struct Buffer(Mutex<Pending>);

#[derive(Debug, Default)]
struct Pending {
    events: Vec<Event>,
    /// The request in flight: its operation and when it was sent (ms since the start).
    request: Option<(Operation, u64)>,
    /// The iteration running: when it started.
    iteration: Option<Instant>,
}

impl Buffer {
    fn pending(&self) -> std::sync::MutexGuard<'_, Pending> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Adds an event.
    pub fn push(&self, event: Event) {
        self.pending().events.push(event);
    }

    /// Takes every event so far, leaving the buffer empty.
    pub fn take(&self) -> Vec<Event> {
        std::mem::take(&mut self.pending().events)
    }

    /// A request of `op` was sent at `sent_ms`.
    pub fn begin_request(&self, op: Operation, sent_ms: u64) {
        self.pending().request = Some((op, sent_ms));
    }

    /// The request in flight ended as `event`; dropped when [`Buffer::abandon`] already counted it.
    pub fn end_request(&self, event: Event) {
        let mut pending = self.pending();
        if pending.request.take().is_some() {
            pending.events.push(event);
        }
    }

    /// An iteration started, `at_ms` into the test: recorded as [`Event::Started`] under the same
    /// lock that marks it running.
    pub fn begin_iteration(&self, started: Instant, at_ms: u64) {
        let mut pending = self.pending();
        pending.events.push(Event::Started { at_ms });
        pending.iteration = Some(started);
    }

    /// The running iteration ended as `event`; dropped when [`Buffer::abandon`] already counted it.
    pub fn end_iteration(&self, event: Event) {
        let mut pending = self.pending();
        if pending.iteration.take().is_some() {
            pending.events.push(event);
        }
    }

    /// The collector gives up on this agent: the events so far, then its request in flight and its
    /// running iteration, both as interrupted. Whatever the agent reports afterwards is dropped.
    pub fn abandon(&self, t0: Instant) -> Vec<Event> {
        let mut pending = self.pending();
        let mut events = std::mem::take(&mut pending.events);
        if let Some((op, sent_ms)) = pending.request.take() {
            events.push(Event::Request {
                op,
                latency_us: 0,
                service_us: 0,
                outcome: Outcome::Error(ErrorKind::Interrupted),
                at_ms: sent_ms,
                after_end: false,
            });
        }
        if let Some(started) = pending.iteration.take() {
            let now = Instant::now();
            events.push(Event::Iteration {
                end: IterationEnd::Interrupted,
                duration_us: micros(now.saturating_duration_since(started)),
                at_ms: micros(now.saturating_duration_since(t0)) / 1000,
            });
        }
        events
    }
}

/// Microseconds in a duration, saturating.
pub fn micros(d: std::time::Duration) -> u64 {
    u64::try_from(d.as_micros()).unwrap_or(u64::MAX)
}

/// A transport that times every request into its agent's [`Buffer`]. The iteration's lateness
/// (the open model's wait from its due time) is added to each request's latency, as wrk2 does, so a
/// server that makes iterations queue shows it in the percentiles. A request sent after the test's
/// time was up is marked so; one asked for after the stop is not sent at all.
pub struct Measured {
    inner: Box<dyn Transport>,
    buffer: Arc<Buffer>,
    lateness_us: Rc<Cell<u64>>,
    t0: Rc<Cell<Instant>>,
    end: Arc<EndSignal>,
}

impl Measured {
    /// Wraps a transport; `lateness_us` is the current iteration's lateness and `t0` the test's
    /// start, both set by the agent. The inner transport is given `end`'s [`EndSignal::cancel`],
    /// so a request waiting for its answer gives up at the stop.
    pub fn new(
        mut inner: Box<dyn Transport>,
        buffer: Arc<Buffer>,
        lateness_us: Rc<Cell<u64>>,
        t0: Rc<Cell<Instant>>,
        end: Arc<EndSignal>,
    ) -> Measured {
        inner.set_cancel(end.cancel());
        Measured {
            inner,
            buffer,
            lateness_us,
            t0,
            end,
        }
    }

    fn since_start_ms(&self, at: Instant) -> u64 {
        micros(at.saturating_duration_since(self.t0.get())) / 1000
    }
}

impl Transport for Measured {
    fn call(&mut self, request: &Request) -> Result<Exchange, TransportError> {
        if self.end.is_stopped() {
            return Err(TransportError::Interrupted {
                url: self.inner.describe(),
            });
        }
        let after_end = self.end.is_ended();
        let started = Instant::now();
        let sent_ms = self.since_start_ms(started);
        self.buffer.begin_request(request.op(), sent_ms);
        let result = self.inner.call(request);
        let now = Instant::now();
        let service_us = micros(now - started);
        let outcome = match &result {
            Ok(ex) => Outcome::Code(ex.response.code),
            Err(e) => Outcome::Error(ErrorKind::of(e)),
        };
        let interrupted = outcome == Outcome::Error(ErrorKind::Interrupted);
        self.buffer.end_request(Event::Request {
            op: request.op(),
            latency_us: service_us.saturating_add(self.lateness_us.get()),
            service_us,
            outcome,
            at_ms: if interrupted {
                sent_ms
            } else {
                self.since_start_ms(now)
            },
            after_end,
        });
        result
    }

    fn api(&self) -> ApiVersion {
        self.inner.api()
    }

    fn describe(&self) -> String {
        self.inner.describe()
    }

    fn set_trace(&mut self, on: bool) {
        self.inner.set_trace(on)
    }

    fn control(&mut self) -> Option<&mut dyn SimControl> {
        self.inner.control()
    }

    fn take_trace(&mut self) -> Option<crate::client::Trace> {
        self.inner.take_trace()
    }

    fn set_cancel(&mut self, cancel: crate::client::Cancel) {
        // The load test's own cancel (the stop at the end of the grace period) stays in charge.
        let _ = cancel;
    }
}
