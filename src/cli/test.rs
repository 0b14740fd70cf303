//! `ecapi test [PATH]…`: runs every `.rhai` under the paths as a test (see [`crate::runner`]),
//! prints a line per test, the failures in full and a summary line, and optionally a JUnit report.
//! A progress bar shows on a terminal when the tests do not fit on one screen.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::Arc;

use indicatif::{ProgressBar, ProgressStyle};

use super::args::TestArgs;
use super::backend::{BackendConfig, UsageError};
use super::exit::{ExitCode, EXIT_FAILURE, EXIT_SUCCESS};
use crate::repl::grid::color_stdout;
use crate::runner::{self, discover, junit, report, Event, Options};

/// Runs the tests; exit 1 when any failed.
pub fn test(a: TestArgs) -> Result<ExitCode, UsageError> {
    let config = BackendConfig::from_args(&a.backend)?;
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
    let files = discover::files(&paths).map_err(|e| UsageError(e.to_string()))?;
    let options = Options {
        jobs,
        filter: a.filter,
        connect: Arc::new(move || config.connect().map_err(|e| e.to_string())),
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
