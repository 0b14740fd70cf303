//! Two views of [`Results`]: the end-of-run table on standard output, and the JSON summary
//! (`--summary-json`), which holds every figure and the histograms themselves (HdrHistogram's V2
//! compressed encoding in base64) so that [`from_json`] can read it back for `--merge`.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde_json::{json, Map, Value};

use super::baseline::{Comparison, Direction, Figures, Presence, RowComparison};
use super::histogram::{Latency, OPERATION_SECOND_FIGURES, SECOND_FIGURES, TOTAL_FIGURES};
use super::results::{
    AfterEnd, Iterations, OpStats, Results, RowKind, Second, TxSecond, TxStats, FAILURE_KINDS,
    LATE_US, TRANSACTION_NAMES,
};
use super::schedule::Stage;
use super::threshold::Verdict;
use crate::api::Operation;

/// The `format` field of a JSON summary; [`from_json`] refuses others.
pub const FORMAT: &str = "ecapi-load-summary/1";

/// The latest second a timeline may hold: `--duration`'s limit.
const MAX_SECONDS: u64 = 10_000_000;

/// The percentiles every latency shows.
pub const PERCENTILES: [(f64, &str); 4] =
    [(50.0, "p50"), (90.0, "p90"), (95.0, "p95"), (99.0, "p99")];

/// A count with thousands separators: `16,123`.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A count and its noun, in the singular for one: `1 agent`, `2 agents`, `16,123 iterations`.
pub fn counted(n: u64, one: &str, many: &str) -> String {
    format!("{} {}", thousands(n), if n == 1 { one } else { many })
}

fn codes_text(codes: &BTreeMap<u16, u64>, errors: &BTreeMap<String, u64>) -> String {
    let mut parts: Vec<String> = codes.iter().map(|(c, n)| format!("{c}×{n}")).collect();
    parts.extend(errors.iter().map(|(k, n)| format!("{k}×{n}")));
    parts.join(" ")
}

/// The end-of-run table: the test, iterations, requests, generator lag, one row per operation and
/// one for all, then the thresholds with their verdicts.
pub fn table(r: &Results, verdicts: &[Verdict]) -> String {
    let mut out = String::new();
    let model = match r.rate {
        Some(rate) => format!("open model, {}", rate_text(rate)),
        None => "closed model".to_string(),
    };
    let processes = if r.processes > 1 {
        format!(", {} processes merged", r.processes)
    } else {
        String::new()
    };
    let stopped = match &r.stopped_by {
        Some(signal) => format!(", stopped by {signal}"),
        None => String::new(),
    };
    let _ = writeln!(
        out,
        "{}: {}, {model}, {:.1} s ({}){stopped}{processes}\nbackend: {}",
        r.flow,
        counted(r.agents, "agent", "agents"),
        r.duration_s,
        shape_text(r),
        r.backend
    );
    let it = &r.iterations;
    let _ = writeln!(
        out,
        "iterations: {} completed, {} failed, {} interrupted ({:.1}/s)",
        thousands(it.completed),
        thousands(it.failed),
        thousands(it.interrupted),
        r.rate_of(it.completed + it.failed)
    );
    if r.rate.is_some() {
        let _ = writeln!(
            out,
            "  open model: {} waited for a free agent, {} due but never started",
            thousands(it.waited),
            thousands(it.missed)
        );
    }
    let _ = writeln!(out, "  {}", graceful_text(r));
    let mut failures: Vec<_> = it.failures.iter().collect();
    failures.sort_by(|a, b| b.1.cmp(a.1));
    for (why, n) in failures.iter().take(5) {
        let _ = writeln!(out, "  failed ×{n}: {why}");
    }
    if failures.len() > 5 {
        let _ = writeln!(
            out,
            "  … {} more kinds of failure (see --summary-json)",
            failures.len() - 5
        );
    }
    let all = r.overall();
    let _ = writeln!(
        out,
        "requests: {} ({:.1}/s), {} without an answer, {} answered with a code other than 100",
        thousands(all.count),
        r.rate_of(all.count),
        thousands(all.error_count()),
        thousands(all.not_ok_count())
    );
    let _ = writeln!(
        out,
        "generator lag: p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms; {} started late (over {} ms)",
        r.lag.percentile_ms(50.0),
        r.lag.percentile_ms(99.0),
        r.lag.max_ms(),
        thousands(r.late()),
        LATE_US / 1000
    );
    if r.rate.is_some() {
        let _ = writeln!(
            out,
            "latency counts from when each iteration was due; service time (sending to answer): \
             p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
            all.service.percentile_ms(50.0),
            all.service.percentile_ms(99.0),
            all.service.max_ms()
        );
    }
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "{:<16} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9}  codes",
        "operation", "count", "rate/s", "p50 ms", "p90 ms", "p95 ms", "p99 ms", "max ms"
    );
    let row = |out: &mut String, name: &str, s: &OpStats| {
        let _ = writeln!(
            out,
            "{:<16} {:>9} {:>9.1} {}  {}",
            name,
            s.count,
            r.rate_of(s.count),
            latency_columns(&s.latency),
            codes_text(&s.codes, &s.errors)
        );
    };
    for (name, s) in &r.operations {
        row(&mut out, name, s);
    }
    if r.operations.len() != 1 {
        row(&mut out, "all", &all);
    }
    if !r.transactions.is_empty() {
        let width = r
            .transactions
            .keys()
            .map(|n| n.chars().count())
            .max()
            .unwrap_or(0)
            .max(16);
        let _ = writeln!(
            out,
            "\n{:<width$} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9} {:>12}",
            "transaction",
            "count",
            "rate/s",
            "p50 ms",
            "p90 ms",
            "p95 ms",
            "p99 ms",
            "max ms",
            "failed",
            "resp p95 ms"
        );
        for (name, t) in &r.transactions {
            let _ = writeln!(
                out,
                "{:<width$} {:>9} {:>9.1} {} {:>9} {:>12}{}",
                name,
                t.count,
                r.rate_of(t.count),
                latency_columns(&t.duration),
                t.failed,
                ms_or_dash(&t.response_time, t.response_time.percentile_ms(95.0), 3),
                if t.interrupted > 0 {
                    format!("  interrupted×{}", t.interrupted)
                } else {
                    String::new()
                }
            );
        }
        let _ = writeln!(
            out,
            "(a transaction's duration is the wall time of its block, in the open model plus how \
             late its iteration started, as its requests' latency; resp is the time of its \
             requests added up)"
        );
    }
    if !verdicts.is_empty() {
        let _ = writeln!(out, "\nthresholds:");
        for v in verdicts {
            let _ = writeln!(
                out,
                "  {}  {:<28} {}",
                if v.pass { "pass" } else { "FAIL" },
                v.threshold,
                v.shown
            );
        }
    }
    if let Some(word) = unchecked_failures(r, verdicts) {
        let _ = writeln!(out, "\nnote: {word}");
    }
    if let Some(word) = stopped_early(r) {
        let _ = writeln!(out, "\nFAIL: {word}");
    }
    out
}

