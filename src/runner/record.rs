//! What a test sent, recorded at the transport seam: [`Recorder`] wraps a test's backend and notes
//! every request (when it started, how long it took, what came back) and the envelopes of the
//! last exchange, for the reports' timelines and failure details. Scripts and the session cannot
//! tell it is there. The log also keeps the attempts of `retry` and `poll_until`, which the
//! worker's session tells it of.
//!
//! Also [`Detached`], the backend a worker holds before its first test gets a real one.

use std::cell::RefCell;
use std::rc::Rc;
use std::time::{Duration, Instant};

use crate::api::{ApiVersion, Request};
use crate::client::{Exchange, SimControl, Trace, Transport, TransportError};
use crate::script::{Attempt, Made};

/// How many requests a test's record keeps; later ones are counted, not kept (a test that loops
/// over thousands of requests still gets a report of a readable size).
pub const KEEP: usize = 1000;

/// One request a test made, and when.
#[derive(Debug, Clone)]
pub struct Call {
    /// The request, its answer (or the transport error's text) and its elapsed time.
    pub made: Made,
    /// When it was sent, from the start of the test.
    pub at: Duration,
}

impl Call {
    /// The response code, or `None` when no answer came.
    pub fn code(&self) -> Option<u16> {
        self.made.outcome.as_ref().ok().map(|r| r.code)
    }
}

impl Call {
    /// The call as the audit and every other view read it ([`crate::exchange::Exchange`]),
    /// numbered `seq`, its times counted from `started`, `client` naming the test. A transport
    /// failure keeps only its message, so its kind is [`FailureKind::Transport`].
    ///
    /// [`FailureKind::Transport`]: crate::exchange::FailureKind::Transport
    pub fn to_exchange(
        &self,
        seq: u64,
        started: chrono::DateTime<chrono::Utc>,
        client: &str,
    ) -> crate::exchange::Exchange {
        use crate::exchange::{Exchange, FailureKind, Outcome};
        let sent = started + chrono::Duration::from_std(self.at).unwrap_or_default();
        let (outcome, answered) = match &self.made.outcome {
            Ok(r) => (
                Outcome::Answered(r.clone()),
                Some(sent + chrono::Duration::from_std(self.made.elapsed).unwrap_or_default()),
            ),
            Err(e) => (
                Outcome::Failed {
                    kind: FailureKind::Transport,
                    detail: e.clone(),
                },
                None,
            ),
        };
        Exchange {
            seq,
            sent,
            answered,
            client: Some(client.into()),
            request: Some(self.made.request.clone()),
            outcome,
            notes: Vec::new(),
        }
    }
}

/// The requests of one test run.
#[derive(Debug, Default)]
pub struct Log {
    started: Option<Instant>,
    /// The requests, oldest first (at most [`KEEP`]).
    pub calls: Vec<Call>,
    /// How many more were made than kept.
    pub dropped: usize,
    /// The envelopes of the last exchange that had them.
    pub last_envelopes: Option<Trace>,
    /// The attempts of `retry` and checks of `poll_until`, oldest first (at most [`KEEP`]).
    pub attempts: Vec<Attempt>,
}

impl Log {
    /// Notes an attempt of `retry` or a check of `poll_until`; past [`KEEP`] they are dropped.
    pub fn attempted(&mut self, attempt: &Attempt) {
        if self.attempts.len() < KEEP {
            self.attempts.push(attempt.clone());
        }
    }
}

impl Log {
    /// Starts a fresh record; times are counted from now.
    pub fn restart(&mut self) {
        *self = Log {
            started: Some(Instant::now()),
            ..Log::default()
        };
    }
}

/// A record shared by a worker and the recorder around its current backend.
pub type SharedLog = Rc<RefCell<Log>>;

/// A backend that records what passes through it into a [`Log`].
///
/// It keeps the inner backend's envelope capture on all the time (the failure details show the
/// last exchange's envelopes) and hands envelopes on only when the session asked for them
/// (`--trace`).
pub struct Recorder {
    inner: Box<dyn Transport>,
    log: SharedLog,
    trace: bool,
    /// The trace of the last call when it failed, handed on under `--trace`.
    failed_trace: Option<crate::client::Trace>,
}

