//! The character encoding of a body the client reads: UTF-8, or UTF-16 in either byte order,
//! decided as wire.md's client section says (byte-order mark first, then the `charset` of the
//! Content-Type, then the first bytes of the document as XML 1.0 appendix F guesses them).
//!
//! WCF writes UTF-16 when its binding says `textEncoding="utf-16"` (or `unicodeFFFE`): little
//! endian with a byte-order mark, `Content-Type: text/xml; charset=utf-16`. Everything below
//! [`to_utf8`] then reads UTF-8 only.

use std::borrow::Cow;

/// Why a body could not be turned into UTF-8 text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EncodingError {
    /// The Content-Type names a charset the client does not read.
    #[error("the answer's charset `{0}` is not one a WCF service sends (utf-8 or utf-16)")]
    Unsupported(String),
    /// The bytes do not decode in the encoding chosen.
    #[error("the answer is not valid {encoding}: {detail}")]
    Invalid {
        /// The encoding the bytes were read in (`UTF-16LE`...).
        encoding: &'static str,
        /// What is wrong.
        detail: String,
    },
}

/// The encodings read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Encoding {
    Utf8,
    Utf16Le,
    Utf16Be,
}

impl Encoding {
    fn name(self) -> &'static str {
        match self {
            Encoding::Utf8 => "UTF-8",
            Encoding::Utf16Le => "UTF-16LE",
            Encoding::Utf16Be => "UTF-16BE",
        }
    }
}

/// The `charset` parameter of a Content-Type value, lowercased and unquoted (borrowed when it is
/// already lower case, as nearly every answer writes it).
fn charset(content_type: &str) -> Option<Cow<'_, str>> {
    content_type.split(';').skip(1).find_map(|p| {
        let (name, value) = p.split_once('=')?;
        name.trim().eq_ignore_ascii_case("charset").then(|| {
            let value = value.trim().trim_matches('"');
            if value.bytes().any(|b| b.is_ascii_uppercase()) {
                Cow::Owned(value.to_ascii_lowercase())
            } else {
                Cow::Borrowed(value)
            }
        })
    })
}

