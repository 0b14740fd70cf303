//! The test runner behind `ecapi test`: finds `.rhai` files, runs each file (or each of its
//! `test("name", || …)` cases, or each row of its data file) as a test against a fresh backend, in
//! parallel, and reports.
//!
//! Parts: [`discover`] (which files), [`data`] (data files for data-driven runs), [`case`] (a
//! worker's engine; collecting and running cases), [`record`] (what each test sent, recorded at
//! the transport seam), [`report`] (the result model's views: text, JUnit, TAP, JSON, HTML). The
//! runner prints nothing itself: each result goes to a callback as its test finishes (so a slow
//! test does not hide the ones after it), and the run returns every result in a fixed order
//! (files sorted, rows in file order, cases in the order the file declares them), so that the
//! reports of a run with many jobs are those of a run with one.
//!
//! A run can be stopped ([`Options::halt`]: SIGINT, SIGTERM): the tests running then end as
//! [`Status::Interrupted`], those not started are [`Skip::Interrupted`], and the results are
//! complete all the same, for the reports.
//!
//! Work happens on one pool of worker threads taking jobs from one queue, in order: reading a file
//! (every row of a data-driven one), which runs a file without cases as its own test and puts a
//! file's cases at the front of the queue, so that they run before the next file is read. One job
//! thus finishes the tests in report order; more jobs run them in parallel.

pub mod affected;
pub mod case;
pub mod data;
pub mod discover;
pub mod record;
pub mod report;
pub mod tags;

use std::collections::HashMap;
use std::collections::VecDeque;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc, Condvar, Mutex};
use std::time::Duration;

use crate::api::ApiVersion;
use crate::client::{Halt, Trace, Transport};
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
    /// Its own module folders (`--module-path` in its `// args:` line), instead of the run's.
    pub module_path: Option<Vec<PathBuf>>,
    /// Its tags (its `// tags:` line), which its cases have too.
    pub tags: Vec<String>,
    /// Whether its tests keep their exchanges' envelopes (`--trace`, on the command line or in
    /// its `// args:` line), in [`TestResult::trace`].
    pub trace: bool,
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
            module_path: None,
            tags: Vec::new(),
            trace: false,
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
    /// The longest a test may run before it fails as an error (`--test-timeout`).
    pub timeout: Option<std::time::Duration>,
    /// Stops the whole run when requested (SIGINT, SIGTERM): running tests end as interrupted,
    /// the others are not started.
    pub halt: Arc<Halt>,
    /// Stop starting tests at the first failure (`--bail`); the tests not run are skipped.
    pub bail: bool,
    /// Folders to look in for imported modules after the test file's own (`--module-path`).
    pub module_path: Vec<PathBuf>,
    /// Fail a test whose traffic broke an error rule of the audit (`--audit`).
    pub audit: bool,
    /// Only tests with one of these tags run, and none with a tag to skip (`--tag`,
    /// `--skip-tag`); the others count as skipped.
    pub tags: tags::TagFilter,
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
    /// The run was stopped (SIGINT, SIGTERM) before this test started.
    Interrupted,
    /// `--tag` or `--skip-tag` left it out.
    Tag,
}

impl Skip {
    /// The reason, as reports give it.
    pub fn reason(self) -> &'static str {
        match self {
            Skip::Filter => "left out by --filter",
            Skip::Bail => "not run: --bail stopped the run at a failure",
            Skip::Interrupted => "not started: the run was interrupted",
            Skip::Tag => "left out by --tag or --skip-tag",
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
    /// It was running when the run was stopped (SIGINT, SIGTERM), and was stopped with it; the
    /// failure says where it was.
    Interrupted(Failure),
}

impl Status {
    /// The failure of a test that failed or was interrupted.
    pub fn failure(&self) -> Option<&Failure> {
        match self {
            Status::Failed(f) | Status::Interrupted(f) => Some(f),
            Status::Passed | Status::Skipped(_) => None,
        }
    }
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
    /// The attempts of `retry` and checks of `poll_until` it made, oldest first.
    pub attempts: Vec<crate::script::Attempt>,
    /// Its tags: its file's (`// tags:`) and its case's (`test(name, #{ tags: [...] }, ...)`).
    pub tags: Vec<String>,
    /// Under `--trace`, every exchange's envelopes as `--trace` prints them, masked, oldest
    /// first; empty otherwise.
    pub trace: String,
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
            attempts: outcome.attempts,
            tags: Vec::new(),
            trace: outcome.trace,
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
            attempts: Vec::new(),
            tags: Vec::new(),
            trace: String::new(),
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

