//! The request reader (`soap::read_request`) never panics and always gives one of `wire.md`'s
//! answers: a request, or 413, 415, 400 (empty body), or a SOAP fault with one of the codes of the
//! fault table. Each property runs 256 cases: arbitrary bytes, valid envelopes mutated byte by byte
//! and by XML-significant splices, and envelopes with their parameters shuffled, renamed and
//! re-namespaced (which must read exactly as WCF's forward-only scan reads them). The shapes of
//! XML that is not well formed (`tests/common/not_well_formed.rs`) are seeds: each is refused with
//! 400 however it comes, and mutations of them still get a wire answer.

mod common;

use ecapi::api::{ApiVersion, Operation, Param};
use ecapi::soap::{read_request, Incoming, Names, ReadOptions, Refusal, WireNote};
use proptest::prelude::*;

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: 256,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

const FAULT_CODES: [&str; 5] = [
    "s:VersionMismatch",
    "s:MustUnderstand",
    "a:ActionNotSupported",
    "a:DeserializationFailed",
    "a:InternalServiceFault",
];

/// Asserts that the reader's answer is one of wire.md's.
fn assert_wire_answer(
    body: &[u8],
    content_type: Option<&str>,
    action: Option<&str>,
    lenient: bool,
) {
    let mut options = ReadOptions::new(ApiVersion::V7_1, Names::default());
    options.lenient = lenient;
    let incoming = Incoming {
        body,
        content_type,
        soap_action: action,
    };
    match read_request(&incoming, &options) {
        Ok(read) => {
            assert!(read.request.op().exists_in(ApiVersion::V7_1));
            for note in &read.notes {
                assert_note_is_readable(note);
            }
        }
        Err(refused) => {
            // A refusal always says why.
            let last = refused.notes.last().expect("a refusal has a note");
            assert_note_is_readable(last);
            match refused.refusal {
                Refusal::TooLarge => assert!(body.len() > options.max_message_size),
                Refusal::UnsupportedMediaType { reason_phrase } => {
                    assert!(reason_phrase.starts_with("Cannot process the message because"));
                    // A reason phrase must be sendable in a status line.
                    assert!(!reason_phrase.chars().any(|c| c == '\r' || c == '\n'));
                }
                Refusal::BadRequest => {}
                Refusal::Fault(fault) => {
                    assert!(
                        FAULT_CODES.contains(&fault.code().as_str()),
                        "{}",
                        fault.code()
                    );
                    // The fault must itself be XML a client can read.
                    let xml = fault.encode();
                    let back = ecapi::soap::decode_fault(xml.as_bytes()).expect("readable");
                    assert_eq!(back.string, fault.string);
                }
            }
        }
    }
}

fn assert_note_is_readable(note: &WireNote) {
    let text = note.render(Some(606));
    assert!(!text.is_empty());
}

fn envelope(inner: &str) -> String {
    format!(
        "<s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\"><s:Header>\
         <h:X xmlns:h=\"urn:h\">x</h:X></s:Header><s:Body>{inner}</s:Body></s:Envelope>"
    )
}

/// The valid envelopes, then the not-well-formed shapes, as seeds for mutation.
fn seeds() -> Vec<String> {
    let mut seeds = valid_envelopes();
    seeds.extend(
        common::not_well_formed::not_well_formed()
            .into_iter()
            .map(|(_, body)| body),
    );
    seeds
}

fn valid_envelopes() -> Vec<String> {
    vec![
        envelope(
            "<StartRecording xmlns=\"http://tempuri.org/\"><Unit>1</Unit><Port>2</Port>\
             <maxRecordingTimeInSeconds>30</maxRecordingTimeInSeconds></StartRecording>",
        ),
        envelope(
            "<LogEvent xmlns=\"http://tempuri.org/\" xmlns:i=\"http://www.w3.org/2001/XMLSchema-instance\">\
             <Unit>1</Unit><Port>2</Port><User i:nil=\"true\"/><eventType><![CDATA[a<b]]></eventType>\
             <Parm1>&amp;&#233;</Parm1></LogEvent>",
        ),
    ]
}

const CONTENT_TYPES: [Option<&str>; 6] = [
    Some("text/xml; charset=utf-8"),
    Some("text/xml"),
    Some("text/xml; charset=utf-16"),
    Some("application/soap+xml"),
    Some("text/xml; charset=iso-8859-1"),
    None,
];

const ACTIONS: [Option<&str>; 5] = [
    Some("\"http://tempuri.org/IECAPI/StartRecording\""),
    Some("\"http://tempuri.org/IECAPI/LogEvent\""),
    Some("http://tempuri.org/IECAPI/logevent"),
    Some(""),
    None,
];

