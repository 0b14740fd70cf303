//! The JSON report (`--report-json FILE`): one object for the run, with its counts and every test
//! in report order: its name parts, status (`passed`, `failed` for an assertion, `error`,
//! `skipped`), duration, failure, output, every request (when it was sent and how long it took,
//! in milliseconds from the start of the test; operation, parameters, code, message, class),
//! every attempt of `retry` and check of `poll_until`, its tags and the envelopes of its last
//! exchange.
//!
//! ```json
//! {"report": "ecapi test", "version": 1, "started": "…", "duration_ms": 12.5,
//!  "counts": {"tests": 3, "passed": 2, "failed": 1, "interrupted": 0, "not_started": 0,
//!             "skipped": 0},
//!  "tests": [{"name": "a.rhai::one", "file": "a.rhai", "row": null, "case": "one",
//!             "status": "passed", "duration_ms": 1.2, "requests": [ … ], …}]}
//! ```

use serde_json::{json, Value};

use super::{status_word, Class, Counts, Run};
use crate::runner::{Call, Status, TestResult};
use crate::script::Attempt;

fn ms(d: std::time::Duration) -> f64 {
    (d.as_secs_f64() * 1_000_000.0).round() / 1000.0
}

fn request(call: &Call, r: &TestResult) -> Value {
    let made = &call.made;
    let params: serde_json::Map<String, Value> = made
        .request
        .params(r.api)
        .map(|(p, v)| {
            let v = crate::audit::card::mask(v).into_owned();
            (p.wire_name(r.api).to_string(), Value::from(v))
        })
        .collect();
    let mut v = json!({
        "op": made.request.op().name(),
        "params": params,
        "at_ms": ms(call.at),
        "elapsed_ms": ms(made.elapsed),
        "class": Class::of(call).name(),
    });
    match &made.outcome {
        Ok(resp) => {
            v["code"] = resp.code.into();
            v["message"] = resp.message.to_string().into();
            if let Some(reason) = &made.reason {
                v["reason"] = reason.clone().into();
            }
        }
        Err(e) => v["error"] = e.clone().into(),
    }
    v
}

/// An attempt of `retry` or a check of `poll_until`: `at_ms` from the first, on the simulator's
/// virtual clock when `virtual_clock` is true; `left_out_before` attempts of the same call were
/// left out just before it (a call keeps its first 10 and last 100).
fn attempt(a: &Attempt) -> Value {
    json!({
        "function": a.function,
        "number": a.number,
        "of": a.of,
        "at_ms": ms(a.at),
        "virtual_clock": a.virtual_clock,
        "line": a.line,
        "passed": a.passed,
        "detail": a.detail,
        "left_out_before": a.left_out_before,
    })
}

fn test(r: &TestResult) -> Value {
    let mut v = json!({
        "name": r.id.name(),
        "file": r.id.file,
        "row": r.id.row,
        "case": r.id.case,
        "status": status_word(&r.status),
        "duration_ms": ms(r.elapsed),
        "output": r.output,
        "requests": r.calls.iter().map(|c| request(c, r)).collect::<Vec<_>>(),
        "requests_not_kept": r.dropped,
        "attempts": r.attempts.iter().map(attempt).collect::<Vec<_>>(),
        "tags": r.tags,
    });
    match &r.status {
        Status::Failed(f) | Status::Interrupted(f) => {
            v["message"] = f.message.clone().into();
            v["diagnostic"] = f.report.clone().into();
            if let Some(t) = &r.envelopes {
                v["last_envelopes"] = json!({
                    "action": t.action,
                    "request": t.request,
                    "http_status": t.status,
                    "response": t.response,
                });
            }
        }
        Status::Skipped(why) => v["message"] = why.reason().into(),
        Status::Passed => {}
    }
    v
}

/// The report, pretty-printed, ending with a line end.
pub fn render(run: &Run<'_>) -> String {
    let c = Counts::of(run.results);
    let v = json!({
        "report": "ecapi test",
        "version": 1,
        "started": run.started,
        "duration_ms": ms(run.elapsed),
        "counts": {
            "tests": run.results.len(),
            "passed": c.passed,
            "failed": c.failed,
            "interrupted": c.interrupted,
            "not_started": c.not_started,
            "skipped": c.skipped,
        },
        "tests": run.results.iter().map(test).collect::<Vec<_>>(),
    });
    let mut s = serde_json::to_string_pretty(&v).expect("JSON values serialize");
    s.push('\n');
    s
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::runner::report::fixture::result;
    use crate::runner::Failure;

    #[test]
    fn every_test_with_its_requests_and_a_failures_envelopes() {
        let failed = Status::Failed(Failure {
            assertion: false,
            message: "boom".into(),
            report: "error: boom\n".into(),
        });
        let results = [result(Some("one"), Status::Passed), result(None, failed)];
        let text = render(&Run {
            results: &results,
            started: "2026-11-30T01:00:00",
            elapsed: Duration::from_millis(5),
        });
        let v: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(v["counts"]["tests"], 2);
        assert_eq!(v["counts"]["failed"], 1);
        let one = &v["tests"][0];
        assert_eq!(one["name"], "t/a.rhai::one");
        assert_eq!(one["status"], "passed");
        assert!(one.get("last_envelopes").is_none());
        let req = &one["requests"][0];
        assert_eq!(req["op"], "InitStation");
        assert_eq!(req["params"]["Extension"], "1");
        assert_eq!(req["code"], 100);
        assert_eq!(req["at_ms"], 1.0);
        assert_eq!(req["elapsed_ms"], 1.5);
        assert_eq!(req["class"], "success");
        let two = &v["tests"][1];
        assert_eq!(two["status"], "error");
        assert_eq!(two["message"], "boom");
        assert!(two["last_envelopes"]["request"]
            .as_str()
            .unwrap()
            .contains("<InitStation/>"));
    }
}