    /// Its attempts of `retry` and checks of `poll_until`, one line each
    /// ([`crate::script::Attempt::summary`]).
    pub fn attempt_lines(&self) -> Vec<String> {
        self.attempts
            .iter()
            .flat_map(|a| a.gap().into_iter().chain(std::iter::once(a.summary())))
            .collect()
    }
}

/// What happened as the run went.
pub enum Event<'a> {
    /// How many tests the run has as far as is known now (skipped ones included; a file not yet
    /// read counts as one): sent at the start and again each time a file is read, so it grows as
    /// files turn out to hold several cases, and is exact once every file is read.
    Planned(usize),
    /// A test is done; these come as tests finish (a run with one job finishes them in report
    /// order).
    Done(&'a TestResult),
}

/// A test file (or one row of it) as the run prepares it: ready to run, or already decided.
enum Entry {
    Run(SourceFile),
    Decided(TestResult),
}

fn prepare(files: &[TestFile], options: &Options) -> Vec<Entry> {
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
                tags: f.tags.clone(),
                trace: f.trace,
                modules: crate::script::Modules::for_script(
                    &f.path,
                    f.module_path.as_ref().unwrap_or(&options.module_path),
                ),
            }));
        }
    }
    out
}

/// What reading a file decided.
enum Found {
    /// Its named cases with their tags (the file's and their own), each run as a job of its own.
    Cases(Vec<(String, Vec<String>)>),
    /// Its result: run as its own test, or not run.
    Result(Box<TestResult>),
}

/// A test that ended with a failure while the run was being stopped was stopped by it.
fn settle(status: Status, halt: &Halt) -> Status {
    match status {
        Status::Failed(f) if halt.requested().is_some() => Status::Interrupted(f),
        other => other,
    }
}

/// Work for the pool: read a file (running it when it has no cases), or run one of its cases.
enum Job {
    Read(usize),
    Case(usize, usize, String),
}

/// What a job sends back.
enum Done {
    Read(usize, Found),
    Case(usize, usize, String, Result<Box<Outcome>, Skip>),
}

/// The pool's jobs, and how many are being worked on: a worker that finds no job waits while
/// another may still add some (a file being read adds its cases).
struct Queue {
    state: Mutex<(VecDeque<Job>, usize)>,
    changed: Condvar,
}

impl Queue {
    fn lock(&self) -> std::sync::MutexGuard<'_, (VecDeque<Job>, usize)> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The next job, or `None` when there is none and none can come.
    fn next(&self) -> Option<Job> {
        let mut state = self.lock();
        loop {
            if let Some(job) = state.0.pop_front() {
                state.1 += 1;
                return Some(job);
            }
            if state.1 == 0 {
                return None;
            }
            state = self.changed.wait(state).unwrap_or_else(|e| e.into_inner());
        }
    }

    /// A job is done, after adding `then` at the front, in order.
    fn finish(&self, then: Vec<Job>) {
        let mut state = self.lock();
        for job in then.into_iter().rev() {
            state.0.push_front(job);
        }
        state.1 -= 1;
        self.changed.notify_all();
    }
}

