//! Golden envelopes: the exact bytes the codec writes for every operation in both API versions, the
//! faults, and the WSDL. Run with `UPDATE_GOLDEN=1` to rewrite the files after an intended change,
//! then review the diff.

use std::path::PathBuf;

use ecapi::api::{ApiVersion, Operation, Param, Request, Response, ResultField};
use ecapi::soap::{
    decode_request, decode_response, encode_request, encode_response, single_wsdl, wsdl_document,
    Contract, Fault, Names, WsdlDocument,
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

/// The description's documents for both API versions, as WCF's metadata exporter writes them for
/// a basicHttpBinding service; `docs/wsdl.md` explains them. Where each line comes from (CoreWCF,
/// `src/CoreWCF.Primitives/src/CoreWCF/Description/`, the same code as .NET Framework's
/// `System.ServiceModel.Description`):
///
/// | lines | source |
/// |---|---|
/// | `wsdl:definitions` and its `xmlns:` declarations, in order, then `tns` | `WsdlExporter.WsdlNamespaceHelper.SerializerNamespaces`, `WsdlExporter.GetOrCreateWsdl` |
/// | `name="ECAPI"` | `WsdlExporter.GetOrCreateWsdlService` (the document takes the service's name) |
/// | `<xsd:schema targetNamespace="http://tempuri.org/Imports">` and its `xsd:import`s | `MessageContractExporter.EnsureXsdImport` |
/// | `schemaLocation="…?xsd=xsdN"`, `location="…?wsdl=wsdl0"` | `ServiceMetadataExtension.InitializationData.InitializeFrom` and `FixImportAddresses` |
/// | `wsdl:message` `IECAPI_<Op>_InputMessage`, part `parameters` | `MessageContractExporter` (message naming and `AddMessagePart`) |
/// | `wsdl:input`/`wsdl:output` `wsaw:Action` (output: the action + `Response`) | `WsdlExporter.WSAddressingHelper.AddActionAttribute` (WS-Policy 1.2 is the default `PolicyVersion`), `CreateWsdlOperationMessage` |
/// | `wsdl:binding` `BasicHttpBinding_IECAPI`, `soap:operation soapAction style="document"`, `soap:body use="literal"` | `WsdlExporter.CreateWsdlBindingAndPort`, `WsdlNamingHelper.GetBindingQName`, `SoapHelper` |
/// | `wsdl:service`/`wsdl:port`/`soap:address` | `WsdlExporter.CreateWsdlBindingAndPort` (`addressBinding.Location`) |
/// | split (`?wsdl` imports `?wsdl=wsdl0`, prefix `i0`, empty `wsdl:types`) | `WsdlExporter.EnsureWsdlContainsImport`, `WsdlNamespaceHelper.FindOrCreatePrefix("i", …)` |
/// | `?singleWsdl`: the port type's document, schemas inline without `schemaLocation`, binding and service merged | `WsdlHelper.GetSingleWsdl`, `RemoveSchemaLocations`, `MergeWsdl` |
/// | xsd0: wrapper elements, `minOccurs="0"`, strings `nillable="true"`, `xmlns:qN` on each result reference | `DataContractSerializerOperationFormatter` / `MessageContractExporter` exporting parameters through `XsdDataContractExporter` |
/// | xsd1: the serialization schema | the "Data Contract Schema Reference" (docs.microsoft.com, dotnet/docs `data-contract-schema-reference.md`) |
/// | xsd2: a `complexType` and a nillable global element per data contract | the same reference, "Data contract mapping" |
#[test]
fn the_wsdl_documents_of_each_version_match_their_golden_files() {
    const AT: &str = "http://127.0.0.1:8080/WebAPI/ECAPI.svc";
    let own_ns = Names {
        service_ns: "urn:example:encore".to_string(),
        ..Names::default()
    };
    for version in ApiVersion::ALL {
        let names = Names::default();
        let doc = |d| wsdl_document(d, version, &names, AT).unwrap();
        golden(&format!("{version}/ECAPI.wsdl"), &doc(WsdlDocument::Wsdl));
        for n in 0..3 {
            golden(
                &format!("{version}/ECAPI.xsd{n}.xsd"),
                &doc(WsdlDocument::Xsd(n)),
            );
        }
        golden(
            &format!("{version}/ECAPI.singleWsdl.wsdl"),
            &single_wsdl(version, &names, AT),
        );
        assert_eq!(
            doc(WsdlDocument::SingleWsdl),
            single_wsdl(version, &names, AT)
        );
        assert!(wsdl_document(WsdlDocument::Import(0), version, &names, AT).is_none());
        // A contract namespace of its own: WCF's split.
        let split = |d| wsdl_document(d, version, &own_ns, AT).unwrap();
        golden(
            &format!("{version}/split/ECAPI.wsdl"),
            &split(WsdlDocument::Wsdl),
        );
        golden(
            &format!("{version}/split/ECAPI.wsdl0.wsdl"),
            &split(WsdlDocument::Import(0)),
        );
        golden(
            &format!("{version}/split/ECAPI.singleWsdl.wsdl"),
            &split(WsdlDocument::SingleWsdl),
        );
    }
}
