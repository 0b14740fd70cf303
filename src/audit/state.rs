//! What the rules remember between exchanges, per port and per client, and the checks that wait
//! for later exchanges (a PauseRecording waits for its DesktopPause). Everything here is bounded:
//! per-port state by the ports seen, the rest pruned once it is older than its rule's window.

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
