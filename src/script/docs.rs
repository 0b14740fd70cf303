//! The documentation of every script function: signatures, a description and a short example.
//!
//! This table is what `ecapi ops`, the REPL's `:help` and completion show; the fifteen operation
//! functions take their description from the API model, so nothing is written twice.

use std::sync::OnceLock;

use crate::api::Operation;

/// What kind of function it is, for grouping in help.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Group {
    /// One of the fifteen Web API requests.
    Operation,
    /// Getting a `Port`.
    Port,
    /// A method of `Port`.
    PortMethod,
    /// Assertions.
    Assertion,
    /// Helpers.
    Helper,
    /// Simulator control.
    Simulator,
}

impl Group {
    /// A heading for the group.
    pub fn title(self) -> &'static str {
        match self {
            Group::Operation => "Operations (one per Web API request)",
            Group::Port => "Ports",
            Group::PortMethod => "Port methods",
            Group::Assertion => "Assertions",
            Group::Helper => "Helpers",
            Group::Simulator => "Simulator control",
        }
    }
}

/// One script function's documentation.
#[derive(Debug, Clone)]
pub struct FunctionDoc {
    /// The name scripts call.
    pub name: &'static str,
    /// Every accepted form, e.g. `start_recording(unit, port, max_seconds)`.
    pub signatures: &'static [&'static str],
    /// What it does.
    pub doc: &'static str,
    /// A short Rhai example.
    pub example: &'static str,
    /// The operation it sends, for the fifteen operation functions.
    pub op: Option<Operation>,
    /// Its group.
    pub group: Group,
}

macro_rules! f {
    ($group:ident, $name:literal, [$($sig:literal),+], $doc:literal, $ex:literal) => {
        FunctionDoc { name: $name, signatures: &[$($sig),+], doc: $doc, example: $ex, op: None, group: Group::$group }
    };
}

fn op(op: Operation, signatures: &'static [&'static str], example: &'static str) -> FunctionDoc {
    FunctionDoc {
        name: op.script_name(),
        signatures,
        doc: op.doc(),
        example,
        op: Some(op),
        group: Group::Operation,
    }
}

