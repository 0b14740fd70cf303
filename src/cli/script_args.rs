//! A script's own options: its `// args: OPTIONS` line, which `ecapi run` and `ecapi test` both
//! read (the convention the example scripts and the golden tests use).
//!
//! Rules:
//! - The line is one of the comment lines at the top of the file, written exactly `// args:`
//!   then the options, as `ecapi run FILE` takes them (split at white space; no quoting). A line
//!   there that looks meant as one but is not written so (`//args:`, `// args --api 7.0`,
//!   `// ARGS:`) is an error naming the file and line, as is an option `ecapi run` does not know
//!   and a second `// args:` line.
//! - Paths in it (`--config`, `--db`, `--ca-cert`, `--data`, `--module-path`) are relative to the
//!   script's folder, so `cd scripts && ecapi test .` reads the same files as `ecapi test scripts`.
//! - Options given on the command line win over the same options in the line: an option whose
//!   command-line value is not its default replaces the line's (`--set` values are merged, the
//!   command line's winning for a name given in both). A simulator chosen on the command line
//!   (`--profile`, `--config`, `--db`) replaces the line's choice, so that the line's options
//!   for another backend do not carry over: `--profile hosted` leaves the line's `--config` and
//!   `--db` behind, `--config` the line's `--profile`, and any of them the line's `--endpoint`.
//! - Under `ecapi test`, the line's backend options, `--set`, `--data` and `--max-time` apply to
//!   that file; `-v` is for `ecapi run` only.

use std::path::{Path, PathBuf};

use super::args::{BackendArgs, Cli, Command, RunArgs};
use super::backend::UsageError;

/// The `// args:` line of a script: where it is and its options.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArgsLine {
    /// Its line number, from 1.
    pub line: usize,
    /// The options, split at white space.
    pub options: Vec<String>,
}

/// Finds the `// args:` line among the comment lines at the top of `source`; `file` names the
/// script in errors.
pub fn find(file: &str, source: &str) -> Result<Option<ArgsLine>, UsageError> {
    let mut found: Option<ArgsLine> = None;
    for (line, trimmed) in crate::script::header::comments(source) {
        let comment = &trimmed[2..];
        let after = comment.trim_start();
        let looks_meant = after
            .get(..4)
            .is_some_and(|w| w.eq_ignore_ascii_case("args"))
            && {
                let rest = after[4..].trim_start();
                rest.starts_with(':') || rest.starts_with("--")
            };
        if !looks_meant {
            continue;
        }
        let options = match trimmed.strip_prefix("// args:") {
            Some(rest) if rest.is_empty() || rest.starts_with(' ') => rest,
            _ => {
                return Err(UsageError(format!(
                    "{file}:{line}: `{}` is not an options line: write it `// args: OPTIONS`",
                    trimmed
                )))
            }
        };
        if let Some(first) = &found {
            return Err(UsageError(format!(
                "{file}:{line}: a second `// args:` line (the first is line {})",
                first.line
            )));
        }
        found = Some(ArgsLine {
            line,
            options: options.split_whitespace().map(str::to_string).collect(),
        });
    }
    Ok(found)
}

/// Parses the options of `line` as `ecapi run FILE` would, with their paths made relative to the
/// script's folder.
pub fn parse(path: &Path, line: &ArgsLine) -> Result<RunArgs, UsageError> {
    let file = path.display().to_string();
    let argv = ["ecapi", "run", file.as_str()]
        .into_iter()
        .map(str::to_string)
        .chain(line.options.iter().cloned());
    let mut run = match <Cli as clap::Parser>::try_parse_from(argv) {
        Ok(Cli {
            command: Some(Command::Run(run)),
            ..
        }) => run,
        Ok(_) => unreachable!("`ecapi run FILE` parses as the run command"),
        Err(e) => {
            // clap's first line says what is wrong; the rest is usage help for a shell.
            let text = e.to_string();
            let first = text.lines().next().unwrap_or_default();
            let first = first.strip_prefix("error: ").unwrap_or(first);
            return Err(UsageError(format!(
                "{file}:{}: // args: {first}",
                line.line
            )));
        }
    };
    let dir = path.parent().unwrap_or(Path::new(""));
    let rebase = |p: &mut Option<PathBuf>| {
        if let Some(p) = p {
            if p.is_relative() {
                *p = dir.join(&*p);
            }
        }
    };
    rebase(&mut run.backend.config);
    rebase(&mut run.backend.db);
    rebase(&mut run.backend.ca_cert);
    rebase(&mut run.data);
    for p in &mut run.module_path {
        if p.is_relative() {
            *p = dir.join(&*p);
        }
    }
    Ok(run)
}

