//! Finding the test files: every `.rhai` file under the paths given, in sorted order, except the
//! helper modules that tests import.
//!
//! A file found in a folder is a helper, not a test, when
//! - its name starts with `_` (`_fixtures.rhai`), or
//! - it is under a folder named `lib` (`suite/lib/agents.rhai`) or under a `--module-path`
//!   folder, or
//! - a test file found imports it (`import "helpers" as h;` beside `helpers.rhai`, or through a
//!   `--module-path` folder), as [`crate::script::Modules`] resolves the import.
//!
//! A file named on the command line is always a test.

use std::path::{Path, PathBuf};

use super::RunnerError;
use crate::script::Modules;

/// The test files under `paths` (a path may name a file), sorted, each once, without the helper
/// modules (see the module docs; `module_path` is `--module-path`). Hidden folders and `target`
/// (cargo's build output) are not searched.
pub fn files(paths: &[PathBuf], module_path: &[PathBuf]) -> Result<Vec<PathBuf>, RunnerError> {
    let mut named = Vec::new();
    let mut found = Vec::new();
    for path in paths {
        if path.is_file() {
            named.push(path.clone());
        } else if path.is_dir() {
            let mut under = Vec::new();
            walk(path, &mut under)?;
            // Only the folders below the one given count: `ecapi test ~/lib/suite` has tests.
            under.retain(|p| !helper_by_name(p.strip_prefix(path).unwrap_or(p)));
            found.extend(under);
        } else {
            return Err(RunnerError::NoSuchPath(path.clone()));
        }
    }
    let imported: Vec<PathBuf> = found
        .iter()
        .chain(&named)
        .flat_map(|file| imported_files(file, module_path))
        .collect();
    let module_dirs: Vec<PathBuf> = module_path
        .iter()
        .filter_map(|d| d.canonicalize().ok())
        .collect();
    found.retain(|p| {
        let in_module_dir = p
            .canonicalize()
            .is_ok_and(|p| module_dirs.iter().any(|d| p.starts_with(d)));
        !in_module_dir && !imported.iter().any(|i| same_file(i, p))
    });
    let mut out = named;
    out.extend(found);
    out.sort();
    out.dedup();
    Ok(out)
}

/// `_name.rhai`, or a file under a `lib` folder (`path` is relative to the folder searched).
fn helper_by_name(path: &Path) -> bool {
    let underscore = path
        .file_name()
        .is_some_and(|n| n.to_string_lossy().starts_with('_'));
    let in_lib = path
        .parent()
        .into_iter()
        .flat_map(Path::components)
        .any(|c| c.as_os_str() == "lib");
    underscore || in_lib
}

fn same_file(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => a == b,
    }
}

/// The files the imports of `file` name, as the script runtime would resolve them.
pub(crate) fn imported_files(file: &Path, module_path: &[PathBuf]) -> Vec<PathBuf> {
    let Ok(text) = std::fs::read_to_string(file) else {
        return Vec::new();
    };
    let modules = Modules::for_script(file, module_path);
    crate::script::modules::imports(&text)
        .into_iter()
        .filter_map(|(p, _)| {
            modules
                .candidates(None, &p)
                .into_iter()
                .find(|c| c.is_file())
        })
        .collect()
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
        let found = files(&[root.to_path_buf()], &[]).unwrap();
        let names: Vec<_> = found
            .iter()
            .map(|p| p.strip_prefix(root).unwrap())
            .collect();
        assert_eq!(names, [Path::new("a.rhai"), Path::new("b/two.rhai")]);
    }

    #[test]
    fn a_missing_path_is_an_error() {
        let err = files(&[PathBuf::from("no/such/dir")], &[]).unwrap_err();
        assert_eq!(err.to_string(), "no/such/dir: no such file or folder");
    }

    #[test]
    fn helper_modules_are_not_tests() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        for d in ["flows", "lib", "shared"] {
            std::fs::create_dir_all(root.join(d)).unwrap();
        }
        let files_and_text = [
            (
                "flows/a.rhai",
                "import \"helpers\" as h;\nimport \"common\" as c;\n",
            ),
            ("flows/helpers.rhai", "fn f() { 1 }"),
            ("flows/_setup.rhai", ""),
            ("lib/agents.rhai", ""),
            ("shared/common.rhai", ""),
            ("shared/unused.rhai", ""),
            (
                "b.rhai",
                "// import \"notes\" is only a comment\nlet importer = 1;",
            ),
            ("notes.rhai", ""),
        ];
        for (f, text) in files_and_text {
            std::fs::write(root.join(f), text).unwrap();
        }
        let found = files(&[root.to_path_buf()], &[root.join("shared")]).unwrap();
        let names: Vec<_> = found
            .iter()
            .map(|p| p.strip_prefix(root).unwrap().to_path_buf())
            .collect();
        assert_eq!(
            names,
            [
                PathBuf::from("b.rhai"),
                PathBuf::from("flows/a.rhai"),
                PathBuf::from("notes.rhai")
            ]
        );
        // Named on the command line, a helper is a test.
        let named = files(&[root.join("flows/_setup.rhai")], &[]).unwrap();
        assert_eq!(named, [root.join("flows/_setup.rhai")]);
    }
}
