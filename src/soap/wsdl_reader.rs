//! Reads a server's WSDL into a [`Contract`]: the service namespace, each operation's SOAPAction
//! and the order of its parameters.
//!
//! WCF splits its description over several documents (`?wsdl` imports `?wsdl=wsdl0`, whose types
//! import `?xsd=xsd0`...), so the reader follows `wsdl:import` and `xsd:import`/`xsd:include`
//! through a caller-supplied fetch function; it knows nothing of HTTP. Every document goes through
//! the guarded parser, and the number of documents is capped.
//!
//! Besides the contract, the WSDL says which API version the server speaks (wire.md, "The client":
//! 7.1 when it describes any operation 7.1 added, else 7.0) and which operations it offers, so that
//! the client refuses an operation the server lacks before sending it. Any document that cannot be
//! had or read is an error naming that document, so that the client can fall back to the defaults
//! and say why.

use std::collections::{HashMap, HashSet, VecDeque};

use super::contract::{Contract, ContractSource, OperationShape};
use super::names::{Names, WSDL_NS, WSDL_SOAP_NS, XS_NS};
use super::xml::{Attr, Item, Pull, XmlError};
use crate::api::{ApiVersion, Operation, Param};

/// How many documents one description may span.
const MAX_DOCUMENTS: usize = 16;

/// Why a WSDL could not be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WsdlError {
    /// A document could not be fetched (refused, timed out, an HTTP error...).
    #[error("cannot fetch {url}: {detail}")]
    Fetch {
        /// The document's URL (as resolved, when the fetch could resolve it).
        url: String,
        /// What the fetch reported.
        detail: String,
    },
    /// A document is XML but neither a WSDL nor an XML schema (an HTML error page, say).
    #[error("{url} is not a WSDL or XML schema document (its root element is `{root}`)")]
    NotWsdl {
        /// The document's URL.
        url: String,
        /// The root element's local name.
        root: String,
    },
    /// A document is not acceptable XML.
    #[error("{url} is not readable XML: {error}")]
    Xml {
        /// The document's URL.
        url: String,
        /// Why.
        error: XmlError,
    },
    /// The documents describe none of the Web API's operations.
    #[error("{0} describes none of the Web API's operations")]
    NoOperations(String),
    /// The imports go on beyond the cap.
    #[error("the WSDL at {0} imports more than {MAX_DOCUMENTS} documents")]
    TooManyDocuments(String),
}

/// Why a fetch failed: the URL tried (resolved, when it could be) and what happened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchError {
    /// The URL tried; `None` when the location could not even be resolved.
    pub url: Option<String>,
    /// What happened, for the user.
    pub detail: String,
}

impl From<String> for FetchError {
    fn from(detail: String) -> FetchError {
        FetchError { url: None, detail }
    }
}

/// A document fetcher: given the URL of the importing document (`None` for the first) and a
/// location as written, returns the resolved URL and the document's bytes, as UTF-8.
pub type Fetch<'a> = dyn FnMut(Option<&str>, &str) -> Result<(String, Vec<u8>), FetchError> + 'a;

/// An element of a document, with what the reader needs of it.
#[derive(Debug)]
struct Node {
    ns: Option<String>,
    local: String,
    attrs: Vec<Attr>,
    children: Vec<Node>,
}

impl Node {
    fn attr(&self, local: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|a| a.local == local && a.ns.is_none())
            .map(|a| a.value.as_str())
    }

    fn is(&self, ns: &str, local: &str) -> bool {
        self.ns.as_deref() == Some(ns) && self.local == local
    }

    fn children<'s>(&'s self, ns: &'s str, local: &'s str) -> impl Iterator<Item = &'s Node> + 's {
        self.children.iter().filter(move |c| c.is(ns, local))
    }
}

fn parse(bytes: &[u8]) -> Result<Node, XmlError> {
    let mut pull = Pull::new(bytes);
    let mut stack: Vec<Node> = Vec::new();
    while let Some(item) = pull.next_item()? {
        match item {
            Item::Start { ns, local, attrs } => stack.push(Node {
                ns,
                local,
                attrs,
                children: Vec::new(),
            }),
            Item::End => {
                let node = stack.pop().expect("the parser balances elements");
                match stack.last_mut() {
                    Some(parent) => parent.children.push(node),
                    None => return Ok(node),
                }
            }
            Item::Text(_) => {}
        }
    }
    Err(XmlError::Empty)
}

