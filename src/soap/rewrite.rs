//! Documents changed in passing by `ecapi proxy`: values withheld from a recorded envelope
//! (`--redact`) and the addresses in a server's WSDL pointed at the proxy.
//!
//! Both edit the text in place and leave every other byte as it came, so that a recorded envelope is
//! still the one that travelled, minus the withheld values.

use quick_xml::events::Event;
use quick_xml::Reader;

use super::xml::{push_attr, push_text, resolve_reference};

/// A document with values withheld by [`redact_elements`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Redacted {
    /// The document, every withheld value replaced.
    pub text: String,
    /// The values withheld, as a reader reads them (CDATA and references resolved, the text of
    /// child elements joined); empty ones are left out, since an empty value stays empty.
    pub values: Vec<String>,
}

/// `xml` with the whole content of every element whose local name is one of `names` (compared
/// without regard to case or prefix) replaced by `replacement` (escaped): text, CDATA, character
/// and entity references, and child elements alike. An element with no content (`<a/>`, `<a></a>`)
/// stays as it is.
///
/// A document that cannot be read to its end gives `None`: not well formed, cut short (elements
/// still open at its end), or naming an entity no reader can resolve. The caller must then
/// withhold it whole, since a value in it cannot be found for certain.
pub fn redact_elements(xml: &str, names: &[String], replacement: &str) -> Option<Redacted> {
    if names.is_empty() {
        return Some(Redacted {
            text: xml.to_string(),
            values: Vec::new(),
        });
    }
    let mut reader = Reader::from_str(xml);
    // Spans of content to replace, as byte ranges of `xml`.
    let mut spans: Vec<(usize, usize)> = Vec::new();
    let mut values = Vec::new();
    let mut depth = 0usize;
    // The element being withheld: its depth, where its content starts, its text so far.
    let mut current: Option<(usize, usize, String)> = None;
    loop {
        let before = reader.buffer_position() as usize;
        match reader.read_event() {
            Ok(Event::Start(e)) => {
                depth += 1;
                if current.is_none() {
                    let local = e.local_name();
                    let local = std::str::from_utf8(local.as_ref()).ok()?;
                    if names.iter().any(|n| n.eq_ignore_ascii_case(local)) {
                        current = Some((depth, reader.buffer_position() as usize, String::new()));
                    }
                }
            }
            Ok(Event::End(_)) => {
                if let Some((_, start, value)) = current.take_if(|c| c.0 == depth) {
                    if start < before {
                        spans.push((start, before));
                    }
                    if !value.is_empty() {
                        values.push(value);
                    }
                }
                depth = depth.checked_sub(1)?;
            }
            Ok(Event::Text(t)) => {
                if let Some((_, _, value)) = current.as_mut() {
                    value.push_str(std::str::from_utf8(&t).ok()?);
                }
            }
            Ok(Event::CData(t)) => {
                if let Some((_, _, value)) = current.as_mut() {
                    value.push_str(std::str::from_utf8(&t).ok()?);
                }
            }
            Ok(Event::GeneralRef(r)) => {
                // An entity only a DTD could define cannot be read: withhold the whole document.
                let text = resolve_reference(std::str::from_utf8(&r).ok()?).ok()?;
                if let Some((_, _, value)) = current.as_mut() {
                    value.push_str(&text);
                }
            }
            Ok(Event::DocType(_)) => return None,
            Ok(Event::Eof) => {
                if depth != 0 {
                    return None;
                }
                break;
            }
            Ok(_) => {}
            Err(_) => return None,
        }
    }
    let mut escaped = String::new();
    push_text(&mut escaped, replacement);
    let mut out = String::with_capacity(xml.len());
    let mut at = 0;
    for (start, end) in spans {
        out.push_str(&xml[at..start]);
        out.push_str(&escaped);
        at = end;
    }
    out.push_str(&xml[at..]);
    Some(Redacted { text: out, values })
}

