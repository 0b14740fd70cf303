//! Whether a piece of REPL input is complete, or leaves a bracket, a string or a comment open.
//!
//! Both the line editor's validator and the piped reader ask this, so a construct spread over
//! several lines is evaluated once, whole. The scan knows just enough of Rhai's lexical rules to
//! tell "open" from "closed": strings and characters with escapes, template strings with `${…}`,
//! line and (nested) block comments. A stray closing bracket counts as complete, so that the parser,
//! not the REPL, reports it.

/// Whether `source` can be evaluated as it is, rather than waiting for more lines.
pub fn is_complete(source: &str) -> bool {
    // Each entry is the character that closes an open construct; `I` marks a `${` interpolation
    // inside a template string, closed by `}`.
    let mut open: Vec<char> = Vec::new();
    let mut chars = source.chars().peekable();
    while let Some(c) = chars.next() {
        if open.last() == Some(&'`') {
            match c {
                '\\' => {
                    chars.next();
                }
                '`' => {
                    open.pop();
                }
                '$' if chars.peek() == Some(&'{') => {
                    chars.next();
                    open.push('I');
                }
                _ => {}
            }
            continue;
        }
        match c {
            '/' if chars.peek() == Some(&'/') => {
                for c in chars.by_ref() {
                    if c == '\n' {
                        break;
                    }
                }
            }
            '/' if chars.peek() == Some(&'*') => {
                chars.next();
                let mut depth = 1;
                let mut prev = '\0';
                while depth > 0 {
                    let Some(c) = chars.next() else {
                        return false;
                    };
                    match (prev, c) {
                        ('/', '*') => {
                            depth += 1;
                            prev = '\0';
                            continue;
                        }
                        ('*', '/') => {
                            depth -= 1;
                            prev = '\0';
                            continue;
                        }
                        _ => {}
                    }
                    prev = c;
                }
            }
            '"' | '\'' => {
                // A string ends at its closing quote; an unescaped line end inside it is a syntax
                // error the parser reports, so it counts as complete.
                loop {
                    match chars.next() {
                        None => return false,
                        Some('\\') => {
                            chars.next();
                        }
                        Some(q) if q == c => break,
                        Some('\n') => return true,
                        Some(_) => {}
                    }
                }
            }
            '`' => open.push('`'),
            '(' => open.push(')'),
            '[' => open.push(']'),
            '{' => open.push('}'),
            ')' | ']' | '}' => match open.last() {
                Some('I') if c == '}' => {
                    open.pop();
                }
                Some(&closer) if closer == c => {
                    open.pop();
                }
                _ => return true,
            },
            _ => {}
        }
    }
    open.is_empty()
}

#[cfg(test)]
mod tests {
    use super::is_complete;

    #[test]
    fn balanced_input_is_complete() {
        assert!(is_complete("init_station(\"1234\");"));
        assert!(is_complete(
            "fn f(x) { if x { [1, 2] } else { #{ a: 1 } } }"
        ));
        assert!(is_complete(""));
    }

    #[test]
    fn an_open_brace_bracket_or_paren_waits_for_more() {
        assert!(!is_complete("fn f(x) {"));
        assert!(!is_complete("let a = [1,\n2"));
        assert!(!is_complete("start_recording(1,"));
    }

    #[test]
    fn brackets_inside_strings_and_comments_do_not_count() {
        assert!(is_complete("print(\"{ ( [\");"));
        assert!(is_complete("print('{');"));
        assert!(is_complete("let a = 1; // {"));
        assert!(is_complete("/* { /* nested */ ( */ let a = 1;"));
        assert!(is_complete(r#"print("a \" {");"#));
    }

    #[test]
    fn open_strings_and_comments_wait_for_more() {
        assert!(!is_complete("print(\"abc"));
        assert!(!is_complete("/* a comment"));
        assert!(!is_complete("let s = `line one\n"));
    }

    #[test]
    fn template_strings_nest_interpolations() {
        assert!(is_complete("print(`unit ${r.unit} port ${#{a: 1}.a}`);"));
        assert!(!is_complete("print(`unit ${r.unit"));
    }

    #[test]
    fn a_stray_closer_is_left_to_the_parser() {
        assert!(is_complete("}"));
        assert!(is_complete("(]"));
    }
}
