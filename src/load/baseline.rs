//! `--baseline OLD.json`: this run's figures beside an earlier run's, row by row (operations, and
//! every other kind of [`Row`]), with the changes the two exact histograms show beyond noise
//! marked. Pure: results in, a [`Comparison`] out; the table, the JSON and the HTML render it.
//!
//! The method (`docs/load.md` states it for users). A percentile's change is *beyond noise* when
//! all three hold:
//!
//! 1. the two distributions differ: the two-sample Kolmogorov–Smirnov statistic `D` (the largest
//!    gap between the two cumulative distributions, read exactly off the two HDR histograms, which
//!    share their buckets) exceeds its critical value at α = 0.001,
//!    `c(α)·√((n+m)/(n·m))` with `c(α) = √(−ln(α/2)/2)` ≈ 1.95;
//! 2. the percentile moved past its own noise: the distribution-free 99.9 % confidence intervals
//!    of that percentile in the two runs (the order statistics at ranks `n·q ± 3.29·√(n·q·(1−q))`,
//!    the binomial's normal approximation) do not overlap;
//! 3. the change matters in practice: at least [`MIN_CHANGE_RATIO`] (5 %) and at least
//!    [`MIN_CHANGE_MS`] (1 ms) of the baseline's value.
//!
//! The first two assume independent samples; requests of one run are not quite: a stall of the
//! load machine, the network or the server slows the requests in flight together, so the
//! slowest few come in clusters. A percentile is therefore judged only when at least
//! [`MIN_BEYOND`] (50) values lie beyond it in each run (p99 needs 5,000 requests, p95 1,000,
//! p90 500, p50 100); a tail read from fewer rests on a handful of stalls. With the third rule
//! this keeps a run against a noisy twin of itself from marking anything. A row is `regressed` when one of its
//! percentiles (p50, p90, p95, p99) is slower beyond noise. The rate's change is shown, not
//! judged: in the closed model it follows the latencies and the agents, in the open model
//! `--rate` sets it.

use super::histogram::Latency;
use super::results::{Results, Row, RowKind};
use super::summary::PERCENTILES;

/// The least relative change that counts: 5 % of the baseline's value.
pub const MIN_CHANGE_RATIO: f64 = 0.05;

/// The least absolute change that counts, in ms.
pub const MIN_CHANGE_MS: f64 = 1.0;

/// The fewest values beyond a percentile, in each run, for its change to be judged.
pub const MIN_BEYOND: f64 = 50.0;

/// The Kolmogorov–Smirnov test's significance level.
pub const ALPHA: f64 = 0.001;

/// The normal quantile of a two-sided 99.9 % interval, for the percentiles' confidence intervals.
const Z: f64 = 3.290_5;

/// Which runs a row is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Presence {
    /// In both runs: compared.
    Both,
    /// Only in this run.
    OnlyNow,
    /// Only in the baseline.
    OnlyBaseline,
}

impl Presence {
    /// As the JSON and the reports say it.
    pub fn word(self) -> &'static str {
        match self {
            Presence::Both => "both",
            Presence::OnlyNow => "only in this run",
            Presence::OnlyBaseline => "only in the baseline",
        }
    }
}

/// What the comparison says of a row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Slower beyond noise at one percentile at least.
    Slower,
    /// Faster beyond noise at one percentile at least, and slower at none.
    Faster,
    /// No change beyond noise.
    WithinNoise,
    /// In both runs, but nothing was timed in one of them (every request interrupted).
    NotTimed,
    /// In one run only.
    Missing(Presence),
}

impl Outcome {
    /// As the table, the JSON and the report say it.
    pub fn word(self) -> &'static str {
        match self {
            Outcome::Slower => "slower",
            Outcome::Faster => "faster",
            Outcome::WithinNoise => "within noise",
            Outcome::NotTimed => "not timed",
            Outcome::Missing(presence) => presence.word(),
        }
    }
}

/// Which way a change beyond noise goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// Slower than the baseline.
    Slower,
    /// Faster than the baseline.
    Faster,
}