/// The text of every element whose local name is `name` (without regard to case or prefix), as a
/// reader reads it; `None` when the document cannot be read to its end.
pub fn element_texts(xml: &str, name: &str) -> Option<Vec<String>> {
    let redacted = redact_elements(xml, &[name.to_string()], "")?;
    Some(redacted.values)
}

/// The local name of the element inside a SOAP envelope's Body (the operation a request names
/// there), read without the checks a service makes; `None` when there is none to be found.
pub fn body_element(xml: &str) -> Option<String> {
    let mut reader = Reader::from_str(xml);
    let mut in_body = false;
    loop {
        match reader.read_event() {
            Ok(Event::Start(e)) | Ok(Event::Empty(e)) => {
                let local = e.local_name();
                let local = std::str::from_utf8(local.as_ref()).ok()?;
                if in_body {
                    return Some(local.to_string());
                }
                in_body = local == "Body";
            }
            Ok(Event::End(_)) if in_body => return None,
            Ok(Event::Eof) | Err(_) => return None,
            Ok(_) => {}
        }
    }
}

/// A WSDL (or schema) document with its addresses pointed at `to_origin` (`http://host:port`, no
/// path): the origin of every absolute URL in a `location` or `schemaLocation` attribute (the
/// service's `soap:address`, `wsdl:import`, `xsd:import`), and every other occurrence of one of
/// `from_origins` (an endpoint reference's `Address`). Paths and queries stay as they are, so the
/// proxy must be reached under the upstream's paths.
pub fn rewrite_addresses(doc: &str, from_origins: &[String], to_origin: &str) -> String {
    // The origin may come from a client's Host header: escaped, it cannot break the document.
    let mut escaped = String::with_capacity(to_origin.len());
    push_attr(&mut escaped, to_origin);
    let escaped = escaped.replace('\'', "&apos;");
    let to_origin = escaped.as_str();
    let mut out = String::with_capacity(doc.len());
    let lower = doc.to_ascii_lowercase();
    let mut at = 0;
    let mut search = 0;
    while let Some(found) = lower[search..].find("location=") {
        let eq = search + found + "location=".len();
        search = eq;
        let Some(quote) = doc[eq..].chars().next().filter(|c| *c == '"' || *c == '\'') else {
            continue;
        };
        let value_start = eq + 1;
        let Some(len) = doc[value_start..].find(quote) else {
            break;
        };
        let value = &doc[value_start..value_start + len];
        if let Some(path_at) = origin_len(value) {
            out.push_str(&doc[at..value_start]);
            out.push_str(to_origin);
            at = value_start + path_at;
        }
        search = value_start + len;
    }
    out.push_str(&doc[at..]);
    for from in from_origins {
        if !from.is_empty() && out.contains(from.as_str()) {
            out = out.replace(from.as_str(), to_origin);
        }
    }
    out
}

