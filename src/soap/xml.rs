//! A guarded pull parser over quick-xml, and text escaping, shared by every reader and writer in
//! [`crate::soap`].
//!
//! Everything that reads XML from the network goes through [`Pull`], which is where the safety rules
//! live: a document type declaration is refused outright (so no DTD or external entity is ever
//! resolved), only the five predefined entities and character references are expanded, nesting is
//! capped, and text must be UTF-8. Namespaces are resolved here so that callers match on
//! (namespace, local name) and never on prefixes.

use quick_xml::events::Event;
use quick_xml::name::{QName, ResolveResult};
use quick_xml::NsReader;

/// How deep elements may nest. A SOAP request needs four levels; WSDL and schema a dozen. The cap
/// keeps a hostile document from costing more than its size.
pub const MAX_DEPTH: usize = 64;

/// The XML Schema instance namespace (`i:nil`).
pub const XSI_NS: &str = "http://www.w3.org/2001/XMLSchema-instance";

/// Why a document could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum XmlError {
    /// The bytes are not well-formed XML.
    #[error("not well-formed XML: {0}")]
    Malformed(String),
    /// The document carries a document type declaration, which is never processed.
    #[error("a document type declaration (DOCTYPE) is not allowed")]
    Doctype,
    /// Elements nest deeper than the parser's cap ([`MAX_DEPTH`] unless set otherwise).
    #[error("elements nest deeper than {0} levels")]
    TooDeep(usize),
    /// A character XML 1.0 forbids (a control character other than tab, line feed and carriage
    /// return, U+FFFE, U+FFFF), written raw or as a character reference such as `&#1;`.
    #[error("the character U+{0:04X} is not allowed in XML 1.0")]
    ForbiddenChar(u32),
    /// An entity reference other than the five XML predefines.
    #[error("unknown entity reference `&{0};`")]
    UnknownEntity(String),
    /// Text that is not UTF-8.
    #[error("text is not UTF-8")]
    NotUtf8,
    /// No root element.
    #[error("the document is empty")]
    Empty,
}

/// An attribute with its namespace resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attr {
    /// The attribute's namespace, when prefixed.
    pub ns: Option<String>,
    /// The local name.
    pub local: String,
    /// The value, unescaped.
    pub value: String,
}

/// One step through a document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Item {
    /// An element opens (empty elements open and close).
    Start {
        /// Its namespace.
        ns: Option<String>,
        /// Its local name.
        local: String,
        /// Its attributes, namespace declarations excluded.
        attrs: Vec<Attr>,
    },
    /// Character data (text, CDATA, an entity or character reference), possibly in pieces.
    Text(String),
    /// The innermost open element closes.
    End,
}

/// A pull parser that enforces the rules in the module documentation.
pub struct Pull<'a> {
    reader: NsReader<&'a [u8]>,
    depth: usize,
    max_depth: usize,
    root_seen: bool,
    /// The qualified name (prefix included) of the element opened last.
    qname: String,
}

