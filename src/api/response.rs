//! A response: the code, its message, and the operation's extra fields when the code is 100.

use std::borrow::Cow;

use compact_str::CompactString;

use super::{Operation, RecordingState, ResponseCode, ResultField};

/// What the server answered. A code other than 100 is an answer like any other.
///
/// Small to move (80 bytes on 64-bit targets): a response passes by value through the simulator,
/// the transport, the session and into the script's value, so the texts only the assignment and
/// look-up operations return (`Unit`, `Port`, `URL`, `fieldValue`) are kept together behind one
/// pointer, allocated only when one is set. `portStatus` and `stateDuration`, which every
/// PortStatus answer carries, stay inline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    /// The operation this answers.
    pub op: Operation,
    /// responseCode.
    pub code: u16,
    /// responseMessage, exactly as received (or as the guides print it, from the simulator).
    pub message: Cow<'static, str>,
    /// `portStatus` (PortStatus, PortStatusEX).
    pub status: Option<CompactString>,
    /// `stateDuration` in seconds (PortStatusEX).
    pub duration: Option<i64>,
    /// `Unit`, `Port`, `URL` and `fieldValue`; `None` when none was returned.
    texts: Option<Box<Texts>>,
}

/// The extra texts a few operations return.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Texts {
    /// `Unit` (InitStation, InitUser).
    unit: Option<CompactString>,
    /// `Port` (InitStation, InitUser).
    port: Option<CompactString>,
    /// `URL` (GetURL).
    url: Option<CompactString>,
    /// `fieldValue` (GetField).
    value: Option<CompactString>,
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
            status: None,
            duration: None,
            texts: None,
        }
    }

    /// `Unit` (InitStation, InitUser), when returned.
    pub fn unit(&self) -> Option<&str> {
        self.texts.as_ref()?.unit.as_deref()
    }

    /// `Port` (InitStation, InitUser), when returned.
    pub fn port(&self) -> Option<&str> {
        self.texts.as_ref()?.port.as_deref()
    }

    /// `URL` (GetURL), when returned.
    pub fn url(&self) -> Option<&str> {
        self.texts.as_ref()?.url.as_deref()
    }

    /// `fieldValue` (GetField), when returned.
    pub fn value(&self) -> Option<&str> {
        self.texts.as_ref()?.value.as_deref()
    }

    /// Sets `Unit`.
    pub fn set_unit(&mut self, unit: impl Into<CompactString>) {
        self.texts_mut().unit = Some(unit.into());
    }

    /// Sets `Port`.
    pub fn set_port(&mut self, port: impl Into<CompactString>) {
        self.texts_mut().port = Some(port.into());
    }

    /// Sets `URL`.
    pub fn set_url(&mut self, url: impl Into<CompactString>) {
        self.texts_mut().url = Some(url.into());
    }

    /// Sets `fieldValue`.
    pub fn set_value(&mut self, value: impl Into<CompactString>) {
        self.texts_mut().value = Some(value.into());
    }

    /// The response with an extra field set from its text (see [`Response::set_field`]).
    pub fn with_field(mut self, field: ResultField, text: &str) -> Response {
        self.set_field(field, text);
        self
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
            ResultField::Port => self.port().map(Cow::Borrowed),
            ResultField::Unit => self.unit().map(Cow::Borrowed),
            ResultField::Url => self.url().map(Cow::Borrowed),
            ResultField::FieldValue => self.value().map(Cow::Borrowed),
            ResultField::PortStatus => self.status.as_deref().map(Cow::Borrowed),
            ResultField::StateDuration => self.duration.map(|d| Cow::Owned(d.to_string())),
        }
    }

    /// Sets an extra field from its text. An unreadable `stateDuration` is left unset.
    pub fn set_field(&mut self, field: ResultField, text: &str) {
        let text = CompactString::from(text);
        match field {
            ResultField::Port => self.texts_mut().port = Some(text),
            ResultField::Unit => self.texts_mut().unit = Some(text),
            ResultField::Url => self.texts_mut().url = Some(text),
            ResultField::FieldValue => self.texts_mut().value = Some(text),
            ResultField::PortStatus => self.status = Some(text),
            ResultField::StateDuration => self.duration = text.trim().parse().ok(),
        }
    }

    /// The extra texts, made when the first is set.
    fn texts_mut(&mut self) -> &mut Texts {
        self.texts.get_or_insert_with(Box::default)
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
    fn a_response_stays_small_to_move() {
        // It passes by value through every layer of a call; see the type's documentation.
        assert!(std::mem::size_of::<Response>() <= 80);
    }

    #[test]
    fn the_boxed_texts_read_back_as_set_and_count_in_equality() {
        let mut r = Response::ok(Operation::InitStation);
        assert_eq!(
            (r.unit(), r.port(), r.url(), r.value()),
            (None, None, None, None)
        );
        r.set_unit("1");
        r.set_port("7");
        assert_eq!((r.unit(), r.port()), (Some("1"), Some("7")));
        assert_eq!((r.url(), r.value()), (None, None));
        let same = Response::ok(Operation::InitStation)
            .with_field(ResultField::Port, "7")
            .with_field(ResultField::Unit, "1");
        assert_eq!(r, same);
        assert_ne!(r, Response::ok(Operation::InitStation));
        assert_ne!(r, same.clone().with_field(ResultField::Port, "8"));
        let mut get = Response::ok(Operation::GetField);
        get.set_field(ResultField::FieldValue, "");
        assert_eq!(
            get.value(),
            Some(""),
            "an empty fieldValue is still returned"
        );
        let mut url = Response::ok(Operation::GetUrl);
        url.set_url("https://example.com/p?fldCallIndex=1.2");
        assert_eq!(
            url.fields(),
            vec![(
                ResultField::Url,
                Cow::Borrowed("https://example.com/p?fldCallIndex=1.2")
            )]
        );
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
