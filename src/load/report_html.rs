//! `--report-html FILE`: one self-contained page (written by [`crate::page`]: inline CSS and SVG;
//! no script, no request of any kind) that shows a load test as the charts Gatling's report has:
//! for all requests and then for each operation (and every other kind of row), the response-time
//! distribution, percentiles over time (p50, p95, p99) and response time against load (p95 against
//! the agents active and against the responses per second); for the run, active agents, responses
//! per second and errors and interruptions, all on one time axis; then the tables. With
//! `--baseline` every distribution is drawn beside the baseline's and the comparison is a table.

use std::fmt::Write as _;

use super::baseline::{Comparison, Direction, Outcome, Presence, RowComparison};
use super::chart::{bar_chart, fmt_tick, Chart, Mark, Series, HALF, WIDE};
use super::histogram::{Latency, SECOND_FIGURES};
use super::results::{OpStats, Results, Row, RowKind, Second};
use super::summary::{change_text, ms_or_dash, PERCENTILES};
use super::threshold::Verdict;
use crate::page::{self, escape as esc};

const BLUE: &str = "#2b7bb9";
const ORANGE: &str = "#e08a1e";
const RED: &str = "#c0392b";
const GREEN: &str = "#27ae60";
const PURPLE: &str = "#8e44ad";
const GREY: &str = "#555555";

/// How many bars a distribution has, at most.
const BINS: usize = 40;

/// How many points a response-time-against-load line has, at most.
const LOAD_BINS: usize = 20;

/// A second's percentile, or NaN (drawn as a gap) when no request was answered in it: a second
/// without requests has no latency, not a latency of 0.
fn latency_or_gap(latency: Option<&Latency>, percentile: f64) -> f64 {
    match latency {
        Some(l) if l.count() > 0 => l.percentile_ms(percentile),
        _ => f64::NAN,
    }
}

/// The time axis every chart over time shares: from the start to the end of the last second.
fn time_range(r: &Results) -> (f64, f64) {
    let last = r.timeline.last().map_or(0.0, |s| s.t as f64 + 1.0);
    (0.0, r.duration_s.ceil().max(last).max(1.0))
}

/// Each second's figures sit at its middle.
fn at(s: &Second) -> f64 {
    s.t as f64 + 0.5
}

/// The distribution of `now` (bars) and of `base` (a step line), in % of the timed requests
/// per bar; the last bar also holds the slowest 0.1 %, so one outlier does not squash the rest.
fn distribution(
    title: &str,
    kind: RowKind,
    now: &Latency,
    base: Option<&Latency>,
    width: f64,
) -> String {
    let (x_label, y_label) = match kind {
        RowKind::Operation => ("response time (ms)", "% of requests"),
        RowKind::Transaction => ("duration (ms)", "% of transactions"),
    };
    let timed: Vec<&Latency> = std::iter::once(now)
        .chain(base)
        .filter(|l| l.count() > 0)
        .collect();
    if timed.is_empty() {
        return Chart::new(title, x_label, y_label, (0.0, 1.0), width)
            .note("nothing was timed".to_string())
            .render();
    }
    let lo = timed.iter().map(|l| l.min_ms()).fold(f64::MAX, f64::min);
    let max = timed.iter().map(|l| l.max_ms()).fold(0.0, f64::max);
    // The bulk of both runs, with room: a few stalls must not squash it into one bar.
    let hi = timed
        .iter()
        .map(|l| l.percentile_ms(95.0))
        .fold(0.0, f64::max)
        * 1.5;
    let hi = hi.min(max);
    let (lo, hi) = if hi > lo { (lo, hi) } else { (lo, lo + 1.0) };
    let bins = if width < WIDE { BINS * 3 / 4 } else { BINS };
    let w = (hi - lo) / bins as f64;
    // Each bar's share, and the share past the axis (counted in the last bar).
    let shares = |l: &Latency| -> (Vec<(f64, f64)>, f64) {
        let mut counts = vec![0_u64; bins];
        let mut past = 0;
        for (us, n) in l.recorded() {
            let ms = us as f64 / 1000.0;
            if ms > hi {
                past += n;
            }
            let i = (((ms - lo) / w).floor().max(0.0) as usize).min(bins - 1);
            counts[i] += n;
        }
        let total = l.count().max(1) as f64;
        let bars = counts
            .iter()
            .enumerate()
            .map(|(i, n)| (lo + (i as f64 + 0.5) * w, *n as f64 * 100.0 / total))
            .collect();
        (bars, past as f64 * 100.0 / total)
    };
    let (bars, past) = shares(now);
    let mut chart = Chart::new(title, x_label, y_label, (lo, hi), width).with(Series::new(
        "this run",
        BLUE,
        Mark::Bars(w),
        bars,
    ));
    let mut beyond = Vec::new();
    if past > 0.0 {
        beyond.push(format!("{past:.1} % of this run"));
    }
    if let Some(base) = base.filter(|b| b.count() > 0) {
        let (bars, past) = shares(base);
        chart = chart.with(Series::new("baseline", ORANGE, Mark::Steps(w), bars));
        if past > 0.0 {
            beyond.push(format!("{past:.1} % of the baseline"));
        }
    }
    if !beyond.is_empty() {
        chart = chart.note(format!(
            "bars of {} ms; the last also holds everything slower, up to {max:.2} ms ({})",
            fmt_tick((w * 1000.0).round() / 1000.0),
            beyond.join(", ")
        ));
    }
    chart.render()
}

