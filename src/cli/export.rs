//! `ecapi export FLOW --lang LANG [-o FILE]`: a flow as a program in a CRM's language. FLOW is a
//! `.rhai` script, run here as `ecapi run` runs it (its `// args:` line, any backend, `--set`, one
//! `--data` row, imports found beside it and in `--module-path`), its requests recorded at the
//! transport seam; or a proxy record (`.jsonl`). The writers are in [`crate::export`].

use std::path::{Path, PathBuf};

use clap::Args;
use rhai::{Dynamic, Scope};

use super::args::{BackendArgs, RunArgs};
use super::backend::{parse_max_time, parse_sets, BackendConfig, ConnectError, UsageError};
use super::exit::{ExitCode, EXIT_FAILURE, EXIT_SUCCESS};
use super::script_args;
use crate::api::{ApiVersion, Param};
use crate::export::{sources, Flow, Lang, Origin};
use crate::proxy::record;
use crate::proxy::redact::Redaction;
use crate::runner::data;
use crate::runner::record::{Recorder, SharedLog};
use crate::script::{self, Made, Output, Session};
use crate::streams::{err, errln, out};

/// `ecapi export`.
#[derive(Debug, Args)]
pub struct ExportArgs {
    /// The flow: a `.rhai` script (run now, on the backend its options choose) or a record made by
    /// `ecapi proxy --record` (`.jsonl`).
    #[arg(value_name = "FLOW")]
    pub flow: PathBuf,
    /// The language: csharp, java, python, javascript or curl.
    #[arg(long, value_name = "LANG")]
    pub lang: String,
    /// Write the program here instead of to standard output (for csharp, a .csproj beside it too).
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Withhold the values of this parameter (either version's name): the program reads them from
    /// ECAPI_PARAM_<NAME> instead. Repeatable.
    #[arg(long, value_name = "NAME")]
    pub redact: Vec<String>,
    /// A value for `param(NAME)` in the script; repeatable.
    #[arg(long = "set", value_name = "NAME=VALUE")]
    pub set: Vec<String>,
    /// Stop the script, as an error, when it runs longer than this.
    #[arg(long, value_name = "SECONDS")]
    pub max_time: Option<f64>,
    /// A CSV (header row) or JSON (array of objects) file; the script runs with one row of it as
    /// the map `data` (see --row).
    #[arg(long, value_name = "FILE")]
    pub data: Option<PathBuf>,
    /// Which row of --data, counted from 1.
    #[arg(long, default_value_t = 1, value_name = "N")]
    pub row: usize,
    /// A folder to look in for the script's imported modules, after the script's own folder (as
    /// `ecapi run` looks); repeatable, searched in order.
    #[arg(long, value_name = "DIR")]
    pub module_path: Vec<PathBuf>,
    /// The backend the script runs on (for a record: --api sets the version its client spoke,
    /// --user that its server asked for basic authentication, an https --endpoint HTTPS).
    #[command(flatten)]
    pub backend: BackendArgs,
}

/// Writes the program.
pub fn export(a: ExportArgs) -> Result<ExitCode, UsageError> {
    let lang: Lang = a
        .lang
        .parse()
        .map_err(|e: crate::export::UnknownLang| UsageError(format!("--lang: {e}")))?;
    let is_record = a
        .flow
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("jsonl") || e.eq_ignore_ascii_case("json"));
    let flow = if is_record {
        from_record(&a)?
    } else {
        match from_script(&a)? {
            Some(flow) => flow,
            None => return Ok(EXIT_FAILURE),
        }
    };
    if flow.steps.is_empty() {
        return Err(UsageError(format!(
            "{}: no request was answered with a code, so there is nothing to export",
            a.flow.display()
        )));
    }
    let program = lang.write(&flow);
    match &a.output {
        None => out!("{program}"),
        Some(out) => {
            // Its folder made, as the README's `-o crm/Program.cs` expects.
            super::report_path::prepare("-o", out)?;
            write(out, &program, lang == Lang::Curl)?;
            if lang == Lang::CSharp {
                let project = out.with_extension("csproj");
                let name = out
                    .file_name()
                    .map_or("Program.cs".into(), |n| n.to_string_lossy());
                write(
                    &project,
                    &crate::export::csharp::csproj(&flow, &name),
                    false,
                )?;
                errln!(
                    "wrote {} and {} ({} requests)",
                    out.display(),
                    project.display(),
                    flow.steps.len()
                );
            } else {
                errln!("wrote {} ({} requests)", out.display(), flow.steps.len());
            }
        }
    }
    for left in &flow.left_out {
        errln!("ecapi export: left out {left}");
    }
    Ok(EXIT_SUCCESS)
}

