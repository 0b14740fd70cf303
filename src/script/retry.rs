//! Waiting for something to hold: `retry(times, interval_ms, || …)` re-runs a block until it
//! returns without throwing, and `poll_until(timeout_ms, interval_ms, || condition)` checks a
//! condition until it is true. Each attempt is an [`Attempt`], told to the session's attempt
//! observer (`-v` rows, the test reports).
//!
//! Both wait on the simulator's clock when it is virtual (the embedded simulator's default): a
//! wait then advances that clock, as `sim_advance` does, instead of sleeping, so a 60 s poll ends
//! at once and timers due meanwhile fire. Against a real Encore, a served simulator (its clock is
//! shared with its other clients) or a simulator on the real clock, they wait real time. Either way
//! every wait watches the run's stop ([`crate::client::Cancel`]: Ctrl-C, SIGINT, SIGTERM,
//! `--max-time`, `--test-timeout`), which ends the script.
//!
//! Only errors a script can throw or an answer can cause ([`EvalAltResult::ErrorRuntime`]: `throw`,
//! a failed assertion, a transport failure) are retried; a mistake in the script itself (an
//! unknown function, a wrong type) fails at once, as no attempt can mend it.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use rhai::{Dynamic, Engine, EvalAltResult, FnPtr, NativeCallContext};

use super::args::{error, int, type_name};
use super::assertions::{failure, AssertionFailure};
use super::session::SharedSession;
use super::stop::terminated;

type Res<T> = Result<T, Box<EvalAltResult>>;

/// The longest wait `retry` and `poll_until` accept, as for `sleep`: a day. Longer is surely a
/// mistake in units.
const MAX_MS: i64 = 86_400_000;

/// The most attempts `retry` accepts.
const MAX_TIMES: i64 = 1_000_000;

/// One attempt of `retry` or one check of `poll_until`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attempt {
    /// `retry` or `poll_until`.
    pub function: &'static str,
    /// Which attempt, from 1.
    pub number: u32,
    /// How many `retry` may make; `None` for `poll_until` (bounded by time).
    pub of: Option<u32>,
    /// When it started, from the first attempt, on the clock waited on.
    pub at: Duration,
    /// Whether that clock is the simulator's virtual one.
    pub virtual_clock: bool,
    /// The script line of the `retry` or `poll_until` call.
    pub line: Option<usize>,
    /// Whether it ended the wait: the block returned, the condition held.
    pub passed: bool,
    /// What it gave: `ok` (a block that returned), `true` or `false` (a condition), or the error
    /// it threw.
    pub detail: String,
    /// How many attempts of the same call were left out just before this one: a call keeps its
    /// first [`FIRST_KEPT`] and its last [`LAST_KEPT`] attempts, so that a long wait's record
    /// stays readable (0 for all but the first attempt kept after a gap).
    pub left_out_before: u32,
}

/// How many of a call's first attempts are kept (told to the observer as they happen).
pub const FIRST_KEPT: u32 = 10;

/// How many of a call's last attempts are kept (told to the observer when the call ends).
pub const LAST_KEPT: usize = 100;

impl Attempt {
    /// What it gave, in a word or the error: `ok`, `true`, `false`, `threw: …`.
    pub fn outcome(&self) -> String {
        if self.function == "retry" && !self.passed {
            format!("threw: {}", self.detail)
        } else {
            self.detail.clone()
        }
    }

    /// `retry attempt 2 of 3 (line 7, +0.20 s): threw: expected 100 from …`, as reports list
    /// attempts.
    pub fn summary(&self) -> String {
        let of = self.of.map(|n| format!(" of {n}")).unwrap_or_default();
        let line = self.line.map(|l| format!("line {l}, ")).unwrap_or_default();
        let clock = if self.virtual_clock { " virtual" } else { "" };
        let noun = if self.function == "poll_until" {
            "check"
        } else {
            "attempt"
        };
        format!(
            "{} {noun} {}{of} ({line}+{:.2} s{clock}): {}",
            self.function,
            self.number,
            self.at.as_secs_f64(),
            self.outcome()
        )
    }

