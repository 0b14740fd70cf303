//! The session shared by every script function of one engine: the backend, tracing, `--set`
//! parameters, and the most recent exchanges (shown when a test fails).

use std::cell::RefCell;
use std::collections::HashMap;
use std::io::Write;
use std::rc::Rc;
use std::time::{Duration, Instant};

use super::retry::Attempt;
use super::transaction::{full_name, Open, Transaction, TransactionObserver};
use crate::api::{Operation, Request, Response};
use crate::client::{Cancel, Exchange, Trace, Transport, TransportError};

/// How many exchanges a session remembers for failure reports.
pub const RECENT: usize = 10;

/// One request the script made, and what came of it.
#[derive(Debug, Clone)]
pub struct Made {
    /// The request.
    pub request: Request,
    /// The answer, or the transport error's text.
    pub outcome: Result<Response, String>,
    /// How long it took.
    pub elapsed: Duration,
    /// A simulator's reason for a non-100 answer; `None` for 100 and from a real server.
    pub reason: Option<String>,
}

impl Made {
    /// One line: operation, parameters (a card number in a value masked, as everywhere ecapi
    /// prints one), then code and message (or the error).
    pub fn summary(&self, version: crate::api::ApiVersion) -> String {
        let params: Vec<String> = self
            .request
            .params(version)
            .filter(|(_, v)| !v.is_empty())
            .map(|(p, v)| {
                format!(
                    "{}={:?}",
                    p.wire_name(version),
                    crate::audit::card::mask(v).as_ref()
                )
            })
            .collect();
        let outcome = match &self.outcome {
            Ok(r) => format!("{} {}", r.code, r.message),
            Err(e) => format!("error: {e}"),
        };
        format!(
            "{}({}) -> {outcome}",
            self.request.op().name(),
            params.join(", ")
        )
    }
}

/// Where trace output goes: the operation, the time the exchange took, its envelopes (for a
/// failed exchange too: a fault, an HTTP error, a dropped connection).
pub type TraceSink = Box<dyn FnMut(Operation, Duration, &Trace)>;

/// Told of every request as soon as its answer is in (the REPL prints it as a grid row).
pub type Observer = Box<dyn FnMut(&Made)>;

/// Told of every attempt of `retry` and check of `poll_until` (`-v` rows, the test reports).
pub type AttemptObserver = Box<dyn FnMut(&Attempt)>;

/// The state every script function of one engine shares.
pub struct Session {
    transport: Box<dyn Transport>,
    params: HashMap<String, String>,
    /// The most recent exchanges, at most [`RECENT`]: once full, the oldest is overwritten in
    /// place, and `next` is where the next one goes (the oldest kept).
    recent: Vec<Made>,
    next: usize,
    calls: u64,
    trace_sink: Option<TraceSink>,
    observer: Option<Observer>,
    attempt_observer: Option<AttemptObserver>,
    cancel: Cancel,
    /// The transactions running, innermost last.
    transactions: Vec<Open>,
    transaction_observer: Option<TransactionObserver>,
}

/// A session shared by the functions registered on one engine.
pub type SharedSession = Rc<RefCell<Session>>;

impl Session {
    /// A session over a backend, with the values of `--set`.
    pub fn new(transport: Box<dyn Transport>, params: HashMap<String, String>) -> Session {
        Session {
            transport,
            params,
            recent: Vec::with_capacity(RECENT),
            next: 0,
            calls: 0,
            trace_sink: None,
            observer: None,
            attempt_observer: None,
            cancel: Cancel::default(),
            transactions: Vec::new(),
            transaction_observer: None,
        }
    }

    /// Wraps the session for sharing.
    pub fn shared(self) -> SharedSession {
        Rc::new(RefCell::new(self))
    }

    /// The backend.
    pub fn transport(&mut self) -> &mut dyn Transport {
        self.transport.as_mut()
    }

    /// Replaces the backend (the REPL's `:backend`).
    pub fn set_transport(&mut self, transport: Box<dyn Transport>) {
        let tracing = self.trace_sink.is_some();
        self.transport = transport;
        self.transport.set_trace(tracing);
        self.transport.set_cancel(self.cancel.clone());
    }

    /// Sets what stops the run (Ctrl-C, `--max-time`), for `sleep` and for requests in flight.
    pub fn set_cancel(&mut self, cancel: Cancel) {
        self.transport.set_cancel(cancel.clone());
        self.cancel = cancel;
    }

