//! The simulator: an Encore server in memory, as a state machine — a request in, a response out.
//!
//! It owns the profiles (`hosted` and `recorder`), the clock, injected faults, the journal and what
//! it stores. It knows nothing of XML, HTTP or Rhai. Its only I/O is the recorder profile's database;
//! latency it is asked to inject is returned to the caller as a delay to wait.

mod checks;
mod clock;
mod config;
mod db;
mod faults;
mod hosted;
mod journal;
mod recorder;
mod refusal;
mod requirements;
mod schedule;
mod shared;
mod store;

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use chrono::NaiveDate;

pub use clock::{Clock, ClockMode, PastTheEnd, CLOCK_END};
pub use config::{
    Column, ConfigError, RecorderConfig, SqlType, UnitConfig, UserConfig,
    DEFAULT_MAX_RECORDING_SECONDS, MAX_UNIT_PORTS,
};
pub use db::{DbError, DbLocation};
pub use faults::{Faults, PortRef};
pub use hosted::{Hosted, DEFAULT_URL_BASE, PORTS as HOSTED_PORTS};
pub use journal::{ExportedEntry, Journal, JournalEntry, JOURNAL_CAPACITY};
pub use recorder::{
    DesktopView, Recorder, SegmentView, SegmentWindow, SEGMENTS_LISTED, SEGMENT_SECONDS,
};
pub use refusal::Refusal;
pub use requirements::{requirements, Requirement};
pub use schedule::{Scheduled, TelephonyEvent};
pub use shared::{LinkSigner, Shared};
pub use store::{
    Assignment, DesktopRun, DesktopSegment, Event, Listed, Query, Recording, StateChange, Store,
    Weigh, Window, DEFAULT_LIMIT, WINDOW_BYTES, WINDOW_ITEMS,
};

use crate::api::{ApiVersion, Operation, Request, RequestError, Response};

/// The most `advance` moves the clock in one call: 100 years, far beyond any test's need and far
/// from the limits of the calendar.
pub const MAX_ADVANCE_SECONDS: f64 = 100.0 * 366.0 * 86_400.0;

/// Why the clock cannot move forward by `seconds`, or `None` when it can (within the clock's end,
/// which [`Simulator::advance`] checks). `shown` is the amount as the caller wrote it, so that a
/// whole number is named exactly rather than rounded through a float.
pub fn advance_refusal(shown: &dyn std::fmt::Display, seconds: f64) -> Option<String> {
    if !(seconds.is_finite() && seconds >= 0.0) {
        return Some(format!(
            "the clock only moves forward: cannot advance by {shown} seconds"
        ));
    }
    (seconds > MAX_ADVANCE_SECONDS).then(|| {
        format!("cannot advance by {shown} seconds: at most {MAX_ADVANCE_SECONDS} (100 years) at a time")
    })
}

/// Why an event cannot be scheduled `seconds` ahead (`sim_at`), or `None`; `shown` as in
/// [`advance_refusal`].
pub fn schedule_refusal(shown: &dyn std::fmt::Display, seconds: f64) -> Option<String> {
    (!(seconds.is_finite() && (0.0..=MAX_ADVANCE_SECONDS).contains(&seconds))).then(|| {
        format!(
            "{shown} seconds ahead is not a time on the clock: from 0 to {MAX_ADVANCE_SECONDS} (100 years)"
        )
    })
}

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