/// One row's figures in one run.
#[derive(Debug, Clone, PartialEq)]
pub struct Figures {
    /// How many (requests), answered or not.
    pub count: u64,
    /// Per second over the run.
    pub rate: f64,
    /// Each of [`PERCENTILES`], in ms; `None` when nothing was timed.
    pub percentiles: Vec<Option<f64>>,
}

impl Figures {
    fn of(row: &Row<'_>, r: &Results) -> Figures {
        Figures {
            count: row.count,
            rate: r.rate_of(row.count),
            percentiles: PERCENTILES
                .iter()
                .map(|(p, _)| (row.latency.count() > 0).then(|| row.latency.percentile_ms(*p)))
                .collect(),
        }
    }
}

/// A percentile's change.
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    /// `p95`.
    pub name: &'static str,
    /// The baseline's value, in ms.
    pub baseline_ms: f64,
    /// This run's, in ms.
    pub now_ms: f64,
    /// The percentile's 99.9 % confidence interval in the baseline, in ms.
    pub baseline_interval_ms: (f64, f64),
    /// And in this run.
    pub now_interval_ms: (f64, f64),
    /// Whether both runs have enough values beyond the percentile to judge it ([`MIN_BEYOND`]).
    pub judged: bool,
    /// Beyond noise, which way; `None` within it (or not judged).
    pub beyond_noise: Option<Direction>,
}

impl Change {
    /// The change in ms.
    pub fn delta_ms(&self) -> f64 {
        self.now_ms - self.baseline_ms
    }

    /// The change relative to the baseline (0.1 = 10 % slower); `None` when the baseline is 0.
    pub fn ratio(&self) -> Option<f64> {
        (self.baseline_ms > 0.0).then(|| self.now_ms / self.baseline_ms - 1.0)
    }
}

/// The Kolmogorov–Smirnov test of two histograms.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct KolmogorovSmirnov {
    /// The largest gap between the two cumulative distributions, 0 to 1.
    pub d: f64,
    /// The gap past which the distributions differ at [`ALPHA`].
    pub critical: f64,
}

impl KolmogorovSmirnov {
    /// The test on two non-empty histograms of the same precision.
    pub fn of(a: &Latency, b: &Latency) -> KolmogorovSmirnov {
        let (n, m) = (a.count() as f64, b.count() as f64);
        let (xa, xb) = (a.recorded(), b.recorded());
        let (mut i, mut j) = (0, 0);
        let (mut ca, mut cb) = (0_u64, 0_u64);
        let mut d: f64 = 0.0;
        // Walk both step functions in value order; the gap is measured after every step.
        while i < xa.len() || j < xb.len() {
            let va = xa.get(i).map_or(u64::MAX, |v| v.0);
            let vb = xb.get(j).map_or(u64::MAX, |v| v.0);
            let v = va.min(vb);
            if va == v {
                ca += xa[i].1;
                i += 1;
            }
            if vb == v {
                cb += xb[j].1;
                j += 1;
            }
            d = d.max((ca as f64 / n - cb as f64 / m).abs());
        }
        let c = (-(ALPHA / 2.0).ln() / 2.0).sqrt();
        KolmogorovSmirnov {
            d,
            critical: c * ((n + m) / (n * m)).sqrt(),
        }
    }

    /// Whether the distributions differ beyond chance.
    pub fn differ(&self) -> bool {
        self.d > self.critical
    }
}

/// The distribution-free 99.9 % confidence interval of percentile `p` (0 to 100), in ms.
pub fn interval_ms(h: &Latency, p: f64) -> (f64, f64) {
    let n = h.count() as f64;
    let q = p / 100.0;
    let spread = Z * (n * q * (1.0 - q)).sqrt();
    let lo = (n * q - spread).floor().max(1.0) as u64;
    let hi = (n * q + spread).ceil().min(n) as u64;
    (
        h.value_at_rank_us(lo) as f64 / 1000.0,
        h.value_at_rank_us(hi) as f64 / 1000.0,
    )
}

