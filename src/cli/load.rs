//! `ecapi load FLOW.rhai`: the arguments, validated into [`LoadOptions`], then the test, the summary,
//! the reports and the exit code (1 when a threshold fails). `ecapi load --merge A.json B.json…`
//! merges the JSON summaries of several processes instead.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use clap::Args;

use super::args::BackendArgs;
use super::backend::{parse_sets, simulator, BackendConfig, UsageError};
use super::exit::{ExitCode, EXIT_FAILURE, EXIT_SUCCESS};
use crate::client::Embedded;
use crate::load::{
    self, summary, Backend, EndSignal, LoadError, LoadOptions, Model, Results, Schedule, Threshold,
    Verdict,
};
use crate::shutdown::{self, Signal};
use crate::simulator::ClockMode;
use crate::streams::{err, errln, out};

/// The most agents one process runs (each is a thread).
const MAX_AGENTS: usize = 20_000;

/// `ecapi load`.
#[derive(Debug, Args)]
pub struct LoadArgs {
    /// The call flow each agent runs over and over; it sees the map `agent` (index, data,
    /// iteration).
    #[arg(value_name = "FLOW.rhai", required_unless_present = "merge")]
    pub flow: Option<PathBuf>,
    /// How many agents (in the open model: the most iterations running at once).
    #[arg(long, default_value = "1", value_name = "N")]
    pub agents: usize,
    /// How long the test runs, ramp-up included, in seconds.
    #[arg(long, value_name = "SECS", required_unless_present = "merge")]
    pub duration: Option<f64>,
    /// Start the agents evenly over this many seconds (with --rate: raise the rate from 0).
    #[arg(long, default_value = "0", value_name = "SECS")]
    pub ramp_up: f64,
    /// At the end (of --duration, or at SIGINT/SIGTERM) no new iteration starts; running ones
    /// have this many seconds to finish at their own pace, then they are interrupted (k6's
    /// gracefulStop). Requests sent after the end are kept out of the figures.
    #[arg(long, default_value_t = load::GRACEFUL_STOP.as_secs_f64(), value_name = "SECS")]
    pub graceful_stop: f64,
    /// Start iterations at a fixed rate instead (open model), e.g. 50/s or 600/m; latency then
    /// counts from when each iteration was due.
    #[arg(long, value_name = "N/s")]
    pub rate: Option<String>,
    /// A CSV (header row) or JSON (array of objects) file: agent i gets row i as `agent.data`.
    #[arg(long, value_name = "FILE")]
    pub data: Option<PathBuf>,
    /// A pass/fail rule, e.g. 'p95<200ms', 'errors<1%', 'InitStation.p99<500ms', 'rate>100/s';
    /// repeatable; exit 1 when one fails.
    #[arg(long, value_name = "EXPR")]
    pub threshold: Vec<String>,
    /// Write every figure, with the histograms, as JSON to this file.
    #[arg(long, value_name = "FILE")]
    pub summary_json: Option<PathBuf>,
    /// Write a self-contained HTML report with charts to this file.
    #[arg(long, value_name = "FILE")]
    pub report_html: Option<PathBuf>,
    /// Write the thresholds as a JUnit XML report to this file: a testcase per threshold, a
    /// failure for each that does not hold.
    #[arg(long, value_name = "FILE")]
    pub report_junit: Option<PathBuf>,
    /// Merge the JSON summaries of several `ecapi load` processes instead of running a test.
    #[arg(long, value_name = "FILE", num_args = 1.., conflicts_with_all = ["flow", "duration", "rate", "data"])]
    pub merge: Vec<PathBuf>,
    /// A value for `param(NAME)`; repeatable.
    #[arg(long = "set", value_name = "NAME=VALUE")]
    pub set: Vec<String>,
    /// No live progress line (it is drawn only when standard error is a terminal anyway).
    #[arg(long)]
    pub no_progress: bool,
    /// A folder to look in for imported modules, after the flow's own folder; repeatable.
    #[arg(long, value_name = "DIR")]
    pub module_path: Vec<PathBuf>,
    /// The backend (the embedded simulator follows the real clock under load).
    #[command(flatten)]
    pub backend: BackendArgs,
}

/// Reads `--rate`: `N`, `N/s` or `N/m`, a positive number of iterations.
fn parse_rate(text: &str) -> Result<f64, UsageError> {
    let t = text.trim();
    let (n, per) = match t.split_once('/') {
        Some((n, unit)) => match unit.trim() {
            "s" | "sec" => (n, 1.0),
            "m" | "min" => (n, 60.0),
            other => {
                return Err(UsageError(format!(
                    "--rate {text}: the unit is /s or /m, not /{other}"
                )))
            }
        },
        None => (t, 1.0),
    };
    match n.trim().parse::<f64>() {
        Ok(v) if v.is_finite() && v > 0.0 && v / per <= 1e6 => Ok(v / per),
        _ => Err(UsageError(format!(
            "--rate {text}: expected iterations per second, e.g. 50/s or 600/m"
        ))),
    }
}