/// Runs the tests in `files`, telling `on_event` as each finishes, and returns every result in
/// report order. A file that cannot be read or set up is a test in error; the others still run.
///
/// Files are taken in order; a file's cases run before the next file is read, so one job
/// finishes (and reports) the tests in report order, and more jobs run a file's cases in parallel.
/// When `options.halt` is requested (SIGINT, SIGTERM), running tests stop and are reported as
/// interrupted, and the tests not yet started as not started: the results are still complete.
pub fn run(
    files: &[TestFile],
    options: &Options,
    mut on_event: impl FnMut(Event<'_>),
) -> Result<Vec<TestResult>, RunnerError> {
    let entries = prepare(files, options);
    let sources: Vec<&SourceFile> = entries
        .iter()
        .filter_map(|e| match e {
            Entry::Run(s) => Some(s),
            Entry::Decided(_) => None,
        })
        .collect();
    // Why a test is left out by --filter or --tag, if it is.
    let left_out = |name: &str, tags: &[String]| {
        if !options.filter.as_ref().is_none_or(|f| name.contains(f)) {
            Some(Skip::Filter)
        } else if !options.tags.accepts(tags) {
            Some(Skip::Tag)
        } else {
            None
        }
    };
    let halt = &*options.halt;
    let bailed = AtomicBool::new(false);
    let stop_on = |status: &Status| {
        if options.bail && matches!(status, Status::Failed(_)) {
            bailed.store(true, Ordering::SeqCst);
        }
    };
    // Why a job is not started now, if it is not.
    let not_now = || {
        if halt.requested().is_some() {
            Some(Skip::Interrupted)
        } else if bailed.load(Ordering::SeqCst) {
            Some(Skip::Bail)
        } else {
            None
        }
    };
    for entry in &entries {
        if let Entry::Decided(r) = entry {
            on_event(Event::Done(r));
        }
    }

    // Each source's result, or its cases' results as they come.
    enum Slot {
        Pending,
        One(Box<TestResult>),
        Cases(Vec<Option<TestResult>>),
    }
    let mut slots: Vec<Slot> = sources.iter().map(|_| Slot::Pending).collect();
    // Each source's cases' tags, once it is read.
    let mut case_tags: Vec<Vec<Vec<String>>> = sources.iter().map(|_| Vec::new()).collect();
    let mut unread = sources.len();
    let decided = entries.len() - sources.len();
    // Tests known so far, besides the files not yet read.
    let mut total = decided;
    on_event(Event::Planned(total + unread));
    let queue = Queue {
        state: Mutex::new(((0..sources.len()).map(Job::Read).collect(), 0)),
        changed: Condvar::new(),
    };
    let (tx, rx) = mpsc::channel();
    {
        let (sources, queue, not_now, stop_on, left_out) =
            (&sources, &queue, &not_now, &stop_on, &left_out);
        let work = move |worker: &mut Worker, job: Job| -> (Done, Vec<Job>) {
            match job {
                Job::Read(i) => {
                    let file = sources[i];
                    let id = file.test_id(None);
                    if let Some(skip) = not_now() {
                        let r = TestResult::not_run(id, Status::Skipped(skip));
                        return (Done::Read(i, Found::Result(Box::new(r))), Vec::new());
                    }
                    let skip = left_out(&id.name(), &file.tags);
                    let collected = if skip == Some(Skip::Tag)
                        && !options.tags.cases_may_run(&file.tags, &file.source)
                    {
                        Collected::Skipped
                    } else {
                        worker.collect(file, skip.is_none())
                    };
                    let found = match collected {
                        Collected::Cases(cases) => Found::Cases(
                            cases
                                .into_iter()
                                .map(|(n, own)| {
                                    let tags = tags::merged(&file.tags, &own);
                                    (n, tags)
                                })
                                .collect(),
                        ),
                        Collected::Plain(outcome) => {
                            let mut outcome = *outcome;
                            outcome.status = settle(outcome.status, halt);
                            stop_on(&outcome.status);
                            let mut r = TestResult::new(id, outcome);
                            r.tags = file.tags.clone();
                            Found::Result(Box::new(r))
                        }
                        Collected::Skipped => {
                            let mut r = TestResult::not_run(
                                id,
                                Status::Skipped(skip.unwrap_or(Skip::Filter)),
                            );
                            r.tags = file.tags.clone();
                            Found::Result(Box::new(r))
                        }
                    };
                    let then = match &found {
                        Found::Cases(cases) => cases
                            .iter()
                            .enumerate()
                            .filter(|(_, (n, tags))| {
                                left_out(&file.test_id(Some(n)).name(), tags).is_none()
                            })
                            .map(|(k, (n, _))| Job::Case(i, k, n.clone()))
                            .collect(),
                        Found::Result(_) => Vec::new(),
                    };
                    (Done::Read(i, found), then)
                }
                Job::Case(i, k, name) => {
                    let outcome = match not_now() {
                        Some(skip) => Err(skip),
                        None => {
                            let mut o = worker.run_case(sources[i], k, &name);
                            o.status = settle(o.status, halt);
                            stop_on(&o.status);
                            Ok(Box::new(o))
                        }
                    };
                    (Done::Case(i, k, name, outcome), Vec::new())
                }
            }
        };
        std::thread::scope(|scope| {
            // The pool runs on threads of its own so that this one can report as results come
            // in; the channel closes when every worker is done with its sender.
            // (A file's cases are jobs too, so one file can keep every worker busy.)
            let threads = options.jobs.max(1);
            for _ in 0..threads {
                let tx = tx.clone();
                let work = &work;
                scope.spawn(move || {
                    let mut worker = Worker::new(
                        options.connect.clone(),
                        options.timeout,
                        options.halt.clone(),
                    );
                    worker.audit = options.audit;
                    while let Some(job) = queue.next() {
                        let (done, then) = work(&mut worker, job);
                        let _ = tx.send(done);
                        queue.finish(then);
                    }
                });
            }
            drop(tx);
            for done in rx {
                let read = matches!(done, Done::Read(..));
                if read {
                    unread -= 1;
                }
                match done {
                    Done::Read(i, Found::Result(r)) => {
                        on_event(Event::Done(&r));
                        slots[i] = Slot::One(r);
                        total += 1;
                    }
                    Done::Read(i, Found::Cases(cases)) => {
                        let file = sources[i];
                        let mut results = Vec::with_capacity(cases.len());
                        for (name, tags) in &cases {
                            let test = file.test_id(Some(name));
                            match left_out(&test.name(), tags) {
                                None => results.push(None),
                                Some(skip) => {
                                    let mut r = TestResult::not_run(test, Status::Skipped(skip));
                                    r.tags = tags.clone();
                                    on_event(Event::Done(&r));
                                    results.push(Some(r));
                                }
                            }
                        }
                        total += cases.len();
                        case_tags[i] = cases.into_iter().map(|(_, t)| t).collect();
                        slots[i] = Slot::Cases(results);
                    }
                    Done::Case(i, k, name, outcome) => {
                        let Slot::Cases(results) = &mut slots[i] else {
                            unreachable!("a file's cases run after it is read");
                        };
                        let id = sources[i].test_id(Some(&name));
                        let mut r = match outcome {
                            Ok(o) => TestResult::new(id, *o),
                            Err(skip) => TestResult::not_run(id, Status::Skipped(skip)),
                        };
                        r.tags = case_tags[i].get(k).cloned().unwrap_or_default();
                        on_event(Event::Done(&r));
                        results[k] = Some(r);
                    }
                }
                if read {
                    on_event(Event::Planned(total + unread));
                }
            }
        });
    }
    // Every result, in report order.
    let mut out = Vec::with_capacity(total);
    let mut slots = slots.into_iter();
    for entry in entries {
        match entry {
            Entry::Decided(r) => out.push(r),
            Entry::Run(_) => match slots.next().expect("a slot per source") {
                Slot::One(r) => out.push(*r),
                Slot::Cases(results) => out.extend(results.into_iter().flatten()),
                Slot::Pending => unreachable!("every file is read"),
            },
        }
    }
    Ok(out)
}
