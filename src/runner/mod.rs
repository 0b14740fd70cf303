//! The test runner behind `ecapi test`: finds `.rhai` files, runs each file (or each of its
//! `test("name", || …)` cases) as a test against a fresh backend, in parallel, and reports.
//!
//! Parts: [`discover`] (which files), [`case`] (a worker's engine; collecting and running cases),
//! [`report`] (the text report), [`junit`] (the JUnit XML report). The runner prints nothing
//! itself: results go to a callback in a fixed order (files sorted, cases in the order the file
//! declares them), so a run with many jobs reports exactly what a run with one does.
//!
//! Work happens in two rounds over one pool of worker threads: first every file is collected (a
//! file without cases is run as its own test in that round), then every case runs.

pub mod case;
pub mod discover;
pub mod junit;
pub mod report;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc};
use std::time::Duration;

use crate::client::Transport;
use case::{Collected, Outcome, SourceFile, Worker};

/// Builds a fresh backend for one test.
pub type Connector = Arc<dyn Fn() -> Result<Box<dyn Transport>, String> + Send + Sync>;

/// Errors that stop a run before any test runs.
#[derive(Debug, thiserror::Error)]
pub enum RunnerError {
    /// A path given does not exist.
    #[error("{}: no such file or folder", .0.display())]
    NoSuchPath(PathBuf),
    /// A file or folder could not be read.
    #[error("cannot read {}: {source}", .path.display())]
    Read {
        /// The file or folder.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// No backend could be built for a worker.
    #[error("{0}")]
    Connect(String),
}

/// A file to test, and what it needs to run.
#[derive(Clone)]
pub struct TestFile {
    /// Where it is.
    pub path: PathBuf,
    /// Its own backend (from its `// args:` line), instead of the run's.
    pub connect: Option<Connector>,
    /// Values for `param(NAME)`.
    pub params: HashMap<String, String>,
}

impl TestFile {
    /// A file that runs on the run's backend, without parameters.
    pub fn plain(path: PathBuf) -> TestFile {
        TestFile {
            path,
            connect: None,
            params: HashMap::new(),
        }
    }
}

/// How to run.
#[derive(Clone)]
pub struct Options {
    /// Worker threads (at least 1).
    pub jobs: usize,
    /// Only tests whose name contains this text run; the others count as skipped.
    pub filter: Option<String>,
    /// A fresh backend per test, for the files without their own.
    pub connect: Connector,
    /// The longest a test may run before it fails as an error.
    pub timeout: Option<std::time::Duration>,
}

/// Why a test failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// A failed assertion, rather than an error.
    pub assertion: bool,
    /// The message alone.
    pub message: String,
    /// The diagnostic: message, `file:line:col`, the source line and a caret.
    pub report: String,
}

/// How a test went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Status {
    /// It ran to the end.
    Passed,
    /// An assertion failed or an error was thrown.
    Failed(Failure),
    /// The filter left it out.
    Skipped,
}

/// One test: a file, or one case of a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestId {
    /// The file, as shown in reports.
    pub file: String,
    /// The case's name, for a named case.
    pub case: Option<String>,
}

impl TestId {
    /// `file` or `file::case`, the name the filter matches and reports show.
    pub fn name(&self) -> String {
        match &self.case {
            Some(c) => format!("{}::{c}", self.file),
            None => self.file.clone(),
        }
    }
}

/// A test and how it went.
#[derive(Debug, Clone)]
pub struct TestResult {
    /// Which test.
    pub id: TestId,
    /// How it went.
    pub status: Status,
    /// How long it took.
    pub elapsed: Duration,
    /// What it printed.
    pub output: String,
    /// Its last requests, one line each.
    pub requests: Vec<String>,
}

impl TestResult {
    fn new(id: TestId, outcome: Outcome) -> TestResult {
        TestResult {
            id,
            status: outcome.status,
            elapsed: outcome.elapsed,
            output: outcome.output,
            requests: outcome.requests,
        }
    }

    fn skipped(id: TestId) -> TestResult {
        TestResult {
            id,
            status: Status::Skipped,
            elapsed: Duration::ZERO,
            output: String::new(),
            requests: Vec::new(),
        }
    }
}

/// What happened as the run went.
pub enum Event<'a> {
    /// Every test is known: how many there are (skipped ones included).
    Planned(usize),
    /// A test is done; these come in report order.
    Done(&'a TestResult),
}