fn seconds(name: &str, v: f64, zero_ok: bool) -> Result<Duration, UsageError> {
    if v.is_finite() && (v > 0.0 || (zero_ok && v == 0.0)) && v < 1e7 {
        Ok(Duration::from_secs_f64(v))
    } else {
        Err(UsageError(format!(
            "{name} {v}: expected a {}number of seconds",
            if zero_ok { "" } else { "positive " }
        )))
    }
}

fn thresholds(texts: &[String]) -> Result<Vec<Threshold>, UsageError> {
    texts
        .iter()
        .map(|t| t.parse::<Threshold>().map_err(UsageError))
        .collect()
}

/// The backend the agents share.
fn backend(config: &BackendConfig) -> Result<Backend, UsageError> {
    if config.endpoint.is_some() {
        return Backend::http(config.connect_http()?).map_err(|e| UsageError::new(e.to_string()));
    }
    let sim = simulator(
        config.profile,
        config.api,
        config.clock,
        config.recorder.clone(),
        config.db.clone(),
    )?;
    Ok(Backend::embedded(Embedded::new(sim)))
}

/// Runs `ecapi load`.
pub fn load(a: LoadArgs) -> Result<ExitCode, UsageError> {
    let verdict_rules = thresholds(&a.threshold)?;
    // Before the run: a bad report path must not cost the run it would have reported.
    for (option, path) in [
        ("--summary-json", &a.summary_json),
        ("--report-html", &a.report_html),
        ("--report-junit", &a.report_junit),
    ] {
        if let Some(path) = path {
            super::report_path::prepare(option, path)?;
        }
    }
    if !a.merge.is_empty() {
        return merge(&a, &verdict_rules);
    }
    let flow = a.flow.clone().expect("clap requires FLOW without --merge");
    let duration = seconds(
        "--duration",
        a.duration
            .expect("clap requires --duration without --merge"),
        false,
    )?;
    let ramp_up = seconds("--ramp-up", a.ramp_up, true)?;
    let graceful_stop = seconds("--graceful-stop", a.graceful_stop, true)?;
    if ramp_up > duration {
        return Err(UsageError(format!(
            "--ramp-up {} is longer than --duration {}: the ramp-up is part of the test",
            a.ramp_up,
            duration.as_secs_f64()
        )));
    }
    if a.agents == 0 || a.agents > MAX_AGENTS {
        return Err(UsageError(format!(
            "--agents {}: expected 1 to {MAX_AGENTS} (for more, run several processes and --merge their summaries)",
            a.agents
        )));
    }
    if let Some(limit) = load::limits::agents() {
        if a.agents as u64 > limit.agents {
            return Err(UsageError(format!(
                "--agents {}: this machine runs at most about {} agents in one process: {}; or run \
                 several processes and --merge their summaries",
                a.agents,
                summary::thousands(limit.agents),
                limit.cause
            )));
        }
    }
    let model = match &a.rate {
        Some(r) => Model::Open {
            rate: parse_rate(r)?,
        },
        None => Model::Closed,
    };
    let file = flow.display().to_string();
    let source = std::fs::read_to_string(&flow)
        .map_err(|e| UsageError(format!("cannot read {file}: {e}")))?;
    let data = match &a.data {
        Some(path) => {
            let name = path.display().to_string();
            let text = std::fs::read_to_string(path)
                .map_err(|e| UsageError(format!("--data {name}: {e}")))?;
            load::data::rows(&name, &text).map_err(|e| UsageError(format!("--data {name}: {e}")))?
        }
        None => Vec::new(),
    };
    let mut config = BackendConfig::from_args(&a.backend)?;
    if a.backend.clock.is_none() {
        // Agents' talk time is real time, so the simulator's recordings last as long as the calls.
        config.clock = ClockMode::Real;
    }
    let params = parse_sets(&a.set)?;
    let backend = backend(&config)?;
    let schedule = Schedule {
        model,
        agents: a.agents,
        ramp_up,
        duration,
    };
    // Listening before the banner, so a signal after it always ends the run with its reports.
    let end = Arc::new(EndSignal::new());
    let signalled = watch_signals(&end, graceful_stop);
    errln!(
        "ecapi load: {} agents running {file} for {} s{} against {}",
        a.agents,
        duration.as_secs_f64(),
        match model {
            Model::Open { rate } => format!(", {rate} iterations/s"),
            Model::Closed => String::new(),
        },
        backend.describe()
    );
    let options = LoadOptions {
        flow: file.clone(),
        source: source.clone(),
        // Each agent reads a module once, not on every iteration.
        modules: crate::script::Modules::for_script(&flow, &a.module_path).cached(),
        params,
        data,
        schedule,
        graceful_stop,
        trace: config.trace,
        progress: !a.no_progress,
    };
    let results = match load::run(options, backend, end) {
        Ok(r) => r,
        Err(LoadError::Compile(d)) => {
            err!("{}", d.render(&file, &source));
            return Ok(EXIT_FAILURE);
        }
        Err(e @ LoadError::Spawn { .. }) => {
            let cause = match load::limits::agents() {
                Some(limit) => format!("; the tightest limit known: {}", limit.cause),
                None => String::new(),
            };
            return Err(UsageError(format!("{e}{cause}")));
        }
    };
    let mut results = results;
    let signal = *signalled.lock().unwrap_or_else(|p| p.into_inner());
    results.stopped_by = signal.map(|s| s.name().to_string());
    let code = report(&a, &results, &verdict_rules)?;
    if let Some(signal) = signal {
        // Stopped from outside: the summary and reports are written, and the exit code says why
        // the run is not a full one (the shell's 128 + signal number).
        return Ok(signal.exit_code());
    }
    let it = &results.iterations;
    if it.completed == 0 && it.failed > 0 {
        // A flow that never gets through is a script error, whatever the thresholds say.
        errln!("ecapi load: no iteration of {file} completed; every one failed (reasons above)");
        return Ok(EXIT_FAILURE);
    }
    Ok(code)
}