    /// `poll_until: 59891 checks left out (the first 10 and the last 100 are kept)`, for an
    /// attempt that follows a gap; `None` when none was left out before it.
    pub fn gap(&self) -> Option<String> {
        (self.left_out_before > 0).then(|| {
            let noun = if self.function == "poll_until" {
                "check"
            } else {
                "attempt"
            };
            format!(
                "{}: {} left out (the first {FIRST_KEPT} and the last {LAST_KEPT} are kept)",
                self.function,
                plural(self.left_out_before, noun)
            )
        })
    }
}

/// A call's attempts on their way to the session's observer: the first [`FIRST_KEPT`] at once,
/// the others held back, only the last [`LAST_KEPT`] of them kept, and told when the call ends
/// (dropped: whichever way it ends), the first of them saying how many were left out.
struct Kept<'a> {
    session: &'a SharedSession,
    held: VecDeque<Attempt>,
    left_out: u32,
}

impl<'a> Kept<'a> {
    fn new(session: &'a SharedSession) -> Kept<'a> {
        Kept {
            session,
            held: VecDeque::new(),
            left_out: 0,
        }
    }

    fn note(&mut self, attempt: Attempt) {
        if attempt.number <= FIRST_KEPT {
            self.session.borrow_mut().attempted(&attempt);
            return;
        }
        self.held.push_back(attempt);
        if self.held.len() > LAST_KEPT {
            self.held.pop_front();
            self.left_out += 1;
        }
    }
}

impl Drop for Kept<'_> {
    fn drop(&mut self) {
        if let Some(first) = self.held.front_mut() {
            first.left_out_before = self.left_out;
        }
        if let Ok(mut s) = self.session.try_borrow_mut() {
            for a in self.held.drain(..) {
                s.attempted(&a);
            }
        }
    }
}

/// The clock a wait runs on: the simulator's virtual clock, advanced by each wait, or real time.
struct Pace<'a> {
    session: &'a SharedSession,
    virtual_clock: bool,
    /// Virtual: the time advanced so far.
    waited: Duration,
    started: Instant,
    function: &'static str,
}

impl<'a> Pace<'a> {
    fn new(session: &'a SharedSession, function: &'static str) -> Pace<'a> {
        let virtual_clock = session
            .borrow_mut()
            .transport()
            .control()
            .is_some_and(|c| c.virtual_clock());
        Pace {
            session,
            virtual_clock,
            waited: Duration::ZERO,
            started: Instant::now(),
            function,
        }
    }

    /// Time since the first attempt, on this clock.
    fn elapsed(&self) -> Duration {
        if self.virtual_clock {
            self.waited
        } else {
            self.started.elapsed()
        }
    }

    /// Whether the run was stopped (Ctrl-C, `--max-time`): that ends the script.
    fn check(&self) -> Res<()> {
        let cancel = self.session.borrow().cancel().clone();
        cancel.check().map_err(terminated)
    }

    /// Waits `d`: advances the virtual clock, or sleeps unless the run is stopped first.
    fn wait(&mut self, d: Duration) -> Res<()> {
        self.check()?;
        if d.is_zero() {
            return Ok(());
        }
        if self.virtual_clock {
            let function = self.function;
            let mut s = self.session.borrow_mut();
            let control = s.transport().control().ok_or_else(|| {
                error(format!("{function}: the simulator went away while waiting"))
            })?;
            control.advance(d.as_secs_f64()).map_err(|e| {
                error(format!(
                    "{function}: cannot wait on the simulator's virtual clock: {e}"
                ))
            })?;
            self.waited += d;
            Ok(())
        } else {
            let cancel = self.session.borrow().cancel().clone();
            cancel.sleep(d).map_err(terminated)
        }
    }
}

