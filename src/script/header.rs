//! A script's header: the comment lines at its top, where its `// args:` line (`ecapi run` and
//! `ecapi test` read it) and its `// tags:` line (`ecapi test --tag`) sit. Blank lines may stand
//! between them; the first line of code ends the header.

/// The comment lines of the header, each with its number (from 1) and its text trimmed.
pub fn comments(source: &str) -> impl Iterator<Item = (usize, &str)> {
    source
        .lines()
        .enumerate()
        .map(|(i, text)| (i + 1, text.trim()))
        .filter(|(_, text)| !text.is_empty())
        .take_while(|(_, text)| text.starts_with("//"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_header_is_the_comments_before_the_first_code() {
        let src = "// one\n\n  // two\nlet x = 1;\n// not header\n";
        assert_eq!(
            comments(src).collect::<Vec<_>>(),
            [(1, "// one"), (3, "// two")]
        );
        assert_eq!(comments("let x = 1;\n").count(), 0);
    }
}
