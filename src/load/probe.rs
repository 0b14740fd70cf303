//! What an agent records, and where: [`Event`]s in the agent's own [`Buffer`], which the collector
//! empties a few times a second (so a thousand agents never queue on one lock), and [`Measured`],
//! the transport wrapper that times every request at the [`Transport`] seam.

use std::cell::Cell;
use std::rc::Rc;
use std::sync::{Arc, Mutex};
use std::time::Instant;

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
    /// Interrupted (Ctrl-C) while waiting for the answer.
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
        /// When the answer came.
        at_ms: u64,
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

/// An agent's events since the collector last took them.
#[derive(Debug, Default)]
pub struct Buffer(Mutex<Vec<Event>>);

impl Buffer {
    /// Adds an event.
    pub fn push(&self, event: Event) {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).push(event);
    }

    /// Takes every event so far, leaving the buffer empty.
    pub fn take(&self) -> Vec<Event> {
        std::mem::take(&mut *self.0.lock().unwrap_or_else(|p| p.into_inner()))
    }
}

/// Microseconds in a duration, saturating.
pub fn micros(d: std::time::Duration) -> u64 {
    u64::try_from(d.as_micros()).unwrap_or(u64::MAX)
}

/// A transport that times every request into its agent's [`Buffer`]. The iteration's lateness
/// (the open model's wait from its due time) is added to each request's latency, as wrk2 does, so a
/// server that makes iterations queue shows it in the percentiles.
pub struct Measured {
    inner: Box<dyn Transport>,
    buffer: Arc<Buffer>,
    lateness_us: Rc<Cell<u64>>,
    t0: Rc<Cell<Instant>>,
}

impl Measured {
    /// Wraps a transport; `lateness_us` is the current iteration's lateness and `t0` the test's
    /// start, both set by the agent.
    pub fn new(
        inner: Box<dyn Transport>,
        buffer: Arc<Buffer>,
        lateness_us: Rc<Cell<u64>>,
        t0: Rc<Cell<Instant>>,
    ) -> Measured {
        Measured {
            inner,
            buffer,
            lateness_us,
            t0,
        }
    }
}

impl Transport for Measured {
    fn call(&mut self, request: &Request) -> Result<Exchange, TransportError> {
        let started = Instant::now();
        let result = self.inner.call(request);
        let now = Instant::now();
        let service_us = micros(now - started);
        let outcome = match &result {
            Ok(ex) => Outcome::Code(ex.response.code),
            Err(e) => Outcome::Error(ErrorKind::of(e)),
        };
        self.buffer.push(Event::Request {
            op: request.op(),
            latency_us: service_us.saturating_add(self.lateness_us.get()),
            service_us,
            outcome,
            at_ms: micros(now.saturating_duration_since(self.t0.get())) / 1000,
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
        self.inner.set_cancel(cancel);
    }
}
