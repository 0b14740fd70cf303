//! Documents that are not well-formed XML 1.0 (with namespaces) are answered as WCF answers them:
//! HTTP 400 with an empty body, before anything else is looked at. Each shape here was once read
//! as a request; the well-formed look-alikes beside them are still read.

mod common;

use common::not_well_formed::{attrs, before, envelope, not_well_formed, unit};
use ecapi::api::{ApiVersion, Param};
use ecapi::soap::{read_request, Incoming, Names, ReadOptions, Refusal, WireNote};

/// Well-formed look-alikes of the shapes above.
fn well_formed() -> Vec<(&'static str, String)> {
    vec![
        ("the plain request", unit("1")),
        ("`>` in an attribute value", attrs(r#" a="x>y""#)),
        ("white space around `=`", attrs(" a = '1'")),
        (
            "one attribute under two namespaces",
            attrs(r#" xmlns:p="urn:x" xmlns:q="urn:y" p:a="1" q:a="2""#),
        ),
        (
            "a declaration first",
            before("<?xml version=\"1.0\" encoding=\"utf-8\" standalone=\"yes\"?>"),
        ),
        ("a comment with single dashes", unit("1<!-- a - b -->")),
        ("`]]` without `>` in text", unit("1]]")),
        ("`]]>` closing a CDATA section", unit("<![CDATA[1]]>")),
        ("a processing instruction", unit("1<?xml-stylesheet x?>")),
        (
            "names with non-ASCII letters and a middle dot in a header",
            envelope("", "<é·x xmlns=\"urn:h\"/>", "", "1", ""),
        ),
    ]
}

fn read(body: &str) -> Result<ecapi::soap::Read, ecapi::soap::Refused> {
    let options = ReadOptions::new(ApiVersion::V7_1, Names::default());
    read_request(
        &Incoming {
            body: body.as_bytes(),
            content_type: Some("text/xml; charset=utf-8"),
            soap_action: Some("\"http://tempuri.org/IECAPI/PortStatus\""),
        },
        &options,
    )
}

#[test]
fn every_not_well_formed_shape_is_refused_with_400_saying_why() {
    for (what, body) in not_well_formed() {
        match read(&body) {
            Err(refused) => {
                assert_eq!(refused.refusal, Refusal::BadRequest, "{what}: {body}");
                let Some(WireNote::NotReadable { why }) = refused.notes.last() else {
                    panic!("{what}: {:?}", refused.notes)
                };
                assert!(!why.is_empty(), "{what}");
            }
            Ok(read) => panic!("{what} was read: {:?}\n{body}", read.request),
        }
    }
}

#[test]
fn well_formed_look_alikes_are_still_read() {
    for (what, body) in well_formed() {
        let read = read(&body).unwrap_or_else(|e| panic!("{what}: {e:?}\n{body}"));
        assert_eq!(read.request.get(Param::Port), "2", "{what}");
    }
}

#[test]
fn a_served_simulator_answers_each_shape_with_an_empty_400() {
    let server = common::serve(ApiVersion::V7_1);
    for (what, body) in not_well_formed() {
        let answer = common::raw(
            server.addr(),
            format!(
                "POST /WebAPI/ECAPI.svc HTTP/1.1\r\nHost: {}\r\nContent-Type: text/xml; \
                 charset=utf-8\r\nSOAPAction: \"http://tempuri.org/IECAPI/PortStatus\"\r\n\
                 Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
                server.addr(),
                body.len()
            )
            .as_bytes(),
        );
        assert_eq!(answer.status, 400, "{what}: {answer:?}");
        assert!(answer.body.is_empty(), "{what}: {answer:?}");
    }
}