fn write(path: &Path, text: &str, executable: bool) -> Result<(), UsageError> {
    crate::secrets::write_file(path, text)
        .map_err(|e| UsageError(format!("-o {}: {e}", path.display())))?;
    #[cfg(unix)]
    if executable {
        use std::os::unix::fs::PermissionsExt;
        let _ = std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755));
    }
    #[cfg(not(unix))]
    let _ = executable;
    Ok(())
}

/// Whether `--redact` names a parameter, in either version's name.
fn covers(redaction: &Redaction, param: Param) -> bool {
    ApiVersion::ALL
        .iter()
        .any(|v| redaction.covers(param.wire_name(*v)))
}

fn from_record(a: &ExportArgs) -> Result<Flow, UsageError> {
    let recording = record::read(&a.flow).map_err(UsageError)?;
    if let Some(warning) = &recording.warning {
        errln!("ecapi: warning: {warning}");
    }
    let records = recording.records;
    let api = match &a.backend.api {
        Some(v) => v.parse().map_err(|e| UsageError(format!("--api: {e}")))?,
        None => sources::api_of(&records),
    };
    let made = sources::from_records(&records);
    let origin = Origin {
        source: display_name(&a.flow),
        backend: format!(
            "the server behind `ecapi proxy` ({} recorded)",
            records.len()
        ),
        api,
        // A record keeps no header and no upstream URL: `--user` and an https `--endpoint` say
        // what the recorded server asked for.
        https: a
            .backend
            .endpoint
            .as_deref()
            .is_some_and(|e| e.starts_with("https:")),
        basic_auth: a.backend.user.is_some(),
        example: false,
    };
    let redaction = Redaction::new(&a.redact).map_err(|e| UsageError(e.to_string()))?;
    let withheld = |p: Param, v: &str| sources::withheld_in_record(p, v) || covers(&redaction, p);
    Ok(Flow::build(origin, &made, &withheld))
}

/// Runs the script and builds its flow; `None` when the script failed (its diagnostic printed).
fn from_script(a: &ExportArgs) -> Result<Option<Flow>, UsageError> {
    let file = a.flow.display().to_string();
    let source = std::fs::read_to_string(&a.flow)
        .map_err(|e| UsageError(format!("cannot read {file}: {e}")))?;
    let given = RunArgs {
        file: a.flow.clone(),
        set: a.set.clone(),
        max_time: a.max_time,
        data: a.data.clone(),
        verbose: false,
        backend: a.backend.clone(),
        module_path: a.module_path.clone(),
    };
    let run = match script_args::read(&a.flow, &source)? {
        Some(own) => script_args::merge_run(given, own),
        None => given,
    };
    let config = BackendConfig::from_args(&run.backend)?;
    let params = config.params(parse_sets(&run.set)?)?;
    let timeout = parse_max_time(run.max_time)?;
    let row = match &run.data {
        Some(path) => {
            let rows = data::read(path).map_err(|e| UsageError(e.0))?;
            let count = rows.len();
            let row = a.row.checked_sub(1).and_then(|i| rows.into_iter().nth(i));
            Some(row.ok_or_else(|| {
                UsageError(format!(
                    "--row {}: {} has {count} rows (counted from 1)",
                    a.row,
                    path.display()
                ))
            })?)
        }
        None => None,
    };
    let transport = match config.open() {
        Ok(t) => t,
        Err(ConnectError::Usage(e)) => return Err(e),
        Err(e @ ConnectError::Transport(_)) => {
            errln!("ecapi: {e}");
            return Ok(None);
        }
    };
    let backend = match &config.endpoint {
        None => format!("the embedded simulator, profile {}", config.profile),
        Some(url) => format!("the server at {}", without_userinfo(url)),
    };
    let api = transport.api();
    let log = SharedLog::default();
    log.borrow_mut().restart();
    let session = Session::new(Box::new(Recorder::new(transport, log.clone())), params).shared();
    // What the script prints is not part of the program written to standard output.
    let mut engine = script::engine(&session, Output::Capture(Default::default()));
    // Imports are found beside the script, then in the --module-path folders, as `ecapi run` finds
    // them.
    script::Modules::for_script(&a.flow, &run.module_path).install(&mut engine);
    let stop = script::Stop::new(timeout);
    stop.install(&mut engine);
    session.borrow_mut().set_cancel(stop.cancel());
    let mut scope = Scope::new();
    if let Some(row) = &row {
        let values: Dynamic =
            rhai::serde::to_dynamic(&row.values).expect("JSON values convert to Rhai values");
        scope.push_constant("data", values);
    }
    stop.arm();
    if let Err(d) = script::run(&engine, &mut scope, &source) {
        err!("{}", d.render(&file, &source));
        errln!("ecapi export: {file} failed, so there is no flow to export");
        return Ok(None);
    }
    let made: Vec<Made> = sources::from_log(&log.borrow());
    let endpoint = config.endpoint.as_deref().unwrap_or("");
    let origin = Origin {
        source: display_name(&a.flow),
        backend,
        api,
        https: endpoint.starts_with("https:"),
        basic_auth: config.user.is_some() || userinfo(endpoint),
        example: false,
    };
    let redaction = Redaction::new(&a.redact).map_err(|e| UsageError(e.to_string()))?;
    let withheld = |p: Param, _: &str| covers(&redaction, p);
    let mut flow = Flow::build(origin, &made, &withheld);
    let control = simulator_control(&source);
    if !control.is_empty() {
        let note = format!(
            "The run also used simulator control ({}), which this program cannot repeat: against \
             a server, the answers after it may differ.",
            control.join(", ")
        );
        errln!("ecapi export: {note}");
        flow.notes.push(note);
    }
    Ok(Some(flow))
}