/// Every script function, grouped, operations first.
pub fn functions() -> &'static [FunctionDoc] {
    static DOCS: OnceLock<Vec<FunctionDoc>> = OnceLock::new();
    DOCS.get_or_init(|| {
        use Operation as O;
        vec![
            op(O::InitStation, &["init_station(extension)"], "let r = init_station(\"1234\");\nprint(`unit ${r.unit} port ${r.port}`);"),
            op(O::InitUser, &["init_user(user)", "init_user(user, machine)"], "let r = init_user(\"jsmith\", \"WS-042\");"),
            op(O::CancelRecording, &["cancel_recording(unit, port)"], "cancel_recording(1, 5);"),
            op(O::PauseRecording, &["pause_recording(unit, port)"], "expect_ok(pause_recording(1, 5));"),
            op(O::ResumeRecording, &["resume_recording(unit, port)"], "expect_ok(resume_recording(1, 5));"),
            op(O::StartRecording, &["start_recording(unit, port)", "start_recording(unit, port, max_seconds)"], "expect_ok(start_recording(1, 5));"),
            op(O::StopRecording, &["stop_recording(unit, port)"], "expect_ok(stop_recording(1, 5));"),
            op(O::AssignField, &["assign_field(unit, port, name, value)"], "assign_field(1, 5, \"fldClientID\", \"C-1001\");"),
            op(O::LogEvent, &["log_event(#{ type, timestamp, unit, port, user, machine, parm1, parm2, parm3 })"], "log_event(#{ type: \"TRANSFER\", user: \"jsmith\", parm1: \"to billing\" });"),
            op(O::GetField, &["get_field(unit, port, name)"], "print(get_field(1, 5, \"fldClientID\").value);"),
            op(O::GetUrl, &["get_url(unit, port)"], "let link = get_url(1, 5).url;"),
            op(O::PortStatus, &["port_status(unit, port)"], "if port_status(1, 5).status == \"RECORD\" { stop_recording(1, 5); }"),
            op(O::PortStatusEx, &["port_status_ex(unit, port)"], "let r = port_status_ex(1, 5);\nprint(`${r.status} for ${r.duration} s`);"),
            op(O::DesktopPause, &["desktop_pause(user)"], "desktop_pause(\"jsmith\");"),
            op(O::DesktopResume, &["desktop_resume(user)"], "desktop_resume(\"jsmith\");"),
            f!(Port, "station", ["station(extension)"], "InitStation, then a Port for the unit and port it answered; throws with the code and message when the answer is not 100.", "let p = station(\"1234\");\np.start();"),
            f!(Port, "user_port", ["user_port(user)", "user_port(user, machine)"], "InitUser, then a Port; throws with the code and message when the answer is not 100. Machine defaults to the user.", "let p = user_port(\"jsmith\", \"WS-042\");"),
            f!(Port, "port", ["port(unit, port)"], "A Port for a unit and port known in advance, without sending a request.", "let p = port(1, 17);\nprint(p.status().status);"),
            f!(PortMethod, "start", ["p.start()", "p.start(max_seconds)"], "StartRecording on the port.", "p.start();"),
            f!(PortMethod, "stop", ["p.stop()"], "StopRecording on the port.", "p.stop();"),
            f!(PortMethod, "cancel", ["p.cancel()"], "CancelRecording on the port.", "p.cancel();"),
            f!(PortMethod, "pause", ["p.pause()"], "PauseRecording on the port.", "p.pause();"),
            f!(PortMethod, "resume", ["p.resume()"], "ResumeRecording on the port (API 7.1).", "p.resume();"),
            f!(PortMethod, "assign", ["p.assign(name, value)"], "AssignField on the port.", "p.assign(\"fldCampaign\", \"Winter\");"),
            f!(PortMethod, "field", ["p.field(name)"], "GetField on the port (API 7.1).", "print(p.field(\"fldCampaign\").value);"),
            f!(PortMethod, "url", ["p.url()"], "GetURL on the port.", "print(p.url().url);"),
            f!(PortMethod, "status", ["p.status()"], "PortStatus on the port.", "print(p.status().status);"),
            f!(PortMethod, "status_ex", ["p.status_ex()"], "PortStatusEX on the port (API 7.1).", "print(p.status_ex().duration);"),
            f!(PortMethod, "log", ["p.log(type)", "p.log(type, map)"], "LogEvent tied to the port; the map takes log_event's other keys.", "p.log(\"HOLD\", #{ parm1: \"customer asked\" });"),
            f!(Assertion, "assert", ["assert(condition)", "assert(condition, message)"], "Fails the script (or test) unless the condition is true.", "assert(r.ok, \"start failed\");"),
            f!(Assertion, "assert_eq", ["assert_eq(actual, expected)"], "Fails unless both are equal and of the same type (\"3\" is not 3).", "assert_eq(r.status, \"RECORD\");"),
            f!(Assertion, "expect", ["expect(response, code)"], "Fails unless the response has that code, naming operation, code and message; returns the response.", "expect(stop_recording(1, 5), 608);"),
            f!(Assertion, "expect_ok", ["expect_ok(response)"], "expect(response, 100).", "let r = expect_ok(init_station(\"1234\"));"),
            f!(Assertion, "test", ["test(name, || { … })"], "A named test case. `ecapi test` runs each case of a file on its own, against a fresh simulator, running the file's top level again for each case; elsewhere the body runs where it stands.", "test(\"a second stop answers 608\", || {\n    let p = station(\"1234\");\n    p.start();\n    expect_ok(p.stop());\n    expect(p.stop(), 608);\n});"),
            f!(Helper, "param", ["param(name)", "param(name, default)"], "A value given with --set NAME=VALUE; with a default, converted to the default's type.", "let ext = param(\"extension\", \"1234\");"),
            f!(Helper, "env", ["env(name)"], "An environment variable, or () when unset.", "let user = env(\"USER\");"),
            f!(Helper, "now", ["now()"], "The time as an ISO 8601 timestamp: the embedded simulator's clock (it follows sim_advance), else the local clock.", "log_event(#{ type: \"NOTE\", timestamp: now() });"),
            f!(Helper, "sleep", ["sleep(ms)"], "Waits that many milliseconds of real time (use sim_advance to move the simulator's virtual clock).", "sleep(250);"),
            f!(Helper, "transaction", ["transaction(name, || { … })"], "Runs the block as one named step of the call flow and returns its value. Under ecapi load each transaction is a row of its own (count, rate, duration p50 to max, the time of its requests added up, failed) that thresholds can name (payment.p95<2s); a block that throws counts as failed and the error goes on. Inside another transaction the name becomes outer/inner, unless it holds a / already. ecapi run -v prints each one's duration.", "transaction(\"payment\", || {\n    p.pause();\n    transaction(\"capture\", || p.assign(\"fldCard\", \"ok\"));\n    p.resume();\n});"),
            f!(Simulator, "sim_reset", ["sim_reset()"], "Clears every port, assignment, recording, event, fault and the journal.", "sim_reset();"),
            f!(Simulator, "sim_advance", ["sim_advance(seconds)"], "Moves the simulator's clock forward, at most 100 years per call, in constant time and memory however far (timers fire at their due times; desktop segments are derived, not stored); past midnight the day's assignments and port states reset.", "sim_advance(24 * 3600);"),
            f!(Simulator, "sim_hold", ["sim_hold(unit, port)"], "Puts the active call on hold (recorder profile).", "sim_hold(1, 5);"),
            f!(Simulator, "sim_retrieve", ["sim_retrieve(unit, port)"], "Takes the held call off hold (recorder profile).", "sim_retrieve(1, 5);"),
            f!(Simulator, "sim_hangup", ["sim_hangup(unit, port)"], "Ends the active call (recorder profile).", "sim_hangup(1, 5);"),
            f!(Simulator, "sim_fault", ["sim_fault(operation, code)", "sim_fault(operation, code, count)", "sim_fault(operation, code, probability)", "sim_fault(operation, kind)", "sim_fault(operation, kind, count)", "sim_fault(operation, code, count, #{ unit, port })"], "Makes an operation (\"*\": every one) answer a code instead of 100, for the next count calls or until sim_reset; with #{ unit, port } only requests naming that unit and port (StartRecording, PortStatus...) are hit, so parallel agents on one server keep their own faults; with a probability (a float from 0 to 1) each call answers it by chance, from a seeded generator so runs repeat; code 100 clears. On a served simulator (--endpoint to ecapi serve) a kind instead of a code fails below the Web API: \"http\" (an HTTP error page), \"fault\" (a SOAP fault), \"broken\" (half an envelope) or \"drop\" (a dropped connection); the call then throws, and with broken or drop the simulator has acted on it; a count of 0 clears.", "sim_fault(\"StartRecording\", 618, 1);\nsim_fault(\"LogEvent\", 651, 0.25);\nsim_fault(\"StopRecording\", \"drop\", 1);\nsim_fault(\"StartRecording\", 618, 1, #{ unit: 1, port: 5 });"),
            f!(Simulator, "sim_delay", ["sim_delay(operation, ms)", "sim_delay(operation, ms, #{ unit, port })"], "Adds latency to an operation (\"*\": every one), or with #{ unit, port } only to requests naming that port; at most 600000 ms (10 minutes); 0 removes it.", "sim_delay(\"*\", 200);\nsim_delay(\"GetURL\", 500, #{ unit: 1, port: 5 });"),
            f!(Simulator, "sim_at", ["sim_at(seconds, event, unit, port)"], "Schedules a telephony event (\"hold\", \"retrieve\" or \"hangup\") that many seconds ahead on the simulator's clock (recorder profile). The simulator applies it, at its due time, the first moment it sees its clock past it: before answering a request, on sim_advance, or when listing what it stored; so a CRM driving a served simulator meets it with no script in the loop. An event that cannot happen then (no call to hold) is skipped; sim_scheduled() says why.", "sim_at(30, \"hold\", 1, 5);\nsim_advance(31);"),
            f!(Simulator, "sim_desktops", ["sim_desktops()"], "Each recorded desktop (recorder profile): login, state (RECORD or NOT RECORDING), the unit and port of the user's phone, its latest segments of up to ten minutes (at most 1,000, oldest first), each with started, ended and open, and segments_total, how many there are in all; the open segment, still recording, has no end.", "for d in sim_desktops() { print(`${d.login} ${d.state} ${d.segments.len()}`); }"),
            f!(Simulator, "sim_scheduled", ["sim_scheduled()"], "The events sim_at scheduled: those fired, with their outcome (\"done\" or why not), then those pending.", "for e in sim_scheduled() { print(`${e.due} ${e.event} ${e.outcome}`); }"),
            f!(Simulator, "sim_recordings", ["sim_recordings()", "sim_recordings(#{ unit, port, since, limit })"], "The recordings the simulator keeps (stopped ones), oldest first, as maps, each with its seq (1 for the first since start or reset). At most limit (default 1,000); since is a seq (those after it: pass the last seq of a page for the next) or a time such as \"2026-11-23T10:00:00\" (those stopped at or after it). The hosted profile keeps the last 10,000 (within 16 MiB); the recorder keeps all in its database.", "let page = sim_recordings(#{ port: 5, limit: 100 });\nlet next = sim_recordings(#{ since: page[page.len() - 1].seq });"),
            f!(Simulator, "sim_events", ["sim_events()", "sim_events(#{ unit, port, since, limit })"], "The events logged, oldest first, as maps with their seq; filtered and paged as sim_recordings (since a time: logged at or after it).", "print(sim_events(#{ since: \"2026-11-23\" })[0].type);"),
            f!(Simulator, "sim_journal", ["sim_journal()"], "Every request and answer, with the reason for each non-100 answer.", "for e in sim_journal() { print(`${e.op} ${e.code} ${e.reason}`); }"),
            f!(Simulator, "sim_findings", ["sim_findings()"], "What the audit found in the traffic so far (`ecapi audit --rules`): each finding's rule, severity, time, port, client, message (card numbers masked), exchanges, source, quote and advice.", "for f in sim_findings() { print(`${f.severity}[${f.rule}] ${f.message}`); }"),
            f!(Simulator, "sim_coverage", ["sim_coverage()"], "The operations × response codes the client was answered with so far: exchanges, codes (operation → code → count), failures, never_answered (the guide's codes never answered).", "print(sim_coverage().never_answered);"),
            f!(Simulator, "expect_no_findings", ["expect_no_findings()", "expect_no_findings(severity)"], "Fails, listing them, when the audit found anything (or anything at or above `error`, `warning` or `info`) in the traffic so far. Call it when the flow is done: the checks still waiting for their window (a PauseRecording's DesktopPause, ±5 s) are settled then, on the embedded simulator.", "expect_no_findings(\"error\");"),
        ]
    })
}

/// The documentation of a function by name.
pub fn find(name: &str) -> Option<&'static FunctionDoc> {
    functions().iter().find(|d| d.name == name)
}

/// Every documented name, for completion and suggestions.
pub fn names() -> impl Iterator<Item = &'static str> {
    functions().iter().map(|d| d.name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_operation_has_its_function_documented() {
        for op in Operation::ALL {
            let doc = find(op.script_name()).expect("documented");
            assert_eq!(doc.op, Some(op));
            assert_eq!(doc.doc, op.doc());
        }
    }

    #[test]
    fn names_are_unique() {
        let mut names: Vec<&str> = names().collect();
        names.sort();
        let len = names.len();
        names.dedup();
        assert_eq!(names.len(), len);
    }
}
