//! The interactive shell (`ecapi`, `ecapi repl`): reads Rhai statements, runs them against the
//! backend, and prints each request as a row of a result grid, the way the vendor's sample client
//! does.
//!
//! On a terminal it uses rustyline (completion, hints, multi-line input, history across sessions);
//! with standard input not a terminal it reads statements line by line, so it can be piped. The
//! parts, one per file: [`workspace`] (engine, variables, functions, transcript), [`helper`]
//! (the editor's completion, hints and validation), [`meta`] (the `:` commands), [`grid`] (result
//! rows), [`input`] (when input is complete), [`history`] (where history is kept).
//!
//! The shell does not know the command line: it receives a [`Connect`] that builds a backend for
//! a [`Backend`] choice, so that `:backend` and `:api` go through the same validation as the
//! command line's options.

pub mod grid;
pub mod helper;
pub mod history;
pub mod input;
pub mod meta;
pub mod workspace;

use std::cell::{Cell, RefCell};
use std::io::{BufRead, IsTerminal};
use std::rc::Rc;

use rustyline::config::{CompletionType, Config};
use rustyline::error::ReadlineError;
use rustyline::history::FileHistory;
use rustyline::Editor;

use crate::api::ApiVersion;
use crate::client::Transport;
use crate::script::{stderr_trace, Made, Output};
use crate::streams::{err, errln, out, outln};
use helper::{Helper, Names};
use workspace::{show, Workspace};

/// Which backend to talk to: a server's URL or the embedded simulator, and the API version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Backend {
    /// A server's URL, or `None` for the embedded simulator.
    pub endpoint: Option<String>,
    /// The API version.
    pub api: ApiVersion,
}

/// A backend option as it goes into a saved script's `// args:` line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SavedArg {
    /// A word as it is (`--profile`, `recorder`).
    Word(String),
    /// A file, absolute; written relative to the saved script's folder, as `// args:` reads it.
    Path(std::path::PathBuf),
}

/// The backend options a saved script needs besides `--endpoint` and `--api` (which `:backend` and
/// `:api` change): those of the embedded simulator, and those of the SOAP client. Credentials are
/// never saved.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SavedArgs {
    /// For the embedded simulator: `--profile`, `--config`, `--db`, `--clock`.
    pub embedded: Vec<SavedArg>,
    /// For a server: `--ca-cert`, `--insecure`, `--timeout`.
    pub endpoint: Vec<SavedArg>,
}

/// Builds a backend; the error says why it cannot be had.
pub type Connect = Box<dyn Fn(&Backend) -> Result<Box<dyn Transport>, String>>;

/// Writes requests as a program (`:export`): the language's name, the requests in order, the
/// backend in words and the API version they were made in; the error says why it cannot.
pub type Export = Box<dyn Fn(&str, &[Made], &str, ApiVersion) -> Result<String, String>>;

/// How many requests a session keeps for `:export` (as many as a test's record keeps).
pub const EXPORT_KEEP: usize = 1000;

/// What the shell starts with.
pub struct Options {
    /// The backend chosen on the command line.
    pub backend: Backend,
    /// Whether `--trace` was given.
    pub trace: bool,
    /// How to build a backend, now and on `:backend`, `:api` and `:reset`.
    pub connect: Connect,
    /// The backend options to save with a script.
    pub saved_args: SavedArgs,
    /// Where `import` looks for modules: the working folder, then these (`--module-path`).
    pub module_path: Vec<std::path::PathBuf>,
    /// How `:export` writes a program; `None` where it is not offered.
    pub export: Option<Export>,
}

