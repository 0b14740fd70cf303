//! Thresholds, k6's model for CI: each `--threshold` names a figure, a comparison and a limit
//! (`p95<200ms`, `errors<1%`, `InitStation.p99<500ms`, `rate>100/s`); the test passes only when
//! every one holds, and the summary lists each with its verdict.
//!
//! Grammar: `[OPERATION.|TRANSACTION.]FIGURE COMPARISON VALUE[UNIT]`, spaces allowed, where
//! - FIGURE is a latency (`p50`, `p90`, `p95`, `p99`, any `pN` or `p(N)`, `med`, `avg`, `min`,
//!   `max`; units `ms` (the default), `s`, `us`), `errors` (requests without a response code) or
//!   `not_ok` (requests answered with a code other than 100), each a share (`1%` or `0.01`),
//!   `rate` (requests per second; `/s` or `/m`), or `failed` (the share of iterations that failed;
//!   no operation);
//! - COMPARISON is `<`, `<=`, `>` or `>=`;
//! - OPERATION is an operation's wire or script name (`InitStation`, `init_station`);
//! - VALUE may instead be relative to the run given as `--baseline`: `baseline` or
//!   `baseline*FACTOR` (`p95<baseline*1.2`: at most 20 % above the baseline's p95 of the same
//!   operation; `rate>baseline*0.9`), which needs `--baseline`.
//! - TRANSACTION is a transaction's full name (`payment`, `payment/pause`; dots allowed: the
//!   figure is what follows the first dot after which a figure can be read, so `a.b.p99.9` is
//!   `p99.9` of `a.b`). Its latencies are its durations, `rate` its transactions per second and
//!   `failed` the share of them whose block threw; it has no `errors` or `not_ok`. A name that is
//!   an operation's is the operation; one a letter or two from an operation's is refused as a
//!   likely typo.

use std::fmt;
use std::str::FromStr;

use super::results::{OpStats, Results};
use crate::api::Operation;

/// What a threshold measures.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Figure {
    /// A latency percentile (0 to 100), in ms.
    Percentile(f64),
    /// The smallest latency, in ms.
    Min,
    /// The mean latency, in ms.
    Avg,
    /// The largest latency, in ms.
    Max,
    /// The share of requests without a response code (transport errors), 0 to 1.
    Errors,
    /// The share of requests answered with a code other than 100, 0 to 1.
    NotOk,
    /// Requests per second.
    Rate,
    /// The share of iterations that failed, 0 to 1.
    Failed,
}

/// A comparison.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Comparison {
    /// `<`
    Less,
    /// `<=`
    LessOrEqual,
    /// `>`
    Greater,
    /// `>=`
    GreaterOrEqual,
}

impl Comparison {
    fn holds(self, actual: f64, limit: f64) -> bool {
        match self {
            Comparison::Less => actual < limit,
            Comparison::LessOrEqual => actual <= limit,
            Comparison::Greater => actual > limit,
            Comparison::GreaterOrEqual => actual >= limit,
        }
    }
}

/// One threshold, parsed.
#[derive(Debug, Clone, PartialEq)]
pub struct Threshold {
    /// As written.
    pub text: String,
    /// The operation it is about; `None` for all requests (or a transaction).
    pub op: Option<Operation>,
    /// The transaction it is about, by full name.
    pub transaction: Option<String>,
    /// The figure.
    pub figure: Figure,
    /// The comparison.
    pub comparison: Comparison,
    /// The limit, in the figure's unit (ms, a share from 0 to 1, per second); with `relative`,
    /// the factor of the baseline's figure.
    pub limit: f64,
    /// Whether the limit is the baseline's figure times `limit` (`p95<baseline*1.2`).
    pub relative: bool,
}

/// A threshold's verdict on a test's results.
#[derive(Debug, Clone, PartialEq)]
pub struct Verdict {
    /// The threshold as written.
    pub threshold: String,
    /// The figure measured, in the figure's unit; `None` when there was nothing to measure.
    pub actual: Option<f64>,
    /// The figure measured, for people (`12.3 ms`, `0.5 %`, `210.4/s`, or why there is none).
    pub shown: String,
    /// Whether it holds.
    pub pass: bool,
}

