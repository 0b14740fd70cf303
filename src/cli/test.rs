//! `ecapi test [PATH]…`: runs every `.rhai` under the paths as a test (see [`crate::runner`]),
//! prints a line per test, the failures in full and a summary line, and writes the reports asked
//! for (JUnit, JSON, TAP, HTML), whatever happened. A progress bar shows on a terminal when the
//! tests do not fit on one screen.
//!
//! A file with an `// args: OPTIONS` line runs with those options (see [`super::script_args`]:
//! paths relative to its folder, the command line's backend options winning); a malformed line
//! makes that file a test in error, and the others run. A file that `--filter` excludes is not set
//! up or run: one whose name does not contain the filter is read only to see whether the filter's
//! text (its part after the last `::`) appears in it, as a case's name would.
//!
//! Exit codes (`scripting.md`): 1 when a test failed, the backend could not be reached (every
//! test is then in error), or no test was selected (`--allow-empty` makes that 0); 2 for bad
//! usage or configuration.

use std::cell::RefCell;
use std::collections::HashMap;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use indicatif::{ProgressBar, ProgressStyle};

use super::args::TestArgs;
use super::backend::{parse_max_time, parse_sets};
use super::backend::{BackendConfig, ConnectError, UsageError};
use super::exit::{ExitCode, EXIT_FAILURE, EXIT_SUCCESS};
use super::script_args;
use crate::repl::grid::color_stdout;
use crate::runner::report::{self, html, json, junit, tap, Run};
use crate::runner::{self, data, discover, Connector, Event, Options, Row, TestFile};

