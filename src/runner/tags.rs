//! Tags: labels that choose which tests a run takes (`ecapi test --tag smoke`, `--skip-tag slow`),
//! as Karate's `@tags` and Bruno's `--tags` do.
//!
//! A file is tagged by a `// tags: smoke pci` line among the comment lines at its top (beside
//! its `// args:` line; the same rules: written exactly `// tags:`, once); a case by its options,
//! `test("name", #{ tags: ["pci"] }, || …)`. A case has its file's tags and its own. A tag is a
//! word of letters, digits, `-`, `_`, `.` and `:`; tags compare exactly (case matters).
//!
//! [`TagFilter`]: with `--tag`, a test runs when it has any of them; with `--skip-tag`, it does
//! not run when it has any of those (`--skip-tag` wins).

/// Checks one tag ([`crate::script::valid_tag`]); the error names it and says what a tag may hold.
pub fn check(tag: &str) -> Result<(), String> {
    if crate::script::valid_tag(tag) {
        Ok(())
    } else {
        Err(format!(
            "`{tag}` is not a tag: a tag is one word of letters, digits, -, _, . and :"
        ))
    }
}

/// The tags of a file's `// tags:` line (among the comment lines at its top), in order, without
/// repeats; none without such a line.
///
/// # Errors
/// A line meant as one but not written `// tags: …` (`//tags:`, `// Tags:`, `// tags smoke`), a
/// second one, or a malformed tag: the message names the line.
pub fn of_file(file: &str, source: &str) -> Result<Vec<String>, String> {
    let mut found: Option<usize> = None;
    let mut tags: Vec<String> = Vec::new();
    for (line, trimmed) in crate::script::header::comments(source) {
        let comment = &trimmed[2..];
        let after = comment.trim_start();
        let looks_meant = after
            .get(..4)
            .is_some_and(|w| w.eq_ignore_ascii_case("tags"))
            && after[4..].trim_start().starts_with(':');
        let written = trimmed.strip_prefix("// tags:");
        if !looks_meant && written.is_none() {
            continue;
        }
        let rest = match written {
            Some(rest) if rest.is_empty() || rest.starts_with(' ') => rest,
            _ => {
                return Err(format!(
                    "{file}:{line}: `{trimmed}` is not a tags line: write it `// tags: smoke pci`"
                ))
            }
        };
        if let Some(first) = found {
            return Err(format!(
                "{file}:{line}: a second `// tags:` line (the first is line {first})"
            ));
        }
        found = Some(line);
        for tag in rest.split([' ', ',', '\t']).filter(|t| !t.is_empty()) {
            check(tag).map_err(|e| format!("{file}:{line}: {e}"))?;
            if !tags.iter().any(|t| t == tag) {
                tags.push(tag.to_string());
            }
        }
    }
    Ok(tags)
}

/// `--tag` and `--skip-tag`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TagFilter {
    /// A test runs only when it has one of these (when there are any).
    pub any_of: Vec<String>,
    /// A test with one of these does not run.
    pub none_of: Vec<String>,
}

impl TagFilter {
    /// Whether the filter takes every test.
    pub fn is_empty(&self) -> bool {
        self.any_of.is_empty() && self.none_of.is_empty()
    }

    /// Whether a case of a file with these tags and this text may run, when the file itself is
    /// left out: not when the file has a tag to skip (its cases have it too), nor when a tag is
    /// wanted and no case is given tags (the text never says `tags`). A file that no case of can
    /// run is not run at all, not even to find its cases.
    pub fn cases_may_run(&self, file_tags: &[String], source: &str) -> bool {
        let skipped = self.none_of.iter().any(|t| file_tags.contains(t));
        !skipped && (self.any_of.is_empty() || source.contains("tags"))
    }

    /// Whether a test with these tags runs.
    pub fn accepts(&self, tags: &[String]) -> bool {
        let has = |wanted: &Vec<String>| wanted.iter().any(|w| tags.contains(w));
        (self.any_of.is_empty() || has(&self.any_of)) && !has(&self.none_of)
    }
}

/// A case's tags: its file's, then its own not already among them.
pub fn merged(file: &[String], case: &[String]) -> Vec<String> {
    let mut all = file.to_vec();
    for t in case {
        if !all.contains(t) {
            all.push(t.clone());
        }
    }
    all
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(tags: &[&str]) -> Vec<String> {
        tags.iter().map(|t| t.to_string()).collect()
    }

    #[test]
    fn a_files_tags_line_sits_among_its_top_comments() {
        let src = "// A flow.\n// args: --api 7.0\n// tags: smoke pci, smoke\n\nlet x = 1;\n// tags: late\n";
        assert_eq!(of_file("f.rhai", src).unwrap(), v(&["smoke", "pci"]));
        assert!(of_file("f.rhai", "let x = 1;\n").unwrap().is_empty());
    }

    #[test]
    fn a_tags_line_not_written_so_is_an_error_naming_the_line() {
        for (src, expected) in [
            ("//tags: a\n", "f.rhai:1: `//tags: a` is not a tags line"),
            ("// Tags: a\n", "f.rhai:1: `// Tags: a` is not a tags line"),
            (
                "// tags: a\n// tags: b\n",
                "f.rhai:2: a second `// tags:` line (the first is line 1)",
            ),
            ("// tags: a b/c\n", "f.rhai:1: `b/c` is not a tag"),
        ] {
            let e = of_file("f.rhai", src).unwrap_err();
            assert!(e.starts_with(expected), "{src:?}: {e}");
        }
        // Prose that mentions tags is not a tags line.
        assert!(of_file("f.rhai", "// tags are below\n").unwrap().is_empty());
    }

    #[test]
    fn the_filter_takes_any_of_its_tags_and_skip_tags_win() {
        let f = TagFilter {
            any_of: v(&["pci", "smoke"]),
            none_of: v(&["slow"]),
        };
        assert!(f.accepts(&v(&["pci"])));
        assert!(f.accepts(&v(&["x", "smoke"])));
        assert!(!f.accepts(&v(&["x"])));
        assert!(!f.accepts(&[]));
        assert!(!f.accepts(&v(&["pci", "slow"])));
        let skip = TagFilter {
            any_of: vec![],
            none_of: v(&["slow"]),
        };
        assert!(skip.accepts(&[]));
        assert!(!skip.accepts(&v(&["slow"])));
        assert!(TagFilter::default().accepts(&[]));
    }

    #[test]
    fn a_file_none_of_whose_cases_can_run_is_not_read_for_cases() {
        let want = TagFilter {
            any_of: v(&["pci"]),
            none_of: v(&["slow"]),
        };
        assert!(!want.cases_may_run(&[], "test(\"a\", || {});"));
        assert!(want.cases_may_run(&[], "test(\"a\", #{ tags: [\"pci\"] }, || {});"));
        assert!(!want.cases_may_run(&v(&["slow"]), "test(\"a\", #{ tags: [\"pci\"] }, || {});"));
    }
}
