//! The description `ecapi serve` publishes, in the documents and the shape WCF's metadata exporter
//! gives a basicHttpBinding service (`docs/wsdl.md` has the whole account, line by line):
//!
//! - `?wsdl`: the WSDL whose `wsdl:types` only imports the schemas, each at `?xsd=xsdN`
//!   (`MessageContractExporter.EnsureXsdImport` makes the `…/Imports` schema;
//!   `ServiceMetadataExtension` numbers the documents). When the contract namespace is not the
//!   binding's (`http://tempuri.org/`, WCF's default), the types, messages and port type move to
//!   `?wsdl=wsdl0` and `?wsdl` imports it (`WsdlExporter.GetOrCreateWsdl` makes one document per
//!   namespace, `EnsureWsdlContainsImport` links them).
//! - `?xsd=xsd0`: the message schema (one wrapper element per operation and per answer), `xsd1`:
//!   the DataContractSerializer's own schema, `xsd2`: the data contract schema of the results.
//! - `?singleWsdl`: all of it in one document, schemas inline without `schemaLocation`
//!   (`WsdlHelper.GetSingleWsdl`).
//!
//! Every portType input and output carries `wsaw:Action` (`WsdlExporter.WSAddressingHelper.
//! AddActionAttribute`, WS-Policy 1.2 being WCF's default policy version): a WCF client generator
//! takes each operation's action from it, and without it generates `Action="*"`.
//!
//! Request parameters are `minOccurs="0"` and strings `nillable="true"`, as the
//! DataContractSerializer operation formatter exports them; the result fields are a data contract.

use std::fmt::Write;

use super::names::{Names, SOAP_HTTP_TRANSPORT, WSDL_NS, WSDL_SOAP_NS, XS_NS};
use super::xml::push_attr;
use crate::api::{ApiVersion, Operation};

/// The namespace WCF gives a binding and a service unless configured otherwise.
pub const WCF_DEFAULT_NS: &str = "http://tempuri.org/";
/// The DataContractSerializer's own schema namespace (`ser:char`, `ser:guid`...).
pub const SERIALIZATION_NS: &str = "http://schemas.microsoft.com/2003/10/Serialization/";
/// WS-Addressing 1.0 WSDL binding namespace, the home of `wsaw:Action`.
pub const WSAW_NS: &str = "http://www.w3.org/2006/05/addressing/wsdl";

/// The namespace declarations `WsdlExporter`'s `WsdlNamespaceHelper` puts on every
/// `wsdl:definitions`, in its order (before `tns` and any `i0`).
const DEFINITION_PREFIXES: [(&str, &str); 14] = [
    ("wsdl", WSDL_NS),
    ("xsd", XS_NS),
    ("wsp", "http://schemas.xmlsoap.org/ws/2004/09/policy"),
    (
        "wsu",
        "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd",
    ),
    ("wsa", "http://schemas.xmlsoap.org/ws/2004/08/addressing"),
    (
        "wsap",
        "http://schemas.xmlsoap.org/ws/2004/08/addressing/policy",
    ),
    ("wsa10", "http://www.w3.org/2005/08/addressing"),
    ("wsaw", WSAW_NS),
    ("wsam", "http://www.w3.org/2007/05/addressing/metadata"),
    ("wsx", "http://schemas.xmlsoap.org/ws/2004/09/mex"),
    (
        "msc",
        "http://schemas.microsoft.com/ws/2005/12/wsdl/contract",
    ),
    ("soapenc", "http://schemas.xmlsoap.org/soap/encoding/"),
    ("soap12", "http://schemas.xmlsoap.org/wsdl/soap12/"),
    ("soap", WSDL_SOAP_NS),
];

/// One of the documents of the description, as a `GET` query names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WsdlDocument {
    /// `?wsdl`: the WSDL with the service.
    Wsdl,
    /// `?wsdl=wsdlN`: a WSDL it imports (only `wsdl0`, and only when the contract namespace is
    /// not the binding's).
    Import(usize),
    /// `?xsd=xsdN`: a schema.
    Xsd(usize),
    /// `?singleWsdl`: everything in one document.
    SingleWsdl,
}

