//! The first two steps of reading a request as WCF does (`wire.md`, "How the server reads a
//! request", steps 2 and 3): which content types and charsets a WCF text encoder accepts, and how
//! the body's bytes become text.
//!
//! WCF's `TextMessageEncoder` (CoreWCF `Channels/TextMessageEncoder.cs`, `TextEncoderDefaults`)
//! accepts the media type `text/xml` with the charsets `utf-8`, `utf-16LE`, `utf-16BE` and `utf-16`
//! in any letter case, or no charset at all (then the byte-order mark or the XML declaration
//! decides). Everything else is HTTP 415.

use std::borrow::Cow;

/// The media type of SOAP 1.1 (basicHttpBinding).
pub const TEXT_XML: &str = "text/xml";

/// The content type WCF names as expected in its 415 answer.
pub const EXPECTED_CONTENT_TYPE: &str = "text/xml; charset=utf-8";

/// An encoding a WCF text encoder reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    /// UTF-8 (a UTF-8 byte-order mark is allowed).
    Utf8,
    /// UTF-16, little-endian.
    Utf16Le,
    /// UTF-16, big-endian.
    Utf16Be,
    /// ISO-8859-1, read only by `serve --lenient` (a WCF service answers 415).
    Latin1,
}

impl Encoding {
    /// The name used in notes and errors.
    pub fn name(self) -> &'static str {
        match self {
            Encoding::Utf8 => "utf-8",
            Encoding::Utf16Le => "utf-16LE",
            Encoding::Utf16Be => "utf-16BE",
            Encoding::Latin1 => "iso-8859-1",
        }
    }
}

/// What the `Content-Type` header allows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Charset {
    /// No charset: the byte-order mark or the XML declaration decides, UTF-8 by default.
    Sniff,
    /// `utf-16`: the byte-order mark decides the byte order (little-endian without one, as .NET's
    /// `Encoding.Unicode`).
    Utf16AnyOrder,
    /// A fixed encoding.
    Fixed(Encoding),
}

/// Why a content type is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ContentTypeRefusal {
    /// The media type is not `text/xml` (or there is no content type).
    MediaType,
    /// `text/xml` with a charset WCF does not read; the charset as it came.
    Charset(String),
}

/// Reads a `Content-Type` value (`None`: no header). `lenient` also reads ISO-8859-1 (and its
/// aliases `latin1`, `us-ascii`), which WCF refuses.
pub fn content_type(value: Option<&str>, lenient: bool) -> Result<Charset, ContentTypeRefusal> {
    let value = value.ok_or(ContentTypeRefusal::MediaType)?;
    // The form nearly every client sends (WCF's own, zeep's, ecapi's), read without splitting:
    // the general reading below gives the same.
    if value.eq_ignore_ascii_case(EXPECTED_CONTENT_TYPE) {
        return Ok(Charset::Fixed(Encoding::Utf8));
    }
    let mut parts = value.split(';');
    let media = parts.next().unwrap_or("").trim();
    if !media.eq_ignore_ascii_case(TEXT_XML) {
        return Err(ContentTypeRefusal::MediaType);
    }
    let mut charset = Charset::Sniff;
    for part in parts {
        let Some((key, v)) = part.split_once('=') else {
            continue;
        };
        if !key.trim().eq_ignore_ascii_case("charset") {
            continue;
        }
        let raw = v.trim();
        let name = raw
            .strip_prefix('"')
            .and_then(|v| v.strip_suffix('"'))
            .unwrap_or(raw);
        let is = |known: &str| name.eq_ignore_ascii_case(known);
        charset = if is("utf-8") {
            Charset::Fixed(Encoding::Utf8)
        } else if is("utf-16") {
            Charset::Utf16AnyOrder
        } else if is("utf-16le") {
            Charset::Fixed(Encoding::Utf16Le)
        } else if is("utf-16be") {
            Charset::Fixed(Encoding::Utf16Be)
        } else if lenient && (is("iso-8859-1") || is("latin1") || is("us-ascii")) {
            Charset::Fixed(Encoding::Latin1)
        } else {
            return Err(ContentTypeRefusal::Charset(raw.to_string()));
        };
    }
    Ok(charset)
}

