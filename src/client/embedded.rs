//! The embedded simulator behind the transport seam, and the audit of what reaches it: every
//! exchange (a script's call, or a request `ecapi serve` answered) goes through
//! [`Embedded::audit`], whose findings join the journal entry they concern and the list
//! `sim_findings()` reads.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use super::{Cancel, ControlError, Exchange, SimControl, Stopped, Transport, TransportError};
use crate::api::{ApiVersion, Operation, Request};
use crate::audit::{Auditor, DesktopUsers, Finding, Options, Seat};
use crate::simulator::{PortRef, Query, SimError, Simulator, TelephonyEvent};

/// The longest latency `sim_delay` adds: 10 minutes, beyond any client's timeout, so that a
/// mistyped number cannot hold every request for ever.
pub const MAX_DELAY_MS: u64 = 600_000;

/// How many findings `sim_findings()` keeps; older ones are dropped (the journal keeps its own).
pub const FINDINGS_KEPT: usize = 1000;

/// A [`Simulator`] in this process.
#[derive(Debug)]
pub struct Embedded {
    sim: Simulator,
    trace: bool,
    /// Ends a simulated delay (`sim_delay`) when the run is stopped.
    cancel: Cancel,
    /// The audit of the traffic, and the options it was made with (for `sim_reset`).
    auditor: Auditor,
    audit_options: Options,
    /// The most recent findings, oldest first.
    findings: VecDeque<Finding>,
}

/// The audit's options for a simulator: `options`, with the recorder profile's directory as the
/// seats and, unless `options` names them, its desktop users.
pub fn audit_options(sim: &Simulator, mut options: Options) -> Options {
    if let Some(r) = sim.recorder_state() {
        let users = &r.config().users;
        options.seats = users
            .iter()
            .filter_map(|u| {
                u.login.as_ref().map(|l| Seat {
                    login: l.clone(),
                    unit: u.unit.clone(),
                    port: u.port.to_string(),
                })
            })
            .collect();
        if options.desktop_users == DesktopUsers::None {
            options.desktop_users = DesktopUsers::Logins(
                users
                    .iter()
                    .filter(|u| u.desktop)
                    .filter_map(|u| u.login.as_ref().map(|l| l.to_lowercase()))
                    .collect(),
            );
        }
    }
    options
}

impl Embedded {
    /// Wraps a simulator; its traffic is audited with the default options and, in the recorder
    /// profile, the directory's desktop users.
    pub fn new(sim: Simulator) -> Embedded {
        Embedded::with_audit(sim, Options::default())
    }

    /// Wraps a simulator, auditing its traffic with `options` (see [`audit_options`]).
    pub fn with_audit(sim: Simulator, options: Options) -> Embedded {
        let options = audit_options(&sim, options);
        Embedded {
            sim,
            trace: false,
            cancel: Cancel::default(),
            auditor: Auditor::new(options.clone()),
            audit_options: options,
            findings: VecDeque::new(),
        }
    }

    /// Audits one exchange, numbered as its journal entry: its findings (and any earlier ones
    /// now certain) join the journal entries they concern and the list `sim_findings()` reads.
    pub fn audit(&mut self, exchange: &crate::exchange::Exchange) -> Vec<Finding> {
        let found = self.auditor.observe(exchange);
        if !found.is_empty() {
            self.keep(&found);
        }
        found
    }

    /// The audit's findings so far (with those whose window has passed by the simulator's
    /// clock), oldest first.
    pub fn findings(&mut self) -> impl Iterator<Item = &Finding> {
        let now = self.sim.clock().now().and_utc();
        let found = self.auditor.tick(now);
        self.keep(&found);
        self.findings.iter()
    }

    /// Whether the traffic is audited (`ecapi serve --no-audit` turns it off).
    pub fn audits(&self) -> bool {
        self.audit_options.enabled
    }

    /// The auditor (coverage, counts, `url-too-early`).
    pub fn auditor_mut(&mut self) -> &mut Auditor {
        &mut self.auditor
    }

    /// Records findings made outside [`Embedded::audit`] (a player page opened too early).
    pub fn keep(&mut self, found: &[Finding]) {
        for f in found {
            if let Some(seq) = f.exchanges.last().map(|s| s.seq).filter(|s| *s > 0) {
                self.sim.attach_finding(seq, f.clone());
            }
            if self.findings.len() == FINDINGS_KEPT {
                self.findings.pop_front();
            }
            self.findings.push_back(f.clone());
        }
    }