/// The part of a `prefix:name` value after the prefix.
fn local_part(qname: &str) -> &str {
    qname.rsplit(':').next().unwrap_or(qname)
}

#[derive(Debug, Default)]
struct Found {
    definitions_ns: Option<String>,
    contract: Option<String>,
    actions: HashMap<String, String>,
    /// Top-level schema elements: name → (schema namespace, child element names in order).
    elements: HashMap<String, (String, Vec<String>)>,
    /// Operation names of port types.
    port_ops: HashSet<String>,
}

/// What a server's WSDL (with everything it imports) describes.
#[derive(Debug)]
pub struct ServerWsdl {
    found: Found,
    url: String,
}

impl ServerWsdl {
    /// The URL of the WSDL's first document.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Whether the WSDL describes an operation (in a binding, a port type or as a schema element).
    pub fn offers(&self, op: Operation) -> bool {
        let name = op.name();
        self.found.actions.contains_key(name)
            || self.found.elements.contains_key(name)
            || self.found.port_ops.contains(name)
    }

    /// The operations the WSDL describes, in the guide's order.
    pub fn offered(&self) -> Vec<Operation> {
        Operation::ALL
            .into_iter()
            .filter(|op| self.offers(*op))
            .collect()
    }

    /// The API version the WSDL describes: 7.1 when it has any operation that 7.1 added, else 7.0
    /// (wire.md, "The client").
    pub fn api(&self) -> ApiVersion {
        if Operation::ALL
            .iter()
            .any(|op| op.since() == ApiVersion::V7_1 && self.offers(*op))
        {
            ApiVersion::V7_1
        } else {
            ApiVersion::V7_0
        }
    }

    /// The contract for speaking `version` to this server. Operations the WSDL does not describe
    /// keep their default shape under the names it gives.
    pub fn contract(&self, version: ApiVersion) -> Contract {
        let found = &self.found;
        let defaults = Names::default();
        let service_ns = Operation::ALL
            .iter()
            .find_map(|op| found.elements.get(op.name()).map(|(ns, _)| ns.clone()))
            .or(found.definitions_ns.clone())
            .unwrap_or(defaults.service_ns.clone());
        let names = Names {
            service_ns,
            contract: found.contract.clone().unwrap_or(defaults.contract.clone()),
            ..defaults
        };
        let operations = Operation::ALL
            .into_iter()
            .filter(|op| op.exists_in(version))
            .map(|op| {
                let mut shape = OperationShape::default_for(op, version, &names);
                if let Some(action) = found.actions.get(op.name()) {
                    shape.action = action.clone();
                }
                if let Some((ns, children)) = found.elements.get(op.name()) {
                    shape.ns = ns.clone();
                    let takes = op.params(ApiVersion::V7_1);
                    shape.params = children
                        .iter()
                        .map(|name| {
                            let param = Param::from_wire_name(name).filter(|p| takes.contains(p));
                            (name.clone(), param)
                        })
                        .collect();
                }
                shape
            })
            .collect();
        Contract {
            names,
            operations,
            source: ContractSource::Wsdl(self.url.clone()),
        }
    }
}

/// Reads the WSDL at `url` and everything it imports into the contract for `version`. Operations
/// the WSDL does not describe keep their default shape.
pub fn read_contract(
    url: &str,
    version: ApiVersion,
    fetch: &mut Fetch<'_>,
) -> Result<Contract, WsdlError> {
    Ok(read_wsdl(url, fetch)?.contract(version))
}

