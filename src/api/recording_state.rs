//! The recording states a port reports through PortStatus and PortStatusEX.

use std::fmt;

use compact_str::CompactString;

/// The state of a unit and port's recording, spelled on the wire exactly as the guides list it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum RecordingState {
    /// `NOT RECORDING`: stopped or never started.
    #[default]
    NotRecording,
    /// `RECORD`: recording.
    Record,
    /// `PAUSE`: paused, typically around sensitive data.
    Pause,
    /// `SUSPENDED`: the call is on hold.
    Suspended,
}

impl RecordingState {
    /// Every state.
    pub const ALL: [RecordingState; 4] = [
        RecordingState::NotRecording,
        RecordingState::Record,
        RecordingState::Pause,
        RecordingState::Suspended,
    ];

    /// The state's text on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            RecordingState::NotRecording => "NOT RECORDING",
            RecordingState::Record => "RECORD",
            RecordingState::Pause => "PAUSE",
            RecordingState::Suspended => "SUSPENDED",
        }
    }

    /// The state's text on the wire as a `portStatus` value holds it: made once, at compile time,
    /// so that every PortStatus answer copies it instead of writing it.
    pub fn text(self) -> CompactString {
        const NOT_RECORDING: CompactString = CompactString::const_new("NOT RECORDING");
        const RECORD: CompactString = CompactString::const_new("RECORD");
        const PAUSE: CompactString = CompactString::const_new("PAUSE");
        const SUSPENDED: CompactString = CompactString::const_new("SUSPENDED");
        match self {
            RecordingState::NotRecording => NOT_RECORDING,
            RecordingState::Record => RECORD,
            RecordingState::Pause => PAUSE,
            RecordingState::Suspended => SUSPENDED,
        }
    }

    /// The state named by its wire text, if any.
    pub fn from_wire(s: &str) -> Option<RecordingState> {
        RecordingState::ALL.into_iter().find(|st| st.as_str() == s)
    }
}

impl fmt::Display for RecordingState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_names_round_trip() {
        for st in RecordingState::ALL {
            assert_eq!(RecordingState::from_wire(st.as_str()), Some(st));
        }
        assert_eq!(RecordingState::NotRecording.as_str(), "NOT RECORDING");
        assert_eq!(RecordingState::from_wire("record"), None);
        for st in RecordingState::ALL {
            assert_eq!(st.text(), st.as_str());
        }
    }
}
