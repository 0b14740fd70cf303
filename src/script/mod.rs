//! The Rhai bindings: engine setup, one function per operation, the `Response` and `Port` types,
//! assertions, helpers and simulator control.
//!
//! Naming rule: a script function is the guide's operation name in snake_case (`PortStatusEX` is
//! `port_status_ex`, `GetURL` is `get_url`). Every function reaches Encore only through the
//! session's [`Transport`](crate::client::Transport), so a script runs unchanged against the embedded
//! simulator and a real server. Rhai functions are synchronous; no async reaches this module.

mod args;
mod assertions;
pub mod diagnostic;
pub mod docs;
pub mod help;
mod helpers;
mod limits;
pub mod modules;
mod operations;
mod port;
mod response;
mod session;
mod sim;
mod stop;
pub mod transaction;

use std::cell::RefCell;
use std::rc::Rc;

use rhai::{Dynamic, Engine, Scope, AST};

pub use assertions::AssertionFailure;
pub use diagnostic::Diagnostic;
pub use limits::Limits;
pub use modules::Modules;
pub use operations::LOG_EVENT_KEYS;
pub use port::Port;
pub use response::ScriptResponse;
pub use session::{render_trace, stderr_trace, Made, Observer, Session, SharedSession, TraceSink};
pub use stop::Stop;
pub use transaction::{Transaction, TransactionObserver};

/// Where `print` and `debug` write.
#[derive(Debug, Clone, Default)]
pub enum Output {
    /// Standard output.
    #[default]
    Stdout,
    /// A buffer (tests, parallel runs).
    Capture(Rc<RefCell<String>>),
}

/// An engine with every ecapi function registered over one session.
pub fn engine(session: &SharedSession, output: Output) -> Engine {
    let mut engine = Engine::new();
    engine.set_strict_variables(true);
    engine.set_max_expr_depths(256, 256);
    Limits::default().apply(&mut engine);
    Modules::default().install(&mut engine);
    response::register(&mut engine);
    operations::register(&mut engine, session);
    port::register(&mut engine, session);
    assertions::register(&mut engine);
    helpers::register(&mut engine, session);
    sim::register(&mut engine, session);
    transaction::register(&mut engine, session);
    match output {
        Output::Stdout => {
            // A closed standard output (`ecapi run flow.rhai | head -1`) must not panic the
            // run: what cannot be shown is dropped and the flow goes on.
            engine.on_print(|s| {
                use std::io::Write as _;
                let _ = writeln!(std::io::stdout(), "{s}");
            });
            engine.on_debug(|s, _, pos| {
                use std::io::Write as _;
                let _ = writeln!(std::io::stderr(), "[debug {pos}] {s}");
            });
        }
        Output::Capture(buf) => {
            let b = buf.clone();
            engine.on_print(move |s| {
                let mut b = b.borrow_mut();
                b.push_str(s);
                b.push('\n');
            });
            engine.on_debug(move |s, _, _| {
                let mut b = buf.borrow_mut();
                b.push_str(s);
                b.push('\n');
            });
        }
    }
    engine
}

/// Compiles a script with the variables of a scope in view.
pub fn compile(engine: &Engine, scope: &Scope, source: &str) -> Result<AST, Diagnostic> {
    engine
        .compile_with_scope(scope, source)
        .map_err(|e| Diagnostic::from_parse(&e))
}

/// Runs a compiled script, keeping its variables in the scope.
pub fn run_ast(engine: &Engine, scope: &mut Scope, ast: &AST) -> Result<Dynamic, Diagnostic> {
    engine
        .eval_ast_with_scope::<Dynamic>(scope, ast)
        .map_err(|e| {
            let names: Vec<String> = ast.iter_functions().map(|f| f.name.to_string()).collect();
            Diagnostic::from_eval(&e, &names)
        })
}

/// Compiles and runs a whole script.
pub fn run(engine: &Engine, scope: &mut Scope, source: &str) -> Result<Dynamic, Diagnostic> {
    let ast = compile(engine, scope, source)?;
    run_ast(engine, scope, &ast)
}