impl fmt::Display for Threshold {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

fn bad(text: &str, why: impl fmt::Display) -> String {
    format!("--threshold '{text}': {why}")
}

impl FromStr for Threshold {
    type Err = String;

    /// Parses a threshold; the error names the threshold and what is wrong with it, with an example.
    fn from_str(text: &str) -> Result<Threshold, String> {
        let compact: String = text.chars().filter(|c| !c.is_whitespace()).collect();
        let at = compact.find(['<', '>']).ok_or_else(|| {
            bad(
                text,
                "no comparison: write FIGURE<VALUE or FIGURE>VALUE, e.g. p95<200ms",
            )
        })?;
        let (left, rest) = compact.split_at(at);
        let (comparison, value) = if let Some(v) = rest.strip_prefix("<=") {
            (Comparison::LessOrEqual, v)
        } else if let Some(v) = rest.strip_prefix(">=") {
            (Comparison::GreaterOrEqual, v)
        } else if let Some(v) = rest.strip_prefix('<') {
            (Comparison::Less, v)
        } else {
            (Comparison::Greater, &rest[1..])
        };
        if left.is_empty() {
            return Err(bad(text, "no figure before the comparison, e.g. p95<200ms"));
        }
        // The subject is what comes before the first dot after which a figure can be read.
        let split = left
            .match_indices('.')
            .map(|(i, _)| i)
            .find(|&i| i > 0 && figure(&left[i + 1..]).is_some());
        let (subject, name) = match split {
            Some(i) => (Some(&left[..i]), &left[i + 1..]),
            None => (None, left),
        };
        let (op, transaction) = match subject {
            None => (None, None),
            Some(subject) => match Operation::lookup(subject) {
                Some(found) => (Some(found), None),
                None => {
                    if let Some(near) = crate::script::transaction::operation_near(subject) {
                        return Err(bad(
                            text,
                            format!(
                                "no operation {subject} (did you mean {near}?); a transaction's \
                                 name must not be a letter or two from an operation's"
                            ),
                        ));
                    }
                    if let Err(why) = crate::script::transaction::check_name(subject) {
                        return Err(bad(text, why));
                    }
                    (None, Some(subject.to_string()))
                }
            },
        };
        let figure = figure(name).ok_or_else(|| {
            let name = match (split, name.rsplit_once('.')) {
                // `InitStation.bogus`: the figure asked for is what follows the dot.
                (None, Some((_, after)))
                    if !is_percentile_prefix(name.split('.').next().unwrap_or("")) =>
                {
                    after
                }
                _ => name,
            };
            bad(
                text,
                format!(
                    "no figure {name}: use p50, p90, p95, p99, pN, med, avg, min, max, errors, \
                     not_ok, rate or failed"
                ),
            )
        })?;
        if figure == Figure::Failed && op.is_some() {
            return Err(bad(
                text,
                "failed counts iterations of the whole flow; it takes no operation",
            ));
        }
        if transaction.is_some() && matches!(figure, Figure::Errors | Figure::NotOk) {
            return Err(bad(
                text,
                "a transaction has no errors or not_ok; use failed (the share of its runs whose \
                 block threw), or the figure of an operation",
            ));
        }
        let (limit, relative) = match value.strip_prefix("baseline") {
            Some(factor) => (baseline_factor(factor).map_err(|why| bad(text, why))?, true),
            None => (limit(figure, value).map_err(|why| bad(text, why))?, false),
        };
        Ok(Threshold {
            text: text.trim().to_string(),
            op,
            transaction,
            figure,
            comparison,
            limit,
            relative,
        })
    }
}

/// Whether the part before a dot is the start of a percentile (`p99` of `p99.9`, `p(99` of
/// `p(99.9)`), not an operation.
fn is_percentile_prefix(s: &str) -> bool {
    s.strip_prefix('p')
        .map(|d| d.strip_prefix('(').unwrap_or(d))
        .is_some_and(|d| !d.is_empty() && d.chars().all(|c| c.is_ascii_digit()))
}

fn figure(name: &str) -> Option<Figure> {
    let lower = name.to_ascii_lowercase();
    let f = match lower.as_str() {
        "min" => Figure::Min,
        "max" => Figure::Max,
        "avg" | "mean" => Figure::Avg,
        "med" => Figure::Percentile(50.0),
        "errors" => Figure::Errors,
        "not_ok" => Figure::NotOk,
        "rate" => Figure::Rate,
        "failed" => Figure::Failed,
        _ => {
            let digits = lower.strip_prefix('p')?;
            let digits = digits
                .strip_prefix('(')
                .and_then(|d| d.strip_suffix(')'))
                .unwrap_or(digits);
            let p: f64 = digits.parse().ok()?;
            if !(0.0..=100.0).contains(&p) {
                return None;
            }
            Figure::Percentile(p)
        }
    };
    Some(f)
}

/// Reads what follows `baseline`: nothing (a factor of 1) or `*FACTOR`, a positive number.
fn baseline_factor(rest: &str) -> Result<f64, String> {
    if rest.is_empty() {
        return Ok(1.0);
    }
    let factor = rest.strip_prefix('*').ok_or_else(|| {
        format!("after `baseline` comes `*FACTOR` (e.g. p95<baseline*1.2), not `{rest}`")
    })?;
    match factor.parse::<f64>() {
        Ok(f) if f.is_finite() && f > 0.0 => Ok(f),
        _ => Err(format!(
            "`{factor}` is not a positive factor (e.g. p95<baseline*1.2)"
        )),
    }
}

/// Splits `200ms` into the number and its unit.
fn number(value: &str) -> Result<(f64, &str), String> {
    let end = value
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(value.len());
    let (n, unit) = value.split_at(end);
    if n.is_empty() {
        return Err(format!("no number after the comparison (got `{value}`)"));
    }
    let n: f64 = n.parse().map_err(|_| format!("`{n}` is not a number"))?;
    Ok((n, unit))
}

fn limit(figure: Figure, value: &str) -> Result<f64, String> {
    let (n, unit) = number(value)?;
    match figure {
        Figure::Percentile(_) | Figure::Min | Figure::Avg | Figure::Max => match unit {
            "" | "ms" => Ok(n),
            "s" => Ok(n * 1000.0),
            "us" | "µs" => Ok(n / 1000.0),
            other => Err(format!(
                "a latency is in ms, s or us, not `{other}` (e.g. p95<200ms)"
            )),
        },
        Figure::Errors | Figure::NotOk | Figure::Failed => match unit {
            "%" if n <= 100.0 => Ok(n / 100.0),
            "" if n <= 1.0 => Ok(n),
            "" => Err(format!(
                "a share is a percentage or a fraction up to 1: write {n}% or {}",
                n / 100.0
            )),
            "%" => Err(format!("{n}% is more than 100%")),
            other => Err(format!("a share is in % (e.g. errors<1%), not `{other}`")),
        },
        Figure::Rate => match unit {
            "" | "/s" => Ok(n),
            "/m" | "/min" => Ok(n / 60.0),
            other => Err(format!(
                "a rate is per second (/s) or per minute (/m), not `{other}`"
            )),
        },
    }
}

impl Threshold {
    /// The threshold's verdict on a test's results; a relative threshold compares with the same
    /// figure of `baseline`. A threshold about requests that never happened fails, saying so (a CI
    /// gate must not pass on nothing); so does a relative one without a baseline figure.
    pub fn evaluate(&self, results: &Results, baseline: Option<&Results>) -> Verdict {
        let verdict = |actual: Option<f64>, pass: bool, shown: String| Verdict {
            threshold: self.text.clone(),
            pass,
            actual,
            shown,
        };
        let actual = match self.measure(results) {
            Ok(a) => a,
            Err(why) => return verdict(None, false, why),
        };
        let shown = self.show(actual);
        if !self.relative {
            return verdict(
                Some(actual),
                self.comparison.holds(actual, self.limit),
                shown,
            );
        }
        let Some(baseline) = baseline else {
            return verdict(
                Some(actual),
                false,
                format!("{shown}; no --baseline to compare with"),
            );
        };
        match self.measure(baseline) {
            Ok(base) => {
                let limit = base * self.limit;
                verdict(
                    Some(actual),
                    self.comparison.holds(actual, limit),
                    format!(
                        "{shown} (baseline {} × {} = {})",
                        self.show(base),
                        self.limit,
                        self.show(limit)
                    ),
                )
            }
            Err(why) => verdict(
                Some(actual),
                false,
                format!("{shown}; in the baseline {why}"),
            ),
        }
    }

