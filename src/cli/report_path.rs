//! A report file asked for on the command line (`--report-junit`, `--summary-json`, …): its folder
//! made and the file checked before the work starts, so that a long run never ends without the
//! report a CI system waits for (as pytest, Newman and Hurl make the folder).

use std::path::Path;

use super::backend::UsageError;

/// Makes `path`'s folder and checks that the file can be written there. The file is opened, not
/// emptied: a report left from before stays until the run writes its own.
///
/// # Errors
/// A usage error naming `option` and the path: the folder cannot be made, the path is a folder, or
/// the file cannot be opened for writing.
pub fn prepare(option: &str, path: &Path) -> Result<(), UsageError> {
    let problem = |e: std::io::Error| UsageError(format!("{option} {}: {e}", path.display()));
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        if dir.exists() && !dir.is_dir() {
            return Err(UsageError(format!(
                "{option} {}: {} is a file, not a folder",
                path.display(),
                dir.display()
            )));
        }
        std::fs::create_dir_all(dir).map_err(problem)?;
    }
    if path.is_dir() {
        return Err(UsageError(format!(
            "{option} {}: a folder, not a file",
            path.display()
        )));
    }
    std::fs::OpenOptions::new()
        .append(true)
        .create(true)
        .open(path)
        .map_err(problem)?;
    Ok(())
}
