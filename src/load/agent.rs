//! One agent: a thread with its own script state (a Rhai engine and scope over its own session),
//! running the flow over and over as the schedule says, recording what it sees into its buffer:
//! requests, iterations, the transactions the flow ends, and when it joined and left the test (in
//! the closed model, an agent is in while the stages' target is above its index; leaving, it
//! finishes its iteration first).
//!
//! The flow sees the map `agent` (`index` from 0, `data`: the agent's row of `--data` or an empty
//! map, `iteration`: this agent's iteration count from 0); it keeps whatever else the flow stores in
//! it from one iteration to the next. Other variables start afresh each iteration. `sleep(ms)` is the
//! agent's talk and wrap-up time: it waits without using the processor. When the test's time is up
//! no new iteration starts, and a running one goes on at its own pace (its sleeps run out as they
//! would have: a burst of requests at the end is something production never sees) until the grace
//! period ends; then it is interrupted. `print` output is dropped.
//!
//! An agent whose iteration failed waits before the next one, [`BACKOFF_FIRST`] after one failure,
//! doubling with each failure in a row up to [`BACKOFF_MAX`] (the closed model; the open model's
//! rate already paces it), so a flow that fails at once does not spin.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::Rc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use rhai::{Dynamic, Engine, EvalAltResult, Map, Scope, AST};

use super::backend::Backend;
use super::probe::{micros, Buffer, Event, IterationEnd, Measured, TransactionEnd};
use super::schedule::{EndSignal, Model, Schedule};
use crate::script::{self, Diagnostic, Output, Session};

/// The stack of each agent's thread: ample for Rhai's evaluation of a call flow, small enough for a
/// thousand agents (only the pages touched are resident).
pub const STACK_BYTES: usize = 1024 * 1024;

/// The wait after a failed iteration.
pub const BACKOFF_FIRST: Duration = Duration::from_millis(10);

/// The longest wait after failed iterations in a row.
pub const BACKOFF_MAX: Duration = Duration::from_secs(1);

/// The wait after `failures` failed iterations in a row (none after a completed one).
pub fn backoff(failures: u32) -> Duration {
    if failures == 0 {
        return Duration::ZERO;
    }
    BACKOFF_FIRST
        .saturating_mul(1 << (failures - 1).min(16))
        .min(BACKOFF_MAX)
}

/// What every agent shares.
pub struct Shared {
    /// The flow's source.
    pub source: String,
    /// Where the flow's imports are looked for.
    pub modules: script::Modules,
    /// Values for `param(NAME)`.
    pub params: HashMap<String, String>,
    /// `--data` rows; agent `i` gets row `i mod len`.
    pub data: Vec<serde_json::Value>,
    /// The backend.
    pub backend: Backend,
    /// The timetable.
    pub schedule: Schedule,
    /// The end of the test.
    pub end: Arc<EndSignal>,
    /// Agents ready, then the start.
    pub gate: Gate,
    /// Agents that have finished.
    pub finished: Counter,
    /// Open model: the next iteration to start.
    pub next: AtomicU64,
    /// Agents running an iteration now.
    pub active: Arc<AtomicU64>,
    /// Whether `--trace` is on.
    pub trace: bool,
}

/// A count that threads can wait on.
#[derive(Debug, Default)]
pub struct Counter {
    count: Mutex<usize>,
    changed: Condvar,
}

impl Counter {
    /// Adds one.
    pub fn add(&self) {
        *self.count.lock().unwrap_or_else(|p| p.into_inner()) += 1;
        self.changed.notify_all();
    }

    /// Waits until the count reaches `n` (true) or `deadline` passes (false).
    pub fn wait_for(&self, n: usize, deadline: Instant) -> bool {
        let mut count = self.count.lock().unwrap_or_else(|p| p.into_inner());
        loop {
            if *count >= n {
                return true;
            }
            let now = Instant::now();
            if now >= deadline {
                return false;
            }
            count = self
                .changed
                .wait_timeout(count, deadline - now)
                .unwrap_or_else(|p| p.into_inner())
                .0;
        }
    }
}

/// The start line: agents get ready (build their engine, compile the flow), then wait for the
/// start, so setting up a thousand agents does not count as the test.
#[derive(Debug, Default)]
pub struct Gate {
    /// Agents ready.
    pub ready: Counter,
    start: Mutex<Option<Option<Instant>>>,
    opened: Condvar,
}