/// A number of milliseconds from 0 to a day, or an error naming the argument.
fn millis(function: &str, what: &str, v: &Dynamic) -> Res<Duration> {
    let ms = int(function, what, v)?;
    if ms < 0 {
        return Err(error(format!(
            "{function}: {what} {ms} is negative; give 0 or more milliseconds"
        )));
    }
    if ms > MAX_MS {
        return Err(error(format!(
            "{function}: {what} {ms} is more than a day ({MAX_MS} ms); it counts milliseconds"
        )));
    }
    Ok(Duration::from_millis(ms as u64))
}

/// The block to run, or an error naming the argument.
/// What `retry` and `poll_until` share from one attempt to the next: the clock they pace on, the
/// attempts kept for the reports, the attempt's number and the script line of the call.
struct Attempts<'a> {
    function: &'static str,
    of: Option<u32>,
    line: Option<usize>,
    pace: Pace<'a>,
    kept: Kept<'a>,
    number: u32,
}

impl<'a> Attempts<'a> {
    /// Checks the block (`what`, the call's third argument) and starts counting attempts.
    fn start(
        ctx: &NativeCallContext,
        session: &'a SharedSession,
        function: &'static str,
        of: Option<u32>,
        what: &str,
        block: Dynamic,
    ) -> Res<(Attempts<'a>, FnPtr)> {
        let block = closure(function, &format!("{what} (third argument)"), block)?;
        takes_nothing(ctx, function, what, &block)?;
        let attempts = Attempts {
            function,
            of,
            line: ctx.call_position().line(),
            pace: Pace::new(session, function),
            kept: Kept::new(session),
            number: 0,
        };
        Ok((attempts, block))
    }

    /// The next attempt, passed until told otherwise; fails when the run was stopped.
    fn next(&mut self) -> Res<Attempt> {
        self.number += 1;
        self.pace.check()?;
        Ok(Attempt {
            function: self.function,
            number: self.number,
            of: self.of,
            at: self.pace.elapsed(),
            virtual_clock: self.pace.virtual_clock,
            line: self.line,
            passed: true,
            detail: String::new(),
            left_out_before: 0,
        })
    }
}

fn closure(function: &str, what: &str, v: Dynamic) -> Res<FnPtr> {
    let shown = type_name(&v);
    v.try_cast::<FnPtr>().ok_or_else(|| {
        error(format!(
            "{function}: {what} must be a closure such as || port_status(1, 5), not {shown}"
        ))
    })
}

/// Refuses a block that takes parameters (`|x| x`, `Fn("f")` of an `fn f(x)`): `retry` and
/// `poll_until` call it with none, so Rhai would not find it (`unknown function 'anon$…'`). `what`
/// is `the block` or `the condition`.
fn takes_nothing(ctx: &NativeCallContext, function: &str, what: &str, block: &FnPtr) -> Res<()> {
    // A closure's captured variables are curried in as its first parameters.
    let curried = block.curry().len();
    let has = |n: usize| {
        ctx.iter_namespaces()
            .any(|m| m.get_script_fn(block.fn_name(), n).is_some())
    };
    if has(curried) {
        return Ok(());
    }
    match (1..=32).find(|extra| has(curried + extra)) {
        Some(n) => {
            let hint = match (block.is_anonymous(), n) {
                (true, 1) => "; write || …, not |x| …".to_string(),
                (true, _) => "; write || …, not |x, …| …".to_string(),
                (false, _) => format!("; wrap it: || {}(…)", block.fn_name()),
            };
            Err(error(format!(
                "{function}: {what} must take no arguments, but it takes {}{hint}",
                plural(n as u32, "argument"),
            )))
        }
        None => Ok(()),
    }
}

/// The error at the bottom of a chain of calls: where it was thrown.
fn innermost(err: &EvalAltResult) -> &EvalAltResult {
    match err {
        EvalAltResult::ErrorInFunctionCall(_, _, inner, _)
        | EvalAltResult::ErrorInModule(_, inner, _) => innermost(inner),
        other => other,
    }
}

/// Whether an attempt's error is one another attempt may not meet: something thrown (a `throw`,
/// an assertion, a transport failure), not a mistake in the script or a stop.
fn retryable(err: &EvalAltResult) -> bool {
    matches!(innermost(err), EvalAltResult::ErrorRuntime(..))
}

