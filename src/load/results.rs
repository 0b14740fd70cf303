//! The result model of a load test: every figure the summary, the JSON, the HTML report and the
//! thresholds read, built from the agents' [`Event`]s, and merged across processes
//! (`ecapi load --merge`). Latencies are kept as histograms, so merged percentiles are exact.

use std::collections::BTreeMap;

use super::histogram::{Latency, OPERATION_SECOND_FIGURES, SECOND_FIGURES, TOTAL_FIGURES};
use super::probe::{ErrorKind, Event, IterationEnd, Outcome, TransactionEnd};
use super::schedule::Stage;

/// An iteration that starts this late (generator lag) is counted as started late: the load machine,
/// not the server, held it up.
pub const LATE_US: u64 = 10_000;

/// How many distinct failure messages are kept; the rest are counted under "(other failures)".
pub const FAILURE_KINDS: usize = 50;

/// One operation's figures.
#[derive(Debug, Clone)]
pub struct OpStats {
    /// Requests made before the test's time was up (answered or not), and requests interrupted
    /// at the end of the grace period.
    pub count: u64,
    /// Response codes met, and how often.
    pub codes: BTreeMap<u16, u64>,
    /// Transport errors by kind (`connect`, `timeout`…), and how often.
    pub errors: BTreeMap<String, u64>,
    /// Latency from when each request was due (coordinated omission corrected; in the closed
    /// model the same as `service`). Interrupted requests have none.
    pub latency: Latency,
    /// Time from sending to the answer.
    pub service: Latency,
}

impl Default for OpStats {
    fn default() -> OpStats {
        OpStats {
            count: 0,
            codes: BTreeMap::new(),
            errors: BTreeMap::new(),
            latency: Latency::new(TOTAL_FIGURES),
            service: Latency::new(TOTAL_FIGURES),
        }
    }
}

impl OpStats {
    /// Requests that got no response code.
    pub fn error_count(&self) -> u64 {
        self.errors.values().sum()
    }

    /// Requests answered with a code other than 100.
    pub fn not_ok_count(&self) -> u64 {
        self.codes
            .iter()
            .filter(|(c, _)| **c != 100)
            .map(|(_, n)| n)
            .sum()
    }

    /// Adds another's figures; the error names the count that would overflow.
    fn merge(&mut self, other: &OpStats) -> Result<(), String> {
        add(&mut self.count, other.count, "count")?;
        for (c, n) in &other.codes {
            add(self.codes.entry(*c).or_default(), *n, &format!("codes.{c}"))?;
        }
        for (k, n) in &other.errors {
            add(
                self.errors.entry(k.clone()).or_default(),
                *n,
                &format!("errors_by_kind.{k}"),
            )?;
        }
        self.latency.add(&other.latency);
        self.service.add(&other.service);
        Ok(())
    }
}

/// How many transaction names are kept; the rest are counted under [`OTHER_TRANSACTIONS`].
pub const TRANSACTION_NAMES: usize = 100;

/// The row that transactions past [`TRANSACTION_NAMES`] names are counted under.
pub const OTHER_TRANSACTIONS: &str = "(other transactions)";

/// One transaction's figures (a `transaction(name, block)` of the flow).
#[derive(Debug, Clone)]
pub struct TxStats {
    /// Transactions that ended before the test's stop (completed and failed), those ending in
    /// the grace period included, as iterations are.
    pub count: u64,
    /// Of them, whose block threw.
    pub failed: u64,
    /// Cut by the test's stop at the end of the grace period (not in `count`).
    pub interrupted: u64,
    /// The wall time of the block (Gatling's group duration).
    pub duration: Latency,
    /// The time of the requests inside it, added up (Gatling's cumulated response time).
    pub response_time: Latency,
}

impl Default for TxStats {
    fn default() -> TxStats {
        TxStats {
            count: 0,
            failed: 0,
            interrupted: 0,
            duration: Latency::new(TOTAL_FIGURES),
            response_time: Latency::new(TOTAL_FIGURES),
        }
    }
}

