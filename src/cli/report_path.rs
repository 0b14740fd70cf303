//! A report file asked for on the command line (`--report-junit`, `--summary-json`, …): its folder
//! made and the file checked before the work starts, so that a long run never ends without the
//! report a CI system waits for (as pytest, Newman and Hurl make the folder).

use std::path::{Path, PathBuf};

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

/// [`prepare`]s every report asked for (`(option, path)`, `None` when not asked for) and checks
/// that no two name the same file, which one report would silently overwrite with the other.
/// Paths are compared once the files exist, through [`std::fs::canonicalize`], so `r.xml`,
/// `./r.xml` and a link to it are the same file.
///
/// # Errors
/// The first [`prepare`] error, or a usage error naming both options and the path.
pub fn prepare_all(reports: &[(&str, Option<&Path>)]) -> Result<(), UsageError> {
    let mut seen: Vec<(&str, PathBuf)> = Vec::new();
    for &(option, path) in reports {
        let Some(path) = path else { continue };
        prepare(option, path)?;
        let real = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
        if let Some((other, _)) = seen.iter().find(|(_, seen)| *seen == real) {
            return Err(UsageError(format!(
                "{option} {}: the same file as {other}'s; each report needs a file of its own",
                path.display()
            )));
        }
        seen.push((option, real));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_reports_naming_one_file_are_refused_naming_both_options() {
        let dir = tempfile::tempdir().unwrap();
        let one = dir.path().join("r.out");
        let same = dir.path().join(".").join("r.out");
        let other = dir.path().join("sub").join("j.xml");
        let e = prepare_all(&[
            ("--report-json", Some(&one)),
            ("--report-html", None),
            ("--report-junit", Some(&same)),
        ])
        .unwrap_err();
        assert!(e.0.starts_with("--report-junit "), "{}", e.0);
        assert!(e.0.contains("the same file as --report-json's"), "{}", e.0);
        prepare_all(&[
            ("--report-json", Some(&one)),
            ("--report-junit", Some(&other)),
        ])
        .unwrap();
        assert!(other.exists());
    }
}
