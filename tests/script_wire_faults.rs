//! `sim_fault(operation, kind, count)` from a script: a served simulator fails the next calls below
//! the Web API, the script sees each failure as an error it can catch, and the embedded simulator
//! says it cannot do this.

mod common;

use std::collections::HashMap;

use ecapi::api::ApiVersion;
use ecapi::client::{Embedded, Http, HttpOptions, Transport};
use ecapi::script::{self, Diagnostic, Output, Session};
use rhai::Scope;

fn run_on(transport: Box<dyn Transport>, src: &str) -> (Result<(), Diagnostic>, String) {
    let session = Session::new(transport, HashMap::new()).shared();
    let buf = std::rc::Rc::new(std::cell::RefCell::new(String::new()));
    let engine = script::engine(&session, Output::Capture(buf.clone()));
    let result = script::run(&engine, &mut Scope::new(), src).map(|_| ());
    let output = buf.borrow().clone();
    (result, output)
}

const CATCHING: &str = r#"
fn attempt() {
    let said = "";
    try { said = `answered ${port_status(1, 1).code}`; } catch (e) { said = `failed: ${e}`; }
    said
}
sim_fault("PortStatus", "http", 1);
print(attempt());
print(attempt());
sim_fault("*", "fault", 2);
print(attempt());
print(attempt());
print(attempt());
sim_fault("port_status", "broken");
print(attempt());
print(attempt());
sim_fault("PortStatus", "broken", 0);
sim_fault("StartRecording", "drop", 1);
try { start_recording(1, 2, 0); } catch (e) { print(`failed: ${e}`) }
// A dropped answer does not mean nothing happened: the recording did start.
print(port_status(1, 2).status);
"#;

#[test]
fn a_script_fails_the_next_calls_below_the_web_api_on_a_served_simulator_and_catches_each() {
    let server = common::serve(ApiVersion::V7_1);
    let http = Http::connect(HttpOptions::new(server.url())).expect("the client connects");
    let (result, output) = run_on(Box::new(http), CATCHING);
    if let Err(d) = &result {
        panic!("{}\n{}", d.message, d.render("t.rhai", CATCHING));
    }
    let lines: Vec<&str> = output.lines().collect();
    assert_eq!(lines.len(), 9, "{output}");
    assert!(
        lines[0].starts_with("failed: ") && lines[0].contains("503"),
        "{output}"
    );
    assert_eq!(lines[1], "answered 100", "{output}");
    for line in &lines[2..4] {
        assert!(
            line.starts_with("failed: ") && line.contains("InternalServiceFault"),
            "{output}"
        );
    }
    assert_eq!(lines[4], "answered 100", "{output}");
    // Until removed, every call gets a broken body.
    assert!(lines[5].starts_with("failed: "), "{output}");
    assert!(lines[6].starts_with("failed: "), "{output}");
    assert!(lines[7].starts_with("failed: "), "{output}");
    assert_eq!(lines[8], "RECORD", "{output}");
}

#[test]
fn the_embedded_simulator_refuses_failures_below_the_web_api_and_unknown_kinds_are_named() {
    let embedded = || Box::new(Embedded::new(common::simulator(ApiVersion::V7_1)));
    let (result, _) = run_on(embedded(), r#"sim_fault("*", "drop", 1);"#);
    let message = result
        .expect_err("the embedded simulator cannot drop")
        .message;
    assert!(
        message
            .contains("only a served simulator (ecapi serve) can answer with a dropped connection"),
        "{message}"
    );
    let (result, _) = run_on(embedded(), r#"sim_fault("*", "timeout", 1);"#);
    let message = result.expect_err("an unknown kind").message;
    assert!(
        message.starts_with("sim_fault: `timeout` is not a failure a served simulator can answer with; the kinds are \"http\""),
        "{message}"
    );
}
