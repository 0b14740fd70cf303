//! `ecapi load`: telephony-shaped load. N agents, each with its own script state, run a call flow
//! over and over against one backend (a real server, an `ecapi serve`, or one embedded simulator
//! shared by all), while every request is timed at the transport seam into HDR histograms.
//!
//! The room's plan, one concept per file:
//!
//! | file | owns |
//! |---|---|
//! | `agent.rs` | one agent: its engine, scope, `sleep`, the loop of iterations |
//! | `backend.rs` | the backend the agents share |
//! | `schedule.rs` | the closed and open models' timetables in stages, the end of the test |
//! | `probe.rs` | what agents record, and the measuring transport |
//! | `collector.rs` | gathering events into results, the timeline, live progress |
//! | `histogram.rs` | latency histograms and their interchange encoding |
//! | `results.rs` | the result model, and merging several processes' results |
//! | `threshold.rs` | k6-style thresholds (`p95<200ms`, `p95<baseline*1.2`) and their verdicts |
//! | `baseline.rs` | this run beside an earlier one (`--baseline`): changes beyond noise |
//! | `summary.rs` | the end-of-run table and the JSON summary (written and read back) |
//! | `report_html.rs` | the self-contained HTML report: which charts and tables, in which order |
//! | `chart.rs` | the report's SVG charts: axes, legend, lines, points, bars |
//! | `data.rs` | `--data` rows from CSV or JSON |
//! | `limits.rs` | how many agents the machine allows, and why |
//!
//! It uses `client/` and `script/`; nothing below it imports it. The command line (`cli/load.rs`)
//! turns its arguments into [`LoadOptions`].

pub mod agent;
pub mod backend;
pub mod baseline;
pub mod chart;
pub mod collector;
pub mod data;
pub mod histogram;
pub mod limits;
pub mod probe;
pub mod report_html;
pub mod report_junit;
pub mod results;
pub mod schedule;
pub mod summary;
pub mod threshold;

use std::collections::HashMap;
use std::sync::atomic::AtomicU64;
use std::sync::Arc;
use std::time::{Duration, Instant};

use rhai::Scope;

pub use backend::Backend;
pub use results::Results;
pub use schedule::{EndSignal, Model, Schedule, Stage};
pub use threshold::{Threshold, Verdict};

use crate::script::{self, Diagnostic, Session};

/// After the test's time is up, running iterations get this long to finish at their own pace, unless
/// told otherwise (`--graceful-stop`; k6's `gracefulStop` and its default); then they are
/// interrupted.
pub const GRACEFUL_STOP: Duration = Duration::from_secs(30);

/// After the interruption, how long to wait for agents to notice it before counting what they
/// still have in flight as interrupted and reporting without them. Requests give up within
/// the client's poll of its cancel flag (10 ms), so this is ample.
const STOP_WAIT: Duration = Duration::from_secs(2);

/// How often the wait through the grace period looks for a second signal.
const GRACE_POLL: Duration = Duration::from_millis(50);

/// What to run, validated.
#[derive(Debug, Clone)]
pub struct LoadOptions {
    /// The flow's file name, for reports.
    pub flow: String,
    /// The flow's source.
    pub source: String,
    /// Where the flow's imports are looked for: its folder, then `--module-path`.
    pub modules: script::Modules,
    /// Values for `param(NAME)`.
    pub params: HashMap<String, String>,
    /// `--data` rows (JSON objects); agent `i` gets row `i mod len`.
    pub data: Vec<serde_json::Value>,
    /// The timetable.
    pub schedule: Schedule,
    /// How long running iterations have to finish after the end.
    pub graceful_stop: Duration,
    /// Print every exchange's envelopes.
    pub trace: bool,
    /// Draw the live progress line (when standard error is a terminal).
    pub progress: bool,
}

/// Why a test could not run.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The flow does not compile.
    #[error("{}", .0.message)]
    Compile(Diagnostic),
    /// A thread (an agent's, or the collector's) could not be started.
    #[error("cannot start {what}: {source} (fewer agents, or a higher limit on threads)")]
    Spawn {
        /// Which thread: `agent 16312`, `the collector`.
        what: String,
        /// What the system said.
        source: std::io::Error,
    },
}