    /// Whether the threshold compares with `--baseline`.
    pub fn is_relative(&self) -> bool {
        self.relative
    }

    /// A figure in the threshold's unit, for people: `12.30 ms`, `0.50 %`, `210.4/s`.
    fn show(&self, v: f64) -> String {
        match self.figure {
            Figure::Percentile(_) | Figure::Min | Figure::Avg | Figure::Max => format!("{v:.2} ms"),
            Figure::Errors | Figure::NotOk | Figure::Failed => format!("{:.2} %", v * 100.0),
            Figure::Rate => format!("{v:.1}/s"),
        }
    }

    /// The figure measured on `results`, in its unit, or why there is none.
    fn measure(&self, results: &Results) -> Result<f64, String> {
        if let Some(name) = &self.transaction {
            return self.measure_transaction(name, results);
        }
        if self.figure == Figure::Failed {
            let it = &results.iterations;
            let ran = it.completed + it.failed;
            if ran == 0 {
                return Err("no iteration ended".to_string());
            }
            return Ok(it.failed as f64 / ran as f64);
        }
        let overall;
        let stats: &OpStats = match self.op {
            Some(op) => match results.operations.get(op.name()) {
                Some(s) => s,
                None => return Err(format!("no {} requests were made", op.name())),
            },
            None => {
                overall = results.overall();
                &overall
            }
        };
        if self.figure == Figure::Rate {
            return Ok(results.rate_of(stats.count));
        }
        if stats.count == 0 {
            return Err("no requests were made".to_string());
        }
        let latency = matches!(
            self.figure,
            Figure::Percentile(_) | Figure::Min | Figure::Avg | Figure::Max
        );
        if latency && stats.latency.count() == 0 {
            // Every request was interrupted: there is no latency to judge, and no pass on nothing.
            return Err("no request was answered".to_string());
        }
        let share = |n: u64| n as f64 / stats.count as f64;
        Ok(match self.figure {
            Figure::Percentile(p) => stats.latency.percentile_ms(p),
            Figure::Min => stats.latency.min_ms(),
            Figure::Avg => stats.latency.mean_ms(),
            Figure::Max => stats.latency.max_ms(),
            Figure::Errors => share(stats.error_count()),
            Figure::NotOk => share(stats.not_ok_count()),
            Figure::Rate | Figure::Failed => unreachable!("handled above"),
        })
    }

