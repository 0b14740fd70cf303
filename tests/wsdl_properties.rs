//! No WSDL panics the client's reader, and `--trace`'s printer never changes a value. Each property
//! runs 256 cases: arbitrary bytes; the WSDL `ecapi serve` publishes, mutated (cut, spliced,
//! truncated, with hostile snippets: a DOCTYPE, deep nesting, bad references, imports of
//! themselves); and WCF-style descriptions whose imports point anywhere, fail or loop.

use ecapi::api::{ApiVersion, Operation, Param, Request};
use ecapi::soap::{self, FetchError, Names, OperationShape};
use proptest::prelude::*;

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: 256,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

const URL: &str = "http://h/WebAPI/ECAPI.svc?wsdl";

/// Reads `root` as the WSDL at [`URL`], every import answered by `imports` in turn (an empty
/// answer is a failed fetch), and checks what a successful reading must hold.
fn read(root: &[u8], imports: &[Vec<u8>]) {
    let mut served = 0usize;
    let mut fetch = |base: Option<&str>, location: &str| {
        if base.is_none() {
            return Ok((location.to_string(), root.to_vec()));
        }
        let answer = imports.get(served % imports.len().max(1)).cloned();
        served += 1;
        match answer {
            Some(doc) if !doc.is_empty() => Ok((format!("{location}#{served}"), doc)),
            _ => Err(FetchError {
                url: Some(location.to_string()),
                detail: "refused".to_string(),
            }),
        }
    };
    if let Ok(server) = soap::read_wsdl(URL, &mut fetch) {
        let api = server.api();
        assert!(!server.offered().is_empty());
        for version in ApiVersion::ALL {
            let contract = server.contract(version);
            for op in Operation::ALL
                .into_iter()
                .filter(|op| op.exists_in(version))
            {
                assert!(contract.shape(op).is_some(), "{op} under {version}");
            }
        }
        // 7.1 exactly when a 7.1 operation is offered.
        let any_71 = server
            .offered()
            .iter()
            .any(|op| op.since() == ApiVersion::V7_1);
        assert_eq!(api == ApiVersion::V7_1, any_71);
    }
}

/// Snippets that break readers.
fn hostile() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("<".to_string()),
        Just(">".to_string()),
        Just("&".to_string()),
        Just("&bogus;".to_string()),
        Just("&#0;".to_string()),
        Just("&#xFFFFFFFF;".to_string()),
        Just("<!DOCTYPE d [<!ENTITY e SYSTEM \"file:///etc/passwd\">]>".to_string()),
        Just("<![CDATA[".to_string()),
        Just("<?xml version=\"1.0\"?>".to_string()),
        Just("<a>".repeat(100)),
        Just("xmlns:wsdl=\"\"".to_string()),
        Just("<wsdl:import location=\"?wsdl\"/>".to_string()),
        Just("<xsd:import schemaLocation=\"http://h/WebAPI/ECAPI.svc?wsdl\"/>".to_string()),
        Just("<xs:include schemaLocation=\"::::\"/>".to_string()),
        Just("<xs:element name=\"GetField\"><xs:complexType><xs:sequence><xs:element ref=\"a:b:c\"/></xs:sequence></xs:complexType></xs:element>".to_string()),
        Just("<wsdl:operation name=\"DesktopPause\"/>".to_string()),
        Just("\u{0}".to_string()),
        Just("\u{FEFF}".to_string()),
        ".{0,12}",
    ]
}

/// One edit of a document.
#[derive(Debug, Clone)]
enum Edit {
    Cut(usize, usize),
    Insert(usize, String),
    Truncate(usize),
    Repeat(usize, usize),
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        (any::<usize>(), 0usize..200).prop_map(|(at, n)| Edit::Cut(at, n)),
        (any::<usize>(), hostile()).prop_map(|(at, s)| Edit::Insert(at, s)),
        any::<usize>().prop_map(Edit::Truncate),
        (any::<usize>(), 0usize..300).prop_map(|(at, n)| Edit::Repeat(at, n)),
    ]
}

fn apply(doc: &str, edits: &[Edit]) -> Vec<u8> {
    let mut bytes = doc.as_bytes().to_vec();
    for e in edits {
        let len = bytes.len().max(1);
        match e {
            Edit::Cut(at, n) => {
                let at = at % len;
                let end = (at + n).min(bytes.len());
                if at < end {
                    bytes.drain(at..end);
                }
            }
            Edit::Insert(at, s) => {
                let at = at % (bytes.len() + 1);
                bytes.splice(at..at, s.bytes());
            }
            Edit::Truncate(at) => bytes.truncate(at % len),
            Edit::Repeat(at, n) => {
                let at = at % len;
                let end = (at + n).min(bytes.len());
                let piece = bytes.get(at..end).unwrap_or_default().to_vec();
                bytes.splice(end..end, piece);
            }
        }
    }
    bytes
}