/// Why a simulator cannot be built or cannot do what it was asked beyond the Web API.
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    /// The recorder's configuration is unusable.
    #[error("{0}")]
    Config(#[from] ConfigError),
    /// The recorder's database failed.
    #[error("{0}")]
    Database(#[from] DbError),
    /// The profile has no such thing (calls on hold in `hosted`).
    #[error("{0}")]
    NotInProfile(String),
    /// A telephony event that cannot happen in the port's current state, or on no such port.
    #[error("{0}")]
    Telephony(String),
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
    /// Why the answer is not 100 (as in the journal), for a user to read; `None` for 100.
    pub reason: Option<String>,
    /// The simulator's time when it answered (the journal entry's).
    pub time: chrono::NaiveDateTime,
}

/// The state of the profile in use.
#[derive(Debug)]
enum Engine {
    Hosted(Hosted),
    Recorder(Box<Recorder>),
}

/// A simulated Encore server.
#[derive(Debug)]
pub struct Simulator {
    shared: Shared,
    day: NaiveDate,
    engine: Engine,
    journal: Journal,
    schedule: schedule::Schedule,
    /// The longest string value answered, in characters: the server's `maxStringContentLength`
    /// ([`crate::api::MAX_STRING_CHARS`] unless set).
    max_string_chars: usize,
}

fn shared_of(settings: Settings) -> Shared {
    Shared {
        api: settings.api,
        clock: settings.clock,
        faults: Faults::default(),
        store: Store::default(),
        keep_url_base_when_served: settings.url_base.is_some(),
        url_base: settings.url_base,
        last_index: 0,
        link_signer: None,
        at: None,
    }
}

impl Simulator {
    /// A simulator of the hosted test service.
    pub fn hosted(settings: Settings) -> Simulator {
        let day = settings.clock.today();
        Simulator {
            shared: shared_of(settings),
            day,
            engine: Engine::Hosted(Hosted::default()),
            journal: Journal::default(),
            schedule: schedule::Schedule::default(),
            max_string_chars: crate::api::MAX_STRING_CHARS,
        }
    }

    /// A simulator of a real recorder, configured by `config`, keeping what it stores in the
    /// database at `db`. The URL player base of `settings`, when given, wins over the
    /// configuration's (a served simulator points links at itself).
    pub fn recorder(
        settings: Settings,
        config: RecorderConfig,
        db: DbLocation,
    ) -> Result<Simulator, SimError> {
        let db = db::Db::open(&db)?;
        let mut shared = shared_of(settings);
        shared.last_index = db.last_index()?;
        // A base given by the caller, or a configuration that asks for its player when served,
        // keeps links where they are when the simulator is served.
        shared.keep_url_base_when_served |= config.url_player_when_served;
        shared.url_base = shared.url_base.or_else(|| config.url_player.clone());
        shared.faults.seed(config.fault_seed);
        let now = shared.clock.now();
        Ok(Simulator {
            day: shared.clock.today(),
            engine: Engine::Recorder(Box::new(Recorder::new(config, db, now))),
            shared,
            journal: Journal::default(),
            schedule: schedule::Schedule::default(),
            max_string_chars: crate::api::MAX_STRING_CHARS,
        })
    }

    /// The profile.
    pub fn profile(&self) -> Profile {
        match self.engine {
            Engine::Hosted(_) => Profile::Hosted,
            Engine::Recorder(_) => Profile::Recorder,
        }
    }

    /// The API version.
    pub fn api(&self) -> ApiVersion {
        self.shared.api
    }

    /// The clock.
    pub fn clock(&self) -> &Clock {
        &self.shared.clock
    }

    /// Sets the longest string value the simulator answers, in characters: the reader quota of
    /// the server in front of it (`ecapi serve --max-string-content-length`; WCF's
    /// `maxStringContentLength`, 8,192 by default). Longer values are refused, and the journal
    /// keeps values up to it.
    pub fn set_max_string_chars(&mut self, chars: usize) {
        self.max_string_chars = chars;
        self.journal.set_quota(chars);
    }

    /// The longest string value the simulator answers, in characters.
    pub fn max_string_chars(&self) -> usize {
        self.max_string_chars
    }

    /// Answers one request. An operation the API version lacks, or an integer parameter that is not
    /// one, is refused as a real server would refuse it (with a fault), not answered.
    pub fn handle(&mut self, req: &Request) -> Result<Outcome, RequestError> {
        let now = self.shared.clock.now();
        self.fire_due(now);
        // Values over the reader quota never reach a real recorder (the server's reader refuses
        // them); the embedded simulator refuses them too, so nothing it keeps grows past the quota.
        let quota = self.max_string_chars;
        if let Err(e) = req
            .check(self.shared.api)
            .and_then(|()| req.over_quota(quota))
        {
            // Refused before any answer: journaled with code 0, so the journal still shows it.
            self.journal
                .record(now, req, 0, std::borrow::Cow::Borrowed(""), e.to_string());
            return Err(e);
        }
        self.roll_day(now.date());
        let op = req.op();
        // Port-scoped faults match the unit and port the request names (normalised, which
        // allocates: only when some rule or delay is in force).
        self.shared.at = (self.shared.faults.by_port()
            && op
                .params(self.shared.api)
                .contains(&crate::api::Param::Port))
        .then(|| {
            PortRef::new(
                req.get(crate::api::Param::Unit),
                req.get(crate::api::Param::Port),
            )
        });
        let answer = match &mut self.engine {
            Engine::Hosted(h) => {
                checks::required(req).and_then(|()| h.answer(&mut self.shared, req, now))
            }
            Engine::Recorder(r) => {
                r.tick(now);
                checks::required(req).and_then(|()| r.answer(&mut self.shared, req, now))
            }
        };
        let (response, reason) = match answer {
            Ok(r) => (r, String::new()),
            Err(refusal) => (Response::new(op, refusal.code), refusal.reason),
        };
        let shown = (!reason.is_empty()).then(|| reason.clone());
        self.journal
            .record(now, req, response.code, response.message.clone(), reason);
        Ok(Outcome {
            response,
            delay: self.shared.faults.delay(op, self.shared.at.take().as_ref()),
            reason: shown,
            time: now,
        })
    }

    /// Adds a note to the journal entry of the request answered last (the server's request reader
    /// notes how it read the request; see [`crate::soap::WireNote`]).
    pub fn note_last(&mut self, note: &str) {
        self.journal.note_last(note);
    }

    /// Resets assignments and port states when the clock has passed midnight since the last look
    /// (the hosted service's nightly reset; a real recorder keeps its calls over midnight).
    fn roll_day(&mut self, today: NaiveDate) {
        if today != self.day {
            self.day = today;
            if let Engine::Hosted(h) = &mut self.engine {
                h.reset_day();
            }
        }
    }

    /// Fires the scheduled events and the recorder's timers that are due by the clock's time.
    fn tick(&mut self) {
        let now = self.shared.clock.now();
        self.fire_due(now);
        if let Engine::Recorder(r) = &mut self.engine {
            r.tick(now);
        }
    }

    /// Applies the scheduled telephony events due by `now`, each at its own due time (the
    /// recorder's timers first brought up to that time), keeping each one's outcome.
    #[inline]
    fn fire_due(&mut self, now: chrono::NaiveDateTime) {
        // Nothing scheduled (most runs): inlined into every request's path.
        if self.schedule.is_idle() {
            return;
        }
        self.fire_scheduled(now);
    }

    /// [`Simulator::fire_due`] when events are scheduled.
    fn fire_scheduled(&mut self, now: chrono::NaiveDateTime) {
        for mut due in self.schedule.take_due(now) {
            let result = match &mut self.engine {
                Engine::Recorder(r) => {
                    r.tick(due.due);
                    match due.event {
                        TelephonyEvent::Hold => r.hold(&due.unit, &due.port, due.due),
                        TelephonyEvent::Retrieve => r.retrieve(&due.unit, &due.port, due.due),
                        TelephonyEvent::Hangup => r.hangup(&due.unit, &due.port, due.due),
                    }
                }
                Engine::Hosted(_) => Err("the hosted service has no telephony events".to_string()),
            };
            due.outcome = match result {
                Ok(()) => "done".to_string(),
                Err(why) => why,
            };
            self.schedule.fired(due);
        }
    }

    /// Schedules a telephony event `seconds` ahead on the simulator's clock (`sim_at`); it fires
    /// as [`schedule`](self::schedule) describes. The unit and port must exist; 0 seconds fires at
    /// once. Recorder profile only.
    pub fn schedule(
        &mut self,
        seconds: f64,
        event: TelephonyEvent,
        unit: &str,
        port: &str,
    ) -> Result<(), SimError> {
        if let Some(refusal) = schedule_refusal(&seconds, seconds) {
            return Err(SimError::Telephony(refusal));
        }
        let Engine::Recorder(r) = &self.engine else {
            return Err(SimError::NotInProfile(
                "sim_at needs the recorder profile (--profile recorder): the hosted service has no telephony events".to_string(),
            ));
        };
        r.resolve(unit, port).map_err(SimError::Telephony)?;
        if self.schedule.pending_count() >= schedule::MAX_PENDING {
            return Err(SimError::Telephony(format!(
                "sim_at: {} events are already waiting, the most a simulator keeps; let some fire (sim_advance) or sim_reset",
                schedule::MAX_PENDING
            )));
        }
        let now = self.shared.clock.now();
        let due = now + chrono::Duration::milliseconds((seconds * 1000.0).round() as i64);
        self.schedule.add(due, event, unit, port);
        self.fire_due(now);
        Ok(())
    }

    /// The scheduled events: those fired (with their outcome), oldest first, then those pending.
    pub fn scheduled(&mut self) -> Vec<Scheduled> {
        self.tick();
        self.schedule.list()
    }

    /// Moves the clock forward; crossing midnight resets the day at once.
    ///
    /// # Errors
    /// A negative or non-finite amount, more than [`MAX_ADVANCE_SECONDS`], or a move past
    /// [`CLOCK_END`]: the clock stays where it was and the message says so.
    pub fn advance(&mut self, seconds: f64) -> Result<(), String> {
        if let Some(refusal) = advance_refusal(&seconds, seconds) {
            return Err(refusal);
        }
        let clock = &mut self.shared.clock;
        clock
            .advance_ms((seconds * 1000.0).round() as i64)
            .map_err(|e| {
                format!(
                    "cannot advance by {seconds} seconds: {e} (the clock is at {}; {} seconds are left)",
                    clock.now().format("%Y-%m-%dT%H:%M:%S"),
                    clock.seconds_left()
                )
            })?;
        self.roll_day(self.shared.clock.today());
        self.tick();
        Ok(())
    }

    /// Back to the state of a new simulator, keeping settings, clock and the call index counter.
    /// The recorder's database is emptied too.
    pub fn reset(&mut self) -> Result<(), SimError> {
        self.shared.faults.clear();
        self.shared.store = Store::default();
        self.journal.clear();
        self.schedule.clear();
        self.day = self.shared.clock.today();
        match &mut self.engine {
            Engine::Hosted(h) => *h = Hosted::default(),
            Engine::Recorder(r) => r.reset(self.shared.clock.now())?,
        }
        Ok(())
    }

    /// The recorder, for a telephony event at the clock's time (timers fired first).
    fn telephony(
        &mut self,
        event: &str,
    ) -> Result<(&mut Recorder, chrono::NaiveDateTime), SimError> {
        let now = self.shared.clock.now();
        self.fire_due(now);
        match &mut self.engine {
            Engine::Recorder(r) => {
                r.tick(now);
                Ok((r, now))
            }
            Engine::Hosted(_) => Err(SimError::NotInProfile(format!(
                "{event} needs the recorder profile (--profile recorder): the hosted service has no telephony events"
            ))),
        }
    }

    /// Telephony: puts the active call on a unit and port on hold (RECORD becomes SUSPENDED).
    pub fn hold(&mut self, unit: &str, port: &str) -> Result<(), SimError> {
        let (r, now) = self.telephony("hold")?;
        r.hold(unit, port, now).map_err(SimError::Telephony)
    }

    /// Telephony: takes the held call on a unit and port off hold.
    pub fn retrieve(&mut self, unit: &str, port: &str) -> Result<(), SimError> {
        let (r, now) = self.telephony("retrieve")?;
        r.retrieve(unit, port, now).map_err(SimError::Telephony)
    }

    /// Telephony: ends the active call on a unit and port (or the held one when it is alone),
    /// saving its recording.
    pub fn hangup(&mut self, unit: &str, port: &str) -> Result<(), SimError> {
        let (r, now) = self.telephony("hangup")?;
        r.hangup(unit, port, now).map_err(SimError::Telephony)
    }

    /// The stopped recordings kept, oldest first: the recorder's database, or the hosted store's
    /// window.
    pub fn recordings(&mut self) -> Result<Vec<Recording>, SimError> {
        Ok(self
            .list_recordings(&Query::all())?
            .into_iter()
            .map(|l| l.item)
            .collect())
    }

    /// The stopped recordings a query selects, oldest first, each with its `seq`.
    pub fn list_recordings(&mut self, query: &Query) -> Result<Vec<Listed<Recording>>, SimError> {
        self.tick();
        match &mut self.engine {
            Engine::Hosted(_) => Ok(self
                .shared
                .store
                .recordings
                .page(query, Query::matches_recording)),
            Engine::Recorder(r) => Ok(r.list_recordings(query)?),
        }
    }

    /// The logged events a query selects, oldest first, each with its `seq`.
    pub fn list_events(&mut self, query: &Query) -> Result<Vec<Listed<Event>>, SimError> {
        match &self.engine {
            Engine::Hosted(_) => Ok(self.shared.store.events.page(query, Query::matches_event)),
            Engine::Recorder(r) => Ok(r.list_events(query)?),
        }
    }

    /// A recording by its call index (`fldCallIndex`): one in progress (`stopped` is `None`), else
    /// a stopped one; `None` when no recording has that index.
    pub fn recording(&mut self, index: &str) -> Result<Option<Recording>, SimError> {
        self.tick();
        match &mut self.engine {
            Engine::Hosted(h) => Ok(h.running(index).cloned().or_else(|| {
                self.shared
                    .store
                    .recordings
                    .iter()
                    .rev()
                    .find(|r| r.index == index)
                    .cloned()
            })),
            Engine::Recorder(r) => Ok(r.recording(index)?),
        }
    }

    /// The events tied to a recording (logged while it ran on their port), oldest first.
    pub fn events_of(&self, index: &str) -> Result<Vec<Event>, SimError> {
        match &self.engine {
            Engine::Hosted(_) => Ok(self
                .shared
                .store
                .events
                .iter()
                .filter(|e| e.recording.as_deref() == Some(index))
                .cloned()
                .collect()),
            Engine::Recorder(r) => Ok(r.events_of(index)?),
        }
    }

    /// Points GetURL links at `base` (a served simulator's own address), so that they open where
    /// the simulator runs, unless the configuration says to keep its `url_player` when served
    /// (`url_player_when_served`) or the caller gave a base. Only the recorder profile follows:
    /// the hosted service's links keep the vendor's player, as the real test service's do.
    pub fn default_url_player(&mut self, base: &str) {
        if self.points_links_at_the_server() {
            self.shared.url_base = Some(base.to_string());
        }
    }

    fn points_links_at_the_server(&self) -> bool {
        matches!(self.engine, Engine::Recorder(_)) && !self.shared.keep_url_base_when_served
    }

    /// Points GetURL links at `base` as [`Simulator::default_url_player`] does, and signs them
    /// with `signer` when the links lead there (a configured player keeps unsigned links: its
    /// server does not know the key). Returns whether links are signed.
    pub fn sign_own_player_links(&mut self, base: &str, signer: LinkSigner) -> bool {
        if self.points_links_at_the_server() {
            self.shared.url_base = Some(base.to_string());
            self.shared.link_signer = Some(signer);
            return true;
        }
        false
    }

    /// The URL player base GetURL links use, if any.
    pub fn url_player(&self) -> Option<&str> {
        self.shared.url_base.as_deref()
    }

    /// The logged events kept, oldest first: the recorder's database, or the hosted store's window.
    pub fn events(&mut self) -> Result<Vec<Event>, SimError> {
        Ok(self
            .list_events(&Query::all())?
            .into_iter()
            .map(|l| l.item)
            .collect())
    }

    /// The latest closed desktop segments, at most [`SEGMENTS_LISTED`] per desktop, ordered by
    /// end (recorder profile; none in hosted).
    pub fn desktop_segments(&mut self) -> Result<Vec<DesktopSegment>, SimError> {
        self.tick();
        let now = self.shared.clock.now();
        match &mut self.engine {
            Engine::Hosted(_) => Ok(Vec::new()),
            Engine::Recorder(r) => Ok(r.segments(now)?),
        }
    }

    /// Each recorded desktop's state and latest segments: at most [`SEGMENTS_LISTED`], the open
    /// one included, with the total (recorder profile; the hosted service records no desktops, so
    /// the list is empty).
    pub fn desktops(&mut self) -> Result<Vec<DesktopView>, SimError> {
        self.desktops_in(&SegmentWindow::default())
    }

    /// Each recorded desktop's state and the segments that overlap a window, the latest
    /// `window.limit` of them (at most [`SEGMENTS_LISTED`]), with their total.
    pub fn desktops_in(&mut self, window: &SegmentWindow) -> Result<Vec<DesktopView>, SimError> {
        self.tick();
        let now = self.shared.clock.now();
        match &mut self.engine {
            Engine::Hosted(_) => Ok(Vec::new()),
            Engine::Recorder(r) => Ok(r.desktops(now, window)?),
        }
    }

    /// The port assignments kept (recorder profile; the hosted service keeps none).
    pub fn assignments(&self) -> Result<Vec<Assignment>, SimError> {
        match &self.engine {
            Engine::Hosted(_) => Ok(Vec::new()),
            Engine::Recorder(r) => Ok(r.assignments()?),
        }
    }

    /// Faults and delays, to inject or clear.
    pub fn faults_mut(&mut self) -> &mut Faults {
        &mut self.shared.faults
    }

    /// What the hosted profile stored in memory (the recorder profile stores in its database: see
    /// [`Simulator::recordings`] and [`Simulator::events`]).
    pub fn store(&self) -> &Store {
        &self.shared.store
    }

    /// Attaches an audit finding to the journal entry numbered `seq` (when still kept).
    pub fn attach_finding(&mut self, seq: u64, finding: crate::audit::Finding) {
        self.journal.attach(seq, finding);
    }

    /// The journal.
    pub fn journal(&self) -> &Journal {
        &self.journal
    }

    /// The hosted profile's state, when that is the profile.
    pub fn hosted_state(&self) -> Option<&Hosted> {
        match &self.engine {
            Engine::Hosted(h) => Some(h),
            Engine::Recorder(_) => None,
        }
    }

    /// The recorder profile's state, when that is the profile.
    pub fn recorder_state(&self) -> Option<&Recorder> {
        match &self.engine {
            Engine::Recorder(r) => Some(r),
            Engine::Hosted(_) => None,
        }
    }

    /// Answers `op`'s would-be name check for error messages: the operations of this version.
    pub fn operations(&self) -> Vec<Operation> {
        Operation::ALL
            .into_iter()
            .filter(|op| op.exists_in(self.shared.api))
            .collect()
    }
}
