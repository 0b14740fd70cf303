//! `ecapi test [PATH]…`: runs every `.rhai` under the paths as a test (see [`crate::runner`]),
//! prints a line per test, the failures in full and a summary line, and writes the reports asked
//! for (JUnit, JSON, TAP, HTML), whatever happened. A progress bar shows on a terminal when the
//! tests do not fit on one screen.
//!
//! A file with an `// args: OPTIONS` line runs with those options (see [`super::script_args`]:
//! paths relative to its folder, the command line's backend options winning); a malformed line
//! makes that file a test in error, and the others run. A file that `--filter` excludes is not set
//! up or run: one whose name does not contain the filter is read only to see whether the filter's
//! text (its part after the last `::`) appears in it, as a case's name would. `--tag` and
//! `--skip-tag` choose tests by their tags (see [`crate::runner::tags`]); a tag no test has is
//! warned of, with the tags the tests have.
//!
//! Each test's line is printed as it finishes. Every test has a time limit (`--test-timeout`, 60 s
//! by default). Report paths are checked, their folders made, before the first test. SIGINT or
//! SIGTERM stops the run: running tests end as interrupted, the others are not started, and the
//! summary and every report are written naming each.
//!
//! Exit codes (`scripting.md`): 1 when a test failed, the backend could not be reached (every
//! test is then in error), or no test was selected (`--allow-empty` makes that 0); 2 for bad
//! usage or configuration; 130 after SIGINT and 143 after SIGTERM (128 + the signal's number, as
//! a shell reports a process the signal ended).
//!
//! `--watch` runs the tests, then re-runs those a change affects until SIGINT or SIGTERM (see
//! [`super::watch`]); it ends with 130 or 143.

use std::cell::RefCell;
use std::collections::HashMap;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressStyle};

use super::args::{RunArgs, TestArgs};
use super::backend::{parse_max_time, parse_sets};
use super::backend::{BackendConfig, ConnectError, UsageError};
use super::exit::{ExitCode, EXIT_FAILURE, EXIT_SUCCESS};
use super::script_args;
use crate::client::Halt;
use crate::repl::grid::color_stdout;
use crate::runner::report::{self, html, json, junit, tap, Run};
use crate::runner::tags::{self, TagFilter};
use crate::runner::{self, data, discover, Connector, Event, Options, Row, TestFile};
use crate::shutdown::{self, Signal};
use crate::streams::{err, errln, out, outln};

/// The per-test time limit when `--test-timeout` is not given, in seconds (Jest and Mocha have one
/// too, so that a runaway test fails instead of holding a CI job until it is killed).
pub const DEFAULT_TEST_TIMEOUT: f64 = 60.0;

/// `--test-timeout SECS`: the given limit or the default; 0 is none.
fn test_timeout(given: Option<f64>) -> Result<Option<Duration>, UsageError> {
    let s = given.unwrap_or(DEFAULT_TEST_TIMEOUT);
    if s == 0.0 {
        Ok(None)
    } else if s.is_finite() && s > 0.0 && s < 1e9 {
        Ok(Some(Duration::from_secs_f64(s)))
    } else {
        Err(UsageError(format!(
            "--test-timeout {s}: expected a number of seconds (0 for no limit)"
        )))
    }
}

/// Runs the tests; exit 1 when any failed or none was selected, 130 or 143 when SIGINT or
/// SIGTERM stopped the run (the reports are written all the same). With `--watch`, runs them and
/// then again on every change ([`super::watch`]).
pub fn test(a: TestArgs) -> Result<ExitCode, UsageError> {
    // SIGINT or SIGTERM stops the run: running tests end as interrupted, the rest are not
    // started, and the reports are written as for any run.
    let stop = Stop::listen();
    if a.watch {
        return super::watch::watch(a, &stop);
    }
    Ok(run_tests(&a, None, &stop, None)?.exit)
}

/// What stops a run (SIGINT, SIGTERM) and which signal did, listened for once per process.
pub struct Stop {
    /// Stops the running tests.
    pub halt: Arc<Halt>,
    /// The signal that did.
    pub signal: Arc<OnceLock<Signal>>,
}

