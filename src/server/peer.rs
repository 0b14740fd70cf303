//! The client's address as text, as the log line and the audit's exchange name it
//! ([`crate::exchange::Exchange::client_of`]'s text), remembered per thread for the connections
//! seen last: a kept-alive connection sends request after request from one address, and writing
//! the address out again for each cost more than the rest of the log line.

use std::cell::RefCell;
use std::net::SocketAddr;

use compact_str::CompactString;

/// How many addresses each thread remembers: 128 pairs of places, an address's pair chosen by
/// its port mixed with its IP address, so that a look-up is one or two comparisons. Clients'
/// ports are scattered (the system picks them), so two live connections may share a pair; three
/// rarely do.
const PAIRS: usize = 128;

/// `peer` as [`crate::exchange::Exchange::client_of`] writes it (`SocketAddr`'s `Display`).
pub fn client_text(peer: SocketAddr) -> CompactString {
    thread_local! {
        // Allocated on a thread's first use: a thread that serves no request (an agent of
        // `ecapi load`, say) carries an empty vector.
        static RECENT: RefCell<Vec<Option<(SocketAddr, CompactString)>>> =
            const { RefCell::new(Vec::new()) };
    }
    RECENT.with(|recent| {
        let Ok(mut recent) = recent.try_borrow_mut() else {
            return crate::exchange::Exchange::client_of(peer);
        };
        if recent.is_empty() {
            recent.resize_with(2 * PAIRS, || None);
        }
        let first = 2 * pair(peer);
        if let Some((known, text)) = &recent[first] {
            if *known == peer {
                return text.clone();
            }
        }
        if let Some((known, text)) = &recent[first + 1] {
            if *known == peer {
                let text = text.clone();
                // The one used last goes first; the other is the next to be replaced.
                recent.swap(first, first + 1);
                return text;
            }
        }
        let text = crate::exchange::Exchange::client_of(peer);
        recent.swap(first, first + 1);
        recent[first] = Some((peer, text.clone()));
        text
    })
}

/// The pair of places for `peer`.
fn pair(peer: SocketAddr) -> usize {
    let ip = match peer {
        SocketAddr::V4(v4) => u32::from(*v4.ip()),
        SocketAddr::V6(v6) => {
            let bits = u128::from(*v6.ip());
            (bits ^ (bits >> 32) ^ (bits >> 64) ^ (bits >> 96)) as u32
        }
    };
    (usize::from(peer.port()) ^ (ip as usize).wrapping_mul(31)) % PAIRS
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_address_is_written_as_it_displays_however_often_and_whatever_shares_its_place() {
        let addresses: Vec<SocketAddr> = [
            "127.0.0.1:50312",
            "127.0.0.1:50440", // the same pair as the first (128 ports on)
            "127.0.0.1:50568", // and a third
            "10.0.0.1:50312",
            "0.0.0.0:0",
            "255.255.255.255:65535",
            "[::1]:50312",
            "[fe80::1%2]:1",
            "[2001:db8:85a3::8a2e:370:7334]:443",
        ]
        .iter()
        .map(|a| a.parse().unwrap())
        .collect();
        assert_eq!(pair(addresses[0]), pair(addresses[1]));
        assert_eq!(pair(addresses[0]), pair(addresses[2]));
        for _ in 0..3 {
            for &addr in &addresses {
                assert_eq!(client_text(addr), addr.to_string());
            }
        }
        // Many more addresses than places, alternating: each still its own text.
        for port in 0..1_000u16 {
            let addr = SocketAddr::from(([127, 0, 0, (port % 3) as u8], 40_000 + port));
            assert_eq!(client_text(addr), addr.to_string());
            assert_eq!(client_text(addresses[0]), addresses[0].to_string());
        }
    }
}
