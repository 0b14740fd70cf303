//! Indentation for `--trace`, so that a CRM developer can read the envelopes and copy them.

use quick_xml::events::Event;
use quick_xml::{Reader, Writer};

/// The document indented by two spaces per level, elements holding only text on one line. Text is
/// copied as written (still escaped); a document that cannot be parsed comes back unchanged.
pub fn pretty(xml: &str) -> String {
    let mut reader = Reader::from_str(xml);
    let mut writer = Writer::new_with_indent(Vec::with_capacity(xml.len() * 2), b' ', 2);
    loop {
        match reader.read_event() {
            Ok(Event::Eof) => break,
            // Indentation already present is dropped; a value that is only spaces is kept.
            Ok(Event::Text(t)) if t.iter().all(u8::is_ascii_whitespace) && t.contains(&b'\n') => {}
            // A DOCTYPE is copied, never processed.
            Ok(event) => {
                if writer.write_event(event).is_err() {
                    return xml.to_string();
                }
            }
            Err(_) => return xml.to_string(),
        }
    }
    String::from_utf8(writer.into_inner()).unwrap_or_else(|_| xml.to_string())
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
    fn what_is_not_xml_is_returned_unchanged() {
        assert_eq!(pretty("<a><b></a>"), "<a><b></a>");
        assert_eq!(pretty("plain text"), "plain text");
    }
}
