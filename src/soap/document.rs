//! A whole document read into a flat list of nodes, for the readers that look at an envelope as a
//! whole: the strict request reader ([`super::read_request`]) and the client's answer reader
//! ([`super::decode_response`]).
//!
//! Two ways in, one result. [`Document::read`] first tries a quick scan that knows only the
//! shapes SOAP envelopes come in — elements with ASCII names, namespace declarations, attributes,
//! text with the five predefined entities and character references, an XML declaration at the
//! very start — and hands everything else (comments, CDATA, processing instructions, a document
//! type declaration, non-ASCII names, `xml:` names, anything malformed) to the guarded pull parser
//! [`Pull`], which applies every rule of [`super::xml`] and says why a document is refused. The
//! quick scan therefore never refuses: a document it accepts is one [`Pull`] accepts with the same
//! nodes (this module's property tests compare the two on generated documents), and any document
//! it does not accept is read by [`Pull`] alone.

use std::borrow::Cow;

use super::xml::{check_declaration_raw, resolve_reference, Attr, NsId, Piece, Pull, XmlError};

/// One node of a document: names and plain text are slices of the text read, so keeping the whole
/// document costs one list, not a copy of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Node<'t> {
    /// An element opens (an empty element is a start followed by an end).
    Start {
        /// An index into [`Document::namespaces`].
        ns: Option<NsId>,
        /// The local name.
        local: Cow<'t, str>,
        /// The qualified name, as written (`tem:InitStation`).
        qname: Cow<'t, str>,
        /// Its attributes, namespace declarations excluded.
        attrs: Vec<Attr>,
        /// Byte offset just after the start tag, in the text read.
        at: usize,
    },
    /// Character data, references expanded; adjacent pieces are one node.
    Text(Cow<'t, str>),
    /// The innermost open element closes.
    End,
}

/// A well-formed document as nodes, with the namespaces its elements name.
#[derive(Debug)]
pub(crate) struct Document<'t> {
    /// Every start, text and end, in document order.
    pub nodes: Vec<Node<'t>>,
    /// The namespaces, indexed by [`NsId`].
    pub namespaces: Vec<Cow<'t, str>>,
}

