//! The WSDL that `ecapi serve` publishes at `?wsdl`: one document with its schemas inline
//! (WCF's `?singleWsdl` shape, so that toolkits need no further fetches), document/literal wrapped,
//! describing exactly what the server sends for the API version it speaks.
//!
//! Request parameters are declared `minOccurs="0"` (the server reads missing ones as empty) and the
//! extra result fields too, because they are written only when the code is 100.

use std::fmt::Write;

use super::names::{Names, SOAP_HTTP_TRANSPORT, WSDL_NS, WSDL_SOAP_NS, XS_NS};
use super::xml::push_attr;
use crate::api::{ApiVersion, Operation};

/// The WSDL for an API version, with the service at `address` (the endpoint's absolute URL).
pub fn wsdl(version: ApiVersion, names: &Names, address: &str) -> String {
    let ops: Vec<Operation> = Operation::ALL
        .into_iter()
        .filter(|op| op.exists_in(version))
        .collect();
    let ns = attr(&names.service_ns);
    let rns = attr(&names.result_ns);
    let contract = attr(&names.contract);
    let mut w = String::with_capacity(16 * 1024);
    let _ = writeln!(w, "<?xml version=\"1.0\" encoding=\"utf-8\"?>");
    let _ = writeln!(
        w,
        "<wsdl:definitions name=\"ECAPI\" targetNamespace=\"{ns}\" xmlns:wsdl=\"{WSDL_NS}\" \
         xmlns:soap=\"{WSDL_SOAP_NS}\" xmlns:xs=\"{XS_NS}\" xmlns:tns=\"{ns}\">"
    );
    let _ = writeln!(w, "  <wsdl:types>");

    // The service schema: one wrapper element per operation and one per response.
    let _ = writeln!(
        w,
        "    <xs:schema elementFormDefault=\"qualified\" targetNamespace=\"{ns}\" xmlns:q=\"{rns}\">"
    );
    let _ = writeln!(w, "      <xs:import namespace=\"{rns}\"/>");
    for op in &ops {
        let name = op.name();
        let _ = writeln!(w, "      <xs:element name=\"{name}\">");
        let _ = writeln!(w, "        <xs:complexType>");
        let _ = writeln!(w, "          <xs:sequence>");
        for p in op.params(version) {
            let pname = p.wire_name(version);
            if p.is_int() {
                let _ = writeln!(
                    w,
                    "            <xs:element minOccurs=\"0\" name=\"{pname}\" type=\"xs:int\"/>"
                );
            } else {
                let _ = writeln!(
                    w,
                    "            <xs:element minOccurs=\"0\" name=\"{pname}\" nillable=\"true\" type=\"xs:string\"/>"
                );
            }
        }
        let _ = writeln!(w, "          </xs:sequence>");
        let _ = writeln!(w, "        </xs:complexType>");
        let _ = writeln!(w, "      </xs:element>");
        let _ = writeln!(w, "      <xs:element name=\"{name}Response\">");
        let _ = writeln!(w, "        <xs:complexType>");
        let _ = writeln!(w, "          <xs:sequence>");
        let _ = writeln!(
            w,
            "            <xs:element minOccurs=\"0\" name=\"{name}Result\" nillable=\"true\" type=\"q:{name}Result\"/>"
        );
        let _ = writeln!(w, "          </xs:sequence>");
        let _ = writeln!(w, "        </xs:complexType>");
        let _ = writeln!(w, "      </xs:element>");
    }
    let _ = writeln!(w, "    </xs:schema>");

    // The data contract schema: one result type per operation, fields in the order they are sent.
    let _ = writeln!(
        w,
        "    <xs:schema elementFormDefault=\"qualified\" targetNamespace=\"{rns}\" xmlns:q=\"{rns}\">"
    );
    for op in &ops {
        let name = op.name();
        let _ = writeln!(w, "      <xs:complexType name=\"{name}Result\">");
        let _ = writeln!(w, "        <xs:sequence>");
        let _ = writeln!(
            w,
            "          <xs:element minOccurs=\"0\" name=\"responseCode\" type=\"xs:int\"/>"
        );
        let _ = writeln!(
            w,
            "          <xs:element minOccurs=\"0\" name=\"responseMessage\" nillable=\"true\" type=\"xs:string\"/>"
        );
        for f in op.result_fields() {
            let fname = f.wire_name();
            if f.is_int() {
                let _ = writeln!(
                    w,
                    "          <xs:element minOccurs=\"0\" name=\"{fname}\" nillable=\"true\" type=\"xs:int\"/>"
                );
            } else {
                let _ = writeln!(
                    w,
                    "          <xs:element minOccurs=\"0\" name=\"{fname}\" nillable=\"true\" type=\"xs:string\"/>"
                );
            }
        }
        let _ = writeln!(w, "        </xs:sequence>");
        let _ = writeln!(w, "      </xs:complexType>");
        let _ = writeln!(
            w,
            "      <xs:element name=\"{name}Result\" nillable=\"true\" type=\"q:{name}Result\"/>"
        );
    }
    let _ = writeln!(w, "    </xs:schema>");
    let _ = writeln!(w, "  </wsdl:types>");

    for op in &ops {
        let name = op.name();
        for (dir, element) in [
            ("Input", name.to_string()),
            ("Output", format!("{name}Response")),
        ] {
            let _ = writeln!(
                w,
                "  <wsdl:message name=\"{contract}_{name}_{dir}Message\">\n    \
                 <wsdl:part name=\"parameters\" element=\"tns:{element}\"/>\n  </wsdl:message>"
            );
        }
    }

    let _ = writeln!(w, "  <wsdl:portType name=\"{contract}\">");
    for op in &ops {
        let name = op.name();
        let _ = writeln!(w, "    <wsdl:operation name=\"{name}\">");
        let _ = writeln!(
            w,
            "      <wsdl:input message=\"tns:{contract}_{name}_InputMessage\"/>"
        );
        let _ = writeln!(
            w,
            "      <wsdl:output message=\"tns:{contract}_{name}_OutputMessage\"/>"
        );
        let _ = writeln!(w, "    </wsdl:operation>");
    }
    let _ = writeln!(w, "  </wsdl:portType>");

    let _ = writeln!(
        w,
        "  <wsdl:binding name=\"BasicHttpBinding_{contract}\" type=\"tns:{contract}\">"
    );
    let _ = writeln!(w, "    <soap:binding transport=\"{SOAP_HTTP_TRANSPORT}\"/>");
    for op in &ops {
        let name = op.name();
        let action = attr(&names.action(*op));
        let _ = writeln!(w, "    <wsdl:operation name=\"{name}\">");
        let _ = writeln!(
            w,
            "      <soap:operation soapAction=\"{action}\" style=\"document\"/>"
        );
        let _ = writeln!(
            w,
            "      <wsdl:input>\n        <soap:body use=\"literal\"/>\n      </wsdl:input>"
        );
        let _ = writeln!(
            w,
            "      <wsdl:output>\n        <soap:body use=\"literal\"/>\n      </wsdl:output>"
        );
        let _ = writeln!(w, "    </wsdl:operation>");
    }
    let _ = writeln!(w, "  </wsdl:binding>");

    let _ = writeln!(w, "  <wsdl:service name=\"ECAPI\">");
    let _ = writeln!(
        w,
        "    <wsdl:port name=\"BasicHttpBinding_{contract}\" binding=\"tns:BasicHttpBinding_{contract}\">"
    );
    let _ = writeln!(w, "      <soap:address location=\"{}\"/>", attr(address));
    let _ = writeln!(w, "    </wsdl:port>");
    let _ = writeln!(w, "  </wsdl:service>");
    let _ = writeln!(w, "</wsdl:definitions>");
    w
}

fn attr(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    push_attr(&mut out, text);
    out
}
