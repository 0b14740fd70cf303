//! Meta-commands: the lines that start with `:` and talk to the REPL rather than to Encore. Parsing
//! them, listing them for `:help` and completion, and carrying them out on the [`Shell`].

use std::path::PathBuf;

use super::{Backend, Flow, Shell};
use crate::api::ApiVersion;
use crate::script::diagnostic::closest;
use crate::script::docs::{self, Group};
use crate::script::help;
use crate::script::stderr_trace;
use crate::streams::{out, outln};

/// Every meta-command: name, arguments, what it does. `:help` prints this; completion offers it.
pub const COMMANDS: &[(&str, &str, &str)] = &[
    (
        ":help",
        "[NAME]",
        "this list, or one function or operation in full",
    ),
    (":ops", "", "the operations and their parameters"),
    (
        ":backend",
        "[sim|URL]",
        "show the backend, or switch to the simulator or a server",
    ),
    (
        ":api",
        "[7.0|7.1]",
        "show the API version, or switch it (a fresh backend)",
    ),
    (":trace", "[on|off]", "print each request's SOAP envelopes"),
    (":history", "", "the lines entered, oldest first"),
    (
        ":save",
        "FILE",
        "write what ran without error as a script for `ecapi run`",
    ),
    (
        ":export",
        "LANG [FILE]",
        "the session's requests as a program (csharp, java, python, javascript, curl); \
         without FILE, the last request, printed",
    ),
    (
        ":load",
        "FILE",
        "run a script here, keeping its variables and functions",
    ),
    (
        ":reset",
        "",
        "forget variables and functions; a fresh backend",
    ),
    (":quit", "", "leave (Ctrl-D does too)"),
];

/// A parsed meta-command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Meta {
    /// `:help [NAME]`.
    Help(Option<String>),
    /// `:ops`.
    Ops,
    /// `:backend [sim|URL]`.
    Backend(Option<String>),
    /// `:api VERSION`.
    Api(ApiVersion),
    /// `:api` alone: show the version.
    ApiShow,
    /// `:trace [on|off]`; `None` shows the state.
    Trace(Option<bool>),
    /// `:history`.
    History,
    /// `:save FILE`.
    Save(PathBuf),
    /// `:load FILE`.
    Load(PathBuf),
    /// `:export LANG [FILE]`.
    Export {
        /// The language.
        lang: String,
        /// Where to write the session's program; `None` prints the last request's.
        file: Option<PathBuf>,
    },
    /// `:reset`.
    Reset,
    /// `:quit`.
    Quit,
}

/// A meta-command that cannot be carried out as written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MetaError {
    /// No such command.
    #[error("unknown command `{name}`{}; :help lists the commands", suggest(.near))]
    Unknown {
        /// The command as typed.
        name: String,
        /// Close commands, best first.
        near: Vec<String>,
    },
    /// The arguments are wrong; the text says how to write it.
    #[error("{0}")]
    Usage(String),
}

fn suggest(near: &[String]) -> String {
    if near.is_empty() {
        String::new()
    } else {
        format!(" (did you mean {}?)", near.join(", "))
    }
}

fn usage(name: &str) -> MetaError {
    let (_, args, _) = COMMANDS
        .iter()
        .find(|(n, _, _)| *n == name)
        .expect("a listed command");
    MetaError::Usage(format!("usage: {name} {args}"))
}

