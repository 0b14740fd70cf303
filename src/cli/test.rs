//! `ecapi test [PATH]…`: runs every `.rhai` under the paths as a test (see [`crate::runner`]),
//! prints a line per test, the failures in full and a summary line, and optionally a JUnit report.
//! A progress bar shows on a terminal when the tests do not fit on one screen.
//!
//! A file whose first line is `// args: OPTIONS` runs with those options, as `ecapi run FILE
//! OPTIONS` would (the convention the example scripts and the golden tests use): its own backend
//! options (e.g. `--profile recorder --config FILE`) and `--set` values, in place of the command
//! line's.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::Arc;

use indicatif::{ProgressBar, ProgressStyle};

use super::args::TestArgs;
use super::args::{Cli, Command};
use super::backend::{parse_max_time, parse_sets};
use super::backend::{BackendConfig, UsageError};
use super::exit::{ExitCode, EXIT_FAILURE, EXIT_SUCCESS};
use crate::repl::grid::color_stdout;
use crate::runner::{self, discover, junit, report, Event, Options, TestFile};

/// Runs the tests; exit 1 when any failed.
pub fn test(a: TestArgs) -> Result<ExitCode, UsageError> {
    let config = BackendConfig::from_args(&a.backend)?;
    let timeout = parse_max_time(a.max_time)?;
    // Build one backend now, so that a configuration that cannot work is a usage error (exit 2)
    // rather than every test failing.
    config.connect()?;
    let jobs = match a.jobs {
        Some(0) => return Err(UsageError::new("--jobs: at least 1")),
        Some(n) => n,
        None => std::thread::available_parallelism().map_or(1, |n| n.get()),
    };
    let paths = if a.paths.is_empty() {
        vec![PathBuf::from(".")]
    } else {
        a.paths
    };
    let files = discover::files(&paths)
        .map_err(|e| UsageError(e.to_string()))?
        .into_iter()
        .map(with_own_args)
        .collect::<Result<Vec<_>, _>>()?;
    let options = Options {
        jobs,
        filter: a.filter,
        // Against an ecapi serve, each test gets a simulator session of its own.
        connect: Arc::new(move || config.connect_isolated().map_err(|e| e.to_string())),
        timeout,
    };

    let color = color_stdout();
    let rows = std::io::stdout()
        .is_terminal()
        .then(|| console::Term::stdout().size().0 as usize);
    let mut bar: Option<ProgressBar> = None;
    let results = runner::run(&files, &options, |event| match event {
        Event::Planned(total) => {
            if rows.is_some_and(|rows| total > rows) {
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
    if let Some(path) = &a.junit {
        let stamp = chrono::Local::now().format("%Y-%m-%dT%H:%M:%S").to_string();
        std::fs::write(path, junit::render(&results, &stamp))
            .map_err(|e| UsageError(format!("--junit {}: {e}", path.display())))?;
    }
    Ok(if counts.failed > 0 {
        EXIT_FAILURE
    } else {
        EXIT_SUCCESS
    })
}

/// The file, with the backend and `--set` values of its `// args:` line when it has one.
fn with_own_args(path: PathBuf) -> Result<TestFile, UsageError> {
    let first = std::fs::read_to_string(&path)
        .ok()
        .and_then(|s| s.lines().next().map(str::to_string))
        .unwrap_or_default();
    let Some(options) = first.strip_prefix("// args: ") else {
        return Ok(TestFile::plain(path));
    };
    let file = path.display().to_string();
    let bad = |e: String| UsageError(format!("{file}: // args: {e}"));
    let argv = ["ecapi", "run", file.as_str()]
        .into_iter()
        .map(str::to_string)
        .chain(options.split_whitespace().map(str::to_string));
    let run = match <Cli as clap::Parser>::try_parse_from(argv).map_err(|e| bad(e.to_string()))? {
        Cli {
            command: Some(Command::Run(run)),
            ..
        } => run,
        _ => unreachable!("`ecapi run FILE` parses as the run command"),
    };
    let config = BackendConfig::from_args(&run.backend).map_err(|e| bad(e.0))?;
    config.connect().map_err(|e| bad(e.0))?;
    let params = parse_sets(&run.set).map_err(|e| bad(e.0))?;
    Ok(TestFile {
        path,
        connect: Some(Arc::new(move || {
            config.connect_isolated().map_err(|e| e.to_string())
        })),
        params,
    })
}
