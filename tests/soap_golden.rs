//! Golden envelopes: the exact bytes the codec writes for every operation in both API versions, the
//! faults, and the WSDL. Run with `UPDATE_GOLDEN=1` to rewrite the files after an intended change,
//! then review the diff.

use std::path::PathBuf;

use ecapi::api::{ApiVersion, Operation, Param, Request, Response, ResultField};
use ecapi::soap::{
    decode_request, decode_response, encode_request, encode_response, wsdl, Contract, Fault, Names,
};

fn golden(relative: &str, actual: &str) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden/soap")
        .join(relative);
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e} (run with UPDATE_GOLDEN=1 to create)",
            path.display()
        )
    });
    if expected != actual {
        panic!(
            "{} differs\n--- expected\n{}\n--- actual\n{}\n",
            path.display(),
            ecapi::soap::pretty(&expected),
            ecapi::soap::pretty(actual)
        );
    }
}

fn sample_value(param: Param) -> &'static str {
    match param {
        Param::Extension => "1234",
        Param::User => "jsmith",
        Param::Machine => "WS-042",
        Param::Unit => "1",
        Param::Port => "3",
        Param::MaxRecordingTime => "600",
        Param::FieldName => "fldClientID",
        Param::FieldValue => "A&B <42>",
        Param::EventTimestamp => "2026-01-15T10:30:00",
        Param::EventType => "Transfer",
        Param::Parm1 => "Renée",
        Param::Parm2 => "",
        Param::Parm3 => "\"quoted\"",
    }
}

fn sample_field(field: ResultField) -> &'static str {
    match field {
        ResultField::Port => "3",
        ResultField::Unit => "1",
        ResultField::Url => {
            "http://localhost:8080/encore/urlplayer.aspx?fldCallIndex=20260115.1&siteid=1"
        }
        ResultField::FieldValue => "123",
        ResultField::PortStatus => "RECORD",
        ResultField::StateDuration => "20",
    }
}

#[test]
fn every_request_envelope_matches_its_golden_file_in_both_versions() {
    for version in ApiVersion::ALL {
        let contract = Contract::defaults(version, &Names::default());
        for shape in &contract.operations {
            let mut request = Request::new(shape.op);
            for param in shape.op.params(version) {
                request.set(*param, sample_value(*param));
            }
            let xml = encode_request(&request, shape);
            golden(&format!("{version}/{}.request.xml", shape.op), &xml);
            let back = decode_request(xml.as_bytes(), None, version, &contract.names).unwrap();
            assert_eq!(back, request);
        }
    }
}

#[test]
fn every_response_envelope_matches_its_golden_file() {
    for op in Operation::ALL {
        let mut response = Response::ok(op);
        for field in op.result_fields() {
            response.set_field(*field, sample_field(*field));
        }
        let xml = encode_response(&response, &Names::default());
        golden(&format!("responses/{op}.response.xml"), &xml);
        assert_eq!(decode_response(xml.as_bytes(), op).unwrap(), response);
    }
}

#[test]
fn a_refused_response_carries_no_extra_fields() {
    let response = Response::raw(Operation::PortStatus, 611, "Error: Port does not exist");
    golden(
        "responses/PortStatus.611.response.xml",
        &encode_response(&response, &Names::default()),
    );
}

#[test]
fn faults_match_their_golden_files() {
    golden(
        "faults/ActionNotSupported.xml",
        &Fault::action_not_supported("http://tempuri.org/IECAPI/GetField").encode(),
    );
    golden(
        "faults/DeserializationFailed.xml",
        &Fault::deserialization_failed("http://tempuri.org/", "maxRecordingTimeInSeconds", "abc")
            .encode(),
    );
    golden(
        "faults/InternalServiceFault.xml",
        &Fault::internal_service_fault().encode(),
    );
    golden(
        "faults/Client.xml",
        &Fault::client("not well-formed XML").encode(),
    );
}

#[test]
fn the_wsdl_of_each_version_matches_its_golden_file() {
    for version in ApiVersion::ALL {
        golden(
            &format!("{version}/ECAPI.wsdl"),
            &wsdl(
                version,
                &Names::default(),
                "http://127.0.0.1:8080/WebAPI/ECAPI.svc",
            ),
        );
    }
}
