//! The project file, `ecapi.toml`, and the environments it names: read, their `${VAR}` values
//! resolved, and the chosen one laid under the command line's backend options.
//!
//! ```toml
//! [env.sim]
//! profile = "recorder"
//! config = "sim/site.toml"        # relative to this file's folder
//!
//! [env.staging]
//! endpoint = "https://encore-staging.example.com/WebAPI/ECAPI.svc"
//! user = "crm"
//! password = "${ENCORE_PASSWORD}" # read from the environment, never written here
//! set = { extension = "4021" }    # values for param(NAME)
//! secret = ["card_number"]        # as --secret NAME
//! ```
//!
//! Rules:
//! - The file is `ecapi.toml` in the current folder or the nearest folder above it.
//! - An environment is chosen with `--env NAME` or `ECAPI_ENV` (a `// args:` line may name one
//!   too, the command line's winning); an unknown name is exit 2, naming the closest.
//! - Its keys are the backend options' long names (`endpoint`, `user`, `password`,
//!   `control-token`, `api`, `timeout`, `ca-cert`, `insecure`, `trace`, and the embedded
//!   simulator's `profile`, `config`, `db`, `clock`; `_` may stand for `-`), plus `set` (a table
//!   of `--set` values) and `secret` (a list of names, as `--secret`).
//! - A string value may name environment variables as `${NAME}` (`$$` is a `$`); one that is not
//!   set is exit 2 naming it and the file's line, when the value is used. A value read from a variable is a secret when
//!   its key is `password` or `control-token`, when the key or the variable's name contains
//!   `password`, `secret`, `token` or `key` (any case), or when `secret = […]` names the key or
//!   the variable.
//! - Precedence, for each option: the command line > the script's `// args:` line > the
//!   environment > the defaults. The `ECAPI_ENDPOINT`, `ECAPI_USER`, `ECAPI_PASSWORD` and
//!   `ECAPI_CONTROL_TOKEN` variables count as defaults, as they do under an `// args:` line.
//!   An endpoint chosen above the environment leaves its simulator options behind, and a
//!   simulator chosen above it its endpoint and credentials; a simulator chosen above the
//!   `ECAPI_*` variables (by the command line, an `// args:` line or the environment) leaves
//!   them behind too ([`simulator_taken_whole`]).
//! - A value whose variable is not set is an error only when it is used: an option or `set`
//!   value given above the environment reads no variable.
//! - Malformed TOML, an unknown key or a value of the wrong type is exit 2 naming the file and
//!   line.

use std::collections::HashMap;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use clap::ValueEnum;
use toml::Spanned;

use super::args::{BackendArgs, ClockArg};
use super::backend::UsageError;

/// The project file's name.
pub const FILE_NAME: &str = "ecapi.toml";

/// The environment variable that chooses an environment when `--env` is not given.
pub const ENV_VARIABLE: &str = "ECAPI_ENV";

/// The backend options an environment may set, by their long names.
pub const OPTIONS: [&str; 13] = [
    "endpoint",
    "user",
    "password",
    "control-token",
    "api",
    "timeout",
    "ca-cert",
    "insecure",
    "trace",
    "profile",
    "config",
    "db",
    "clock",
];

/// The options that choose and configure the embedded simulator.
const SIMULATOR_OPTIONS: [&str; 4] = ["profile", "config", "db", "clock"];

/// The options only the SOAP client uses: a simulator chosen above an environment leaves them
/// behind with its endpoint.
pub const CLIENT_OPTIONS: [&str; 5] = ["endpoint", "user", "password", "ca-cert", "insecure"];

/// A project file, read.
#[derive(Debug, Clone)]
pub struct Project {
    /// Where it is.
    pub path: PathBuf,
    /// Its environments, in the order the file names them.
    pub envs: Vec<EnvDef>,
}

/// One `[env.NAME]` table, its values not yet resolved.
#[derive(Debug, Clone)]
pub struct EnvDef {
    /// Its name.
    pub name: String,
    /// The line of its table.
    pub line: usize,
    /// Backend options, by long name, as written.
    pub options: Vec<Setting>,
    /// `set` values, as written.
    pub sets: Vec<Setting>,
    /// The names of `secret = […]`.
    pub secret: Vec<String>,
}