impl Recorder {
    /// Wraps `inner`, recording into `log`.
    pub fn new(mut inner: Box<dyn Transport>, log: SharedLog) -> Recorder {
        inner.set_trace(true);
        Recorder {
            inner,
            log,
            trace: false,
            failed_trace: None,
        }
    }
}

impl Transport for Recorder {
    fn call(&mut self, request: &Request) -> Result<Exchange, TransportError> {
        let at = {
            let mut log = self.log.borrow_mut();
            let started = *log.started.get_or_insert_with(Instant::now);
            started.elapsed()
        };
        self.failed_trace = None;
        let mut result = self.inner.call(request);
        let mut log = self.log.borrow_mut();
        let (outcome, elapsed, reason) = match &mut result {
            Ok(ex) => {
                if let Some(t) = &ex.trace {
                    log.last_envelopes = Some(t.clone());
                }
                if !self.trace {
                    ex.trace = None;
                }
                (Ok(ex.response.clone()), ex.elapsed, ex.reason.clone())
            }
            Err(e) => {
                // A fault, an HTTP error, a dropped connection: its envelopes are the last ones.
                if let Some(t) = self.inner.take_trace() {
                    log.last_envelopes = Some(t.clone());
                    self.failed_trace = self.trace.then_some(t);
                }
                (Err(e.to_string()), Duration::ZERO, None)
            }
        };
        if log.calls.len() < KEEP {
            log.calls.push(Call {
                made: Made {
                    request: request.clone(),
                    outcome,
                    elapsed,
                    reason,
                },
                at,
            });
        } else {
            log.dropped += 1;
        }
        result
    }

    fn api(&self) -> ApiVersion {
        self.inner.api()
    }

    fn describe(&self) -> String {
        self.inner.describe()
    }

    fn set_trace(&mut self, on: bool) {
        self.trace = on;
    }

    fn control(&mut self) -> Option<&mut dyn SimControl> {
        self.inner.control()
    }

    fn finish(&mut self) {
        self.inner.finish();
    }

    fn take_trace(&mut self) -> Option<crate::client::Trace> {
        self.failed_trace.take()
    }

    fn warnings(&self) -> Vec<String> {
        self.inner.warnings()
    }

    fn set_cancel(&mut self, cancel: crate::client::Cancel) {
        self.inner.set_cancel(cancel);
    }
}

/// The backend a worker's session holds between tests: every request is an error. It is never
/// called, since every test swaps in its own backend before it runs.
pub struct Detached;

impl Transport for Detached {
    fn call(&mut self, _: &Request) -> Result<Exchange, TransportError> {
        Err(TransportError::Connect {
            url: "(no backend)".into(),
            detail: "no backend is attached".into(),
        })
    }

    fn api(&self) -> ApiVersion {
        ApiVersion::default()
    }

    fn describe(&self) -> String {
        "no backend".into()
    }

    fn set_trace(&mut self, _: bool) {}
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::{Operation, Param};
    use crate::client::Embedded;
    use crate::simulator::{Settings, Simulator};

    #[test]
    fn records_each_request_and_keeps_the_last_envelopes_without_tracing_for_the_session() {
        let log = SharedLog::default();
        log.borrow_mut().restart();
        let sim = Simulator::hosted(Settings::default());
        let mut t = Recorder::new(Box::new(Embedded::new(sim)), log.clone());
        let r = Request::new(Operation::InitStation).with(Param::Extension, "1234");
        let ex = t.call(&r).unwrap();
        assert!(ex.trace.is_none(), "the session did not ask for envelopes");
        let log = log.borrow();
        assert_eq!(log.calls.len(), 1);
        assert_eq!(log.calls[0].code(), Some(100));
        let env = log.last_envelopes.as_ref().expect("envelopes kept");
        assert!(env.request.contains("1234"), "{}", env.request);
        assert!(
            env.response.contains("InitStationResult"),
            "{}",
            env.response
        );
    }
}
