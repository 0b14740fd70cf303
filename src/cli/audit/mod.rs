//! `ecapi audit RECORD`: a proxy record (or a served simulator's journal) judged after the fact by
//! [`crate::audit`]: each finding as it is found, a table per rule, the coverage of codes and
//! failures, and the reports (`--report-json`, `--report-junit`, `--report-html`), all views of
//! one [`Report`]. Exit 1 when a finding at or above `--fail-on` is present.

mod html;
mod junit;
mod read;

use std::collections::BTreeMap;
use std::path::PathBuf;

use clap::Args;

use super::backend::UsageError;
use super::exit::{ExitCode, EXIT_FAILURE, EXIT_SUCCESS};
use crate::audit::{self, Auditor, Coverage, Finding, Options, RuleId, Severity};
use crate::exchange::Exchange;
use crate::streams::{errln, out, outln};

/// `ecapi audit`.
#[derive(Debug, Args)]
pub struct AuditArgs {
    /// A record of `ecapi proxy --record`, or a served simulator's journal (JSON Lines or an array).
    #[arg(value_name = "RECORD", required_unless_present = "rules")]
    pub file: Option<PathBuf>,
    /// Print the rule catalogue (id, severity, source, the guide's words, advice) and exit.
    #[arg(long)]
    pub rules: bool,
    /// Print the matrix of operations × response codes the client was answered with, and the wire
    /// faults it met.
    #[arg(long)]
    pub coverage: bool,
    /// Exit 1 when a finding of this severity or worse is present: error, warning or info.
    #[arg(long, value_name = "SEVERITY", default_value = "error")]
    pub fail_on: String,
    /// The rules' options.
    #[command(flatten)]
    pub audit: AuditOptionArgs,
    /// Write the findings, the table per rule and the coverage as JSON to this file.
    #[arg(long, value_name = "FILE")]
    pub report_json: Option<PathBuf>,
    /// Write a JUnit XML report (a testcase per rule, a failure per finding) to this file.
    #[arg(long, value_name = "FILE")]
    pub report_junit: Option<PathBuf>,
    /// Write a self-contained HTML report (findings by rule, a timeline per port, coverage).
    #[arg(long, value_name = "FILE")]
    pub report_html: Option<PathBuf>,
}

/// The audit's options, shared by `audit`, `serve` and `proxy`.
#[derive(Debug, Clone, Args)]
pub struct AuditOptionArgs {
    /// Turn an audit rule off (repeat, or separate with commas), e.g. `--allow init-every-call`.
    #[arg(long = "allow", value_name = "RULE")]
    pub allow: Vec<String>,
    /// Whose desktop is recorded, for desktop-not-paused: all, none, or logins separated by commas.
    /// The recorder profile's simulator (`run`, `test`, `serve`) knows it from its directory's
    /// `desktop = true` users and takes those.
    #[arg(long, value_name = "all|none|LOGIN,…", default_value = "none")]
    pub desktop_users: String,
    /// How far apart, in seconds, a PauseRecording and its DesktopPause may be (either way).
    #[arg(long, value_name = "SECONDS", default_value_t = 5.0)]
    pub desktop_window: f64,
    /// How many times the same request may get the same non-100 code within --retry-window.
    #[arg(long, value_name = "N", default_value_t = 3)]
    pub retry_limit: usize,
    /// The window of --retry-limit, in seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = 10.0)]
    pub retry_window: f64,
    /// The least time, in seconds, between two InitStation (InitUser) for one extension (login).
    #[arg(long, value_name = "SECONDS", default_value_t = 600.0)]
    pub init_interval: f64,
}

fn seconds(name: &str, v: f64) -> Result<std::time::Duration, UsageError> {
    std::time::Duration::try_from_secs_f64(v)
        .map_err(|_| UsageError(format!("--{name} takes a number of seconds ≥ 0, not {v}")))
}

impl AuditOptionArgs {
    /// The options, validated.
    pub fn options(&self) -> Result<Options, UsageError> {
        Ok(Options {
            enabled: true,
            allow: audit::options::parse_allow(&self.allow).map_err(UsageError)?,
            desktop_users: audit::DesktopUsers::parse(&self.desktop_users).map_err(UsageError)?,
            seats: Vec::new(),
            desktop_window: seconds("desktop-window", self.desktop_window)?,
            retry_limit: self.retry_limit,
            retry_window: seconds("retry-window", self.retry_window)?,
            init_interval: seconds("init-interval", self.init_interval)?,
        })
    }
}

/// How many findings of one rule a report keeps; the others are counted.
pub const KEEP_PER_RULE: usize = 1000;
/// How many exchanges the HTML timeline draws.
pub const TIMELINE: usize = 2000;

/// One exchange on the timeline.
#[derive(Debug, Clone)]
pub struct Mark {
    /// Its number.
    pub seq: u64,
    /// The port (`unit/port`) or, for a request naming none, the client.
    pub lane: String,
    /// Its operation's name.
    pub op: &'static str,
    /// The code, when answered.
    pub code: Option<u16>,
    /// Sent and ended, in ms from the first exchange.
    pub start_ms: f64,
    /// How long, in ms.
    pub length_ms: f64,
}

