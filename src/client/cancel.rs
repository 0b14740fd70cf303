//! Stopping what a run waits for: a request in flight, a simulated delay, a script's `sleep`.
//!
//! A [`Cancel`] is the one interrupt mechanism of every command: an interrupt flag (set by
//! Ctrl-C's handler in the REPL), an optional [`Halt`] shared by a whole run (SIGINT or SIGTERM
//! under `ecapi test`) and an optional deadline (`--max-time`, or `ecapi test`'s per-test
//! `--test-timeout`). Waiting code polls it every [`POLL`], and the script engine checks it
//! between operations ([`crate::script::Stop`]), so a stop takes effect within that time whatever
//! is being waited for.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

/// How often waiting code looks at the flag and the deadline.
pub const POLL: Duration = Duration::from_millis(10);

/// Why a wait ended early; the text is what the user reads.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Stopped {
    /// Ctrl-C.
    #[error("interrupted (Ctrl-C)")]
    Interrupted,
    /// The run's time limit.
    #[error("stopped after {} s: the script ran past --max-time", .0.as_secs_f64())]
    TimeLimit(Duration),
    /// A test's time limit under `ecapi test`.
    #[error(
        "the test ran past its time limit of {} s and was stopped (--test-timeout SECS sets the limit; 0 for none)",
        .0.as_secs_f64()
    )]
    TestTimeout(Duration),
    /// The whole run was stopped ([`Halt`]); the text says by what.
    #[error("{0}")]
    Halted(String),
}

/// Which option a time limit comes from, for the message that reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LimitKind {
    /// `--max-time` (`ecapi run`, a test file's `// args:` line).
    #[default]
    MaxTime,
    /// `ecapi test --test-timeout`.
    TestTimeout,
}

/// A stop for a whole run, shared by every worker and never spent: once requested, every script
/// and wait that watches it stops, now and later.
#[derive(Debug, Default)]
pub struct Halt {
    requested: AtomicBool,
    why: OnceLock<String>,
}

impl Halt {
    /// Stops the run; `why` is what stopped scripts report (`interrupted by SIGTERM`). The first
    /// reason given stays.
    pub fn request(&self, why: impl Into<String>) {
        let _ = self.why.set(why.into());
        self.requested.store(true, Ordering::SeqCst);
    }

    /// Why the run was stopped, once it was.
    pub fn requested(&self) -> Option<&str> {
        self.requested
            .load(Ordering::SeqCst)
            .then(|| self.why.get().map_or("interrupted", String::as_str))
    }
}

/// An interrupt flag and a time limit counted from the start of a run. Clones share both.
#[derive(Debug, Clone)]
pub struct Cancel {
    interrupt: Arc<AtomicBool>,
    halt: Option<Arc<Halt>>,
    limit: Option<Duration>,
    kind: LimitKind,
    started: Arc<Mutex<Instant>>,
}

impl Default for Cancel {
    fn default() -> Cancel {
        Cancel::new(Arc::new(AtomicBool::new(false)), None)
    }
}

impl Cancel {
    /// A cancel watching `interrupt` and, when given, a time limit from [`Cancel::restart`].
    pub fn new(interrupt: Arc<AtomicBool>, limit: Option<Duration>) -> Cancel {
        Cancel {
            interrupt,
            halt: None,
            limit,
            kind: LimitKind::MaxTime,
            started: Arc::new(Mutex::new(Instant::now())),
        }
    }

    /// The same cancel, also stopped by `halt`.
    pub fn with_halt(mut self, halt: Arc<Halt>) -> Cancel {
        self.halt = Some(halt);
        self
    }

    /// The same cancel, its time limit reported as coming from `kind`'s option.
    pub fn with_limit_kind(mut self, kind: LimitKind) -> Cancel {
        self.kind = kind;
        self
    }

    /// Why the whole run was stopped, once it was.
    pub fn halted(&self) -> Option<Stopped> {
        let why = self.halt.as_ref()?.requested()?;
        Some(Stopped::Halted(why.to_string()))
    }

    /// The stop for running past the time limit, once past it.
    pub fn past_limit(&self) -> Option<Stopped> {
        let limit = self.limit?;
        (self.elapsed() > limit).then_some(match self.kind {
            LimitKind::MaxTime => Stopped::TimeLimit(limit),
            LimitKind::TestTimeout => Stopped::TestTimeout(limit),
        })
    }

    /// The interrupt flag.
    pub fn flag(&self) -> &Arc<AtomicBool> {
        &self.interrupt
    }

    /// The time limit, if any.
    pub fn limit(&self) -> Option<Duration> {
        self.limit
    }

    /// Starts the time limit's clock again and clears an interrupt left from before.
    pub fn restart(&self) {
        *self.started.lock().unwrap_or_else(|e| e.into_inner()) = Instant::now();
        self.interrupt.store(false, Ordering::SeqCst);
    }

    /// Whether the run should stop now, and why. Does not clear the flag, so that the script
    /// engine's own check stops the script too.
    pub fn check(&self) -> Result<(), Stopped> {
        if let Some(halted) = self.halted() {
            return Err(halted);
        }
        if self.interrupt.load(Ordering::SeqCst) {
            return Err(Stopped::Interrupted);
        }
        match self.past_limit() {
            Some(stopped) => Err(stopped),
            None => Ok(()),
        }
    }

    /// Time since the run started.
    pub fn elapsed(&self) -> Duration {
        self.started
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .elapsed()
    }

    /// Waits `duration`, or less when the run is stopped meanwhile.
    pub fn sleep(&self, duration: Duration) -> Result<(), Stopped> {
        let until = Instant::now().checked_add(duration);
        loop {
            self.check()?;
            let left = match until {
                Some(until) => until.saturating_duration_since(Instant::now()),
                None => POLL,
            };
            if left.is_zero() {
                return Ok(());
            }
            std::thread::sleep(left.min(POLL));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sleep_ends_at_an_interrupt_and_says_why() {
        let cancel = Cancel::default();
        let flag = cancel.flag().clone();
        let setter = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(30));
            flag.store(true, Ordering::SeqCst);
        });
        let started = Instant::now();
        assert_eq!(
            cancel.sleep(Duration::from_secs(600)),
            Err(Stopped::Interrupted)
        );
        assert!(started.elapsed() < Duration::from_secs(60));
        setter.join().unwrap();
        cancel.restart();
        assert_eq!(cancel.check(), Ok(()));
    }

    #[test]
    fn a_sleep_ends_at_the_time_limit() {
        let cancel = Cancel::new(Arc::default(), Some(Duration::from_millis(20)));
        cancel.restart();
        let err = cancel.sleep(Duration::MAX).unwrap_err();
        assert_eq!(
            err.to_string(),
            "stopped after 0.02 s: the script ran past --max-time"
        );
        assert!(cancel.elapsed() < Duration::from_secs(60));
    }
}
