//! One worker's engine, and running a test on it.
//!
//! A file's named cases are found by running its top level once with `test` only noting names
//! ("collecting"); a file with no cases is itself the test, and that run is its result. Each case
//! then runs alone: the top level runs again on a fresh backend, and `test` runs only the body of
//! the case asked for. Setup written at the top level therefore runs for every case, the way a
//! fixture would, and a case cannot see what another did.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;
use std::sync::Arc;
use std::time::{Duration, Instant};

use rhai::{Dynamic, Engine, EvalAltResult, FnPtr, NativeCallContext, Scope};

use super::record::{Call, Detached, Recorder, SharedLog};
use super::{Connector, Failure, Row, Status, TestId};
use crate::api::ApiVersion;
use crate::client::{Halt, LimitKind, Trace};
use crate::script::{self, Modules, Output, Session, SharedSession};

/// A test file, read once, with the backend and `param` values it runs with.
#[derive(Clone)]
pub struct SourceFile {
    /// The path as shown in reports.
    pub name: String,
    /// Its text.
    pub source: String,
    /// Its own backend, instead of the run's.
    pub connect: Option<Connector>,
    /// Values for `param(NAME)`.
    pub params: HashMap<String, String>,
    /// The data row this run gets as the map `data`, for a data-driven run.
    pub row: Option<Row>,
    /// Its own time limit (`--max-time` in its `// args:` line), instead of the run's.
    pub timeout: Option<Duration>,
    /// Its tags (its `// tags:` line).
    pub tags: Vec<String>,
    /// Whether to keep its exchanges' envelopes (`--trace`).
    pub trace: bool,
    /// Where its imports are looked for: its folder, then the `--module-path` folders.
    pub modules: Modules,
}

impl SourceFile {
    /// The id of this file's (or row's) test, or of one of its cases.
    pub fn test_id(&self, case: Option<&str>) -> TestId {
        TestId {
            file: self.name.clone(),
            row: self.row.as_ref().map(|r| r.name.clone()),
            case: case.map(str::to_string),
        }
    }
}

/// What `test` does when the script calls it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Note the case's name; run nothing.
    Collect,
    /// Run the body of the case with this index (in order of the `test` calls).
    Run(usize),
}

#[derive(Debug)]
struct Cases {
    mode: Mode,
    /// Each `test` call's case name, line and own tags.
    seen: Vec<(String, usize, Vec<String>)>,
    ran: bool,
}

/// How one run of a test went.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// Passed or failed (never skipped).
    pub status: Status,
    /// How long it took.
    pub elapsed: Duration,
    /// What `print` and `debug` wrote.
    pub output: String,
    /// The requests it made (at most [`super::record::KEEP`]).
    pub calls: Vec<Call>,
    /// How many more requests it made than were kept.
    pub dropped: usize,
    /// The envelopes of its last exchange.
    pub envelopes: Option<Trace>,
    /// The API version of its backend.
    pub api: ApiVersion,
    /// The attempts of `retry` and checks of `poll_until` it made.
    pub attempts: Vec<crate::script::Attempt>,
    /// Under `--trace`, its exchanges' envelopes as `--trace` prints them, masked.
    pub trace: String,
}

/// What collecting a file found.
#[derive(Debug)]
pub enum Collected {
    /// Named cases with their own tags, to run one by one.
    Cases(Vec<(String, Vec<String>)>),
    /// No cases: the file is the test, and this is how it went.
    Plain(Box<Outcome>),
    /// No cases, and the file did not match the filter: not run.
    Skipped,
}

/// A worker thread's engine and session. Rhai engines are not `Send`, so each worker builds its
/// own and swaps a fresh backend in for every test.
pub struct Worker {
    session: SharedSession,
    engine: Engine,
    output: Rc<RefCell<String>>,
    cases: Rc<RefCell<Cases>>,
    connect: Connector,
    stop: script::Stop,
    /// The run's time limit (`--test-timeout`), and the file's own (`--max-time` in its `// args:`
    /// line) that `stop` enforces now, if any.
    timeout: (Option<Duration>, Option<Duration>),
    halt: Arc<Halt>,
    log: SharedLog,
    /// The envelopes of the running test's exchanges, under `--trace`.
    trace: Rc<RefCell<String>>,
    /// Fail a test whose traffic broke an error rule of the audit.
    pub audit: bool,
}

type Res<T> = Result<T, Box<EvalAltResult>>;

