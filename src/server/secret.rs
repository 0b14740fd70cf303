//! The server's secrets: the control interface's token and the keys of player links.
//!
//! A token is 128 random bits from the system's generator (ring's `SystemRandom`), written as 32
//! lowercase hex digits. A player link's key is the first 128 bits of HMAC-SHA-256 over the call
//! index, keyed by the control token, so a link cannot be made for an index without the token,
//! and links handed out by a server started with a fixed `--control-token` keep opening after a
//! restart. Comparisons of secrets take the same time whatever the first difference.

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

    /// The key for `index`.
    pub fn key(&self, index: &str) -> String {
        let tag = hmac::sign(&self.0, index.as_bytes());
        hex(&tag.as_ref()[..16])
    }

    /// Whether `key` is the key of `index`.
    pub fn verify(&self, index: &str, key: &str) -> bool {
        same(&self.key(index), key)
    }

    /// The signer the simulator calls when it writes a GetURL link.
    pub fn signer(&self) -> LinkSigner {
        let keys = self.clone();
        LinkSigner(std::sync::Arc::new(move |index: &str| keys.key(index)))
    }
}

/// Compares two secrets in time that depends only on their lengths.
pub fn same(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
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
    fn a_link_key_belongs_to_its_index_and_its_secret() {
        let keys = LinkKeys::new("secret");
        let key = keys.key("235000.0001");
        assert!(keys.verify("235000.0001", &key));
        assert!(!keys.verify("235000.0002", &key));
        assert!(!LinkKeys::new("other").verify("235000.0001", &key));
        assert!(!keys.verify("235000.0001", ""));
    }
}