/// `bytes` as UTF-8 (borrowed when they already are, without a byte-order mark), and the name of
/// the encoding they came in (`UTF-8`, `UTF-16LE`, `UTF-16BE`).
///
/// Rules, in order: a byte-order mark decides (and is dropped); else the Content-Type's charset
/// (`utf-8`, `us-ascii`, `utf-16`, `utf-16le`, `utf-16be`, `unicodefffe`, any letter case; any other
/// is [`EncodingError::Unsupported`]); `utf-16` without a mark, or no charset at all, looks at the
/// first two bytes for `<` with a zero byte beside it; else UTF-8. UTF-8 is checked by the XML
/// reader later, UTF-16 here (an odd length or a lone surrogate is [`EncodingError::Invalid`]).
pub fn to_utf8<'a>(
    bytes: &'a [u8],
    content_type: Option<&str>,
) -> Result<(Cow<'a, [u8]>, &'static str), EncodingError> {
    let (encoding, body) = match bytes {
        [0xEF, 0xBB, 0xBF, rest @ ..] => (Encoding::Utf8, rest),
        [0xFF, 0xFE, rest @ ..] => (Encoding::Utf16Le, rest),
        [0xFE, 0xFF, rest @ ..] => (Encoding::Utf16Be, rest),
        _ => {
            let sniffed = match bytes {
                [b'<', 0, ..] => Some(Encoding::Utf16Le),
                [0, b'<', ..] => Some(Encoding::Utf16Be),
                _ => None,
            };
            let declared = match content_type.and_then(charset).as_deref() {
                None => None,
                Some("utf-8" | "utf8" | "us-ascii") => Some(Encoding::Utf8),
                // `utf-16-le` is how Python and some proxies spell the IANA name.
                Some("utf-16le" | "utf-16-le") => Some(Encoding::Utf16Le),
                Some("utf-16be" | "utf-16-be" | "unicodefffe") => Some(Encoding::Utf16Be),
                // Without a mark RFC 2781 says big endian; the bytes say better when they can.
                Some("utf-16") => Some(sniffed.unwrap_or(Encoding::Utf16Be)),
                Some(other) => return Err(EncodingError::Unsupported(other.to_string())),
            };
            (declared.or(sniffed).unwrap_or(Encoding::Utf8), bytes)
        }
    };
    let from_bytes: fn([u8; 2]) -> u16 = match encoding {
        Encoding::Utf8 => return Ok((Cow::Borrowed(body), encoding.name())),
        Encoding::Utf16Le => u16::from_le_bytes,
        Encoding::Utf16Be => u16::from_be_bytes,
    };
    if body.len() % 2 != 0 {
        return Err(EncodingError::Invalid {
            encoding: encoding.name(),
            detail: format!("{} bytes is an odd length", body.len()),
        });
    }
    let units = body.chunks_exact(2).map(|c| from_bytes([c[0], c[1]]));
    let mut text = String::with_capacity(body.len());
    for (i, c) in char::decode_utf16(units).enumerate() {
        match c {
            Ok(c) => text.push(c),
            Err(e) => {
                return Err(EncodingError::Invalid {
                    encoding: encoding.name(),
                    detail: format!(
                        "a lone surrogate {:#06x} at byte {}",
                        e.unpaired_surrogate(),
                        i * 2
                    ),
                })
            }
        }
    }
    Ok((Cow::Owned(text.into_bytes()), encoding.name()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utf16(text: &str, big_endian: bool, bom: bool) -> Vec<u8> {
        let mut out = Vec::new();
        let units = (bom.then_some(0xFEFF_u16))
            .into_iter()
            .chain(text.encode_utf16());
        for u in units {
            out.extend(if big_endian {
                u.to_be_bytes()
            } else {
                u.to_le_bytes()
            });
        }
        out
    }

    fn decoded(bytes: &[u8], content_type: Option<&str>) -> (String, &'static str) {
        let (b, name) = to_utf8(bytes, content_type).unwrap();
        (String::from_utf8(b.into_owned()).unwrap(), name)
    }

    #[test]
    fn a_byte_order_mark_decides_and_is_dropped() {
        let doc = "<a>é 😀</a>";
        for (be, name) in [(false, "UTF-16LE"), (true, "UTF-16BE")] {
            // The mark wins over a charset that says otherwise.
            let got = decoded(&utf16(doc, be, true), Some("text/xml; charset=utf-8"));
            assert_eq!(got, (doc.to_string(), name));
        }
        let mut bom8 = vec![0xEF, 0xBB, 0xBF];
        bom8.extend_from_slice(doc.as_bytes());
        assert_eq!(decoded(&bom8, None), (doc.to_string(), "UTF-8"));
    }

    #[test]
    fn the_charset_decides_without_a_mark_in_any_letter_case() {
        let doc = "<a>x</a>";
        let got = decoded(
            &utf16(doc, false, false),
            Some("text/xml; Charset=\"UTF-16LE\""),
        );
        assert_eq!(got, (doc.to_string(), "UTF-16LE"));
        let got = decoded(&utf16(doc, true, false), Some("text/xml;charset=utf-16BE"));
        assert_eq!(got, (doc.to_string(), "UTF-16BE"));
        let got = decoded(
            &utf16(doc, true, false),
            Some("text/xml; charset=utf-16-be"),
        );
        assert_eq!(got, (doc.to_string(), "UTF-16BE"));
        // utf-16 without a mark: the bytes tell the order.
        let got = decoded(&utf16(doc, false, false), Some("text/xml; charset=utf-16"));
        assert_eq!(got, (doc.to_string(), "UTF-16LE"));
        // No charset, no mark: XML's own guess.
        let got = decoded(&utf16(doc, true, false), Some("text/xml"));
        assert_eq!(got, (doc.to_string(), "UTF-16BE"));
        assert!(matches!(
            to_utf8(doc.as_bytes(), Some("text/xml; charset=utf-8"))
                .unwrap()
                .0,
            Cow::Borrowed(_)
        ));
    }

    #[test]
    fn other_charsets_and_broken_utf16_are_errors_naming_them() {
        assert_eq!(
            to_utf8(b"<a/>", Some("text/xml; charset=ISO-8859-1")).unwrap_err(),
            EncodingError::Unsupported("iso-8859-1".into())
        );
        let err = to_utf8(&[0xFF, 0xFE, b'<', 0, b'a'], None).unwrap_err();
        assert_eq!(
            err.to_string(),
            "the answer is not valid UTF-16LE: 3 bytes is an odd length"
        );
        let err = to_utf8(&[0xFF, 0xFE, 0x00, 0xD8, b'a', 0], None).unwrap_err();
        assert!(err.to_string().contains("lone surrogate 0xd800"), "{err}");
    }
}