impl Gate {
    /// Starts the test at `t0` (or, with `None`, calls it off).
    pub fn open(&self, t0: Option<Instant>) {
        *self.start.lock().unwrap_or_else(|p| p.into_inner()) = Some(t0);
        self.opened.notify_all();
    }

    /// Waits for the start; `None` when the test was called off.
    fn wait(&self) -> Option<Instant> {
        let mut start = self.start.lock().unwrap_or_else(|p| p.into_inner());
        loop {
            if let Some(t0) = *start {
                return t0;
            }
            start = self.opened.wait(start).unwrap_or_else(|p| p.into_inner());
        }
    }
}

/// The `agent` map an agent's flow sees.
pub fn agent_map(index: usize, data: &[serde_json::Value]) -> Map {
    let mut map = Map::new();
    map.insert("index".into(), Dynamic::from(index as i64));
    let row = if data.is_empty() {
        Dynamic::from(Map::new())
    } else {
        rhai::serde::to_dynamic(&data[index % data.len()]).unwrap_or(Dynamic::UNIT)
    };
    map.insert("data".into(), row);
    map.insert("iteration".into(), Dynamic::from(0_i64));
    map
}

/// When the iteration of an agent leaving the test is cut (k6's `gracefulRampDown`): `None` while
/// the agent's span runs to the end of the test. Clones share the time.
#[derive(Debug, Clone, Default)]
pub struct Cut(Rc<Cell<Option<Instant>>>);

/// Why an iteration cut by [`Cut`] stopped.
const CUT_SHORT: &str = "the agent left at a lower stage and --graceful-ramp-down ran out";

impl Cut {
    fn set(&self, at: Option<Instant>) {
        self.0.set(at);
    }

    fn at(&self) -> Option<Instant> {
        self.0.get()
    }

    /// Whether the cut has come.
    fn passed(&self) -> bool {
        self.0.get().is_some_and(|at| Instant::now() >= at)
    }
}

/// How many of Rhai's operations pass between two looks at the clock for the [`Cut`].
const CUT_CHECK_OPS: u64 = 256;

/// An engine for one agent: every ecapi function over the agent's session, with `sleep` and the
/// script itself stopped at the end of the grace period or at the agent's [`Cut`], and `print`
/// dropped.
pub fn engine(
    session: &script::SharedSession,
    end: Arc<EndSignal>,
    buffer: Option<Arc<Buffer>>,
    cut: Cut,
) -> Engine {
    let mut engine = script::engine(
        session,
        Output::Capture(Rc::new(RefCell::new(String::new()))),
    );
    engine.on_print(|_| {});
    engine.on_debug(|_, _, _| {});
    let (e1, b1, c1) = (end.clone(), buffer.clone(), cut.clone());
    engine.register_fn("sleep", move |ms: i64| {
        sleep(&e1, b1.as_deref(), &c1, ms as f64)
    });
    let (e2, b2, c2) = (end.clone(), buffer, cut.clone());
    engine.register_fn("sleep", move |ms: f64| sleep(&e2, b2.as_deref(), &c2, ms));
    engine.on_progress(move |ops| {
        if end.is_stopped() {
            return Some(Dynamic::from("the load test ended".to_string()));
        }
        (ops % CUT_CHECK_OPS == 0 && cut.passed()).then(|| Dynamic::from(CUT_SHORT.to_string()))
    });
    engine
}

/// `sleep(ms)` under load: waits until `ms` have passed (the end of the test does not cut it
/// short) and records how late it woke as generator lag; at the end of the grace period, or at the
/// agent's cut, it stops the iteration.
fn sleep(
    end: &EndSignal,
    buffer: Option<&Buffer>,
    cut: &Cut,
    ms: f64,
) -> Result<(), Box<EvalAltResult>> {
    if !(ms.is_finite() && (0.0..1e12).contains(&ms)) {
        return Err(format!("sleep: {ms} ms is not a duration").into());
    }
    let wake = Instant::now() + Duration::from_secs_f64(ms / 1000.0);
    let until = cut.at().map_or(wake, |at| at.min(wake));
    if !end.sleep_until(until) {
        return Err("the load test ended".into());
    }
    if until < wake {
        return Err(CUT_SHORT.into());
    }
    if let Some(buffer) = buffer {
        buffer.push(Event::Lag {
            us: micros(Instant::now().saturating_duration_since(wake)),
            waited: false,
        });
    }
    Ok(())
}

