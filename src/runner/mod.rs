//! The test runner behind `ecapi test`: finds `.rhai` files, runs each file (or each of its
//! `test("name", || …)` cases, or each row of its data file) as a test against a fresh backend, in
//! parallel, and reports.
//!
//! Parts: [`discover`] (which files), [`data`] (data files for data-driven runs), [`case`] (a
//! worker's engine; collecting and running cases), [`record`] (what each test sent, recorded at
//! the transport seam), [`report`] (the result model's views: text, JUnit, TAP, JSON, HTML). The
//! runner prints nothing itself: results go to a callback in a fixed order (files sorted, rows in
//! file order, cases in the order the file declares them), so a run with many jobs reports
//! exactly what a run with one does.
//!
//! Work happens in two rounds over one pool of worker threads: first every file (every row of a
//! data-driven one) is collected (a file without cases is run as its own test in that round), then
//! every case runs.

pub mod case;
pub mod data;
pub mod discover;
pub mod record;
pub mod report;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{mpsc, Arc};
use std::time::Duration;

use crate::api::ApiVersion;
use crate::client::{Trace, Transport};
use case::{Collected, Outcome, SourceFile, Worker};
pub use data::Row;
pub use record::Call;

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
    /// The rows of its data file: the file runs once per row, each row a test (or, for a file
    /// with named cases, a group of them).
    pub rows: Option<Arc<Vec<Row>>>,
    /// Why it cannot run at all (a malformed `// args:` line, say): it is reported as one test in
    /// error, and the others run.
    pub problem: Option<String>,
    /// Left out by the filter before being read: reported as skipped, never read or run.
    pub excluded: bool,
    /// Its own time limit (`--max-time` in its `// args:` line), instead of the run's.
    pub timeout: Option<Duration>,
}

impl TestFile {
    /// A file that runs on the run's backend, without parameters.
    pub fn plain(path: PathBuf) -> TestFile {
        TestFile {
            path,
            connect: None,
            params: HashMap::new(),
            rows: None,
            problem: None,
            excluded: false,
            timeout: None,
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
    /// Stop starting tests at the first failure (`--bail`); the tests not run are skipped.
    pub bail: bool,
    /// Fail a test whose traffic broke an error rule of the audit (`--audit`).
    pub audit: bool,
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

impl Failure {
    /// An error (not an assertion) that has no script position, about `file`.
    pub fn error(file: &str, message: impl Into<String>) -> Failure {
        let message = message.into();
        Failure {
            assertion: false,
            report: format!("error: {message}\n  --> {file}\n"),
            message,
        }
    }
}

/// Why a test did not run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Skip {
    /// `--filter` left it out.
    Filter,
    /// `--bail` stopped the run at an earlier failure.
    Bail,
}

impl Skip {
    /// The reason, as reports give it.
    pub fn reason(self) -> &'static str {
        match self {
            Skip::Filter => "left out by --filter",
            Skip::Bail => "not run: --bail stopped the run at a failure",
        }
    }
}

/// How a test went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Status {
    /// It ran to the end.
    Passed,
    /// An assertion failed or an error was thrown.
    Failed(Failure),
    /// It did not run.
    Skipped(Skip),
}

/// One test: a file, a row of its data, or one case of either.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestId {
    /// The file, as shown in reports.
    pub file: String,
    /// The data row's name, for a data-driven run.
    pub row: Option<String>,
    /// The case's name, for a named case.
    pub case: Option<String>,
}

impl TestId {
    /// `file`, `file::row`, `file::case` or `file::row::case`: the name the filter matches and
    /// reports show.
    pub fn name(&self) -> String {
        let mut s = self.file.clone();
        for part in [&self.row, &self.case].into_iter().flatten() {
            s.push_str("::");
            s.push_str(part);
        }
        s
    }

    /// The name within its file: `row::case`, `row`, `case`, or the file's own name.
    pub fn short(&self) -> String {
        match (&self.row, &self.case) {
            (Some(r), Some(c)) => format!("{r}::{c}"),
            (Some(x), None) | (None, Some(x)) => x.clone(),
            (None, None) => self.file.clone(),
        }
    }
}

/// A test and how it went: the result model every report is a view of.
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
    /// The requests it made, oldest first (at most [`record::KEEP`]).
    pub calls: Vec<Call>,
    /// How many requests it made beyond those kept.
    pub dropped: usize,
    /// The envelopes of its last exchange (for a failure's details).
    pub envelopes: Option<Trace>,
    /// The API version its requests were made in (for parameter names).
    pub api: ApiVersion,
}

/// How many of the last requests the text and JUnit reports show for a failure.
pub const LAST_REQUESTS: usize = 10;

impl TestResult {
    fn new(id: TestId, outcome: Outcome) -> TestResult {
        TestResult {
            id,
            status: outcome.status,
            elapsed: outcome.elapsed,
            output: outcome.output,
            calls: outcome.calls,
            dropped: outcome.dropped,
            envelopes: outcome.envelopes,
            api: outcome.api,
        }
    }

    /// A test that did not run.
    pub fn not_run(id: TestId, status: Status) -> TestResult {
        TestResult {
            id,
            status,
            elapsed: Duration::ZERO,
            output: String::new(),
            calls: Vec::new(),
            dropped: 0,
            envelopes: None,
            api: ApiVersion::default(),
        }
    }

    /// Its last [`LAST_REQUESTS`] requests, one line each: operation, parameters, code and
    /// message (or the error).
    pub fn last_requests(&self) -> Vec<String> {
        let from = self.calls.len().saturating_sub(LAST_REQUESTS);
        self.calls[from..]
            .iter()
            .map(|c| c.made.summary(self.api))
            .collect()
    }
}

