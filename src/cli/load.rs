//! `ecapi load FLOW.rhai`: the arguments, validated into [`LoadOptions`], then the test, the summary,
//! the reports and the exit code (1 when a threshold fails). `ecapi load --merge A.json B.json…`
//! merges the JSON summaries of several processes instead.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use clap::Args;

use super::args::BackendArgs;
use super::backend::{parse_sets, simulator, BackendConfig, UsageError};
use super::exit::{ExitCode, EXIT_FAILURE, EXIT_SUCCESS};
use crate::client::Embedded;
use crate::load::{
    self, summary, Backend, EndSignal, LoadError, LoadOptions, Model, Results, Schedule, Threshold,
    Verdict,
};
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
        return Ok(Backend::Http(Box::new(config.connect_http()?)));
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
    let end = Arc::new(EndSignal::new());
    {
        // Ctrl-C ends the test early; the summary and reports still come.
        let end = end.clone();
        let _ = ctrlc::set_handler(move || end.end());
    }
    let options = LoadOptions {
        flow: file.clone(),
        source: source.clone(),
        // Each agent reads a module once, not on every iteration.
        modules: crate::script::Modules::for_script(&flow, &a.module_path).cached(),
        params,
        data,
        schedule,
        trace: config.trace,
        progress: !a.no_progress,
    };
    let results = match load::run(options, backend, end) {
        Ok(r) => r,
        Err(LoadError::Compile(d)) => {
            err!("{}", d.render(&file, &source));
            return Ok(EXIT_FAILURE);
        }
        Err(e) => return Err(UsageError(e.to_string())),
    };
    let code = report(&a, &results, &verdict_rules)?;
    let it = &results.iterations;
    if it.completed == 0 && it.failed > 0 {
        // A flow that never gets through is a script error, whatever the thresholds say.
        errln!("ecapi load: no iteration of {file} completed; every one failed (reasons above)");
        return Ok(EXIT_FAILURE);
    }
    Ok(code)
}

/// `--merge`: reads the summaries, merges them, and reports as a test would.
fn merge(a: &LoadArgs, rules: &[Threshold]) -> Result<ExitCode, UsageError> {
    let mut merged: Option<Results> = None;
    for path in &a.merge {
        let name = path.display().to_string();
        let text = std::fs::read_to_string(path)
            .map_err(|e| UsageError(format!("--merge {name}: {e}")))?;
        let json: serde_json::Value = serde_json::from_str(&text)
            .map_err(|e| UsageError(format!("--merge {name}: not JSON: {e}")))?;
        let r =
            summary::from_json(&json).map_err(|e| UsageError(format!("--merge {name}: {e}")))?;
        match &mut merged {
            Some(m) => m.merge(&r),
            None => merged = Some(r),
        }
    }
    let merged = merged.expect("clap requires at least one file");
    report(a, &merged, rules)
}

/// Prints the summary, writes the reports and decides the exit code.
fn report(a: &LoadArgs, results: &Results, rules: &[Threshold]) -> Result<ExitCode, UsageError> {
    let verdicts: Vec<Verdict> = rules.iter().map(|t| t.evaluate(results)).collect();
    out!("{}", summary::table(results, &verdicts));
    if let Some(path) = &a.summary_json {
        let text = serde_json::to_string_pretty(&summary::to_json(results, &verdicts))
            .expect("a summary serializes");
        std::fs::write(path, text + "\n")
            .map_err(|e| UsageError(format!("--summary-json {}: {e}", path.display())))?;
    }
    if let Some(path) = &a.report_html {
        std::fs::write(path, load::report_html::render(results, &verdicts))
            .map_err(|e| UsageError(format!("--report-html {}: {e}", path.display())))?;
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
