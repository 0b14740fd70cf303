//! The JUnit XML report of a load run (`ecapi load --report-junit FILE`), as Gatling exports its
//! assertions: one testsuite for the run, one testcase per threshold (classname `load`, name the
//! threshold as written), a `failure` when it does not hold, its message the figure measured. A
//! run without thresholds is one suite with no testcase. The layout is that of Jenkins'
//! `junit-10.xsd` (the xunit plugin's), which CI systems read. A run stopped by a signal before
//! its time adds a failing testcase `run completed`, so that CI does not read a cut run as a pass.

use std::fmt::Write as _;

use super::results::Results;
use super::threshold::Verdict;

use crate::runner::report::junit::xml_text as xml;

/// The report: `results` for the suite's name, time and timestamp, `verdicts` one testcase each.
pub fn render(results: &Results, verdicts: &[Verdict]) -> String {
    let stopped = super::summary::stopped_early(results);
    let tests = verdicts.len() + usize::from(stopped.is_some());
    let failed = verdicts.iter().filter(|v| !v.pass).count() + usize::from(stopped.is_some());
    let time = format!("{:.3}", results.duration_s);
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        out,
        "<testsuites name=\"ecapi load\" tests=\"{}\" failures=\"{failed}\" errors=\"0\" time=\"{time}\">",
        tests
    );
    let _ = writeln!(
        out,
        "  <testsuite name=\"load {}\" tests=\"{}\" failures=\"{failed}\" errors=\"0\" skipped=\"0\" \
         time=\"{time}\" timestamp=\"{}\">",
        xml(&results.flow),
        tests,
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
    if let Some(word) = stopped {
        let message = xml(&word);
        let _ = writeln!(
            out,
            "    <testcase name=\"run completed\" classname=\"load\" time=\"{time}\">\n      \
             <failure type=\"stopped\" message=\"{message}\">{message}</failure>\n    \
             </testcase>"
        );
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
        assert!(!xml.contains("run completed"), "{xml}");
        well_formed(&xml);
    }

    #[test]
    fn a_run_stopped_by_a_signal_fails_a_testcase_of_its_own_even_when_every_threshold_holds() {
        let mut r = Results::new("flow.rhai".into(), "embedded".into());
        r.stopped_by = Some("SIGINT".into());
        r.duration_s = 4.04;
        let verdicts = [Verdict {
            threshold: "p95<200ms".into(),
            actual: Some(12.0),
            shown: "12.0 ms".into(),
            pass: true,
        }];
        let xml = render(&r, &verdicts);
        assert!(xml.contains("tests=\"2\" failures=\"1\""), "{xml}");
        assert!(xml.contains("<testcase name=\"run completed\""), "{xml}");
        assert!(
            xml.contains("message=\"stopped by SIGINT after 4.0 s: the run did not complete"),
            "{xml}"
        );
        well_formed(&xml);
    }

    /// Reads `xml` back to its end, failing on the first error.
    fn well_formed(xml: &str) {
        let mut reader = quick_xml::Reader::from_str(xml);
        loop {
            match reader.read_event() {
                Ok(quick_xml::events::Event::Eof) => break,
                Ok(_) => {}
                Err(e) => panic!("{e}: {xml}"),
            }
        }
    }
}
