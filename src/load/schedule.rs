//! When things happen in a test: the two executors' timetables in stages (k6's names: a closed
//! model of looping agents whose number follows the stages, or an open model whose iterations
//! arrive at the stages' rate), and the [`EndSignal`] that every waiting agent watches so the test
//! ends on time. `--ramp-up` is the one-stage case.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use crate::client::Cancel;

/// How long an agent leaving at a lower stage has to finish its iteration, unless told otherwise
/// (`--graceful-ramp-down`; k6's `gracefulRampDown` and its default).
pub const GRACEFUL_RAMP_DOWN: Duration = Duration::from_secs(30);

/// How iterations are started.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Model {
    /// Closed model (k6's `ramping-vus`): each agent runs the flow again as soon as it ends, so
    /// a slow server slows the load down with it. The stages' targets are agents.
    Closed,
    /// Open model (k6's `ramping-arrival-rate`): iterations are due at the stages' rate, whatever
    /// the server does; a free agent takes each one, and its latency counts from when it was due.
    /// The stages' targets are iterations per second.
    Open {
        /// The highest rate the stages reach, in iterations per second.
        rate: f64,
    },
}

/// One stage (k6's `stages`): over `duration` the target moves linearly from where the previous
/// stage left it (0 before the first) to `target`. A stage of no duration is a step: the target
/// is `target` from that moment.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Stage {
    /// How long the stage lasts.
    pub duration: Duration,
    /// Where the target is at the stage's end: agents (closed model) or iterations per second
    /// (open model).
    pub target: f64,
}

/// The timetable of one test: the model, the agents and the stages. `--ramp-up R --duration D` is
/// the stages `R` to the target, then `D − R` at it.
#[derive(Debug, Clone, PartialEq)]
pub struct Schedule {
    /// How iterations start.
    pub model: Model,
    /// How many agents (closed model: the highest target; open model: the most iterations running
    /// at once).
    pub agents: usize,
    /// `--ramp-up`, for the reports (zero with `--stage`).
    pub ramp_up: Duration,
    /// The stages, in order.
    pub stages: Vec<Stage>,
    /// The whole test: the stages' durations added up.
    pub duration: Duration,
    /// Closed model: how long an agent leaving at a lower stage has to finish its iteration
    /// before it is interrupted (k6's `gracefulRampDown`, 30 s by default).
    pub graceful_ramp_down: Duration,
}

impl Schedule {
    /// The one-level test of `--ramp-up` and `--duration`: the target (agents in the closed
    /// model, the rate in the open one) rises linearly from 0 over `ramp_up`, then holds.
    pub fn constant(
        model: Model,
        agents: usize,
        ramp_up: Duration,
        duration: Duration,
    ) -> Schedule {
        let target = match model {
            Model::Closed => agents as f64,
            Model::Open { rate } => rate,
        };
        Schedule {
            model,
            agents,
            ramp_up,
            stages: vec![
                Stage {
                    duration: ramp_up,
                    target,
                },
                Stage {
                    duration: duration.saturating_sub(ramp_up),
                    target,
                },
            ],
            duration,
            graceful_ramp_down: GRACEFUL_RAMP_DOWN,
        }
    }

    /// A test of `stages`. Closed model: as many agents as the highest target (rounded up); open
    /// model: `agents` at most running at once.
    pub fn staged(open: bool, agents: usize, stages: Vec<Stage>) -> Schedule {
        let peak = stages.iter().map(|s| s.target).fold(0.0, f64::max);
        let duration = stages.iter().map(|s| s.duration).sum();
        let (model, agents) = if open {
            (Model::Open { rate: peak }, agents)
        } else {
            (Model::Closed, peak.ceil() as usize)
        };
        Schedule {
            model,
            agents,
            ramp_up: Duration::ZERO,
            stages,
            duration,
            graceful_ramp_down: GRACEFUL_RAMP_DOWN,
        }
    }