/// A WCF-style root: an import per location, and a binding naming some operations.
fn wcf_root(locations: &[String], ops: &[String]) -> String {
    let imports: String = locations
        .iter()
        .map(|l| format!("<wsdl:import namespace=\"urn:x\" location=\"{l}\"/>"))
        .collect();
    let operations: String = ops
        .iter()
        .map(|o| {
            format!(
                "<wsdl:operation name=\"{o}\"><soap:operation soapAction=\"urn:x/I/{o}\"/></wsdl:operation>"
            )
        })
        .collect();
    format!(
        "<wsdl:definitions targetNamespace=\"urn:x\" xmlns:wsdl=\"http://schemas.xmlsoap.org/wsdl/\" \
         xmlns:soap=\"http://schemas.xmlsoap.org/wsdl/soap/\">{imports}<wsdl:binding name=\"B\">\
         <soap:binding/>{operations}</wsdl:binding></wsdl:definitions>"
    )
}

fn op_name() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(Operation::ALL.to_vec()).prop_map(|op| op.name().to_string()),
        "[A-Za-z]{0,12}",
    ]
}

/// Removes the indentation `pretty` may add: a line break and spaces between a `>` and a `<`.
fn unindent(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find(">\n") {
        out.push_str(&rest[..=i]);
        let after = &rest[i + 2..];
        let trimmed = after.trim_start_matches(' ');
        if trimmed.starts_with('<') {
            rest = trimmed;
        } else {
            out.push('\n');
            rest = after;
        }
    }
    out.push_str(rest);
    out
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn arbitrary_bytes_never_panic_the_wsdl_reader(root in prop::collection::vec(any::<u8>(), 0..512)) {
        read(&root, &[]);
    }

    #[test]
    fn a_mutated_wsdl_never_panics_the_reader(
        version in prop::sample::select(ApiVersion::ALL.to_vec()),
        edits in prop::collection::vec(edit(), 1..6),
        import_edits in prop::collection::vec(edit(), 0..4),
    ) {
        let doc = soap::single_wsdl(version, &Names::default(), "http://h/WebAPI/ECAPI.svc");
        let root = apply(&doc, &edits);
        let import = apply(&doc, &import_edits);
        read(&root, &[import, Vec::new()]);
    }

    #[test]
    fn imports_that_fail_loop_or_point_anywhere_never_panic_the_reader(
        locations in prop::collection::vec(prop_oneof![
            Just("?wsdl=wsdl0".to_string()),
            Just(URL.to_string()),
            Just("http://other/x?xsd=xsd0".to_string()),
            Just("".to_string()),
            Just("::not a url::".to_string()),
            ".{0,16}",
        ], 0..6),
        ops in prop::collection::vec(op_name(), 0..8),
        answers in prop::collection::vec(prop_oneof![
            Just(Vec::new()),
            Just(b"<html><body>404</body></html>".to_vec()),
            Just(b"<xs:schema xmlns:xs=\"http://www.w3.org/2001/XMLSchema\"/>".to_vec()),
            prop::collection::vec(any::<u8>(), 0..64),
        ], 0..4),
    ) {
        let root = wcf_root(&locations, &ops);
        // Imports answered by the root itself make a cycle the reader must end.
        let mut imports = answers;
        imports.push(root.clone().into_bytes());
        read(root.as_bytes(), &imports);
    }

    #[test]
    fn the_trace_printer_adds_whitespace_only_between_elements(
        unit in ".{0,12}",
        value in prop_oneof![".{0,40}", Just(String::new()), Just(" \n\t ".to_string()), Just("<&>\"'\r\n".to_string())],
    ) {
        let names = Names::default();
        let request = Request::new(Operation::AssignField)
            .with(Param::Unit, unit.as_str())
            .with(Param::Port, "")
            .with(Param::FieldName, "f")
            .with(Param::FieldValue, value.as_str());
        let shape = OperationShape::default_for(Operation::AssignField, ApiVersion::V7_1, &names);
        let sent = soap::encode_request(&request, &shape);
        let shown = soap::pretty(&sent);
        prop_assert_eq!(unindent(&shown), sent);
        // An empty value stays an empty element, written as it was.
        prop_assert!(shown.contains("<Port></Port>") || shown.contains("<Port/>"), "{}", shown);
    }

    #[test]
    fn the_trace_printer_never_panics(text in prop_oneof![".{0,200}", prop::collection::vec(hostile(), 0..12).prop_map(|v| v.concat())]) {
        let _ = soap::pretty(&text);
    }

    #[test]
    fn utf16_answers_decode_to_what_was_encoded(
        text in ".{0,80}",
        big_endian in any::<bool>(),
        bom in any::<bool>(),
    ) {
        let doc = format!("<a>{text}</a>");
        let mut bytes: Vec<u8> = Vec::new();
        if bom {
            bytes.extend(if big_endian { [0xFE, 0xFF] } else { [0xFF, 0xFE] });
        }
        for u in doc.encode_utf16() {
            bytes.extend(if big_endian { u.to_be_bytes() } else { u.to_le_bytes() });
        }
        let (utf8, _) = soap::to_utf8(&bytes, Some("text/xml; charset=utf-16")).unwrap();
        prop_assert_eq!(String::from_utf8(utf8.into_owned()).unwrap(), doc);
    }
}