/// A relative change for people: `+12.3 %`, `-4 %` (no decimals past 100 %).
pub fn change_text(ratio: f64) -> String {
    if ratio.abs() >= 1.0 {
        format!("{:+.0} %", ratio * 100.0)
    } else {
        format!("{:+.1} %", ratio * 100.0)
    }
}

/// The comparison with `--baseline`: per row, the baseline's figures, this run's, and the change
/// of each percentile and of the rate, a `*` marking a change beyond noise, and the row's word
/// (`slower`, `faster`, `within noise`, or which run it is missing from).
pub fn comparison_table(c: &Comparison) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "compared with the baseline {} ({}, started {}, {:.1} s):",
        c.file, c.flow, c.started, c.duration_s
    );
    let _ = write!(out, "{:<25}", "operation or transaction");
    for (_, name) in PERCENTILES {
        let _ = write!(out, " {:>10}", format!("{name} ms"));
    }
    let _ = writeln!(out, " {:>10}", "rate/s");
    let figures_line = |out: &mut String, name: &str, label: &str, f: &Figures| {
        let _ = write!(out, "{name:<16} {label:<8}");
        for p in &f.percentiles {
            let _ = write!(
                out,
                " {:>10}",
                p.map_or("-".to_string(), |v| format!("{v:.3}"))
            );
        }
        let _ = writeln!(out, " {:>10.1}", f.rate);
    };
    for row in c.rows.iter().chain([&c.all]) {
        let mut name = row.name.as_str();
        if let Some(b) = &row.baseline {
            figures_line(&mut out, name, "baseline", b);
            name = "";
        }
        if let Some(n) = &row.now {
            figures_line(&mut out, name, "now", n);
            name = "";
        }
        if row.presence != Presence::Both {
            let _ = writeln!(out, "{name:<16} {}", row.presence.word());
            continue;
        }
        let _ = write!(out, "{name:<16} {:<8}", "change");
        if row.changes.is_empty() {
            for _ in PERCENTILES {
                let _ = write!(out, " {:>10}", "-");
            }
        }
        for ch in &row.changes {
            let text = match ch.ratio() {
                Some(r) => change_text(r),
                None => format!("{:+.3}", ch.delta_ms()),
            };
            let mark = if ch.beyond_noise.is_some() {
                "*"
            } else if !ch.judged {
                "?"
            } else {
                ""
            };
            let _ = write!(out, " {:>10}", format!("{text}{mark}"));
        }
        let rate = row.rate_ratio().map_or("-".to_string(), change_text);
        let _ = writeln!(out, " {rate:>10}  {}", row.verdict());
    }
    let _ = writeln!(
        out,
        "* beyond noise: the distributions differ (Kolmogorov–Smirnov, α = {}), the percentile's \
         99.9 % intervals are apart, and it moved by at least {} % and {} ms; ? not judged: \
         fewer than {} values beyond the percentile in a run (docs/load.md)",
        super::baseline::ALPHA,
        super::baseline::MIN_CHANGE_RATIO * 100.0,
        super::baseline::MIN_CHANGE_MS,
        super::baseline::MIN_BEYOND
    );
    for word in c.warnings() {
        let _ = writeln!(out, "note: {word}");
    }
    let regressed: Vec<&str> = c.regressed().map(|r| r.name.as_str()).collect();
    if regressed.is_empty() {
        let _ = writeln!(out, "nothing slower beyond noise");
    } else {
        let _ = writeln!(out, "slower beyond noise: {}", regressed.join(", "));
    }
    out
}

