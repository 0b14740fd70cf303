//! Response codes and their messages, byte for byte as the guides' tables print them.

use std::fmt;

/// A response code from the guides' table, plus 627, which the guides use without listing.
///
/// A code other than 100 is data, not an error: it is what the recorder answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u16)]
pub enum ResponseCode {
    /// Request successful.
    Success = 100,
    /// The Unit parameter is not valid.
    UnitDoesNotExist = 606,
    /// Stop, cancel, pause (and, in the hosted service, other requests) on a port that is not recording.
    PortNotRecording = 608,
    /// Start on a port that is already recording.
    PortAlreadyRecording = 609,
    /// Start failed creating the transaction file.
    TransactionRecord = 610,
    /// The Port parameter is not valid.
    PortDoesNotExist = 611,
    /// Stop or cancel on a port that is neither recording nor paused.
    PortNotInRecordOrPause = 616,
    /// Start failed: every licence is in use.
    AllLicensesInUse = 618,
    /// Internal communication error between the Recording Engine and the Recording Server.
    EngineNotConnected = 621,
    /// No port available on a load-balanced Recording Server.
    NoPortsAvailable = 626,
    /// Resume on a port that is not paused (used by the guides without being listed).
    PortNotInPauseMode = 627,
    /// The web service cannot reach the recorder.
    ServiceNotConnected = 651,
    /// AssignField or GetField without a field name, or AssignField without a value.
    FieldNameAndValueRequired = 652,
    /// An unexpected error while processing the request (also: a value that does not fit).
    UnexpectedError = 653,
    /// InitUser without a user name or machine name.
    UserAndMachineRequired = 654,
    /// InitUser: no recording port for that user.
    NoPortForUser = 655,
    /// InitUser: more than one recording port for that user.
    SeveralPortsForUser = 656,
    /// LogEvent without an event type.
    EventTypeRequired = 657,
    /// GetURL with no URL player configured.
    UrlPlayerNotDefined = 658,
    /// InitStation without an extension.
    ExtensionRequired = 659,
    /// InitStation: no recording port for that station.
    NoPortForStation = 660,
    /// InitStation: more than one recording port for that station.
    SeveralPortsForStation = 661,
    /// DesktopPause or DesktopResume without a user name.
    UserNameRequired = 662,
    /// Desktop recording is not possible for that user.
    DesktopNotPossible = 663,
    /// DesktopPause failed.
    DesktopPauseFailed = 664,
    /// DesktopResume failed.
    DesktopResumeFailed = 665,
    /// The system could not write to disk.
    DiskError = 801,
}

impl ResponseCode {
    /// Every code, in numeric order.
    pub const ALL: [ResponseCode; 27] = [
        ResponseCode::Success,
        ResponseCode::UnitDoesNotExist,
        ResponseCode::PortNotRecording,
        ResponseCode::PortAlreadyRecording,
        ResponseCode::TransactionRecord,
        ResponseCode::PortDoesNotExist,
        ResponseCode::PortNotInRecordOrPause,
        ResponseCode::AllLicensesInUse,
        ResponseCode::EngineNotConnected,
        ResponseCode::NoPortsAvailable,
        ResponseCode::PortNotInPauseMode,
        ResponseCode::ServiceNotConnected,
        ResponseCode::FieldNameAndValueRequired,
        ResponseCode::UnexpectedError,
        ResponseCode::UserAndMachineRequired,
        ResponseCode::NoPortForUser,
        ResponseCode::SeveralPortsForUser,
        ResponseCode::EventTypeRequired,
        ResponseCode::UrlPlayerNotDefined,
        ResponseCode::ExtensionRequired,
        ResponseCode::NoPortForStation,
        ResponseCode::SeveralPortsForStation,
        ResponseCode::UserNameRequired,
        ResponseCode::DesktopNotPossible,
        ResponseCode::DesktopPauseFailed,
        ResponseCode::DesktopResumeFailed,
        ResponseCode::DiskError,
    ];

    /// The numeric code.
    pub fn code(self) -> u16 {
        self as u16
    }

    /// The code with this number, if the guides define one.
    pub fn from_code(code: u16) -> Option<ResponseCode> {
        ResponseCode::ALL.into_iter().find(|c| c.code() == code)
    }

