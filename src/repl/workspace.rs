//! The REPL's workspace: one engine over one session, the variables (a [`Scope`]) and the
//! functions defined so far, and the transcript of what ran without error, which `:save` writes.
//!
//! Each line is compiled with the scope in view (strict variables see earlier `let`s), merged with
//! the functions of earlier lines, and run; only then are its own functions kept. That is how Rhai's
//! own REPL keeps state, and it lets a later line redefine a function.

use std::sync::atomic::AtomicBool;
use std::sync::{Arc, OnceLock};

use rhai::{Dynamic, Engine, Scope, AST};

use crate::client::Transport;
use crate::script::{
    self, Diagnostic, Made, Output, Port, ScriptResponse, Session, SharedSession, Stop,
};

/// What one piece of input did.
#[derive(Debug)]
pub struct Evaluated {
    /// The requests it made, oldest first (at most the session's [`RECENT`](crate::script::session)).
    pub made: Vec<Made>,
    /// How many earlier requests it made that are no longer remembered.
    pub dropped: u64,
    /// Its value, or what went wrong.
    pub value: Result<Dynamic, Diagnostic>,
}

/// Engine, variables, functions and transcript.
pub struct Workspace {
    session: SharedSession,
    engine: Engine,
    scope: Scope<'static>,
    functions: AST,
    transcript: Vec<String>,
    stop: Stop,
}

/// The process's interrupt flag: Ctrl-C while a statement runs sets it (the editor reads Ctrl-C as
/// a key, so at the prompt it only abandons the input).
pub fn interrupt_flag() -> Arc<AtomicBool> {
    static FLAG: OnceLock<Arc<AtomicBool>> = OnceLock::new();
    FLAG.get_or_init(|| Arc::new(AtomicBool::new(false)))
        .clone()
}

impl Workspace {
    /// A workspace over a backend; `print` writes to `output`.
    pub fn new(transport: Box<dyn Transport>, output: Output) -> Workspace {
        let session = Session::new(transport, Default::default()).shared();
        let mut engine = script::engine(&session, output);
        let stop = Stop::with_flag(interrupt_flag(), None);
        stop.install(&mut engine);
        session.borrow_mut().set_cancel(stop.cancel());
        Workspace {
            session,
            engine,
            scope: Scope::new(),
            functions: AST::empty(),
            transcript: Vec::new(),
            stop,
        }
    }

    /// The session: backend, tracing, recent requests.
    pub fn session(&self) -> &SharedSession {
        &self.session
    }

    /// Compiles and runs one piece of input.
    pub fn eval(&mut self, source: &str) -> Evaluated {
        let before = self.session.borrow().calls();
        self.stop.arm();
        let value = self.eval_inner(source);
        let session = self.session.borrow();
        let new = session.calls() - before;
        let kept: Vec<Made> = session.recent().cloned().collect();
        let shown = (new as usize).min(kept.len());
        Evaluated {
            made: kept[kept.len() - shown..].to_vec(),
            dropped: new - shown as u64,
            value,
        }
    }

    fn eval_inner(&mut self, source: &str) -> Result<Dynamic, Diagnostic> {
        let ast = script::compile(&self.engine, &self.scope, source)?;
        let mut merged = self.functions.clone();
        merged += ast;
        let value = script::run_ast(&self.engine, &mut self.scope, &merged)?;
        merged.clear_statements();
        self.functions = merged;
        let statement = self.terminated(source.trim());
        if !statement.is_empty() {
            self.transcript.push(statement);
        }
        Ok(value)
    }

    /// The statement as it goes into a saved script: a line typed without its final `;` gets one,
    /// so that the statements still parse one after the other.
    fn terminated(&self, statement: &str) -> String {
        if statement.ends_with(';') || statement.ends_with('}') {
            return statement.to_string();
        }
        let with = format!("{statement};");
        if self.engine.compile_with_scope(&self.scope, &with).is_ok() {
            with
        } else {
            statement.to_string()
        }
    }

    /// Forgets variables, functions and transcript, and starts over on a new backend.
    pub fn reset(&mut self, transport: Box<dyn Transport>) {
        self.session.borrow_mut().set_transport(transport);
        self.session.borrow_mut().clear_recent();
        self.scope.clear();
        self.functions = AST::empty();
        self.transcript.clear();
    }

    /// Switches to another backend, keeping variables and functions; the transcript notes it.
    pub fn switch(&mut self, transport: Box<dyn Transport>, note: &str) {
        self.session.borrow_mut().set_transport(transport);
        self.transcript.push(format!("// {note}"));
    }

    /// The statements that ran without error, in order.
    pub fn transcript(&self) -> &[String] {
        &self.transcript
    }

    /// The transcript as a script that `ecapi run` runs with the same results.
    pub fn script(&self, header: &str) -> String {
        let mut out = String::new();
        for line in header.lines() {
            out.push_str(&format!("// {line}\n"));
        }
        out.push('\n');
        for statement in &self.transcript {
            out.push_str(statement);
            out.push('\n');
        }
        out
    }

