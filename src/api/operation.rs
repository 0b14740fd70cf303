//! The fifteen operations: names, the version that introduced each, parameters in the guide's order
//! for each version, the extra fields of a successful response, and a short description.

use std::fmt;

use super::{ApiVersion, Param};

/// An Encore Web API request type, named as in the guides.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Operation {
    /// `InitStation`: find the unit and port of a phone extension.
    InitStation,
    /// `InitUser`: find the unit and port of a Windows login.
    InitUser,
    /// `CancelRecording`: stop and discard.
    CancelRecording,
    /// `PauseRecording`: stop recording sensitive audio until resumed.
    PauseRecording,
    /// `ResumeRecording` (7.1): recording again after a pause.
    ResumeRecording,
    /// `StartRecording`: begin, or restart after a pause.
    StartRecording,
    /// `StopRecording`: end and keep.
    StopRecording,
    /// `AssignField`: write a database column of the recording.
    AssignField,
    /// `LogEvent`: write an event to the event table.
    LogEvent,
    /// `GetField` (7.1): read a database column of the recording.
    GetField,
    /// `GetURL`: a link that plays the recording.
    GetUrl,
    /// `PortStatus`: the recording state.
    PortStatus,
    /// `PortStatusEX` (7.1): the recording state and how long it has lasted.
    PortStatusEx,
    /// `DesktopPause` (7.1): pause a user's desktop recording.
    DesktopPause,
    /// `DesktopResume` (7.1): resume a user's desktop recording.
    DesktopResume,
}

/// A field that a successful response carries besides responseCode and responseMessage.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ResultField {
    /// `Port`: the recording port (InitStation, InitUser).
    Port,
    /// `Unit`: the recording unit (InitStation, InitUser).
    Unit,
    /// `URL`: the recording's player link (GetURL).
    Url,
    /// `fieldValue`: a column's value (GetField).
    FieldValue,
    /// `portStatus`: the recording state (PortStatus, PortStatusEX).
    PortStatus,
    /// `stateDuration`: whole seconds in the current state (PortStatusEX), an `xs:int`.
    StateDuration,
}

impl ResultField {
    /// The element name on the wire.
    pub fn wire_name(self) -> &'static str {
        match self {
            ResultField::Port => "Port",
            ResultField::Unit => "Unit",
            ResultField::Url => "URL",
            ResultField::FieldValue => "fieldValue",
            ResultField::PortStatus => "portStatus",
            ResultField::StateDuration => "stateDuration",
        }
    }

    /// The property name on a script `Response`.
    pub fn script_name(self) -> &'static str {
        match self {
            ResultField::Port => "port",
            ResultField::Unit => "unit",
            ResultField::Url => "url",
            ResultField::FieldValue => "value",
            ResultField::PortStatus => "status",
            ResultField::StateDuration => "duration",
        }
    }

    /// Whether the field is an `xs:int` rather than an `xs:string`.
    pub fn is_int(self) -> bool {
        self == ResultField::StateDuration
    }
}

use Param as P;

const UNIT_PORT: &[Param] = &[P::Unit, P::Port];

impl Operation {
    /// Every operation, in the order of the 7.1 guide's table of contents.
    pub const ALL: [Operation; 15] = [
        Operation::InitStation,
        Operation::InitUser,
        Operation::CancelRecording,
        Operation::PauseRecording,
        Operation::ResumeRecording,
        Operation::StartRecording,
        Operation::StopRecording,
        Operation::AssignField,
        Operation::LogEvent,
        Operation::GetField,
        Operation::GetUrl,
        Operation::PortStatus,
        Operation::PortStatusEx,
        Operation::DesktopPause,
        Operation::DesktopResume,
    ];