/// What happened as the run went.
pub enum Event<'a> {
    /// Every test is known: how many there are (skipped ones included).
    Planned(usize),
    /// A test is done; these come in report order.
    Done(&'a TestResult),
}

/// A test file (or one row of it) as the run prepares it: ready to run, or already decided.
enum Entry {
    Run(SourceFile),
    Decided(TestResult),
}

fn prepare(files: &[TestFile]) -> Vec<Entry> {
    let mut out = Vec::new();
    for f in files {
        let name = f.path.display().to_string();
        let id = |row: Option<&Row>| TestId {
            file: name.clone(),
            row: row.map(|r| r.name.clone()),
            case: None,
        };
        if f.excluded {
            out.push(Entry::Decided(TestResult::not_run(
                id(None),
                Status::Skipped(Skip::Filter),
            )));
            continue;
        }
        let source = match &f.problem {
            Some(p) => Err(p.clone()),
            None => std::fs::read_to_string(&f.path).map_err(|e| format!("cannot read it: {e}")),
        };
        let source = match source {
            Ok(s) => s,
            Err(message) => {
                out.push(Entry::Decided(TestResult::not_run(
                    id(None),
                    Status::Failed(Failure::error(&name, message)),
                )));
                continue;
            }
        };
        let rows: Vec<Option<Row>> = match &f.rows {
            Some(rows) => rows.iter().cloned().map(Some).collect(),
            None => vec![None],
        };
        for row in rows {
            out.push(Entry::Run(SourceFile {
                name: name.clone(),
                source: source.clone(),
                connect: f.connect.clone(),
                params: f.params.clone(),
                row,
                timeout: f.timeout,
            }));
        }
    }
    out
}

/// Runs the tests in `files`, telling `on_event` as it goes, and returns every result in report
/// order. A file that cannot be read or set up is a test in error; the others still run.
pub fn run(
    files: &[TestFile],
    options: &Options,
    mut on_event: impl FnMut(Event<'_>),
) -> Result<Vec<TestResult>, RunnerError> {
    let entries = prepare(files);
    let sources: Vec<&SourceFile> = entries
        .iter()
        .filter_map(|e| match e {
            Entry::Run(s) => Some(s),
            Entry::Decided(_) => None,
        })
        .collect();
    let accepts = |name: &str| options.filter.as_ref().is_none_or(|f| name.contains(f));
    let stopped = AtomicBool::new(false);
    let stop_on = |status: &Status| {
        if options.bail && matches!(status, Status::Failed(_)) {
            stopped.store(true, Ordering::SeqCst);
        }
    };

    // Round one: collect every file. A file that fails here (as its own test) stops a --bail run.
    let collected = pool(&sources, options, |worker, file| {
        if stopped.load(Ordering::SeqCst) {
            return Collected::Bailed;
        }
        let found = worker.collect(file, accepts(&file.test_id(None).name()));
        if let Collected::Plain(o) = &found {
            stop_on(&o.status);
        }
        found
    })?;

    // Plan the report: a slot per test, filled now (files, skipped cases) or in round two.
    let mut slots: Vec<Option<TestResult>> = Vec::new();
    let mut cases: Vec<(usize, usize, String, usize)> = Vec::new(); // source, case index, name, slot
    let mut collected = collected.into_iter();
    let mut i = 0;
    for entry in &entries {
        let file = match entry {
            Entry::Decided(r) => {
                slots.push(Some(r.clone()));
                continue;
            }
            Entry::Run(file) => file,
        };
        let found = collected.next().expect("one result per source");
        match found {
            Collected::Plain(outcome) => {
                slots.push(Some(TestResult::new(file.test_id(None), *outcome)))
            }
            Collected::Skipped => slots.push(Some(TestResult::not_run(
                file.test_id(None),
                Status::Skipped(Skip::Filter),
            ))),
            Collected::Bailed => slots.push(Some(TestResult::not_run(
                file.test_id(None),
                Status::Skipped(Skip::Bail),
            ))),
            Collected::Cases(names) => {
                for (k, name) in names.into_iter().enumerate() {
                    let test = file.test_id(Some(&name));
                    if accepts(&test.name()) {
                        cases.push((i, k, name, slots.len()));
                        slots.push(None);
                    } else {
                        slots.push(Some(TestResult::not_run(
                            test,
                            Status::Skipped(Skip::Filter),
                        )));
                    }
                }
            }
        }
        i += 1;
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
    let (cases, sources, stopped, stop_on) = (&cases, &sources, &stopped, &stop_on);
    std::thread::scope(|scope| {
        // The pool runs on its own thread so that this one can report as results come in; the
        // channel closes when the pool is done with `tx`.
        let handle = scope.spawn(move || {
            pool_with(cases, options, &tx, |worker, (file, index, name, _)| {
                if stopped.load(Ordering::SeqCst) {
                    return None;
                }
                let outcome = worker.run_case(sources[*file], *index, name);
                stop_on(&outcome.status);
                Some(outcome)
            })
        });
        for (job, outcome) in rx {
            let (file, _, name, slot) = &cases[job];
            let id = sources[*file].test_id(Some(name));
            slots[*slot] = Some(match outcome {
                Some(o) => TestResult::new(id, o),
                None => TestResult::not_run(id, Status::Skipped(Skip::Bail)),
            });
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
                    let mut worker = Worker::new(options.connect.clone(), options.timeout);
                    worker.audit = options.audit;
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
