//! `ecapi env [NAME]`: the environments of the project file (see [`super::project`]); with a
//! name, each backend option and `--set` value as a command would use it, and where it comes
//! from — the command line, a script's `// args:` line (`--script FILE`), the environment (its
//! line, and the variable read), an `ECAPI_*` variable, or the default. Secret values show as
//! `***` (through the one writer every command uses).

use std::path::PathBuf;

use clap::Args;

use super::args::BackendArgs;
use super::backend::{parse_sets, BackendConfig, UsageError};
use super::exit::{ExitCode, EXIT_SUCCESS};
use super::project::{self, Environment, OPTIONS};
use super::script_args;
use crate::streams::outln;

/// The precedence, as `ecapi env` and the README state it.
pub const PRECEDENCE: &str = "precedence: the command line > a script's `// args:` line > the \
     environment > the defaults (ECAPI_ENDPOINT, ECAPI_USER, ECAPI_PASSWORD and \
     ECAPI_CONTROL_TOKEN count as defaults)";

/// `ecapi env`.
#[derive(Debug, Args)]
pub struct EnvArgs {
    /// The environment to show (default: --env or ECAPI_ENV); without one, the list.
    #[arg(value_name = "NAME")]
    pub name: Option<String>,
    /// Show the values as this script would run with them: its `// args:` line included.
    #[arg(long, value_name = "FILE.rhai")]
    pub script: Option<PathBuf>,
    /// A value for `param(NAME)`, as the other commands take it; repeatable.
    #[arg(long = "set", value_name = "NAME=VALUE")]
    pub set: Vec<String>,
    /// The backend options, as the other commands take them.
    #[command(flatten)]
    pub backend: BackendArgs,
}

/// Lists the environments, or shows one resolved.
pub fn env(a: EnvArgs) -> Result<ExitCode, UsageError> {
    let mut given = a.backend.clone();
    if let Some(name) = &a.name {
        given.environment = Some(name.clone());
    }
    let Some(name) = given.environment.clone().filter(|n| !n.trim().is_empty()) else {
        return list();
    };
    // Checks the options as a command would, and learns the secrets before anything is printed.
    let config = BackendConfig::from_args(&given_with_script(&given, &a)?.0)?;
    let env = project::environment(&name)?;
    let (with_line, line) = given_with_script(&given, &a)?;
    let default = script_args::default_backend();
    outln!(
        "environment {} ({}:{})",
        env.name,
        env.file.display(),
        env.line
    );
    let mut rows = Vec::new();
    for key in OPTIONS {
        let (value, from) = source(key, &given, &with_line, line.as_ref(), &default, &env)?;
        if let Some(value) = value {
            // An `ECAPI_*` default a simulator chosen above leaves behind
            // ([`project::simulator_taken_whole`]).
            let from = if config.endpoint.is_none()
                && from.starts_with("$ECAPI_")
                && project::CLIENT_OPTIONS.contains(&key)
            {
                format!("{from} (not used: {})", why_not(key))
            } else {
                from
            };
            rows.push((key.to_string(), value, from));
        }
    }
    // `--set` values: the command line's over the line's over the environment's.
    let command_line = parse_sets(&a.set)?;
    let own = match &line {
        Some((_, own)) => parse_sets(&own.set)?,
        None => Default::default(),
    };
    let mut names: Vec<&String> = config
        .env_params
        .keys()
        .chain(own.keys())
        .chain(command_line.keys())
        .collect();
    names.sort();
    names.dedup();
    for name in names {
        let (value, from) = if let Some(v) = command_line.get(name) {
            (v.clone(), "command line".to_string())
        } else if let Some(v) = own.get(name) {
            (v.clone(), line_name(line.as_ref()))
        } else {
            let r = env.sets.iter().find(|r| &r.key == name);
            (
                config.env_params[name].clone(),
                r.map(|r| from_env(&env, r)).unwrap_or_default(),
            )
        };
        rows.push((format!("set {name}"), value, from));
    }
    // Masked before the columns are measured, so that a secret's row lines up with the others.
    let rows: Vec<(String, String, String)> = rows
        .into_iter()
        .map(|(k, v, f)| (k, crate::secrets::mask(&v).into_owned(), f))
        .collect();
    let width = rows.iter().map(|r| r.0.len()).max().unwrap_or(0).max(6);
    let value_width = rows
        .iter()
        .map(|r| r.1.chars().count())
        .max()
        .unwrap_or(0)
        .clamp(5, 60);
    outln!("{:width$}  {:value_width$}  from", "option", "value");
    for (key, value, from) in rows {
        outln!("{key:width$}  {value:value_width$}  {from}");
    }
    if config.endpoint.is_none() {
        outln!("(no endpoint: the embedded simulator answers)");
    }
    outln!("{PRECEDENCE}");
    Ok(EXIT_SUCCESS)
}