    /// The operation's name on the wire, e.g. `PortStatusEX`.
    pub fn name(self) -> &'static str {
        match self {
            Operation::InitStation => "InitStation",
            Operation::InitUser => "InitUser",
            Operation::CancelRecording => "CancelRecording",
            Operation::PauseRecording => "PauseRecording",
            Operation::ResumeRecording => "ResumeRecording",
            Operation::StartRecording => "StartRecording",
            Operation::StopRecording => "StopRecording",
            Operation::AssignField => "AssignField",
            Operation::LogEvent => "LogEvent",
            Operation::GetField => "GetField",
            Operation::GetUrl => "GetURL",
            Operation::PortStatus => "PortStatus",
            Operation::PortStatusEx => "PortStatusEX",
            Operation::DesktopPause => "DesktopPause",
            Operation::DesktopResume => "DesktopResume",
        }
    }

    /// The script function for the operation: the guide's name in snake_case.
    pub fn script_name(self) -> &'static str {
        match self {
            Operation::InitStation => "init_station",
            Operation::InitUser => "init_user",
            Operation::CancelRecording => "cancel_recording",
            Operation::PauseRecording => "pause_recording",
            Operation::ResumeRecording => "resume_recording",
            Operation::StartRecording => "start_recording",
            Operation::StopRecording => "stop_recording",
            Operation::AssignField => "assign_field",
            Operation::LogEvent => "log_event",
            Operation::GetField => "get_field",
            Operation::GetUrl => "get_url",
            Operation::PortStatus => "port_status",
            Operation::PortStatusEx => "port_status_ex",
            Operation::DesktopPause => "desktop_pause",
            Operation::DesktopResume => "desktop_resume",
        }
    }

    /// The operation with this wire name, exactly.
    pub fn from_name(name: &str) -> Option<Operation> {
        Operation::ALL.into_iter().find(|op| op.name() == name)
    }

    /// The operation with this wire name or script name, compared without regard to case.
    pub fn lookup(name: &str) -> Option<Operation> {
        Operation::ALL.into_iter().find(|op| {
            op.name().eq_ignore_ascii_case(name) || op.script_name().eq_ignore_ascii_case(name)
        })
    }

    /// The first API version that has the operation.
    pub fn since(self) -> ApiVersion {
        match self {
            Operation::ResumeRecording
            | Operation::GetField
            | Operation::PortStatusEx
            | Operation::DesktopPause
            | Operation::DesktopResume => ApiVersion::V7_1,
            _ => ApiVersion::V7_0,
        }
    }

    /// Whether the operation exists in the given API version.
    pub fn exists_in(self, version: ApiVersion) -> bool {
        version >= self.since()
    }

    /// The parameters, in the order of the guide's table for that version.
    pub fn params(self, version: ApiVersion) -> &'static [Param] {
        match self {
            Operation::InitStation => &[P::Extension],
            Operation::InitUser => match version {
                ApiVersion::V7_0 => &[P::User, P::Machine],
                ApiVersion::V7_1 => &[P::Machine, P::User],
            },
            Operation::CancelRecording
            | Operation::PauseRecording
            | Operation::ResumeRecording
            | Operation::StopRecording
            | Operation::GetUrl
            | Operation::PortStatus
            | Operation::PortStatusEx => UNIT_PORT,
            Operation::StartRecording => &[P::Unit, P::Port, P::MaxRecordingTime],
            Operation::AssignField => &[P::Unit, P::Port, P::FieldName, P::FieldValue],
            Operation::LogEvent => &[
                P::Unit,
                P::Port,
                P::User,
                P::Machine,
                P::EventTimestamp,
                P::EventType,
                P::Parm1,
                P::Parm2,
                P::Parm3,
            ],
            Operation::GetField => &[P::Unit, P::Port, P::FieldName],
            Operation::DesktopPause | Operation::DesktopResume => &[P::User],
        }
    }

    /// The extra fields of a successful response, in the ordinal order of their wire names.
    pub fn result_fields(self) -> &'static [ResultField] {
        match self {
            Operation::InitStation | Operation::InitUser => &[ResultField::Port, ResultField::Unit],
            Operation::GetField => &[ResultField::FieldValue],
            Operation::GetUrl => &[ResultField::Url],
            Operation::PortStatus => &[ResultField::PortStatus],
            Operation::PortStatusEx => &[ResultField::PortStatus, ResultField::StateDuration],
            _ => &[],
        }
    }

    /// Whether the operation addresses a unit and port (and so answers 606 and 611).
    pub fn takes_unit_and_port(self) -> bool {
        self.params(ApiVersion::V7_1).contains(&P::Unit)
    }

    /// What the operation does, in one or two sentences.
    pub fn doc(self) -> &'static str {
        match self {
            Operation::InitStation => {
                "Finds the recording unit and port of a phone extension. Send it when the \
                 application starts or the agent's extension changes; it does not touch the recording."
            }
            Operation::InitUser => {
                "Finds the recording unit and port of a Windows login. Machine is informational only \
                 (pass the login again when it is unknown); it does not touch the recording."
            }
            Operation::CancelRecording => {
                "Ends the recording on a unit and port and throws it away with every field assigned \
                 to it. The port ends NOT RECORDING."
            }
            Operation::PauseRecording => {
                "Stops recording audio (and dependent screen) on a unit and port until Resume, Start, \
                 Stop or Cancel, e.g. while a card number is read out. It pauses a held call too."
            }
            Operation::ResumeRecording => {
                "Records again on a paused unit and port. A call on hold stays SUSPENDED."
            }
            Operation::StartRecording => {
                "Starts recording on a unit and port, or restarts a paused one. \
                 maxRecordingTimeInSeconds caps the recording; 0 means the system default."
            }
            Operation::StopRecording => {
                "Ends the recording on a unit and port and keeps it, with its fields, in the database."
            }
            Operation::AssignField => {
                "Stores a value in a database column of the current recording (customer number, \
                 ticket ID...). An empty name or value is refused."
            }
            Operation::LogEvent => {
                "Writes an event to the event table, tied to the current recording when there is one. \
                 Unit and Port are optional; under 7.1 the User can stand in for them."
            }
            Operation::GetField => {
                "Reads a database column of the current recording; empty when the column is unknown \
                 or unset."
            }
            Operation::GetUrl => {
                "Returns a link that plays the current recording in the Encore URL player, to store in \
                 the customer record."
            }
            Operation::PortStatus => {
                "Returns the recording state of a unit and port: RECORD, NOT RECORDING, PAUSE or \
                 SUSPENDED."
            }
            Operation::PortStatusEx => {
                "Returns the recording state of a unit and port and how many whole seconds it has \
                 lasted (0 when NOT RECORDING)."
            }
            Operation::DesktopPause => {
                "Pauses the desktop (screen) recording of a Windows login, closing its current \
                 ten-minute segment. Pair it with PauseRecording to protect sensitive data."
            }
            Operation::DesktopResume => {
                "Resumes the desktop recording of a Windows login, starting a new segment."
            }
        }
    }
}

