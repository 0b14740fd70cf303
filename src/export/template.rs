//! The one way generated code is assembled: a template with `{{name}}` holes, filled from a list
//! of values. A hole without a value is a mistake in a writer, caught by its golden test.

/// `template` with each `{{name}}` replaced by its value. A hole with no value panics: every
/// writer's templates are fixed text, covered by the golden tests.
pub fn fill(template: &str, values: &[(&str, &str)]) -> String {
    let mut out = String::with_capacity(template.len() + 256);
    let mut rest = template;
    while let Some(mut at) = rest.find("{{") {
        // `${{{name}}}`: the braces before a hole's own two are text.
        while rest[at + 2..].starts_with('{') {
            at += 1;
        }
        out.push_str(&rest[..at]);
        let after = &rest[at + 2..];
        let end = after.find("}}").expect("a template hole is closed");
        let name = &after[..end];
        let value = values
            .iter()
            .find(|(n, _)| *n == name)
            .unwrap_or_else(|| panic!("no value for the template hole {{{{{name}}}}}"))
            .1;
        out.push_str(value);
        rest = &after[end + 2..];
    }
    out.push_str(rest);
    out
}

/// Lines prefixed with a comment marker (`# `, `// `), empty lines with the bare marker.
pub fn comment(prefix: &str, lines: &[String]) -> String {
    let mut out = String::new();
    for line in lines {
        if line.is_empty() {
            out.push_str(prefix.trim_end());
        } else {
            out.push_str(prefix);
            out.push_str(line);
        }
        out.push('\n');
    }
    out
}

/// Text escaped for XML element content.
pub fn xml_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    crate::soap::xml::push_text(&mut out, text);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn holes_are_filled_by_name() {
        assert_eq!(
            fill("a {{x}} b {{y}}{{x}}", &[("x", "1"), ("y", "2")]),
            "a 1 b 21"
        );
        assert_eq!(fill("${{{x}}}", &[("x", "v")]), "${v}");
    }

    #[test]
    #[should_panic(expected = "no value for the template hole {{z}}")]
    fn a_hole_without_a_value_is_a_writers_mistake() {
        fill("{{z}}", &[]);
    }
}