fn figures_json(f: &Figures) -> Value {
    let mut latency = Map::new();
    for ((_, name), v) in PERCENTILES.iter().zip(&f.percentiles) {
        latency.insert((*name).into(), json!(v));
    }
    json!({ "count": f.count, "rate": round3(f.rate), "latency_ms": latency })
}

fn row_json(row: &RowComparison) -> Value {
    let mut change = Map::new();
    for ch in &row.changes {
        change.insert(
            ch.name.into(),
            json!({
                "ms": round3(ch.delta_ms()),
                "ratio": ch.ratio().map(|r| (r * 10_000.0).round() / 10_000.0),
                "interval_ms": [ch.now_interval_ms.0, ch.now_interval_ms.1],
                "baseline_interval_ms": [ch.baseline_interval_ms.0, ch.baseline_interval_ms.1],
                "judged": ch.judged,
                "beyond_noise": ch.beyond_noise.is_some(),
                "direction": ch.beyond_noise.map(|d| match d {
                    Direction::Slower => "slower",
                    Direction::Faster => "faster",
                }),
            }),
        );
    }
    if let Some(r) = row.rate_ratio() {
        change.insert(
            "rate".into(),
            json!({ "ratio": (r * 10_000.0).round() / 10_000.0 }),
        );
    }
    json!({
        "presence": row.presence.word(),
        "figures": row.now.as_ref().map(figures_json),
        "baseline": row.baseline.as_ref().map(figures_json),
        "change": change,
        "ks": row.ks.map(|k| json!({ "d": (k.d * 1e6).round() / 1e6, "critical": (k.critical * 1e6).round() / 1e6 })),
        "verdict": row.verdict(),
        "regressed": row.regressed(),
    })
}

/// The summary JSON's `baseline` section: the file, the method's parameters, and per section
/// (`operations`, and every other kind of row) each row's figures, the baseline's, the changes and
/// `regressed`; `requests` is all requests together.
pub fn comparison_json(c: &Comparison) -> Value {
    let mut sections: BTreeMap<&str, Map<String, Value>> = BTreeMap::new();
    sections.insert(RowKind::Operation.section(), Map::new());
    sections.insert(RowKind::Transaction.section(), Map::new());
    for row in &c.rows {
        sections
            .entry(row.kind.section())
            .or_default()
            .insert(row.name.clone(), row_json(row));
    }
    let mut v = json!({
        "file": c.file,
        "flow": c.flow,
        "started": c.started,
        "duration_s": round3(c.duration_s),
        "method": {
            "test": "two-sample Kolmogorov–Smirnov on the HDR histograms",
            "alpha": super::baseline::ALPHA,
            "percentile_interval": 0.999,
            "min_change_ratio": super::baseline::MIN_CHANGE_RATIO,
            "min_change_ms": super::baseline::MIN_CHANGE_MS,
            "min_values_beyond": super::baseline::MIN_BEYOND,
        },
        "requests": row_json(&c.all),
        "lag_p99_ms": { "baseline": c.lag_p99_ms.0, "now": c.lag_p99_ms.1 },
        "busier_load_machine": c.busier_load_machine(),
        "warnings": c.warnings(),
        "regressed": c.regressed().next().is_some(),
    });
    for (name, rows) in sections {
        v[name] = Value::Object(rows);
    }
    v
}

/// The table's five latency columns of `h`: p50, p90, p95, p99 and max, in ms.
fn latency_columns(h: &Latency) -> String {
    let ms = |v: f64| ms_or_dash(h, v, 3);
    format!(
        "{:>9} {:>9} {:>9} {:>9} {:>9}",
        ms(h.percentile_ms(50.0)),
        ms(h.percentile_ms(90.0)),
        ms(h.percentile_ms(95.0)),
        ms(h.percentile_ms(99.0)),
        ms(h.max_ms())
    )
}

/// A figure of `h` in ms with `decimals` places, or a dash when `h` holds nothing: an operation
/// whose every request was interrupted has no latency, not one of 0 ms.
pub fn ms_or_dash(h: &Latency, ms: f64, decimals: usize) -> String {
    if h.count() == 0 {
        "-".to_string()
    } else {
        format!("{ms:.decimals$}")
    }
}

/// A rate of iterations for people, rounded to three decimals: `50/s`, `2.5/s`; below one a
/// second and a whole number a minute, per minute as `--rate 2/m` gives it: `2/m`.
pub fn rate_text(per_s: f64) -> String {
    let per_m = per_s * 60.0;
    if per_s < 1.0 && per_s > 0.0 && (per_m - per_m.round()).abs() < 1e-9 {
        return format!("{}/m", per_m.round());
    }
    let rounded = format!("{per_s:.3}");
    format!("{}/s", rounded.trim_end_matches('0').trim_end_matches('.'))
}

/// The test's shape for people: `ramp-up 10 s`, or the stages as given
/// (`stages 5s:20 5s:20 5s:0`, `stages 1m:50/s 1m:0/s`).
pub fn shape_text(r: &Results) -> String {
    // `--ramp-up R --duration D` is the stages R:N and (D − R):N.
    let constant = match r.stages.as_slice() {
        [] => true,
        [ramp, rest] => {
            ramp.target == rest.target && (ramp.duration.as_secs_f64() - r.ramp_up_s).abs() < 1e-9
        }
        _ => false,
    };
    if constant {
        return format!("ramp-up {:.0} s", r.ramp_up_s);
    }
    let stages: Vec<String> = r
        .stages
        .iter()
        .map(|s| {
            let target = match r.rate {
                Some(_) => rate_text(s.target),
                None => s.target.to_string(),
            };
            format!("{}s:{target}", s.duration.as_secs_f64())
        })
        .collect();
    format!("stages {}", stages.join(" "))
}