/// One value as written in the file.
#[derive(Debug, Clone)]
pub struct Setting {
    /// The option's long name, or the `set` name.
    pub key: String,
    /// The value: a string (with any `${VAR}`), a boolean or a number, as text.
    pub text: String,
    /// Whether `text` is a TOML string (only strings name variables).
    pub is_string: bool,
    /// Its line.
    pub line: usize,
}

/// A value resolved, with where it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolved {
    /// The option's long name, or the `set` name.
    pub key: String,
    /// The value, its variables substituted.
    pub value: String,
    /// Its line in the project file.
    pub line: usize,
    /// The environment variables it read.
    pub variables: Vec<String>,
    /// Whether it is a secret.
    pub secret: bool,
    /// Why it has no value — a variable it reads is not set — naming the file and line: an
    /// error only if the value is used, so that an option or `set` value given above the
    /// environment (`--password` over `password = "${ENCORE_PASSWORD}"`) needs no variable.
    pub unset: Option<String>,
}

impl Resolved {
    /// The value, or the error naming the variable that is not set.
    pub fn value(&self) -> Result<&str, UsageError> {
        match &self.unset {
            Some(why) => Err(UsageError(why.clone())),
            None => Ok(&self.value),
        }
    }
}

/// An environment, resolved: what `--env NAME` lays under the command line.
#[derive(Debug, Clone)]
pub struct Environment {
    /// Its name.
    pub name: String,
    /// The project file.
    pub file: PathBuf,
    /// The line of its table.
    pub line: usize,
    /// Backend options.
    pub options: Vec<Resolved>,
    /// `set` values.
    pub sets: Vec<Resolved>,
    /// The names of `secret = […]`.
    pub secret: Vec<String>,
}

impl Environment {
    /// The `set` values, for `param(NAME)`: those whose variables are set (see
    /// [`Environment::unset_params`]).
    pub fn params(&self) -> HashMap<String, String> {
        self.sets
            .iter()
            .filter(|r| r.unset.is_none())
            .map(|r| (r.key.clone(), r.value.clone()))
            .collect()
    }

    /// The `set` values that read a variable that is not set, each with the error naming it.
    pub fn unset_params(&self) -> HashMap<String, String> {
        self.sets
            .iter()
            .filter_map(|r| Some((r.key.clone(), r.unset.clone()?)))
            .collect()
    }

    /// The option's resolved value.
    pub fn option(&self, key: &str) -> Option<&Resolved> {
        self.options.iter().find(|r| r.key == key)
    }
}

/// Byte offsets to line numbers.
struct Lines<'a>(&'a str);

impl Lines<'_> {
    fn line(&self, offset: usize) -> usize {
        let end = offset.min(self.0.len());
        self.0[..end].matches('\n').count() + 1
    }

    /// The line where `key` is set within `span` (a table's), or the span's first line.
    fn key_line(&self, span: &Range<usize>, key: &str) -> usize {
        let start = span.start.min(self.0.len());
        let end = span.end.min(self.0.len()).max(start);
        let mut offset = start;
        for line in self.0[start..end].split_inclusive('\n') {
            let t = line.trim_start().trim_start_matches('{').trim_start();
            for candidate in [key.to_string(), format!("\"{key}\"")] {
                if let Some(rest) = t.strip_prefix(&candidate) {
                    if rest.trim_start().starts_with('=') {
                        return self.line(offset);
                    }
                }
            }
            if let Some(at) = line.find(&format!("{key} =")) {
                return self.line(offset + at);
            }
            offset += line.len();
        }
        self.line(start)
    }
}

type Table = toml::map::Map<String, toml::Value>;

/// One `[env.NAME]` table's entries, each with its span.
type RawEnv = HashMap<String, Spanned<toml::Value>>;

#[derive(serde::Deserialize)]
struct RawFile {
    #[serde(default)]
    env: Option<Spanned<HashMap<String, Spanned<RawEnv>>>>,
    #[serde(flatten)]
    other: Table,
}

