//! `ecapi test --watch`: runs the tests, then watches the paths given (and the `--module-path`
//! folders) and, on each change, re-runs the test files changed and the test files that import a
//! changed module, directly or through other modules ([`crate::runner::affected`], following
//! the imports as [`crate::script::Modules`] resolves them). Before each re-run the console is
//! cleared (on a terminal); after it one line sums it up. SIGINT (Ctrl-C) or SIGTERM ends it,
//! with exit 130 or 143.
//!
//! Changes come from the `notify` crate (inotify on Linux, FSEvents on macOS,
//! ReadDirectoryChangesW on Windows), debounced by `notify-debouncer-mini` so that an editor's
//! save (often a write, a rename and a metadata change) makes one re-run.

use std::collections::{BTreeSet, HashMap};
use std::hash::{Hash, Hasher};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::Duration;

use notify_debouncer_mini::notify::RecursiveMode;
use notify_debouncer_mini::{new_debouncer, DebounceEventResult};

use super::args::TestArgs;
use super::backend::UsageError;
use super::exit::ExitCode;
use super::test::{run_tests, Stop};
use crate::runner::{affected, discover};
use crate::streams::{errln, outln};

/// How long changes are gathered into one re-run.
const DEBOUNCE: Duration = Duration::from_millis(150);

/// How often the loop looks for a stop while no change comes.
const TICK: Duration = Duration::from_millis(100);

/// Runs the tests, then again on every change, until SIGINT or SIGTERM.
pub fn watch(a: TestArgs, stop: &Stop) -> Result<ExitCode, UsageError> {
    let paths = if a.paths.is_empty() {
        vec![PathBuf::from(".")]
    } else {
        a.paths.clone()
    };
    let (tx, rx) = mpsc::channel::<DebounceEventResult>();
    let mut debouncer = new_debouncer(DEBOUNCE, tx)
        .map_err(|e| UsageError(format!("--watch: cannot watch for changes: {e}")))?;
    for path in paths.iter().chain(&a.module_path) {
        debouncer
            .watcher()
            .watch(path, RecursiveMode::Recursive)
            .map_err(|e| UsageError(format!("--watch: cannot watch {}: {e}", path.display())))?;
    }
    // What each script held when last seen: a watcher also reports files merely read (the run's
    // own reads, on Linux), and an editor may save a file unchanged; only a new content counts.
    let mut seen = Fingerprints::of_suite(&paths, &a.module_path);
    // A module imported by an absolute path or from outside the paths: its folder is watched too.
    let watched: Vec<PathBuf> = paths
        .iter()
        .chain(&a.module_path)
        .filter_map(|p| p.canonicalize().ok())
        .collect();
    let mut outside: Vec<&Path> = seen
        .0
        .keys()
        .filter(|f| !watched.iter().any(|w| f.starts_with(w)))
        .filter_map(|f| f.parent())
        .collect();
    outside.sort();
    outside.dedup();
    for folder in outside {
        if let Err(e) = debouncer
            .watcher()
            .watch(folder, RecursiveMode::NonRecursive)
        {
            errln!(
                "ecapi: --watch: cannot watch {} (a module's folder): {e}",
                folder.display()
            );
        }
    }
    // The whole suite's latest results, which every run's reports show.
    let mut suite = Vec::new();
    let first = run_tests(&a, None, stop, Some(&mut suite))?;
    if let Some(s) = stop.signal.get() {
        return Ok(s.exit_code());
    }
    outln!("{}", summary(&first.counts, None, &paths));
    loop {
        let changed = match rx.recv_timeout(TICK) {
            Ok(first) => {
                let mut changed = BTreeSet::new();
                note(&mut changed, first);
                // Changes that came in meanwhile join this re-run.
                while let Ok(more) = rx.try_recv() {
                    note(&mut changed, more);
                }
                changed
            }
            Err(mpsc::RecvTimeoutError::Timeout) => BTreeSet::new(),
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                return Err(UsageError(
                    "--watch: the watch for changes ended".to_string(),
                ))
            }
        };
        if let Some(s) = stop.signal.get() {
            return Ok(s.exit_code());
        }
        let changed: Vec<PathBuf> = changed.into_iter().filter(|p| seen.changed(p)).collect();
        if changed.is_empty() {
            continue;
        }
        // The test files now (a new file is a test at once), and those the change touches.
        let tests = match discover::files(&paths, &a.module_path) {
            Ok(t) => t,
            Err(e) => {
                errln!("ecapi: {e}");
                continue;
            }
        };
        let rerun = affected::tests(&tests, &changed, &a.module_path);
        if rerun.is_empty() {
            continue;
        }
        clear();
        // A run that cannot start (a report that cannot be written now) is said, and the watch
        // goes on: the next change may mend it.
        match run_tests(&a, Some(&rerun), stop, Some(&mut suite)) {
            Ok(ran) => {
                if let Some(s) = stop.signal.get() {
                    return Ok(s.exit_code());
                }
                outln!(
                    "{}",
                    summary(&ran.counts, Some((&changed, rerun.len())), &paths)
                );
            }
            Err(e) => errln!("ecapi: {}", e.0),
        }
    }
}