/// Errors that end the shell (rather than a line of input).
#[derive(Debug, thiserror::Error)]
pub enum ReplError {
    /// The first backend could not be built.
    #[error("{0}")]
    Connect(String),
    /// The terminal could not be read.
    #[error("cannot read the terminal: {0}")]
    Terminal(#[from] ReadlineError),
    /// Standard input could not be read.
    #[error("cannot read standard input: {0}")]
    Input(#[from] std::io::Error),
}

/// Whether to go on reading after a line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flow {
    /// Read the next line.
    Continue,
    /// The line failed; read the next.
    Failed,
    /// Leave.
    Quit,
}

/// The shell's state between lines.
pub struct Shell {
    workspace: Workspace,
    backend: Backend,
    connect: Connect,
    saved_args: SavedArgs,
    header_shown: Rc<Cell<bool>>,
    export: Option<Export>,
    /// The requests made since the shell started or was reset, for `:export`.
    made: Rc<RefCell<Vec<Made>>>,
}

impl Shell {
    /// A shell over the backend the options choose.
    pub fn new(options: Options, color: bool) -> Result<Shell, ReplError> {
        let transport = (options.connect)(&options.backend).map_err(ReplError::Connect)?;
        let mut workspace = Workspace::new(transport, Output::Stdout);
        workspace.set_modules(&crate::script::Modules {
            base: None,
            search: options.module_path.clone(),
            cached: true,
        });
        // Rows print as each answer comes in, so they interleave with the script's own output.
        let header_shown = Rc::new(Cell::new(false));
        let shown = header_shown.clone();
        let made = Rc::new(RefCell::new(Vec::new()));
        let kept = made.clone();
        workspace
            .session()
            .borrow_mut()
            .set_observer(Some(Box::new(move |made: &Made| {
                if !shown.replace(true) {
                    outln!("{}", grid::header(color));
                }
                outln!("{}", grid::row(made, color));
                let mut kept = kept.borrow_mut();
                if kept.len() < EXPORT_KEEP {
                    kept.push(made.clone());
                }
            })));
        workspace
            .session()
            .borrow_mut()
            .set_transaction_observer(Some(Box::new(|t: &crate::script::Transaction| {
                outln!("{}", crate::script::transaction::line(t));
            })));
        if options.trace {
            workspace
                .session()
                .borrow_mut()
                .set_trace(Some(stderr_trace()));
        }
        Ok(Shell {
            workspace,
            backend: options.backend,
            connect: options.connect,
            saved_args: options.saved_args,
            header_shown,
            export: options.export,
            made,
        })
    }

    /// The backend, in one line.
    fn describe(&self) -> String {
        let trace = if self.workspace.session().borrow().tracing() {
            ", trace on"
        } else {
            ""
        };
        format!(
            "{}{trace}",
            self.workspace.session().borrow_mut().transport().describe()
        )
    }

    /// The banner: version, backend, how to get help.
    pub fn banner(&self) -> String {
        // The backend's own: a SOAP client without --api speaks the server's WSDL's version.
        let api = self.workspace.session().borrow_mut().transport().api();
        format!(
            "ecapi {} (Encore Web API {api}): {}\n:help lists commands and functions, Tab completes, Ctrl-D leaves.\n",
            env!("CARGO_PKG_VERSION"),
            self.describe()
        )
    }

    /// The backend options `ecapi run` needs to run a script saved as `file` as it ran here, for
    /// its `// args:` line: paths relative to the script's folder. Empty for the default backend.
    fn run_options(&self, file: &std::path::Path) -> String {
        let mut words: Vec<String> = Vec::new();
        let extra = match &self.backend.endpoint {
            Some(url) => {
                words.extend(["--endpoint".to_string(), url.clone()]);
                &self.saved_args.endpoint
            }
            None => &self.saved_args.embedded,
        };
        let folder = std::path::absolute(file)
            .ok()
            .and_then(|f| f.parent().map(std::path::Path::to_path_buf))
            .unwrap_or_default();
        for arg in extra {
            words.push(match arg {
                SavedArg::Word(w) => w.clone(),
                SavedArg::Path(p) => relative(p, &folder).display().to_string(),
            });
        }
        if self.backend.api != ApiVersion::default() {
            words.extend(["--api".to_string(), self.backend.api.to_string()]);
        }
        words.join(" ")
    }

    /// Handles one complete piece of input: a meta-command or statements.
    pub fn handle(&mut self, input: &str, history: &[String]) -> Flow {
        let text = input.trim();
        if text.is_empty() {
            return Flow::Continue;
        }
        if text.starts_with(':') {
            return match meta::parse(text) {
                Ok(m) => meta::execute(self, m, history),
                Err(e) => self.fail(&e.to_string()),
            };
        }
        self.eval(input, "<repl>")
    }

    /// Runs statements; `name` is what diagnostics call the source.
    fn eval(&mut self, source: &str, name: &str) -> Flow {
        match self.workspace.eval(source).value {
            Ok(value) => {
                if let Some(text) = show(&value) {
                    outln!("=> {text}");
                }
                Flow::Continue
            }
            Err(d) => {
                err!("{}", d.render(name, source));
                Flow::Failed
            }
        }
    }