    /// The simulator.
    pub fn simulator(&self) -> &Simulator {
        &self.sim
    }

    /// The simulator, to change.
    pub fn simulator_mut(&mut self) -> &mut Simulator {
        &mut self.sim
    }
}

impl Embedded {
    /// Waits out injected latency, giving up when the run is stopped.
    fn wait(&self, delay: Duration) -> Result<(), TransportError> {
        self.cancel.sleep(delay).map_err(|stopped| match stopped {
            Stopped::Interrupted => TransportError::Interrupted {
                url: "the embedded simulator".to_string(),
            },
            other => TransportError::Stopped(other),
        })
    }
}

impl Transport for Embedded {
    fn call(&mut self, request: &Request) -> Result<Exchange, TransportError> {
        let started = Instant::now();
        // A virtual clock stands still while a request is answered (a delay is waited in real
        // time): the simulator's time of answering is also when the request was sent and when its
        // answer was complete. A real clock is read on either side.
        let real_clock = self.sim.clock().mode() == crate::simulator::ClockMode::Real;
        let sent_real = real_clock.then(|| self.sim.clock().now().and_utc());
        let outcome = self.sim.handle(request)?;
        if !outcome.delay.is_zero() {
            self.wait(outcome.delay)?;
        }
        let elapsed = started.elapsed();
        let mut response = outcome.response;
        // The exchange holds a copy of the request, made only to be audited; the answer moves
        // into it and back out.
        if self.audits() {
            let sent = sent_real.unwrap_or_else(|| outcome.time.and_utc());
            let answered = if real_clock {
                self.sim.clock().now().and_utc().max(sent)
            } else {
                sent
            };
            let exchange = crate::exchange::Exchange {
                seq: self.sim.journal().total(),
                sent,
                answered: Some(answered),
                client: None,
                request: Some(request.clone()),
                outcome: crate::exchange::Outcome::Answered(response),
                notes: Vec::new(),
            };
            self.audit(&exchange);
            // Taken back out in place (the rest of the exchange, the request's copy, dropped).
            let crate::exchange::Outcome::Answered(answered) = exchange.outcome else {
                unreachable!("answered above")
            };
            response = answered;
        }
        let trace = if self.trace {
            Some(crate::soap::trace_of(request, &response, self.sim.api()))
        } else {
            None
        };
        Ok(Exchange {
            response,
            elapsed,
            trace,
            reason: outcome.reason,
        })
    }

    fn api(&self) -> ApiVersion {
        self.sim.api()
    }

    fn describe(&self) -> String {
        format!(
            "embedded simulator, profile {}, API {}, {} clock",
            self.sim.profile(),
            self.sim.api(),
            match self.sim.clock().mode() {
                crate::simulator::ClockMode::Real => "real",
                crate::simulator::ClockMode::Virtual => "virtual",
            }
        )
    }

    fn set_trace(&mut self, on: bool) {
        self.trace = on;
    }

    fn set_cancel(&mut self, cancel: Cancel) {
        self.cancel = cancel;
    }

    fn control(&mut self) -> Option<&mut dyn SimControl> {
        Some(self)
    }
}

fn to_json<T: serde::Serialize>(items: impl Iterator<Item = T>) -> Vec<serde_json::Value> {
    items
        .map(|i| serde_json::to_value(i).expect("simulator records serialize"))
        .collect()
}

impl SimControl for Embedded {
    fn reset(&mut self) -> Result<(), ControlError> {
        self.sim.reset().map_err(control_error)?;
        self.auditor = Auditor::new(self.audit_options.clone());
        self.findings.clear();
        Ok(())
    }

    fn advance(&mut self, seconds: f64) -> Result<(), ControlError> {
        self.sim.advance(seconds).map_err(ControlError::Invalid)
    }

    fn hold(&mut self, unit: &str, port: &str) -> Result<(), ControlError> {
        self.sim
            .hold(unit, port)
            .map_err(|e| telephony_error("sim_hold", e))
    }

    fn retrieve(&mut self, unit: &str, port: &str) -> Result<(), ControlError> {
        self.sim
            .retrieve(unit, port)
            .map_err(|e| telephony_error("sim_retrieve", e))
    }

    fn hangup(&mut self, unit: &str, port: &str) -> Result<(), ControlError> {
        self.sim
            .hangup(unit, port)
            .map_err(|e| telephony_error("sim_hangup", e))
    }