/// A `test(name, [options,] body)` call: notes the case, and runs its body when it is the case
/// asked for.
fn case(
    ctx: &NativeCallContext,
    cases: &RefCell<Cases>,
    name: &str,
    tags: Vec<String>,
    body: FnPtr,
) -> Res<()> {
    let run = {
        let mut c = cases.borrow_mut();
        let index = c.seen.len();
        let line = ctx.call_position().line().unwrap_or(0);
        c.seen.push((name.to_string(), line, tags));
        let run = c.mode == Mode::Run(index);
        c.ran |= run;
        run
    };
    if run {
        let _: Dynamic = body.call_within_context(ctx, ())?;
    }
    Ok(())
}

impl Worker {
    /// A worker whose tests get their backends from `connect`.
    pub fn new(connect: Connector, timeout: Option<Duration>, halt: Arc<Halt>) -> Worker {
        let session = Session::new(Box::new(Detached), Default::default()).shared();
        let output = Rc::new(RefCell::new(String::new()));
        let mut engine = script::engine(&session, Output::Capture(output.clone()));
        let cases = Rc::new(RefCell::new(Cases {
            mode: Mode::Collect,
            seen: Vec::new(),
            ran: false,
        }));
        // Replaces the `test` that runs bodies in place (same names and parameter types).
        let c = cases.clone();
        engine.register_fn(
            "test",
            move |ctx: NativeCallContext, name: &str, body: FnPtr| -> Res<()> {
                case(&ctx, &c, name, Vec::new(), body)
            },
        );
        let c = cases.clone();
        engine.register_fn(
            "test",
            move |ctx: NativeCallContext, name: &str, options: rhai::Map, body: FnPtr| -> Res<()> {
                let tags = script::case_tags(&options)?;
                case(&ctx, &c, name, tags, body)
            },
        );
        let stop = script::Stop::for_test(timeout, LimitKind::TestTimeout, halt.clone());
        stop.install(&mut engine);
        session.borrow_mut().set_cancel(stop.cancel());
        let log = SharedLog::default();
        let l = log.clone();
        session
            .borrow_mut()
            .set_attempt_observer(Some(Box::new(move |a: &script::Attempt| {
                l.borrow_mut().attempted(a)
            })));
        Worker {
            session,
            engine,
            output,
            cases,
            connect,
            stop,
            timeout: (timeout, None),
            halt,
            log,
            trace: Rc::default(),
            audit: false,
        }
    }

    /// Runs the file's top level on a fresh backend with `test` in the given mode.
    fn run(&mut self, file: &SourceFile, mode: Mode) -> Outcome {
        let started = Instant::now();
        if file.timeout != self.timeout.1 {
            self.stop = match file.timeout {
                Some(own) => {
                    script::Stop::for_test(Some(own), LimitKind::MaxTime, self.halt.clone())
                }
                None => script::Stop::for_test(
                    self.timeout.0,
                    LimitKind::TestTimeout,
                    self.halt.clone(),
                ),
            };
            self.stop.install(&mut self.engine);
            self.session.borrow_mut().set_cancel(self.stop.cancel());
            self.timeout.1 = file.timeout;
        }
        self.stop.arm();
        file.modules.install(&mut self.engine);
        *self.cases.borrow_mut() = Cases {
            mode,
            seen: Vec::new(),
            ran: false,
        };
        self.output.borrow_mut().clear();
        self.trace.borrow_mut().clear();
        // Each test's envelopes are kept with its result, so that tests running in parallel
        // print theirs whole, with their result line.
        let sink = file.trace.then(|| {
            let trace = self.trace.clone();
            Box::new(
                move |op: crate::api::Operation, elapsed: Duration, t: &Trace| {
                    let text = script::render_trace(op, elapsed, t);
                    trace.borrow_mut().push_str(&crate::secrets::mask(&text));
                },
            ) as script::TraceSink
        });
        self.session.borrow_mut().set_trace(sink);
        let connect = file.connect.as_ref().unwrap_or(&self.connect);
        let mut api = ApiVersion::default();
        let result = match connect() {
            Ok(transport) => {
                api = transport.api();
                let mut s = self.session.borrow_mut();
                s.set_transport(Box::new(Recorder::new(transport, self.log.clone())));
                s.set_params(file.params.clone());
                s.clear_recent();
                drop(s);
                // Request times count from the start of the script, not of the backend's setup.
                self.log.borrow_mut().restart();
                let mut scope = Scope::new();
                if let Some(row) = &file.row {
                    let data: Dynamic = rhai::serde::to_dynamic(&row.values)
                        .expect("JSON values convert to Rhai values");
                    scope.push_constant("data", data);
                }
                script::run(&self.engine, &mut scope, &file.source).map_err(|d| Failure {
                    assertion: d.assertion,
                    message: d.message.clone(),
                    report: d.render(&file.name, &file.source),
                })
            }
            Err(e) => Err(Failure::error(&file.name, e)),
        };
        // The test is over: its session on a served simulator ends now, and the backend is let go.
        let mut result = result;
        {
            let mut s = self.session.borrow_mut();
            if self.audit && result.is_ok() {
                if let Some(f) = audit_failure(&mut s, &self.log.borrow().calls, &file.name) {
                    result = Err(f);
                }
            }
            s.transport().finish();
            s.set_transport(Box::new(Detached));
        }
        let log = std::mem::take(&mut *self.log.borrow_mut());
        Outcome {
            status: match result {
                Ok(_) => Status::Passed,
                Err(f) => Status::Failed(f),
            },
            elapsed: started.elapsed(),
            output: self.output.borrow().clone(),
            calls: log.calls,
            dropped: log.dropped,
            envelopes: log.last_envelopes,
            api,
            attempts: log.attempts,
            trace: std::mem::take(&mut *self.trace.borrow_mut()),
        }
    }

