//! The HTML report (`--report-html FILE`): one self-contained page per run (inline CSS, inline
//! SVG, a few lines of inline script; nothing fetched), so a CI server can publish it as is.
//!
//! The page has the run's summary, then every test in report order: its status and time, for a
//! failure the message and diagnostic, its requests as a timeline (an SVG bar per request, placed
//! at the time it was sent and as long as it took, coloured by outcome) and as a table
//! (operation, parameters, code, message, elapsed), the attempts of `retry` and `poll_until`,
//! the envelopes of its last exchange and what it printed. Failed tests are open, the others
//! folded. Tagged tests show their tags, and a row of tag buttons above the tests shows only
//! those with the tag chosen, by CSS alone (`:checked ~`), so it works with scripts off. The
//! script only adds a "failures only" switch, and marks the page `data-ready` once it has run (a
//! browser test checks for it); it logs nothing.

use std::fmt::Write;
use std::time::Duration;

use super::{status_word, Class, Counts, Run};
use crate::runner::{Call, Status, TestResult};

/// At most this many requests are drawn on a test's timeline; the table lists them all.
const TIMELINE_ROWS: usize = 200;

/// Text made safe for HTML content and attribute values ([`crate::page::escape`]).
fn esc(text: &str) -> String {
    crate::page::escape(text)
}

fn ms(d: Duration) -> String {
    let ms = d.as_secs_f64() * 1000.0;
    if ms >= 100.0 {
        format!("{ms:.0} ms")
    } else {
        format!("{ms:.2} ms")
    }
}