/// Runs the tests in `files`, telling `on_event` as it goes, and returns every result in report
/// order.
pub fn run(
    files: &[TestFile],
    options: &Options,
    mut on_event: impl FnMut(Event<'_>),
) -> Result<Vec<TestResult>, RunnerError> {
    let sources = files
        .iter()
        .map(|f| {
            std::fs::read_to_string(&f.path)
                .map(|source| SourceFile {
                    name: f.path.display().to_string(),
                    source,
                    connect: f.connect.clone(),
                    params: f.params.clone(),
                })
                .map_err(|source| RunnerError::Read {
                    path: f.path.clone(),
                    source,
                })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let accepts = |name: &str| options.filter.as_ref().is_none_or(|f| name.contains(f));

    // Round one: collect every file.
    let collected = pool(&sources, options, |worker, file| {
        worker.collect(file, accepts(&file.name))
    })?;

    // Plan the report: a slot per test, filled now (files, skipped cases) or in round two.
    let mut slots: Vec<Option<TestResult>> = Vec::new();
    let mut cases: Vec<(usize, usize, String, usize)> = Vec::new(); // file, case index, name, slot
    for (i, (file, found)) in sources.iter().zip(collected).enumerate() {
        let id = |case: Option<&str>| TestId {
            file: file.name.clone(),
            case: case.map(str::to_string),
        };
        match found {
            Collected::Plain(outcome) => slots.push(Some(TestResult::new(id(None), outcome))),
            Collected::Skipped => slots.push(Some(TestResult::skipped(id(None)))),
            Collected::Cases(names) => {
                for (k, name) in names.into_iter().enumerate() {
                    let test = id(Some(&name));
                    if accepts(&test.name()) {
                        cases.push((i, k, name, slots.len()));
                        slots.push(None);
                    } else {
                        slots.push(Some(TestResult::skipped(test)));
                    }
                }
            }
        }
    }
    on_event(Event::Planned(slots.len()));

    // Round two: every case, reporting in slot order as results come in.
    let mut next = 0;
    let mut flush = |slots: &[Option<TestResult>], next: &mut usize| {
        while let Some(Some(r)) = slots.get(*next) {
            on_event(Event::Done(r));
            *next += 1;
        }
    };
    flush(&slots, &mut next);
    let (tx, rx) = mpsc::channel();
    let (cases, sources) = (&cases, &sources);
    std::thread::scope(|scope| {
        // The pool runs on its own thread so that this one can report as results come in; the
        // channel closes when the pool is done with `tx`.
        let handle = scope.spawn(move || {
            pool_with(cases, options, &tx, |worker, (file, index, name, _)| {
                worker.run_case(&sources[*file], *index, name)
            })
        });
        for (job, outcome) in rx {
            let (file, _, name, slot) = &cases[job];
            let id = TestId {
                file: sources[*file].name.clone(),
                case: Some(name.clone()),
            };
            slots[*slot] = Some(TestResult::new(id, outcome));
            flush(&slots, &mut next);
        }
        handle.join().expect("the pool does not panic")
    })?;
    Ok(slots.into_iter().flatten().collect())
}

/// Runs `work` on every job with `options.jobs` worker threads and returns the results in job
/// order.
fn pool<J: Sync, R: Send>(
    jobs: &[J],
    options: &Options,
    work: impl Fn(&mut Worker, &J) -> R + Sync,
) -> Result<Vec<R>, RunnerError> {
    let (tx, rx) = mpsc::channel();
    pool_with(jobs, options, &tx, work)?;
    drop(tx);
    let mut out: Vec<Option<R>> = (0..jobs.len()).map(|_| None).collect();
    for (i, r) in rx {
        out[i] = Some(r);
    }
    Ok(out.into_iter().flatten().collect())
}

/// Runs `work` on every job with worker threads, sending `(job index, result)` as each finishes.
fn pool_with<J: Sync, R: Send>(
    jobs: &[J],
    options: &Options,
    tx: &mpsc::Sender<(usize, R)>,
    work: impl Fn(&mut Worker, &J) -> R + Sync,
) -> Result<(), RunnerError> {
    let next = AtomicUsize::new(0);
    let threads = options.jobs.clamp(1, jobs.len().max(1));
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                let tx = tx.clone();
                let (next, work) = (&next, &work);
                scope.spawn(move || -> Result<(), RunnerError> {
                    let mut worker = Worker::new(options.connect.clone(), options.timeout)
                        .map_err(RunnerError::Connect)?;
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some(job) = jobs.get(i) else {
                            return Ok(());
                        };
                        let _ = tx.send((i, work(&mut worker, job)));
                    }
                })
            })
            .collect();
        handles
            .into_iter()
            .try_for_each(|h| h.join().expect("a worker does not panic"))
    })
}