/// p50, p95 and p99 second by second of the latencies `pick` takes from each second.
fn percentiles_over_time<'a>(
    title: &str,
    r: &'a Results,
    pick: impl Fn(&'a Second) -> Option<&'a Latency>,
    width: f64,
) -> String {
    let mut chart = Chart::new(title, "seconds since the start", "ms", time_range(r), width);
    for (p, name, color) in [
        (50.0, "p50", BLUE),
        (95.0, "p95", ORANGE),
        (99.0, "p99", RED),
    ] {
        chart = chart.with(Series::new(
            name,
            color,
            Mark::Line,
            r.timeline
                .iter()
                .map(|s| (at(s), latency_or_gap(pick(s), p)))
                .collect(),
        ));
    }
    chart.render()
}

/// The p95 of the latencies `pick` takes from each second, against a measure of load in that
/// second: each second a faint dot; the line joins the p95 of the seconds grouped by load (their
/// histograms merged, exactly), in up to [`LOAD_BINS`] groups.
fn against_load<'a>(
    title: &str,
    x_label: &str,
    r: &'a Results,
    load: impl Fn(&Second) -> f64,
    pick: impl Fn(&'a Second) -> Option<&'a Latency>,
    width: f64,
) -> String {
    let seconds: Vec<(f64, &Latency)> = r
        .timeline
        .iter()
        .filter_map(|s| pick(s).filter(|l| l.count() > 0).map(|l| (load(s), l)))
        .collect();
    let x_max = r.timeline.iter().map(&load).fold(1.0, f64::max);
    let mut distinct: Vec<f64> = seconds.iter().map(|s| s.0).collect();
    distinct.sort_by(f64::total_cmp);
    distinct.dedup();
    // Few distinct loads (agents are whole): one group each; many (rates): equal widths.
    let group_of = |x: f64| -> usize {
        if distinct.len() <= LOAD_BINS {
            distinct.iter().position(|d| *d == x).unwrap_or(0)
        } else {
            ((x / x_max * LOAD_BINS as f64) as usize).min(LOAD_BINS - 1)
        }
    };
    let groups = distinct.len().min(LOAD_BINS);
    let mut merged: Vec<(f64, u64, Latency)> = (0..groups)
        .map(|_| (0.0, 0, Latency::new(SECOND_FIGURES)))
        .collect();
    for (x, l) in &seconds {
        let g = &mut merged[group_of(*x)];
        g.0 += x;
        g.1 += 1;
        g.2.add(l);
    }
    let line: Vec<(f64, f64)> = merged
        .iter()
        .filter(|g| g.1 > 0)
        .map(|(sum, n, l)| (sum / *n as f64, l.percentile_ms(95.0)))
        .collect();
    let dots: Vec<(f64, f64)> = seconds
        .iter()
        .map(|(x, l)| (*x, l.percentile_ms(95.0)))
        .collect();
    Chart::new(title, x_label, "p95 (ms)", (0.0, x_max), width)
        .with(Series::new("each second", ORANGE, Mark::Points, dots))
        .with(Series::new("p95 by load", RED, Mark::Line, line))
        .render()
}