/// One row compared.
#[derive(Debug, Clone)]
pub struct RowComparison {
    /// Operation or transaction.
    pub kind: RowKind,
    /// Its name.
    pub name: String,
    /// Which runs it is in.
    pub presence: Presence,
    /// This run's figures (absent when only in the baseline).
    pub now: Option<Figures>,
    /// The baseline's.
    pub baseline: Option<Figures>,
    /// The change of each percentile (empty unless both runs timed it).
    pub changes: Vec<Change>,
    /// The test of the whole distributions (absent unless both runs timed it).
    pub ks: Option<KolmogorovSmirnov>,
}

impl RowComparison {
    /// Slower beyond noise at one of the percentiles.
    pub fn regressed(&self) -> bool {
        self.changes
            .iter()
            .any(|c| c.beyond_noise == Some(Direction::Slower))
    }

    /// Faster beyond noise at one of the percentiles, and slower at none.
    pub fn improved(&self) -> bool {
        !self.regressed()
            && self
                .changes
                .iter()
                .any(|c| c.beyond_noise == Some(Direction::Faster))
    }

    /// The rate's change relative to the baseline's; `None` unless both have a rate.
    pub fn rate_ratio(&self) -> Option<f64> {
        match (&self.now, &self.baseline) {
            (Some(now), Some(base)) if base.rate > 0.0 => Some(now.rate / base.rate - 1.0),
            _ => None,
        }
    }

    /// What the comparison says of the row.
    pub fn outcome(&self) -> Outcome {
        match self.presence {
            Presence::Both if self.regressed() => Outcome::Slower,
            Presence::Both if self.improved() => Outcome::Faster,
            Presence::Both if self.ks.is_none() => Outcome::NotTimed,
            Presence::Both => Outcome::WithinNoise,
            other => Outcome::Missing(other),
        }
    }

    /// The row's outcome in words: `slower`, `faster`, `within noise`, `not timed`, or which run
    /// it is missing from.
    pub fn verdict(&self) -> &'static str {
        self.outcome().word()
    }
}

/// Two rows' histograms compared percentile by percentile.
fn compare_latency(now: &Latency, base: &Latency) -> (Vec<Change>, KolmogorovSmirnov) {
    let ks = KolmogorovSmirnov::of(base, now);
    let changes = PERCENTILES
        .iter()
        .map(|(p, name)| {
            let (b, n) = (base.percentile_ms(*p), now.percentile_ms(*p));
            let (bi, ni) = (interval_ms(base, *p), interval_ms(now, *p));
            let apart = ni.0 > bi.1 || bi.0 > ni.1;
            let delta = n - b;
            let matters = delta.abs() >= MIN_CHANGE_MS && delta.abs() >= MIN_CHANGE_RATIO * b;
            let beyond = |h: &Latency| h.count() as f64 * (1.0 - p / 100.0);
            let judged = beyond(base) >= MIN_BEYOND && beyond(now) >= MIN_BEYOND;
            let beyond_noise =
                (judged && ks.differ() && apart && matters).then_some(if delta > 0.0 {
                    Direction::Slower
                } else {
                    Direction::Faster
                });
            Change {
                name,
                baseline_ms: b,
                now_ms: n,
                baseline_interval_ms: bi,
                now_interval_ms: ni,
                judged,
                beyond_noise,
            }
        })
        .collect();
    (changes, ks)
}

