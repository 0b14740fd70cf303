//! `ecapi replay`: a recording's requests sent again to a backend, each answer compared with the
//! recorded one; exit 1 on a difference, naming each, and when nothing could be compared.

use std::path::PathBuf;

use clap::Args;

use super::args::BackendArgs;
use super::backend::{BackendConfig, UsageError};
use super::exit::{ExitCode, EXIT_FAILURE, EXIT_SUCCESS};
use crate::proxy::record;
use crate::proxy::replay::{replay as run_replay, Replayed, Verdict};
use crate::runner::{Failure, Status, TestId, TestResult};
use crate::streams::{errln, outln};

/// `ecapi replay`.
#[derive(Debug, Args)]
pub struct ReplayArgs {
    /// A recording made by `ecapi proxy --record`.
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    /// Also write a JUnit XML report (one test case per recorded exchange) to this file.
    #[arg(long, value_name = "FILE")]
    pub report_junit: Option<PathBuf>,
    /// The backend.
    #[command(flatten)]
    pub backend: BackendArgs,
}

/// Replays and reports.
pub fn replay(a: ReplayArgs) -> Result<ExitCode, UsageError> {
    let recording = record::read(&a.file).map_err(UsageError)?;
    if let Some(warning) = &recording.warning {
        errln!("ecapi: warning: {warning}");
    }
    let records = recording.records;
    let config = BackendConfig::from_args(&a.backend)?;
    let mut backend = config.connect()?;
    let results = run_replay(&records, backend.as_mut());
    for r in &results {
        outln!("{}", r.line());
    }
    let failed = results.iter().filter(|r| r.is_failure()).count();
    let skipped = results
        .iter()
        .filter(|r| matches!(r.verdict, Verdict::NotCompared(_)))
        .count();
    let agree = results.len() - failed - skipped;
    outln!(
        "{} exchanges replayed against {}: {agree} agree, {failed} differ, {skipped} not compared",
        results.len(),
        backend.describe(),
    );
    if let Some(path) = &a.report_junit {
        let file = a.file.display().to_string();
        let tests: Vec<TestResult> = results.iter().map(|r| test_result(&file, r)).collect();
        let timestamp = chrono::Utc::now().format("%Y-%m-%dT%H:%M:%S").to_string();
        crate::secrets::write_file(
            path,
            &crate::runner::report::junit::render(&tests, &timestamp),
        )
        .map_err(|e| UsageError(format!("--report-junit {}: {e}", path.display())))?;
    }
    if failed == 0 && agree == 0 {
        // A replay that compared nothing proves nothing: a CI step must not pass on it.
        errln!(
            "ecapi: nothing was compared: none of the {} exchanges in {} has an answer that could be checked",
            results.len(),
            a.file.display()
        );
        return Ok(EXIT_FAILURE);
    }
    Ok(if failed > 0 {
        EXIT_FAILURE
    } else {
        EXIT_SUCCESS
    })
}

/// One replayed exchange as a test case of the shared report model.
fn test_result(file: &str, r: &Replayed) -> TestResult {
    let case = format!("#{} {}", r.index, r.op.map_or("?", |op| op.name()));
    let (status, output) = match &r.verdict {
        // A pass with withheld values says which were sent as the placeholder, not compared.
        Verdict::Passed if !r.redacted.is_empty() => (Status::Passed, r.line()),
        Verdict::Passed => (Status::Passed, String::new()),
        Verdict::NotCompared(why) => (Status::Passed, format!("not compared: {why}")),
        Verdict::Differs(_) | Verdict::Failed(_) => {
            let line = r.line();
            (
                Status::Failed(Failure {
                    assertion: matches!(r.verdict, Verdict::Differs(_)),
                    message: line.clone(),
                    report: line,
                }),
                String::new(),
            )
        }
    };
    TestResult {
        id: TestId {
            file: file.to_string(),
            row: None,
            case: Some(case),
        },
        status,
        elapsed: r.elapsed,
        output,
        calls: Vec::new(),
        dropped: 0,
        envelopes: None,
        api: crate::api::ApiVersion::V7_1,
        attempts: Vec::new(),
        tags: Vec::new(),
        trace: String::new(),
    }
}