/// The simulator-control functions that change the simulator's state (the phone system, faults,
/// the clock), as far as a look at the script's text tells: those a script calls outside comments.
fn simulator_control(source: &str) -> Vec<&'static str> {
    const CHANGING: [&str; 8] = [
        "sim_advance",
        "sim_at",
        "sim_delay",
        "sim_fault",
        "sim_hangup",
        "sim_hold",
        "sim_reset",
        "sim_retrieve",
    ];
    let code: String = source
        .lines()
        .map(|l| l.split("//").next().unwrap_or(""))
        .collect::<Vec<_>>()
        .join("\n");
    CHANGING
        .into_iter()
        .filter(|name| {
            code.match_indices(name).any(|(at, _)| {
                let before = code[..at].chars().next_back();
                let after = code[at + name.len()..].trim_start().chars().next();
                !before.is_some_and(|c| c.is_alphanumeric() || c == '_') && after == Some('(')
            })
        })
        .collect()
}

/// A backend's description as part of a sentence: `the embedded simulator (…)`.
fn backend_words(describe: &str) -> String {
    let lower = describe.to_ascii_lowercase();
    if lower.starts_with("the ") || lower.starts_with("a ") || lower.starts_with("an ") {
        describe.to_string()
    } else {
        format!("the {describe}")
    }
}

/// A URL without the credentials it may carry.
fn without_userinfo(url: &str) -> String {
    match url.split_once("://") {
        Some((scheme, rest)) => {
            let (host, path) = rest.split_once('/').unwrap_or((rest, ""));
            let host = host.rsplit_once('@').map_or(host, |(_, h)| h);
            let slash = if rest.contains('/') { "/" } else { "" };
            format!("{scheme}://{host}{slash}{path}")
        }
        None => url.to_string(),
    }
}

/// Whether a URL carries credentials (`https://user:pw@host/`).
fn userinfo(url: &str) -> bool {
    url.split_once("://")
        .map(|(_, rest)| rest.split('/').next().unwrap_or("").contains('@'))
        .unwrap_or(false)
}

/// The flow's file name, for the header (the same program wherever the flow was run from).
fn display_name(path: &Path) -> String {
    path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    )
}

/// A program of one request, with example values: `ecapi ops OP --example LANG`.
pub fn example(op: crate::api::Operation, api: ApiVersion, lang: Lang) -> String {
    lang.write(&crate::export::example(op, api))
}

/// The REPL's `:export`: the session's requests (or the last one) as a program.
pub fn repl_export(
    lang: &str,
    made: &[Made],
    backend: &str,
    api: ApiVersion,
    https: bool,
    basic_auth: bool,
) -> Result<String, String> {
    let lang: Lang = lang
        .parse()
        .map_err(|e: crate::export::UnknownLang| e.to_string())?;
    let origin = Origin {
        source: "an ecapi REPL session".to_string(),
        backend: backend_words(backend),
        api,
        https,
        basic_auth,
        example: false,
    };
    let flow = Flow::build(origin, made, &|_: Param, _: &str| false);
    if flow.steps.is_empty() {
        return Err("no request was answered with a code yet: nothing to export".to_string());
    }
    Ok(lang.write(&flow))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn simulator_control_that_changes_state_is_found_outside_comments() {
        let source =
            "// sim_fault(\"x\", 1)\nsim_hold(1, 1);\nlet j = sim_journal();\nmy_sim_at(1);\n";
        assert_eq!(simulator_control(source), ["sim_hold"]);
    }

    #[test]
    fn credentials_in_a_url_are_seen() {
        assert!(userinfo("https://u:p@h/x"));
        assert!(!userinfo("https://h/x@y"));
        assert!(!userinfo(""));
        assert_eq!(without_userinfo("https://u:p@h:1/x/y"), "https://h:1/x/y");
        assert_eq!(without_userinfo("http://h"), "http://h");
    }
}