/// Runs the tests; exit 1 when any failed or none was selected.
pub fn test(a: TestArgs) -> Result<ExitCode, UsageError> {
    let started = Instant::now();
    let stamp = chrono::Local::now().format("%Y-%m-%dT%H:%M:%S").to_string();
    let config = BackendConfig::from_args(&a.backend)?;
    let timeout = parse_max_time(a.max_time)?;
    let jobs = match a.jobs {
        Some(0) => return Err(UsageError::new("--jobs: at least 1")),
        Some(n) => n,
        None => std::thread::available_parallelism().map_or(1, |n| n.get()),
    };
    let rows = match &a.data {
        Some(path) => Some(Arc::new(data::read(path).map_err(|e| UsageError(e.0))?)),
        None => None,
    };
    let paths = if a.paths.is_empty() {
        vec![PathBuf::from(".")]
    } else {
        a.paths.clone()
    };
    let found = discover::files(&paths).map_err(|e| UsageError(e.to_string()))?;
    // Build one backend now: options that cannot work are a usage error (exit 2); a server that
    // cannot be reached makes every test an error (exit 1), with the reports written.
    let unreachable = Unreachable::default();
    let connect = connector(&config, "", &unreachable)?;
    let files: Vec<TestFile> = found
        .into_iter()
        .map(|path| test_file(path, &a, rows.clone(), &unreachable))
        .collect();
    let options = Options {
        jobs,
        filter: a.filter.clone(),
        connect,
        timeout,
        bail: a.bail,
        audit: a.audit,
    };

    let color = color_stdout();
    let screen = std::io::stdout()
        .is_terminal()
        .then(|| console::Term::stdout().size().0 as usize);
    let mut bar: Option<ProgressBar> = None;
    let results = runner::run(&files, &options, |event| match event {
        Event::Planned(total) => {
            if screen.is_some_and(|rows| total > rows) {
                let b = ProgressBar::new(total as u64);
                b.set_style(
                    ProgressStyle::with_template("{bar:40} {pos}/{len} tests  {elapsed}")
                        .expect("a valid template"),
                );
                bar = Some(b);
            }
        }
        Event::Done(r) => {
            let text = report::line(r, color);
            match (&bar, text) {
                (Some(b), Some(t)) => {
                    b.suspend(|| println!("{t}"));
                    b.inc(1);
                }
                (Some(b), None) => b.inc(1),
                (None, Some(t)) => println!("{t}"),
                (None, None) => {}
            }
        }
    })
    .map_err(|e| UsageError(e.to_string()))?;
    if let Some(b) = bar {
        b.finish_and_clear();
    }

    print!("{}", report::failures(&results));
    let counts = report::Counts::of(&results);
    println!("\n{counts}");
    let run = Run {
        results: &results,
        started: &stamp,
        elapsed: started.elapsed(),
    };
    write_reports(&a, &run)?;
    if counts.ran() == 0 {
        let why = match &a.filter {
            Some(f) if !results.is_empty() => {
                format!("--filter `{f}` selects none of the {} tests", results.len())
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
            eprintln!("ecapi: no test ran: {why} (--allow-empty)");
        } else {
            eprintln!("ecapi: no test ran: {why}; --allow-empty makes this a success");
            return Ok(EXIT_FAILURE);
        }
    }
    Ok(if counts.failed > 0 {
        EXIT_FAILURE
    } else {
        EXIT_SUCCESS
    })
}

/// Writes every report asked for; a report that cannot be written is a usage error, after the
/// others are written.
fn write_reports(a: &TestArgs, run: &Run<'_>) -> Result<(), UsageError> {
    type Render = fn(&Run<'_>) -> String;
    let reports: [(&str, &Option<PathBuf>, Render); 4] = [
        ("--report-junit", &a.report_junit, |r| {
            junit::render(r.results, r.started)
        }),
        ("--report-json", &a.report_json, json::render),
        ("--report-tap", &a.report_tap, |r| tap::render(r.results)),
        ("--report-html", &a.report_html, html::render),
    ];
    let mut problem = None;
    for (option, path, render) in reports {
        let Some(path) = path else { continue };
        if let Err(e) = std::fs::write(path, render(run)) {
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
                eprintln!("ecapi: {message}");
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

/// The file as the runner takes it: with its own options, or what is wrong with them.
fn test_file(
    path: PathBuf,
    a: &TestArgs,
    rows: Option<Arc<Vec<Row>>>,
    unreachable: &Unreachable,
) -> TestFile {
    if let Some(filter) = &a.filter {
        if excluded(&path, filter, rows.as_deref().map(Vec::as_slice)) {
            return TestFile {
                excluded: true,
                ..TestFile::plain(path)
            };
        }
    }
    let plain = TestFile {
        rows: rows.clone(),
        ..TestFile::plain(path.clone())
    };
    let Ok(source) = std::fs::read_to_string(&path) else {
        return plain; // the runner reports it
    };
    match own_options(&path, &source, a, rows, unreachable) {
        Ok(Some(f)) => f,
        Ok(None) => plain,
        Err(e) => TestFile {
            problem: Some(e.0),
            ..plain
        },
    }
}

/// A file with an `// args:` line: its backend (the command line's options winning), `--set`
/// values and data rows.
fn own_options(
    path: &Path,
    source: &str,
    a: &TestArgs,
    rows: Option<Arc<Vec<Row>>>,
    unreachable: &Unreachable,
) -> Result<Option<TestFile>, UsageError> {
    let Some(own) = script_args::read(path, source)? else {
        return Ok(None);
    };
    let file = path.display().to_string();
    let backend = script_args::merge_backend(&a.backend, &own.backend);
    let config = BackendConfig::from_args(&backend)
        .map_err(|e| UsageError(format!("{file}: // args: {e}")))?;
    let connect = connector(&config, &format!("{file}: "), unreachable)
        .map_err(|e| UsageError(format!("{file}: // args: {e}")))?;
    let params = parse_sets(&own.set).map_err(|e| UsageError(format!("{file}: // args: {e}")))?;
    let rows = match &own.data {
        Some(p) => Some(Arc::new(data::read(p).map_err(|e| UsageError(e.0))?)),
        None => rows,
    };
    // The command line's --max-time wins, as every option given there does.
    let timeout = match a.max_time {
        Some(_) => None,
        None => {
            parse_max_time(own.max_time).map_err(|e| UsageError(format!("{file}: // args: {e}")))?
        }
    };
    Ok(Some(TestFile {
        path: path.to_path_buf(),
        connect: Some(connect),
        params,
        rows,
        problem: None,
        excluded: false,
        timeout,
    }))
}