impl TxStats {
    fn merge(&mut self, other: &TxStats) -> Result<(), String> {
        add(&mut self.count, other.count, "count")?;
        add(&mut self.failed, other.failed, "failed")?;
        add(&mut self.interrupted, other.interrupted, "interrupted")?;
        self.duration.add(&other.duration);
        self.response_time.add(&other.response_time);
        Ok(())
    }
}

/// One transaction's figures in one second of the timeline.
#[derive(Debug, Clone)]
pub struct TxSecond {
    /// Transactions that ended in it (completed and failed).
    pub count: u64,
    /// Of them, failed.
    pub failed: u64,
    /// Their durations.
    pub duration: Latency,
}

impl Default for TxSecond {
    fn default() -> TxSecond {
        TxSecond {
            count: 0,
            failed: 0,
            duration: Latency::new(SECOND_FIGURES),
        }
    }
}

/// Adds `n` to the count `to`, or says which count would pass u64's limit.
fn add(to: &mut u64, n: u64, what: &str) -> Result<(), String> {
    *to = to
        .checked_add(n)
        .ok_or_else(|| format!("{what}: {to} + {n} is more than a count can hold"))?;
    Ok(())
}

/// Requests that iterations finishing during the grace period sent after the test's time was up:
/// counted here, kept out of the figures (the burst of an ending test is not the server's).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AfterEnd {
    /// Requests sent after the end and answered (or failed) before the stop.
    pub requests: u64,
    /// Of them, answered with a code other than 100.
    pub not_ok: u64,
    /// Of them, without an answer (transport errors).
    pub errors: u64,
}

/// What became of the flow's iterations.
#[derive(Debug, Clone)]
pub struct Iterations {
    /// Ran to their end.
    pub completed: u64,
    /// Threw: an error, a failed `expect` or assertion.
    pub failed: u64,
    /// Stopped while running: at the end of the grace period, or as their agent left at a lower
    /// stage and its graceful ramp-down ran out (those also in `ramped_down`).
    pub interrupted: u64,
    /// Of `interrupted`, those cut as their agent left at a lower stage (`--graceful-ramp-down`
    /// ran out), not by the test's end.
    pub ramped_down: u64,
    /// Open model: iterations due before the end that never started (every agent was busy).
    pub missed: u64,
    /// Open model: iterations that had to wait for a free agent (their latency includes the wait).
    pub waited: u64,
    /// Failure messages (`line N: message`), and how often.
    pub failures: BTreeMap<String, u64>,
    /// How long iterations took (completed and failed).
    pub duration: Latency,
}

impl Default for Iterations {
    fn default() -> Iterations {
        Iterations {
            completed: 0,
            failed: 0,
            interrupted: 0,
            ramped_down: 0,
            missed: 0,
            waited: 0,
            failures: BTreeMap::new(),
            duration: Latency::new(TOTAL_FIGURES),
        }
    }
}

impl Iterations {
    /// Iterations that started.
    pub fn started(&self) -> u64 {
        self.completed
            .saturating_add(self.failed)
            .saturating_add(self.interrupted)
    }
}

/// One second of the timeline.
#[derive(Debug, Clone)]
pub struct Second {
    /// Seconds since the start (this second covers `t` to `t + 1`).
    pub t: u64,
    /// Requests answered (or failed) in it.
    pub requests: u64,
    /// Of them, answered with a code other than 100.
    pub not_ok: u64,
    /// Of them, without an answer (transport errors).
    pub errors: u64,
    /// Iterations that ended in it.
    pub iterations: u64,
    /// Of them, failed.
    pub failed: u64,
    /// Agents running an iteration at the end of the second (the most, once merged).
    pub active: u64,
    /// Of its requests, those still waiting for their answer when the run was stopped (counted in
    /// `errors` too).
    pub interrupted_requests: u64,
    /// The latency of its requests.
    pub latency: Latency,
    /// The latency of its requests per operation (wire name), for the report's charts per
    /// operation, at [`OPERATION_SECOND_FIGURES`].
    pub operations: BTreeMap<String, Latency>,
    /// Iterations that started in it.
    pub started: u64,
    /// Iterations that the test's stop interrupted in it.
    pub interrupted: u64,
    /// Agents in the test at the end of the second (closed model: joined as the stages rose and
    /// not yet left, an agent leaving on a ramp-down counting until its iteration ends, every
    /// agent still in counting to the test's end; open model: every agent).
    pub agents: u64,
    /// Agents that joined in it, and that left (set by the collector; not in the JSON).
    pub joined: u64,
    /// See `joined`.
    pub left: u64,
    /// Closed model: the agents the stages ask for at the end of the second.
    pub target: Option<f64>,
    /// Open model: the iterations the stages make due in the second.
    pub due: Option<u64>,
    /// Per transaction, by name.
    pub transactions: BTreeMap<String, TxSecond>,
}