    /// What stops the run.
    pub fn cancel(&self) -> &Cancel {
        &self.cancel
    }

    /// Replaces the `--set` values (the test runner reuses one session for files with their own).
    pub fn set_params(&mut self, params: HashMap<String, String>) {
        self.params = params;
    }

    /// A `--set` value.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params.get(name).map(String::as_str)
    }

    /// Turns tracing on (with a sink for each exchange) or off.
    pub fn set_trace(&mut self, sink: Option<TraceSink>) {
        self.transport.set_trace(sink.is_some());
        self.trace_sink = sink;
    }

    /// Sets (or removes) the observer told of each request.
    pub fn set_observer(&mut self, observer: Option<Observer>) {
        self.observer = observer;
    }

    /// Sets (or removes) the observer told of each transaction as it ends.
    pub fn set_transaction_observer(&mut self, observer: Option<TransactionObserver>) {
        self.transaction_observer = observer;
    }

    /// A transaction named `name` (checked) starts, inside those running: its full name.
    pub fn begin_transaction(&mut self, name: &str) -> String {
        let name = full_name(self.transactions.last().map(|t| t.name.as_str()), name);
        self.transactions.push(Open {
            name: name.clone(),
            started: Instant::now(),
            response_time: Duration::ZERO,
        });
        name
    }

    /// The innermost transaction ends; the observer is told. Without one running, nothing.
    pub fn end_transaction(&mut self, failed: bool) {
        let Some(open) = self.transactions.pop() else {
            return;
        };
        let ended = Transaction {
            duration: open.started.elapsed(),
            name: open.name,
            started: open.started,
            response_time: open.response_time,
            failed,
        };
        if let Some(observer) = self.transaction_observer.as_mut() {
            observer(&ended);
        }
    }

    /// Sets (or removes) the observer told of each attempt of `retry` and `poll_until`.
    pub fn set_attempt_observer(&mut self, observer: Option<AttemptObserver>) {
        self.attempt_observer = observer;
    }

    /// Tells the attempt observer of an attempt.
    pub fn attempted(&mut self, attempt: &Attempt) {
        if let Some(observer) = self.attempt_observer.as_mut() {
            observer(attempt);
        }
    }

    /// Whether tracing is on.
    pub fn tracing(&self) -> bool {
        self.trace_sink.is_some()
    }

    /// The most recent exchanges, oldest first.
    pub fn recent(&self) -> impl Iterator<Item = &Made> {
        let (newer, older) = self.recent.split_at(self.next);
        older.iter().chain(newer)
    }

    /// How many requests this session has sent, so a caller can tell which of the recent ones are
    /// new (the REPL shows those a line of input made).
    pub fn calls(&self) -> u64 {
        self.calls
    }

    /// Forgets the recent exchanges.
    pub fn clear_recent(&mut self) {
        self.recent.clear();
        self.next = 0;
    }

    /// Sends a request through the backend, remembering it.
    pub fn call(&mut self, request: Request) -> Result<Exchange, TransportError> {
        // Read only to time a failed exchange's trace, or the requests of a running transaction.
        let started =
            (self.trace_sink.is_some() || !self.transactions.is_empty()).then(Instant::now);
        let result = self.transport.call(&request);
        if !self.transactions.is_empty() {
            // Each transaction running adds the request's time to its response time.
            let took = started.map(|s| s.elapsed()).unwrap_or_default();
            for open in &mut self.transactions {
                open.response_time += took;
            }
        }
        // Before the trace, the observer or a report can show one.
        add_secrets(&request, result.as_ref().ok().map(|ex| &ex.response));
        self.calls += 1;
        if let Some(sink) = self.trace_sink.as_mut() {
            match &result {
                Ok(ex) => {
                    if let Some(trace) = &ex.trace {
                        sink(request.op(), ex.elapsed, trace);
                    }
                }
                Err(_) => {
                    if let Some(trace) = self.transport.take_trace() {
                        let elapsed = started.map(|s| s.elapsed()).unwrap_or_default();
                        sink(request.op(), elapsed, &trace);
                    }
                }
            }
        }
        let (outcome, elapsed, reason) = match &result {
            Ok(ex) => (Ok(ex.response.clone()), ex.elapsed, ex.reason.clone()),
            Err(e) => (Err(e.to_string()), Duration::ZERO, None),
        };
        let at = if self.recent.len() < RECENT {
            self.recent.push(Made {
                request,
                outcome,
                elapsed,
                reason,
            });
            self.recent.len() - 1
        } else {
            // The oldest is overwritten field by field, in place.
            let at = self.next;
            let oldest = &mut self.recent[at];
            oldest.request = request;
            oldest.outcome = outcome;
            oldest.elapsed = elapsed;
            oldest.reason = reason;
            self.next = if at + 1 == RECENT { 0 } else { at + 1 };
            at
        };
        if let Some(observer) = self.observer.as_mut() {
            observer(&self.recent[at]);
        }
        result
    }
}