    /// The stages as linear pieces `(start, end, from, to)` in seconds; a step is a piece of no
    /// length.
    fn pieces(&self) -> impl Iterator<Item = (f64, f64, f64, f64)> + '_ {
        let mut at = 0.0;
        let mut level = 0.0;
        self.stages.iter().map(move |s| {
            let piece = (at, at + s.duration.as_secs_f64(), level, s.target);
            at = piece.1;
            level = s.target;
            piece
        })
    }

    /// The target `t` into the test: agents (closed model) or iterations per second (open
    /// model). At a step the target is the one after it.
    pub fn target_at(&self, t: Duration) -> f64 {
        let t = t.as_secs_f64();
        let mut last = 0.0;
        for (start, end, from, to) in self.pieces() {
            if t < end {
                return from + (to - from) * (t - start) / (end - start);
            }
            last = to;
        }
        last
    }

    /// Closed model: the spans (from, to) in which agent `index` (from 0) is in the test, the
    /// times when the target is above `index`. Agent `i` joins as the target rises past `i` and
    /// leaves as it falls back to `i`; with `--ramp-up`, agent `i` of `n` joins at `ramp·i/n`.
    pub fn spans_of(&self, index: usize) -> Vec<(Duration, Duration)> {
        let level = index as f64;
        let mut spans: Vec<(f64, f64)> = Vec::new();
        let mut add = |from: f64, to: f64| {
            if to <= from {
                return;
            }
            match spans.last_mut() {
                Some(last) if (last.1 - from).abs() < 1e-12 => last.1 = to,
                _ => spans.push((from, to)),
            }
        };
        for (start, end, from, to) in self.pieces() {
            if end <= start {
                continue;
            }
            // Where the line from `from` to `to` passes `level`.
            let cross = || start + (end - start) * (level - from) / (to - from);
            match (from > level, to > level) {
                (true, true) => add(start, end),
                (true, false) => add(start, cross()),
                (false, true) => add(cross(), end),
                (false, false) => {}
            }
        }
        spans
            .into_iter()
            .map(|(a, b)| (Duration::from_secs_f64(a), Duration::from_secs_f64(b)))
            .collect()
    }

    /// Open model: iterations due before `t` (the integral of the rate), as a real number.
    fn arrivals(&self, t: f64) -> f64 {
        let mut n = 0.0;
        for (start, end, from, to) in self.pieces() {
            if t <= start || end <= start {
                continue;
            }
            let upto = t.min(end);
            let rate_there = from + (to - from) * (upto - start) / (end - start);
            n += (from + rate_there) / 2.0 * (upto - start);
        }
        n
    }

    /// Open model: when iteration `k` (from 0) is due, after the test's start: where the
    /// arrivals reach `k`. During a ramp from 0 to `rate` over `ramp` the arrivals by time t are
    /// `rate·t²/(2·ramp)`; at a steady rate, `rate·t`. Past the last arrival: a time past the end.
    pub fn due(&self, k: u64) -> Duration {
        if !matches!(self.model, Model::Open { .. }) {
            return Duration::ZERO;
        }
        let mut left = k as f64;
        for (start, end, from, to) in self.pieces() {
            let length = end - start;
            let area = (from + to) / 2.0 * length;
            if length <= 0.0 || area <= 0.0 {
                continue;
            }
            if left < area {
                // Solve from·τ + (to − from)·τ²/(2·length) = left for τ, in the form that stays
                // exact when the rate does not change.
                let a = (to - from) / (2.0 * length);
                let root = (from * from + 4.0 * a * left).max(0.0).sqrt();
                let tau = if from + root > 0.0 {
                    2.0 * left / (from + root)
                } else {
                    0.0
                };
                return Duration::from_secs_f64((start + tau.min(length)).min(1e9));
            }
            left -= area;
        }
        self.duration + Duration::from_secs(1)
    }

    /// Open model: how many iterations are due in `[0, t)` (0 in the closed model).
    pub fn due_before(&self, t: Duration) -> u64 {
        if !matches!(self.model, Model::Open { .. }) {
            return 0;
        }
        let t = t.min(self.duration);
        // Iterations 0..n are due at times < t, where n = ⌈arrivals⌉.
        let n = self.arrivals(t.as_secs_f64()).ceil() as u64;
        // Floating point can put iteration n−1 exactly at t; it is not due before it.
        if n > 0 && self.due(n - 1) >= t {
            n - 1
        } else {
            n
        }
    }

    /// Open model: how many iterations are due before the end of the test (0 in the closed model).
    pub fn due_count(&self) -> u64 {
        self.due_before(self.duration)
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
        Schedule::constant(
            Model::Open { rate },
            10,
            Duration::from_secs_f64(ramp),
            Duration::from_secs_f64(duration),
        )
    }

    fn stage(secs: f64, target: f64) -> Stage {
        Stage {
            duration: Duration::from_secs_f64(secs),
            target,
        }
    }

    fn secs(spans: &[(Duration, Duration)]) -> Vec<(f64, f64)> {
        spans
            .iter()
            .map(|(a, b)| {
                let r = |d: &Duration| (d.as_secs_f64() * 1000.0).round() / 1000.0;
                (r(a), r(b))
            })
            .collect()
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
    fn rate_stages_rise_hold_and_fall_with_their_arrivals_per_second() {
        // 0 to 20/s over 5 s, 5 s at 20/s, down to 0 over 5 s: 50 + 100 + 50 arrivals.
        let s = Schedule::staged(
            true,
            8,
            vec![stage(5.0, 20.0), stage(5.0, 20.0), stage(5.0, 0.0)],
        );
        assert_eq!(s.model, Model::Open { rate: 20.0 });
        assert_eq!(s.duration, Duration::from_secs(15));
        assert_eq!(s.due_count(), 200);
        let per_second: Vec<u64> = (0..15)
            .map(|t| {
                s.due_before(Duration::from_secs(t + 1)) - s.due_before(Duration::from_secs(t))
            })
            .collect();
        assert_eq!(
            per_second,
            [2, 6, 10, 14, 18, 20, 20, 20, 20, 20, 18, 14, 10, 6, 2]
        );
        // Due times never go back, and the last is before the end.
        let times: Vec<Duration> = (0..200).map(|k| s.due(k)).collect();
        assert!(times.windows(2).all(|w| w[0] <= w[1]));
        assert!(times[199] < s.duration);
        assert!(s.due(200) > s.duration, "nothing is due after the last");
        assert!((s.target_at(Duration::from_millis(12_500)) - 10.0).abs() < 1e-9);
    }

    #[test]
    fn a_step_stage_jumps_at_once() {
        let s = Schedule::staged(true, 4, vec![stage(0.0, 10.0), stage(2.0, 10.0)]);
        assert_eq!(s.due_count(), 20);
        assert_eq!(s.due(5), Duration::from_millis(500));
        assert_eq!(s.target_at(Duration::ZERO), 10.0);
    }

    #[test]
    fn closed_agents_start_evenly_over_the_ramp_up() {
        let s = Schedule::constant(
            Model::Closed,
            4,
            Duration::from_secs(2),
            Duration::from_secs(10),
        );
        let starts: Vec<_> = (0..4).map(|i| s.spans_of(i)[0].0.as_millis()).collect();
        assert_eq!(starts, [0, 500, 1000, 1500]);
        assert!((0..4).all(|i| s.spans_of(i) == [(s.spans_of(i)[0].0, s.duration)]));
        let at_once = Schedule::constant(Model::Closed, 3, Duration::ZERO, Duration::from_secs(1));
        assert_eq!(secs(&at_once.spans_of(2)), [(0.0, 1.0)]);
    }

    #[test]
    fn agent_stages_bring_agents_in_on_the_way_up_and_out_on_the_way_down() {
        let s = Schedule::staged(
            false,
            1,
            vec![stage(5.0, 20.0), stage(5.0, 20.0), stage(5.0, 0.0)],
        );
        assert_eq!((s.model, s.agents), (Model::Closed, 20));
        // Agent i is in while the target is above i: 4 agents a second up, 4 a second down.
        assert_eq!(secs(&s.spans_of(0)), [(0.0, 15.0)]);
        assert_eq!(secs(&s.spans_of(4)), [(1.0, 14.0)]);
        assert_eq!(secs(&s.spans_of(19)), [(4.75, 10.25)]);
        // A dip: agents above the dip leave, then come back.
        let dip = Schedule::staged(
            false,
            1,
            vec![stage(0.0, 10.0), stage(2.0, 4.0), stage(2.0, 10.0)],
        );
        assert_eq!(dip.agents, 10);
        assert_eq!(secs(&dip.spans_of(7)), [(0.0, 1.0), (3.0, 4.0)]);
        assert_eq!(secs(&dip.spans_of(3)), [(0.0, 4.0)]);
        assert!((dip.target_at(Duration::from_secs(1)) - 7.0).abs() < 1e-9);
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
