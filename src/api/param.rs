//! Request parameters: one name for each concept, with its wire name in each API version.

use super::ApiVersion;

/// A request parameter. Two were renamed between the guides: 7.0's `userName` and `machineName` are
/// 7.1's `User` and `Machine`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Param {
    /// The user's phone extension (InitStation).
    Extension,
    /// The Windows login ID: `User` in 7.1, `userName` in 7.0.
    User,
    /// The computer the user is logged into: `Machine` in 7.1, `machineName` in 7.0.
    Machine,
    /// The recording unit.
    Unit,
    /// The recording port.
    Port,
    /// `maxRecordingTimeInSeconds`, the only integer parameter; 0 means the system default.
    MaxRecordingTime,
    /// The database column name.
    FieldName,
    /// The value to store in the column.
    FieldValue,
    /// When the event happened.
    EventTimestamp,
    /// What kind of event it is.
    EventType,
    /// Free text stored with an event (up to 1024 characters).
    Parm1,
    /// Free text stored with an event (up to 1024 characters).
    Parm2,
    /// Free text stored with an event (up to 1024 characters).
    Parm3,
}

impl Param {
    /// Every parameter.
    pub const ALL: [Param; 13] = [
        Param::Extension,
        Param::User,
        Param::Machine,
        Param::Unit,
        Param::Port,
        Param::MaxRecordingTime,
        Param::FieldName,
        Param::FieldValue,
        Param::EventTimestamp,
        Param::EventType,
        Param::Parm1,
        Param::Parm2,
        Param::Parm3,
    ];

    /// The element name on the wire in the given API version.
    pub fn wire_name(self, version: ApiVersion) -> &'static str {
        match (self, version) {
            (Param::User, ApiVersion::V7_0) => "userName",
            (Param::Machine, ApiVersion::V7_0) => "machineName",
            (Param::Extension, _) => "Extension",
            (Param::User, _) => "User",
            (Param::Machine, _) => "Machine",
            (Param::Unit, _) => "Unit",
            (Param::Port, _) => "Port",
            (Param::MaxRecordingTime, _) => "maxRecordingTimeInSeconds",
            (Param::FieldName, _) => "fieldName",
            (Param::FieldValue, _) => "fieldValue",
            (Param::EventTimestamp, _) => "eventTimestamp",
            (Param::EventType, _) => "eventType",
            (Param::Parm1, _) => "Parm1",
            (Param::Parm2, _) => "Parm2",
            (Param::Parm3, _) => "Parm3",
        }
    }

    /// The parameter with this wire name in either version, compared without regard to case.
    pub fn from_wire_name(name: &str) -> Option<Param> {
        Param::ALL.into_iter().find(|p| {
            ApiVersion::ALL
                .iter()
                .any(|v| p.wire_name(*v).eq_ignore_ascii_case(name))
        })
    }

    /// Whether the parameter is an `xs:int` rather than an `xs:string`.
    pub fn is_int(self) -> bool {
        self == Param::MaxRecordingTime
    }

    /// The position of the parameter in [`Param::ALL`], used to index request values.
    pub(crate) fn index(self) -> usize {
        self as usize
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renamed_parameters_differ_by_version() {
        assert_eq!(Param::User.wire_name(ApiVersion::V7_0), "userName");
        assert_eq!(Param::User.wire_name(ApiVersion::V7_1), "User");
        assert_eq!(Param::Machine.wire_name(ApiVersion::V7_0), "machineName");
        assert_eq!(Param::Machine.wire_name(ApiVersion::V7_1), "Machine");
    }

    #[test]
    fn wire_names_are_found_in_either_version_and_any_case() {
        assert_eq!(Param::from_wire_name("userName"), Some(Param::User));
        assert_eq!(Param::from_wire_name("user"), Some(Param::User));
        assert_eq!(
            Param::from_wire_name("MAXRECORDINGTIMEINSECONDS"),
            Some(Param::MaxRecordingTime)
        );
        assert_eq!(Param::from_wire_name("Station"), None);
    }

    #[test]
    fn index_matches_position_in_all() {
        for (i, p) in Param::ALL.into_iter().enumerate() {
            assert_eq!(p.index(), i);
        }
    }
}
