//! The transport seam between script functions and backends.
//!
//! The fifteen script functions are written once against [`Transport`]; the embedded simulator
//! ([`Embedded`]) and the SOAP client over HTTP both sit behind it, so a script cannot tell them apart
//! except by speed. Simulator control (`sim_*` functions) goes through [`SimControl`], which the
//! embedded simulator offers directly and a served simulator through its control interface.

mod cancel;
mod connection;
pub mod content_encoding;
pub mod control;
mod embedded;
mod error;
mod http;
mod session;

use std::time::Duration;

use crate::api::{ApiVersion, Operation, Request, Response};
use crate::simulator::TelephonyEvent;

/// The envelopes of one exchange, for `--trace`; defined with the envelopes in [`crate::soap`].
pub use crate::soap::Trace;
pub use cancel::{Cancel, Halt, LimitKind, Stopped};
pub use control::WireFault;
pub use embedded::{Embedded, MAX_DELAY_MS};
pub use error::{ControlError, TransportError};
pub use http::{percent_decode, Http, HttpOptions, DEFAULT_CONNECT_TIMEOUT, DEFAULT_TIMEOUT};
pub use session::Session;

/// One request and its answer.
#[derive(Debug, Clone)]
pub struct Exchange {
    /// What the server answered.
    pub response: Response,
    /// Wall-clock time from sending the request to having read the answer.
    pub elapsed: Duration,
    /// The SOAP envelopes exchanged (or, for the embedded simulator, the ones it would exchange);
    /// present only while tracing is on.
    pub trace: Option<Trace>,
    /// A simulator's reason for a non-100 answer (embedded, or served in its `x-ecapi-reason`
    /// header); a real server gives none.
    pub reason: Option<String>,
}

/// The header in which a served simulator gives its reason for a non-100 answer.
pub const REASON_HEADER: &str = "x-ecapi-reason";

/// A backend that answers Web API requests.
pub trait Transport {
    /// Sends one request and waits for its answer. A response code other than 100 is an `Ok`;
    /// only transport and protocol failures are errors.
    fn call(&mut self, request: &Request) -> Result<Exchange, TransportError>;

    /// The API version requests are made in.
    fn api(&self) -> ApiVersion;

    /// One line saying what this backend is, for banners and `--trace`.
    fn describe(&self) -> String;

    /// Turns capture of envelopes for `--trace` on or off.
    fn set_trace(&mut self, on: bool);

    /// Simulator control, when the backend is a simulator (embedded or served).
    fn control(&mut self) -> Option<&mut dyn SimControl> {
        None
    }

    /// The trace of the last call when it failed (a fault, an HTTP error, a dropped connection),
    /// taken once; `None` when tracing is off or the last call succeeded (its trace is in its
    /// [`Exchange`]).
    fn take_trace(&mut self) -> Option<Trace> {
        None
    }

    /// What the user should know about how this backend was set up (a WSDL that could not be
    /// read, an `--api` the server contradicts), one sentence each.
    fn warnings(&self) -> Vec<String> {
        Vec::new()
    }

    /// Gives the backend the run's stop, the one interrupt mechanism of every command (Ctrl-C in
    /// the REPL, SIGINT and SIGTERM under `ecapi test`, `--max-time`, `--test-timeout`), so that a
    /// request in flight or a simulated delay ends when the run is stopped
    /// ([`TransportError::Interrupted`]). Without one, requests wait until answered or timed out.
    fn set_cancel(&mut self, cancel: Cancel) {
        let _ = cancel;
    }
    /// The test using this backend is over: free what it holds on the server now (a served
    /// simulator's session) rather than when the backend is dropped. Nothing for most backends.
    fn finish(&mut self) {}
}