/// The message of an attempt's error, as reports show it.
fn message(err: &EvalAltResult) -> String {
    match innermost(err) {
        EvalAltResult::ErrorRuntime(v, _) => match v.clone().try_cast::<AssertionFailure>() {
            Some(a) => a.message,
            None => v.to_string(),
        },
        other => other.to_string(),
    }
}

/// The same error with its message rewritten by `f`, at the position where it was thrown, and
/// still an assertion if it was one. A thrown value other than a string (a map, say) is kept as
/// it is, so that a `catch` still gets it.
fn relabel(err: EvalAltResult, f: impl FnOnce(&str) -> String) -> Box<EvalAltResult> {
    Box::new(match err {
        EvalAltResult::ErrorInFunctionCall(name, source, inner, pos) => {
            EvalAltResult::ErrorInFunctionCall(name, source, relabel(*inner, f), pos)
        }
        EvalAltResult::ErrorInModule(name, inner, pos) => {
            EvalAltResult::ErrorInModule(name, relabel(*inner, f), pos)
        }
        EvalAltResult::ErrorRuntime(v, pos) => {
            let v = match v.clone().try_cast::<AssertionFailure>() {
                Some(a) => Dynamic::from(AssertionFailure {
                    message: f(&a.message),
                }),
                None if v.is_string() => Dynamic::from(f(&v.to_string())),
                None => v,
            };
            EvalAltResult::ErrorRuntime(v, pos)
        }
        other => other,
    })
}

fn plural(n: u32, one: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {one}s")
    }
}

/// `retry(times, interval_ms, block)`.
fn retry(
    ctx: &NativeCallContext,
    session: &SharedSession,
    times: Dynamic,
    interval: Dynamic,
    block: Dynamic,
) -> Res<Dynamic> {
    const F: &str = "retry";
    let times = int(F, "times", &times)?;
    if !(1..=MAX_TIMES).contains(&times) {
        return Err(error(format!(
            "{F}: times {times} must be from 1 to {MAX_TIMES} (the number of attempts, the first included)"
        )));
    }
    let times = times as u32;
    let interval = millis(F, "interval_ms", &interval)?;
    let (mut attempts, block) = Attempts::start(ctx, session, F, Some(times), "the block", block)?;
    loop {
        let mut attempt = attempts.next()?;
        let result: Res<Dynamic> = block.call_within_context(ctx, ());
        match result {
            Ok(value) => {
                attempt.detail = "ok".into();
                attempts.kept.note(attempt);
                return Ok(value);
            }
            Err(e) if !retryable(&e) => return Err(e),
            Err(e) => {
                attempt.passed = false;
                attempt.detail = message(&e);
                attempts.kept.note(attempt);
                if attempts.number == times {
                    let total = plural(times, "attempt");
                    return Err(relabel(*e, |m| {
                        format!("retry gave up after {total}; the last failed with: {m}")
                    }));
                }
            }
        }
        attempts.pace.wait(interval)?;
    }
}