/// Reads the WSDL at `url` and everything it imports. Any document that cannot be fetched, is not
/// XML, or is neither a WSDL nor a schema is an error naming it; so is a description of none of
/// the Web API's operations.
pub fn read_wsdl(url: &str, fetch: &mut Fetch<'_>) -> Result<ServerWsdl, WsdlError> {
    let mut found = Found::default();
    let mut queue: VecDeque<(Option<String>, String)> = VecDeque::new();
    let mut seen: HashSet<String> = HashSet::new();
    queue.push_back((None, url.to_string()));
    let mut first_url = None;
    while let Some((base, location)) = queue.pop_front() {
        // A schema imported twice (WCF's `?wsdl` and `?xsd=xsd0` both import `?xsd=xsd2`) is
        // fetched once.
        if base.is_some() && seen.contains(&location) {
            continue;
        }
        if seen.len() >= MAX_DOCUMENTS {
            return Err(WsdlError::TooManyDocuments(url.to_string()));
        }
        let (doc_url, bytes) = fetch(base.as_deref(), &location).map_err(|e| WsdlError::Fetch {
            url: e.url.unwrap_or_else(|| location.clone()),
            detail: e.detail,
        })?;
        if !seen.insert(doc_url.clone()) {
            continue;
        }
        first_url.get_or_insert_with(|| doc_url.clone());
        let root = parse(&bytes).map_err(|error| WsdlError::Xml {
            url: doc_url.clone(),
            error,
        })?;
        let mut imports = Vec::new();
        if root.is(WSDL_NS, "definitions") {
            read_definitions(&root, &mut found, &mut imports);
        } else if root.is(XS_NS, "schema") {
            read_schema(&root, &mut found, &mut imports);
        } else {
            return Err(WsdlError::NotWsdl {
                url: doc_url,
                root: root.local,
            });
        }
        for location in imports {
            queue.push_back((Some(doc_url.clone()), location));
        }
    }
    let source_url = first_url.unwrap_or_else(|| url.to_string());

    let wsdl = ServerWsdl {
        found,
        url: source_url,
    };
    if wsdl.offered().is_empty() {
        return Err(WsdlError::NoOperations(wsdl.url));
    }
    Ok(wsdl)
}

fn read_definitions(root: &Node, found: &mut Found, imports: &mut Vec<String>) {
    if found.definitions_ns.is_none() {
        found.definitions_ns = root.attr("targetNamespace").map(str::to_string);
    }
    for import in root.children(WSDL_NS, "import") {
        if let Some(location) = import.attr("location") {
            imports.push(location.to_string());
        }
    }
    for types in root.children(WSDL_NS, "types") {
        for schema in types.children(XS_NS, "schema") {
            read_schema(schema, found, imports);
        }
    }
    for port_type in root.children(WSDL_NS, "portType") {
        if found.contract.is_none() {
            found.contract = port_type.attr("name").map(str::to_string);
        }
        for op in port_type.children(WSDL_NS, "operation") {
            if let Some(name) = op.attr("name") {
                found.port_ops.insert(name.to_string());
            }
        }
    }
    for binding in root.children(WSDL_NS, "binding") {
        // Only a SOAP 1.1 binding says how this client talks.
        if binding.children(WSDL_SOAP_NS, "binding").next().is_none() {
            continue;
        }
        for op in binding.children(WSDL_NS, "operation") {
            let (Some(name), Some(action)) = (
                op.attr("name"),
                op.children(WSDL_SOAP_NS, "operation")
                    .find_map(|o| o.attr("soapAction")),
            ) else {
                continue;
            };
            found
                .actions
                .entry(name.to_string())
                .or_insert_with(|| action.to_string());
        }
    }
}