/// What happened after the end: the grace period, the requests sent in it (not in the figures) and
/// the iterations it cut; then, when stages lower the agents, the iterations that the graceful
/// ramp-down cut as their agents left, counted apart.
pub fn graceful_text(r: &Results) -> String {
    let a = &r.after_end;
    let mut text = format!(
        "graceful stop {} s: {} requests sent after the end (not in the figures",
        r.graceful_stop_s,
        thousands(a.requests)
    );
    if a.not_ok + a.errors > 0 {
        let _ = write!(
            text,
            "; {} without an answer, {} with a code other than 100",
            thousands(a.errors),
            thousands(a.not_ok)
        );
    }
    let _ = write!(
        text,
        "), {} interrupted at its end",
        counted(
            r.iterations
                .interrupted
                .saturating_sub(r.iterations.ramped_down),
            "iteration",
            "iterations"
        )
    );
    // Agents leave before the end only in the closed model, at a stage lower than the last.
    let lowers = r.rate.is_none() && r.stages.windows(2).any(|w| w[1].target < w[0].target);
    if lowers || r.iterations.ramped_down > 0 {
        let _ = write!(
            text,
            "; graceful ramp-down {} s: {} interrupted as {} left",
            r.graceful_ramp_down_s,
            counted(r.iterations.ramped_down, "iteration", "iterations"),
            if r.iterations.ramped_down == 1 {
                "its agent"
            } else {
                "their agents"
            }
        );
    }
    text
}

/// A word for a run stopped from outside (SIGINT, SIGTERM) before its time: its thresholds were
/// judged on part of the run, so it is no pass whatever they say (k6 likewise fails an aborted
/// run). `None` when the run went its course.
pub fn stopped_early(r: &Results) -> Option<String> {
    r.stopped_by.as_ref().map(|signal| {
        format!(
            "stopped by {signal} after {:.1} s: the run did not complete, so it does not pass \
             (thresholds judged on the part that ran)",
            r.duration_s
        )
    })
}

/// Whether the run passes: it went its course and every threshold holds.
pub fn passed(r: &Results, verdicts: &[Verdict]) -> bool {
    r.stopped_by.is_none() && verdicts.iter().all(|v| v.pass)
}

/// A word for a run whose iterations failed while no threshold looks at failures: k6's model
/// lets such a run pass, and a user reading "every threshold holds" must not miss it.
pub fn unchecked_failures(r: &Results, verdicts: &[Verdict]) -> Option<String> {
    let it = &r.iterations;
    let checked = verdicts
        .iter()
        .any(|v| v.threshold.trim_start().starts_with("failed"));
    let total = it.completed + it.failed;
    if it.failed == 0 || checked || total == 0 {
        return None;
    }
    Some(format!(
        "{} of {} iterations failed ({:.1} %) and no threshold checks that: add --threshold \
         'failed<1%' to make failures fail the run",
        it.failed,
        total,
        it.failed as f64 * 100.0 / total as f64
    ))
}

/// A histogram's figures in ms; `null` each when it holds nothing (no answer to time), so that a
/// reader does not take an absence for 0 ms.
fn figures(h: &Latency) -> Value {
    let mut m = Map::new();
    if h.count() == 0 {
        for name in ["min", "mean", "p50", "p90", "p95", "p99", "max"] {
            m.insert(name.into(), Value::Null);
        }
        return Value::Object(m);
    }
    m.insert("min".into(), json!(h.min_ms()));
    m.insert("mean".into(), json!(round3(h.mean_ms())));
    for (p, name) in PERCENTILES {
        m.insert(name.into(), json!(h.percentile_ms(p)));
    }
    m.insert("max".into(), json!(h.max_ms()));
    Value::Object(m)
}

fn round3(v: f64) -> f64 {
    (v * 1000.0).round() / 1000.0
}

fn op_json(s: &OpStats, r: &Results) -> Value {
    json!({
        "count": s.count,
        "rate": round3(r.rate_of(s.count)),
        "errors": s.error_count(),
        "not_ok": s.not_ok_count(),
        "latency_ms": figures(&s.latency),
        "service_ms": figures(&s.service),
        "codes": s.codes.iter().map(|(c, n)| (c.to_string(), json!(n))).collect::<Map<_, _>>(),
        "errors_by_kind": s.errors,
        "latency_histogram": s.latency.to_base64(),
        "service_histogram": s.service.to_base64(),
    })
}

fn tx_json(t: &TxStats, r: &Results) -> Value {
    json!({
        "count": t.count,
        "rate": round3(r.rate_of(t.count)),
        "failed": t.failed,
        "interrupted": t.interrupted,
        "duration_ms": figures(&t.duration),
        "response_time_ms": figures(&t.response_time),
        "duration_histogram": t.duration.to_base64(),
        "response_time_histogram": t.response_time.to_base64(),
    })
}

