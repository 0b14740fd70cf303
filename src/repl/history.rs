//! Where the REPL keeps its history across sessions.

use std::path::PathBuf;

/// The environment variable that overrides the history file; set it empty to keep no history.
pub const HISTORY_ENV: &str = "ECAPI_HISTORY";

/// The history file: `$ECAPI_HISTORY`, else `ecapi/history` in the user's data directory
/// (`$XDG_DATA_HOME`, usually `~/.local/share`). `None` when there is nowhere to keep it.
pub fn path() -> Option<PathBuf> {
    match std::env::var_os(HISTORY_ENV) {
        Some(p) if p.is_empty() => None,
        Some(p) => Some(PathBuf::from(p)),
        None => dirs::data_dir().map(|d| d.join("ecapi").join("history")),
    }
}