/// Why bytes could not be read as text in the chosen encoding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodeError(pub String);

/// The body as text, with the encoding that was used. A byte-order mark is removed; one that
/// contradicts the charset, bytes that do not decode, and an XML declaration naming another
/// encoding are errors (WCF answers them with 400).
pub fn decode<'a>(
    bytes: &'a [u8],
    charset: &Charset,
) -> Result<(Cow<'a, str>, Encoding), DecodeError> {
    let bom = sniff_bom(bytes);
    let encoding = match charset {
        Charset::Fixed(e) => {
            if let Some(b) = bom {
                if b != *e && *e != Encoding::Latin1 {
                    return Err(DecodeError(format!(
                        "the body starts with a {} byte-order mark but the charset is {}",
                        b.name(),
                        e.name()
                    )));
                }
            }
            *e
        }
        Charset::Utf16AnyOrder => match bom {
            Some(Encoding::Utf8) => {
                return Err(DecodeError(
                    "the body starts with a utf-8 byte-order mark but the charset is utf-16".into(),
                ))
            }
            Some(b) => b,
            None => Encoding::Utf16Le,
        },
        Charset::Sniff => bom.unwrap_or(match bytes {
            [b'<', 0, b'?', 0, ..] | [b'<', 0, ..] => Encoding::Utf16Le,
            [0, b'<', 0, b'?', ..] | [0, b'<', ..] => Encoding::Utf16Be,
            _ => Encoding::Utf8,
        }),
    };
    let text: Cow<'a, str> = match encoding {
        Encoding::Utf8 => {
            let body = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
            Cow::Borrowed(
                std::str::from_utf8(body)
                    .map_err(|e| DecodeError(format!("the body is not utf-8: {e}")))?,
            )
        }
        Encoding::Utf16Le | Encoding::Utf16Be => {
            let le = encoding == Encoding::Utf16Le;
            let mark: &[u8] = if le { b"\xFF\xFE" } else { b"\xFE\xFF" };
            let body = bytes.strip_prefix(mark).unwrap_or(bytes);
            if body.len() % 2 != 0 {
                return Err(DecodeError(format!(
                    "the body has an odd number of bytes, so it is not {}",
                    encoding.name()
                )));
            }
            let units = body.chunks_exact(2).map(|p| {
                if le {
                    u16::from_le_bytes([p[0], p[1]])
                } else {
                    u16::from_be_bytes([p[0], p[1]])
                }
            });
            let text: Result<String, _> = char::decode_utf16(units).collect();
            Cow::Owned(text.map_err(|_| {
                DecodeError(format!(
                    "the body is not {}: a lone surrogate",
                    encoding.name()
                ))
            })?)
        }
        Encoding::Latin1 => Cow::Owned(bytes.iter().map(|&b| b as char).collect()),
    };
    if let Some(declared) = declared_encoding(&text) {
        let agrees = match encoding {
            Encoding::Utf8 => declared.eq_ignore_ascii_case("utf-8"),
            Encoding::Utf16Le | Encoding::Utf16Be => {
                let d = declared.to_ascii_lowercase();
                d == "utf-16" || d == "utf-16le" || d == "utf-16be" || d == "unicode"
            }
            Encoding::Latin1 => true,
        };
        if !agrees {
            return Err(DecodeError(format!(
                "the XML declaration names the encoding '{declared}' but the body is {}",
                encoding.name()
            )));
        }
    }
    Ok((text, encoding))
}

/// The byte-order mark at the start of `bytes`, if any.
fn sniff_bom(bytes: &[u8]) -> Option<Encoding> {
    match bytes {
        [0xEF, 0xBB, 0xBF, ..] => Some(Encoding::Utf8),
        [0xFF, 0xFE, ..] => Some(Encoding::Utf16Le),
        [0xFE, 0xFF, ..] => Some(Encoding::Utf16Be),
        _ => None,
    }
}