/// Adds to the secrets the values named with `--secret`: a request parameter's (by its 7.1 or 7.0
/// name), and an Encore field's (by its name, as the proxy's `--redact` takes it) that
/// AssignField assigns or GetField answers.
fn add_secrets(request: &Request, response: Option<&Response>) {
    use crate::api::{ApiVersion, Param};
    use crate::secrets;
    if !secrets::has_names() {
        return;
    }
    for (param, value) in request.params(ApiVersion::V7_1) {
        let named = [ApiVersion::V7_1, ApiVersion::V7_0]
            .into_iter()
            .any(|v| secrets::is_secret_name(param.wire_name(v)));
        if named {
            secrets::add(value, None);
        }
    }
    let field = request.get(Param::FieldName);
    if !field.is_empty() && secrets::is_secret_name(field) {
        secrets::add(request.get(Param::FieldValue), None);
        if let Some(value) = response.and_then(|r| r.value()) {
            secrets::add(value, None);
        }
    }
}

/// The trace sink that writes each exchange to standard error, for `--trace`.
pub fn stderr_trace() -> TraceSink {
    Box::new(|op: Operation, elapsed: Duration, trace: &Trace| {
        let mut err = std::io::stderr().lock();
        let text = render_trace(op, elapsed, trace);
        let _ = err.write_all(crate::secrets::mask(&text).as_bytes());
    })
}

/// One exchange as `--trace` prints it: the request with its SOAPAction, then the status and the
/// answer, or what happened instead of one.
pub fn render_trace(op: Operation, elapsed: Duration, trace: &Trace) -> String {
    let mut out = format!(
        "--> {op} ({:.2} ms)\nSOAPAction: \"{}\"\n{}\n",
        elapsed.as_secs_f64() * 1000.0,
        trace.action,
        trace.request.trim_end(),
    );
    if trace.status != 0 {
        out.push_str(&format!("<-- HTTP {}\n", trace.status));
        if !trace.response.is_empty() {
            out.push_str(trace.response.trim_end());
            out.push('\n');
        }
    }
    if let Some(failure) = &trace.failure {
        out.push_str(&format!("<-- no answer: {failure}\n"));
    }
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::{Param, ResponseCode};
    use crate::client::Embedded;
    use crate::simulator::{Settings, Simulator};

    fn port_status(port: u32) -> Request {
        Request::new(Operation::PortStatus)
            .with(Param::Unit, "1")
            .with(Param::Port, port.to_string())
    }

    fn ports_recent(session: &Session) -> Vec<String> {
        session
            .recent()
            .map(|m| m.request.get(Param::Port).to_string())
            .collect()
    }

    #[test]
    fn the_recent_exchanges_are_the_last_ten_oldest_first_and_clear_starts_again() {
        let sim = Simulator::hosted(Settings::default());
        let mut session = Session::new(Box::new(Embedded::new(sim)), HashMap::new());
        for port in 1..=3 {
            session.call(port_status(port)).unwrap();
        }
        assert_eq!(ports_recent(&session), ["1", "2", "3"]);
        for port in 4..=23 {
            session.call(port_status(port)).unwrap();
        }
        let last_ten: Vec<String> = (14..=23).map(|p| p.to_string()).collect();
        assert_eq!(ports_recent(&session), last_ten);
        assert_eq!(session.calls(), 23);
        // A port that does not exist: its answer is remembered with the simulator's reason.
        session.call(port_status(999)).unwrap();
        let last = session.recent().last().unwrap();
        let answer = last.outcome.as_ref().unwrap();
        assert_eq!(answer.code, ResponseCode::PortDoesNotExist.code());
        assert!(last.reason.as_deref().unwrap().contains("999"));
        assert_eq!(session.recent().count(), RECENT);
        assert_eq!(
            session.recent().next().unwrap().request.get(Param::Port),
            "15"
        );
        session.clear_recent();
        assert_eq!(session.recent().count(), 0);
        session.call(port_status(7)).unwrap();
        assert_eq!(ports_recent(&session), ["7"]);
    }
}
