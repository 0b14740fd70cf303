//! The embedded simulator behind the transport seam.

use std::time::{Duration, Instant};

use super::{ControlError, Exchange, SimControl, Transport, TransportError};
use crate::api::{ApiVersion, Operation, Request};
use crate::simulator::Simulator;

/// A [`Simulator`] in this process.
#[derive(Debug)]
pub struct Embedded {
    sim: Simulator,
    trace: bool,
}

impl Embedded {
    /// Wraps a simulator.
    pub fn new(sim: Simulator) -> Embedded {
        Embedded { sim, trace: false }
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

impl Transport for Embedded {
    fn call(&mut self, request: &Request) -> Result<Exchange, TransportError> {
        let started = Instant::now();
        let outcome = self.sim.handle(request)?;
        if !outcome.delay.is_zero() {
            std::thread::sleep(outcome.delay);
        }
        let elapsed = started.elapsed();
        let trace = if self.trace {
            Some(crate::soap::trace_of(
                request,
                &outcome.response,
                self.sim.api(),
            ))
        } else {
            None
        };
        Ok(Exchange {
            response: outcome.response,
            elapsed,
            trace,
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
        self.sim.reset();
        Ok(())
    }

    fn advance(&mut self, seconds: f64) -> Result<(), ControlError> {
        self.sim.advance(seconds).map_err(ControlError::Invalid)
    }

    fn hold(&mut self, _unit: &str, _port: &str) -> Result<(), ControlError> {
        Err(not_in_hosted("sim_hold"))
    }

    fn retrieve(&mut self, _unit: &str, _port: &str) -> Result<(), ControlError> {
        Err(not_in_hosted("sim_retrieve"))
    }

    fn hangup(&mut self, _unit: &str, _port: &str) -> Result<(), ControlError> {
        Err(not_in_hosted("sim_hangup"))
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
        self.sim
            .faults_mut()
            .set_delay(op, Duration::from_millis(ms));
        Ok(())
    }

    fn recordings(&mut self) -> Result<Vec<serde_json::Value>, ControlError> {
        Ok(to_json(self.sim.store().recordings.iter()))
    }

    fn events(&mut self) -> Result<Vec<serde_json::Value>, ControlError> {
        Ok(to_json(self.sim.store().events.iter()))
    }

    fn journal(&mut self) -> Result<Vec<serde_json::Value>, ControlError> {
        Ok(to_json(self.sim.journal().entries()))
    }
}

fn not_in_hosted(function: &str) -> ControlError {
    ControlError::NotInProfile(format!(
        "{function} needs the recorder profile (--profile recorder): the hosted service has no telephony events"
    ))
}