    /// `:export LANG [FILE]`: the session's requests written to FILE, or the last one printed.
    fn export(&self, lang: &str, file: Option<&std::path::Path>) -> Flow {
        let Some(export) = &self.export else {
            return self.fail(":export is not offered here");
        };
        let made = self.made.borrow();
        let chosen = match file {
            Some(_) => &made[..],
            None => &made[made.len().saturating_sub(1)..],
        };
        let program = match export(lang, chosen, &self.describe(), self.backend.api) {
            Ok(p) => p,
            Err(e) => return self.fail(&e),
        };
        match file {
            None => out!("{program}"),
            Some(path) => match std::fs::write(path, program) {
                Ok(()) => outln!("exported {} request(s) to {}", chosen.len(), path.display()),
                Err(e) => return self.fail(&format!("cannot write {}: {e}", path.display())),
            },
        }
        Flow::Continue
    }

    /// Reports a failed command.
    fn fail(&self, message: &str) -> Flow {
        errln!("error: {message}");
        Flow::Failed
    }

    /// Switches backend (`:backend`, `:api`), keeping variables and functions.
    fn switch(&mut self, backend: Backend) -> Flow {
        match (self.connect)(&backend) {
            Ok(transport) => {
                let note = format!(
                    "from here on: {}{}",
                    transport.describe(),
                    if backend.api == self.backend.api {
                        String::new()
                    } else {
                        format!(" (run with --api {})", backend.api)
                    }
                );
                self.workspace.switch(transport, &note);
                self.backend = backend;
                outln!("{}", self.describe());
                Flow::Continue
            }
            Err(e) => self.fail(&e),
        }
    }

    /// `:reset`.
    fn reset(&mut self) -> Flow {
        match (self.connect)(&self.backend) {
            Ok(transport) => {
                self.workspace.reset(transport);
                self.header_shown.set(false);
                self.made.borrow_mut().clear();
                outln!("reset: no variables or functions; {}", self.describe());
                Flow::Continue
            }
            Err(e) => self.fail(&e),
        }
    }

    fn names(&self) -> Names {
        let (ports, responses) = self.workspace.typed_variables();
        Names {
            variables: self.workspace.variables(),
            functions: self.workspace.functions(),
            ports,
            responses,
        }
    }
}

/// `path` as seen from `folder` (both absolute): `../site.toml`, `examples/recorder.toml`. A path on
/// another drive stays absolute.
fn relative(path: &std::path::Path, folder: &std::path::Path) -> std::path::PathBuf {
    use std::path::Component;
    fn normal(p: &std::path::Path) -> Vec<Component<'_>> {
        p.components().filter(|c| *c != Component::CurDir).collect()
    }
    let (to, from) = (normal(path), normal(folder));
    if to.first() != from.first() {
        return path.to_path_buf();
    }
    let common = to.iter().zip(&from).take_while(|(a, b)| a == b).count();
    let mut out = std::path::PathBuf::new();
    for _ in common..from.len() {
        out.push("..");
    }
    for c in &to[common..] {
        out.push(c);
    }
    out
}

/// Runs the shell until `:quit`, Ctrl-D or the end of input. Returns whether every piece of input
/// ran without error (always true on a terminal, where an error is just shown).
pub fn run(options: Options) -> Result<bool, ReplError> {
    if std::io::stdin().is_terminal() {
        interactive(options).map(|()| true)
    } else {
        piped(options, std::io::stdin().lock())
    }
}

