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
    modules: crate::script::Modules,
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
            modules: crate::script::Modules::default(),
        }
    }

    /// Where `import` looks for modules. A module is read once per session (`:reset` reads it
    /// again), and a module imported `as NAME` stays known by that name in the lines after.
    pub fn set_modules(&mut self, modules: &crate::script::Modules) {
        self.modules = crate::script::Modules {
            cached: true,
            ..modules.clone()
        };
        self.modules.install(&mut self.engine);
    }

    /// Keeps the modules a line imported `as NAME` known by that name in the lines after, as a
    /// script's later statements know them (the resolver has them already: no module runs again).
    fn keep_imports(&mut self, source: &str) {
        for (path, alias) in script::modules::imports(source) {
            let Some(alias) = alias else { continue };
            let resolved = self.engine.module_resolver().resolve(
                &self.engine,
                None,
                &path,
                rhai::Position::NONE,
            );
            if let Ok(module) = resolved {
                self.engine.register_static_module(alias, module);
            }
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
        // A line that fails has the names it bound (`let`, shadowing included) undone, so the
        // session agrees with the saved script, which leaves the line out. Values it changed
        // through earlier names stay changed, as the requests it sent stay sent.
        let bound = self.scope.len();
        let ran = script::run_ast(&self.engine, &mut self.scope, &merged);
        script::secret_variables_in(&self.scope);
        let value = match ran {
            Ok(value) => value,
            Err(d) => {
                self.scope.rewind(bound);
                return Err(d);
            }
        };
        merged.clear_statements();
        self.functions = merged;
        self.keep_imports(source);
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
        // Modules are read again (an edited helper is seen).
        self.modules.install(&mut self.engine);
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
/// Response, which its grid row already shows. A list of maps (`sim_journal()`,
/// `sim_recordings()`, `sim_events()`...) shows as a table, one row per map.
pub fn show(value: &Dynamic) -> Option<String> {
    if value.is_unit() || value.is::<ScriptResponse>() {
        return None;
    }
    if let Some(rows) = value.read_lock::<rhai::Array>().and_then(|a| table(&a)) {
        return Some(rows);
    }
    if let Some(p) = value.clone().try_cast::<Port>() {
        return Some(p.to_string());
    }
    if value.is_string() {
        return Some(format!("{:?}", value.to_string()));
    }
    Some(value.to_string())
}

/// The columns that come first when present, in this order; the others follow alphabetically.
const FIRST_COLUMNS: &[&str] = &[
    "seq", "time", "due", "index", "unit", "port", "op", "event", "type", "user", "params", "code",
    "message", "started", "stopped", "outcome", "reason",
];

/// The widest a table cell gets; longer values end with `…`.
const CELL: usize = 40;

/// A list of maps as a table: a column per key (in the order keys first appear), a row per map,
/// a count below. `None` when the value is not a non-empty list of maps.
fn table(items: &rhai::Array) -> Option<String> {
    use unicode_width::UnicodeWidthStr;
    if items.is_empty() || !items.iter().all(|i| i.is_map()) {
        return None;
    }
    let maps: Vec<rhai::Map> = items
        .iter()
        .filter_map(|i| i.clone().try_cast::<rhai::Map>())
        .collect();
    let mut keys: Vec<String> = Vec::new();
    for map in &maps {
        for key in map.keys() {
            if !keys.iter().any(|k| k == key.as_str()) {
                keys.push(key.to_string());
            }
        }
    }
    // Maps keep their keys sorted; the columns read better in the order of the simulator's records.
    keys.sort_by_key(|k| {
        FIRST_COLUMNS
            .iter()
            .position(|f| f == k)
            .unwrap_or(usize::MAX)
    });
    let rows: Vec<Vec<String>> = maps
        .iter()
        .map(|m| {
            keys.iter()
                .map(|k| m.get(k.as_str()).map(cell).unwrap_or_default())
                .collect()
        })
        .collect();
    let widths: Vec<usize> = keys
        .iter()
        .enumerate()
        .map(|(i, k)| {
            rows.iter()
                .map(|r| r[i].width())
                .chain([k.width()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let line = |cells: &[String]| {
        let padded: Vec<String> = cells
            .iter()
            .zip(&widths)
            .map(|(c, w)| format!("{c}{}", " ".repeat(w - c.width())))
            .collect();
        padded.join("  ").trim_end().to_string()
    };
    let mut out = String::from("\n");
    out.push_str(&line(&keys));
    out.push('\n');
    for row in &rows {
        out.push_str(&line(row));
        out.push('\n');
    }
    out.push_str(&format!(
        "({} {})",
        rows.len(),
        if rows.len() == 1 { "row" } else { "rows" }
    ));
    Some(out)
}

/// One value as a table cell: text as it is, `[name, value]` pairs as `name=value`, a map as
/// `key=value` pairs, cut to [`CELL`] characters.
fn cell(v: &Dynamic) -> String {
    fn text(v: &Dynamic) -> String {
        if v.is_unit() {
            return String::new();
        }
        if v.is_string() {
            return v.to_string();
        }
        if let Some(a) = v.read_lock::<rhai::Array>() {
            let parts: Vec<String> = a
                .iter()
                .map(|e| match e.read_lock::<rhai::Array>() {
                    Some(pair) if pair.len() == 2 => {
                        format!("{}={}", text(&pair[0]), text(&pair[1]))
                    }
                    _ => text(e),
                })
                .collect();
            return parts.join(", ");
        }
        if let Some(m) = v.read_lock::<rhai::Map>() {
            let parts: Vec<String> = m.iter().map(|(k, v)| format!("{k}={}", text(v))).collect();
            return parts.join(", ");
        }
        v.to_string()
    }
    let full = text(v).replace('\n', " ");
    if full.chars().count() > CELL {
        let cut: String = full.chars().take(CELL - 1).collect();
        format!("{cut}…")
    } else {
        full
    }
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
    fn a_failing_line_binds_nothing() {
        let (mut ws, _) = workspace();
        ok(&mut ws, "let a = 1");
        let err = ws
            .eval("let p = station(\"1\"); let a = 2; p.strat();")
            .value
            .unwrap_err();
        assert!(err.message.contains("strat"), "{err:?}");
        assert_eq!(ws.variables(), ["a"]);
        assert_eq!(ws.transcript(), ["let a = 1;"]);
        assert_eq!(ws.eval("a").value.unwrap().as_int().unwrap(), 1);
        assert!(ws.eval("p").value.is_err());
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
    fn a_list_of_maps_shows_as_a_table() {
        let (mut ws, _) = workspace();
        ok(&mut ws, "init_station(\"1234\"); port_status(1, 999);");
        let journal = ws.eval("sim_journal()").value.unwrap();
        let text = show(&journal).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "");
        assert!(lines[1].starts_with("seq  time"), "{text}");
        assert!(
            lines[1].contains("op") && lines[1].contains("reason"),
            "{text}"
        );
        assert!(lines[2].starts_with("1    "), "{text}");
        assert!(
            lines[2].contains("InitStation") && lines[2].contains("Extension=1234"),
            "{text}"
        );
        assert!(
            lines[3].contains("PortStatus") && lines[3].contains("Unit=1, Port=999"),
            "{text}"
        );
        assert_eq!(lines[4], "(2 rows)");
        let empty = ws.eval("sim_events()").value.unwrap();
        assert_eq!(show(&empty).as_deref(), Some("[]"));
    }

    #[test]
    fn values_show_except_unit_and_responses() {
        assert_eq!(show(&Dynamic::UNIT), None);
        assert_eq!(show(&Dynamic::from("x")).as_deref(), Some("\"x\""));
        assert_eq!(show(&Dynamic::from(3_i64)).as_deref(), Some("3"));
    }
}
