//! The JUnit XML report of an audit (`--report-junit FILE`): one testsuite for the file, one
//! testcase per rule (classname `audit`), one `failure` per finding (`type` the severity,
//! `message` the finding's line, the text its exchanges, the guide's words and the advice), and
//! `skipped` for a rule turned off with `--allow`. The layout is that of Jenkins' `junit-10.xsd`,
//! whose testcase holds any number of `failure` elements; `failures` counts the testcases that
//! have one.

use std::fmt::Write as _;

use super::Report;
use crate::audit::RULES;

use crate::runner::report::junit::xml_text as xml;

/// The report.
pub fn render(report: &Report) -> String {
    let failed = RULES
        .iter()
        .filter(|r| report.counts.get(&r.id).is_some_and(|n| *n > 0))
        .count();
    let skipped = RULES
        .iter()
        .filter(|r| !report.options.checks(r.id))
        .count();
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        out,
        // No `skipped` here: the schema Jenkins reads (the xunit plugin's `junit-10.xsd`) allows
        // it on a `testsuite` only.
        "<testsuites name=\"ecapi audit\" tests=\"{}\" failures=\"{failed}\" errors=\"0\" \
         time=\"0.000\">",
        RULES.len()
    );
    let _ = writeln!(
        out,
        "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{failed}\" errors=\"0\" \
         skipped=\"{skipped}\" time=\"0.000\" timestamp=\"{}\">",
        xml(&format!("audit {}", report.file)),
        RULES.len(),
        xml(&report.generated)
    );
    for rule in &RULES {
        let _ = writeln!(
            out,
            "    <testcase name=\"{}\" classname=\"audit\" time=\"0.000\">",
            xml(rule.name)
        );
        if !report.options.checks(rule.id) {
            let _ = writeln!(
                out,
                "      <skipped message=\"turned off with --allow {}\"/>",
                xml(rule.name)
            );
        }
        let findings = report.findings.get(&rule.id).map_or(&[][..], Vec::as_slice);
        for f in findings {
            let _ = writeln!(
                out,
                "      <failure type=\"{}\" message=\"{}\">{}</failure>",
                f.severity,
                xml(&f.line()),
                xml(&f.text())
            );
        }
        let total = report.counts.get(&rule.id).copied().unwrap_or(0);
        if total as usize > findings.len() {
            let _ = writeln!(
                out,
                "      <system-out>{} more findings of {} are not listed</system-out>",
                total as usize - findings.len(),
                xml(rule.name)
            );
        }
        out.push_str("    </testcase>\n");
    }
    out.push_str("  </testsuite>\n</testsuites>\n");
    out
}
