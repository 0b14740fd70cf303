//! The recorder profile's configuration: units and their ports, the recorded users, licences, the
//! default maximum recording time, the URL player base and the database columns that fields may be
//! assigned to.
//!
//! The file is TOML (`examples/recorder.toml` is a commented example). Parsing takes the file's text
//! and does no I/O; the caller reads the file. A bad file is refused with the line of the problem.

use std::collections::BTreeSet;
use std::fmt;
use std::ops::Range;

use serde::Deserialize;
use toml::Spanned;

/// The ports of the default unit, and so of the recorder without a configuration file.
pub const DEFAULT_PORTS: u32 = 288;

/// The default maximum recording time, in seconds.
pub const DEFAULT_MAX_RECORDING_SECONDS: u32 = 3600;

/// A configuration that cannot be used: where and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}{message}", line.map(|l| format!("line {l}: ")).unwrap_or_default())]
pub struct ConfigError {
    /// The 1-based line of the problem, when it has one.
    pub line: Option<usize>,
    /// What is wrong, in words a user can act on.
    pub message: String,
}

/// The SQL type of a database column, which decides what AssignField may store in it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SqlType {
    /// `varchar(n)` (also `nvarchar(n)`, `char(n)`, `nchar(n)`): at most n characters.
    Varchar(u32),
    /// `tinyint`: a whole number from 0 to 255.
    TinyInt,
    /// `smallint`: a whole number from -32768 to 32767.
    SmallInt,
    /// `int`: a 32-bit whole number.
    Int,
    /// `bigint`: a 64-bit whole number.
    BigInt,
}

impl SqlType {
    /// Reads a type as written in the configuration, e.g. `varchar(24)` or `smallint`.
    pub fn parse(text: &str) -> Result<SqlType, String> {
        let t = text.trim().to_ascii_lowercase();
        match t.as_str() {
            "tinyint" => return Ok(SqlType::TinyInt),
            "smallint" => return Ok(SqlType::SmallInt),
            "int" | "integer" => return Ok(SqlType::Int),
            "bigint" => return Ok(SqlType::BigInt),
            _ => {}
        }
        let sized = ["varchar", "nvarchar", "char", "nchar"]
            .iter()
            .find_map(|k| t.strip_prefix(k).and_then(|r| r.trim().strip_prefix('(')))
            .and_then(|r| r.strip_suffix(')'))
            .and_then(|n| n.trim().parse::<u32>().ok())
            .filter(|n| *n > 0);
        sized.map(SqlType::Varchar).ok_or_else(|| {
            format!(
                "`{text}` is not a column type here: use varchar(N), nvarchar(N), tinyint, smallint, int or bigint"
            )
        })
    }

    /// Whether a value fits the type; `Err` says why not.
    pub fn check(self, value: &str) -> Result<(), String> {
        let (low, high) = match self {
            SqlType::Varchar(n) => {
                let len = value.chars().count();
                return if len <= n as usize {
                    Ok(())
                } else {
                    Err(format!("{len} characters do not fit {self}"))
                };
            }
            SqlType::TinyInt => (0, 255),
            SqlType::SmallInt => (i16::MIN as i64, i16::MAX as i64),
            SqlType::Int => (i32::MIN as i64, i32::MAX as i64),
            SqlType::BigInt => (i64::MIN, i64::MAX),
        };
        match value.trim().parse::<i64>() {
            Ok(n) if (low..=high).contains(&n) => Ok(()),
            Ok(_) => Err(format!(
                "`{value}` is out of range for {self} ({low} to {high})"
            )),
            Err(_) => Err(format!("`{value}` is not a whole number, as {self} needs")),
        }
    }
}

impl fmt::Display for SqlType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SqlType::Varchar(n) => write!(f, "varchar({n})"),
            SqlType::TinyInt => f.write_str("tinyint"),
            SqlType::SmallInt => f.write_str("smallint"),
            SqlType::Int => f.write_str("int"),
            SqlType::BigInt => f.write_str("bigint"),
        }
    }
}

/// A database column that fields may be assigned to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Column {
    /// The column's name, e.g. `fldCampaign`.
    pub name: String,
    /// Its SQL type.
    pub sql_type: SqlType,
}