impl<'t> Document<'t> {
    /// Reads a whole document, elements nested at most `max_depth` levels; any error is the one
    /// [`Pull`] gives.
    pub fn read(text: &'t str, max_depth: usize) -> Result<Document<'t>, XmlError> {
        match Document::quick(text, max_depth) {
            Some(doc) => Ok(doc),
            None => Document::pulled(text, max_depth),
        }
    }

    /// The name of a namespace of this document.
    pub fn ns_name(&self, ns: Option<NsId>) -> Option<&str> {
        ns.map(|id| self.namespaces[id.index()].as_ref())
    }

    /// The index just past the element that starts at `at` (its end node included).
    pub fn skip(&self, at: usize) -> usize {
        let mut open = 0usize;
        for (i, node) in self.nodes.iter().enumerate().skip(at) {
            match node {
                Node::Start { .. } => open += 1,
                Node::End => {
                    open -= 1;
                    if open == 0 {
                        return i + 1;
                    }
                }
                Node::Text(_) => {}
            }
        }
        self.nodes.len()
    }

    /// The whole document through the guarded pull parser.
    pub fn pulled(text: &'t str, max_depth: usize) -> Result<Document<'t>, XmlError> {
        let mut pull = Pull::over_text(text, max_depth);
        let mut nodes = Vec::with_capacity(32);
        while let Some(piece) = pull.next_piece()? {
            let node = match piece {
                Piece::Start {
                    ns,
                    local,
                    qname,
                    attrs,
                } => Node::Start {
                    ns,
                    local,
                    qname,
                    attrs,
                    at: usize::try_from(pull.position()).unwrap_or(usize::MAX),
                },
                // Adjacent pieces of text (around each reference) become one node: a value full
                // of escaped characters is then one string, not hundreds of nodes.
                Piece::Text(t) => match nodes.last_mut() {
                    Some(Node::Text(before)) => {
                        before.to_mut().push_str(&t);
                        continue;
                    }
                    _ => Node::Text(t),
                },
                Piece::End => Node::End,
            };
            nodes.push(node);
        }
        let namespaces = pull.into_namespaces().into_iter().map(Cow::Owned).collect();
        Ok(Document { nodes, namespaces })
    }

    /// The quick scan (see the module documentation): `None` for anything it does not know, and
    /// then the caller reads with [`Pull`].
    pub fn quick(text: &'t str, max_depth: usize) -> Option<Document<'t>> {
        Quick::new(text, max_depth).run()
    }
}

/// The namespace of the XML prefix and of namespace declarations: a document binding either is
/// left to [`Pull`].
const XML_NS: &str = "http://www.w3.org/XML/1998/namespace";
const XMLNS_NS: &str = "http://www.w3.org/2000/xmlns/";

fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n')
}

/// What each byte is to a name, as a table the scan looks each byte up in once: `OUT` ends it,
/// `IN` is an ASCII name byte, `COLON` the colon (a name byte that [`Name::split`] looks for).
const NAME_CLASS: [u8; 256] = {
    let mut table = [OUT; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        if c == b':' {
            table[b] = COLON;
        } else if c.is_ascii_alphanumeric() || matches!(c, b'_' | b'-' | b'.') {
            table[b] = IN;
        }
        b += 1;
    }
    table
};
const OUT: u8 = 0;
const IN: u8 = 1;
const COLON: u8 = 2;

fn is_name_start(b: u8) -> bool {
    b.is_ascii_alphabetic() || b == b'_'
}

/// A name as scanned: the whole, where its first colon is, and whether another follows.
#[derive(Clone, Copy)]
struct Name<'t> {
    qname: &'t str,
    colon: Option<usize>,
    more_colons: bool,
}

impl<'t> Name<'t> {
    /// (prefix, local) if the name is a qualified name: an `NCName`, or two joined by one colon
    /// (the ASCII forms of [`super::xml`]'s check).
    fn split(self) -> Option<(&'t str, &'t str)> {
        let bytes = self.qname.as_bytes();
        let starts = |i: usize| bytes.get(i).copied().is_some_and(is_name_start);
        match self.colon {
            None if starts(0) => Some(("", self.qname)),
            Some(c) if !self.more_colons && starts(0) && starts(c + 1) => {
                Some((&self.qname[..c], &self.qname[c + 1..]))
            }
            _ => None,
        }
    }
}

/// One attribute of a start tag, as written.
struct RawAttr<'t> {
    qname: &'t str,
    prefix: &'t str,
    local: &'t str,
    value: &'t str,
    /// Whether the value holds a reference (`&`).
    escaped: bool,
}