/// A row's section id: its kind and name, every character but letters and digits as `-` (an id
/// holds no spaces, and a transaction's name may).
fn anchor(kind: RowKind, name: &str) -> String {
    let name: String = name
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    format!("{}-{name}", kind.word())
}

/// A row's charts: its distribution (with the baseline's), its percentiles over time, and its
/// response time against the agents active and against the responses per second.
fn row_section<'a>(
    r: &'a Results,
    kind: RowKind,
    name: &str,
    latency: &Latency,
    base: Option<&Latency>,
    heading: &str,
) -> String {
    let pick = move |s: &'a Second| s.latency_of(kind, name);
    // A transaction's figure is how long its block took.
    let what = match kind {
        RowKind::Operation => "response time",
        RowKind::Transaction => "duration",
    };
    let mut out = String::new();
    let _ = writeln!(
        out,
        "<section class=\"row\" id=\"{}\">{heading}<div class=\"pair\">{}{}</div><div class=\"pair\">{}{}</div></section>",
        anchor(kind, name),
        distribution(
            &format!("{name}: {what} distribution"),
            kind,
            latency,
            base,
            HALF
        ),
        percentiles_over_time(
            &format!("{name}: {what} percentiles over time"),
            r,
            pick,
            HALF
        ),
        against_load(
            &format!("{name}: p95 against active agents"),
            "agents running an iteration",
            r,
            |s| s.active as f64,
            pick,
            HALF
        ),
        against_load(
            &format!("{name}: p95 against responses per second"),
            "responses per second (all operations)",
            r,
            |s| s.requests as f64,
            pick,
            HALF
        ),
    );
    out
}

fn verdict_class(row: &RowComparison) -> &'static str {
    match row.outcome() {
        Outcome::Slower => "slower",
        Outcome::Faster => "faster",
        _ => "same",
    }
}

/// The comparison with the baseline: per row the baseline's figures, this run's and the change,
/// changes beyond noise marked.
fn comparison_table(c: &Comparison) -> String {
    let mut out = String::new();
    let _ = write!(
        out,
        "<h2 id=\"baseline\">Compared with the baseline</h2><p class=\"meta\">{} ({}, started {}, \
         {:.1} s). A change is marked when it is beyond noise: the two distributions differ \
         (two-sample Kolmogorov–Smirnov test on the exact histograms, α = {}), the percentile's \
         99.9 % confidence intervals in the two runs are apart, and it moved by at least {} % and \
         {} ms (marked *). A percentile with fewer than {} values beyond it in a run is not \
         judged (marked ?). The rate's change is shown, not judged.</p>",
        esc(&c.file),
        esc(&c.flow),
        esc(&c.started),
        c.duration_s,
        super::baseline::ALPHA,
        super::baseline::MIN_CHANGE_RATIO * 100.0,
        super::baseline::MIN_CHANGE_MS,
        super::baseline::MIN_BEYOND,
    );
    out.push_str(
        "<table class=\"compare\"><thead><tr><th>operation or transaction</th><th>verdict</th>",
    );
    for (_, name) in PERCENTILES {
        let _ = write!(out, "<th class=\"num\">{name} ms</th>");
    }
    out.push_str("<th class=\"num\">rate/s</th></tr></thead><tbody>");
    // Each cell: the baseline's figure → this run's, and the change under them.
    let cell = |class: &str, b: String, n: String, change: String, tip: String| {
        format!(
            "<td class=\"{class}\" title=\"{}\">{} → {}<br><span class=\"change\">{}</span></td>",
            esc(&tip),
            esc(&b),
            esc(&n),
            esc(&change)
        )
    };
    let ms = |v: Option<f64>| v.map_or("-".to_string(), |v| format!("{v:.3}"));
    for row in c.rows.iter().chain([&c.all]) {
        let _ = write!(
            out,
            "<tr><td>{}</td><td class=\"{}\">{}</td>",
            esc(&row.name),
            verdict_class(row),
            esc(row.verdict())
        );
        for (i, _) in PERCENTILES.iter().enumerate() {
            let b = ms(row.baseline.as_ref().and_then(|f| f.percentiles[i]));
            let n = ms(row.now.as_ref().and_then(|f| f.percentiles[i]));
            let html = match row.changes.get(i) {
                Some(ch) => cell(
                    match ch.beyond_noise {
                        Some(Direction::Slower) => "num slower",
                        Some(Direction::Faster) => "num faster",
                        None => "num",
                    },
                    b,
                    n,
                    format!(
                        "{}{}",
                        ch.ratio()
                            .map_or(format!("{:+.3} ms", ch.delta_ms()), change_text),
                        if ch.beyond_noise.is_some() {
                            " *"
                        } else if !ch.judged {
                            " ?"
                        } else {
                            ""
                        }
                    ),
                    format!(
                        "99.9 % intervals: baseline {:.3}–{:.3} ms, now {:.3}–{:.3} ms",
                        ch.baseline_interval_ms.0,
                        ch.baseline_interval_ms.1,
                        ch.now_interval_ms.0,
                        ch.now_interval_ms.1
                    ),
                ),
                None => cell("num", b, n, String::new(), String::new()),
            };
            out.push_str(&html);
        }
        let rate = |f: &Option<super::baseline::Figures>| {
            f.as_ref()
                .map_or("-".to_string(), |f| format!("{:.1}", f.rate))
        };
        out.push_str(&cell(
            "num",
            rate(&row.baseline),
            rate(&row.now),
            row.rate_ratio().map_or(String::new(), change_text),
            String::new(),
        ));
        out.push_str("</tr>");
    }
    out.push_str("</tbody></table>");
    for word in c.warnings() {
        let _ = write!(out, "<p class=\"fail\">{}</p>", esc(&word));
    }
    let regressed: Vec<&str> = c.regressed().map(|r| r.name.as_str()).collect();
    if regressed.is_empty() {
        out.push_str("<p class=\"pass\">nothing slower beyond noise</p>");
    } else {
        let _ = write!(
            out,
            "<p class=\"fail\">slower beyond noise: {}</p>",
            esc(&regressed.join(", "))
        );
    }
    out
}