    /// The names of the variables defined so far, for completion.
    pub fn variables(&self) -> Vec<String> {
        self.scope.iter().map(|(n, _, _)| n.to_string()).collect()
    }

    /// The variables that hold a `Port`, and those that hold a `Response`, for completion after
    /// a `.`.
    pub fn typed_variables(&self) -> (Vec<String>, Vec<String>) {
        let mut ports = Vec::new();
        let mut responses = Vec::new();
        for (name, _, value) in self.scope.iter() {
            if value.is::<Port>() {
                ports.push(name.to_string());
            } else if value.is::<ScriptResponse>() {
                responses.push(name.to_string());
            }
        }
        (ports, responses)
    }

    /// The names of the functions defined so far, for completion.
    pub fn functions(&self) -> Vec<String> {
        self.functions
            .iter_functions()
            .filter(|f| !f.name.starts_with("anon$"))
            .map(|f| f.name.to_string())
            .collect()
    }
}

/// How a value shows after `=> `, or `None` when it needs no line: nothing (`()`), or a
/// Response, which its grid row already shows.
pub fn show(value: &Dynamic) -> Option<String> {
    if value.is_unit() || value.is::<ScriptResponse>() {
        return None;
    }
    if let Some(p) = value.clone().try_cast::<Port>() {
        return Some(p.to_string());
    }
    if value.is_string() {
        return Some(format!("{:?}", value.to_string()));
    }
    Some(value.to_string())
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;
    use std::rc::Rc;

    use super::*;
    use crate::client::Embedded;
    use crate::simulator::{Settings, Simulator};

    fn ok(ws: &mut Workspace, line: &str) {
        if let Err(d) = ws.eval(line).value {
            panic!("{line}: {}", d.message);
        }
    }

    fn workspace() -> (Workspace, Rc<RefCell<String>>) {
        let out = Rc::new(RefCell::new(String::new()));
        let sim = Simulator::hosted(Settings::default());
        let ws = Workspace::new(Box::new(Embedded::new(sim)), Output::Capture(out.clone()));
        (ws, out)
    }

    #[test]
    fn variables_and_functions_persist_across_lines() {
        let (mut ws, out) = workspace();
        ok(&mut ws, "let p = station(\"1234\");");
        ok(&mut ws, "fn twice(x) { x * 2 }");
        let v = ws.eval("twice(21)").value.unwrap();
        assert_eq!(v.as_int().unwrap(), 42);
        ok(&mut ws, "print(p.unit)");
        assert_eq!(out.borrow().as_str(), "1\n");
        assert_eq!(ws.variables(), ["p"]);
        assert_eq!(ws.functions(), ["twice"]);
    }

    #[test]
    fn a_line_reports_the_requests_it_made() {
        let (mut ws, _) = workspace();
        let e = ws.eval("let p = station(\"1234\"); p.start(); p.start()");
        assert_eq!(e.made.len(), 3);
        assert_eq!(e.made[2].outcome.as_ref().unwrap().code, 609);
        let e = ws.eval("for i in 0..12 { p.status(); }");
        assert_eq!((e.made.len(), e.dropped), (10, 2));
        assert!(ws.eval("1 + 1").made.is_empty());
    }

    #[test]
    fn a_failing_line_is_left_out_of_the_transcript() {
        let (mut ws, _) = workspace();
        ok(&mut ws, "let a = 1");
        let err = ws.eval("nope(a)").value.unwrap_err();
        assert!(err.message.contains("unknown function `nope`"), "{err:?}");
        ws.eval("fn f() { a } f()").value.unwrap_err();
        ok(&mut ws, "if a == 1 { print(a) }");
        assert_eq!(ws.transcript(), ["let a = 1;", "if a == 1 { print(a) }"]);
    }

    #[test]
    fn the_saved_script_runs_as_one() {
        let (mut ws, _) = workspace();
        for line in [
            "let p = station(\"1234\")",
            "p.start()",
            "fn f(x) { x }",
            "f(p)",
        ] {
            ok(&mut ws, line);
        }
        let script = ws.script("saved");
        assert!(script.starts_with("// saved\n\n"));
        let (mut fresh, _) = workspace();
        ok(&mut fresh, &script);
    }

    #[test]
    fn reset_forgets_everything() {
        let (mut ws, _) = workspace();
        ok(&mut ws, "let a = 1; fn f() { 2 }");
        ws.reset(Box::new(Embedded::new(Simulator::hosted(
            Settings::default(),
        ))));
        assert!(ws.eval("a").value.is_err());
        assert!(ws.eval("f()").value.is_err());
        assert!(ws.transcript().is_empty());
    }

    #[test]
    fn values_show_except_unit_and_responses() {
        assert_eq!(show(&Dynamic::UNIT), None);
        assert_eq!(show(&Dynamic::from("x")).as_deref(), Some("\"x\""));
        assert_eq!(show(&Dynamic::from(3_i64)).as_deref(), Some("3"));
    }
}
