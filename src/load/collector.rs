//! The collector: a thread that empties every agent's buffer a few times a second into the
//! [`Results`], closes the timeline second by second, and draws the live progress line (indicatif,
//! on standard error; hidden when that is not a terminal). At the end it takes what each agent still
//! has in flight as interrupted (see [`Buffer::abandon`]). Iterations that end during the grace
//! period count in the test's last second: the timeline covers the test, not the wrap-up.

use std::collections::{BTreeMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::sync::Arc;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::probe::{Buffer, Event};
use super::results::{Results, Second};
use super::schedule::{EndSignal, Model, Schedule};

/// How often the buffers are emptied and the progress line redrawn.
pub const TICK: Duration = Duration::from_millis(200);

/// A second stays open for late events this long after it ends.
const SETTLE_SECS: u64 = 2;

/// Gathers the agents' events.
pub struct Collector {
    results: Results,
    open: BTreeMap<u64, Second>,
    buffers: Vec<Arc<Buffer>>,
    active: Arc<AtomicU64>,
    agents: u64,
    /// Agents in the test at the end of the last second closed.
    in_test: u64,
    t0: Instant,
    schedule: Schedule,
    duration: Duration,
    end: Arc<EndSignal>,
    progress: ProgressBar,
    recent: VecDeque<(Instant, u64)>,
}

impl Collector {
    /// A collector over the agents' buffers; `show_progress` false hides the progress line.
    pub fn new(
        results: Results,
        buffers: Vec<Arc<Buffer>>,
        active: Arc<AtomicU64>,
        t0: Instant,
        schedule: Schedule,
        end: Arc<EndSignal>,
        show_progress: bool,
    ) -> Collector {
        let duration = schedule.duration;
        let progress = if show_progress {
            ProgressBar::with_draw_target(
                Some(duration.as_secs().max(1)),
                ProgressDrawTarget::stderr(),
            )
        } else {
            ProgressBar::hidden()
        };
        progress.set_style(
            ProgressStyle::with_template("{elapsed:>4} [{bar:24}] {msg}")
                .expect("the template is valid")
                .progress_chars("=> "),
        );
        let agents = buffers.len() as u64;
        Collector {
            results,
            open: BTreeMap::new(),
            buffers,
            active,
            agents,
            in_test: 0,
            t0,
            schedule,
            duration,
            end,
            progress,
            recent: VecDeque::new(),
        }
    }

    /// Runs until `done` says so (or is dropped), then takes the last events and returns the
    /// results, the timeline closed.
    pub fn run(mut self, done: Receiver<()>) -> Results {
        while let Err(RecvTimeoutError::Timeout) = done.recv_timeout(TICK) {
            self.drain(false);
            self.close_before(self.now_s().saturating_sub(SETTLE_SECS));
            self.draw();
        }
        self.drain(true);
        self.close_before(u64::MAX);
        self.progress.finish_and_clear();
        self.results
    }

    /// Takes the agents' events; `last` also takes what they have in flight, as interrupted.
    fn drain(&mut self, last: bool) {
        let last_second = self.last_second();
        let now_s = self.now_s();
        let oldest_open = self.open.keys().next().copied().unwrap_or(now_s);
        for buffer in &self.buffers {
            let events = if last {
                buffer.abandon(self.t0)
            } else {
                buffer.take()
            };
            for event in events {
                let t = match &event {
                    Event::Request { at_ms, .. }
                    | Event::Iteration { at_ms, .. }
                    | Event::Transaction { at_ms, .. }
                    | Event::Started { at_ms }
                    | Event::Joined { at_ms }
                    | Event::Left { at_ms } => at_ms / 1000,
                    Event::Lag { .. } => now_s,
                };
                let t = t.min(last_second);
                // An event for a second already closed joins the oldest one still open.
                let t = t.max(oldest_open.min(now_s));
                let second = self.open.entry(t).or_insert_with(|| Second::new(t));
                self.results.absorb(event, second);
            }
        }
        let active = self.active.load(Ordering::Relaxed);
        let current = self.open.entry(now_s).or_insert_with(|| Second::new(now_s));
        current.active = current.active.max(active);
    }

    /// The second a moment `ms` into the test falls in, where a moment on a second's boundary
    /// belongs to the second before (a test of 3 s has seconds 0, 1 and 2).
    fn second_of(ms: u64) -> u64 {
        ms.saturating_sub(1) / 1000
    }

    /// The test's last second: the one its end fell in (or will, when its time runs out).
    fn last_second(&self) -> u64 {
        let planned = Self::second_of(self.duration.as_millis() as u64);
        let ended = self
            .end
            .ended_at()
            .map(|at| Self::second_of(at.saturating_duration_since(self.t0).as_millis() as u64));
        ended.map_or(planned, |e| e.min(planned))
    }

    /// The current second of the test (after the end: its last).
    fn now_s(&self) -> u64 {
        let now_s = self.t0.elapsed().as_secs();
        now_s.min(self.last_second())
    }

    fn close_before(&mut self, t: u64) {
        while let Some(entry) = self.open.first_entry() {
            if *entry.key() >= t {
                break;
            }
            let mut second = entry.remove();
            // The agents in the test: those that joined by the second's end, less those that left.
            self.in_test = (self.in_test + second.joined).saturating_sub(second.left);
            second.agents = self.in_test;
            let end = Duration::from_secs(second.t + 1).min(self.duration);
            match self.schedule.model {
                Model::Closed => second.target = Some(self.schedule.target_at(end)),
                Model::Open { .. } => {
                    let start = Duration::from_secs(second.t);
                    second.due = Some(
                        self.schedule
                            .due_before(end)
                            .saturating_sub(self.schedule.due_before(start)),
                    );
                }
            }
            self.results.timeline.push(second);
        }
    }

    fn draw(&mut self) {
        if self.progress.is_hidden() {
            return;
        }
        let now = Instant::now();
        let overall = self.results.overall();
        self.recent.push_back((now, overall.count));
        while self.recent.len() > 2 && now.duration_since(self.recent[0].0) > Duration::from_secs(2)
        {
            self.recent.pop_front();
        }
        let (then, count_then) = self.recent[0];
        let span = now.duration_since(then).as_secs_f64();
        let rate = if span > 0.0 {
            (overall.count - count_then) as f64 / span
        } else {
            0.0
        };
        let errors = overall.error_count() + self.results.iterations.failed;
        self.progress
            .set_position(self.t0.elapsed().as_secs().min(self.duration.as_secs()));
        let phase = if self.end.is_stopped() {
            "stopping  "
        } else if self.end.is_ended() {
            "graceful stop  "
        } else {
            ""
        };
        // Closed model: the agents busy against what the stages ask for now.
        let of = match self.schedule.model {
            Model::Closed => {
                (self.schedule.target_at(self.t0.elapsed()).ceil() as u64).min(self.agents)
            }
            Model::Open { .. } => self.agents,
        };
        self.progress.set_message(format!(
            "{phase}agents {}/{of}  {:.0} req/s  p95 {:.1} ms  errors {}",
            self.active.load(Ordering::Relaxed),
            rate,
            overall.latency.percentile_ms(95.0),
            errors
        ));
    }
}
