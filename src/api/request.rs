//! A request: an operation and its parameter values, as text, the way they travel on the wire.

use compact_str::CompactString;

use super::{ApiVersion, Operation, Param};

/// A request to the Web API. Every value is text, as on the wire; a parameter that was not given is
/// the empty string, which is also what an empty element carries.
#[derive(Debug, PartialEq, Eq)]
pub struct Request {
    op: Operation,
    /// Every value, one after the other in parameter order, in one string: short requests (a
    /// unit and a port) stay inline, without an allocation, and the request stays small to move.
    text: CompactString,
    /// Where each parameter's value ends in `text`.
    ends: [u32; Param::ALL.len()],
}

impl Clone for Request {
    fn clone(&self) -> Request {
        Request {
            op: self.op,
            text: self.text.clone(),
            ends: self.ends,
        }
    }

    /// Written over in place (the journal's entries are): the text's own buffer is reused.
    fn clone_from(&mut self, source: &Request) {
        self.op = source.op;
        self.text.clone_from(&source.text);
        self.ends = source.ends;
    }
}

/// Why a request cannot be sent at all. These are protocol errors, not response codes: a real server
/// would answer them with a SOAP fault.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RequestError {
    /// The operation is newer than the API version in use.
    #[error("{op} is not part of API {version}: it was added in {since}")]
    NotInVersion {
        /// The operation.
        op: Operation,
        /// The version in use.
        version: ApiVersion,
        /// The version that added it.
        since: ApiVersion,
    },
    /// An `xs:int` parameter whose text is not a 32-bit integer.
    #[error("{param} must be a whole number, got `{value}`")]
    NotAnInteger {
        /// The parameter's wire name.
        param: &'static str,
        /// The text given.
        value: String,
    },
    /// A string value longer than the server's reader quota (`wire.md`: WCF's
    /// `maxStringContentLength`, [`MAX_STRING_CHARS`] characters unless configured otherwise),
    /// which a real server refuses with a DeserializationFailed fault before the request reaches
    /// the recorder.
    #[error("{param} is {chars} characters long; the server reads at most {limit} (its maxStringContentLength quota)")]
    TooLong {
        /// The parameter's wire name.
        param: &'static str,
        /// Its length in characters.
        chars: usize,
        /// The quota, in characters.
        limit: usize,
    },
    /// A parameter the operation does not take.
    #[error("{op} has no parameter `{name}`; its parameters are: {valid}")]
    UnknownParameter {
        /// The operation.
        op: Operation,
        /// The name given.
        name: String,
        /// The operation's parameters, comma-separated.
        valid: String,
    },
}

/// The most bytes of values a request keeps without an allocation (`CompactString`'s inline
/// capacity on 64-bit targets).
const INLINE: usize = std::mem::size_of::<CompactString>();

/// The longest string value a server reads: WCF's reader quota `maxStringContentLength`, 8,192
/// characters (`wire.md`, "Quotas").
pub const MAX_STRING_CHARS: usize = 8_192;

impl Request {
    /// The first value longer than `limit` characters (the server's `maxStringContentLength`,
    /// [`MAX_STRING_CHARS`] by default), as the error a server's reader gives.
    #[inline]
    pub fn over_quota(&self, limit: usize) -> Result<(), RequestError> {
        // No value is over the limit when all of them together are not (inlined: every request
        // the simulator answers asks).
        if self.text.len() <= limit {
            return Ok(());
        }
        self.value_over_quota(limit)
    }

    /// [`Request::over_quota`] once the values together are over the limit: each value looked at.
    fn value_over_quota(&self, limit: usize) -> Result<(), RequestError> {
        for (p, v) in self.params(ApiVersion::V7_1) {
            // A byte count within the quota is a character count within it too.
            if v.len() > limit {
                let chars = v.chars().count();
                if chars > limit {
                    return Err(RequestError::TooLong {
                        param: p.wire_name(ApiVersion::V7_1),
                        chars,
                        limit,
                    });
                }
            }
        }
        Ok(())
    }

    /// A request with every parameter empty (`maxRecordingTimeInSeconds` reads as `0`).
    pub fn new(op: Operation) -> Request {
        Request {
            op,
            text: CompactString::default(),
            ends: [0; Param::ALL.len()],
        }
    }

