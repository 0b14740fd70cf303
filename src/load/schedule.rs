//! When things happen in a test: the two executors' timetables (k6's names: a closed model of
//! looping agents started over the ramp-up, or an open model whose iterations arrive at a fixed
//! rate), and the [`EndSignal`] that every waiting agent watches so the test ends on time.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use crate::client::Cancel;

/// How iterations are started.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Model {
    /// Closed model (k6's `ramping-vus`): each agent runs the flow again as soon as it ends, so
    /// a slow server slows the load down with it.
    Closed,
    /// Open model (k6's `constant-arrival-rate`): iterations are due at a fixed rate, whatever
    /// the server does; a free agent takes each one, and its latency counts from when it was due.
    Open {
        /// Iterations per second.
        rate: f64,
    },
}

/// The timetable of one test.
#[derive(Debug, Clone, Copy)]
pub struct Schedule {
    /// How iterations start.
    pub model: Model,
    /// How many agents (in the open model: the most iterations running at once).
    pub agents: usize,
    /// Closed model: agents start evenly over this time. Open model: the rate rises linearly from
    /// 0 over this time.
    pub ramp_up: Duration,
    /// The whole test, ramp-up included.
    pub duration: Duration,
}

impl Schedule {
    /// Closed model: when agent `index` (from 0) starts, after the test's start. The first starts
    /// at once; the others evenly over the ramp-up.
    pub fn start_of(&self, index: usize) -> Duration {
        if self.agents == 0 {
            return Duration::ZERO;
        }
        self.ramp_up.mul_f64(index as f64 / self.agents as f64)
    }

    /// Open model: when iteration `k` (from 0) is due, after the test's start. During the ramp-up
    /// the arrivals by time t are `rate·t²/(2·ramp)`, after it `rate·ramp/2 + rate·(t − ramp)`.
    pub fn due(&self, k: u64) -> Duration {
        let Model::Open { rate } = self.model else {
            return Duration::ZERO;
        };
        let k = k as f64;
        let ramp = self.ramp_up.as_secs_f64();
        let during_ramp = rate * ramp / 2.0;
        let secs = if k < during_ramp {
            (2.0 * ramp * k / rate).sqrt()
        } else {
            ramp + (k - during_ramp) / rate
        };
        Duration::from_secs_f64(secs.min(1e9))
    }

    /// Open model: how many iterations are due before the end of the test (0 in the closed model).
    pub fn due_count(&self) -> u64 {
        let Model::Open { rate } = self.model else {
            return 0;
        };
        let d = self.duration.as_secs_f64();
        let ramp = self.ramp_up.as_secs_f64().min(d);
        let arrivals = if ramp > 0.0 {
            rate * ramp / 2.0 * (ramp / self.ramp_up.as_secs_f64()) + rate * (d - ramp)
        } else {
            rate * d
        };
        // Iterations 0..n are due at times < d, where n = ⌈arrivals⌉.
        let n = arrivals.ceil() as u64;
        // Floating point can put iteration n−1 exactly at the end; it is not due before it.
        if n > 0 && self.due(n - 1) >= self.duration {
            n - 1
        } else {
            n
        }
    }
}

/// The end of a test, in two steps (k6's `gracefulStop`): `end` (the test's time is up, or a
/// signal came: no new iteration starts, while running ones go on at their own pace, their
/// `sleep`s running out as they would have), then `stop` (the grace period is over: a flow still
/// running is interrupted at its next step, and a request waiting for its answer gives up).
#[derive(Debug)]
pub struct EndSignal {
    state: Mutex<EndState>,
    wake: Condvar,
    /// Set by `stop`; shared with every agent's transport as its [`Cancel`] flag.
    stopped: Arc<AtomicBool>,
}

#[derive(Debug, Default)]
struct EndState {
    ended_at: Option<Instant>,
    stopped: bool,
}

impl Default for EndSignal {
    fn default() -> EndSignal {
        EndSignal {
            state: Mutex::new(EndState::default()),
            wake: Condvar::new(),
            stopped: Arc::new(AtomicBool::new(false)),
        }
    }
}

impl EndSignal {
    /// A signal not yet given.
    pub fn new() -> EndSignal {
        EndSignal::default()
    }

    fn state(&self) -> std::sync::MutexGuard<'_, EndState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The test's time is up (or a signal came): no new iteration starts. The first call counts;
    /// later ones change nothing.
    pub fn end(&self) {
        let mut state = self.state();
        state.ended_at.get_or_insert_with(Instant::now);
        self.wake.notify_all();
    }

    /// The grace period is over too: running flows are interrupted, and requests waiting for
    /// their answers give up.
    pub fn stop(&self) {
        let mut state = self.state();
        state.ended_at.get_or_insert_with(Instant::now);
        state.stopped = true;
        self.stopped.store(true, Ordering::SeqCst);
        self.wake.notify_all();
    }