    /// Collects a file's cases; runs it as its own test when it has none and `matches` (the filter
    /// accepts its name). A file that does not match and never calls `test` is not run at all.
    pub fn collect(&mut self, file: &SourceFile, matches: bool) -> Collected {
        if !matches && !file.source.contains("test") {
            return Collected::Skipped;
        }
        let mut outcome = self.run(file, Mode::Collect);
        let seen = std::mem::take(&mut self.cases.borrow_mut().seen);
        // Two cases of one name would be reported as one: the file fails as a whole instead.
        if let Some((i, (dup, line, _))) = seen
            .iter()
            .enumerate()
            .find(|(i, (n, _, _))| seen[..*i].iter().any(|(m, _, _)| m == n))
        {
            let first = seen[..i]
                .iter()
                .find(|(m, _, _)| m == dup)
                .map_or(0, |(_, l, _)| *l);
            let message = format!(
                "two cases are named `{dup}` (lines {first} and {line}): give each test(...) a name of its own"
            );
            outcome.status = Status::Failed(Failure {
                assertion: false,
                report: format!("error: {message}\n  --> {}:{line}\n", file.name),
                message,
            });
            return Collected::Plain(Box::new(outcome));
        }
        if !seen.is_empty() {
            Collected::Cases(seen.into_iter().map(|(n, _, t)| (n, t)).collect())
        } else if matches {
            Collected::Plain(Box::new(outcome))
        } else {
            Collected::Skipped
        }
    }

    /// Runs one case of a file.
    pub fn run_case(&mut self, file: &SourceFile, index: usize, name: &str) -> Outcome {
        let mut outcome = self.run(file, Mode::Run(index));
        if matches!(outcome.status, Status::Passed) && !self.cases.borrow().ran {
            // The top level took another path this time (it depends on something that changed).
            let message = format!("the case `{name}` was not reached on this run");
            outcome.status = Status::Failed(Failure::error(&file.name, message));
        }
        outcome
    }
}

/// The error findings of a test's traffic as its failure, or `None` without any: a simulator's
/// own findings when the backend is one (it knows its directory's desktop users), else the audit
/// of the requests the test made, read at the transport seam.
fn audit_failure(
    session: &mut crate::script::Session,
    calls: &[Call],
    file: &str,
) -> Option<Failure> {
    use crate::audit::{Auditor, Options, Severity};
    let from_simulator = session
        .transport()
        .control()
        .and_then(|c| c.findings_settled().ok());
    let lines: Vec<String> = match from_simulator {
        Some(found) => found
            .iter()
            .filter(|f| f["severity"] == "error")
            .map(|f| {
                format!(
                    "{}[{}] {}",
                    f["severity"].as_str().unwrap_or("?"),
                    f["rule"].as_str().unwrap_or("?"),
                    f["message"].as_str().unwrap_or("")
                )
            })
            .collect(),
        None => {
            let mut auditor = Auditor::new(Options::default());
            let started = chrono::Utc::now();
            let mut found = Vec::new();
            for (i, call) in calls.iter().enumerate() {
                found.extend(auditor.observe(&call.to_exchange(i as u64 + 1, started, file)));
            }
            found.extend(auditor.finish());
            found
                .iter()
                .filter(|f| f.severity == Severity::Error)
                .map(|f| f.line())
                .collect()
        }
    };
    if lines.is_empty() {
        return None;
    }
    let message = format!(
        "the audit found {} error{} in the test's traffic: {}",
        lines.len(),
        if lines.len() == 1 { "" } else { "s" },
        lines.join("; ")
    );
    Some(Failure {
        assertion: true,
        report: format!(
            "audit failed: {} error{}\n  {}\n  --> {file}\n",
            lines.len(),
            if lines.len() == 1 { "" } else { "s" },
            lines.join("\n  ")
        ),
        message,
    })
}