    /// A request for a unit and port, every other parameter empty: the request of the port
    /// operations, its text written once.
    pub fn with_unit_and_port(op: Operation, unit: &str, port: &str) -> Request {
        let len = unit.len() + port.len();
        let mut inline = [0u8; INLINE];
        let text = match inline.get_mut(..len) {
            // Short (the usual unit and port): joined on the stack, then kept inline.
            Some(joined) => {
                joined[..unit.len()].copy_from_slice(unit.as_bytes());
                joined[unit.len()..].copy_from_slice(port.as_bytes());
                CompactString::new(std::str::from_utf8(joined).expect("two texts joined"))
            }
            None => {
                let mut text = CompactString::with_capacity(len);
                text.push_str(unit);
                text.push_str(port);
                text
            }
        };
        let mut ends = [len as u32; Param::ALL.len()];
        ends[..Param::Unit.index()].fill(0);
        ends[Param::Unit.index()] = unit.len() as u32;
        Request { op, text, ends }
    }

    /// The request with one parameter set.
    pub fn with(mut self, param: Param, value: impl Into<CompactString>) -> Request {
        self.set(param, value);
        self
    }

    /// Sets a parameter.
    pub fn set(&mut self, param: Param, value: impl Into<CompactString>) {
        let value: CompactString = value.into();
        let (start, end) = self.span(param);
        if end == self.text.len() {
            // The last value given (a request is usually built in parameter order): replaced
            // in place, without building the text again.
            self.text.truncate(start);
            self.text.push_str(&value);
        } else {
            let mut text =
                CompactString::with_capacity(self.text.len() - (end - start) + value.len());
            text.push_str(&self.text[..start]);
            text.push_str(&value);
            text.push_str(&self.text[end..]);
            self.text = text;
        }
        let grown = value.len() as i64 - (end - start) as i64;
        for e in &mut self.ends[param.index()..] {
            *e = (i64::from(*e) + grown) as u32;
        }
    }

    /// The byte range of a parameter's value in `text`.
    fn span(&self, param: Param) -> (usize, usize) {
        let i = param.index();
        let start = if i == 0 { 0 } else { self.ends[i - 1] as usize };
        (start, self.ends[i] as usize)
    }

    /// Sets a parameter by its wire name in either version, checking that the operation takes it.
    pub fn set_by_name(&mut self, name: &str, value: &str) -> Result<(), RequestError> {
        match Param::from_wire_name(name) {
            Some(p) if self.op.params(ApiVersion::V7_1).contains(&p) => {
                self.set(p, value);
                Ok(())
            }
            _ => Err(RequestError::UnknownParameter {
                op: self.op,
                name: name.to_string(),
                valid: self
                    .op
                    .params(ApiVersion::V7_1)
                    .iter()
                    .map(|p| p.wire_name(ApiVersion::V7_1))
                    .collect::<Vec<_>>()
                    .join(", "),
            }),
        }
    }

    /// The operation.
    pub fn op(&self) -> Operation {
        self.op
    }

    /// A parameter's text; empty when not given, except `maxRecordingTimeInSeconds`, which is
    /// never sent empty and reads as `0` until set.
    pub fn get(&self, param: Param) -> &str {
        let (start, end) = self.span(param);
        let v = &self.text[start..end];
        if v.is_empty() && param == Param::MaxRecordingTime {
            "0"
        } else {
            v
        }
    }

    /// The bytes of every value given, together (what the request holds in memory besides its
    /// fixed size).
    pub fn values_len(&self) -> usize {
        self.text.len()
    }

    /// The parameters the operation takes in that version, with their values, in wire order.
    pub fn params(&self, version: ApiVersion) -> impl Iterator<Item = (Param, &str)> {
        self.op
            .params(version)
            .iter()
            .map(move |p| (*p, self.get(*p)))
    }

    /// `maxRecordingTimeInSeconds` as a number.
    pub fn max_recording_time(&self) -> Result<i32, RequestError> {
        let text = self.get(Param::MaxRecordingTime);
        text.trim()
            .parse::<i32>()
            .map_err(|_| RequestError::NotAnInteger {
                param: Param::MaxRecordingTime.wire_name(ApiVersion::V7_1),
                value: text.to_string(),
            })
    }

