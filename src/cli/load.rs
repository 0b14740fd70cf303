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
use crate::load::baseline::Comparison;
use crate::load::{
    self, summary, Backend, EndSignal, LoadError, LoadOptions, Model, Results, Schedule, Stage,
    Threshold, Verdict,
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
    /// How many agents (in the open model: the most iterations running at once); 1 when not
    /// given. With --stage DURATION:AGENTS the stages say how many.
    #[arg(long, value_name = "N")]
    pub agents: Option<usize>,
    /// How long the test runs, ramp-up included, in seconds.
    #[arg(long, value_name = "SECS", required_unless_present_any = ["merge", "stage"])]
    pub duration: Option<f64>,
    /// Start the agents evenly over this many seconds (with --rate: raise the rate from 0); the
    /// same as --stage SECS:AGENTS then --stage REST:AGENTS.
    #[arg(long, value_name = "SECS")]
    pub ramp_up: Option<f64>,
    /// A stage of the test (k6's stages), repeatable, in order: over DURATION (30s, 5m, 1h, 500ms
    /// or seconds) the agents go linearly from the previous stage's target (0 at first) to AGENTS
    /// (closed model), or the rate of iterations to RATE/s or RATE/m (open model). Agents leaving
    /// at a lower stage finish their iteration first.
    #[arg(long, value_name = "DURATION:AGENTS|DURATION:RATE/s")]
    pub stage: Vec<String>,
    /// At the end (of --duration, or at SIGINT/SIGTERM) no new iteration starts; running ones
    /// have this many seconds to finish at their own pace, then they are interrupted (k6's
    /// gracefulStop). Requests sent after the end are kept out of the figures.
    #[arg(long, default_value_t = load::GRACEFUL_STOP.as_secs_f64(), value_name = "SECS")]
    pub graceful_stop: f64,
    /// With --stage DURATION:AGENTS: an agent leaving at a lower stage has this many seconds to
    /// finish its iteration, then it is interrupted (k6's gracefulRampDown; 30 by default).
    #[arg(long, value_name = "SECS")]
    pub graceful_ramp_down: Option<f64>,
    /// Start iterations at a fixed rate instead (open model), e.g. 50/s or 600/m; latency then
    /// counts from when each iteration was due.
    #[arg(long, value_name = "N/s")]
    pub rate: Option<String>,
    /// A CSV (header row) or JSON (array of objects) file: agent i gets row i as `agent.data`.
    #[arg(long, value_name = "FILE")]
    pub data: Option<PathBuf>,
    /// A pass/fail rule, e.g. 'p95<200ms', 'errors<1%', 'InitStation.p99<500ms', 'rate>100/s',
    /// or on a transaction of the flow, 'payment.p95<2s', 'payment/pause.failed<1%', or relative
    /// to --baseline, 'p95<baseline*1.2'; repeatable; exit 1 when one fails.
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
    /// Compare with an earlier run: the JSON summary it wrote with --summary-json. Every
    /// operation's and transaction's figures beside the baseline's, changes beyond noise marked (docs/load.md), and
    /// thresholds relative to it ('p95<baseline*1.2').
    #[arg(long, value_name = "OLD.json")]
    pub baseline: Option<PathBuf>,
    /// Merge the JSON summaries of several `ecapi load` processes instead of running a test.
    #[arg(long, value_name = "FILE", num_args = 1.., conflicts_with_all = ["flow", "duration", "rate", "data", "stage"])]
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

/// Reads a stage's duration: `30s`, `5m`, `1h`, `500ms`, pieces together as k6 takes them
/// (`1m30s`), or plain seconds (`2.5`).
fn stage_duration(text: &str) -> Option<Duration> {
    let t = text.trim();
    if t.is_empty() {
        return None;
    }
    // A plain number is seconds; otherwise pieces of a number and its unit, as k6 (Go's
    // time.ParseDuration) reads them: 1m30s, 1h5m, 1.5s, 500ms.
    if let Ok(v) = t.parse::<f64>() {
        return in_range(v);
    }
    let mut secs = 0.0;
    let mut rest = t;
    while !rest.is_empty() {
        let n_end = rest.find(|c: char| !(c.is_ascii_digit() || c == '.'))?;
        let (n, after) = rest.split_at(n_end);
        let u_end = after
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(after.len());
        let (unit, next) = after.split_at(u_end);
        let per = match unit {
            "ms" => 0.001,
            "s" => 1.0,
            "m" | "min" => 60.0,
            "h" => 3600.0,
            _ => return None,
        };
        let v: f64 = n.parse().ok()?;
        secs += v * per;
        rest = next;
    }
    in_range(secs)
}

/// `secs` as a duration when it is one a stage can last: 0 or more, below 10⁷ s.
fn in_range(secs: f64) -> Option<Duration> {
    (secs.is_finite() && (0.0..1e7).contains(&secs)).then(|| Duration::from_secs_f64(secs))
}

/// Reads `--stage DURATION:AGENTS` (false) or `--stage DURATION:RATE/s` (true: the open model).
fn parse_stage(text: &str) -> Result<(Stage, bool), UsageError> {
    let bad = |why: String| UsageError(format!("--stage {text}: {why}"));
    let (duration, target) = text.split_once(':').ok_or_else(|| {
        bad("expected DURATION:AGENTS or DURATION:RATE/s, e.g. 30s:20 or 1m:50/s".to_string())
    })?;
    let duration = stage_duration(duration).ok_or_else(|| {
        bad(format!(
            "`{}` is not a duration: write 30s, 5m, 1m30s, 1h, 500ms or a number of seconds",
            duration.trim()
        ))
    })?;
    let target = target.trim();
    if target.is_empty() {
        return Err(bad(
            "no target after the colon: a number of agents (30s:20) or a rate (30s:50/s)"
                .to_string(),
        ));
    }
    if target.contains('/') {
        let rate = parse_rate_or_zero(target).ok_or_else(|| {
            bad(format!(
                "`{target}` is not a rate: iterations per second or minute, 0 or more, e.g. 50/s or 600/m"
            ))
        })?;
        return Ok((
            Stage {
                duration,
                target: rate,
            },
            true,
        ));
    }
    match target.parse::<u64>() {
        Ok(n) if n as usize <= MAX_AGENTS => Ok((
            Stage {
                duration,
                target: n as f64,
            },
            false,
        )),
        Ok(n) => Err(bad(format!(
            "{n} agents: at most {MAX_AGENTS} in one process (for more, run several processes and --merge their summaries)"
        ))),
        Err(_) => Err(bad(format!(
            "`{target}` is not a number of agents (a whole number, 0 or more) nor a rate (50/s)"
        ))),
    }
}

/// A stage's rate, `N/s` or `N/m`, 0 allowed (a stage can ramp the rate down to nothing).
fn parse_rate_or_zero(text: &str) -> Option<f64> {
    let (n, unit) = text.split_once('/')?;
    let per = match unit.trim() {
        "s" | "sec" => 1.0,
        "m" | "min" => 60.0,
        _ => return None,
    };
    let v: f64 = n.trim().parse().ok()?;
    (v.is_finite() && v >= 0.0 && v / per <= 1e6).then_some(v / per)
}

/// The stages of `--stage`, validated: all agents or all rates, some duration, some load.
fn staged(a: &LoadArgs) -> Result<Schedule, UsageError> {
    for (given, option, why) in [
        (
            a.duration.is_some(),
            "--duration",
            "the test lasts as long as its stages together",
        ),
        (
            a.ramp_up.is_some(),
            "--ramp-up",
            "a ramp is a stage of its own (--stage 30s:20 ramps to 20 agents over 30 s)",
        ),
        (
            a.rate.is_some(),
            "--rate",
            "stages of rates (--stage 1m:50/s) make the open model",
        ),
    ] {
        if given {
            return Err(UsageError(format!(
                "--stage and {option} do not go together: {why}"
            )));
        }
    }
    let mut stages = Vec::new();
    let mut first: Option<(&str, bool)> = None;
    for text in &a.stage {
        let (stage, open) = parse_stage(text)?;
        match first {
            Some((other, was_open)) if was_open != open => {
                let (agents, rate) = if open {
                    (other, text.as_str())
                } else {
                    (text.as_str(), other)
                };
                return Err(UsageError(format!(
                    "--stage {agents} and --stage {rate}: the stages are all agents (closed model) or all rates (open model), not both"
                )));
            }
            None => first = Some((text, open)),
            _ => {}
        }
        stages.push(stage);
    }
    let open = first.is_some_and(|(_, open)| open);
    if stages.iter().all(|s| s.duration.is_zero()) {
        return Err(UsageError(format!(
            "--stage {}: the stages last 0 s in all; give at least one a duration",
            a.stage.join(" --stage ")
        )));
    }
    if stages.iter().all(|s| s.target == 0.0) {
        return Err(UsageError(format!(
            "--stage {}: every target is 0, so nothing would run",
            a.stage.join(" --stage ")
        )));
    }
    if !open {
        if let Some(n) = a.agents {
            return Err(UsageError(format!(
                "--agents {n} and --stage DURATION:AGENTS do not go together: the stages say how many agents run (the most is the highest target)"
            )));
        }
    }
    Ok(Schedule::staged(open, a.agents.unwrap_or(1), stages))
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
    if a.baseline.is_none() {
        if let Some(t) = verdict_rules.iter().find(|t| t.is_relative()) {
            return Err(UsageError(format!(
                "--threshold '{t}' compares with the baseline: give the earlier run's summary as \
                 --baseline OLD.json"
            )));
        }
    }
    // Before the run, as the report paths: a baseline that cannot be read must not cost the run.
    let baseline = match &a.baseline {
        Some(path) => Some(Baseline {
            file: path.display().to_string(),
            results: read_summary("--baseline", path)?,
        }),
        None => None,
    };
    // Before the run: a bad report path must not cost the run it would have reported.
    super::report_path::prepare_all(&[
        ("--summary-json", a.summary_json.as_deref()),
        ("--report-html", a.report_html.as_deref()),
        ("--report-junit", a.report_junit.as_deref()),
    ])?;
    if !a.merge.is_empty() {
        return merge(&a, &verdict_rules, baseline.as_ref());
    }
    let flow = a.flow.clone().expect("clap requires FLOW without --merge");
    let graceful_stop = seconds("--graceful-stop", a.graceful_stop, true)?;
    let mut schedule = if a.stage.is_empty() {
        let duration = seconds(
            "--duration",
            a.duration
                .expect("clap requires --duration without --merge or --stage"),
            false,
        )?;
        let ramp_up = seconds("--ramp-up", a.ramp_up.unwrap_or(0.0), true)?;
        if ramp_up > duration {
            return Err(UsageError(format!(
                "--ramp-up {} is longer than --duration {}: the ramp-up is part of the test",
                ramp_up.as_secs_f64(),
                duration.as_secs_f64()
            )));
        }
        let model = match &a.rate {
            Some(r) => Model::Open {
                rate: parse_rate(r)?,
            },
            None => Model::Closed,
        };
        Schedule::constant(model, a.agents.unwrap_or(1), ramp_up, duration)
    } else {
        staged(&a)?
    };
    if let Some(secs) = a.graceful_ramp_down {
        if a.stage.is_empty() || schedule.model != Model::Closed {
            return Err(UsageError(format!(
                "--graceful-ramp-down {secs}: agents leave at a lower stage only with --stage \
                 DURATION:AGENTS"
            )));
        }
        schedule.graceful_ramp_down = seconds("--graceful-ramp-down", secs, true)?;
    }
    let agents = schedule.agents;
    // Said as the user gave it: --agents N, or the stages' highest target.
    let agents_given = if a.stage.is_empty() || schedule.model != Model::Closed {
        format!("--agents {agents}")
    } else {
        format!("--stage (up to {agents} agents)")
    };
    if agents == 0 || agents > MAX_AGENTS {
        return Err(UsageError(format!(
            "{agents_given}: expected 1 to {MAX_AGENTS} agents (for more, run several processes and --merge their summaries)"
        )));
    }
    if let Some(limit) = load::limits::agents() {
        if agents as u64 > limit.agents {
            return Err(UsageError(format!(
                "{agents_given}: this machine runs at most about {} agents in one process: {}; or run \
                 several processes and --merge their summaries",
                summary::thousands(limit.agents),
                limit.cause
            )));
        }
    }
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
    for row in data.iter().filter_map(|v| v.as_object()) {
        crate::secrets::add_columns(row);
    }
    if a.backend.clock.is_none() {
        // Agents' talk time is real time, so the simulator's recordings last as long as the calls.
        config.clock = ClockMode::Real;
    }
    let params = config.params(parse_sets(&a.set)?)?;
    let backend = backend(&config)?;
    // Listening before the banner, so a signal after it always ends the run with its reports.
    let end = Arc::new(EndSignal::new());
    let signalled = watch_signals(&end, graceful_stop);
    errln!(
        "ecapi load: {} running {file} for {} s{} against {}",
        load::summary::counted(agents as u64, "agent", "agents"),
        schedule.duration.as_secs_f64(),
        match (schedule.model, a.stage.is_empty()) {
            (Model::Open { rate }, true) => {
                format!(", iterations at {}", load::summary::rate_text(rate))
            }
            (Model::Open { rate }, false) => {
                format!(
                    " in {} of iterations up to {}",
                    stages(schedule.stages.len()),
                    load::summary::rate_text(rate)
                )
            }
            (Model::Closed, false) => format!(" in {}", stages(schedule.stages.len())),
            (Model::Closed, true) => String::new(),
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
    let code = report(&a, &results, &verdict_rules, baseline.as_ref())?;
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

/// `1 stage`, `3 stages`.
fn stages(n: usize) -> String {
    load::summary::counted(n as u64, "stage", "stages")
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

/// Reads a JSON summary given to `option` (`--merge`, `--baseline`); the error names the option,
/// the file and what is wrong with it (missing, unreadable, too big, not JSON, not a summary, of
/// another format version, or which field is at fault).
fn read_summary(option: &str, path: &std::path::Path) -> Result<Results, UsageError> {
    let name = path.display().to_string();
    let bad = |e: String| UsageError(format!("{option} {name}: {e}"));
    let io = |e: std::io::Error| {
        bad(match e.kind() {
            std::io::ErrorKind::NotFound => "no such file".to_string(),
            std::io::ErrorKind::InvalidData => "not text (UTF-8), so not a summary".to_string(),
            _ => format!("cannot read it: {e}"),
        })
    };
    let size = std::fs::metadata(path).map_err(io)?.len();
    if size > MAX_SUMMARY_BYTES {
        return Err(bad(format!(
            "{size} bytes; a summary is at most {MAX_SUMMARY_BYTES} bytes"
        )));
    }
    let text = std::fs::read_to_string(path).map_err(io)?;
    let json: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| bad(format!("not JSON: {e}")))?;
    summary::from_json(&json).map_err(bad)
}

/// `--merge`: reads the summaries, merges them, and reports as a test would. A file given twice,
/// or a run found in two files, is refused (its requests would count twice); runs of different
/// lengths or flows are merged, with a word saying which.
fn merge(
    a: &LoadArgs,
    rules: &[Threshold],
    baseline: Option<&Baseline>,
) -> Result<ExitCode, UsageError> {
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
        let r = read_summary("--merge", path)?;
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
    report(a, &merged, rules, baseline)
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

/// `--baseline`: the earlier run, read.
struct Baseline {
    /// The file, as given.
    file: String,
    /// Its results.
    results: Results,
}

/// Prints the summary, writes the reports and decides the exit code.
fn report(
    a: &LoadArgs,
    results: &Results,
    rules: &[Threshold],
    baseline: Option<&Baseline>,
) -> Result<ExitCode, UsageError> {
    let verdicts: Vec<Verdict> = rules
        .iter()
        .map(|t| t.evaluate(results, baseline.map(|b| &b.results)))
        .collect();
    let comparison = baseline.map(|b| Comparison::new(&b.file, results, &b.results));
    out!("{}", summary::table(results, &verdicts));
    if let Some(c) = &comparison {
        out!("\n{}", summary::comparison_table(c));
    }
    // Every report that can be written is, even when another cannot.
    let mut failed = None;
    if let Some(path) = &a.summary_json {
        let mut json = summary::to_json(results, &verdicts);
        if let Some(c) = &comparison {
            json["baseline"] = summary::comparison_json(c);
        }
        let text = serde_json::to_string_pretty(&json).expect("a summary serializes");
        if let Err(e) = crate::secrets::write_file(path, &(text + "\n")) {
            failed = Some(UsageError(format!(
                "--summary-json {}: {e}",
                path.display()
            )));
        }
    }
    if let Some(path) = &a.report_html {
        if let Err(e) = crate::secrets::write_file(
            path,
            &load::report_html::render(
                results,
                &verdicts,
                baseline.map(|b| &b.results).zip(comparison.as_ref()),
            ),
        ) {
            failed.get_or_insert(UsageError(format!("--report-html {}: {e}", path.display())));
        }
    }
    if let Some(path) = &a.report_junit {
        if let Err(e) =
            crate::secrets::write_file(path, &load::report_junit::render(results, &verdicts))
        {
            failed.get_or_insert(UsageError(format!(
                "--report-junit {}: {e}",
                path.display()
            )));
        }
    }
    if let Some(e) = failed {
        return Err(e);
    }
    // A merged summary of a stopped run fails as the stopped run did.
    Ok(if summary::passed(results, &verdicts) {
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

    #[test]
    fn stage_durations_read_units_and_pieces_together_as_k6_does() {
        let secs = |t: &str| stage_duration(t).map(|d| d.as_secs_f64());
        assert_eq!(secs("30"), Some(30.0));
        assert_eq!(secs("2.5"), Some(2.5));
        assert_eq!(secs("30s"), Some(30.0));
        assert_eq!(secs("500ms"), Some(0.5));
        assert_eq!(secs("5m"), Some(300.0));
        assert_eq!(secs("1h"), Some(3600.0));
        assert_eq!(secs("1m30s"), Some(90.0));
        assert_eq!(secs("1h5m"), Some(3900.0));
        assert_eq!(secs("1.5s"), Some(1.5));
        assert_eq!(secs("1s500ms"), Some(1.5));
        for bad in [
            "", "s", "1x", "1m30", "m30s", "-1s", "-1", "1..5s", "inf", "NaN",
        ] {
            assert_eq!(secs(bad), None, "{bad}");
        }
        assert_eq!(
            parse_stage("1m30:5").unwrap_err().0,
            "--stage 1m30:5: `1m30` is not a duration: write 30s, 5m, 1m30s, 1h, 500ms or a \
             number of seconds"
        );
    }

    #[test]
    fn rates_print_as_given_per_minute_or_rounded_per_second() {
        use crate::load::summary::rate_text;
        assert_eq!(rate_text(50.0), "50/s");
        assert_eq!(rate_text(2.5), "2.5/s");
        assert_eq!(rate_text(parse_rate("2/m").unwrap()), "2/m");
        assert_eq!(rate_text(parse_rate("90/m").unwrap()), "1.5/s");
        assert_eq!(rate_text(1.0 / 3.0 + 0.0001), "0.333/s");
        assert_eq!(rate_text(0.0), "0/s");
    }
}