    fn fault(
        &mut self,
        op: Option<Operation>,
        code: u16,
        count: Option<u32>,
    ) -> Result<(), ControlError> {
        self.sim.faults_mut().set(op, code, count);
        Ok(())
    }

    fn delay(&mut self, op: Option<Operation>, ms: u64) -> Result<(), ControlError> {
        check_delay(ms)?;
        self.sim
            .faults_mut()
            .set_delay(op, Duration::from_millis(ms));
        Ok(())
    }

    fn fault_chance(
        &mut self,
        op: Option<Operation>,
        code: u16,
        probability: f64,
    ) -> Result<(), ControlError> {
        if !(0.0..=1.0).contains(&probability) {
            return Err(ControlError::Invalid(format!(
                "a fault's probability is from 0 to 1, not {probability}"
            )));
        }
        self.sim.faults_mut().set_chance(op, code, probability);
        Ok(())
    }

    fn recordings(&mut self, query: &Query) -> Result<Vec<serde_json::Value>, ControlError> {
        Ok(to_json(
            self.sim
                .list_recordings(query)
                .map_err(control_error)?
                .iter(),
        ))
    }

    fn events(&mut self, query: &Query) -> Result<Vec<serde_json::Value>, ControlError> {
        Ok(to_json(
            self.sim.list_events(query).map_err(control_error)?.iter(),
        ))
    }

    fn clock(&mut self) -> Option<chrono::NaiveDateTime> {
        Some(self.sim.clock().now())
    }

    fn virtual_clock(&mut self) -> bool {
        self.sim.clock().mode() == crate::simulator::ClockMode::Virtual
    }

    fn journal(&mut self) -> Result<Vec<serde_json::Value>, ControlError> {
        Ok(to_json(self.sim.journal().entries()))
    }

    fn findings(&mut self) -> Result<Vec<serde_json::Value>, ControlError> {
        Ok(Embedded::findings(self).map(Finding::json).collect())
    }

    fn findings_settled(&mut self) -> Result<Vec<serde_json::Value>, ControlError> {
        let settled = self.auditor.finish();
        self.keep(&settled);
        Ok(Embedded::findings(self).map(Finding::json).collect())
    }

    fn coverage(&mut self) -> Result<serde_json::Value, ControlError> {
        Ok(self.auditor.coverage().json())
    }

    fn fault_at(
        &mut self,
        op: Option<Operation>,
        code: u16,
        count: Option<u32>,
        unit: &str,
        port: &str,
    ) -> Result<(), ControlError> {
        self.sim
            .faults_mut()
            .set_at(op, Some(PortRef::new(unit, port)), code, count);
        Ok(())
    }

    fn delay_at(
        &mut self,
        op: Option<Operation>,
        ms: u64,
        unit: &str,
        port: &str,
    ) -> Result<(), ControlError> {
        check_delay(ms)?;
        self.sim.faults_mut().set_delay_at(
            op,
            Some(PortRef::new(unit, port)),
            Duration::from_millis(ms),
        );
        Ok(())
    }

    fn schedule(
        &mut self,
        seconds: f64,
        event: TelephonyEvent,
        unit: &str,
        port: &str,
    ) -> Result<(), ControlError> {
        self.sim
            .schedule(seconds, event, unit, port)
            .map_err(control_error)
    }

    fn desktops(&mut self) -> Result<Vec<serde_json::Value>, ControlError> {
        Ok(to_json(self.sim.desktops().map_err(control_error)?.iter()))
    }

    fn scheduled(&mut self) -> Result<Vec<serde_json::Value>, ControlError> {
        Ok(to_json(self.sim.scheduled().iter()))
    }
}

/// A delay within [`MAX_DELAY_MS`].
fn check_delay(ms: u64) -> Result<(), ControlError> {
    if ms > MAX_DELAY_MS {
        return Err(ControlError::Invalid(format!(
            "a delay of {ms} ms is too long: at most {MAX_DELAY_MS} ms (10 minutes)"
        )));
    }
    Ok(())
}

fn control_error(e: SimError) -> ControlError {
    match e {
        SimError::NotInProfile(m) => ControlError::NotInProfile(m),
        other => ControlError::Invalid(other.to_string()),
    }
}

/// A telephony event's error, named after the script function that asked for it.
fn telephony_error(function: &str, e: SimError) -> ControlError {
    match e {
        SimError::NotInProfile(_) => ControlError::NotInProfile(format!(
            "{function} needs the recorder profile (--profile recorder): the hosted service has no telephony events"
        )),
        other => ControlError::Invalid(other.to_string()),
    }
}
