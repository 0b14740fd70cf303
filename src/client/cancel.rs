//! Stopping what a run waits for: a request in flight, a simulated delay, a script's `sleep`.
//!
//! A [`Cancel`] is an interrupt flag (set by Ctrl-C's handler) and an optional deadline (the
//! run's `--max-time`). Waiting code polls it every [`POLL`], so a stop takes effect within that
//! time whatever is being waited for.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
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
}

/// An interrupt flag and a time limit counted from the start of a run. Clones share both.
#[derive(Debug, Clone)]
pub struct Cancel {
    interrupt: Arc<AtomicBool>,
    limit: Option<Duration>,
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
            limit,
            started: Arc::new(Mutex::new(Instant::now())),
        }
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
        if self.interrupt.load(Ordering::SeqCst) {
            return Err(Stopped::Interrupted);
        }
        match self.limit {
            Some(limit) if self.elapsed() > limit => Err(Stopped::TimeLimit(limit)),
            _ => Ok(()),
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