/// The facts at the top: the test, its outcome and the thresholds' verdict.
fn header(r: &Results, verdicts: &[Verdict], all: &OpStats) -> String {
    let model = match r.rate {
        Some(rate) => format!(
            "open model, iterations at {}",
            super::summary::rate_text(rate)
        ),
        None => "closed model".to_string(),
    };
    let it = &r.iterations;
    let stopped = super::summary::stopped_early(r);
    let failed = verdicts.iter().filter(|v| !v.pass).count();
    let mut verdict_line = match &stopped {
        Some(word) => format!("<p class=\"fail\">{}</p>", esc(word)),
        None => String::new(),
    };
    if failed > 0 {
        let _ = write!(
            verdict_line,
            "<p class=\"fail\">{failed} of {} thresholds failed</p>",
            verdicts.len()
        );
    } else if !verdicts.is_empty() && stopped.is_none() {
        verdict_line.push_str("<p class=\"pass\">every threshold holds</p>");
    }
    if let Some(word) = super::summary::unchecked_failures(r, verdicts) {
        let _ = write!(verdict_line, "<p class=\"fail\">{}</p>", esc(&word));
    }
    let mut out = String::new();
    let _ = write!(
        out,
        "<header><h1>ecapi load: {}</h1>{verdict_line}\
         <p class=\"meta\">{}, {model}, {:.1} s ({}), started {}{}{}. Backend: {}.</p>\
         <ul class=\"facts\"><li><b>{}</b> requests ({:.1}/s)</li>\
         <li><b>{}</b> iterations completed, <b>{}</b> failed, <b>{}</b> interrupted</li>\
         <li>p95 <b>{:.2} ms</b>, p99 <b>{:.2} ms</b>, max {:.2} ms</li>\
         <li>{} without an answer, {} with a code other than 100</li>\
         <li>generator lag p99 {:.2} ms ({} started late)</li><li>{}</li></ul></header>",
        esc(&r.flow),
        super::summary::counted(r.agents, "agent", "agents"),
        r.duration_s,
        esc(&super::summary::shape_text(r)),
        esc(&r.started),
        match &r.stopped_by {
            Some(signal) => format!(", stopped by {}", esc(signal)),
            None => String::new(),
        },
        if r.processes > 1 {
            format!(", {} processes merged", r.processes)
        } else {
            String::new()
        },
        esc(&r.backend),
        all.count,
        r.rate_of(all.count),
        it.completed,
        it.failed,
        it.interrupted,
        all.latency.percentile_ms(95.0),
        all.latency.percentile_ms(99.0),
        all.latency.max_ms(),
        all.error_count(),
        all.not_ok_count(),
        r.lag.percentile_ms(99.0),
        r.late(),
        esc(&super::summary::graceful_text(r)),
    );
    out
}