/// A fingerprint of each script's content as last seen (`None`: it did not exist), so that a
/// file read or saved unchanged is not taken as a change.
#[derive(Default)]
struct Fingerprints(HashMap<PathBuf, Option<u64>>);

impl Fingerprints {
    fn of(path: &Path) -> Option<u64> {
        let bytes = std::fs::read(path).ok()?;
        let mut h = std::collections::hash_map::DefaultHasher::new();
        bytes.hash(&mut h);
        Some(h.finish())
    }

    /// The tests under the paths and every module they import, as they are now.
    fn of_suite(paths: &[PathBuf], module_path: &[PathBuf]) -> Fingerprints {
        let mut seen = Fingerprints::default();
        for test in discover::files(paths, module_path).unwrap_or_default() {
            for file in affected::closure(&test, module_path) {
                let now = Fingerprints::of(&file);
                seen.0.insert(file, now);
            }
        }
        seen
    }

    /// Whether `path` holds something else than when last seen (a file not seen before has
    /// changed when it exists: it is new), noting what it holds now.
    fn changed(&mut self, path: &Path) -> bool {
        let now = Fingerprints::of(path);
        let key = path.canonicalize().unwrap_or_else(|_| path.to_path_buf());
        match self.0.insert(key, now) {
            Some(before) => before != now,
            None => now.is_some(),
        }
    }
}

/// Adds the `.rhai` files a batch of events names (a data file or an editor's swap file is not a
/// test or a module).
fn note(changed: &mut BTreeSet<PathBuf>, events: DebounceEventResult) {
    match events {
        Ok(events) => {
            for e in events {
                if e.path.extension().is_some_and(|x| x == "rhai") {
                    changed.insert(e.path);
                }
            }
        }
        Err(e) => errln!("ecapi: --watch: {e}"),
    }
}

/// Clears the console before a re-run, on a terminal only (a pipe or a file keeps every run).
fn clear() {
    let term = console::Term::stdout();
    if std::io::stdout().is_terminal() {
        let _ = term.clear_screen();
    } else {
        outln!();
    }
}

/// The line after a run: `[10:42:07] 1 changed (a.rhai), 3 tests re-run: 3 passed, 0 failed;
/// watching tests (Ctrl-C to stop)`.
fn summary(
    counts: &crate::runner::report::Counts,
    rerun: Option<(&[PathBuf], usize)>,
    paths: &[PathBuf],
) -> String {
    let time = chrono::Local::now().format("%H:%M:%S");
    let what = match rerun {
        None => "all tests run".to_string(),
        Some((changed, files)) => {
            let names: Vec<String> = changed.iter().map(|p| shown(p)).collect();
            format!(
                "{} changed ({}), {files} test file{} re-run",
                changed.len(),
                names.join(", "),
                if files == 1 { "" } else { "s" }
            )
        }
    };
    let watched: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
    format!(
        "[{time}] {what}: {counts}; watching {} (Ctrl-C to stop)",
        watched.join(", ")
    )
}

/// A changed file's name as the user knows it: relative to the working folder when under it.
fn shown(path: &Path) -> String {
    let here = std::env::current_dir()
        .ok()
        .and_then(|d| d.canonicalize().ok());
    match here.and_then(|h| path.strip_prefix(h).ok().map(Path::to_path_buf)) {
        Some(rel) => rel.display().to_string(),
        None => path.display().to_string(),
    }
}