    /// Checks what a server would refuse before looking at the request: an operation the version
    /// lacks, an integer parameter that is not an integer.
    pub fn check(&self, version: ApiVersion) -> Result<(), RequestError> {
        if !self.op.exists_in(version) {
            return Err(RequestError::NotInVersion {
                op: self.op,
                version,
                since: self.op.since(),
            });
        }
        if self.op.params(version).contains(&Param::MaxRecordingTime) {
            self.max_recording_time()?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unset_parameters_are_empty_and_max_time_defaults_to_zero() {
        let r = Request::new(Operation::StartRecording).with(Param::Unit, "1");
        assert_eq!(r.get(Param::Port), "");
        assert_eq!(r.max_recording_time(), Ok(0));
        let values: Vec<(Param, &str)> = r.params(ApiVersion::V7_1).collect();
        assert_eq!(
            values,
            vec![
                (Param::Unit, "1"),
                (Param::Port, ""),
                (Param::MaxRecordingTime, "0")
            ]
        );
    }

    #[test]
    fn setting_a_value_again_replaces_it_and_leaves_the_others() {
        let mut r = Request::new(Operation::LogEvent)
            .with(Param::Unit, "1")
            .with(Param::Port, "5")
            .with(Param::Parm3, "last");
        r.set(
            Param::Unit,
            "unit one, a long value that does not fit inline",
        );
        r.set(Param::Port, "");
        r.set(Param::EventType, "é");
        assert_eq!(
            r.get(Param::Unit),
            "unit one, a long value that does not fit inline"
        );
        assert_eq!(r.get(Param::Port), "");
        assert_eq!(r.get(Param::EventType), "é");
        assert_eq!(r.get(Param::Parm3), "last");
        assert_eq!(r.get(Param::Parm1), "");
        assert_eq!(r.clone(), r);
    }

    #[test]
    fn a_request_built_from_a_unit_and_port_is_the_one_set_value_by_value() {
        let long = "a unit name far longer than any inline text";
        for (unit, port) in [
            ("1", "5"),
            ("", "7"),
            ("1", ""),
            ("unité", " 288 "),
            ("", ""),
            (long, "12"),
            ("123456789012", "123456789012"),
            ("123456789012", "1234567890123"),
        ] {
            let built = Request::with_unit_and_port(Operation::StartRecording, unit, port);
            let set = Request::new(Operation::StartRecording)
                .with(Param::Unit, unit)
                .with(Param::Port, port);
            assert_eq!(built, set, "unit {unit:?}, port {port:?}");
            assert_eq!(built.get(Param::Unit), unit);
            assert_eq!(built.get(Param::Port), port);
            assert_eq!(built.get(Param::Extension), "");
            assert_eq!(built.get(Param::Parm3), "");
            assert_eq!(built.max_recording_time(), Ok(0));
            assert_eq!(built.values_len(), unit.len() + port.len());
            // Kept inline, without an allocation, while both fit in the text's own bytes.
            assert_eq!(
                built.text.is_heap_allocated(),
                unit.len() + port.len() > INLINE
            );
        }
    }

    #[test]
    fn a_7_1_operation_is_refused_under_7_0_naming_the_version() {
        let err = Request::new(Operation::GetField)
            .check(ApiVersion::V7_0)
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "GetField is not part of API 7.0: it was added in 7.1"
        );
        assert!(Request::new(Operation::GetField)
            .check(ApiVersion::V7_1)
            .is_ok());
    }

    #[test]
    fn a_max_time_that_is_not_a_number_is_refused() {
        let r = Request::new(Operation::StartRecording).with(Param::MaxRecordingTime, "abc");
        assert_eq!(
            r.check(ApiVersion::V7_1).unwrap_err().to_string(),
            "maxRecordingTimeInSeconds must be a whole number, got `abc`"
        );
    }

    #[test]
    fn parameters_set_by_name_must_belong_to_the_operation() {
        let mut r = Request::new(Operation::InitUser);
        r.set_by_name("userName", "smith").unwrap();
        assert_eq!(r.get(Param::User), "smith");
        let err = r.set_by_name("Extension", "1").unwrap_err();
        assert_eq!(
            err.to_string(),
            "InitUser has no parameter `Extension`; its parameters are: Machine, User"
        );
    }
}