fn second_json(s: &Second) -> Value {
    json!({
        "t": s.t,
        "requests": s.requests,
        "not_ok": s.not_ok,
        "errors": s.errors,
        "iterations": s.iterations,
        "failed": s.failed,
        "active": s.active,
        "interrupted_requests": s.interrupted_requests,
        "p50": s.latency.percentile_ms(50.0),
        "p95": s.latency.percentile_ms(95.0),
        "p99": s.latency.percentile_ms(99.0),
        "max": s.latency.max_ms(),
        "histogram": s.latency.to_base64(),
        "operations": s.operations.iter().map(|(n, h)| (n.clone(), json!(h.to_base64()))).collect::<Map<_, _>>(),
        "started": s.started,
        "interrupted": s.interrupted,
        "agents": s.agents,
        "target": s.target.map(round3),
        "due": s.due,
        "transactions": s.transactions.iter().map(|(name, t)| (name.clone(), json!({
            "count": t.count,
            "failed": t.failed,
            "p50": t.duration.percentile_ms(50.0),
            "p95": t.duration.percentile_ms(95.0),
            "p99": t.duration.percentile_ms(99.0),
            "max": t.duration.max_ms(),
            "histogram": t.duration.to_base64(),
        }))).collect::<Map<_, _>>(),
    })
}

/// The JSON summary: every figure, the histograms, the timeline and the verdicts.
pub fn to_json(r: &Results, verdicts: &[Verdict]) -> Value {
    let it = &r.iterations;
    let all = r.overall();
    json!({
        "format": FORMAT,
        "flow": r.flow,
        "backend": r.backend,
        "started": r.started,
        "duration_s": round3(r.duration_s),
        "agents": r.agents,
        "model": r.model_name(),
        "rate": r.rate,
        "ramp_up_s": r.ramp_up_s,
        "stages": r.stages.iter().map(|s| json!({
            "duration_s": s.duration.as_secs_f64(),
            "target": s.target,
        })).collect::<Vec<_>>(),
        "graceful_stop_s": r.graceful_stop_s,
        "graceful_ramp_down_s": r.graceful_ramp_down_s,
        "stopped_by": r.stopped_by,
        "processes": r.processes,
        "runs": r.runs,
        "after_end": {
            "requests": r.after_end.requests,
            "not_ok": r.after_end.not_ok,
            "errors": r.after_end.errors,
        },
        "iterations": {
            "completed": it.completed,
            "failed": it.failed,
            "interrupted": it.interrupted,
            "interrupted_at_ramp_down": it.ramped_down,
            "missed": it.missed,
            "waited": it.waited,
            "rate": round3(r.rate_of(it.completed + it.failed)),
            "failures": it.failures,
            "duration_ms": figures(&it.duration),
            "duration_histogram": it.duration.to_base64(),
        },
        "requests": op_json(&all, r),
        "operations": r.operations.iter().map(|(n, s)| (n.clone(), op_json(s, r))).collect::<Map<_, _>>(),
        "transactions": r.transactions.iter().map(|(n, t)| (n.clone(), tx_json(t, r))).collect::<Map<_, _>>(),
        "lag": {
            "ms": figures(&r.lag),
            "late": r.late(),
            "late_over_ms": LATE_US / 1000,
            "histogram": r.lag.to_base64(),
        },
        "timeline": r.timeline.iter().map(second_json).collect::<Vec<_>>(),
        "thresholds": verdicts.iter().map(|v| json!({
            "threshold": v.threshold,
            "value": v.actual,
            "shown": v.shown,
            "pass": v.pass,
        })).collect::<Vec<_>>(),
        "passed": passed(r, verdicts),
    })
}

