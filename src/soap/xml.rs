//! A guarded pull parser over quick-xml, and text escaping, shared by every reader and writer in
//! [`crate::soap`].
//!
//! Everything that reads XML from the network goes through [`Pull`], which is where the safety rules
//! live: a document type declaration is refused outright (so no DTD or external entity is ever
//! resolved), only the five predefined entities and character references are expanded, nesting is
//! capped, and text must be UTF-8. Namespaces are resolved here so that callers match on
//! (namespace, local name) and never on prefixes.
//!
//! It also holds documents to the well-formedness constraints of XML 1.0 (fifth edition) and of
//! Namespaces in XML that quick-xml leaves unchecked, as a conforming reader (WCF's among them)
//! does: element, attribute and target names are `Name`s (`QName`s where namespaces apply),
//! attributes are separated by white space and their values hold no `<`, an attribute is not
//! given twice under two prefixes of one namespace, a prefix is never undeclared (`xmlns:p=""`),
//! comments hold no `--` and do not end in `-`, text holds no `]]>`, the XML declaration comes
//! first and is well formed, and no other processing instruction is named `xml`.

use std::borrow::Cow;

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

/// A namespace met in a document, numbered in the order first met; [`Pull::namespace`] names it.
/// Elements carry the number rather than a copy of the name, so that reading an element copies
/// nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NsId(u32);

impl NsId {
    /// The index in the list of [`Pull::into_namespaces`].
    pub fn index(self) -> usize {
        self.0 as usize
    }

    /// The number of the namespace at `index` of a document's list.
    pub(super) fn from_index(index: usize) -> NsId {
        NsId(u32::try_from(index).unwrap_or(u32::MAX))
    }
}

/// One step through a document, borrowed from it: names, and text without references, are slices
/// of the document ([`Pull::next_piece`]). The same steps as [`Item`], without a copy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Piece<'a> {
    /// An element opens (empty elements open and close).
    Start {
        /// Its namespace.
        ns: Option<NsId>,
        /// Its local name.
        local: Cow<'a, str>,
        /// Its qualified name, as written (`tem:InitStation`).
        qname: Cow<'a, str>,
        /// Its attributes, namespace declarations excluded.
        attrs: Vec<Attr>,
    },
    /// Character data (text, CDATA, an entity or character reference), possibly in pieces.
    Text(Cow<'a, str>),
    /// The innermost open element closes.
    End,
}

/// A pull parser that enforces the rules in the module documentation.
pub struct Pull<'a> {
    reader: NsReader<&'a [u8]>,
    /// The whole document, which the names of [`Piece`]s are slices of.
    doc: &'a [u8],
    /// The document as text, when it came as text ([`Pull::over_text`]): its slices need no
    /// second check that they are UTF-8.
    text: Option<&'a str>,
    depth: usize,
    max_depth: usize,
    root_seen: bool,
    /// The qualified name (prefix included) of the element opened last.
    qname: Cow<'a, str>,
    /// Whether anything of the document has been read (an XML declaration must come first).
    started: bool,
    /// The namespaces met so far; an [`NsId`] is an index.
    namespaces: Vec<String>,
}