/// The script's own options, when it has an `// args:` line.
pub fn read(path: &Path, source: &str) -> Result<Option<RunArgs>, UsageError> {
    let file = path.display().to_string();
    match find(&file, source)? {
        Some(line) => parse(path, &line).map(Some),
        None => Ok(None),
    }
}

/// The defaults of `ecapi run`'s options (environment variables included), to tell which options
/// the command line set.
fn defaults() -> RunArgs {
    match <Cli as clap::Parser>::try_parse_from(["ecapi", "run", "x"]) {
        Ok(Cli {
            command: Some(Command::Run(run)),
            ..
        }) => run,
        _ => unreachable!("`ecapi run x` parses"),
    }
}

/// The backend options as the command line leaves them when it gives none (environment
/// variables included), to tell which options were set.
pub fn default_backend() -> BackendArgs {
    defaults().backend
}

/// The backend options to use: the command line's, except those it left at their defaults,
/// which come from the script's line.
pub fn merge_backend(command_line: &BackendArgs, script: &BackendArgs) -> BackendArgs {
    let default = defaults().backend;
    let mut out = command_line.clone();
    macro_rules! from_script {
        ($($field:ident),*) => {$(
            if command_line.$field == default.$field {
                out.$field = script.$field.clone();
            }
        )*};
    }
    from_script!(
        endpoint,
        profile,
        config,
        db,
        api,
        trace,
        clock,
        ca_cert,
        insecure,
        user,
        password,
        timeout,
        control_token,
        environment
    );
    // Names to mask add up: the line's and the command line's.
    for name in &script.secret {
        if !out.secret.contains(name) {
            out.secret.push(name.clone());
        }
    }
    // A simulator chosen on the command line replaces the line's choice: the options that only
    // the line's backend takes are not carried over to another one (`--profile hosted` on a file
    // whose line says `--profile recorder --config site.toml` runs on the hosted profile).
    let embedded_chosen = command_line.profile != default.profile
        || command_line.config != default.config
        || command_line.db != default.db;
    // (An `--endpoint` given keeps the line's simulator options, which the run then names as
    // unused against an endpoint: the file may need a simulator the server is not.)
    if embedded_chosen && command_line.endpoint == default.endpoint {
        out.endpoint = command_line.endpoint.clone();
    }
    let hosted = command_line
        .profile
        .as_deref()
        .is_some_and(|p| p.eq_ignore_ascii_case("hosted"));
    if hosted {
        out.config = command_line.config.clone();
        out.db = command_line.db.clone();
    }
    if command_line.config.is_some() && command_line.profile.is_none() {
        // A configuration is the recorder profile's: the line's profile gives way to it.
        out.profile = None;
    }
    out
}