impl<'a> Pull<'a> {
    /// A parser over a complete document.
    pub fn new(bytes: &'a [u8]) -> Pull<'a> {
        let mut reader = NsReader::from_reader(bytes);
        let config = reader.config_mut();
        config.expand_empty_elements = true;
        config.check_end_names = true;
        config.trim_text(false);
        Pull {
            reader,
            depth: 0,
            max_depth: MAX_DEPTH,
            root_seen: false,
            qname: String::new(),
        }
    }

    /// A parser whose nesting cap is `max_depth` levels instead of [`MAX_DEPTH`] (WCF's reader
    /// quota `maxDepth`: the root element is level 1).
    pub fn with_max_depth(bytes: &'a [u8], max_depth: usize) -> Pull<'a> {
        let mut pull = Pull::new(bytes);
        pull.max_depth = max_depth;
        pull
    }

    /// The qualified name, as written (`tem:InitStation`), of the element opened last.
    pub fn last_qname(&self) -> &str {
        &self.qname
    }

    /// How many bytes of the document have been read.
    pub fn position(&self) -> u64 {
        self.reader.buffer_position()
    }

    /// The current nesting depth (1 inside the root element).
    pub fn depth(&self) -> usize {
        self.depth
    }

    /// The next item, or `None` at the end of a well-formed document.
    pub fn next_item(&mut self) -> Result<Option<Item>, XmlError> {
        loop {
            let (ns, event) = self
                .reader
                .read_resolved_event()
                .map_err(|e| XmlError::Malformed(e.to_string()))?;
            let ns = namespace(ns)?;
            match event {
                Event::Start(start) => {
                    if self.depth == 0 && self.root_seen {
                        return Err(XmlError::Malformed(
                            "content after the root element".to_string(),
                        ));
                    }
                    self.depth += 1;
                    self.root_seen = true;
                    if self.depth > self.max_depth {
                        return Err(XmlError::TooDeep(self.max_depth));
                    }
                    self.qname.clear();
                    self.qname.push_str(utf8(start.name().as_ref())?);
                    let local = utf8(start.local_name().as_ref())?.to_string();
                    let mut attrs = Vec::new();
                    for attr in start.attributes() {
                        let attr = attr.map_err(|e| XmlError::Malformed(e.to_string()))?;
                        let key = attr.key;
                        if key.as_namespace_binding().is_some() {
                            continue;
                        }
                        let (attr_ns, attr_local) = self.reader.resolver().resolve_attribute(key);
                        let attr_ns = namespace(attr_ns)?;
                        let raw = utf8(&attr.value)?;
                        let value = unescape(raw)?;
                        attrs.push(Attr {
                            ns: attr_ns,
                            local: utf8(attr_local.as_ref())?.to_string(),
                            value,
                        });
                    }
                    return Ok(Some(Item::Start { ns, local, attrs }));
                }
                Event::End(_) => {
                    self.depth -= 1;
                    return Ok(Some(Item::End));
                }
                Event::Empty(_) => unreachable!("empty elements are expanded"),
                Event::Text(text) => {
                    let text = utf8(&text)?;
                    if self.depth == 0 {
                        if text.trim().is_empty() {
                            continue;
                        }
                        return Err(XmlError::Malformed(
                            "text outside the root element".to_string(),
                        ));
                    }
                    return Ok(Some(Item::Text(text.to_string())));
                }
                Event::CData(data) => {
                    if self.depth == 0 {
                        return Err(XmlError::Malformed(
                            "CDATA outside the root element".to_string(),
                        ));
                    }
                    return Ok(Some(Item::Text(utf8(&data)?.to_string())));
                }
                Event::GeneralRef(reference) => {
                    if self.depth == 0 {
                        return Err(XmlError::Malformed(
                            "a reference outside the root element".to_string(),
                        ));
                    }
                    let name = utf8(&reference)?;
                    return Ok(Some(Item::Text(resolve_reference(name)?.to_string())));
                }
                Event::DocType(_) => return Err(XmlError::Doctype),
                Event::Decl(_) | Event::PI(_) | Event::Comment(_) => continue,
                Event::Eof => {
                    if self.depth > 0 {
                        return Err(XmlError::Malformed(format!(
                            "the document ends with {} element(s) still open",
                            self.depth
                        )));
                    }
                    if !self.root_seen {
                        return Err(XmlError::Empty);
                    }
                    return Ok(None);
                }
            }
        }
    }

    /// The next item, treating the end of the document as an error (for callers inside an element).
    pub fn next_in(&mut self) -> Result<Item, XmlError> {
        self.next_item()?
            .ok_or_else(|| XmlError::Malformed("unexpected end of document".to_string()))
    }

    /// The concatenated text of the element just opened, up to and including its end; text of
    /// nested elements is included.
    pub fn text_of_element(&mut self) -> Result<String, XmlError> {
        let mut text = String::new();
        let mut open = 1usize;
        while open > 0 {
            match self.next_in()? {
                Item::Start { .. } => open += 1,
                Item::End => open -= 1,
                Item::Text(t) => text.push_str(&t),
            }
        }
        Ok(text)
    }

    /// Skips the rest of the element just opened, including its end.
    pub fn skip_element(&mut self) -> Result<(), XmlError> {
        self.text_of_element().map(|_| ())
    }

    /// Resolves a prefixed name that appears in text or in an attribute value (an `xs:QName`, such
    /// as a faultcode) against the namespaces in scope: (namespace, local name).
    pub fn resolve_qname(&self, qname: &str) -> (Option<String>, String) {
        let (ns, local) = self
            .reader
            .resolver()
            .resolve_element(QName(qname.as_bytes()));
        let local = String::from_utf8_lossy(local.as_ref()).into_owned();
        (namespace(ns).ok().flatten(), local)
    }
}

fn namespace(ns: ResolveResult<'_>) -> Result<Option<String>, XmlError> {
    match ns {
        ResolveResult::Bound(ns) => Ok(Some(utf8(ns.as_ref())?.to_string())),
        ResolveResult::Unbound => Ok(None),
        ResolveResult::Unknown(prefix) => Err(XmlError::Malformed(format!(
            "undeclared namespace prefix `{}`",
            String::from_utf8_lossy(&prefix)
        ))),
    }
}

fn utf8(bytes: &[u8]) -> Result<&str, XmlError> {
    std::str::from_utf8(bytes).map_err(|_| XmlError::NotUtf8)
}

/// The text of an entity or character reference (the part between `&` and `;`).
pub(super) fn resolve_reference(name: &str) -> Result<String, XmlError> {
    if let Some(number) = name.strip_prefix('#') {
        let code = match number.strip_prefix('x') {
            Some(hex) => u32::from_str_radix(hex, 16),
            None => number.parse::<u32>(),
        };
        let c = code
            .ok()
            .and_then(char::from_u32)
            .ok_or_else(|| XmlError::Malformed(format!("bad character reference `&{name};`")))?;
        if !is_xml_char(c) {
            return Err(XmlError::ForbiddenChar(c as u32));
        }
        return Ok(String::from(c));
    }
    quick_xml::escape::resolve_predefined_entity(name)
        .map(str::to_string)
        .ok_or_else(|| XmlError::UnknownEntity(name.to_string()))
}

/// Whether XML 1.0 allows the character in a document (its production `Char`): tab, line feed,
/// carriage return, and everything from U+0020 up except U+FFFE and U+FFFF (Rust's `char` holds
/// no surrogates).
pub fn is_xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r') || (c >= ' ' && c != '\u{FFFE}' && c != '\u{FFFF}')
}

/// Unescapes an attribute value, expanding only predefined entities and character references.
fn unescape(raw: &str) -> Result<String, XmlError> {
    if !raw.contains('&') {
        return Ok(raw.to_string());
    }
    let mut out = String::with_capacity(raw.len());
    let mut rest = raw;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        let after = &rest[amp + 1..];
        let semi = after
            .find(';')
            .ok_or_else(|| XmlError::Malformed("unterminated reference".to_string()))?;
        out.push_str(&resolve_reference(&after[..semi])?);
        rest = &after[semi + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

/// Appends `text` escaped for element content. `\r` is written as a character reference because
/// XML parsers normalise a literal one away; quotes need no escaping outside attributes.
pub fn push_text(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\r' => out.push_str("&#xD;"),
            c => out.push(c),
        }
    }
}

/// Appends `text` escaped for a double-quoted attribute value.
pub fn push_attr(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\r' => out.push_str("&#xD;"),
            '\n' => out.push_str("&#xA;"),
            '\t' => out.push_str("&#x9;"),
            c => out.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn items(xml: &str) -> Result<Vec<Item>, XmlError> {
        let mut pull = Pull::new(xml.as_bytes());
        let mut out = Vec::new();
        while let Some(item) = pull.next_item()? {
            out.push(item);
        }
        Ok(out)
    }

    #[test]
    fn a_doctype_is_refused_before_any_entity_is_seen() {
        let xml = r#"<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>"#;
        assert_eq!(items(xml), Err(XmlError::Doctype));
    }

    #[test]
    fn only_predefined_entities_and_character_references_expand() {
        let got = items("<x>a&amp;b&#233;&#x3C;</x>").unwrap();
        let text: String = got
            .iter()
            .filter_map(|i| match i {
                Item::Text(t) => Some(t.as_str()),
                _ => None,
            })
            .collect();
        assert_eq!(text, "a&bé<");
        assert_eq!(
            items("<x>&e;</x>"),
            Err(XmlError::UnknownEntity("e".to_string()))
        );
    }

    #[test]
    fn nesting_beyond_the_cap_is_refused() {
        let xml = format!(
            "{}{}",
            "<a>".repeat(MAX_DEPTH + 1),
            "</a>".repeat(MAX_DEPTH + 1)
        );
        assert_eq!(items(&xml), Err(XmlError::TooDeep(MAX_DEPTH)));
    }

    #[test]
    fn truncated_and_empty_documents_are_errors() {
        assert!(matches!(items("<a><b>"), Err(XmlError::Malformed(_))));
        assert_eq!(items("  "), Err(XmlError::Empty));
        assert!(matches!(items("<a/><b/>"), Err(XmlError::Malformed(_))));
    }

    #[test]
    fn namespaces_resolve_for_elements_and_attributes() {
        let got =
            items(r#"<p:a xmlns:p="urn:p" xmlns:i="urn:i" i:nil="true" plain="&lt;"/>"#).unwrap();
        assert_eq!(
            got[0],
            Item::Start {
                ns: Some("urn:p".to_string()),
                local: "a".to_string(),
                attrs: vec![
                    Attr {
                        ns: Some("urn:i".to_string()),
                        local: "nil".to_string(),
                        value: "true".to_string()
                    },
                    Attr {
                        ns: None,
                        local: "plain".to_string(),
                        value: "<".to_string()
                    }
                ]
            }
        );
    }

    #[test]
    fn escaping_round_trips_special_characters() {
        let mut out = String::from("<x>");
        push_text(&mut out, "a<b>&\"c'\r\n");
        out.push_str("</x>");
        let mut pull = Pull::new(out.as_bytes());
        pull.next_item().unwrap();
        assert_eq!(pull.text_of_element().unwrap(), "a<b>&\"c'\r\n");
    }
}