impl fmt::Display for Operation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn there_are_ten_operations_in_7_0_and_fifteen_in_7_1() {
        let count = |v| Operation::ALL.iter().filter(|op| op.exists_in(v)).count();
        assert_eq!(count(ApiVersion::V7_0), 10);
        assert_eq!(count(ApiVersion::V7_1), 15);
    }

    #[test]
    fn names_round_trip_and_lookup_accepts_script_names() {
        for op in Operation::ALL {
            assert_eq!(Operation::from_name(op.name()), Some(op));
            assert_eq!(Operation::lookup(op.script_name()), Some(op));
        }
        assert_eq!(
            Operation::lookup("portstatusex"),
            Some(Operation::PortStatusEx)
        );
        assert_eq!(Operation::from_name("portstatusex"), None);
    }

    #[test]
    fn init_user_parameter_order_follows_each_guide() {
        let names = |v| {
            Operation::InitUser
                .params(v)
                .iter()
                .map(|p| p.wire_name(v))
                .collect::<Vec<_>>()
        };
        assert_eq!(names(ApiVersion::V7_0), ["userName", "machineName"]);
        assert_eq!(names(ApiVersion::V7_1), ["Machine", "User"]);
    }

    #[test]
    fn result_fields_are_in_ordinal_order() {
        for op in Operation::ALL {
            let names: Vec<&str> = op.result_fields().iter().map(|f| f.wire_name()).collect();
            let mut sorted = names.clone();
            sorted.sort();
            assert_eq!(names, sorted, "{op}");
        }
    }
}
