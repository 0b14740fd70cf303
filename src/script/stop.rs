//! Stopping a running script: on request (Ctrl-C in the REPL) or when it runs past a time limit
//! (`--max-time`), through Rhai's progress hook. A native call in progress (a `sleep`, a request
//! waiting for its answer) finishes first; the script stops at its next operation.

use std::cell::Cell;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rhai::{Dynamic, Engine};

/// How often, in Rhai operations, the clock is read for a time limit.
const CLOCK_EVERY: u64 = 1024;

/// An interrupt flag and an optional time limit for the scripts an engine runs.
#[derive(Debug, Clone)]
pub struct Stop {
    interrupt: Arc<AtomicBool>,
    timeout: Option<Duration>,
    started: Rc<Cell<Instant>>,
}

impl Stop {
    /// A stop with an optional time limit per run.
    pub fn new(timeout: Option<Duration>) -> Stop {
        Stop {
            interrupt: Arc::new(AtomicBool::new(false)),
            timeout,
            started: Rc::new(Cell::new(Instant::now())),
        }
    }

    /// A stop that watches an existing flag (one a signal handler sets for the whole process).
    pub fn with_flag(interrupt: Arc<AtomicBool>, timeout: Option<Duration>) -> Stop {
        Stop {
            interrupt,
            timeout,
            started: Rc::new(Cell::new(Instant::now())),
        }
    }

    /// The flag that, once set (from a signal handler, say), stops the running script.
    pub fn interrupt_flag(&self) -> Arc<AtomicBool> {
        self.interrupt.clone()
    }

    /// Starts the clock of a run and clears an interrupt left from before it.
    pub fn arm(&self) {
        self.started.set(Instant::now());
        self.interrupt.store(false, Ordering::SeqCst);
    }

    /// Makes the engine check this stop as it runs.
    pub fn install(&self, engine: &mut Engine) {
        let stop = self.clone();
        engine.on_progress(move |ops| {
            if stop.interrupt.swap(false, Ordering::SeqCst) {
                return Some(Dynamic::from("interrupted (Ctrl-C)".to_string()));
            }
            match stop.timeout {
                Some(limit) if ops % CLOCK_EVERY == 0 && stop.started.get().elapsed() > limit => {
                    Some(Dynamic::from(format!(
                        "stopped after {} s: the script ran past --max-time",
                        limit.as_secs_f64()
                    )))
                }
                _ => None,
            }
        });
    }
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