/// Runs a test to its end and returns its results. `end` may be given early (a signal: the test
/// then ends as if its time were up) and stopped early (a second signal: the grace period is cut
/// short).
pub fn run(
    options: LoadOptions,
    backend: Backend,
    end: Arc<EndSignal>,
) -> Result<Results, LoadError> {
    // Compile once here, so a mistake in the flow is one clear error, not one per agent.
    {
        let session = Session::new(backend.transport(), HashMap::new()).shared();
        let mut engine = agent::engine(&session, end.clone(), None, agent::Cut::default());
        options.modules.install(&mut engine);
        let mut scope = Scope::new();
        scope.push("agent", agent::agent_map(0, &options.data));
        script::compile(&engine, &scope, &options.source).map_err(LoadError::Compile)?;
    }
    let schedule = options.schedule.clone();
    let mut results = Results::new(options.flow.clone(), backend.describe());
    results.agents = schedule.agents as u64;
    results.ramp_up_s = schedule.ramp_up.as_secs_f64();
    results.stages = schedule.stages.clone();
    results.graceful_stop_s = options.graceful_stop.as_secs_f64();
    results.graceful_ramp_down_s = schedule.graceful_ramp_down.as_secs_f64();
    if let Model::Open { rate } = schedule.model {
        results.rate = Some(rate);
    }
    let shared = Arc::new(agent::Shared {
        source: options.source,
        modules: options.modules,
        params: options.params,
        data: options.data,
        backend,
        schedule: schedule.clone(),
        end: end.clone(),
        gate: agent::Gate::default(),
        finished: agent::Counter::default(),
        next: AtomicU64::new(0),
        active: Arc::new(AtomicU64::new(0)),
        trace: options.trace,
    });
    let buffers: Vec<Arc<probe::Buffer>> = (0..schedule.agents)
        .map(|_| Arc::new(probe::Buffer::default()))
        .collect();
    for (index, buffer) in buffers.iter().enumerate() {
        let (s, b) = (shared.clone(), buffer.clone());
        let spawned = std::thread::Builder::new()
            .name(format!("agent-{index}"))
            .stack_size(agent::STACK_BYTES)
            .spawn(move || agent::run(s, index, b));
        if let Err(source) = spawned {
            shared.gate.open(None);
            return Err(LoadError::Spawn {
                what: format!("agent {index} of {}", schedule.agents),
                source,
            });
        }
    }
    // Every agent has built its engine and compiled the flow: start.
    shared.gate.ready.wait_for(schedule.agents, far_future());
    let t0 = Instant::now();
    shared.gate.open(Some(t0));

    let (done_tx, done_rx) = std::sync::mpsc::channel();
    let collector = collector::Collector::new(
        results,
        buffers,
        shared.active.clone(),
        t0,
        schedule.clone(),
        end.clone(),
        options.progress,
    );
    let collecting = match std::thread::Builder::new()
        .name("load-collector".to_string())
        .spawn(move || collector.run(done_rx))
    {
        Ok(collecting) => collecting,
        Err(source) => {
            // The agents are off; end them before saying why.
            end.stop();
            shared
                .finished
                .wait_for(schedule.agents, Instant::now() + STOP_WAIT);
            return Err(LoadError::Spawn {
                what: "the collector".to_string(),
                source,
            });
        }
    };

    end.wait_until(t0 + schedule.duration);
    end.end();
    let ended_at = end.ended_at().unwrap_or_else(Instant::now);
    let elapsed = ended_at
        .saturating_duration_since(t0)
        .min(schedule.duration);
    // The grace period: running iterations finish at their own pace, unless a second signal
    // stops them first.
    let n = schedule.agents;
    let grace_over = ended_at + options.graceful_stop;
    loop {
        let now = Instant::now();
        if now >= grace_over || end.is_stopped() {
            break;
        }
        if shared
            .finished
            .wait_for(n, grace_over.min(now + GRACE_POLL))
        {
            break;
        }
    }
    end.stop();
    shared.finished.wait_for(n, Instant::now() + STOP_WAIT);
    let _ = done_tx.send(());
    let mut results = collecting.join().expect("the collector does not panic");
    results.duration_s = elapsed.as_secs_f64();
    if let Model::Open { .. } = schedule.model {
        let due = schedule.due_before(elapsed);
        results.iterations.missed = due.saturating_sub(results.iterations.started());
    }
    Ok(results)
}

fn far_future() -> Instant {
    Instant::now() + Duration::from_secs(86_400 * 365)
}
