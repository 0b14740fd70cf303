//! The backend every agent of one test talks to: one embedded simulator that every agent shares (so
//! the agents meet one server, as they would in production), or the SOAP client, each agent with a
//! clone of its own: its calls go out on the clone's own kept-alive connection, written and read on
//! the agent's thread (as k6's virtual users each have theirs), and its simulator control commands
//! through one pool that worker threads drive ([`Http::for_many_threads`]).
//!
//! The shared simulator runs on its own thread and takes requests in the order they arrive (a
//! channel is first come, first served). A mutex would not do: an agent that releases it and asks
//! again a microsecond later wins it over agents that have waited, and some agents starve for
//! seconds, which would show as the server's latency.

use std::sync::mpsc;
use std::time::Instant;

use crate::api::{ApiVersion, Operation, Request};
use crate::client::{
    Cancel, ControlError, Embedded, Exchange, Http, SimControl, Stopped, Transport, TransportError,
};
use crate::simulator::{Query, TelephonyEvent};

/// What the agents talk to. Cheap to clone; each agent makes its own transport with
/// [`Backend::transport`].
#[derive(Debug, Clone)]
pub enum Backend {
    /// The embedded simulator, one for the whole test.
    Embedded(Simulated),
    /// A server (a real Encore server or an `ecapi serve`) through the SOAP client.
    Http(Box<Http>),
}

impl Backend {
    /// A backend over a server: the client's pool (WSDL and control commands; calls have each
    /// agent's own connection) is rebuilt to be driven by worker threads, as many agents share it.
    pub fn http(http: Http) -> Result<Backend, TransportError> {
        Ok(Backend::Http(Box::new(http.for_many_threads()?)))
    }

    /// A backend over an embedded simulator, which moves to its own thread.
    pub fn embedded(sim: Embedded) -> Backend {
        Backend::Embedded(Simulated::start(sim))
    }

    /// One agent's transport.
    pub fn transport(&self) -> Box<dyn Transport> {
        match self {
            Backend::Embedded(sim) => Box::new(SharedEmbedded {
                sim: sim.clone(),
                trace: false,
                cancel: Cancel::default(),
            }),
            Backend::Http(http) => Box::new(Http::clone(http)),
        }
    }

    /// One line saying what the backend is.
    pub fn describe(&self) -> String {
        match self {
            Backend::Embedded(sim) => sim.describe.clone(),
            Backend::Http(http) => http.describe(),
        }
    }
}

type Job = Box<dyn FnOnce(&mut Embedded) + Send>;

/// The embedded simulator on its own thread, answering jobs in the order they come. The thread
/// ends when the last handle is dropped.
#[derive(Debug, Clone)]
pub struct Simulated {
    jobs: mpsc::Sender<Job>,
    api: ApiVersion,
    describe: String,
}

impl Simulated {
    /// Moves the simulator to its own thread.
    pub fn start(mut sim: Embedded) -> Simulated {
        let (jobs, queue) = mpsc::channel::<Job>();
        let api = sim.api();
        let describe = sim.describe();
        std::thread::Builder::new()
            .name("load-simulator".to_string())
            .spawn(move || {
                for job in queue {
                    job(&mut sim);
                }
            })
            .expect("the simulator thread starts");
        Simulated {
            jobs,
            api,
            describe,
        }
    }

    /// Runs `f` on the simulator and waits for its result.
    fn with<R: Send + 'static>(&self, f: impl FnOnce(&mut Embedded) -> R + Send + 'static) -> R {
        let (tx, rx) = mpsc::channel();
        let job: Job = Box::new(move |sim| {
            let _ = tx.send(f(sim));
        });
        self.jobs
            .send(job)
            .expect("the simulator thread runs while a handle exists");
        rx.recv().expect("the simulator answers every job")
    }
}

/// One agent's view of the shared embedded simulator. An injected delay (`sim_delay`) is waited
/// out by the agent, not the simulator's thread, so one slow answer does not hold up every agent.
#[derive(Debug)]
pub struct SharedEmbedded {
    sim: Simulated,
    trace: bool,
    cancel: Cancel,
}