/// The run over time, on one time axis: active agents, responses per second, errors and
/// interruptions.
fn over_time(r: &Results) -> String {
    let range = time_range(r);
    let series = |f: &dyn Fn(&Second) -> f64| -> Vec<(f64, f64)> {
        r.timeline.iter().map(|s| (at(s), f(s))).collect()
    };
    let mut agents = Chart::new(
        "Active agents over time",
        "seconds since the start",
        "agents",
        range,
        WIDE,
    );
    if r.timeline.iter().any(|s| s.target.is_some()) {
        agents = agents.with(Series::new(
            "the stages' target",
            GREY,
            Mark::Line,
            series(&|s| s.target.unwrap_or(f64::NAN)),
        ));
    }
    if r.timeline.iter().any(|s| s.agents > 0) {
        agents = agents.with(Series::new(
            "agents in the test",
            BLUE,
            Mark::Line,
            series(&|s| s.agents as f64),
        ));
    }
    agents = agents.with(Series::new(
        "running an iteration",
        PURPLE,
        Mark::Line,
        series(&|s| s.active as f64),
    ));
    let mut per_second = Chart::new(
        "Responses and iterations per second over time",
        "seconds since the start",
        "per second",
        range,
        WIDE,
    )
    .with(Series::new(
        "responses",
        BLUE,
        Mark::Line,
        series(&|s| s.requests as f64),
    ));
    if r.timeline.iter().any(|s| s.due.is_some()) {
        per_second = per_second.with(Series::new(
            "iterations due",
            GREY,
            Mark::Line,
            series(&|s| s.due.map_or(f64::NAN, |d| d as f64)),
        ));
    }
    per_second = per_second
        .with(Series::new(
            "iterations started",
            ORANGE,
            Mark::Line,
            series(&|s| s.started as f64),
        ))
        .with(Series::new(
            "iterations ended",
            GREEN,
            Mark::Line,
            series(&|s| s.iterations as f64),
        ));
    let errors = Chart::new(
        "Errors and interruptions over time",
        "seconds since the start",
        "per second",
        range,
        WIDE,
    )
    .with(Series::new(
        "code not 100",
        ORANGE,
        Mark::Line,
        series(&|s| s.not_ok as f64),
    ))
    .with(Series::new(
        "no answer",
        RED,
        Mark::Line,
        series(&|s| s.errors.saturating_sub(s.interrupted_requests) as f64),
    ))
    .with(Series::new(
        "interrupted requests",
        GREY,
        Mark::Line,
        series(&|s| s.interrupted_requests as f64),
    ))
    .with(Series::new(
        "failed iterations",
        PURPLE,
        Mark::Line,
        series(&|s| s.failed as f64),
    ))
    .with(Series::new(
        "interrupted iterations",
        BLUE,
        Mark::Line,
        series(&|s| s.interrupted as f64),
    ));
    [agents, per_second, errors]
        .iter()
        .map(Chart::render)
        .collect()
}

/// The per-operation table.
fn operations_table(r: &Results, all: &OpStats) -> String {
    let mut body = String::from(
        "<h2>Operations</h2><table><thead><tr><th>operation</th><th class=\"num\">count</th><th class=\"num\">rate/s</th>",
    );
    for (_, name) in PERCENTILES {
        let _ = write!(body, "<th class=\"num\">{name} ms</th>");
    }
    body.push_str("<th class=\"num\">max ms</th><th>codes</th></tr></thead><tbody>");
    let mut rows: Vec<(&str, &OpStats)> =
        r.operations.iter().map(|(n, s)| (n.as_str(), s)).collect();
    rows.push(("all", all));
    for (name, s) in rows {
        let _ = write!(
            body,
            "<tr><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{:.1}</td>",
            esc(name),
            s.count,
            r.rate_of(s.count)
        );
        let ms = |v: f64| ms_or_dash(&s.latency, v, 2);
        for (p, _) in PERCENTILES {
            let _ = write!(
                body,
                "<td class=\"num\">{}</td>",
                ms(s.latency.percentile_ms(p))
            );
        }
        let mut codes: Vec<String> = s.codes.iter().map(|(c, n)| format!("{c}×{n}")).collect();
        codes.extend(s.errors.iter().map(|(k, n)| format!("{k}×{n}")));
        let _ = write!(
            body,
            "<td class=\"num\">{}</td><td>{}</td></tr>",
            ms(s.latency.max_ms()),
            esc(&codes.join(" "))
        );
    }
    body.push_str("</tbody></table>");
    body
}