/// A recording unit and its ports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnitConfig {
    /// The unit's ID, as requests name it.
    pub id: String,
    /// Its port numbers, ascending.
    pub ports: BTreeSet<u32>,
}

/// A recorded user in the directory: a phone extension and a Windows login tied to a unit and port.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserConfig {
    /// The phone extension InitStation looks up, if any.
    pub extension: Option<String>,
    /// The Windows login ID InitUser and the desktop operations look up, if any.
    pub login: Option<String>,
    /// The unit.
    pub unit: String,
    /// The port on that unit.
    pub port: u32,
    /// Whether the user's desktop is recorded.
    pub desktop: bool,
}

/// Everything the recorder profile is configured with.
#[derive(Debug, Clone, PartialEq)]
pub struct RecorderConfig {
    /// The units, in the order configured.
    pub units: Vec<UnitConfig>,
    /// The directory of recorded users.
    pub users: Vec<UserConfig>,
    /// How many recordings may run at once.
    pub licences: u32,
    /// The maximum recording time that StartRecording's 0 stands for, in seconds.
    pub max_recording_seconds: u32,
    /// The URL player's base; `None`: GetURL answers 658.
    pub url_player: Option<String>,
    /// Whether a served simulator keeps `url_player` as configured (`None` included, so GetURL
    /// answers as it does embedded); by default a served recorder points links at its own player
    /// page, so that they open where the simulator runs.
    pub url_player_when_served: bool,
    /// The columns that fields may be assigned to.
    pub columns: Vec<Column>,
    /// The seed of the generator that decides faults set with a probability.
    pub fault_seed: u64,
}

/// The five columns the guides name for the test service.
fn default_columns() -> Vec<Column> {
    [
        ("fldCampaign", SqlType::Varchar(24)),
        ("fldClientID", SqlType::Varchar(16)),
        ("fldCustomerAccountNum", SqlType::Varchar(64)),
        ("fldCallCategory", SqlType::Varchar(24)),
        ("fldAccountingNum", SqlType::SmallInt),
    ]
    .into_iter()
    .map(|(name, sql_type)| Column {
        name: name.to_string(),
        sql_type,
    })
    .collect()
}

impl Default for RecorderConfig {
    /// Unit `1` with ports 1 to 288, no users, a licence per port, 3600 s, no URL player, the five
    /// test-service columns.
    fn default() -> Self {
        RecorderConfig {
            units: vec![UnitConfig {
                id: "1".to_string(),
                ports: (1..=DEFAULT_PORTS).collect(),
            }],
            users: Vec::new(),
            licences: DEFAULT_PORTS,
            max_recording_seconds: DEFAULT_MAX_RECORDING_SECONDS,
            url_player: None,
            url_player_when_served: false,
            columns: default_columns(),
            fault_seed: 0,
        }
    }
}

/// A unit ID or port written as a number or as text.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum NumOrText {
    Num(i64),
    Text(String),
}