/// The `encoding` pseudo-attribute of an XML declaration at the very start of `text`.
fn declared_encoding(text: &str) -> Option<&str> {
    let decl = text.strip_prefix("<?xml")?;
    if !decl.starts_with(|c: char| c.is_ascii_whitespace()) {
        return None;
    }
    let decl = &decl[..decl.find("?>")?];
    let at = decl.find("encoding")?;
    let rest = decl[at + "encoding".len()..].trim_start();
    let rest = rest.strip_prefix('=')?.trim_start();
    let quote = rest.chars().next().filter(|c| *c == '"' || *c == '\'')?;
    let rest = &rest[1..];
    Some(&rest[..rest.find(quote)?])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn charsets_wcf_reads_are_accepted_in_any_case() {
        assert_eq!(content_type(Some("text/xml"), false), Ok(Charset::Sniff));
        assert_eq!(
            content_type(Some("Text/XML; Charset=\"UTF-8\""), false),
            Ok(Charset::Fixed(Encoding::Utf8))
        );
        assert_eq!(
            content_type(Some("text/xml;charset=utf-16le"), false),
            Ok(Charset::Fixed(Encoding::Utf16Le))
        );
        assert_eq!(
            content_type(Some("text/xml; charset=UTF-16"), false),
            Ok(Charset::Utf16AnyOrder)
        );
        assert_eq!(
            content_type(Some("text/xml; charset=iso-8859-1"), false),
            Err(ContentTypeRefusal::Charset("iso-8859-1".into()))
        );
        assert_eq!(
            content_type(Some("application/soap+xml; charset=utf-8"), false),
            Err(ContentTypeRefusal::MediaType)
        );
        assert_eq!(
            content_type(None, false),
            Err(ContentTypeRefusal::MediaType)
        );
        assert_eq!(
            content_type(Some("text/xml; charset=iso-8859-1"), true),
            Ok(Charset::Fixed(Encoding::Latin1))
        );
    }

    #[test]
    fn the_usual_content_type_is_read_at_once_and_its_neighbours_in_full() {
        let utf8 = Ok(Charset::Fixed(Encoding::Utf8));
        assert_eq!(content_type(Some("text/xml; charset=utf-8"), false), utf8);
        assert_eq!(content_type(Some("TEXT/XML; CHARSET=UTF-8"), false), utf8);
        assert_eq!(content_type(Some("text/xml ; charset=utf-8"), false), utf8);
        assert_eq!(
            content_type(Some("text/xml; charset=utf-8; charset=utf-16"), false),
            Ok(Charset::Utf16AnyOrder)
        );
        assert_eq!(
            content_type(Some("text/xml; charset=utf-80"), false),
            Err(ContentTypeRefusal::Charset("utf-80".into()))
        );
        assert_eq!(
            content_type(Some("text/html; charset=utf-8"), false),
            Err(ContentTypeRefusal::MediaType)
        );
    }

    #[test]
    fn utf16_decodes_in_both_orders_and_by_sniffing() {
        let le: Vec<u8> = "\u{FEFF}<a>é</a>"
            .encode_utf16()
            .flat_map(u16::to_le_bytes)
            .collect();
        let be: Vec<u8> = "<a>é</a>"
            .encode_utf16()
            .flat_map(u16::to_be_bytes)
            .collect();
        assert_eq!(decode(&le, &Charset::Utf16AnyOrder).unwrap().0, "<a>é</a>");
        assert_eq!(decode(&le, &Charset::Sniff).unwrap().1, Encoding::Utf16Le);
        assert_eq!(decode(&be, &Charset::Sniff).unwrap().0, "<a>é</a>");
        assert!(decode(&le, &Charset::Fixed(Encoding::Utf16Be)).is_err());
        assert!(decode(&le, &Charset::Fixed(Encoding::Utf8)).is_err());
    }

    #[test]
    fn a_declaration_that_names_another_encoding_is_refused() {
        assert!(decode(
            b"<?xml version=\"1.0\" encoding=\"utf-16\"?><a/>",
            &Charset::Fixed(Encoding::Utf8)
        )
        .is_err());
        assert!(decode(
            b"<?xml version='1.0' encoding='UTF-8'?><a/>",
            &Charset::Sniff
        )
        .is_ok());
        assert!(decode(b"<a>\xFF</a>", &Charset::Sniff).is_err());
    }
}