/// Reads a JSON summary back into results (for `--merge`); the error names the field at fault.
pub fn from_json(v: &Value) -> Result<Results, String> {
    let format = v.get("format").and_then(Value::as_str);
    let family = FORMAT.trim_end_matches(|c: char| c.is_ascii_digit());
    if let Some(version) = format.and_then(|f| f.strip_prefix(family)) {
        if format != Some(FORMAT) {
            return Err(format!(
                "an ecapi load summary of format version {version}; this ecapi reads version {} \
                 (\"format\": \"{FORMAT}\")",
                &FORMAT[family.len()..]
            ));
        }
    }
    if format != Some(FORMAT) {
        return Err(format!(
            "not an ecapi load summary (its \"format\" is {}, expected \"{FORMAT}\")",
            format.map_or("missing".to_string(), |f| format!("\"{f}\""))
        ));
    }
    let mut r = Results::new(text(v, "flow")?, text(v, "backend")?);
    r.started = text(v, "started")?;
    r.duration_s = float(v, "duration_s")?;
    r.agents = count(v, "agents")?;
    r.rate = v.get("rate").and_then(Value::as_f64);
    r.ramp_up_s = float(v, "ramp_up_s")?;
    r.processes = count(v, "processes")?;
    // Written since the graceful stop came; older summaries lack them.
    if v.get("graceful_stop_s").is_some() {
        r.graceful_stop_s = float(v, "graceful_stop_s")?;
    }
    if v.get("graceful_ramp_down_s").is_some() {
        r.graceful_ramp_down_s = float(v, "graceful_ramp_down_s")?;
    }
    r.stopped_by = v
        .get("stopped_by")
        .and_then(Value::as_str)
        .map(str::to_string);
    r.runs = match v.get("runs") {
        Some(runs) => {
            let runs = runs.as_array().ok_or("\"runs\" is not an array")?;
            if runs.len() as u64 != r.processes {
                return Err(format!(
                    "\"runs\" lists {} runs, but \"processes\" says {}",
                    runs.len(),
                    r.processes
                ));
            }
            runs.iter()
                .map(|id| {
                    id.as_str()
                        .map(str::to_string)
                        .ok_or_else(|| "\"runs\" holds something other than an id".to_string())
                })
                .collect::<Result<_, _>>()?
        }
        // A summary from before run ids: one made up of its content, so that the same
        // summary twice is still recognised.
        None => vec![format!("{:016x}", fingerprint(v))],
    };
    if let Some(after) = v.get("after_end") {
        r.after_end = AfterEnd {
            requests: count(after, "requests").map_err(|e| format!("after_end: {e}"))?,
            not_ok: count(after, "not_ok").map_err(|e| format!("after_end: {e}"))?,
            errors: count(after, "errors").map_err(|e| format!("after_end: {e}"))?,
        };
    }
    let it = field(v, "iterations")?;
    r.iterations = Iterations {
        completed: count(it, "completed")?,
        failed: count(it, "failed")?,
        interrupted: count(it, "interrupted")?,
        // Written since ramp-down interruptions were counted apart; older summaries lack it.
        ramped_down: optional_count(it, "interrupted_at_ramp_down")?,
        missed: count(it, "missed")?,
        waited: count(it, "waited")?,
        failures: counts(it, "failures")?,
        duration: histogram(it, "duration_histogram", TOTAL_FIGURES)?,
    };
    if r.iterations.failures.len() > FAILURE_KINDS + 1 {
        return Err(format!(
            "\"iterations.failures\" has {} kinds; a summary keeps at most {}",
            r.iterations.failures.len(),
            FAILURE_KINDS + 1
        ));
    }
    let ops = field(v, "operations")?
        .as_object()
        .ok_or("\"operations\" is not an object")?;
    for (name, op) in ops {
        let at = |e: String| format!("operations.{name}: {e}");
        if Operation::lookup(name).map(Operation::name) != Some(name.as_str()) {
            return Err(at("not an operation of the Web API".to_string()));
        }
        let codes = counts(op, "codes")
            .map_err(at)?
            .into_iter()
            .map(|(c, n)| {
                c.parse::<u16>()
                    .map(|c| (c, n))
                    .map_err(|_| at(format!("codes: `{c}` is not a response code")))
            })
            .collect::<Result<_, _>>()?;
        r.operations.insert(
            name.clone(),
            OpStats {
                count: count(op, "count").map_err(at)?,
                codes,
                errors: counts(op, "errors_by_kind").map_err(at)?,
                latency: histogram(op, "latency_histogram", TOTAL_FIGURES).map_err(at)?,
                service: histogram(op, "service_histogram", TOTAL_FIGURES).map_err(at)?,
            },
        );
    }
    // Written since transactions came; older summaries lack them.
    if let Some(txs) = v.get("transactions") {
        let txs = txs.as_object().ok_or("\"transactions\" is not an object")?;
        if txs.len() > TRANSACTION_NAMES + 1 {
            return Err(format!(
                "\"transactions\" has {} names; a summary keeps at most {}",
                txs.len(),
                TRANSACTION_NAMES + 1
            ));
        }
        for (name, t) in txs {
            let at = |e: String| format!("transactions.{name}: {e}");
            r.transactions.insert(
                name.clone(),
                TxStats {
                    count: count(t, "count").map_err(at)?,
                    failed: count(t, "failed").map_err(at)?,
                    interrupted: count(t, "interrupted").map_err(at)?,
                    duration: histogram(t, "duration_histogram", TOTAL_FIGURES).map_err(at)?,
                    response_time: histogram(t, "response_time_histogram", TOTAL_FIGURES)
                        .map_err(at)?,
                },
            );
        }
    }
    if let Some(stages) = v.get("stages") {
        let stages = stages.as_array().ok_or("\"stages\" is not an array")?;
        for (i, s) in stages.iter().enumerate() {
            let at = |e: String| format!("stages[{i}]: {e}");
            let secs = float(s, "duration_s").map_err(at)?;
            let target = float(s, "target").map_err(at)?;
            let fits = (0.0..=MAX_SECONDS as f64).contains(&secs) && (0.0..1e9).contains(&target);
            if !fits {
                return Err(at("a duration or target out of range".to_string()));
            }
            r.stages.push(Stage {
                duration: std::time::Duration::from_secs_f64(secs),
                target,
            });
        }
    }
    r.lag =
        histogram(field(v, "lag")?, "histogram", TOTAL_FIGURES).map_err(|e| format!("lag: {e}"))?;
    let timeline = field(v, "timeline")?
        .as_array()
        .ok_or("\"timeline\" is not an array")?;
    let mut last_t = None;
    for (i, s) in timeline.iter().enumerate() {
        let at = |e: String| format!("timeline[{i}]: {e}");
        let t = count(s, "t").map_err(at)?;
        if last_t.is_some_and(|last| t <= last) || t > MAX_SECONDS {
            return Err(at(format!(
                "\"t\" {t} is out of order or past {MAX_SECONDS} s"
            )));
        }
        last_t = Some(t);
        r.timeline.push(Second {
            t,
            requests: count(s, "requests").map_err(at)?,
            not_ok: count(s, "not_ok").map_err(at)?,
            errors: count(s, "errors").map_err(at)?,
            iterations: count(s, "iterations").map_err(at)?,
            failed: count(s, "failed").map_err(at)?,
            active: count(s, "active").map_err(at)?,
            // Written since the report's charts per operation came; older summaries lack them.
            interrupted_requests: optional_count(s, "interrupted_requests").map_err(at)?,
            latency: histogram(s, "histogram", SECOND_FIGURES).map_err(at)?,
            operations: match s.get("operations") {
                Some(ops) => second_operations(ops).map_err(at)?,
                None => BTreeMap::new(),
            },
            started: optional_count(s, "started").map_err(at)?,
            interrupted: optional_count(s, "interrupted").map_err(at)?,
            agents: optional_count(s, "agents").map_err(at)?,
            joined: 0,
            left: 0,
            target: s.get("target").and_then(Value::as_f64),
            due: s.get("due").and_then(Value::as_u64),
            transactions: second_transactions(s).map_err(at)?,
        });
    }
    r.check_totals()?;
    Ok(r)
}

