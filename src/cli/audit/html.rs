//! The HTML report of an audit (`--report-html FILE`), written with the one page writer
//! ([`crate::page`]): the table per rule, then each rule that has findings with the guide's
//! sentence, its advice and each finding with its exchanges, a timeline per port (an SVG bar per
//! exchange, coloured by outcome, a red ring on those a finding names) and the coverage matrix.
//! Self-contained: nothing is fetched; no script.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use super::{Report, TIMELINE};
use crate::audit::{Severity, RULES};
use crate::page::{escape as esc, page};

const STYLE: &str = r#"
.sev { font-size: .75rem; font-weight: 700; padding: .1rem .45rem; border-radius: 4px; color: #fff; }
.sev.error { background: var(--bad); color: #fff; } .sev.warning { background: var(--warn); color: #fff; }
.sev.info { background: var(--skip); color: #fff; }
section.rule { border: 1px solid var(--line); border-radius: 6px; margin: .75rem 0; padding: .5rem .75rem; }
blockquote { margin: .5rem 0; padding: .25rem .75rem; border-left: 4px solid var(--line); color: #444; }
.advice { font-weight: 600; }
.finding { margin: .5rem 0 .75rem; }
.finding ul { margin: .25rem 0; padding-left: 1.25rem; }
svg.timeline { width: 100%; height: auto; display: block; }
svg.timeline text { font: 11px ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; fill: #1f2328; }
svg.timeline .lane { stroke: var(--line); }
svg.timeline rect.success { fill: var(--ok); } svg.timeline rect.warning { fill: var(--warn); }
svg.timeline rect.refused { fill: var(--bad); } svg.timeline rect.error { fill: var(--err); }
svg.timeline circle.found { fill: none; stroke: var(--bad); stroke-width: 2; }
td.hit { background: #e8f5e9; } td.miss { color: #999; }
"#;

fn class(code: Option<u16>) -> &'static str {
    match code {
        Some(100) => "success",
        Some(c) if crate::api::ResponseCode::from_code(c).is_some_and(|r| r.is_warning()) => {
            "warning"
        }
        Some(_) => "refused",
        None => "error",
    }
}

/// The page.
pub fn render(report: &Report) -> String {
    let mut body = String::new();
    let total: u64 = report.counts.values().sum();
    let by_sev = |s: Severity| -> u64 {
        report
            .counts
            .iter()
            .filter(|(r, _)| r.rule().severity == s)
            .map(|(_, n)| n)
            .sum()
    };
    let _ = write!(
        body,
        "<header><h1>ecapi audit</h1><p class=\"meta\">{} · {} exchanges · generated {}</p>\
         <p><span class=\"sev error\">{} errors</span> <span class=\"sev warning\">{} warnings\
         </span> <span class=\"sev info\">{} info</span> · {total} findings</p></header>\n<main>\n",
        esc(&report.file),
        report.exchanges,
        esc(&report.generated),
        by_sev(Severity::Error),
        by_sev(Severity::Warning),
        by_sev(Severity::Info),
    );
    body.push_str(
        "<h2>Rules</h2><table><tr><th>severity</th><th>rule</th><th class=\"num\">findings</th>\
         <th>source</th></tr>\n",
    );
    for r in &RULES {
        let n = if report.options.checks(r.id) {
            report.counts.get(&r.id).copied().unwrap_or(0).to_string()
        } else {
            "allowed".into()
        };
        let _ = writeln!(
            body,
            "<tr><td><span class=\"sev {s}\">{s}</span></td><td><a href=\"#rule-{id}\">{id}</a>\
             </td><td class=\"num\">{n}</td><td>{}</td></tr>",
            esc(r.source),
            s = r.severity,
            id = r.name,
        );
    }
    body.push_str("</table>\n");
    let mut marked: BTreeSet<u64> = BTreeSet::new();
    for (rule, findings) in &report.findings {
        let r = rule.rule();
        let _ =
            write!(
            body,
            "<section class=\"rule\" id=\"rule-{id}\"><h2><span class=\"sev {s}\">{s}</span> {id} \
             · {n} finding{plural}</h2><p>{}</p><blockquote>“{}”<br><small>{}</small></blockquote>\
             <p class=\"advice\">What to change: {}</p>",
            esc(r.summary),
            esc(r.quote),
            esc(r.source),
            esc(r.advice),
            id = r.name,
            s = r.severity,
            n = report.counts.get(rule).copied().unwrap_or(0),
            plural = if report.counts.get(rule) == Some(&1) { "" } else { "s" },
        );
        for f in findings {
            let _ = write!(
                body,
                "<div class=\"finding\"><div>{}{}</div><ul>",
                f.port
                    .as_ref()
                    .map_or(String::new(), |p| format!("<b>port {}</b>: ", esc(p))),
                esc(&f.message)
            );
            for s in &f.exchanges {
                marked.insert(s.seq);
                let _ = write!(
                    body,
                    "<li class=\"mono\">#{} {} {}</li>",
                    s.seq,
                    esc(&s.time),
                    esc(&s.line)
                );
            }
            body.push_str("</ul></div>\n");
        }
        let kept = findings.len() as u64;
        let all = report.counts.get(rule).copied().unwrap_or(0);
        if all > kept {
            let _ = write!(
                body,
                "<p class=\"meta\">{} more not listed.</p>",
                all - kept
            );
        }
        body.push_str("</section>\n");
    }
    timeline(&mut body, report, &marked);
    coverage(&mut body, report);
    body.push_str("</main>\n");
    page(&format!("ecapi audit: {}", report.file), STYLE, &body, "")
}

fn timeline(body: &mut String, report: &Report, marked: &BTreeSet<u64>) {
    body.push_str("<h2>Timeline per port</h2>\n");
    if report.timeline.is_empty() {
        body.push_str("<p class=\"meta\">No exchange.</p>\n");
        return;
    }
    let mut lanes: BTreeMap<&str, usize> = BTreeMap::new();
    for m in &report.timeline {
        let n = lanes.len();
        lanes.entry(m.lane.as_str()).or_insert(n);
    }
    let end = report
        .timeline
        .iter()
        .map(|m| m.start_ms + m.length_ms)
        .fold(1.0f64, f64::max);
    let (label, width, row) = (190.0, 1000.0, 22.0);
    let height = lanes.len() as f64 * row + 24.0;
    let _ = write!(
        body,
        "<svg class=\"timeline\" viewBox=\"0 0 {} {height}\" role=\"img\" \
         aria-label=\"exchanges per port over time\">",
        label + width + 10.0
    );
    for (lane, i) in &lanes {
        let y = *i as f64 * row;
        let _ = write!(
            body,
            "<text x=\"0\" y=\"{}\">{}</text><line class=\"lane\" x1=\"{label}\" y1=\"{y2}\" \
             x2=\"{}\" y2=\"{y2}\"/>",
            y + 15.0,
            esc(lane),
            label + width,
            y2 = y + row - 1.0,
        );
    }
    for m in &report.timeline {
        let y = lanes[m.lane.as_str()] as f64 * row + 4.0;
        let x = label + m.start_ms / end * width;
        let w = (m.length_ms / end * width).max(2.0);
        let _ = write!(
            body,
            "<rect class=\"{}\" x=\"{x:.1}\" y=\"{y}\" width=\"{w:.1}\" height=\"14\"><title>#{} \
             {} {} at {:.0} ms</title></rect>",
            class(m.code),
            m.seq,
            m.op,
            m.code.map_or("no answer".to_string(), |c| c.to_string()),
            m.start_ms
        );
        if marked.contains(&m.seq) {
            let _ = write!(
                body,
                "<circle class=\"found\" cx=\"{:.1}\" cy=\"{}\" r=\"8\"/>",
                x + w / 2.0,
                y + 7.0
            );
        }
    }
    let _ = writeln!(
        body,
        "<text x=\"{label}\" y=\"{}\">0 ms</text><text x=\"{}\" y=\"{}\" text-anchor=\"end\">\
         {end:.0} ms</text></svg>",
        height - 4.0,
        label + width,
        height - 4.0
    );
    if report.exchanges as usize > report.timeline.len() {
        let _ = writeln!(
            body,
            "<p class=\"meta\">The first {TIMELINE} of {} exchanges are drawn.</p>",
            report.exchanges
        );
    }
}

fn coverage(body: &mut String, report: &Report) {
    let c = &report.coverage;
    let codes = c.codes_seen();
    body.push_str("<h2>Coverage: operations × response codes</h2>\n<table><tr><th>operation</th>");
    for code in &codes {
        let _ = write!(body, "<th class=\"num\">{code}</th>");
    }
    body.push_str("</tr>\n");
    for op in c.operations() {
        let _ = write!(body, "<tr><td>{}</td>", op.name());
        for code in &codes {
            match c.codes.get(&(op, *code)) {
                Some(n) => {
                    let _ = write!(body, "<td class=\"num hit\">{n}</td>");
                }
                None => body.push_str("<td class=\"num miss\">·</td>"),
            }
        }
        body.push_str("</tr>\n");
    }
    body.push_str("</table>\n<p>Wire faults met: ");
    let met: Vec<String> = c
        .failures
        .iter()
        .map(|(k, n)| format!("{} ({n})", k.word()))
        .collect();
    body.push_str(&esc(&if met.is_empty() {
        "none".to_string()
    } else {
        met.join(", ")
    }));
    let never: Vec<String> = c.codes_never_seen().iter().map(u16::to_string).collect();
    let _ = writeln!(
        body,
        "</p>\n<p>Codes the client was never answered with: {}</p>",
        never.join(", ")
    );
}
