//! Finding the test files: every `.rhai` file under the paths given, in sorted order.

use std::path::{Path, PathBuf};

use super::RunnerError;

/// The `.rhai` files under `paths` (a path may name a file), sorted, each once. Hidden folders and
/// `target` (cargo's build output) are not searched.
pub fn files(paths: &[PathBuf]) -> Result<Vec<PathBuf>, RunnerError> {
    let mut out = Vec::new();
    for path in paths {
        if path.is_file() {
            out.push(path.clone());
        } else if path.is_dir() {
            walk(path, &mut out)?;
        } else {
            return Err(RunnerError::NoSuchPath(path.clone()));
        }
    }
    out.sort();
    out.dedup();
    Ok(out)
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), RunnerError> {
    let entries = std::fs::read_dir(dir).map_err(|e| RunnerError::Read {
        path: dir.to_path_buf(),
        source: e,
    })?;
    for entry in entries {
        let entry = entry.map_err(|e| RunnerError::Read {
            path: dir.to_path_buf(),
            source: e,
        })?;
        let path = entry.path();
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if path.is_dir() {
            if !name.starts_with('.') && name != "target" {
                walk(&path, out)?;
            }
        } else if path.extension().is_some_and(|e| e == "rhai") {
            out.push(path);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_rhai_files_in_sorted_order_skipping_hidden_folders() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir_all(root.join("b")).unwrap();
        std::fs::create_dir_all(root.join(".git")).unwrap();
        for f in ["b/two.rhai", "a.rhai", "notes.txt", ".git/x.rhai"] {
            std::fs::write(root.join(f), "").unwrap();
        }
        let found = files(&[root.to_path_buf()]).unwrap();
        let names: Vec<_> = found
            .iter()
            .map(|p| p.strip_prefix(root).unwrap())
            .collect();
        assert_eq!(names, [Path::new("a.rhai"), Path::new("b/two.rhai")]);
    }

    #[test]
    fn a_missing_path_is_an_error() {
        let err = files(&[PathBuf::from("no/such/dir")]).unwrap_err();
        assert_eq!(err.to_string(), "no/such/dir: no such file or folder");
    }
}