fn read_schema(schema: &Node, found: &mut Found, imports: &mut Vec<String>) {
    let tns = schema
        .attr("targetNamespace")
        .unwrap_or_default()
        .to_string();
    for local in ["import", "include"] {
        for import in schema.children(XS_NS, local) {
            if let Some(location) = import.attr("schemaLocation") {
                imports.push(location.to_string());
            }
        }
    }
    for element in schema.children(XS_NS, "element") {
        let Some(name) = element.attr("name") else {
            continue;
        };
        if Operation::from_name(name).is_none() {
            continue;
        }
        let children = element
            .children(XS_NS, "complexType")
            .flat_map(|t| t.children(XS_NS, "sequence"))
            .flat_map(|s| s.children(XS_NS, "element"))
            .filter_map(|e| e.attr("name").or(e.attr("ref")).map(local_part))
            .map(str::to_string)
            .collect();
        found
            .elements
            .entry(name.to_string())
            .or_insert((tns.clone(), children));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::soap::{single_wsdl as wsdl, wsdl_document, WsdlDocument};

    /// Serves every document of our description at its URL, as `ecapi serve` does.
    fn served(
        v: ApiVersion,
        names: &Names,
    ) -> impl FnMut(Option<&str>, &str) -> Result<(String, Vec<u8>), FetchError> + '_ {
        move |_: Option<&str>, loc: &str| {
            let query = loc.split_once('?').map(|(_, q)| q).unwrap_or("");
            let doc = WsdlDocument::from_query(query)
                .and_then(|d| wsdl_document(d, v, names, "http://h/WebAPI/ECAPI.svc"))
                .ok_or_else(|| FetchError::from(format!("no document at {loc}")))?;
            Ok((loc.to_string(), doc.into_bytes()))
        }
    }

    #[test]
    fn each_document_of_our_description_is_fetched_once() {
        let names = Names::default();
        let mut inner = served(ApiVersion::V7_1, &names);
        let mut fetched = Vec::new();
        let mut fetch = |base: Option<&str>, loc: &str| {
            fetched.push(loc.to_string());
            inner(base, loc)
        };
        read_wsdl("http://h/WebAPI/ECAPI.svc?wsdl", &mut fetch).unwrap();
        fetched.sort();
        let before = fetched.len();
        fetched.dedup();
        assert_eq!((before, fetched.len()), (4, 4), "{fetched:?}");
    }

    #[test]
    fn the_wsdl_we_serve_reads_back_as_its_contract_split_or_single() {
        let own_ns = Names {
            service_ns: "urn:encore:webapi".to_string(),
            ..Names::default()
        };
        for names in [Names::default(), own_ns] {
            for v in ApiVersion::ALL {
                for first in ["?wsdl", "?singleWsdl"] {
                    let url = format!("http://h/WebAPI/ECAPI.svc{first}");
                    let contract = read_contract(&url, v, &mut served(v, &names)).unwrap();
                    let mut expected = Contract::defaults(v, &names);
                    expected.source = ContractSource::Wsdl(url.clone());
                    assert_eq!(contract, expected, "{v} {url} {}", names.service_ns);
                }
            }
        }
    }

    #[test]
    fn a_wcf_style_split_description_is_followed_through_its_imports() {
        let root = r#"<wsdl:definitions targetNamespace="http://tempuri.org/" xmlns:wsdl="http://schemas.xmlsoap.org/wsdl/" xmlns:soap="http://schemas.xmlsoap.org/wsdl/soap/">
            <wsdl:import namespace="urn:encore:api" location="http://h/svc?wsdl=wsdl0"/>
            <wsdl:binding name="B" type="i0:IRecorder" xmlns:i0="urn:encore:api">
              <soap:binding transport="http://schemas.xmlsoap.org/soap/http"/>
              <wsdl:operation name="InitUser"><soap:operation soapAction="urn:encore:api/IRecorder/InitUser" style="document"/></wsdl:operation>
            </wsdl:binding></wsdl:definitions>"#;
        let wsdl0 = r#"<wsdl:definitions targetNamespace="urn:encore:api" xmlns:wsdl="http://schemas.xmlsoap.org/wsdl/" xmlns:xsd="http://www.w3.org/2001/XMLSchema">
            <wsdl:types><xsd:schema targetNamespace="urn:encore:api/Imports">
              <xsd:import schemaLocation="http://h/svc?xsd=xsd0" namespace="urn:encore:api"/>
            </xsd:schema></wsdl:types>
            <wsdl:portType name="IRecorder"/></wsdl:definitions>"#;
        let xsd0 = r#"<xs:schema elementFormDefault="qualified" targetNamespace="urn:encore:api" xmlns:xs="http://www.w3.org/2001/XMLSchema">
            <xs:element name="InitUser"><xs:complexType><xs:sequence>
              <xs:element minOccurs="0" name="userName" type="xs:string"/>
              <xs:element minOccurs="0" name="machineName" type="xs:string"/>
              <xs:element minOccurs="0" name="Tenant" type="xs:string"/>
            </xs:sequence></xs:complexType></xs:element></xs:schema>"#;
        let mut fetched = Vec::new();
        let mut fetch = |_: Option<&str>, loc: &str| {
            fetched.push(loc.to_string());
            let doc = match loc {
                "http://h/svc?wsdl" => root,
                "http://h/svc?wsdl=wsdl0" => wsdl0,
                "http://h/svc?xsd=xsd0" => xsd0,
                _ => return Err("404".to_string().into()),
            };
            Ok((loc.to_string(), doc.as_bytes().to_vec()))
        };
        let contract = read_contract("http://h/svc?wsdl", ApiVersion::V7_1, &mut fetch).unwrap();
        assert_eq!(contract.names.service_ns, "urn:encore:api");
        assert_eq!(contract.names.contract, "IRecorder");
        let shape = contract.shape(Operation::InitUser).unwrap();
        assert_eq!(shape.action, "urn:encore:api/IRecorder/InitUser");
        assert_eq!(
            shape.params,
            vec![
                ("userName".to_string(), Some(Param::User)),
                ("machineName".to_string(), Some(Param::Machine)),
                ("Tenant".to_string(), None)
            ]
        );
        // Operations the description lacks keep their defaults, under the names it gives.
        assert_eq!(
            contract.shape(Operation::PortStatus).unwrap().action,
            "urn:encore:api/IRecorder/PortStatus"
        );
    }

    #[test]
    fn a_document_that_is_not_a_wsdl_is_refused_naming_it() {
        let mut fetch = |_: Option<&str>, loc: &str| {
            Ok((loc.to_string(), b"<html><body>hi</body></html>".to_vec()))
        };
        assert_eq!(
            read_contract("http://h/x", ApiVersion::V7_1, &mut fetch)
                .unwrap_err()
                .to_string(),
            "http://h/x is not a WSDL or XML schema document (its root element is `html`)"
        );
        let mut fetch = |_: Option<&str>, loc: &str| {
            Ok((
                loc.to_string(),
                format!("<definitions xmlns=\"{WSDL_NS}\"/>").into_bytes(),
            ))
        };
        assert!(matches!(
            read_contract("http://h/x", ApiVersion::V7_1, &mut fetch),
            Err(WsdlError::NoOperations(_))
        ));
    }

    #[test]
    fn the_api_version_and_the_operations_offered_come_from_the_wsdl() {
        for v in ApiVersion::ALL {
            let doc = wsdl(v, &Names::default(), "http://h/WebAPI/ECAPI.svc");
            let mut fetch =
                |_: Option<&str>, loc: &str| Ok((loc.to_string(), doc.clone().into_bytes()));
            let server = read_wsdl("http://h/WebAPI/ECAPI.svc?wsdl", &mut fetch).unwrap();
            assert_eq!(server.api(), v);
            for op in Operation::ALL {
                assert_eq!(server.offers(op), op.exists_in(v), "{op} under {v}");
            }
        }
    }

    #[test]
    fn an_import_that_fails_is_named_with_what_happened() {
        let root = r#"<wsdl:definitions xmlns:wsdl="http://schemas.xmlsoap.org/wsdl/">
            <wsdl:import namespace="urn:x" location="http://h/svc?wsdl=wsdl0"/></wsdl:definitions>"#;
        for (answer, expected) in [
            (
                Err("connection refused"),
                "cannot fetch http://h/svc?wsdl=wsdl0: connection refused",
            ),
            (
                Ok("<a><b></a>"),
                "http://h/svc?wsdl=wsdl0 is not readable XML: not well-formed XML",
            ),
        ] {
            let mut fetch = |_: Option<&str>, loc: &str| {
                if loc == "http://h/svc?wsdl" {
                    return Ok((loc.to_string(), root.as_bytes().to_vec()));
                }
                match answer {
                    Ok(doc) => Ok((loc.to_string(), doc.as_bytes().to_vec())),
                    Err(e) => Err(FetchError {
                        url: Some(loc.to_string()),
                        detail: e.to_string(),
                    }),
                }
            };
            let err = read_wsdl("http://h/svc?wsdl", &mut fetch).unwrap_err();
            assert!(err.to_string().starts_with(expected), "{err}");
        }
    }
}