/// A repeat of the first signal this soon after it is the same request delivered twice (`timeout`
/// signals the command and then its whole process group), not a second one.
const REPEAT_WINDOW: Duration = Duration::from_millis(500);

/// Listens for SIGINT and SIGTERM: the first ends the test as its time running out would (the
/// grace period follows, then the summary and reports); a second one (past [`REPEAT_WINDOW`]), or
/// one during the grace period, interrupts running iterations at once. Returns the first signal,
/// once one came.
fn watch_signals(end: &Arc<EndSignal>, grace: Duration) -> Arc<Mutex<Option<Signal>>> {
    let first: Arc<Mutex<Option<Signal>>> = Arc::default();
    let (end, seen) = (end.clone(), first.clone());
    let mut first_at: Option<Instant> = None;
    let watching = shutdown::watch(move |signal| {
        let mut seen = seen.lock().unwrap_or_else(|p| p.into_inner());
        if seen.is_none() {
            *seen = Some(signal);
        }
        let repeat =
            *seen == Some(signal) && first_at.is_some_and(|at| at.elapsed() < REPEAT_WINDOW);
        if repeat {
            return;
        }
        if end.is_ended() {
            errln!(
                "ecapi load: {}: interrupting the iterations still running",
                signal.name()
            );
            end.stop();
        } else {
            first_at = Some(Instant::now());
            errln!(
                "ecapi load: {}: ending the test; running iterations have {} s to finish (signal \
                 again to interrupt them now)",
                signal.name(),
                grace.as_secs_f64()
            );
            end.end();
        }
    });
    if let Err(e) = watching {
        errln!("ecapi load: cannot listen for Ctrl-C and SIGTERM ({e}): they will end the run without a summary");
    }
    first
}

/// The largest summary `--merge` reads: a day-long run's summary is a few tens of MB.
const MAX_SUMMARY_BYTES: u64 = 256 * 1024 * 1024;

/// Runs whose durations differ by more than this are said to differ.
const DURATION_TOLERANCE_S: f64 = 1.0;

