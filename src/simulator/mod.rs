//! The simulator: an Encore server in memory, as a state machine — a request in, a response out.
//!
//! It owns the profiles (`hosted` now; `recorder` to come), the clock, injected faults, the journal
//! and what it stores. It knows nothing of XML, HTTP or Rhai, and does no I/O: latency it is asked to
//! inject is returned to the caller as a delay to wait.

mod clock;
mod faults;
mod hosted;
mod journal;
mod refusal;
mod shared;
mod store;

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use chrono::NaiveDate;

pub use clock::{Clock, ClockMode};
pub use faults::Faults;
pub use hosted::{Hosted, DEFAULT_URL_BASE, PORTS as HOSTED_PORTS};
pub use journal::{Journal, JournalEntry, JOURNAL_CAPACITY};
pub use refusal::Refusal;
pub use shared::Shared;
pub use store::{Event, Recording, StateChange, Store};

use crate::api::{ApiVersion, Operation, Request, RequestError, Response};

/// Which kind of Encore system the simulator behaves like.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Profile {
    /// The vendor's hosted test service (the guides' Appendix A). The default.
    #[default]
    Hosted,
    /// A real recorder: directory, licences, calls on hold, timers.
    Recorder,
}

impl Profile {
    /// The profile's name on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Profile::Hosted => "hosted",
            Profile::Recorder => "recorder",
        }
    }
}

impl fmt::Display for Profile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Profile {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "hosted" => Ok(Profile::Hosted),
            "recorder" => Ok(Profile::Recorder),
            other => Err(format!(
                "unknown profile `{other}`: expected hosted or recorder"
            )),
        }
    }
}

/// How to build a simulator.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The API version it speaks.
    pub api: ApiVersion,
    /// The clock it reads.
    pub clock: Clock,
    /// The URL player base for GetURL links; `None` uses the profile's default.
    pub url_base: Option<String>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            api: ApiVersion::default(),
            clock: Clock::new(ClockMode::Virtual),
            url_base: None,
        }
    }
}

/// The answer to one request, and the latency injected for it.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// The response.
    pub response: Response,
    /// How long the caller should wait before delivering it.
    pub delay: Duration,
}

/// A simulated Encore server.
#[derive(Debug)]
pub struct Simulator {
    shared: Shared,
    day: NaiveDate,
    hosted: Hosted,
    journal: Journal,
}

impl Simulator {
    /// A simulator of the hosted test service.
    pub fn hosted(settings: Settings) -> Simulator {
        let day = settings.clock.today();
        Simulator {
            shared: Shared {
                api: settings.api,
                clock: settings.clock,
                faults: Faults::default(),
                store: Store::default(),
                url_base: settings.url_base,
                last_index: 0,
            },
            day,
            hosted: Hosted::default(),
            journal: Journal::default(),
        }
    }

    /// The profile.
    pub fn profile(&self) -> Profile {
        Profile::Hosted
    }

    /// The API version.
    pub fn api(&self) -> ApiVersion {
        self.shared.api
    }

    /// The clock.
    pub fn clock(&self) -> &Clock {
        &self.shared.clock
    }

    /// Answers one request. An operation the API version lacks, or an integer parameter that is not
    /// one, is refused as a real server would refuse it (with a fault), not answered.
    pub fn handle(&mut self, req: &Request) -> Result<Outcome, RequestError> {
        req.check(self.shared.api)?;
        let now = self.shared.clock.now();
        self.roll_day();
        let op = req.op();
        let (response, reason) = match self.hosted.answer(&mut self.shared, req, now) {
            Ok(r) => (r, String::new()),
            Err(refusal) => (Response::new(op, refusal.code), refusal.reason),
        };
        self.journal
            .record(now, req, response.code, response.message.clone(), reason);
        Ok(Outcome {
            response,
            delay: self.shared.faults.delay(op),
        })
    }

    /// Resets assignments and port states when the clock has passed midnight since the last look.
    fn roll_day(&mut self) {
        let today = self.shared.clock.today();
        if today != self.day {
            self.day = today;
            self.hosted.reset_day();
        }
    }

    /// Moves the clock forward; crossing midnight resets the day at once.
    pub fn advance(&mut self, seconds: f64) -> Result<(), String> {
        if !(seconds.is_finite() && seconds >= 0.0) {
            return Err(format!(
                "the clock only moves forward: cannot advance by {seconds} seconds"
            ));
        }
        self.shared
            .clock
            .advance_ms((seconds * 1000.0).round() as i64);
        self.roll_day();
        Ok(())
    }

    /// Back to the state of a new simulator, keeping settings, clock and the call index counter.
    pub fn reset(&mut self) {
        self.hosted = Hosted::default();
        self.shared.faults.clear();
        self.shared.store = Store::default();
        self.journal.clear();
        self.day = self.shared.clock.today();
    }

    /// Faults and delays, to inject or clear.
    pub fn faults_mut(&mut self) -> &mut Faults {
        &mut self.shared.faults
    }

    /// What the simulator stored.
    pub fn store(&self) -> &Store {
        &self.shared.store
    }

    /// The journal.
    pub fn journal(&self) -> &Journal {
        &self.journal
    }

    /// The hosted profile's state.
    pub fn hosted_state(&self) -> &Hosted {
        &self.hosted
    }

    /// Answers `op`'s would-be name check for error messages: the operations of this version.
    pub fn operations(&self) -> Vec<Operation> {
        Operation::ALL
            .into_iter()
            .filter(|op| op.exists_in(self.shared.api))
            .collect()
    }
}
