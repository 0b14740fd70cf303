//! The server's secrets: the control interface's token and the keys of player links.
//!
//! A token is 128 random bits from the system's generator (ring's `SystemRandom`), written as 32
//! lowercase hex digits. A player link's key is the first 128 bits of HMAC-SHA-256 over the
//! simulator the link belongs to and the call index, keyed by the control token: a link cannot be
//! made for an index without the token, a session's link opens nothing of the server's own
//! simulator or of another session (every simulator counts its call indexes from 1), and links
//! handed out by a server started with a fixed `--control-token` keep opening after a restart.
//! Comparisons of secrets take the same time whatever the first difference.
//!
//! Secrets in a request's address (a session's id in `/sessions/<id>/…`, a link's `key=`) are
//! logged as their first [`LOGGED_PREFIX`] characters only ([`LoggedUri`]).

use ring::hmac;
use ring::rand::{SecureRandom, SystemRandom};

use crate::simulator::LinkSigner;

/// A fresh random token: 32 lowercase hex digits (128 bits).
///
/// # Errors
/// The system's random generator failed (no entropy source), as text.
pub fn random_token() -> Result<String, String> {
    let mut bytes = [0u8; 16];
    SystemRandom::new()
        .fill(&mut bytes)
        .map_err(|_| "the system's random generator failed".to_string())?;
    Ok(hex(&bytes))
}

/// The key of the player link of a call index: 32 hex digits.
#[derive(Clone)]
pub struct LinkKeys(hmac::Key);

impl std::fmt::Debug for LinkKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("LinkKeys")
    }
}

impl LinkKeys {
    /// Keys derived from a secret (the control token).
    pub fn new(secret: &str) -> LinkKeys {
        LinkKeys(hmac::Key::new(
            hmac::HMAC_SHA256,
            format!("ecapi player links\n{secret}").as_bytes(),
        ))
    }

    /// The key for `index` in a simulator: the server's own (`session` is `None`) or a session's.
    /// The server's own keys sign the index alone, as they always did; a session's sign
    /// `session <id>` and the index on a line of their own (an index is digits and a dot, so the
    /// two never meet).
    pub fn key(&self, session: Option<&str>, index: &str) -> String {
        let tag = match session {
            None => hmac::sign(&self.0, index.as_bytes()),
            Some(id) => hmac::sign(&self.0, format!("session {id}\n{index}").as_bytes()),
        };
        hex(&tag.as_ref()[..16])
    }

    /// Whether `key` is the key of `index` in that simulator.
    pub fn verify(&self, session: Option<&str>, index: &str, key: &str) -> bool {
        same(&self.key(session, index), key)
    }

    /// The signer a simulator (the server's own, or a session's) calls when it writes a GetURL
    /// link.
    pub fn signer(&self, session: Option<&str>) -> LinkSigner {
        let keys = self.clone();
        let session = session.map(str::to_string);
        LinkSigner(std::sync::Arc::new(move |index: &str| {
            keys.key(session.as_deref(), index)
        }))
    }
}

/// Compares two secrets in time that depends only on their lengths.
pub fn same(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// How many characters of a session id or a link key the log shows: enough to tell lines apart,
/// far too few to use.
pub const LOGGED_PREFIX: usize = 8;

/// A request's address as the log writes it: a session's id and a link's `key` cut to their first
/// [`LOGGED_PREFIX`] characters, followed by `…`.
#[derive(Debug, Clone, Copy)]
pub struct LoggedUri<'a>(pub &'a axum::http::Uri);

impl std::fmt::Display for LoggedUri<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Written piece by piece: every request's log line writes its address.
        let path = self.0.path();
        match path.strip_prefix(SESSIONS) {
            Some(rest) => {
                let (id, tail) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
                f.write_str(SESSIONS)?;
                write_shortened(f, id)?;
                f.write_str(tail)?;
            }
            None => f.write_str(path)?,
        }
        if let Some(query) = self.0.query() {
            f.write_str("?")?;
            for (i, pair) in query.split('&').enumerate() {
                if i > 0 {
                    f.write_str("&")?;
                }
                match pair.split_once('=') {
                    Some((name, value)) if name.eq_ignore_ascii_case("key") => {
                        f.write_str(name)?;
                        f.write_str("=")?;
                        write_shortened(f, value)?;
                    }
                    _ => f.write_str(pair)?,
                }
            }
        }
        Ok(())
    }
}

/// What a path with a session id in it begins with ([`super::SESSIONS_PREFIX`] and a `/`); the
/// id follows.
const SESSIONS: &str = "/sessions/";

/// Writes a secret's first [`LOGGED_PREFIX`] characters and `…`, or the whole when no longer.
fn write_shortened(out: &mut impl std::fmt::Write, secret: &str) -> std::fmt::Result {
    match secret.char_indices().nth(LOGGED_PREFIX) {
        Some((at, _)) => {
            out.write_str(&secret[..at])?;
            out.write_str("…")
        }
        None => out.write_str(secret),
    }
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    bytes.iter().fold(String::new(), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_128_bits_of_hex_and_differ() {
        let (a, b) = (random_token().unwrap(), random_token().unwrap());
        assert_eq!(a.len(), 32);
        assert!(a.bytes().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(a, b);
    }

    #[test]
    fn a_link_key_belongs_to_its_index_its_secret_and_its_simulator() {
        let keys = LinkKeys::new("secret");
        let key = keys.key(None, "235000.0001");
        assert!(keys.verify(None, "235000.0001", &key));
        assert!(!keys.verify(None, "235000.0002", &key));
        assert!(!LinkKeys::new("other").verify(None, "235000.0001", &key));
        assert!(!keys.verify(None, "235000.0001", ""));
        let a = keys.key(Some("aa11"), "235000.0001");
        assert!(keys.verify(Some("aa11"), "235000.0001", &a));
        assert!(!keys.verify(None, "235000.0001", &a));
        assert!(!keys.verify(Some("bb22"), "235000.0001", &a));
        assert!(!keys.verify(Some("aa11"), "235000.0001", &key));
    }

    #[test]
    fn a_logged_address_shows_only_the_start_of_session_ids_and_link_keys() {
        let uri: axum::http::Uri =
            "/sessions/0123456789abcdef0123456789abcdef/encore/urlplayer.aspx?fldCallIndex=1.0001&KEY=fedcba9876543210fedcba9876543210"
                .parse()
                .unwrap();
        assert_eq!(
            LoggedUri(&uri).to_string(),
            "/sessions/01234567…/encore/urlplayer.aspx?fldCallIndex=1.0001&KEY=fedcba98…"
        );
        let plain: axum::http::Uri = "/WebAPI/ECAPI.svc?wsdl".parse().unwrap();
        assert_eq!(LoggedUri(&plain).to_string(), "/WebAPI/ECAPI.svc?wsdl");
    }
}