impl Project {
    /// Reads a project file's text; `path` names it in errors.
    pub fn parse(path: &Path, text: &str) -> Result<Project, UsageError> {
        let file = path.display();
        let lines = Lines(text);
        let raw: RawFile = toml::from_str(text).map_err(|e| {
            let message = e.message().trim().to_string();
            match e.span() {
                Some(span) => UsageError(format!("{file}:{}: {message}", lines.line(span.start))),
                None => UsageError(format!("{file}: {message}")),
            }
        })?;
        if let Some(key) = raw.other.keys().next() {
            let line = lines.key_line(&(0..text.len()), key);
            return Err(UsageError(format!(
                "{file}:{line}: `{key}` is not a setting of the project file: it holds `[env.NAME]` tables"
            )));
        }
        let mut envs = Vec::new();
        if let Some(tables) = raw.env {
            for (name, table) in tables.into_inner() {
                let span = table.span();
                // A `[env.NAME]` table's line is its header's; an inline one's, its value's.
                let header = format!("[env.{name}]");
                let line = text
                    .lines()
                    .position(|l| l.split('#').next().unwrap_or("").replace(' ', "") == header)
                    .map_or_else(|| lines.line(span.start), |i| i + 1);
                envs.push(env_def(path, &lines, name, line, table.into_inner())?);
            }
        }
        envs.sort_by_key(|e| e.line);
        Ok(Project {
            path: path.to_path_buf(),
            envs,
        })
    }

    /// The project file in `dir` or the nearest folder above it, read.
    pub fn find(dir: &Path) -> Result<Option<Project>, UsageError> {
        for folder in dir.ancestors() {
            let path = folder.join(FILE_NAME);
            if path.is_file() {
                let text = std::fs::read_to_string(&path)
                    .map_err(|e| UsageError(format!("{}: {e}", path.display())))?;
                return Project::parse(&path, &text).map(Some);
            }
        }
        Ok(None)
    }

