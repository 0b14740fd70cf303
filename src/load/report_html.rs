//! `--report-html FILE`: one self-contained page (inline CSS and SVG; no script, no CDN, no request
//! of any kind) that shows a load test as charts: latency percentiles over time, throughput over
//! time with the agents active, and the mix of response codes and errors; then the per-operation
//! table and the thresholds.

use std::fmt::Write as _;

use super::results::Results;
use super::summary::{ms_or_dash, PERCENTILES};
use super::threshold::Verdict;

const WIDTH: f64 = 860.0;
const HEIGHT: f64 = 260.0;
const LEFT: f64 = 64.0;
const RIGHT: f64 = 16.0;
const TOP: f64 = 16.0;
const BOTTOM: f64 = 40.0;

/// Escapes text for HTML and SVG.
fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A round step for about `ticks` ticks up to `max` (1, 2 or 5 times a power of ten).
fn nice_step(max: f64, ticks: f64) -> f64 {
    let raw = (max / ticks).max(f64::MIN_POSITIVE);
    let power = 10f64.powf(raw.log10().floor());
    let m = raw / power;
    let m = if m <= 1.0 {
        1.0
    } else if m <= 2.0 {
        2.0
    } else if m <= 5.0 {
        5.0
    } else {
        10.0
    };
    m * power
}

fn fmt_tick(v: f64) -> String {
    if v.fract() == 0.0 || v.abs() >= 10.0 {
        format!("{v:.0}")
    } else if v.abs() >= 1.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.3}")
            .trim_end_matches('0')
            .trim_end_matches('.')
            .to_string()
    }
}

/// One line series: name, colour, values (one per x).
struct Series<'a> {
    name: &'a str,
    color: &'a str,
    values: Vec<f64>,
}

/// A line chart over seconds, with axes, grid, tick labels and a legend.
/// A second's percentile, or NaN (drawn as a gap) when no request was answered in it: a second
/// without requests has no latency, not a latency of 0.
fn latency_or_gap(latency: &crate::load::histogram::Latency, percentile: f64) -> f64 {
    if latency.count() == 0 {
        f64::NAN
    } else {
        latency.percentile_ms(percentile)
    }
}