impl WsdlDocument {
    /// The document a query string names (without the `?`), as WCF's metadata extension reads it:
    /// keys and values without regard to case; `None` for a query naming none.
    pub fn from_query(query: &str) -> Option<WsdlDocument> {
        let first = query.split('&').next().unwrap_or("");
        let (key, value) = match first.split_once('=') {
            Some((k, v)) => (k, Some(v)),
            None => (first, None),
        };
        let key = key.to_ascii_lowercase();
        let value = value.filter(|v| !v.is_empty()).map(str::to_ascii_lowercase);
        let number = |v: &str, prefix: &str| -> Option<usize> {
            let digits = v.strip_prefix(prefix)?;
            // WCF's table holds `wsdl0`, `xsd2`...: no sign, no leading zero.
            if digits.is_empty() || (digits.len() > 1 && digits.starts_with('0')) {
                return None;
            }
            digits.parse().ok()
        };
        match (key.as_str(), value.as_deref()) {
            ("wsdl", None) => Some(WsdlDocument::Wsdl),
            ("wsdl", Some(v)) => number(v, "wsdl").map(WsdlDocument::Import),
            ("xsd", Some(v)) => number(v, "xsd").map(WsdlDocument::Xsd),
            ("singlewsdl", _) => Some(WsdlDocument::SingleWsdl),
            _ => None,
        }
    }

    /// The query string naming this document (without the `?`).
    pub fn query(self) -> String {
        match self {
            WsdlDocument::Wsdl => "wsdl".to_string(),
            WsdlDocument::Import(n) => format!("wsdl=wsdl{n}"),
            WsdlDocument::Xsd(n) => format!("xsd=xsd{n}"),
            WsdlDocument::SingleWsdl => "singleWsdl".to_string(),
        }
    }
}

/// A document of the description for an API version, with the service at `address` (the
/// endpoint's absolute URL, also the base of every import's location); `None` when the description
/// has no such document (`?wsdl=wsdl0` of a contract in the binding's namespace, `?xsd=xsd3`).
pub fn wsdl_document(
    doc: WsdlDocument,
    version: ApiVersion,
    names: &Names,
    address: &str,
) -> Option<String> {
    let d = Description::new(version, names, address);
    match doc {
        WsdlDocument::Wsdl => Some(d.service_wsdl()),
        WsdlDocument::Import(0) if d.split() => Some(d.contract_wsdl()),
        WsdlDocument::Import(_) => None,
        WsdlDocument::Xsd(n) => d.schema_document(n),
        WsdlDocument::SingleWsdl => Some(d.single_wsdl()),
    }
}

/// The `?singleWsdl` document: the whole description in one, which needs no further fetch.
pub fn single_wsdl(version: ApiVersion, names: &Names, address: &str) -> String {
    Description::new(version, names, address).single_wsdl()
}

/// The schemas, in the order WCF numbers them (`xsd0`, `xsd1`, `xsd2`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Schema {
    /// The wrapper elements, in the contract namespace.
    Messages,
    /// The DataContractSerializer's own schema.
    Serialization,
    /// The result data contracts.
    Results,
}

const SCHEMAS: [Schema; 3] = [Schema::Messages, Schema::Serialization, Schema::Results];

struct Description<'a> {
    ops: Vec<Operation>,
    version: ApiVersion,
    names: &'a Names,
    address: &'a str,
}

