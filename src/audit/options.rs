//! What an audit is told: rules turned off, thresholds and windows, and whose desktop is recorded.

use std::collections::BTreeSet;
use std::time::Duration;

use super::rule::{RuleId, Severity};

/// Whose desktop is recorded (`--desktop-users all|none|LOGIN,…`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum DesktopUsers {
    /// Every user's: a pause on a port whose user is unknown needs some DesktopPause too.
    All,
    /// Nobody's: `desktop-not-paused` never fires.
    #[default]
    None,
    /// These logins' (kept lowercased: the recorder matches logins without regard to case).
    Logins(BTreeSet<String>),
}

impl DesktopUsers {
    /// From `all`, `none` or a comma-separated list of logins; an error for an empty list.
    pub fn parse(text: &str) -> Result<DesktopUsers, String> {
        match text.trim().to_ascii_lowercase().as_str() {
            "all" => Ok(DesktopUsers::All),
            "none" => Ok(DesktopUsers::None),
            _ => {
                let logins: BTreeSet<String> = text
                    .split(',')
                    .map(|l| l.trim().to_lowercase())
                    .filter(|l| !l.is_empty())
                    .collect();
                if logins.is_empty() {
                    Err(
                        "--desktop-users takes all, none or a comma-separated list of logins"
                            .into(),
                    )
                } else {
                    Ok(DesktopUsers::Logins(logins))
                }
            }
        }
    }

    /// Whether this login's desktop is recorded.
    pub fn records(&self, login: &str) -> bool {
        match self {
            DesktopUsers::All => true,
            DesktopUsers::None => false,
            DesktopUsers::Logins(set) => set.contains(&login.to_lowercase()),
        }
    }
}

/// A user's seat as a recorder's directory gives it: the login on a unit and port.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seat {
    /// The Windows login.
    pub login: String,
    /// The unit.
    pub unit: String,
    /// The port.
    pub port: String,
}

/// The audit's options.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    /// Whether to audit at all (`ecapi serve --no-audit` turns it off: no finding, no coverage).
    pub enabled: bool,
    /// Rules turned off (`--allow RULE`).
    pub allow: BTreeSet<RuleId>,
    /// Whose desktop is recorded.
    pub desktop_users: DesktopUsers,
    /// Seats known in advance (the recorder profile's directory); others are learned from
    /// InitUser's answers.
    pub seats: Vec<Seat>,
    /// How far apart, either way, a PauseRecording and its DesktopPause may be (default 5 s).
    pub desktop_window: Duration,
    /// How many times the same request may be answered with the same non-100 code within
    /// [`Options::retry_window`] (default 3; one more is a storm).
    pub retry_limit: usize,
    /// The window for [`Options::retry_limit`] (default 10 s).
    pub retry_window: Duration,
    /// The least time between two InitStation (InitUser) for the same extension (login) with the
    /// same answer (default 10 min).
    pub init_interval: Duration,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            enabled: true,
            allow: BTreeSet::new(),
            desktop_users: DesktopUsers::None,
            seats: Vec::new(),
            desktop_window: Duration::from_secs(5),
            retry_limit: 3,
            retry_window: Duration::from_secs(10),
            init_interval: Duration::from_secs(600),
        }
    }
}

impl Options {
    /// Whether a rule is on.
    pub fn checks(&self, rule: RuleId) -> bool {
        !self.allow.contains(&rule)
    }
}

/// The rules named by `--allow` (comma-separated or repeated); an error naming an unknown rule,
/// with the closest known one.
pub fn parse_allow(names: &[String]) -> Result<BTreeSet<RuleId>, String> {
    let mut out = BTreeSet::new();
    for name in names.iter().flat_map(|n| n.split(',')) {
        let name = name.trim();
        if name.is_empty() {
            continue;
        }
        match RuleId::from_name(name) {
            Some(r) => {
                out.insert(r);
            }
            None => {
                let best = RuleId::ALL
                    .into_iter()
                    .map(|r| (strsim::jaro_winkler(r.name(), name), r))
                    .max_by(|a, b| a.0.total_cmp(&b.0))
                    .filter(|(score, _)| *score > 0.8)
                    .map(|(_, r)| r);
                let hint = best.map_or(String::new(), |r| format!(" (did you mean {r}?)"));
                return Err(format!(
                    "no rule named {name:?}{hint}; `ecapi audit --rules` lists them"
                ));
            }
        }
    }
    Ok(out)
}

/// The severity `--fail-on` names; an error for another word.
pub fn parse_severity(word: &str) -> Result<Severity, String> {
    Severity::from_word(word)
        .ok_or_else(|| format!("--fail-on takes error, warning or info, not {word:?}"))
}