/// `poll_until(timeout_ms, interval_ms, condition)`: the milliseconds waited until it held.
fn poll_until(
    ctx: &NativeCallContext,
    session: &SharedSession,
    timeout: Dynamic,
    interval: Dynamic,
    condition: Dynamic,
) -> Res<i64> {
    const F: &str = "poll_until";
    let timeout = millis(F, "timeout_ms", &timeout)?;
    let interval = millis(F, "interval_ms", &interval)?;
    if interval.is_zero() {
        return Err(error(format!(
            "{F}: interval_ms 0 would check without pause; give 1 or more milliseconds"
        )));
    }
    let (mut attempts, condition) =
        Attempts::start(ctx, session, F, None, "the condition", condition)?;
    loop {
        let mut attempt = attempts.next()?;
        let at = attempt.at;
        let calls = session.borrow().calls();
        let result: Res<Dynamic> = condition.call_within_context(ctx, ());
        let held = match result {
            Ok(v) if v.is_bool() => Ok(v.as_bool().unwrap_or(false)),
            Ok(v) => {
                let shown = if v.is_string() || v.is_int() || v.is_float() || v.is_unit() {
                    format!("{v:?} ({})", type_name(&v))
                } else {
                    format!("a {}", type_name(&v))
                };
                return Err(error(format!(
                    "{F}: the condition must give true or false, not {shown}; compare it, e.g. || p.status().status == \"RECORD\""
                )));
            }
            Err(e) if !retryable(&e) => return Err(e),
            // Not reachable yet (a server coming up): another check may see it.
            Err(e) => Err(message(&e)),
        };
        attempt.passed = held == Ok(true);
        attempt.detail = match &held {
            Ok(true) => "true".into(),
            Ok(false) => "false".into(),
            Err(e) => format!("threw: {e}"),
        };
        attempts.kept.note(attempt);
        if held == Ok(true) {
            return Ok(at.as_millis() as i64);
        }
        let left = timeout.saturating_sub(attempts.pace.elapsed());
        if left.is_zero() {
            let clock = if attempts.pace.virtual_clock {
                " on the simulator's virtual clock"
            } else {
                ""
            };
            let last = match &held {
                Ok(_) => "the condition gave false".to_string(),
                Err(e) => format!("the condition threw: {e}"),
            };
            // What the condition last asked the backend, since `false` alone says little.
            let asked = {
                let mut s = session.borrow_mut();
                let api = s.transport().api();
                (s.calls() > calls)
                    .then(|| s.recent().last().map(|m| m.summary(api)))
                    .flatten()
                    .map(|q| format!("; its last request: {q}"))
                    .unwrap_or_default()
            };
            // A condition that never held is a failed expectation, as a failed assertion is.
            return Err(failure(format!(
                "{F}: the condition did not hold within {} ms ({} in {:.2} s{clock}); at the last, {last}{asked}",
                timeout.as_millis(),
                plural(attempts.number, "check"),
                attempts.pace.elapsed().as_secs_f64(),
            )));
        }
        attempts.pace.wait(interval.min(left))?;
    }
}