impl<'a> Description<'a> {
    fn new(version: ApiVersion, names: &'a Names, address: &'a str) -> Description<'a> {
        Description {
            ops: Operation::ALL
                .into_iter()
                .filter(|op| op.exists_in(version))
                .collect(),
            version,
            names,
            address,
        }
    }

    /// Whether WCF splits the description: the port type lives in the contract's namespace, the
    /// binding and the service in the binding's (`WsdlExporter.GetOrCreateWsdl` per namespace).
    fn split(&self) -> bool {
        self.names.service_ns != WCF_DEFAULT_NS
    }

    fn schema_ns(&self, schema: Schema) -> &str {
        match schema {
            Schema::Messages => &self.names.service_ns,
            Schema::Serialization => SERIALIZATION_NS,
            Schema::Results => &self.names.result_ns,
        }
    }

    fn location(&self, doc: WsdlDocument) -> String {
        format!("{}?{}", self.address, doc.query())
    }

    /// `?wsdl`.
    fn service_wsdl(&self) -> String {
        let mut w = String::with_capacity(16 * 1024);
        if self.split() {
            // The binding's document: it imports the contract's (prefix `i0`, from
            // `WsdlNamespaceHelper.FindOrCreatePrefix("i", …)`), and has empty types.
            let contract_ns = attr(&self.names.service_ns);
            definitions_open(
                &mut w,
                WCF_DEFAULT_NS,
                &[("i0", self.names.service_ns.as_str())],
            );
            let _ = writeln!(
                w,
                "  <wsdl:import namespace=\"{contract_ns}\" location=\"{}\"/>",
                attr(&self.location(WsdlDocument::Import(0)))
            );
            let _ = writeln!(w, "  <wsdl:types/>");
            self.binding(&mut w, "i0");
            self.service(&mut w);
        } else {
            definitions_open(&mut w, WCF_DEFAULT_NS, &[]);
            self.imports_schema(&mut w);
            self.messages_and_port_type(&mut w);
            self.binding(&mut w, "tns");
            self.service(&mut w);
        }
        let _ = writeln!(w, "</wsdl:definitions>");
        w
    }

    /// `?wsdl=wsdl0` of a split description: types, messages and the port type.
    fn contract_wsdl(&self) -> String {
        let mut w = String::with_capacity(12 * 1024);
        definitions_open(&mut w, &self.names.service_ns, &[]);
        self.imports_schema(&mut w);
        self.messages_and_port_type(&mut w);
        let _ = writeln!(w, "</wsdl:definitions>");
        w
    }

    /// `?singleWsdl`: the contract's document with the schemas inline and the binding and service
    /// merged in (`WsdlHelper.GetSingleWsdl`).
    fn single_wsdl(&self) -> String {
        let mut w = String::with_capacity(20 * 1024);
        definitions_open(&mut w, &self.names.service_ns, &[]);
        let _ = writeln!(w, "  <wsdl:types>");
        for schema in SCHEMAS {
            self.schema(&mut w, schema, "    ", false);
        }
        let _ = writeln!(w, "  </wsdl:types>");
        self.messages_and_port_type(&mut w);
        self.binding(&mut w, "tns");
        self.service(&mut w);
        let _ = writeln!(w, "</wsdl:definitions>");
        w
    }

    /// `?xsd=xsdN`.
    fn schema_document(&self, n: usize) -> Option<String> {
        let schema = *SCHEMAS.get(n)?;
        let mut w = String::with_capacity(8 * 1024);
        let _ = writeln!(w, "<?xml version=\"1.0\" encoding=\"utf-8\"?>");
        self.schema(&mut w, schema, "", true);
        Some(w)
    }

    /// The `…/Imports` schema of `wsdl:types`: one `xsd:import` per schema, each at its `?xsd=`
    /// (`MessageContractExporter.EnsureXsdImport`, locations by `FixImportAddresses`).
    fn imports_schema(&self, w: &mut String) {
        let ns = &self.names.service_ns;
        let imports_ns = if ns.ends_with('/') {
            format!("{ns}Imports")
        } else {
            format!("{ns}/Imports")
        };
        let _ = writeln!(w, "  <wsdl:types>");
        let _ = writeln!(
            w,
            "    <xsd:schema targetNamespace=\"{}\">",
            attr(&imports_ns)
        );
        for (n, schema) in SCHEMAS.iter().enumerate() {
            let _ = writeln!(
                w,
                "      <xsd:import schemaLocation=\"{}\" namespace=\"{}\"/>",
                attr(&self.location(WsdlDocument::Xsd(n))),
                attr(self.schema_ns(*schema))
            );
        }
        let _ = writeln!(w, "    </xsd:schema>");
        let _ = writeln!(w, "  </wsdl:types>");
    }

    fn schema(&self, w: &mut String, schema: Schema, indent: &str, with_locations: bool) {
        match schema {
            Schema::Messages => self.messages_schema(w, indent, with_locations),
            Schema::Serialization => serialization_schema(w, indent),
            Schema::Results => self.results_schema(w, indent),
        }
    }

    /// `xsd0`: a wrapper element per operation with its parameters in the guide's order, and one
    /// per answer holding the result; each reference to a result type declares its own prefix
    /// (`q1`, `q2`...), as the data contract exporter writes them.
    fn messages_schema(&self, w: &mut String, i: &str, with_locations: bool) {
        let ns = attr(&self.names.service_ns);
        let rns = attr(&self.names.result_ns);
        let _ = writeln!(
            w,
            "{i}<xs:schema elementFormDefault=\"qualified\" targetNamespace=\"{ns}\" \
             xmlns:xs=\"{XS_NS}\">"
        );
        if with_locations {
            let _ = writeln!(
                w,
                "{i}  <xs:import schemaLocation=\"{}\" namespace=\"{rns}\"/>",
                attr(&self.location(WsdlDocument::Xsd(2)))
            );
        } else {
            let _ = writeln!(w, "{i}  <xs:import namespace=\"{rns}\"/>");
        }
        for (n, op) in self.ops.iter().enumerate() {
            let name = op.name();
            let _ = writeln!(w, "{i}  <xs:element name=\"{name}\">");
            let _ = writeln!(w, "{i}    <xs:complexType>");
            let _ = writeln!(w, "{i}      <xs:sequence>");
            for p in op.params(self.version) {
                let pname = p.wire_name(self.version);
                if p.is_int() {
                    let _ = writeln!(
                        w,
                        "{i}        <xs:element minOccurs=\"0\" name=\"{pname}\" type=\"xs:int\"/>"
                    );
                } else {
                    let _ = writeln!(
                        w,
                        "{i}        <xs:element minOccurs=\"0\" name=\"{pname}\" nillable=\"true\" \
                         type=\"xs:string\"/>"
                    );
                }
            }
            let _ = writeln!(w, "{i}      </xs:sequence>");
            let _ = writeln!(w, "{i}    </xs:complexType>");
            let _ = writeln!(w, "{i}  </xs:element>");
            let q = n + 1;
            let _ = writeln!(w, "{i}  <xs:element name=\"{name}Response\">");
            let _ = writeln!(w, "{i}    <xs:complexType>");
            let _ = writeln!(w, "{i}      <xs:sequence>");
            let _ = writeln!(
                w,
                "{i}        <xs:element xmlns:q{q}=\"{rns}\" minOccurs=\"0\" name=\"{name}Result\" \
                 nillable=\"true\" type=\"q{q}:{name}Result\"/>"
            );
            let _ = writeln!(w, "{i}      </xs:sequence>");
            let _ = writeln!(w, "{i}    </xs:complexType>");
            let _ = writeln!(w, "{i}  </xs:element>");
        }
        let _ = writeln!(w, "{i}</xs:schema>");
    }

    /// `xsd2`: one data contract per result, its members in the order they are sent
    /// (`responseCode`, `responseMessage`, then the operation's fields in ordinal order), with a
    /// global element of the same name, as the data contract exporter pairs them.
    fn results_schema(&self, w: &mut String, i: &str) {
        let rns = attr(&self.names.result_ns);
        let _ = writeln!(
            w,
            "{i}<xs:schema elementFormDefault=\"qualified\" targetNamespace=\"{rns}\" \
             xmlns:xs=\"{XS_NS}\" xmlns:tns=\"{rns}\">"
        );
        for op in &self.ops {
            let name = op.name();
            let _ = writeln!(w, "{i}  <xs:complexType name=\"{name}Result\">");
            let _ = writeln!(w, "{i}    <xs:sequence>");
            let _ = writeln!(
                w,
                "{i}      <xs:element minOccurs=\"0\" name=\"responseCode\" type=\"xs:int\"/>"
            );
            let _ = writeln!(
                w,
                "{i}      <xs:element minOccurs=\"0\" name=\"responseMessage\" nillable=\"true\" \
                 type=\"xs:string\"/>"
            );
            for f in op.result_fields() {
                let fname = f.wire_name();
                let ty = if f.is_int() { "xs:int" } else { "xs:string" };
                let _ = writeln!(
                    w,
                    "{i}      <xs:element minOccurs=\"0\" name=\"{fname}\" nillable=\"true\" \
                     type=\"{ty}\"/>"
                );
            }
            let _ = writeln!(w, "{i}    </xs:sequence>");
            let _ = writeln!(w, "{i}  </xs:complexType>");
            let _ = writeln!(
                w,
                "{i}  <xs:element name=\"{name}Result\" nillable=\"true\" type=\"tns:{name}Result\"/>"
            );
        }
        let _ = writeln!(w, "{i}</xs:schema>");
    }

    /// The messages (`MessageContractExporter`: `<contract>_<op>_InputMessage`, one part named
    /// `parameters`) and the port type, every input and output with its `wsaw:Action`.
    fn messages_and_port_type(&self, w: &mut String) {
        let contract = attr(&self.names.contract);
        for op in &self.ops {
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
        for op in &self.ops {
            let name = op.name();
            let action = self.names.action(*op);
            let _ = writeln!(w, "    <wsdl:operation name=\"{name}\">");
            let _ = writeln!(
                w,
                "      <wsdl:input wsaw:Action=\"{}\" message=\"tns:{contract}_{name}_InputMessage\"/>",
                attr(&action)
            );
            let _ = writeln!(
                w,
                "      <wsdl:output wsaw:Action=\"{}\" message=\"tns:{contract}_{name}_OutputMessage\"/>",
                attr(&format!("{action}Response"))
            );
            let _ = writeln!(w, "    </wsdl:operation>");
        }
        let _ = writeln!(w, "  </wsdl:portType>");
    }

    /// The SOAP 1.1 binding; `port_type_prefix` names the port type's namespace (`tns`, or `i0`
    /// in the binding's own document of a split description).
    fn binding(&self, w: &mut String, port_type_prefix: &str) {
        let contract = attr(&self.names.contract);
        let _ = writeln!(
            w,
            "  <wsdl:binding name=\"BasicHttpBinding_{contract}\" type=\"{port_type_prefix}:{contract}\">"
        );
        let _ = writeln!(w, "    <soap:binding transport=\"{SOAP_HTTP_TRANSPORT}\"/>");
        for op in &self.ops {
            let name = op.name();
            let action = attr(&self.names.action(*op));
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
    }

    fn service(&self, w: &mut String) {
        let contract = attr(&self.names.contract);
        let _ = writeln!(w, "  <wsdl:service name=\"ECAPI\">");
        let _ = writeln!(
            w,
            "    <wsdl:port name=\"BasicHttpBinding_{contract}\" binding=\"tns:BasicHttpBinding_{contract}\">"
        );
        let _ = writeln!(
            w,
            "      <soap:address location=\"{}\"/>",
            attr(self.address)
        );
        let _ = writeln!(w, "    </wsdl:port>");
        let _ = writeln!(w, "  </wsdl:service>");
    }
}

/// The XML declaration and `wsdl:definitions` with the exporter's namespace declarations, `tns`
/// for `target_ns`, then `extra` (an import's `i0`).
fn definitions_open(w: &mut String, target_ns: &str, extra: &[(&str, &str)]) {
    let _ = writeln!(w, "<?xml version=\"1.0\" encoding=\"utf-8\"?>");
    let _ = write!(
        w,
        "<wsdl:definitions name=\"ECAPI\" targetNamespace=\"{}\"",
        attr(target_ns)
    );
    for (prefix, ns) in DEFINITION_PREFIXES {
        let _ = write!(w, " xmlns:{prefix}=\"{ns}\"");
    }
    let _ = write!(w, " xmlns:tns=\"{}\"", attr(target_ns));
    for (prefix, ns) in extra {
        let _ = write!(w, " xmlns:{prefix}=\"{}\"", attr(ns));
    }
    let _ = writeln!(w, ">");
}

/// `xsd1`: the schema the DataContractSerializer exports with every service, describing its own
/// primitive types and attributes (the "Data Contract Schema Reference" lists it).
fn serialization_schema(w: &mut String, i: &str) {
    let _ = writeln!(
        w,
        "{i}<xs:schema attributeFormDefault=\"qualified\" elementFormDefault=\"qualified\" \
         targetNamespace=\"{SERIALIZATION_NS}\" xmlns:xs=\"{XS_NS}\" xmlns:tns=\"{SERIALIZATION_NS}\">"
    );
    for ty in [
        "anyType",
        "anyURI",
        "base64Binary",
        "boolean",
        "byte",
        "dateTime",
        "decimal",
        "double",
        "float",
        "int",
        "long",
        "QName",
        "short",
        "string",
        "unsignedByte",
        "unsignedInt",
        "unsignedLong",
        "unsignedShort",
    ] {
        let _ = writeln!(
            w,
            "{i}  <xs:element name=\"{ty}\" nillable=\"true\" type=\"xs:{ty}\"/>"
        );
    }
    let _ = writeln!(
        w,
        "{i}  <xs:element name=\"char\" nillable=\"true\" type=\"tns:char\"/>\n\
         {i}  <xs:simpleType name=\"char\">\n\
         {i}    <xs:restriction base=\"xs:int\"/>\n\
         {i}  </xs:simpleType>\n\
         {i}  <xs:element name=\"duration\" nillable=\"true\" type=\"tns:duration\"/>\n\
         {i}  <xs:simpleType name=\"duration\">\n\
         {i}    <xs:restriction base=\"xs:duration\">\n\
         {i}      <xs:pattern value=\"\\-?P(\\d*D)?(T(\\d*H)?(\\d*M)?(\\d*(\\.\\d*)?S)?)?\"/>\n\
         {i}      <xs:minInclusive value=\"-P10675199DT2H48M5.4775808S\"/>\n\
         {i}      <xs:maxInclusive value=\"P10675199DT2H48M5.4775807S\"/>\n\
         {i}    </xs:restriction>\n\
         {i}  </xs:simpleType>\n\
         {i}  <xs:element name=\"guid\" nillable=\"true\" type=\"tns:guid\"/>\n\
         {i}  <xs:simpleType name=\"guid\">\n\
         {i}    <xs:restriction base=\"xs:string\">\n\
         {i}      <xs:pattern value=\"[\\da-fA-F]{{8}}-[\\da-fA-F]{{4}}-[\\da-fA-F]{{4}}-[\\da-fA-F]{{4}}-[\\da-fA-F]{{12}}\"/>\n\
         {i}    </xs:restriction>\n\
         {i}  </xs:simpleType>\n\
         {i}  <xs:attribute name=\"FactoryType\" type=\"xs:QName\"/>\n\
         {i}  <xs:attribute name=\"Id\" type=\"xs:ID\"/>\n\
         {i}  <xs:attribute name=\"Ref\" type=\"xs:IDREF\"/>\n\
         {i}</xs:schema>"
    );
}

fn attr(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    push_attr(&mut out, text);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries_name_documents_as_wcf_reads_them() {
        assert_eq!(WsdlDocument::from_query("wsdl"), Some(WsdlDocument::Wsdl));
        assert_eq!(WsdlDocument::from_query("WSDL"), Some(WsdlDocument::Wsdl));
        assert_eq!(
            WsdlDocument::from_query("singleWsdl"),
            Some(WsdlDocument::SingleWsdl)
        );
        assert_eq!(
            WsdlDocument::from_query("wsdl=wsdl0"),
            Some(WsdlDocument::Import(0))
        );
        assert_eq!(
            WsdlDocument::from_query("xsd=XSD2"),
            Some(WsdlDocument::Xsd(2))
        );
        assert_eq!(WsdlDocument::from_query("xsd=xsd02"), None);
        assert_eq!(WsdlDocument::from_query("xsd"), None);
        assert_eq!(WsdlDocument::from_query("disco"), None);
    }

    #[test]
    fn a_contract_in_the_default_namespace_has_no_wsdl0_and_three_schemas() {
        let names = Names::default();
        let at = "http://h/WebAPI/ECAPI.svc";
        let doc = |d| wsdl_document(d, ApiVersion::V7_1, &names, at);
        assert!(doc(WsdlDocument::Import(0)).is_none());
        for n in 0..3 {
            assert!(doc(WsdlDocument::Xsd(n)).is_some(), "xsd{n}");
        }
        assert!(doc(WsdlDocument::Xsd(3)).is_none());
        let wsdl = doc(WsdlDocument::Wsdl).unwrap();
        assert!(wsdl.contains("schemaLocation=\"http://h/WebAPI/ECAPI.svc?xsd=xsd2\""));
        assert!(wsdl.contains(
            "<wsdl:input wsaw:Action=\"http://tempuri.org/IECAPI/InitStation\" \
             message=\"tns:IECAPI_InitStation_InputMessage\"/>"
        ));
        assert!(wsdl.contains(
            "<wsdl:output wsaw:Action=\"http://tempuri.org/IECAPI/InitStationResponse\""
        ));
    }

    #[test]
    fn a_contract_in_its_own_namespace_moves_to_wsdl0() {
        let names = Names {
            service_ns: "urn:encore".to_string(),
            ..Names::default()
        };
        let at = "http://h/WebAPI/ECAPI.svc";
        let wsdl = wsdl_document(WsdlDocument::Wsdl, ApiVersion::V7_0, &names, at).unwrap();
        assert!(wsdl.contains(
            "<wsdl:import namespace=\"urn:encore\" location=\"http://h/WebAPI/ECAPI.svc?wsdl=wsdl0\"/>"
        ));
        assert!(wsdl.contains("type=\"i0:IECAPI\""));
        assert!(!wsdl.contains("wsdl:portType"));
        let wsdl0 = wsdl_document(WsdlDocument::Import(0), ApiVersion::V7_0, &names, at).unwrap();
        assert!(wsdl0.contains("targetNamespace=\"urn:encore\""));
        assert!(wsdl0.contains("<xsd:schema targetNamespace=\"urn:encore/Imports\">"));
        assert!(wsdl0.contains("wsaw:Action=\"urn:encore/IECAPI/GetURL\""));
        let single = single_wsdl(ApiVersion::V7_0, &names, at);
        assert!(single.contains("binding=\"tns:BasicHttpBinding_IECAPI\""));
        assert!(!single.contains("schemaLocation"));
    }
}
