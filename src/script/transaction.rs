//! `transaction(name, || { … })`: a named step of a call flow, timed as one (Gatling's groups, k6's
//! `group`). The block runs and its value is returned; a block that throws is a failed transaction
//! and the error goes on up unchanged. The session keeps the transactions open and, for each, adds
//! up the time of the requests made inside it; when one ends its [`Transaction`] goes to the
//! session's transaction observer (`ecapi load` records it, `ecapi run -v` prints it). With no
//! observer the function only runs the block, so one flow runs unchanged under `run`, `test` and
//! `load`.
//!
//! Names: a transaction inside another is named `outer/inner`, unless the name given already
//! holds a `/`, which is then the whole name (`transaction("payment/pause", …)` anywhere is
//! `payment/pause`). A name is not empty, has no white space and none of `<`, `>`, `=`, `,`
//! (it must read back in a threshold: `payment/pause.p95<2s`), no empty part between `/`s, and is
//! neither an operation's name nor within two letters of one (`StartRecording`, `port_stats`),
//! which a threshold would take for the operation or refuse as a typo of it.

use std::time::{Duration, Instant};

use rhai::{Dynamic, Engine, EvalAltResult, FnPtr, NativeCallContext};

use super::args::error;
use super::session::SharedSession;
use crate::api::Operation;

/// A transaction that ended.
#[derive(Debug, Clone, PartialEq)]
pub struct Transaction {
    /// Its full name (`payment/pause` inside `payment`).
    pub name: String,
    /// When its block started.
    pub started: Instant,
    /// The wall time of its block.
    pub duration: Duration,
    /// The time of the requests made inside it, added up (Gatling's cumulated response time).
    pub response_time: Duration,
    /// Whether its block threw.
    pub failed: bool,
}

/// Told of every transaction as it ends, innermost first.
pub type TransactionObserver = Box<dyn FnMut(&Transaction)>;

/// A transaction still running: its full name, start and the requests' time so far.
#[derive(Debug, Clone)]
pub(crate) struct Open {
    pub(crate) name: String,
    pub(crate) started: Instant,
    pub(crate) response_time: Duration,
}

/// Checks a name as `transaction` takes it; the error says what is wrong.
pub fn check_name(name: &str) -> Result<(), String> {
    if name.is_empty() {
        return Err("transaction: the name is empty".to_string());
    }
    if let Some(c) = name
        .chars()
        .find(|c| c.is_whitespace() || matches!(c, '<' | '>' | '=' | ','))
    {
        return Err(format!(
            "transaction: the name {name:?} holds {c:?}; a name has no white space and none of \
             < > = , so that a threshold can name it (e.g. payment/pause.p95<2s)"
        ));
    }
    if name.split('/').any(str::is_empty) {
        return Err(format!(
            "transaction: the name {name:?} has an empty part between slashes"
        ));
    }
    if let Some(op) = operation_near(name) {
        let how = if Operation::lookup(name).is_some() {
            "is the name of"
        } else {
            "is within two letters of"
        };
        return Err(format!(
            "transaction: the name {name:?} {how} the operation {op}; a threshold such as \
             {name}.p95<2s would judge the operation or be refused as a typo of it, so name the \
             step apart (e.g. start or call/start)"
        ));
    }
    Ok(())
}

/// The operation a name is, or is a likely typo of: within two letters of its wire or script
/// name (`InitStatoin`, `port_stats`), ignoring case. Short names (`start`, `pause`) are far
/// enough from every operation to name transactions.
pub fn operation_near(name: &str) -> Option<&'static str> {
    let lower = name.to_ascii_lowercase();
    Operation::ALL.into_iter().find_map(|op| {
        [op.name(), op.script_name()]
            .into_iter()
            .any(|n| strsim::levenshtein(&lower, &n.to_ascii_lowercase()) <= 2)
            .then(|| op.name())
    })
}

/// The full name of a transaction named `name` inside `outer` (the innermost open one, if any).
pub fn full_name(outer: Option<&str>, name: &str) -> String {
    match outer {
        Some(outer) if !name.contains('/') => format!("{outer}/{name}"),
        _ => name.to_string(),
    }
}

/// One ended transaction as `ecapi run -v` and the REPL print it:
/// `transaction payment/pause: 12.345 ms (requests 10.002 ms)`, `, failed` when its block threw.
pub fn line(t: &Transaction) -> String {
    format!(
        "transaction {}: {:.3} ms (requests {:.3} ms){}",
        t.name,
        t.duration.as_secs_f64() * 1000.0,
        t.response_time.as_secs_f64() * 1000.0,
        if t.failed { ", failed" } else { "" }
    )
}

/// Registers `transaction(name, block)`.
pub fn register(engine: &mut Engine, session: &SharedSession) {
    let s = session.clone();
    engine.register_fn(
        "transaction",
        move |context: NativeCallContext,
              name: &str,
              block: FnPtr|
              -> Result<Dynamic, Box<EvalAltResult>> {
            check_name(name).map_err(error)?;
            s.borrow_mut().begin_transaction(name);
            let result = block.call_within_context::<Dynamic>(&context, ());
            s.borrow_mut().end_transaction(result.is_err());
            result
        },
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_that_a_threshold_could_not_name_are_refused() {
        assert!(check_name("payment").is_ok());
        assert!(check_name("payment/pause").is_ok());
        assert!(check_name("call-start_2.v1").is_ok());
        assert_eq!(
            check_name("").unwrap_err(),
            "transaction: the name is empty"
        );
        assert!(check_name("take payment").unwrap_err().contains("' '"));
        assert!(check_name("a<b").unwrap_err().contains("'<'"));
        assert!(check_name("a//b").unwrap_err().contains("empty part"));
        assert!(check_name("/a").unwrap_err().contains("empty part"));
    }

    #[test]
    fn operation_names_and_near_misses_are_refused_naming_the_operation() {
        assert_eq!(
            check_name("StartRecording").unwrap_err(),
            "transaction: the name \"StartRecording\" is the name of the operation \
             StartRecording; a threshold such as StartRecording.p95<2s would judge the operation \
             or be refused as a typo of it, so name the step apart (e.g. start or call/start)"
        );
        assert!(check_name("start_recording")
            .unwrap_err()
            .contains("is the name of the operation StartRecording"));
        assert!(check_name("StartRecordin")
            .unwrap_err()
            .contains("within two letters of the operation StartRecording"));
        assert!(check_name("port_stats")
            .unwrap_err()
            .contains("the operation PortStatus"));
        for fine in [
            "start",
            "pause",
            "payment/pause",
            "call/StartRecording",
            "recording",
        ] {
            assert!(check_name(fine).is_ok(), "{fine}");
        }
    }

    #[test]
    fn a_transaction_is_one_line_with_its_two_times() {
        let t = Transaction {
            name: "payment/pause".into(),
            started: Instant::now(),
            duration: Duration::from_micros(12_345),
            response_time: Duration::from_micros(10_002),
            failed: true,
        };
        assert_eq!(
            line(&t),
            "transaction payment/pause: 12.345 ms (requests 10.002 ms), failed"
        );
    }

    #[test]
    fn an_inner_transaction_is_named_under_the_outer_unless_its_name_has_a_slash() {
        assert_eq!(full_name(None, "payment"), "payment");
        assert_eq!(full_name(Some("payment"), "pause"), "payment/pause");
        assert_eq!(full_name(Some("a/b"), "c"), "a/b/c");
        assert_eq!(full_name(Some("call"), "payment/pause"), "payment/pause");
    }
}