impl Second {
    /// An empty second.
    pub fn new(t: u64) -> Second {
        Second {
            t,
            requests: 0,
            not_ok: 0,
            errors: 0,
            iterations: 0,
            failed: 0,
            active: 0,
            interrupted_requests: 0,
            latency: Latency::new(SECOND_FIGURES),
            started: 0,
            interrupted: 0,
            agents: 0,
            joined: 0,
            left: 0,
            target: None,
            due: None,
            transactions: BTreeMap::new(),
            operations: BTreeMap::new(),
        }
    }

    /// The latency of a row's requests in this second; `None` when it had none.
    pub fn latency_of(&self, row: RowKind, name: &str) -> Option<&Latency> {
        match row {
            RowKind::Operation => self.operations.get(name),
            RowKind::Transaction => self.transactions.get(name).map(|t| &t.duration),
        }
    }

    fn merge(&mut self, other: &Second) -> Result<(), String> {
        add(&mut self.requests, other.requests, "requests")?;
        add(&mut self.not_ok, other.not_ok, "not_ok")?;
        add(&mut self.errors, other.errors, "errors")?;
        add(&mut self.iterations, other.iterations, "iterations")?;
        add(&mut self.failed, other.failed, "failed")?;
        add(&mut self.active, other.active, "active")?;
        add(
            &mut self.interrupted_requests,
            other.interrupted_requests,
            "interrupted_requests",
        )?;
        self.latency.add(&other.latency);
        add(&mut self.started, other.started, "started")?;
        add(&mut self.interrupted, other.interrupted, "interrupted")?;
        add(&mut self.agents, other.agents, "agents")?;
        self.target = match (self.target, other.target) {
            (Some(a), Some(b)) => Some(a + b),
            (a, b) => a.or(b),
        };
        self.due = match (self.due, other.due) {
            (Some(a), Some(b)) => Some(a.checked_add(b).ok_or("due: more than a count can hold")?),
            (a, b) => a.or(b),
        };
        for (name, t) in &other.transactions {
            let mine = self.transactions.entry(name.clone()).or_default();
            add(&mut mine.count, t.count, "transactions.count")?;
            add(&mut mine.failed, t.failed, "transactions.failed")?;
            mine.duration.add(&t.duration);
        }
        for (name, latency) in &other.operations {
            self.operations
                .entry(name.clone())
                .or_insert_with(|| Latency::new(OPERATION_SECOND_FIGURES))
                .add(latency);
        }
        Ok(())
    }
}

/// What a row of the views is: the reports, the baseline comparison and the charts show every
/// row alike, a name with a count and a histogram.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum RowKind {
    /// An operation of the Web API: its requests.
    Operation,
    /// A `transaction(name, block)` of the flow: its durations.
    Transaction,
}

impl RowKind {
    /// The summary JSON's section for rows of this kind.
    pub fn section(self) -> &'static str {
        match self {
            RowKind::Operation => "operations",
            RowKind::Transaction => "transactions",
        }
    }

    /// The word for one row of this kind.
    pub fn word(self) -> &'static str {
        match self {
            RowKind::Operation => "operation",
            RowKind::Transaction => "transaction",
        }
    }
}