fn line_chart(title: &str, y_label: &str, xs: &[f64], series: &[Series<'_>]) -> String {
    let mut svg = String::new();
    let _ = write!(
        svg,
        "<figure><figcaption>{}</figcaption><svg viewBox=\"0 0 {WIDTH} {HEIGHT}\" role=\"img\" \
         aria-label=\"{}\" xmlns=\"http://www.w3.org/2000/svg\">",
        esc(title),
        esc(title)
    );
    let x_max = xs.iter().map(|x| x.ceil()).fold(1.0, f64::max);
    let y_max_data = series
        .iter()
        .flat_map(|s| s.values.iter().cloned())
        .filter(|v| v.is_finite())
        .fold(0.0, f64::max);
    let y_step = nice_step(if y_max_data > 0.0 { y_max_data } else { 1.0 }, 5.0);
    let y_max = (y_max_data / y_step).ceil().max(1.0) * y_step;
    let plot_w = WIDTH - LEFT - RIGHT;
    let plot_h = HEIGHT - TOP - BOTTOM;
    let px = |x: f64| LEFT + x / x_max * plot_w;
    let py = |y: f64| TOP + plot_h - y / y_max * plot_h;
    // Grid and y ticks.
    let mut y = 0.0;
    while y <= y_max + y_step / 2.0 {
        let _ = write!(
            svg,
            "<line class=\"grid\" x1=\"{LEFT}\" x2=\"{}\" y1=\"{:.1}\" y2=\"{:.1}\"/>\
             <text class=\"tick\" x=\"{}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>",
            WIDTH - RIGHT,
            py(y),
            py(y),
            LEFT - 6.0,
            py(y) + 4.0,
            fmt_tick(y)
        );
        y += y_step;
    }
    // X ticks.
    let x_step = nice_step(x_max, 8.0).max(1.0);
    let mut x = 0.0;
    while x <= x_max + x_step / 2.0 {
        let _ = write!(
            svg,
            "<text class=\"tick\" x=\"{:.1}\" y=\"{}\" text-anchor=\"middle\">{}</text>",
            px(x),
            HEIGHT - BOTTOM + 16.0,
            fmt_tick(x)
        );
        x += x_step;
    }
    let _ = write!(
        svg,
        "<line class=\"axis\" x1=\"{LEFT}\" x2=\"{LEFT}\" y1=\"{TOP}\" y2=\"{}\"/>\
         <line class=\"axis\" x1=\"{LEFT}\" x2=\"{}\" y1=\"{}\" y2=\"{}\"/>\
         <text class=\"label\" x=\"{}\" y=\"{}\" text-anchor=\"middle\">seconds since the start</text>\
         <text class=\"label\" x=\"14\" y=\"{}\" text-anchor=\"middle\" transform=\"rotate(-90 14 {})\">{}</text>",
        TOP + plot_h,
        WIDTH - RIGHT,
        TOP + plot_h,
        TOP + plot_h,
        LEFT + plot_w / 2.0,
        HEIGHT - 6.0,
        TOP + plot_h / 2.0,
        TOP + plot_h / 2.0,
        esc(y_label)
    );
    for s in series {
        // A second with no value (NaN: no request answered in it) is a gap, not a zero.
        let mut runs: Vec<Vec<(f64, f64)>> = vec![Vec::new()];
        for (x, y) in xs.iter().zip(&s.values) {
            if y.is_finite() {
                runs.last_mut()
                    .expect("one run at least")
                    .push((px(*x), py(*y)));
            } else if !runs.last().is_some_and(Vec::is_empty) {
                runs.push(Vec::new());
            }
        }
        for run in runs.iter().filter(|r| !r.is_empty()) {
            if let [(x, y)] = run.as_slice() {
                let _ = write!(
                    svg,
                    "<circle cx=\"{x:.1}\" cy=\"{y:.1}\" r=\"2\" fill=\"{}\"><title>{}</title></circle>",
                    s.color,
                    esc(s.name)
                );
                continue;
            }
            let points: Vec<String> = run.iter().map(|(x, y)| format!("{x:.1},{y:.1}")).collect();
            let _ = write!(
                svg,
                "<polyline fill=\"none\" stroke=\"{}\" stroke-width=\"2\" points=\"{}\"><title>{}</title></polyline>",
                s.color,
                points.join(" "),
                esc(s.name)
            );
        }
    }
    // Legend, top right.
    let mut lx = WIDTH - RIGHT - 8.0;
    for s in series.iter().rev() {
        let w = 16.0 + 7.0 * s.name.chars().count() as f64 + 14.0;
        lx -= w;
        let _ = write!(
            svg,
            "<rect x=\"{:.1}\" y=\"{}\" width=\"12\" height=\"4\" fill=\"{}\"/>\
             <text class=\"legend\" x=\"{:.1}\" y=\"{}\">{}</text>",
            lx,
            TOP + 2.0,
            s.color,
            lx + 16.0,
            TOP + 8.0,
            esc(s.name)
        );
    }
    svg.push_str("</svg></figure>\n");
    svg
}

/// Horizontal bars: label, count, colour.
fn bar_chart(title: &str, bars: &[(String, u64, &str)]) -> String {
    let row = 26.0;
    let height = TOP + row * bars.len().max(1) as f64 + 8.0;
    let label_w = 190.0;
    let plot_w = WIDTH - label_w - 140.0;
    let total: u64 = bars.iter().map(|b| b.1).sum();
    let max = bars.iter().map(|b| b.1).max().unwrap_or(0).max(1) as f64;
    let mut svg = String::new();
    let _ = write!(
        svg,
        "<figure><figcaption>{}</figcaption><svg viewBox=\"0 0 {WIDTH} {height}\" role=\"img\" \
         aria-label=\"{}\" xmlns=\"http://www.w3.org/2000/svg\">",
        esc(title),
        esc(title)
    );
    if bars.is_empty() {
        let _ = write!(
            svg,
            "<text class=\"label\" x=\"{LEFT}\" y=\"{}\">no requests</text>",
            TOP + 14.0
        );
    }
    for (i, (label, n, color)) in bars.iter().enumerate() {
        let y = TOP + row * i as f64;
        let w = (*n as f64 / max * plot_w).max(1.0);
        let share = if total > 0 {
            *n as f64 * 100.0 / total as f64
        } else {
            0.0
        };
        let _ = write!(
            svg,
            "<text class=\"label\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>\
             <rect x=\"{label_w}\" y=\"{:.1}\" width=\"{w:.1}\" height=\"18\" fill=\"{color}\"><title>{}: {n}</title></rect>\
             <text class=\"tick\" x=\"{:.1}\" y=\"{:.1}\">{n} ({share:.1} %)</text>",
            label_w - 8.0,
            y + 13.0,
            esc(label),
            y,
            esc(label),
            label_w + w + 6.0,
            y + 13.0,
        );
    }
    svg.push_str("</svg></figure>\n");
    svg
}

/// The page.
pub fn render(r: &Results, verdicts: &[Verdict]) -> String {
    // Each second's figures sit at its middle; the axis runs to the end of the last second.
    let xs: Vec<f64> = r.timeline.iter().map(|s| s.t as f64 + 0.5).collect();
    let mut body = String::new();
    let model = match r.rate {
        Some(rate) => format!("open model, {rate} iterations/s"),
        None => "closed model".to_string(),
    };
    let all = r.overall();
    let it = &r.iterations;
    let verdict_line = if verdicts.is_empty() {
        String::new()
    } else if verdicts.iter().all(|v| v.pass) {
        "<p class=\"pass\">every threshold holds</p>".to_string()
    } else {
        format!(
            "<p class=\"fail\">{} of {} thresholds failed</p>",
            verdicts.iter().filter(|v| !v.pass).count(),
            verdicts.len()
        )
    };
    let verdict_line = match super::summary::unchecked_failures(r, verdicts) {
        Some(word) => format!("{verdict_line}<p class=\"fail\">{}</p>", esc(&word)),
        None => verdict_line,
    };
    let _ = write!(
        body,
        "<h1>ecapi load: {}</h1>{verdict_line}\
         <p>{} agents, {model}, {:.1} s ({}), started {}{}{}. Backend: {}.</p>\
         <ul class=\"facts\"><li><b>{}</b> requests ({:.1}/s)</li>\
         <li><b>{}</b> iterations completed, <b>{}</b> failed, <b>{}</b> interrupted</li>\
         <li>p95 <b>{:.2} ms</b>, p99 <b>{:.2} ms</b>, max {:.2} ms</li>\
         <li>{} without an answer, {} with a code other than 100</li>\
         <li>generator lag p99 {:.2} ms ({} started late)</li><li>{}</li></ul>",
        esc(&r.flow),
        r.agents,
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
    let latency_title = if r.rate.is_some() {
        "Latency over time, from when each request was due (ms)"
    } else {
        "Latency over time (ms)"
    };
    body.push_str(&line_chart(
        latency_title,
        "ms",
        &xs,
        &[
            Series {
                name: "p50",
                color: "#2b7bb9",
                values: r
                    .timeline
                    .iter()
                    .map(|s| latency_or_gap(&s.latency, 50.0))
                    .collect(),
            },
            Series {
                name: "p95",
                color: "#e08a1e",
                values: r
                    .timeline
                    .iter()
                    .map(|s| latency_or_gap(&s.latency, 95.0))
                    .collect(),
            },
            Series {
                name: "p99",
                color: "#c0392b",
                values: r
                    .timeline
                    .iter()
                    .map(|s| latency_or_gap(&s.latency, 99.0))
                    .collect(),
            },
        ],
    ));
    body.push_str(&line_chart(
        "Throughput over time (per second)",
        "per second",
        &xs,
        &[
            Series {
                name: "requests",
                color: "#2b7bb9",
                values: r.timeline.iter().map(|s| s.requests as f64).collect(),
            },
            Series {
                name: "code not 100",
                color: "#e08a1e",
                values: r.timeline.iter().map(|s| s.not_ok as f64).collect(),
            },
            Series {
                name: "no answer",
                color: "#c0392b",
                values: r.timeline.iter().map(|s| s.errors as f64).collect(),
            },
            Series {
                name: "iterations",
                color: "#27ae60",
                values: r.timeline.iter().map(|s| s.iterations as f64).collect(),
            },
        ],
    ));
    body.push_str(&line_chart(
        "Agents running an iteration",
        "agents",
        &xs,
        &[Series {
            name: "active",
            color: "#8e44ad",
            values: r.timeline.iter().map(|s| s.active as f64).collect(),
        }],
    ));
    let mut bars: Vec<(String, u64, &str)> = all
        .codes
        .iter()
        .map(|(c, n)| {
            let color = if *c == 100 { "#27ae60" } else { "#e08a1e" };
            (format!("code {c}"), *n, color)
        })
        .collect();
    bars.extend(
        all.errors
            .iter()
            .map(|(k, n)| (format!("error: {k}"), *n, "#c0392b")),
    );
    body.push_str(&bar_chart("Response codes and errors", &bars));

    body.push_str(
        "<h2>Operations</h2><table><thead><tr><th>operation</th><th>count</th><th>rate/s</th>",
    );
    for (_, name) in PERCENTILES {
        let _ = write!(body, "<th>{name} ms</th>");
    }
    body.push_str("<th>max ms</th><th>codes</th></tr></thead><tbody>");
    let mut rows: Vec<(&str, &super::results::OpStats)> =
        r.operations.iter().map(|(n, s)| (n.as_str(), s)).collect();
    rows.push(("all", &all));
    for (name, s) in rows {
        let _ = write!(
            body,
            "<tr><td>{}</td><td>{}</td><td>{:.1}</td>",
            esc(name),
            s.count,
            r.rate_of(s.count)
        );
        let ms = |v: f64| ms_or_dash(&s.latency, v, 2);
        for (p, _) in PERCENTILES {
            let _ = write!(body, "<td>{}</td>", ms(s.latency.percentile_ms(p)));
        }
        let mut codes: Vec<String> = s.codes.iter().map(|(c, n)| format!("{c}×{n}")).collect();
        codes.extend(s.errors.iter().map(|(k, n)| format!("{k}×{n}")));
        let _ = write!(
            body,
            "<td>{}</td><td>{}</td></tr>",
            ms(s.latency.max_ms()),
            esc(&codes.join(" "))
        );
    }
    body.push_str("</tbody></table>");
    if !r.transactions.is_empty() {
        body.push_str(&transactions_table(r));
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
    if !it.failures.is_empty() {
        body.push_str("<h2>Failed iterations</h2><table><tbody>");
        for (why, n) in &it.failures {
            let _ = write!(body, "<tr><td>{n}</td><td>{}</td></tr>", esc(why));
        }
        body.push_str("</tbody></table>");
    }
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>ecapi load: {}</title><style>{STYLE}</style></head><body>{body}</body></html>\n",
        esc(&r.flow)
    )
}

/// The transactions' table: duration percentiles (the block's wall time), failures, and the time
/// of the requests inside added up (Gatling's cumulated response time).
fn transactions_table(r: &Results) -> String {
    let mut table = String::from(
        "<h2>Transactions</h2><p>Duration is the wall time of each transaction's block; response \
         time is the time of the requests inside it added up.</p><table><thead><tr>\
         <th>transaction</th><th>count</th><th>rate/s</th>",
    );
    for (_, name) in PERCENTILES {
        let _ = write!(table, "<th>{name} ms</th>");
    }
    table.push_str(
        "<th>max ms</th><th>failed</th><th>response time p50 ms</th>\
         <th>response time p95 ms</th><th>interrupted</th></tr></thead><tbody>",
    );
    for (name, t) in &r.transactions {
        let ms = |h: &crate::load::histogram::Latency, v: f64| ms_or_dash(h, v, 2);
        let _ = write!(
            table,
            "<tr><td>{}</td><td>{}</td><td>{:.1}</td>",
            esc(name),
            t.count,
            r.rate_of(t.count)
        );
        for (p, _) in PERCENTILES {
            let _ = write!(
                table,
                "<td>{}</td>",
                ms(&t.duration, t.duration.percentile_ms(p))
            );
        }
        let _ = write!(
            table,
            "<td>{}</td><td class=\"{}\">{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            ms(&t.duration, t.duration.max_ms()),
            if t.failed > 0 { "fail" } else { "" },
            t.failed,
            ms(&t.response_time, t.response_time.percentile_ms(50.0)),
            ms(&t.response_time, t.response_time.percentile_ms(95.0)),
            t.interrupted
        );
    }
    table.push_str("</tbody></table>");
    table
}

const STYLE: &str = "body{font-family:system-ui,sans-serif;margin:24px auto;max-width:900px;color:#222}\
h1{font-size:1.4em}h2{font-size:1.1em;margin-top:28px}\
figure{margin:18px 0}figcaption{font-weight:600;margin-bottom:4px}\
svg{width:100%;height:auto;background:#fcfcfc;border:1px solid #e4e4e4}\
.grid{stroke:#e8e8e8}.axis{stroke:#888}.tick,.legend{font-size:11px;fill:#444}.label{font-size:12px;fill:#333}\
table{border-collapse:collapse;font-size:13px}td,th{padding:3px 8px;border-bottom:1px solid #eee;text-align:right}\
td:first-child,th:first-child,td:last-child,th:last-child{text-align:left}\
.pass{color:#1e8449;font-weight:600}.fail{color:#c0392b;font-weight:600}.facts li{margin:2px 0}";

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::results::Second;

    #[test]
    fn the_page_is_self_contained_and_escapes_text() {
        let mut r = Results::new("<flow>.rhai".into(), "embedded".into());
        r.timeline.push(Second::new(0));
        r.timeline.push(Second::new(1));
        let page = render(&r, &[]);
        assert!(page.contains("&lt;flow&gt;.rhai"));
        assert!(!page.contains("<flow>"));
        assert_eq!(page.matches("<svg").count(), 4);
        assert!(
            !page.contains("http://")
                || !page
                    .replace("http://www.w3.org/2000/svg", "")
                    .contains("http://")
        );
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
        let page = render(&r, &[]);
        assert!(page.contains("<h2>Transactions</h2>"), "{page}");
        assert!(
            page.contains("<td>payment/&lt;pause&gt;</td><td>1</td>"),
            "{page}"
        );
        assert!(page.contains("<td class=\"fail\">1</td>"), "{page}");
        assert!(!render(&Results::new("f".into(), "e".into()), &[]).contains("Transactions"));
    }

    #[test]
    fn a_second_without_values_is_a_gap_in_its_line_not_a_drop_to_zero() {
        let xs = [0.0, 1.0, 2.0, 3.0, 4.0];
        let values = [5.0, 6.0, f64::NAN, 7.0, 8.0];
        let svg = line_chart(
            "t",
            "ms",
            &xs,
            &[Series {
                name: "p50",
                color: "#000",
                values: values.to_vec(),
            }],
        );
        assert_eq!(svg.matches("<polyline").count(), 2, "{svg}");
        let lone = [f64::NAN, 4.0, f64::NAN, f64::NAN, f64::NAN];
        let svg = line_chart(
            "t",
            "ms",
            &xs,
            &[Series {
                name: "p50",
                color: "#000",
                values: lone.to_vec(),
            }],
        );
        assert_eq!(svg.matches("<polyline").count(), 0, "{svg}");
        assert_eq!(svg.matches("<circle").count(), 1, "{svg}");
        assert!(!svg.contains("NaN"), "{svg}");
    }

    #[test]
    fn ticks_are_round_numbers() {
        assert_eq!(nice_step(97.0, 5.0), 20.0);
        assert_eq!(nice_step(0.9, 5.0), 0.2);
        assert_eq!(fmt_tick(0.25), "0.25");
    }
}