/// Compares two rows, either of which may be missing.
pub fn compare_rows(
    kind: RowKind,
    name: &str,
    now: Option<(&Row<'_>, &Results)>,
    base: Option<(&Row<'_>, &Results)>,
) -> RowComparison {
    let presence = match (now.is_some(), base.is_some()) {
        (true, true) => Presence::Both,
        (true, false) => Presence::OnlyNow,
        _ => Presence::OnlyBaseline,
    };
    let (changes, ks) = match (now, base) {
        (Some((n, _)), Some((b, _))) if n.latency.count() > 0 && b.latency.count() > 0 => {
            let (changes, ks) = compare_latency(n.latency, b.latency);
            (changes, Some(ks))
        }
        _ => (Vec::new(), None),
    };
    RowComparison {
        kind,
        name: name.to_string(),
        presence,
        now: now.map(|(row, r)| Figures::of(row, r)),
        baseline: base.map(|(row, r)| Figures::of(row, r)),
        changes,
        ks,
    }
}

/// A run compared with its baseline.
#[derive(Debug, Clone)]
pub struct Comparison {
    /// The baseline's file, as given.
    pub file: String,
    /// The baseline's flow.
    pub flow: String,
    /// When the baseline started.
    pub started: String,
    /// The baseline's duration, in seconds.
    pub duration_s: f64,
    /// Every row of either run: the kinds in order, names in order within a kind.
    pub rows: Vec<RowComparison>,
    /// All requests together.
    pub all: RowComparison,
    /// The generator lag's p99 in the baseline and in this run, in ms.
    pub lag_p99_ms: (f64, f64),
    /// The model of the baseline and of this run: `open` or `closed`.
    pub models: (&'static str, &'static str),
    /// What the baseline and this run talked to (as the summaries' `backend` says).
    pub backends: (String, String),
}

impl Comparison {
    /// Compares `now` with `baseline` (read from `file`).
    pub fn new(file: &str, now: &Results, baseline: &Results) -> Comparison {
        let (now_rows, base_rows) = (now.rows(), baseline.rows());
        let mut keys: Vec<(RowKind, &str)> = now_rows
            .iter()
            .chain(&base_rows)
            .map(|r| (r.kind, r.name))
            .collect();
        keys.sort();
        keys.dedup();
        fn find<'a>(rows: &[Row<'a>], kind: RowKind, name: &str) -> Option<Row<'a>> {
            rows.iter()
                .find(|r| r.kind == kind && r.name == name)
                .copied()
        }
        let rows = keys
            .iter()
            .map(|&(kind, name)| {
                let n = find(&now_rows, kind, name);
                let b = find(&base_rows, kind, name);
                compare_rows(
                    kind,
                    name,
                    n.as_ref().map(|row| (row, now)),
                    b.as_ref().map(|row| (row, baseline)),
                )
            })
            .collect();
        let (now_all, base_all) = (now.overall(), baseline.overall());
        fn all_row(s: &super::results::OpStats) -> Row<'_> {
            Row {
                kind: RowKind::Operation,
                name: "all",
                count: s.count,
                latency: &s.latency,
            }
        }
        let (na, ba) = (all_row(&now_all), all_row(&base_all));
        let all = compare_rows(
            RowKind::Operation,
            "all requests",
            Some((&na, now)),
            Some((&ba, baseline)),
        );
        Comparison {
            file: file.to_string(),
            flow: baseline.flow.clone(),
            started: baseline.started.clone(),
            duration_s: baseline.duration_s,
            rows,
            all,
            lag_p99_ms: (
                baseline.lag.percentile_ms(99.0),
                now.lag.percentile_ms(99.0),
            ),
            models: (baseline.model_name(), now.model_name()),
            backends: (baseline.backend.clone(), now.backend.clone()),
        }
    }

    /// Which run the load machine held up clearly more than the other, if either: `this run` or
    /// `baseline` (its generator lag's p99 at least twice the other's and past the 10 ms that
    /// counts as late). Changes may then be the load machine's own, not the server's: a busier
    /// baseline hides regressions as a busier run invents them.
    pub fn busier_load_machine(&self) -> Option<&'static str> {
        let (base, now) = self.lag_p99_ms;
        let busier = |a: f64, b: f64| a >= 2.0 * b && a * 1000.0 >= super::results::LATE_US as f64;
        if busier(now, base) {
            Some("this run")
        } else if busier(base, now) {
            Some("baseline")
        } else {
            None
        }
    }

    /// What may make the comparison misleading, one sentence each: a busier load machine in
    /// either run, a baseline of the other model (open or closed) or of another kind of backend
    /// (the embedded simulator or an endpoint), as `--merge` names what its runs differ in.
    pub fn warnings(&self) -> Vec<String> {
        let mut words = Vec::new();
        let (base, now) = self.lag_p99_ms;
        match self.busier_load_machine() {
            Some("baseline") => words.push(format!(
                "the baseline's load machine was busier (generator lag p99 {base:.2} ms, this run \
                 {now:.2} ms): some changes may be its own, not the server's"
            )),
            Some(_) => words.push(format!(
                "the load machine was busier in this run (generator lag p99 {now:.2} ms, \
                 baseline {base:.2} ms): some changes may be its own, not the server's"
            )),
            None => {}
        }
        if self.models.0 != self.models.1 {
            words.push(format!(
                "the baseline ran the {} model and this run the {}: latencies of the open model \
                 include the wait for a free agent, so they are not alike",
                self.models.0, self.models.1
            ));
        }
        let kind = |b: &str| b.starts_with("embedded");
        if kind(&self.backends.0) != kind(&self.backends.1) {
            words.push(format!(
                "the baseline ran against {} and this run against {}: the changes are the \
                 backends', not one server's over time",
                self.backends.0, self.backends.1
            ));
        }
        words
    }

    /// The rows slower beyond noise.
    pub fn regressed(&self) -> impl Iterator<Item = &RowComparison> {
        self.rows.iter().filter(|r| r.regressed())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::Operation;
    use crate::load::histogram::TOTAL_FIGURES;
    use crate::load::probe::{Event, Outcome};
    use crate::load::results::Second;

    /// A run of `n` requests of each operation, the i-th taking `base_us + i * step_us`.
    fn run(ops: &[(Operation, u64)], n: u64, step_us: u64) -> Results {
        let mut r = Results::new("f.rhai".into(), "x".into());
        r.duration_s = 10.0;
        let mut s = Second::new(0);
        for &(op, base_us) in ops {
            for i in 0..n {
                r.absorb(
                    Event::Request {
                        op,
                        latency_us: base_us + i * step_us,
                        service_us: base_us,
                        outcome: Outcome::Code(100),
                        at_ms: 0,
                        after_end: false,
                    },
                    &mut s,
                );
            }
        }
        r.timeline.push(s);
        r
    }

    #[test]
    fn a_run_against_itself_marks_nothing() {
        let r = run(
            &[
                (Operation::PortStatus, 800),
                (Operation::StartRecording, 40_000),
            ],
            6000,
            7,
        );
        let c = Comparison::new("same.json", &r, &r);
        for row in c.rows.iter().chain([&c.all]) {
            assert_eq!(row.ks.unwrap().d, 0.0, "{}", row.name);
            assert!(!row.regressed() && !row.improved(), "{}", row.name);
            assert_eq!(row.verdict(), "within noise");
            assert!(
                row.changes.iter().all(|ch| ch.judged),
                "6,000 requests judge p99"
            );
        }
    }

    #[test]
    fn a_busier_load_machine_is_named_in_either_run_and_other_models_or_backends_are_warned_of() {
        let quiet = run(&[(Operation::PortStatus, 800)], 100, 7);
        let mut busy = quiet.clone();
        for _ in 0..100 {
            busy.lag.record_us(50_000);
        }
        let c = Comparison::new("quiet.json", &busy, &quiet);
        assert_eq!(c.busier_load_machine(), Some("this run"));
        assert!(c.warnings()[0].starts_with("the load machine was busier in this run"));
        let c = Comparison::new("busy.json", &quiet, &busy);
        assert_eq!(c.busier_load_machine(), Some("baseline"));
        assert_eq!(c.warnings().len(), 1, "{:?}", c.warnings());
        assert!(
            c.warnings()[0].starts_with("the baseline's load machine was busier"),
            "{:?}",
            c.warnings()
        );
        assert!(Comparison::new("q.json", &quiet, &quiet)
            .warnings()
            .is_empty());

        let mut open = quiet.clone();
        open.rate = Some(10.0);
        let words = Comparison::new("closed.json", &open, &quiet).warnings();
        assert_eq!(words.len(), 1, "{words:?}");
        assert!(
            words[0].starts_with("the baseline ran the closed model and this run the open"),
            "{words:?}"
        );

        let mut served = quiet.clone();
        served.backend = "http://127.0.0.1:8080/ECAPI.svc".into();
        let mut embedded = quiet.clone();
        embedded.backend = "embedded simulator, profile hosted, API 7.1".into();
        let words = Comparison::new("e.json", &served, &embedded).warnings();
        assert_eq!(words.len(), 1, "{words:?}");
        assert!(
            words[0].starts_with(
                "the baseline ran against embedded simulator, profile hosted, API 7.1 and this \
                 run against http://127.0.0.1:8080/ECAPI.svc"
            ),
            "{words:?}"
        );
        // Another endpoint of the same kind is no warning: a server's address may change.
        let mut elsewhere = served.clone();
        elsewhere.backend = "http://127.0.0.1:9090/ECAPI.svc".into();
        assert!(Comparison::new("s.json", &served, &elsewhere)
            .warnings()
            .is_empty());
    }

    #[test]
    fn a_slower_operation_is_marked_and_the_others_are_not() {
        let base = run(
            &[
                (Operation::PortStatus, 800),
                (Operation::StartRecording, 4_000),
            ],
            6000,
            1,
        );
        // StartRecording 20 ms slower; PortStatus slower by 0.7 ms, which is less than 1 ms.
        let now = run(
            &[
                (Operation::PortStatus, 1500),
                (Operation::StartRecording, 24_000),
            ],
            6000,
            1,
        );
        let c = Comparison::new("old.json", &now, &base);
        let names: Vec<&str> = c.regressed().map(|r| r.name.as_str()).collect();
        assert_eq!(names, ["StartRecording"]);
        let ps = c.rows.iter().find(|r| r.name == "PortStatus").unwrap();
        assert!(ps.ks.unwrap().differ(), "the shift is real");
        assert_eq!(
            ps.verdict(),
            "within noise",
            "but below the practical minimum"
        );
        // And the other way round it is faster.
        let back = Comparison::new("new.json", &base, &now);
        let sr = back
            .rows
            .iter()
            .find(|r| r.name == "StartRecording")
            .unwrap();
        assert_eq!(sr.verdict(), "faster");
        assert!(!sr.regressed());
    }

    #[test]
    fn a_tail_read_from_few_values_is_not_judged() {
        // 400 requests: p50 and p90 rest on 200 and 40 values beyond them; p95 and p99 on fewer.
        let base = run(&[(Operation::PortStatus, 4_000)], 400, 10);
        let now = run(&[(Operation::PortStatus, 40_000)], 400, 10);
        let c = Comparison::new("old.json", &now, &base);
        let judged: Vec<(&str, bool)> = c.rows[0]
            .changes
            .iter()
            .map(|ch| (ch.name, ch.judged))
            .collect();
        assert_eq!(
            judged,
            [
                ("p50", true),
                ("p90", false),
                ("p95", false),
                ("p99", false)
            ]
        );
        assert!(c.rows[0].regressed());
    }

    #[test]
    fn an_operation_in_one_run_only_is_shown_as_such() {
        let base = run(
            &[(Operation::PortStatus, 800), (Operation::GetUrl, 900)],
            100,
            1,
        );
        let now = run(
            &[
                (Operation::PortStatus, 800),
                (Operation::StartRecording, 900),
            ],
            100,
            1,
        );
        let c = Comparison::new("old.json", &now, &base);
        let words: Vec<(&str, &str)> = c
            .rows
            .iter()
            .map(|r| (r.name.as_str(), r.verdict()))
            .collect();
        assert_eq!(
            words,
            [
                ("GetURL", "only in the baseline"),
                ("PortStatus", "within noise"),
                ("StartRecording", "only in this run"),
            ]
        );
        assert!(c.rows.iter().all(|r| !r.regressed()));
    }

    #[test]
    fn the_ks_statistic_is_the_largest_gap_between_the_distributions() {
        let (mut a, mut b) = (Latency::new(TOTAL_FIGURES), Latency::new(TOTAL_FIGURES));
        for us in [100, 200, 300, 400] {
            a.record_us(us);
        }
        for us in [300, 400, 500, 600] {
            b.record_us(us);
        }
        // At 200 µs, a has all of half its values and b none.
        assert_eq!(KolmogorovSmirnov::of(&a, &b).d, 0.5);
        let (lo, hi) = interval_ms(&a, 50.0);
        assert!(lo <= a.percentile_ms(50.0) && a.percentile_ms(50.0) <= hi);
    }
}