/// One row: a named histogram with its count.
#[derive(Debug, Clone, Copy)]
pub struct Row<'a> {
    /// Operation or transaction.
    pub kind: RowKind,
    /// Its name (an operation's wire name, a transaction's full name).
    pub name: &'a str,
    /// How many: requests (answered or not), transactions ended (completed or failed).
    pub count: u64,
    /// The latency of the requests timed, the duration of the transactions.
    pub latency: &'a Latency,
}

/// A random id for one run: 16 hex digits.
pub fn run_id() -> String {
    let mut bytes = [0_u8; 8];
    if getrandom::fill(&mut bytes).is_err() {
        // No system randomness: the time and process are unique enough to tell runs apart.
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64);
        bytes = (nanos ^ (u64::from(std::process::id()) << 32)).to_be_bytes();
    }
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Every figure of a test (or of several merged).
#[derive(Debug, Clone)]
pub struct Results {
    /// The flow's file name.
    pub flow: String,
    /// What the agents talked to.
    pub backend: String,
    /// When the test started, RFC 3339 UTC.
    pub started: String,
    /// How long it ran, in seconds (the longest, once merged).
    pub duration_s: f64,
    /// How many agents (all processes', once merged).
    pub agents: u64,
    /// Open model: iterations started per second (all processes', once merged).
    pub rate: Option<f64>,
    /// Ramp-up, in seconds.
    pub ramp_up_s: f64,
    /// The stages (with `--ramp-up`, the ramp and the level); empty when merged runs had
    /// different ones.
    pub stages: Vec<Stage>,
    /// How long running iterations had to finish after the end (`--graceful-stop`), in seconds.
    pub graceful_stop_s: f64,
    /// How long an agent leaving at a lower stage had to finish its iteration
    /// (`--graceful-ramp-down`), in seconds.
    pub graceful_ramp_down_s: f64,
    /// What ended the test before its time (`SIGINT`, `SIGTERM`); `None` when it ran its course.
    pub stopped_by: Option<String>,
    /// Requests sent during the grace period.
    pub after_end: AfterEnd,
    /// Each process's run, by a random id: a run cannot be merged twice.
    pub runs: Vec<String>,
    /// How many processes' results these are.
    pub processes: u64,
    /// Per operation (wire name), in name order.
    pub operations: BTreeMap<String, OpStats>,
    /// Per transaction (full name), in name order.
    pub transactions: BTreeMap<String, TxStats>,
    /// The iterations.
    pub iterations: Iterations,
    /// Generator lag: how late agents started, woke from `sleep` or picked up due iterations.
    pub lag: Latency,
    /// Second by second.
    pub timeline: Vec<Second>,
}