    /// The environment named `name`, or an error naming the closest.
    pub fn env(&self, name: &str) -> Result<&EnvDef, UsageError> {
        if let Some(env) = self.envs.iter().find(|e| e.name == name) {
            return Ok(env);
        }
        let closest = self
            .envs
            .iter()
            .map(|e| {
                // One edit away (`sm` for `sim`) is close however short the names are.
                let typo = strsim::osa_distance(&e.name, name) <= 1;
                let score = strsim::jaro_winkler(&e.name, name);
                (if typo { score.max(0.9) } else { score }, &e.name)
            })
            .filter(|(score, _)| *score > 0.7)
            .max_by(|a, b| a.0.total_cmp(&b.0))
            .map(|(_, n)| format!(" (did you mean `{n}`?)"))
            .unwrap_or_default();
        let known = if self.envs.is_empty() {
            "it names none".to_string()
        } else {
            format!(
                "it names {}",
                self.envs
                    .iter()
                    .map(|e| e.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        };
        Err(UsageError(format!(
            "{}: no such environment in {}{closest}; {known}",
            chosen_by(name),
            self.path.display()
        )))
    }
}

/// Reads one `[env.NAME]` table.
fn env_def(
    path: &Path,
    lines: &Lines<'_>,
    name: String,
    line: usize,
    table: HashMap<String, Spanned<toml::Value>>,
) -> Result<EnvDef, UsageError> {
    let file = path.display();
    let mut env = EnvDef {
        name: name.clone(),
        line,
        options: Vec::new(),
        sets: Vec::new(),
        secret: Vec::new(),
    };
    let mut entries: Vec<_> = table.into_iter().collect();
    entries.sort_by_key(|(_, v)| v.span().start);
    for (raw_key, value) in entries {
        let key = raw_key.replace('_', "-");
        let span = value.span();
        let at = lines.line(span.start);
        let value = value.into_inner();
        match key.as_str() {
            "set" => {
                let toml::Value::Table(sets) = value else {
                    return Err(UsageError(format!(
                        "{file}:{at}: env.{name}.set: expected a table of NAME = \"VALUE\""
                    )));
                };
                for (set_name, v) in sets {
                    let line = lines.key_line(&span, &set_name);
                    let setting = scalar(&v).ok_or_else(|| {
                        UsageError(format!(
                            "{file}:{line}: env.{name}.set.{set_name}: expected a string, number or boolean"
                        ))
                    })?;
                    env.sets.push(Setting {
                        key: set_name,
                        text: setting.0,
                        is_string: setting.1,
                        line,
                    });
                }
            }
            "secret" => {
                let names = match &value {
                    toml::Value::Array(items) => items
                        .iter()
                        .map(|i| i.as_str().map(str::to_string))
                        .collect::<Option<Vec<_>>>(),
                    _ => None,
                };
                env.secret = names.ok_or_else(|| {
                    UsageError(format!(
                        "{file}:{at}: env.{name}.secret: expected a list of names, e.g. [\"card_number\"]"
                    ))
                })?;
            }
            _ if OPTIONS.contains(&key.as_str()) => {
                let (text, is_string) = scalar(&value).ok_or_else(|| {
                    UsageError(format!(
                        "{file}:{at}: env.{name}.{raw_key}: expected a string, number or boolean"
                    ))
                })?;
                env.options.push(Setting {
                    key,
                    text,
                    is_string,
                    line: at,
                });
            }
            _ => {
                let closest = OPTIONS
                    .iter()
                    .chain(&["set", "secret"])
                    .map(|o| (strsim::jaro_winkler(o, &key), o))
                    .filter(|(score, _)| *score > 0.8)
                    .max_by(|a, b| a.0.total_cmp(&b.0))
                    .map(|(_, o)| format!(" (did you mean `{o}`?)"))
                    .unwrap_or_default();
                return Err(UsageError(format!(
                    "{file}:{at}: env.{name}: unknown key `{raw_key}`{closest}"
                )));
            }
        }
    }
    Ok(env)
}

/// A scalar's text, and whether it is a string.
fn scalar(value: &toml::Value) -> Option<(String, bool)> {
    match value {
        toml::Value::String(s) => Some((s.clone(), true)),
        toml::Value::Integer(i) => Some((i.to_string(), false)),
        toml::Value::Float(f) => Some((f.to_string(), false)),
        toml::Value::Boolean(b) => Some((b.to_string(), false)),
        _ => None,
    }
}

impl EnvDef {
    /// The environment with every `${VAR}` read through `lookup`; `file` names the project file
    /// in errors.
    pub fn resolve(
        &self,
        file: &Path,
        lookup: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Environment, UsageError> {
        let resolve = |s: &Setting| -> Result<Resolved, UsageError> {
            let at = |e: &str| {
                format!(
                    "{}:{}: env.{}.{}: {e}",
                    file.display(),
                    s.line,
                    self.name,
                    s.key
                )
            };
            let mut unset = None;
            let (value, variables) = if s.is_string {
                match substitute(&s.text, lookup) {
                    Ok(done) => done,
                    Err(Unresolved::Malformed(e)) => return Err(UsageError(at(&e))),
                    Err(Unresolved::Unset(e)) => {
                        unset = Some(at(&e));
                        (String::new(), Vec::new())
                    }
                }
            } else {
                (s.text.clone(), Vec::new())
            };
            let named = |n: &str| self.secret.iter().any(|x| x.eq_ignore_ascii_case(n));
            let secret = matches!(s.key.as_str(), "password" | "control-token")
                || named(&s.key)
                || (!variables.is_empty()
                    && (crate::secrets::looks_secret(&s.key)
                        || variables
                            .iter()
                            .any(|v| crate::secrets::looks_secret(v) || named(v))));
            Ok(Resolved {
                key: s.key.clone(),
                value,
                line: s.line,
                variables,
                secret,
                unset,
            })
        };
        Ok(Environment {
            name: self.name.clone(),
            file: file.to_path_buf(),
            line: self.line,
            options: self.options.iter().map(resolve).collect::<Result<_, _>>()?,
            sets: self.sets.iter().map(resolve).collect::<Result<_, _>>()?,
            secret: self.secret.clone(),
        })
    }
}

/// Why a value's variables could not be substituted.
#[derive(Debug)]
enum Unresolved {
    /// The value is written wrong (`${` without `}`, a name that is not a variable's).
    Malformed(String),
    /// A variable it reads is not set.
    Unset(String),
}

/// The text with each `${NAME}` replaced by the variable's value (`$$` is a `$`), and the names
/// read.
fn substitute(
    text: &str,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Result<(String, Vec<String>), Unresolved> {
    let mut out = String::with_capacity(text.len());
    let mut names = Vec::new();
    let mut rest = text;
    while let Some(at) = rest.find('$') {
        out.push_str(&rest[..at]);
        let after = &rest[at + 1..];
        if let Some(r) = after.strip_prefix('$') {
            out.push('$');
            rest = r;
        } else if let Some(r) = after.strip_prefix('{') {
            let end = r.find('}').ok_or_else(|| {
                Unresolved::Malformed(format!("`${{` without its `}}` in {text:?}"))
            })?;
            let name = &r[..end];
            let valid = !name.is_empty()
                && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                && !name.starts_with(|c: char| c.is_ascii_digit());
            if !valid {
                return Err(Unresolved::Malformed(format!(
                    "`${{{name}}}` is not an environment variable's name (letters, digits, _)"
                )));
            }
            let value = lookup(name).ok_or_else(|| {
                Unresolved::Unset(format!(
                    "the environment variable {name} is not set (`${{{name}}}`)"
                ))
            })?;
            out.push_str(&value);
            names.push(name.to_string());
            rest = &r[end + 1..];
        } else {
            out.push('$');
            rest = after;
        }
    }
    out.push_str(rest);
    Ok((out, names))
}

/// The project file of the current folder, read once per process.
pub fn current() -> Result<Option<&'static Project>, UsageError> {
    static PROJECT: OnceLock<Result<Option<Project>, UsageError>> = OnceLock::new();
    PROJECT
        .get_or_init(|| {
            let dir = std::env::current_dir()
                .map_err(|e| UsageError(format!("the current folder: {e}")))?;
            Project::find(&dir)
        })
        .as_ref()
        .map(Option::as_ref)
        .map_err(Clone::clone)
}

/// How the environment `name` was chosen, for errors: `ECAPI_ENV=NAME` when that variable names
/// it, else `--env NAME` (the command line or a script's line).
fn chosen_by(name: &str) -> String {
    if std::env::var(ENV_VARIABLE).is_ok_and(|v| v.trim() == name) {
        format!("{ENV_VARIABLE}={name}")
    } else {
        format!("--env {name}")
    }
}

/// The environment `name` of the current project, resolved from the process's variables.
pub fn environment(name: &str) -> Result<Environment, UsageError> {
    let Some(project) = current()? else {
        return Err(UsageError(format!(
            "{}: no {FILE_NAME} in the current folder or any folder above it",
            chosen_by(name)
        )));
    };
    project
        .env(name)?
        .resolve(&project.path, &|v| std::env::var(v).ok())
}

/// An option's value as text (`None` when not given).
pub fn get(a: &BackendArgs, key: &str) -> Option<String> {
    let path = |p: &Option<PathBuf>| p.as_ref().map(|p| p.display().to_string());
    match key {
        "endpoint" => a.endpoint.clone(),
        "user" => a.user.clone(),
        "password" => a.password.clone(),
        "control-token" => a.control_token.clone(),
        "api" => a.api.clone(),
        "timeout" => Some(a.timeout.to_string()),
        "ca-cert" => path(&a.ca_cert),
        "insecure" => Some(a.insecure.to_string()),
        "trace" => Some(a.trace.to_string()),
        "profile" => a.profile.clone(),
        "config" => path(&a.config),
        "db" => path(&a.db),
        "clock" => a
            .clock
            .and_then(|c| c.to_possible_value())
            .map(|v| v.get_name().to_string()),
        _ => None,
    }
}

/// Sets an option from an environment's value; paths are relative to the project file's folder.
fn set(a: &mut BackendArgs, r: &Resolved, env: &Environment) -> Result<(), UsageError> {
    let dir = env.file.parent().unwrap_or(Path::new(""));
    let bad = |expected: &str| {
        UsageError(format!(
            "{}:{}: env.{}.{}: expected {expected}, not {:?}",
            env.file.display(),
            r.line,
            env.name,
            r.key,
            if r.secret {
                crate::secrets::MASK
            } else {
                &r.value
            }
        ))
    };
    let boolean = || match r.value.as_str() {
        "true" => Ok(true),
        "false" => Ok(false),
        _ => Err(bad("true or false")),
    };
    let path = || Some(dir.join(&r.value));
    let v = Some(r.value.clone());
    match r.key.as_str() {
        "endpoint" => a.endpoint = v,
        "user" => a.user = v,
        "password" => a.password = v,
        "control-token" => a.control_token = v,
        "api" => a.api = v,
        "timeout" => a.timeout = r.value.parse().map_err(|_| bad("a number of seconds"))?,
        "ca-cert" => a.ca_cert = path(),
        "insecure" => a.insecure = boolean()?,
        "trace" => a.trace = boolean()?,
        "profile" => a.profile = v,
        "config" => a.config = path(),
        "db" => a.db = path(),
        "clock" => {
            a.clock = Some(ClockArg::from_str(&r.value, true).map_err(|_| bad("real or virtual"))?)
        }
        _ => {}
    }
    Ok(())
}

/// Lays the environment under `args`: each option `args` left at its default (`default`) takes
/// the environment's value. An endpoint set above leaves the environment's simulator options
/// out, and simulator options set above its endpoint and client options ([`CLIENT_OPTIONS`]).
/// A value used whose variable is not set is the error naming it; one not used is no error.
pub fn apply(
    args: &BackendArgs,
    default: &BackendArgs,
    env: &Environment,
) -> Result<BackendArgs, UsageError> {
    let mut out = args.clone();
    let given = |key: &str| get(args, key) != get(default, key);
    let endpoint_above = given("endpoint");
    let simulator_above = ["profile", "config", "db"].iter().any(|k| given(k));
    for r in &env.options {
        if given(&r.key) {
            continue;
        }
        if endpoint_above && SIMULATOR_OPTIONS.contains(&r.key.as_str()) {
            continue;
        }
        if simulator_above && CLIENT_OPTIONS.contains(&r.key.as_str()) {
            continue;
        }
        r.value()?;
        set(&mut out, r, env)?;
    }
    Ok(out)
}

/// The options with the `ECAPI_ENDPOINT`, `ECAPI_USER` and `ECAPI_PASSWORD` defaults left out
/// when a simulator is chosen above them (`--profile`, `--config` or `--db` on the command line,
/// a script's line or the environment): a backend chosen higher is taken whole, and credentials
/// mean nothing to the simulator. `default` is [`super::script_args::default_backend`], the
/// options as the variables alone set them.
pub fn simulator_taken_whole(args: &BackendArgs, default: &BackendArgs) -> BackendArgs {
    let mut out = args.clone();
    let simulator = args.profile.is_some() || args.config.is_some() || args.db.is_some();
    if simulator && args.endpoint.is_some() && args.endpoint == default.endpoint {
        out.endpoint = None;
    }
    if out.endpoint.is_none() {
        if args.user == default.user {
            out.user = None;
        }
        if args.password == default.password {
            out.password = None;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = r#"# The project's environments.
[env.sim]
profile = "recorder"
config = "sim/site.toml"

[env.staging]
endpoint = "https://u@encore.example.com/WebAPI/ECAPI.svc"
user = "crm"
password = "${ENCORE_PASSWORD}"
set = { extension = "4021", card = "${CARD}" }
secret = ["card"]
timeout = 5
"#;

    fn project() -> Project {
        Project::parse(Path::new("p/ecapi.toml"), FILE).unwrap()
    }

    /// The backend options as a command line without any leaves them, whatever the variables.
    fn no_options() -> BackendArgs {
        BackendArgs {
            endpoint: None,
            user: None,
            password: None,
            control_token: None,
            environment: None,
            ..crate::cli::script_args::default_backend()
        }
    }

    fn vars(name: &str) -> Option<String> {
        match name {
            "ENCORE_PASSWORD" => Some("pw".into()),
            "CARD" => Some("4111".into()),
            _ => None,
        }
    }

    #[test]
    fn environments_are_listed_in_the_order_of_the_file_with_their_lines() {
        let p = project();
        let names: Vec<_> = p.envs.iter().map(|e| (e.name.as_str(), e.line)).collect();
        assert_eq!(names, [("sim", 2), ("staging", 6)]);
        let staging = &p.envs[1];
        let keys: Vec<_> = staging
            .options
            .iter()
            .map(|s| (s.key.as_str(), s.line))
            .collect();
        assert_eq!(
            keys,
            [
                ("endpoint", 7),
                ("user", 8),
                ("password", 9),
                ("timeout", 12)
            ]
        );
        assert_eq!(staging.sets.len(), 2);
        assert_eq!(staging.secret, ["card"]);
    }

    #[test]
    fn variables_are_read_and_values_from_them_marked_secret_by_rule() {
        let p = project();
        let env = p.envs[1].resolve(&p.path, &vars).unwrap();
        let password = env.option("password").unwrap();
        assert_eq!((password.value.as_str(), password.secret), ("pw", true));
        assert_eq!(password.variables, ["ENCORE_PASSWORD"]);
        assert!(!env.option("user").unwrap().secret);
        let card = env.sets.iter().find(|s| s.key == "card").unwrap();
        assert_eq!((card.value.as_str(), card.secret), ("4111", true));
        let ext = env.sets.iter().find(|s| s.key == "extension").unwrap();
        assert!(!ext.secret);
    }

    #[test]
    fn a_missing_variable_names_itself_and_the_line_when_its_value_is_used() {
        let p = project();
        let env = p.envs[1].resolve(&p.path, &|_| None).unwrap();
        let default = no_options();
        let err = apply(&default, &default, &env).unwrap_err().0;
        assert_eq!(
            err,
            "p/ecapi.toml:9: env.staging.password: the environment variable ENCORE_PASSWORD is not set (`${ENCORE_PASSWORD}`)"
        );
        // A password given above the environment needs no variable.
        let given = BackendArgs {
            password: Some("given".into()),
            ..no_options()
        };
        let applied = apply(&given, &default, &env).unwrap();
        assert_eq!(applied.password.as_deref(), Some("given"));
        assert_eq!(applied.user.as_deref(), Some("crm"));
        // So do `set` values: the one read from an unset variable is left out, with its error.
        assert_eq!(
            env.params().get("extension").map(String::as_str),
            Some("4021")
        );
        assert!(!env.params().contains_key("card"));
        assert!(env.unset_params()["card"].starts_with("p/ecapi.toml:10: env.staging.card: "));
    }

    #[test]
    fn an_environment_variable_default_gives_way_to_a_simulator_chosen_above_it() {
        let default = BackendArgs {
            endpoint: Some("http://127.0.0.1:9/x".into()),
            password: Some("from-variable".into()),
            ..no_options()
        };
        let chosen = BackendArgs {
            profile: Some("hosted".into()),
            ..default.clone()
        };
        let taken = simulator_taken_whole(&chosen, &default);
        assert_eq!((taken.endpoint, taken.password), (None, None));
        // An endpoint given above the variable stays, with its options.
        let given = BackendArgs {
            endpoint: Some("http://127.0.0.1:8/y".into()),
            ..chosen.clone()
        };
        assert_eq!(
            simulator_taken_whole(&given, &default).endpoint,
            given.endpoint
        );
        // Without a simulator chosen, the variables are the backend.
        assert_eq!(
            simulator_taken_whole(&default, &default).endpoint,
            default.endpoint
        );
    }

    #[test]
    fn an_unknown_environment_names_the_closest() {
        let err = project().env("stagin").unwrap_err().0;
        assert_eq!(
            err,
            "--env stagin: no such environment in p/ecapi.toml (did you mean `staging`?); it names sim, staging"
        );
    }

    #[test]
    fn malformed_toml_and_unknown_keys_name_the_line() {
        let err = Project::parse(Path::new("e.toml"), "[env.a]\nendpoint = \n")
            .unwrap_err()
            .0;
        assert!(err.starts_with("e.toml:2: "), "{err}");
        let err = Project::parse(Path::new("e.toml"), "[env.a]\n\npasword = \"x\"\n")
            .unwrap_err()
            .0;
        assert_eq!(
            err,
            "e.toml:3: env.a: unknown key `pasword` (did you mean `password`?)"
        );
        let err = Project::parse(Path::new("e.toml"), "# x\nendpoint = \"x\"\n")
            .unwrap_err()
            .0;
        assert_eq!(
            err,
            "e.toml:2: `endpoint` is not a setting of the project file: it holds `[env.NAME]` tables"
        );
    }

    #[test]
    fn dollars_and_variables_substitute() {
        let look = |n: &str| (n == "A").then(|| "x".to_string());
        assert_eq!(
            substitute("$${A} ${A}-$5", &look).unwrap(),
            ("${A} x-$5".to_string(), vec!["A".to_string()])
        );
        assert!(substitute("${A", &look).is_err());
        assert!(substitute("${1A}", &look).is_err());
    }
}
