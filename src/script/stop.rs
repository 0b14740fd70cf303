//! Stopping a running script: on request (Ctrl-C in the REPL) or when it runs past a time limit
//! (`--max-time`). Rhai's progress hook stops the script between operations; `sleep` and the
//! backend's waits (a request in flight, a simulated delay) watch the same [`Cancel`], so they end
//! within [`crate::client::cancel::POLL`] too instead of finishing first.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use rhai::{Dynamic, Engine, EvalAltResult, Position};

use crate::client::{Cancel, Halt, LimitKind, Stopped};

/// How often, in Rhai operations, the clock is read for a time limit.
const CLOCK_EVERY: u64 = 1024;

/// An interrupt flag and an optional time limit for the scripts an engine runs.
#[derive(Debug, Clone)]
pub struct Stop {
    cancel: Cancel,
}

impl Stop {
    /// A stop with an optional time limit per run.
    pub fn new(timeout: Option<Duration>) -> Stop {
        Stop::with_flag(Arc::new(AtomicBool::new(false)), timeout)
    }

    /// A stop that watches an existing flag (one a signal handler sets for the whole process).
    pub fn with_flag(interrupt: Arc<AtomicBool>, timeout: Option<Duration>) -> Stop {
        Stop {
            cancel: Cancel::new(interrupt, timeout),
        }
    }

    /// A stop for the tests of `ecapi test`: a time limit per test from the option `kind` names
    /// (`--test-timeout`, or a file's own `--max-time`), and `halt` (SIGINT or SIGTERM) that
    /// stops every test of the run.
    pub fn for_test(timeout: Option<Duration>, kind: LimitKind, halt: Arc<Halt>) -> Stop {
        Stop {
            cancel: Cancel::new(Arc::new(AtomicBool::new(false)), timeout)
                .with_halt(halt)
                .with_limit_kind(kind),
        }
    }

    /// The flag that, once set (from a signal handler, say), stops the running script.
    pub fn interrupt_flag(&self) -> Arc<AtomicBool> {
        self.cancel.flag().clone()
    }

    /// What the backend and `sleep` watch; give it to the session with
    /// [`Session::set_cancel`](super::Session::set_cancel).
    pub fn cancel(&self) -> Cancel {
        self.cancel.clone()
    }

    /// Starts the clock of a run and clears an interrupt left from before it.
    pub fn arm(&self) {
        self.cancel.restart();
    }

    /// Makes the engine check this stop as it runs.
    pub fn install(&self, engine: &mut Engine) {
        let cancel = self.cancel.clone();
        engine.on_progress(move |ops| {
            // The flag is spent here, so that the next run starts clean even without `arm`.
            if cancel.flag().swap(false, Ordering::SeqCst) {
                return Some(Dynamic::from(Stopped::Interrupted.to_string()));
            }
            if let Some(halted) = cancel.halted() {
                return Some(Dynamic::from(halted.to_string()));
            }
            if ops % CLOCK_EVERY == 0 {
                return cancel.past_limit().map(|s| Dynamic::from(s.to_string()));
            }
            None
        });
    }
}

/// The error that ends a script because it was stopped: a termination, which `try`/`catch` does
/// not catch; Rhai gives it the position of the call that was waiting.
pub fn terminated(why: impl std::fmt::Display) -> Box<EvalAltResult> {
    Box::new(EvalAltResult::ErrorTerminated(
        Dynamic::from(why.to_string()),
        Position::NONE,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_script_past_its_time_limit_stops_with_a_message() {
        let mut engine = Engine::new();
        let stop = Stop::new(Some(Duration::from_millis(50)));
        stop.install(&mut engine);
        stop.arm();
        let err = engine.run("loop { }").unwrap_err();
        assert!(
            matches!(*err, rhai::EvalAltResult::ErrorTerminated(ref v, _)
                if v.to_string() == "stopped after 0.05 s: the script ran past --max-time"),
            "{err}"
        );
    }

    #[test]
    fn an_interrupt_stops_the_running_script_once() {
        let mut engine = Engine::new();
        let stop = Stop::new(None);
        stop.install(&mut engine);
        stop.arm();
        stop.interrupt_flag().store(true, Ordering::SeqCst);
        let err = engine.run("loop { }").unwrap_err();
        assert!(
            matches!(*err, rhai::EvalAltResult::ErrorTerminated(ref v, _)
                if v.to_string() == "interrupted (Ctrl-C)"),
            "{err}"
        );
        assert_eq!(engine.eval::<i64>("1 + 1").unwrap(), 2, "the flag is spent");
    }
}
