//! The one page writer: the frame every self-contained HTML page of ecapi shares (doctype, head,
//! the house styles, no outside resource) and the escaping of text. Each room writes only its
//! body and its own few styles.

use std::fmt::Write as _;

/// Text made safe for HTML content and attribute values; control characters other than line
/// ends and tabs are dropped.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if c.is_control() && !matches!(c, '\n' | '\t') => {}
            c => out.push(c),
        }
    }
    out
}

/// The house styles every page starts from: type, colours of the outcome classes (`success`,
/// `warning`, `refused`, `error`), tables, code.
pub const BASE_STYLE: &str = r#"
:root { --ok: #2e7d32; --warn: #b26a00; --bad: #c62828; --err: #6a1b9a; --skip: #757575;
        --line: #d0d7de; --soft: #f6f8fa; font-family: system-ui, -apple-system, "Segoe UI", sans-serif; }
body { margin: 0 auto; max-width: 1200px; padding: 1.5rem; color: #1f2328; background: #fff; }
h1 { font-size: 1.5rem; margin: 0 0 .25rem; }
h2 { font-size: 1.15rem; margin: 1.5rem 0 .5rem; }
header { border-bottom: 1px solid var(--line); padding-bottom: 1rem; margin-bottom: 1rem; }
.meta { color: #59636e; margin: .25rem 0; }
table { border-collapse: collapse; font-size: .85rem; margin: .5rem 0 1rem; }
th, td { text-align: left; padding: .2rem .5rem; border-bottom: 1px solid var(--line); vertical-align: top; }
td.num, th.num { text-align: right; white-space: nowrap; }
code, pre, .mono { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: .8rem; }
pre { background: var(--soft); border: 1px solid var(--line); border-radius: 4px; padding: .5rem; white-space: pre-wrap; word-break: break-all; }
.success { color: var(--ok); } .warning { color: var(--warn); } .refused { color: var(--bad); } .error { color: var(--err); }
"#;

/// A whole page: `title`, the base styles and `style`, `body`, and `script` when not empty.
pub fn page(title: &str, style: &str, body: &str, script: &str) -> String {
    let mut out = String::with_capacity(body.len() + BASE_STYLE.len() + style.len() + 256);
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{}</title><style>{BASE_STYLE}{style}</style></head>\n<body>\n{body}",
        escape(title)
    );
    if !script.is_empty() {
        let _ = write!(out, "<script>{script}</script>");
    }
    out.push_str("</body></html>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_is_self_contained_and_its_title_escaped() {
        let p = page("a <b> & 'c'", "", "<p>x</p>", "");
        assert!(p.starts_with("<!DOCTYPE html>"));
        assert!(p.contains("<title>a &lt;b&gt; &amp; &#39;c&#39;</title>"));
        for outside in ["src=", "href=", "@import", "url("] {
            assert!(!p.contains(outside), "{outside}");
        }
        assert!(!p.contains("<script>"));
        assert_eq!(escape("a\u{7}b\n"), "ab\n");
    }
}
