//! The client's address as text, as the log line and the audit's exchange name it
//! ([`crate::exchange::Exchange::client_of`]'s text), remembered per thread for the connections
//! seen last: a kept-alive connection sends request after request from one address, and writing
//! the address out again for each cost more than the rest of the log line.

use std::cell::RefCell;
use std::net::SocketAddr;

use compact_str::CompactString;

/// How many addresses each thread remembers: a direct-mapped table, one place per address (by its
/// port, mixed with its IP address), so that a look-up is one comparison.
const REMEMBERED: usize = 64;

/// `peer` as [`crate::exchange::Exchange::client_of`] writes it (`SocketAddr`'s `Display`).
pub fn client_text(peer: SocketAddr) -> CompactString {
    thread_local! {
        static RECENT: RefCell<[Option<(SocketAddr, CompactString)>; REMEMBERED]> =
            const { RefCell::new([const { None }; REMEMBERED]) };
    }
    RECENT.with(|recent| {
        let Ok(mut recent) = recent.try_borrow_mut() else {
            return crate::exchange::Exchange::client_of(peer);
        };
        let slot = &mut recent[place(peer)];
        match slot {
            Some((known, text)) if *known == peer => text.clone(),
            _ => {
                let text = crate::exchange::Exchange::client_of(peer);
                *slot = Some((peer, text.clone()));
                text
            }
        }
    })
}

/// The table's place for `peer`.
fn place(peer: SocketAddr) -> usize {
    let ip = match peer {
        SocketAddr::V4(v4) => u32::from(*v4.ip()),
        SocketAddr::V6(v6) => {
            let bits = u128::from(*v6.ip());
            (bits ^ (bits >> 32) ^ (bits >> 64) ^ (bits >> 96)) as u32
        }
    };
    (usize::from(peer.port()) ^ (ip as usize).wrapping_mul(31)) % REMEMBERED
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_address_is_written_as_it_displays_however_often_and_whatever_shares_its_place() {
        let addresses: Vec<SocketAddr> = [
            "127.0.0.1:50312",
            "127.0.0.1:50376", // the same place as the first (64 ports on)
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
        assert_eq!(place(addresses[0]), place(addresses[1]));
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
