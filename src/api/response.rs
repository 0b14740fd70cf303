//! A response: the code, its message, and the operation's extra fields when the code is 100.

use std::borrow::Cow;

use compact_str::CompactString;

use super::{Operation, RecordingState, ResponseCode, ResultField};

/// What the server answered. A code other than 100 is an answer like any other.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    /// The operation this answers.
    pub op: Operation,
    /// responseCode.
    pub code: u16,
    /// responseMessage, exactly as received (or as the guides print it, from the simulator).
    pub message: Cow<'static, str>,
    /// `Unit` (InitStation, InitUser).
    pub unit: Option<CompactString>,
    /// `Port` (InitStation, InitUser).
    pub port: Option<CompactString>,
    /// `URL` (GetURL).
    pub url: Option<CompactString>,
    /// `portStatus` (PortStatus, PortStatusEX).
    pub status: Option<CompactString>,
    /// `stateDuration` in seconds (PortStatusEX).
    pub duration: Option<i64>,
    /// `fieldValue` (GetField).
    pub value: Option<CompactString>,
}

impl Response {
    /// A response with a code from the guides and its exact message, without extra fields.
    pub fn new(op: Operation, code: ResponseCode) -> Response {
        Response::raw(op, code.code(), Cow::Borrowed(code.message()))
    }

    /// A response with any code and message, as a real server may send.
    pub fn raw(op: Operation, code: u16, message: impl Into<Cow<'static, str>>) -> Response {
        Response {
            op,
            code,
            message: message.into(),
            unit: None,
            port: None,
            url: None,
            status: None,
            duration: None,
            value: None,
        }
    }

    /// A successful response without extra fields.
    pub fn ok(op: Operation) -> Response {
        Response::new(op, ResponseCode::Success)
    }

    /// Whether the code is 100.
    pub fn is_ok(&self) -> bool {
        self.code == ResponseCode::Success.code()
    }

    /// The code as one the guides define, if it is.
    pub fn response_code(&self) -> Option<ResponseCode> {
        ResponseCode::from_code(self.code)
    }

    /// The recording state, when portStatus was returned and is one the guides name.
    pub fn state(&self) -> Option<RecordingState> {
        self.status.as_deref().and_then(RecordingState::from_wire)
    }

    /// An extra field's text, when returned.
    pub fn field(&self, field: ResultField) -> Option<Cow<'_, str>> {
        match field {
            ResultField::Port => self.port.as_deref().map(Cow::Borrowed),
            ResultField::Unit => self.unit.as_deref().map(Cow::Borrowed),
            ResultField::Url => self.url.as_deref().map(Cow::Borrowed),
            ResultField::FieldValue => self.value.as_deref().map(Cow::Borrowed),
            ResultField::PortStatus => self.status.as_deref().map(Cow::Borrowed),
            ResultField::StateDuration => self.duration.map(|d| Cow::Owned(d.to_string())),
        }
    }

    /// Sets an extra field from its text. An unreadable `stateDuration` is left unset.
    pub fn set_field(&mut self, field: ResultField, text: &str) {
        let text = CompactString::from(text);
        match field {
            ResultField::Port => self.port = Some(text),
            ResultField::Unit => self.unit = Some(text),
            ResultField::Url => self.url = Some(text),
            ResultField::FieldValue => self.value = Some(text),
            ResultField::PortStatus => self.status = Some(text),
            ResultField::StateDuration => self.duration = text.trim().parse().ok(),
        }
    }

    /// The extra fields that were returned, in wire order, as (field, text).
    pub fn fields(&self) -> Vec<(ResultField, Cow<'_, str>)> {
        self.op
            .result_fields()
            .iter()
            .filter_map(|f| self.field(*f).map(|v| (*f, v)))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_response_carries_the_exact_message_and_no_fields() {
        let r = Response::new(Operation::StopRecording, ResponseCode::PortNotRecording);
        assert_eq!(r.code, 608);
        assert_eq!(r.message, "Warning: Port was not recording");
        assert!(!r.is_ok());
        assert!(r.fields().is_empty());
    }

    #[test]
    fn fields_come_back_in_wire_order() {
        let mut r = Response::ok(Operation::PortStatusEx);
        r.set_field(ResultField::StateDuration, "20");
        r.set_field(ResultField::PortStatus, "RECORD");
        let fields: Vec<(ResultField, String)> = r
            .fields()
            .into_iter()
            .map(|(f, v)| (f, v.into_owned()))
            .collect();
        assert_eq!(
            fields,
            vec![
                (ResultField::PortStatus, "RECORD".to_string()),
                (ResultField::StateDuration, "20".to_string())
            ]
        );
        assert_eq!(r.state(), Some(RecordingState::Record));
    }
}