impl<'a> Pull<'a> {
    /// A parser over a complete document.
    pub fn new(bytes: &'a [u8]) -> Pull<'a> {
        let mut reader = NsReader::from_reader(bytes);
        let config = reader.config_mut();
        config.expand_empty_elements = true;
        config.check_end_names = true;
        config.check_comments = true;
        config.trim_text(false);
        Pull {
            reader,
            doc: bytes,
            text: None,
            depth: 0,
            max_depth: MAX_DEPTH,
            root_seen: false,
            qname: Cow::Borrowed(""),
            started: false,
            namespaces: Vec::new(),
        }
    }

    /// A parser whose nesting cap is `max_depth` levels instead of [`MAX_DEPTH`] (WCF's reader
    /// quota `maxDepth`: the root element is level 1).
    pub fn with_max_depth(bytes: &'a [u8], max_depth: usize) -> Pull<'a> {
        let mut pull = Pull::new(bytes);
        pull.max_depth = max_depth;
        pull
    }

    /// A parser over a document already decoded to text (the request reader's), nesting capped at
    /// `max_depth` levels.
    pub fn over_text(text: &'a str, max_depth: usize) -> Pull<'a> {
        let mut pull = Pull::with_max_depth(text.as_bytes(), max_depth);
        pull.text = Some(text);
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

    /// The name of a namespace of this document.
    pub fn namespace(&self, id: NsId) -> &str {
        &self.namespaces[id.0 as usize]
    }

    /// The namespaces of the document read so far, indexed by [`NsId`].
    pub fn into_namespaces(self) -> Vec<String> {
        self.namespaces
    }

    /// The next item, or `None` at the end of a well-formed document.
    pub fn next_item(&mut self) -> Result<Option<Item>, XmlError> {
        Ok(match self.next_piece()? {
            None => None,
            Some(Piece::Start {
                ns, local, attrs, ..
            }) => Some(Item::Start {
                ns: ns.map(|id| self.namespace(id).to_string()),
                local: local.into_owned(),
                attrs,
            }),
            Some(Piece::Text(text)) => Some(Item::Text(text.into_owned())),
            Some(Piece::End) => Some(Item::End),
        })
    }

    /// The next piece, or `None` at the end of a well-formed document: [`Pull::next_item`] without
    /// copying names and text out of the document.
    pub fn next_piece(&mut self) -> Result<Option<Piece<'a>>, XmlError> {
        loop {
            let (ns, event) = self
                .reader
                .read_resolved_event()
                .map_err(|e| XmlError::Malformed(e.to_string()))?;
            let ns = match ns {
                ResolveResult::Bound(ns) => Some(ns.into_inner()),
                ResolveResult::Unbound => None,
                ResolveResult::Unknown(prefix) => {
                    return Err(XmlError::Malformed(format!(
                        "undeclared namespace prefix `{}`",
                        String::from_utf8_lossy(&prefix)
                    )))
                }
            };
            let first = !self.started;
            self.started = true;
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
                    self.qname = in_doc(self.doc, self.text, start.name().into_inner())?;
                    check_qname(&self.qname, "element")?;
                    if start.name().prefix().is_some_and(|p| p.is_xmlns()) {
                        return Err(XmlError::Malformed(format!(
                            "the element `{}` uses the reserved prefix `xmlns`",
                            self.qname
                        )));
                    }
                    check_attribute_syntax(start.attributes_raw(), |_, _| Ok(()))?;
                    let local = in_doc(self.doc, self.text, start.local_name().into_inner())?;
                    let ns = match ns {
                        Some(ns) => Some(intern(&mut self.namespaces, ns)?),
                        None => None,
                    };
                    let mut attrs: Vec<Attr> = Vec::new();
                    for attr in start.attributes() {
                        let attr = attr.map_err(|e| XmlError::Malformed(e.to_string()))?;
                        let key = attr.key;
                        if let Some(binding) = key.as_namespace_binding() {
                            if let quick_xml::name::PrefixDeclaration::Named(prefix) = binding {
                                if attr.value.is_empty() {
                                    return Err(XmlError::Malformed(format!(
                                        "the prefix `{}` is undeclared (`xmlns:{0}=\"\"`), which \
                                         Namespaces in XML 1.0 forbids",
                                        String::from_utf8_lossy(prefix)
                                    )));
                                }
                            }
                            continue;
                        }
                        let (attr_ns, attr_local) = self.reader.resolver().resolve_attribute(key);
                        let attr_ns = namespace(attr_ns)?;
                        let raw = utf8(&attr.value)?;
                        let value = unescape(raw)?;
                        let local = utf8(attr_local.as_ref())?.to_string();
                        // Two prefixes of one namespace name the same attribute (unprefixed
                        // duplicates are quick-xml's to find).
                        if attr_ns.is_some()
                            && attrs.iter().any(|a| a.ns == attr_ns && a.local == local)
                        {
                            return Err(XmlError::Malformed(format!(
                                "the attribute `{local}` of namespace `{}` is given twice",
                                attr_ns.as_deref().unwrap_or_default()
                            )));
                        }
                        attrs.push(Attr {
                            ns: attr_ns,
                            local,
                            value,
                        });
                    }
                    return Ok(Some(Piece::Start {
                        ns,
                        local,
                        qname: self.qname.clone(),
                        attrs,
                    }));
                }
                Event::End(_) => {
                    self.depth -= 1;
                    return Ok(Some(Piece::End));
                }
                Event::Empty(_) => unreachable!("empty elements are expanded"),
                Event::Text(text) => {
                    let text = cow_utf8(self.doc, self.text, text.into_inner())?;
                    if text.contains("]]>") {
                        return Err(XmlError::Malformed(
                            "`]]>` in text (it may only end a CDATA section)".to_string(),
                        ));
                    }
                    if self.depth == 0 {
                        if text.trim().is_empty() {
                            continue;
                        }
                        return Err(XmlError::Malformed(
                            "text outside the root element".to_string(),
                        ));
                    }
                    return Ok(Some(Piece::Text(text)));
                }
                Event::CData(data) => {
                    if self.depth == 0 {
                        return Err(XmlError::Malformed(
                            "CDATA outside the root element".to_string(),
                        ));
                    }
                    return Ok(Some(Piece::Text(cow_utf8(
                        self.doc,
                        self.text,
                        data.into_inner(),
                    )?)));
                }
                Event::GeneralRef(reference) => {
                    if self.depth == 0 {
                        return Err(XmlError::Malformed(
                            "a reference outside the root element".to_string(),
                        ));
                    }
                    let name = utf8(&reference)?;
                    return Ok(Some(Piece::Text(resolve_reference(name)?)));
                }
                Event::DocType(_) => return Err(XmlError::Doctype),
                Event::Decl(decl) => {
                    if !first {
                        return Err(XmlError::Malformed(
                            "an XML declaration that is not the first thing in the document"
                                .to_string(),
                        ));
                    }
                    check_declaration(&decl)?;
                }
                Event::PI(pi) => {
                    let target = utf8(pi.target())?;
                    if target.eq_ignore_ascii_case("xml") {
                        return Err(XmlError::Malformed(format!(
                            "a processing instruction named `{target}` (the name is reserved)"
                        )));
                    }
                    check_name(target, "processing instruction")?;
                }
                Event::Comment(comment) => {
                    if comment.ends_with(b"-") {
                        return Err(XmlError::Malformed(
                            "a comment that ends in `--->` (`--` is not allowed in a comment)"
                                .to_string(),
                        ));
                    }
                }
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
            let piece = self
                .next_piece()?
                .ok_or_else(|| XmlError::Malformed("unexpected end of document".to_string()))?;
            match piece {
                Piece::Start { .. } => open += 1,
                Piece::End => open -= 1,
                Piece::Text(t) => text.push_str(&t),
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

/// Whether a character may start an XML 1.0 `Name` (fifth edition's `NameStartChar`).
fn is_name_start(c: char) -> bool {
    c.is_ascii_alphabetic()
        || matches!(c, '_' | ':')
        || matches!(c as u32,
            0xC0..=0xD6 | 0xD8..=0xF6 | 0xF8..=0x2FF | 0x370..=0x37D | 0x37F..=0x1FFF
            | 0x200C..=0x200D | 0x2070..=0x218F | 0x2C00..=0x2FEF | 0x3001..=0xD7FF
            | 0xF900..=0xFDCF | 0xFDF0..=0xFFFD | 0x10000..=0xEFFFF)
}

/// Whether a character may follow in an XML 1.0 `Name` (`NameChar`).
fn is_name_char(c: char) -> bool {
    is_name_start(c)
        || c.is_ascii_digit()
        || matches!(c, '-' | '.' | '\u{B7}')
        || matches!(c as u32, 0x300..=0x36F | 0x203F..=0x2040)
}

/// Checks an XML `Name` without colons (an `NCName`).
fn check_name(name: &str, what: &str) -> Result<(), XmlError> {
    let mut chars = name.chars();
    let good = match chars.next() {
        Some(c) => c != ':' && is_name_start(c) && chars.all(|c| c != ':' && is_name_char(c)),
        None => false,
    };
    if good {
        Ok(())
    } else {
        Err(XmlError::Malformed(format!(
            "`{name}` is not a {what} name"
        )))
    }
}

/// Checks a qualified name: an `NCName`, or two joined by one colon.
fn check_qname(name: &str, what: &str) -> Result<(), XmlError> {
    // The common case, ASCII with at most one colon, needs no more than a glance.
    let bytes = name.as_bytes();
    let mut colon = None;
    let mut ascii = true;
    for (i, &b) in bytes.iter().enumerate() {
        if b == b':' && colon.is_none() {
            colon = Some(i);
        } else if !(b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.')) {
            ascii = false;
            break;
        }
    }
    let starts_at = |i: usize| {
        bytes
            .get(i)
            .is_some_and(|b| b.is_ascii_alphabetic() || *b == b'_')
    };
    if ascii && starts_at(0) && colon.is_none_or(|i| starts_at(i + 1)) {
        return Ok(());
    }
    let (prefix, local) = name.split_once(':').unwrap_or(("", name));
    let checked = if name.contains(':') {
        check_name(prefix, what)
    } else {
        Ok(())
    };
    checked
        .and_then(|()| check_name(local, what))
        .map_err(|_| XmlError::Malformed(format!("`{name}` is not a {what} name")))
}

/// Checks the attribute part of a start tag, as written: every attribute after white space, a
/// qualified name, `=`, and a quoted value without `<` (references are checked when the value is
/// unescaped). `each` sees every name and raw value, in order.
fn check_attribute_syntax(
    raw: &[u8],
    mut each: impl FnMut(&str, &str) -> Result<(), XmlError>,
) -> Result<(), XmlError> {
    let is_space = |b: u8| matches!(b, b' ' | b'\t' | b'\r' | b'\n');
    let malformed = |what: &str| Err(XmlError::Malformed(what.to_string()));
    let mut i = 0;
    let n = raw.len();
    loop {
        let before = i;
        while i < n && is_space(raw[i]) {
            i += 1;
        }
        if i == n {
            return Ok(());
        }
        if i == before {
            return malformed("attributes must be separated by white space");
        }
        let name_at = i;
        while i < n && !is_space(raw[i]) && raw[i] != b'=' {
            i += 1;
        }
        let name = utf8(&raw[name_at..i])?;
        check_qname(name, "attribute")?;
        while i < n && is_space(raw[i]) {
            i += 1;
        }
        if i == n || raw[i] != b'=' {
            return malformed("an attribute without `=` and a value");
        }
        i += 1;
        while i < n && is_space(raw[i]) {
            i += 1;
        }
        let quote = match raw.get(i) {
            Some(q @ (b'"' | b'\'')) => *q,
            _ => return malformed("an attribute value without quotes"),
        };
        i += 1;
        let value_at = i;
        while i < n && raw[i] != quote {
            if raw[i] == b'<' {
                return malformed("`<` in an attribute value (write `&lt;`)");
            }
            i += 1;
        }
        if i == n {
            return malformed("an attribute value without its closing quote");
        }
        each(name, utf8(&raw[value_at..i])?)?;
        i += 1;
    }
}

/// Checks an XML declaration: `version="1.x"`, then optionally `encoding` (a name such as
/// `utf-8`) and `standalone` (`yes` or `no`), in that order and nothing else.
fn check_declaration(decl: &quick_xml::events::BytesDecl<'_>) -> Result<(), XmlError> {
    let raw: &[u8] = decl;
    check_declaration_raw(raw.strip_prefix(b"xml").unwrap_or(raw))
}

/// [`check_declaration`] on what follows `<?xml` up to `?>`.
pub(super) fn check_declaration_raw(raw: &[u8]) -> Result<(), XmlError> {
    let bad = |why: String| XmlError::Malformed(format!("the XML declaration {why}"));
    let mut expected = ["version", "encoding", "standalone"].iter();
    let mut versioned = false;
    check_attribute_syntax(raw, |key, value| {
        if !expected.any(|k| *k == key) {
            return Err(bad(format!("has `{key}` out of place")));
        }
        versioned |= key == "version";
        let good = match key {
            "version" => value
                .strip_prefix("1.")
                .is_some_and(|d| !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit())),
            "encoding" => {
                value
                    .bytes()
                    .next()
                    .is_some_and(|b| b.is_ascii_alphabetic())
                    && value
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
            }
            _ => matches!(value, "yes" | "no"),
        };
        if good {
            Ok(())
        } else {
            Err(bad(format!("has {key}=\"{value}\"")))
        }
    })?;
    if versioned {
        Ok(())
    } else {
        Err(bad("has no version".to_string()))
    }
}

/// The number of a namespace, given one if it is new.
fn intern(namespaces: &mut Vec<String>, ns: &[u8]) -> Result<NsId, XmlError> {
    let at = match namespaces.iter().position(|n| n.as_bytes() == ns) {
        Some(at) => at,
        None => {
            namespaces.push(utf8(ns)?.to_string());
            namespaces.len() - 1
        }
    };
    Ok(NsId::from_index(at))
}

/// A part quick-xml handed out as a slice of the document, as text that lives as long as the
/// document (a copy only if it is not a slice of it, which a reader over a slice never does). When
/// the document came as text, the part is cut from it, which checks only the ends.
fn in_doc<'a>(doc: &'a [u8], text: Option<&'a str>, part: &[u8]) -> Result<Cow<'a, str>, XmlError> {
    let at = (part.as_ptr() as usize).wrapping_sub(doc.as_ptr() as usize);
    let range = at
        .checked_add(part.len())
        .filter(|&end| {
            doc.get(at..end)
                .is_some_and(|s| s.as_ptr() == part.as_ptr())
        })
        .map(|end| at..end);
    match (range, text) {
        (Some(range), Some(text)) => text.get(range).map(Cow::Borrowed).ok_or(XmlError::NotUtf8),
        (Some(range), None) => utf8(&doc[range]).map(Cow::Borrowed),
        (None, _) => utf8(part).map(|s| Cow::Owned(s.to_string())),
    }
}

/// Bytes of the document as text, borrowed when they were.
fn cow_utf8<'a>(
    doc: &'a [u8],
    text: Option<&'a str>,
    bytes: Cow<'a, [u8]>,
) -> Result<Cow<'a, str>, XmlError> {
    match bytes {
        Cow::Borrowed(b) => in_doc(doc, text, b),
        Cow::Owned(v) => String::from_utf8(v)
            .map(Cow::Owned)
            .map_err(|_| XmlError::NotUtf8),
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
pub(super) fn resolve_reference(name: &str) -> Result<Cow<'static, str>, XmlError> {
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
        return Ok(Cow::Owned(String::from(c)));
    }
    quick_xml::escape::resolve_predefined_entity(name)
        .map(Cow::Borrowed)
        .ok_or_else(|| XmlError::UnknownEntity(name.to_string()))
}

/// Whether XML 1.0 allows the character in a document (its production `Char`): tab, line feed,
/// carriage return, and everything from U+0020 up except U+FFFE and U+FFFF (Rust's `char` holds
/// no surrogates).
pub fn is_xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r') || (c >= ' ' && c != '\u{FFFE}' && c != '\u{FFFF}')
}

/// The first character of `text` that XML 1.0 forbids ([`is_xml_char`]), found over its bytes: in
/// UTF-8 a forbidden control character is one byte below 0x20, and U+FFFE and U+FFFF are `EF BF BE`
/// and `EF BF BF`, so blocks of text with neither a byte below 0x20 nor `EF` are passed over whole.
pub fn first_forbidden(text: &str) -> Option<char> {
    const BLOCK: usize = 32;
    let bytes = text.as_bytes();
    let mut from = 0;
    while from < bytes.len() {
        let to = (from + BLOCK).min(bytes.len());
        // No early exit inside a block, so that the compiler can test it all at once.
        let suspect = bytes[from..to]
            .iter()
            .fold(false, |any, &b| any | (b < 0x20) | (b == 0xEF));
        if suspect {
            for (i, &b) in bytes[from..to].iter().enumerate() {
                if b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r') {
                    return Some(char::from(b));
                }
                if b == 0xEF {
                    // A whole character: `text` is valid UTF-8, so its continuation bytes follow.
                    let at = from + i;
                    match bytes.get(at + 1..at + 3) {
                        Some([0xBF, 0xBE]) => return Some('\u{FFFE}'),
                        Some([0xBF, 0xBF]) => return Some('\u{FFFF}'),
                        _ => {}
                    }
                }
            }
        }
        from = to;
    }
    None
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
    push_escaped(out, text, TEXT_SPECIAL, |b| match b {
        b'&' => "&amp;",
        b'<' => "&lt;",
        b'>' => "&gt;",
        _ => "&#xD;",
    });
}

/// Appends `text` escaped for a double-quoted attribute value.
pub fn push_attr(out: &mut String, text: &str) {
    push_escaped(out, text, ATTR_SPECIAL, |b| match b {
        b'&' => "&amp;",
        b'<' => "&lt;",
        b'>' => "&gt;",
        b'"' => "&quot;",
        b'\r' => "&#xD;",
        b'\n' => "&#xA;",
        _ => "&#x9;",
    });
}

/// The bytes [`push_text`] escapes, as bits of a mask (all are below 64).
const TEXT_SPECIAL: u64 = (1 << b'&') | (1 << b'<') | (1 << b'>') | (1 << b'\r');
/// The bytes [`push_attr`] escapes.
const ATTR_SPECIAL: u64 = TEXT_SPECIAL | (1 << b'"') | (1 << b'\n') | (1 << b'\t');

/// Appends `text`, each byte in `special` replaced by its `reference`. Every byte escaped is ASCII,
/// which never occurs inside a multi-byte UTF-8 sequence, so the runs between them are copied
/// whole (an answer's values and namespaces rarely need any escaping at all).
#[inline]
fn push_escaped(
    out: &mut String,
    text: &str,
    special: u64,
    reference: impl Fn(u8) -> &'static str,
) {
    let bytes = text.as_bytes();
    let mut copied = 0;
    for (i, &b) in bytes.iter().enumerate() {
        if b < 64 && (special >> b) & 1 == 1 {
            out.push_str(&text[copied..i]);
            out.push_str(reference(b));
            copied = i + 1;
        }
    }
    out.push_str(&text[copied..]);
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
    fn the_byte_scan_finds_what_the_character_scan_finds() {
        let by_chars = |t: &str| t.chars().find(|c| !is_xml_char(*c));
        let long = "x".repeat(40);
        let cases = [
            String::new(),
            "plain text".to_string(),
            "tab\tnew\nline\r".to_string(),
            "bell\u{7}".to_string(),
            format!("{long}\u{1}"),
            format!("{long}é\u{FFFE}"),
            format!("\u{FFFF}{long}"),
            format!("{long}\u{FFFD}\u{FFEF}\u{EFFF}é"),
            format!("{}\u{FFFE}", "é".repeat(20)),
            "\u{0}".to_string(),
        ];
        for text in &cases {
            assert_eq!(first_forbidden(text), by_chars(text), "{text:?}");
        }
    }

    #[test]
    fn pieces_borrow_names_and_plain_text_from_the_document() {
        let xml = r#"<p:a xmlns:p="urn:p"><p:b>x&amp;y</p:b><c xmlns="urn:p">z</c></p:a>"#;
        let mut pull = Pull::new(xml.as_bytes());
        let mut pieces = Vec::new();
        while let Some(piece) = pull.next_piece().unwrap() {
            pieces.push(piece);
        }
        let Piece::Start {
            ns, local, qname, ..
        } = &pieces[1]
        else {
            panic!("{pieces:?}")
        };
        assert!(matches!(local, Cow::Borrowed("b")));
        assert!(matches!(qname, Cow::Borrowed("p:b")));
        assert_eq!(pull.namespace(ns.unwrap()), "urn:p");
        assert!(matches!(pieces[2], Piece::Text(Cow::Borrowed("x"))));
        assert!(matches!(pieces[3], Piece::Text(Cow::Borrowed("&"))));
        // One namespace, met three times, numbered once.
        let Piece::Start { ns: c_ns, .. } = &pieces[6] else {
            panic!("{pieces:?}")
        };
        assert_eq!(c_ns, ns);
        assert_eq!(pull.into_namespaces(), vec!["urn:p".to_string()]);
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

    /// The escapes as written one character at a time: what the writers must equal.
    fn escaped_char_by_char(text: &str, attribute: bool) -> String {
        let mut out = String::new();
        for c in text.chars() {
            match c {
                '&' => out.push_str("&amp;"),
                '<' => out.push_str("&lt;"),
                '>' => out.push_str("&gt;"),
                '\r' => out.push_str("&#xD;"),
                '"' if attribute => out.push_str("&quot;"),
                '\n' if attribute => out.push_str("&#xA;"),
                '\t' if attribute => out.push_str("&#x9;"),
                c => out.push(c),
            }
        }
        out
    }

    #[test]
    fn the_writers_escape_every_special_character_and_keep_the_rest_whole() {
        let mut text = String::from("@");
        push_text(&mut text, "é<\"\r\n\t&>ü€𝄞");
        assert_eq!(text, "@é&lt;\"&#xD;\n\t&amp;&gt;ü€𝄞");
        let mut attr = String::from("@");
        push_attr(&mut attr, "é<\"\r\n\t&>ü€𝄞");
        assert_eq!(attr, "@é&lt;&quot;&#xD;&#xA;&#x9;&amp;&gt;ü€𝄞");
    }

    mod properties {
        use super::*;
        use proptest::prelude::*;

        proptest! {
            #[test]
            fn the_writers_equal_escaping_one_character_at_a_time(
                text in "[a-z&<>\"'\r\n\t é€𝄞\u{0}-\u{7f}]{0,40}"
            ) {
                let mut out = String::new();
                push_text(&mut out, &text);
                prop_assert_eq!(&out, &escaped_char_by_char(&text, false));
                let mut out = String::new();
                push_attr(&mut out, &text);
                prop_assert_eq!(&out, &escaped_char_by_char(&text, true));
            }
        }
    }
}