/// The length of `scheme://authority` at the start of an absolute http(s) URL.
fn origin_len(url: &str) -> Option<usize> {
    let rest = url
        .strip_prefix("http://")
        .or_else(|| url.strip_prefix("https://"))?;
    let scheme = url.len() - rest.len();
    let authority = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    Some(scheme + authority)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redaction_replaces_the_text_of_named_elements_only() {
        let xml = "<s:Envelope xmlns:s=\"x\"><s:Body><AssignField xmlns=\"t\"><Unit>1</Unit>\
                   <fieldValue>secret &amp; more</fieldValue></AssignField></s:Body></s:Envelope>";
        let out = redact_elements(xml, &["FIELDVALUE".to_string()], "[redacted]").unwrap();
        assert!(
            out.text.contains("<fieldValue>[redacted]</fieldValue>"),
            "{out:?}"
        );
        assert!(out.text.contains("<Unit>1</Unit>"), "{out:?}");
        assert!(!out.text.contains("secret"), "{out:?}");
        assert_eq!(out.values, ["secret & more"]);
    }

    #[test]
    fn redaction_of_prefixed_result_fields_and_a_broken_document() {
        let xml =
            "<r xmlns:a=\"n\"><a:fieldValue>v</a:fieldValue><a:fieldValue i:nil=\"true\"/></r>";
        let out = redact_elements(xml, &["fieldValue".to_string()], "<x>").unwrap();
        assert_eq!(
            out.text,
            "<r xmlns:a=\"n\"><a:fieldValue>&lt;x&gt;</a:fieldValue><a:fieldValue i:nil=\"true\"/></r>"
        );
        assert_eq!(redact_elements("<a><b>x</a>", &["b".into()], "r"), None);
    }

    #[test]
    fn redaction_reads_the_whole_value_or_gives_up() {
        let names = ["fieldvalue".to_string(), "user".to_string()];
        // Child elements, CDATA, character references, another case and prefix.
        let xml =
            "<e><b:FieldValue xmlns:b=\"n\"><i>41</i><![CDATA[11]]>&#x31;1&#49;</b:FieldValue>\
                   <USER>CORP\\bjones</USER><fieldValue></fieldValue><fieldValue/></e>";
        let out = redact_elements(xml, &names, "[redacted]").unwrap();
        assert_eq!(
            out.text,
            "<e><b:FieldValue xmlns:b=\"n\">[redacted]</b:FieldValue><USER>[redacted]</USER>\
             <fieldValue></fieldValue><fieldValue/></e>"
        );
        assert_eq!(out.values, ["4111111", "CORP\\bjones"]);
        // Cut short, an unknown entity, a document type: nothing can be promised.
        assert_eq!(redact_elements("<e><fieldValue>4111", &names, "r"), None);
        assert_eq!(
            redact_elements("<e><fieldValue>&card;</fieldValue></e>", &names, "r"),
            None
        );
        assert_eq!(
            redact_elements("<!DOCTYPE e []><e><user>x</user></e>", &names, "r"),
            None
        );
    }

    #[test]
    fn the_body_element_and_element_texts_are_found_without_a_service_s_checks() {
        let xml = "<s:Envelope xmlns:s=\"x\"><s:Header/><s:Body><q:GetField xmlns:q=\"y\">\
                   <FIELDNAME>fld&#67;ard</FIELDNAME></q:GetField></s:Body></s:Envelope>";
        assert_eq!(body_element(xml).as_deref(), Some("GetField"));
        assert_eq!(element_texts(xml, "fieldName").unwrap(), ["fldCard"]);
        assert_eq!(body_element("<a/>"), None);
    }

    #[test]
    fn wsdl_addresses_point_at_the_proxy_with_paths_kept() {
        let doc = "<soap:address location=\"https://encore.example:8443/WebAPI/ECAPI.svc\"/>\
                   <xsd:import schemaLocation='https://encore.example:8443/WebAPI/ECAPI.svc?xsd=xsd0'/>\
                   <wsa10:Address>https://encore.example:8443/WebAPI/ECAPI.svc</wsa10:Address>\
                   <x location=\"relative.xsd\"/>";
        let out = rewrite_addresses(
            doc,
            &["https://encore.example:8443".to_string()],
            "http://127.0.0.1:9000",
        );
        assert_eq!(
            out,
            "<soap:address location=\"http://127.0.0.1:9000/WebAPI/ECAPI.svc\"/>\
             <xsd:import schemaLocation='http://127.0.0.1:9000/WebAPI/ECAPI.svc?xsd=xsd0'/>\
             <wsa10:Address>http://127.0.0.1:9000/WebAPI/ECAPI.svc</wsa10:Address>\
             <x location=\"relative.xsd\"/>"
        );
        let out = rewrite_addresses("<a location=\"http://e/x\"/>", &[], "http://h\"><evil/>");
        assert_eq!(out, "<a location=\"http://h&quot;&gt;&lt;evil/&gt;/x\"/>");
    }
}