/// `--merge`: reads the summaries, merges them, and reports as a test would. A file given twice,
/// or a run found in two files, is refused (its requests would count twice); runs of different
/// lengths or flows are merged, with a word saying which.
fn merge(a: &LoadArgs, rules: &[Threshold]) -> Result<ExitCode, UsageError> {
    let mut seen: Vec<(PathBuf, String)> = Vec::new();
    let mut runs: Vec<(String, String)> = Vec::new();
    let mut read: Vec<(String, Results)> = Vec::new();
    for path in &a.merge {
        let name = path.display().to_string();
        let bad = |e: String| UsageError(format!("--merge {name}: {e}"));
        let identity = std::fs::canonicalize(path).map_err(|e| bad(e.to_string()))?;
        if let Some((_, first)) = seen.iter().find(|(p, _)| *p == identity) {
            return Err(bad(format!(
                "the same file as {first}: a summary merged twice counts its requests twice"
            )));
        }
        seen.push((identity, name.clone()));
        let size = std::fs::metadata(path)
            .map_err(|e| bad(e.to_string()))?
            .len();
        if size > MAX_SUMMARY_BYTES {
            return Err(bad(format!(
                "{size} bytes; a summary is at most {MAX_SUMMARY_BYTES} bytes"
            )));
        }
        let text = std::fs::read_to_string(path).map_err(|e| bad(e.to_string()))?;
        let json: serde_json::Value =
            serde_json::from_str(&text).map_err(|e| bad(format!("not JSON: {e}")))?;
        let r = summary::from_json(&json).map_err(bad)?;
        for id in &r.runs {
            if let Some((_, first)) = runs.iter().find(|(i, _)| i == id) {
                return Err(bad(format!(
                    "run {id} is already in {first}: a run merged twice counts its requests twice"
                )));
            }
            runs.push((id.clone(), name.clone()));
        }
        read.push((name, r));
    }
    for word in differences(&read) {
        errln!("ecapi load --merge: {word}");
    }
    let mut files = read.into_iter();
    let (_, mut merged) = files.next().expect("clap requires at least one file");
    for (name, r) in files {
        merged
            .merge(&r)
            .map_err(|e| UsageError(format!("--merge {name}: {e}")))?;
    }
    report(a, &merged, rules)
}

/// What the merged runs differ in, for the user: duration (rates are then over the longest) and
/// flow (the figures are then of several flows together).
fn differences(runs: &[(String, Results)]) -> Vec<String> {
    let mut words = Vec::new();
    let list = |f: &dyn Fn(&Results) -> String| {
        runs.iter()
            .map(|(name, r)| format!("{name} {}", f(r)))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let (shortest, longest) = runs.iter().fold((f64::MAX, 0.0_f64), |(lo, hi), (_, r)| {
        (lo.min(r.duration_s), hi.max(r.duration_s))
    });
    if longest - shortest > DURATION_TOLERANCE_S {
        words.push(format!(
            "the runs differ in duration ({}); rates are taken over the longest, {longest:.1} s",
            list(&|r| format!("{:.1} s", r.duration_s))
        ));
    }
    if runs.iter().any(|(_, r)| r.flow != runs[0].1.flow) {
        words.push(format!(
            "the runs ran different flows ({}); the figures are of all of them together",
            list(&|r| r.flow.clone())
        ));
    }
    words
}

/// Prints the summary, writes the reports and decides the exit code.
fn report(a: &LoadArgs, results: &Results, rules: &[Threshold]) -> Result<ExitCode, UsageError> {
    let verdicts: Vec<Verdict> = rules.iter().map(|t| t.evaluate(results)).collect();
    out!("{}", summary::table(results, &verdicts));
    // Every report that can be written is, even when another cannot.
    let mut failed = None;
    if let Some(path) = &a.summary_json {
        let text = serde_json::to_string_pretty(&summary::to_json(results, &verdicts))
            .expect("a summary serializes");
        if let Err(e) = std::fs::write(path, text + "\n") {
            failed = Some(UsageError(format!(
                "--summary-json {}: {e}",
                path.display()
            )));
        }
    }
    if let Some(path) = &a.report_html {
        if let Err(e) = std::fs::write(path, load::report_html::render(results, &verdicts)) {
            failed.get_or_insert(UsageError(format!("--report-html {}: {e}", path.display())));
        }
    }
    if let Some(path) = &a.report_junit {
        if let Err(e) = std::fs::write(path, load::report_junit::render(results, &verdicts)) {
            failed.get_or_insert(UsageError(format!(
                "--report-junit {}: {e}",
                path.display()
            )));
        }
    }
    if let Some(e) = failed {
        return Err(e);
    }
    Ok(if verdicts.iter().all(|v| v.pass) {
        EXIT_SUCCESS
    } else {
        EXIT_FAILURE
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_read_per_second_or_per_minute() {
        assert_eq!(parse_rate("50/s").unwrap(), 50.0);
        assert_eq!(parse_rate("50").unwrap(), 50.0);
        assert_eq!(parse_rate("600/m").unwrap(), 10.0);
        assert_eq!(
            parse_rate("5/h").unwrap_err().0,
            "--rate 5/h: the unit is /s or /m, not /h"
        );
        assert_eq!(
            parse_rate("fast").unwrap_err().0,
            "--rate fast: expected iterations per second, e.g. 50/s or 600/m"
        );
        assert!(parse_rate("0/s").is_err());
    }
}
