//! Request bodies that are not well-formed XML (WCF answers each with 400), shared by the reader's
//! tests and its property tests (as seeds).

const ENV: &str = "<s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\">";

/// A PortStatus envelope: `pre` before it, `header` as the Header's content (none when empty),
/// `attrs` on the Unit element, `unit` as Unit's content, `post` after the envelope.
pub fn envelope(pre: &str, header: &str, attrs: &str, unit: &str, post: &str) -> String {
    let header = if header.is_empty() {
        String::new()
    } else {
        format!("<s:Header>{header}</s:Header>")
    };
    format!(
        "{pre}{ENV}{header}<s:Body><PortStatus xmlns=\"http://tempuri.org/\"><Unit{attrs}>{unit}\
         </Unit><Port>2</Port></PortStatus></s:Body></s:Envelope>{post}"
    )
}

pub fn unit(content: &str) -> String {
    envelope("", "", "", content, "")
}

pub fn attrs(a: &str) -> String {
    envelope("", "", a, "1", "")
}

pub fn before(pre: &str) -> String {
    envelope(pre, "", "", "1", "")
}

/// The shapes, each with what makes it not well formed.
pub fn not_well_formed() -> Vec<(&'static str, String)> {
    vec![
        (
            "an attribute twice under two prefixes of one namespace",
            attrs(r#" xmlns:p="urn:x" xmlns:q="urn:x" p:a="1" q:a="2""#),
        ),
        ("`<` in an attribute value", attrs(r#" a="x<y""#)),
        (
            "`<` in an attribute value in a header",
            envelope("", r#"<h a="<"/>"#, "", "1", ""),
        ),
        (
            "attributes not separated by white space",
            attrs(r#" a="1"b="2""#),
        ),
        (
            "an attribute name starting with a digit",
            attrs(r#" 1a="1""#),
        ),
        ("an element name starting with a digit", unit("<1a/>1")),
        ("an element name starting with `-`", unit("<-a/>1")),
        ("an element name starting with `.`", unit("<.a/>1")),
        (
            "an element name with `@`",
            unit("1").replace("<Port>2</Port>", "<Po@rt>2</Po@rt>"),
        ),
        (
            "an element name with a no-break space",
            unit("<a\u{A0}b/>1"),
        ),
        (
            "an element name with two colons",
            unit(r#"<a:b:c xmlns:a="urn:a"/>1"#),
        ),
        (
            "an element name ending in a colon",
            unit(r#"<a: xmlns:a="urn:a"/>1"#),
        ),
        ("an element with the prefix `xmlns`", unit("<xmlns:a/>1")),
        (
            "a bad element name in a header",
            envelope("", "<h.-/><1x/>", "", "1", ""),
        ),
        ("a prefix undeclared", attrs(r#" xmlns:p="""#)),
        (
            "`--` in a comment before the root",
            before("<!-- a -- b -->"),
        ),
        ("`--` in a comment in a value", unit("1<!-- a -- b -->")),
        ("a comment ending in `--->`", unit("1<!-- a --->")),
        ("`]]>` in text", unit("a]]>b")),
        (
            "an XML declaration after white space",
            before(" <?xml version=\"1.0\"?>"),
        ),
        (
            "an XML declaration after a processing instruction",
            before("<?foo?><?xml version=\"1.0\"?>"),
        ),
        (
            "an XML declaration after the root",
            envelope("", "", "", "1", "<?xml version=\"1.0\"?>"),
        ),
        (
            "an XML declaration in a value",
            unit("1<?xml version=\"1.0\"?>"),
        ),
        (
            "an XML declaration without a version",
            before("<?xml encoding=\"utf-8\"?>"),
        ),
        (
            "an XML declaration with standalone=\"maybe\"",
            before("<?xml version=\"1.0\" standalone=\"maybe\"?>"),
        ),
        (
            "an XML declaration with its encoding before its version",
            before("<?xml encoding=\"utf-8\" version=\"1.0\"?>"),
        ),
        ("a processing instruction named `XmL`", unit("1<?XmL foo?>")),
        ("a processing instruction without a name", unit("1<? foo?>")),
    ]
}