    /// Whether the test's time is up.
    pub fn is_ended(&self) -> bool {
        self.state().ended_at.is_some()
    }

    /// When the test's time was up; `None` before.
    pub fn ended_at(&self) -> Option<Instant> {
        self.state().ended_at
    }

    /// Whether running flows are to be interrupted.
    pub fn is_stopped(&self) -> bool {
        self.stopped.load(Ordering::Relaxed)
    }

    /// A [`Cancel`] that trips at `stop`, for the agents' transports.
    pub fn cancel(&self) -> Cancel {
        Cancel::new(self.stopped.clone(), None)
    }

    /// Waits, without using the processor, until `deadline` (true) or the end of the test, whichever
    /// comes first (false). For what starts iterations: an agent's start, a due time, a back-off.
    pub fn wait_until(&self, deadline: Instant) -> bool {
        self.wait(deadline, |s| s.ended_at.is_some())
    }

    /// Waits until `deadline` (true) or the stop at the end of the grace period (false). For what
    /// runs inside an iteration (`sleep`), which the end of the test lets run out.
    pub fn sleep_until(&self, deadline: Instant) -> bool {
        self.wait(deadline, |s| s.stopped)
    }

    fn wait(&self, deadline: Instant, done: impl Fn(&EndState) -> bool) -> bool {
        let mut state = self.state();
        loop {
            if done(&state) {
                return false;
            }
            let now = Instant::now();
            if now >= deadline {
                return true;
            }
            state = self
                .wake
                .wait_timeout(state, deadline - now)
                .unwrap_or_else(|p| p.into_inner())
                .0;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn open(rate: f64, ramp: f64, duration: f64) -> Schedule {
        Schedule {
            model: Model::Open { rate },
            agents: 10,
            ramp_up: Duration::from_secs_f64(ramp),
            duration: Duration::from_secs_f64(duration),
        }
    }

    #[test]
    fn a_fixed_rate_is_due_at_even_intervals() {
        let s = open(100.0, 0.0, 2.0);
        assert_eq!(s.due(0), Duration::ZERO);
        assert_eq!(s.due(150), Duration::from_millis(1500));
        assert_eq!(s.due_count(), 200);
    }

    #[test]
    fn a_ramped_rate_rises_linearly_then_holds() {
        let s = open(100.0, 2.0, 4.0);
        // 100 iterations arrive over the ramp (the mean rate is half), then 100 a second.
        assert!((s.due(100).as_secs_f64() - 2.0).abs() < 1e-9);
        assert!((s.due(25).as_secs_f64() - 1.0).abs() < 1e-9);
        assert!((s.due(150).as_secs_f64() - 2.5).abs() < 1e-9);
        assert_eq!(s.due_count(), 300);
        // A test shorter than its ramp stops part-way up.
        assert_eq!(open(100.0, 2.0, 1.0).due_count(), 25);
    }

    #[test]
    fn closed_agents_start_evenly_over_the_ramp_up() {
        let s = Schedule {
            model: Model::Closed,
            agents: 4,
            ramp_up: Duration::from_secs(2),
            duration: Duration::from_secs(10),
        };
        let starts: Vec<_> = (0..4).map(|i| s.start_of(i).as_millis()).collect();
        assert_eq!(starts, [0, 500, 1000, 1500]);
    }

    #[test]
    fn the_end_wakes_a_waiting_agent_at_once() {
        let signal = std::sync::Arc::new(EndSignal::new());
        let s = signal.clone();
        let started = Instant::now();
        let waiter =
            std::thread::spawn(move || s.wait_until(Instant::now() + Duration::from_secs(60)));
        std::thread::sleep(Duration::from_millis(20));
        signal.end();
        assert!(
            !waiter.join().unwrap(),
            "woken by the end, not the deadline"
        );
        assert!(started.elapsed() < Duration::from_secs(30));
        assert!(!signal.wait_until(Instant::now()));
    }

    #[test]
    fn the_end_lets_a_sleep_run_out_and_the_stop_cuts_it() {
        let signal = EndSignal::new();
        signal.end();
        let first = signal.ended_at().unwrap();
        signal.end();
        assert_eq!(signal.ended_at(), Some(first), "the first end counts");
        let wake = Instant::now() + Duration::from_millis(30);
        assert!(signal.sleep_until(wake), "a sleep runs out after the end");
        assert!(Instant::now() >= wake);
        let cancel = signal.cancel();
        assert!(cancel.check().is_ok());
        signal.stop();
        assert!(!signal.sleep_until(Instant::now() + Duration::from_secs(60)));
        assert!(signal.is_stopped() && cancel.check().is_err());
    }
}
