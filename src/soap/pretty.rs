//! Indentation for `--trace`, so that a CRM developer can read the envelopes and copy them.
//!
//! wire.md ("The client"): pretty-printing adds whitespace only between elements, never inside a
//! value, and an empty element stays empty. So every element that holds text (a value, even one of
//! spaces only), mixed content or nothing at all is copied byte for byte as it was written, on one
//! line unless its own text has line breaks; only elements that hold elements alone are broken up
//! and indented. Attributes, entity and character references, CDATA and comments are copied as
//! written.

use quick_xml::events::Event;
use quick_xml::Reader;

/// One piece of a document, as slices of the original text.
enum Node<'a> {
    Element {
        /// The start tag as written (the whole element when it is written `<a/>`).
        open: &'a str,
        /// The end tag as written; empty for `<a/>`.
        close: &'a str,
        /// The whole element as written.
        whole: &'a str,
        children: Vec<Node<'a>>,
    },
    /// Character data: text, CDATA, a reference. `blank` when it is only XML whitespace.
    Text { raw: &'a str, blank: bool },
    /// A comment, processing instruction, XML declaration or DOCTYPE: copied, never processed.
    Other(&'a str),
}

impl Node<'_> {
    fn is_blank(&self) -> bool {
        matches!(self, Node::Text { blank: true, .. })
    }
}

/// The document indented by two spaces per level. Elements holding elements only are broken up;
/// every other element is copied exactly as written (see the module documentation). A document
/// that cannot be parsed comes back unchanged.
pub fn pretty(xml: &str) -> String {
    match parse(xml) {
        Some(nodes) => {
            let mut out = String::with_capacity(xml.len() + xml.len() / 2);
            for node in nodes.iter().filter(|n| !n.is_blank()) {
                if !out.is_empty() {
                    out.push('\n');
                }
                render(node, 0, &mut out);
            }
            out
        }
        None => xml.to_string(),
    }
}

fn parse(xml: &str) -> Option<Vec<Node<'_>>> {
    let mut reader = Reader::from_str(xml);
    reader.config_mut().check_end_names = true;
    // Open elements: (start tag, offset of its start, children so far).
    let mut stack: Vec<(&str, usize, Vec<Node<'_>>)> = Vec::new();
    let mut top: Vec<Node<'_>> = Vec::new();
    let mut at = 0usize;
    loop {
        let event = reader.read_event().ok()?;
        let end = usize::try_from(reader.buffer_position()).ok()?;
        let raw = xml.get(at..end)?;
        let start = at;
        at = end;
        let node = match event {
            Event::Eof => break,
            Event::Start(_) => {
                stack.push((raw, start, Vec::new()));
                continue;
            }
            Event::End(_) => {
                let (open, from, children) = stack.pop()?;
                Node::Element {
                    open,
                    close: raw,
                    whole: xml.get(from..end)?,
                    children,
                }
            }
            Event::Empty(_) => Node::Element {
                open: raw,
                close: "",
                whole: raw,
                children: Vec::new(),
            },
            Event::Text(_) => Node::Text {
                raw,
                blank: raw
                    .bytes()
                    .all(|b| matches!(b, b' ' | b'\t' | b'\r' | b'\n')),
            },
            Event::CData(_) | Event::GeneralRef(_) => Node::Text { raw, blank: false },
            Event::Comment(_) | Event::PI(_) | Event::Decl(_) | Event::DocType(_) => {
                Node::Other(raw)
            }
        };
        match stack.last_mut() {
            Some((_, _, children)) => children.push(node),
            None => top.push(node),
        }
    }
    (stack.is_empty() && top.iter().any(|n| matches!(n, Node::Element { .. }))).then_some(top)
}

fn render(node: &Node<'_>, depth: usize, out: &mut String) {
    match node {
        Node::Element {
            open,
            close,
            whole,
            children,
        } => {
            let holds_elements_only = children.iter().any(|c| matches!(c, Node::Element { .. }))
                && children
                    .iter()
                    .all(|c| !matches!(c, Node::Text { blank: false, .. }));
            if !holds_elements_only {
                out.push_str(whole);
                return;
            }
            out.push_str(open);
            for child in children.iter().filter(|c| !c.is_blank()) {
                out.push('\n');
                indent(depth + 1, out);
                render(child, depth + 1, out);
            }
            out.push('\n');
            indent(depth, out);
            out.push_str(close);
        }
        Node::Text { raw, .. } | Node::Other(raw) => out.push_str(raw),
    }
}

fn indent(depth: usize, out: &mut String) {
    for _ in 0..depth {
        out.push_str("  ");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn envelopes_are_indented_with_text_kept_inline_and_escaped() {
        let got = pretty(
            "<s:Envelope xmlns:s=\"urn:s\"><s:Body><Op xmlns=\"urn:t\"><A>1 &amp; 2</A><B/></Op>\
             </s:Body></s:Envelope>",
        );
        assert_eq!(
            got,
            "<s:Envelope xmlns:s=\"urn:s\">\n  <s:Body>\n    <Op xmlns=\"urn:t\">\n      \
             <A>1 &amp; 2</A>\n      <B/>\n    </Op>\n  </s:Body>\n</s:Envelope>"
        );
    }

    #[test]
    fn an_empty_element_stays_empty_as_written() {
        let got = pretty("<Op><Unit></Unit><Port/><Extension ></Extension></Op>");
        assert_eq!(
            got,
            "<Op>\n  <Unit></Unit>\n  <Port/>\n  <Extension ></Extension>\n</Op>"
        );
    }

    #[test]
    fn values_keep_their_spaces_line_breaks_and_references_exactly() {
        for value in [
            " ",
            "  padded  ",
            "two\nlines\n",
            "\r\n",
            "a &lt;b&gt; &#x9; &#233; c",
            "<![CDATA[ <raw> & ]]>",
            "x<![CDATA[y]]>z",
        ] {
            let doc = format!("<Op><fieldValue>{value}</fieldValue><Unit>1</Unit></Op>");
            let got = pretty(&doc);
            assert_eq!(
                got,
                format!("<Op>\n  <fieldValue>{value}</fieldValue>\n  <Unit>1</Unit>\n</Op>"),
                "{value:?}"
            );
        }
    }

    #[test]
    fn mixed_content_is_copied_as_written() {
        let doc = "<Op><p>Hello <b>big</b>\n world</p><Unit>1</Unit></Op>";
        assert_eq!(
            pretty(doc),
            "<Op>\n  <p>Hello <b>big</b>\n world</p>\n  <Unit>1</Unit>\n</Op>"
        );
    }

    #[test]
    fn indentation_already_present_is_replaced_and_attributes_kept_as_written() {
        let doc = "<?xml version=\"1.0\"?>\n<a  x='1'>\n    <b>v</b>\n\n  <!-- c --><c i:nil=\"true\"/>\n</a>\n";
        assert_eq!(
            pretty(doc),
            "<?xml version=\"1.0\"?>\n<a  x='1'>\n  <b>v</b>\n  <!-- c -->\n  <c i:nil=\"true\"/>\n</a>"
        );
    }

    #[test]
    fn what_is_not_xml_is_returned_unchanged() {
        assert_eq!(pretty("<a><b></a>"), "<a><b></a>");
        assert_eq!(pretty("plain text"), "plain text");
        assert_eq!(pretty(""), "");
        assert_eq!(pretty("<a>"), "<a>");
        assert_eq!(
            pretty("<html>unclosed <br> tag</html>"),
            "<html>unclosed <br> tag</html>"
        );
    }
}