/// The transactions' table: duration percentiles (the block's wall time), failures, and the time
/// of the requests inside added up (Gatling's cumulated response time).
fn transactions_table(r: &Results) -> String {
    let mut table = String::from(
        "<h2>Transactions</h2><p>Duration is the wall time of each transaction's block; in the \
         open model, how late its iteration started is added, as it is to the latency of every \
         request (counted from when it was due). Response time is the time of the requests inside \
         it added up.</p><table><thead><tr>\
         <th>transaction</th><th class=\"num\">count</th><th class=\"num\">rate/s</th>",
    );
    for (_, name) in PERCENTILES {
        let _ = write!(table, "<th class=\"num\">{name} ms</th>");
    }
    table.push_str(
        "<th class=\"num\">max ms</th><th class=\"num\">failed</th><th class=\"num\">response time p50 ms</th>\
         <th class=\"num\">response time p95 ms</th><th class=\"num\">interrupted</th></tr></thead><tbody>",
    );
    for (name, t) in &r.transactions {
        let ms = |h: &Latency, v: f64| ms_or_dash(h, v, 2);
        let _ = write!(
            table,
            "<tr><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{:.1}</td>",
            esc(name),
            t.count,
            r.rate_of(t.count)
        );
        for (p, _) in PERCENTILES {
            let _ = write!(
                table,
                "<td class=\"num\">{}</td>",
                ms(&t.duration, t.duration.percentile_ms(p))
            );
        }
        let _ = write!(
            table,
            "<td class=\"num\">{}</td><td class=\"num{}\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
            ms(&t.duration, t.duration.max_ms()),
            if t.failed > 0 { " fail" } else { "" },
            t.failed,
            ms(&t.response_time, t.response_time.percentile_ms(50.0)),
            ms(&t.response_time, t.response_time.percentile_ms(95.0)),
            t.interrupted
        );
    }
    table.push_str("</tbody></table>");
    table
}