/// A second's histograms per operation, each checked as the totals' are.
fn second_operations(ops: &Value) -> Result<BTreeMap<String, Latency>, String> {
    let ops = ops.as_object().ok_or("\"operations\" is not an object")?;
    ops.iter()
        .map(|(name, h)| {
            if Operation::lookup(name).map(Operation::name) != Some(name.as_str()) {
                return Err(format!(
                    "operations.{name}: not an operation of the Web API"
                ));
            }
            let text = h
                .as_str()
                .ok_or_else(|| format!("operations.{name}: not a string"))?;
            Latency::from_base64(text, OPERATION_SECOND_FIGURES)
                .map(|l| (name.clone(), l))
                .map_err(|e| format!("operations.{name}: {e}"))
        })
        .collect()
}

fn field<'a>(v: &'a Value, name: &str) -> Result<&'a Value, String> {
    v.get(name).ok_or_else(|| format!("\"{name}\" is missing"))
}

fn text(v: &Value, name: &str) -> Result<String, String> {
    field(v, name)?
        .as_str()
        .map(str::to_string)
        .ok_or_else(|| format!("\"{name}\" is not a string"))
}

fn float(v: &Value, name: &str) -> Result<f64, String> {
    field(v, name)?
        .as_f64()
        .ok_or_else(|| format!("\"{name}\" is not a number"))
}

fn count(v: &Value, name: &str) -> Result<u64, String> {
    field(v, name)?
        .as_u64()
        .ok_or_else(|| format!("\"{name}\" is not a whole number"))
}

/// A count written since a later version: 0 when absent.
fn optional_count(v: &Value, name: &str) -> Result<u64, String> {
    match v.get(name) {
        None => Ok(0),
        Some(_) => count(v, name),
    }
}

/// A second's transactions (absent in older summaries).
fn second_transactions(s: &Value) -> Result<BTreeMap<String, TxSecond>, String> {
    let Some(txs) = s.get("transactions") else {
        return Ok(BTreeMap::new());
    };
    let txs = txs.as_object().ok_or("\"transactions\" is not an object")?;
    if txs.len() > TRANSACTION_NAMES + 1 {
        return Err(format!(
            "\"transactions\" has {} names; a summary keeps at most {}",
            txs.len(),
            TRANSACTION_NAMES + 1
        ));
    }
    txs.iter()
        .map(|(name, t)| {
            let at = |e: String| format!("transactions.{name}: {e}");
            Ok((
                name.clone(),
                TxSecond {
                    count: count(t, "count").map_err(at)?,
                    failed: count(t, "failed").map_err(at)?,
                    duration: histogram(t, "histogram", SECOND_FIGURES).map_err(at)?,
                },
            ))
        })
        .collect()
}

fn counts(v: &Value, name: &str) -> Result<BTreeMap<String, u64>, String> {
    let obj = field(v, name)?
        .as_object()
        .ok_or_else(|| format!("\"{name}\" is not an object"))?;
    obj.iter()
        .map(|(k, n)| {
            n.as_u64()
                .map(|n| (k.clone(), n))
                .ok_or_else(|| format!("\"{name}.{k}\" is not a whole number"))
        })
        .collect()
}

fn histogram(v: &Value, name: &str, figures: u8) -> Result<Latency, String> {
    let text = field(v, name)?
        .as_str()
        .ok_or_else(|| format!("\"{name}\" is not a string"))?;
    Latency::from_base64(text, figures).map_err(|e| format!("\"{name}\": {e}"))
}