/// Runs one agent to the end of the test. Called on the agent's own thread.
pub fn run(shared: Arc<Shared>, index: usize, buffer: Arc<Buffer>) {
    let lateness = Rc::new(Cell::new(0_u64));
    let t0_cell = Rc::new(Cell::new(Instant::now()));
    let mut transport = shared.backend.transport();
    transport.set_trace(false);
    let measured = Measured::new(
        transport,
        buffer.clone(),
        lateness.clone(),
        t0_cell.clone(),
        shared.end.clone(),
    );
    let session = Session::new(Box::new(measured), shared.params.clone()).shared();
    let cut = Cut::default();
    if shared.trace {
        session.borrow_mut().set_trace(Some(script::stderr_trace()));
    }
    session
        .borrow_mut()
        .set_transaction_observer(Some(transaction_observer(
            buffer.clone(),
            shared.end.clone(),
            t0_cell.clone(),
            cut.clone(),
            lateness.clone(),
        )));
    let mut engine = engine(
        &session,
        shared.end.clone(),
        Some(buffer.clone()),
        cut.clone(),
    );
    shared.modules.install(&mut engine);
    let mut scope = Scope::new();
    scope.push("agent", agent_map(index, &shared.data));
    // The flow compiled on the main thread before any agent started, so this cannot fail.
    let ast = script::compile(&engine, &scope, &shared.source).ok();
    shared.gate.ready.add();
    let (Some(t0), Some(ast)) = (shared.gate.wait(), ast) else {
        shared.finished.add();
        return;
    };
    t0_cell.set(t0);
    let mut flow = Flow {
        engine: &engine,
        scope: &mut scope,
        ast: &ast,
        buffer: &buffer,
        shared: &shared,
        t0,
        iteration: 0,
        cut: cut.clone(),
    };
    let since_start = |at: Instant| micros(at.saturating_duration_since(t0)) / 1000;
    match shared.schedule.model {
        Model::Closed => {
            // In the test while the stages' target is above this agent's index; leaving, it
            // finishes its iteration first (k6's graceful ramp-down).
            for (from, to) in shared.schedule.spans_of(index) {
                let start = t0 + from;
                if !shared.end.wait_until(start) {
                    break;
                }
                let now = Instant::now();
                buffer.push(Event::Lag {
                    us: micros(now.saturating_duration_since(start)),
                    waited: false,
                });
                buffer.push(Event::Joined {
                    at_ms: since_start(now),
                });
                let leave = t0 + to;
                // Leaving before the test's end, an iteration has the graceful ramp-down to end.
                let schedule = &shared.schedule;
                cut.set((to < schedule.duration).then(|| leave + schedule.graceful_ramp_down));
                let mut failures = 0_u32;
                while !shared.end.is_ended() && Instant::now() < leave {
                    failures = if flow.iterate() { 0 } else { failures + 1 };
                    let pause = backoff(failures);
                    if !pause.is_zero() {
                        shared.end.wait_until((Instant::now() + pause).min(leave));
                    }
                }
                cut.set(None);
                // At the test's end every agent stops; it left the test only if that came first.
                if !shared.end.is_ended() {
                    buffer.push(Event::Left {
                        at_ms: since_start(Instant::now()),
                    });
                }
            }
        }
        Model::Open { .. } => {
            buffer.push(Event::Joined { at_ms: 0 });
            let end_of_test = t0 + shared.schedule.duration;
            // Free from the start: the first iteration due at t0 waits for no one.
            let mut idle_since = t0;
            while !shared.end.is_ended() {
                let k = shared.next.fetch_add(1, Ordering::Relaxed);
                let due = t0 + shared.schedule.due(k);
                if due >= end_of_test || !shared.end.wait_until(due) {
                    break;
                }
                let now = Instant::now();
                // Lag is the generator's own delay: from when this agent could have started it
                // (due, or free again) to when it did. Waiting for a free agent is the server's
                // doing and goes into latency instead.
                buffer.push(Event::Lag {
                    us: micros(now.saturating_duration_since(due.max(idle_since))),
                    waited: idle_since > due,
                });
                lateness.set(micros(now.saturating_duration_since(due)));
                flow.iterate();
                idle_since = Instant::now();
            }
        }
    }
    shared.finished.add();
}