/// Control of a simulator beyond the Web API: its clock, telephony events, faults, and what it stored.
///
/// Lists come back as JSON values so that a served simulator can carry them over its control
/// interface unchanged.
pub trait SimControl {
    /// Clears every port, assignment, recording, event, fault and the journal.
    fn reset(&mut self) -> Result<(), ControlError>;
    /// Moves the virtual clock forward (the real clock gets an offset).
    fn advance(&mut self, seconds: f64) -> Result<(), ControlError>;
    /// Puts the active call on a unit and port on hold.
    fn hold(&mut self, unit: &str, port: &str) -> Result<(), ControlError>;
    /// Takes the held call on a unit and port off hold.
    fn retrieve(&mut self, unit: &str, port: &str) -> Result<(), ControlError>;
    /// Ends the active call on a unit and port (or the held one, when it is the only one).
    fn hangup(&mut self, unit: &str, port: &str) -> Result<(), ControlError>;
    /// Makes an operation (`None`: every operation) answer `code` for the next `count` calls that
    /// would otherwise succeed (`None`: until reset); code 100 clears the operation's faults.
    fn fault(
        &mut self,
        op: Option<Operation>,
        code: u16,
        count: Option<u32>,
    ) -> Result<(), ControlError>;
    /// Makes an operation (`None`: every operation) answer `code` on each call that would otherwise
    /// succeed, with a probability from 0 to 1 drawn from the simulator's seeded generator, so that
    /// runs repeat; 0 or code 100 removes the rule.
    fn fault_chance(
        &mut self,
        op: Option<Operation>,
        code: u16,
        probability: f64,
    ) -> Result<(), ControlError> {
        let _ = (op, code, probability);
        Err(ControlError::Invalid(
            "this simulator does not offer faults with a probability".to_string(),
        ))
    }
    /// Makes a served simulator fail an operation (`None`: every operation) below the Web API for
    /// the next `count` calls (`None`: until reset; 0 removes the rule): an HTTP error page, a SOAP
    /// fault, a broken body or a dropped connection. Only `ecapi serve` can do this.
    fn wire_fault(
        &mut self,
        op: Option<Operation>,
        kind: WireFault,
        count: Option<u32>,
    ) -> Result<(), ControlError> {
        let _ = (op, kind, count);
        Err(ControlError::Invalid(format!(
            "only a served simulator (ecapi serve) can answer with {}",
            kind.describe()
        )))
    }
    /// Adds latency to an operation (`None`: every operation); 0 removes it.
    fn delay(&mut self, op: Option<Operation>, ms: u64) -> Result<(), ControlError>;
    /// [`SimControl::fault`] for requests that name one unit and port only; other ports are not
    /// touched.
    fn fault_at(
        &mut self,
        op: Option<Operation>,
        code: u16,
        count: Option<u32>,
        unit: &str,
        port: &str,
    ) -> Result<(), ControlError> {
        let _ = (op, code, count, unit, port);
        Err(ControlError::Invalid(
            "this simulator does not offer faults scoped to a port".to_string(),
        ))
    }
    /// [`SimControl::delay`] for requests that name one unit and port only.
    fn delay_at(
        &mut self,
        op: Option<Operation>,
        ms: u64,
        unit: &str,
        port: &str,
    ) -> Result<(), ControlError> {
        let _ = (op, ms, unit, port);
        Err(ControlError::Invalid(
            "this simulator does not offer delays scoped to a port".to_string(),
        ))
    }
    /// Schedules a telephony event `seconds` ahead on the simulator's clock (`sim_at`); the
    /// simulator fires it on its own (see [`crate::simulator::Simulator::schedule`]).
    fn schedule(
        &mut self,
        seconds: f64,
        event: TelephonyEvent,
        unit: &str,
        port: &str,
    ) -> Result<(), ControlError> {
        let _ = (seconds, event, unit, port);
        Err(ControlError::Invalid(
            "this simulator does not schedule events".to_string(),
        ))
    }
    /// Each recorded desktop's state and segments, the open one included.
    fn desktops(&mut self) -> Result<Vec<serde_json::Value>, ControlError> {
        Err(ControlError::Invalid(
            "this simulator does not list desktops".to_string(),
        ))
    }
    /// What the audit ([`crate::audit`]) found in the traffic so far, oldest first, each a
    /// finding's JSON ([`crate::audit::Finding::json`]).
    fn findings(&mut self) -> Result<Vec<serde_json::Value>, ControlError> {
        Err(ControlError::Invalid(
            "this simulator does not audit its traffic".to_string(),
        ))
    }
    /// The findings once the flow is done: every check still waiting for its window (a
    /// PauseRecording's DesktopPause, ±5 s by default) is settled now, as the end of the traffic
    /// settles it (`expect_no_findings()`, `ecapi test --audit`). Where the simulator cannot settle
    /// them (a served one), its findings so far.
    fn findings_settled(&mut self) -> Result<Vec<serde_json::Value>, ControlError> {
        self.findings()
    }
    /// The operations × response codes the client was answered with, and the failures it met
    /// ([`crate::audit::Coverage::json`]).
    fn coverage(&mut self) -> Result<serde_json::Value, ControlError> {
        Err(ControlError::Invalid(
            "this simulator does not audit its traffic".to_string(),
        ))
    }
    /// The scheduled events: fired ones with their outcome, then pending ones.
    fn scheduled(&mut self) -> Result<Vec<serde_json::Value>, ControlError> {
        Err(ControlError::Invalid(
            "this simulator does not schedule events".to_string(),
        ))
    }
    /// The stopped recordings kept that a query selects, oldest first, each a map with its `seq`
    /// (see [`crate::simulator::Query`]).
    fn recordings(
        &mut self,
        query: &crate::simulator::Query,
    ) -> Result<Vec<serde_json::Value>, ControlError>;
    /// The events kept that a query selects, oldest first, each a map with its `seq`.
    fn events(
        &mut self,
        query: &crate::simulator::Query,
    ) -> Result<Vec<serde_json::Value>, ControlError>;
    /// The journal: every request and answer, with the reason for each non-100 answer.
    fn journal(&mut self) -> Result<Vec<serde_json::Value>, ControlError>;

    /// The simulator's time, when it is at hand without a request (the embedded simulator's
    /// clock); `None` means "use the local wall clock".
    fn clock(&mut self) -> Option<chrono::NaiveDateTime> {
        None
    }
    /// Whether the simulator's clock is virtual (it moves only when advanced), so that waiting
    /// on it (`retry`, `poll_until`) advances it instead of sleeping. A served simulator's clock
    /// is shared with its other clients and is waited on in real time: `false`.
    fn virtual_clock(&mut self) -> bool {
        false
    }
}