/// Pieces that change an envelope's meaning when spliced in.
const SPLICES: [&str; 22] = [
    "--",
    "xmlns:p=\"\"",
    "<?xml version=\"1.0\"?>",
    " 1a=\"1\"",
    "a=\"<\"",
    "<a:b:c/>",
    "<",
    ">",
    "&",
    "&#1;",
    "&#0;",
    "&lt;",
    "<!DOCTYPE x>",
    "<![CDATA[",
    "]]>",
    "\u{1}",
    "</s:Body>",
    "<x:Y xmlns:x=\"urn:x\" s:mustUnderstand=\"1\"/>",
    "i:nil=\"true\"",
    "xmlns=\"\"",
    "é",
    "\u{FFFF}",
];

proptest! {
    #![proptest_config(config())]

    #[test]
    fn arbitrary_bytes_get_a_wire_answer(
        body in proptest::collection::vec(any::<u8>(), 0..512),
        ct in 0..CONTENT_TYPES.len(),
        action in 0..ACTIONS.len(),
        lenient in any::<bool>(),
    ) {
        assert_wire_answer(&body, CONTENT_TYPES[ct], ACTIONS[action], lenient);
    }

    #[test]
    fn mutated_envelopes_get_a_wire_answer(
        which in 0..seeds().len(),
        edits in proptest::collection::vec((any::<prop::sample::Index>(), 0..4u8, any::<u8>(), 0..SPLICES.len()), 1..6),
        ct in 0..CONTENT_TYPES.len(),
        action in 0..ACTIONS.len(),
        lenient in any::<bool>(),
    ) {
        let mut body = seeds()[which].clone().into_bytes();
        for (at, kind, byte, splice) in edits {
            if body.is_empty() {
                break;
            }
            let i = at.index(body.len());
            match kind {
                0 => { body.remove(i); }
                1 => body[i] = byte,
                2 => { body.splice(i..i, SPLICES[splice].bytes()); }
                _ => body.truncate(i),
            }
        }
        assert_wire_answer(&body, CONTENT_TYPES[ct], ACTIONS[action], lenient);
    }

    #[test]
    fn not_well_formed_seeds_are_refused_with_400_however_they_come(
        which in 0..common::not_well_formed::not_well_formed().len(),
        ct in 0..2usize,
        action in 0..ACTIONS.len(),
        lenient in any::<bool>(),
    ) {
        let (what, body) = common::not_well_formed::not_well_formed().swap_remove(which);
        let mut options = ReadOptions::new(ApiVersion::V7_1, Names::default());
        options.lenient = lenient;
        let answer = read_request(
            &Incoming {
                body: body.as_bytes(),
                content_type: CONTENT_TYPES[ct],
                soap_action: ACTIONS[action],
            },
            &options,
        );
        match answer {
            Err(refused) => prop_assert_eq!(refused.refusal, Refusal::BadRequest, "{}", what),
            Ok(read) => prop_assert!(false, "{} was read: {:?}", what, read.request),
        }
    }

    #[test]
    fn shuffled_and_renamed_parameters_read_as_wcfs_forward_scan_reads_them(
        order in Just(vec![0usize, 1, 2]).prop_shuffle(),
        renames in proptest::collection::vec(0..4u8, 3),
        values in proptest::collection::vec("[a-z0-9 <&>\"é]{0,12}", 3),
    ) {
        let params = [Param::Unit, Param::Port, Param::FieldName];
        let mut inner = String::new();
        for &p in &order {
            let name = params[p].wire_name(ApiVersion::V7_1);
            let value = values[p].replace('&', "&amp;").replace('<', "&lt;");
            match renames[p] {
                0 => inner.push_str(&format!("<{name}>{value}</{name}>")),
                1 => inner.push_str(&format!("<{0}>{value}</{0}>", name.to_uppercase())),
                2 => inner.push_str(&format!("<{name} xmlns=\"urn:x\">{value}</{name}>")),
                _ => inner.push_str(&format!("<{name} xmlns=\"\">{value}</{name}>")),
            }
        }
        let body = envelope(&format!("<GetField xmlns=\"http://tempuri.org/\">{inner}</GetField>"));
        let options = ReadOptions::new(ApiVersion::V7_1, Names::default());
        let read = read_request(
            &Incoming {
                body: body.as_bytes(),
                content_type: Some("text/xml; charset=utf-8"),
                soap_action: Some("\"http://tempuri.org/IECAPI/GetField\""),
            },
            &options,
        )
        .expect("a GetField with string parameters is read");
        prop_assert_eq!(read.request.op(), Operation::GetField);
        // WCF's scan: an exact element is read when no later parameter has been read before it.
        let mut next = 0;
        for &p in &order {
            let exact = renames[p] == 0;
            let expected = if exact && p >= next { next = p + 1; values[p].as_str() } else { "" };
            let got = read.request.get(params[p]);
            prop_assert_eq!(got, expected, "param {:?} in order {:?} renames {:?}", params[p], &order, &renames);
        }
        // Every parameter left empty because its element was skipped is noted.
        for &p in &order {
            if read.request.get(params[p]).is_empty() && !values[p].is_empty() {
                let name = params[p].wire_name(ApiVersion::V7_1);
                prop_assert!(
                    read.notes.iter().any(|n| n.render(None).contains(name)),
                    "no note for {}: {:?}", name, read.notes
                );
            }
        }
    }
}