/// The shell on a terminal.
fn interactive(options: Options) -> Result<(), ReplError> {
    let color = grid::color_stdout();
    // Ctrl-C while a statement runs stops that statement, not the shell. Failing to install the
    // handler (one is already installed) leaves the default: the process ends.
    let flag = workspace::interrupt_flag();
    let _ = ctrlc::set_handler(move || flag.store(true, std::sync::atomic::Ordering::SeqCst));
    let mut shell = Shell::new(options, color)?;
    let config = Config::builder()
        .completion_type(CompletionType::List)
        .auto_add_history(false)
        .history_ignore_dups(true)?
        .max_history_size(5000)?
        .build();
    let names = Rc::new(RefCell::new(Names::default()));
    let mut editor: Editor<Helper, FileHistory> = Editor::with_config(config)?;
    editor.set_helper(Some(Helper::new(names.clone(), color)));
    let history_file = history::path();
    if let Some(path) = &history_file {
        // A missing file is the first session; anything else is worth a word but not fatal.
        if path.exists() {
            if let Err(e) = editor.load_history(path) {
                errln!("warning: cannot read history {}: {e}", path.display());
            }
        }
    }
    out!("{}", shell.banner());
    let (prompt, more) = if color {
        ("\x1b[1mecapi>\x1b[0m ", "\x1b[2m  ...>\x1b[0m ")
    } else {
        ("ecapi> ", "  ...> ")
    };
    // Lines are gathered until the input is complete (no bracket, string or comment left open);
    // the lines after the first get the continuation prompt.
    let mut pending = String::new();
    loop {
        let shown = if pending.is_empty() {
            ("ecapi> ", prompt)
        } else {
            ("  ...> ", more)
        };
        match editor.readline(&shown) {
            Ok(entered) => {
                // A bracketed paste arrives as one input with its line breaks in it: each of its
                // lines is taken as if typed, so that every pasted statement runs, in order.
                let mut quit = false;
                let entered = entered.strip_suffix('\n').unwrap_or(&entered);
                for line in entered.split('\n') {
                    let line = line.strip_suffix('\r').unwrap_or(line);
                    pending.push_str(line);
                    pending.push('\n');
                    if !pending.trim_start().starts_with(':') && !input::is_complete(&pending) {
                        continue;
                    }
                    let text = std::mem::take(&mut pending);
                    let entry = text.trim_end();
                    if !entry.trim().is_empty() {
                        editor.add_history_entry(entry)?;
                        save_history(&mut editor, history_file.as_deref());
                    }
                    let history: Vec<String> = editor.history().iter().cloned().collect();
                    let flow = shell.handle(&text, &history);
                    *names.borrow_mut() = shell.names();
                    if flow == Flow::Quit {
                        quit = true;
                        break;
                    }
                }
                if quit {
                    break;
                }
            }
            // Ctrl-C abandons what was typed, the lines gathered so far included.
            Err(ReadlineError::Interrupted) => pending.clear(),
            Err(ReadlineError::Eof) if !pending.is_empty() => {
                // Ctrl-D inside an open construct runs it, so the parser says what is open.
                let text = std::mem::take(&mut pending);
                let history: Vec<String> = editor.history().iter().cloned().collect();
                shell.handle(&text, &history);
                break;
            }
            Err(ReadlineError::Eof) => break,
            Err(e) => return Err(e.into()),
        }
    }
    Ok(())
}

/// Writes the history after every line, so that a session that is killed keeps it.
fn save_history(editor: &mut Editor<Helper, FileHistory>, path: Option<&std::path::Path>) {
    let Some(path) = path else { return };
    if let Some(dir) = path.parent() {
        let _ = std::fs::create_dir_all(dir);
    }
    if let Err(e) = editor.append_history(path) {
        errln!("warning: cannot write history {}: {e}", path.display());
    }
}

/// The shell reading piped input: statements are joined until complete, then run. Returns whether
/// all of them ran without error.
pub fn piped(options: Options, input: impl BufRead) -> Result<bool, ReplError> {
    let mut shell = Shell::new(options, false)?;
    let mut pending = String::new();
    let mut history = Vec::new();
    let mut all_ok = true;
    for line in input.lines() {
        let line = line?;
        pending.push_str(&line);
        pending.push('\n');
        if pending.trim().is_empty() {
            pending.clear();
            continue;
        }
        if !pending.trim_start().starts_with(':') && !input::is_complete(&pending) {
            continue;
        }
        history.push(pending.trim_end().to_string());
        let flow = shell.handle(&pending, &history);
        pending.clear();
        match flow {
            Flow::Quit => return Ok(all_ok),
            Flow::Failed => all_ok = false,
            Flow::Continue => {}
        }
    }
    // Input that ends inside a construct still runs, so that the parser reports what is open.
    if !pending.trim().is_empty() && shell.handle(&pending, &history) == Flow::Failed {
        all_ok = false;
    }
    Ok(all_ok)
}

#[cfg(test)]
mod tests {
    use super::relative;
    use std::path::Path;

    #[test]
    fn saved_paths_are_relative_to_the_scripts_folder() {
        let cases = [
            (
                "/work/examples/recorder.toml",
                "/work",
                "examples/recorder.toml",
            ),
            (
                "/work/examples/recorder.toml",
                "/work/scripts",
                "../examples/recorder.toml",
            ),
            ("/work/site.toml", "/work/a/b", "../../site.toml"),
            ("/work/a/site.toml", "/work/a", "site.toml"),
        ];
        for (path, folder, expected) in cases {
            assert_eq!(
                relative(Path::new(path), Path::new(folder)),
                Path::new(expected),
                "{path} from {folder}"
            );
        }
    }
}