    /// A transaction's figure: its durations, its rate, the share of it that failed.
    fn measure_transaction(&self, name: &str, results: &Results) -> Result<f64, String> {
        let Some(t) = results.transactions.get(name) else {
            let known: Vec<&str> = results.transactions.keys().map(String::as_str).collect();
            let known = if known.is_empty() {
                "the flow ended none".to_string()
            } else {
                format!("those that ran: {}", known.join(", "))
            };
            return Err(format!("no transaction {name} ran ({known})"));
        };
        if self.figure == Figure::Rate {
            return Ok(results.rate_of(t.count));
        }
        if t.count == 0 {
            return Err(format!("no {name} transaction ended"));
        }
        let d = &t.duration;
        Ok(match self.figure {
            Figure::Percentile(p) => d.percentile_ms(p),
            Figure::Min => d.min_ms(),
            Figure::Avg => d.mean_ms(),
            Figure::Max => d.max_ms(),
            Figure::Failed => t.failed as f64 / t.count as f64,
            Figure::Errors | Figure::NotOk | Figure::Rate => {
                unreachable!("refused when parsed, or handled above")
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Threshold {
        s.parse().unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn the_issue_examples_parse() {
        let t = parse("p95<200ms");
        assert_eq!(
            (t.op, t.figure, t.comparison, t.limit),
            (None, Figure::Percentile(95.0), Comparison::Less, 200.0)
        );
        let t = parse("errors<1%");
        assert_eq!((t.figure, t.limit), (Figure::Errors, 0.01));
        let t = parse("InitStation.p99<500ms");
        assert_eq!(
            (t.op, t.figure),
            (Some(Operation::InitStation), Figure::Percentile(99.0))
        );
        let t = parse("rate>100/s");
        assert_eq!(
            (t.figure, t.comparison, t.limit),
            (Figure::Rate, Comparison::Greater, 100.0)
        );
    }

    #[test]
    fn other_forms_parse() {
        assert_eq!(parse("p99.9 <= 1s").figure, Figure::Percentile(99.9));
        assert_eq!(parse("p99.9 <= 1s").limit, 1000.0);
        assert_eq!(parse("p(90)<5").figure, Figure::Percentile(90.0));
        // The README's own example, k6's spelling.
        let t = parse("p(99.9)<1s");
        assert_eq!(
            (t.op, t.figure, t.limit),
            (None, Figure::Percentile(99.9), 1000.0)
        );
        let t = parse("StopRecording.p(99.9) < 20ms");
        assert_eq!(
            (t.op, t.figure, t.limit),
            (
                Some(Operation::StopRecording),
                Figure::Percentile(99.9),
                20.0
            )
        );
        assert_eq!(
            parse("port_status.max<250us").op,
            Some(Operation::PortStatus)
        );
        assert_eq!(
            parse("StartRecording.p99.9<2s").figure,
            Figure::Percentile(99.9)
        );
        assert_eq!(parse("failed<=0.05").limit, 0.05);
        assert_eq!(parse("rate>=600/m").limit, 10.0);
        assert_eq!(parse("not_ok<2%").figure, Figure::NotOk);
    }

    #[test]
    fn a_latency_threshold_fails_when_every_request_was_interrupted() {
        use crate::load::probe::{ErrorKind, Event, Outcome};
        use crate::load::results::Second;
        let mut r = Results::new("f.rhai".into(), "x".into());
        r.absorb(
            Event::Request {
                op: Operation::PortStatus,
                latency_us: 0,
                service_us: 0,
                outcome: Outcome::Error(ErrorKind::Interrupted),
                at_ms: 0,
                after_end: false,
            },
            &mut Second::new(0),
        );
        let v = parse("p95<200ms").evaluate(&r, None);
        assert!(!v.pass);
        assert_eq!(v.shown, "no request was answered");
        let v = parse("errors<1%").evaluate(&r, None);
        assert_eq!((v.pass, v.actual), (false, Some(1.0)));
    }

    #[test]
    fn a_relative_threshold_compares_with_the_baseline_s_same_figure() {
        use crate::load::probe::{Event, Outcome};
        use crate::load::results::Second;
        let run = |us: u64| {
            let mut r = Results::new("f.rhai".into(), "x".into());
            r.duration_s = 1.0;
            for _ in 0..10 {
                r.absorb(
                    Event::Request {
                        op: Operation::StartRecording,
                        latency_us: us,
                        service_us: us,
                        outcome: Outcome::Code(100),
                        at_ms: 0,
                        after_end: false,
                    },
                    &mut Second::new(0),
                );
            }
            r
        };
        let t = parse("StartRecording.p95 < baseline * 1.2");
        assert!(t.is_relative() && t.limit == 1.2);
        assert!(parse("rate>baseline").is_relative());
        let (base, same, slow) = (run(1000), run(1100), run(1300));
        assert!(t.evaluate(&same, Some(&base)).pass);
        let v = t.evaluate(&slow, Some(&base));
        assert!(!v.pass);
        assert_eq!(v.shown, "1.30 ms (baseline 1.00 ms × 1.2 = 1.20 ms)");
        let v = t.evaluate(&same, None);
        assert!(!v.pass && v.shown.ends_with("no --baseline to compare with"));
        let v = parse("InitStation.p95<baseline*2").evaluate(&same, Some(&base));
        assert!(
            !v.pass && v.shown == "no InitStation requests were made",
            "{v:?}"
        );
        let empty = Results::new("f.rhai".into(), "x".into());
        let v = t.evaluate(&same, Some(&empty));
        assert!(!v.pass);
        assert_eq!(
            v.shown,
            "1.10 ms; in the baseline no StartRecording requests were made"
        );
    }

    #[test]
    fn malformed_thresholds_say_what_is_wrong() {
        let err = |s: &str| s.parse::<Threshold>().unwrap_err();
        assert_eq!(
            err("p95 200ms"),
            "--threshold 'p95 200ms': no comparison: write FIGURE<VALUE or FIGURE>VALUE, e.g. p95<200ms"
        );
        assert!(err("p95<").contains("no number after the comparison"));
        assert!(err("p95<200furlongs").contains("a latency is in ms, s or us, not `furlongs`"));
        assert!(err("errors<5").contains("write 5% or 0.05"));
        assert!(
            err("InitStatoin.p95<1").contains("no operation InitStatoin (did you mean InitStation")
        );
        assert!(err("p101<1").contains("no figure p101"));
        assert!(err("InitStation.failed<1%").contains("takes no operation"));
        assert!(err("<5").contains("no figure before the comparison"));
        assert!(err("p95<baseline+5ms").contains("after `baseline` comes `*FACTOR`"));
        assert!(err("p95<baseline*-1").contains("`-1` is not a positive factor"));
        assert!(err("p95<baseline*x").contains("`x` is not a positive factor"));
        assert!(
            err("InitStation.bogus<5").contains("no figure bogus"),
            "{}",
            err("InitStation.bogus<5")
        );
        assert!(err("payment.errors<1%").contains("a transaction has no errors"));
    }

    #[test]
    fn transactions_are_named_before_the_figure_slashes_and_dots_included() {
        let t = parse("payment.p95<2s");
        assert_eq!(
            (t.op, t.transaction.as_deref(), t.figure, t.limit),
            (None, Some("payment"), Figure::Percentile(95.0), 2000.0)
        );
        let t = parse("payment/pause.failed<1%");
        assert_eq!(
            (t.transaction.as_deref(), t.figure, t.limit),
            (Some("payment/pause"), Figure::Failed, 0.01)
        );
        let t = parse("call.v2.p99.9 <= 1s");
        assert_eq!(
            (t.transaction.as_deref(), t.figure),
            (Some("call.v2"), Figure::Percentile(99.9))
        );
        assert_eq!(parse("payment.rate>1/s").figure, Figure::Rate);
        // A step's plain name is a transaction, however near an operation's it starts.
        assert_eq!(parse("start.p95<1s").transaction.as_deref(), Some("start"));
        assert_eq!(parse("pause.p95<1s").transaction.as_deref(), Some("pause"));
        assert!("port_stats.p95<1s"
            .parse::<Threshold>()
            .unwrap_err()
            .contains("did you mean PortStatus?"));
        // Operations stay operations.
        let t = parse("StartRecording.p95<1s");
        assert_eq!(
            (t.op, t.transaction),
            (Some(Operation::StartRecording), None)
        );
    }

    #[test]
    fn transaction_thresholds_judge_the_transaction_s_own_figures() {
        use crate::load::probe::{Event, TransactionEnd};
        use crate::load::results::Second;
        let mut r = Results::new("f.rhai".into(), "x".into());
        r.duration_s = 10.0;
        let mut s = Second::new(0);
        for (ms, end) in [
            (100, TransactionEnd::Completed),
            (200, TransactionEnd::Completed),
            (300, TransactionEnd::Completed),
            (3000, TransactionEnd::Failed),
        ] {
            r.absorb(
                Event::Transaction {
                    name: "payment/pause".into(),
                    duration_us: ms * 1000,
                    response_us: ms * 500,
                    end,
                    at_ms: 0,
                },
                &mut s,
            );
        }
        let judge = |t: &str| parse(t).evaluate(&r, None);
        assert!(judge("payment/pause.p50<250ms").pass);
        assert!(!judge("payment/pause.max<2s").pass);
        assert!(judge("payment/pause.failed<=25%").pass);
        assert!(!judge("payment/pause.failed<25%").pass);
        assert_eq!(judge("payment/pause.failed<25%").shown, "25.00 %");
        assert!(judge("payment/pause.rate>=0.4/s").pass);
        let missing = judge("payment.p95<2s");
        assert!(!missing.pass);
        assert_eq!(
            missing.shown,
            "no transaction payment ran (those that ran: payment/pause)"
        );
    }
}