const STYLE: &str = r#"
:root { --ok: #2e7d32; --warn: #b26a00; --bad: #c62828; --err: #6a1b9a; --skip: #757575;
        --line: #d0d7de; --soft: #f6f8fa; font-family: system-ui, -apple-system, "Segoe UI", sans-serif; }
body { margin: 0 auto; max-width: 1200px; padding: 1.5rem; color: #1f2328; background: #fff; }
h1 { font-size: 1.5rem; margin: 0 0 .25rem; }
header { border-bottom: 1px solid var(--line); padding-bottom: 1rem; margin-bottom: 1rem; }
.meta { color: #59636e; margin: .25rem 0; }
.counts span { display: inline-block; margin-right: .75rem; font-weight: 600; }
.counts .passed { color: var(--ok); } .counts .failed { color: var(--bad); } .counts .skipped { color: var(--skip); }
details.test { border: 1px solid var(--line); border-radius: 6px; margin: .5rem 0; }
details.test > summary { cursor: pointer; padding: .5rem .75rem; list-style: none; display: flex; gap: .75rem; align-items: baseline; }
details.test > summary::-webkit-details-marker { display: none; }
details.test[open] > summary { border-bottom: 1px solid var(--line); background: var(--soft); }
.badge { font-size: .75rem; font-weight: 700; padding: .1rem .45rem; border-radius: 4px; color: #fff; min-width: 3.5rem; text-align: center; }
.badge.passed { background: var(--ok); } .badge.failed { background: var(--bad); }
.badge.error, .badge.interrupted { background: var(--err); } .badge.skipped { background: var(--skip); }
.name { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: .9rem; flex: 1; word-break: break-all; }
.time { color: #59636e; font-size: .85rem; white-space: nowrap; }
.body { padding: .5rem .75rem 1rem; }
.message { color: var(--bad); font-weight: 600; margin: .5rem 0; white-space: pre-wrap; }
pre { background: var(--soft); border: 1px solid var(--line); border-radius: 4px; padding: .5rem; overflow-x: auto; font-size: .8rem; margin: .25rem 0 .75rem; white-space: pre-wrap; word-break: break-all; }
h3 { font-size: .9rem; margin: .75rem 0 .25rem; }
svg.timeline { width: 100%; height: auto; display: block; margin: .25rem 0; }
svg.timeline text { font: 11px ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; fill: #1f2328; }
svg.timeline .axis { stroke: var(--line); }
svg.timeline .success { fill: var(--ok); } svg.timeline .warning { fill: var(--warn); }
svg.timeline .refused { fill: var(--bad); } svg.timeline .error { fill: var(--err); }
table { border-collapse: collapse; width: 100%; font-size: .8rem; }
th, td { text-align: left; padding: .2rem .5rem; border-bottom: 1px solid var(--line); vertical-align: top; }
td.num, th.num { text-align: right; white-space: nowrap; }
td.code.success { color: var(--ok); } td.code.warning { color: var(--warn); }
td.code.refused { color: var(--bad); } td.code.error { color: var(--err); }
.params { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; word-break: break-all; }
.note { color: #59636e; font-size: .8rem; }
body.only-failed details.test.passed, body.only-failed details.test.skipped { display: none; }
.tag { font-size: .7rem; padding: 0 .35rem; border: 1px solid var(--line); border-radius: 3px; color: #59636e; white-space: nowrap; }
input.tag-pick { position: absolute; opacity: 0; pointer-events: none; }
nav.tags { margin: 0 0 .75rem; display: flex; flex-wrap: wrap; gap: .35rem; align-items: baseline; }
nav.tags label { cursor: pointer; font-size: .8rem; padding: .1rem .5rem; border: 1px solid var(--line); border-radius: 4px; }
"#;

/// Marks the page as built and wires the "failures only" switch; logs nothing.
const SCRIPT: &str = r#"
(function () {
  var box = document.getElementById("only-failed");
  box.addEventListener("change", function () {
    document.body.classList.toggle("only-failed", box.checked);
  });
  document.documentElement.setAttribute("data-ready", "1");
})();
"#;

fn timeline(out: &mut String, r: &TestResult) {
    let calls: Vec<&Call> = r.calls.iter().take(TIMELINE_ROWS).collect();
    if calls.is_empty() {
        return;
    }
    let end = calls
        .iter()
        .map(|c| c.at + c.made.elapsed)
        .max()
        .unwrap_or_default()
        .max(r.elapsed)
        .as_secs_f64()
        .max(1e-6);
    let (left, right, row) = (190.0, 990.0, 16.0);
    let height = row * calls.len() as f64 + 22.0;
    let x = |t: f64| left + (right - left) * (t / end);
    let _ = write!(
        out,
        r#"<svg class="timeline" viewBox="0 0 1000 {height}" role="img" aria-label="requests over time">"#
    );
    for (i, c) in calls.iter().enumerate() {
        let y = row * i as f64 + 2.0;
        let start = c.at.as_secs_f64();
        let width = (x(start + c.made.elapsed.as_secs_f64()) - x(start)).max(2.0);
        let class = Class::of(c).name();
        let code = c.code().map_or("-".to_string(), |c| c.to_string());
        let op = c.made.request.op().name();
        let _ = write!(
            out,
            r#"<text x="4" y="{:.1}">{op} {code}</text><rect class="{class}" x="{:.1}" y="{:.1}" width="{width:.1}" height="{:.1}" rx="2"><title>{} at {}, {}</title></rect>"#,
            y + 11.0,
            x(start),
            y + 2.0,
            row - 5.0,
            esc(&c.made.summary(r.api)),
            ms(c.at),
            ms(c.made.elapsed),
        );
    }
    let axis = row * calls.len() as f64 + 4.0;
    let _ = write!(
        out,
        r#"<line class="axis" x1="{left}" y1="{axis}" x2="{right}" y2="{axis}"/><text x="{left}" y="{:.1}">0</text><text x="{right}" y="{:.1}" text-anchor="end">{}</text></svg>"#,
        axis + 14.0,
        axis + 14.0,
        ms(Duration::from_secs_f64(end)),
    );
    if r.calls.len() > TIMELINE_ROWS {
        let _ = write!(
            out,
            r#"<p class="note">The first {TIMELINE_ROWS} requests are drawn; the table lists all {}.</p>"#,
            r.calls.len()
        );
    }
}

fn table(out: &mut String, r: &TestResult) {
    out.push_str(r#"<table><thead><tr><th class="num">#</th><th class="num">at</th><th>operation</th><th>parameters</th><th class="num">code</th><th>message</th><th class="num">elapsed</th></tr></thead><tbody>"#);
    for (i, c) in r.calls.iter().enumerate() {
        let made = &c.made;
        let params: Vec<String> = made
            .request
            .params(r.api)
            .map(|(p, v)| format!("{}={}", p.wire_name(r.api), crate::audit::card::mask(v)))
            .collect();
        let (code, message) = match &made.outcome {
            Ok(resp) => match made.reason.as_deref().filter(|r| !r.is_empty()) {
                Some(reason) => (
                    resp.code.to_string(),
                    format!("{} ({reason})", resp.message),
                ),
                None => (resp.code.to_string(), resp.message.to_string()),
            },
            Err(e) => ("-".to_string(), format!("no answer: {e}")),
        };
        let _ = write!(
            out,
            r#"<tr><td class="num">{}</td><td class="num">{}</td><td>{}</td><td class="params">{}</td><td class="num code {}">{code}</td><td>{}</td><td class="num">{}</td></tr>"#,
            i + 1,
            ms(c.at),
            made.request.op().name(),
            esc(&params.join(" ")),
            Class::of(c).name(),
            esc(&message),
            ms(made.elapsed),
        );
    }
    out.push_str("</tbody></table>");
    if r.dropped > 0 {
        let _ = write!(
            out,
            r#"<p class="note">{} more requests were made and not kept.</p>"#,
            r.dropped
        );
    }
}

/// The attempts of `retry` and checks of `poll_until`, as a table.
fn attempts(out: &mut String, r: &TestResult) {
    if r.attempts.is_empty() {
        return;
    }
    out.push_str(r#"<h3>Attempts</h3><table><thead><tr><th>function</th><th class="num">line</th><th class="num">attempt</th><th class="num">at</th><th>outcome</th></tr></thead><tbody>"#);
    for a in &r.attempts {
        let which = match a.of {
            Some(of) => format!("{} of {of}", a.number),
            None => a.number.to_string(),
        };
        if let Some(gap) = a.gap() {
            let _ = write!(out, r#"<tr><td colspan="5">{}</td></tr>"#, esc(&gap));
        }
        let clock = if a.virtual_clock { " (virtual)" } else { "" };
        let class = if a.passed { "success" } else { "warning" };
        let _ = write!(
            out,
            r#"<tr><td>{}</td><td class="num">{}</td><td class="num">{which}</td><td class="num">+{}{clock}</td><td class="code {class}">{}</td></tr>"#,
            a.function,
            a.line.map_or(String::new(), |l| l.to_string()),
            ms(a.at),
            esc(&a.outcome()),
        );
    }
    out.push_str("</tbody></table>");
}

fn test(out: &mut String, index: usize, r: &TestResult, all_tags: &[&str]) {
    let word = status_word(&r.status);
    let group = match &r.status {
        Status::Passed => "passed",
        Status::Failed(_) | Status::Interrupted(_) => "failed",
        Status::Skipped(_) => "skipped",
    };
    let open = if group == "failed" { " open" } else { "" };
    // Each tag a class `tag-N` (N its place among the run's tags), for the filter's CSS.
    let tag_classes: String = r
        .tags
        .iter()
        .filter_map(|t| all_tags.iter().position(|a| a == t))
        .map(|n| format!(" tag-{}", n + 1))
        .collect();
    let chips: String = r
        .tags
        .iter()
        .map(|t| format!(r#"<span class="tag">{}</span>"#, esc(t)))
        .collect();
    let _ = write!(
        out,
        r#"<details class="test {group}{tag_classes}" id="test-{index}"{open}><summary><span class="badge {word}">{}</span><span class="name">{}</span>{chips}<span class="time">{} · {} requests</span></summary><div class="body">"#,
        word.to_uppercase(),
        esc(&r.id.name()),
        ms(r.elapsed),
        r.calls.len() + r.dropped,
    );
    match &r.status {
        Status::Failed(f) | Status::Interrupted(f) => {
            let _ = write!(
                out,
                r#"<p class="message">{}</p><pre>{}</pre>"#,
                esc(&f.message),
                esc(&f.report)
            );
        }
        Status::Skipped(why) => {
            let _ = write!(out, r#"<p class="note">{}</p>"#, esc(why.reason()));
        }
        Status::Passed => {}
    }
    if !r.calls.is_empty() {
        out.push_str("<h3>Requests</h3>");
        timeline(out, r);
        table(out, r);
    }
    attempts(out, r);
    if let (Some(_), Some(t)) = (r.status.failure(), &r.envelopes) {
        let _ = write!(
            out,
            r#"<h3>Last envelopes</h3><p class="note">SOAPAction: {}</p><pre>{}</pre><p class="note">HTTP {}</p><pre>{}</pre>"#,
            esc(&t.action),
            esc(t.request.trim_end()),
            t.status,
            esc(t.response.trim_end()),
        );
    }
    if !r.output.is_empty() {
        let _ = write!(out, "<h3>Output</h3><pre>{}</pre>", esc(&r.output));
    }
    out.push_str("</div></details>\n");
}

/// Every tag of the run's tests, sorted.
fn tags_of(results: &[TestResult]) -> Vec<&str> {
    let mut all: Vec<&str> = results
        .iter()
        .flat_map(|r| r.tags.iter().map(String::as_str))
        .collect();
    all.sort_unstable();
    all.dedup();
    all
}

/// The tag filter: a radio button per tag (and "all"), before `main`, and the CSS that hides the
/// tests without the chosen tag. It needs no script: `:checked ~` does it, and a browser without
/// CSS shows the buttons and every test.
fn tag_filter(out: &mut String, all_tags: &[&str]) {
    if all_tags.is_empty() {
        return;
    }
    out.push_str("<style>");
    for n in 1..=all_tags.len() {
        let _ = write!(
            out,
            "#tag-{n}:checked ~ main details.test:not(.tag-{n}) {{ display: none; }} #tag-{n}:checked ~ nav label[for=tag-{n}] {{ background: #1f2328; color: #fff; }} "
        );
    }
    out.push_str(
        "#tag-0:checked ~ nav label[for=tag-0] { background: #1f2328; color: #fff; }</style>\n",
    );
    out.push_str(r#"<input type="radio" class="tag-pick" name="tag" id="tag-0" checked>"#);
    for n in 1..=all_tags.len() {
        let _ = write!(
            out,
            r#"<input type="radio" class="tag-pick" name="tag" id="tag-{n}">"#
        );
    }
    out.push_str(r#"<nav class="tags" aria-label="filter by tag"><span class="note">Tags:</span><label for="tag-0">all</label>"#);
    for (i, t) in all_tags.iter().enumerate() {
        let _ = write!(out, r#"<label for="tag-{}">{}</label>"#, i + 1, esc(t));
    }
    out.push_str("</nav>\n");
}

/// The page.
pub fn render(run: &Run<'_>) -> String {
    let c = Counts::of(run.results);
    let all_tags = tags_of(run.results);
    let mut out = String::new();
    let _ = write!(
        out,
        r#"<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>ecapi test: {c}</title><style>{STYLE}</style></head>
<body><header><h1>ecapi test</h1><p class="meta">Started {} · took {} · {} tests</p>
<p class="counts"><span class="passed">{} passed</span><span class="failed">{} failed</span>{}<span class="skipped">{} skipped</span>
<label><input type="checkbox" id="only-failed"> failures only</label></p></header>
"#,
        esc(run.started),
        ms(run.elapsed),
        run.results.len(),
        c.passed,
        c.failed,
        if c.interrupted + c.not_started > 0 {
            format!(
                r#"<span class="failed">{} interrupted</span><span class="skipped">{} not started</span>"#,
                c.interrupted, c.not_started
            )
        } else {
            String::new()
        },
        c.skipped,
    );
    tag_filter(&mut out, &all_tags);
    out.push_str("<main>\n");
    for (i, r) in run.results.iter().enumerate() {
        test(&mut out, i + 1, r, &all_tags);
    }
    if run.results.is_empty() {
        out.push_str(r#"<p class="note">No test was selected.</p>"#);
    }
    let _ = writeln!(out, "</main><script>{SCRIPT}</script></body></html>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runner::report::fixture::result;
    use crate::runner::Failure;

    #[test]
    fn the_page_is_self_contained_and_shows_each_test_with_its_requests() {
        let failed = Status::Failed(Failure {
            assertion: true,
            message: "expected <100>".into(),
            report: "assertion failed\n".into(),
        });
        let results = [result(Some("one"), Status::Passed), result(None, failed)];
        let page = render(&Run {
            results: &results,
            started: "2026-11-30T01:00:00",
            elapsed: Duration::from_millis(5),
        });
        assert!(page.starts_with("<!DOCTYPE html>"));
        for outside in ["src=", "href=", "@import", "url("] {
            assert!(!page.contains(outside), "{outside} in the page");
        }
        assert!(page.contains(r#"<details class="test failed" id="test-2" open>"#));
        assert!(page.contains("expected &lt;100&gt;"));
        assert!(page.contains(r#"<rect class="success""#));
        assert!(page.contains("&lt;s:Envelope&gt;&lt;s:Body&gt;&lt;InitStation/&gt;"));
        assert_eq!(page.matches("<details").count(), 2);
    }
}