impl Transport for SharedEmbedded {
    fn call(&mut self, request: &Request) -> Result<Exchange, TransportError> {
        let started = Instant::now();
        let (request, trace) = (request.clone(), self.trace);
        let (outcome, trace) = self.sim.with(move |sim| {
            let outcome = sim.simulator_mut().handle(&request)?;
            let trace = trace
                .then(|| crate::soap::trace_of(&request, &outcome.response, sim.simulator().api()));
            Ok::<_, TransportError>((outcome, trace))
        })?;
        if !outcome.delay.is_zero() {
            self.cancel
                .sleep(outcome.delay)
                .map_err(|stopped| match stopped {
                    Stopped::Interrupted => TransportError::Interrupted {
                        url: "the embedded simulator".to_string(),
                    },
                    other => TransportError::Stopped(other),
                })?;
        }
        Ok(Exchange {
            response: outcome.response,
            elapsed: started.elapsed(),
            trace,
            reason: outcome.reason,
        })
    }

    fn api(&self) -> ApiVersion {
        self.sim.api
    }

    fn describe(&self) -> String {
        self.sim.describe.clone()
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

/// Every control the embedded simulator offers, run on its thread (a control it does not offer
/// keeps the trait's default answer).
impl SimControl for SharedEmbedded {
    fn reset(&mut self) -> Result<(), ControlError> {
        self.sim.with(<Embedded as SimControl>::reset)
    }

    fn advance(&mut self, seconds: f64) -> Result<(), ControlError> {
        self.sim.with(move |s| s.advance(seconds))
    }

    fn hold(&mut self, unit: &str, port: &str) -> Result<(), ControlError> {
        let (u, p) = (unit.to_string(), port.to_string());
        self.sim.with(move |s| s.hold(&u, &p))
    }

    fn retrieve(&mut self, unit: &str, port: &str) -> Result<(), ControlError> {
        let (u, p) = (unit.to_string(), port.to_string());
        self.sim.with(move |s| s.retrieve(&u, &p))
    }

    fn hangup(&mut self, unit: &str, port: &str) -> Result<(), ControlError> {
        let (u, p) = (unit.to_string(), port.to_string());
        self.sim.with(move |s| s.hangup(&u, &p))
    }

    fn fault(
        &mut self,
        op: Option<Operation>,
        code: u16,
        count: Option<u32>,
    ) -> Result<(), ControlError> {
        self.sim.with(move |s| s.fault(op, code, count))
    }

    fn fault_chance(
        &mut self,
        op: Option<Operation>,
        code: u16,
        probability: f64,
    ) -> Result<(), ControlError> {
        self.sim
            .with(move |s| s.fault_chance(op, code, probability))
    }

    fn delay(&mut self, op: Option<Operation>, ms: u64) -> Result<(), ControlError> {
        self.sim.with(move |s| s.delay(op, ms))
    }

    fn recordings(&mut self, query: &Query) -> Result<Vec<serde_json::Value>, ControlError> {
        let query = query.clone();
        self.sim.with(move |s| s.recordings(&query))
    }

    fn events(&mut self, query: &Query) -> Result<Vec<serde_json::Value>, ControlError> {
        let query = query.clone();
        self.sim.with(move |s| s.events(&query))
    }

    fn fault_at(
        &mut self,
        op: Option<Operation>,
        code: u16,
        count: Option<u32>,
        unit: &str,
        port: &str,
    ) -> Result<(), ControlError> {
        let (u, p) = (unit.to_string(), port.to_string());
        self.sim.with(move |s| s.fault_at(op, code, count, &u, &p))
    }

    fn delay_at(
        &mut self,
        op: Option<Operation>,
        ms: u64,
        unit: &str,
        port: &str,
    ) -> Result<(), ControlError> {
        let (u, p) = (unit.to_string(), port.to_string());
        self.sim.with(move |s| s.delay_at(op, ms, &u, &p))
    }

    fn schedule(
        &mut self,
        seconds: f64,
        event: TelephonyEvent,
        unit: &str,
        port: &str,
    ) -> Result<(), ControlError> {
        let (u, p) = (unit.to_string(), port.to_string());
        self.sim.with(move |s| s.schedule(seconds, event, &u, &p))
    }

    fn scheduled(&mut self) -> Result<Vec<serde_json::Value>, ControlError> {
        self.sim.with(<Embedded as SimControl>::scheduled)
    }

    fn journal(&mut self) -> Result<Vec<serde_json::Value>, ControlError> {
        self.sim.with(<Embedded as SimControl>::journal)
    }

    fn clock(&mut self) -> Option<chrono::NaiveDateTime> {
        self.sim.with(<Embedded as SimControl>::clock)
    }

    fn virtual_clock(&mut self) -> bool {
        self.sim.with(<Embedded as SimControl>::virtual_clock)
    }
}