impl Results {
    /// The model as the summary names it: `open` (a rate of iterations) or `closed`.
    pub fn model_name(&self) -> &'static str {
        if self.rate.is_some() {
            "open"
        } else {
            "closed"
        }
    }

    /// Empty results for a test about to start.
    pub fn new(flow: String, backend: String) -> Results {
        Results {
            flow,
            backend,
            started: chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string(),
            duration_s: 0.0,
            agents: 0,
            rate: None,
            ramp_up_s: 0.0,
            stages: Vec::new(),
            graceful_stop_s: 0.0,
            graceful_ramp_down_s: 0.0,
            stopped_by: None,
            after_end: AfterEnd::default(),
            runs: vec![run_id()],
            processes: 1,
            operations: BTreeMap::new(),
            transactions: BTreeMap::new(),
            iterations: Iterations::default(),
            lag: Latency::new(TOTAL_FIGURES),
            timeline: Vec::new(),
        }
    }

    /// All operations together. Counts that would pass u64's limit stop at it; a summary read
    /// back is refused before that ([`Results::check_totals`]).
    pub fn overall(&self) -> OpStats {
        let mut all = OpStats::default();
        for op in self.operations.values() {
            if all.merge(op).is_err() {
                all.count = all.count.saturating_add(op.count);
            }
        }
        all
    }

    /// Whether every total the views compute fits in a count: the error names the first that
    /// does not.
    pub fn check_totals(&self) -> Result<(), String> {
        let mut all = OpStats::default();
        for (name, op) in &self.operations {
            all.merge(op)
                .map_err(|e| format!("all operations' {e} (adding {name})"))?;
        }
        for (name, op) in self.operations.iter().chain([(&"all".to_string(), &all)]) {
            let mut answered = 0_u64;
            for n in op.codes.values().chain(op.errors.values()) {
                add(
                    &mut answered,
                    *n,
                    &format!("operations.{name}: codes and errors"),
                )?;
            }
        }
        let it = &self.iterations;
        let mut started = it.completed;
        for n in [it.failed, it.interrupted, it.missed] {
            add(&mut started, n, "iterations")?;
        }
        Ok(())
    }

    /// Every row of the views: the operations in name order, then the transactions in name order.
    pub fn rows(&self) -> Vec<Row<'_>> {
        let operations = self.operations.iter().map(|(name, s)| Row {
            kind: RowKind::Operation,
            name,
            count: s.count,
            latency: &s.latency,
        });
        let transactions = self.transactions.iter().map(|(name, t)| Row {
            kind: RowKind::Transaction,
            name,
            count: t.count,
            latency: &t.duration,
        });
        operations.chain(transactions).collect()
    }

    /// Requests per second over the test.
    pub fn rate_of(&self, count: u64) -> f64 {
        if self.duration_s > 0.0 {
            count as f64 / self.duration_s
        } else {
            0.0
        }
    }

    /// Iterations that started this much late or more because of the load machine.
    pub fn late(&self) -> u64 {
        self.lag.count_above_us(LATE_US)
    }

    /// Takes in one event; `second` is the timeline's entry for its time.
    pub fn absorb(&mut self, event: Event, second: &mut Second) {
        match event {
            Event::Request {
                op,
                latency_us,
                service_us,
                outcome,
                after_end,
                ..
            } => {
                let interrupted = outcome == Outcome::Error(ErrorKind::Interrupted);
                if after_end && !interrupted {
                    let a = &mut self.after_end;
                    a.requests += 1;
                    match outcome {
                        Outcome::Code(100) => {}
                        Outcome::Code(_) => a.not_ok += 1,
                        Outcome::Error(_) => a.errors += 1,
                    }
                    return;
                }
                let stats = self.operations.entry(op.name().to_string()).or_default();
                stats.count += 1;
                second.requests += 1;
                // An interrupted request has no latency: it got no answer to time.
                if interrupted {
                    second.interrupted_requests += 1;
                } else {
                    stats.latency.record_us(latency_us);
                    stats.service.record_us(service_us);
                    second.latency.record_us(latency_us);
                    // Looked up by the name first: a key is allocated once per second, not
                    // once per request.
                    if !second.operations.contains_key(op.name()) {
                        second.operations.insert(
                            op.name().to_string(),
                            Latency::new(OPERATION_SECOND_FIGURES),
                        );
                    }
                    if let Some(h) = second.operations.get_mut(op.name()) {
                        h.record_us(latency_us);
                    }
                }
                match outcome {
                    Outcome::Code(code) => {
                        *stats.codes.entry(code).or_default() += 1;
                        if code != 100 {
                            second.not_ok += 1;
                        }
                    }
                    Outcome::Error(kind) => {
                        *stats.errors.entry(kind.name().to_string()).or_default() += 1;
                        second.errors += 1;
                    }
                }
            }
            Event::Iteration {
                end, duration_us, ..
            } => {
                let it = &mut self.iterations;
                match end {
                    IterationEnd::Completed => {
                        it.completed += 1;
                        it.duration.record_us(duration_us);
                        second.iterations += 1;
                    }
                    IterationEnd::Failed(why) => {
                        it.failed += 1;
                        it.duration.record_us(duration_us);
                        second.iterations += 1;
                        second.failed += 1;
                        let key = if it.failures.len() < FAILURE_KINDS
                            || it.failures.contains_key(&why)
                        {
                            why
                        } else {
                            "(other failures)".to_string()
                        };
                        *it.failures.entry(key).or_default() += 1;
                    }
                    IterationEnd::Interrupted => {
                        it.interrupted += 1;
                        second.interrupted += 1;
                    }
                    IterationEnd::RampedDown => {
                        it.interrupted += 1;
                        it.ramped_down += 1;
                        second.interrupted += 1;
                    }
                }
            }
            Event::Transaction {
                name,
                duration_us,
                response_us,
                end,
                ..
            } => {
                let name = if self.transactions.len() < TRANSACTION_NAMES
                    || self.transactions.contains_key(&name)
                {
                    name
                } else {
                    OTHER_TRANSACTIONS.to_string()
                };
                let stats = self.transactions.entry(name.clone()).or_default();
                if end == TransactionEnd::Interrupted {
                    stats.interrupted += 1;
                    return;
                }
                let failed = end == TransactionEnd::Failed;
                stats.count += 1;
                stats.failed += u64::from(failed);
                stats.duration.record_us(duration_us);
                stats.response_time.record_us(response_us);
                let in_second = second.transactions.entry(name).or_default();
                in_second.count += 1;
                in_second.failed += u64::from(failed);
                in_second.duration.record_us(duration_us);
            }
            Event::Started { .. } => second.started += 1,
            Event::Joined { .. } => second.joined += 1,
            Event::Left { .. } => second.left += 1,
            Event::Lag { us, waited } => {
                self.lag.record_us(us);
                if waited {
                    self.iterations.waited += 1;
                }
            }
        }
    }

    /// Adds another process's results to these (`ecapi load --merge`). Counts and histograms add
    /// up; the timeline is merged second by second from each test's start; the duration is the
    /// longest. The error names a count that would pass u64's limit (the results are then half
    /// merged, to be thrown away).
    pub fn merge(&mut self, other: &Results) -> Result<(), String> {
        if self.flow != other.flow && !self.flow.split(", ").any(|f| f == other.flow) {
            self.flow = format!("{}, {}", self.flow, other.flow);
        }
        if self.backend != other.backend {
            self.backend = "several backends".to_string();
        }
        self.started = self.started.clone().min(other.started.clone());
        self.duration_s = self.duration_s.max(other.duration_s);
        add(&mut self.agents, other.agents, "agents")?;
        let same_model = self.rate.is_some() == other.rate.is_some();
        self.rate = match (self.rate, other.rate) {
            (Some(a), Some(b)) => Some(a + b),
            (a, b) => a.or(b),
        };
        self.ramp_up_s = self.ramp_up_s.max(other.ramp_up_s);
        // The same stages of one model in each process: their targets add up; different ones
        // (or agents beside rates): none to show.
        let same_shape = same_model
            && self.stages.len() == other.stages.len()
            && self
                .stages
                .iter()
                .zip(&other.stages)
                .all(|(a, b)| a.duration == b.duration);
        if same_shape {
            for (a, b) in self.stages.iter_mut().zip(&other.stages) {
                a.target += b.target;
            }
        } else {
            self.stages.clear();
        }
        self.graceful_stop_s = self.graceful_stop_s.max(other.graceful_stop_s);
        self.graceful_ramp_down_s = self.graceful_ramp_down_s.max(other.graceful_ramp_down_s);
        self.stopped_by = self.stopped_by.clone().or(other.stopped_by.clone());
        add(&mut self.processes, other.processes, "processes")?;
        self.runs.extend(other.runs.iter().cloned());
        let (a, b) = (&mut self.after_end, &other.after_end);
        add(&mut a.requests, b.requests, "after_end.requests")?;
        add(&mut a.not_ok, b.not_ok, "after_end.not_ok")?;
        add(&mut a.errors, b.errors, "after_end.errors")?;
        for (name, op) in &other.operations {
            self.operations
                .entry(name.clone())
                .or_default()
                .merge(op)
                .map_err(|e| format!("operations.{name}.{e}"))?;
        }
        for (name, t) in &other.transactions {
            self.transactions
                .entry(name.clone())
                .or_default()
                .merge(t)
                .map_err(|e| format!("transactions.{name}.{e}"))?;
        }
        let (a, b) = (&mut self.iterations, &other.iterations);
        add(&mut a.completed, b.completed, "iterations.completed")?;
        add(&mut a.failed, b.failed, "iterations.failed")?;
        add(&mut a.interrupted, b.interrupted, "iterations.interrupted")?;
        add(
            &mut a.ramped_down,
            b.ramped_down,
            "iterations.interrupted_at_ramp_down",
        )?;
        add(&mut a.missed, b.missed, "iterations.missed")?;
        add(&mut a.waited, b.waited, "iterations.waited")?;
        for (k, n) in &b.failures {
            add(
                a.failures.entry(k.clone()).or_default(),
                *n,
                "iterations.failures",
            )?;
        }
        a.duration.add(&b.duration);
        self.lag.add(&other.lag);
        // By second: a map, so a day-long timeline merges in n·log n, not n².
        let mut timeline: BTreeMap<u64, Second> = std::mem::take(&mut self.timeline)
            .into_iter()
            .map(|s| (s.t, s))
            .collect();
        for s in &other.timeline {
            match timeline.get_mut(&s.t) {
                Some(mine) => mine
                    .merge(s)
                    .map_err(|e| format!("timeline[t={}].{e}", s.t))?,
                None => {
                    timeline.insert(s.t, s.clone());
                }
            }
        }
        self.timeline = timeline.into_values().collect();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::Operation;

    fn request(op: Operation, ms: u64, outcome: Outcome) -> Event {
        Event::Request {
            op,
            latency_us: ms * 1000,
            service_us: ms * 1000,
            outcome,
            at_ms: 0,
            after_end: false,
        }
    }

    #[test]
    fn events_add_up_per_operation_and_per_second() {
        let mut r = Results::new("f.rhai".into(), "x".into());
        let mut s = Second::new(0);
        r.absorb(
            request(Operation::InitStation, 2, Outcome::Code(100)),
            &mut s,
        );
        r.absorb(
            request(Operation::InitStation, 4, Outcome::Code(601)),
            &mut s,
        );
        r.absorb(
            request(Operation::PortStatus, 1, Outcome::Error(ErrorKind::Timeout)),
            &mut s,
        );
        r.absorb(
            Event::Iteration {
                end: IterationEnd::Failed("line 3: boom".into()),
                duration_us: 10,
                at_ms: 0,
            },
            &mut s,
        );
        let init = &r.operations["InitStation"];
        assert_eq!((init.count, init.not_ok_count()), (2, 1));
        assert_eq!(r.operations["PortStatus"].errors["timeout"], 1);
        assert_eq!((s.requests, s.not_ok, s.errors, s.failed), (3, 1, 1, 1));
        assert_eq!(r.iterations.failures["line 3: boom"], 1);
        assert_eq!(r.overall().count, 3);
    }

    #[test]
    fn merged_results_add_counts_and_keep_the_longest_duration() {
        let mut a = Results::new("f.rhai".into(), "x".into());
        let mut b = a.clone();
        let mut s = Second::new(0);
        a.absorb(
            request(Operation::PortStatus, 1, Outcome::Code(100)),
            &mut s,
        );
        a.timeline.push(s.clone());
        b.absorb(
            request(Operation::PortStatus, 9, Outcome::Code(100)),
            &mut s,
        );
        b.timeline.push(s);
        a.duration_s = 10.0;
        b.duration_s = 12.0;
        a.agents = 5;
        b.agents = 7;
        a.merge(&b).unwrap();
        assert_eq!(a.operations["PortStatus"].count, 2);
        assert_eq!((a.agents, a.processes, a.duration_s), (12, 2, 12.0));
        assert_eq!(a.timeline.len(), 1);
        assert_eq!(a.timeline[0].requests, 3);
    }

    #[test]
    fn requests_after_the_end_stay_out_of_the_figures_and_interrupted_ones_count_as_errors() {
        let mut r = Results::new("f.rhai".into(), "x".into());
        let mut s = Second::new(0);
        r.absorb(
            request(Operation::PortStatus, 2, Outcome::Code(100)),
            &mut s,
        );
        let late = |outcome| Event::Request {
            op: Operation::PortStatus,
            latency_us: 900_000,
            service_us: 900_000,
            outcome,
            at_ms: 0,
            after_end: true,
        };
        r.absorb(late(Outcome::Code(100)), &mut s);
        r.absorb(late(Outcome::Code(603)), &mut s);
        r.absorb(late(Outcome::Error(ErrorKind::Interrupted)), &mut s);
        let ps = &r.operations["PortStatus"];
        assert_eq!((ps.count, ps.error_count(), ps.latency.count()), (2, 1, 1));
        assert_eq!(
            ps.latency.max_ms(),
            2.0,
            "the late answers are not in the percentiles"
        );
        assert_eq!(
            r.after_end,
            AfterEnd {
                requests: 2,
                not_ok: 1,
                errors: 0
            }
        );
        assert_eq!((s.requests, s.errors), (2, 1));
    }

    #[test]
    fn merged_runs_add_their_transactions_stage_targets_and_agents_each_second() {
        use std::time::Duration;
        let stage = |secs: u64, target: f64| Stage {
            duration: Duration::from_secs(secs),
            target,
        };
        let mut a = Results::new("f.rhai".into(), "x".into());
        a.stages = vec![stage(5, 20.0), stage(5, 0.0)];
        let mut b = a.clone();
        b.stages = vec![stage(5, 10.0), stage(5, 0.0)];
        let mut s = Second::new(0);
        s.agents = 3;
        s.target = Some(4.0);
        let tx = Event::Transaction {
            name: "payment".into(),
            duration_us: 5_000,
            response_us: 1_000,
            end: TransactionEnd::Completed,
            at_ms: 0,
        };
        a.absorb(tx.clone(), &mut s);
        a.timeline.push(s.clone());
        b.absorb(tx, &mut s);
        b.timeline.push(s);
        a.merge(&b).unwrap();
        assert_eq!(a.stages, [stage(5, 30.0), stage(5, 0.0)]);
        assert_eq!(a.transactions["payment"].count, 2);
        assert!((a.transactions["payment"].duration.max_ms() - 5.0).abs() < 0.01);
        let t0 = &a.timeline[0];
        assert_eq!((t0.agents, t0.target), (6, Some(8.0)));
        assert_eq!(
            t0.transactions["payment"].count, 3,
            "1 in a, 2 in b's second"
        );
        // Runs of other shapes, or of the other model, merge with no stages to show.
        let mut c = Results::new("f.rhai".into(), "x".into());
        c.stages = vec![stage(3, 1.0)];
        let mut open = a.clone();
        a.merge(&c).unwrap();
        assert!(a.stages.is_empty());
        let mut d = open.clone();
        d.rate = Some(10.0);
        open.merge(&d).unwrap();
        assert!(open.stages.is_empty());
    }

    #[test]
    fn transaction_names_past_the_limit_are_counted_together() {
        let mut r = Results::new("f.rhai".into(), "x".into());
        let mut s = Second::new(0);
        for i in 0..TRANSACTION_NAMES + 5 {
            r.absorb(
                Event::Transaction {
                    name: format!("call-{i}"),
                    duration_us: 1_000,
                    response_us: 0,
                    end: TransactionEnd::Completed,
                    at_ms: 0,
                },
                &mut s,
            );
        }
        assert_eq!(r.transactions.len(), TRANSACTION_NAMES + 1);
        assert_eq!(r.transactions[OTHER_TRANSACTIONS].count, 5);
        assert_eq!(r.transactions["call-0"].count, 1);
    }

    #[test]
    fn a_merge_that_would_pass_the_largest_count_says_which_count() {
        let mut a = Results::new("f.rhai".into(), "x".into());
        let mut b = a.clone();
        a.iterations.completed = u64::MAX - 1;
        b.iterations.completed = 5;
        assert_eq!(
            a.merge(&b).unwrap_err(),
            format!(
                "iterations.completed: {} + 5 is more than a count can hold",
                u64::MAX - 1
            )
        );
    }
}
