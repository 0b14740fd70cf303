//! What every profile shares: the clock, the API version, faults, the store and the call index.

use std::sync::Arc;

use chrono::NaiveDateTime;

use super::{Clock, Faults, PortRef, Refusal, Store};
use crate::api::{ApiVersion, Operation, ResponseCode};

/// State and settings common to both profiles.
#[derive(Debug)]
pub struct Shared {
    /// The API version the simulator speaks.
    pub api: ApiVersion,
    /// The simulator's clock.
    pub clock: Clock,
    /// Faults and delays in force.
    pub faults: Faults,
    /// Recordings and events kept.
    pub store: Store,
    /// The URL player's base, e.g. `https://encore.example.com`; `None`: not configured.
    pub url_base: Option<String>,
    /// Whether a served simulator keeps `url_base` (a base the caller gave, or a configuration
    /// with `url_player_when_served`) instead of pointing links at itself.
    pub keep_url_base_when_served: bool,
    /// The last call index handed out; never reset, so indexes stay unique.
    pub last_index: u64,
    /// The unit and port the request being answered names, if it names one: port-scoped faults
    /// match it.
    pub at: Option<PortRef>,
    /// Signs GetURL links with a key for their call index; `None`: links carry no key.
    pub link_signer: Option<LinkSigner>,
}

/// Makes the `key` a GetURL link carries for a call index, so that only someone handed the link
/// can open its player page. The server that serves the player owns the secret; the simulator
/// only asks for the key.
#[derive(Clone)]
pub struct LinkSigner(pub Arc<dyn Fn(&str) -> String + Send + Sync>);

impl std::fmt::Debug for LinkSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("LinkSigner")
    }
}

impl Shared {
    /// Answers the injected fault for `op`, if one fires. Rules call this after every check has
    /// passed and before they change anything, so a faulted request leaves no trace in the state.
    #[inline]
    pub fn fault_gate(&mut self, op: Operation) -> Result<(), Refusal> {
        match self.faults.take(op, self.at.as_ref()) {
            None => Ok(()),
            Some(code) => {
                let code = ResponseCode::from_code(code).unwrap_or(ResponseCode::UnexpectedError);
                Err(Refusal::new(
                    code,
                    format!("injected fault: {op} answers {}", code.code()),
                ))
            }
        }
    }

    /// A new call index: digits, a dot, digits, unique per recording. The first part counts hours
    /// since 2000-01-01, the second the recordings made by this simulator.
    pub fn next_index(&mut self, now: NaiveDateTime) -> String {
        self.last_index += 1;
        let epoch = chrono::NaiveDate::from_ymd_opt(2000, 1, 1)
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .expect("a valid date");
        let hours = (now - epoch).num_hours().max(0);
        format!("{hours}.{:04}", self.last_index)
    }

    /// The GetURL link for a call index, with `&key=` when links are signed.
    pub fn url_for(&self, base: &str, index: &str) -> String {
        let mut url = format!(
            "{}/encore/urlplayer.aspx?fldCallIndex={index}&siteid=1",
            base.trim_end_matches('/')
        );
        if let Some(LinkSigner(sign)) = &self.link_signer {
            url.push_str("&key=");
            url.push_str(&sign(index));
        }
        url
    }
}