/// A summary's fingerprint (FNV-1a of its JSON text), standing in for the run id that summaries
/// written before run ids lack.
fn fingerprint(v: &Value) -> u64 {
    v.to_string().bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::probe::{Event, Outcome};

    fn sample() -> Results {
        let mut r = Results::new("flow.rhai".into(), "embedded".into());
        r.duration_s = 2.0;
        r.agents = 3;
        let mut s = Second::new(0);
        for ms in 1..=100 {
            r.absorb(
                Event::Request {
                    op: Operation::PortStatus,
                    latency_us: ms * 1000,
                    service_us: ms * 1000,
                    outcome: Outcome::Code(if ms == 100 { 603 } else { 100 }),
                    at_ms: 0,
                    after_end: false,
                },
                &mut s,
            );
        }
        r.timeline.push(s);
        r
    }

    #[test]
    fn the_json_summary_reads_back_with_the_same_figures() {
        let r = sample();
        let json = to_json(&r, &[]);
        assert_eq!(json["operations"]["PortStatus"]["codes"]["603"], 1);
        assert_eq!(json["requests"]["not_ok"], 1);
        let back = from_json(&json).unwrap();
        assert_eq!(to_json(&back, &[]), json);
    }

    #[test]
    fn a_summary_from_before_stages_and_transactions_still_reads() {
        let mut json = to_json(&sample(), &[]);
        let old = json.as_object_mut().unwrap();
        for field in ["stages", "transactions", "graceful_ramp_down_s"] {
            old.remove(field);
        }
        for second in json["timeline"].as_array_mut().unwrap() {
            let second = second.as_object_mut().unwrap();
            for field in [
                "started",
                "interrupted",
                "agents",
                "target",
                "due",
                "transactions",
            ] {
                second.remove(field);
            }
        }
        let back = from_json(&json).unwrap();
        assert!(back.transactions.is_empty() && back.stages.is_empty());
        assert_eq!(back.timeline[0].requests, 100);
        assert_eq!(back.timeline[0].target, None);
    }

    #[test]
    fn transactions_and_stages_read_back_and_a_bad_one_is_named() {
        use crate::load::probe::TransactionEnd;
        let mut r = sample();
        r.stages = vec![Stage {
            duration: std::time::Duration::from_secs(2),
            target: 3.0,
        }];
        let mut s = Second::new(1);
        r.absorb(
            Event::Transaction {
                name: "payment/pause".into(),
                duration_us: 2_000,
                response_us: 1_000,
                end: TransactionEnd::Failed,
                at_ms: 1_000,
            },
            &mut s,
        );
        s.target = Some(3.0);
        r.timeline.push(s);
        let json = to_json(&r, &[]);
        assert_eq!(json["transactions"]["payment/pause"]["failed"], 1);
        assert_eq!(
            json["timeline"][1]["transactions"]["payment/pause"]["count"],
            1
        );
        let back = from_json(&json).unwrap();
        assert_eq!(to_json(&back, &[]), json);
        let mut bad = json.clone();
        bad["transactions"]["payment/pause"]["duration_histogram"] = json!(7);
        assert_eq!(
            from_json(&bad).unwrap_err(),
            "transactions.payment/pause: \"duration_histogram\" is not a string"
        );
    }

    #[test]
    fn a_file_that_is_no_summary_is_refused_by_name() {
        assert_eq!(
            from_json(&json!({"format": "k6"})).unwrap_err(),
            "not an ecapi load summary (its \"format\" is \"k6\", expected \"ecapi-load-summary/1\")"
        );
        let mut json = to_json(&sample(), &[]);
        json["operations"]["PortStatus"]["latency_histogram"] = json!("@@");
        assert!(from_json(&json)
            .unwrap_err()
            .starts_with("operations.PortStatus: \"latency_histogram\": not base64"));
    }

    #[test]
    fn a_summary_whose_totals_would_pass_the_largest_count_is_refused() {
        let mut json = to_json(&sample(), &[]);
        let op = json["operations"]["PortStatus"].clone();
        json["operations"]["InitStation"] = op;
        for name in ["PortStatus", "InitStation"] {
            json["operations"][name]["count"] = json!(u64::MAX / 2 + 1);
        }
        let err = from_json(&json).unwrap_err();
        assert!(
            err.starts_with("all operations' count: ") && err.ends_with("(adding PortStatus)"),
            "{err}"
        );
        // Unknown operations and duplicated seconds are refused too.
        let mut json = to_json(&sample(), &[]);
        json["operations"]["Bogus"] = json["operations"]["PortStatus"].clone();
        assert_eq!(
            from_json(&json).unwrap_err(),
            "operations.Bogus: not an operation of the Web API"
        );
        let mut json = to_json(&sample(), &[]);
        let second = json["timeline"][0].clone();
        json["timeline"].as_array_mut().unwrap().push(second);
        assert!(from_json(&json)
            .unwrap_err()
            .starts_with("timeline[1]: \"t\" 0 is out of order"));
    }

    #[test]
    fn an_operation_whose_requests_were_all_interrupted_shows_no_latency() {
        let mut r = Results::new("flow.rhai".into(), "x".into());
        r.absorb(
            Event::Request {
                op: Operation::StopRecording,
                latency_us: 0,
                service_us: 0,
                outcome: Outcome::Error(crate::load::probe::ErrorKind::Interrupted),
                at_ms: 0,
                after_end: false,
            },
            &mut Second::new(0),
        );
        let t = table(&r, &[]);
        let row = t.lines().find(|l| l.starts_with("StopRecording")).unwrap();
        let fields: Vec<&str> = row.split_whitespace().collect();
        assert_eq!(fields[3..8], ["-"; 5], "{row}");
        assert!(row.ends_with("interrupted×1"), "{row}");
        let json = to_json(&r, &[]);
        assert_eq!(
            json["operations"]["StopRecording"]["latency_ms"]["p99"],
            Value::Null
        );
        assert_eq!(json["operations"]["StopRecording"]["errors"], 1);
    }

    #[test]
    fn the_table_shows_each_operation_with_its_codes() {
        let t = table(&sample(), &[]);
        assert!(t.contains("requests: 100 (50.0/s), 0 without an answer, 1 answered with a code other than 100"), "{t}");
        let row = t.lines().find(|l| l.starts_with("PortStatus")).unwrap();
        assert!(row.ends_with("100×99 603×1"), "{row}");
    }
}