/// Everything the reports show: a view of the audit of one file.
#[derive(Debug)]
pub struct Report {
    /// The file audited.
    pub file: String,
    /// The findings kept, per rule (at most [`KEEP_PER_RULE`] each).
    pub findings: BTreeMap<RuleId, Vec<Finding>>,
    /// Findings per rule, all counted.
    pub counts: BTreeMap<RuleId, u64>,
    /// How many exchanges were read.
    pub exchanges: u64,
    /// The coverage.
    pub coverage: Coverage,
    /// The first [`TIMELINE`] exchanges.
    pub timeline: Vec<Mark>,
    /// The options.
    pub options: Options,
    /// When the audit ran.
    pub generated: String,
}

impl Report {
    fn keep(&mut self, f: Finding) {
        let kept = self.findings.entry(f.rule).or_default();
        if kept.len() < KEEP_PER_RULE {
            kept.push(f);
        }
    }

    fn mark(&mut self, ex: &Exchange, first: &mut Option<chrono::DateTime<chrono::Utc>>) {
        if self.timeline.len() >= TIMELINE {
            return;
        }
        let origin = *first.get_or_insert(ex.sent);
        let lane = match &ex.request {
            Some(r) if r.op().takes_unit_and_port() => format!(
                "port {}/{}",
                r.get(crate::api::Param::Unit),
                r.get(crate::api::Param::Port)
            ),
            _ => format!("client {}", ex.client.as_deref().unwrap_or("?")),
        };
        self.timeline.push(Mark {
            seq: ex.seq,
            lane,
            op: ex.op().map_or("?", |o| o.name()),
            code: ex.code(),
            start_ms: (ex.sent - origin).as_seconds_f64() * 1000.0,
            length_ms: (ex.ended() - ex.sent).as_seconds_f64() * 1000.0,
        });
    }

    /// The worst severity found.
    pub fn worst(&self) -> Option<Severity> {
        self.counts.keys().map(|r| r.rule().severity).max()
    }

    /// The JSON report: `{file, generated, exchanges, summary, findings, coverage}`.
    pub fn json(&self) -> serde_json::Value {
        serde_json::json!({
            "file": self.file,
            "generated": self.generated,
            "exchanges": self.exchanges,
            "summary": audit::summary::json(&self.counts, &self.options),
            "findings": self.findings.values().flatten().map(Finding::json).collect::<Vec<_>>(),
            "coverage": self.coverage.json(),
        })
    }
}

/// The catalogue as text, for `--rules` (and, the same words, docs/audit.md).
pub fn catalogue() -> String {
    let mut out = String::new();
    for r in &audit::RULES {
        out.push_str(&format!(
            "{} ({})\n  {}\n  source: {}\n  \"{}\"\n  help: {}\n\n",
            r.name, r.severity, r.summary, r.source, r.quote, r.advice
        ));
    }
    out
}

/// Audits and reports.
pub fn audit(a: AuditArgs) -> Result<ExitCode, UsageError> {
    if a.rules {
        out!("{}", catalogue());
        return Ok(EXIT_SUCCESS);
    }
    let fail_on = audit::options::parse_severity(&a.fail_on).map_err(UsageError)?;
    let options = a.audit.options()?;
    let path = a
        .file
        .clone()
        .expect("clap requires RECORD without --rules");
    let mut auditor = Auditor::new(options.clone());
    let mut report = Report {
        file: path.display().to_string(),
        findings: BTreeMap::new(),
        counts: BTreeMap::new(),
        exchanges: 0,
        coverage: Coverage::default(),
        timeline: Vec::new(),
        options,
        generated: chrono::Utc::now().format("%Y-%m-%dT%H:%M:%S").to_string(),
    };
    let mut first = None;
    let say = |found: Vec<Finding>, report: &mut Report| {
        for f in found {
            out!("{}", f.text());
            report.keep(f);
        }
    };
    let warnings = read::each(&path, |ex, recorded| {
        report.mark(&ex, &mut first);
        let mut found = auditor.observe(&ex);
        // A card number the proxy masked in its record is known from the finding it kept.
        if !found.iter().any(|f| f.rule == RuleId::CardData) {
            for f in recorded {
                found.extend(auditor.recorded(f));
            }
        }
        say(found, &mut report);
    })
    .map_err(UsageError)?;
    let found = auditor.finish();
    say(found, &mut report);
    for w in &warnings {
        errln!("ecapi audit: warning: {w}");
    }
    report.counts = auditor.counts().clone();
    report.exchanges = auditor.exchanges();
    report.coverage = auditor.coverage().clone();
    if report.exchanges > 0 || report.counts.is_empty() {
        outln!();
    }
    out!(
        "{}",
        audit::summary::text(&report.counts, &report.options, report.exchanges)
    );
    if a.coverage {
        outln!();
        out!("{}", report.coverage.text());
    }
    let write = |flag: &str, path: &PathBuf, text: String| {
        std::fs::write(path, text)
            .map_err(|e| UsageError(format!("--{flag} {}: {e}", path.display())))
    };
    if let Some(p) = &a.report_json {
        let text = serde_json::to_string_pretty(&report.json()).expect("JSON serializes");
        write("report-json", p, text + "\n")?;
    }
    if let Some(p) = &a.report_junit {
        write("report-junit", p, junit::render(&report))?;
    }
    if let Some(p) = &a.report_html {
        write("report-html", p, html::render(&report))?;
    }
    Ok(match report.worst() {
        Some(s) if s >= fail_on => EXIT_FAILURE,
        _ => EXIT_SUCCESS,
    })
}