/// The state of a quick scan.
struct Quick<'t> {
    text: &'t str,
    bytes: &'t [u8],
    at: usize,
    max_depth: usize,
    nodes: Vec<Node<'t>>,
    namespaces: Vec<Cow<'t, str>>,
    /// Prefix bindings in scope, innermost last (`""`: the default namespace; `None`: no
    /// namespace).
    bindings: Vec<(&'t str, Option<NsId>)>,
    /// The open elements: qualified name, and how many bindings were in scope before it.
    open: Vec<(&'t str, usize)>,
    /// The attributes of the start tag being read (kept to reuse its room).
    raw: Vec<RawAttr<'t>>,
}

impl<'t> Quick<'t> {
    fn new(text: &'t str, max_depth: usize) -> Quick<'t> {
        Quick {
            text,
            bytes: text.as_bytes(),
            at: 0,
            max_depth,
            nodes: Vec::with_capacity(32),
            namespaces: Vec::with_capacity(4),
            bindings: Vec::with_capacity(8),
            open: Vec::with_capacity(8),
            raw: Vec::new(),
        }
    }

    fn run(mut self) -> Option<Document<'t>> {
        self.declaration()?;
        let mut root_seen = false;
        loop {
            // In a compact envelope most tags follow one another: no search then.
            // A value is most often short: a plain loop over its first bytes costs less than
            // setting up a vector search.
            let lt = if self.bytes.get(self.at) == Some(&b'<') {
                self.at
            } else {
                let rest = &self.bytes[self.at..];
                let near = &rest[..rest.len().min(32)];
                match near.iter().position(|&b| b == b'<') {
                    Some(k) => self.at + k,
                    None => memchr::memchr(b'<', &rest[near.len()..])
                        .map_or(self.bytes.len(), |k| self.at + near.len() + k),
                }
            };
            if lt > self.at {
                let run = &self.text[self.at..lt];
                if self.open.is_empty() {
                    if !run.bytes().all(is_space) {
                        return None;
                    }
                } else {
                    self.nodes.push(Node::Text(text_of(run)?));
                }
            }
            if lt == self.bytes.len() {
                break;
            }
            self.at = lt + 1;
            match *self.bytes.get(self.at)? {
                b'/' => self.end_tag()?,
                b'?' | b'!' => return None,
                _ => {
                    if self.open.is_empty() && root_seen {
                        return None;
                    }
                    root_seen = true;
                    self.start_tag()?;
                }
            }
        }
        (self.open.is_empty() && root_seen).then_some(Document {
            nodes: self.nodes,
            namespaces: self.namespaces,
        })
    }

    /// An XML declaration at the very start, checked as [`Pull`] checks it.
    fn declaration(&mut self) -> Option<()> {
        if !self.bytes.starts_with(b"<?xml") || !self.bytes.get(5).copied().is_some_and(is_space) {
            return Some(());
        }
        let end = memchr::memmem::find(&self.bytes[5..], b"?>")? + 5;
        let inner = &self.bytes[5..end];
        if inner.iter().any(|b| matches!(b, b'<' | b'>' | b'?' | b'&')) {
            return None;
        }
        check_declaration_raw(inner).ok()?;
        self.at = end + 2;
        Some(())
    }

    /// A name starting at the cursor, up to a byte that cannot be in it.
    fn name(&mut self) -> Name<'t> {
        let from = self.at;
        // One pass, one table look-up a byte, the colons noted on the way (a name is a few bytes
        // long: a plain loop over a slice, no bounds check a byte).
        let mut len = 0;
        let mut colon = None;
        let mut more_colons = false;
        for &b in &self.bytes[from..] {
            match NAME_CLASS[usize::from(b)] {
                OUT => break,
                COLON if colon.is_none() => colon = Some(len),
                COLON => more_colons = true,
                _ => {}
            }
            len += 1;
        }
        self.at = from + len;
        Name {
            qname: &self.text[from..self.at],
            colon,
            more_colons,
        }
    }

    fn skip_space(&mut self) -> bool {
        let from = self.at;
        while self.bytes.get(self.at).copied().is_some_and(is_space) {
            self.at += 1;
        }
        self.at > from
    }

    /// `</qname>`, the cursor on the `/`.
    fn end_tag(&mut self) -> Option<()> {
        self.at += 1;
        // The name must be the open element's, whole: compared in place rather than scanned.
        let (open, scope) = self.open.pop()?;
        if !self.bytes[self.at..].starts_with(open.as_bytes()) {
            return None;
        }
        self.at += open.len();
        self.skip_space();
        if self.bytes.get(self.at) != Some(&b'>') {
            return None;
        }
        self.at += 1;
        self.bindings.truncate(scope);
        self.nodes.push(Node::End);
        Some(())
    }

    /// A start tag, the cursor on the first byte of its name.
    fn start_tag(&mut self) -> Option<()> {
        if self.open.len() + 1 > self.max_depth {
            return None;
        }
        let name = self.name();
        let qname = name.qname;
        let (prefix, local) = name.split()?;
        if prefix.eq_ignore_ascii_case("xml") || prefix.eq_ignore_ascii_case("xmlns") {
            return None;
        }
        // Attributes, as written: each after white space, `name = "value"`.
        let mut raw = std::mem::take(&mut self.raw);
        raw.clear();
        let empty = loop {
            let spaced = self.skip_space();
            match *self.bytes.get(self.at)? {
                b'>' => {
                    self.at += 1;
                    break false;
                }
                b'/' => {
                    if self.bytes.get(self.at + 1) != Some(&b'>') {
                        return None;
                    }
                    self.at += 2;
                    break true;
                }
                _ if !spaced => return None,
                _ => {}
            }
            let name = self.name();
            let (prefix, local) = name.split()?;
            let name = name.qname;
            self.skip_space();
            if self.bytes.get(self.at) != Some(&b'=') {
                return None;
            }
            self.at += 1;
            self.skip_space();
            let quote = *self.bytes.get(self.at)?;
            if quote != b'"' && quote != b'\'' {
                return None;
            }
            let from = self.at + 1;
            let len = memchr::memchr(quote, &self.bytes[from..])?;
            let value = &self.text[from..from + len];
            let special = memchr::memchr3(b'<', b'>', b'&', value.as_bytes());
            if special.is_some_and(|k| value[k..].bytes().any(|b| b == b'<' || b == b'>')) {
                return None;
            }
            self.at = from + len + 1;
            if raw.iter().any(|a| a.qname == name) {
                return None;
            }
            raw.push(RawAttr {
                qname: name,
                prefix,
                local,
                value,
                escaped: special.is_some(),
            });
        };
        let scope = self.bindings.len();
        for attr in &raw {
            let declared = match (attr.prefix, attr.local) {
                ("", "xmlns") => "",
                ("xmlns", p) => p,
                _ => continue,
            };
            let value = attr.value;
            if attr.escaped
                || value == XML_NS
                || value == XMLNS_NS
                || declared.eq_ignore_ascii_case("xml")
                || declared.eq_ignore_ascii_case("xmlns")
                || (value.is_empty() && !declared.is_empty())
            {
                return None;
            }
            let ns = (!value.is_empty()).then(|| self.intern(value));
            self.bindings.push((declared, ns));
        }
        let ns = self.resolve(prefix)?;
        let mut attrs = Vec::new();
        for attr in &raw {
            if attr.qname == "xmlns" || attr.prefix == "xmlns" {
                continue;
            }
            if attr.prefix.eq_ignore_ascii_case("xml") {
                return None;
            }
            let attr_ns = if attr.prefix.is_empty() {
                None
            } else {
                Some(self.resolve(attr.prefix)??)
            };
            let attr_ns = attr_ns.map(|id| self.namespaces[id.index()].to_string());
            if attr_ns.is_some()
                && attrs
                    .iter()
                    .any(|a: &Attr| a.ns == attr_ns && a.local == attr.local)
            {
                return None;
            }
            attrs.push(Attr {
                ns: attr_ns,
                local: attr.local.to_string(),
                value: text_of(attr.value)?.into_owned(),
            });
        }
        self.nodes.push(Node::Start {
            ns,
            local: Cow::Borrowed(local),
            qname: Cow::Borrowed(qname),
            attrs,
            at: self.at,
        });
        self.raw = raw;
        if empty {
            self.bindings.truncate(scope);
            self.nodes.push(Node::End);
        } else {
            self.open.push((qname, scope));
        }
        Some(())
    }

    /// The namespace a prefix is bound to (`""`: the default namespace); `None` if undeclared.
    fn resolve(&self, prefix: &str) -> Option<Option<NsId>> {
        match self.bindings.iter().rev().find(|(p, _)| *p == prefix) {
            Some((_, ns)) => Some(*ns),
            None if prefix.is_empty() => Some(None),
            None => None,
        }
    }

    fn intern(&mut self, ns: &'t str) -> NsId {
        let at = match self.namespaces.iter().position(|n| n == ns) {
            Some(at) => at,
            None => {
                self.namespaces.push(Cow::Borrowed(ns));
                self.namespaces.len() - 1
            }
        };
        NsId::from_index(at)
    }
}

