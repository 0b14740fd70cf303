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
use std::time::{Duration, Instant};

use rhai::{Dynamic, Engine, EvalAltResult, FnPtr, NativeCallContext, Scope};

use super::{Connector, Failure, Status};
use crate::script::{self, Output, Session, SharedSession};

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
    seen: Vec<String>,
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
    /// The last requests it made, one line each.
    pub requests: Vec<String>,
}

/// What collecting a file found.
#[derive(Debug)]
pub enum Collected {
    /// Named cases, to run one by one.
    Cases(Vec<String>),
    /// No cases: the file is the test, and this is how it went.
    Plain(Outcome),
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
}

type Res<T> = Result<T, Box<EvalAltResult>>;

impl Worker {
    /// A worker whose tests get their backends from `connect`.
    pub fn new(connect: Connector, timeout: Option<std::time::Duration>) -> Result<Worker, String> {
        let session = Session::new(connect()?, Default::default()).shared();
        // Each test gets its own backend; this one only proves that one can be built.
        session.borrow_mut().transport().finish();
        let output = Rc::new(RefCell::new(String::new()));
        let mut engine = script::engine(&session, Output::Capture(output.clone()));
        let cases = Rc::new(RefCell::new(Cases {
            mode: Mode::Collect,
            seen: Vec::new(),
            ran: false,
        }));
        let c = cases.clone();
        // Replaces the `test` that runs bodies in place (same name and parameter types).
        engine.register_fn(
            "test",
            move |ctx: NativeCallContext, name: &str, body: FnPtr| -> Res<()> {
                let run = {
                    let mut c = c.borrow_mut();
                    let index = c.seen.len();
                    c.seen.push(name.to_string());
                    let run = c.mode == Mode::Run(index);
                    c.ran |= run;
                    run
                };
                if run {
                    let _: Dynamic = body.call_within_context(&ctx, ())?;
                }
                Ok(())
            },
        );
        let stop = script::Stop::new(timeout);
        stop.install(&mut engine);
        Ok(Worker {
            session,
            engine,
            output,
            cases,
            connect,
            stop,
        })
    }

    /// Runs the file's top level on a fresh backend with `test` in the given mode.
    fn run(&mut self, file: &SourceFile, mode: Mode) -> Outcome {
        let started = Instant::now();
        self.stop.arm();
        *self.cases.borrow_mut() = Cases {
            mode,
            seen: Vec::new(),
            ran: false,
        };
        self.output.borrow_mut().clear();
        let connect = file.connect.as_ref().unwrap_or(&self.connect);
        let result = match connect() {
            Ok(transport) => {
                let mut s = self.session.borrow_mut();
                s.set_transport(transport);
                s.set_params(file.params.clone());
                s.clear_recent();
                drop(s);
                script::run(&self.engine, &mut Scope::new(), &file.source).map_err(|d| Failure {
                    assertion: d.assertion,
                    message: d.message.clone(),
                    report: d.render(&file.name, &file.source),
                })
            }
            Err(e) => Err(Failure {
                assertion: false,
                message: e.clone(),
                report: format!("error: {e}\n"),
            }),
        };
        let requests = {
            let mut s = self.session.borrow_mut();
            // The test is over: its session on a served simulator ends now.
            s.transport().finish();
            let api = s.transport().api();
            s.recent().map(|m| m.summary(api)).collect()
        };
        Outcome {
            status: match result {
                Ok(_) => Status::Passed,
                Err(f) => Status::Failed(f),
            },
            elapsed: started.elapsed(),
            output: self.output.borrow().clone(),
            requests,
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
        if let Some(dup) = seen
            .iter()
            .enumerate()
            .find(|(i, n)| seen[..*i].contains(n))
            .map(|(_, n)| n)
        {
            let message =
                format!("two cases are named `{dup}`: give each test(...) a name of its own");
            outcome.status = Status::Failed(Failure {
                assertion: false,
                report: format!("error: {message}\n  --> {}\n", file.name),
                message,
            });
            return Collected::Plain(outcome);
        }
        if !seen.is_empty() {
            Collected::Cases(seen)
        } else if matches {
            Collected::Plain(outcome)
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
            outcome.status = Status::Failed(Failure {
                assertion: false,
                report: format!("error: {message}\n  --> {}\n", file.name),
                message,
            });
        }
        outcome
    }
}