/// The page. With `baseline`, the earlier run and the comparison with it.
pub fn render(
    r: &Results,
    verdicts: &[Verdict],
    baseline: Option<(&Results, &Comparison)>,
) -> String {
    let all = r.overall();
    let base_all = baseline.map(|(b, _)| b.overall());
    let mut body = header(r, verdicts, &all);
    body.push_str("<nav class=\"meta\">Charts: <a href=\"#all\">all requests</a>");
    for row in r.rows() {
        let _ = write!(
            body,
            " · <a href=\"#{}\">{}</a>",
            anchor(row.kind, row.name),
            esc(row.name)
        );
    }
    if baseline.is_some() {
        body.push_str(" · <a href=\"#baseline\">comparison with the baseline</a>");
    }
    body.push_str("</nav>");

    body.push_str("<h2 id=\"all\">All requests</h2>");
    let latency_title = if r.rate.is_some() {
        "Response time percentiles over time, from when each request was due"
    } else {
        "Response time percentiles over time"
    };
    body.push_str(&percentiles_over_time(
        latency_title,
        r,
        |s| Some(&s.latency),
        WIDE,
    ));
    body.push_str(&over_time(r));
    let _ = write!(
        body,
        "<div class=\"pair\">{}{}</div><div class=\"pair\">{}{}</div>",
        distribution(
            "Response time distribution",
            RowKind::Operation,
            &all.latency,
            base_all.as_ref().map(|b| &b.latency),
            HALF
        ),
        bar_chart_half(&all),
        against_load(
            "p95 against active agents",
            "agents running an iteration",
            r,
            |s| s.active as f64,
            |s| Some(&s.latency),
            HALF
        ),
        against_load(
            "p95 against responses per second",
            "responses per second",
            r,
            |s| s.requests as f64,
            |s| Some(&s.latency),
            HALF
        ),
    );

    body.push_str(&operations_table(r, &all));
    if !r.transactions.is_empty() {
        body.push_str(&transactions_table(r));
    }
    if let Some((_, c)) = baseline {
        body.push_str(&comparison_table(c));
    }
    if !verdicts.is_empty() {
        body.push_str("<h2>Thresholds</h2><table><tbody>");
        for v in verdicts {
            let _ = write!(
                body,
                "<tr><td class=\"{}\">{}</td><td>{}</td><td>{}</td></tr>",
                if v.pass { "pass" } else { "fail" },
                if v.pass { "pass" } else { "FAIL" },
                esc(&v.threshold),
                esc(&v.shown)
            );
        }
        body.push_str("</tbody></table>");
    }
    let it = &r.iterations;
    if !it.failures.is_empty() {
        body.push_str("<h2>Failed iterations</h2><table><tbody>");
        for (why, n) in &it.failures {
            let _ = write!(
                body,
                "<tr><td class=\"num\">{n}</td><td>{}</td></tr>",
                esc(why)
            );
        }
        body.push_str("</tbody></table>");
    }

    let mut kind = None;
    let base_rows: Vec<Row<'_>> = baseline.map(|(b, _)| b.rows()).unwrap_or_default();
    for row in r.rows() {
        if kind != Some(row.kind) {
            kind = Some(row.kind);
            let _ = write!(body, "<h2>Each {}</h2>", row.kind.word());
        }
        let compared = baseline.and_then(|(_, c)| {
            c.rows
                .iter()
                .find(|c| c.kind == row.kind && c.name == row.name)
        });
        let mark = match compared {
            Some(c) if c.presence == Presence::Both => format!(
                " <span class=\"{}\">{}</span>",
                verdict_class(c),
                match c.outcome() {
                    Outcome::Slower => "slower than the baseline",
                    Outcome::Faster => "faster than the baseline",
                    Outcome::NotTimed => "not timed in one run",
                    _ => "within noise of the baseline",
                }
            ),
            Some(c) => format!(" <span class=\"same\">{}</span>", c.presence.word()),
            None => String::new(),
        };
        let base = base_rows
            .iter()
            .find(|b| b.kind == row.kind && b.name == row.name)
            .map(|b| b.latency);
        body.push_str(&row_section(
            r,
            row.kind,
            row.name,
            row.latency,
            base,
            &format!("<h3>{}{mark}</h3>", esc(row.name)),
        ));
    }
    page::page(&format!("ecapi load: {}", r.flow), STYLE, &body, "")
}

/// The response codes and errors as bars (counts and shares).
fn bar_chart_half(all: &OpStats) -> String {
    let mut bars: Vec<(String, u64, &str)> = all
        .codes
        .iter()
        .map(|(c, n)| {
            let color = if *c == 100 { GREEN } else { ORANGE };
            (format!("code {c}"), *n, color)
        })
        .collect();
    bars.extend(
        all.errors
            .iter()
            .map(|(k, n)| (format!("error: {k}"), *n, RED)),
    );
    bar_chart("Response codes and errors", &bars, HALF)
}