/// The command line's options with the script's `// args:` line under them, and that line.
fn given_with_script(
    given: &BackendArgs,
    a: &EnvArgs,
) -> Result<(BackendArgs, Option<(String, super::args::RunArgs)>), UsageError> {
    let Some(path) = &a.script else {
        return Ok((given.clone(), None));
    };
    let source = std::fs::read_to_string(path)
        .map_err(|e| UsageError(format!("--script {}: {e}", path.display())))?;
    let file = path.display().to_string();
    let Some(found) = script_args::find(&file, &source)? else {
        return Ok((given.clone(), None));
    };
    let own = script_args::parse(path, &found)?;
    let merged = script_args::merge_backend(given, &own.backend);
    Ok((merged, Some((format!("{file}:{}", found.line), own))))
}

fn line_name(line: Option<&(String, super::args::RunArgs)>) -> String {
    line.map(|(at, _)| format!("{at} (// args:)"))
        .unwrap_or_default()
}

fn from_env(env: &Environment, r: &project::Resolved) -> String {
    let file = env.file.file_name().map_or_else(
        || env.file.display().to_string(),
        |n| n.to_string_lossy().into(),
    );
    let variables = if r.variables.is_empty() {
        String::new()
    } else {
        format!(
            ", read from {}",
            r.variables
                .iter()
                .map(|v| format!("${v}"))
                .collect::<Vec<_>>()
                .join(", ")
        )
    };
    format!("{file}:{} (env.{}{variables})", r.line, env.name)
}

/// One option's value as a command would use it, and where it comes from.
fn source(
    key: &str,
    command_line: &BackendArgs,
    with_line: &BackendArgs,
    line: Option<&(String, super::args::RunArgs)>,
    default: &BackendArgs,
    env: &Environment,
) -> Result<(Option<String>, String), UsageError> {
    let get = |a: &BackendArgs| project::get(a, key);
    if get(command_line) != get(default) {
        return Ok((get(command_line), "command line".into()));
    }
    if get(with_line) != get(default) {
        return Ok((get(with_line), line_name(line)));
    }
    let applied = project::apply(with_line, default, env)?;
    if get(&applied) != get(with_line) {
        let r = env
            .option(key)
            .expect("only the environment's options change");
        return Ok((get(&applied), from_env(env, r)));
    }
    let variable = match key {
        "endpoint" => Some("ECAPI_ENDPOINT"),
        "user" => Some("ECAPI_USER"),
        "password" => Some("ECAPI_PASSWORD"),
        "control-token" => Some("ECAPI_CONTROL_TOKEN"),
        _ => None,
    };
    let from = match variable {
        Some(v) if std::env::var_os(v).is_some() && get(default).is_some() => format!("${v}"),
        _ => "default".into(),
    };
    // An option the environment has but may not set here (an endpoint over a simulator chosen
    // above it) is named.
    let from = match env.option(key) {
        Some(r) => format!("{from} ({} not used: {})", from_env(env, r), why_not(key)),
        None => from,
    };
    Ok((get(default), from))
}

fn why_not(key: &str) -> &'static str {
    if project::CLIENT_OPTIONS.contains(&key) {
        "a simulator is chosen above it"
    } else {
        "an endpoint is chosen above it"
    }
}

/// Lists the project file's environments.
fn list() -> Result<ExitCode, UsageError> {
    let Some(project) = project::current()? else {
        outln!(
            "no {} in the current folder or any folder above it: environments are named there, e.g.\n\n\
             [env.staging]\nendpoint = \"https://encore.example.com/WebAPI/ECAPI.svc\"\nuser = \"crm\"\n\
             password = \"${{ENCORE_PASSWORD}}\"",
            project::FILE_NAME
        );
        return Ok(EXIT_SUCCESS);
    };
    outln!("{}", project.path.display());
    let width = project.envs.iter().map(|e| e.name.len()).max().unwrap_or(0);
    for e in &project.envs {
        let mut keys: Vec<String> = e.options.iter().map(|s| s.key.clone()).collect();
        keys.extend(e.sets.iter().map(|s| format!("set {}", s.key)));
        outln!(
            "  {:width$}  line {:<4} {}",
            e.name,
            e.line,
            keys.join(", ")
        );
    }
    outln!(
        "choose one with --env NAME (or {}); `ecapi env NAME` shows its values and where each comes from",
        project::ENV_VARIABLE
    );
    Ok(EXIT_SUCCESS)
}
