//! Documents changed in passing by `ecapi proxy`: values withheld from a recorded envelope
//! (`--redact`) and the addresses in a server's WSDL pointed at the proxy.
//!
//! Both edit the text in place and leave every other byte as it came, so that a recorded envelope is
//! still the one that travelled, minus the withheld values.

use quick_xml::events::Event;
use quick_xml::Reader;

use super::xml::push_text;

/// `xml` with the text of every element whose local name is one of `names` (compared without regard
/// to case) replaced by `replacement` (escaped). Only elements holding text alone are changed; an
/// element with child elements is left as it is.
///
/// A document that cannot be read at all gives `None`: the caller must then withhold it whole,
/// since no value in it can be found.
pub fn redact_elements(xml: &str, names: &[String], replacement: &str) -> Option<String> {
    if names.is_empty() {
        return Some(xml.to_string());
    }
    let mut reader = Reader::from_str(xml);
    // Spans of text to replace, as byte ranges of `xml`.
    let mut spans: Vec<(usize, usize)> = Vec::new();
    // For each open element: where its content starts, when its name is one to redact and it has
    // no child element so far.
    let mut open: Vec<Option<usize>> = Vec::new();
    loop {
        let before = reader.buffer_position() as usize;
        match reader.read_event() {
            Ok(Event::Start(e)) => {
                if let Some(parent) = open.last_mut() {
                    *parent = None;
                }
                let local = e.local_name();
                let local = std::str::from_utf8(local.as_ref()).ok()?;
                let wanted = names.iter().any(|n| n.eq_ignore_ascii_case(local));
                open.push(wanted.then_some(reader.buffer_position() as usize));
            }
            Ok(Event::Empty(_)) => {
                if let Some(parent) = open.last_mut() {
                    *parent = None;
                }
            }
            Ok(Event::End(_)) => {
                if let Some(Some(start)) = open.pop() {
                    spans.push((start, before));
                }
            }
            Ok(Event::Eof) => break,
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
    Some(out)
}

/// A WSDL (or schema) document with its addresses pointed at `to_origin` (`http://host:port`, no
/// path): the origin of every absolute URL in a `location` or `schemaLocation` attribute (the
/// service's `soap:address`, `wsdl:import`, `xsd:import`), and every other occurrence of one of
/// `from_origins` (an endpoint reference's `Address`). Paths and queries stay as they are, so the
/// proxy must be reached under the upstream's paths.
pub fn rewrite_addresses(doc: &str, from_origins: &[String], to_origin: &str) -> String {
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
        assert!(out.contains("<fieldValue>[redacted]</fieldValue>"), "{out}");
        assert!(out.contains("<Unit>1</Unit>"), "{out}");
        assert!(!out.contains("secret"), "{out}");
    }

    #[test]
    fn redaction_of_prefixed_result_fields_and_a_broken_document() {
        let xml =
            "<r xmlns:a=\"n\"><a:fieldValue>v</a:fieldValue><a:fieldValue i:nil=\"true\"/></r>";
        let out = redact_elements(xml, &["fieldValue".to_string()], "<x>").unwrap();
        assert_eq!(
            out,
            "<r xmlns:a=\"n\"><a:fieldValue>&lt;x&gt;</a:fieldValue><a:fieldValue i:nil=\"true\"/></r>"
        );
        assert_eq!(redact_elements("<a><b>x</a>", &["b".into()], "r"), None);
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
    }
}