const STYLE: &str = "figure{margin:12px 0}figcaption{font-weight:600;margin-bottom:4px}\
svg{width:100%;height:auto;background:#fcfcfc;border:1px solid #e4e4e4}\
.grid{stroke:#e8e8e8}.axis{stroke:#888}.tick,.legend{font-size:11px;fill:#444}.label{font-size:12px;fill:#333}\
.note{font-size:.8rem;color:#59636e;margin:2px 0}\
.pair{display:grid;grid-template-columns:1fr 1fr;gap:16px}\
@media (max-width:800px){.pair{grid-template-columns:1fr}}\
.pass{color:#1e8449;font-weight:600}.fail{color:#c0392b;font-weight:600}.facts li{margin:2px 0}\
.slower{color:#c0392b;font-weight:600}.faster{color:#1e8449;font-weight:600}.same{color:#59636e}\
table.compare td:nth-child(2){white-space:nowrap}.change{font-size:.8rem}section.row{border-top:1px solid #d0d7de;margin-top:1rem}";

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::Operation;
    use crate::load::probe::{Event, Outcome};

    fn run(ms: u64) -> Results {
        let mut r = Results::new("<flow>.rhai".into(), "embedded".into());
        r.duration_s = 3.0;
        for t in 0..3 {
            let mut s = Second::new(t);
            s.active = 2;
            for i in 0..50 {
                r.absorb(
                    Event::Request {
                        op: Operation::StartRecording,
                        latency_us: ms * 1000 + i * 10,
                        service_us: ms * 1000,
                        outcome: Outcome::Code(100),
                        at_ms: t * 1000,
                        after_end: false,
                    },
                    &mut s,
                );
            }
            r.timeline.push(s);
        }
        r
    }

    /// The title of every chart on a page, in order.
    fn titles(page: &str) -> Vec<String> {
        page.split("<svg")
            .skip(1)
            .map(|s| {
                let at = s.find("aria-label=\"").expect("a title") + 12;
                s[at..at + s[at..].find('"').unwrap()].to_string()
            })
            .collect()
    }

    #[test]
    fn the_page_is_self_contained_and_escapes_text() {
        let page = render(&run(5), &[], None);
        assert!(page.contains("&lt;flow&gt;.rhai"));
        assert!(!page.contains("<flow>"));
        assert!(!page
            .replace("http://www.w3.org/2000/svg", "")
            .contains("http://"));
        assert!(!page.contains("https://"));
        assert!(!page.contains("<script"));
    }

    #[test]
    fn transactions_have_a_table_of_their_own() {
        use crate::load::probe::{Event, TransactionEnd};
        let mut r = Results::new("f.rhai".into(), "embedded".into());
        r.duration_s = 1.0;
        let mut s = Second::new(0);
        r.absorb(
            Event::Transaction {
                name: "payment/<pause>".into(),
                duration_us: 12_000,
                response_us: 8_000,
                end: TransactionEnd::Failed,
                at_ms: 0,
            },
            &mut s,
        );
        r.timeline.push(s);
        let page = render(&r, &[], None);
        assert!(page.contains("<h2>Transactions</h2>"), "{page}");
        assert!(
            page.contains("<td>payment/&lt;pause&gt;</td><td class=\"num\">1</td>"),
            "{page}"
        );
        assert!(page.contains("<td class=\"num fail\">1</td>"), "{page}");
        assert!(!render(&Results::new("f".into(), "e".into()), &[], None).contains("Transactions"));
        // And charts of their own, as each operation has.
        assert!(
            titles(&page).contains(&"payment/&lt;pause&gt;: duration distribution".to_string()),
            "{:?}",
            titles(&page)
        );
        assert!(page.contains("<h2>Each transaction</h2>"));
    }

    #[test]
    fn the_page_has_each_chart_for_all_requests_and_for_each_operation() {
        let page = render(&run(5), &[], None);
        assert_eq!(
            titles(&page),
            [
                "Response time percentiles over time",
                "Active agents over time",
                "Responses and iterations per second over time",
                "Errors and interruptions over time",
                "Response time distribution",
                "Response codes and errors",
                "p95 against active agents",
                "p95 against responses per second",
                "StartRecording: response time distribution",
                "StartRecording: response time percentiles over time",
                "StartRecording: p95 against active agents",
                "StartRecording: p95 against responses per second",
            ]
        );
        // Each chart over time runs on the same axis, to the end of the test.
        assert_eq!(page.matches(">seconds since the start</text>").count(), 5);
    }

    #[test]
    fn with_a_baseline_each_distribution_shows_both_runs_and_the_comparison_is_a_table() {
        let (now, base) = (run(30), run(5));
        let c = Comparison::new("old.json", &now, &base);
        let page = render(&now, &[], Some((&base, &c)));
        let distribution = page
            .split("<figure>")
            .find(|f| f.contains("StartRecording: response time distribution"))
            .unwrap();
        assert!(
            distribution.contains(">this run</text>") && distribution.contains(">baseline</text>"),
            "{distribution}"
        );
        assert!(page.contains("<h2 id=\"baseline\">Compared with the baseline</h2>"));
        assert!(
            page.contains("slower beyond noise: StartRecording"),
            "{page}"
        );
        assert!(page.contains("<span class=\"slower\">slower than the baseline</span>"));
    }
}
