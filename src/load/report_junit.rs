//! The JUnit XML report of a load run (`ecapi load --report-junit FILE`), as Gatling exports its
//! assertions: one testsuite for the run, one testcase per threshold (classname `load`, name the
//! threshold as written), a `failure` when it does not hold, its message the figure measured. A
//! run without thresholds is one suite with no testcase. The layout is that of Jenkins'
//! `junit-10.xsd` (the xunit plugin's), which CI systems read.

use std::fmt::Write as _;

use super::results::Results;
use super::threshold::Verdict;

use crate::runner::report::junit::xml_text as xml;

/// The report: `results` for the suite's name, time and timestamp, `verdicts` one testcase each.
pub fn render(results: &Results, verdicts: &[Verdict]) -> String {
    let failed = verdicts.iter().filter(|v| !v.pass).count();
    let time = format!("{:.3}", results.duration_s);
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        out,
        "<testsuites name=\"ecapi load\" tests=\"{}\" failures=\"{failed}\" errors=\"0\" time=\"{time}\">",
        verdicts.len()
    );
    let _ = writeln!(
        out,
        "  <testsuite name=\"load {}\" tests=\"{}\" failures=\"{failed}\" errors=\"0\" skipped=\"0\" \
         time=\"{time}\" timestamp=\"{}\">",
        xml(&results.flow),
        verdicts.len(),
        xml(&results.started),
    );
    for v in verdicts {
        let name = xml(&v.threshold);
        if v.pass {
            let _ = writeln!(
                out,
                "    <testcase name=\"{name}\" classname=\"load\" time=\"0\"/>"
            );
        } else {
            let message = xml(&format!("{} failed: measured {}", v.threshold, v.shown));
            let _ = writeln!(
                out,
                "    <testcase name=\"{name}\" classname=\"load\" time=\"0\">\n      \
                 <failure type=\"threshold\" message=\"{message}\">{message}</failure>\n    \
                 </testcase>"
            );
        }
    }
    out.push_str("  </testsuite>\n</testsuites>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_testcase_per_threshold_and_a_failure_for_each_that_fails() {
        let r = Results::new("<flow>.rhai".into(), "embedded".into());
        let verdicts = [
            Verdict {
                threshold: "p95<200ms".into(),
                actual: Some(12.0),
                shown: "12.0 ms".into(),
                pass: true,
            },
            Verdict {
                threshold: "errors<1%".into(),
                actual: Some(5.0),
                shown: "5.0 %".into(),
                pass: false,
            },
        ];
        let xml = render(&r, &verdicts);
        assert!(xml.contains("tests=\"2\" failures=\"1\""), "{xml}");
        assert_eq!(xml.matches("<testcase ").count(), 2, "{xml}");
        assert_eq!(xml.matches("<failure ").count(), 1, "{xml}");
        assert!(xml.contains("errors&lt;1% failed: measured 5.0 %"), "{xml}");
        assert!(xml.contains("load &lt;flow&gt;.rhai"), "{xml}");
        // Well formed: read back to its end.
        let mut reader = quick_xml::Reader::from_str(&xml);
        loop {
            match reader.read_event() {
                Ok(quick_xml::events::Event::Eof) => break,
                Ok(_) => {}
                Err(e) => panic!("{e}: {xml}"),
            }
        }
    }
}