    /// The exact responseMessage text.
    pub fn message(self) -> &'static str {
        match self {
            ResponseCode::Success => "Command executed as expected",
            ResponseCode::UnitDoesNotExist => "Error: Recording unit does not exist",
            ResponseCode::PortNotRecording => "Warning: Port was not recording",
            ResponseCode::PortAlreadyRecording => "Warning: Port already recording",
            ResponseCode::TransactionRecord => "Error: Issue creating transaction record",
            ResponseCode::PortDoesNotExist => "Error: Port does not exist",
            ResponseCode::PortNotInRecordOrPause => "Error: Port not in record or pause mode",
            ResponseCode::AllLicensesInUse => "Error: Start recording failed, all licenses in use",
            ResponseCode::EngineNotConnected => {
                "Error: Recording Engine is not connected to the recording server"
            }
            ResponseCode::NoPortsAvailable => {
                "Error: Recording Engine determined there are no ports available on a Recording Server that supports load balancing."
            }
            ResponseCode::PortNotInPauseMode => "Warning: Port not in pause mode",
            ResponseCode::ServiceNotConnected => {
                "Error: ECAPI Web Service is not connected to the recorder"
            }
            ResponseCode::FieldNameAndValueRequired => {
                "Error: Field name and field value must be provided"
            }
            ResponseCode::UnexpectedError => {
                "Error: An unexpected error occurred while processing request"
            }
            ResponseCode::UserAndMachineRequired => {
                "Error: Both User name and machine name must be provided"
            }
            ResponseCode::NoPortForUser => {
                "Error: No recording port is defined for the specified machine name and user name"
            }
            ResponseCode::SeveralPortsForUser => {
                "Error: More than one recording port is defined for the specified machine name and/or user name"
            }
            ResponseCode::EventTypeRequired => "Error: EventType is not provided",
            ResponseCode::UrlPlayerNotDefined => {
                "Error: URL player address is not defined in ECAPI Web service's Web.config"
            }
            ResponseCode::ExtensionRequired => "Error: Extension must be provided",
            ResponseCode::NoPortForStation => {
                "Error: No recording port is defined for the specified station"
            }
            ResponseCode::SeveralPortsForStation => {
                "Error: More than one recording port is defined for the specified station"
            }
            ResponseCode::UserNameRequired => "Error: User name must be provided",
            ResponseCode::DesktopNotPossible => "Error: Desktop recording is not possible",
            ResponseCode::DesktopPauseFailed => "Error: Desktop Pause recording failed",
            ResponseCode::DesktopResumeFailed => "Error: Desktop Resume recording failed",
            ResponseCode::DiskError => {
                "System Error: Error writing to disk (disk is full, path does not exist, no write permissions, etc.)"
            }
        }
    }

    /// Whether the guides call this code a warning (608, 609, 627) rather than an error.
    pub fn is_warning(self) -> bool {
        matches!(
            self,
            ResponseCode::PortNotRecording
                | ResponseCode::PortAlreadyRecording
                | ResponseCode::PortNotInPauseMode
        )
    }
}

impl fmt::Display for ResponseCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.code(), self.message())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_round_trips_through_its_number() {
        for c in ResponseCode::ALL {
            assert_eq!(ResponseCode::from_code(c.code()), Some(c));
        }
        assert_eq!(ResponseCode::from_code(999), None);
        let mut numbers: Vec<u16> = ResponseCode::ALL.iter().map(|c| c.code()).collect();
        let sorted = {
            let mut s = numbers.clone();
            s.sort();
            s
        };
        assert_eq!(numbers, sorted, "ALL is in numeric order");
        numbers.dedup();
        assert_eq!(numbers.len(), ResponseCode::ALL.len());
    }

    #[test]
    fn messages_are_the_guides_text() {
        assert_eq!(
            ResponseCode::Success.message(),
            "Command executed as expected"
        );
        assert_eq!(
            ResponseCode::PortNotInPauseMode.message(),
            "Warning: Port not in pause mode"
        );
        assert_eq!(
            ResponseCode::UrlPlayerNotDefined.message(),
            "Error: URL player address is not defined in ECAPI Web service's Web.config"
        );
        assert!(ResponseCode::NoPortsAvailable
            .message()
            .ends_with("load balancing."));
    }

    #[test]
    fn warnings_are_608_609_and_627() {
        let warnings: Vec<u16> = ResponseCode::ALL
            .into_iter()
            .filter(|c| c.is_warning())
            .map(|c| c.code())
            .collect();
        assert_eq!(warnings, vec![608, 609, 627]);
    }
}