impl Stop {
    /// Listens for SIGINT and SIGTERM (a second one ends the process, [`shutdown::on_signal`]).
    pub fn listen() -> Stop {
        let halt = Arc::new(Halt::default());
        let signal: Arc<OnceLock<Signal>> = Arc::default();
        let (h, s) = (halt.clone(), signal.clone());
        if let Err(e) = shutdown::on_signal(move |sig| {
            let _ = s.set(sig);
            h.request(format!("interrupted by {}", sig.name()));
        }) {
            errln!("ecapi: cannot listen for SIGINT and SIGTERM ({e}): they end the run without reports");
        }
        Stop { halt, signal }
    }
}

/// How a run went: its exit code and its counts.
pub struct Ran {
    /// The exit code the run alone would end with.
    pub exit: ExitCode,
    /// Its counts.
    pub counts: report::Counts,
}

/// Runs the tests under the paths of `a` (or only the files `only` names, in that order, for
/// `--watch`), printing a line per test, the failures and the summary, and writing the reports.
///
/// `--watch` passes `suite`, the whole suite's latest results: a full run replaces them, a re-run
/// of some files replaces those files' results in it (and drops those of files deleted since),
/// and the reports are written from it, so that they always show the whole suite. A re-run does
/// not warn of tags that match none of its tests, nor fail for running none: the full run did.
pub fn run_tests(
    a: &TestArgs,
    only: Option<&[PathBuf]>,
    stop: &Stop,
    suite: Option<&mut Vec<runner::TestResult>>,
) -> Result<Ran, UsageError> {
    let started = Instant::now();
    let stamp = chrono::Local::now().format("%Y-%m-%dT%H:%M:%S").to_string();
    let config = BackendConfig::from_args(&a.backend)?;
    let timeout = test_timeout(a.test_timeout)?;
    let sets = parse_sets(&a.set)?;
    // A file without an `// args:` line runs with the environment's values under the command
    // line's.
    let plain_sets = config.params(sets.clone())?;
    let tags = tag_filter(a)?;
    let jobs = match a.jobs {
        Some(0) => return Err(UsageError::new("--jobs: at least 1")),
        Some(n) => n,
        None => std::thread::available_parallelism().map_or(1, |n| n.get()),
    };
    let rows = match &a.data {
        Some(path) => Some(Arc::new(data::read(path).map_err(|e| UsageError(e.0))?)),
        None => None,
    };
    // A report that cannot be written is known before any test runs, not after the suite.
    prepare_reports(a)?;
    let paths = if a.paths.is_empty() {
        vec![PathBuf::from(".")]
    } else {
        a.paths.clone()
    };
    let found = match only {
        Some(files) => files.to_vec(),
        None => discover::files(&paths, &a.module_path).map_err(|e| UsageError(e.to_string()))?,
    };
    // Build one backend now: options that cannot work are a usage error (exit 2); a server that
    // cannot be reached makes every test an error (exit 1), with the reports written.
    let unreachable = Unreachable::default();
    let connect = connector(&config, "", &unreachable)?;
    let files: Vec<TestFile> = found
        .into_iter()
        .map(|path| test_file(path, a, &plain_sets, &sets, rows.clone(), &unreachable))
        .collect();

    let (halt, signal) = (stop.halt.clone(), &stop.signal);
    let options = Options {
        jobs,
        filter: a.filter.clone(),
        connect,
        timeout,
        halt,
        bail: a.bail,
        module_path: a.module_path.clone(),
        audit: a.audit,
        tags,
    };

    let color = color_stdout();
    let screen = std::io::stdout()
        .is_terminal()
        .then(|| console::Term::stdout().size().0 as usize);
    let mut bar: Option<ProgressBar> = None;
    let mut done = 0_u64;
    let results = runner::run(&files, &options, |event| match event {
        Event::Planned(total) => {
            if let Some(b) = &bar {
                b.set_length(total as u64);
            } else if screen.is_some_and(|rows| total > rows) {
                let b = ProgressBar::new(total as u64);
                b.set_style(
                    ProgressStyle::with_template("{bar:40} {pos}/{len} tests  {elapsed}")
                        .expect("a valid template"),
                );
                b.set_position(done);
                bar = Some(b);
            }
        }
        Event::Done(r) => {
            done += 1;
            let text = report::line(r, color);
            // Under --trace, the test's envelopes come whole just before its line.
            if !r.trace.is_empty() {
                let envelopes = report::trace_block(r);
                match &bar {
                    Some(b) => b.suspend(|| err!("{envelopes}")),
                    None => err!("{envelopes}"),
                }
            }
            match (&bar, text) {
                (Some(b), Some(t)) => {
                    b.suspend(|| outln!("{t}"));
                    b.inc(1);
                }
                (Some(b), None) => b.inc(1),
                (None, Some(t)) => outln!("{t}"),
                (None, None) => {}
            }
        }
    })
    .map_err(|e| UsageError(e.to_string()))?;
    if let Some(b) = bar {
        b.finish_and_clear();
    }

    out!("{}", report::failures(&results));
    let counts = report::Counts::of(&results);
    outln!("\n{counts}");
    let reported = match suite {
        Some(suite) => {
            match only {
                None => *suite = results.clone(),
                Some(_) => merge(suite, &results),
            }
            &*suite
        }
        None => &results,
    };
    let run = Run {
        results: reported,
        started: &stamp,
        elapsed: started.elapsed(),
    };
    write_reports(a, &run)?;
    if only.is_none() {
        warn_unknown_tags(a, &results);
    }
    if let Some(s) = signal.get() {
        errln!(
            "ecapi: the run was interrupted by {}: {} tests interrupted, {} not started; the reports are written",
            s.name(),
            counts.interrupted,
            counts.not_started
        );
        return Ok(Ran {
            exit: s.exit_code(),
            counts,
        });
    }
    if counts.ran() == 0 && only.is_none() {
        let why = match &a.filter {
            Some(f) if !results.is_empty() => {
                format!("--filter `{f}` selects none of the {} tests", results.len())
            }
            None if !results.is_empty() && (!a.tag.is_empty() || !a.skip_tag.is_empty()) => {
                format!(
                    "the tags chosen ({}) select none of the {} tests",
                    tag_options(a),
                    results.len()
                )
            }
            _ => format!(
                "no .rhai file under {}",
                paths
                    .iter()
                    .map(|p| p.display().to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        };
        if a.allow_empty {
            errln!("ecapi: no test ran: {why} (--allow-empty)");
        } else {
            errln!("ecapi: no test ran: {why}; --allow-empty makes this a success");
            return Ok(Ran {
                exit: EXIT_FAILURE,
                counts,
            });
        }
    }
    let exit = if counts.failed > 0 {
        EXIT_FAILURE
    } else {
        EXIT_SUCCESS
    };
    Ok(Ran { exit, counts })
}

/// The suite's latest results after a re-run: the re-run files' results replace their earlier
/// ones, the files deleted since are dropped, and the results stay in file order (the runner's:
/// files sorted, each file's tests in its own order).
fn merge(suite: &mut Vec<runner::TestResult>, rerun: &[runner::TestResult]) {
    suite.retain(|r| {
        !rerun.iter().any(|n| n.id.file == r.id.file) && Path::new(&r.id.file).exists()
    });
    suite.extend(rerun.iter().cloned());
    // Stable: each file's tests keep their order.
    suite.sort_by(|x, y| Path::new(&x.id.file).cmp(Path::new(&y.id.file)));
}

/// `--tag` and `--skip-tag`, each tag checked.
fn tag_filter(a: &TestArgs) -> Result<TagFilter, UsageError> {
    for (option, tags) in [("--tag", &a.tag), ("--skip-tag", &a.skip_tag)] {
        for t in tags {
            tags::check(t).map_err(|e| UsageError(format!("{option} {t}: {e}")))?;
        }
    }
    Ok(TagFilter {
        any_of: a.tag.clone(),
        none_of: a.skip_tag.clone(),
    })
}

/// The tag options as given: `--tag pci --skip-tag slow`.
fn tag_options(a: &TestArgs) -> String {
    let given: Vec<String> = a
        .tag
        .iter()
        .map(|t| format!("--tag {t}"))
        .chain(a.skip_tag.iter().map(|t| format!("--skip-tag {t}")))
        .collect();
    given.join(" ")
}

/// Warns of each `--tag` or `--skip-tag` that no test has (a typo, most likely), naming the tags
/// the tests have and the closest of them.
fn warn_unknown_tags(a: &TestArgs, results: &[runner::TestResult]) {
    let mut known: Vec<&str> = results
        .iter()
        .flat_map(|r| r.tags.iter().map(String::as_str))
        .collect();
    known.sort_unstable();
    known.dedup();
    for (option, given) in [("--tag", &a.tag), ("--skip-tag", &a.skip_tag)] {
        for t in given.iter().filter(|t| !known.contains(&t.as_str())) {
            let near = crate::script::diagnostic::closest(t, known.iter().copied());
            let hint = if near.is_empty() {
                String::new()
            } else {
                format!(" (did you mean {}?)", near.join(", "))
            };
            if known.is_empty() {
                errln!("ecapi: warning: {option} {t} matches no test: no test has a tag");
            } else {
                errln!(
                    "ecapi: warning: {option} {t} matches no test{hint}; the tags are {}",
                    known.join(", ")
                );
            }
        }
    }
}

/// The reports asked for, with their options' names.
fn reports(a: &TestArgs) -> [(&'static str, &Option<PathBuf>, Render); 4] {
    [
        ("--report-junit", &a.report_junit, |r| {
            junit::render(r.results, r.started)
        }),
        ("--report-json", &a.report_json, json::render),
        ("--report-tap", &a.report_tap, |r| tap::render(r.results)),
        ("--report-html", &a.report_html, html::render),
    ]
}

type Render = fn(&Run<'_>) -> String;

/// Makes every report's folder and checks that each report can be written there, before any
/// test runs ([`super::report_path::prepare`]).
fn prepare_reports(a: &TestArgs) -> Result<(), UsageError> {
    let asked: Vec<(&str, Option<&Path>)> = reports(a)
        .into_iter()
        .map(|(option, path, _)| (option, path.as_deref()))
        .collect();
    super::report_path::prepare_all(&asked)
}

/// Writes every report asked for; a report that cannot be written is a usage error, after the
/// others are written.
fn write_reports(a: &TestArgs, run: &Run<'_>) -> Result<(), UsageError> {
    let mut problem = None;
    for (option, path, render) in reports(a) {
        let Some(path) = path else { continue };
        if let Err(e) = crate::secrets::write_file(path, &render(run)) {
            problem = Some(UsageError(format!("{option} {}: {e}", path.display())));
        }
    }
    problem.map_or(Ok(()), Err)
}

/// A fresh backend per test from `config`. A server that cannot be reached now gives every test
/// that error at once (`what` says whose backend it is; the run's own is announced on standard
/// error); options that cannot work are an error.
fn connector(
    config: &BackendConfig,
    what: &str,
    unreachable: &Unreachable,
) -> Result<Connector, UsageError> {
    // An endpoint found unreachable once is not tried again for every file (each try may wait
    // for the connection time-out).
    let known = config
        .endpoint
        .as_ref()
        .and_then(|e| unreachable.borrow().get(e).cloned());
    let opened = match known {
        Some(e) => Err(ConnectError::Transport(e)),
        None => config.open(),
    };
    match opened {
        Ok(_) => {
            // Against an ecapi serve, each test gets a simulator session of its own.
            let config = config.clone();
            Ok(Arc::new(move || {
                config.open_isolated().map_err(|e| e.to_string())
            }))
        }
        Err(ConnectError::Usage(e)) => Err(e),
        Err(e) => {
            if let Some(endpoint) = &config.endpoint {
                unreachable
                    .borrow_mut()
                    .insert(endpoint.clone(), e.to_string());
            }
            let message = format!("{what}{e}");
            if what.is_empty() {
                errln!("ecapi: {message}");
            }
            Ok(Arc::new(move || Err(message.clone())))
        }
    }
}

/// Endpoints found unreachable in this run, with the error.
type Unreachable = RefCell<HashMap<String, String>>;

/// Whether the filter certainly selects nothing in the file at `path`: neither its name (nor a
/// data row's) contains it, nor does its text contain the filter's case part.
fn excluded(path: &Path, filter: &str, rows: Option<&[Row]>) -> bool {
    let name = path.display().to_string();
    if name.contains(filter) {
        return false;
    }
    if rows
        .into_iter()
        .flatten()
        .any(|r| format!("{name}::{}", r.name).contains(filter))
    {
        return false;
    }
    let needle = filter.rsplit("::").next().unwrap_or(filter);
    match std::fs::read_to_string(path) {
        Ok(text) => !text.contains(needle),
        // The runner reports a file it cannot read.
        Err(_) => false,
    }
}

/// The file as the runner takes it: with its own options and tags, or what is wrong with them.
fn test_file(
    path: PathBuf,
    a: &TestArgs,
    plain_sets: &HashMap<String, String>,
    sets: &HashMap<String, String>,
    rows: Option<Arc<Vec<Row>>>,
    unreachable: &Unreachable,
) -> TestFile {
    let mut file = with_options(path, a, plain_sets, sets, rows, unreachable);
    if file.excluded || file.problem.is_some() {
        return file;
    }
    if let Ok(source) = std::fs::read_to_string(&file.path) {
        match tags::of_file(&file.path.display().to_string(), &source) {
            Ok(t) => file.tags = t,
            Err(e) => file.problem = Some(e),
        }
    }
    file
}

/// The file with its own options (its `// args:` line), or what is wrong with them.
fn with_options(
    path: PathBuf,
    a: &TestArgs,
    plain_sets: &HashMap<String, String>,
    sets: &HashMap<String, String>,
    rows: Option<Arc<Vec<Row>>>,
    unreachable: &Unreachable,
) -> TestFile {
    let plain = TestFile {
        rows: rows.clone(),
        params: plain_sets.clone(),
        trace: a.backend.trace,
        ..TestFile::plain(path.clone())
    };
    let Ok(source) = std::fs::read_to_string(&path) else {
        return plain; // the runner reports it
    };
    // The filter sees the rows the file runs with: the command line's, or its own line's.
    let own = script_args::read(&path, &source);
    let own_rows = match &own {
        Ok(Some(own)) if a.data.is_none() => own.data.as_deref().map(data::read),
        _ => None,
    };
    if let Some(filter) = &a.filter {
        let rows_seen = match &own_rows {
            Some(Ok(rows)) => Some(rows.as_slice()),
            _ => rows.as_deref().map(Vec::as_slice),
        };
        if excluded(&path, filter, rows_seen) {
            return TestFile {
                excluded: true,
                ..TestFile::plain(path)
            };
        }
    }
    let own = match own {
        Ok(Some(own)) => own,
        Ok(None) => return plain,
        Err(e) => {
            return TestFile {
                problem: Some(e.0),
                ..plain
            }
        }
    };
    match own_options(&path, own, own_rows, a, sets, rows, unreachable) {
        Ok(f) => f,
        Err(e) => TestFile {
            problem: Some(e.0),
            ..plain
        },
    }
}

/// A file with an `// args:` line: its backend, `--set` values, data rows, time limit and module
/// folders, the command line's options winning over the line's.
fn own_options(
    path: &Path,
    own: RunArgs,
    own_rows: Option<Result<Vec<Row>, data::DataError>>,
    a: &TestArgs,
    sets: &HashMap<String, String>,
    rows: Option<Arc<Vec<Row>>>,
    unreachable: &Unreachable,
) -> Result<TestFile, UsageError> {
    let file = path.display().to_string();
    let in_line = |e: UsageError| UsageError(format!("{file}: // args: {}", e.0));
    let backend = script_args::merge_backend(&a.backend, &own.backend);
    let config = BackendConfig::from_args(&backend).map_err(in_line)?;
    let connect = connector(&config, &format!("{file}: "), unreachable).map_err(in_line)?;
    let mut given = parse_sets(&own.set).map_err(in_line)?;
    given.extend(sets.iter().map(|(k, v)| (k.clone(), v.clone())));
    let params = config.params(given)?;
    let rows = match own_rows {
        Some(read) => Some(Arc::new(read.map_err(|e| UsageError(e.0))?)),
        None => rows,
    };
    // The command line's --test-timeout wins, as every option given there does.
    let timeout = match a.test_timeout {
        Some(_) => None,
        None => parse_max_time(own.max_time).map_err(in_line)?,
    };
    Ok(TestFile {
        path: path.to_path_buf(),
        connect: Some(connect),
        params,
        rows,
        problem: None,
        excluded: false,
        timeout,
        // The command line's folders win, as every option given there does.
        module_path: (a.module_path.is_empty() && !own.module_path.is_empty())
            .then_some(own.module_path),
        tags: Vec::new(),
        trace: config.trace,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_test_has_a_time_limit_of_60_s_unless_told_otherwise() {
        assert_eq!(test_timeout(None).unwrap(), Some(Duration::from_secs(60)));
        assert_eq!(test_timeout(Some(0.0)).unwrap(), None);
        assert_eq!(
            test_timeout(Some(1.5)).unwrap(),
            Some(Duration::from_millis(1500))
        );
        assert!(test_timeout(Some(f64::NAN)).is_err());
    }
}