/// Registers `retry` and `poll_until`.
pub fn register(engine: &mut Engine, session: &SharedSession) {
    let s = session.clone();
    engine.register_fn(
        "retry",
        move |ctx: NativeCallContext, times: Dynamic, interval: Dynamic, block: Dynamic| {
            retry(&ctx, &s, times, interval, block)
        },
    );
    let s = session.clone();
    engine.register_fn(
        "poll_until",
        move |ctx: NativeCallContext, timeout: Dynamic, interval: Dynamic, condition: Dynamic| {
            poll_until(&ctx, &s, timeout, interval, condition)
        },
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client::Embedded;
    use crate::script::{self, Output, Session};
    use crate::simulator::{Clock, ClockMode, Settings, Simulator};
    use std::cell::RefCell;
    use std::rc::Rc;

    /// An engine over an embedded simulator on the given clock, and the attempts it reports.
    fn engine(mode: ClockMode) -> (rhai::Engine, SharedSession, Rc<RefCell<Vec<Attempt>>>) {
        let settings = Settings {
            clock: Clock::new(mode),
            ..Settings::default()
        };
        let session = Session::new(
            Box::new(Embedded::new(Simulator::hosted(settings))),
            Default::default(),
        )
        .shared();
        let seen = Rc::new(RefCell::new(Vec::new()));
        let s = seen.clone();
        session
            .borrow_mut()
            .set_attempt_observer(Some(Box::new(move |a: &Attempt| {
                s.borrow_mut().push(a.clone())
            })));
        let engine = script::engine(&session, Output::Capture(Default::default()));
        (engine, session, seen)
    }

    fn run(engine: &rhai::Engine, source: &str) -> Result<Dynamic, script::Diagnostic> {
        script::run(engine, &mut rhai::Scope::new(), source)
    }

    #[test]
    fn retry_returns_the_value_of_the_third_attempt_after_two_throws() {
        let (engine, _, seen) = engine(ClockMode::Virtual);
        let v = run(
            &engine,
            "let n = 0;\nretry(5, 250, || {\n  n += 1;\n  if n < 3 { throw \"not yet\" }\n  n * 10\n})",
        )
        .unwrap();
        assert_eq!(v.as_int().unwrap(), 30);
        let seen = seen.borrow();
        assert_eq!(seen.len(), 3);
        assert_eq!(
            seen.iter().map(|a| a.passed).collect::<Vec<_>>(),
            [false, false, true]
        );
        assert_eq!(seen[0].detail, "not yet");
        assert_eq!(
            seen[2].at,
            Duration::from_millis(500),
            "two waits of 250 ms"
        );
        assert!(seen[2].virtual_clock);
        assert_eq!(seen[0].line, Some(2));
        assert_eq!(
            seen[1].summary(),
            "retry attempt 2 of 5 (line 2, +0.25 s virtual): threw: not yet"
        );
    }

    #[test]
    fn retry_throws_the_last_error_at_its_line_naming_the_attempts() {
        let (engine, _, seen) = engine(ClockMode::Virtual);
        let d = run(
            &engine,
            "let n = 0;\nretry(3, 100, || {\n  n += 1;\n  throw `down ${n}`;\n});",
        )
        .unwrap_err();
        assert_eq!(
            d.message,
            "retry gave up after 3 attempts; the last failed with: down 3"
        );
        assert_eq!(d.line, Some(4), "where it was thrown");
        assert!(!d.assertion);
        assert_eq!(seen.borrow().len(), 3);
    }

    #[test]
    fn a_failed_assertion_in_every_attempt_stays_an_assertion() {
        let (engine, _, _) = engine(ClockMode::Virtual);
        let d = run(
            &engine,
            "let p = station(\"1234\");\nretry(2, 0, || expect(p.status(), 612))",
        )
        .unwrap_err();
        assert!(d.assertion, "{d:?}");
        assert!(
            d.message
                .starts_with("retry gave up after 2 attempts; the last failed with: expected 612 from PortStatus"),
            "{}",
            d.message
        );
        assert_eq!(d.line, Some(2));
    }

    #[test]
    fn a_mistake_in_the_block_is_not_retried() {
        let (engine, _, seen) = engine(ClockMode::Virtual);
        let d = run(&engine, "retry(5, 0, || no_such_function(1))").unwrap_err();
        assert!(d.message.contains("no_such_function"), "{}", d.message);
        assert!(seen.borrow().is_empty());
    }

    #[test]
    fn bad_arguments_are_errors_naming_the_argument() {
        let (engine, _, _) = engine(ClockMode::Virtual);
        for (source, expected) in [
            ("retry(0, 10, || 1)", "retry: times 0 must be from 1 to"),
            ("retry(3, -1, || 1)", "retry: interval_ms -1 is negative"),
            (
                "retry(3, 10, 5)",
                "retry: the block (third argument) must be a closure such as || port_status(1, 5), not i64",
            ),
            ("retry(\"x\", 10, || 1)", "retry: times must be a whole number"),
            ("poll_until(-5, 10, || true)", "poll_until: timeout_ms -5 is negative"),
            ("poll_until(100, 0, || true)", "poll_until: interval_ms 0 would check"),
            ("poll_until(100, 10, \"ready\")", "poll_until: the condition (third argument) must be a closure"),
            ("poll_until(100, 10, || 1)", "poll_until: the condition must give true or false, not 1 (i64); compare it"),
            ("poll_until(100_000_000, 10, || true)", "poll_until: timeout_ms 100000000 is more than a day"),
        ] {
            let d = run(&engine, source).unwrap_err();
            assert!(d.message.starts_with(expected), "{source}: {}", d.message);
        }
    }

    #[test]
    fn poll_until_on_the_virtual_clock_waits_no_real_time_and_fires_timers_on_the_way() {
        let (engine, _, seen) = engine(ClockMode::Virtual);
        let started = Instant::now();
        let d = run(&engine, "poll_until(60000, 1000, || false)").unwrap_err();
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "{:?}",
            started.elapsed()
        );
        assert_eq!(
            d.message,
            "poll_until: the condition did not hold within 60000 ms (61 checks in 60.00 s on the simulator's virtual clock); at the last, the condition gave false"
        );
        assert!(d.assertion, "a poll that times out is a failed expectation");
        assert_eq!(seen.borrow().len(), 61);
        // The simulator's clock moved by the minute waited.
        let (engine, session, _) = self::engine(ClockMode::Virtual);
        let clock = |s: &SharedSession| s.borrow_mut().transport().control().unwrap().clock();
        let before = clock(&session).unwrap();
        let _ = run(
            &engine,
            "try { poll_until(60000, 1000, || false) } catch { }",
        )
        .unwrap();
        assert_eq!(
            clock(&session).unwrap() - before,
            chrono::Duration::seconds(60)
        );
    }

    #[test]
    fn poll_until_returns_the_time_waited_once_the_condition_holds() {
        let (engine, _, seen) = engine(ClockMode::Virtual);
        let v = run(
            &engine,
            "let n = 0;\npoll_until(10000, 300, || { n += 1; n == 4 })",
        )
        .unwrap();
        assert_eq!(v.as_int().unwrap(), 900);
        assert_eq!(seen.borrow().len(), 4);
        assert!(seen.borrow()[3].passed);
    }

    #[test]
    fn a_failed_poll_names_the_last_request_and_what_the_condition_threw() {
        let (engine, _, _) = engine(ClockMode::Virtual);
        let d = run(
            &engine,
            "let p = station(\"1234\");\npoll_until(1000, 500, || p.status().status == \"RECORD\")",
        )
        .unwrap_err();
        assert!(
            d.message.ends_with("at the last, the condition gave false; its last request: PortStatus(Unit=\"1\", Port=\"1\") -> 100 Command executed as expected"),
            "{}",
            d.message
        );
        let d = run(&engine, "poll_until(1000, 500, || throw \"no server\")").unwrap_err();
        assert!(
            d.message
                .ends_with("at the last, the condition threw: no server"),
            "{}",
            d.message
        );
    }

    #[test]
    fn poll_until_on_the_real_clock_waits_real_time() {
        let (engine, _, _) = engine(ClockMode::Real);
        let started = Instant::now();
        let d = run(&engine, "poll_until(300, 50, || false)").unwrap_err();
        let took = started.elapsed();
        assert!(took >= Duration::from_millis(300), "{took:?}");
        assert!(took < Duration::from_secs(30), "{took:?}");
        assert!(!d.message.contains("virtual"), "{}", d.message);
    }

    #[test]
    fn an_interrupt_ends_a_real_time_poll_and_the_script() {
        let (mut engine, session, _) = engine(ClockMode::Real);
        let stop = script::Stop::new(None);
        stop.install(&mut engine);
        session.borrow_mut().set_cancel(stop.cancel());
        stop.arm();
        let flag = stop.interrupt_flag();
        let setter = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(50));
            flag.store(true, std::sync::atomic::Ordering::SeqCst);
        });
        let started = Instant::now();
        let d = run(
            &engine,
            "try { poll_until(3600000, 1000, || false) } catch { }",
        )
        .unwrap_err();
        assert_eq!(d.message, "interrupted (Ctrl-C)");
        assert!(started.elapsed() < Duration::from_secs(30));
        setter.join().unwrap();
    }

    #[test]
    fn max_time_ends_a_virtual_retry_that_would_go_on_for_long() {
        let (mut engine, session, _) = engine(ClockMode::Virtual);
        let stop = script::Stop::new(Some(Duration::from_millis(100)));
        stop.install(&mut engine);
        session.borrow_mut().set_cancel(stop.cancel());
        stop.arm();
        let d = run(&engine, "retry(1000000, 1, || throw \"never\")").unwrap_err();
        assert_eq!(
            d.message,
            "stopped after 0.1 s: the script ran past --max-time"
        );
    }
}
