//! HTTP content codings (RFC 9110 §8.4.1): a `gzip` or `deflate` answer read as the bytes it
//! stands for, and bytes coded again (the proxy re-sends a WSDL it rewrote in the coding it came
//! in). IIS compresses an answer when the client sends `Accept-Encoding: gzip` (PHP's SoapClient
//! with `compression`, SoapUI, Postman do), so whoever reads an answer must be able to undo it.
//!
//! `deflate` is the zlib format (RFC 9110 §8.4.1.2); a raw DEFLATE stream, which some servers send
//! under that name, is read too. Decoding is bounded: a body that expands beyond the limit given
//! is an error, not an allocation.

use std::borrow::Cow;
use std::io::{Read, Write};

use flate2::read::{DeflateDecoder, GzDecoder, ZlibDecoder};
use flate2::write::{GzEncoder, ZlibEncoder};
use flate2::Compression;

/// A content coding this module reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Coding {
    /// `gzip` (or `x-gzip`).
    Gzip,
    /// `deflate`.
    Deflate,
}

/// Why a coded body could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// A coding other than gzip, deflate or identity (`br`, a list of codings…).
    #[error("the content coding `{0}` is not one that can be read (gzip, deflate)")]
    Unsupported(String),
    /// The bytes are not in the coding named.
    #[error("the {coding} body cannot be decoded: {detail}")]
    Corrupt {
        /// The coding named.
        coding: &'static str,
        /// What went wrong.
        detail: String,
    },
    /// The decoded body would exceed the limit.
    #[error("the {coding} body decodes to more than {limit} bytes")]
    TooLarge {
        /// The coding named.
        coding: &'static str,
        /// The limit, in bytes.
        limit: usize,
    },
}

impl Coding {
    /// The coding a `Content-Encoding` value names: `None` for none or `identity`.
    pub fn of(header: Option<&str>) -> Result<Option<Coding>, DecodeError> {
        let Some(value) = header.map(str::trim).filter(|v| !v.is_empty()) else {
            return Ok(None);
        };
        match value.to_ascii_lowercase().as_str() {
            "identity" => Ok(None),
            "gzip" | "x-gzip" => Ok(Some(Coding::Gzip)),
            "deflate" => Ok(Some(Coding::Deflate)),
            _ => Err(DecodeError::Unsupported(value.to_string())),
        }
    }

    /// The coding's name, as a `Content-Encoding` value.
    pub fn name(self) -> &'static str {
        match self {
            Coding::Gzip => "gzip",
            Coding::Deflate => "deflate",
        }
    }

    /// `body` decoded, at most `limit` bytes.
    pub fn decode(self, body: &[u8], limit: usize) -> Result<Vec<u8>, DecodeError> {
        match self {
            Coding::Gzip => read_all(GzDecoder::new(body), self, limit),
            Coding::Deflate => read_all(ZlibDecoder::new(body), self, limit)
                .or_else(|_| read_all(DeflateDecoder::new(body), self, limit)),
        }
    }

    /// `body` coded.
    pub fn encode(self, body: &[u8]) -> Vec<u8> {
        // Writing to a Vec cannot fail.
        match self {
            Coding::Gzip => {
                let mut e = GzEncoder::new(Vec::new(), Compression::default());
                let _ = e.write_all(body);
                e.finish().unwrap_or_default()
            }
            Coding::Deflate => {
                let mut e = ZlibEncoder::new(Vec::new(), Compression::default());
                let _ = e.write_all(body);
                e.finish().unwrap_or_default()
            }
        }
    }
}

fn read_all(reader: impl Read, coding: Coding, limit: usize) -> Result<Vec<u8>, DecodeError> {
    let mut out = Vec::new();
    let read = reader
        .take(limit as u64 + 1)
        .read_to_end(&mut out)
        .map_err(|e| DecodeError::Corrupt {
            coding: coding.name(),
            detail: e.to_string(),
        })?;
    if read > limit {
        return Err(DecodeError::TooLarge {
            coding: coding.name(),
            limit,
        });
    }
    Ok(out)
}

/// `body` as the bytes it stands for, under a `Content-Encoding` value: borrowed when uncoded.
pub fn decode<'a>(
    content_encoding: Option<&str>,
    body: &'a [u8],
    limit: usize,
) -> Result<Cow<'a, [u8]>, DecodeError> {
    match Coding::of(content_encoding)? {
        None => Ok(Cow::Borrowed(body)),
        Some(coding) => coding.decode(body, limit).map(Cow::Owned),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gzip_and_deflate_round_trip_and_raw_deflate_is_read() {
        let text = b"<s:Envelope>answer</s:Envelope>";
        for coding in [Coding::Gzip, Coding::Deflate] {
            let coded = coding.encode(text);
            assert_ne!(coded, text);
            assert_eq!(
                decode(Some(coding.name()), &coded, 1024).unwrap(),
                &text[..]
            );
        }
        let mut raw = flate2::write::DeflateEncoder::new(Vec::new(), Compression::default());
        raw.write_all(text).unwrap();
        let raw = raw.finish().unwrap();
        assert_eq!(decode(Some("deflate"), &raw, 1024).unwrap(), &text[..]);
        assert_eq!(decode(None, text, 1).unwrap(), &text[..]);
        assert_eq!(decode(Some("Identity"), text, 1).unwrap(), &text[..]);
    }

    #[test]
    fn a_bomb_a_corrupt_body_and_an_unknown_coding_are_errors() {
        let bomb = Coding::Gzip.encode(&vec![b'a'; 100_000]);
        assert_eq!(
            decode(Some("gzip"), &bomb, 1000).unwrap_err(),
            DecodeError::TooLarge {
                coding: "gzip",
                limit: 1000
            }
        );
        assert!(matches!(
            decode(Some("gzip"), b"not gzip", 1000),
            Err(DecodeError::Corrupt { .. })
        ));
        assert_eq!(
            decode(Some("br"), b"x", 10).unwrap_err().to_string(),
            "the content coding `br` is not one that can be read (gzip, deflate)"
        );
    }
}