/// Parses a line that starts with `:`.
pub fn parse(line: &str) -> Result<Meta, MetaError> {
    let line = line.trim();
    let (name, rest) = match line.split_once(char::is_whitespace) {
        Some((n, r)) => (n, r.trim()),
        None => (line, ""),
    };
    let arg = (!rest.is_empty()).then(|| rest.to_string());
    let none = |m: Meta| {
        if rest.is_empty() {
            Ok(m)
        } else {
            Err(usage(name))
        }
    };
    match name {
        ":help" | ":h" | ":?" => Ok(Meta::Help(arg)),
        ":ops" => none(Meta::Ops),
        ":backend" => Ok(Meta::Backend(arg)),
        ":api" if rest.is_empty() => Ok(Meta::ApiShow),
        ":api" => rest
            .parse()
            .map(Meta::Api)
            .map_err(|_| MetaError::Usage("usage: :api [7.0|7.1]".into())),
        ":trace" => match rest {
            "" => Ok(Meta::Trace(None)),
            "on" => Ok(Meta::Trace(Some(true))),
            "off" => Ok(Meta::Trace(Some(false))),
            _ => Err(usage(name)),
        },
        ":history" => none(Meta::History),
        ":save" => arg.map(|f| Meta::Save(f.into())).ok_or_else(|| usage(name)),
        ":load" => arg.map(|f| Meta::Load(f.into())).ok_or_else(|| usage(name)),
        ":export" => match rest.split_once(char::is_whitespace) {
            _ if rest.is_empty() => Err(usage(name)),
            Some((lang, file)) => Ok(Meta::Export {
                lang: lang.to_string(),
                file: Some(file.trim().into()),
            }),
            None => Ok(Meta::Export {
                lang: rest.to_string(),
                file: None,
            }),
        },
        ":reset" => none(Meta::Reset),
        ":quit" | ":q" | ":exit" => none(Meta::Quit),
        _ => {
            let near = closest(name, COMMANDS.iter().map(|(n, _, _)| *n));
            Err(MetaError::Unknown {
                name: name.to_string(),
                near: near.into_iter().map(str::to_string).collect(),
            })
        }
    }
}

/// The `:help` overview: the commands, then every function by group with its forms.
pub fn overview() -> String {
    let mut out = String::from("Commands:\n");
    for (name, args, what) in COMMANDS {
        let usage = format!("{name} {args}");
        out.push_str(&format!("  {usage:22} {what}\n"));
    }
    out.push_str("\nFunctions (:help NAME shows one in full, with an example):\n");
    for group in [
        Group::Operation,
        Group::Port,
        Group::PortMethod,
        Group::Assertion,
        Group::Helper,
        Group::Simulator,
    ] {
        out.push_str(&format!("\n  {}\n", group.title()));
        for doc in docs::functions().iter().filter(|d| d.group == group) {
            out.push_str(&format!("    {}\n", doc.signatures.join("  ")));
        }
    }
    out.push_str(
        "\nEach request prints a row: operation, elapsed time, code, message, fields.\n\
         Ctrl-C abandons the input, Ctrl-D leaves.\n",
    );
    out
}

