//! Which tests a change affects, for `ecapi test --watch`: a test file that changed, and every
//! test file that imports a changed module, directly or through other modules, with imports
//! resolved as the script runtime resolves them ([`crate::script::Modules`]: beside the
//! importing file, then in the `--module-path` folders).

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use super::discover::imported_files;

/// A path made comparable: canonical when it exists (a path given as `./a.rhai` and one a file
/// watcher reports as `/home/…/a.rhai` are the same file), as given otherwise (a deleted file).
fn key(path: &Path) -> PathBuf {
    path.canonicalize().unwrap_or_else(|_| path.to_path_buf())
}

/// `file` and every module it imports, directly or not, each once.
pub fn closure(file: &Path, module_path: &[PathBuf]) -> HashSet<PathBuf> {
    let mut seen = HashSet::new();
    let mut todo = vec![file.to_path_buf()];
    while let Some(f) = todo.pop() {
        if seen.insert(key(&f)) {
            // A module imports beside itself: its own folder comes first.
            todo.extend(imported_files(&f, module_path));
        }
    }
    seen
}

/// The tests among `tests` (in their order) that `changed` affects: those changed and those
/// importing a changed file, directly or through other modules.
pub fn tests(tests: &[PathBuf], changed: &[PathBuf], module_path: &[PathBuf]) -> Vec<PathBuf> {
    let changed: HashSet<PathBuf> = changed.iter().map(|p| key(p)).collect();
    tests
        .iter()
        .filter(|t| closure(t, module_path).iter().any(|f| changed.contains(f)))
        .cloned()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_change_reaches_the_tests_that_import_it_through_other_modules() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir_all(root.join("lib")).unwrap();
        std::fs::create_dir_all(root.join("shared")).unwrap();
        for (f, text) in [
            ("a.rhai", "import \"helpers\" as h;\n"),
            ("b.rhai", "import \"common\" as c;\n"),
            ("c.rhai", "let x = 1;\n"),
            ("helpers.rhai", "import \"lib/deep\" as d;\n"),
            ("lib/deep.rhai", "fn f() { 1 }\n"),
            ("shared/common.rhai", "fn g() { 2 }\n"),
        ] {
            std::fs::write(root.join(f), text).unwrap();
        }
        let all: Vec<PathBuf> = ["a.rhai", "b.rhai", "c.rhai"]
            .iter()
            .map(|f| root.join(f))
            .collect();
        let search = [root.join("shared")];
        let hit = |changed: &str| tests(&all, &[root.join(changed)], &search);
        assert_eq!(hit("lib/deep.rhai"), [root.join("a.rhai")]);
        assert_eq!(hit("helpers.rhai"), [root.join("a.rhai")]);
        assert_eq!(hit("shared/common.rhai"), [root.join("b.rhai")]);
        assert_eq!(hit("c.rhai"), [root.join("c.rhai")]);
        assert!(hit("unrelated.rhai").is_empty());
    }

    #[test]
    fn modules_importing_each_other_do_not_loop() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::write(root.join("t.rhai"), "import \"m1\" as m;\n").unwrap();
        std::fs::write(root.join("m1.rhai"), "import \"m2\" as m;\n").unwrap();
        std::fs::write(root.join("m2.rhai"), "import \"m1\" as m;\n").unwrap();
        let t = [root.join("t.rhai")];
        assert_eq!(tests(&t, &[root.join("m2.rhai")], &[]), t);
    }
}