impl NumOrText {
    fn text(&self) -> String {
        match self {
            NumOrText::Num(n) => n.to_string(),
            NumOrText::Text(s) => s.trim().to_string(),
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    licences: Option<Spanned<i64>>,
    max_recording_seconds: Option<Spanned<i64>>,
    url_player: Option<String>,
    url_player_when_served: Option<bool>,
    fault_seed: Option<Spanned<i64>>,
    #[serde(default)]
    unit: Vec<RawUnit>,
    #[serde(default)]
    user: Vec<RawUser>,
    columns: Option<Spanned<toml::Table>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawUnit {
    id: Spanned<NumOrText>,
    ports: Spanned<NumOrText>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawUser {
    extension: Option<NumOrText>,
    login: Option<String>,
    unit: Spanned<NumOrText>,
    port: Spanned<i64>,
    #[serde(default)]
    desktop: bool,
}

/// Turns byte offsets into line numbers.
struct Lines<'a>(&'a str);

impl Lines<'_> {
    /// The span of the line where `key` is set (`key = ...`) in the table that starts at `table`,
    /// for errors about a table entry, whose value carries no span of its own.
    fn key_span(&self, table: Range<usize>, key: &str) -> Range<usize> {
        let mut offset = table.start.min(self.0.len());
        for (i, line) in self.0[offset..].split_inclusive('\n').enumerate() {
            let t = line.trim_start();
            if i > 0 && t.starts_with('[') {
                break;
            }
            let rest = t
                .strip_prefix(key)
                .or_else(|| t.strip_prefix(&format!("\"{key}\"")));
            if rest.is_some_and(|r| r.trim_start().starts_with('=')) {
                return offset..offset + line.len();
            }
            offset += line.len();
        }
        table
    }

    fn at(&self, span: Range<usize>, message: impl Into<String>) -> ConfigError {
        let end = span.start.min(self.0.len());
        ConfigError {
            line: Some(self.0[..end].matches('\n').count() + 1),
            message: message.into(),
        }
    }
}

/// The most ports a unit may have: far above a real unit's (288 by default), low enough that a
/// mistyped range cannot fill the memory.
pub const MAX_UNIT_PORTS: usize = 10_000;

fn too_many_ports(n: u64) -> String {
    format!("{n} ports: a unit has at most {MAX_UNIT_PORTS}")
}

/// Reads `1-24, 30, 40-41` (or a bare count `24`, meaning 1 to 24) into port numbers, at most
/// [`MAX_UNIT_PORTS`].
fn parse_ports(spec: &NumOrText) -> Result<BTreeSet<u32>, String> {
    let text = match spec {
        NumOrText::Num(n) if *n > MAX_UNIT_PORTS as i64 => return Err(too_many_ports(*n as u64)),
        NumOrText::Num(n) if *n >= 1 => return Ok((1..=*n as u32).collect()),
        NumOrText::Num(n) => return Err(format!("{n} ports: a unit has at least one")),
        NumOrText::Text(s) => s,
    };
    let number = |s: &str| {
        s.trim()
            .parse::<u32>()
            .ok()
            .filter(|n| *n >= 1)
            .ok_or_else(|| format!("`{}` is not a port number (1 or more)", s.trim()))
    };
    let mut ports = BTreeSet::new();
    for part in text.split(',').filter(|p| !p.trim().is_empty()) {
        match part.split_once('-') {
            Some((a, b)) => {
                let (a, b) = (number(a)?, number(b)?);
                if a > b {
                    return Err(format!("the range {a}-{b} runs backwards"));
                }
                let wanted = ports.len() as u64 + u64::from(b - a) + 1;
                if wanted > MAX_UNIT_PORTS as u64 {
                    return Err(too_many_ports(wanted));
                }
                ports.extend(a..=b);
            }
            None => {
                ports.insert(number(part)?);
                if ports.len() > MAX_UNIT_PORTS {
                    return Err(too_many_ports(ports.len() as u64));
                }
            }
        }
    }
    if ports.is_empty() {
        return Err("no ports: write them as `1-24`, `1-8, 12` or a count".to_string());
    }
    Ok(ports)
}

impl RecorderConfig {
    /// Reads a configuration from the text of a TOML file. Anything not given takes its default;
    /// `[[unit]]` and `[columns]`, when given, replace the default unit and columns.
    pub fn from_toml(text: &str) -> Result<RecorderConfig, ConfigError> {
        let lines = Lines(text);
        let raw: RawConfig = toml::from_str(text).map_err(|e| match e.span() {
            Some(span) => lines.at(span, e.message().trim().to_string()),
            None => ConfigError {
                line: None,
                message: e.message().trim().to_string(),
            },
        })?;
        let mut config = RecorderConfig::default();

        if !raw.unit.is_empty() {
            config.units.clear();
            for u in &raw.unit {
                let id = u.id.get_ref().text();
                if id.is_empty() {
                    return Err(lines.at(u.id.span(), "a unit's id cannot be empty"));
                }
                if config.units.iter().any(|known| known.id == id) {
                    return Err(lines.at(u.id.span(), format!("unit `{id}` is configured twice")));
                }
                let ports =
                    parse_ports(u.ports.get_ref()).map_err(|m| lines.at(u.ports.span(), m))?;
                config.units.push(UnitConfig { id, ports });
            }
        }

        for u in &raw.user {
            let unit = u.unit.get_ref().text();
            let Some(known) = config.units.iter().find(|k| k.id == unit) else {
                return Err(lines.at(
                    u.unit.span(),
                    format!("unit `{unit}` is not configured; add it as a [[unit]]"),
                ));
            };
            let port = *u.port.get_ref();
            if port < 1 || port > u32::MAX as i64 || !known.ports.contains(&(port as u32)) {
                return Err(lines.at(
                    u.port.span(),
                    format!("port {port} is not a port of unit `{unit}`"),
                ));
            }
            let extension = u
                .extension
                .as_ref()
                .map(NumOrText::text)
                .filter(|e| !e.is_empty());
            let login = u
                .login
                .as_ref()
                .map(|l| l.trim().to_string())
                .filter(|l| !l.is_empty());
            if extension.is_none() && login.is_none() {
                return Err(lines.at(u.unit.span(), "a user needs an extension, a login, or both"));
            }
            config.users.push(UserConfig {
                extension,
                login,
                unit,
                port: port as u32,
                desktop: u.desktop,
            });
        }

        config.licences = config.units.iter().map(|u| u.ports.len() as u32).sum();
        if let Some(l) = &raw.licences {
            let n = *l.get_ref();
            if !(0..=u32::MAX as i64).contains(&n) {
                return Err(lines.at(
                    l.span(),
                    format!("{n} licences: the count cannot be negative"),
                ));
            }
            config.licences = n as u32;
        }
        if let Some(m) = &raw.max_recording_seconds {
            let n = *m.get_ref();
            if !(1..=i32::MAX as i64).contains(&n) {
                return Err(lines.at(
                    m.span(),
                    format!("a maximum of {n} seconds: it must be at least 1"),
                ));
            }
            config.max_recording_seconds = n as u32;
        }
        if let Some(s) = &raw.fault_seed {
            config.fault_seed = *s.get_ref() as u64;
        }
        config.url_player = raw
            .url_player
            .map(|u| u.trim().to_string())
            .filter(|u| !u.is_empty());
        config.url_player_when_served = raw.url_player_when_served.unwrap_or(false);

        if let Some(cols) = &raw.columns {
            config.columns.clear();
            for (name, ty) in cols.get_ref() {
                let span = lines.key_span(cols.span(), name);
                let ty_text = ty.as_str().ok_or_else(|| {
                    lines.at(
                        span.clone(),
                        format!("column `{name}`: write its type as text, e.g. \"varchar(24)\""),
                    )
                })?;
                let sql_type = SqlType::parse(ty_text)
                    .map_err(|m| lines.at(span.clone(), format!("column `{name}`: {m}")))?;
                config.columns.push(Column {
                    name: name.clone(),
                    sql_type,
                });
            }
        }
        Ok(config)
    }

    /// The column a field name refers to; names match without regard to case, as SQL Server's
    /// default collation matches them.
    pub fn column(&self, name: &str) -> Option<&Column> {
        self.columns
            .iter()
            .find(|c| c.name.eq_ignore_ascii_case(name.trim()))
    }

    /// How many ports all units have together.
    pub fn port_count(&self) -> usize {
        self.units.iter().map(|u| u.ports.len()).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn without_a_file_there_is_unit_1_with_288_ports_and_the_five_columns() {
        let c = RecorderConfig::default();
        assert_eq!(c.units.len(), 1);
        assert_eq!(c.units[0].id, "1");
        assert_eq!(c.port_count(), 288);
        assert_eq!(c.licences, 288);
        assert_eq!(c.max_recording_seconds, 3600);
        assert_eq!(c.url_player, None);
        let names: Vec<&str> = c.columns.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "fldCampaign",
                "fldClientID",
                "fldCustomerAccountNum",
                "fldCallCategory",
                "fldAccountingNum"
            ]
        );
        assert_eq!(
            c.column("fldaccountingnum").unwrap().sql_type,
            SqlType::SmallInt
        );
    }

    #[test]
    fn a_full_file_is_read() {
        let c = RecorderConfig::from_toml(
            r#"
licences = 2
max_recording_seconds = 600
url_player = "https://encore.example.com/"
url_player_when_served = true
fault_seed = 7

[[unit]]
id = 1
ports = "1-4, 9"

[[unit]]
id = "B"
ports = 2

[[user]]
extension = 1234
login = 'CORP\smith'
unit = 1
port = 9
desktop = true

[columns]
fldCampaign = "varchar(10)"
fldAmount = "int"
"#,
        )
        .unwrap();
        assert_eq!(
            c.units[0].ports.iter().copied().collect::<Vec<_>>(),
            [1, 2, 3, 4, 9]
        );
        assert_eq!(c.units[1].id, "B");
        assert_eq!(c.units[1].ports.len(), 2);
        assert_eq!(c.licences, 2);
        assert_eq!(c.max_recording_seconds, 600);
        assert_eq!(c.fault_seed, 7);
        assert!(c.url_player_when_served);
        assert_eq!(c.users[0].extension.as_deref(), Some("1234"));
        assert_eq!(c.users[0].login.as_deref(), Some("CORP\\smith"));
        assert!(c.users[0].desktop);
        assert_eq!(c.columns.len(), 2);
        assert_eq!(c.column("fldAmount").unwrap().sql_type, SqlType::Int);
    }

    #[test]
    fn licences_default_to_the_number_of_ports() {
        let c = RecorderConfig::from_toml("[[unit]]\nid = 1\nports = \"1-10\"\n").unwrap();
        assert_eq!(c.licences, 10);
    }

    #[test]
    fn a_syntax_error_is_refused_with_its_line() {
        let err = RecorderConfig::from_toml("licences = 4\n\nurl_player = \n").unwrap_err();
        assert_eq!(err.line, Some(3), "{err}");
    }

    #[test]
    fn an_unknown_key_is_refused_with_its_line() {
        let err = RecorderConfig::from_toml("licences = 4\nlicenses = 5\n").unwrap_err();
        assert_eq!(err.line, Some(2));
        assert!(err.to_string().starts_with("line 2: "), "{err}");
        assert!(err.message.contains("licenses"), "{err}");
    }

    #[test]
    fn a_user_on_a_port_the_unit_lacks_is_refused_with_its_line() {
        let err = RecorderConfig::from_toml(
            "[[unit]]\nid = 1\nports = \"1-4\"\n\n[[user]]\nextension = \"100\"\nunit = 1\nport = 5\n",
        )
        .unwrap_err();
        assert_eq!(err.to_string(), "line 8: port 5 is not a port of unit `1`");
    }

    #[test]
    fn a_column_type_that_is_not_sql_is_refused() {
        let err = RecorderConfig::from_toml(
            "licences = 1\n\n[columns]\nfldA = \"int\"\nfldX = \"text\"\n",
        )
        .unwrap_err();
        assert_eq!(err.line, Some(5), "{err}");
        assert!(err.message.contains("column `fldX`"), "{err}");
    }

    #[test]
    fn bad_port_ranges_are_refused() {
        for ports in ["\"4-1\"", "\"a\"", "0", "\"\""] {
            let text = format!("[[unit]]\nid = 1\nports = {ports}\n");
            let err = RecorderConfig::from_toml(&text).unwrap_err();
            assert_eq!(err.line, Some(3), "{ports}: {err}");
        }
    }

    #[test]
    fn varchar_counts_characters_and_integers_check_their_range() {
        assert!(SqlType::Varchar(3).check("été").is_ok());
        assert!(SqlType::Varchar(3).check("abcd").is_err());
        assert!(SqlType::SmallInt.check("32767").is_ok());
        assert!(SqlType::SmallInt.check("32768").is_err());
        assert!(SqlType::SmallInt.check("12a").is_err());
        assert!(SqlType::Int.check("-2147483648").is_ok());
        assert!(SqlType::Int.check("2147483648").is_err());
        assert!(SqlType::TinyInt.check("-1").is_err());
        assert_eq!(SqlType::parse(" NVARCHAR ( 8 ) "), Ok(SqlType::Varchar(8)));
        assert!(SqlType::parse("varchar(0)").is_err());
    }

    #[test]
    fn a_unit_of_more_ports_than_the_limit_is_refused_without_building_them() {
        for ports in ["4000000000", "\"1-4000000000\"", "\"1-9999, 10001-10002\""] {
            let e = RecorderConfig::from_toml(&format!("[[unit]]\nid = 1\nports = {ports}\n"))
                .unwrap_err();
            assert!(e.to_string().contains("a unit has at most 10000"), "{e}");
        }
        let c = RecorderConfig::from_toml("[[unit]]\nid = 1\nports = \"1-10000\"\n").unwrap();
        assert_eq!(c.units[0].ports.len(), MAX_UNIT_PORTS);
    }
}