/// Carries out a meta-command. `history` is the lines entered, for `:history`.
pub fn execute(shell: &mut Shell, meta: Meta, history: &[String]) -> Flow {
    match meta {
        Meta::Help(None) => out!("{}", overview()),
        Meta::Help(Some(name)) => {
            let name = name.trim_start_matches(':');
            if let Some((n, args, what)) = COMMANDS.iter().find(|(n, _, _)| &n[1..] == name) {
                outln!("{n} {args}\n\n{what}");
            } else {
                match help::detail(name, shell.backend.api) {
                    Ok(text) => out!("{text}"),
                    Err(e) => return shell.fail(&e.to_string()),
                }
            }
        }
        Meta::Ops => out!("{}", help::list(shell.backend.api)),
        Meta::Backend(None) => outln!("{}", shell.describe()),
        Meta::Backend(Some(target)) => {
            let endpoint = match target.as_str() {
                "sim" | "simulator" => None,
                url => {
                    // Its password is a secret from here on: in the history, on screen, in
                    // errors, whether the server answers or not.
                    crate::secrets::add_url(url, None);
                    Some(url.to_string())
                }
            };
            let backend = Backend {
                endpoint,
                api: shell.backend.api,
            };
            return shell.switch(backend);
        }
        Meta::ApiShow => outln!(
            "API {} (the operations of the {} guide); :api 7.0|7.1 switches",
            shell.backend.api,
            shell.backend.api
        ),
        Meta::Api(api) => {
            let backend = Backend {
                endpoint: shell.backend.endpoint.clone(),
                api,
            };
            return shell.switch(backend);
        }
        Meta::Trace(None) => outln!(
            "trace is {}",
            if shell.workspace.session().borrow().tracing() {
                "on"
            } else {
                "off"
            }
        ),
        Meta::Trace(Some(on)) => {
            let sink = on.then(stderr_trace);
            shell.workspace.session().borrow_mut().set_trace(sink);
            outln!("trace {}", if on { "on" } else { "off" });
        }
        Meta::History => {
            for (i, line) in history.iter().enumerate() {
                let mut lines = line.lines();
                outln!("{:4}  {}", i + 1, lines.next().unwrap_or(""));
                for more in lines {
                    outln!("      {more}");
                }
            }
        }
        Meta::Save(file) => {
            // The backend options go on an `// args:` first line, which `ecapi run` and `ecapi
            // test` read, so the script runs on the same backend wherever it is run from.
            let options = shell.run_options(&file);
            let args = if options.is_empty() {
                String::new()
            } else {
                format!("args: {options}\n")
            };
            let header = format!(
                "{args}Saved from the ecapi REPL ({}).\nRun it with: ecapi run {}",
                shell.describe(),
                file.display(),
            );
            let text = shell.workspace.script(&header);
            let count = shell.workspace.transcript().len();
            match std::fs::write(&file, crate::secrets::mask_script(&text)) {
                Ok(()) => outln!("saved {count} statement(s) to {}", file.display()),
                Err(e) => return shell.fail(&format!("cannot write {}: {e}", file.display())),
            }
        }
        Meta::Load(file) => {
            let name = file.display().to_string();
            match std::fs::read_to_string(&file) {
                Ok(source) => return shell.eval(&source, &name),
                Err(e) => return shell.fail(&format!("cannot read {name}: {e}")),
            }
        }
        Meta::Export { lang, file } => return shell.export(&lang, file.as_deref()),
        Meta::Reset => return shell.reset(),
        Meta::Quit => return Flow::Quit,
    }
    Flow::Continue
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_parse_with_their_arguments() {
        assert_eq!(parse(":help"), Ok(Meta::Help(None)));
        assert_eq!(
            parse(":help  init_station "),
            Ok(Meta::Help(Some("init_station".into())))
        );
        assert_eq!(parse(":api 7.0"), Ok(Meta::Api(ApiVersion::V7_0)));
        assert_eq!(parse(":trace on"), Ok(Meta::Trace(Some(true))));
        assert_eq!(parse(":save flow.rhai"), Ok(Meta::Save("flow.rhai".into())));
        assert_eq!(parse(":backend sim"), Ok(Meta::Backend(Some("sim".into()))));
        assert_eq!(parse(":quit"), Ok(Meta::Quit));
        assert_eq!(
            parse(":export python flow.py"),
            Ok(Meta::Export {
                lang: "python".into(),
                file: Some("flow.py".into())
            })
        );
        assert_eq!(
            parse(":export curl"),
            Ok(Meta::Export {
                lang: "curl".into(),
                file: None
            })
        );
        assert_eq!(
            parse(":export").unwrap_err().to_string(),
            "usage: :export LANG [FILE]"
        );
    }

    #[test]
    fn wrong_arguments_say_how_to_write_the_command() {
        assert_eq!(
            parse(":api 8").unwrap_err().to_string(),
            "usage: :api [7.0|7.1]"
        );
        assert_eq!(parse(":api"), Ok(Meta::ApiShow));
        assert_eq!(parse(":save").unwrap_err().to_string(), "usage: :save FILE");
        assert_eq!(
            parse(":trace maybe").unwrap_err().to_string(),
            "usage: :trace [on|off]"
        );
    }

    #[test]
    fn an_unknown_command_suggests_a_close_one() {
        let e = parse(":hist").unwrap_err().to_string();
        assert!(
            e.starts_with("unknown command `:hist` (did you mean :history?)"),
            "{e}"
        );
    }

    #[test]
    fn the_overview_lists_commands_and_every_function() {
        let text = overview();
        for (name, _, _) in COMMANDS {
            assert!(text.contains(name), "{name}");
        }
        for doc in docs::functions() {
            assert!(text.contains(doc.signatures[0]), "{}", doc.name);
        }
    }
}