/// `ecapi run`'s options: the command line's merged with the script's line.
pub fn merge_run(command_line: RunArgs, script: RunArgs) -> RunArgs {
    let backend = merge_backend(&command_line.backend, &script.backend);
    let mut set = script.set;
    set.extend(command_line.set);
    RunArgs {
        file: command_line.file,
        set,
        max_time: command_line.max_time.or(script.max_time),
        data: command_line.data.or(script.data),
        verbose: command_line.verbose || script.verbose,
        module_path: if command_line.module_path.is_empty() {
            script.module_path
        } else {
            command_line.module_path
        },
        backend,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(source: &str) -> Result<Option<ArgsLine>, String> {
        find("t.rhai", source).map_err(|e| e.0)
    }

    #[test]
    fn the_line_is_found_among_the_top_comments() {
        let line = found("// A flow.\n// args: --api 7.0  --set a=1\nlet x = 1;\n")
            .unwrap()
            .unwrap();
        assert_eq!(line.line, 2);
        assert_eq!(line.options, ["--api", "7.0", "--set", "a=1"]);
        assert_eq!(found("let x = 1;\n// args: --api 7.0\n").unwrap(), None);
        assert_eq!(found("// args are passed below\nlet x = 1;").unwrap(), None);
    }

    #[test]
    fn a_line_meant_as_options_but_miswritten_names_its_line() {
        assert_eq!(
            found("// x\n//args: --api 7.0\n").unwrap_err(),
            "t.rhai:2: `//args: --api 7.0` is not an options line: write it `// args: OPTIONS`"
        );
        assert!(found("// args --api 7.0\n").is_err());
        assert!(found("// args:--api\n").is_err());
        assert_eq!(
            found("// args: --api 7.0\n// args: --trace\n").unwrap_err(),
            "t.rhai:2: a second `// args:` line (the first is line 1)"
        );
    }

    #[test]
    fn an_unknown_option_names_the_file_and_line() {
        let line = ArgsLine {
            line: 3,
            options: vec!["--nope".into()],
        };
        let err = parse(Path::new("d/t.rhai"), &line).unwrap_err().0;
        assert!(
            err.starts_with("d/t.rhai:3: // args: unexpected argument '--nope'"),
            "{err}"
        );
    }

    #[test]
    fn paths_are_relative_to_the_scripts_folder() {
        let line = ArgsLine {
            line: 1,
            options: "--profile recorder --config ../examples/r.toml --data rows.csv"
                .split(' ')
                .map(str::to_string)
                .collect(),
        };
        let run = parse(Path::new("scripts/t.rhai"), &line).unwrap();
        assert_eq!(
            run.backend.config.unwrap(),
            Path::new("scripts/../examples/r.toml")
        );
        assert_eq!(run.data.unwrap(), Path::new("scripts/rows.csv"));
    }

    #[test]
    fn the_command_line_wins_where_it_set_an_option() {
        let script = parse(
            Path::new("t.rhai"),
            &ArgsLine {
                line: 1,
                options: "--api 7.0 --profile recorder --set a=1"
                    .split(' ')
                    .map(str::to_string)
                    .collect(),
            },
        )
        .unwrap();
        let mut cmd = defaults();
        cmd.backend.api = None; // not given: the script's value stays
        cmd.backend.trace = true;
        cmd.set = vec!["a=2".into()];
        let merged = merge_run(cmd, script);
        assert_eq!(merged.backend.api.as_deref(), Some("7.0"));
        assert_eq!(merged.backend.profile.as_deref(), Some("recorder"));
        assert!(merged.backend.trace);
        assert_eq!(merged.set, ["a=1", "a=2"]);
    }

    #[test]
    fn a_backend_chosen_on_the_command_line_replaces_the_lines_choice_whole() {
        let script = parse(
            Path::new("t.rhai"),
            &ArgsLine {
                line: 1,
                options: "--profile recorder --config site.toml --db r.db --api 7.0"
                    .split(' ')
                    .map(str::to_string)
                    .collect(),
            },
        )
        .unwrap()
        .backend;
        let mut cmd = defaults().backend;
        cmd.profile = Some("hosted".into());
        let merged = merge_backend(&cmd, &script);
        assert_eq!(merged.profile.as_deref(), Some("hosted"));
        assert_eq!((merged.config, merged.db), (None, None));
        assert_eq!(merged.api.as_deref(), Some("7.0"), "other options stay");

        let mut cmd = defaults().backend;
        cmd.config = Some("other.toml".into());
        let merged = merge_backend(&cmd, &script);
        assert_eq!(merged.config.unwrap(), Path::new("other.toml"));
        assert_eq!(merged.profile, None, "a configuration means the recorder");

        // A simulator chosen on the command line leaves the line's endpoint behind.
        let line = parse(
            Path::new("t.rhai"),
            &ArgsLine {
                line: 1,
                options: vec!["--endpoint".into(), "http://127.0.0.1:9/x".into()],
            },
        )
        .unwrap()
        .backend;
        let mut cmd = defaults().backend;
        cmd.profile = Some("recorder".into());
        let merged = merge_backend(&cmd, &line);
        assert_eq!(merged.endpoint, defaults().backend.endpoint);
    }
}