/// Records each transaction the flow ends into the agent's buffer: failed when its block threw,
/// interrupted when the test's stop or the agent's ramp-down cut it. Its duration is the block's
/// wall time plus `lateness_us`, how late its iteration started (0 in the closed model): in the
/// open model a transaction is counted from when it was due, as its requests are (the
/// coordinated-omission correction), so that it is never faster than the calls inside it.
fn transaction_observer(
    buffer: Arc<Buffer>,
    end: Arc<EndSignal>,
    t0: Rc<Cell<Instant>>,
    cut: Cut,
    lateness_us: Rc<Cell<u64>>,
) -> script::TransactionObserver {
    Box::new(move |t: &script::Transaction| {
        let how = if !t.failed {
            TransactionEnd::Completed
        } else if end.is_stopped() || cut.passed() {
            TransactionEnd::Interrupted
        } else {
            TransactionEnd::Failed
        };
        buffer.push(Event::Transaction {
            name: t.name.clone(),
            duration_us: micros(t.duration).saturating_add(lateness_us.get()),
            response_us: micros(t.response_time),
            end: how,
            at_ms: micros(Instant::now().saturating_duration_since(t0.get())) / 1000,
        });
    })
}

/// One agent's flow, ready to iterate.
struct Flow<'a> {
    engine: &'a Engine,
    scope: &'a mut Scope<'static>,
    ast: &'a AST,
    buffer: &'a Buffer,
    shared: &'a Shared,
    t0: Instant,
    iteration: i64,
    cut: Cut,
}

impl Flow<'_> {
    /// Runs the flow once; false when the iteration failed.
    fn iterate(&mut self) -> bool {
        if let Some(mut agent) = self
            .scope
            .get_mut("agent")
            .and_then(|a| a.write_lock::<Map>())
        {
            agent.insert("iteration".into(), Dynamic::from(self.iteration));
        }
        self.iteration += 1;
        let base = self.scope.len();
        let started = Instant::now();
        self.buffer.begin_iteration(
            started,
            micros(started.saturating_duration_since(self.t0)) / 1000,
        );
        self.shared.active.fetch_add(1, Ordering::Relaxed);
        let result = self
            .engine
            .eval_ast_with_scope::<Dynamic>(self.scope, self.ast);
        self.shared.active.fetch_sub(1, Ordering::Relaxed);
        self.scope.rewind(base);
        let end = match result {
            Ok(_) => IterationEnd::Completed,
            Err(_) if self.shared.end.is_stopped() => IterationEnd::Interrupted,
            Err(_) if self.cut.passed() => IterationEnd::RampedDown,
            Err(e) => IterationEnd::Failed(failure(&e, self.ast)),
        };
        let completed = !matches!(end, IterationEnd::Failed(_));
        let now = Instant::now();
        self.buffer.end_iteration(Event::Iteration {
            end,
            duration_us: micros(now - started),
            at_ms: micros(now.saturating_duration_since(self.t0)) / 1000,
        });
        completed
    }
}

/// A failed iteration as `line N: message`, the key failures are counted under.
fn failure(e: &EvalAltResult, ast: &AST) -> String {
    let names: Vec<String> = ast.iter_functions().map(|f| f.name.to_string()).collect();
    let d = Diagnostic::from_eval(e, &names);
    let mut text = match d.line {
        Some(line) => format!("line {line}: {}", d.message),
        None => d.message,
    };
    for note in &d.notes {
        text.push_str("; ");
        text.push_str(note.trim());
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_in_a_row_back_off_doubling_up_to_a_second() {
        let ms: Vec<u128> = [0, 1, 2, 3, 7, 8, 40, u32::MAX]
            .iter()
            .map(|&n| backoff(n).as_millis())
            .collect();
        assert_eq!(ms, [0, 10, 20, 40, 640, 1000, 1000, 1000]);
    }
}
