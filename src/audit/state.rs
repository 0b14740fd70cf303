//! What the rules remember between exchanges, per port and per client, and the checks that wait
//! for later exchanges (a PauseRecording waits for its DesktopPause). Everything here is bounded:
//! per-port state by the ports seen, the rest pruned once it is older than its rule's window.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use compact_str::CompactString;

use super::finding::Seen;
use crate::api::Operation;

/// A unit and port, as requests name them.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PortKey {
    /// The unit.
    pub unit: CompactString,
    /// The port.
    pub port: CompactString,
}

impl PortKey {
    /// `unit/port`, as findings name a port.
    pub fn label(&self) -> String {
        format!("{}/{}", self.unit, self.port)
    }
}

/// The last request for a port or from a client: enough to say it again in a finding.
#[derive(Debug, Clone)]
pub struct InFlight {
    /// Its number.
    pub seq: u64,
    /// Its operation.
    pub op: Option<Operation>,
    /// When it was sent.
    pub sent: DateTime<Utc>,
    /// When its answer was complete (or, without one, when it was sent).
    pub ended: DateTime<Utc>,
}

impl InFlight {
    /// The request as a finding names it.
    pub fn seen(&self) -> Seen {
        Seen {
            seq: self.seq,
            time: super::finding::stamp(self.sent),
            line: format!(
                "{} (answered {})",
                self.op.map_or("(no operation)", Operation::name),
                super::finding::stamp(self.ended)
            ),
        }
    }
}

/// What the rules know of one port.
#[derive(Debug, Clone, Default)]
pub struct PortState {
    /// The login InitUser answered this port for, or the directory gives it.
    pub login: Option<String>,
    /// Whether PortStatus or PortStatusEX was asked since the port last changed.
    pub checked: bool,
    /// Whether a recording was started and not yet stopped or cancelled.
    pub recording: bool,
    /// The last request for the port.
    pub last: Option<InFlight>,
}

/// Every port seen, with what the rules know of it; ports are never forgotten (they are bounded
/// by the ports requests name).
///
/// Every request that names a port looks it up, so the look-up is on the request path of `ecapi
/// serve` and of every script call. Requests for one port usually come one after another (a CRM's
/// call flow), so the port found last is compared first, before any hashing.
#[derive(Debug, Default)]
pub struct Ports {
    /// The ports in the order first seen.
    states: Vec<(PortKey, PortState)>,
    /// Where each port is in `states`.
    index: HashMap<PortKey, usize, foldhash::fast::RandomState>,
    /// The port found last (meaningless while `states` is empty).
    last: usize,
}

impl Ports {
    /// The port a request names, by its unit and port texts: its place, added when first seen.
    pub fn find_or_add(&mut self, unit: &str, port: &str) -> usize {
        if let Some((key, _)) = self.states.get(self.last) {
            if key.unit == unit && key.port == port {
                return self.last;
            }
        }
        let key = PortKey {
            unit: unit.into(),
            port: port.into(),
        };
        self.last = self.place(key);
        self.last
    }

    /// A port's state, added when first seen.
    pub fn entry(&mut self, key: &PortKey) -> &mut PortState {
        let i = match self.index.get(key) {
            Some(i) => *i,
            None => self.place(key.clone()),
        };
        &mut self.states[i].1
    }

    /// A port's state, when seen.
    pub fn get(&self, key: &PortKey) -> Option<&PortState> {
        self.index.get(key).map(|i| &self.states[*i].1)
    }

    /// The key of the port at `i` (from [`Ports::find_or_add`]).
    pub fn key(&self, i: usize) -> &PortKey {
        &self.states[i].0
    }

    /// The state of the port at `i` (from [`Ports::find_or_add`]).
    pub fn state(&self, i: usize) -> &PortState {
        &self.states[i].1
    }

    /// The key and the state, to change, of the port at `i` (from [`Ports::find_or_add`]).
    pub fn key_and_state_mut(&mut self, i: usize) -> (&PortKey, &mut PortState) {
        let (key, state) = &mut self.states[i];
        (key, state)
    }

    fn place(&mut self, key: PortKey) -> usize {
        if let Some(i) = self.index.get(&key) {
            return *i;
        }
        let i = self.states.len();
        self.index.insert(key.clone(), i);
        self.states.push((key, PortState::default()));
        i
    }
}

/// PauseRecording/DesktopPause or ResumeRecording/DesktopResume.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Pair {
    /// PauseRecording and DesktopPause.
    Pause,
    /// ResumeRecording and DesktopResume.
    Resume,
}

impl Pair {
    /// The recording operation and its desktop twin.
    pub fn ops(self) -> (Operation, Operation) {
        match self {
            Pair::Pause => (Operation::PauseRecording, Operation::DesktopPause),
            Pair::Resume => (Operation::ResumeRecording, Operation::DesktopResume),
        }
    }
}

/// A PauseRecording (ResumeRecording) waiting for its DesktopPause (DesktopResume).
#[derive(Debug, Clone)]
pub struct PendingDesktop {
    /// Which pair.
    pub pair: Pair,
    /// The port's login, lowercased; `None` when unknown (under `--desktop-users all`, any
    /// desktop request answers it).
    pub login: Option<String>,
    /// The login as it was given, for the finding.
    pub login_shown: Option<String>,
    /// The port.
    pub port: PortKey,
    /// The client that sent the pause.
    pub client: Option<String>,
    /// The latest time its desktop twin may come.
    pub due: DateTime<Utc>,
    /// The pause itself.
    pub seen: Seen,
}

/// Recent answers of one request with one non-100 code.
#[derive(Debug, Clone, Default)]
pub struct Storm {
    /// (sent, number) of each, oldest first, within the window.
    pub times: std::collections::VecDeque<(DateTime<Utc>, u64)>,
    /// Whether this storm was reported already.
    pub reported: bool,
}

/// The last InitStation (InitUser) for an extension (login).
#[derive(Debug, Clone)]
pub struct InitSeen {
    /// When it was sent.
    pub sent: DateTime<Utc>,
    /// Its number.
    pub seq: u64,
    /// What it answered: code, unit, port.
    pub answer: (u16, CompactString, CompactString),
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(unit: &str, port: &str) -> PortKey {
        PortKey {
            unit: unit.into(),
            port: port.into(),
        }
    }

    #[test]
    fn a_port_is_found_again_by_its_texts_whichever_port_came_between() {
        let mut ports = Ports::default();
        let five = ports.find_or_add("1", "5");
        assert_eq!(ports.find_or_add("1", "5"), five, "the last port, again");
        let (five_key, five_state) = ports.key_and_state_mut(five);
        assert_eq!(five_key, &key("1", "5"));
        five_state.checked = true;
        let six = ports.find_or_add("1", "6");
        assert_ne!(six, five);
        assert_eq!(ports.key(six), &key("1", "6"));
        assert!(!ports.state(six).checked);
        assert_eq!(
            ports.find_or_add("1", "5"),
            five,
            "an earlier port, by its key"
        );
        assert!(ports.get(&key("1", "5")).unwrap().checked);
        // Texts are compared as given: " 5" is another port, and so is unit 15 port "".
        assert_ne!(ports.find_or_add("1", " 5"), five);
        assert_ne!(ports.find_or_add("15", ""), ports.find_or_add("1", "5"));
        assert!(ports.get(&key("2", "5")).is_none());
        ports.entry(&key("2", "5")).recording = true;
        let two = ports.find_or_add("2", "5");
        assert!(ports.state(two).recording, "entry and find_or_add agree");
        assert_eq!(ports.find_or_add("1", "6"), six);
    }
}