/// Text with its references expanded (only the five predefined entities and character references
/// in decimal or hexadecimal are known here); `None` for anything else, or for `]]>`.
fn text_of(run: &str) -> Option<Cow<'_, str>> {
    let bytes = run.as_bytes();
    // Most runs are a short value: a plain loop costs less than setting up a vector search.
    let first = if bytes.len() < 32 {
        bytes.iter().position(|b| matches!(b, b'&' | b']'))
    } else {
        memchr::memchr2(b'&', b']', bytes)
    };
    let Some(first) = first else {
        return Some(Cow::Borrowed(run));
    };
    if run[first..].contains("]]>") {
        return None;
    }
    let Some(amp) = run.find('&') else {
        return Some(Cow::Borrowed(run));
    };
    let mut out = String::with_capacity(run.len());
    let mut rest = &run[amp..];
    out.push_str(&run[..amp]);
    loop {
        let after = &rest[1..];
        let semi = after.find(';')?;
        let name = &after[..semi];
        let known = match name.strip_prefix('#') {
            Some(number) => match number.strip_prefix('x') {
                Some(hex) => !hex.is_empty() && hex.bytes().all(|b| b.is_ascii_hexdigit()),
                None => !number.is_empty() && number.bytes().all(|b| b.is_ascii_digit()),
            },
            None => matches!(name, "lt" | "gt" | "amp" | "quot" | "apos"),
        };
        if !known {
            return None;
        }
        out.push_str(&resolve_reference(name).ok()?);
        rest = &after[semi + 1..];
        match rest.find('&') {
            Some(next) => {
                out.push_str(&rest[..next]);
                rest = &rest[next..];
            }
            None => {
                out.push_str(rest);
                return Some(Cow::Owned(out));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn same(xml: &str) {
        let quick = Document::quick(xml, 64).unwrap_or_else(|| panic!("not quick: {xml}"));
        let pulled = Document::pulled(xml, 64).unwrap();
        assert_eq!(resolved(&quick), resolved(&pulled), "{xml}");
    }

    /// The nodes with namespaces by name (the two readers number them differently).
    fn resolved(doc: &Document<'_>) -> Vec<String> {
        doc.nodes
            .iter()
            .map(|n| match n {
                Node::Start {
                    ns,
                    local,
                    qname,
                    attrs,
                    at,
                } => format!("<{:?} {local} {qname} {attrs:?} {at}", doc.ns_name(*ns)),
                other => format!("{other:?}"),
            })
            .collect()
    }

    #[test]
    fn envelopes_read_quickly_give_the_nodes_the_pull_parser_gives() {
        same("<s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\"><s:Body><PortStatus xmlns=\"http://tempuri.org/\"><Unit>1</Unit><Port>5</Port></PortStatus></s:Body></s:Envelope>");
        same("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<a:E xmlns:a='urn:a' xmlns:i='urn:i'>\r\n <b i:nil = \"true\" x='&lt;&#233;'/> t&amp;&#x3C;u <c xmlns=''>v</c ></a:E>\n");
    }

    #[test]
    fn what_the_quick_scan_does_not_know_goes_to_the_pull_parser() {
        for xml in [
            "<a><!-- c --></a>",
            "<a><![CDATA[x]]></a>",
            "<a>]]></a>",
            "<a>&e;</a>",
            "<a><b></a></b>",
            "<a></a><b/>",
            "<a>",
            "<p:a/>",
            "<a xmlns:p=''/>",
            "<a b='1' b='2'/>",
            "<a xmlns:p='u' xmlns:q='u' p:x='1' q:x='2'/>",
            "<é/>",
            "<a b='1'c='2'/>",
            "<a xml:lang='en'/>",
            " <?xml version='1.0'?><a/>",
            "<?xml version='2.0'?><a/>",
            "x<a/>",
        ] {
            assert!(Document::quick(xml, 64).is_none(), "{xml}");
        }
        assert!(Document::quick("<a><b/></a>", 1).is_none());
        assert!(Document::quick("<a><b/></a>", 2).is_some());
    }

    mod properties {
        use super::*;
        use proptest::prelude::*;
        use proptest::sample::select;
        use proptest::strategy::ValueTree;

        // Each list: the shapes envelopes come in, then shapes the quick scan leaves alone.
        const NAMES: (&[&str], &[&str]) = (
            &["Unit", "Port", "p:Unit", "s:Header", "q:X", "_a.b-c"],
            &["xml:x", "xmlns:x", "é", "a:b:c", "1a", "u:v"],
        );
        const ATTRS: (&[&str], &[&str]) = (
            &[
                " i:nil=\"true\"",
                " i:nil = '1'",
                " x='1'",
                " x=\"&lt;&#233;\"",
                " xmlns:p=\"urn:p\"",
                " xmlns:q='urn:p'",
                " xmlns=\"\"",
                " xmlns=\"urn:d\"",
                " p:x='2'",
                " q:x='3'",
            ],
            &[
                " xmlns:p=\"\"",
                " b=\"<\"",
                " c=\"a>b\"",
                " xml:lang='en'",
                " xmlns:xml='http://www.w3.org/XML/1998/namespace'",
                "y='1'",
                " z=1",
                " u:v='1'",
            ],
        );
        const TEXTS: (&[&str], &[&str]) = (
            &[
                "1",
                " ",
                "\r\n\t",
                "&amp;",
                "&#49;",
                "&#x3C;",
                "]]",
                "é",
                "a>b",
                "\u{FFFD}",
                "&quot;&apos;&gt;",
            ],
            &[
                "&e;",
                "&#0;",
                "&#x;",
                "]]>",
                "<!-- c -->",
                "<![CDATA[x]]>",
                "<?pi x?>",
                "&",
                "&lt",
            ],
        );
        const DECLS: (&[&str], &[&str]) = (
            &[
                "",
                "<?xml version=\"1.0\" encoding=\"utf-8\"?>",
                "<?xml version='1.0'?>\n",
                "<?xml  version=\"1.0\" standalone=\"yes\" ?>",
            ],
            &[
                "<?xml version=\"2.0\"?>",
                "<?xml encoding=\"utf-8\"?>",
                " <?xml version=\"1.0\"?>",
                "<?xml version=\"1.0\" standalone=\"maybe\"?>",
            ],
        );

        /// Mostly the good shapes, sometimes a bad one.
        fn pick(
            list: (&'static [&'static str], &'static [&'static str]),
        ) -> BoxedStrategy<&'static str> {
            prop_oneof![12 => select(list.0), 1 => select(list.1)].boxed()
        }

        fn element() -> impl Strategy<Value = String> {
            pick(TEXTS)
                .prop_map(str::to_string)
                .prop_recursive(4, 32, 4, |inner| {
                    (
                        pick(NAMES),
                        prop::collection::vec(pick(ATTRS), 0..3),
                        prop::collection::vec(inner, 0..4),
                        any::<bool>(),
                    )
                        .prop_map(|(name, attrs, children, empty)| {
                            let attrs = attrs.concat();
                            if empty && children.is_empty() {
                                format!("<{name}{attrs}/>")
                            } else {
                                format!("<{name}{attrs}>{}</{name} >", children.concat())
                            }
                        })
                })
        }

        fn document() -> impl Strategy<Value = String> {
            (
                pick(DECLS),
                prop::collection::vec(element(), 0..4),
                pick((&["", "\n"], &[" x", "<a/>", "<!-- c -->"])),
                prop::option::weighted(
                    0.3,
                    (
                        any::<prop::sample::Index>(),
                        select(&["<", ">", "&", "/", " ", "\"", ":", "é", ""][..]),
                    ),
                ),
            )
                .prop_map(|(decl, body, tail, mutation)| {
                    let mut xml = format!(
                        "{decl}<s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\" \
                         xmlns:i=\"http://www.w3.org/2001/XMLSchema-instance\"><s:Body>{}</s:Body>\
                         </s:Envelope>{tail}",
                        body.concat()
                    );
                    if let Some((at, insert)) = mutation {
                        let mut cut = at.index(xml.len());
                        while !xml.is_char_boundary(cut) {
                            cut -= 1;
                        }
                        if insert.is_empty() {
                            let end = xml[cut..]
                                .chars()
                                .next()
                                .map_or(cut, |c| cut + c.len_utf8());
                            xml.replace_range(cut..end, "");
                        } else {
                            xml.insert_str(cut, insert);
                        }
                    }
                    xml
                })
        }

        /// The property below is not vacuous: the quick scan takes a good share of the generated
        /// documents, and leaves a good share to the pull parser.
        #[test]
        fn the_generated_documents_exercise_both_ways() {
            let mut runner = proptest::test_runner::TestRunner::deterministic();
            let strategy = document();
            let (mut quick, mut total) = (0, 0);
            for _ in 0..400 {
                let xml = strategy.new_tree(&mut runner).unwrap().current();
                total += 1;
                quick += usize::from(Document::quick(&xml, 6).is_some());
            }
            assert!(
                quick * 5 > total && quick * 5 < total * 4,
                "{quick} of {total}"
            );
        }

        proptest! {
            #![proptest_config(ProptestConfig {
                cases: 512,
                failure_persistence: None,
                ..ProptestConfig::default()
            })]

            /// Whatever the quick scan accepts, the pull parser accepts with the same nodes.
            #[test]
            fn the_quick_scan_agrees_with_the_pull_parser(xml in document(), depth in 3usize..8) {
                if let Some(quick) = Document::quick(&xml, depth) {
                    let pulled = Document::pulled(&xml, depth);
                    prop_assert!(pulled.is_ok(), "quick accepted, pull refused {:?}: {}", pulled.err(), xml);
                    prop_assert_eq!(resolved(&quick), resolved(&pulled.unwrap()), "{}", xml);
                }
            }
        }
    }
}
